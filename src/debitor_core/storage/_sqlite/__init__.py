"""`SqliteStore`: a book in an SQLite database (the standard library's sqlite3).

- ``_store.py``: the store, its reads, change feed and customer queries.
- ``_transaction.py``: a write transaction of the store.
- ``_schema.py``: the tables of each schema version and the migrations between them.
- ``_queries.py``: the query tables (folded text, duplicate keys, record lookups) and
  the SQL of the customer queries.
- ``_lookups.py``: the record lookups (by invoice, by the customer a record is about, by
  a forward's number).
- ``_rows.py``: what a row holds (columns, JSON and a checksum) and how it is checked
  when read.
- ``_connection.py``: the checks of the store's arguments and file, and the switch to WAL.
- ``_errors.py``: sqlite3's exceptions translated into debitor-core's.
"""

from debitor_core.storage._sqlite._schema import SCHEMA_MIGRATIONS, SCHEMA_VERSION
from debitor_core.storage._sqlite._store import SqliteStore
from debitor_core.storage._sqlite._transaction import SqliteTransaction

__all__ = ["SCHEMA_MIGRATIONS", "SCHEMA_VERSION", "SqliteStore", "SqliteTransaction"]
