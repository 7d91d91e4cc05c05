"""`SqliteStore`: a book in an SQLite database (the standard library's sqlite3)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final, Self, TypeVar

import cattrs

from debitor_core._category import Category
from debitor_core._converter import make_converter
from debitor_core._errors import (
    AlreadyExists,
    CorruptStore,
    NotFound,
    StorageError,
    StoreLocked,
    UnsupportedFormatVersion,
)
from debitor_core._fields import CustomFieldDefinition
from debitor_core._history import Forward, HistoryEntry
from debitor_core._integrity import check_structure, describe, structural_problems
from debitor_core._invoice import RECORD_KINDS, Delivery, Invoice, Payment, Record, ReminderLog
from debitor_core._limits import MAX_NUMBER
from debitor_core._model import Customer
from debitor_core._text import DuplicateKey, private_field_keys, text_field_keys
from debitor_core.storage import _refusals as refused
from debitor_core.storage import _sqlite_queries as q
from debitor_core.storage._feed import ChangeSet
from debitor_core.storage._files import check_folder, looks_like_json_book, os_sentence
from debitor_core.storage._queries import (
    CustomerQuery,
    DuplicateRow,
    QuerySort,
    gather_records_about,
    is_number,
)
from debitor_core.storage._sqlite_queries import LOOKUP_SCHEMA, QUERY_SCHEMA

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

_SCHEMA_V3: Final = """
ALTER TABLE customer ADD COLUMN checksum INTEGER NOT NULL DEFAULT 0;
ALTER TABLE category ADD COLUMN checksum INTEGER NOT NULL DEFAULT 0;
ALTER TABLE custom_field ADD COLUMN checksum INTEGER NOT NULL DEFAULT 0;
ALTER TABLE record ADD COLUMN checksum INTEGER NOT NULL DEFAULT 0;
ALTER TABLE meta ADD COLUMN checksum INTEGER NOT NULL DEFAULT 0;
UPDATE customer SET checksum = debitor_checksum(id, number, version, email, tax_id, phone, data);
UPDATE category SET checksum = debitor_checksum(id, data);
UPDATE custom_field SET checksum = debitor_checksum(key, position, data);
UPDATE record SET checksum = debitor_checksum(kind, key, version, data);
UPDATE meta SET checksum = debitor_checksum(key, value)
"""

_SCHEMA_V4: Final = """
ALTER TABLE customer ADD COLUMN changed_revision INTEGER NOT NULL DEFAULT 0;
ALTER TABLE category ADD COLUMN changed_revision INTEGER NOT NULL DEFAULT 0;
ALTER TABLE custom_field ADD COLUMN changed_revision INTEGER NOT NULL DEFAULT 0;
ALTER TABLE record ADD COLUMN changed_revision INTEGER NOT NULL DEFAULT 0;
CREATE INDEX customer_changed ON customer (changed_revision);
CREATE INDEX category_changed ON category (changed_revision);
CREATE INDEX custom_field_changed ON custom_field (changed_revision);
CREATE INDEX record_changed ON record (changed_revision);
CREATE TABLE customer_deleted (
    id TEXT PRIMARY KEY,
    deleted_revision INTEGER NOT NULL,
    checksum INTEGER NOT NULL
);
CREATE INDEX customer_deleted_revision ON customer_deleted (deleted_revision);
INSERT INTO meta (key, value, checksum)
    SELECT 'feed_horizon', value, debitor_checksum('feed_horizon', value)
    FROM meta WHERE key = 'revision';
INSERT INTO meta (key, value, checksum)
    SELECT 'categories_revision', 0, debitor_checksum('categories_revision', 0);
INSERT INTO meta (key, value, checksum)
    SELECT 'custom_fields_revision', 0, debitor_checksum('custom_fields_revision', 0);
INSERT INTO meta (key, value, checksum)
    SELECT 'store_id', id, debitor_checksum('store_id', id) FROM (SELECT debitor_new_id() AS id)
"""

SCHEMA_VERSION: Final = 6
"""The schema version this release writes (kept in ``PRAGMA user_version``).

4: the change feed (changed revisions, tombstones, store id).
5: the query tables (`debitor_core.storage._sqlite_queries`), filled by a re-fold.
6: the lookup columns of ``record`` (the customer it is about, a forward's number),
   indexed, filled by a re-fold.
"""

SCHEMA_MIGRATIONS: dict[int, str] = {
    0: _SCHEMA_V1,
    1: _SCHEMA_V2,
    2: _SCHEMA_V3,
    3: _SCHEMA_V4,
    4: QUERY_SCHEMA,
    5: LOOKUP_SCHEMA,
}
"""SQL that takes the schema from version ``n`` to ``n + 1``; 0 is an empty database.

The SQL may call ``debitor_checksum(column, ...)``, the row checksum (see `_checksum`),
and ``debitor_new_id()``, a new random UUID as text (the store id of schema 4).

Schema 4 is the change feed (see `SqliteStore.changes_since`): every customer,
category, custom-field and record row notes the revision that last wrote it
(``changed_revision``, indexed), deleted customers leave a tombstone in
``customer_deleted`` (pruned after ``feed_retention`` revisions), and ``meta`` holds the
store id, the feed's horizon (the oldest revision it can answer from; an upgraded
database starts there) and the revision that last changed categories or custom fields.

Schemas 5 and 6 add derived data only (query tables; the lookup columns of ``record``,
which the row checksums do not cover): each resets the fold stamp in ``meta``, so that
the store's re-fold fills them from the rows when it opens the database.
"""

_CUSTOMER_COLUMNS: Final = "id, number, version, email, tax_id, phone, data, checksum"
_C_COLUMNS: Final = ", ".join(f"c.{column}" for column in _CUSTOMER_COLUMNS.split(", "))
_R_COLUMNS: Final = "r.kind, r.key, r.version, r.data, r.checksum"
_INSERT_CUSTOMER: Final = (
    f"INSERT INTO customer ({_CUSTOMER_COLUMNS}, changed_revision) "  # noqa: S608 - our columns
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_RECORD_COLUMNS: Final = "kind, key, version, data, checksum"


def _checksum(*values: object) -> int:
    """The CRC-32 of a row's columns: what tells a damaged row from a sound one.

    Every column is covered (keys, lookup columns and the JSON data), each written as
    text, ``None`` as a NUL, joined by the unit separator; stored text never holds
    either (the JSON escapes them, the structural checks refuse them elsewhere).
    """
    text = "\x1f".join("\x00" if value is None else str(value) for value in values)
    return zlib.crc32(text.encode("utf-8", "surrogatepass"))


class SqliteStore:
    """A book in an SQLite database: one row per customer, indexed lookups, JSON for the rest.

    Every row carries a checksum over all its columns (a record's derived lookup
    columns aside: a damaged one can make a lookup miss, never return a wrong record),
    checked whenever the row is read, and every record read passes the structural
    checks; what fails either is `CorruptStore`. Writes refuse (`ValidationError`) a
    record that would fail them.

    Args:
        path: The database file (created if missing; its folder must exist), or
            ``":memory:"``.
        wal: Use write-ahead logging (faster commits, readers never wait for writers).
        synchronous: SQLite's ``PRAGMA synchronous`` (``FULL`` by default: a commit that
            returned survives power loss).
        timeout: Seconds to wait for another writer before `StoreLocked`.
        create_folder: Create the database's folder when it is missing (by default a
            missing folder is refused, so a typo never starts a new, empty book).
        feed_retention: How many revisions the change feed can look back over deleted
            customers: older tombstones are pruned when a transaction commits, and
            `changes_since` an older revision returns ``None``. ``None`` keeps every
            tombstone (a few bytes per deleted customer).

    Raises:
        StorageError: the folder is missing, or the file is a JSON book.
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
        create_folder: bool = False,
        feed_retention: int | None = 10_000,
    ) -> None:
        """Open (or create) the database; see the class docstring."""
        self.path = str(path)
        self.feed_retention = _checked_retention(feed_retention)
        self._converter = make_converter()
        self._lock = threading.RLock()
        self._fields_at: tuple[int, tuple[tuple[str, ...], tuple[str, ...]]] | None = None
        level = _checked_synchronous(synchronous)
        if self.path != ":memory:":
            check_folder(Path(self.path), create=create_folder, what="database")
            self._refuse_json_book()
        with _translated(self.path):
            self._db = sqlite3.connect(
                self.path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
            try:
                self._db.create_function("debitor_checksum", -1, _checksum, deterministic=True)
                self._db.create_function("debitor_new_id", 0, lambda: str(uuid.uuid4()))
                if wal:
                    _switch_to_wal(self._db, timeout)
                self._db.execute(f"PRAGMA synchronous={level}")
                self._migrate()
                self._refold_if_stale()
            except BaseException:
                self._db.close()
                raise

    def _refuse_json_book(self) -> None:
        try:
            with Path(self.path).open("rb") as fh:
                start = fh.read(512)
        except FileNotFoundError:
            return
        except OSError as exc:
            msg = f"The database {self.path} cannot be opened: {os_sentence(exc)}"
            params = {"book": str(self.path), "reason": os_sentence(exc), "rule": "database"}
            raise StorageError(msg, code="storage.unreadable", params=params) from exc
        if looks_like_json_book(start):
            msg = (
                f"The file {self.path} is a JSON book, not an SQLite database: open it with "
                f"JsonFileStore({self.path!r}). It was left as it is."
            )
            params = {"file": str(self.path), "rule": "json"}
            raise StorageError(msg, code="storage.wrong_kind", params=params)

    def _user_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        """Create or upgrade the schema, in one transaction that re-reads the version.

        Several processes may open a new database at once: each checks the version
        again once it holds the write lock, so only the first creates the tables.
        """
        if self._user_version() == SCHEMA_VERSION:
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            version = self._user_version()
            self._check_schema(version)
            while version < SCHEMA_VERSION:
                for statement in SCHEMA_MIGRATIONS[version].split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                version += 1
            self._db.execute(f"PRAGMA user_version={version}")
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def _check_schema(self, version: int) -> None:
        """Refuse a schema from a newer release, or tables that are someone else's."""
        if version > SCHEMA_VERSION:
            msg = (
                f"The database {self.path} has schema version {version}, written by a "
                f"newer debitor-core; this one knows up to {SCHEMA_VERSION}. Upgrade "
                "debitor-core to open it. The database was not changed."
            )
            params = {"book": str(self.path), "version": version, "known": SCHEMA_VERSION}
            params["rule"] = "database"
            raise UnsupportedFormatVersion(msg, code="storage.newer", params=params)
        tables = self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if version == 0 and tables:
            msg = f"The database {self.path} holds tables that are not a debitor-core book."
            params = {"book": str(self.path), "rule": "foreign"}
            raise CorruptStore(msg, code="storage.corrupt", params=params)

    def _refold_if_stale(self) -> None:
        """Fold every customer again when the query rows were made by another fold.

        The fold's version and Python's Unicode version are kept in ``meta``; a database
        migrated from schema 3, or opened by a Python with another Unicode version, has
        its query rows rebuilt from the customers and records, in one transaction that
        does not count as a commit (the data did not change).
        """
        if self._fold_stamp() == q.fold_stamp():
            return
        with self._lock, _translated(self.path):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if self._fold_stamp() != q.fold_stamp():
                    self._refold()
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _fold_stamp(self) -> tuple[int, int]:
        return self._meta("fold_version"), self._meta("unicode_version")

    def _refold(self) -> None:
        """Rebuild every query row (the caller holds a write transaction)."""
        q.clear(self._db)
        fields = _search_fields(self.custom_fields())
        q.index_customers(self._db, self.customers(), *fields)
        for kind in RECORD_KINDS.values():
            lookups = []
            for record in self.records(kind):
                q.index_record(self._db, record)
                lookups.append((*q.record_lookup(record), record.KIND, record.key))
            self._db.executemany(
                "UPDATE record SET customer = ?, number = ? WHERE kind = ? AND key = ?", lookups
            )
        for key, value in zip(("fold_version", "unicode_version"), q.fold_stamp(), strict=True):
            self._db.execute(
                "UPDATE meta SET value = ?, checksum = ? WHERE key = ?",
                (value, _checksum(key, value), key),
            )

    # -- reads ---------------------------------------------------------------------

    def _rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock, _translated(self.path):
            return self._db.execute(sql, args).fetchall()

    def _damaged(self, what: str, exc: BaseException | None = None) -> CorruptStore:
        detail = f" ({exc})" if exc is not None else ""
        msg = (
            f"The database {self.path} cannot be read: {what}{detail}. It was left as it "
            "is: restore it from a backup."
        )
        params = {"book": str(self.path), "reason": f"{what}{detail}", "rule": "database"}
        return CorruptStore(msg, code="storage.corrupt", params=params)

    def _verified(self, row: tuple[Any, ...], what: str) -> tuple[Any, ...]:
        """The row without its checksum, once the checksum (the last column) matches."""
        *columns, checksum = row
        if checksum != _checksum(*columns):
            raise self._damaged(f"the {what} does not match its checksum")
        return tuple(columns)

    def _build(self, data: str, cls: type[Any], what: str) -> Any:  # noqa: ANN401 - a record
        try:
            item = self._converter.structure(json.loads(data), cls)
        except (ValueError, TypeError, KeyError, AttributeError, cattrs.BaseValidationError) as exc:
            raise self._damaged(f"the {what} is not valid", exc) from exc
        problems = structural_problems(item)
        if problems:
            more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
            first = str(problems[0]).rstrip(".")
            raise self._damaged(f"the {what} ({describe(item)}) is damaged: {first}{more}")
        return item

    def _customer(self, row: tuple[Any, ...]) -> Customer:
        what = f"customer row {row[0]!r}"
        row_id, number, version, email, tax_id, phone, data = self._verified(row, what)
        customer: Customer = self._build(data, Customer, what)
        expected = (
            str(customer.id),
            customer.number,
            customer.version,
            customer.email.casefold() if customer.email else None,
            customer.tax_id.value if customer.tax_id else None,
            customer.phone.number if customer.phone else None,
        )
        if expected != (row_id, number, version, email, tax_id, phone):
            raise self._damaged(f"the columns of the {what} do not agree with its data")
        return customer

    def _meta(self, key: str) -> int:
        value = self._meta_value(key)
        if type(value) is not int or not 0 <= value <= MAX_NUMBER:
            raise self._damaged(f"its {key} {value!r} is not a whole number from 0")
        return value

    def _meta_value(self, key: str) -> object:
        rows = self._rows("SELECT key, value, checksum FROM meta WHERE key = ?", (key,))
        if not rows:
            raise self._damaged(f"its {key} is missing")
        return self._verified(rows[0], f"{key} row")[1]

    def get(self, customer_id: uuid.UUID) -> Customer:
        """Return the customer with this id (`NotFound` otherwise)."""
        rows = self._rows(
            f"SELECT {_CUSTOMER_COLUMNS} FROM customer WHERE id = ?",  # noqa: S608 - our columns
            (str(customer_id),),
        )
        if not rows:
            raise refused.customer_not_found(customer_id)
        customer = self._customer(rows[0])
        if customer.id != customer_id:
            raise self._damaged(f"the index of ids gave customer {customer.id} for {customer_id}")
        return customer

    def get_by_number(self, number: int) -> Customer:
        """Return the customer with this number (`NotFound` otherwise)."""
        if type(number) is not int or not 1 <= number <= MAX_NUMBER:
            raise refused.number_not_found(number)
        rows = self._rows(
            f"SELECT {_CUSTOMER_COLUMNS} FROM customer WHERE number = ?",  # noqa: S608
            (number,),
        )
        if not rows:
            raise refused.number_not_found(number)
        customer = self._customer(rows[0])
        if customer.number != number:
            what = f"the index of numbers gave customer {customer.number} for {number}"
            raise self._damaged(what)
        return customer

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
        query = f"SELECT {_CUSTOMER_COLUMNS} FROM customer WHERE {where} ORDER BY number"  # noqa: S608 - our columns
        return [self._customer(row) for row in self._rows(query, tuple(args))]

    def customers(self, *, offset: int = 0, limit: int | None = None) -> Sequence[Customer]:
        """Return customers in number order."""
        rows = self._rows(
            f"SELECT {_CUSTOMER_COLUMNS} FROM customer ORDER BY number LIMIT ? OFFSET ?",  # noqa: S608
            (-1 if limit is None else limit, offset),
        )
        return [self._customer(row) for row in rows]

    def count(self) -> int:
        """Return how many customers are stored."""
        return int(self._rows("SELECT count(*) FROM customer")[0][0])

    def categories(self) -> Sequence[Category]:
        """Return every category."""
        categories = []
        for row in self._rows("SELECT id, data, checksum FROM category ORDER BY rowid"):
            what = f"category row {row[0]!r}"
            row_id, data = self._verified(row, what)
            category: Category = self._build(data, Category, what)
            if str(category.id) != row_id:
                raise self._damaged(f"the columns of the {what} do not agree with its data")
            categories.append(category)
        return categories

    def custom_fields(self) -> Sequence[CustomFieldDefinition]:
        """Return every custom-field definition in the order first stored."""
        definitions = []
        query = "SELECT key, position, data, checksum FROM custom_field ORDER BY position"
        for row in self._rows(query):
            what = f"custom field row {row[0]!r}"
            key, _, data = self._verified(row, what)
            definition: CustomFieldDefinition = self._build(data, CustomFieldDefinition, what)
            if definition.key != key:
                raise self._damaged(f"the columns of the {what} do not agree with its data")
            definitions.append(definition)
        return definitions

    def records(self, kind: type[R]) -> Sequence[R]:
        """Return every record of ``kind`` in the order added."""
        rows = self._rows(
            f"SELECT {_RECORD_COLUMNS} FROM record WHERE kind = ? ORDER BY rowid",  # noqa: S608
            (kind.KIND,),
        )
        return [self._record(kind, row) for row in rows]

    def record(self, kind: type[R], key: str) -> R:
        """Return the record of ``kind`` with ``key`` (`NotFound` otherwise)."""
        rows = self._rows(
            "SELECT kind, key, version, data, checksum FROM record WHERE kind = ? AND key = ?",
            (kind.KIND, key),
        )
        if not rows:
            raise refused.record_not_found(kind.KIND, key)
        return self._record(kind, rows[0])

    def _record(self, kind: type[R], row: tuple[Any, ...]) -> R:
        what = f"{kind.KIND} row {row[1]!r}"
        row_kind, key, version, data = self._verified(row, what)
        record: R = self._build(data, kind, what)
        if (row_kind, key, version) != (record.KIND, record.key, record.version):
            raise self._damaged(f"the columns of the {what} do not agree with its data")
        return record

    def last_number(self) -> int:
        """Return the highest customer number ever stored."""
        return self._meta("last_number")

    def revision(self) -> int:
        """Return the number of committed transactions."""
        return self._meta("revision")

    # -- the change feed -----------------------------------------------------------

    def store_id(self) -> str:
        """Return the identity of this database's history (a UUID made with its schema)."""
        value = self._meta_value("store_id")
        if not isinstance(value, str) or not value:
            raise self._damaged(f"its store_id {value!r} is not an id")
        return value

    def changes_since(self, revision: int) -> ChangeSet | None:
        """Return what changed after ``revision`` (see `ChangeFeed`), or ``None``.

        Read in one snapshot (one read transaction), through the indexes on the rows'
        ``changed_revision``: the cost is in proportion to the changes, not the book.
        ``None`` when ``revision`` is not a whole number from 0, is ahead of the
        database, or is older than the feed's horizon (tombstones pruned after
        ``feed_retention`` revisions, or a database upgraded from schema 3 later).

        Raises:
            CorruptStore: a row read fails its checksum or the structural checks.
        """
        if isinstance(revision, bool) or not isinstance(revision, int) or revision < 0:
            return None
        with self._lock, self._snapshot():
            current = self._meta("revision")
            if revision > current or revision < self._meta("feed_horizon"):
                return None
            store_id = self.store_id()
            if revision == current:
                return ChangeSet(store_id, revision, current)
            customers = self._rows(
                f"SELECT {_CUSTOMER_COLUMNS} FROM customer "  # noqa: S608 - our columns
                "WHERE changed_revision > ? ORDER BY +number",  # + : by the index, then sort
                (revision,),
            )
            deleted = self._rows(
                "SELECT id, deleted_revision, checksum FROM customer_deleted t "
                "WHERE deleted_revision > ? AND NOT EXISTS "
                "(SELECT 1 FROM customer c WHERE c.id = t.id) ORDER BY deleted_revision, id",
                (revision,),
            )
            records = self._rows(
                f"SELECT {_RECORD_COLUMNS} FROM record "  # noqa: S608 - our columns
                "WHERE changed_revision > ? ORDER BY +rowid",
                (revision,),
            )
            return ChangeSet(
                store_id,
                revision,
                current,
                customers=tuple(self._customer(row) for row in customers),
                deleted=tuple(self._tombstone(row) for row in deleted),
                records=tuple(self._any_record(row) for row in records),
                categories=self._meta("categories_revision") > revision,
                custom_fields=self._meta("custom_fields_revision") > revision,
            )

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[None]:
        """Read in one transaction (the caller holds the lock), unless one is open."""
        if self._db.in_transaction:  # this thread's write transaction: its view
            yield
            return
        with _translated(self.path):
            self._db.execute("BEGIN")
        try:
            yield
        finally:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("COMMIT")

    def _tombstone(self, row: tuple[Any, ...]) -> uuid.UUID:
        what = f"tombstone row {row[0]!r}"
        row_id, _ = self._verified(row, what)
        try:
            return uuid.UUID(row_id)
        except (ValueError, TypeError, AttributeError) as exc:
            raise self._damaged(f"the {what} is not valid", exc) from exc

    def _any_record(self, row: tuple[Any, ...]) -> Record:
        kind = RECORD_KINDS.get(row[0])
        if kind is None:
            raise self._damaged(f"the record row {row[1]!r} has an unknown kind {row[0]!r}")
        return self._record(kind, row)

    # -- writes --------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[_SqliteTransaction]:
        """Open a write transaction (``BEGIN IMMEDIATE``); see `Store`.

        Besides the checks of `Transaction`, a write raises `ValidationError` for a
        record that breaks a structural invariant: the store never commits what it
        would refuse to load.
        """
        with self._lock:
            with _translated(self.path):
                self._db.execute("BEGIN IMMEDIATE")
            try:
                tx = _SqliteTransaction(self, self._meta("revision"), self._meta("last_number"))
                tx.search_fields = self._search_fields(tx.revision)
                yield tx
                with _translated(self.path):
                    if tx.wrote:
                        tx.finish()
                    self._db.execute("COMMIT")
                if tx.wrote:  # what the next transaction searches needs no reading
                    self._fields_at = (tx.revision + 1, tx.search_fields)
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
                raise

    def _search_fields(self, revision: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The custom fields searched as text and as private text, as of ``revision``."""
        known = self._fields_at
        if known is None or known[0] != revision:
            known = self._fields_at = (revision, _search_fields(self.custom_fields()))
        return known[1]

    # -- queries (CustomerQueries) -----------------------------------------------------

    def search_customers(
        self,
        query: CustomerQuery,
        *,
        sort: QuerySort = "number",
        descending: bool = False,
        offset: int = 0,
        limit: int | None = None,
    ) -> Sequence[Customer]:
        """Return one page of the customers matching ``query`` (see `CustomerQueries`)."""
        found = q.search_sql(query, _C_COLUMNS, sort=sort, descending=descending)
        if found is None:
            return []
        sql, args = found
        check = q.field_filter(query)
        if check is None:
            sql += " LIMIT ? OFFSET ?"
            rows = self._rows(sql, (*args, -1 if limit is None else limit, max(offset, 0)))
            return [self._customer(row) for row in rows]
        matching = [c for c in map(self._customer, self._rows(sql, tuple(args))) if check(c)]
        return matching[max(offset, 0) : None if limit is None else max(offset, 0) + limit]

    def count_customers(self, query: CustomerQuery) -> int:
        """Return how many customers match ``query``."""
        if q.field_filter(query) is not None:
            return len(self.search_customers(query))
        found = q.count_sql(query)
        if found is None:
            return 0
        return int(self._rows(found[0], tuple(found[1]))[0][0])

    def customers_sharing(self, keys: Iterable[DuplicateKey]) -> Sequence[DuplicateRow]:
        """Return the customers with any of ``keys``, by number, with the kinds they share."""
        evidence: dict[int, list[str]] = {}
        for kind, key in keys:
            if not q.storable(kind, key):
                continue
            rows = self._rows(
                "SELECT number FROM customer_key WHERE kind = ? AND key = ?", (kind, key)
            )
            for (number,) in rows:
                if kind not in evidence.setdefault(number, []):
                    evidence[number].append(kind)
        found = []
        for number in sorted(evidence):
            try:
                found.append((self.get_by_number(number), tuple(evidence[number])))
            except NotFound:
                continue  # a stale query row: the customer is gone
        return found

    def invoices_of(self, customer_id: uuid.UUID | None = None) -> Sequence[Invoice]:
        """Return every invoice, or a customer's, by invoice number."""
        where, args = (
            ("", ()) if customer_id is None else (" WHERE i.customer = ?", (str(customer_id),))
        )
        return self._indexed_invoices(where, args)

    def _indexed_invoices(self, where: str, args: tuple[Any, ...]) -> list[Invoice]:
        rows = self._rows(
            f"SELECT {_R_COLUMNS} FROM invoice_index i JOIN record r "  # noqa: S608 - ours
            f"ON r.kind = 'invoice' AND r.key = i.id{where} ORDER BY i.number, r.rowid",
            args,
        )
        return [self._record(Invoice, row) for row in rows]

    def invoices_matching(self, query: CustomerQuery) -> Sequence[Invoice]:
        """Return the invoices of every customer matching ``query``, by invoice number."""
        if q.field_filter(query) is None:
            found = q.ids_sql(query)
            if found is None:
                return []
            sql, args = found
            return self._indexed_invoices(f" WHERE i.customer IN ({sql})", tuple(args))
        ids = [str(c.id) for c in self.search_customers(query)]
        invoices = []
        for marks, chunk in q.in_lists(ids):
            invoices += self._indexed_invoices(f" WHERE i.customer IN ({marks})", tuple(chunk))
        return sorted(invoices, key=lambda i: i.number)

    def payments_of(self, invoice_ids: Collection[uuid.UUID]) -> Sequence[Payment]:
        """Return the payments on these invoices, in the order added."""
        return self._of_invoices(Payment, invoice_ids)

    def reminders_of(self, invoice_ids: Collection[uuid.UUID]) -> Sequence[ReminderLog]:
        """Return the reminder logs of these invoices, in the order added."""
        return self._of_invoices(ReminderLog, invoice_ids)

    def _of_invoices(self, kind: type[R], invoice_ids: Collection[uuid.UUID]) -> list[R]:
        rows: list[tuple[Any, ...]] = []
        for marks, chunk in q.in_lists([str(i) for i in invoice_ids]):
            rows += self._rows(
                f"SELECT r.rowid, {_R_COLUMNS} FROM record_invoice p JOIN record r "  # noqa: S608
                "ON r.kind = p.kind AND r.key = p.key "
                f"WHERE p.kind = ? AND p.invoice IN ({marks})",
                (kind.KIND, *chunk),
            )
        rows.sort(key=lambda row: row[0])
        return [self._record(kind, row[1:]) for row in rows]

    def last_invoice_number(self) -> int:
        """Return the highest invoice number stored (0 when there is none)."""
        return int(self._rows("SELECT coalesce(max(number), 0) FROM invoice_index")[0][0])

    def has_welcome(self, customer_id: uuid.UUID) -> bool:
        """Return whether the customer has a welcome delivery or a welcome invoice."""
        key = str(customer_id)
        rows = self._rows(
            "SELECT EXISTS (SELECT 1 FROM record WHERE kind = 'delivery' AND key = ?) "
            "OR EXISTS (SELECT 1 FROM invoice_index WHERE customer = ? AND welcome = 1)",
            (key, key),
        )
        return bool(rows[0][0])

    def pending_deliveries(self, due_by: dt.datetime | None = None) -> Sequence[Delivery]:
        """Return the pending deliveries due by ``due_by`` (all, without it), in the order added."""
        sql = (
            f"SELECT {_R_COLUMNS} FROM delivery_index d JOIN record r "  # noqa: S608 - ours
            "ON r.kind = 'delivery' AND r.key = d.customer WHERE d.pending = 1"
        )
        args: tuple[Any, ...] = ()
        if due_by is not None:
            sql += " AND (d.next_attempt IS NULL OR d.next_attempt <= ?)"
            args = (q.micros(due_by),)
        return [self._record(Delivery, row) for row in self._rows(sql + " ORDER BY r.rowid", args)]

    def welcome_invoices_due(self, due_by: dt.date) -> Sequence[Invoice]:
        """Return the sent welcome invoices due on or before ``due_by``, by number."""
        return self._indexed_invoices(
            " WHERE i.welcome = 1 AND i.sent = 1 AND i.due <= ?", (due_by.isoformat(),)
        )

    # -- history lookups (HistoryQueries) ----------------------------------------------

    def history_of(self, customer_id: uuid.UUID) -> Sequence[HistoryEntry]:
        """Return the customer's history entries, in the order stored (see `HistoryQueries`)."""
        return self._about(HistoryEntry, [customer_id])

    def forwards_to(self, customer_id: uuid.UUID) -> Sequence[Forward]:
        """Return the forwards of the customers merged into this one, in the order stored."""
        return self._about(Forward, [customer_id])

    def forwards_numbered(self, number: int) -> Sequence[Forward]:
        """Return the forwards of the customers merged away with this number."""
        if not is_number(number):
            return []
        rows = self._rows(
            f"SELECT {_RECORD_COLUMNS} FROM record "  # noqa: S608 - our columns
            "WHERE number = ? AND kind = ? ORDER BY rowid",
            (number, Forward.KIND),
        )
        found = [self._record(Forward, row) for row in rows]
        return [forward for forward in found if forward.number == number]

    def records_about(self, customer_ids: Collection[uuid.UUID]) -> Sequence[Record]:
        """Return every record about these customers (see `HistoryQueries.records_about`)."""
        return gather_records_about(self._about, self, customer_ids)

    def _about(self, kind: type[R], customer_ids: Collection[uuid.UUID]) -> list[R]:
        """The records of ``kind`` about these customers, in the order stored.

        Looked up by the ``customer`` column; a record whose column was damaged to name
        another customer is left out (the column is derived, without a checksum).
        """
        wanted = {str(i) for i in customer_ids}
        rows: list[tuple[Any, ...]] = []
        for marks, chunk in q.in_lists(sorted(wanted)):
            rows += self._rows(
                f"SELECT rowid, {_RECORD_COLUMNS} FROM record "  # noqa: S608 - our columns
                f"WHERE customer IN ({marks}) AND kind = ?",
                (*chunk, kind.KIND),
            )
        rows.sort(key=lambda row: row[0])
        found = [self._record(kind, row[1:]) for row in rows]
        return [record for record in found if q.record_lookup(record)[0] in wanted]

    def verify(self) -> None:
        """Check the whole database: SQLite's own integrity check, then every row.

        Reads check the rows they read; this reads them all (customers, categories,
        custom fields, records and their lookup columns, counters), and also runs
        ``PRAGMA integrity_check``,
        which finds damage no row checksum can see, such as a damaged index page. Run
        it after a crash of the machine, or from a periodic health check.

        Raises:
            CorruptStore: SQLite reports damage, or a row fails its checksum or the
                structural checks, or a record's lookup columns do not match it (the
                message names it).
        """
        report = [row[0] for row in self._rows("PRAGMA integrity_check")]
        if report != ["ok"]:
            raise self._damaged(f"SQLite's integrity check reports: {'; '.join(report[:5])}")
        self.customers()
        self.categories()
        self.custom_fields()
        lookups = {
            (kind, key): (customer, number)
            for kind, key, customer, number in self._rows(
                "SELECT kind, key, customer, number FROM record"
            )
        }
        for kind in RECORD_KINDS.values():
            for record in self.records(kind):
                if lookups[record.KIND, record.key] != q.record_lookup(record):
                    what = f"the lookup columns of the {record.KIND} {record.key} do not match it"
                    raise self._damaged(what)
        for row in self._rows("SELECT id, deleted_revision, checksum FROM customer_deleted"):
            self._tombstone(row)
        self.last_number()
        self.revision()
        self.store_id()
        for key in ("feed_horizon", "categories_revision", "custom_fields_revision"):
            self._meta(key)

    def scrub(self) -> None:
        """Rewrite the database so that no replaced or deleted value is left in its files.

        `CustomerBook.erase` calls this after its commit: with ``secure_delete`` on,
        ``VACUUM`` rebuilds the file from the live rows only (free pages, old cells of
        rows and index entries go; each FTS5 index is first merged by its ``optimize``
        command, which drops the entries of deleted rows), and in WAL mode a
        ``wal_checkpoint(TRUNCATE)`` empties the write-ahead log. It takes time in
        proportion to the book's size, and waits (up to the store's timeout) for other
        connections' transactions.

        Raises:
            StoreLocked: another connection kept the database busy.
            StorageError: the database could not be rewritten.
        """
        with self._lock, _translated(self.path):
            self._db.execute("PRAGMA secure_delete=ON")
            for (name,) in self._db.execute(_FTS5_TABLES).fetchall():
                quoted = '"' + str(name).replace('"', '""') + '"'
                self._db.execute(f"INSERT INTO {quoted}({quoted}) VALUES ('optimize')")  # noqa: S608
            self._db.execute("VACUUM")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        """Close the connection. Closing twice is harmless."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> Self:
        """Use the store in a ``with`` block, which closes it at the end."""
        return self

    def __exit__(self, *_: object) -> None:
        """Close the store."""
        self.close()

    def __repr__(self) -> str:
        return f"<SqliteStore {self.path!r}>"


_FTS5_TABLES = (
    "SELECT name FROM sqlite_master WHERE type = 'table' "
    "AND lower(sql) LIKE 'create virtual table%using fts5%'"
)


class _SqliteTransaction:
    """The writes of one SQLite transaction."""

    def __init__(self, store: SqliteStore, revision: int, last_number: int) -> None:
        self._store = store
        self._db = store._db  # noqa: SLF001 - the transaction belongs to its store
        self._dumps: Callable[[Any], str] = lambda obj: json.dumps(
            store._converter.unstructure(obj),  # noqa: SLF001
            ensure_ascii=False,
            separators=(",", ":"),
        )
        self.revision = revision
        self.changed = revision + 1  # the revision this transaction makes
        self.last_number = last_number
        self.wrote = False
        self.search_fields: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
        self.categories = False
        self.custom_fields = False

    def finish(self) -> None:
        """Before COMMIT: move the revision on, note what the feed needs, prune tombstones."""
        self.set_meta("revision", self.changed)
        if self.categories:
            self.set_meta("categories_revision", self.changed)
        if self.custom_fields:
            self.set_meta("custom_fields_revision", self.changed)
        retention = self._store.feed_retention
        if retention is None:
            return
        prune_to = self.changed - retention
        pruned = self._db.execute(
            "SELECT max(deleted_revision) FROM customer_deleted WHERE deleted_revision <= ?",
            (prune_to,),
        ).fetchone()[0]
        if pruned is not None:
            self._execute("DELETE FROM customer_deleted WHERE deleted_revision <= ?", (prune_to,))
            horizon = self._store._meta("feed_horizon")  # noqa: SLF001
            self.set_meta("feed_horizon", max(horizon, int(pruned)))

    def _execute(self, sql: str, args: tuple[Any, ...]) -> sqlite3.Cursor:
        with _translated(self._store.path):
            cursor = self._db.execute(sql, args)
        self.wrote = True
        return cursor

    def set_meta(self, key: str, value: int) -> None:
        """Store a counter (``revision``, ``last_number``) with its checksum."""
        self._execute(
            "UPDATE meta SET value = ?, checksum = ? WHERE key = ?",
            (value, _checksum(key, value), key),
        )

    def _row(self, customer: Customer) -> tuple[Any, ...]:
        check_structure(customer)
        columns = (
            str(customer.id),
            customer.number,
            customer.version,
            customer.email.casefold() if customer.email else None,
            customer.tax_id.value if customer.tax_id else None,
            customer.phone.number if customer.phone else None,
            self._dumps(customer),
        )
        return (*columns, _checksum(*columns))

    def add(self, customer: Customer) -> None:
        """Add a new customer (see `Transaction.add`)."""
        row = self._row(customer)
        try:
            self._execute(_INSERT_CUSTOMER, (*row, self.changed))
        except AlreadyExists as exc:
            raise refused.customer_exists(customer.id, customer.number) from exc
        q.index_customer(self._db, customer, *self.search_fields)
        self._bump_last_number(customer.number)

    def _bump_last_number(self, number: int) -> None:
        if number > self.last_number:
            self.last_number = number
            self.set_meta("last_number", number)

    def update(self, customer: Customer, *, expected_version: int) -> None:
        """Replace a customer if it is still at ``expected_version``."""
        row = self._row(customer)
        before = self._db.execute("SELECT number FROM customer WHERE id = ?", (row[0],)).fetchone()
        try:
            cursor = self._execute(
                "UPDATE customer SET number = ?, version = ?, email = ?, tax_id = ?, phone = ?, "
                "data = ?, checksum = ?, changed_revision = ? WHERE id = ? AND version = ?",
                (*row[1:], self.changed, row[0], expected_version),
            )
        except AlreadyExists as exc:
            raise refused.number_taken(customer.number) from exc
        if cursor.rowcount == 0:
            stored = self._db.execute(
                "SELECT version, number FROM customer WHERE id = ?", (row[0],)
            ).fetchone()
            if stored is None:
                raise refused.customer_not_found(customer.id)
            raise refused.customer_changed(stored[1], stored[0], expected_version)
        q.unindex_customer(self._db, before[0])
        q.index_customer(self._db, customer, *self.search_fields)
        self._bump_last_number(customer.number)

    def delete(self, customer_id: uuid.UUID) -> None:
        """Delete a customer, leaving a tombstone for the change feed."""
        row_id = str(customer_id)
        before = self._db.execute("SELECT number FROM customer WHERE id = ?", (row_id,)).fetchone()
        if self._execute("DELETE FROM customer WHERE id = ?", (row_id,)).rowcount == 0:
            raise refused.customer_not_found(customer_id)
        q.unindex_customer(self._db, before[0])
        self._execute(
            "INSERT INTO customer_deleted (id, deleted_revision, checksum) VALUES (?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET deleted_revision = excluded.deleted_revision, "
            "checksum = excluded.checksum",
            (row_id, self.changed, _checksum(row_id, self.changed)),
        )

    def put_category(self, category: Category) -> None:
        """Add or replace a category."""
        check_structure(category)
        row_id, data = str(category.id), self._dumps(category)
        self._execute(
            "INSERT INTO category (id, data, checksum, changed_revision) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET data = excluded.data, checksum = excluded.checksum, "
            "changed_revision = excluded.changed_revision",
            (row_id, data, _checksum(row_id, data), self.changed),
        )
        self.categories = True

    def delete_category(self, category_id: uuid.UUID) -> None:
        """Delete a category."""
        if self._execute("DELETE FROM category WHERE id = ?", (str(category_id),)).rowcount == 0:
            raise refused.category_not_found(category_id)
        self.categories = True

    def put_custom_field(self, definition: CustomFieldDefinition) -> None:
        """Add or replace a custom-field definition."""
        check_structure(definition)
        key, data = definition.key, self._dumps(definition)
        stored = self._db.execute(
            "SELECT position FROM custom_field WHERE key = ?", (key,)
        ).fetchone()
        if stored is None:
            position = self._db.execute("SELECT count(*) FROM custom_field").fetchone()[0]
            self._execute(
                "INSERT INTO custom_field (key, position, data, checksum, changed_revision) "
                "VALUES (?, ?, ?, ?, ?)",
                (key, position, data, _checksum(key, position, data), self.changed),
            )
        else:
            self._execute(
                "UPDATE custom_field SET data = ?, checksum = ?, changed_revision = ? "
                "WHERE key = ?",
                (data, _checksum(key, stored[0], data), self.changed, key),
            )
        self.custom_fields = True
        fields = _search_fields([*self._store.custom_fields(), definition])
        if fields != self.search_fields:
            q.reindex_text(self._db, self._store.customers(), *fields)
            self.search_fields = fields

    def put_record(self, record: Record, *, expected_version: int | None) -> None:
        """Add or replace an invoice, payment, delivery or reminder log."""
        check_structure(record)
        kind, key, data = record.KIND, record.key, self._dumps(record)
        checksum = _checksum(kind, key, record.version, data)
        customer, number = q.record_lookup(record)
        if expected_version is None:
            try:
                self._execute(
                    "INSERT INTO record (kind, key, version, data, checksum, changed_revision, "
                    "customer, number) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (kind, key, record.version, data, checksum, self.changed, customer, number),
                )
            except AlreadyExists as exc:
                raise refused.record_exists(kind, key) from exc
            q.index_record(self._db, record)
            return
        where = (kind, key, expected_version)
        cursor = self._execute(
            "UPDATE record SET version = ?, data = ?, checksum = ?, changed_revision = ?, "
            "customer = ?, number = ? WHERE kind = ? AND key = ? AND version = ?",
            (record.version, data, checksum, self.changed, customer, number, *where),
        )
        if cursor.rowcount == 0:
            stored = self._db.execute(
                "SELECT version FROM record WHERE kind = ? AND key = ?", (kind, key)
            ).fetchone()
            if stored is None:
                raise refused.record_not_found(kind, key)
            raise refused.record_changed(kind, key, stored[0], expected_version)
        q.index_record(self._db, record)


def _search_fields(
    definitions: Iterable[CustomFieldDefinition],
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The keys of the custom fields searched as text, and as private text (last one wins)."""
    latest = list({d.key: d for d in definitions}.values())
    return text_field_keys(latest), private_field_keys(latest)


def _checked_retention(value: int | None) -> int | None:
    if value is not None and (type(value) is not int or value < 1):
        msg = f"feed_retention must be a whole number from 1, or None, not {value!r}."
        raise ValueError(msg)
    return value


def _checked_synchronous(value: str) -> str:
    allowed = {"OFF", "NORMAL", "FULL", "EXTRA"}
    if value.upper() not in allowed:
        msg = f"synchronous must be one of {', '.join(sorted(allowed))}, not {value!r}."
        raise ValueError(msg)
    return value.upper()


def _switch_to_wal(db: sqlite3.Connection, timeout: float) -> None:
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


@contextlib.contextmanager
def _translated(path: str) -> Iterator[None]:
    """Turn sqlite3's exceptions into ours."""
    try:
        yield
    except sqlite3.IntegrityError as exc:
        params = {"book": path, "reason": str(exc), "rule": "database"}
        raise AlreadyExists.coded("storage.duplicate", params) from exc
    except sqlite3.OperationalError as exc:
        text = str(exc)
        if text.startswith("Could not decode"):
            msg = (
                f"The database {path} cannot be read ({text}). It was left as it is: restore "
                "it from a backup."
            )
            params = {"book": str(path), "reason": text, "rule": "database_undecodable"}
            raise CorruptStore(msg, code="storage.corrupt", params=params) from exc
        if "locked" in text or "busy" in text:
            msg = f"The database {path} is locked by another connection ({text}). Try again later."
            params = {"book": str(path), "reason": text, "rule": "database"}
            raise StoreLocked(msg, code="storage.locked", params=params) from exc
        msg = f"The database {path} could not be used: {text}."
        params = {"book": str(path), "reason": text}
        raise StorageError(msg, code="storage.unusable", params=params) from exc
    except sqlite3.DatabaseError as exc:
        msg = (
            f"The database {path} cannot be read ({exc}). It was left as it is: restore it "
            "from a backup, or move it aside to start a new book."
        )
        params = {"book": str(path), "reason": str(exc), "rule": "database_damaged"}
        raise CorruptStore(msg, code="storage.corrupt", params=params) from exc
