"""Issue 15: a customer's history, and a merged-away number, in a big book and a small one.

`CustomerBook.history` and the lookup of a merged-away number read the records about one
customer through the store's `HistoryQueries` (an index lookup), so their cost should
not grow with the book: a book of 100,000 customers (1,000,000 without ``--quick``) is
measured against one of 1,000, each with two history entries per customer and a
forward for every hundredth customer, on SQLite and on PostgreSQL. For comparison, the
read of every history entry that the book made before (`ScannedHistory`) is timed once
on the big SQLite book.

The books are those of ``queries_bench`` (SQLite, cached in ``benchmarks/.cache``) and
``postgres_queries`` (PostgreSQL, kept in the schema ``debitor_bench_queries``), to
which the history records are added once and kept.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import postgres_queries
import queries_bench

from debitor_core import CustomerBook
from debitor_core._history import FieldChange, Forward, HistoryAction, HistoryEntry
from debitor_core.book._store_model import ScannedHistory
from debitor_core.storage import PostgresStore, SqliteStore
from debitor_core.storage._protocol import Store

_WHEN = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
_FORWARD_EVERY = 100
_BATCH = 20_000


def _records(ids: list[tuple[uuid.UUID, int]], size: int) -> list[HistoryEntry | Forward]:
    """Two history entries per customer, and a forward to every hundredth one."""
    made: list[HistoryEntry | Forward] = []
    for customer_id, number in ids:
        made.append(
            HistoryEntry(
                uuid.UUID(int=2 * number), customer_id, _WHEN, HistoryAction.REGISTERED, "bench"
            )
        )
        change = FieldChange("email", None, '"new@example.com"')
        made.append(
            HistoryEntry(
                uuid.UUID(int=2 * number + 1), customer_id, _WHEN, author="bench", fields=(change,)
            )
        )
        if number % _FORWARD_EVERY == 0:
            gone = uuid.UUID(int=10**15 + number)
            made.append(Forward(gone, size + number // _FORWARD_EVERY, customer_id, _WHEN))
    return made


def _add_history(store: Store, ids: list[tuple[uuid.UUID, int]], size: int) -> None:
    records = _records(ids, size)
    for start in range(0, len(records), _BATCH):
        with store.transaction() as tx:
            for record in records[start : start + _BATCH]:
                tx.put_record(record, expected_version=None)


def sqlite_book(size: int) -> Path:
    """The ``queries_bench`` book of ``size`` customers with history records (cached)."""
    plain = queries_bench.big_book(size)
    path = plain.with_name(plain.name.replace("book-", "history-"))
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    shutil.copy(plain, partial)
    start = time.perf_counter()
    store = SqliteStore(partial, synchronous="OFF")
    rows = store._rows("SELECT id, number FROM customer ORDER BY number")
    _add_history(store, [(uuid.UUID(i), n) for i, n in rows], size)
    store.close()
    partial.rename(path)
    took = time.perf_counter() - start
    print(f"  added history to the {size:,}-customer SQLite book in {took:.0f} s")
    return path


def postgres_book(conninfo: str, size: int) -> PostgresStore:
    """The ``postgres_queries`` book of ``size`` customers with history records (kept)."""
    store = postgres_queries.big_book(conninfo, size)
    first = store.get_by_number(1)
    if store.history_of(first.id):
        return store
    start = time.perf_counter()
    ids = [(c.id, c.number) for c in store.customers()]
    _add_history(store, ids, size)
    print(
        f"  added history to the {size:,}-customer PostgreSQL book in "
        f"{time.perf_counter() - start:.0f} s"
    )
    return store


def _median_ms(calls: list[Callable[[], object]]) -> float:
    for call in calls:  # warm: a live book has its pages in memory
        call()
    times = []
    for call in calls:
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def _lookups(store: Store, size: int, seed: int = 5) -> tuple[float, float]:
    """Median ms of `history` of 40 customers, and of `get_by_number` of 40 merged numbers."""
    rng = random.Random(seed)
    book = CustomerBook(store)
    ids = [store.get_by_number(rng.randint(1, size)).id for _ in range(40)]
    merged = [size + rng.randint(1, size // _FORWARD_EVERY) for _ in range(40)]
    history = _median_ms([lambda i=i: book.history(i) for i in ids])
    forwarded = _median_ms([lambda n=n: book.get_by_number(n) for n in merged])
    return history, forwarded


def _compare(label: str, report: Any, big: Store, small: Store, size: int) -> None:  # noqa: ANN401
    big_history, big_forward = _lookups(big, size)
    small_history, small_forward = _lookups(small, 1000)
    print(
        f"  {label}: history {big_history:.2f} ms in {size:,}, {small_history:.2f} ms in 1,000; "
        f"merged number {big_forward:.2f} ms, {small_forward:.2f} ms"
    )
    report(f"{label}: history() in {size:,} / in 1,000", big_history / small_history, 2)
    report(f"{label}: get_by_number(merged) in {size:,} / in 1,000", big_forward / small_forward, 2)


def bench_history(report: Any, *, quick: bool, conninfo: str | None) -> None:  # noqa: ANN401
    """Issue 15: history() and merged-number lookups, a big book against a 1,000 one."""
    size = 100_000 if quick else 1_000_000
    big, small = SqliteStore(sqlite_book(size)), SqliteStore(sqlite_book(1000))
    try:
        _compare("sqlite", report, big, small, size)
        customer = big.get_by_number(size // 2).id
        start = time.perf_counter()
        ScannedHistory(big).history_of(customer)
        scanned = (time.perf_counter() - start) * 1e3
        lookup = _median_ms([lambda: big.history_of(customer)])
        print(
            f"  (information) sqlite {size:,}: one history read by scanning every entry "
            f"{scanned:.0f} ms, by the index {lookup:.2f} ms ({scanned / lookup:,.0f}x)"
        )
    finally:
        big.close()
        small.close()
    if conninfo is None:
        return
    pg_big, pg_small = postgres_book(conninfo, size), postgres_book(conninfo, 1000)
    try:
        _compare("postgres", report, pg_big, pg_small, size)
    finally:
        pg_big.close()
        pg_small.close()
