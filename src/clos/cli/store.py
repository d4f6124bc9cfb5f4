"""`clos migrate-store`: copy an index between SQLite and PostgreSQL (library: clos.store.copy)."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from clos.cli.common import console, handle_errors

TEXT = {
    "help": "Copier un index d'une base à l'autre (SQLite ⇄ PostgreSQL), sans perte et avec"
            " reprise : nombres de lignes et sommes de contrôle comparés table par table.",
    "src": "Source : dossier de données, fichier SQLite ou URL postgresql://…",
    "dst": "Destination : dossier de données, fichier SQLite ou URL postgresql://…",
    "batch": "Lignes par lot (chaque lot est validé à part : une copie interrompue reprend).",
    "json": "Le compte rendu en JSON.",
    "title": "Copie de {src} vers {dst}",
    "table": "Table", "copied": "Copiées", "rows": "Lignes (source / destination)",
    "same": "Identiques", "yes": "oui", "no": "NON",
    "done": "Copie vérifiée : {n} tables identiques.",
    "same_target": "La source et la destination sont la même base.",
    "vault": "Pseudonymes copiés : {n}, déchiffrés avec la clé de la source et chiffrés à"
             " nouveau avec celle de la destination, « {key} ». Toute machine qui utilisera la"
             " destination doit avoir ce fichier (même dossier, droits 0600) ; ne le copiez"
             " jamais avec l'index.",
}


def register(app: typer.Typer) -> None:
    @app.command("migrate-store", help=TEXT["help"])
    @handle_errors
    def migrate_store(
        src: str = typer.Argument(..., help=TEXT["src"]),
        dst: str = typer.Argument(..., help=TEXT["dst"]),
        batch: int = typer.Option(2000, "--batch", min=1, help=TEXT["batch"]),
        as_json: bool = typer.Option(False, "--json", help=TEXT["json"]),
    ) -> None:
        from clos.errors import StoreError
        from clos.store import store_at
        from clos.store.copy import VAULT, copy_store
        from clos.store.postgres import redact

        if src == dst:
            raise StoreError(TEXT["same_target"])
        source, target = store_at(src), store_at(dst)
        try:
            with console.status("", spinner="dots") as status:
                report = copy_store(source, target, batch=batch, progress=lambda table, n:
                                    status.update(f"{table} : {n}"))
            key = target.pseudonym_vault().key_path
        finally:
            source.close()
            target.close()
        if as_json:
            print(json.dumps([{**r.__dict__, "same": r.same} for r in report], indent=2))
            return
        table = Table(title=TEXT["title"].format(src=redact(src), dst=redact(dst)))
        for col in ("table", "copied", "rows", "same"):
            table.add_column(TEXT[col])
        for r in report:
            table.add_row(r.table, str(r.copied), f"{r.source_rows} / {r.target_rows}",
                          TEXT["yes"] if r.same else TEXT["no"])
        console.print(table)
        console.print(TEXT["done"].format(n=len(report)))
        carried = [r.copied for r in report if r.table == VAULT]
        console.print(TEXT["vault"].format(n=sum(carried), key=key))
