"""schemathesis against the app's own OpenAPI document, in-process, on SQLite and PostgreSQL.

Every phase (examples, coverage, fuzzing, stateful) and every check, authenticated as an admin,
over seeded units and members so that ids in paths sometimes hit real rows. The schema is
loaded inside the test with ``schemathesis.openapi.from_wsgi`` (not the pytest fixture loader,
which breaks on pytest 9.2; see STACK.md).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.engine import events, from_schema
from schemathesis.transport import wsgi as wsgi_transport

MAX_EXAMPLES = 20
SEED = 20261128
# API.md answers a schema-valid request that breaks a rule the schema cannot express (a date in
# the future, a PATCH with nothing to change, a transfer to the member's own unit) with 422;
# schemathesis' defaults already accept 404 and 409 for rows that do not exist or conflict.
POSITIVE_STATUSES = ["2xx", "401", "403", "404", "409", "422"]

_send = wsgi_transport.WSGITransport.send


def _send_without_network_options(self, case, *, session=None, **kwargs):  # type: ignore[no-untyped-def]
    """schemathesis 4.32.5: the ``ignored_auth`` probe hands network-only options
    (``max_redirects``...) to werkzeug's in-process client, which refuses them."""
    if not isinstance(session, requests.Session):
        for name in ("max_redirects", "verify", "cert", "proxies"):
            kwargs.pop(name, None)
    return _send(self, case, session=session, **kwargs)


@dataclass
class FuzzReport:
    operations: int = 0
    cases: int = 0
    by_phase: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def summary(self, database: str) -> str:
        return (f"[schemathesis, {database}] {self.operations} operations, {self.cases} cases "
                f"({', '.join(f'{k} {v}' for k, v in sorted(self.by_phase.items()))}), "
                f"{len(self.failures)} failures, {len(self.errors)} errors")


def _describe(recorder: Any, case_id: str, check: Any) -> str:
    """The failing request and answer, and for a stateful failure the steps that led there."""
    lines = [f"{recorder.label}: {check.name}: "
             f"{check.failure_info.failure.title if check.failure_info else ''}"]
    steps = list(recorder.cases) if recorder.label.startswith("Stateful") else [case_id]
    for step in steps:
        case = recorder.cases[step].value
        answer = recorder.interactions.get(step)
        response = answer.response if answer is not None else None
        lines.append(f"    {case.method} {case.formatted_path} query={case.query} "
                     f"body={case.body!r:.300} -> "
                     f"{response.status_code if response is not None else '-'} "
                     f"{(response.headers.get('content-type') or ['-'])[0] if response is not None else ''} "
                     f"{(response.content or b'')[:300] if response is not None else ''}")
    return "\n".join(lines)


def run_schemathesis(app: Any, token: str) -> FuzzReport:
    load_all_checks()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    schema.config.update(headers={"Authorization": f"Bearer {token}"})
    schema.config.seed = SEED
    schema.config.generation.update(max_examples=MAX_EXAMPLES, database="none")
    schema.config.phases.update(phases=["examples", "coverage", "fuzzing", "stateful"])
    schema.config.checks.update(included_check_names=list(CHECKS.get_all_names()))
    schema.config.checks.positive_data_acceptance.expected_statuses = POSITIVE_STATUSES
    report = FuzzReport(operations=sum(1 for _ in schema.get_all_operations()))
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            report.cases += len(recorder.cases)
            report.by_phase[event.phase.value] += len(recorder.cases)
            for case_id, checks in recorder.checks.items():
                report.failures.extend(_describe(recorder, case_id, check) for check in checks
                                       if check.status.name == "FAILURE")
        elif isinstance(event, events.NonFatalError):
            report.errors.append(f"{event.label}: {event.value!r}")
        elif isinstance(event, events.FatalError):
            report.errors.append(f"fatal: {event.exception!r}")
        elif isinstance(event, events.EngineFinished):
            report.failures.extend(f"after run: {f.title}" for f in event.failures)
    return report


@pytest.fixture
def seeded(unit, member, token, db_url):  # type: ignore[no-untyped-def]
    """Two units with members of every kind, and an admin's token."""
    unit("cefn-yr-afon", "open_rehab")
    unit("ty-gwyn", "step_down")
    for code in ("cefn-yr-afon", "ty-gwyn"):
        for kind in ("service_user", "carer", "staff"):
            member(kind, code)
    return token("admin")


def test_openapi_document_holds_against_schemathesis(app, seeded, db_url, monkeypatch):
    monkeypatch.setattr(wsgi_transport.WSGITransport, "send", _send_without_network_options)
    report = run_schemathesis(app, seeded)
    database = db_url.split(":")[0].split("+")[0]
    print("\n" + report.summary(database))
    assert report.cases > report.operations
    assert report.errors == []
    assert report.failures == [], "\n".join(report.failures)
