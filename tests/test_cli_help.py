"""Every command has French help text (the CLI is what agents read first)."""

from typer.testing import CliRunner

from clos.cli.main import COMMAND_MODULES, app


def test_every_command_has_help():
    runner = CliRunner()
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    names = ["ingest", "ask", "models", "doctor", "scan", "report", "impact", "policy", "eval",
             "init", "collection"]
    for name in names:
        assert name in result.output
        sub = runner.invoke(app, [name, "--help"])
        assert sub.exit_code == 0 and len(sub.output.strip()) > 40, name
    assert len(COMMAND_MODULES) >= 8


def test_doctor_reports_in_french(settings):
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 0
    for label in ("llama.cpp", "dossier de données", "réseau", "gemma3-270m"):
        assert label in result.output
