"""`SqliteStore`: a book in an SQLite database (the standard library's sqlite3)."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Final, TypeVar

import cattrs

from debitor_core._category import Category
from debitor_core._converter import make_converter
from debitor_core._errors import (
    AlreadyExists,
    ConcurrencyConflict,
    CorruptStore,
    NotFound,
    StorageError,
    StoreLocked,
    UnsupportedFormatVersion,
)
from debitor_core._fields import CustomFieldDefinition
from debitor_core._invoice import Record
from debitor_core._model import Customer

__all__ = ["SCHEMA_MIGRATIONS", "SCHEMA_VERSION", "SqliteStore"]

R = TypeVar("R", bound=Record)

_SCHEMA_V1: Final = """
CREATE TABLE customer (
    id TEXT PRIMARY KEY,
    number INTEGER NOT NULL UNIQUE,
    version INTEGER NOT NULL,
    email TEXT,
    tax_id TEXT,
    phone TEXT,
    data TEXT NOT NULL
);
CREATE INDEX customer_email ON customer (email);
CREATE INDEX customer_tax_id ON customer (tax_id);
CREATE INDEX customer_phone ON customer (phone);
CREATE TABLE category (id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE custom_field (
    key TEXT PRIMARY KEY, position INTEGER NOT NULL, data TEXT NOT NULL
);
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO meta VALUES ('revision', 0), ('last_number', 0);
"""

_SCHEMA_V2: Final = """
CREATE TABLE record (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    version INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);
"""

SCHEMA_VERSION: Final = 2
"""The schema version this release writes (kept in ``PRAGMA user_version``)."""

SCHEMA_MIGRATIONS: dict[int, str] = {0: _SCHEMA_V1, 1: _SCHEMA_V2}
"""SQL that takes the schema from version ``n`` to ``n + 1``; 0 is an empty database."""


class SqliteStore:
    """A book in an SQLite database: one row per customer, indexed lookups, JSON for the rest.

    Args:
        path: The database file (created if missing), or ``":memory:"``.
        wal: Use write-ahead logging (faster commits, readers never wait for writers).
        synchronous: SQLite's ``PRAGMA synchronous`` (``FULL`` by default: a commit that
            returned survives power loss).
        timeout: Seconds to wait for another writer before `StoreLocked`.

    Raises:
        CorruptStore: the file is not an SQLite database of ours.
        UnsupportedFormatVersion: the schema is newer than this release knows.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        wal: bool = False,
        synchronous: str = "FULL",
        timeout: float = 10.0,
    ) -> None:
        """Open (or create) the database; see the class docstring."""
        self.path = str(path)
        self._converter = make_converter()
        self._lock = threading.RLock()
        with _translated(self.path):
            self._db = sqlite3.connect(
                self.path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
            if wal:
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={_checked_synchronous(synchronous)}")
            self._migrate()

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            msg = (
                f"The database {self.path} has schema version {version}, written by a newer "
                f"debitor-core; this one knows up to {SCHEMA_VERSION}. Upgrade debitor-core "
                "to open it. The database was not changed."
            )
            raise UnsupportedFormatVersion(msg)
        if version == 0 and self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            msg = f"The database {self.path} holds tables that are not a debitor-core book."
            raise CorruptStore(msg)
        while version < SCHEMA_VERSION:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for statement in SCHEMA_MIGRATIONS[version].split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                version += 1
                self._db.execute(f"PRAGMA user_version={version}")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    # -- reads ---------------------------------------------------------------------

    def _one(self, sql: str, args: tuple[Any, ...]) -> Any:  # noqa: ANN401 - a column value
        with self._lock, _translated(self.path):
            row = self._db.execute(sql, args).fetchone()
        return None if row is None else row[0]

    def _customer(self, data: str) -> Customer:
        try:
            return self._converter.structure(json.loads(data), Customer)
        except (ValueError, TypeError, KeyError, cattrs.BaseValidationError) as exc:
            msg = f"A customer row in {self.path} cannot be read ({exc})."
            raise CorruptStore(msg) from exc

    def get(self, customer_id: uuid.UUID) -> Customer:
        """Return the customer with this id (`NotFound` otherwise)."""
        data = self._one("SELECT data FROM customer WHERE id = ?", (str(customer_id),))
        if data is None:
            msg = f"No customer has the id {customer_id}."
            raise NotFound(msg)
        return self._customer(data)

    def get_by_number(self, number: int) -> Customer:
        """Return the customer with this number (`NotFound` otherwise)."""
        if isinstance(number, bool) or not isinstance(number, int):
            msg = f"No customer has the number {number!r}."
            raise NotFound(msg)
        data = self._one("SELECT data FROM customer WHERE number = ?", (number,))
        if data is None:
            msg = f"No customer has the number {number!r}."
            raise NotFound(msg)
        return self._customer(data)

    def find(
        self, *, email: str | None = None, tax_id: str | None = None, phone: str | None = None
    ) -> list[Customer]:
        """Return customers with this normalised email (any case), VAT number or E.164 phone.

        Uses the indexed columns; an extra of this store for host apps' own queries.
        """
        clauses, args = [], []
        for column, value in (
            ("email", email and email.casefold()),
            ("tax_id", tax_id),
            ("phone", phone),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                args.append(value)
        if not clauses:
            return []
        where = " OR ".join(clauses)
        with self._lock, _translated(self.path):
            query = f"SELECT data FROM customer WHERE {where} ORDER BY number"  # noqa: S608 - our columns
            rows = self._db.execute(query, args).fetchall()
        return [self._customer(r[0]) for r in rows]

    def customers(self, *, offset: int = 0, limit: int | None = None) -> Sequence[Customer]:
        """Return customers in number order."""
        with self._lock, _translated(self.path):
            rows = self._db.execute(
                "SELECT data FROM customer ORDER BY number LIMIT ? OFFSET ?",
                (-1 if limit is None else limit, offset),
            ).fetchall()
        return [self._customer(r[0]) for r in rows]

    def count(self) -> int:
        """Return how many customers are stored."""
        return int(self._one("SELECT count(*) FROM customer", ()))

    def categories(self) -> Sequence[Category]:
        """Return every category."""
        with self._lock, _translated(self.path):
            rows = self._db.execute("SELECT data FROM category ORDER BY rowid").fetchall()
        return [self._converter.structure(json.loads(r[0]), Category) for r in rows]

    def custom_fields(self) -> Sequence[CustomFieldDefinition]:
        """Return every custom-field definition in the order first stored."""
        with self._lock, _translated(self.path):
            rows = self._db.execute("SELECT data FROM custom_field ORDER BY position").fetchall()
        return [self._converter.structure(json.loads(r[0]), CustomFieldDefinition) for r in rows]

    def records(self, kind: type[R]) -> Sequence[R]:
        """Return every record of ``kind`` in the order added."""
        with self._lock, _translated(self.path):
            rows = self._db.execute(
                "SELECT data FROM record WHERE kind = ? ORDER BY rowid", (kind.KIND,)
            ).fetchall()
        return [self._record(kind, r[0]) for r in rows]

    def record(self, kind: type[R], key: str) -> R:
        """Return the record of ``kind`` with ``key`` (`NotFound` otherwise)."""
        data = self._one("SELECT data FROM record WHERE kind = ? AND key = ?", (kind.KIND, key))
        if data is None:
            msg = f"No {kind.KIND} has the key {key}."
            raise NotFound(msg)
        return self._record(kind, data)

    def _record(self, kind: type[R], data: str) -> R:
        try:
            return self._converter.structure(json.loads(data), kind)
        except (ValueError, TypeError, KeyError, cattrs.BaseValidationError) as exc:
            msg = f"A {kind.KIND} row in {self.path} cannot be read ({exc})."
            raise CorruptStore(msg) from exc

    def last_number(self) -> int:
        """Return the highest customer number ever stored."""
        return int(self._one("SELECT value FROM meta WHERE key = 'last_number'", ()))

    def revision(self) -> int:
        """Return the number of committed transactions."""
        return int(self._one("SELECT value FROM meta WHERE key = 'revision'", ()))

    # -- writes --------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[_SqliteTransaction]:
        """Open a write transaction (``BEGIN IMMEDIATE``); see `Store`."""
        with self._lock:
            with _translated(self.path):
                self._db.execute("BEGIN IMMEDIATE")
            tx = _SqliteTransaction(self)
            try:
                yield tx
                with _translated(self.path):
                    if tx.wrote:
                        self._db.execute("UPDATE meta SET value = value + 1 WHERE key = 'revision'")
                    self._db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        """Close the connection. Closing twice is harmless."""
        with self._lock:
            self._db.close()

    def __repr__(self) -> str:
        return f"<SqliteStore {self.path!r}>"


class _SqliteTransaction:
    """The writes of one SQLite transaction."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store
        self._db = store._db  # noqa: SLF001 - the transaction belongs to its store
        self._dumps: Callable[[Any], str] = lambda obj: json.dumps(
            store._converter.unstructure(obj),  # noqa: SLF001
            ensure_ascii=False,
            separators=(",", ":"),
        )
        self.wrote = False

    def _execute(self, sql: str, args: tuple[Any, ...]) -> sqlite3.Cursor:
        with _translated(self._store.path):
            cursor = self._db.execute(sql, args)
        self.wrote = True
        return cursor

    def _row(self, customer: Customer) -> tuple[Any, ...]:
        return (
            str(customer.id),
            customer.number,
            customer.version,
            customer.email.casefold() if customer.email else None,
            customer.tax_id.value if customer.tax_id else None,
            customer.phone.number if customer.phone else None,
            self._dumps(customer),
        )

    def add(self, customer: Customer) -> None:
        """Add a new customer (see `Transaction.add`)."""
        try:
            self._execute("INSERT INTO customer VALUES (?, ?, ?, ?, ?, ?, ?)", self._row(customer))
        except AlreadyExists as exc:
            msg = (
                f"A customer with the id {customer.id} or the number {customer.number} "
                "is already stored."
            )
            raise AlreadyExists(msg) from exc
        self._bump_last_number(customer.number)

    def _bump_last_number(self, number: int) -> None:
        self._execute("UPDATE meta SET value = max(value, ?) WHERE key = 'last_number'", (number,))

    def update(self, customer: Customer, *, expected_version: int) -> None:
        """Replace a customer if it is still at ``expected_version``."""
        row = self._row(customer)
        try:
            cursor = self._execute(
                "UPDATE customer SET number = ?, version = ?, email = ?, tax_id = ?, phone = ?, "
                "data = ? WHERE id = ? AND version = ?",
                (*row[1:], row[0], expected_version),
            )
        except AlreadyExists as exc:
            msg = f"The customer number {customer.number} is already taken."
            raise AlreadyExists(msg) from exc
        if cursor.rowcount == 0:
            stored = self._db.execute(
                "SELECT version, number FROM customer WHERE id = ?", (row[0],)
            ).fetchone()
            if stored is None:
                msg = f"No customer has the id {customer.id}."
                raise NotFound(msg)
            msg = (
                f"Customer {stored[1]} was changed by someone else: it is at version "
                f"{stored[0]}, not {expected_version}. Reload it and try again."
            )
            raise ConcurrencyConflict(msg, expected=expected_version, actual=stored[0])
        self._bump_last_number(customer.number)

    def delete(self, customer_id: uuid.UUID) -> None:
        """Delete a customer."""
        if self._execute("DELETE FROM customer WHERE id = ?", (str(customer_id),)).rowcount == 0:
            msg = f"No customer has the id {customer_id}."
            raise NotFound(msg)

    def put_category(self, category: Category) -> None:
        """Add or replace a category."""
        self._execute(
            "INSERT INTO category VALUES (?, ?) "
            "ON CONFLICT (id) DO UPDATE SET data = excluded.data",
            (str(category.id), self._dumps(category)),
        )

    def delete_category(self, category_id: uuid.UUID) -> None:
        """Delete a category."""
        if self._execute("DELETE FROM category WHERE id = ?", (str(category_id),)).rowcount == 0:
            msg = f"No category has the id {category_id}."
            raise NotFound(msg)

    def put_custom_field(self, definition: CustomFieldDefinition) -> None:
        """Add or replace a custom-field definition."""
        self._execute(
            "INSERT INTO custom_field VALUES (?, (SELECT count(*) FROM custom_field), ?) "
            "ON CONFLICT (key) DO UPDATE SET data = excluded.data",
            (definition.key, self._dumps(definition)),
        )

    def put_record(self, record: Record, *, expected_version: int | None) -> None:
        """Add or replace an invoice, payment, delivery or reminder log."""
        kind, key, data = record.KIND, record.key, self._dumps(record)
        if expected_version is None:
            try:
                self._execute(
                    "INSERT INTO record VALUES (?, ?, ?, ?)", (kind, key, record.version, data)
                )
            except AlreadyExists as exc:
                msg = f"A {kind} with the key {key} is already stored."
                raise AlreadyExists(msg) from exc
            return
        cursor = self._execute(
            "UPDATE record SET version = ?, data = ? WHERE kind = ? AND key = ? AND version = ?",
            (record.version, data, kind, key, expected_version),
        )
        if cursor.rowcount == 0:
            stored = self._db.execute(
                "SELECT version FROM record WHERE kind = ? AND key = ?", (kind, key)
            ).fetchone()
            if stored is None:
                msg = f"No {kind} has the key {key}."
                raise NotFound(msg)
            msg = (
                f"The {kind} {key} was changed by someone else: it is at version "
                f"{stored[0]}, not {expected_version}."
            )
            raise ConcurrencyConflict(msg, expected=expected_version, actual=stored[0])


def _checked_synchronous(value: str) -> str:
    allowed = {"OFF", "NORMAL", "FULL", "EXTRA"}
    if value.upper() not in allowed:
        msg = f"synchronous must be one of {', '.join(sorted(allowed))}, not {value!r}."
        raise ValueError(msg)
    return value.upper()


@contextlib.contextmanager
def _translated(path: str) -> Iterator[None]:
    """Turn sqlite3's exceptions into ours."""
    try:
        yield
    except sqlite3.IntegrityError as exc:
        msg = f"The database {path} already holds that record ({exc})."
        raise AlreadyExists(msg) from exc
    except sqlite3.OperationalError as exc:
        text = str(exc)
        if "locked" in text or "busy" in text:
            msg = f"The database {path} is locked by another connection ({text}). Try again later."
            raise StoreLocked(msg) from exc
        msg = f"The database {path} could not be used: {text}."
        raise StorageError(msg) from exc
    except sqlite3.DatabaseError as exc:
        msg = (
            f"The database {path} cannot be read ({exc}). It was left as it is: restore it "
            "from a backup, or move it aside to start a new book."
        )
        raise CorruptStore(msg) from exc
