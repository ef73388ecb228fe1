"""The member's voice against a real database: a guard on their agreement, views and claims
that `pathway check` replays, and erasure of their words."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

import workflows
from pathway.engine import PATHWAY, Actor, Firing, fire
from pathway.errors import GuardsUnmet, InvalidInput, NotFound
from pathway.ops import integrity
from pathway.people import privacy, voice
from pathway.programme import milestones
from pathway.store.db import unit_of_work
from pathway.store.models import Event, Member
from tests.conftest import TZ

COORDINATOR = Actor(name="coordinator-ana", role="coordinator")
ADMIN = Actor(name="admin-bea", role="admin")
THE_MEMBER = Actor(name="the member", role="member")


@pytest.fixture
def agreeing(tmp_path: Path) -> workflows.Catalogue:
    """The shipped definitions, with a carer's first advance needing the carer's agreement."""
    folder = tmp_path / "definitions"
    shutil.copytree(workflows.DEFAULT_FOLDER, folder)
    carer = folder / "pathway-carer.yaml"
    text = carer.read_text(encoding="utf-8")
    first_guard = "      - {training: three_levels_awareness, enforcement: advisory}\n"
    assert first_guard in text
    carer.write_text(text.replace(first_guard, "      - {member_agrees: true, enforcement: "
                                               "required}\n" + first_guard, 1),
                     encoding="utf-8")
    return workflows.load(folder)


def advance(db_url: str, catalogue: workflows.Catalogue, member_id: int,
            view: dict[str, str] | None) -> Event:
    with unit_of_work(db_url) as session:
        member = session.get(Member, member_id)
        assert member is not None
        return fire(session, catalogue, member, PATHWAY,
                    Firing(trigger="advance", override=True, reason="Ready in practice",
                           member_view=voice.checked_view(view)), COORDINATOR, TZ).event


def test_a_required_member_agrees_guard_needs_their_yes(db_url, member, agreeing):
    member_id = member("carer")
    with pytest.raises(GuardsUnmet) as refused:
        advance(db_url, agreeing, member_id, None)
    assert next(u["criterion"] for u in refused.value.extra["unmet"]) == "member_agrees"
    with pytest.raises(GuardsUnmet):
        advance(db_url, agreeing, member_id, {"agrees": "no", "words": "Not yet."})
    with pytest.raises(GuardsUnmet):
        advance(db_url, agreeing, member_id, {"agrees": "not_asked", "why_not_asked": "Away."})
    moved = advance(db_url, agreeing, member_id, {"agrees": "yes"})
    assert moved.to_state.startswith("level_2")


def test_the_shipped_definitions_do_not_ask_for_agreement(db_url, member, catalogue):
    assert advance(db_url, catalogue, member("carer"), None).trigger == "advance"


def test_not_asked_without_a_reason_names_the_field():
    with pytest.raises(InvalidInput) as refused:
        voice.checked_view({"agrees": "not_asked"})
    assert list(refused.value.errors) == ["member_view.why_not_asked"]
    assert voice.checked_view({"agrees": "yes", "words": "  ", "why_not_asked": "x"}) == {
        "agrees": "yes", "words": None, "why_not_asked": None}


def test_views_and_claims_replay_in_the_check(db_url, member, catalogue):
    member_id = member()
    moved = advance(db_url, catalogue, member_id, {"agrees": "yes"})
    with unit_of_work(db_url) as session:
        person = session.get(Member, member_id)
        assert person is not None
        voice.add_view(session, catalogue, person, moved.id, {"agrees": "no", "words": "Hmm."},
                       THE_MEMBER, TZ, on_behalf=False)
        milestones.claim(session, catalogue, person, "buddy_assigned", THE_MEMBER, TZ,
                         evidence="Dai")
        milestones.decline(session, catalogue, person, "buddy_assigned", COORDINATOR, TZ,
                           reason="Not yet")
        milestones.claim(session, catalogue, person, "buddy_assigned", THE_MEMBER, TZ)
        milestones.confirm(session, catalogue, person, "buddy_assigned", COORDINATOR, TZ)
    with unit_of_work(db_url, write=False) as session:
        report = integrity.check(session, catalogue)
        assert report.problems == []
        person = session.get(Member, member_id)
        assert person is not None
        views = voice.latest_views(session, [session.get(Event, moved.id)])
        assert (views[moved.id].agrees, views[moved.id].later) == ("no", True)


def test_a_view_of_an_event_not_on_the_pathway_is_not_found(db_url, member, catalogue):
    member_id = member()
    with unit_of_work(db_url) as session:
        person = session.get(Member, member_id)
        assert person is not None
        outcome, _ = milestones.record(session, catalogue, person, "buddy_assigned", COORDINATOR,
                                       TZ)
        with pytest.raises(NotFound):
            voice.add_view(session, catalogue, person, outcome.event.id, {"agrees": "yes"},
                           THE_MEMBER, TZ, on_behalf=False)


def test_erasure_blanks_the_members_words_and_keeps_their_answer(db_url, member, catalogue):
    member_id = member()
    moved = advance(db_url, catalogue, member_id,
                    {"agrees": "not_asked", "why_not_asked": "Was in hospital", "words": "x"})
    with unit_of_work(db_url) as session:
        person = session.get(Member, member_id)
        assert person is not None
        voice.add_view(session, catalogue, person, moved.id,
                       {"agrees": "no", "words": "I did not want this."}, THE_MEMBER, TZ,
                       on_behalf=False)
        milestones.claim(session, catalogue, person, "buddy_assigned", THE_MEMBER, TZ,
                         evidence="Met my buddy Dai")
        milestones.decline(session, catalogue, person, "buddy_assigned", COORDINATOR, TZ,
                           reason="Dai is not a buddy yet")
        exported = privacy.export(session, catalogue, person, TZ)
        said = [e["member_view"] for e in exported["events"] if e["member_view"]]
        assert {v.get("words") for v in said} >= {"I did not want this."}
        assert "Met my buddy Dai" in [e["note"] for e in exported["events"]]
        assert "Dai is not a buddy yet" in [e["reason"] for e in exported["events"]]
        privacy.erase(session, catalogue, person, "Subject request SR-9", ADMIN, TZ)
    with unit_of_work(db_url, write=False) as session:
        views = [e.member_view for e in session.scalars(
            select(Event).where(Event.member_id == member_id, Event.member_view.is_not(None)))]
        assert views
        assert all(v["words"] is None and v["why_not_asked"] is None for v in views)
        assert sorted(v["agrees"] for v in views) == ["no", "not_asked"]
        texts = [(e.note, e.reason) for e in session.scalars(
            select(Event).where(Event.member_id == member_id, Event.trigger != "erase"))]
        assert all(note is None and reason is None for note, reason in texts)
    with unit_of_work(db_url) as session:
        person = session.get(Member, member_id)
        assert person is not None
        with pytest.raises(privacy.ErasureHolds):
            voice.add_view(session, catalogue, person, moved.id,
                           {"agrees": "yes", "words": "ok"}, THE_MEMBER, TZ, on_behalf=False)
        session.rollback()
