"""`pathway serve` refuses to start on broken workflow definitions."""

from click.testing import CliRunner

from pathway.cli import cli


def test_serve_refuses_broken_definitions_and_names_the_fault(tmp_path, monkeypatch):
    (tmp_path / "pathway.yaml").write_text("name: broken\nmachine: pathway\nlevels: [\n",
                                           encoding="utf-8")
    monkeypatch.setenv("PATHWAY_WORKFLOWS", str(tmp_path))
    result = CliRunner().invoke(cli, ["serve", "--port", "5999"])
    assert result.exit_code == 1
    assert "pathway.yaml: line" in result.output
    assert "not valid YAML" in result.output


def test_the_same_commands_answer_through_flasks_cli(app, db_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    result = app.test_cli_runner().invoke(args=["pathway", "check"])
    assert result.exit_code == 0, result.output
