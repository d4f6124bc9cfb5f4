"""The error tree of Clos.

    ClosError                 every error Clos raises on purpose; ``message`` is French, for the user
    ├── ConfigError           bad settings (file, environment, flags)
    ├── IngestError           a file that cannot be read or parsed; names the file
    ├── GovernanceError       personal-data detection or policy failures
    ├── StoreError            the database (SQLite today, PostgreSQL later)
    ├── ModelError            locating, assembling, verifying or loading a model
    │   └── GenerationError   the model failed while answering
    ├── RetrievalError        the index cannot answer a query
    ├── ImpactError           energy metering and CO2 accounting
    ├── AccessError           unknown or forbidden account, token or collection (web, API)
    └── BusyError             the shared model's queue is full (``retry_after`` seconds)

Third-party exceptions are translated at each boundary with ``raise X(...) from exc`` so the
technical cause stays in the traceback while the user reads one French sentence.
"""

from __future__ import annotations


class ClosError(Exception):
    """Base class: ``message`` is shown to the user, ``detail`` goes to logs."""

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail

    def __str__(self) -> str:
        return self.message


class ConfigError(ClosError):
    pass


class IngestError(ClosError):
    def __init__(self, path: object, reason: str, *, detail: str | None = None) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"Impossible de lire « {self.path} » : {reason}", detail=detail)


class GovernanceError(ClosError):
    pass


class StoreError(ClosError):
    pass


class ModelError(ClosError):
    pass


class GenerationError(ModelError):
    pass


class RetrievalError(ClosError):
    pass


class ImpactError(ClosError):
    pass


class AccessError(ClosError):
    """Login, token or permission refused. A collection the caller may not read is reported
    exactly like an absent one (« collection inconnue »), so its existence does not leak."""


class BusyError(ClosError):
    """The queue of the one model instance is full; try again after ``retry_after`` seconds."""

    def __init__(self, message: str, *, retry_after: int = 5, detail: str | None = None) -> None:
        super().__init__(message, detail=detail)
        self.retry_after = retry_after
