"""The change set a store's feed answers with."""

import datetime as dt
import uuid

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from debitor_core import Category, CustomFieldDefinition, DefinitionAction, FieldType, NotFound
from debitor_core.book._in_memory import InMemoryReadModel
from debitor_core.book._read_model import EVERYONE, CustomerQuery
from debitor_core.book._unit_of_work import UnitOfWork
from debitor_core.storage import ChangeFeed, ChangeSet, InMemoryStore, JsonFileStore, SqliteStore
from debitor_core.testing import sample_customer, sample_records


class TestChangeSet:
    def test_empty(self):
        """A change set with nothing in it says so; any change makes it non-empty."""
        assert ChangeSet("s", 3, 3).empty
        assert not ChangeSet("s", 3, 4, customers=(sample_customer(),)).empty
        assert not ChangeSet("s", 3, 4, deleted=(uuid.uuid4(),)).empty
        assert not ChangeSet("s", 3, 4, categories=True).empty
        assert not ChangeSet("s", 3, 4, custom_fields=True).empty

    def test_repr(self):
        """The repr counts what changed, without personal data."""
        changes = ChangeSet("s", 3, 5, customers=(sample_customer(),), deleted=(uuid.uuid4(),))
        assert "<ChangeSet 3->5: 1 customers, 1 deleted, 0 records>" == repr(changes)

    def test_protocol_is_optional(self):
        """A store without the feed's methods is not a ChangeFeed (the book reloads instead)."""

        class Bare:
            pass

        assert not isinstance(Bare(), ChangeFeed)


# -- a book following another's commits through the feed ends where a reload ends -------

WHEN = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
CREATED, DEFINED = DefinitionAction.CREATED, DefinitionAction.DEFINED

STORES = {
    "memory": lambda _: (InMemoryStore(),) * 2,
    "json": lambda folder: (
        JsonFileStore(folder / "book.json", fsync=False),
        JsonFileStore(folder / "book.json", fsync=False),
    ),
    "sqlite": lambda folder: (SqliteStore(folder / "book.db"), SqliteStore(folder / "book.db")),
}

commits = st.lists(
    st.tuples(
        st.lists(
            st.tuples(
                st.sampled_from(
                    [
                        "add",
                        "rename",
                        "renumber",
                        "delete",
                        "category",
                        "uncategory",
                        "field",
                        "invoice",
                        "pay",
                    ]
                ),
                st.integers(0, 3),
            ),
            min_size=1,
            max_size=4,
        ),
        st.booleans(),  # whether the follower catches up after this commit
    ),
    min_size=1,
    max_size=8,
)


def model_state(uow):
    """What a read model answers, as plain values."""
    model = uow.model
    customers = list(model.search(EVERYONE).items)
    return (
        customers,
        [model.get(c.id) for c in customers],
        [model.get_by_number(c.number) for c in customers],
        model.count(),
        model.last_number(),
        model.invoices(),
        [model.paid(i.id) for i in model.invoices()],
        [[c.number for c in model.search(CustomerQuery(text=c.name)).items] for c in customers],
        [c.number for c in model.search(CustomerQuery(text="mebeles")).items],
        sorted(uow.definitions.categories.values(), key=lambda c: c.id),
        list(uow.definitions.fields.values()),
    )


class Leader:
    """Writes through one store object, choosing operations that make sense."""

    def __init__(self, store):
        self.store = store
        self.ids = [uuid.UUID(int=k + 1) for k in range(4)]
        self.categories = [uuid.UUID(int=100 + k) for k in range(4)]
        self.invoices = {}

    def apply(self, tx, operation, k):  # noqa: C901 - one branch per operation
        customer_id = self.ids[k]
        try:
            current = self.store.get(customer_id)
        except NotFound:
            current = None
        last = self.store.last_number()
        if operation == "add" and current is None:
            tx.add(
                sample_customer(
                    last + 1, id=customer_id, name=f"Koks {k} {last}", created=WHEN, updated=WHEN
                )
            )
        elif operation == "rename" and current is not None:
            tx.update(
                attrs.evolve(
                    current, name=f"Ozols {k} {current.version}", version=current.version + 1
                ),
                expected_version=current.version,
            )
        elif operation == "renumber" and current is not None:
            tx.update(
                attrs.evolve(current, number=last + 1, version=current.version + 1),
                expected_version=current.version,
            )
        elif operation == "delete" and current is not None:
            tx.delete(customer_id)
        elif operation == "category":
            tx.put_category(Category(self.categories[k], f"Group {k}"), action=CREATED)
        elif operation == "uncategory" and any(
            c.id == self.categories[k] for c in self.store.categories()
        ):
            tx.delete_category(self.categories[k])
        elif operation == "field":
            tx.put_custom_field(
                CustomFieldDefinition("segment", f"Segment {k}", FieldType.TEXT), action=DEFINED
            )
        elif operation == "invoice" and current is not None and customer_id not in self.invoices:
            invoice = attrs.evolve(sample_records(current)[0], number=len(self.invoices) + 1)
            tx.put_record(invoice, expected_version=None)
            self.invoices[customer_id] = invoice
        elif operation == "pay" and customer_id in self.invoices:
            invoice = self.invoices[customer_id]
            tx.put_record(
                attrs.evolve(invoice, version=invoice.version + 1, message=f"v{invoice.version}"),
                expected_version=invoice.version,
            )
            self.invoices[customer_id] = attrs.evolve(
                invoice, version=invoice.version + 1, message=f"v{invoice.version}"
            )
            payment = sample_records(current or sample_customer())[1]
            tx.put_record(attrs.evolve(payment, invoice_id=invoice.id), expected_version=None)


@pytest.mark.parametrize("kind", sorted(STORES))
@given(history=commits)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_following_the_feed_ends_where_a_reload_ends(tmp_path_factory, kind, history):
    """A book following another's commits through the feed holds what a fresh reload gives.

    It never reads the whole store again after opening: every catch-up is the feed's.
    """
    leader_store, follower_store = STORES[kind](tmp_path_factory.mktemp(kind))
    leader = Leader(leader_store)
    writer = UnitOfWork(leader_store, InMemoryReadModel(), lambda: WHEN)  # dates history
    follower = UnitOfWork(follower_store, InMemoryReadModel())
    for operations, catch_up in history:
        with writer.transaction() as tx:
            for operation, k in operations:
                leader.apply(tx, operation, k)
        if catch_up:
            follower.catch_up()
    follower.catch_up()
    fresh = UnitOfWork(follower_store, InMemoryReadModel())
    assert model_state(fresh) == model_state(follower)
    assert (1, follower.store.revision()) == (follower.reloads, follower.revision)
    for store in {id(leader_store): leader_store, id(follower_store): follower_store}.values():
        store.close()


class TestBookFeed:
    """CustomerBook gives host apps the feed: revision, store_id, changes_since."""

    def test_a_host_follows_another_writer(self, tmp_path, clock):
        """A host keeps the revision, asks what changed since, and gets the other book's work."""
        from debitor_core import CustomerBook

        book = CustomerBook(SqliteStore(tmp_path / "book.db"), clock=clock)
        other = CustomerBook(SqliteStore(tmp_path / "book.db"), clock=clock)
        first = book.register({"name": "Koks", "address": {"country": "LV"}})
        seen, ident = book.revision, book.store_id
        second = other.register({"name": "Ozols", "address": {"country": "LV"}})
        other.delete(first.id)
        changes = book.changes_since(seen)
        assert (ident, [second], [first.id], 3) == (
            changes.store_id,
            list(changes.customers),
            list(changes.deleted),
            changes.revision,
        )
        assert (3, ["Ozols"]) == (book.revision, [c.name for c in book.search("")])
        assert book.changes_since(4) is None
        assert book.changes_since(3).empty

    def test_without_a_feed(self, clock):
        """A store without a feed: no store id, and every question is answered with None."""
        from debitor_core import CustomerBook

        class Bare:
            def __init__(self):
                self._store = InMemoryStore()

            def __getattr__(self, name):
                """Every attribute of the store but the feed's."""
                if name in {"changes_since", "store_id"}:
                    raise AttributeError(name)
                return getattr(self._store, name)

        book = CustomerBook(Bare(), clock=clock)
        book.register({"name": "Koks", "address": {"country": "LV"}})
        assert (None, None, 1) == (book.store_id, book.changes_since(0), book.revision)


def _register_in_a_child(open_store, path, names):  # pragma: no cover - runs in a child
    from conftest import FakeClock
    from debitor_core import CustomerBook

    book = CustomerBook(open_store(path), clock=FakeClock())
    registered = [book.register({"name": name, "address": {"country": "LV"}}) for name in names]
    book.delete(registered[0].id)


@pytest.mark.parametrize(
    ("open_store", "name"), [(SqliteStore, "book.db"), (JsonFileStore, "book.json")]
)
def test_a_book_follows_another_process(tmp_path, clock, open_store, name):
    """What another process commits reaches an open book through the feed, not a reload."""
    import multiprocessing

    from debitor_core import CustomerBook

    path = tmp_path / name
    book = CustomerBook(open_store(path), clock=clock)
    book.register({"name": "Koks", "address": {"country": "LV"}})
    child = multiprocessing.get_context("fork").Process(
        target=_register_in_a_child, args=(open_store, path, ["Ozols", "Bērzs", "Liepa"])
    )
    child.start()
    child.join()
    assert 0 == child.exitcode
    assert (["Koks", "Bērzs", "Liepa"], 3, 5) == (
        [c.name for c in book.search("")],
        len(book),
        book.revision,
    )
    assert (1, 1) == (book._uow.reloads, book._uow.catch_ups)
    assert 5 == book.register({"name": "Egle", "address": {"country": "LV"}}).number
