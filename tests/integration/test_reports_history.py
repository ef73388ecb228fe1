"""A small history built by hand, shared by the report tests (integration and API).

Units north, south, east. Every event is backdated with ``on``, so effective dates differ
from the moments they were recorded (today):

- C1 carer, north, joined 2026-01-05: milestone 01-20, training three_levels_awareness
  enrolled 01-25 and completed 02-01, award carer_foundation 02-10, exit 03-10 (moved_away,
  feedback "More evening meetings please").
- S1 service user, north, joined 01-05: advance 02-04 (30 days), training speaking_out
  enrolled 02-10 and completed 03-01, transfer to south 04-01, advance to Level 3 05-04
  (89 days at Level 2).
- S2 service user, north, joined 01-05: advance 03-06 (60 days), pause 04-01.
- S3 service user, south, joined 02-01: advance 02-11 (10 days), step back 03-01, advance
  03-21 (20 days), exit 06-01 from Level 2 (unwell, feedback "Too unwell to keep coming"),
  rejoin 07-01.
- ST1 staff, east, joined 01-05: stays at Level 1.
- C2 carer, south, joined 05-01: stays at Level 1.
- S4 service user, south, joined 07-01: stays at Level 1.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import workflows
from pathway.engine import Firing, fire
from pathway.people.access import Caller
from pathway.people.members import transfer
from pathway.store.db import unit_of_work
from pathway.store.models import Member
from tests.conftest import SYSTEM, TZ

ADMIN = Caller(user_id=0, name="test", role="admin", all_units=True, unit_ids=frozenset())
# Days counted "now" in the integration tests, so waiting times are exact.
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _fire(db_url: str, catalogue: workflows.Catalogue, member_id: int, trigger: str, on: date,
          machine: str = "pathway", **extra: Any) -> None:
    with unit_of_work(db_url) as session:
        member = session.get(Member, member_id)
        assert member is not None
        fire(session, catalogue, member, machine, Firing(trigger=trigger, on=on, **extra),
             SYSTEM, TZ)


def _advance(db_url: str, catalogue: workflows.Catalogue, member_id: int, on: date) -> None:
    _fire(db_url, catalogue, member_id, "advance", on, override=True,
          reason="Ready: agreed at the review.")


def build_history(db_url: str, catalogue: workflows.Catalogue, unit: Callable[..., str],
                  member: Callable[..., int]) -> dict[str, int]:
    for code, kind in (("north", "open_rehab"), ("south", "step_down"), ("east", "community")):
        unit(code, kind)
    ids = {
        "C1": member("carer", "north", reference="C1", joined_on=date(2026, 1, 5)),
        "S1": member("service_user", "north", reference="S1", joined_on=date(2026, 1, 5)),
        "S2": member("service_user", "north", reference="S2", joined_on=date(2026, 1, 5)),
        "S3": member("service_user", "south", reference="S3", joined_on=date(2026, 2, 1)),
        "ST1": member("staff", "east", reference="ST1", joined_on=date(2026, 1, 5)),
        "C2": member("carer", "south", reference="C2", joined_on=date(2026, 5, 1)),
        "S4": member("service_user", "south", reference="S4", joined_on=date(2026, 7, 1)),
    }
    c1, s1, s2, s3 = ids["C1"], ids["S1"], ids["S2"], ids["S3"]
    _fire(db_url, catalogue, c1, "achieve", date(2026, 1, 20), "milestone:welcome_meeting_offered")
    _fire(db_url, catalogue, c1, "enrol", date(2026, 1, 25), "training:three_levels_awareness")
    _fire(db_url, catalogue, c1, "complete", date(2026, 2, 1), "training:three_levels_awareness")
    _fire(db_url, catalogue, c1, "award", date(2026, 2, 10), "award:carer_foundation")
    _fire(db_url, catalogue, c1, "exit", date(2026, 3, 10), exit_reason="moved_away",
          note="More evening meetings please")

    _advance(db_url, catalogue, s1, date(2026, 2, 4))
    _fire(db_url, catalogue, s1, "enrol", date(2026, 2, 10), "training:speaking_out")
    _fire(db_url, catalogue, s1, "complete", date(2026, 3, 1), "training:speaking_out")
    with unit_of_work(db_url) as session:
        moving = session.get(Member, s1)
        assert moving is not None
        transfer(session, catalogue, moving, "south", SYSTEM, ADMIN, TZ, on=date(2026, 4, 1),
                 reason="Step-down")
    _advance(db_url, catalogue, s1, date(2026, 5, 4))

    _advance(db_url, catalogue, s2, date(2026, 3, 6))
    _fire(db_url, catalogue, s2, "pause", date(2026, 4, 1), reason="Readmitted")

    _advance(db_url, catalogue, s3, date(2026, 2, 11))
    _fire(db_url, catalogue, s3, "step_back", date(2026, 3, 1), reason="Not ready yet")
    _advance(db_url, catalogue, s3, date(2026, 3, 21))
    _fire(db_url, catalogue, s3, "exit", date(2026, 6, 1), exit_reason="unwell",
          note="Too unwell to keep coming")
    _fire(db_url, catalogue, s3, "rejoin", date(2026, 7, 1), reason="Back again")
    return ids


def counts(level_1: int = 0, level_2: int = 0, level_3: int = 0, paused: int = 0,
           exited: int = 0) -> dict[str, int]:
    """A distribution line as the report writes it (total included)."""
    return {"level_1": level_1, "level_2": level_2, "level_3": level_3, "paused": paused,
            "exited": exited, "total": level_1 + level_2 + level_3 + paused + exited}


def row(unit: str, kind: str, **numbers: int) -> dict[str, Any]:
    return {"unit": unit, "kind": kind, **counts(**numbers)}
