"""Clos: an offline, sourced document assistant for French local authorities."""

from __future__ import annotations

import os

# numpy's OpenBLAS keeps its threads spinning for ≈ 0.1 s after each product (2^28 cycles by
# default). After the dense product of a search they took both cores from SQLite and the query
# embedding of the next one: on 100k chunks, hybrid search p50 65 → 50 ms, p95 105 → 74 ms with
# 2^4. It must be set before numpy is first imported; a value chosen by the user wins.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

__version__ = "0.1.0"

from clos.errors import ClosError  # noqa: E402
from clos.settings import Settings  # noqa: E402

__all__ = ["ClosError", "Settings", "__version__"]
