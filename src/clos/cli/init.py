"""`clos init --posture prudente|raisonnee|fonceuse`: write the settings file of the data folder."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Optional

import typer

from clos.cli.common import DataDirOption, console, handle_errors, load_settings


def register(app: typer.Typer) -> None:
    @app.command()
    @handle_errors
    def init(
        posture: str = typer.Option(..., "--posture", "-p",
                                    help="prudente, raisonnee ou fonceuse."),
        data_dir: Optional[Path] = DataDirOption,
    ) -> None:
        """Choisir la posture de la collectivité face à l'IA et écrire clos.toml."""
        from clos import posture as postures
        from clos.collection_templates import create
        from clos.settings import Settings
        from clos.store import open_store

        base = load_settings(data_dir=data_dir, posture="")  # the file may forbid nothing yet
        path = base.config_file or Path(base.data_dir) / "clos.toml"
        names = {f.name for f in dataclasses.fields(Settings)}
        written = postures.write_settings_file(path, posture, names)
        settings = load_settings(data_dir=data_dir)  # the written file must load and obey
        chosen = postures.current(settings)
        if chosen is not None and chosen.name == postures.RAISONNEE:
            store = open_store(settings)
            try:
                create(store, settings, postures.SANDBOX)
            finally:
                store.close()
        line, forbids = postures.describe(settings)
        console.print(f"Posture écrite dans {path} : {line}")
        for key, value in written.items():
            console.print(f"  {key} = {value!r}", style="dim")
        if chosen is not None and chosen.name == postures.RAISONNEE:
            console.print(f"Collection bac à sable créée : « {postures.SANDBOX} ».")
        if forbids:
            console.print("Interdit :")
            for item in forbids:
                console.print(f"  – {item}")
