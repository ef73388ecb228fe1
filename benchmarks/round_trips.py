"""SQL round trips of one pathway transition over HTTP, counted statement by statement.

    .venv/bin/python -m benchmarks.round_trips [sqlite:///path.db]

A fresh database with one member and one coordinator token; the member is paused and
resumed (no guards) and each request's statements are listed, for the write path's cost in
round trips rather than in milliseconds on a busy machine.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event
from sqlalchemy.engine import Engine

import workflows
from api import create_app
from pathway.engine import Actor
from pathway.people.members import register_member
from pathway.people.units import create_unit
from pathway.people.users import create_user
from pathway.store import migrate
from pathway.store.db import unit_of_work
from workflows.machine import PAUSED, compile_definition, split_state

KIND = "service_user"


def statements_of_transitions(url: str) -> list[list[str]]:
    """The statements of a pause and a resume of one member, one list per request."""
    migrate.upgrade(url)
    catalogue = workflows.load()
    with unit_of_work(url) as s:
        create_unit(s, "round-trips", "Round trips", "open_rehab", "Bridgend")
        member = register_member(s, catalogue, Actor("bench", "admin"), reference="RT-1",
                                 kind=KIND, unit="round-trips", joined_on=date(2025, 1, 6),
                                 zone=ZoneInfo("Europe/London"))
        member_id = member.id
        _, secret = create_user(s, "round trips", "coordinator", all_units=True)
    machine = compile_definition(catalogue.pathway_for(KIND))
    state = catalogue.pathway_for(KIND).initial
    away = next(t for t in machine.transitions if t.source == state
                and split_state(t.dest)[1] == PAUSED)
    back = next(t for t in machine.transitions if t.source == away.dest and t.dest == state)

    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split())[:150])

    event.listen(Engine, "before_cursor_execute", count)
    client = create_app({"DATABASE_URL": url}).test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    requests = []
    try:
        for trigger in (away.trigger, back.trigger, away.trigger):
            seen.clear()
            answer = client.post(f"/api/v1/members/{member_id}/pathway/transitions",
                                 json={"trigger": trigger}, headers=headers)
            if answer.status_code != 201:
                raise RuntimeError(f"{trigger}: {answer.status_code} {answer.get_json()}")
            requests.append(list(seen))
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    return requests


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{Path(folder) / 'rt.db'}"
        for number, statements in enumerate(statements_of_transitions(url), 1):
            print(f"request {number}: {len(statements)} statements")
            for statement in statements:
                print(f"    {statement}")


if __name__ == "__main__":
    main()
