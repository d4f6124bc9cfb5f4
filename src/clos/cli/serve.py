"""`clos serve` (the web app) and the accounts around it: `clos user`, `clos collection grant`,
`clos audit`. Thin: everything is in clos.accounts, clos.service and clos.web."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from clos.cli.collection import COLLECTION_HELP
from clos.cli.common import DataDirOption, console, handle_errors, load_settings, subgroup


def _accounts(data_dir):
    from clos.accounts import Accounts
    from clos.store import open_store

    settings = load_settings(data_dir=data_dir)
    return Accounts(open_store(settings))


def register(app: typer.Typer) -> None:
    user_app = typer.Typer(help="Comptes locaux : créer, jetons d'API.", no_args_is_help=True)
    app.add_typer(user_app, name="user")
    collection_app = subgroup(app, "collection", COLLECTION_HELP)

    @app.command()
    @handle_errors
    def serve(
        host: str = typer.Option("127.0.0.1", "--host", help="Adresse d'écoute."),
        port: int = typer.Option(8000, "--port", help="Port."),
        data_dir: Optional[Path] = DataDirOption,
    ) -> None:
        """Lancer l'application web (pages, API, API compatible OpenAI)."""
        import uvicorn

        from clos.accounts import check_bind
        from clos.service import Service
        from clos.web import create_app

        settings = load_settings(data_dir=data_dir)
        service = Service(settings)
        check_bind(host, service.accounts.enabled)
        shown = f"[{host}]" if ":" in host else host
        console.print(f"Clos est ouvert sur http://{shown}:{port}/ (Ctrl+C pour arrêter)")
        uvicorn.run(create_app(service=service), host=host, port=port, log_level="warning")

    @user_app.command("add")
    @handle_errors
    def user_add(
        name: str = typer.Argument(..., help="Nom du compte."),
        group: list[str] = typer.Option([], "--group", "-g", help="Groupe (répétable)."),
        password_stdin: bool = typer.Option(False, "--password-stdin",
                                            help="Lire le mot de passe sur l'entrée standard."),
        data_dir: Optional[Path] = DataDirOption,
    ) -> None:
        """Créer un compte (mot de passe demandé, ou lu sur l'entrée standard)."""
        if password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = typer.prompt("Mot de passe", hide_input=True, confirmation_prompt=True)
        user = _accounts(data_dir).add_user(name, password, group)
        console.print(f"Compte « {user.name} » créé (groupes : {', '.join(user.groups) or '—'}).")

    @user_app.command("token")
    @handle_errors
    def user_token(name: str = typer.Argument(..., help="Nom du compte."),
                   label: str = typer.Option("", "--label", help="Usage du jeton."),
                   data_dir: Optional[Path] = DataDirOption) -> None:
        """Créer un jeton d'API (affiché une seule fois)."""
        print(_accounts(data_dir).new_token(name, label))

    @user_app.command("list")
    @handle_errors
    def user_list(data_dir: Optional[Path] = DataDirOption) -> None:
        """Lister les comptes et leurs groupes."""
        table = Table(title="Comptes")
        table.add_column("Nom")
        table.add_column("Groupes")
        for u in _accounts(data_dir).store.users():
            table.add_row(u["name"], ", ".join(u["groups"]))
        console.print(table)

    @collection_app.command("grant")
    @handle_errors
    def grant(
        name: str = typer.Argument(..., help="Collection."),
        group: str = typer.Option(..., "--group", "-g", help="Groupe."),
        read: bool = typer.Option(True, "--read/--no-read", help="Lecture (questions)."),
        write: bool = typer.Option(False, "--write/--no-write",
                                   help="Écriture (téléverser, supprimer, réindexer)."),
        data_dir: Optional[Path] = DataDirOption,
    ) -> None:
        """Donner (ou retirer, --no-read) à un groupe l'accès à une collection."""
        _accounts(data_dir).grant(name, group, read=read, write=write)
        rights = "lecture et écriture" if write else ("lecture" if read else "aucun accès")
        console.print(f"Groupe « {group} » sur « {name} » : {rights}.")

    @app.command()
    @handle_errors
    def audit(
        user: Optional[str] = typer.Option(None, "--user", help="Un seul compte."),
        since: Optional[str] = typer.Option(None, "--since", help="Depuis (AAAA-MM-JJ)."),
        limit: int = typer.Option(200, "--limit", help="Nombre d'entrées au plus."),
        as_json: bool = typer.Option(False, "--json", help="JSON."),
        data_dir: Optional[Path] = DataDirOption,
    ) -> None:
        """Journal d'audit : qui a demandé quoi, quels passages, qui a téléversé ou supprimé."""
        entries = _accounts(data_dir).audit_log(user=user, since=since, limit=limit)
        if as_json:
            print(json.dumps(entries, ensure_ascii=False, indent=2))
            return
        table = Table(title="Journal d'audit")
        for col in ("Date (UTC)", "Compte", "Action", "Collection", "Détail"):
            table.add_column(col)
        for e in entries:
            table.add_row(e["at"], e["user_name"], e["action"], e["collection"] or "—",
                          json.dumps(e["detail"], ensure_ascii=False))
        console.print(table)
