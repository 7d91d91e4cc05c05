"""How a `PostgresStore` reaches its database: the server, the pool, each connection.

- `reach_server`: one direct connection before `PostgresStore.connect` makes its pool,
  failing fast with the server's reason (never repeating a password).
- `own_pool` and `pool_timed_out`: the pool `PostgresStore.connect` makes, and the
  error when its first connection does not come in time.
- `lent`: a connection of the pool, in autocommit mode and speaking UTF-8 while lent.
- `read_retried`: a read that is repeated once on a fresh connection when its
  connection was found dead.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from typing import Any, TypeVar

import psycopg
import psycopg.sql
import psycopg_pool
from psycopg.pq import TransactionStatus
from psycopg.rows import tuple_row

from debitor_core._errors import StorageError
from debitor_core.storage._postgres._arguments import Pool, describe_server, read_conninfo
from debitor_core.storage._postgres._errors import lost_connection, translate
from debitor_core.storage._postgres._transaction import Cursor

__all__ = ["lent", "own_pool", "pool_timed_out", "reach_server", "read_retried"]

T = TypeVar("T")


def reach_server(conninfo: str, connect_timeout: float, pool_options: Mapping[str, Any]) -> str:
    """Connect to the server once, directly, and return how messages name it.

    Args:
        conninfo: A libpq connection string or ``postgresql://`` URL.
        connect_timeout: Seconds to wait for the connection.
        pool_options: The options the pool will get (their ``kwargs`` are used here).

    Raises:
        StorageError: the server cannot be reached, or ``conninfo`` cannot be read as
            written; the message says why (it never repeats a password).
    """
    params = read_conninfo(conninfo)
    if params is None:
        # Raised outside any except block: no psycopg text (which may hold part of
        # the password) travels along as the cause or context.
        msg = (
            "Could not connect to the PostgreSQL server: the connection string could "
            "not be read. In a URL, percent-encode @ : / ? # and the percent sign in the "
            "user name, password and parameters (@ becomes %40)."
        )
        params_unreadable = {"rule": "unreadable"}
        raise StorageError(msg, code="storage.unavailable", params=params_unreadable)
    where = describe_server(params)
    connect_args = dict(pool_options.get("kwargs") or {})
    try:
        # One direct connection first: it fails fast, with the server's reason.
        connect_args["connect_timeout"] = max(1, math.ceil(connect_timeout))
        psycopg.connect(conninfo, **connect_args).close()
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        for password in (params.get("password"), connect_args.get("password")):
            if isinstance(password, str) and password:
                reason = reason.replace(password, "***")
        msg = f"Could not connect to the PostgreSQL server {where}: {reason}."
        params = {"server": where, "reason": reason}
        raise StorageError(msg, code="storage.unavailable", params=params) from exc
    return where


def own_pool(conninfo: str, book_id: str, pool_options: Mapping[str, Any]) -> Pool:
    """A new pool, not open yet: 1 to 4 connections unless ``pool_options`` say otherwise."""
    options: dict[str, Any] = {"min_size": 1, "max_size": 4, "name": f"debitor-{book_id}"}
    options.update(pool_options)
    pool: Pool = psycopg_pool.ConnectionPool(conninfo, open=False, **options)
    return pool


def pool_timed_out(where: str, connect_timeout: float) -> StorageError:
    """The error when the pool's first connection did not come in ``connect_timeout``."""
    msg = f"Could not connect to the PostgreSQL server {where} in {connect_timeout} s."
    params = {"server": where, "seconds": f"{connect_timeout}", "rule": "timeout"}
    return StorageError(msg, code="storage.unavailable", params=params)


@contextlib.contextmanager
def lent(pool: Pool) -> Iterator[psycopg.Connection[Any]]:
    """Borrow a connection in autocommit mode, speaking UTF-8 (put back as it was lent).

    A connection with another client encoding (``client_encoding=`` or
    ``PGCLIENTENCODING``) speaks UTF-8 while the store has it: two more round trips
    for such a pool, none for a UTF-8 one (the server reports the encoding).
    """
    with pool.connection() as conn:
        autocommit = conn.autocommit
        if not autocommit:
            conn.autocommit = True
        encoding = conn.pgconn.parameter_status(b"client_encoding")
        foreign = encoding is not None and encoding != b"UTF8"
        try:
            if foreign:
                conn.execute(b"SET client_encoding TO 'UTF8'")
            yield conn
        finally:
            idle = not conn.closed and conn.info.transaction_status == TransactionStatus.IDLE
            if foreign and idle and encoding is not None:
                restore = psycopg.sql.SQL("SET client_encoding TO {}")
                conn.execute(restore.format(psycopg.sql.Literal(encoding.decode())))
            if not autocommit and idle:
                conn.autocommit = False


def read_retried(
    connection: Callable[[], AbstractContextManager[psycopg.Connection[Any]]],
    pool: Pool,
    name: str,
    work: Callable[[Cursor], T],
) -> T:
    """Run ``work`` on a cursor of a ``connection()``; once more if that one was dead.

    A read that finds its connection dead (a restarted server, a failover, pgbouncer)
    is repeated once on a fresh one (after ``pool.check()``): reads are safe to repeat.
    Errors become debitor-core's, naming the book ``name``.
    """
    for attempt in (1, 2):
        try:
            with connection() as fresh:
                result = work(fresh.cursor(row_factory=tuple_row))
        except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
            if attempt == 1 and lost_connection(exc):
                pool.check()
                continue
            raise translate(exc, name) from exc
        else:
            return result
    raise AssertionError  # pragma: no cover - the loop returns or raises
