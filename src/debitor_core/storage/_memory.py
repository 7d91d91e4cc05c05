"""In-memory state with undoable operations, its change log, and the in-memory store.

`StoreState` is also the working copy of the file store: operations apply at once and
record how to undo them, so a transaction that fails (in the caller's code or while
writing to disk) is rolled back exactly.
"""

from __future__ import annotations

import collections
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Final, Self, TypeVar, cast

from debitor_core._category import Category
from debitor_core._errors import AlreadyExists, NotFound
from debitor_core._fields import CustomFieldDefinition
from debitor_core._invoice import RECORD_KINDS, Record
from debitor_core._model import Customer
from debitor_core._util import insert_sorted, remove_sorted
from debitor_core.storage import _refusals as refused
from debitor_core.storage._arguments import RECORD_TYPES, checked_count, given_type, same_version
from debitor_core.storage._feed import ChangeSet
from debitor_core.storage._queries import is_number

__all__ = [
    "DEFAULT_RETENTION",
    "ChangeLog",
    "InMemoryStore",
    "Operation",
    "StateTransaction",
    "StoreState",
    "checked_retention",
]

R = TypeVar("R", bound=Record)

Operation = tuple[str, Any]
"""One write as ``(name, argument)``: ``("add", customer)``, ``("delete", id)``, ..."""

OPERATIONS: Final = frozenset(
    {
        "add",
        "update",
        "delete",
        "put_category",
        "delete_category",
        "put_custom_field",
        "put_record",
    }
)
"""The names of the writes, each a method of `StoreState` that returns its undo."""


class StoreState:
    """Customers, categories and custom fields held in memory, with their indexes."""

    def __init__(self, load: Callable[[dict[str, Any]], Customer] | None = None) -> None:
        """Create an empty state.

        Args:
            load: Builds a customer from a stored record. Given when records are
                added with `add_record`, which keeps them as they are until first read
                (so opening a big file costs little more than parsing it).
        """
        self._load = load
        # Keyed by the id's 128-bit int, which hashes in C (UUID.__hash__ is Python).
        self.customers: dict[int, Customer | dict[str, Any]] = {}
        self.by_number: dict[int, int] = {}
        self.numbers: list[int] = []
        self.categories: dict[uuid.UUID, Category] = {}
        self.fields: dict[str, CustomFieldDefinition] = {}
        self.records: dict[str, dict[str, Record]] = {kind: {} for kind in RECORD_KINDS}
        self.last_number = 0
        self.revision = 0

    # -- reads ---------------------------------------------------------------------

    def get(self, customer_id: uuid.UUID) -> Customer:
        """Return a customer by id, or raise `NotFound` (for anything but a UUID too)."""
        key = customer_id.int if isinstance(customer_id, uuid.UUID) else None
        if key not in self.customers:
            raise refused.customer_not_found(customer_id)
        return self._get(key)

    def _get(self, key: int) -> Customer:
        """Return the customer stored under ``key`` (an id's int), built if need be."""
        value = self.customers[key]
        if isinstance(value, dict):
            assert self._load is not None  # noqa: S101 - records come only with a loader
            value = self.customers[key] = self._load(value)
        return value

    def get_by_number(self, number: int) -> Customer:
        """Return a customer by number, or raise `NotFound`.

        Anything but a customer number (`is_number`) is not found: not True or 1.0,
        which equal 1.
        """
        key = self.by_number.get(number) if is_number(number) else None
        if key is None:
            raise refused.number_not_found(number)
        return self._get(key)

    def record(self, kind: type[R], key: str) -> R:
        """Return a record by kind and key, or raise `NotFound` (for a key not text too)."""
        found = self.records[kind.KIND].get(key) if isinstance(key, str) else None
        if found is None:
            raise refused.record_not_found(kind.KIND, key)
        return cast("R", found)

    def all_records(self, kind: type[R]) -> list[R]:
        """Every record of ``kind`` in the order first stored."""
        return [cast("R", record) for record in self.records[kind.KIND].values()]

    def page(self, offset: int, limit: int | None) -> list[Customer]:
        """Return customers in number order.

        Raises:
            TypeError: ``offset`` or ``limit`` is not an int (see `checked_count`).
            ValueError: ``offset`` or ``limit`` is negative.
        """
        offset = checked_count("offset", offset)
        end = None if limit is None else offset + checked_count("limit", limit)
        return [self._get(self.by_number[n]) for n in self.numbers[offset:end]]

    def customer_records(self) -> Iterator[Customer | dict[str, Any]]:
        """Every customer in number order, as an object or as the record not yet read."""
        for number in self.numbers:
            yield self.customers[self.by_number[number]]

    def add_record(self, customer_id: uuid.UUID, number: int, record: dict[str, Any]) -> None:
        """Add a stored record without building the customer yet (see ``load``).

        Raises:
            AlreadyExists: the id or the number is taken.
        """
        key = customer_id.int
        if key in self.customers or number in self.by_number:
            params = {"id": str(customer_id), "number": number}
            raise AlreadyExists.coded("customer.twice", params)
        self.customers[key] = record
        self.by_number[number] = key
        insert_sorted(self.numbers, number)
        self.last_number = max(self.last_number, number)

    # -- writes, each returning its undo -------------------------------------------

    def apply(self, operation: Operation) -> Callable[[], None]:
        """Apply one operation (checking its preconditions) and return its undo."""
        name, arg = operation
        if name not in OPERATIONS:
            msg = f"unknown operation {name!r}"
            raise ValueError(msg)
        method: Callable[..., Callable[[], None]] = getattr(self, name)
        return method(*arg) if isinstance(arg, tuple) else method(arg)

    def add(self, customer: Customer) -> Callable[[], None]:
        """Add a new customer (`AlreadyExists` if its id or number is taken)."""
        self._check_number_free(customer)
        if self.customers.setdefault(customer.id.int, customer) is not customer:
            raise refused.id_taken(customer.id)
        previous_last = self.last_number
        self._index_number(customer)

        def undo() -> None:
            self._unindex(customer)
            self.last_number = previous_last

        return undo

    def update(self, customer: Customer, expected_version: int) -> Callable[[], None]:
        """Replace a customer stored at ``expected_version`` (`ConcurrencyConflict`)."""
        old = self.get(customer.id)
        if not same_version(old.version, expected_version):
            raise refused.customer_changed(old.number, old.version, expected_version)
        if old.number != customer.number:
            self._check_number_free(customer)
        previous_last = self.last_number
        self._unindex(old)
        self._index(customer)

        def undo() -> None:
            self._unindex(customer)
            self._index(old)
            self.last_number = previous_last

        return undo

    def delete(self, customer_id: uuid.UUID) -> Callable[[], None]:
        """Delete a customer (`NotFound` if there is none)."""
        old = self.get(customer_id)
        self._unindex(old)
        return lambda: self._index(old)

    def put_category(self, category: Category) -> Callable[[], None]:
        """Add or replace a category."""
        old = self.categories.get(category.id)
        self.categories[category.id] = category

        def undo() -> None:
            if old is None:
                del self.categories[category.id]
            else:
                self.categories[category.id] = old

        return undo

    def delete_category(self, category_id: uuid.UUID) -> Callable[[], None]:
        """Delete a category (`NotFound` if there is none, or the id is not a UUID)."""
        old = self.categories.pop(category_id, None) if isinstance(category_id, uuid.UUID) else None
        if old is None:
            raise refused.category_not_found(category_id)
        return lambda: self.categories.__setitem__(category_id, old)

    def put_custom_field(self, definition: CustomFieldDefinition) -> Callable[[], None]:
        """Add or replace a custom-field definition."""
        old = self.fields.get(definition.key)
        self.fields[definition.key] = definition

        def undo() -> None:
            if old is None:
                del self.fields[definition.key]
            else:
                self.fields[definition.key] = old

        return undo

    def put_record(self, record: Record, expected_version: int | None) -> Callable[[], None]:
        """Add (``expected_version=None``) or replace a record."""
        stored = self.records[record.KIND]
        old = stored.get(record.key)
        if expected_version is None and old is not None:
            raise refused.record_exists(record.KIND, record.key)
        if expected_version is not None:
            if old is None:
                raise refused.record_not_found(record.KIND, record.key)
            if not same_version(old.version, expected_version):
                raise refused.record_changed(record.KIND, record.key, old.version, expected_version)
        stored[record.key] = record

        def undo() -> None:
            if old is None:
                del stored[record.key]
            else:
                stored[record.key] = old

        return undo

    def _check_number_free(self, customer: Customer) -> None:
        if customer.number in self.by_number:
            raise refused.number_taken(customer.number)

    def _index(self, customer: Customer) -> None:
        self.customers[customer.id.int] = customer
        self._index_number(customer)

    def _index_number(self, customer: Customer) -> None:
        number = customer.number
        self.by_number[number] = customer.id.int
        insert_sorted(self.numbers, number)
        self.last_number = max(self.last_number, number)

    def _unindex(self, customer: Customer) -> None:
        del self.customers[customer.id.int]
        del self.by_number[customer.number]
        remove_sorted(self.numbers, customer.number)


DEFAULT_RETENTION = 10_000
"""How many commits the stores' feeds look back over by default."""


def checked_retention(value: int | None) -> int | None:
    """``value`` if it is a whole number from 1 or ``None`` (`ValueError` otherwise)."""
    if value is not None and (type(value) is not int or value < 1):
        msg = f"feed_retention must be a whole number from 1, or None, not {value!r}."
        raise ValueError(msg)
    return value


class ChangeLog:
    """The operations of the latest commits, by revision, at most ``retention`` of them.

    Args:
        retention: How many commits to keep (``None``: all, for the life of the store).
        horizon: The revision the log starts at: it can tell what changed after it.
    """

    __slots__ = ("_commits", "horizon")

    def __init__(self, retention: int | None, horizon: int = 0) -> None:
        """Start an empty log at ``horizon``."""
        self._commits: collections.deque[tuple[int, Sequence[Operation]]]
        self._commits = collections.deque(maxlen=retention)
        self.horizon = horizon

    def note(self, revision: int, operations: Sequence[Operation]) -> None:
        """Keep the operations of the commit that made ``revision`` (the next one)."""
        commits = self._commits
        if commits.maxlen is not None and len(commits) == commits.maxlen:
            self.horizon = commits[0][0]  # the oldest commit goes: it can no longer be told
        commits.append((revision, operations))

    def restart(self, horizon: int) -> None:
        """Forget every commit: the log tells what changed after ``horizon`` only."""
        self._commits.clear()
        self.horizon = horizon

    def changes(self, state: StoreState, store_id: str, since: int) -> ChangeSet | None:
        """What changed after ``since`` up to ``state``'s revision, or ``None``.

        The caller holds the store's lock, so ``state`` is one committed state.
        """
        if isinstance(since, bool) or not isinstance(since, int):
            return None
        if since < self.horizon or since > state.revision:
            return None
        touched, records, categories, custom_fields = _collapse(self._span(since))
        customers: list[Customer] = []
        deleted: list[uuid.UUID] = []
        for key in touched:
            try:
                customers.append(state.get(uuid.UUID(int=key)))
            except NotFound:
                deleted.append(uuid.UUID(int=key))
        customers.sort(key=lambda c: c.number)
        return ChangeSet(
            store_id,
            since,
            state.revision,
            customers=tuple(customers),
            deleted=tuple(deleted),
            records=tuple(state.records[kind][key] for kind, key in records),
            categories=categories,
            custom_fields=custom_fields,
        )

    def _span(self, since: int) -> list[Sequence[Operation]]:
        """The operations of the commits after ``since``, oldest first."""
        span = []
        for revision, operations in reversed(self._commits):
            if revision <= since:
                break
            span.append(operations)
        span.reverse()
        return span


def _collapse(
    span: list[Sequence[Operation]],
) -> tuple[dict[int, None], dict[tuple[str, str], None], bool, bool]:
    """The customers (ids' ints) and records touched, and whether definitions changed."""
    touched: dict[int, None] = {}
    records: dict[tuple[str, str], None] = {}
    categories = custom_fields = False
    for operations in span:
        for name, arg in operations:
            if name in {"add", "update", "delete"}:
                customer_id = arg.id if name == "add" else arg[0].id if name == "update" else arg
                touched[customer_id.int] = None
            elif name == "put_record":
                records[arg[0].KIND, arg[0].key] = None
            elif name == "put_custom_field":
                custom_fields = True
            else:  # put_category, delete_category
                categories = True
    return touched, records, categories, custom_fields


class StateTransaction:
    """A transaction on a `StoreState`: operations apply at once and can be undone."""

    __slots__ = ("_state", "_undo", "operations")

    def __init__(self, state: StoreState) -> None:
        """Start recording operations on ``state``."""
        self._state = state
        self.operations: list[Operation] = []
        self._undo: list[Callable[[], None]] = []

    def _did(self, undo: Callable[[], None], operation: Operation) -> None:
        self._undo.append(undo)
        self.operations.append(operation)

    def add(self, customer: Customer) -> None:
        """Add a new customer (see `Transaction.add`; `TypeError` for anything else)."""
        given_type(customer, Customer, "add")
        self._did(self._state.add(customer), ("add", customer))

    def update(self, customer: Customer, *, expected_version: int) -> None:
        """Replace a customer (see `Transaction.update`).

        A version of another type that equals the stored one (True or 1.0 for 1) is
        noted as the stored int: the change log and the JSON store's journal hold ints.
        """
        given_type(customer, Customer, "update")
        if type(expected_version) is not int:
            stored = self._state.get(customer.id).version
            if same_version(stored, expected_version):
                expected_version = stored
        self._did(
            self._state.update(customer, expected_version), ("update", (customer, expected_version))
        )

    def delete(self, customer_id: uuid.UUID) -> None:
        """Delete a customer (see `Transaction.delete`)."""
        self._did(self._state.delete(customer_id), ("delete", customer_id))

    def put_category(self, category: Category) -> None:
        """Add or replace a category (`TypeError` for anything else)."""
        given_type(category, Category, "put_category")
        self._did(self._state.put_category(category), ("put_category", category))

    def delete_category(self, category_id: uuid.UUID) -> None:
        """Delete a category."""
        self._did(self._state.delete_category(category_id), ("delete_category", category_id))

    def put_custom_field(self, definition: CustomFieldDefinition) -> None:
        """Add or replace a custom-field definition (`TypeError` for anything else)."""
        given_type(definition, CustomFieldDefinition, "put_custom_field")
        self._did(self._state.put_custom_field(definition), ("put_custom_field", definition))

    def put_record(self, record: Record, *, expected_version: int | None) -> None:
        """Add or replace a record (see `Transaction.put_record`).

        An expected version of another type that equals the stored one is noted as the
        stored int (see `update`).
        """
        given_type(record, RECORD_TYPES, "put_record")
        if expected_version is not None and type(expected_version) is not int:
            old = self._state.records[record.KIND].get(record.key)
            if old is not None and same_version(old.version, expected_version):
                expected_version = old.version
        self._did(
            self._state.put_record(record, expected_version),
            ("put_record", (record, expected_version)),
        )

    def rollback(self) -> None:
        """Undo every operation, newest first."""
        while self._undo:
            self._undo.pop()()
        self.operations.clear()


class _Transaction(StateTransaction):
    """An `InMemoryStore` transaction: holds the store's lock, undone on an exception."""

    __slots__ = ("_lock", "_log")

    def __init__(self, state: StoreState, lock: threading.RLock, log: ChangeLog) -> None:
        super().__init__(state)
        self._lock = lock
        self._log = log

    def __enter__(self) -> StateTransaction:
        self._lock.acquire()
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        try:
            if kind is not None:
                self.rollback()
            elif self.operations:
                self._log.note(self._state.revision + 1, self.operations)
                self._state.revision += 1
        finally:
            self._lock.release()


class InMemoryStore:
    """Keeps everything in memory: the default store, and the test double.

    Thread-safe: transactions are serialised by a lock. Single-process by design:
    nothing survives the process, and no other process sees it.

    It has the change feed (`ChangeFeed`) over a bounded buffer of recent commits, for
    several books on one store.

    Args:
        feed_retention: How many of the latest commits the feed can look back over
            (`changes_since` an older revision returns ``None``); ``None`` keeps them all.
    """

    def __init__(self, *, feed_retention: int | None = DEFAULT_RETENTION) -> None:
        """Create an empty store."""
        self._state = StoreState()
        self._lock = threading.RLock()
        self._log = ChangeLog(checked_retention(feed_retention))
        self._id = str(uuid.uuid4())

    def get(self, customer_id: uuid.UUID) -> Customer:
        """Return the customer with this id (`NotFound` otherwise)."""
        with self._lock:
            return self._state.get(customer_id)

    def get_by_number(self, number: int) -> Customer:
        """Return the customer with this number (`NotFound` otherwise)."""
        with self._lock:
            return self._state.get_by_number(number)

    def customers(self, *, offset: int = 0, limit: int | None = None) -> Sequence[Customer]:
        """Return customers in number order."""
        with self._lock:
            return self._state.page(offset, limit)

    def count(self) -> int:
        """Return how many customers are stored."""
        with self._lock:
            return len(self._state.customers)

    def categories(self) -> Sequence[Category]:
        """Return every category."""
        with self._lock:
            return list(self._state.categories.values())

    def custom_fields(self) -> Sequence[CustomFieldDefinition]:
        """Return every custom-field definition."""
        with self._lock:
            return list(self._state.fields.values())

    def records(self, kind: type[R]) -> Sequence[R]:
        """Return every record of ``kind`` in the order added."""
        with self._lock:
            return self._state.all_records(kind)

    def record(self, kind: type[R], key: str) -> R:
        """Return the record of ``kind`` with ``key`` (`NotFound` otherwise)."""
        with self._lock:
            return self._state.record(kind, key)

    def last_number(self) -> int:
        """Return the highest customer number ever stored."""
        with self._lock:
            return self._state.last_number

    def revision(self) -> int:
        """Return the number of committed transactions."""
        # No lock: the counter changes only when a commit is complete, and reading
        # one attribute is atomic.
        return self._state.revision

    def transaction(self) -> _Transaction:
        """Open a transaction (see `Store`)."""
        return _Transaction(self._state, self._lock, self._log)

    def store_id(self) -> str:
        """Return this store's identity (a new UUID for every store object)."""
        return self._id

    def changes_since(self, revision: int) -> ChangeSet | None:
        """Return what changed after ``revision`` (see `ChangeFeed`), or ``None``.

        ``None`` when ``revision`` is negative, ahead of the store, or older than the
        commits the buffer keeps (``feed_retention``).
        """
        with self._lock:
            return self._log.changes(self._state, self._id, revision)

    def scrub(self) -> None:
        """Forget the change feed's buffer of recent commits (it holds replaced values).

        `CustomerBook.erase` calls this after its commit (see `Scrubbable`): nothing is
        on disk, but the feed keeps the objects of the latest commits. From now on it
        tells what changed after the current revision only (a follower reloads).
        """
        with self._lock:
            self._log.restart(self._state.revision)

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> Self:
        """Use the store in a ``with`` block (closing it releases nothing)."""
        return self

    def __exit__(self, *_: object) -> None:
        """Close the store."""
        self.close()

    def __repr__(self) -> str:
        return f"<InMemoryStore {len(self._state.customers)} customers>"
