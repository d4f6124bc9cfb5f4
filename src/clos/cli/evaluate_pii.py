"""`clos eval pii`: precision and recall of personal-data detection, per type, on the synthetic
set and on the labelled real-corpus sample (issue 15). Registered from ``cli/evaluate.py``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import typer

from clos.cli.common import console, handle_errors, load_settings

TEXT = {
    "help": "Données personnelles : précision et rappel par type (jeu synthétique et échantillon "
            "réel étiqueté).",
    "sample": "Échantillon réel étiqueté (JSONL : file, offset, text, context, label, gold).",
    "synthetic": "Jeu synthétique étiqueté (JSONL : text, entities).",
    "corpus": "Dossier du corpus réel (défaut : $CLOS_SHARED_DIR/corpus ou ../shared/corpus).",
    "roles": "Politique des rôles publics évaluée : garder | pseudonymiser.",
    "missing": "Fichier introuvable : « {path} ».",
    "written": "Résultats écrits dans {path}",
}
LABELS_FR = {"private": "personne privée", "public": "rôle public", "not_person": "pas une personne"}


def register(group: typer.Typer) -> None:
    """Add ``pii`` to the ``clos eval`` group."""

    @group.command("pii")
    @handle_errors
    def pii(
        sample: Path = typer.Option(Path("tests/data/pii_corpus_sample.jsonl"), "--sample",
                                    help=TEXT["sample"]),
        synthetic: Path = typer.Option(Path("tests/data/pii_fr.jsonl"), "--synthetic",
                                       help=TEXT["synthetic"]),
        corpus: Path | None = typer.Option(None, "--corpus", help=TEXT["corpus"]),
        roles: str = typer.Option("garder", "--roles-publics", help=TEXT["roles"]),
        as_json: bool = typer.Option(False, "--json", help="Un objet JSON sur la sortie."),
        out_dir: Path = typer.Option(Path("bench/results"), "--out-dir", help="Dossier des résultats JSON."),
    ) -> None:
        """Précision et rappel par type : jeu synthétique et échantillon du corpus réel."""
        from clos.errors import GovernanceError
        from clos.eval import write_json
        from clos.govern.evaluate import evaluate, evaluate_corpus, format_table
        from clos.govern.policy import PUBLIC_ROLES

        if roles not in PUBLIC_ROLES:
            raise GovernanceError(f"Valeur inconnue pour --roles-publics : « {roles} »"
                                  f" (valeurs possibles : {', '.join(PUBLIC_ROLES)}).")
        for path in (sample, synthetic):
            if not path.is_file():
                raise GovernanceError(TEXT["missing"].format(path=path))
        corpus = corpus or Path(os.environ.get("CLOS_SHARED_DIR", "../shared")) / "corpus"
        synthetic_result = evaluate(synthetic)
        synthetic_result.pop("errors")
        real = evaluate_corpus(sample, corpus, load_settings(), public_roles=roles)
        real.pop("outcomes")
        payload = {"kind": "pii", "synthetic": synthetic_result, "real": real}
        path = write_json(payload, f"eval_pii_{roles}.json", out_dir)
        if as_json:
            print(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
            return
        console.print(f"Jeu synthétique ({synthetic_result['examples']} textes)", style="bold")
        console.print(format_table(synthetic_result), markup=False, highlight=False)
        console.print(f"\nÉchantillon réel ({real['items']} détections, {real['files']} fichiers,"
                      f" rôles publics : {roles})", style="bold")
        console.print(format_real(real), markup=False, highlight=False)
        console.print(TEXT["written"].format(path=path), style="dim")


def format_real(real: dict[str, Any]) -> str:
    """The real-sample scores as Markdown, labelled detector (before) beside this one (after)."""
    fmt = lambda v: "—" if v is None else f"{v:.3f}"  # noqa: E731
    before, after = real["baseline"], real["person"]
    rows = ["| mesure | avant | après |", "|---|---:|---:|"]
    for key, label in (("precision_people", "part de personnes parmi les « personnes » détectées"),
                       ("precision_private", "part de personnes privées parmi ce qui est pseudonymisé"),
                       ("recall_private", "rappel : personnes privées pseudonymisées"),
                       ("recall_public", "rappel : rôles publics reconnus comme personnes"),
                       ("not_person_left", "« pas une personne » encore détecté"),
                       ("exact_spans", "empans exacts (rien de collé au nom)")):
        rows.append(f"| {label} | {fmt(before[key])} | {fmt(after[key])} |")
    for label in ("private", "public", "not_person"):
        rows.append(f"| {LABELS_FR[label]} : détectés / pseudonymisés (sur {after['labelled'][label]})"
                    f" | {before['detected'][label]} / {before['pseudonymised'][label]}"
                    f" | {after['detected'][label]} / {after['pseudonymised'][label]} |")
    for type_, s in sorted(real["identifiers"].items()):
        rows.append(f"| rappel {type_} ({s['labelled']}) | 1.000 | {fmt(s['recall'])} |")
    return "\n".join(rows)
