"""Guards against plain facts: each kind met and unmet, in words a coordinator reads."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

import workflows
from workflows.guards import Facts, TrainingRecord, evaluate, evaluate_all
from workflows.schema import Guard, load_folder

CATALOGUE = load_folder(workflows.DEFAULT_FOLDER)
TODAY = date(2026, 11, 28)
SU_EXIT_REASONS = CATALOGUE.pathway_for("service_user").exit_reasons


def facts(**kwargs: object) -> Facts:
    return Facts(**{"kind": "service_user", "today": TODAY, "level": "level_1", **kwargs})  # type: ignore[arg-type]


def completed(days_ago: int = 0, valid_for_days: int | None = None) -> TrainingRecord:
    done = TODAY - timedelta(days=days_ago)
    return TrainingRecord("completed", done,
                          done + timedelta(days=valid_for_days) if valid_for_days else None)


# milestone ----------------------------------------------------------------------------------


def test_milestone_guard_is_met_once_recorded() -> None:
    guard = Guard("milestone", "buddy_assigned", None, "advisory")
    verdict = evaluate(guard, facts(milestones=frozenset({"buddy_assigned"})), CATALOGUE)
    assert verdict.met
    assert verdict.criterion == "milestone:buddy_assigned"
    assert verdict.enforcement == "advisory"
    assert verdict.description == "Action recorded: “Has a buddy”"


def test_milestone_guard_is_unmet_without_the_record() -> None:
    guard = Guard("milestone", "buddy_assigned", None, "advisory")
    assert not evaluate(guard, facts(milestones=frozenset({"advocate_met"})), CATALOGUE).met


def test_milestone_words_use_the_members_kind_catalogue() -> None:
    guard = Guard("milestone", "team_building_attended", None, "required")
    staff = evaluate(guard, facts(kind="staff"), CATALOGUE)
    assert staff.description == "Action recorded: “Joins unit team building”"


# training -----------------------------------------------------------------------------------


def test_training_guard_is_met_by_a_completion_in_date() -> None:
    guard = Guard("training", "speaking_out", None, "required")
    verdict = evaluate(guard, facts(training={"speaking_out": completed(400)}), CATALOGUE)
    assert verdict.met
    assert verdict.criterion == "training:speaking_out"
    assert verdict.description == ("Training completed and in date: "
                                   "“Standing up, speaking out: assertiveness”")


@pytest.mark.parametrize("state", ["not_started", "enrolled", "withdrawn"])
def test_training_guard_is_unmet_until_completed(state: str) -> None:
    guard = Guard("training", "speaking_out", None, "required")
    verdict = evaluate(guard, facts(training={"speaking_out": TrainingRecord(state)}), CATALOGUE)
    assert not verdict.met
    assert "expired" not in verdict.description


def test_training_guard_is_unmet_when_never_started() -> None:
    guard = Guard("training", "speaking_out", None, "required")
    assert not evaluate(guard, facts(), CATALOGUE).met


def test_expired_training_is_unmet_and_says_a_refresher_is_due() -> None:
    guard = Guard("training", "three_levels_awareness", None, "advisory")
    record = completed(days_ago=731, valid_for_days=730)
    verdict = evaluate(guard, facts(training={"three_levels_awareness": record}), CATALOGUE)
    assert not verdict.met
    assert verdict.description.endswith(
        f"(expired on {record.expires_on.isoformat()}: a refresher is due)")


def test_training_record_is_in_date_until_the_day_before_expiry() -> None:
    record = TrainingRecord("completed", date(2025, 11, 28), date(2026, 11, 28))
    assert record.in_date(date(2026, 11, 27))
    assert record.shown_state(date(2026, 11, 27)) == "completed"


def test_training_record_expires_on_its_expiry_day() -> None:
    record = TrainingRecord("completed", date(2025, 11, 28), date(2026, 11, 28))
    assert not record.in_date(date(2026, 11, 28))
    assert record.shown_state(date(2026, 11, 28)) == "expired"
    assert record.shown_state(date(2027, 1, 1)) == "expired"


def test_completion_without_expiry_never_expires() -> None:
    record = TrainingRecord("completed", date(2000, 1, 1), None)
    assert record.in_date(date(2100, 1, 1))
    assert record.shown_state(date(2100, 1, 1)) == "completed"


@pytest.mark.parametrize("state", ["not_started", "enrolled", "withdrawn"])
def test_unfinished_training_shows_its_own_state(state: str) -> None:
    record = TrainingRecord(state)
    assert not record.in_date(TODAY)
    assert record.shown_state(TODAY) == state


# milestones at a level ----------------------------------------------------------------------


def test_milestones_at_level_counts_only_that_levels_actions() -> None:
    guard = Guard("milestones_at_level", "level_1", 3, "advisory")
    two_plus_a_level_2 = frozenset({"buddy_assigned", "advocate_met", "active_role_identified"})
    verdict = evaluate(guard, facts(milestones=two_plus_a_level_2), CATALOGUE)
    assert not verdict.met
    assert verdict.criterion == "milestones_at_level:level_1"
    assert verdict.description == "At least 3 of the Level 1 actions recorded (2 so far)"


def test_milestones_at_level_is_met_at_the_threshold() -> None:
    guard = Guard("milestones_at_level", "level_1", 3, "advisory")
    three = frozenset({"buddy_assigned", "advocate_met", "feedback_given"})
    assert evaluate(guard, facts(milestones=three), CATALOGUE).met


# minimum days at the level ------------------------------------------------------------------


def test_min_days_at_level_boundary() -> None:
    guard = Guard("min_days_at_level", None, 28, "advisory")
    assert not evaluate(guard, facts(days_at_level=27), CATALOGUE).met
    verdict = evaluate(guard, facts(days_at_level=28), CATALOGUE)
    assert verdict.met
    assert verdict.criterion == "min_days_at_level"
    assert verdict.description == "At least 28 days at the current level (28 so far)"


# level reached ------------------------------------------------------------------------------


@pytest.mark.parametrize(("held", "met"), [("level_1", False), ("level_2", True),
                                           ("level_3", True), (None, False)])
def test_level_guard_is_met_at_or_above_the_level(held: str | None, met: bool) -> None:
    guard = Guard("level", "level_2", None, "required")
    verdict = evaluate(guard, facts(level=held), CATALOGUE)
    assert verdict.met is met
    assert verdict.criterion == "level:level_2"
    assert verdict.description == "Has reached Level 2 (Identifying and building skills)"


# exit reason --------------------------------------------------------------------------------


def test_exit_reason_guard_needs_a_known_reason() -> None:
    guard = Guard("exit_reason", None, None, "required")
    assert evaluate(guard, facts(exit_reason="moved_away"), CATALOGUE, SU_EXIT_REASONS).met
    assert not evaluate(guard, facts(exit_reason="bored"), CATALOGUE, SU_EXIT_REASONS).met
    verdict = evaluate(guard, facts(), CATALOGUE, SU_EXIT_REASONS)
    assert not verdict.met
    assert verdict.criterion == "exit_reason"
    assert verdict.description.startswith("A reason for leaving is given (one of: moved_away")


# words and order ----------------------------------------------------------------------------


def test_a_guards_own_description_replaces_the_generated_words() -> None:
    guard = Guard("milestone", "buddy_assigned", None, "advisory",
                  description="Has been matched with a buddy on the ward")
    verdict = evaluate(guard, facts(), CATALOGUE)
    assert verdict.description == "Has been matched with a buddy on the ward"


def test_evaluate_all_answers_each_guard_in_order() -> None:
    guards = CATALOGUE.pathway_for("service_user").transitions_for("advance", "level_2").guards
    verdicts = evaluate_all(guards, facts(level="level_2", training={"speaking_out": completed()}),
                            CATALOGUE)
    assert [v.criterion for v in verdicts] == [g.criterion for g in guards]
    assert [(v.criterion, v.met) for v in verdicts if v.enforcement == "required"] == [
        ("training:speaking_out", True)]
    assert verdicts[0].as_dict(with_met=False) == {
        "criterion": "training:speaking_out", "enforcement": "required",
        "description": "Training completed and in date: “Standing up, speaking out: assertiveness”"}


def test_unknown_guard_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown guard kind"):
        evaluate(Guard("weather", "sunny", None, "advisory"), facts(), CATALOGUE)


# member_agrees ------------------------------------------------------------------------------


def test_member_agrees_is_met_only_when_the_move_carries_their_yes() -> None:
    guard = Guard("member_agrees", None, None, "advisory")
    unmet = evaluate(guard, facts(), CATALOGUE)
    assert not unmet.met
    assert unmet.criterion == "member_agrees"
    assert unmet.description == ("The member agrees with this move (their view is recorded "
                                 "with it)")
    assert evaluate(guard, facts(member_agrees=True), CATALOGUE).met
