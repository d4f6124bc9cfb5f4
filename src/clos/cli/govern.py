"""`clos scan`, `clos report` and `clos policy …`: thin wrappers over clos.govern."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from clos.cli.common import DataDirOption, console, err_console, handle_errors, load_settings

DECISIONS_FR = {"index": "indexé", "index_with_warning": "indexé avec avertissement",
                "exclude": "exclu"}


def register(app: typer.Typer) -> None:
    @app.command()
    @handle_errors
    def scan(
        paths: list[Path] = typer.Argument(..., help="Fichiers ou dossiers à examiner."),
        as_json: bool = typer.Option(False, "--json", help="Résultat en JSON."),
        data_dir: Optional[Path] = DataDirOption,
    ) -> None:
        """Examiner des fichiers sans rien indexer : données personnelles, brouillons, doublons."""
        from clos.govern import scan as run_scan

        result = run_scan(paths, load_settings(data_dir=data_dir))
        if as_json:
            print(json.dumps(result, ensure_ascii=False, indent=2))
            return
        _print_scan(result)

    @app.command()
    @handle_errors
    def report(
        collection: Optional[str] = typer.Option(None, "--collection", "-c", help="Collection."),
        html: Optional[Path] = typer.Option(None, "--html", help="Écrire le rapport HTML dans ce fichier."),
        as_json: bool = typer.Option(False, "--json", help="Rapport en JSON."),
        data_dir: Optional[Path] = DataDirOption,
    ) -> None:
        """Rapport du corpus : documents, signalements, données personnelles, doublons, décisions."""
        from clos.govern.report import build_report, render_html, render_rich
        from clos.store import open_store

        settings = load_settings(data_dir=data_dir)
        name = collection or settings.collection
        store = open_store(settings)
        try:
            cid = _collection(store, name)
            data = build_report(store, cid, collection=name, settings=settings)
        finally:
            store.close()
        if html:
            html.write_text(render_html(data), encoding="utf-8")
            err_console.print(f"Rapport HTML écrit dans « {html} ».")
        if as_json:
            print(json.dumps(data, ensure_ascii=False, indent=2))
        elif not html:
            console.print(render_rich(data))

    policy_app = typer.Typer(help="Règles de gouvernance d'une collection.", no_args_is_help=True)
    app.add_typer(policy_app, name="policy")

    @policy_app.command("show")
    @handle_errors
    def policy_show(
        collection: Optional[str] = typer.Option(None, "--collection", "-c", help="Collection."),
        as_json: bool = typer.Option(False, "--json", help="Résultat en JSON."),
        data_dir: Optional[Path] = DataDirOption,
    ) -> None:
        """Afficher les règles de la collection."""
        _policy(collection, data_dir, as_json)

    @policy_app.command("set")
    @handle_errors
    def policy_set(
        collection: Optional[str] = typer.Option(None, "--collection", "-c", help="Collection."),
        pii: Optional[str] = typer.Option(None, "--pii", help="keep | pseudonymise | redact | exclude"),
        max_age: Optional[int] = typer.Option(None, "--max-age", help="Ancienneté signalée, en années (0 : jamais)."),
        action: list[str] = typer.Option([], "--action", help="motif=décision, ex. brouillon=exclude (répétable)."),
        roles: Optional[str] = typer.Option(None, "--roles-publics",
                                            help="garder | pseudonymiser : noms des élus et agents dans leurs fonctions."),
        data_dir: Optional[Path] = DataDirOption,
    ) -> None:
        """Changer les règles : données personnelles, décisions par motif, seuil d'ancienneté."""
        from clos.errors import GovernanceError

        actions = {}
        for item in action:
            kind, sep, decision = item.partition("=")
            if not sep:
                raise GovernanceError(f"« {item} » : attendu motif=décision, ex. brouillon=exclude.")
            actions[kind.strip()] = decision.strip()
        _policy(collection, data_dir, False, pii_policy=pii, flag_actions=actions, max_age_years=max_age,
                public_roles=roles)

    @policy_app.command("allow")
    @handle_errors
    def policy_allow(
        names: list[str] = typer.Argument(..., help="Noms à conserver tels quels (élus, agents dans leurs fonctions)."),
        collection: Optional[str] = typer.Option(None, "--collection", "-c", help="Collection."),
        remove: bool = typer.Option(False, "--remove", help="Retirer ces noms de la liste."),
        data_dir: Optional[Path] = DataDirOption,
    ) -> None:
        """Ajouter (ou retirer) des noms à la liste autorisée de la collection."""
        from clos import govern

        with _store(data_dir, collection) as (store, cid, _):
            kept = (govern.disallow if remove else govern.allow)(store, cid, names)
        console.print(f"Liste autorisée ({len(kept)}) : " + (", ".join(kept) or "vide"))

    @policy_app.command("reveal")
    @handle_errors
    def policy_reveal(
        collection: Optional[str] = typer.Option(None, "--collection", "-c", help="Collection."),
        confirm: bool = typer.Option(False, "--confirm", help="Confirmer : affiche des données personnelles."),
        data_dir: Optional[Path] = DataDirOption,
    ) -> None:
        """Afficher la table des pseudonymes (réservé aux personnes habilitées)."""
        from clos.govern import reveal

        if not confirm:
            err_console.print("Cette commande affiche des données personnelles : relancez-la avec"
                              " --confirm si vous y êtes habilité(e).")
            raise typer.Exit(2)
        with _store(data_dir, collection) as (store, cid, _):
            rows = reveal(store, cid)
        from rich.table import Table

        table = Table(title="Pseudonymes")
        for col in ("Étiquette", "Valeur d'origine", "Créée le"):
            table.add_column(col)
        for r in rows:
            table.add_row(r["placeholder"], r["original"], r["created_at"])
        console.print(table)


class _store:
    """Open the store and resolve the collection; closes on exit."""

    def __init__(self, data_dir: Optional[Path], collection: Optional[str]) -> None:
        self.settings = load_settings(data_dir=data_dir)
        self.name = collection or self.settings.collection

    def __enter__(self):
        from clos.store import open_store

        self.store = open_store(self.settings)
        return self.store, self.store.collection_id(self.name), self.settings

    def __exit__(self, *exc) -> None:
        self.store.close()


def _collection(store, name: str) -> int:
    from clos.errors import GovernanceError

    cid = store.collection_id(name, create=False)
    if cid is None:
        raise GovernanceError(f"La collection « {name} » n'existe pas encore : lancez d'abord « clos ingest ».")
    return cid


def _policy(collection, data_dir, as_json: bool, **changes) -> None:
    from clos import govern

    with _store(data_dir, collection) as (store, cid, settings):
        if any(v for v in changes.values()) or changes.get("max_age_years") == 0:
            policy = govern.set_policy(store, cid, settings, **changes)
        else:
            policy = govern.get_policy(store, cid, settings)
    if as_json:
        print(json.dumps(policy.to_dict(), ensure_ascii=False, indent=2))
        return
    console.print(f"Données personnelles : [bold]{policy.pii_policy}[/]")
    console.print(f"Ancienneté signalée au-delà de : {policy.max_age_years} an(s)")
    for kind, decision in policy.flag_actions.items():
        console.print(f"  {kind} → {DECISIONS_FR.get(decision, decision)}")
    console.print(f"Liste autorisée : {len(policy.allow)} nom(s)")
    console.print(f"Rôles publics (élus, agents dans leurs fonctions) : {policy.public_roles}")


def _print_scan(result: dict) -> None:
    from rich.table import Table

    table = Table(title="Examen (aucune indexation)")
    for col in ("Fichier", "Données personnelles", "Signalements", "Décision"):
        table.add_column(col)
    for f in result["files"]:
        counts: dict[str, int] = {}
        for p in f["pii"]:
            counts[p["type"]] = counts.get(p["type"], 0) + 1
        table.add_row(Path(f["path"]).name, ", ".join(f"{k} ×{v}" for k, v in counts.items()) or "—",
                      "; ".join(fl["kind"] for fl in f["flags"]) or "—",
                      DECISIONS_FR.get(f["decision"], f["decision"]))
    console.print(table)
    s = result["summary"]
    console.print(f"{s['files']} fichier(s), {s['files_with_pii']} avec données personnelles,"
                  f" {s['errors']} illisible(s).")
    for e in result["errors"]:
        err_console.print(f"[red]✗ {e['path']} : {e['error']}[/]")
