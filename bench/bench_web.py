"""`clos serve` measured on loopback: time to the first streamed token through the web (SSE, as
the browser receives it) against `clos ask` on the same question, and how many concurrent
clients one instance serves with no failed request beyond explicit « occupé » answers (HTTP 503
with Retry-After), with p50/p95 latency. The server is a real `clos serve` process.

    python bench/bench_web.py [--quick] [--budget SECONDS]

--quick: one PDF, answers cut to 24 tokens, 2 SSE runs, a queue of 4 places and load levels 2
and 8 (so the busy answer is exercised too; ≈ 5 min on 2 idle cores).
--budget: the load run is bounded in time: a load level is started only when the time it is
expected to take (the previous level's wall time, scaled by its number of clients) fits in
what is left, and `clos ask` is run again only within the budget's first quarter; the levels
left out are listed in the results. Results: bench_web.json (quick) or bench_web_full.json.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, SHARED, percentile, table, write  # noqa: E402

QUESTION = ("Quel est le montant forfaitaire remboursé par repas aux agents de la Ville de "
            "Montpellier en déplacement ?")
PDFS = SHARED / "corpus" / "deliberations-montpellier" / "pdf"


def env_for(data: Path, max_tokens: int, queue: int) -> dict[str, str]:
    return {**os.environ, "CLOS_DATA_DIR": str(data), "CLOS_EMBEDDER": "off",
            "CLOS_MODEL": os.environ.get("CLOS_MODEL", "gemma3-270m"),
            "CLOS_MAX_TOKENS": str(max_tokens), "CLOS_SERVE_QUEUE_MAX": str(queue),
            "PYTHONPATH": str(ROOT / "src")}


def clos(env: dict, *args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "clos", *args], env=env, check=True,
                          capture_output=True, text=True, **kw)


def cli_ttft(env: dict) -> tuple[float, float]:
    """(seconds to the first streamed character, total) of `clos ask`, a fresh process as a
    user runs it (Python start, model load, retrieval, prompt)."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "clos", "ask", QUESTION, "-c", "bench"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    first = proc.stdout.read(1) and time.perf_counter() - start
    proc.communicate()
    return first, time.perf_counter() - start


def sse_ttft(url: str, token: str) -> tuple[float, float, str]:
    """(first token, answer event, status) of one question through POST /api/ask (SSE)."""
    start, first = time.perf_counter(), None
    with httpx.stream("POST", url + "/api/ask", json={"question": QUESTION,
                                                      "collection": "bench", "stream": True},
                      headers={"Authorization": f"Bearer {token}"}, timeout=900) as r:
        if r.status_code != 200:
            return float("nan"), float("nan"), str(r.status_code)
        event = None
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "token" and first is None:
                first = time.perf_counter() - start
            elif line.startswith("data: ") and event == "answer":
                return first or float("nan"), time.perf_counter() - start, "200"
    return first or float("nan"), time.perf_counter() - start, "incomplete"


def load(url: str, tokens: list[str], clients: int) -> dict:
    """``clients`` users ask at once (one question each, non-streaming JSON)."""
    results: list[tuple[int, float]] = []
    lock = threading.Lock()

    def one(token: str) -> None:
        start = time.perf_counter()
        try:
            r = httpx.post(url + "/api/ask", json={"question": QUESTION, "collection": "bench"},
                           headers={"Authorization": f"Bearer {token}"}, timeout=1800)
            code = r.status_code
            if code == 503:
                assert int(r.headers["retry-after"]) >= 1 and "occupé" in r.json()["detail"]
        except Exception:  # noqa: BLE001 - counted as a failure
            code = -1
        with lock:
            results.append((code, time.perf_counter() - start))

    threads = [threading.Thread(target=one, args=(tokens[i],)) for i in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = [s for c, s in results if c == 200]
    return {"clients": clients, "ok": len(ok), "busy": sum(c == 503 for c, _ in results),
            "failed": sum(c not in (200, 503) for c, _ in results),
            "p50_s": percentile(ok, 0.5), "p95_s": percentile(ok, 0.95),
            "wall_s": time.perf_counter() - start}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--budget", type=float, default=None,
                        help="seconds for the whole run (load levels that would not fit are "
                             "skipped)")
    args = parser.parse_args()
    began = time.perf_counter()
    levels = [2, 8] if args.quick else [1, 4, 8, 16, 24]
    max_tokens = 24 if args.quick else 320
    queue = 4 if args.quick else 16
    data = Path(tempfile.mkdtemp(prefix="clos-bench-web-"))
    env = env_for(data, max_tokens, queue)
    files = [PDFS / "2014-04-24-0000071251.pdf"] if args.quick else sorted(PDFS.glob("*.pdf"))[:20]
    clos(env, "ingest", *map(str, files), "-c", "bench")
    # Accounts: one user per client (the queue is fair per user; a shared user would hit its
    # own per-user limit first).
    sys.path.insert(0, str(ROOT / "src"))
    from clos.accounts import Accounts
    from clos.settings import Settings
    from clos.store import open_store

    store = open_store(Settings.load(flags={"data_dir": str(data)}))
    acc = Accounts(store)
    tokens = []
    for i in range(max(levels)):
        acc.add_user(f"u{i}", "mot-de-passe-bench", ["bench"])
        tokens.append(acc.new_token(f"u{i}"))
    acc.grant("bench", "bench", read=True)
    store.close()

    cli = []
    for _ in range(1 if args.quick else 3):  # with a budget: more runs only in its first quarter
        if cli and args.budget and time.perf_counter() - began > args.budget / 4:
            break
        cli.append(cli_ttft(env))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "clos", "serve", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(url + "/connexion", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        sse = [sse_ttft(url, tokens[0]) for _ in range(2 if args.quick else 5)]
        loads, skipped = [], []
        for n in levels:
            left = args.budget - (time.perf_counter() - began) if args.budget else float("inf")
            # A level's wall time grows with its clients (one model serves them in turn).
            expected = loads[-1]["wall_s"] * n / loads[-1]["clients"] if loads else 0.0
            if expected > left or left <= 0:
                skipped.append(n)
                continue
            loads.append(load(url, tokens, n))
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:  # a model call still running
            server.kill()
            server.wait()
    cli_first = percentile([c[0] for c in cli], 0.5)
    warm = [s for s in sse[1:] if s[2] == "200"] or sse  # the first loads the model
    sse_first = percentile([s[0] for s in warm], 0.5)
    rows = [["clos ask (new process)", cli_first, percentile([c[1] for c in cli], 0.5), 1.0],
            ["SSE, first (model loading)", sse[0][0], sse[0][1], sse[0][0] / cli_first],
            ["SSE, warm (median)", sse_first, percentile([s[1] for s in warm], 0.5),
             sse_first / cli_first]]
    t1 = table("Time to first token (s)", ["path", "first token", "answer", "ratio to clos ask"],
               rows)
    t2 = table(f"Concurrent clients, one instance (queue {queue}, 3 per user)",
               ["clients", "answered", "busy (503)", "failed", "p50 s", "p95 s", "wall s"],
               [[r["clients"], r["ok"], r["busy"], r["failed"], r["p50_s"], r["p95_s"],
                 r["wall_s"]] for r in loads])
    write("bench_web" if args.quick else "bench_web_full", {
        "quick": args.quick, "max_tokens": max_tokens, "queue": queue, "budget_s": args.budget,
        "elapsed_s": time.perf_counter() - began, "cli": cli, "sse": sse, "load": loads,
        "skipped_levels": skipped, "tables": [t1, t2]})
    served = [r["clients"] for r in loads if r["failed"] == 0]
    print(f"\nNo failed request up to {max(served) if served else 0} concurrent clients "
          "(beyond explicit busy answers).")


if __name__ == "__main__":
    main()
