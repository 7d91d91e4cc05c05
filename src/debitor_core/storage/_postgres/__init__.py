"""`PostgresStore`: books in PostgreSQL (needs the extra ``debitor-core[postgres]``).

- ``_store.py``: the store: opening (and folding again), connections, transactions;
  thin methods that delegate the rest.
- ``_reads.py``: the reads, the customer queries and the record queries of a book.
- ``_feed.py``: the change feed (`changes_since`), the wait for a commit
  (`wait_for_change`) and the name of a book's notification channel.
- ``_verify.py``: `verify`, every row of a book read and checked.
- ``_part.py``: `BookPart`, what the feed and `verify` work on a book with.
- ``_scrub.py``: `scrub`, the vacuum (and rewrite) of the tables after an erasure.
- ``_fold.py``: whether a book's fold is current, and the custom fields it searches.
- ``_connection.py``: the server reached, the pool `connect` makes, a connection
  lent (autocommit, UTF-8), a read retried once on a fresh connection.
- ``_arguments.py``: the checks of the store's arguments, and its reading of a
  connection string (never repeating a password).
- ``_statements.py``: the SQL text of the store and its transactions, for one schema.
- ``_transaction.py``: a write transaction of the store, with its ``COPY`` imports.
- ``_schema.py``: the tables of each schema version and the migrations between them.
- ``_derived.py``: the columns computed in Python beside each row, for SQL to compare.
- ``_queries.py``: the ``WHERE`` and ``ORDER BY`` of the customer queries.
- ``_lookups.py``: the history lookups (records by the customer they are about).
- ``_rows.py``: what a row holds (JSON and a checksum), checked when written and read.
- ``_errors.py``: psycopg's exceptions translated into debitor-core's.
"""

from debitor_core.storage._postgres._schema import MIGRATIONS, SCHEMA_VERSION
from debitor_core.storage._postgres._store import PostgresStore
from debitor_core.storage._postgres._transaction import PostgresTransaction

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "PostgresStore", "PostgresTransaction"]
