"""Issue 11 section 1: a book catching up with another book's commit through the feed.

Two books on two store objects of one file (as two worker processes would have): one
registers a customer, the other then searches. Before the change feed, the second
book read the whole store again (109x a plain search at 100,000 customers); now it
asks the store what changed and applies that.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from workload import make_forms

from debitor_core import CustomerBook
from debitor_core.storage._protocol import Store


def follow_commits(
    label: str,
    open_store: Callable[[], Store],
    size: int,
    *,
    rounds: int,
    new_book: Callable[[Store], CustomerBook],
    queries: Callable[[CustomerBook, int], list[str]],
) -> float:
    """The median search after another book's commit / the median search without one."""
    forms = make_forms(size + rounds, seed=11)
    writer = new_book(open_store())
    start = time.perf_counter()
    for offset in range(0, size, 5000):
        writer.register_many(forms[offset : min(offset + 5000, size)])
    print(f"  {label}: filled {size:,} customers in {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    reader = CustomerBook(open_store())
    words = queries(reader, size)
    print(f"  {label}: the reader book opened in {time.perf_counter() - start:.2f} s")
    uow = reader._uow  # counting how the reader caught up
    reloads = uow.reloads
    plain, foreign = [], []
    for i, form in enumerate(forms[size:]):
        query = words[i % len(words)]
        list(reader.search(query, limit=50))  # both measured searches follow this one
        start = time.perf_counter()
        list(reader.search(query, limit=50))
        plain.append(time.perf_counter() - start)
        writer.register(form)
        start = time.perf_counter()
        list(reader.search(query, limit=50))
        foreign.append(time.perf_counter() - start)
    with_commit, alone = statistics.median(foreign), statistics.median(plain)
    print(
        f"  {label}: search alone {alone * 1e3:.2f} ms, after another book's commit "
        f"{with_commit * 1e3:.2f} ms (median of {rounds}); the reader caught up "
        f"{uow.catch_ups} times through the feed and reloaded {uow.reloads - reloads} times"
    )
    uow._feed = None  # as before the feed: the reader reads the whole store again
    extra = make_forms(3, seed=12)
    reloading = []
    for i, form in enumerate(extra):
        writer.register(form)
        start = time.perf_counter()
        list(reader.search(words[i], limit=50))
        reloading.append(time.perf_counter() - start)
    print(
        f"  {label}: (information) without the feed, a search after another book's commit "
        f"takes {statistics.median(reloading) * 1e3:.0f} ms, "
        f"{statistics.median(reloading) / alone:.0f}x the search alone"
    )
    return with_commit / alone
