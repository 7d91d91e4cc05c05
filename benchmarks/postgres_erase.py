"""Issue 15: what an erasure costs on PostgreSQL, rewriting the tables or only vacuuming them.

A book of ``size`` customers is imported with ``COPY`` into a schema of its own. Then,
in turn, a person is registered, changed and invoiced, and erased through a store with
``scrub="vacuum"`` and one with ``scrub="rewrite"`` (the default); one plain update
of a customer is the baseline commit. The rewrite's extra time is how long every book
of the schema waits for the tables (``ACCESS EXCLUSIVE``), reads too.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

import psycopg
from postgres_queries import customers_in_chunks

from debitor_core import CustomerBook, InvoiceLine
from debitor_core.storage import PostgresStore

_PERSON = {
    "kind": "person",
    "name": "Erika Musterfrau",
    "email": "erika@example.com",
    "phone": "+37129876543",
    "address": {"country": "LV", "city": "Riga", "street": "Brivibas iela 1"},
    "notes": "Pays by transfer.",
}


def _erase_one(store: PostgresStore) -> tuple[float, float]:
    """Seconds of one plain update, and of one erasure (a fresh person each time)."""
    book = CustomerBook(store)
    person = book.register(_PERSON)
    start = time.perf_counter()
    person = book.update(person.id, {"phone": "+37120000001"}, expected_version=person.version)
    update = time.perf_counter() - start
    book.issue_invoice(person.id, [InvoiceLine("Chair", 1, 10)], issue_date=dt.date(2026, 1, 5))
    start = time.perf_counter()
    book.erase(person.id, reason="Benchmark")
    return update, time.perf_counter() - start


def _table_mb(conninfo: str, schema: str) -> float:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        row = conn.execute(
            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
            "WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'r'",
            (schema,),
        ).fetchone()
    return float(row[0] if row and row[0] else 0) / 2**20


def bench_erase(conninfo: str, schema: str, report: Callable[..., None], *, quick: bool) -> None:
    """Erase on a 10,000- and a 100,000-customer book (2,000 and 20,000 with ``--quick``)."""
    sizes = (2_000, 20_000) if quick else (10_000, 100_000)
    for size in sizes:
        book_id = f"bench-erase-{size}"
        with psycopg.connect(conninfo, autocommit=True) as conn:  # one book in the schema
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        with PostgresStore.connect(conninfo, book_id=book_id, schema=schema) as store:
            for chunk in customers_in_chunks(size):
                with store.transaction() as tx:
                    tx.add_many(chunk)
        megabytes = _table_mb(conninfo, schema)
        times = {}
        for mode in ("vacuum", "rewrite"):
            with PostgresStore.connect(
                conninfo, book_id=book_id, schema=schema, scrub=mode
            ) as store:
                _erase_one(store)  # warm
                times[mode] = min(_erase_one(store) for _ in range(3))
        update, vacuum = times["vacuum"]
        rewrite = times["rewrite"][1]
        print(
            f"  {size:,} customers ({megabytes:.0f} MB of tables in the schema): one update "
            f"{update * 1e3:.1f} ms; erase with scrub='vacuum' {vacuum:.2f} s, "
            f"with scrub='rewrite' {rewrite:.2f} s (the tables locked about "
            f"{max(rewrite - vacuum, 0):.2f} s)"
        )
        report(f"PostgreSQL erase, {size:,} customers: rewrite / vacuum", rewrite / vacuum, 50)
        report(f"PostgreSQL erase, {size:,} customers: rewrite", rewrite, 30, "s")
