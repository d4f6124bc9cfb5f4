"""`clos ingest`: index files with a progress bar and per-file French errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from clos.cli.common import DataDirOption, console, err_console, handle_errors, load_settings
from clos.cli.messages import t


class RichProgress:
    """Files, pages and errors as they go."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task = None
        self.errors = 0

    def start(self, total: int) -> None:
        self.task = self.progress.add_task(t("ingest.progress"), total=total, pages=0, errors=0)

    def advance(self, path: str, *, pages: int = 0, error: str | None = None) -> None:
        if error:
            self.errors += 1
            self.progress.console.print(f"[red]✗ {path} : {error}[/]")
        self.progress.update(self.task, advance=1, pages=pages, errors=self.errors)

    def vectors_start(self, total: int) -> None:
        """The documents are searchable; their vectors are computed now, by batches."""
        self.progress.console.print(t("ingest.searchable"))
        self.vectors_total = total
        self.vectors = self.progress.add_task(t("ingest.vectors"), total=total or None,
                                              pages="—", errors=self.errors)

    def vectors_advance(self, done: int) -> None:
        self.vectors_total = max(self.vectors_total, done)
        self.progress.update(self.vectors, completed=done, total=self.vectors_total or None)


_STYLES = {"failed": "red", "excluded": "yellow", "partial": "yellow", "indexed": "dim"}


def print_files_to_check(entries: list) -> None:
    """One line per file not read whole (failed, excluded, partly read, or read with a note),
    with its status and French reasons; clean files are not listed, so 174 files stay readable."""
    if not entries:
        return
    console.print(t("ingest.to_check", n=len(entries)))
    for entry in entries:
        label = t(f"ingest.status.{entry.status}")
        reasons = " ; ".join(entry.reasons)
        line = f"  • {entry.path} — {label}" + (f" : {reasons}" if reasons else "")
        # soft_wrap: a long path is never cut in two, so it can be copied from the terminal.
        console.print(line, style=_STYLES.get(entry.status), highlight=False, markup=False,
                      soft_wrap=True)


def register(app: typer.Typer) -> None:
    @app.command()
    @handle_errors
    def ingest(
        paths: list[Path] = typer.Argument(..., help="Fichiers ou dossiers à indexer."),
        collection: Optional[str] = typer.Option(None, "--collection", "-c", help="Collection."),
        sync: bool = typer.Option(False, "--sync", help="Retirer de l'index les fichiers disparus."),
        as_json: bool = typer.Option(False, "--json", help="Résultat en JSON."),
        data_dir: Optional[Path] = DataDirOption,
    ) -> None:
        """Indexer des documents (PDF, DOCX, ODT, tableurs, présentations, HTML, MD, TXT, EML)."""
        from clos.pipeline import Clos

        settings = load_settings(data_dir=data_dir)
        with Clos(settings) as clos:
            if as_json:
                report = clos.ingest(paths, collection=collection, sync=sync)
            else:
                columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                           TextColumn("pages : {task.fields[pages]}"),
                           TextColumn("erreurs : {task.fields[errors]}"), TimeElapsedColumn())
                with Progress(*columns, console=err_console, transient=False) as progress:
                    report = clos.ingest(paths, collection=collection, sync=sync,
                                         progress=RichProgress(progress))
        if as_json:
            print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
            _exit_if_nothing_read(report)
            return
        console.print(t("ingest.done", indexed=report.indexed, skipped=report.skipped,
                        failed=report.failed, excluded=report.excluded, removed=report.removed,
                        pages=report.pages, chunks=report.chunks, duration=report.duration_s))
        if report.repeats and report.repeats["blocks"]:
            console.print(t("ingest.repeats", blocks=report.repeats["blocks"],
                            lines=report.repeats["lines"], chunks=report.repeats["chunks_marked"]),
                          style="dim")
        print_files_to_check(report.to_check())
        if report.impact:
            from clos.impact import Impact, impact_line

            console.print(impact_line(Impact.from_dict(report.impact)), style="dim")
        _exit_if_nothing_read(report)


def _exit_if_nothing_read(report) -> None:
    """Exit code 1 when every file given failed (nothing indexed, nothing unchanged): a script
    must not take « 0 indexé(s), 4 en erreur » for a success. Some files failing among others
    read is reported, not an error of the command."""
    if report.failed and not (report.indexed or report.skipped):
        raise typer.Exit(code=1)
