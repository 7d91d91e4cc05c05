"""Every store that ships passes the storage contract; the contract catches a naive store."""

import functools
import os
import pickle
import re
import shutil
from collections.abc import MutableMapping
from pathlib import Path

import pytest

from debitor_core.storage import InMemoryStore, JsonFileStore, SqliteStore
from debitor_core.testing import StoreContract

PAGE = Path(__file__).resolve().parent.parent / "docs" / "custom-storage.md"


class TestInMemoryStore(StoreContract):
    multiprocess = False

    def make_store(self):
        return InMemoryStore()

    def make_pruning_store(self, retention):
        return InMemoryStore(feed_retention=retention)


class TestJsonFileStore(StoreContract):
    durable = True

    def make_store(self):
        return JsonFileStore(self.temporary_folder() / "book.json")

    def make_pruning_store(self, retention):
        return JsonFileStore(self.temporary_folder() / "book.json", feed_retention=retention)

    def reopen(self, store):
        store.close()
        return JsonFileStore(store.path)

    def store_opener(self, store):
        return functools.partial(JsonFileStore, store.path)


class TestSqliteStore(StoreContract):
    durable = True

    def make_store(self):
        return SqliteStore(self.temporary_folder() / "book.db")

    def make_pruning_store(self, retention):
        return SqliteStore(self.temporary_folder() / "book.db", feed_retention=retention)

    def reopen(self, store):
        store.close()
        return SqliteStore(store.path)

    def store_opener(self, store):
        return functools.partial(SqliteStore, store.path)


class TestSqliteStoreWal(TestSqliteStore):
    def make_store(self):
        return SqliteStore(self.temporary_folder() / "book.db", wal=True)

    def store_opener(self, store):
        return functools.partial(SqliteStore, store.path, wal=True)


# -- a store as a new user writes it: the documented key-value backend on a file ---------

namespace: dict[str, object] = {"__name__": "docs_custom_storage"}
for block in re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.DOTALL)[:1]:
    exec(compile(block, str(PAGE), "exec"), namespace)  # noqa: S102 - our own documentation
KeyValueStore = namespace["KeyValueStore"]


class PickledDict(MutableMapping):
    """A dict kept in a file, read and written whole on every access; atomic, but no lock."""

    def __init__(self, path):
        self.path = Path(path)
        if not self.path.exists():
            self._save({})

    def _load(self):
        return pickle.loads(self.path.read_bytes())  # noqa: S301 - our own file

    def _save(self, data):
        temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        temporary.write_bytes(pickle.dumps(data))
        temporary.replace(self.path)

    def __getitem__(self, key):
        """Read the whole file, return one value."""
        return self._load()[key]

    def __setitem__(self, key, value):
        """Read the whole file, change one value, write it all back."""
        data = self._load()
        data[key] = value
        self._save(data)

    def __delitem__(self, key):
        """Read the whole file, remove one value, write it all back."""
        data = self._load()
        del data[key]
        self._save(data)

    def __iter__(self):
        """The keys, as the file holds them now."""
        return iter(list(self._load()))

    def __len__(self):
        """How many keys the file holds now."""
        return len(self._load())


def open_naive_store(path):
    return KeyValueStore(PickledDict(path))


class NaiveStoreContract(StoreContract):
    """The contract for the naive store (collected only through the subclasses below)."""

    durable = True
    process_commits = 30  # long enough that the processes' commits overlap on any machine

    def make_store(self):
        return open_naive_store(self.temporary_folder() / "book.pickle")

    def reopen(self, store):
        return open_naive_store(store.data.path)

    def store_opener(self, store):
        return functools.partial(open_naive_store, store.data.path)


class TestNaiveStoreInOneProcess(NaiveStoreContract):
    """The naive store passes every single-process check: the suite before #10 let it through."""

    multiprocess = False


class TestTheSuiteCatchesTheNaiveStore:
    @pytest.fixture
    def contract(self):
        contract = NaiveStoreContract()
        contract._folders = []
        yield contract
        for folder in contract._folders:
            shutil.rmtree(folder, ignore_errors=True)

    def test_concurrent_processes_lose_its_commits(self, contract):
        """Processes committing at once through the naive store clash or lose commits, and the suite says so."""
        with pytest.raises(AssertionError) as info:
            contract.test_processes_commit_concurrently()
        message = str(info.value)
        assert message.startswith(
            "The store lost or mixed up commits that several processes made at once:\n- "
        )
        assert re.search(
            "acknowledged to more than one process|acknowledged customers are missing|"
            "acknowledged notes are missing|does not count every commit|"
            "transactions are not serialised",
            message,
        ), message


class TestHooks:
    @pytest.fixture
    def contract(self):
        class Undeclared(StoreContract):
            durable = True

            def make_store(self):
                return open_naive_store(self.temporary_folder() / "book.pickle")

        contract = Undeclared()
        contract._folders = []
        yield contract
        for folder in contract._folders:
            shutil.rmtree(folder, ignore_errors=True)

    def test_an_undeclared_store_is_told_what_to_do(self, contract):
        """A store that neither gives an opener nor declares itself single-process fails, saying how to fix it."""
        with pytest.raises(pytest.fail.Exception) as info:
            contract.test_crash_keeps_acknowledged_commits()
        assert (
            "Undeclared must say how another process opens its store: implement "
            "store_opener(store) to return a picklable callable (for example "
            "functools.partial(MyStore, store.path)), or set multiprocess = False if the "
            "store is single-process by design."
        ) == str(info.value)

    def test_the_opener_must_pickle(self, contract, monkeypatch):
        """An opener another process cannot receive is refused with a sentence."""
        monkeypatch.setattr(contract, "store_opener", lambda store: lambda: store)
        with pytest.raises(pytest.fail.Exception, match="cannot be pickled"):
            contract.test_other_processes_commits_are_seen()

    def test_single_process_stores_skip_with_the_reason(self):
        """A store declaring multiprocess = False skips the checks, saying why."""
        contract = TestInMemoryStore()
        contract._folders = []
        with pytest.raises(pytest.skip.Exception, match="declares multiprocess = False"):
            contract.test_processes_commit_concurrently()


class TestWithBlocks:
    @pytest.mark.parametrize("kind", ["memory", "json", "sqlite"])
    def test_every_store_closes_at_the_end_of_a_with_block(self, tmp_path, kind):
        """`with <store> as store:` gives the store and closes it at the end."""
        make = {
            "memory": InMemoryStore,
            "json": lambda: JsonFileStore(tmp_path / "book.json"),
            "sqlite": lambda: SqliteStore(tmp_path / "book.db"),
        }[kind]
        closed = []
        with make() as store:
            assert 0 == store.count()
            store.close = lambda: closed.append(True)
        assert [True] == closed
