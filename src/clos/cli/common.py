"""What every command shares: settings from flags, and library errors turned into French messages."""

from __future__ import annotations

import functools
from typing import Any, Callable

import typer
from rich.console import Console

from clos.cli.messages import t
from clos.errors import ClosError
from clos.settings import Settings

console = Console()
err_console = Console(stderr=True)

DataDirOption = typer.Option(None, "--data-dir", help="Dossier de données (défaut : CLOS_DATA_DIR).")


def load_settings(**flags: Any) -> Settings:
    return Settings.load(flags={k: v for k, v in flags.items() if v is not None})


def handle_errors(func: Callable) -> Callable:
    """Library errors reach the user as one French sentence and exit code 1, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ClosError as exc:
            err_console.print(f"[bold red]{t('error', message=exc.message)}[/]")
            raise typer.Exit(1) from exc
        except KeyboardInterrupt:
            err_console.print("Interrompu.")
            raise typer.Exit(130)

    return wrapper


def human_size(n: int | None) -> str:
    if n is None:
        return "—"
    for unit in ("o", "Ko", "Mo", "Go"):
        if n < 1024 or unit == "Go":
            return f"{n:,.0f} {unit}".replace(",", " ") if unit == "o" else f"{n:.1f} {unit}".replace(".", ",")
        n /= 1024
    return str(n)


def subgroup(app: typer.Typer, name: str, help: str) -> typer.Typer:
    """The command group ``name`` of ``app``, created with ``help`` if no module made it yet.

    Several modules add commands to one group (``clos collection create`` comes with the
    templates, ``clos collection grant`` with the accounts): whichever registers first makes it."""
    for info in app.registered_groups:
        if info.name == name:
            return info.typer_instance
    group = typer.Typer(help=help, no_args_is_help=True)
    app.add_typer(group, name=name)
    return group
