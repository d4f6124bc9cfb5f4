"""Every string the CLI shows, French first, English available (CLOS_LANG=en)."""

from __future__ import annotations

import os

MESSAGES: dict[str, dict[str, str]] = {
    "fr": {
        "ingest.start": "Indexation de {n} fichier(s) dans la collection « {collection} »",
        "ingest.done": ("{indexed} indexé(s), {skipped} inchangé(s), {failed} en erreur, "
                        "{excluded} exclu(s), {removed} retiré(s) — {pages} page(s), "
                        "{chunks} extrait(s) en {duration:.1f} s"),
        "ingest.repeats": ("Passages répétés dans {blocks} bloc(s) communs à plusieurs documents "
                           "(préambules, formules) : {lines} ligne(s) dans {chunks} extrait(s), "
                           "gardées dans le texte, ignorées par la recherche par mots"),
        "ingest.errors": "Fichiers non lus :",
        "ingest.to_check": "Fichiers à vérifier ({n}) :",
        "ingest.status.indexed": "indexé",
        "ingest.status.partial": "lu en partie",
        "ingest.status.excluded": "exclu",
        "ingest.status.failed": "en erreur",
        "ingest.status.skipped": "inchangé",
        "ingest.progress": "Fichiers",
        "ingest.searchable": "Documents consultables (recherche par mots) ; calcul des vecteurs…",
        "ingest.vectors": "Vecteurs",
        "ask.sources": "Sources",
        "ask.verified": "Réponse vérifiée (chaque fait retrouvé dans sa source) :",
        "ask.to_check": "À vérifier (certains faits n'ont pas été retrouvés dans les sources) :",
        "ask.missing": "⚠ Faits non retrouvés dans les passages cités : {facts}",
        "ask.key_passage": "Passage clé",
        "ask.extractive": "Passage clé (mode extractif : cité tel quel, sans modèle)",
        "ask.reason": "Raison : {reason}",
        "ask.closest": "Les passages les plus proches :",
        "ask.unsupported": "⚠ Phrase(s) non étayée(s) par les extraits : {which}",
        "ask.refused_after": "(réponse du modèle retirée : elle n'est pas étayée par les documents)",
        "ask.page": "page",
        "models.title": "Modèles",
        "models.name": "Nom", "models.size": "Taille", "models.status": "Somme de contrôle",
        "models.where": "Emplacement", "models.desc": "Description",
        "doctor.title": "État de Clos",
        "doctor.ok": "prêt", "doctor.ko": "à faire",
        "error": "Erreur : {message}",
    },
    "en": {
        "ingest.start": "Indexing {n} file(s) into collection “{collection}”",
        "ingest.done": ("{indexed} indexed, {skipped} unchanged, {failed} failed, {excluded} "
                        "excluded, {removed} removed — {pages} page(s), {chunks} chunk(s) in "
                        "{duration:.1f} s"),
        "ingest.repeats": ("Passages repeated in {blocks} block(s) shared by several documents "
                           "(preambles, formulas): {lines} line(s) in {chunks} chunk(s), kept in "
                           "the text, ignored by word search"),
        "ingest.errors": "Files not read:",
        "ingest.to_check": "Files to check ({n}):",
        "ingest.status.indexed": "indexed",
        "ingest.status.partial": "partly read",
        "ingest.status.excluded": "excluded",
        "ingest.status.failed": "failed",
        "ingest.status.skipped": "unchanged",
        "ingest.progress": "Files",
        "ingest.searchable": "Documents searchable (by words); computing vectors…",
        "ingest.vectors": "Vectors",
        "ask.sources": "Sources",
        "ask.verified": "Verified answer (each fact found in its source):",
        "ask.to_check": "To be checked (some facts were not found in the sources):",
        "ask.missing": "⚠ Facts not found in the cited passages: {facts}",
        "ask.key_passage": "Key passage",
        "ask.extractive": "Key passage (extractive mode: quoted as is, no model)",
        "ask.reason": "Reason: {reason}",
        "ask.closest": "The closest passages:",
        "ask.unsupported": "⚠ Sentence(s) not supported by the excerpts: {which}",
        "ask.refused_after": "(model answer withdrawn: not supported by the documents)",
        "ask.page": "page",
        "models.title": "Models",
        "models.name": "Name", "models.size": "Size", "models.status": "Checksum",
        "models.where": "Location", "models.desc": "Description",
        "doctor.title": "Clos status",
        "doctor.ok": "ready", "doctor.ko": "to do",
        "error": "Error: {message}",
    },
}


def t(key: str, **values: object) -> str:
    lang = os.environ.get("CLOS_LANG", "fr")
    table = MESSAGES.get(lang, MESSAGES["fr"])
    return table.get(key, MESSAGES["fr"][key]).format(**values)
