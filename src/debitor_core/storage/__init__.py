"""Storage: the protocol a backend implements, and the backends that ship with debitor-core.

`Store` and `Transaction` state the contract. `InMemoryStore` is the default,
`JsonFileStore` keeps a book in a JSON file, `SqliteStore` in an SQLite database.
`debitor_core.testing.StoreContract` checks any backend against the contract.
"""

from debitor_core.storage._json import FORMAT, FORMAT_VERSION, JsonFileStore
from debitor_core.storage._memory import InMemoryStore
from debitor_core.storage._protocol import Store, Transaction
from debitor_core.storage._sqlite import SCHEMA_VERSION, SqliteStore

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "SCHEMA_VERSION",
    "InMemoryStore",
    "JsonFileStore",
    "SqliteStore",
    "Store",
    "Transaction",
]
