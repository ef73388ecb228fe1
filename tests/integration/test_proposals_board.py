"""The proposals board's write path on both databases: one change, one event, never a lost
update, and a history that `pathway check` replays."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from pathway.errors import GuardsUnmet, InvalidInput, VersionConflict
from pathway.ops import integrity
from pathway.people import proposals
from pathway.people.access import Caller
from pathway.store.db import unit_of_work
from pathway.store.models import Proposal, ProposalEvent

TZ = ZoneInfo("Europe/London")


def _coordinator(session) -> Caller:  # type: ignore[no-untyped-def]
    from pathway.people.users import create_user

    user, _ = create_user(session, "Carys", "coordinator", all_units=True)
    return Caller(user_id=user.id, name=user.name, role="coordinator", all_units=True,
                  unit_ids=frozenset())


def test_each_change_is_one_event_and_the_history_replays(db_url, catalogue, unit):
    unit("cefn-yr-afon")
    with unit_of_work(db_url) as s:
        carys = _coordinator(s)
        proposal = proposals.raise_proposal(s, catalogue, carys, unit="cefn-yr-afon",
                                            title="Garden benches", detail="To sit outside.",
                                            anonymous=False)
        proposals.move(s, catalogue, carys, proposal.id, trigger="amber", note="Quotes in",
                       expected_version=1)
        proposals.record_forum_decision(s, carys, proposal.id, forum="Carers' forum",
                                        on=date(2026, 3, 2), decision="approved", note=None,
                                        zone=TZ)
        proposals.move(s, catalogue, carys, proposal.id, trigger="green", note="Installed")
        proposal_id = proposal.id
    with unit_of_work(db_url, write=False) as s:
        row = s.get_one(Proposal, proposal_id)
        assert (row.state, row.version) == ("green", 4)
        events = s.query(ProposalEvent).filter_by(proposal_id=proposal_id).order_by(
            ProposalEvent.seq).all()
        assert [(e.seq, e.trigger, e.from_state, e.to_state) for e in events] == [
            (1, "raise", None, "raised"), (2, "amber", "raised", "amber"),
            (3, "forum_decision", "amber", "amber"), (4, "green", "amber", "green")]
        report = integrity.check(s, catalogue, TZ)
        assert report.proposals == []
        assert report.holds


def test_a_stale_write_is_refused_and_nothing_is_recorded(db_url, catalogue, unit):
    with unit_of_work(db_url) as s:
        carys = _coordinator(s)
        proposal_id = proposals.raise_proposal(s, catalogue, carys, unit=None, title="Peer line",
                                               detail="Evenings.", anonymous=True).id
    with unit_of_work(db_url) as s:
        carys = _coordinator(s)
        with pytest.raises(VersionConflict):
            proposals.move(s, catalogue, carys, proposal_id, trigger="red", note="Not now",
                           expected_version=2)
        with pytest.raises(GuardsUnmet) as unmet:
            proposals.move(s, catalogue, carys, proposal_id, trigger="red", note="  ")
        assert unmet.value.extra["unmet"][0]["criterion"] == "note"
        with pytest.raises(InvalidInput) as bad:
            proposals.record_forum_decision(s, carys, proposal_id, forum="Forum",
                                            on=date(2026, 3, 2), decision="maybe", note=None,
                                            zone=TZ)
        assert "decision" in bad.value.errors
    with unit_of_work(db_url) as s:
        carys = _coordinator(s)
        loaded = s.get_one(Proposal, proposal_id)
        # Someone else moves it between this request's read and its write (the row changes
        # under the loaded object, which still says version 1).
        s.execute(update(Proposal).where(Proposal.id == proposal_id)
                  .values(version=Proposal.version + 1)
                  .execution_options(synchronize_session=False))
        assert loaded.version == 1
        with pytest.raises(VersionConflict):
            proposals.move(s, catalogue, carys, proposal_id, trigger="red", note="Not now")
        s.rollback()
    with unit_of_work(db_url, write=False) as s:
        assert s.query(ProposalEvent).filter_by(proposal_id=proposal_id).count() == 1


def test_the_integrity_check_names_a_history_that_does_not_replay(db_url, catalogue):
    with unit_of_work(db_url) as s:
        carys = _coordinator(s)
        proposal = proposals.raise_proposal(s, catalogue, carys, unit=None, title="Music",
                                            detail="A music night.", anonymous=False)
        proposals.move(s, catalogue, carys, proposal.id, trigger="red", note="Not this year")
        proposal_id = proposal.id
    with unit_of_work(db_url) as s:
        s.execute(update(Proposal).where(Proposal.id == proposal_id).values(state="green"))
        s.execute(update(ProposalEvent).where(ProposalEvent.proposal_id == proposal_id,
                                              ProposalEvent.seq == 2)
                  .values(trigger="green", to_state="green"))
    with unit_of_work(db_url, write=False) as s:
        report = integrity.check(s, catalogue, TZ)
    assert not report.holds
    assert report.proposals == [
        f"proposal {proposal_id}: event 2 (green) goes raised -> green, which the machine "
        "does not allow from raised"]
    assert "1 proposal problem found" in report.summary()
