"""Issue 11 §2: a 1,000,000-customer SqliteStore book answered by the store's own queries.

The big book is built once, by a fast bulk path (customers made straight from the
workload's forms, normalised the way the rules would, and added 20,000 to a commit), and
kept in ``benchmarks/.cache`` for the next runs; its file name carries the schema version
and the fold's, so a change of either builds it again.

Measured, each in a fresh process so that nothing is warm that a real process would not
have warm: opening the book and running the first search; the RSS after 1,000 mixed
searches; the 240-query search mix of ``bench_book`` (first page of 50 plus the total);
registering one customer into the 1M book against into a 1k book.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workload import make_forms

from debitor_core import Address, Category, Customer, CustomerBook, Phone, TaxId
from debitor_core._text import FOLD_VERSION
from debitor_core.storage import SCHEMA_VERSION, SqliteStore
from debitor_core.storage._sqlite import _queries, _rows

CACHE = Path(__file__).resolve().parent / ".cache"
_CATEGORIES = ["Retailers", "Wholesalers", "Regular customers", "Food", "Export"]
_WHEN = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _customer(number: int, form: dict[str, Any], categories: dict[str, uuid.UUID]) -> Customer:
    """A customer straight from a workload form, normalised as the rules would."""
    address = form["address"]
    country = address["country"]
    phone = form["phone"].replace(" ", "")
    e164 = f"+371{phone}" if country == "LV" else f"+49{phone[1:]}"
    tax = form.get("tax_id")
    tax_id = None
    if tax:
        compact = tax.replace(" ", "").replace("-", "")
        tax_id = TaxId(compact, compact[:2])
    return Customer(
        id=uuid.UUID(int=number),
        number=number,
        name=form["name"],
        email=form["email"],
        phone=Phone(e164),
        tax_id=tax_id,
        address=Address(
            street=address["street"],
            postal_code=address["postal_code"],
            city=address["city"],
            country=country,
        ),
        categories=tuple(sorted(categories[name] for name in form["categories"])),
        created=_WHEN,
        updated=_WHEN,
    )


def _bulk_add(tx: Any, customers: list[Customer]) -> None:  # noqa: ANN401 - SQLite's own
    """What ``tx.add`` does for each customer, table by table: rows, then query rows.

    The structural checks are left out (the customers are made right above), and the
    rows go in with one ``executemany`` per table.
    """
    rows = []
    for customer in customers:
        columns = (
            str(customer.id),
            customer.number,
            customer.version,
            customer.email.casefold() if customer.email else None,
            customer.tax_id.value if customer.tax_id else None,
            customer.phone.number if customer.phone else None,
            tx._dumps(customer),
        )
        rows.append((*columns, _rows.checksum(*columns), tx.changed))
    tx._db.executemany(_rows.INSERT_CUSTOMER, rows)
    _queries.index_customers(tx._db, customers, *tx.search_fields)
    tx.set_meta("last_number", customers[-1].number)


def big_book(size: int) -> Path:
    """The path of a ``size``-customer SQLite book, built on first use."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"book-{size}-schema{SCHEMA_VERSION}-fold{FOLD_VERSION}.db"
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    start = time.perf_counter()
    store = SqliteStore(partial, synchronous="OFF")
    categories = {name: uuid.UUID(int=10**12 + i) for i, name in enumerate(_CATEGORIES)}
    with store.transaction() as tx:
        for name, category_id in categories.items():
            tx.put_category(Category(category_id, name))
    batch = 20_000
    for offset in range(0, size, batch):
        forms = make_forms(min(batch, size - offset), seed=1000 + offset, start=offset)
        customers = [_customer(offset + i + 1, form, categories) for i, form in enumerate(forms)]
        with store.transaction() as tx:
            _bulk_add(tx, customers)
        print(f"  built {offset + len(forms):,} customers", end="\r", flush=True)
    store.close()
    partial.rename(path)
    print(f"  built a {size:,}-customer book in {time.perf_counter() - start:.0f} s")
    return path


def _mix(path: Path, size: int) -> list[str]:
    """The 240 queries of ``bench_book``: part of a name, an email, a phone, a city."""
    rng = random.Random(3)
    store = SqliteStore(path)
    queries = []
    for _ in range(60):
        customer = store.get_by_number(rng.randint(1, size))
        queries += [
            customer.name.split()[-1][:6],
            (customer.email or "sia").split("@")[0],
            str(customer.phone or "371")[-6:],
            customer.address.city or "riga",
        ]
    store.close()
    return queries


_CHILD = r"""
import json, sys, time
from debitor_core import CustomerBook
from debitor_core.storage import SqliteStore
path, queries = sys.argv[1], json.loads(sys.argv[2])
start = time.perf_counter()  # the library imported: opening the book starts here
book = CustomerBook(SqliteStore(path))
result = book.search(queries[0], limit=50)
list(result), result.total
first = time.perf_counter() - start
times = []
for query in queries:
    began = time.perf_counter()
    result = book.search(query, limit=50)
    list(result), result.total
    times.append(time.perf_counter() - began)
for i in range(1000):
    result = book.search(queries[i % len(queries)], limit=50, offset=(i // 240) * 50)
    list(result), result.total
with open("/proc/self/status") as status:
    rss = next(int(l.split()[1]) for l in status if l.startswith("VmRSS")) / 1024
print(json.dumps({"first": first, "times": times, "rss": rss}))
"""


def _register_time(path: Path, rounds: int = 20) -> float:
    """Median seconds to register one customer into the book at ``path`` (changes it)."""
    book = CustomerBook(SqliteStore(path, synchronous="OFF"))
    forms = make_forms(rounds, seed=77, start=5_000_000)
    book.register(forms[0])  # warm: the first transaction reads the definitions
    times = []
    for form in forms[1:]:
        start = time.perf_counter()
        book.register(form)
        times.append(time.perf_counter() - start)
    book.store.close()
    return statistics.median(times)


def bench_queries(report: Any, *, quick: bool) -> None:  # noqa: ANN401 - run.report
    """Issue 11 §2: a 1M-customer SqliteStore book through the store's queries."""
    size = 100_000 if quick else 1_000_000
    path = big_book(size)
    queries = _mix(path, size)
    child = subprocess.run(  # noqa: S603 - this Python, our own script
        [sys.executable, "-c", _CHILD, str(path), json.dumps(queries)],
        check=True,
        capture_output=True,
        text=True,
    )
    measured = json.loads(child.stdout)
    times = sorted(measured["times"])
    median = statistics.median(times) * 1e3
    p90 = times[int(len(times) * 0.9)] * 1e3
    print(f"  {size:,} customers; slowest query {times[-1] * 1e3:.0f} ms")
    report(f"sqlite {size:,}: open the book and run the first search", measured["first"], 0.5, "s")
    report(f"sqlite {size:,}: RSS after 1,000 mixed searches", measured["rss"], 150, "MB")
    report(
        f"sqlite {size:,}: search mix of {len(times)} (page of 50 + total), median",
        median,
        20,
        "ms",
    )
    report(f"sqlite {size:,}: search mix of {len(times)} (page of 50 + total), p90", p90, 300, "ms")
    folder = Path(tempfile.mkdtemp(prefix="debitor-bench-", dir="."))
    try:
        copy = folder / "big.db"
        shutil.copy(path, copy)
        small = big_book(1000)
        small_copy = folder / "small.db"
        shutil.copy(small, small_copy)
        big_each, small_each = _register_time(copy), _register_time(small_copy)
        print(
            f"  register one: {big_each * 1e3:.2f} ms into {size:,}, "
            f"{small_each * 1e3:.2f} ms into 1,000"
        )
        report(f"sqlite: register one into {size:,} / into 1,000", big_each / small_each, 1.5)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
