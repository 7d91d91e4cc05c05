"""How `SqliteStore` opens its database: the checks of its arguments and of the file.

`checked_retention` and `checked_synchronous` check the store's arguments,
`refuse_json_book` refuses a JSON book given as the database, and `switch_to_wal`
turns on write-ahead logging while other processes open the same new database.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from debitor_core._errors import StorageError
from debitor_core.storage._files import looks_like_json_book, os_sentence

__all__ = ["checked_retention", "checked_synchronous", "refuse_json_book", "switch_to_wal"]


def refuse_json_book(path: str) -> None:
    """Refuse a file that is a JSON book (a missing file is a new database).

    Raises:
        StorageError: the file is a JSON book, or cannot be read.
    """
    try:
        with Path(path).open("rb") as fh:
            start = fh.read(512)
    except FileNotFoundError:
        return
    except OSError as exc:
        msg = f"The database {path} cannot be opened: {os_sentence(exc)}"
        params = {"book": str(path), "reason": os_sentence(exc), "rule": "database"}
        raise StorageError(msg, code="storage.unreadable", params=params) from exc
    if looks_like_json_book(start):
        msg = (
            f"The file {path} is a JSON book, not an SQLite database: open it with "
            f"JsonFileStore({path!r}). It was left as it is."
        )
        params = {"file": str(path), "rule": "json"}
        raise StorageError(msg, code="storage.wrong_kind", params=params)


def checked_retention(value: int | None) -> int | None:
    """``feed_retention`` once it is a whole number from 1, or ``None`` (`ValueError`)."""
    if value is not None and (type(value) is not int or value < 1):
        msg = f"feed_retention must be a whole number from 1, or None, not {value!r}."
        raise ValueError(msg)
    return value


def checked_synchronous(value: str) -> str:
    """``synchronous`` in capitals, once it is one of SQLite's levels (`ValueError`)."""
    allowed = {"OFF", "NORMAL", "FULL", "EXTRA"}
    if value.upper() not in allowed:
        msg = f"synchronous must be one of {', '.join(sorted(allowed))}, not {value!r}."
        raise ValueError(msg)
    return value.upper()


def switch_to_wal(db: sqlite3.Connection, timeout: float) -> None:
    """Turn on write-ahead logging, trying again for up to ``timeout`` seconds.

    To switch, SQLite takes a read lock, then asks for the write lock (to mark the
    file's header) while holding it. When another connection holds the write lock,
    SQLite answers "database is locked" at once instead of waiting (its busy timeout
    would deadlock two connections that both hold a read lock): what processes that
    open one new database at once run into. The failed statement has let go of its
    read lock, so waiting and trying again lets the other writer finish. A file that
    is already in WAL needs no write lock, and succeeds at the first try.
    """
    deadline = time.monotonic() + timeout
    pause = 0.001
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as exc:
            busy = exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY
            left = deadline - time.monotonic()
            if not busy or left <= 0:
                raise
            time.sleep(min(pause, left))
            pause = min(pause * 2, 0.05)
        else:
            return
