"""The unit of work: the book's one way to its store.

It holds the book's lock, opens the store's transactions, and keeps the read model and
the book's definitions (categories, custom fields) in step with the store: after each
of the book's own commits it hands the read model what the commit changed, and when
another process or book has committed since, it catches up: through the store's change
feed when the store has one (`ChangeFeed`: in proportion to what changed), or by having
the read model read the whole store again (a store without a feed, or a feed that
cannot tell: history pruned, the store replaced or behind the book).

A use case is a short function over it::

    with uow.lock:                     # what the write is based on stays as read
        uow.catch_up()
        current = find(uow.model, customer_id)
        ...check...
        with uow.transaction() as tx:  # the store's typed Transaction, recorded
            tx.update(changed, expected_version=current.version)
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable, Collection, Sequence
from types import TracebackType

from debitor_core._category import Category
from debitor_core._fields import CustomFieldDefinition
from debitor_core._history import (
    DefinitionAction,
    DefinitionChange,
    DefinitionSubject,
    FieldChange,
    HistoryAction,
    HistoryEntry,
    attribute_changes,
    field_changes,
    first_entry_fields,
)
from debitor_core._invoice import Record
from debitor_core._model import Customer, utc_now
from debitor_core._util import new_id
from debitor_core.book._read_model import Changes, CustomerReadModel
from debitor_core.book._types import Definitions
from debitor_core.storage._feed import ChangeFeed, ChangeSet
from debitor_core.storage._protocol import BulkWrites, Store, Transaction

__all__ = ["Batch", "UnitOfWork", "Writes"]


class Writes:
    """The store's transaction, noting what each write changes (a `Transaction` itself).

    It is also the `Changes` its writes made so far, which the read model takes in
    after the commit: each customer and record once, in its last state.

    Every write of a customer also stores a `HistoryEntry` in the same transaction
    (what changed, when, by ``author``), so no use case can forget it: `add`,
    `update` and `delete` take the entry's action (and, for a merge, the other
    customer) as keywords. Likewise every write of a category or a custom-field
    definition stores a `DefinitionChange` (the attributes changed, by ``author``).
    """

    __slots__ = (
        "_at",
        "_author",
        "_deleted",
        "_records",
        "_saved",
        "_tx",
        "_uow",
        "categories",
        "custom_fields",
        "customers",
        "deleted",
        "records",
    )

    def __init__(
        self,
        tx: Transaction,
        uow: UnitOfWork,
        *,
        author: str | None = None,
        at: dt.datetime | None = None,
    ) -> None:
        """Wrap the store's open transaction ``tx`` of ``uow`` (history by ``author``).

        ``at`` is when the writes happen; when not given, a customer's own update time
        (and for a delete, the book's clock).
        """
        self._tx = tx
        self._uow = uow
        self._author = author
        self._at = at
        self._saved: dict[uuid.UUID, Customer] = {}
        self.customers: Collection[Customer] = self._saved.values()  # a live view
        # Made on the first delete or record: most transactions have neither.
        self._deleted: dict[uuid.UUID, None] | None = None
        self.deleted: Collection[uuid.UUID] = ()
        self._records: dict[tuple[str, str], Record] | None = None
        self.records: Collection[Record] = ()
        self.categories = False
        self.custom_fields = False

    def add(
        self, customer: Customer, *, action: HistoryAction | None = HistoryAction.REGISTERED
    ) -> None:
        """Add a new customer (see `Transaction.add`), with its first history entry.

        ``action=None`` adds no entry: for a customer whose history comes with it (an
        import of a backup that carries its history entries).
        """
        self._tx.add(customer)
        self._saved[customer.id] = customer
        if self._deleted:
            self._deleted.pop(customer.id, None)
        if action is not None:
            self.put_record(
                self._entry(None, customer, customer.id, action, None), expected_version=None
            )

    def add_many(
        self,
        customers: Sequence[Customer],
        *,
        action: HistoryAction | None = HistoryAction.REGISTERED,
    ) -> None:
        """Add new customers, each with its first history entry, as `add` one by one would.

        When the store's transaction has `BulkWrites`, the customers go in one call and
        their entries in another (one ``COPY`` each on PostgreSQL); otherwise it calls
        `add` for each. The entries, and what the commit tells the read model, are the
        same either way.
        """
        tx = self._tx
        if not isinstance(tx, BulkWrites):
            for customer in customers:
                self.add(customer, action=action)
            return
        tx.add_many(customers)
        for customer in customers:
            self._saved[customer.id] = customer
            if self._deleted:
                self._deleted.pop(customer.id, None)
        if action is not None:
            entries = [self._entry(None, c, c.id, action, None) for c in customers]
            tx.add_records(entries)
            for entry in entries:
                self._noted(entry)

    def add_records(self, records: Sequence[Record]) -> None:
        """Add new records, as ``put_record(r, expected_version=None)`` would one by one.

        When the store's transaction has `BulkWrites`, they go in one call (one
        ``COPY`` on PostgreSQL); otherwise it calls `put_record` for each.
        """
        tx = self._tx
        if not isinstance(tx, BulkWrites):
            for record in records:
                self.put_record(record, expected_version=None)
            return
        tx.add_records(records)
        for record in records:
            self._noted(record)

    def update(
        self,
        customer: Customer,
        *,
        expected_version: int,
        action: HistoryAction = HistoryAction.CHANGED,
        other: uuid.UUID | None = None,
        reason: str | None = None,
        private: Collection[str] = (),
    ) -> None:
        """Replace a stored customer (see `Transaction.update`), with a history entry.

        For an erasure (``action`` `HistoryAction.ERASED`) the entry names the fields
        changed without any value. ``private`` names custom fields to record without
        values besides the book's personal-data fields (one that becomes personal data
        in this very commit).
        """
        old = self._before(customer.id)
        self._tx.update(customer, expected_version=expected_version)
        self._saved[customer.id] = customer
        entry = self._entry(old, customer, customer.id, action, other, reason, private=private)
        self.put_record(entry, expected_version=None)

    def delete(
        self,
        customer_id: uuid.UUID,
        *,
        action: HistoryAction = HistoryAction.DELETED,
        other: uuid.UUID | None = None,
    ) -> None:
        """Delete a customer (see `Transaction.delete`); its history records the fact."""
        self._tx.delete(customer_id)
        self._saved.pop(customer_id, None)
        if self._deleted is None:
            self._deleted = {}
            self.deleted = self._deleted.keys()
        self._deleted[customer_id] = None
        self.put_record(self._entry(None, None, customer_id, action, other), expected_version=None)

    def stand_in(self, customer: Customer) -> None:
        """Add ``customer`` and delete it again, with no history: it only raises the last number.

        A store keeps the highest number any customer ever had, so this is how an
        import makes sure a restored book never hands out a deleted customer's number
        (through the `Transaction` protocol, which every store has). The read model
        does not learn of it: the caller reloads it after the commit.
        """
        self._tx.add(customer)
        self._tx.delete(customer.id)

    def note(
        self,
        customer_id: uuid.UUID,
        action: HistoryAction,
        reason: str | None = None,
        *,
        invoice: uuid.UUID | None = None,
    ) -> None:
        """Record a history entry without a write of the customer.

        For an erasure of a deleted customer, and for the writes about a customer's
        ``invoice`` (issued, voided, sent, paid, reminded).
        """
        entry = self._entry(None, None, customer_id, action, None, reason, invoice)
        self.put_record(entry, expected_version=None)

    def _before(self, customer_id: uuid.UUID) -> Customer | None:
        """The customer as this transaction last saw it."""
        saved = self._saved.get(customer_id)
        return saved if saved is not None else self._uow.model.get(customer_id)

    def _entry(  # noqa: PLR0917 - private, the writes' one helper
        self,
        old: Customer | None,
        new: Customer | None,
        customer_id: uuid.UUID,
        action: HistoryAction,
        other: uuid.UUID | None,
        reason: str | None = None,
        invoice: uuid.UUID | None = None,
        *,
        private: Collection[str] = (),
    ) -> HistoryEntry:
        """The history entry of a write of a customer, which the caller stores."""
        uow = self._uow
        hidden = uow.definitions.private_fields
        if private:
            hidden = frozenset(hidden) | frozenset(private)
        initial = None
        if new is None:
            fields: tuple[FieldChange, ...] = ()
        elif old is None and action is not HistoryAction.ERASED:
            initial, fields = first_entry_fields(new, hidden)  # cheap: no conversion
        else:
            fields = field_changes(old, new, hidden)
        if action is HistoryAction.ERASED:
            fields = tuple(FieldChange(f.field, private=True) for f in fields)
        at = self._at or (new.updated if new is not None else uow.clock())
        return HistoryEntry(
            new_id(),
            customer_id,
            at,
            action,
            self._author,
            fields,
            other,
            reason,
            initial,
            1,
            invoice,
        )

    def put_category(self, category: Category, *, action: DefinitionAction | None) -> None:
        """Add or replace a category (see `Transaction.put_category`), with its audit record.

        ``action=None`` records nothing: for a category whose audit trail comes with
        it (an import). A write that changes no attribute records nothing either.
        """
        old = self._uow.definitions.categories.get(category.id)
        self._tx.put_category(category)
        self.categories = True
        if action is not None:
            self._audit(DefinitionSubject.CATEGORY, str(category.id), action, old, category)

    def delete_category(self, category_id: uuid.UUID) -> None:
        """Delete a category (see `Transaction.delete_category`), with its audit record."""
        old = self._uow.definitions.categories.get(category_id)
        self._tx.delete_category(category_id)
        self.categories = True
        self._audit(
            DefinitionSubject.CATEGORY, str(category_id), DefinitionAction.DELETED, old, None
        )

    def put_custom_field(
        self, definition: CustomFieldDefinition, *, action: DefinitionAction | None
    ) -> None:
        """Add or replace a custom-field definition (see `Transaction.put_custom_field`).

        With an audit record as for `put_category`.
        """
        old = self._uow.definitions.fields.get(definition.key)
        self._tx.put_custom_field(definition)
        self.custom_fields = True
        if action is not None:
            self._audit(DefinitionSubject.FIELD, definition.key, action, old, definition)

    def _audit(
        self,
        what: DefinitionSubject,
        subject: str,
        action: DefinitionAction,
        old: Category | CustomFieldDefinition | None,
        new: Category | CustomFieldDefinition | None,
    ) -> None:
        fields = attribute_changes(old, new)
        if fields:
            at = self._at or self._uow.clock()
            record = DefinitionChange(new_id(), at, what, subject, action, self._author, fields)
            self.put_record(record, expected_version=None)

    def put_record(self, record: Record, *, expected_version: int | None) -> None:
        """Add or replace a record (see `Transaction.put_record`)."""
        self._tx.put_record(record, expected_version=expected_version)
        self._noted(record)

    def _noted(self, record: Record) -> None:
        """Note a record written, for the read model (its last state)."""
        if self._records is None:
            self._records = {}
            self.records = self._records.values()
        self._records[record.KIND, record.key] = record

    def __repr__(self) -> str:
        definitions = [name for name in ("categories", "custom_fields") if getattr(self, name)]
        return (
            f"<Writes {len(self.customers)} customers, {len(self.deleted)} deleted, "
            f"{len(self.records)} records{''.join(f', {d}' for d in definitions)}>"
        )


class Batch:
    """New customers and records held back, to go to `Writes` in two calls (`flush`).

    It takes `Writes.add` (with its first history entry), `Writes.put_record` of a new
    record and `Writes.note` as they would be called one by one, and makes each
    history entry when called, as `Writes` would (the same clock readings and ids, in
    the same order). `flush` then adds the customers with one `Writes.add_many` and
    every record with one `Writes.add_records`, in the order they came: the store
    holds what the calls one by one would have stored (only the round trips differ).
    """

    __slots__ = ("_customers", "_records", "_writes")

    def __init__(self, writes: Writes) -> None:
        """Hold back writes that go to ``writes``."""
        self._writes = writes
        self._customers: list[Customer] = []
        self._records: list[Record] = []

    def add(self, customer: Customer) -> None:
        """Hold back a new customer and its first history entry (see `Writes.add`)."""
        self._customers.append(customer)
        writes = self._writes
        self._records.append(
            writes._entry(None, customer, customer.id, HistoryAction.REGISTERED, None)  # noqa: SLF001
        )

    def put_record(self, record: Record, *, expected_version: None) -> None:
        """Hold back a new record (see `Writes.put_record`)."""
        del expected_version  # always None: a new record
        self._records.append(record)

    def note(
        self, customer_id: uuid.UUID, action: HistoryAction, *, invoice: uuid.UUID | None = None
    ) -> None:
        """Hold back a history entry without a write of the customer (see `Writes.note`)."""
        self._records.append(
            self._writes._entry(None, None, customer_id, action, None, None, invoice)  # noqa: SLF001
        )

    def flush(self) -> None:
        """Send what is held back: the customers in one call, then the records in one."""
        customers, records = self._customers, self._records
        self._customers, self._records = [], []
        if customers:
            self._writes.add_many(customers, action=None)
        if records:
            self._writes.add_records(records)


class UnitOfWork:
    """The store, the book's lock, its read model and definitions, kept in step.

    Attributes:
        store: The store.
        model: The read model every part queries.
        catch_ups: How many times it caught up through the store's change feed.
        reloads: How many times it read the whole store (opening counts).
        lock: Held by a use case from what it reads to what it writes (re-entrant).
        definitions: The book's categories and custom fields, replaced whole when
            they change.
    """

    def __init__(
        self,
        store: Store,
        model: CustomerReadModel,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        """Open the unit of work and read the store once; ``clock`` dates history entries."""
        self.store = store
        self.model = model
        self.clock = clock
        self.lock = threading.RLock()
        self.definitions = Definitions()
        self._seen = -1
        self._feed: ChangeFeed | None = store if isinstance(store, ChangeFeed) else None
        self._store_id: str | None = None
        self.catch_ups = 0
        self.reloads = 0
        self.catch_up()

    @property
    def revision(self) -> int:
        """The store revision the read model reflects."""
        return self._seen

    def catch_up(self) -> None:
        """Bring the read model up to the store's latest commit, if it is behind.

        Cheap when nothing changed: one look at the store's revision, no lock.
        """
        if self.store.revision() != self._seen:
            with self.lock:
                self._reload_if_behind()

    def transaction(
        self, *, author: str | None = None, at: dt.datetime | None = None
    ) -> _Transaction:
        """Hold the lock, open a store transaction, and catch up inside it.

        ``author`` and ``at`` go into the history entries of the customers written
        (see `Writes`).

        Use it as ``with uow.transaction() as tx:``; ``tx`` is the store's transaction,
        recorded (`Writes`). The store is locked then, so the read model reflects its
        latest state for the block's whole run. When the block ends without an error,
        the writes are committed and the read model takes in what they changed; when
        it raises, nothing is written.
        """
        return _Transaction(self, author, at)

    def store_id(self) -> str | None:
        """The store's id (see `ChangeFeed.store_id`); ``None`` when it has no feed."""
        return None if self._feed is None else self._feed.store_id()

    def changes_since(self, revision: int) -> ChangeSet | None:
        """What the store's feed says changed after ``revision``; ``None`` without a feed."""
        return None if self._feed is None else self._feed.changes_since(revision)

    def _reload_if_behind(self) -> int:
        """Catch up when the store moved on (the caller holds the lock); return the revision."""
        revision = self.store.revision()
        if revision != self._seen and not self._follow_feed():
            # The id before the revision: a store replaced in between then fails the
            # next catch-up's check of the id, and that one reloads again.
            store_id = None if self._feed is None else self._feed.store_id()
            revision = self.store.revision()
            definitions = Definitions(self.store.categories(), self.store.custom_fields())
            self.model.reload(self.store, definitions)
            self.definitions = definitions
            self._seen = revision
            self._store_id = store_id
            self.reloads += 1
        return self._seen

    def _follow_feed(self) -> bool:
        """Take in what the feed says changed since the revision seen; whether it could tell.

        It cannot when the store has no feed, the book has read nothing yet, the history
        was pruned, the store is behind the book, or it is another store (a replaced file).
        """
        if self._feed is None or self._seen < 0:
            return False
        changes = self._feed.changes_since(self._seen)
        if changes is None or changes.store_id != self._store_id or changes.since != self._seen:
            return False
        definitions = self.definitions
        if changes.categories or changes.custom_fields:
            definitions = Definitions(self.store.categories(), self.store.custom_fields())
        self.model.apply(changes, definitions, last_number=self.store.last_number())
        self.definitions = definitions
        self._seen = changes.revision
        self.catch_ups += 1
        return True

    def _committed(self, before: int, changes: Changes) -> None:
        """Take in the book's own commit, made at revision ``before``.

        Transactions are serialised, so a commit that wrote made the revision exactly
        ``before + 1``; one that wrote nothing left it where it was.
        """
        if not (
            changes.customers
            or changes.deleted
            or changes.records
            or changes.categories
            or changes.custom_fields
        ):
            return  # nothing written: the store's revision did not move
        definitions = self.definitions
        if changes.categories or changes.custom_fields:
            definitions = Definitions(self.store.categories(), self.store.custom_fields())
        self.model.apply(changes, definitions)
        self.definitions = definitions
        self._seen = before + 1


class _Transaction:
    """The context manager `UnitOfWork.transaction` returns.

    A class rather than a generator: it runs for every registration, and the
    generator's machinery costs a measurable part of one.
    """

    __slots__ = ("_at", "_author", "_before", "_store_tx", "_uow", "_writes")

    def __init__(self, uow: UnitOfWork, author: str | None, at: dt.datetime | None) -> None:
        self._uow = uow
        self._author = author
        self._at = at

    def __enter__(self) -> Writes:
        uow = self._uow
        uow.lock.acquire()
        try:
            store_tx = uow.store.transaction()
            tx = store_tx.__enter__()
            try:
                self._before = uow._reload_if_behind()  # noqa: SLF001 - its own unit of work
            except BaseException as exc:
                store_tx.__exit__(type(exc), exc, exc.__traceback__)
                raise
        except BaseException:
            uow.lock.release()
            raise
        self._store_tx = store_tx
        self._writes = Writes(tx, uow, author=self._author, at=self._at)
        return self._writes

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        uow = self._uow
        try:
            self._store_tx.__exit__(kind, error, traceback)  # commits, or rolls back
            if kind is None:
                uow._committed(self._before, self._writes)  # noqa: SLF001
        finally:
            uow.lock.release()
