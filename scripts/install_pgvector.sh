#!/usr/bin/env bash
# Installs the pgvector extension (vendored in third_party/pgvector) into the local PostgreSQL,
# so the PostgreSQL store ranks vectors in SQL (clos.store.pg_vectors). Idempotent and quiet:
# nothing to do when the server already offers the extension. Never fatal: when it cannot build,
# it says so in French and exits 0 — the store then keeps its float32 bytea vectors searched in
# numpy. Run as root (CI and the project's machines are).
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
src="$here/third_party/pgvector"
psql_q() { psql -h 127.0.0.1 -p 5432 -U "${PGUSER:-postgres}" -d postgres -tAqc "$1" 2>/dev/null; }
warn() { echo "Avertissement : pgvector non installé ($1) ; le stockage PostgreSQL garde ses vecteurs en bytea, recherchés en numpy." >&2; exit 0; }

command -v psql >/dev/null || warn "psql absent"
available=$(psql_q "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
[ "$available" = 1 ] && exit 0
[ -f "$src/vector.control" ] || warn "sources absentes de $src"

version=$(psql_q "SHOW server_version_num")
major=${version:0:2}
[ -n "$major" ] || warn "PostgreSQL ne répond pas sur 127.0.0.1:5432"
pg_config="/usr/lib/postgresql/$major/bin/pg_config"
if [ ! -x "$pg_config" ] || [ ! -f "/usr/include/postgresql/$major/server/pg_config.h" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -q >/dev/null 2>&1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      "postgresql-server-dev-$major" make gcc >/dev/null 2>&1 \
      || warn "paquet postgresql-server-dev-$major non installable"
  else
    warn "postgresql-server-dev-$major absent (installez-le en root)"
  fi
fi
[ -x "$pg_config" ] || warn "pg_config absent"

# Built in a scratch copy: the vendored tree stays clean.
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
cp -r "$src/." "$build/"
if ! make -C "$build" PG_CONFIG="$pg_config" OPTFLAGS="" >"$build/build.log" 2>&1; then
  tail -n 5 "$build/build.log" >&2
  warn "échec de la compilation"
fi
make -C "$build" PG_CONFIG="$pg_config" OPTFLAGS="" install >>"$build/build.log" 2>&1 \
  || warn "échec de l'installation"
available=$(psql_q "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
[ "$available" = 1 ] || warn "extension installée mais invisible du serveur"
echo "== pgvector $(sed -n "s/^default_version = '\(.*\)'/\1/p" "$src/vector.control") installé"
exit 0
