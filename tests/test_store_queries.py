"""Store-side queries: the contract, run against SqliteStore."""

from debitor_core.storage import SqliteStore
from debitor_core.testing import QueriesContract


class TestSqliteQueries(QueriesContract):
    def make_store(self):
        return SqliteStore(":memory:")
