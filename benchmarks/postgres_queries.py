"""Issue 12: PostgresStore's own queries on a big book.

The 1,000,000-customer book (100,000 with ``--quick``) is built once with ``COPY``
(`PostgresTransaction.add_many`) in the schema ``debitor_bench_queries`` and kept
there: later runs find it (same size, current fold) and only search. Drop the schema
to build it again. After the build the table is vacuumed and analysed, as autovacuum
leaves a live table.

The customers are the workload's forms (benchmarks/workload.py), built straight into
`Customer` objects: the build measures the store, not validation.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
from workload import make_forms

from debitor_core import Customer
from debitor_core._model import Address, Phone, PhoneType, TaxId
from debitor_core.storage import PostgresStore
from debitor_core.storage._queries import CustomerQuery

SCHEMA = "debitor_bench_queries"
_CHUNK = 20_000
_START = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
_CATEGORY_IDS = {
    name: uuid.uuid5(uuid.NAMESPACE_URL, f"debitor-bench/{name}")
    for name in ("Retailers", "Wholesalers", "Regular customers", "Food", "Export")
}


def _phone(form: dict[str, Any]) -> str:
    digits = "".join(c for c in form["phone"] if c.isdigit())
    if form["address"]["country"] == "LV":
        return f"+371{digits}"
    return f"+49{digits.lstrip('0')}"


def _customer(number: int, form: dict[str, Any]) -> Customer:
    address = form["address"]
    tax = form.get("tax_id")
    compact = None if tax is None else "".join(c for c in tax if c.isalnum())
    return Customer(
        id=uuid.uuid5(uuid.NAMESPACE_OID, f"bench-{number}"),
        number=number,
        name=form["name"],
        email=form["email"],
        phone=Phone(_phone(form), PhoneType.MOBILE),
        address=Address(
            address["street"], address["postal_code"], address["city"], None, address["country"]
        ),
        tax_id=None if compact is None else TaxId(compact, address["country"]),
        categories=tuple(sorted(_CATEGORY_IDS[c] for c in form["categories"])),
        created=_START + dt.timedelta(seconds=number),
        updated=_START + dt.timedelta(seconds=number),
    )


def customers_in_chunks(size: int) -> Iterator[list[Customer]]:
    """The workload's customers 1 to ``size``, built straight into `Customer` objects, in chunks."""
    for start in range(0, size, _CHUNK):
        count = min(_CHUNK, size - start)
        forms = make_forms(count, seed=1000 + start // _CHUNK, start=start)
        yield [_customer(start + i + 1, form) for i, form in enumerate(forms)]


def big_book(conninfo: str, size: int) -> PostgresStore:
    """The benchmark book of ``size`` customers, built now unless an earlier run left it."""
    book_id = f"bench-{size}"
    store = PostgresStore.connect(conninfo, book_id=book_id, schema=SCHEMA, max_size=2)
    if store.count() == size:
        print(f"  the {size:,}-customer book of an earlier run is reused ({SCHEMA}.{book_id})")
        return store
    store.close()
    with psycopg.connect(conninfo, autocommit=True) as conn, conn.transaction():
        conn.execute("SET LOCAL debitor.writer = '4'")  # schema 4's guard, as the store says
        for table in ("debitor_customer", "debitor_book"):
            conn.execute(f'DELETE FROM "{SCHEMA}".{table} WHERE book_id = %s', (book_id,))
    store = PostgresStore.connect(conninfo, book_id=book_id, schema=SCHEMA, max_size=2)
    start = time.perf_counter()
    for chunk in customers_in_chunks(size):
        with store.transaction() as tx:
            tx.add_many(chunk)
    built = time.perf_counter() - start
    start = time.perf_counter()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'VACUUM ANALYZE "{SCHEMA}".debitor_customer')
    print(
        f"  built the {size:,}-customer book with COPY in {built:.0f} s "
        f"({size / built:,.0f} customers a second), vacuumed in "
        f"{time.perf_counter() - start:.0f} s"
    )
    return store


def query_mix(store: PostgresStore, size: int, seed: int = 3) -> list[str]:
    """The 240 queries of ``make bench``: a name's end, an email, a phone's end, a city."""
    import random  # noqa: PLC0415

    rng = random.Random(seed)
    queries = []
    for _ in range(60):
        customer = store.get_by_number(rng.randint(1, size))
        queries += [
            customer.name.split()[-1][:6],
            (customer.email or "sia").split("@")[0],
            str(customer.phone or "371")[-6:],
            customer.address.city or "riga",
        ]
    return queries


def search_mix(store: PostgresStore, queries: list[str]) -> tuple[float, float, list[float]]:
    """Median and p90 (ms) of the first page of 50 plus the total, each query once warm."""

    def once(text: str) -> float:
        query = CustomerQuery(text=text)
        start = time.perf_counter()
        store.search_customers(query, limit=50)
        store.count_customers(query)
        return (time.perf_counter() - start) * 1e3

    for text in queries:  # warm: a live server has its pages in memory
        once(text)
    times = [once(text) for text in queries]
    ordered = sorted(times)
    return statistics.median(times), ordered[int(len(ordered) * 0.9)], times
