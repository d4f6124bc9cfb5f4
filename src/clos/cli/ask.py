"""`clos ask`: stream the answer, then its verified sources."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from clos.cli.common import DataDirOption, console, handle_errors, load_settings
from clos.cli.messages import t


def register(app: typer.Typer) -> None:
    @app.command()
    @handle_errors
    def ask(
        question: str = typer.Argument(..., help="La question, en français."),
        collection: Optional[str] = typer.Option(None, "--collection", "-c", help="Collection."),
        model: Optional[str] = typer.Option(None, "--model", "-m",
                                            help="Nom de modèle (clos models) ou chemin .gguf."),
        as_json: bool = typer.Option(False, "--json", help="Un objet JSON sur la sortie."),
        data_dir: Optional[Path] = DataDirOption,
    ) -> None:
        """Poser une question : réponse tirée des documents, avec ses sources, ou refus."""
        from clos.pipeline import Clos

        settings = load_settings(data_dir=data_dir)
        streamed: list[str] = []

        def on_token(piece: str) -> None:
            if not streamed:
                piece = piece.lstrip()
            streamed.append(piece)
            console.print(piece, end="", style="dim", markup=False, highlight=False)

        with Clos(settings) as clos:
            answer = clos.ask(question, collection=collection, model=model,
                              on_token=None if as_json else on_token)
        if as_json:
            print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
            return
        if streamed:
            console.print()
            if answer.refused:
                console.print(t("ask.refused_after"), style="yellow")
            else:
                console.print(f"\n[bold]{t('ask.verified')}[/]")
        else:
            console.print()
        console.print(answer.answer, style="bold", markup=False, highlight=False, soft_wrap=True)
        if answer.unsupported:
            console.print(t("ask.unsupported", which=", ".join(str(i + 1) for i in answer.unsupported)),
                          style="yellow")
        for warning in answer.warnings:
            console.print(warning, style="yellow")
        if answer.citations:
            console.print(f"\n[bold]{t('ask.sources')}[/]")
            for c in answer.citations:
                page = f" — {t('ask.page')} {c.page}" if c.page else ""
                console.print(f"[{c.n}] {c.source}{page} — « {c.quote} »", markup=False,
                              highlight=False, soft_wrap=True)
        if answer.impact:
            from clos.impact import Impact, impact_line

            console.print(impact_line(Impact.from_dict(answer.impact)), style="dim")
