"""The storage protocol: what a backend must do for a `CustomerBook`."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Protocol, TypeVar, runtime_checkable

from debitor_core._category import Category
from debitor_core._fields import CustomFieldDefinition
from debitor_core._invoice import Record
from debitor_core._model import Customer

__all__ = ["BulkWrites", "Scrubbable", "Store", "Transaction"]

R = TypeVar("R", bound=Record)


@runtime_checkable
class Transaction(Protocol):
    """The writes of one all-or-nothing commit; see `Store` for the contract."""

    def add(self, customer: Customer) -> None:
        """Add a new customer.

        Raises:
            AlreadyExists: a customer with the same id or number is stored, or was
                added earlier in this transaction.
        """
        ...

    def update(self, customer: Customer, *, expected_version: int) -> None:
        """Replace a stored customer with ``customer`` (same id).

        Raises:
            NotFound: no customer has the id.
            ConcurrencyConflict: the stored version is not ``expected_version``.
            AlreadyExists: the new number belongs to another customer.
        """
        ...

    def delete(self, customer_id: uuid.UUID) -> None:
        """Delete a customer. Its number is never handed out again.

        Raises:
            NotFound: no customer has the id.
        """
        ...

    def put_category(self, category: Category) -> None:
        """Add or replace a category (by id)."""
        ...

    def delete_category(self, category_id: uuid.UUID) -> None:
        """Delete a category.

        Raises:
            NotFound: no category has the id.
        """
        ...

    def put_custom_field(self, definition: CustomFieldDefinition) -> None:
        """Add or replace a custom-field definition (by key)."""
        ...

    def put_record(self, record: Record, *, expected_version: int | None) -> None:
        """Add (``expected_version=None``) or replace an invoice, payment, delivery or log.

        Raises:
            AlreadyExists: adding, and a record of the same kind and key is stored.
            NotFound: replacing, and there is no such record.
            ConcurrencyConflict: replacing, and the stored version is not the one expected.
        """
        ...


@runtime_checkable
class Store(Protocol):
    """Where a `CustomerBook` keeps its customers, categories and custom fields.

    The contract (checked by `debitor_core.testing.StoreContract`):

    - **Reads** return the committed state. Returned objects are immutable, so they
      are detached from the store: nothing a caller does to them changes what is stored.
    - **Writes** happen only inside ``with store.transaction() as tx:``. When the block
      ends normally, every write in it is committed at once; when it raises, none is,
      and the exception propagates. A commit that returned is kept (by durable stores,
      across a crash and a reopen). Writes check their preconditions when they are
      made, so an ``AlreadyExists``, ``NotFound`` or ``ConcurrencyConflict`` is raised
      from the offending call and, unless caught, rolls the transaction back.
    - **Transactions are serialised**: at most one is open at a time per store (other
      threads, and for stores that processes share, other processes, wait), so a
      version check inside a transaction cannot be overtaken. Reads made inside a
      transaction, by the thread that opened it, see every commit made before it
      opened (by anyone) and the transaction's own writes: the book reads the last
      customer number there to number a new customer. A transaction must not be
      opened inside another one on the same store.
    - **Versions**: `Transaction.update` succeeds only when the stored version equals
      ``expected_version``; the book passes a customer whose version is one higher.
    - **Numbers** are unique among stored customers, and `last_number` is the highest
      number any customer ever had, so a number is never reused after a delete.
    - **Records** (invoices, payments, welcome-invoice deliveries, reminder logs,
      history entries, merge forwards, erasures) are kept by kind and key with a
      version, like customers; they are never deleted. The one exception is an
      erasure (`CustomerBook.erase`): it rewrites the records about a person as new
      versions without the personal values, and then calls the store's optional
      ``scrub()`` (see `Scrubbable`), after which no replaced value may be left in
      the store's files. A store without ``scrub`` keeps working; the replaced
      values are then only as gone as the store makes them.
    - **Order**: `customers` lists by customer number, ascending.
    - **Revision**: `revision` grows by exactly one per committed transaction, by
      anyone (for a file store, by any process), so a caller that cached what it read
      can tell whether anything else changed.
    - **Processes**: a store that several processes share shows each of them every
      commit as soon as it returned, loses no commit that returned when a process is
      killed, and never hands out one customer number twice. A store that is
      single-process by design (like `InMemoryStore`) says so in its documentation.
    - **Closing**: `close` releases what the store holds. (The stores that ship are
      also context managers: ``with JsonFileStore(path) as store:`` closes it.)
    """

    def get(self, customer_id: uuid.UUID) -> Customer:
        """Return the customer with this id.

        Raises:
            NotFound: no customer has the id.
        """
        ...

    def get_by_number(self, number: int) -> Customer:
        """Return the customer with this number.

        Raises:
            NotFound: no customer has the number (nor can one: it is not an int, or
                it is a bool).
        """
        ...

    def customers(self, *, offset: int = 0, limit: int | None = None) -> Sequence[Customer]:
        """Return the stored customers in number order, skipping ``offset``, at most ``limit``.

        An offset or a limit past the last customer skips or keeps them all.

        Raises:
            TypeError: ``offset`` or ``limit`` is not an int (a bool is not one).
            ValueError: ``offset`` or ``limit`` is negative.
        """
        ...

    def count(self) -> int:
        """Return how many customers are stored."""
        ...

    def categories(self) -> Sequence[Category]:
        """Return every category."""
        ...

    def custom_fields(self) -> Sequence[CustomFieldDefinition]:
        """Return every custom-field definition, in the order they were first stored."""
        ...

    def records(self, kind: type[R]) -> Sequence[R]:
        """Return every record of ``kind`` (`Invoice`, `Payment`, ...) in the order added."""
        ...

    def record(self, kind: type[R], key: str) -> R:
        """Return the record of ``kind`` with ``key``.

        Raises:
            NotFound: there is no such record (nor can there be: ``key`` is not text).
        """
        ...

    def last_number(self) -> int:
        """Return the highest customer number ever stored (0 for a new store)."""
        ...

    def revision(self) -> int:
        """Return the number of transactions ever committed to this store."""
        ...

    def transaction(self) -> AbstractContextManager[Transaction]:
        """Open a transaction; see the class docstring for the contract."""
        ...

    def close(self) -> None:
        """Release what the store holds (connections, locks). Closing twice is harmless."""
        ...


@runtime_checkable
class Scrubbable(Protocol):
    """A store that can destroy replaced values (optional; used by `CustomerBook.erase`).

    After ``scrub()`` returns, no value that a commit replaced or deleted may be
    readable from the store's own files: the JSON store rewrites its snapshot and
    empties its journal, SQLite rewrites the database (``secure_delete``, FTS5
    ``optimize``, ``VACUUM``, a truncating WAL checkpoint), PostgreSQL vacuums the
    tables. A store whose change feed keeps replaced values (the in-memory and JSON
    stores' buffers of recent commits) forgets them too. Copies outside the
    store (backups, replicas, a database's write-ahead log archive) are the host's.
    """

    def scrub(self) -> None:
        """Destroy replaced and deleted values in the store's files (may take a while)."""
        ...


@runtime_checkable
class BulkWrites(Protocol):
    """A `Transaction` that adds many new customers or records in one go (optional).

    A book's bulk registration (`CustomerBook.register_many`, and through it
    ``import_csv`` and ``debitor import``) uses it when the store's transaction has
    it, and otherwise calls `Transaction.add` and `Transaction.put_record` once per
    item: the outcome is the same, only the number of round trips differs.
    `PostgresTransaction` writes each call with one ``COPY``.

    Each call is all or nothing: when it raises, none of its items is stored, and the
    transaction can go on without them (as after a refused single write).
    """

    def add_many(self, customers: Iterable[Customer]) -> int:
        """Add new customers, as `Transaction.add` would one by one; return how many.

        Raises:
            AlreadyExists: an id or a number is stored already, or given twice.
        """
        ...

    def add_records(self, records: Iterable[Record]) -> int:
        """Add new records, as ``put_record(r, expected_version=None)`` would; return how many.

        Raises:
            AlreadyExists: a record of the same kind and key is stored, or given twice.
        """
        ...
