"""psycopg's and psycopg_pool's exceptions, translated into debitor-core's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

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


_RULES: Final[tuple[tuple[Callable[[BaseException], bool], type[DebitorError], str], ...]] = (
    (
        _kind(psycopg_pool.PoolTimeout),
        StorageError,
        (
            "No database connection for {book} became free in time ({detail}). The connection "
            "pool is too small for the load, or the server does not answer."
        ),
    ),
    (
        _kind(psycopg_pool.PoolClosed),
        StorageError,
        "The connection pool of {book} is closed; open a new store.",
    ),
    (
        _kind(errors.LockNotAvailable),
        StoreLocked,
        (
            "{Book} is locked by another transaction that did not finish in time. Nothing was "
            "changed; try again later."
        ),
    ),
    (
        _kind(errors.SerializationFailure, errors.DeadlockDetected),
        StoreLocked,
        (
            "A transaction on {book} ran into another one and was rolled back ({detail}). "
            "Nothing was changed; try again."
        ),
    ),
    (
        _kind(errors.QueryCanceled),
        StorageError,
        (
            "The database cancelled a statement on {book} ({detail}): it ran longer than the "
            "statement timeout, or was cancelled by an administrator. The transaction was "
            "rolled back."
        ),
    ),
    (
        _kind(errors.UniqueViolation),
        AlreadyExists,
        "{Book} already holds that record ({detail}).",
    ),
    (
        _kind(errors.UndefinedTable, errors.UndefinedColumn),
        CorruptStore,
        (
            "The tables of {book} are missing or were altered ({detail}). They were left as "
            "they are: restore the database from a backup."
        ),
    ),
    (
        _kind(errors.ReadOnlySqlTransaction),
        StorageError,
        (
            "The database of {book} accepts no writes ({detail}): it is a read-only standby, "
            "or read-only by configuration. Connect to the primary server."
        ),
    ),
    (
        _kind(errors.InsufficientPrivilege),
        StorageError,
        (
            "The database user may not do this on {book} ({detail}). Grant it the rights on "
            "debitor-core's tables (and on the schema, to create them)."
        ),
    ),
    (
        _state_class("53"),
        StorageError,
        (
            "The database server ran out of resources while working on {book} ({detail}). "
            "Nothing of the failed transaction was stored."
        ),
    ),
    (
        lost_connection,
        StorageError,
        (
            "The connection to the database of {book} was lost ({detail}). Nothing of an "
            "unfinished transaction was stored; what was committed before is kept."
        ),
    ),
)
"""The first rule whose test matches an exception says which error it becomes."""


def translate(exc: BaseException, book: str) -> DebitorError:
    """Return the debitor-core error for a psycopg or psycopg_pool exception.

    Args:
        exc: What psycopg raised.
        book: How to name the book in the message (``the book 'shop-1'``).

    Returns:
        The error to raise ``from exc``: a sentence saying what happened and what to do.
    """
    text = " ".join(str(exc).split())
    detail = text or type(exc).__name__
    for matches, error, template in _RULES:
        if matches(exc):
            return error(
                template.format(book=book, Book=book[:1].upper() + book[1:], detail=detail)
            )
    msg = f"The database failed while working on {book} ({type(exc).__name__}: {detail})."
    return StorageError(msg)


def commit_failed(exc: psycopg.Error, book: str, revision: int) -> DebitorError:
    """Return the error for a COMMIT that raised ``exc``.

    A server that answers a COMMIT with an integrity, state or rollback error did not
    commit; anything else (above all a lost connection) leaves the outcome unknown.
    """
    state = exc.sqlstate or ""
    if state.startswith(_ROLLED_BACK):
        return translate(exc, book)
    msg = (
        f"The connection to the database was lost while committing to {book} (revision "
        f"{revision}), so it is unknown whether the commit was stored. Nothing was "
        "retried: read the book again to see whether your changes are there before "
        "making them again."
    )
    return CommitOutcomeUnknown(msg)
