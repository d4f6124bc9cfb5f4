"""The `clos` command: a thin layer over the library; each module registers its commands."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="clos", no_args_is_help=True, add_completion=False,
    help="Clos : assistant documentaire hors ligne et sourcé pour les collectivités.",
)

COMMAND_MODULES = ("ingest", "ask", "system", "govern", "impact", "evaluate", "store", "init",
                   "collection", "serve")

for _name in COMMAND_MODULES:
    importlib.import_module(f"clos.cli.{_name}").register(app)


def main() -> None:
    app()
