"""`make bench`: run every bench script in its own process (so one's memory and model cache do
not skew another's figures), print their tables and keep a Markdown summary."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ["bench_foundation.py", "bench_eval.py", "bench_tried.py", "bench_govern.py",
           "bench_impact.py", "bench_domain.py", "bench_reading.py", "bench_store.py",
           "bench_ingest_scale.py", "bench_kill.py", "bench_web.py", "bench_web_vectors.py",
           "bench_web_store.py"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller samples")
    parser.add_argument("--only", nargs="*", help="script names to run")
    args = parser.parse_args()
    summary, failed = [], []
    for script in SCRIPTS:
        if args.only and script not in args.only and script.removesuffix(".py") not in args.only:
            continue
        cmd = [sys.executable, str(HERE / script)] + (["--quick"] if args.quick else [])
        print(f"\n## {script}", flush=True)
        start = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
        print(proc.stdout, flush=True)
        summary.append(f"## {script} ({time.perf_counter() - start:.0f} s)\n{proc.stdout}")
        if proc.returncode:
            failed.append(script)
    out = HERE / "results" / "summary.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(summary))
    print(f"\n→ {out}")
    if failed:
        sys.exit(f"Échec : {', '.join(failed)}")


if __name__ == "__main__":
    main()
