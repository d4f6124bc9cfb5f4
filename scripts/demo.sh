#!/usr/bin/env bash
# The demo: index the Montpellier deliberations and the Etalab guides, then ask one question the
# documents answer and one they cannot.
set -euo pipefail
DATA=${1:-data/demo}
SHARED=${CLOS_SHARED_DIR:-../shared}
export CLOS_DATA_DIR=$DATA
CLOS=.venv/bin/clos
if [ ! -d "$SHARED/corpus" ]; then
  echo "Le dossier partagé $SHARED/corpus est introuvable (variable CLOS_SHARED_DIR)." >&2
  exit 1
fi
echo "== Indexation des délibérations de Montpellier et des guides Etalab"
$CLOS ingest "$SHARED/corpus/deliberations-montpellier/pdf" "$SHARED/corpus/guides-etalab" \
  --collection demo
echo
Q1="Quel est le montant forfaitaire remboursé par repas aux agents de la Ville de Montpellier en déplacement ?"
echo "== Question 1 : $Q1"
$CLOS ask "$Q1" --collection demo
echo
Q2="Quel est le tarif d'un abonnement annuel au réseau de tramway de Lyon pour un étudiant ?"
echo "== Question 2 : $Q2"
$CLOS ask "$Q2" --collection demo
echo
echo "== Dans le navigateur : « make serve » démarre Clos sur ces données, puis ouvrez http://127.0.0.1:8000"
echo "   (comptes : « .venv/bin/clos user add NOM --group GROUPE » ; voir le README)."
