"""`pathway roles`: the one table of roles and what each may do, as the API applies it."""

from __future__ import annotations

from click.testing import CliRunner

from pathway.cli import cli
from pathway.people.access import CHANGE_RECORDS, ROLE_TABLE, ROLES, allowed_to


def test_the_cli_shows_the_roles_table_the_api_checks():
    shown = CliRunner().invoke(cli, ["roles"])
    assert shown.exit_code == 0
    for role in ROLE_TABLE:
        assert role.name in shown.output
        assert role.summary in shown.output


def test_the_api_allows_each_operation_to_the_roles_the_table_gives():
    from api import auth

    assert allowed_to(CHANGE_RECORDS) == auth.WRITERS
    assert "viewer" not in auth.RECORD_ROLES
    assert auth.ALL_ROLES == ROLES
