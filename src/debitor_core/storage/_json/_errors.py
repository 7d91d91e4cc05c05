"""The errors a `JsonFileStore` raises about its files, each with its sentence.

Each function builds one error (the store raises it, ``from`` the exception that
caused it where there is one): its message for a person, its stable code and the
params a translation fills in. An `OSError` becomes a `StorageError` that says which
file and why (`os_sentence`); damage becomes `CorruptStore`, with what to do about it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Final

from debitor_core._errors import (
    CorruptStore,
    MissingSnapshot,
    StorageError,
    StoreLocked,
    UnsupportedFormatVersion,
)
from debitor_core._integrity import describe
from debitor_core.storage import _snapshot
from debitor_core.storage._files import os_sentence

__all__ = [
    "closed",
    "commit_failed",
    "compaction_failed",
    "corrupt",
    "damaged",
    "edited_or_damaged",
    "lock_failed",
    "locked",
    "missing_snapshot",
    "newer",
    "not_resealable",
    "nothing_to_reseal",
    "reseal_failed",
    "sqlite_file",
    "unreadable",
    "upgrade_failed",
]

_RECOVERY: Final = (
    "The file was left exactly as it is. Restore it from a backup, or move it (and its "
    ".journal) aside to start a new book; the journal holds the most recent changes as "
    "one JSON line per commit."
)
_RESEAL: Final = (
    "If you edited the file on purpose, accept the edit with "
    "JsonFileStore.reseal(path), which checks every record first."
)


def unreadable(book: Path, exc: OSError) -> StorageError:
    """The book's file cannot be opened or read."""
    msg = f"The book {book} cannot be opened: {os_sentence(exc)}"
    params = {"book": str(book), "reason": os_sentence(exc)}
    return StorageError(msg, code="storage.unreadable", params=params)


def sqlite_file(book: Path) -> StorageError:
    """The file at the book's path is an SQLite database."""
    msg = (
        f"The file {book} is an SQLite database, not a JSON book: open it with "
        f"SqliteStore({str(book)!r}). It was left as it is."
    )
    params = {"file": str(book), "rule": "sqlite"}
    return StorageError(msg, code="storage.wrong_kind", params=params)


def missing_snapshot(book: Path, journal: Path, size: int, how: str) -> MissingSnapshot:
    """The snapshot ``how`` ("is missing", ...), beside a journal of ``size`` bytes."""
    rule = ("missing" if how == "is missing" else "disappeared") + ("_journal" if size else "")
    params = {"book": str(book), "journal": str(journal), "size": size}
    params["rule"] = rule
    if size == 0:
        msg = (
            f"The book {book} {how}. Nothing was changed. If it was moved or "
            "renamed, put it back; otherwise restore it from a backup."
        )
        return MissingSnapshot(msg, code="storage.missing_snapshot", params=params)
    msg = (
        f"The book {book} {how}, but its journal {journal} holds "
        f"{size:,} bytes of commits. Nothing was changed. If the book file was moved or "
        "renamed, put it back; otherwise restore it from a backup. To start a new, "
        "empty book here instead, move the journal aside first."
    )
    return MissingSnapshot(msg, code="storage.missing_snapshot", params=params)


def closed(book: Path) -> StorageError:
    """The store was closed."""
    msg = f"The store {book} is closed; open it again to use it."
    return StorageError(msg, code="storage.closed", params={"book": str(book)})


def locked(book: Path, timeout: float) -> StoreLocked:
    """Another process held the lock longer than ``timeout`` seconds."""
    msg = (
        f"Another process has held the lock on the book {book} for more than "
        f"{timeout:g} s. Try again later: the system releases the lock as "
        "soon as that process ends."
    )
    params = {"book": str(book), "seconds": f"{timeout:g}"}
    return StoreLocked(msg, code="storage.locked", params=params)


def lock_failed(book: Path, exc: OSError) -> StorageError:
    """The lock files cannot be opened or locked."""
    msg = f"The book {book} cannot be locked: {os_sentence(exc)}"
    params = {"book": str(book), "reason": os_sentence(exc)}
    return StorageError(msg, code="storage.lock_failed", params=params)


def corrupt(book: Path, what: str, exc: BaseException | None = None) -> CorruptStore:
    """The files cannot be read: ``what`` is wrong (because of ``exc``)."""
    detail = f" ({exc})" if exc is not None else ""
    msg = f"The book {book} cannot be read: {what}{detail}. {_RECOVERY}"
    params = {"book": str(book), "reason": f"{what}{detail}"}
    return CorruptStore(msg, code="storage.corrupt", params=params)


def edited_or_damaged(book: Path, exc: _snapshot.SnapshotDamage) -> CorruptStore:
    """The snapshot fails its checks (and says how to accept an edit made on purpose)."""
    hint = f" {_RESEAL}" if exc.edited else ""
    msg = f"The book {book} cannot be read: {exc}. {_RECOVERY}{hint}"
    params = {"book": str(book), "reason": str(exc)}
    params["rule"] = "edited" if exc.edited else ""
    return CorruptStore(msg, code="storage.corrupt", params=params)


def damaged(book: Path, item: object, problems: Sequence[object]) -> CorruptStore:
    """A stored record breaks a structural invariant (the first of its ``problems``)."""
    more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
    first = str(problems[0]).rstrip(".")
    return corrupt(book, f"the record of {describe(item)} is damaged: {first}{more}")


def newer(file: Path, version: int) -> UnsupportedFormatVersion:
    """The ``file`` was written in a format newer than this debitor-core reads."""
    msg = (
        f"The book {file} was written by a newer debitor-core (format version "
        f"{version}); this one reads versions up to {_snapshot.FORMAT_VERSION}. Upgrade "
        "debitor-core to open it. The file was not changed."
    )
    params = {"book": str(file), "version": version, "known": _snapshot.FORMAT_VERSION}
    return UnsupportedFormatVersion(msg, code="storage.newer", params=params)


def upgrade_failed(book: Path, version: int, exc: OSError) -> StorageError:
    """A book of an older format ``version`` could not be written in the current one."""
    msg = (
        f"The book {book} is in an older format (version {version}) and must be "
        f"upgraded, but it could not be written: {os_sentence(exc)} Nothing was changed."
    )
    params = {"book": str(book), "version": version, "reason": os_sentence(exc)}
    return StorageError(msg, code="storage.upgrade", params=params)


def commit_failed(journal: Path, exc: OSError) -> StorageError:
    """A commit's line could not be written to the ``journal``."""
    msg = f"The commit to {journal} failed, so nothing was committed: {os_sentence(exc)}"
    params = {"journal": str(journal), "reason": os_sentence(exc)}
    return StorageError(msg, code="storage.commit_failed", params=params)


def compaction_failed(book: Path, exc: OSError) -> StorageError:
    """A compaction asked for (`JsonFileStore.compact`) could not write the snapshot."""
    msg = (
        f"The book {book} could not be compacted: {os_sentence(exc)} Nothing "
        "changed: the journal keeps every commit."
    )
    params = {"book": str(book), "reason": os_sentence(exc)}
    return StorageError(msg, code="storage.compaction", params=params)


def nothing_to_reseal(book: Path) -> StorageError:
    """`JsonFileStore.reseal` found no book at its path."""
    msg = f"There is no book at {book} to reseal."
    params = {"book": str(book), "rule": "missing"}
    return StorageError(msg, code="storage.reseal", params=params)


def not_resealable(book: Path, problems: Sequence[str]) -> CorruptStore:
    """`JsonFileStore.reseal` found records that break invariants (the first ten listed)."""
    listed = "; ".join(problems[:10])
    more = f"; and {len(problems) - 10} more" if len(problems) > 10 else ""  # noqa: PLR2004
    msg = (
        f"The book {book} cannot be resealed: {listed}{more}. Correct these "
        "and reseal again; the file was left as it is."
    )
    params = {"book": str(book), "reason": f"{listed}{more}", "rule": "problems"}
    return CorruptStore(msg, code="storage.reseal", params=params)


def reseal_failed(book: Path, exc: OSError) -> StorageError:
    """The resealed snapshot could not be written."""
    msg = f"The book {book} could not be resealed: {os_sentence(exc)}"
    params = {"book": str(book), "reason": os_sentence(exc)}
    return StorageError(msg, code="storage.reseal", params=params)
