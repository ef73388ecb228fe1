"""The activity catalogue and the benefit-safe limits as data: what ships, the rate or figure
of a day, and faults located in their files like every other definition."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

import workflows
from pathway.involvement.activities import rate_amount
from pathway.involvement.earnings import period_of
from workflows.involvement import MONTH, WEEK
from workflows.schema import DefinitionError, load_folder


@pytest.fixture
def board_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "definitions"
    shutil.copytree(workflows.DEFAULT_FOLDER, folder)
    return folder


def _faults_after(folder: Path, file: str, old: str, new: str) -> list[str]:
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_folder(folder)
    return caught.value.faults


def test_the_shipped_figures_and_their_dates() -> None:
    rules = workflows.load().benefit_rules
    carers = rules["carers_allowance"]
    assert carers.period == WEEK
    assert carers.figure_on(date(2025, 4, 6)).limit_pence == 15100
    assert carers.figure_on(date(2025, 4, 7)).limit_pence == 19600
    assert carers.figure_on(date(2026, 4, 6)).limit_pence == 20400
    assert rules["esa_permitted_lower"].figure_on(date(2025, 6, 1)).limit_pence == 2000
    higher = rules["esa_permitted_higher"]
    assert higher.figure_on(date(2024, 6, 1)).limit_pence == 18350
    assert higher.figure_on(date(2025, 6, 1)).limit_pence == 19550
    assert rules["uc_work_allowance_with_housing"].period == MONTH
    assert rules["uc_work_allowance_with_housing"].figure_on(date(2025, 6, 1)).limit_pence == 41100
    assert rules["uc_work_allowance_without_housing"].figure_on(date(2024, 6, 1)).limit_pence == 67300
    assert carers.figure_on(date(2024, 4, 7)) is None
    for rule in rules.values():
        assert all(f.url.startswith("https://www.gov.uk/") and f.source for f in rule.figures)


def test_an_activitys_rate_on_a_day() -> None:
    activities = workflows.load().activities
    assert rate_amount(activities["feedback_group"], date(2025, 3, 31), 90) == 1800
    assert rate_amount(activities["feedback_group"], date(2025, 4, 1), 90) == 1875
    assert rate_amount(activities["feedback_group"], date(2025, 4, 1), 1) == 21  # 20.83p
    assert rate_amount(activities["recruitment_panel"], date(2025, 4, 1), 240) == 5500


def test_weeks_run_monday_to_sunday_and_months_are_calendar_months() -> None:
    assert period_of(date(2025, 6, 8), WEEK) == (date(2025, 6, 2), date(2025, 6, 8))
    assert period_of(date(2025, 6, 9), WEEK) == (date(2025, 6, 9), date(2025, 6, 15))
    assert period_of(date(2024, 2, 29), MONTH) == (date(2024, 2, 1), date(2024, 2, 29))
    assert period_of(date(2025, 12, 31), WEEK) == (date(2025, 12, 29), date(2026, 1, 4))


def test_an_activity_at_an_unknown_level_is_located(board_folder: Path) -> None:
    faults = _faults_after(board_folder, "involvement-activities.yaml",
                           "levels: [level_3]", "levels: [level_9]")
    assert any(f.startswith("involvement-activities.yaml: activities[3].levels[0]: ")
               and "unknown level 'level_9'" in f for f in faults)


def test_a_rate_needs_a_unit_and_whole_pence(board_folder: Path) -> None:
    faults = _faults_after(board_folder, "involvement-activities.yaml",
                           "{from: 2024-04-01, per: session, pence: 1000}",
                           "{from: 2024-04-01, per: day, pence: 10.5}")
    assert "involvement-activities.yaml: activities[0].rates[0].per: must be one of: hour, " \
           "session" in faults
    assert any(f.startswith("involvement-activities.yaml: activities[0].rates[0].pence: ")
               for f in faults)


def test_figures_are_listed_oldest_first_with_a_source(board_folder: Path) -> None:
    faults = _faults_after(board_folder, "benefit-limits.yaml", "      - from: 2025-04-07\n"
                           "        limit_pence: 19600",
                           "      - from: 2023-04-07\n        limit_pence: 19600")
    assert any(f.startswith("benefit-limits.yaml: benefit_limits[0].figures: ")
               and "oldest first" in f for f in faults)


def test_a_limit_needs_a_week_or_a_month(board_folder: Path) -> None:
    faults = _faults_after(board_folder, "benefit-limits.yaml", "period: week",
                           "period: fortnight")
    assert any(f.startswith("benefit-limits.yaml: benefit_limits[0].period: ") for f in faults)
