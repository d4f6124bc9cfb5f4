"""Prompt assembly: the fixed instructions, numbered excerpts chosen within a token budget."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from clos.llm.protocol import Prompt
from clos.types import Hit

REFUSAL = "Je n'ai pas trouvé cette information dans les documents."
REFUSAL_EN = "I could not find this information in the documents."

# Kept word for word across questions so its KV cache can be reused.
SYSTEM_FR = (
    "Tu es Clos, l'assistant documentaire d'une collectivité territoriale française. "
    "Réponds en français, en une à quatre phrases, uniquement à partir des extraits numérotés "
    "fournis. Après chaque information, indique le numéro de l'extrait entre crochets, par "
    "exemple [1]. N'invente rien. Si les extraits ne permettent pas de répondre, réponds "
    f"exactement : « {REFUSAL} »"
)

_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
           "octobre", "novembre", "décembre")


def french_date(d: date) -> str:
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def select_excerpts(hits: list[Hit], *, budget: int, k: int) -> list[Hit]:
    """Best hits first, as many as fit in ``budget`` tokens (always at least one)."""
    chosen, used = [], 0
    for hit in hits[:k]:
        cost = hit.tokens + 25  # the excerpt header
        if chosen and used + cost > budget:
            continue
        chosen.append(hit)
        used += cost
    return chosen


def excerpt_header(n: int, hit: Hit) -> str:
    parts = [Path(hit.path).name]
    if hit.page:
        parts.append(f"page {hit.page}")
    if hit.doc_date:
        parts.append(f"daté du {hit.doc_date}")
    return f"[{n}] ({', '.join(parts)})"


def excerpts_block(hits: list[Hit]) -> str:
    return "\n\n".join(f"{excerpt_header(i, h)}\n{h.text.strip()}" for i, h in enumerate(hits, 1))


def build_prompt(question: str, hits: list[Hit], *, today: date, template: str) -> Prompt:
    block = excerpts_block(hits)
    user = (
        f"Date du jour : {french_date(today)}.\n\nExtraits :\n{block}\n\n"
        f"Question : {question.strip()}"
    )
    completion = None
    if template == "completion":
        # A base model follows a document's pattern better than instructions.
        completion = (
            "Voici des extraits de documents, une question et la réponse tirée uniquement des "
            f"extraits.\n\n{block}\n\nQuestion : {question.strip()}\nRéponse :"
        )
    return Prompt(system=SYSTEM_FR, user=user, completion=completion)
