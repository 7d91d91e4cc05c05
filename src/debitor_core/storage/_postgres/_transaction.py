"""`PostgresTransaction`: the writes of one transaction on a book, with its row locked.

- `PostgresTransaction`: adds, updates and deletes customers, categories, custom fields
  and records, one statement each; folds the book's computed columns again
  (`fold_book`); and moves the book's row on before COMMIT (`finish`).
- Its bulk writes (`BulkWrites`): `add_many` and `add_records` send a batch in one
  ``COPY`` under a savepoint, each row encoded here in ``COPY``'s text format
  (`_copy_line`, `_record_line`), with the GIN pending list raised for a big import.
- What only those use: `_Pulled` (the caller's customers, pulled and checked one at a
  time), `_given_twice` and `_checked_number`.

`PostgresStore` (in ``_store.py``) opens it, with the SQL text it runs
(`SchemaStatements`, in ``_statements.py``). This module does not import the store's
(which imports this one): `TransactionStore` and `Statements` name what a transaction
uses of them, and mypy checks that the store has it where it opens a transaction.
"""

from __future__ import annotations

import contextlib
import itertools
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from typing import Any, Final, Protocol, Self, cast

import psycopg
import psycopg_pool
from psycopg import errors
from psycopg.copy import QueuedLibpqWriter
from psycopg.rows import tuple_row

from debitor_core._category import Category
from debitor_core._errors import AlreadyExists, DebitorError, StorageError, ValidationError
from debitor_core._fields import CustomFieldDefinition
from debitor_core._i18n import render_message
from debitor_core._invoice import Record
from debitor_core._limits import MAX_NUMBER
from debitor_core._model import Customer
from debitor_core._text import FOLD_VERSION, UNICODE_VERSION
from debitor_core.storage import _refusals as refused
from debitor_core.storage._arguments import RECORD_TYPES, given_type, is_sql_integer, same_version
from debitor_core.storage._postgres import _schema
from debitor_core.storage._postgres._derived import (
    COMPUTED_COLUMNS,
    RECORD_COMPUTED_COLUMNS,
    CustomerColumns,
    FieldKeys,
    customer_columns,
    record_columns,
)
from debitor_core.storage._postgres._errors import translate
from debitor_core.storage._postgres._rows import (
    BookRow,
    RowCodec,
    array_literal,
    book_checksum,
    changed_checksum,
    changed_sealer,
    copy_fields,
    copy_text,
    copy_value,
    order_checksum,
    tombstone_checksum,
)

__all__ = ["Cursor", "PostgresTransaction", "Statements", "TransactionStore"]

Cursor = psycopg.Cursor[tuple[Any, ...]]
"""The cursors of the store and its transactions: rows come as tuples."""


class Statements(Protocol):
    """The SQL text a transaction runs, with its schema's table names (`SchemaStatements`)."""

    add_customer: str
    add_record: str
    all_customers: str
    all_records: str
    commit_book: str
    customer_clash: str
    customer_version: str
    delete_category: str
    delete_customer: str
    import_clash: str
    put_category: str
    put_custom_field: str
    record_version: str
    refold_customers: str
    refold_records: str
    seal_book: str
    set_fold_stamp: str
    update_customer: str
    update_record: str

    def copy_customers(self) -> str:
        """``COPY`` of new customers into the book's table (`PostgresTransaction.add_many`)."""
        ...

    def copy_records(self) -> str:
        """``COPY`` of new records into the book's table (`PostgresTransaction.add_records`)."""
        ...

    def records_clash(self) -> str:
        """Which of the given kinds and keys are stored already."""
        ...

    def gin_indexes(self) -> list[str]:
        """The GIN indexes of the customer table, schema-qualified."""
        ...


class TransactionStore(Protocol):
    """What a transaction uses of its store (`PostgresStore` has it).

    The transaction belongs to its store and reads its private parts; they are named
    here so that this module need not import the store's (which imports this one).
    """

    book_id: str
    channel: str
    _name: str
    _retention: int | None
    _notify: bool
    _codec: RowCodec

    @property
    def _sql(self) -> Statements: ...

    def _field_keys(self, cur: Cursor, revision: int) -> FieldKeys: ...

    def _load_field_keys(self, cur: Cursor) -> FieldKeys: ...

    def _lookups_missing(self, cur: Cursor | None = None) -> bool: ...

    def _refuse_newer_fold(self, version: int | None) -> None: ...


_ID_COMPUTED: Final = f"id, {COMPUTED_COLUMNS}"

_REFOLD_BATCH: Final = 2_000
_BULK_IMPORT: Final = 1_000
"""From this many customers on, an import raises the GIN pending list cap for its COPY."""
_BULK_PENDING_LIST_KB: Final = 4_096
_BULK_WORK_MEM_KB: Final = 65_536
_COPY_CHUNK: Final = 500
"""How many rows an import takes from its iterator, encodes, then hands to psycopg's sending
thread."""
# Raises the cap (to the first parameter) and work_mem (to at least the second), when
# this role owns every index named (the third); returns work_mem as it was.
_RAISE_PENDING_LIST: Final = (
    "SELECT current_setting('work_mem'), set_config('gin_pending_list_limit', %(cap)s, true), "
    "set_config('work_mem', CASE WHEN pg_size_bytes(current_setting('work_mem')) < "
    "pg_size_bytes(%(work_mem)s::text) THEN %(work_mem)s ELSE current_setting('work_mem') END, "
    "true) "
    "WHERE (SELECT count(*) FILTER (WHERE pg_has_role(relowner, 'USAGE')) FROM pg_class "
    "WHERE oid IN (SELECT to_regclass(x) FROM unnest(%(indexes)s::text[]) x)) "
    "= cardinality(%(indexes)s::text[])"
)
# Caps the pending lists again, puts work_mem back, and moves what is pending into the
# indexes named.
_CLEAN_PENDING_LIST: Final = (
    "SELECT set_config('gin_pending_list_limit', %s, true), set_config('work_mem', %s, true), "
    "(SELECT sum(gin_clean_pending_list(to_regclass(x))) FROM unnest(%s::text[]) x)"
)


class PostgresTransaction:
    """The writes of one `PostgresStore` transaction, with the book's row locked.

    Every write takes effect at once in the database transaction; none is visible to
    others before the commit. A write that finds its precondition broken raises
    (`AlreadyExists`, `NotFound`, `ConcurrencyConflict`) without spoiling the
    transaction, so a caller may catch the error and go on.
    """

    def __init__(self, store: TransactionStore, cur: Cursor, row: BookRow) -> None:
        """Start with the book's locked row (its checksum checked): revision, last number, ..."""
        self._store = store
        self._cur = cur
        self._sql = store._sql  # noqa: SLF001 - the transaction belongs to its store
        self._codec = store._codec  # noqa: SLF001
        self._book = store.book_id
        self._row = row
        self.last_number = row.last_number
        self._categories, self._fields = row.categories_revision, row.custom_fields_revision
        self.revision: int = row.revision + 1
        """The revision this transaction gets when it commits."""
        self.field_keys = store._field_keys(cur, self._fields)  # noqa: SLF001
        """The custom fields whose values are searched (as general or private text)."""
        self.wrote = False
        self._failed: StorageError | None = None
        self._importing = False
        self._seq = 0
        self._seal_changed = changed_sealer(self._book, "customer", self.revision)

    def _execute(self, statement: str | bytes, params: Sequence[object] = ()) -> Cursor:
        self._refuse_while_importing()
        if self._failed is not None:
            msg = (
                "This transaction cannot go on: an earlier statement failed, and the "
                f"database rolled it back ({self._failed})."
            )
            reason = {"reason": str(self._failed)}
            raise StorageError(msg, code="storage.transaction_failed", params=reason)
        try:
            return self._cur.execute(statement, params)
        except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
            error = translate(exc, self._store._name)  # noqa: SLF001
            if isinstance(error, StorageError):
                self._failed = error
            raise error from exc

    def _computed(self, customer: Customer) -> CustomerColumns:
        return customer_columns(customer, self.field_keys)

    def fold_book(self) -> None:
        """Compute every computed column of the book again, and record the fold used.

        Runs when a store opens a book whose columns another fold (or none, before
        schema version 2) computed, or some of whose records lack the columns of the
        history lookups; does nothing if another process did it meanwhile.
        """
        # The book's row is locked by this transaction: as it was read, checksum checked.
        row = self._row
        current = (row.fold_version, row.unicode_version) == (FOLD_VERSION, UNICODE_VERSION)
        if current and not self._store._lookups_missing(self._cur):  # noqa: SLF001
            return
        self._store._refuse_newer_fold(row.fold_version)  # noqa: SLF001
        self._refold_customers()
        self._refold_records()
        self._row = row._replace(fold_version=FOLD_VERSION, unicode_version=UNICODE_VERSION)
        self._execute(
            self._sql.set_fold_stamp,
            (FOLD_VERSION, UNICODE_VERSION, book_checksum(self._book, self._row), self._book),
        )

    def _refold_customers(self) -> None:
        """Compute the customers' columns again (with `field_keys`), in batches."""

        def row(stored: tuple[Any, ...]) -> tuple[object, ...]:
            customer = self._codec.customer(stored)
            return (customer.id, *self._computed(customer))

        self._refold(
            "debitor_refold",
            "id uuid, search_text text, private_text text, folded_name text, "
            "created timestamptz, match_keys text[], tags text[]",
            _ID_COMPUTED,
            (self._sql.all_customers, self._sql.refold_customers),
            row,
        )

    def _refold_records(self) -> None:
        """Compute the records' columns again, in batches."""

        def row(stored: tuple[Any, ...]) -> tuple[object, ...]:
            record = self._codec.any_record(stored)
            return (record.KIND, record.key, *record_columns(record))

        self._refold(
            "debitor_refold_records",
            "kind text, key text, customer_id uuid, invoice_id uuid, invoice_number bigint, "
            "welcome boolean, state text, due_date date, next_attempt timestamptz",
            f"kind, key, {RECORD_COMPUTED_COLUMNS}",
            (self._sql.all_records, self._sql.refold_records),
            row,
        )

    def _refold(
        self,
        table: str,
        columns: str,
        names: str,
        statements: tuple[str, str],
        row: Callable[[tuple[Any, ...]], tuple[object, ...]],
    ) -> None:
        """Recompute the book's rows in batches into a temporary table, then apply it.

        ``table`` is made of ``columns`` (a definition) and filled in ``names`` with
        ``row`` of each stored row; ``statements`` are the query that reads the rows and
        the one that applies the table, both taking the book id.
        """
        read, apply = statements
        self._execute(f"CREATE TEMPORARY TABLE pg_temp.{table} ({columns}) ON COMMIT DROP")
        with self._translated(), self._source() as source:
            source.execute(read, (self._book,))
            while batch := source.fetchmany(_REFOLD_BATCH):
                with self._cur.copy(f"COPY pg_temp.{table} ({names}) FROM STDIN") as copy:
                    for stored in batch:
                        copy.write_row(row(stored))
        self._execute(apply, (self._book,))
        self._execute(f"DROP TABLE pg_temp.{table}")

    def _source(self) -> psycopg.ServerCursor[tuple[Any, ...]]:
        """A server-side cursor in this transaction, to read a whole book in batches."""
        return self._cur.connection.cursor("debitor_refold", row_factory=tuple_row)

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        """Turn psycopg's errors into ours, and spoil the transaction as `_execute` does.

        Only after an `_execute` (which refuses a spoiled transaction) in the same step.
        """
        try:
            yield
        except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
            error = translate(exc, self._store._name)  # noqa: SLF001
            if isinstance(error, StorageError):
                self._failed = error
            raise error from exc

    def _place(self, key: tuple[object, ...]) -> tuple[int, int, int]:
        """The order columns of a row added now, and their checksum (`order_checksum`).

        ``key`` is the row's table as `RowCodec` names it and its key columns. A row
        that is there already keeps its place and its checksum (``ON CONFLICT``).
        """
        self._seq += 1
        return self.revision, self._seq, order_checksum(self._book, key, self.revision, self._seq)

    def _customer_row(
        self, customer: Customer, method: str
    ) -> tuple[uuid.UUID, int, int, int, int, str, int]:
        """Id, number, version, changed revision and its checksum, data and its checksum."""
        given_type(customer, Customer, method)
        number = _checked_number(customer.number)
        data, checksum = self._codec.dump(customer)
        sealed = changed_checksum(self._book, ("customer", customer.id), self.revision)
        return (customer.id, number, customer.version, self.revision, sealed, data, checksum)

    def add(self, customer: Customer) -> None:
        """Add a new customer (see `Transaction.add`)."""
        row = self._customer_row(customer, "add")
        computed = self._computed(customer)
        if self._execute(self._sql.add_customer, (self._book, *row, *computed)).rowcount == 0:
            clash = self._execute(
                self._sql.customer_clash, (self._book, customer.id, customer.number)
            ).fetchone()
            if clash is not None and clash[0] == customer.id:
                raise refused.id_taken(customer.id)
            raise refused.number_taken(customer.number)
        self.wrote = True
        self.last_number = max(self.last_number, customer.number)

    def add_many(self, customers: Iterable[Customer]) -> int:
        """Add many new customers at once, with one ``COPY`` straight into the book.

        All of them are added, or none (`AlreadyExists` names the first clash found, and
        the transaction can go on without them): the table's unique keys check each row
        as ``COPY`` writes it, and a clash undoes the whole ``COPY``. An error of
        ``customers`` itself (a generator that validates as it goes) undoes it too, and
        comes out as it was raised: it is the caller's, even a psycopg error of another
        database. While the ``COPY`` is open its connection is busy, so ``customers``
        cannot use this store in this thread (`StorageError`).

        Args:
            customers: The new customers.

        Returns:
            How many were added.

        Raises:
            AlreadyExists: an id or a number is stored already, or given twice.
            TypeError: something other than a `Customer` was given.
            StorageError: the database failed (the transaction cannot go on), or
                ``customers`` used this store while they were imported.
        """
        source = _Pulled(customers)
        self._execute(b"SAVEPOINT debitor_import")
        ids: set[str] = set()
        numbers: set[int] = set()
        try:
            raised = self._raise_pending_list(customers)
            # A thread of psycopg's sends each chunk while the next ones are made and
            # encoded. A chunk is taken whole from the iterator before it is encoded:
            # when the iterator validates as it goes, running each half 500 times in a
            # row keeps its code warm, which cost this process 6 to 12% less CPU than
            # taking turns at every customer (10,000 customers, COPY replaced by a no-op).
            writer = QueuedLibpqWriter(self._cur)
            self._importing = True
            try:
                with self._cur.copy(self._sql.copy_customers(), writer=writer) as copy:
                    while chunk := list(itertools.islice(source, _COPY_CHUNK)):
                        copy.write("".join([self._copy_line(c, ids, numbers) for c in chunk]))
                        # Let go of this chunk before the next one is pulled: customers
                        # held longer are moved to older generations of the garbage
                        # collector, whose full collections scan the caller's whole heap.
                        del chunk
            finally:
                self._importing = False
            if raised is not None:
                cap = str(_schema.PENDING_LIST_KB)
                self._cur.execute(_CLEAN_PENDING_LIST, (cap, raised[1], raised[0]))
        except Exception as exc:
            if source.failed or not isinstance(exc, psycopg.Error):
                # The caller's error, or refused here (a clash within the batch, a bad
                # number): nothing was stored, and the transaction goes on.
                self._execute(b"ROLLBACK TO SAVEPOINT debitor_import")
                raise
            if isinstance(exc, errors.UniqueViolation):
                self._execute(b"ROLLBACK TO SAVEPOINT debitor_import")
                raise self._import_clash(ids, numbers) from exc
            error = translate(exc, self._store._name)  # noqa: SLF001
            self._failed = error if isinstance(error, StorageError) else None
            raise error from exc
        self._execute(b"RELEASE SAVEPOINT debitor_import")
        if ids:
            self.wrote = True
            self.last_number = max(self.last_number, *numbers)
        return len(ids)

    def _refuse_while_importing(self) -> None:
        """Refuse a statement while `add_many`'s ``COPY`` holds the connection.

        psycopg holds the connection's lock for the whole ``COPY``: a statement from the
        customers' iterator (in the same thread) would wait for it forever.

        Raises:
            StorageError: an import is under way.
        """
        if self._importing:
            params = {"book": repr(self._book)}
            raise StorageError(
                render_message("storage.importing", params), code="storage.importing", params=params
            )

    def _copy_line(self, customer: Customer, ids: set[str], numbers: set[int]) -> str:
        """The row of ``customer`` in ``COPY``'s text format (`SchemaStatements.copy_customers`).

        Every value not made here is escaped, whatever its type: a text where a uuid,
        an int or a time belongs is refused by the server, never read as more columns
        or rows (of another book).
        """
        number = customer.number
        if number.__class__ is not int or not 1 <= number <= MAX_NUMBER:
            number = _checked_number(number)
        data, json_text, checksum = self._codec.dumped(customer)
        # The converter wrote the id as str() does: a str, unlike a UUID, is not tracked
        # by the garbage collector, which a set of 100,000 ids would keep busy.
        customer_id = data["id"]
        if customer_id in ids or number in numbers:
            raise _given_twice(customer_id, number, ids)
        ids.add(customer_id)
        numbers.add(number)
        columns = customer_columns(customer, self.field_keys, written=data)
        text, private, name, _, keys, tags = columns
        # The time in ISO 8601 with a "T" where str() has a space (its 11th character).
        created = data["created"]
        fields = (
            customer_id,
            str(number),
            str(customer.version),
            json_text,
            str(checksum),
            text,
            private,
            name,
            f"{created[:10]} {created[11:]}",
            array_literal(keys),
            array_literal(tags),
        )
        sealed = self._seal_changed(customer_id)
        return f"{self._book}\t{self.revision}\t{sealed}\t{copy_fields(fields)}\n"

    def _raise_pending_list(self, customers: Iterable[Customer]) -> tuple[list[str], str] | None:
        """Raise the GIN pending list cap for a big import: its indexes and work_mem, or None.

        Each index entry of a GIN index goes through its pending list, which every write
        transaction caps at `_schema.PENDING_LIST_KB`: a big import would move the list
        into the index every 256 kB, most of its time. So it raises the cap to 4 MB (and
        ``work_mem``, which sorting a full list takes, to 64 MB) for its one ``COPY``: the
        server moves each 4 MB into the index while the next rows are encoded. Then it
        moves what is left into the index (``gin_clean_pending_list``, as VACUUM would),
        so that searches right after it read no list. Only the owner of the indexes may
        do that; another role imports under the cap. An import of unknown size (an
        iterator) counts as big.
        """
        if isinstance(customers, Sized) and len(customers) < _BULK_IMPORT:
            return None
        indexes = self._sql.gin_indexes()
        parameters = {"cap": str(_BULK_PENDING_LIST_KB), "work_mem": f"{_BULK_WORK_MEM_KB}kB"}
        row = self._cur.execute(_RAISE_PENDING_LIST, {**parameters, "indexes": indexes}).fetchone()
        return None if row is None else (indexes, row[0])

    def _import_clash(self, ids: set[str], numbers: set[int]) -> AlreadyExists:
        clash = self._execute(
            self._sql.import_clash, (self._book, list(ids), self._book, list(numbers))
        ).fetchone()
        if clash is None:  # pragma: no cover - the insert just found one
            return AlreadyExists.coded("customer.import_clash")
        what, customer_id, number = clash
        if what == "id":
            return refused.id_taken(customer_id)
        return refused.number_taken(number)

    def update(self, customer: Customer, *, expected_version: int) -> None:
        """Replace a customer if it is still at ``expected_version`` (see `Transaction.update`)."""
        customer_id, number, version, revision, sealed, data, checksum = self._customer_row(
            customer, "update"
        )
        if not is_sql_integer(expected_version):
            # Compared here, as the in-memory store compares it: PostgreSQL would cast
            # "1" to a version, fail on "x" or 2**64, and spoil the transaction.
            expected_version = self._checked_version(customer, expected_version)
        cursor = self._execute(
            self._sql.update_customer,
            (
                *(number, version, revision, sealed, data, checksum, *self._computed(customer)),
                *(self._book, customer_id, expected_version, self._book, number, customer_id),
            ),
        )
        if cursor.rowcount == 0:
            self._checked_version(customer, expected_version)
            raise refused.number_taken(customer.number)
        self.wrote = True
        self.last_number = max(self.last_number, customer.number)

    def _checked_version(self, customer: Customer, expected_version: int) -> int:
        """The stored customer's version, once it equals ``expected_version``.

        Raises:
            NotFound: no customer has ``customer``'s id.
            ConcurrencyConflict: the stored version is another.
        """
        stored = self._execute(self._sql.customer_version, (self._book, customer.id)).fetchone()
        if stored is None:
            raise refused.customer_not_found(customer.id)
        version, number = stored
        if not same_version(version, expected_version):
            raise refused.customer_changed(number, version, expected_version)
        return int(version)

    def delete(self, customer_id: uuid.UUID) -> None:
        """Delete a customer, leaving a tombstone for the change feed."""
        deleted = 0
        if isinstance(customer_id, uuid.UUID):
            sealed = tombstone_checksum(self._book, customer_id, self.revision)
            deleted = self._execute(
                self._sql.delete_customer,
                (self._book, customer_id, self._book, self.revision, sealed),
            ).rowcount
        if deleted == 0:
            raise refused.customer_not_found(customer_id)
        self.wrote = True

    def put_category(self, category: Category) -> None:
        """Add or replace a category."""
        data, checksum = self._codec.dump(category)
        place = self._place(("category", category.id))
        self._execute(self._sql.put_category, (self._book, category.id, *place, data, checksum))
        self._categories = self.revision
        self.wrote = True

    def delete_category(self, category_id: uuid.UUID) -> None:
        """Delete a category."""
        deleted = 0
        if isinstance(category_id, uuid.UUID):
            deleted = self._execute(self._sql.delete_category, (self._book, category_id)).rowcount
        if deleted == 0:
            raise refused.category_not_found(category_id)
        self._categories = self.revision
        self.wrote = True

    def put_custom_field(self, definition: CustomFieldDefinition) -> None:
        """Add or replace a custom-field definition."""
        data, checksum = self._codec.dump(definition)
        place = self._place(("custom-field", definition.key))
        self._execute(
            self._sql.put_custom_field, (self._book, definition.key, *place, data, checksum)
        )
        self._fields = self.revision
        self.wrote = True
        with self._translated():
            keys = self._store._load_field_keys(self._cur)  # noqa: SLF001
        if keys != self.field_keys:
            # The searched fields changed: every customer's search text with them.
            self.field_keys = keys
            self._refold_customers()

    def put_record(self, record: Record, *, expected_version: int | None) -> None:
        """Add or replace a record (`TypeError` for anything else, a customer too)."""
        given_type(record, RECORD_TYPES, "put_record")
        kind, key = record.KIND, record.key
        data, checksum = self._codec.dump(record)
        sealed = changed_checksum(self._book, ("record", kind, key), self.revision)
        if expected_version is None:
            inserted = self._execute(
                self._sql.add_record,
                (
                    *(self._book, kind, key, record.version, *self._place(("record", kind, key))),
                    *(self.revision, sealed, data, checksum, *record_columns(record)),
                ),
            ).rowcount
            if inserted == 0:
                raise refused.record_exists(kind, key)
            self.wrote = True
            return
        if not is_sql_integer(expected_version):
            # Compared here, as in `update`.
            stored = self._record_version(kind, key)
            if not same_version(stored, expected_version):
                raise refused.record_changed(kind, key, stored, expected_version)
            expected_version = stored
        updated = self._execute(
            self._sql.update_record,
            (
                record.version,
                self.revision,
                sealed,
                data,
                checksum,
                *record_columns(record),
                self._book,
                kind,
                key,
                expected_version,
            ),
        ).rowcount
        if updated == 0:
            raise refused.record_changed(
                kind, key, self._record_version(kind, key), expected_version
            )
        self.wrote = True

    def _record_version(self, kind: str, key: str) -> int:
        """The stored version of the record ``kind``/``key`` (`NotFound` if there is none)."""
        found = self._execute(self._sql.record_version, (self._book, kind, key)).fetchone()
        if found is None:
            raise refused.record_not_found(kind, key)
        return int(found[0])

    def add_records(self, records: Iterable[Record]) -> int:
        """Add many new records at once, with one ``COPY`` (see `BulkWrites.add_records`).

        As ``put_record(record, expected_version=None)`` for each, and all of them or
        none, like `add_many`: a clash undoes the whole ``COPY``, `AlreadyExists` names
        the first record of ``records`` that clashed, and the transaction can go on.

        Returns:
            How many were added.

        Raises:
            AlreadyExists: a record of the same kind and key is stored, or given twice.
        """
        self._execute(b"SAVEPOINT debitor_records")
        keys: dict[tuple[str, str], None] = {}
        try:
            with self._cur.copy(self._sql.copy_records()) as copy:
                lines: list[str] = []
                for record in records:
                    lines.append(self._record_line(record, keys))
                    if len(lines) == _COPY_CHUNK:
                        copy.write("".join(lines))
                        lines.clear()
                copy.write("".join(lines))
        except errors.UniqueViolation as exc:
            self._execute(b"ROLLBACK TO SAVEPOINT debitor_records")
            raise self._records_clash(keys) from exc
        except psycopg.Error as exc:
            error = translate(exc, self._store._name)  # noqa: SLF001
            self._failed = error if isinstance(error, StorageError) else None
            raise error from exc
        except (DebitorError, TypeError, ValueError):
            # Refused here (a record given twice): nothing was stored.
            self._execute(b"ROLLBACK TO SAVEPOINT debitor_records")
            raise
        self._execute(b"RELEASE SAVEPOINT debitor_records")
        if keys:
            self.wrote = True
        return len(keys)

    def _record_line(self, record: Record, keys: dict[tuple[str, str], None]) -> str:
        """The row of a new ``record`` in ``COPY``'s text format (`SchemaStatements.copy_records`).

        Every value not made here is escaped, as in `_copy_line`.
        """
        given_type(record, RECORD_TYPES, "add_records")
        kind, key = record.KIND, record.key
        if (kind, key) in keys:
            raise refused.record_exists(kind, key)
        keys[kind, key] = None
        data, checksum = self._codec.dump(record)
        computed = "\t".join(copy_value(value) for value in record_columns(record))
        revision = self.revision
        added, seq, placed = self._place(("record", kind, key))
        sealed = changed_checksum(self._book, ("record", kind, key), revision)
        return (
            f"{self._book}\t{copy_text(kind)}\t{copy_text(str(key))}\t"
            f"{copy_value(record.version)}\t{added}\t{seq}\t{placed}\t{revision}\t{sealed}\t"
            f"{copy_text(data)}\t{checksum}\t{computed}\n"
        )

    def _records_clash(self, keys: dict[tuple[str, str], None]) -> AlreadyExists:
        """The error of the first of ``keys`` (in their order) that is stored."""
        kinds, names = [k for k, _ in keys], [n for _, n in keys]
        stored = set(
            self._execute(self._sql.records_clash(), (self._book, kinds, names)).fetchall()
        )
        kind, key = next((k for k in keys if k in stored), ("record", "?"))
        return refused.record_exists(kind, key)

    def finish(self) -> None:
        """Before COMMIT: move the book's row on, or refuse a transaction that failed."""
        if self._failed is not None:
            msg = (
                "The transaction was rolled back: a statement in it failed, and the error "
                f"was caught ({self._failed}). Nothing of it was stored."
            )
            params = {"reason": str(self._failed), "rule": "caught"}
            raise StorageError(msg, code="storage.transaction_failed", params=params)
        if not self.wrote:
            return
        retention = self._store._retention  # noqa: SLF001
        prune_to = -1 if retention is None else self.revision - retention
        row = self._row._replace(
            revision=self.revision,
            last_number=self.last_number,
            categories_revision=self._categories,
            custom_fields_revision=self._fields,
        )
        moved = self._execute(
            self._sql.commit_book,
            (
                *(self._book, prune_to, self.revision, self.last_number),
                *(self._categories, self._fields, book_checksum(self._book, row), self._book),
            ),
        ).fetchone()
        horizon = row.feed_horizon if moved is None else moved[0]
        if horizon != row.feed_horizon:
            # A tombstone past the horizon was pruned: it moved, and so does the checksum.
            row = row._replace(feed_horizon=horizon)
            self._execute(self._sql.seal_book, (book_checksum(self._book, row), self._book))
        self._row = row
        if self._store._notify:  # noqa: SLF001
            # Sent by PostgreSQL at COMMIT, and only if the commit succeeds.
            self._execute(b"SELECT pg_notify(%s, %s)", (self._store.channel, str(self.revision)))


def _given_twice(customer_id: str, number: int, ids: set[str]) -> AlreadyExists:
    """The error for an id (else a number) that an import gives twice."""
    if customer_id in ids:
        return AlreadyExists.coded("customer.id_twice", {"id": customer_id})
    return AlreadyExists.coded("customer.number_twice", {"number": number})


class _Pulled:
    """The customers of an import, pulled one at a time, each checked to be a `Customer`.

    ``failed`` says whether pulling one raised: that error is the caller's (even a
    psycopg error, of another database), never this store's.
    """

    def __init__(self, customers: Iterable[object]) -> None:
        self._customers = iter(customers)
        self.failed = False

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> Customer:
        try:
            customer = next(self._customers)
        except StopIteration:
            raise
        except BaseException:
            self.failed = True
            raise
        given_type(customer, Customer, "add_many")
        return cast("Customer", customer)


def _checked_number(number: object) -> int:
    if isinstance(number, bool) or not isinstance(number, int):
        msg = f"A customer number must be an int, not {type(number).__name__}."
        raise TypeError(msg)
    if not 1 <= number <= MAX_NUMBER:
        raise ValidationError.single(
            "number.range",
            f"The customer number {number} is out of range: numbers run from 1 to {MAX_NUMBER}.",
            number,
            "number",
        )
    return number
