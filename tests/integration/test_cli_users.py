"""`pathway users list` and `pathway users revoke`."""

from __future__ import annotations

from click.testing import CliRunner, Result
from sqlalchemy import select

from pathway.cli import cli
from pathway.people.users import hash_token
from pathway.store.db import unit_of_work
from pathway.store.models import User


def run(db_url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"DATABASE_URL": db_url},
                              catch_exceptions=False)


def created_token(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[-1]


def test_users_list_shows_role_and_scope_but_never_a_token(db_url, unit, member):
    unit("cefn-yr-afon")
    unit("ty-bryn", "step_down")
    member_id = member()
    tokens = [created_token(run(db_url, "users", "create", "Alys", "--role", "coordinator",
                                "--unit", "ty-bryn", "--unit", "cefn-yr-afon")),
              created_token(run(db_url, "users", "create", "Bryn", "--role", "viewer",
                                "--all-units")),
              created_token(run(db_url, "users", "create", "Ceri", "--role", "member",
                                "--member", str(member_id))),
              created_token(run(db_url, "users", "create", "Dai", "--role", "admin",
                                "--expires-in-days", "30"))]

    listed = run(db_url, "users", "list")

    assert listed.exit_code == 0
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["id", "name", "role", "scope", "created", "expires", "revoked",
                                "last", "used"]
    assert "Alys" in lines[1]
    assert "coordinator" in lines[1]
    assert "cefn-yr-afon, ty-bryn" in lines[1]
    assert "all units" in lines[2]
    assert f"member {member_id}" in lines[3]
    assert lines[4].split()[1:3] == ["Dai", "admin"]
    for token in tokens:
        assert token not in listed.output
        assert hash_token(token) not in listed.output


def test_revoked_token_answers_401(db_url, client):
    token = created_token(run(db_url, "users", "create", "Eirian", "--role", "admin"))
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/members", headers=headers).status_code == 200

    revoked = run(db_url, "users", "revoke", "Eirian")

    assert revoked.exit_code == 0
    assert "Revoked user" in revoked.stdout
    assert client.get("/api/v1/members", headers=headers).status_code == 401
    with unit_of_work(db_url, write=False) as s:
        assert s.scalar(select(User.revoked_at).where(User.name == "Eirian")) is not None


def test_users_revoke_by_id_and_says_when_already_revoked(db_url):
    created_token(run(db_url, "users", "create", "Ffion", "--role", "admin"))
    with unit_of_work(db_url, write=False) as s:
        user_id = s.scalar(select(User.id).where(User.name == "Ffion"))

    first = run(db_url, "users", "revoke", str(user_id))
    again = run(db_url, "users", "revoke", str(user_id))

    assert first.exit_code == 0
    assert "Revoked user" in first.stdout
    assert again.exit_code == 0
    assert "already revoked" in again.stdout


def test_users_revoke_refuses_an_unknown_or_ambiguous_name(db_url):
    created_token(run(db_url, "users", "create", "Gwen", "--role", "admin"))
    created_token(run(db_url, "users", "create", "Gwen", "--role", "admin"))

    unknown = run(db_url, "users", "revoke", "Nobody")
    ambiguous = run(db_url, "users", "revoke", "Gwen")

    assert unknown.exit_code == 1
    assert "There is no user 'Nobody'" in unknown.stderr
    assert ambiguous.exit_code == 1
    assert "revoke one by id" in ambiguous.stderr
    with unit_of_work(db_url, write=False) as s:
        assert list(s.scalars(select(User.revoked_at).where(User.name == "Gwen"))) == [None, None]
