"""Health: `/health` as API.md fixes it, `/health/live` without the database, `/health/ready`."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory

from api import create_app
from pathway.store import migrate
from pathway.store.db import engine_for


@pytest.fixture
def unmigrated_client(tmp_path):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    yield create_app({"DATABASE_URL": url, "TESTING": True}).test_client()
    engine_for(url).dispose()


@pytest.fixture
def unreachable_client(tmp_path):  # type: ignore[no-untyped-def]
    # A directory is no database file: every connection fails.
    url = f"sqlite:///{tmp_path}"
    yield create_app({"DATABASE_URL": url, "TESTING": True}).test_client()
    engine_for(url).dispose()


def test_health_answers_ok_without_auth(client):
    answer = client.get("/api/v1/health")
    assert answer.status_code == 200
    assert answer.get_json() == {"status": "ok"}


def test_live_answers_without_the_database(unreachable_client):
    answer = unreachable_client.get("/api/v1/health/live")
    assert answer.status_code == 200
    assert answer.get_json() == {"status": "ok"}


def test_ready_when_database_is_at_the_latest_schema(client, db_url):
    answer = client.get("/api/v1/health/ready")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["status"] == "ok"
    head = ScriptDirectory.from_config(migrate.alembic_config(db_url)).get_current_head()
    assert body == {"status": "ok", "schema": head}


def test_not_ready_when_schema_is_not_migrated(unmigrated_client):
    answer = unmigrated_client.get("/api/v1/health/ready")
    assert answer.status_code == 503
    body = answer.get_json()
    assert body["code"] == 503
    assert body["status"] == "Service Unavailable"
    assert body["error"] == "schema_not_current"
    assert "pathway db upgrade" in body["message"]


def test_not_ready_when_database_does_not_answer(unreachable_client):
    answer = unreachable_client.get("/api/v1/health/ready")
    assert answer.status_code == 503
    assert answer.get_json()["error"] == "database_unavailable"
    health = unreachable_client.get("/api/v1/health")
    assert health.status_code == 503
    assert health.get_json()["code"] == 503


def test_health_endpoints_declare_their_answers(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert set(paths["/api/v1/health/ready"]["get"]["responses"]) >= {"200", "503"}
    assert set(paths["/api/v1/health"]["get"]["responses"]) >= {"200", "503"}
    assert "200" in paths["/api/v1/health/live"]["get"]["responses"]
    for path in ("/api/v1/health", "/api/v1/health/live", "/api/v1/health/ready"):
        assert paths[path]["get"]["security"] == []


def test_oversized_body_answers_413_in_json(client, auth, unit, app):
    unit("cefn-yr-afon")
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit == 256 * 1024
    answer = client.post("/api/v1/members", headers=auth("coordinator"),
                         json={"reference": "SU-1", "kind": "service_user", "unit": "cefn-yr-afon",
                               "display_name": "x" * (limit + 1)})
    assert answer.status_code == 413
    assert answer.get_json() == {"code": 413, "status": "Request Entity Too Large",
                                 "message": "The request body is too large.",
                                 "error": "body_too_large"}


def test_oversized_body_is_refused_before_auth(client):
    answer = client.post("/api/v1/members", data=b"{" + b" " * (300 * 1024) + b"}",
                         content_type="application/json")
    assert answer.status_code == 413
    assert answer.is_json


def test_body_limit_follows_the_setting(monkeypatch, db_url):
    monkeypatch.setenv("PATHWAY_MAX_BODY_BYTES", "1024")
    small = create_app({"DATABASE_URL": db_url, "TESTING": True}).test_client()
    answer = small.post("/api/v1/units", json={"code": "x" * 2000})
    assert answer.status_code == 413
