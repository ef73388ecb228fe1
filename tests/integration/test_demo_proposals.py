"""The demo's proposals board: cards in every column, one anonymous, one with a forum's
decision, one not adopted, and every history replays."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from pathway.ops import demo_proposals, integrity
from pathway.people import proposals
from pathway.people.access import Caller
from pathway.store.db import unit_of_work
from pathway.store.models import Proposal

TZ = ZoneInfo("Europe/London")
EVERYWHERE = Caller(user_id=0, name="reader", role="admin", all_units=True,
                    unit_ids=frozenset())


def test_the_demo_puts_a_card_in_every_column(db_url, unit, member, catalogue):
    unit("ty-celyn")
    member("carer", "cefn-yr-afon", display_name="Alys")  # the demo member: cards on her unit
    member("service_user", "cefn-yr-afon", display_name="Dylan")  # raises one himself
    with unit_of_work(db_url) as s:
        assert demo_proposals.load(s, catalogue, TZ) == len(demo_proposals.CARDS)
    with unit_of_work(db_url, write=False) as s:
        cards = proposals.views(s, catalogue, proposals.board(s, EVERYWHERE).items)
        assert {c["state"] for c in cards} == set(proposals.board_definition(catalogue).states)
        anonymous = [c for c in cards if c["anonymous"]]
        assert anonymous
        assert all(c["raised_by"] is None for c in anonymous)
        assert any(e["decision"] == proposals.APPROVED for c in cards for e in c["history"])
        by_member = next(c for c in cards if c["title"] == "Later breakfast at weekends")
        assert (by_member["raised_by"], by_member["state"]) == ("Dylan", "green")
        assert s.query(Proposal).filter(Proposal.unit_id.is_(None)).count() == 1
        assert integrity.check(s, catalogue, TZ).holds
