"""Instruction-like text inside documents (« consigne suspecte »): a document is data, never an
order to the assistant. Flagged at ingestion (``flags.py``), kept out of the prompt's excerpts
(``clos.answer.injection``).

    find_instructions(text)  [(start, end, reason)] of each suspicious passage, reason in French

What counts, in French and English (folded to lower case without accents before matching):
orders to ignore the rules (« ignore les consignes précédentes », « ignore previous
instructions »), orders about the answer (« réponds que… », « answer that… », « dis aux agents
que… »), text addressed to an assistant or model (« note pour l'assistant », « tu es désormais »,
« you are now »), fake system prompts and chat-template markers (« [SYSTEM] », « <|im_start|> »,
« ### Instruction »), requests for credentials (« saisissez votre mot de passe », « enter your
password »). The list comes from the published catalogues of prompt-injection shapes (OWASP Top
10 for LLM Applications 2025, LLM01 « Prompt Injection »; Greshake et al. 2023, « Not what
you've signed up for: indirect prompt injection ») written for this corpus's languages; ordinary
administrative prose (« le maire répond que… », « le rapport indique que… ») does not match.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["find_instructions", "is_instruction"]


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("’", "'").replace("`", "'"))
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


_RULES = r"(?:consignes?|instructions?|regles?|directives?|ordres?|prompts?)"
_PATTERNS: list[tuple[re.Pattern, str]] = [(re.compile(p), reason) for p, reason in [
    # « ignore les consignes » as an order: opening a sentence or after « veuillez », or with
    # a qualifier (« précédentes », « du système »); « il ignore les règles du marché » is prose.
    (rf"(?:^|[.!?:;»\n]\s*|veuillez\s+|merci d'|tu dois\s+|vous devez\s+|il faut\s+)"
     rf"(?:ignore[rz]?|oublie[rz]?|ne tiens pas compte d[eu]s?|ne tenez pas compte d[eu]s?|"
     rf"outrepasse[rz]?)\s+(?:toutes?\s+|tous\s+)?(?:les\s+|tes\s+|vos\s+|ces\s+|des\s+)?"
     rf"(?:\w+\s+)?{_RULES}", "ordre d'ignorer les consignes"),
    (rf"\b(?:ignore[rz]?|oublie[rz]?|ne tiens pas compte|ne tenez pas compte)\b[^.\n]{{0,30}}"
     rf"{_RULES}\s+(?:precedentes?|ci-dessus|anterieures?|initiales?|du systeme|habituelles?|"
     rf"recues?|de clos|de l'assistant)", "ordre d'ignorer les consignes"),
    (r"\b(?:reponds|repondez|reponds toujours|repondez toujours)\s+(?:uniquement\s+|seulement\s+|"
     r"simplement\s+)?(?:que|qu'|:)", "ordre dicté pour la réponse"),
    (r"\b(?:dis|dites|affirme|affirmez|annonce|annoncez|indique|indiquez|explique|expliquez)\s+"
     r"(?:a l'utilisateur|aux utilisateurs|a l'agent|aux agents|a la personne|au demandeur)",
     "ordre dicté pour la réponse"),
    (r"\b(?:tu es|vous etes|tu deviens)\s+(?:desormais|maintenant|a present|dorenavant)\b",
     "texte adressé à l'assistant"),
    (r"\b(?:note|message|instructions?|consignes?|information)\s+(?:importante?s?\s+)?"
     r"(?:pour|a|au|aux)\s+(?:l'|les\s+)?(?:assistant|ia\b|intelligence artificielle|modele|"
     r"robot|chatbot|agents? conversationnels?|llm)", "texte adressé à l'assistant"),
    (r"\b(?:si tu es|en tant qu')\s*(?:un\s+|une\s+)?(?:assistant|ia\b|intelligence artificielle|"
     r"modele de langage)", "texte adressé à l'assistant"),
    (r"\b(?:nouvelles?\s+(?:consignes|instructions)|new instructions|prompt systeme|"
     r"system prompt|message systeme)\b", "faux message système"),
    (r"(?:^|\n)\s*(?:system|systeme|assistant|ia|ai)\s*:|(?:\[|<|#{1,4}\s*|\*\*)\s*(?:system|systeme|"
     r"instructions?|assistant)\s*(?:\]|>|\*\*|:)", "faux message système"),
    (r"<\|?(?:im_start|im_end|system|start_of_turn|end_of_turn|endoftext)\|?>|\[/?inst\]|"
     r"\[system\]|<<sys>>", "faux message système"),
    (r"\b(?:saisi(?:r|ssez|s)|entre[rz]?|renseigne[rz]?|communique[rz]?|confirme[rz]?|"
     r"donne[rz]?|fourni(?:r|ssez|s)|indique[rz]?|tape[rz]?|verifie[rz]?)\s+(?:de\s+nouveau\s+)?"
     r"(?:votre|ton|vos|tes|leurs?|son|ses)\s+(?:\w+\s+)?(?:mot de passe|mots de passe|"
     r"identifiants?|code d'acces|code secret|login|mdp|informations de connexion)",
     "demande de mot de passe ou d'identifiants"),
    (r"\bmot de passe\b[^.\n]{0,80}(?:https?://|www\.|\blien\b|\bpage\b|\badresse\b)|"
     r"(?:https?://|www\.)[^.\n]{0,80}\bmot de passe\b", "demande de mot de passe ou d'identifiants"),
    # English
    (rf"\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+)?(?:the\s+|your\s+)?"
     rf"(?:previous|prior|above|earlier|preceding|former|system)?\s*(?:instructions?|rules|"
     rf"prompts?|directives?|guidelines)", "ordre d'ignorer les consignes"),
    (r"\b(?:you are now|from now on,? you|you must (?:now |always )?(?:answer|reply|say|respond|"
     r"tell)|as an ai\b|if you are an? (?:ai|assistant|language model))",
     "texte adressé à l'assistant"),
    (r"\b(?:answer|reply|respond|say)\s+(?:only\s+|always\s+)?(?:that|with)\b|"
     r"\btell (?:the )?(?:users?|agents?|readers?) (?:that|to)\b", "ordre dicté pour la réponse"),
    (r"\b(?:enter|type|confirm|provide|verify|submit)\s+(?:your|their)\s+(?:\w+\s+)?"
     r"(?:password|credentials|login)", "demande de mot de passe ou d'identifiants"),
]]


def find_instructions(text: str) -> list[tuple[int, int, str]]:
    """(start, end, reason) of each match in ``text`` (offsets into the folded text, which keeps
    the length of ``text`` for French and English letters), in order."""
    folded = _fold(text)
    if len(folded) != len(text):  # a ligature or a rare letter changed the length: no offsets
        return [(0, len(text), reason) for _, reason in
                sorted({(m.start(), r) for p, r in _PATTERNS for m in p.finditer(folded)})]
    found = sorted({(m.start(), m.end(), reason) for pattern, reason in _PATTERNS
                    for m in pattern.finditer(folded)})
    return found


def is_instruction(text: str) -> str | None:
    """The French reason ``text`` reads as an order to the assistant, or None."""
    found = find_instructions(text)
    return found[0][2] if found else None
