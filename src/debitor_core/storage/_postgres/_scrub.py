"""`scrub_tables`: the vacuum (and rewrite) of `PostgresStore.scrub`, after an erasure."""

from __future__ import annotations

from typing import Any, Final

import psycopg
from psycopg import errors
from psycopg.rows import tuple_row

from debitor_core.storage._postgres._errors import translate
from debitor_core.storage._postgres._schema import Names

__all__ = ["scrub_tables"]

_SCRUBBED: Final = ("debitor_customer", "debitor_record", "debitor_customer_deleted")
"""The tables that hold a customer's data or its past, which `PostgresStore.scrub` vacuums."""

# Whether this role may vacuum every table named (twice), and pg_statistic (as the
# database's owner: superusers are members of every role).
_MAY_VACUUM: Final = (
    "SELECT count(*) FILTER (WHERE pg_has_role(c.relowner, 'USAGE') OR pg_has_role(d.datdba, "
    "'USAGE')) = cardinality(%s::text[]), bool_or(pg_has_role(d.datdba, 'USAGE')) "
    "FROM pg_class c, pg_database d WHERE d.datname = current_database() "
    "AND c.oid IN (SELECT to_regclass(x) FROM unnest(%s::text[]) x)"
)


def scrub_tables(
    conn: psycopg.Connection[Any], names: Names, lock_ms: int, *, rewrite: bool, name: str
) -> None:
    """Vacuum the customer and record tables on ``conn``; rewrite them too for ``rewrite``.

    Args:
        conn: A connection of the store, in autocommit mode (``VACUUM`` runs in none).
        names: The schema's table names.
        lock_ms: How long to wait for each table's lock (the store's ``lock_timeout``).
        rewrite: Rewrite the tables and their indexes (``VACUUM (FULL)``), and the
            planner's statistics when the role may.
        name: The book, as the store's messages name it.

    Raises:
        StorageError: the role may not vacuum the tables (as `translate` makes it).
        psycopg.Error: the database refused (the store translates it).
    """
    tables = ", ".join(f"{{s}}{table}" for table in _SCRUBBED)
    cur = conn.cursor(row_factory=tuple_row)
    regclasses = [names.regclass(table) for table in _SCRUBBED]
    row = cur.execute(_MAY_VACUUM, (regclasses, regclasses)).fetchone()
    assert row is not None  # noqa: S101 - an aggregate without GROUP BY returns one row
    owned, statistics = row
    if not owned:
        reason = "only the owner of the tables, the database's owner or a superuser may vacuum them"
        raise translate(errors.InsufficientPrivilege(reason), name)
    # VACUUM cannot run in a transaction: the lock timeout is the session's, for now.
    cur.execute(f"SET lock_timeout = {lock_ms}".encode())
    try:
        # A plain VACUUM first: it removes what no transaction of this database
        # can see. VACUUM FULL alone would copy along what the oldest transaction
        # of the whole server (another database's too) began before.
        vacuum = f"VACUUM (ANALYZE, INDEX_CLEANUP ON) {tables}"
        cur.execute(names.sql(vacuum).encode())
        if rewrite:
            cur.execute(names.sql(f"VACUUM (FULL) {tables}").encode())
        if rewrite and statistics:
            cur.execute(b"VACUUM pg_catalog.pg_statistic")
            cur.execute(b"VACUUM (FULL) pg_catalog.pg_statistic")
    finally:
        if not conn.broken:
            cur.execute(b"RESET lock_timeout")
