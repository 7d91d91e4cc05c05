"""Storage: the protocol a backend implements, and the backends that ship with debitor-core.

`Store` and `Transaction` state the contract. `InMemoryStore` is the default,
`JsonFileStore` keeps a book in a JSON file, `SqliteStore` in an SQLite database, and
`PostgresStore` many books in a PostgreSQL database (with the extra
``debitor-core[postgres]``). Each backend is imported when it is first used, so that a
program that never opens one (``debitor --help``, a book in memory) does not pay for it.
`debitor_core.testing.StoreContract` checks any backend against the contract.
`ChangeFeed` is an optional capability: a store that tells what changed since a
revision (as a `ChangeSet`) lets books that share it catch up in O(changes).
`CustomerQueries` is another: a store that answers the book's queries itself (a
`CustomerQuery` of free text and filters, duplicate keys, records) spares every book
an in-memory index of its customers; `HistoryQueries`, a third, looks up a customer's
history, the forwards of its merges and the records about it by the customer.
`BulkWrites`, a transaction's, adds many new customers or records in one go (one
``COPY`` on PostgreSQL).
"""

import importlib
from typing import TYPE_CHECKING, Final

from debitor_core._errors import MissingSnapshot
from debitor_core.storage._feed import ChangeFeed, ChangeSet
from debitor_core.storage._memory import InMemoryStore
from debitor_core.storage._protocol import BulkWrites, Scrubbable, Store, Transaction
from debitor_core.storage._queries import (
    CustomerQueries,
    CustomerQuery,
    DuplicateRow,
    HistoryQueries,
    QuerySort,
)

if TYPE_CHECKING:
    from debitor_core.storage._json import JsonFileStore, JsonStoreStatus
    from debitor_core.storage._postgres import PostgresStore
    from debitor_core.storage._snapshot import FORMAT, FORMAT_VERSION
    from debitor_core.storage._sqlite import SCHEMA_VERSION, SqliteStore

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "SCHEMA_VERSION",
    "BulkWrites",
    "ChangeFeed",
    "ChangeSet",
    "CustomerQueries",
    "CustomerQuery",
    "DuplicateRow",
    "HistoryQueries",
    "InMemoryStore",
    "JsonFileStore",
    "JsonStoreStatus",
    "MissingSnapshot",
    "PostgresStore",
    "QuerySort",
    "Scrubbable",
    "SqliteStore",
    "Store",
    "Transaction",
]

_LAZY: Final = {
    "FORMAT": "_snapshot",
    "FORMAT_VERSION": "_snapshot",
    "JsonFileStore": "_json",
    "JsonStoreStatus": "_json",
    "SCHEMA_VERSION": "_sqlite",
    "SqliteStore": "_sqlite",
    "PostgresStore": "_postgres",
}
"""The names whose module is imported on first use, and that module."""


def __getattr__(name: str) -> object:
    """Import a backend on first use; `PostgresStore` says how to install psycopg."""
    module = _LAZY.get(name)
    if module is None:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    try:
        value: object = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    except ImportError as exc:
        if name != "PostgresStore":
            raise
        msg = (
            "PostgresStore needs psycopg 3 and psycopg-pool, which are not installed "
            f"({exc}). Install them with: pip install 'debitor-core[postgres]' (and "
            "'psycopg[binary]' or 'psycopg[c]' for the driver's fast build)."
        )
        raise ImportError(msg, name="psycopg") from exc
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The module's names, those not imported yet included."""
    return sorted({*globals(), *__all__})
