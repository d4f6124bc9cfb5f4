#!/usr/bin/env bash
# System side of Clos's set-up, idempotent: Debian packages for OCR (Tesseract + French data) and
# for the browser tests (Chromium + its driver), and a running PostgreSQL on 127.0.0.1:5432 for
# the store contract tests, with the pgvector extension (scripts/install_pgvector.sh). Run as root (CI and the project's machines are); elsewhere it says
# what is missing and goes on, and the tests that need it skip with a message.
set -uo pipefail

PACKAGES=(tesseract-ocr tesseract-ocr-fra chromium chromium-driver)

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== Paquets système : ${missing[*]}"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Paquets système absents (installez-les) : ${missing[*]}" >&2
  fi
fi

# PostgreSQL: the machines start it before each session; start it again if it stopped.
if command -v pg_isready >/dev/null; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    cluster=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
    if [ -n "$cluster" ]; then
      echo "== Démarrage de PostgreSQL $cluster"
      pg_ctlcluster --skip-systemctl-redirect "$cluster" main start || true
      for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
    fi
  fi
  pg_isready -h 127.0.0.1 -p 5432 || echo "PostgreSQL ne répond pas sur 127.0.0.1:5432." >&2
  # pgvector (vendored, built here: Debian's package is not in bookworm's sources); never fatal.
  if pg_isready -q -h 127.0.0.1 -p 5432; then
    bash "$(dirname "$0")/install_pgvector.sh"
  fi
fi
exit 0
