"""Tokens: stored only as hashes, compared in constant time, expiring, revocable, last use kept."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from sqlalchemy import select, update

from pathway import clock
from pathway.people import users
from pathway.store.db import engine_for, unit_of_work
from pathway.store.models import Base, User


def _every_value_in_the_database(db_url: str) -> str:
    """Every row of every table, as text."""
    engine = engine_for(db_url)
    dumped = []
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            dumped.extend(repr(tuple(row)) for row in conn.execute(table.select()))
    return "\n".join(dumped)


def _user(db_url: str, name: str) -> User:
    with unit_of_work(db_url, write=False) as s:
        return s.scalars(select(User).where(User.name == name)).one()


def test_no_table_holds_a_token(token, member, db_url):
    member_id = member()
    secrets = [token("admin", name="a"), token("coordinator", name="c"),
               token("viewer", name="v"), token("member", member_id=member_id, name="m")]

    everything = _every_value_in_the_database(db_url)
    for secret in secrets:
        assert secret not in everything
        assert secret.removeprefix(users.TOKEN_PREFIX) not in everything
        assert hashlib.sha256(secret.encode()).hexdigest() in everything


def test_token_is_stored_as_its_sha256(token, db_url):
    secret = token("admin", name="hashed")
    assert _user(db_url, "hashed").token_hash == hashlib.sha256(secret.encode()).hexdigest()


def test_token_comparison_is_constant_time(client, token, monkeypatch):
    secret = token("admin")
    compared = []
    real = users.hmac.compare_digest

    def spy(a, b):  # type: ignore[no-untyped-def]
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(users.hmac, "compare_digest", spy)
    answer = client.get("/api/v1/units", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 200
    assert compared == [(users.hash_token(secret),) * 2]


def test_failed_attempt_is_logged_without_the_token(client, token, caplog, capsys):
    secret = token("admin")
    wrong = secret[:-4] + "ZZZZ"
    caplog.set_level(logging.DEBUG)
    answer = client.get("/api/v1/units", headers={"Authorization": f"Bearer {wrong}"})
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == "Bearer"
    failures = [r for r in caplog.records if getattr(r, "event", None) == "auth_failed"]
    assert [r.reason for r in failures] == ["invalid"]
    printed = capsys.readouterr().err
    assert '"event": "auth_failed"' in printed
    for record in caplog.records:
        assert wrong not in record.getMessage()
        assert wrong not in repr(record.__dict__)
    assert wrong not in printed
    assert wrong[8:] not in printed


def test_last_use_is_recorded(client, token, db_url):
    secret = token("admin", name="user")
    assert _user(db_url, "user").last_used_at is None
    assert client.get("/api/v1/units", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    first = _user(db_url, "user").last_used_at
    assert first is not None
    assert clock.now() - clock.as_utc(first) < timedelta(minutes=5)


def test_last_use_is_written_at_most_once_a_minute(client, token, db_url):
    secret = token("admin", name="user")
    headers = {"Authorization": f"Bearer {secret}"}
    client.get("/api/v1/units", headers=headers)
    first = _user(db_url, "user").last_used_at
    client.get("/api/v1/units", headers=headers)
    assert _user(db_url, "user").last_used_at == first


def test_expired_token_answers_401(client, token, db_url):
    secret = token("admin", name="leaver")
    with unit_of_work(db_url) as s:
        s.execute(update(User).where(User.name == "leaver")
                  .values(expires_at=clock.now() - timedelta(seconds=1)))
    answer = client.get("/api/v1/units", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 401
    assert answer.get_json()["code"] == 401


def test_token_expiring_later_still_works(client, db_url):
    with unit_of_work(db_url) as s:
        _, secret = users.create_user(s, "temp", "admin", expires_in_days=1)
    assert client.get("/api/v1/units", headers={"Authorization": f"Bearer {secret}"}).status_code == 200


def test_revoked_token_answers_401(client, token, db_url):
    secret = token("admin", name="revoked")
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/units", headers=headers).status_code == 200
    with unit_of_work(db_url) as s:
        s.execute(update(User).where(User.name == "revoked").values(revoked_at=clock.now()))
    assert client.get("/api/v1/units", headers=headers).status_code == 401


def test_missing_or_malformed_authorization_answers_401(client):
    for header in ({}, {"Authorization": "Bearer "}, {"Authorization": "Basic abc"},
                   {"Authorization": "pw_notatoken"}):
        assert client.get("/api/v1/units", headers=header).status_code == 401


def test_a_writing_request_records_the_last_use_too(client, token, member, db_url):
    secret = token("coordinator", name="writer")
    answer = client.post(f"/api/v1/members/{member()}/pathway/transitions",
                         json={"trigger": "pause"}, headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 201
    assert _user(db_url, "writer").last_used_at is not None


def test_a_unit_scoped_token_sees_its_own_units_only(client, token, member, unit):
    home, elsewhere = unit("ward-home"), unit("ward-elsewhere")
    headers = {"Authorization": f"Bearer {token('coordinator', units=[home])}"}
    assert client.get(f"/api/v1/members/{member(unit=home)}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/members/{member(unit=elsewhere)}",
                      headers=headers).status_code == 404
