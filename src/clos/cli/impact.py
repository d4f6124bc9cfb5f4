"""``clos impact``: totals and trends of energy and CO2, local vs cloud. A thin wrapper over
``clos.impact.ledger.summary`` and ``clos.impact.report``; no SQL here."""

from __future__ import annotations

import json
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from clos.errors import ClosError

T = {
    "help": "Bilan énergie et CO2 des réponses et des ingestions, en local et comparé au cloud.",
    "since": "Ne compter que les mesures à partir de cette date (AAAA-MM-JJ).",
    "by": "Regrouper par utilisateur, collection ou jour.",
    "json": "Afficher le bilan en JSON.",
    "html": "Écrire un rapport HTML autonome (avec graphique) dans ce fichier.",
    "data_dir": "Dossier de données de Clos (sinon CLOS_DATA_DIR ou le dossier par défaut).",
    "bad_date": "Date invalide : « {value} » (format attendu : AAAA-MM-JJ).",
    "written": "Rapport écrit : {path}",
}


class By(str, Enum):
    user = "user"
    collection = "collection"
    day = "day"


def register(app: typer.Typer) -> None:
    """Add the ``impact`` command to ``app``."""

    @app.command("impact", help=T["help"])
    def impact(
        since: Optional[str] = typer.Option(None, "--since", help=T["since"], metavar="DATE"),
        by: By = typer.Option(By.day, "--by", help=T["by"], case_sensitive=False),
        as_json: bool = typer.Option(False, "--json", help=T["json"]),
        html: Optional[Path] = typer.Option(None, "--html", help=T["html"], dir_okay=False,
                                            metavar="FICHIER"),
        data_dir: Optional[Path] = typer.Option(None, "--data-dir", help=T["data_dir"],
                                                file_okay=False),
    ) -> None:
        from clos.impact import ledger, report
        from clos.settings import Settings
        from clos.store import open_store

        try:
            start = date.fromisoformat(since) if since else None
        except ValueError:
            raise typer.BadParameter(T["bad_date"].format(value=since), param_hint="--since")
        store = None
        try:
            settings = Settings.load(flags={"data_dir": data_dir})
            store = open_store(settings)
            summary = ledger.summary(store, since=start, by=by.value)
            if html is not None:
                written = report.write_html(summary, html)
                if not as_json:
                    typer.echo(T["written"].format(path=written))
            if as_json:
                typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
            elif html is None:
                from rich.console import Console

                Console().print(report.summary_table(summary))
        except ClosError as exc:
            typer.echo(exc.message, err=True)
            raise typer.Exit(1) from exc
        finally:
            if store is not None:
                store.close()
