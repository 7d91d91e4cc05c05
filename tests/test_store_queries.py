"""Store-side queries: the contract, run against SqliteStore (with and without its lookups)."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from debitor_core import CustomerBook
from debitor_core.book._store_model import ScannedHistory, StoreReadModel
from debitor_core.storage import CustomerQueries, HistoryQueries, SqliteStore
from debitor_core.testing import QueriesContract
from debitor_core.testing._queries_contract import _LIFE

_LOOKUPS = frozenset({"history_of", "forwards_to", "forwards_numbered", "records_about"})


class TestSqliteQueries(QueriesContract):
    def make_store(self):
        return SqliteStore(":memory:")


class WithoutLookups:
    """A query store without `HistoryQueries`: SQLite with its history lookups hidden."""

    def __init__(self, store):
        self._store = store

    def __getattr__(self, name):  # noqa: D105 - a proxy
        if name in _LOOKUPS:
            raise AttributeError(name)
        return getattr(self._store, name)


class TestQueriesWithoutLookups(QueriesContract):
    """A query store without the history lookups: the book reads the records kind by kind."""

    def make_store(self):
        return WithoutLookups(SqliteStore(":memory:"))

    # Hypothesis refuses one wrapper run from two classes (see test_postgres_store.py).
    @given(data=st.data())
    @settings(
        max_examples=10,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    def test_same_answers_as_the_in_memory_index(self, data):
        """Searches, counts and duplicate lookups answer as the in-memory index does."""
        inner = QueriesContract.test_same_answers_as_the_in_memory_index.hypothesis.inner_test
        inner(self, data)

    @given(steps=_LIFE)
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    def test_history_lookups(self, steps):
        """History, forwards of merges, erasures and records about customers answer as in memory."""
        QueriesContract.test_history_lookups.hypothesis.inner_test(self, steps)

    def test_the_book_scans(self, clock):
        """The book's read model falls back to `ScannedHistory`, and still forwards merges."""
        store = self.make_store()
        assert isinstance(store, CustomerQueries)
        assert not isinstance(store, HistoryQueries)
        book = CustomerBook(store, clock=clock)
        model = book._uow.model
        assert isinstance(model, StoreReadModel)
        assert isinstance(model._history, ScannedHistory)
        assert "<ScannedHistory of " in repr(model._history)
        kept = book.register({"name": "Anna Ozola", "address": {"country": "LV"}})
        gone = book.register({"name": "Anna Ozola", "address": {"country": "LV"}})
        book.merge(kept.id, gone.id)
        assert kept.id == book.get_by_number(gone.number).id
        assert ["registered", "merged"] == [e.action.value for e in book.history(gone.id)]
