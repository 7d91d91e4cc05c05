"""Storage: the protocol a backend implements, and the backends that ship with debitor-core.

`Store` and `Transaction` state the contract. `InMemoryStore` is the default,
`JsonFileStore` keeps a book in a JSON file, `SqliteStore` in an SQLite database.
`debitor_core.testing.StoreContract` checks any backend against the contract.
`ChangeFeed` is an optional capability: a store that tells what changed since a
revision (as a `ChangeSet`) lets books that share it catch up in O(changes).
"""

from debitor_core.storage._feed import ChangeFeed, ChangeSet
from debitor_core.storage._json import FORMAT, FORMAT_VERSION, JsonFileStore
from debitor_core.storage._memory import InMemoryStore
from debitor_core.storage._protocol import Store, Transaction
from debitor_core.storage._sqlite import SCHEMA_VERSION, SqliteStore

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "SCHEMA_VERSION",
    "ChangeFeed",
    "ChangeSet",
    "InMemoryStore",
    "JsonFileStore",
    "SqliteStore",
    "Store",
    "Transaction",
]
