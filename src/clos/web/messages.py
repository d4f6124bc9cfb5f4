"""Every string the web pages and API errors show, French first, English available
(cookie ``lang`` or ``Settings.lang``)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "fr": {
        "app": "Clos", "tagline": "Assistant documentaire hors ligne et sourcé",
        "skip": "Aller au contenu",
        "nav": "Navigation principale", "nav.chat": "Discuter", "nav.documents": "Documents",
        "nav.report": "Rapport", "nav.impact": "Sobriété", "nav.audit": "Journal",
        "nav.reveal": "Pseudonymes",
        "reveal.title": "Lever des pseudonymes",
        "reveal.intro": "Les noms et coordonnées pseudonymisés dans l'index ([PERSONNE_1]…) sont "
                        "conservés chiffrés, à part. Leur levée est réservée aux "
                        "administrateurs et chaque levée est inscrite au journal d'audit, avec "
                        "son motif.",
        "reveal.reason": "Motif de la levée (inscrit au journal)",
        "reveal.submit": "Lever les pseudonymes de cette collection",
        "reveal.done": "Levée inscrite au journal : {n} pseudonyme(s) affiché(s).",
        "reveal.placeholder": "Pseudonyme", "reveal.type": "Type",
        "reveal.original": "Valeur d'origine", "reveal.created": "Créé le",
        "logout": "Se déconnecter", "logged_as": "Connecté : {user}", "local_mode":
        "Mode local (aucun compte) : accessible depuis cette machine seulement.",
        "lang.other": "English", "lang.other.code": "en",
        "login.title": "Connexion", "login.user": "Nom du compte", "login.password": "Mot de passe",
        "login.submit": "Se connecter", "login.failed": "Nom de compte ou mot de passe incorrect.",
        "chat.title": "Discuter avec vos documents", "chat.collection": "Collection",
        "chat.question": "Votre question", "chat.ask": "Demander",
        "chat.hint": "Clos répond uniquement à partir des documents de la collection, cite ses "
                     "sources, et le dit quand les documents ne contiennent pas la réponse.",
        "chat.none": "Aucune collection ne vous est accessible. Demandez l'accès à un "
                     "administrateur ou téléversez des documents.",
        "chat.empty": "Aucune question posée dans cette collection pour l'instant.",
        "chat.draft": "Brouillon du modèle (non vérifié)", "chat.queue":
        "En file d'attente : position {n}.", "chat.running": "Le modèle rédige la réponse…",
        "chat.checking": "Vérification de la réponse…",
        "answer.question": "Question", "answer.verified": "Réponse vérifiée",
        "answer.partial": "Réponse partiellement étayée",
        "answer.refused": "Refus : les documents ne permettent pas de répondre",
        "answer.unsupported": "Non étayé par les documents",
        "answer.key": "Passage clé", "answer.sources": "Sources", "answer.page": "page",
        "answer.how": "Comment cette réponse a été produite", "answer.closest":
        "Passages les plus proches (à juger vous-même)",
        "answer.open": "Voir le passage dans le document",
        "source.title": "Passage cité", "source.page": "Page {page}",
        "source.moved": "Le passage commence page {cited} et se trouve page {page}.",
        "source.highlight": "Texte surligné sur cette page",
        "source.notfound": "Le passage cité n'a pas été retrouvé tel quel sur la page : voici "
                           "le texte de la page.",
        "source.alt": "Page {page} de « {title} », passage cité surligné",
        "source.back": "Retour à la conversation",
        "source.hidden": "{n} donnée(s) personnelle(s) masquée(s) sur cette page "
                         "(pseudonymisée(s) dans l'index).",
        "source.reveal": "Afficher la page sans masque (levée des pseudonymes, journalisée)",
        "source.revealed": "Page affichée sans masque : cette levée est inscrite au journal.",
        "source.withheld": "Page numérisée contenant des données personnelles : son image "
                           "n'est pas affichée, voici le texte indexé (pseudonymisé).",
        "error.csrf": "Jeton de sécurité absent ou périmé : rechargez la page puis recommencez.",
        "trace.title": "Comment cette réponse a été produite",
        "trace.absent": "Le détail pas à pas n'a pas été enregistré pour cette réponse : "
                        "seuls la question, la réponse, ses sources et sa mesure sont connus.",
        "docs.title": "Documents", "docs.upload": "Téléverser des fichiers",
        "docs.files": "Fichiers", "docs.send": "Téléverser et indexer",
        "docs.limit": "{mb} Mo au plus par fichier. Formats acceptés : {types}.",
        "docs.reindex": "Réindexer la collection", "docs.delete": "Supprimer",
        "docs.none": "Aucun document dans cette collection.",
        "docs.new": "Nouvelle collection", "docs.create": "Créer",
        "docs.name": "Nom de la collection",
        "docs.col.name": "Fichier", "docs.col.format": "Format", "docs.col.pages": "Pages",
        "docs.col.chunks": "Extraits", "docs.col.decision": "Décision",
        "docs.col.flags": "Signalements", "docs.col.actions": "Actions",
        "docs.indexed": "{n} fichier(s) indexé(s).", "docs.deleted": "« {name} » supprimé.",
        "docs.errors": "Fichiers refusés :",
        "docs.lastrun": "Dernière indexation ({when} UTC) : {seen} fichier(s) vu(s), {indexed} "
                        "indexé(s), {skipped} inchangé(s), {failed} en erreur, {removed} retiré(s).",
        "report.title": "Rapport sur le corpus", "impact.title": "Sobriété",
        "audit.title": "Journal d'audit", "audit.when": "Date (UTC)", "audit.who": "Compte",
        "audit.what": "Action", "audit.collection": "Collection", "audit.detail": "Détail",
        "error.title": "Erreur", "error.404": "Page introuvable.",
        "error.login": "Connectez-vous pour continuer.",
        "error.token": "Jeton d'API absent ou invalide.",
        "busy": "Clos est occupé. Réessayez dans {s} s.",
        "yes": "oui", "no": "non",
        "docs.vectors": "Recherche par le sens : {done} extrait(s) sur {total} ont leur vecteur.",
        "docs.vectors.pending": "Les autres sont calculés en arrière-plan ; en attendant, ces "
                                "documents sont trouvés par leurs mots.",
        "about.title": "À propos",
        "about.intro": "Clos répond à partir des documents de vos collections, sur cette "
                       "machine. La posture choisie par la collectivité face à l'IA fixe ce "
                       "qu'il a le droit de faire.",
        "posture.footer": "Posture face à l'IA :",
        "posture.forbids.count": "{n} interdiction(s)",
        "posture.title": "Posture de la collectivité face à l'IA",
        "posture.forbids": "Ce qu'elle interdit",
        "posture.nothing": "Cette posture n'interdit rien : tout reste journalisé et mesuré.",
        "posture.servers": "Serveurs de modèle ou d'embeddings",
        "posture.local": "Aucun : les modèles tournent sur cette machine, rien n'en sort.",
        "posture.allowed": "autorisé par la posture", "posture.refused": "refusé par la posture",
    },
    "en": {
        "app": "Clos", "tagline": "Offline document assistant with sources",
        "skip": "Skip to content",
        "nav": "Main navigation", "nav.chat": "Chat", "nav.documents": "Documents",
        "nav.report": "Report", "nav.impact": "Sobriety", "nav.audit": "Audit log",
        "nav.reveal": "Pseudonyms",
        "reveal.title": "Reveal pseudonyms",
        "reveal.intro": "Names and contact details pseudonymised in the index ([PERSONNE_1]…) are "
                        "kept encrypted, apart. Only administrators may reveal them and each "
                        "reveal is written to the audit log, with its reason.",
        "reveal.reason": "Reason for the reveal (written to the log)",
        "reveal.submit": "Reveal this collection's pseudonyms",
        "reveal.done": "Reveal logged: {n} pseudonym(s) shown.",
        "reveal.placeholder": "Pseudonym", "reveal.type": "Type",
        "reveal.original": "Original value", "reveal.created": "Created",
        "logout": "Log out", "logged_as": "Logged in: {user}", "local_mode":
        "Local mode (no account): reachable from this machine only.",
        "lang.other": "Français", "lang.other.code": "fr",
        "login.title": "Log in", "login.user": "Account name", "login.password": "Password",
        "login.submit": "Log in", "login.failed": "Wrong account name or password.",
        "chat.title": "Chat with your documents", "chat.collection": "Collection",
        "chat.question": "Your question", "chat.ask": "Ask",
        "chat.hint": "Clos answers only from the collection's documents, cites its sources, "
                     "and says so when the documents do not hold the answer.",
        "chat.none": "No collection is open to you. Ask an administrator for access or upload "
                     "documents.",
        "chat.empty": "No question asked in this collection yet.",
        "chat.draft": "Model draft (not checked)", "chat.queue": "Queued: position {n}.",
        "chat.running": "The model is writing…", "chat.checking": "Checking the answer…",
        "answer.question": "Question", "answer.verified": "Verified answer",
        "answer.partial": "Partly supported answer",
        "answer.refused": "Refusal: the documents do not answer this",
        "answer.unsupported": "Not supported by the documents",
        "answer.key": "Key passage", "answer.sources": "Sources", "answer.page": "page",
        "answer.how": "How this answer was produced",
        "answer.closest": "Closest passages (judge for yourself)",
        "answer.open": "Open the passage in the document",
        "source.title": "Cited passage", "source.page": "Page {page}",
        "source.moved": "The passage starts on page {cited} and stands on page {page}.",
        "source.highlight": "Highlighted text on this page",
        "source.notfound": "The quote was not found as is on the page: here is the page's text.",
        "source.alt": "Page {page} of “{title}”, cited passage highlighted",
        "source.back": "Back to the conversation",
        "source.hidden": "{n} personal data item(s) hidden on this page (pseudonymised in the "
                         "index).",
        "source.reveal": "Show the page unmasked (pseudonyms revealed, logged)",
        "source.revealed": "Page shown unmasked: this reveal is written to the audit log.",
        "source.withheld": "Scanned page holding personal data: its image is not shown; here "
                           "is the indexed (pseudonymised) text.",
        "error.csrf": "Missing or expired security token: reload the page and try again.",
        "trace.title": "How this answer was produced",
        "trace.absent": "The step-by-step detail was not recorded for this answer: only the "
                        "question, the answer, its sources and its measure are known.",
        "docs.title": "Documents", "docs.upload": "Upload files", "docs.files": "Files",
        "docs.send": "Upload and index",
        "docs.limit": "At most {mb} MB per file. Accepted formats: {types}.",
        "docs.reindex": "Re-index the collection", "docs.delete": "Delete",
        "docs.none": "No document in this collection.",
        "docs.new": "New collection", "docs.create": "Create", "docs.name": "Collection name",
        "docs.col.name": "File", "docs.col.format": "Format", "docs.col.pages": "Pages",
        "docs.col.chunks": "Chunks", "docs.col.decision": "Decision",
        "docs.col.flags": "Flags", "docs.col.actions": "Actions",
        "docs.indexed": "{n} file(s) indexed.", "docs.deleted": "“{name}” deleted.",
        "docs.errors": "Files refused:",
        "docs.lastrun": "Last indexing ({when} UTC): {seen} file(s) seen, {indexed} indexed, "
                        "{skipped} unchanged, {failed} failed, {removed} removed.",
        "report.title": "Corpus report", "impact.title": "Sobriety",
        "audit.title": "Audit log", "audit.when": "Date (UTC)", "audit.who": "Account",
        "audit.what": "Action", "audit.collection": "Collection", "audit.detail": "Detail",
        "error.title": "Error", "error.404": "Page not found.",
        "error.login": "Log in to continue.", "error.token": "Missing or invalid API token.",
        "busy": "Clos is busy. Try again in {s} s.",
        "yes": "yes", "no": "no",
        "docs.vectors": "Search by meaning: {done} of {total} chunk(s) have their vector.",
        "docs.vectors.pending": "The others are being computed in the background; meanwhile "
                                "these documents are found by their words.",
        "about.title": "About",
        "about.intro": "Clos answers from your collections' documents, on this machine. The "
                       "posture your organisation chose towards AI sets what it may do "
                       "(described in French below).",
        "posture.footer": "AI posture:",
        "posture.forbids.count": "{n} prohibition(s)",
        "posture.title": "The organisation's posture towards AI",
        "posture.forbids": "What it forbids",
        "posture.nothing": "This posture forbids nothing: everything is still logged and "
                           "measured.",
        "posture.servers": "Model or embedding servers",
        "posture.local": "None: the models run on this machine, nothing leaves it.",
        "posture.allowed": "allowed by the posture", "posture.refused": "refused by the posture",
    },
}


def t(key: str, lang: str = "fr", **values: object) -> str:
    """The message ``key`` in ``lang`` (French when missing), formatted with ``values``."""
    table = MESSAGES.get(lang, MESSAGES["fr"])
    text = table.get(key, MESSAGES["fr"].get(key, key))
    return text.format(**values) if values else text
