"""The storage contract as a pytest suite, for our backends and yours.

Subclass `StoreContract` in a test module, name the subclass ``Test...`` and implement
`StoreContract.make_store`; a durable backend also sets ``durable = True`` and
implements `StoreContract.reopen`. A backend that several processes share implements
`StoreContract.store_opener`, so that the suite can open the same store in other
processes; one that is single-process by design says so with ``multiprocess = False``.
A backend with the change feed (`debitor_core.storage.ChangeFeed`) is checked for it
too, and implements `StoreContract.make_pruning_store` for the check of pruning; the
feed's checks are skipped, with the reason, for a store without it.
Every test of the contract then runs against your backend::

    import functools

    from debitor_core.testing import StoreContract

    class TestMyStore(StoreContract):
        durable = True

        def make_store(self):
            return MyStore(self.temporary_folder() / "book")

        def reopen(self, store):
            store.close()
            return MyStore(store.path)

        def store_opener(self, store):
            return functools.partial(MyStore, store.path)

Needs pytest and Hypothesis: ``pip install 'debitor-core[testing]'``.
"""

try:
    import hypothesis  # noqa: F401 - imported only to say what is missing, first
    import pytest  # noqa: F401 - as hypothesis above
except ImportError as exc:  # pragma: no cover - run in a subprocess (tests/test_lazy_import.py)
    msg = "debitor_core.testing needs pytest and Hypothesis; install 'debitor-core[testing]'"
    raise ImportError(msg) from exc

from debitor_core.testing._queries_contract import QueriesContract
from debitor_core.testing._samples import (
    sample_customer,
    sample_definition_changes,
    sample_history,
    sample_records,
)
from debitor_core.testing._store_contract import StoreContract

__all__ = [
    "QueriesContract",
    "StoreContract",
    "sample_customer",
    "sample_definition_changes",
    "sample_history",
    "sample_records",
]
