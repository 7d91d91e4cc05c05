"""Opening the store a ``--book`` names: a JSON file, an SQLite file, or PostgreSQL."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Final

from debitor_core.cli._i18n import _, language

if TYPE_CHECKING:
    from debitor_core.storage import Store

__all__ = ["BookUnavailable", "UsageError", "describe", "is_postgres", "open_store"]

JSON_SUFFIXES: Final = (".json",)
SQLITE_SUFFIXES: Final = (".db", ".sqlite", ".sqlite3")
_POSTGRES_SCHEMES: Final = ("postgresql://", "postgres://")
DEFAULT_BOOK_ID: Final = "default"
"""The book of a PostgreSQL database that ``--book-id`` names when not given."""


class BookUnavailable(Exception):
    """The book cannot be used (exit status 3); the message says why and what to do."""


class UsageError(Exception):
    """The command line asks for something that cannot be (exit status 2)."""


def is_postgres(location: str) -> bool:
    """Whether ``location`` is a PostgreSQL URL."""
    return location.startswith(_POSTGRES_SCHEMES)


def describe(location: str) -> str:
    """The book for messages: the path, or the URL without its password."""
    if is_postgres(location):
        scheme, _, rest = location.partition("://")
        head, _, query = rest.partition("?")  # the query may hold password=...
        if "@" in query:  # a password with ? and @ in it, or an @ in the query: unclear
            return f"{scheme}://{head.split(':', 1)[0].split('@', 1)[0]}"
        credentials, at, server = head.rpartition("@")
        return f"{scheme}://{credentials.split(':', 1)[0]}@{server}" if at else f"{scheme}://{head}"
    return location


def exists(location: str) -> bool:
    """Whether a file book is there (PostgreSQL books always answer for themselves)."""
    return is_postgres(location) or Path(location).exists()


def open_store(location: str, *, book_id: str | None = None, create: bool = False) -> Store:
    """Open the store at ``location``.

    Args:
        location: A ``.json`` file (`JsonFileStore`), a ``.db``, ``.sqlite`` or
            ``.sqlite3`` file (`SqliteStore`), or a ``postgresql://`` URL
            (``PostgresStore``, with ``book_id``).
        book_id: Which book of a PostgreSQL database; not for files.
        create: Create a missing book (only ``add``, ``import``, ``load`` and
            ``migrate``'s target do): a file, or a PostgreSQL book (and its tables).

    Raises:
        BookUnavailable: the book is missing, damaged, locked, newer than this
            debitor-core, or its kind of store is not available.
        UsageError: the location is neither a known file type nor a URL, or a book id
            is given for a file.
    """
    from debitor_core import StorageError  # noqa: PLC0415 - the library loads on first use

    if is_postgres(location):
        return _postgres(location, book_id, create=create)
    if book_id is not None:
        msg = _("--book-id is for PostgreSQL books; a .json or .db file holds one book.")
        raise UsageError(msg)
    path = Path(location)
    suffix = path.suffix.casefold()
    if suffix not in JSON_SUFFIXES + SQLITE_SUFFIXES:
        msg = _(
            "The book {book} is neither a .json nor an SQLite (.db, .sqlite) file; "
            "name the book with --book PATH."
        ).format(book=location)
        raise UsageError(msg)
    if path.is_dir():
        msg = _("The book {book} is a folder; name a .json or .db file with --book PATH.").format(
            book=location
        )
        raise BookUnavailable(msg)
    if not create and not path.exists():
        msg = _(
            "There is no book at {book}. Create one with 'debitor add' or "
            "'debitor import FILE', or name another with --book PATH."
        ).format(book=location)
        raise BookUnavailable(msg)
    from debitor_core.storage import JsonFileStore, SqliteStore  # noqa: PLC0415

    try:
        if suffix in JSON_SUFFIXES:
            return JsonFileStore(path)
        return SqliteStore(path)
    except StorageError as exc:
        msg = _("The book {book} cannot be used: {reason}").format(
            book=location, reason=exc.message_in(language())
        )
        raise BookUnavailable(msg) from exc
    except OSError as exc:
        msg = _("The book {book} cannot be opened: {reason}.").format(
            book=location, reason=exc.strerror or exc
        )
        raise BookUnavailable(msg) from exc


def _postgres(location: str, book_id: str | None, *, create: bool) -> Store:
    from debitor_core import StorageError, ValidationError  # noqa: PLC0415 - loads on first use

    storage = importlib.import_module("debitor_core.storage")
    try:
        factory = storage.PostgresStore
    except ImportError as exc:  # psycopg is an optional extra
        raise BookUnavailable(str(exc)) from exc
    try:
        store: Store = factory.connect(location, book_id=book_id or DEFAULT_BOOK_ID, create=create)
    except ValidationError as exc:
        raise UsageError(f"--book-id: {exc.problems[0].message}") from exc
    except StorageError as exc:
        msg = _("The PostgreSQL book {book} cannot be used: {reason}").format(
            book=describe(location), reason=exc.message_in(language())
        )
        raise BookUnavailable(msg) from exc
    return store


def earlier_format(location: str) -> tuple[int, int] | None:
    """The format of a file book an earlier release wrote, and this release's; else ``None``.

    Read without opening the book as a store would (which upgrades it): an SQLite file
    read-only, its ``user_version``; a JSON book's snapshot, its format version. A book
    that cannot be read so, or a PostgreSQL book, gives ``None``: opening it says what
    is wrong.
    """
    import contextlib  # noqa: PLC0415
    import sqlite3  # noqa: PLC0415

    from debitor_core.storage import _snapshot  # noqa: PLC0415
    from debitor_core.storage._sqlite import _schema  # noqa: PLC0415

    path = Path(location)
    if is_postgres(location) or not path.is_file():
        return None
    if path.suffix.casefold() in SQLITE_SUFFIXES:
        try:
            uri = f"{path.resolve().as_uri()}?mode=ro"
            with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
                version = int(db.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.Error:
            return None
        current = _schema.SCHEMA_VERSION
    else:
        try:
            _, version = _snapshot.decode(path.read_bytes(), verify=False)
        except (OSError, _snapshot.SnapshotDamage, _snapshot.NewerFormat):
            return None
        current = _snapshot.FORMAT_VERSION
    return (version, current) if 0 < version < current else None
