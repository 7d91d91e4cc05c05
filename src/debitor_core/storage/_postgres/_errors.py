"""psycopg's and psycopg_pool's exceptions, translated into debitor-core's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import psycopg
import psycopg_pool
from psycopg import errors

from debitor_core._errors import (
    AlreadyExists,
    CommitOutcomeUnknown,
    CorruptStore,
    DebitorError,
    StorageError,
    StoreLocked,
)
from debitor_core._i18n import render_message

__all__ = ["commit_failed", "lost_connection", "translate"]

_LOST: Final = frozenset({"57P01", "57P02", "57P03"})
"""Server shut down, crashed, or starting: the connection is gone with it."""

_ROLLED_BACK: Final = ("23", "25", "40", "42")
"""SQLSTATE classes that a failed COMMIT answers with only when it did not commit."""


def lost_connection(exc: BaseException) -> bool:
    """Whether ``exc`` means that the connection to the server is gone."""
    if not isinstance(exc, psycopg.OperationalError):
        return False
    state = exc.sqlstate
    return state is None or state.startswith("08") or state in _LOST


def _state_class(prefix: str) -> Callable[[BaseException], bool]:
    return lambda exc: (getattr(exc, "sqlstate", None) or "").startswith(prefix)


def _kind(*classes: type[BaseException]) -> Callable[[BaseException], bool]:
    return lambda exc: isinstance(exc, classes)


_RULES: Final[tuple[tuple[Callable[[BaseException], bool], type[StorageError], str], ...]] = (
    (_kind(psycopg_pool.PoolTimeout), StorageError, "storage.unavailable/pool"),
    (_kind(psycopg_pool.PoolClosed), StorageError, "storage.closed/pool"),
    (_kind(errors.LockNotAvailable), StoreLocked, "storage.locked/lock_timeout"),
    (
        _kind(errors.SerializationFailure, errors.DeadlockDetected),
        StoreLocked,
        "storage.locked/conflict",
    ),
    (_kind(errors.QueryCanceled), StorageError, "storage.cancelled"),
    (_kind(errors.UndefinedTable, errors.UndefinedColumn), CorruptStore, "storage.corrupt/tables"),
    (_kind(errors.ReadOnlySqlTransaction), StorageError, "storage.read_only"),
    (_kind(errors.InsufficientPrivilege), StorageError, "storage.forbidden"),
    (_state_class("53"), StorageError, "storage.resources"),
    (lost_connection, StorageError, "storage.connection_lost"),
)
"""The first rule whose test matches an exception says which error it becomes, and its
message (``code/rule`` in the catalogs)."""

_BOOK: Final = "the book "
"""How the store names its book (``the book 'shop-1'``): the messages say the rest."""


def _error(error: type[StorageError], key: str, book: str, params: dict[str, Any]) -> StorageError:
    """The error with the English sentence of ``key`` (``code`` or ``code/rule``)."""
    code, _, rule = key.partition("/")
    params = {"book": book.removeprefix(_BOOK), **params}
    if rule:
        params["rule"] = rule
    return error(render_message(code, params), code=code, params=params)


def translate(exc: BaseException, book: str) -> DebitorError:
    """Return the debitor-core error for a psycopg or psycopg_pool exception.

    Args:
        exc: What psycopg raised.
        book: How to name the book in the message (``the book 'shop-1'``); the
            error's ``book`` parameter is what follows ``the book`` (``'shop-1'``).

    Returns:
        The error to raise ``from exc``: a sentence saying what happened and what to do.
    """
    text = " ".join(str(exc).split())
    detail = text or type(exc).__name__
    if isinstance(exc, errors.UniqueViolation):
        params = {"book": book.removeprefix(_BOOK), "reason": detail}
        return AlreadyExists.coded("storage.duplicate", params)
    for matches, error, key in _RULES:
        if matches(exc):
            return _error(error, key, book, {"reason": detail})
    return _error(
        StorageError, "storage.failed", book, {"error": type(exc).__name__, "reason": detail}
    )


def commit_failed(exc: psycopg.Error, book: str, revision: int) -> DebitorError:
    """Return the error for a COMMIT that raised ``exc``.

    A server that answers a COMMIT with an integrity, state or rollback error did not
    commit; anything else (above all a lost connection) leaves the outcome unknown.
    """
    state = exc.sqlstate or ""
    if state.startswith(_ROLLED_BACK):
        return translate(exc, book)
    return _error(CommitOutcomeUnknown, "storage.commit_unknown", book, {"revision": revision})
