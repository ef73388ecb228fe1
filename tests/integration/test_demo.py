"""`pathway demo`: the paper's service with 18 months of synthetic history, and its tokens."""

from __future__ import annotations

from datetime import timedelta

from click.testing import CliRunner, Result
from sqlalchemy import func, select

import workflows
from pathway import clock
from pathway.cli import cli
from pathway.store.db import unit_of_work
from pathway.store.models import Event, Instance, Member, Unit, User

TZ = __import__("zoneinfo").ZoneInfo("Europe/London")


def run(db_url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"DATABASE_URL": db_url},
                              catch_exceptions=False)


def test_demo_loads_the_papers_service_and_every_instance_replays(db_url):
    loaded = run(db_url, "demo")
    assert loaded.exit_code == 0, loaded.output
    assert "Loaded the demo" in loaded.stdout

    with unit_of_work(db_url, write=False) as s:
        kinds = sorted(s.scalars(select(Unit.kind)))
        assert kinds == sorted(["low_secure", "locked_rehab", "open_rehab", "step_down",
                                "step_down", "community", "community", "community",
                                "prison_inreach"])
        assert len(set(s.scalars(select(Unit.locality)))) == 3
        members = dict(s.execute(select(Member.kind, func.count()).group_by(Member.kind)).all())
        assert 140 <= sum(members.values()) <= 160
        assert members["service_user"] > members["staff"] > members["carer"] > 0
        references = set(s.scalars(select(Member.reference)))
        assert {"SU-0001", "ST-0001", "CA-0001"} <= references

        def pathway_count(kind: str, *, status: str | None = None) -> int:
            query = (select(func.count()).select_from(Instance)
                     .join(Member, Member.id == Instance.member_id)
                     .where(Instance.machine == "pathway", Member.kind == kind))
            if status:
                query = query.where(Instance.status == status)
            return s.scalar(query) or 0

        # The paper's carer gap: carers leave more often than service users do.
        carer_exits = pathway_count("carer", status="exited") / pathway_count("carer")
        su_exits = pathway_count("service_user", status="exited") / pathway_count("service_user")
        assert carer_exits > su_exits

        triggers = dict(s.execute(select(Event.trigger, func.count())
                                  .group_by(Event.trigger)).all())
        for trigger in ("register", "advance", "pause", "resume", "exit", "rejoin", "step_back",
                        "transfer", "achieve", "enrol", "complete", "withdraw", "award"):
            assert triggers.get(trigger, 0) > 0, trigger
        assert s.scalar(select(func.count()).where(Event.trigger == "advance",
                                                   Event.override.is_(True))) > 0
        # The member's voice: views given with moves and added later, a claim waiting and
        # one declined.
        for trigger in ("member_view", "claim", "decline"):
            assert triggers.get(trigger, 0) > 0, trigger
        assert s.scalar(select(func.count()).where(Event.trigger == "advance",
                                                   Event.member_view.is_not(None))) > 0
        assert s.scalar(select(func.count()).select_from(Instance)
                        .where(Instance.state == "claimed")) > 0
        exits = list(s.scalars(select(Event).where(Event.trigger == "exit")))
        assert all(e.exit_reason and e.note for e in exits)
        assert all(e.note for e in s.scalars(select(Event).where(Event.trigger == "achieve")))

        # Every history runs forward in time and is no later than yesterday.
        yesterday_ends = clock.start_of(clock.today(TZ), TZ)
        rows = s.execute(select(Event.member_id, Event.effective_at).order_by(Event.id)).all()
        latest: dict[int, object] = {}
        for member_id, effective_at in rows:
            moment = clock.as_utc(effective_at)
            assert moment <= yesterday_ends
            assert member_id not in latest or latest[member_id] <= moment
            latest[member_id] = moment

    catalogue = workflows.load()
    refreshers = {f"training:{code}": module.valid_for_days
                  for code, module in catalogue.modules.items() if module.valid_for_days}
    with unit_of_work(db_url, write=False) as s:
        completed = s.execute(select(Instance.machine, Instance.entered_at)
                              .where(Instance.machine.in_(refreshers),
                                     Instance.state == "completed")).all()
    today = clock.today(TZ)
    assert any(clock.local_date(at, TZ) + timedelta(days=refreshers[machine]) <= today
               for machine, at in completed), "some refresher completions have expired"

    checked = run(db_url, "check")
    assert checked.exit_code == 0, checked.output
    assert "all hold" in checked.stdout


def test_demo_if_empty_leaves_a_database_with_units_alone(db_url, unit):
    unit("cefn-yr-afon")

    skipped = run(db_url, "demo", "--if-empty")
    refused = run(db_url, "demo")

    assert skipped.exit_code == 0
    assert "already holds" in skipped.stderr
    assert refused.exit_code == 1
    assert "only into an empty database" in refused.stderr
    with unit_of_work(db_url, write=False) as s:
        assert s.scalar(select(func.count()).select_from(Member)) == 0
        assert s.scalar(select(func.count()).select_from(Unit)) == 1


def test_demo_if_empty_leaves_a_database_with_members_alone(db_url, member):
    member("carer")

    skipped = run(db_url, "demo", "--if-empty")

    assert skipped.exit_code == 0
    with unit_of_work(db_url, write=False) as s:
        assert s.scalar(select(func.count()).select_from(Member)) == 1


def _token(result: Result) -> str:
    lines = [line for line in result.stdout.splitlines() if line.startswith("Demo admin token: ")]
    assert len(lines) == 1, result.output
    return lines[0].removeprefix("Demo admin token: ")


def test_demo_token_revokes_the_previous_one(db_url, client):
    first = run(db_url, "demo", "token", "--url", "http://127.0.0.1:5077")
    second = run(db_url, "demo", "token")

    assert first.exit_code == second.exit_code == 0
    assert "Pathway is at http://127.0.0.1:5077" in first.stdout
    assert "Pathway is at http://127.0.0.1:" in second.stdout
    old, new = _token(first), _token(second)
    assert old != new
    assert client.get("/api/v1/members", headers={"Authorization": f"Bearer {old}"}
                      ).status_code == 401
    assert client.get("/api/v1/members", headers={"Authorization": f"Bearer {new}"}
                      ).status_code == 200
    with unit_of_work(db_url, write=False) as s:
        users = list(s.scalars(select(User).where(User.name == "demo-admin").order_by(User.id)))
    assert [u.role for u in users] == ["admin", "admin"]
    assert users[0].revoked_at is not None
    assert users[1].revoked_at is None
