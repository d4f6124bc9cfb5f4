"""`clos eval`: measure retrieval and answers on question sets with known answers."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from clos.cli.common import console, handle_errors, load_settings

TEXT = {
    "help": "Mesurer la qualité : recherche des extraits et réponses, sur des questions à réponse connue.",
    "squad": "Fichier de questions : SQuAD (PIAF, service-public), triplets service-public ou FAQ.",
    "body_only": "Indexer les documents sans leur titre (la question ne peut pas le retrouver).",
    "json": "Un objet JSON sur la sortie au lieu du tableau.",
    "out_dir": "Dossier des résultats JSON.",
    "seed": "Graine du tirage des questions (résultats reproductibles).",
    "written": "Résultats écrits dans {path}",
    "indexing": "Indexation de {n} documents dans un dossier temporaire…",
    "asking": "Questions posées",
    "store": "Base d'index : « postgresql://… » (un schéma temporaire y est créé puis supprimé)"
             " ; par défaut, CLOS_STORE ou SQLite dans un dossier temporaire.",
    "qa": "Jeu de questions sur dossiers (format clos-qa-1, ex. tests/data/qa_domain.json).",
    "only": "Ne poser que ces questions (identifiants séparés par des virgules).",
    "index_dir": "Dossier de l'index d'évaluation (par défaut : cache, par jeu et version du code).",
    "one_of": "Donnez soit --squad FICHIER, soit --qa FICHIER.",
    "qa_indexing": "Index des dossiers {folders} (sous {root}), réutilisé s'il est à jour…",
}


def register(app: typer.Typer) -> None:
    group = typer.Typer(no_args_is_help=True, help=TEXT["help"])
    app.add_typer(group, name="eval")
    from clos.cli.evaluate_pii import register as register_pii  # `clos eval pii` (issue 15)

    register_pii(group)

    @group.command("retrieval")
    @handle_errors
    def retrieval(
        squad: Path = typer.Option(..., "--squad", exists=True, dir_okay=False, help=TEXT["squad"]),
        body_only: bool = typer.Option(False, "--body-only", help=TEXT["body_only"]),
        k: int = typer.Option(10, "--k", min=1, help="Profondeur du classement évalué."),
        limit: int | None = typer.Option(None, "--limit", min=1,
                                         help="Ne poser qu'un échantillon de N questions."),
        seed: int = typer.Option(42, "--seed", help=TEXT["seed"]),
        as_json: bool = typer.Option(False, "--json", help=TEXT["json"]),
        out_dir: Path = typer.Option(Path("bench/results"), "--out-dir", help=TEXT["out_dir"]),
        store: str | None = typer.Option(None, "--store", help=TEXT["store"]),
    ) -> None:
        """Rang du bon document pour chaque question : R@1, R@5, R@10, MRR@10, nDCG@10, latence."""
        from clos.eval import load, metrics_table, run_retrieval, write_json
        from clos.eval.report import RETRIEVAL_COLUMNS

        evalset = load(squad, body_only=body_only)
        if not as_json:
            console.print(TEXT["indexing"].format(n=len(evalset.documents)), style="dim")
        result = run_retrieval(evalset, load_settings(store=store), k=k, limit=limit, seed=seed)
        payload = {"kind": "retrieval", "file": str(squad), "body_only": body_only,
                   **result.to_dict()}
        suffix = "_body" if body_only else ""
        path = write_json(payload, f"eval_retrieval_{evalset.name}{suffix}.json", out_dir)
        if as_json:
            print(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        label = f"{evalset.name}{' (corps seul)' if body_only else ''}"
        console.print(metrics_table([(label, result.metrics)], RETRIEVAL_COLUMNS), markup=False,
                      highlight=False, soft_wrap=True)
        console.print(TEXT["written"].format(path=path), style="dim")

    @group.command("answers")
    @handle_errors
    def answers(
        squad: Path | None = typer.Option(None, "--squad", exists=True, dir_okay=False,
                                          help=TEXT["squad"]),
        qa: Path | None = typer.Option(None, "--qa", exists=True, dir_okay=False, help=TEXT["qa"]),
        sample: int = typer.Option(20, "--sample", min=1, help="Nombre de questions posées (--squad)."),
        only: str | None = typer.Option(None, "--only", help=TEXT["only"]),
        model: str | None = typer.Option(None, "--model", "-m",
                                         help="Nom de modèle (clos models) ou chemin .gguf."),
        body_only: bool = typer.Option(False, "--body-only", help=TEXT["body_only"]),
        seed: int = typer.Option(42, "--seed", help=TEXT["seed"]),
        data_dir: Path | None = typer.Option(None, "--index-dir", help=TEXT["index_dir"]),
        as_json: bool = typer.Option(False, "--json", help=TEXT["json"]),
        out_dir: Path = typer.Option(Path("bench/results"), "--out-dir", help=TEXT["out_dir"]),
    ) -> None:
        """Réponses de bout en bout : bonne réponse, citations justes, refus, entonnoir, AUROC."""
        if (squad is None) == (qa is None):
            raise typer.BadParameter(TEXT["one_of"])
        if qa is not None:
            _answers_qa(qa, only, model, data_dir, as_json, out_dir)
            return
        from rich.progress import Progress

        from clos.eval import load, metrics_table, run_answers, write_json
        from clos.eval.report import ANSWER_COLUMNS, funnel_table

        evalset = load(squad, body_only=body_only)
        settings = load_settings()
        with Progress(console=console, transient=True, disable=as_json) as bar:
            task = bar.add_task(TEXT["asking"], total=min(sample, len(evalset.questions)))
            result = run_answers(evalset, settings, sample=sample, model=model, seed=seed,
                                 progress=lambda done, total: bar.update(task, completed=done,
                                                                          total=total))
        payload = {"kind": "answers", "file": str(squad), "body_only": body_only,
                   **result.to_dict()}
        path = write_json(payload, f"eval_answers_{evalset.name}.json", out_dir)
        if as_json:
            print(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        label = f"{evalset.name} · {result.model} · n={result.sample}"
        console.print(metrics_table([(label, result.metrics)], ANSWER_COLUMNS) + "\n\n"
                      + funnel_table(result.funnel), markup=False, highlight=False, soft_wrap=True)
        console.print(TEXT["written"].format(path=path), style="dim")


def _answers_qa(qa: Path, only: str | None, model: str | None, data_dir: Path | None,
                as_json: bool, out_dir: Path) -> None:
    from rich.progress import Progress

    from clos.eval import write_json
    from clos.eval.domain import run_qa
    from clos.eval.qa import load_qa
    from clos.eval.report import qa_report

    qaset = load_qa(qa)
    if only:
        qaset = qaset.subset([i.strip() for i in only.split(",") if i.strip()])
    if not as_json:
        console.print(TEXT["qa_indexing"].format(folders=", ".join(qaset.folders),
                                                 root=qaset.root), style="dim")
    with Progress(console=console, transient=True, disable=as_json) as bar:
        task = bar.add_task(TEXT["asking"], total=len(qaset.questions))
        result = run_qa(qaset, load_settings(), model=model, data_dir=data_dir,
                        progress=lambda done, total: bar.update(task, completed=done, total=total))
    payload = {"kind": "answers_qa", "file": str(qa), "only": only, **result.to_dict()}
    path = write_json(payload, f"eval_answers_{qaset.name}.json", out_dir)
    if as_json:
        print(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
        return
    console.print(qa_report(result), markup=False, highlight=False, soft_wrap=True)
    console.print(TEXT["written"].format(path=path), style="dim")
