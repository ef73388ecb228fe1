"""Structured logs: one JSON object per line, a request id, and no personal data or tokens."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from api.logs import JsonFormatter
from pathway.people.units import create_unit
from pathway.people.users import create_user
from pathway.store import migrate
from pathway.store.db import unit_of_work

NAME = "Bethan Secretname"
STAFF_NAME = "Cerys Coordinatorname"
REASONS = ["Readmitted to Ward Seven after a crisis", "Back home with her sister",
           "Chaired her own CTP meeting brilliantly", "Moving to Aberystwyth to be near family"]
FEEDBACK = "The buddy scheme helped me more than anything"
EVIDENCE = "Buddy is Dafydd from the step-down house"
QUERY_VALUE = "queryvaluezz"


def _lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _run_scenario(client, token):  # type: ignore[no-untyped-def]
    """A day's work, with every kind of personal text a request can carry."""
    admin = {"Authorization": f"Bearer {token('admin')}"}
    coordinator_token = token("coordinator", name=STAFF_NAME)
    coordinator = {"Authorization": f"Bearer {coordinator_token}"}
    assert client.post("/api/v1/units", headers=admin,
                       json={"code": "cefn-yr-afon", "name": "Cefn yr Afon", "kind": "open_rehab",
                             "locality": "Bridgend"}).status_code == 201
    created = client.post("/api/v1/members", headers=coordinator,
                          json={"reference": "SU-0042", "kind": "service_user",
                                "unit": "cefn-yr-afon", "display_name": NAME,
                                "joined_on": "2026-01-05"})
    assert created.status_code == 201
    member_id = created.get_json()["id"]
    url = f"/api/v1/members/{member_id}"
    steps = [{"trigger": "pause", "reason": REASONS[0]}, {"trigger": "resume", "reason": REASONS[1]},
             {"trigger": "advance", "override": True, "reason": REASONS[2]},
             {"trigger": "exit", "exit_reason": "moved_away", "reason": REASONS[3],
              "feedback": FEEDBACK}]
    for step in steps:
        answer = client.post(f"{url}/pathway/transitions", headers=coordinator, json=step)
        assert answer.status_code == 201, answer.get_json()
    refused = client.post(f"{url}/pathway/transitions", headers=coordinator,
                          json={"trigger": "advance", "reason": REASONS[0]})
    assert refused.status_code == 409
    milestone = client.post(f"{url}/milestones", headers=coordinator,
                            json={"code": "buddy_assigned", "achieved_on": "2026-01-06",
                                  "evidence": EVIDENCE})
    assert milestone.status_code == 201, milestone.get_json()
    assert client.patch(url, headers=coordinator, json={"display_name": NAME + " Jr"}).status_code == 200
    invalid = client.post("/api/v1/members", headers=coordinator,
                          json={"reference": "SU-9", "kind": "nobody", "unit": "cefn-yr-afon",
                                "display_name": NAME})
    assert invalid.status_code == 422
    assert client.get(f"/api/v1/members?level={QUERY_VALUE}", headers=coordinator).status_code == 200
    assert client.get(url, headers=coordinator).status_code == 200
    assert client.get(f"{url}/export", headers=admin).status_code == 200
    wrong = coordinator_token[:-6] + "wrongX"
    assert client.get(url, headers={"Authorization": f"Bearer {wrong}"}).status_code == 401
    assert client.get(url, headers={"Authorization": f"Token {coordinator_token}"}).status_code == 401
    return [coordinator_token, wrong, admin["Authorization"].split()[1]], member_id


def _assert_nothing_personal(text: str, tokens: list[str]) -> None:
    for secret in [NAME, STAFF_NAME, *REASONS, FEEDBACK, EVIDENCE, QUERY_VALUE, *tokens]:
        assert secret not in text, f"{secret!r} appears in the logs"
    for secret in tokens:
        assert secret.removeprefix("pw_")[:16] not in text


def test_full_scenario_logs_nothing_personal(client, token, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    tokens, member_id = _run_scenario(client, token)

    printed = capsys.readouterr().err
    _assert_nothing_personal(printed, tokens)
    records = "\n".join(f"{r.getMessage()} {r.__dict__!r}" for r in caplog.records)
    _assert_nothing_personal(records, tokens)

    lines = _lines(printed)
    requests = [line for line in lines if line["logger"] == "api.request"]
    assert len(requests) >= 12
    for line in requests:
        assert set(line) >= {"time", "level", "message", "request_id", "method", "route",
                             "status", "duration_ms"}
        assert "?" not in line["route"]
        assert f"/members/{member_id}" not in line["route"]
    assert {"route": "/api/v1/members/<int:member_id>/pathway/transitions", "status": 201} \
        .items() <= next(x for x in requests if x["status"] == 201 and "transitions" in x["route"]).items()
    assert any(x["status"] == 401 and "user_id" not in x for x in requests)
    assert any(x["status"] == 200 and isinstance(x.get("user_id"), int) for x in requests)
    assert any(line.get("event") == "auth_failed" for line in lines)


def test_each_line_is_one_json_object(client, capsys):
    client.get("/api/v1/health")
    client.get("/api/v1/nowhere?secret=1")
    lines = capsys.readouterr().err.splitlines()
    assert lines
    for line in lines:
        entry = json.loads(line)
        assert isinstance(entry, dict)
        assert {"time", "level", "message"} <= set(entry)
    unmatched = json.loads(lines[-1])
    assert unmatched["status"] == 404
    assert "route" not in unmatched


def test_request_id_is_echoed_or_made(client, capsys):
    given = client.get("/api/v1/health", headers={"X-Request-Id": "lb-1234.abc"})
    assert given.headers["X-Request-Id"] == "lb-1234.abc"
    made = client.get("/api/v1/health")
    assert len(made.headers["X-Request-Id"]) == 32
    for insane in ("has spaces in it", "x" * 200, "semi;colon", "<script>"):
        answer = client.get("/api/v1/health", headers={"X-Request-Id": insane})
        assert answer.headers["X-Request-Id"] != insane
    errors = client.get("/api/v1/members/1")
    assert errors.status_code == 401
    assert errors.headers["X-Request-Id"]
    logged = [json.loads(line)["request_id"] for line in capsys.readouterr().err.splitlines()]
    assert "lb-1234.abc" in logged
    assert made.headers["X-Request-Id"] in logged


def test_unexpected_error_logs_its_type_and_never_its_message(app, capsys):
    app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)

    @app.get("/api/v1/boom")
    def boom():  # type: ignore[no-untyped-def]
        raise RuntimeError(f"could not save {NAME}")

    answer = app.test_client().get("/api/v1/boom")
    assert answer.status_code == 500
    assert answer.get_json()["code"] == 500
    printed = capsys.readouterr().err
    assert NAME not in printed
    assert any(line.get("exception") == "RuntimeError" for line in _lines(printed))


def test_extra_fields_keep_codes_and_drop_free_text():
    record = logging.LogRecord("api", logging.WARNING, __file__, 1, "refused", None, None)
    record.event = "auth_failed"
    record.reason = "Felt unwell after the meeting"
    entry = json.loads(JsonFormatter().format(record))
    assert entry["event"] == "auth_failed"
    assert "reason" not in entry


def test_werkzeug_request_lines_lose_their_query():
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1,
                               '127.0.0.1 - - [date] "%s" %s %s', (
                                   f"GET /api/v1/members?unit={QUERY_VALUE} HTTP/1.1", "200", "-"),
                               None)
    message = json.loads(JsonFormatter().format(record))["message"]
    assert QUERY_VALUE not in message
    assert "GET /api/v1/members HTTP/1.1" in message


# The real server: gunicorn's own output as well as the app's -------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _call(base: str, method: str, path: str, token: str, body: dict | None = None) -> int:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    request = urllib.request.Request(base + path, data=data, method=method,  # noqa: S310
                                     headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 (local server)
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.slow
def test_served_logs_hold_nothing_personal(tmp_path):
    url = f"sqlite:///{tmp_path / 'served.db'}"
    migrate.upgrade(url)
    with unit_of_work(url) as s:
        create_unit(s, "cefn-yr-afon", "Cefn yr Afon", "open_rehab", "Bridgend")
        _, secret = create_user(s, STAFF_NAME, "admin")
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url}
    server = subprocess.Popen([sys.executable, "-m", "pathway", "serve", "--port", str(port),
                               "--workers", "1", "--threads", "2"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(base + "/health/live", timeout=1):  # noqa: S310 (local)
                    break
            except OSError:
                time.sleep(0.1)
        assert _call(base, "POST", "/members", secret,
                     {"reference": "SU-1", "kind": "service_user", "unit": "cefn-yr-afon",
                      "display_name": NAME}) == 201
        assert _call(base, "POST", "/members/1/pathway/transitions", secret,
                     {"trigger": "pause", "reason": REASONS[0]}) == 201
        assert _call(base, "GET", f"/members?level={QUERY_VALUE}", secret) == 200
        assert _call(base, "GET", "/members/1", secret + "x") == 401
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=20)
    text = out.decode() + err.decode()
    _assert_nothing_personal(text, [secret, secret + "x"])
    app_lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert any(line.get("route") == "/api/v1/members/<int:member_id>/pathway/transitions"
               for line in app_lines)
