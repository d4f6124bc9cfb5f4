"""Every command has French help text (the CLI is what agents read first)."""

from typer.testing import CliRunner

from clos.cli.main import COMMAND_MODULES, app


def _registered_names() -> list[str]:
    """Every top-level command and command group the modules of COMMAND_MODULES registered."""
    names = [c.name or c.callback.__name__.replace("_", "-") for c in app.registered_commands]
    names += [g.name or g.typer_instance.info.name for g in app.registered_groups]
    return names


def test_every_command_has_help():
    runner = CliRunner()
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    names = _registered_names()
    for core in ["ingest", "ask", "models", "doctor", "scan", "report", "impact", "policy", "eval"]:
        assert core in names
    assert len(names) >= len(COMMAND_MODULES)
    for name in names:
        assert name in result.output, name
        sub = runner.invoke(app, [name, "--help"])
        assert sub.exit_code == 0 and len(sub.output.strip()) > 40, name


def test_doctor_reports_in_french(settings):
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 0
    for label in ("llama.cpp", "dossier de données", "réseau", "gemma3-270m"):
        assert label in result.output
