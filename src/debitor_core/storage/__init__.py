"""Storage: the protocol a backend implements, and the backends that ship with debitor-core.

`Store` and `Transaction` state the contract. `InMemoryStore` is the default,
`JsonFileStore` keeps a book in a JSON file, `SqliteStore` in an SQLite database, and
`PostgresStore` many books in a PostgreSQL database (with the extra
``debitor-core[postgres]``; it is imported only when first used).
`debitor_core.testing.StoreContract` checks any backend against the contract.
`ChangeFeed` is an optional capability: a store that tells what changed since a
revision (as a `ChangeSet`) lets books that share it catch up in O(changes).
`CustomerQueries` is another: a store that answers the book's queries itself (a
`CustomerQuery` of free text and filters, duplicate keys, records) spares every book
an in-memory index of its customers; `HistoryQueries`, a third, looks up a customer's
history, the forwards of its merges and the records about it by the customer.
"""

from typing import TYPE_CHECKING

from debitor_core._errors import MissingSnapshot
from debitor_core.storage._feed import ChangeFeed, ChangeSet
from debitor_core.storage._json import JsonFileStore, JsonStoreStatus
from debitor_core.storage._memory import InMemoryStore
from debitor_core.storage._protocol import Scrubbable, Store, Transaction
from debitor_core.storage._queries import (
    CustomerQueries,
    CustomerQuery,
    DuplicateRow,
    HistoryQueries,
    QuerySort,
)
from debitor_core.storage._snapshot import FORMAT, FORMAT_VERSION
from debitor_core.storage._sqlite import SCHEMA_VERSION, SqliteStore

if TYPE_CHECKING:
    from debitor_core.storage._postgres import PostgresStore

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "SCHEMA_VERSION",
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


def __getattr__(name: str) -> object:
    """Import `PostgresStore` on first use, so that psycopg stays optional."""
    if name != "PostgresStore":
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    try:
        from debitor_core.storage._postgres import PostgresStore  # noqa: PLC0415 - optional
    except ImportError as exc:
        msg = (
            "PostgresStore needs psycopg 3 and psycopg-pool, which are not installed "
            f"({exc}). Install them with: pip install 'debitor-core[postgres]' (and "
            "'psycopg[binary]' or 'psycopg[c]' for the driver's fast build)."
        )
        raise ImportError(msg, name="psycopg") from exc
    globals()["PostgresStore"] = PostgresStore
    return PostgresStore
