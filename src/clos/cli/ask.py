"""`clos ask`: stream the answer, then its key passage, the check's verdict and the sources — or
the refusal with its reason and the closest passages."""

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
        mode: Optional[str] = typer.Option(
            None, "--mode", help="generatif (le modèle rédige, chaque fait vérifié) ou extractif "
                                 "(le passage clé seul, sans modèle)."),
        as_json: bool = typer.Option(False, "--json", help="Un objet JSON sur la sortie."),
        data_dir: Optional[Path] = DataDirOption,
    ) -> None:
        """Poser une question : réponse tirée des documents, avec ses sources, ou refus."""
        from clos.pipeline import Clos

        settings = load_settings(data_dir=data_dir, mode=mode)
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
            decision = (answer.trace.decision or {}) if answer.trace is not None else {}
            if answer.refused and decision.get("rule") != "model_refused":
                # The draft was the model's answer, and the check withdrew it (when the model
                # itself said the documents are silent, the draft already said so).
                console.print(t("ask.refused_after"), style="yellow")
        show(answer)


def _where(c) -> str:
    page = f" — {t('ask.page')} {c.page}" if c.page else ""
    return f"{c.source.rsplit('/', 1)[-1]}{page}"


def show(answer) -> None:
    """The answer as the terminal shows it (key passage first)."""
    from rich.text import Text

    if answer.refused:
        console.print(answer.answer, style="bold", markup=False, highlight=False, soft_wrap=True)
        if answer.refusal_reason:
            console.print(t("ask.reason", reason=answer.refusal_reason), markup=False,
                          highlight=False, soft_wrap=True)
        if answer.closest:
            console.print(f"\n[bold]{t('ask.closest')}[/]")
            for c in answer.closest:
                console.print(f"[{c.n}] {c.source}{_page(c)} — « {c.quote} »", markup=False,
                              highlight=False, soft_wrap=True, style="dim")
    else:
        if answer.key_passage:
            title = t("ask.extractive") if answer.mode == "extractif" else t("ask.key_passage")
            console.print(f"\n[bold]{title}[/] — {_where(answer.key_passage)}", highlight=False)
            console.print(f"« {answer.key_passage.quote} »", style="green", markup=False,
                          highlight=False, soft_wrap=True)
        if answer.mode != "extractif":
            console.print(f"\n[bold]{t('ask.verified') if answer.verified else t('ask.to_check')}[/]")
            text = Text(answer.answer, style="bold")
            missing = _missing(answer)
            for fact in missing:
                text.highlight_words([fact], style="bold yellow underline")
            console.print(text, soft_wrap=True)
            if missing:
                console.print(t("ask.missing", facts=", ".join(f"« {f} »" for f in missing)),
                              style="yellow", markup=False, highlight=False)
            elif answer.unsupported:
                which = ", ".join(str(i + 1) for i in answer.unsupported)
                console.print(t("ask.unsupported", which=which), style="yellow")
    for warning in answer.warnings:
        console.print(warning, style="yellow", markup=False, highlight=False)
    if answer.citations and not answer.refused:
        console.print(f"\n[bold]{t('ask.sources')}[/]")
        for c in answer.citations:
            console.print(f"[{c.n}] {c.source}{_page(c)} — « {c.quote} »", markup=False,
                          highlight=False, soft_wrap=True)
    if answer.impact:
        from clos.impact import Impact, impact_line

        console.print(impact_line(Impact.from_dict(answer.impact)), style="dim")


def _page(c) -> str:
    return f" — {t('ask.page')} {c.page}" if c.page else ""


def _missing(answer) -> list[str]:
    if answer.trace is None:
        return []
    return list(dict.fromkeys(f for s in answer.trace.sentences for f in s.get("facts_missing", [])))
