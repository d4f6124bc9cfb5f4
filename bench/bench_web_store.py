"""`clos serve` on a SQLite index against the same server on PostgreSQL (127.0.0.1:5432, a
scratch schema): every request reads the caller's account and rights from the store, so this
is what the accounts cost on each. Both servers are tests/webserver.py's (users, groups, two
collections), started one after the other in this script on the same machine:

- API: ``GET /api/collections`` with a Bearer token (token → user → rights);
- page: ``GET /discuter`` with a session cookie (user → rights → conversation);
- login: ``POST /connexion`` (Argon2id check, audit entry written).

    python bench/bench_web_store.py [--requests 200]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from common import percentile, table, write  # noqa: E402

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        r = fn()
        out.append(time.perf_counter() - t)
        assert r.status_code in (200, 303), r.status_code
    return out


def measure(data: Path, n: int, **env: str) -> dict[str, list[float]]:
    from webserver import PASSWORD, start

    srv = start(data, **env)
    try:
        token = {"Authorization": f"Bearer {srv.tokens['agent']}"}
        with httpx.Client(base_url=srv.url, timeout=60) as c:
            api = timed(lambda: c.get("/api/collections", headers=token), n)
            login = timed(lambda: c.post("/connexion", data={"name": "agent",
                                                             "password": PASSWORD}), max(n // 10, 5))
            page = timed(lambda: c.get("/discuter?collection=rh"), n)
        return {"api": api, "page": page, "login": login}
    finally:
        srv.stop()


def main() -> None:
    from clos.store.pg_connection import scratch_schema

    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        lite = measure(Path(tmp) / "sqlite", args.requests)
        with scratch_schema(PG_URL, prefix="clos_bench") as url:
            pg = measure(Path(tmp) / "pg", args.requests, CLOS_STORE=url)
    rows, out = [], {}
    for kind in ("api", "page", "login"):
        figures = {}
        for name, runs in (("sqlite", lite[kind]), ("postgresql", pg[kind])):
            figures[name] = {"p50_ms": 1000 * percentile(runs, 0.5),
                             "p95_ms": 1000 * percentile(runs, 0.95), "n": len(runs)}
        figures["ratio_p50"] = figures["postgresql"]["p50_ms"] / figures["sqlite"]["p50_ms"]
        figures["ratio_p95"] = figures["postgresql"]["p95_ms"] / figures["sqlite"]["p95_ms"]
        out[kind] = figures
        rows.append([kind, figures["sqlite"]["p50_ms"], figures["sqlite"]["p95_ms"],
                     figures["postgresql"]["p50_ms"], figures["postgresql"]["p95_ms"],
                     figures["ratio_p50"], figures["ratio_p95"]])
    table("clos serve : SQLite / PostgreSQL (ms)",
          ["requête", "SQLite p50", "SQLite p95", "PG p50", "PG p95", "×p50", "×p95"], rows)
    write("web_store", out)


if __name__ == "__main__":
    main()
