"""`pathway restore` refuses to replace a database a running server has open, unless forced."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import pathway_command

pytestmark = pytest.mark.slow


def test_restore_refuses_while_a_server_has_the_database_open(serve, server_database, tmp_path):
    backup_file = tmp_path / "before.backup"
    pathway_command("backup", str(backup_file), database_url=server_database)
    server = serve(server_database)
    refused = pathway_command("restore", str(backup_file), "--yes",
                              database_url=server_database, check=False)
    assert refused.returncode != 0
    assert "running server" in refused.stderr
    assert "Nothing was restored" in refused.stderr
    assert server.request("GET", "/api/v1/health").status == 200
    server.stop()
    restored = pathway_command("restore", str(backup_file), "--yes",
                               database_url=server_database, check=False)
    assert restored.returncode == 0, restored.stderr


def test_restore_with_force_goes_ahead_while_serving(serve, server_database, tmp_path):
    backup_file = tmp_path / "before.backup"
    pathway_command("backup", str(backup_file), database_url=server_database)
    serve(server_database)
    forced = pathway_command("restore", str(backup_file), "--yes", "--force",
                             database_url=server_database, check=False)
    assert forced.returncode == 0, forced.stderr
