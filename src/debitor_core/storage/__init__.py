"""Storage: the protocol a backend implements, and the backends that ship with debitor-core.

`Store` and `Transaction` state the contract. `InMemoryStore` is the default,
`JsonFileStore` keeps a book in a JSON file, `SqliteStore` in an SQLite database.
`debitor_core.testing.StoreContract` checks any backend against the contract.
"""

from debitor_core._errors import MissingSnapshot
from debitor_core.storage._json import JsonFileStore, JsonStoreStatus
from debitor_core.storage._memory import InMemoryStore
from debitor_core.storage._protocol import Store, Transaction
from debitor_core.storage._snapshot import FORMAT, FORMAT_VERSION
from debitor_core.storage._sqlite import SCHEMA_VERSION, SqliteStore

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "SCHEMA_VERSION",
    "InMemoryStore",
    "JsonFileStore",
    "JsonStoreStatus",
    "MissingSnapshot",
    "SqliteStore",
    "Store",
    "Transaction",
]
