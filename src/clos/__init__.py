"""Clos: an offline, sourced document assistant for French local authorities."""

from __future__ import annotations

__version__ = "0.1.0"

from clos.errors import ClosError  # noqa: E402
from clos.settings import Settings  # noqa: E402

__all__ = ["ClosError", "Settings", "__version__"]
