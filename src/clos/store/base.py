"""What both backends share outside SQL: driver errors translated into ``StoreError``."""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable

from clos.errors import StoreError

MESSAGE = "Erreur de la base de données : {exc}"


def guard_errors(cls: type, errors: type[BaseException] | tuple[type[BaseException], ...]) -> type:
    """Wrap every public method of ``cls`` (its own and its mixins') so that a driver error
    (``errors``) leaves as ``StoreError`` with a French message, the driver error chained.

    Called once on each backend class, after its definition: methods added to the class later
    in its body are covered too. ``StoreError`` raised on purpose passes through unchanged."""
    for name in dir(cls):
        if name.startswith("_"):
            continue
        attr = inspect.getattr_static(cls, name)
        if isinstance(attr, (staticmethod, classmethod, property)) or not callable(attr):
            continue
        setattr(cls, name, _guarded(attr, errors))
    return cls


def _guarded(fn: Callable[..., Any], errors: Any) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except errors as exc:
            raise StoreError(MESSAGE.format(exc=exc), detail=repr(exc)) from exc

    return wrapper
