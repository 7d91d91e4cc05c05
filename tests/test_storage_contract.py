"""Every store that ships passes the storage contract."""

from debitor_core.storage import InMemoryStore, JsonFileStore, SqliteStore
from debitor_core.testing import StoreContract


class TestInMemoryStore(StoreContract):
    def make_store(self):
        return InMemoryStore()


class TestJsonFileStore(StoreContract):
    durable = True

    def make_store(self):
        return JsonFileStore(self.temporary_folder() / "book.json")

    def reopen(self, store):
        store.close()
        return JsonFileStore(store.path)


class TestSqliteStore(StoreContract):
    durable = True

    def make_store(self):
        return SqliteStore(self.temporary_folder() / "book.db")

    def reopen(self, store):
        store.close()
        return SqliteStore(store.path)


class TestSqliteStoreWal(TestSqliteStore):
    def make_store(self):
        return SqliteStore(self.temporary_folder() / "book.db", wal=True)
