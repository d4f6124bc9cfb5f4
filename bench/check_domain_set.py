"""Prove a domain question set against its files: every gold string on the page it names, every
« absent » string of an unanswerable question nowhere in the folders.

    python bench/check_domain_set.py [tests/data/qa_domain.json]

Exit status 1 and one French line per problem when the set does not hold."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from clos.eval.qa import check_corpus, load_qa

DEFAULT = Path(__file__).resolve().parents[1] / "tests" / "data" / "qa_domain.json"


def main() -> None:
    qaset = load_qa(sys.argv[1] if len(sys.argv) > 1 else DEFAULT)
    problems = check_corpus(qaset)
    hard = sum(q.hard_negative for q in qaset.unanswerable)
    files = Counter(q.file for q in qaset.answerable)
    print(f"{qaset.name} : {len(qaset.questions)} questions, {len(qaset.answerable)} avec réponse "
          f"({len(files)} fichiers), {len(qaset.unanswerable)} sans réponse dont {hard} pièges ; "
          f"racine {qaset.root}")
    for line in problems:
        print(line)
    if problems:
        sys.exit(1)
    print("Toutes les réponses sont à la page indiquée.")


if __name__ == "__main__":
    main()
