"""`SqliteTransaction`: the writes of one transaction of `SqliteStore`.

It adds, updates and deletes customers, categories, custom fields and records, one
statement each, with their rows' checksums (`RowCodec`), keeps the query tables of
``_queries.py`` in step in the same transaction, and before COMMIT moves the revision
on and prunes the change feed's old tombstones (`finish`). `search_fields` says which
custom fields are searched as text.

`SqliteStore` (in ``_store.py``) opens it. This module does not import the store's
(which imports this one): `TransactionStore` names what a transaction uses of its store,
and mypy checks that the store has it where it opens a transaction.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from debitor_core._category import Category
from debitor_core._errors import AlreadyExists
from debitor_core._fields import CustomFieldDefinition
from debitor_core._integrity import check_structure
from debitor_core._invoice import Record
from debitor_core._model import Customer
from debitor_core._text import private_field_keys, text_field_keys
from debitor_core.storage import _refusals as refused
from debitor_core.storage._arguments import (
    RECORD_TYPES,
    given_type,
    is_sql_integer,
    is_uuid,
    same_version,
)
from debitor_core.storage._sqlite import _queries as q
from debitor_core.storage._sqlite._errors import translated
from debitor_core.storage._sqlite._rows import INSERT_CUSTOMER, RowCodec, checksum

__all__ = ["SqliteTransaction", "TransactionStore", "search_fields"]


class TransactionStore(Protocol):
    """What a transaction uses of its store (`SqliteStore` has it).

    The transaction belongs to its store and reads its private parts; they are named
    here so that this module need not import the store's (which imports this one).
    """

    path: str
    feed_retention: int | None
    _db: sqlite3.Connection
    _codec: RowCodec

    def _meta(self, key: str) -> int: ...

    def customers(self, *, offset: int = 0, limit: int | None = None) -> Sequence[Customer]: ...

    def custom_fields(self) -> Sequence[CustomFieldDefinition]: ...


class SqliteTransaction:
    """The writes of one SQLite transaction."""

    def __init__(self, store: TransactionStore, revision: int, last_number: int) -> None:
        """Start at the store's ``revision`` and ``last_number``, read in this transaction."""
        self._store = store
        self._db = store._db  # noqa: SLF001 - the transaction belongs to its store
        self._codec = store._codec  # noqa: SLF001
        self._dumps = self._codec.dumps
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
        with translated(self._store.path):
            cursor = self._db.execute(sql, args)
        self.wrote = True
        return cursor

    def set_meta(self, key: str, value: int) -> None:
        """Store a counter (``revision``, ``last_number``) with its checksum."""
        self._execute(
            "UPDATE meta SET value = ?, checksum = ? WHERE key = ?",
            (value, checksum(key, value), key),
        )

    def add(self, customer: Customer) -> None:
        """Add a new customer (see `Transaction.add`)."""
        row = self._codec.customer_row(customer, self.changed)
        try:
            self._execute(INSERT_CUSTOMER, row)
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
        row = self._codec.customer_row(customer, self.changed)
        if not is_sql_integer(expected_version):
            # Compared here, as the in-memory store compares it: SQLite would take "1"
            # for 1, and cannot be handed 2**64.
            version, number = self._stored_customer(customer)
            if not same_version(version, expected_version):
                raise refused.customer_changed(number, version, expected_version)
            expected_version = version
        before = self._db.execute("SELECT number FROM customer WHERE id = ?", (row[0],)).fetchone()
        try:
            cursor = self._execute(
                "UPDATE customer SET number = ?, version = ?, email = ?, tax_id = ?, phone = ?, "
                "data = ?, changed_revision = ?, checksum = ? WHERE id = ? AND version = ?",
                (*row[1:], row[0], expected_version),
            )
        except AlreadyExists as exc:
            raise refused.number_taken(customer.number) from exc
        if cursor.rowcount == 0:
            version, number = self._stored_customer(customer)
            raise refused.customer_changed(number, version, expected_version)
        q.unindex_customer(self._db, before[0])
        q.index_customer(self._db, customer, *self.search_fields)
        self._bump_last_number(customer.number)

    def _stored_customer(self, customer: Customer) -> tuple[int, int]:
        """The version and number stored for ``customer``'s id (`NotFound` if none)."""
        stored = self._db.execute(
            "SELECT version, number FROM customer WHERE id = ?", (str(customer.id),)
        ).fetchone()
        if stored is None:
            raise refused.customer_not_found(customer.id)
        return int(stored[0]), int(stored[1])

    def delete(self, customer_id: uuid.UUID) -> None:
        """Delete a customer, leaving a tombstone for the change feed.

        Raises:
            NotFound: no customer has the id (nor can one: it is not a UUID).
        """
        if not is_uuid(customer_id):
            raise refused.customer_not_found(customer_id)
        row_id = str(customer_id)
        before = self._db.execute("SELECT number FROM customer WHERE id = ?", (row_id,)).fetchone()
        if self._execute("DELETE FROM customer WHERE id = ?", (row_id,)).rowcount == 0:
            raise refused.customer_not_found(customer_id)
        q.unindex_customer(self._db, before[0])
        self._execute(
            "INSERT INTO customer_deleted (id, deleted_revision, checksum) VALUES (?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET deleted_revision = excluded.deleted_revision, "
            "checksum = excluded.checksum",
            (row_id, self.changed, checksum(row_id, self.changed)),
        )

    def put_category(self, category: Category) -> None:
        """Add or replace a category."""
        check_structure(category)
        row_id, data = str(category.id), self._dumps(category)
        self._execute(
            "INSERT INTO category (id, data, checksum, changed_revision) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET data = excluded.data, checksum = excluded.checksum, "
            "changed_revision = excluded.changed_revision",
            (row_id, data, checksum(row_id, data, self.changed), self.changed),
        )
        self.categories = True

    def delete_category(self, category_id: uuid.UUID) -> None:
        """Delete a category (`NotFound` if there is none, or the id is not a UUID)."""
        if not is_uuid(category_id):
            raise refused.category_not_found(category_id)
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
                (key, position, data, checksum(key, position, data, self.changed), self.changed),
            )
        else:
            self._execute(
                "UPDATE custom_field SET data = ?, checksum = ?, changed_revision = ? "
                "WHERE key = ?",
                (data, checksum(key, stored[0], data, self.changed), self.changed, key),
            )
        self.custom_fields = True
        fields = search_fields([*self._store.custom_fields(), definition])
        if fields != self.search_fields:
            q.reindex_text(self._db, self._store.customers(), *fields)
            self.search_fields = fields

    def put_record(self, record: Record, *, expected_version: int | None) -> None:
        """Add or replace a record (`TypeError` for anything else, a customer too)."""
        given_type(record, RECORD_TYPES, "put_record")
        check_structure(record)
        kind, key, data = record.KIND, record.key, self._dumps(record)
        row_checksum = checksum(kind, key, record.version, data, self.changed)
        customer, number = q.record_lookup(record)
        if expected_version is None:
            try:
                self._execute(
                    "INSERT INTO record (kind, key, version, data, checksum, changed_revision, "
                    "customer, number) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (kind, key, record.version, data, row_checksum, self.changed, customer, number),
                )
            except AlreadyExists as exc:
                raise refused.record_exists(kind, key) from exc
            q.index_record(self._db, record)
            return
        if not is_sql_integer(expected_version):
            # Compared here, as for a customer (see `update`).
            version = self._stored_record(kind, key)
            if not same_version(version, expected_version):
                raise refused.record_changed(kind, key, version, expected_version)
            expected_version = version
        where = (kind, key, expected_version)
        cursor = self._execute(
            "UPDATE record SET version = ?, data = ?, checksum = ?, changed_revision = ?, "
            "customer = ?, number = ? WHERE kind = ? AND key = ? AND version = ?",
            (record.version, data, row_checksum, self.changed, customer, number, *where),
        )
        if cursor.rowcount == 0:
            version = self._stored_record(kind, key)
            raise refused.record_changed(kind, key, version, expected_version)
        q.index_record(self._db, record)

    def _stored_record(self, kind: str, key: str) -> int:
        """The version stored for the record of ``kind`` with ``key`` (`NotFound` if none)."""
        stored = self._db.execute(
            "SELECT version FROM record WHERE kind = ? AND key = ?", (kind, key)
        ).fetchone()
        if stored is None:
            raise refused.record_not_found(kind, key)
        return int(stored[0])


def search_fields(
    definitions: Iterable[CustomFieldDefinition],
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The keys of the custom fields searched as text, and as private text (last one wins)."""
    latest = list({d.key: d for d in definitions}.values())
    return text_field_keys(latest), private_field_keys(latest)
