"""Real servers: `pathway serve` (gunicorn, 2 gthread workers x 4 threads) on a free loopback port.

Each test module gets fresh databases of its own (a SQLite file, and a PostgreSQL database
created for it and dropped afterwards), migrated with `pathway db upgrade` exactly as an
operator would. A server runs in its own process group, so a test can SIGKILL the master and
its workers together and start a new server on the same database.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import create_pg_database, require_postgres

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60.0
REQUEST_TIMEOUT_S = 60.0


def pathway_command(*args: str, database_url: str, check: bool = True,
                    ) -> subprocess.CompletedProcess[str]:
    """Run the `pathway` command line against a database, as an operator would."""
    return subprocess.run([sys.executable, "-m", "pathway", *args], cwd=ROOT,
                          env=server_environment(database_url), capture_output=True, text=True,
                          timeout=120, check=check)


def server_environment(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PATHWAY_", "GUNICORN"))}
    env["DATABASE_URL"] = database_url
    env["PYTHONUNBUFFERED"] = "1"
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str]


@dataclass
class Server:
    """One `pathway serve` process group on 127.0.0.1."""

    database_url: str
    log_path: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    _log: Any = field(default=None, repr=False)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        self.port = free_port()
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pathway", "serve", "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", "2", "--threads", "4"],
            cwd=ROOT, env=server_environment(self.database_url), stdout=self._log,
            stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_until_healthy()
        return self

    def _wait_until_healthy(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"pathway serve exited with {self.process.returncode}:\n{self.log()}")
            try:
                if self.request("GET", "/api/v1/health", timeout=2).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        pytest.fail(f"pathway serve did not answer /api/v1/health in time:\n{self.log()}")

    def request(self, method: str, path: str, body: Any = None, token: str | None = None,
                headers: dict[str, str] | None = None, timeout: float = REQUEST_TIMEOUT_S,
                ) -> Answer:
        """One HTTP request; any status is an answer (only connection failures raise)."""
        data = json.dumps(body).encode() if body is not None else None
        sent = {"Accept": "application/json", **(headers or {})}
        if data is not None:
            sent["Content-Type"] = "application/json"
        if token:
            sent["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(self.base + path, data=data,  # noqa: S310 (loopback http)
                                         method=method, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                raw, status, got = response.read(), response.status, dict(response.headers)
        except urllib.error.HTTPError as error:
            raw, status, got = error.read(), error.code, dict(error.headers)
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode("utf-8", "replace")
        return Answer(status, parsed, got)

    def kill(self) -> None:
        """SIGKILL the master and every worker at once: nothing gets to clean up."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        self._close_log()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:] if self.log_path.exists() else ""


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server_database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                    ) -> Iterator[str]:
    """A fresh database for this module, migrated with `pathway db upgrade`."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'pathway.db'}"
        pathway_command("db", "upgrade", database_url=url)
        yield url
        return
    require_postgres()
    url, drop = create_pg_database()
    try:
        pathway_command("db", "upgrade", database_url=url)
        yield url
    finally:
        drop()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[[str], Server]]:
    """Start `pathway serve` on a database (healthy when returned); stopped after the test."""
    started: list[Server] = []

    def start(database_url: str) -> Server:
        server = Server(database_url, tmp_path / f"server-{len(started)}.log")
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


def create_token(database_url: str, name: str, role: str, *options: str) -> str:
    """`pathway users create`: the token is alone on the last line of stdout."""
    done = pathway_command("users", "create", name, "--role", role, *options,
                           database_url=database_url)
    return done.stdout.strip().splitlines()[-1]


def pathway_check(database_url: str) -> subprocess.CompletedProcess[str]:
    """`pathway check` (the caller asserts exit 0)."""
    return pathway_command("check", database_url=database_url, check=False)


UNIT = "cefn-yr-afon"
LOAD_TRIGGERS = ("advance", "step_back", "pause", "resume")


def seed_members(server: Server, token: str, count: int, prefix: str) -> list[int]:
    """A unit (once) and ``count`` service users in it, through the API."""
    unit = server.request("POST", "/api/v1/units", {"code": UNIT, "name": "Cefn yr Afon",
                                                    "kind": "open_rehab"}, token)
    assert unit.status in (201, 409), unit
    ids = []
    for n in range(count):
        created = server.request("POST", "/api/v1/members",
                                 {"reference": f"{prefix}-{n:03d}", "kind": "service_user",
                                  "unit": UNIT, "joined_on": "2026-01-05"}, token)
        assert created.status == 201, created
        ids.append(created.body["id"])
    return ids


@dataclass
class Shot:
    """One transition request fired by the load and what came back (status 0: no answer)."""

    member_id: int
    trigger: str
    with_version: bool
    status: int
    error: str | None = None
    event_id: int | None = None


@dataclass
class Load:
    """A dozen clients firing conflicting transitions at the same few members."""

    server: Server
    token: str
    member_ids: list[int]
    clients: int = 12
    per_client: int = 25
    seed: int = 20261128
    shots: list[Shot] = field(default_factory=list)

    def run(self) -> Load:
        import threading

        threads = [threading.Thread(target=self._client, args=(n,), daemon=True)
                   for n in range(self.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=REQUEST_TIMEOUT_S * self.per_client)
        assert not any(t.is_alive() for t in threads), "a load client never finished"
        return self

    def _client(self, number: int) -> None:
        import random

        rng = random.Random(self.seed + number)
        for _ in range(self.per_client):
            member_id = rng.choice(self.member_ids)
            trigger = rng.choice(LOAD_TRIGGERS)
            with_version = rng.random() < 0.5
            try:
                shot = self._fire(member_id, trigger, with_version)
            except (OSError, http.client.HTTPException):
                # The server went away (the crash test kills it): this client stops here.
                self.shots.append(Shot(member_id, trigger, with_version, 0))
                return
            self.shots.append(shot)

    def _fire(self, member_id: int, trigger: str, with_version: bool) -> Shot:
        body: dict[str, Any] = {"trigger": trigger}
        if trigger == "advance":
            body.update(override=True, reason="Ready in practice; load test override")
        if with_version:
            read = self.server.request("GET", f"/api/v1/members/{member_id}/pathway",
                                       token=self.token)
            if read.status != 200:
                return Shot(member_id, trigger, with_version, read.status, error="read_failed")
            body["expected_version"] = read.body["version"]
        answer = self.server.request("POST", f"/api/v1/members/{member_id}/pathway/transitions",
                                     body, self.token)
        payload = answer.body if isinstance(answer.body, dict) else {}
        return Shot(member_id, trigger, with_version, answer.status, error=payload.get("error"),
                    event_id=(payload.get("event") or {}).get("id") if answer.status == 201
                    else None)

    def acknowledged(self) -> list[Shot]:
        return [s for s in self.shots if s.status == 201]

    def summary(self, label: str) -> str:
        from collections import Counter

        statuses = Counter(s.status for s in self.shots)
        errors = Counter(s.error for s in self.shots if s.error)
        versioned = sum(s.with_version for s in self.shots)
        return (f"[{label}] {len(self.shots)} transition requests from {self.clients} clients "
                f"at {len(self.member_ids)} members ({versioned} with expected_version): "
                f"statuses {dict(sorted(statuses.items()))}, 409s {dict(sorted(errors.items()))}")


def history_problems(database_url: str, member_ids: list[int]) -> list[str]:
    """Each member's pathway events form a valid path of the compiled machine to its state.

    Also: seq runs 1..n without gaps and the instance's version equals its last seq.
    """
    from sqlalchemy import select

    import workflows
    from pathway.engine import PATHWAY, RECORD_TRIGGERS
    from pathway.store.db import unit_of_work
    from pathway.store.models import Event, Instance, Member
    from workflows.machine import TriggerNotAllowed, compile_definition

    catalogue = workflows.load()
    problems: list[str] = []
    with unit_of_work(database_url, write=False) as session:
        for member_id in member_ids:
            member = session.get(Member, member_id)
            assert member is not None
            workflow = compile_definition(catalogue.pathway_for(member.kind))
            instance = session.scalars(select(Instance).where(
                Instance.member_id == member_id, Instance.machine == PATHWAY)).one()
            events = session.scalars(select(Event).where(Event.instance_id == instance.id)
                                     .order_by(Event.seq)).all()
            if [e.seq for e in events] != list(range(1, len(events) + 1)):
                problems.append(f"member {member_id}: seqs {[e.seq for e in events]}")
            state = None
            for event in events:
                if event.from_state != state:
                    problems.append(f"member {member_id} seq {event.seq}: from {event.from_state}"
                                    f" but the state was {state}")
                if event.trigger == "register":
                    expected = event.to_state if state is None else None
                elif event.trigger in RECORD_TRIGGERS:
                    expected = state
                else:
                    try:
                        expected = workflow.fire(event.trigger, state or "")
                    except TriggerNotAllowed:
                        expected = None
                if expected != event.to_state:
                    problems.append(f"member {member_id} seq {event.seq}: {event.trigger} from "
                                    f"{state} cannot lead to {event.to_state}")
                state = event.to_state
            if state != instance.state:
                problems.append(f"member {member_id}: history ends at {state}, "
                                f"the record says {instance.state}")
            if events and instance.version != events[-1].seq:
                problems.append(f"member {member_id}: version {instance.version}, "
                                f"last seq {events[-1].seq}")
    return problems


def integrity_problems(database_url: str) -> list[str]:
    """pathway.ops.integrity's replay of every instance (the library behind `pathway check`)."""
    import workflows
    from pathway.store.db import unit_of_work

    try:
        from pathway.ops import integrity
    except ImportError:
        return []
    with unit_of_work(database_url, write=False) as session:
        report = integrity.check(session, workflows.load())
        return [str(p) for p in report.problems]


def events_of(database_url: str, member_ids: list[int]) -> dict[int, str]:
    """Every non-register event id of these members, with its trigger."""
    from sqlalchemy import select

    from pathway.store.db import unit_of_work
    from pathway.store.models import Event

    with unit_of_work(database_url, write=False) as session:
        rows = session.execute(select(Event.id, Event.trigger).where(
            Event.member_id.in_(member_ids), Event.trigger != "register")).all()
    return {row.id: row.trigger for row in rows}
