"""`pathway demo sign-ins`: what `make run` prints so every role can try the pages at once."""

from __future__ import annotations

import re

from click.testing import CliRunner, Result

from pathway.cli import cli
from pathway.people import sign_in
from pathway.people.sign_in import Outcome
from pathway.store.db import unit_of_work

LINE = re.compile(r"^Sign in as (\S+) with password (\S+)$")


def run(db_url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"DATABASE_URL": db_url},
                              catch_exceptions=False)


def printed(result: Result) -> dict[str, str]:
    assert result.exit_code == 0, result.output
    return dict(m.groups() for m in map(LINE.match, result.stdout.splitlines()) if m)


def outcome(db_url: str, username: str, password: str) -> Outcome:
    with unit_of_work(db_url) as s:
        return sign_in.attempt(s, username, password).outcome


def test_one_line_per_role_and_each_signs_in_to_its_home(db_url, member, client):
    member()
    result = run(db_url, "demo", "sign-ins", "--url", "http://127.0.0.1:5000")
    assert "http://127.0.0.1:5000" in result.stdout
    passwords = printed(result)
    assert list(passwords) == ["demo-admin", "demo-coordinator", "demo-training-lead",
                               "demo-viewer", "demo-member"]
    for username, password in passwords.items():
        assert outcome(db_url, username, password) is Outcome.SIGNED_IN, username


def test_each_run_gives_fresh_passwords_and_the_earlier_ones_stop_working(db_url, member):
    member()
    first = printed(run(db_url, "demo", "sign-ins"))
    second = printed(run(db_url, "demo", "sign-ins"))
    for username in first:
        assert first[username] != second[username]
        assert outcome(db_url, username, first[username]) is Outcome.WRONG
        assert outcome(db_url, username, second[username]) is Outcome.SIGNED_IN


def test_the_demo_admin_token_printed_just_before_keeps_working(db_url, member, client):
    member()
    token = run(db_url, "demo", "token").stdout.strip().splitlines()[-1].split()[-1]
    printed(run(db_url, "demo", "sign-ins"))
    assert client.get("/api/v1/units", headers={"Authorization": f"Bearer {token}"}
                      ).status_code == 200


def test_without_members_it_says_to_load_the_demo_first(db_url):
    result = run(db_url, "demo", "sign-ins")
    assert result.exit_code != 0
    assert "load the demo first" in result.output
