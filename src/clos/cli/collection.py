"""`clos collection create|list|templates`: collections made from the seed's use cases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from clos.cli.common import DataDirOption, console, handle_errors, load_settings, subgroup

COLLECTION_HELP = ("Collections : créer depuis un modèle, lister, régler, donner des droits"
                   " aux groupes.")


def register(app: typer.Typer) -> None:
    group = subgroup(app, "collection", COLLECTION_HELP)

    @group.command("create")
    @handle_errors
    def create(
        name: str = typer.Argument(..., help="Nom de la collection."),
        template: Optional[str] = typer.Option(
            None, "--template", "-t",
            help="usagers, aides-sociales, rh, juridique-marches ou voirie-dechets."),
        data_dir: Optional[Path] = DataDirOption,
    ) -> None:
        """Créer une collection (politique de gouvernance et style de réponse du modèle)."""
        from clos.collection_templates import TEMPLATES, create as make
        from clos.store import open_store

        settings = load_settings(data_dir=data_dir)
        store = open_store(settings)
        try:
            make(store, settings, name, template)
        finally:
            store.close()
        chosen = TEMPLATES.get(template or "")
        console.print(f"Collection « {name} » prête"
                      + (f" (modèle {chosen.name} : {chosen.style})." if chosen else "."))

    @group.command("set")
    @handle_errors
    def set_(
        name: str = typer.Argument(..., help="Nom de la collection."),
        pairs: list[str] = typer.Argument(..., help="cle=valeur, par ex. llm_url=http://hôte:8000/v1 top_k=4"),
        data_dir: Optional[Path] = DataDirOption,
    ) -> None:
        """Changer des réglages propres à une collection (serveur, seuil de refus, style…)."""
        from clos.collection_templates import set_values
        from clos.errors import ConfigError
        from clos.store import open_store

        values = {}
        for pair in pairs:
            key, sep, value = pair.partition("=")
            if not sep or not key.strip():
                raise ConfigError(f"Attendu cle=valeur : « {pair} ».")
            values[key.strip()] = value.strip()
        settings = load_settings(data_dir=data_dir)
        store = open_store(settings)
        try:
            current = set_values(store, settings, name, values)
        finally:
            store.close()
        console.print(f"Collection « {name} » : "
                      + ", ".join(f"{k} = {v}" for k, v in current.items()))

    @group.command("list")
    @handle_errors
    def list_(as_json: bool = typer.Option(False, "--json", help="Liste en JSON."),
              data_dir: Optional[Path] = DataDirOption) -> None:
        """Lister les collections, leur modèle et leurs réglages propres."""
        from clos.store import open_store

        settings = load_settings(data_dir=data_dir)
        store = open_store(settings)
        try:
            rows = []
            for c in store.collections():
                template, values = store.collection_settings(store.collection_id(c["name"]))
                rows.append({**c, "template": template, "settings": values})
        finally:
            store.close()
        if as_json:
            print(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        table = Table(title="Collections")
        for col in ("Nom", "Documents", "Modèle", "Réglages propres"):
            table.add_column(col)
        for r in rows:
            table.add_row(r["name"], str(r["documents"]), r["template"] or "—",
                          ", ".join(f"{k} = {v}" for k, v in r["settings"].items()) or "—")
        console.print(table)

    @group.command("templates")
    def templates() -> None:
        """Les modèles de collection : public, gouvernance, style de réponse."""
        from clos.collection_templates import TEMPLATES

        table = Table(title="Modèles de collection")
        for col in ("Modèle", "Pour", "Réponses", "Données personnelles"):
            table.add_column(col)
        for t in TEMPLATES.values():
            table.add_row(t.name, t.audience, t.style, t.pii_policy)
        console.print(table)
