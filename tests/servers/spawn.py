"""Start a real server process on loopback for a test, wait until it answers, stop it after."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running(args: list[str], port: int, *, ready_path: str = "/v1/models", timeout: float = 180,
            log: Path | None = None):
    """Run ``python args…`` until it answers GET ``ready_path`` on ``port``; yield its base URL
    (``http://127.0.0.1:port/v1``); terminate it on exit."""
    import httpx

    out = open(log, "w") if log else subprocess.DEVNULL
    proc = subprocess.Popen([sys.executable, *args], stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}: {args}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}{ready_path}", timeout=2).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not ready after {timeout} s: {args}")
            time.sleep(0.3)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if log:
            out.close()


def recorder(port: int, log: Path, *extra: str):
    """The recording OpenAI-compatible server (tests/servers/recorder.py)."""
    return running([str(HERE / "recorder.py"), "--port", str(port), "--log", str(log), *extra],
                   port, timeout=30)
