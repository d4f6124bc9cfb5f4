"""`clos models` and `clos doctor`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from clos.cli.common import DataDirOption, console, handle_errors, human_size, load_settings
from clos.cli.messages import t


def register(app: typer.Typer) -> None:
    @app.command()
    @handle_errors
    def models(
        as_json: bool = typer.Option(False, "--json", help="Liste en JSON."),
        assemble: bool = typer.Option(False, "--assemble", help="Assembler et vérifier les modèles installés."),
        data_dir: Optional[Path] = DataDirOption,
    ) -> None:
        """Lister les modèles : taille, somme de contrôle, emplacement."""
        from clos.llm.registry import STATE_LABELS, all_status, ensure

        settings = load_settings(data_dir=data_dir)
        extra = [str(settings.model_path)] if settings.model_path else []
        if assemble:
            for st in all_status(settings.models_dir, extra):
                if st.state == "not_assembled":
                    ensure(st.spec, settings.models_dir)
        rows = all_status(settings.models_dir, extra)
        if as_json:
            print(json.dumps([{"name": r.spec.name, "size": r.size, "status": r.state,
                               "sha256": r.spec.sha256, "path": str(r.path),
                               "default": r.spec.name == settings.model} for r in rows],
                             ensure_ascii=False, indent=2))
            return
        table = Table(title=t("models.title"))
        for col in ("models.name", "models.size", "models.status", "models.where", "models.desc"):
            table.add_column(t(col))
        for r in rows:
            mark = " *" if r.spec.name == settings.model else ""
            table.add_row(r.spec.name + mark, human_size(r.size), STATE_LABELS[r.state],
                          str(r.path), r.spec.description)
        console.print(table)

    @app.command()
    @handle_errors
    def doctor(data_dir: Optional[Path] = DataDirOption) -> None:
        """Dire ce qui est prêt et ce qui ne l'est pas."""
        from clos.doctor import run_checks

        settings = load_settings(data_dir=data_dir)
        table = Table(title=t("doctor.title"))
        table.add_column("")
        table.add_column("")
        table.add_column("")
        for check in run_checks(settings):
            table.add_row("✓" if check.ok else "✗", check.name, check.detail,
                          style=None if check.ok else "yellow")
        console.print(table)
