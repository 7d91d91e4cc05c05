"""Storage: the protocol a backend implements, and the backends that ship with debitor-core.

`Store` and `Transaction` state the contract; `InMemoryStore` is the default.
`debitor_core.testing.StoreContract` checks any backend against the contract.
"""

from debitor_core.storage._memory import InMemoryStore
from debitor_core.storage._protocol import Store, Transaction

__all__ = ["InMemoryStore", "Store", "Transaction"]
