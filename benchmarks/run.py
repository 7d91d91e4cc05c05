"""Benchmarks for debitor-core's speed and memory targets (``make bench``).

Each section measures ours against a baseline in the same run and prints the ratio,
since this machine is shared and absolute times drift. Targets come from the issues;
a line ends in ``ok`` or ``MISSED``.

Usage: python benchmarks/run.py [--quick] [--only SECTION ...]

The ``storage`` section compares this tree's JsonFileStore with another checkout's
(opening a big book, one commit) when ``DEBITOR_BASELINE`` names that checkout's folder,
for example after ``git worktree add /tmp/baseline <commit>``; without it the section
says it was skipped.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import email_validator
import phonenumbers
import postgres_erase
import postgres_queries
import storage_compare
from cli_bench import bench_cli as _bench_cli
from feed_bench import follow_commits
from history_bench import bench_history as _bench_history
from queries_bench import bench_queries as _bench_queries
from stdnum.eu import vat as eu_vat
from workload import make_forms

from debitor_core import Customer, CustomerBook, make_converter
from debitor_core._form import FormContext, RequiredFields, parse_form
from debitor_core._model import utc_now
from debitor_core.book._build import build
from debitor_core.storage import JsonFileStore, PostgresStore, SqliteStore
from debitor_core.storage._postgres._derived import FieldKeys, customer_columns

RESULTS: list[str] = []


def report(
    name: str, value: float, target: float, unit: str = "x", *, lower_is_better: bool = True
) -> None:
    ok = value <= target if lower_is_better else value >= target
    sign = "<=" if lower_is_better else ">="
    verdict = "ok" if ok else "MISSED"
    line = f"{name:<62} {value:>10.3f} {unit:<3} (target {sign} {target:g}{unit}) {verdict}"
    RESULTS.append(line)
    print(line, flush=True)


def best_of(fn: Callable[[], object], *, repeat: int = 7, number: int = 1) -> float:
    """The best time per call of ``fn`` over ``repeat`` rounds of ``number`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return min(times)


def median_of(fn: Callable[[], object], *, repeat: int = 31) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_validation(*, quick: bool) -> None:
    """Issue 2: full validation of a typical customer vs the raw library calls."""
    forms = [{**f, "categories": []} for f in make_forms(200, seed=1, with_vat=1.0)]
    ctx = FormContext()
    raw = [(f["email"], f["phone"], f["address"]["country"], f["tax_id"]) for f in forms]

    def libraries() -> None:
        for email, phone, country, tax_id in raw:
            email_validator.validate_email(email, check_deliverability=False)
            number = phonenumbers.parse(phone, country)
            phonenumbers.is_valid_number(number)
            phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            eu_vat.validate(tax_id)

    def ours() -> None:
        for form in forms:
            _, problems = parse_form(form, ctx)
            if problems:
                raise RuntimeError(problems)

    repeat = 5 if quick else 15
    base = best_of(libraries, repeat=repeat)
    mine = best_of(ours, repeat=repeat)
    each = 1e6 / len(forms)
    print(f"  per customer: libraries {base * each:.1f} us, ours {mine * each:.1f} us")
    report("validation: full customer / raw library calls", mine / base, 1.5)


def bench_locale(*, quick: bool) -> None:
    """Issue 17: validation with its problems said in Latvian vs said in English."""
    forms = []
    for n, form in enumerate(make_forms(200, seed=3, with_vat=1.0)):
        bad = {**form, "categories": []}
        bad["email"] = f"{form['email']}@" if n % 2 else form["email"]
        bad["address"] = {**form["address"], "postal_code": "1"}
        bad["tax_id"] = form["tax_id"][:-1] + ("0" if form["tax_id"][-1] != "0" else "1")
        if n % 3 == 0:
            bad["name"] = ""
        forms.append(bad)
    ctx = FormContext(required=RequiredFields.complete())

    def said_in(locale: str) -> Callable[[], None]:
        def run() -> None:
            for form in forms:
                _, problems = parse_form(form, ctx)
                for problem in problems:
                    problem.message_in(locale)

        return run

    english, latvian = said_in("en"), said_in("lv")
    latvian()  # the catalogs, Babel and CLDR data load once, as in a running app
    repeat = 11 if quick else 41
    en_times, lv_times, ratios = [], [], []
    for round_ in range(repeat):  # in pairs, the first of each pair taking turns, so
        first, second = (english, latvian) if round_ % 2 else (latvian, english)
        a, b = best_of(first, repeat=1), best_of(second, repeat=1)
        en, lv = (a, b) if round_ % 2 else (b, a)  # that both see the same load
        en_times.append(en)
        lv_times.append(lv)
        ratios.append(lv / en)
    base, mine = min(en_times), min(lv_times)
    count = sum(len(parse_form(f, ctx)[1]) for f in forms)
    each = 1e6 / len(forms)
    print(
        f"  per form ({count / len(forms):.1f} problems): "
        f"English {base * each:.1f} us, Latvian {mine * each:.1f} us"
    )
    print(f"  best of each: {mine / base:.3f}x; median of the {repeat} pairs below")
    report("locale: validation said in Latvian / in English", statistics.median(ratios), 1.05)


def _new_book(store: object = None) -> CustomerBook:
    """A book with the workload's categories (Food under Wholesalers)."""
    book = CustomerBook(store)  # type: ignore[arg-type]
    for name in ("Retailers", "Wholesalers", "Regular customers", "Food", "Export"):
        if not any(c.name == name for c in book.categories()):
            book.create_category(name)
    book.move_category("Food", "Wholesalers")
    return book


def _filled_book(size: int, seed: int) -> CustomerBook:
    forms = make_forms(size, seed=seed)
    book = _new_book()
    start = time.perf_counter()
    for offset in range(0, size, 5000):
        book.register_many(forms[offset : offset + 5000])
    print(f"  loaded {size:,} customers in {time.perf_counter() - start:.1f} s")
    return book


def _queries(book: CustomerBook, size: int) -> list[str]:
    """What a clerk types: part of a name, an email, the end of a phone number, a city."""
    rng = random.Random(3)
    queries = []
    for _ in range(60):
        customer = book.get_by_number(rng.randint(1, size))
        queries += [
            customer.name.split()[-1][:6],
            (customer.email or "sia").split("@")[0],
            str(customer.phone or "371")[-6:],
            customer.address.city or "riga",
        ]
    return queries


def bench_book(*, quick: bool) -> None:
    """Issue 3: a 100,000-customer in-memory book."""
    size = 20_000 if quick else 100_000
    book = _filled_book(size, seed=2)
    rng = random.Random(4)
    queries = _queries(book, size)
    position = iter(range(10**9))

    def free_text() -> None:
        q = queries[next(position) % len(queries)]
        result = book.search(q, limit=50)
        _ = list(result)

    report(
        f"search: free text, median over {len(queries)} queries (limit 50)",
        median_of(free_text, repeat=len(queries)) * 1e3,
        10,
        "ms",
    )

    def by_category() -> None:
        list(book.search(category="Wholesalers", limit=50))

    report(
        "search: category filter incl. sub-categories (first page of 50)",
        median_of(by_category) * 1e3,
        1,
        "ms",
    )

    numbers = [rng.randint(1, size) for _ in range(10_000)]

    def lookups() -> None:
        for n in numbers:
            book.get_by_number(n)

    report("lookup by number", best_of(lookups, repeat=5) / len(numbers) * 1e6, 10, "us")

    _register_against_validation(book, size)


def _register_against_validation(book: CustomerBook, size: int) -> None:
    """Time validating a batch of new forms, then registering them, five times over.

    Each side runs once per batch on forms it has not seen, interleaved, so neither is
    flattered by warm caches; the median of the five ratios is reported. The book
    indexes new customers for search and duplicate checks when it next needs those
    indexes; that deferred work is timed with the registrations it belongs to.
    """
    ratios = []
    for batch in range(5):
        forms = make_forms(1000, seed=40 + batch, start=size + 10 + batch * 1000)
        context = book._uow.definitions.context(book.required)  # what register reads with
        start = time.perf_counter()
        for form in forms:
            parse_form(form, context)
        validation = time.perf_counter() - start
        start = time.perf_counter()
        for form in forms:
            book.register(form)
        book.search(limit=0)  # indexes what the registrations queued
        ratios.append((time.perf_counter() - start) / validation)
    report(
        "register one by one / validation alone (median of 5 x 1,000)",
        statistics.median(ratios),
        1.3,
    )


def bench_memory(*, quick: bool) -> None:
    """Issue 3: memory per stored customer, indexes included (tracemalloc)."""
    size = 10_000 if quick else 50_000
    forms = make_forms(size, seed=5)
    book = _new_book()
    book.register({"name": "warm-up", "address": {"country": "LV"}})
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for offset in range(0, size, 5000):
        book.register_many(forms[offset : offset + 5000])
    book.search("warm")  # the search blob is built lazily
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    report(
        f"memory per stored customer ({size:,} customers, in-memory book)",
        (after - before) / size / 1024,
        2.5,
        "KB",
    )


def _against_tinydb(folder: Path, count: int) -> None:
    from tinydb import TinyDB  # noqa: PLC0415 - installed for the bench only

    book = _new_book(JsonFileStore(folder / "ours.json"))
    start = time.perf_counter()
    for form in make_forms(count, seed=6):
        book.register(form)
    ours = time.perf_counter() - start
    converter = make_converter()
    records = [converter.unstructure(c) for c in book.customers()]
    tiny = TinyDB(folder / "tiny.json")
    start = time.perf_counter()
    for record in records:
        tiny.insert(record)
    theirs = time.perf_counter() - start
    tiny.close()
    print(f"  {count:,} one by one: ours {ours:.2f} s (validation, fsync), TinyDB {theirs:.2f} s")
    name = f"JsonFileStore {count:,} durable registrations: TinyDB time / ours"
    report(name, theirs / ours, 50, "x", lower_is_better=False)


def _flatness(folder: Path, sizes: tuple[int, int]) -> Path:
    per_commit = {}
    for size in sizes:
        path = folder / f"flat-{size}.json"
        filler = _new_book(JsonFileStore(path))
        all_forms = make_forms(size + 300, seed=7)
        for offset in range(0, size, 5000):
            filler.register_many(all_forms[offset : min(offset + 5000, size)])
        filler.store.compact()
        book = CustomerBook(JsonFileStore(path))
        start = time.perf_counter()
        for form in all_forms[size:]:
            book.register(form)
        per_commit[size] = (time.perf_counter() - start) / 300
        each = per_commit[size] * 1e3
        print(f"  one registration into a {size:,}-customer book: {each:.3f} ms")
    small, big = per_commit.values()
    report("JsonFileStore per-commit cost: big book / 1,000-customer book", big / small, 2)
    return path


def _opening(path: Path, size: int) -> None:
    raw = path.read_bytes()
    loads = best_of(lambda: json.loads(raw), repeat=3)
    opening = best_of(lambda: JsonFileStore(path), repeat=3)
    print(f"  opening {size:,} customers: json.loads {loads:.2f} s, store {opening:.2f} s")
    report(f"JsonFileStore open ({size:,} customers) / json.loads", opening / loads, 2.5)
    start = time.perf_counter()
    len(CustomerBook(JsonFileStore(path)))  # len() has the book index every customer
    book_open = time.perf_counter() - start
    print(f"  (information) a CustomerBook on it, records built and indexed: {book_open:.2f} s")


def bench_json_store(*, quick: bool) -> None:
    """Issue 4: JsonFileStore against TinyDB, flatness, and opening a big book."""
    folder = Path(tempfile.mkdtemp(prefix="debitor-bench-", dir="."))
    try:
        _against_tinydb(folder, 1000 if quick else 5000)
        big = 20_000 if quick else 100_000
        path = _flatness(folder, (1000, big))
        _opening(path, big)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def bench_sqlite(*, quick: bool) -> None:
    """Issue 4: SqliteStore per commit against raw sqlite3 with the same durability."""
    folder = Path(tempfile.mkdtemp(prefix="debitor-bench-", dir="."))
    try:
        count = 500 if quick else 2000
        customers = _new_book().register_many(make_forms(count, seed=8))
        converter = make_converter()
        store = SqliteStore(folder / "ours.db")
        start = time.perf_counter()
        for customer in customers:
            with store.transaction() as tx:
                tx.add(customer)
        ours = time.perf_counter() - start
        store.close()

        db = sqlite3.connect(folder / "raw.db", isolation_level=None)
        db.execute("PRAGMA synchronous=FULL")
        db.execute(
            "CREATE TABLE customer (id TEXT PRIMARY KEY, number INTEGER NOT NULL UNIQUE, "
            "version INTEGER NOT NULL, email TEXT, tax_id TEXT, phone TEXT, data TEXT NOT NULL)"
        )
        for column in ("email", "tax_id", "phone"):
            db.execute(f"CREATE INDEX customer_{column} ON customer ({column})")
        start = time.perf_counter()
        for customer in customers:
            row = (
                str(customer.id),
                customer.number,
                customer.version,
                customer.email.casefold() if customer.email else None,
                customer.tax_id.value if customer.tax_id else None,
                customer.phone.number if customer.phone else None,
                json.dumps(
                    converter.unstructure(customer), ensure_ascii=False, separators=(",", ":")
                ),
            )
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO customer VALUES (?, ?, ?, ?, ?, ?, ?)", row)
            db.execute("COMMIT")
        raw = time.perf_counter() - start
        db.close()
        each, raw_each = ours / count * 1e3, raw / count * 1e3
        print(f"  {count:,} commits: SqliteStore {each:.3f} ms each, raw sqlite3 {raw_each:.3f} ms")
        report("SqliteStore per commit / raw sqlite3 (synchronous=FULL)", ours / raw, 1.5)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _postgres_server() -> object | None:
    """The server the tests use (tests/postgres_server.py), or None with a line saying why."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    try:
        import postgres_server  # noqa: PLC0415 - the tests' server finder, only when benched
    except ImportError as exc:
        print(f"  skipped: PostgreSQL benchmarks need psycopg and pytest ({exc})")
        return None
    try:
        return postgres_server.find_server()
    except postgres_server.Unavailable as exc:
        print(f"  skipped: no PostgreSQL server ({exc})")
        return None


def _register_into_postgres(
    factory: Callable[[], PostgresStore],
    forms: list[dict[str, object]],
    barrier: object,
    results: object,
) -> None:
    """In a child process: validate each form and register it in its own commit."""
    import attrs  # noqa: PLC0415 - in the child

    store = factory()
    validator = _new_book()  # validates and builds; the PostgreSQL book numbers
    numbers: list[int] = []
    barrier.wait()  # type: ignore[attr-defined]
    start = time.perf_counter()
    try:
        for form in forms:
            customer = validator.register(form)
            with store.transaction() as tx:
                numbered = attrs.evolve(customer, number=tx.last_number + 1)
                tx.add(numbered)
            numbers.append(numbered.number)
    finally:
        results.put((time.perf_counter() - start, numbers))  # type: ignore[attr-defined]
        store.close()


def _postgres_processes(conninfo: str, schema: str, *, quick: bool) -> None:
    import multiprocessing  # noqa: PLC0415
    from functools import partial  # noqa: PLC0415

    per_process = 500 if quick else 2500
    factory = partial(PostgresStore.connect, conninfo, book_id="bench-4p", schema=schema)
    factory().close()
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(4), context.Queue()
    children = [
        context.Process(
            target=_register_into_postgres,
            args=(
                factory,
                make_forms(per_process, seed=60 + i, start=i * per_process),
                barrier,
                results,
            ),
        )
        for i in range(4)
    ]
    for child in children:
        child.start()
    outcomes = [results.get(timeout=1800) for _ in children]
    for child in children:
        child.join()
    elapsed = max(seconds for seconds, _ in outcomes)
    numbers = [n for _, part in outcomes for n in part]
    store = factory()
    total = 4 * per_process
    lost = total - store.count()
    duplicates = len(numbers) - len(set(numbers))
    gaps = store.last_number() - total
    store.close()
    print(
        f"  4 processes x {per_process:,} registrations into one book: {elapsed:.1f} s, "
        f"{total / elapsed:,.0f} registrations a second (one commit each); "
        f"{lost} lost, {duplicates} duplicate numbers, {gaps} gaps"
    )
    report(
        "PostgresStore 4 processes: customers lost + duplicate numbers",
        lost + duplicates + gaps,
        0,
        "",
    )


def _postgres_commit(conninfo: str, schema: str, *, quick: bool) -> None:
    import psycopg  # noqa: PLC0415

    count = 200 if quick else 500
    customers = _new_book().register_many(make_forms(count * 5, seed=61))
    store = PostgresStore.connect(conninfo, book_id="bench-commit", schema=schema, max_size=1)
    converter = make_converter()
    raw = psycopg.connect(conninfo, autocommit=True)
    with raw.transaction():
        raw.execute("SET LOCAL debitor.writer = '4'")  # the guard of schema 4, as the store
        raw.execute(
            f'INSERT INTO "{schema}".debitor_book (book_id, store_id, checksum) '
            "VALUES (%s, gen_random_uuid(), 0)",
            ("bench-raw",),
        )
    # The store says debitor.writer in each write transaction (the guard of schema 4):
    # here with the lock, in the same round trip.
    lock = (
        "SELECT revision, last_number, set_config('debitor.writer', '4', true) "
        f'FROM "{schema}".debitor_book WHERE book_id = %s FOR UPDATE'
    )
    insert = (
        f'INSERT INTO "{schema}".debitor_customer '
        "(book_id, id, number, version, changed_revision, changed_checksum, data, checksum, "
        "search_text, private_text, folded_name, created, match_keys, tags) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    )
    bump = (
        f'UPDATE "{schema}".debitor_book SET revision = %s, last_number = %s, checksum = %s '
        "WHERE book_id = %s"
    )

    def ours(batch: list[Customer]) -> float:
        start = time.perf_counter()
        for customer in batch:
            with store.transaction() as tx:
                tx.add(customer)
        return time.perf_counter() - start

    # The same row as ours, its search columns computed beforehand: the database's work.
    computed = {c.id: customer_columns(c, FieldKeys()) for c in customers}

    def theirs(batch: list[Customer]) -> float:
        start = time.perf_counter()
        for customer in batch:
            data = json.dumps(
                converter.unstructure(customer), ensure_ascii=False, separators=(",", ":")
            )
            with raw.transaction():
                revision, _, _ = raw.execute(lock, ("bench-raw",)).fetchone()  # type: ignore[misc]
                # The changed revision's checksum too, as the store writes one.
                changed = zlib.crc32(
                    f"changed\x1fbench-raw\x1fcustomer\x1f{customer.id}\x1f{revision + 1}".encode()
                )
                raw.execute(
                    insert,
                    (
                        *("bench-raw", customer.id, customer.number, 1, revision + 1, changed),
                        *(data, 0),
                        *computed[customer.id],
                    ),
                )
                # The book row's checksum, as the store writes one (a CRC-32 of its columns).
                sealed = zlib.crc32(f"bench-raw\x1f{revision + 1}\x1f{customer.number}".encode())
                raw.execute(bump, (revision + 1, customer.number, sealed, "bench-raw"))
        return time.perf_counter() - start

    ratios, mine, base = [], 0.0, 0.0
    for round_ in range(5):
        batch = customers[round_ * count : (round_ + 1) * count]
        a, b = ours(batch), theirs(batch)
        mine, base = mine + a, base + b
        ratios.append(a / b)
    each, raw_each = mine / (5 * count) * 1e3, base / (5 * count) * 1e3
    print(
        f"  {5 * count:,} commits: PostgresStore {each:.3f} ms each "
        f"({1e3 / each:,.0f} a second), raw psycopg {raw_each:.3f} ms"
    )
    report(
        "PostgresStore per commit / raw psycopg (median of 5 rounds)",
        statistics.median(ratios),
        1.5,
    )
    raw.close()
    store.close()


def _validated(forms: list[dict[str, object]]) -> Iterator[Customer]:
    """Validate each form and build its customer, as the next one is asked for."""
    builder = _new_book()
    context = builder._uow.definitions.context(builder.required)
    for number, form in enumerate(forms, 1):
        draft, _ = parse_form(form, context)
        yield build(draft, number, now=utc_now(), author=None)


def _postgres_import(conninfo: str, schema: str, *, quick: bool) -> None:
    """Validation alone against validation feeding one COPY, in turns, each in a new book.

    ``add_many`` takes the generator that validates: Python validates and encodes the
    next rows while the server stores and indexes the last ones on the other core. The
    ratio is the median of the rounds' (import / validation alone); one more import
    that validates everything first, then copies, is printed for comparison.
    """
    size, rounds = (20_000, 3) if quick else (100_000, 3)
    forms = make_forms(size, seed=62)

    def validation() -> float:
        start = time.perf_counter()
        for _ in _validated(forms):
            pass
        return time.perf_counter() - start

    def imported(book_id: str, *, first: bool) -> tuple[float, float]:
        """Time one import into a new book: its seconds, and this process's CPU seconds.

        With ``first`` every form is validated before the ``COPY``, and the second figure
        is the seconds of the ``COPY`` and commit alone.
        """
        store = PostgresStore.connect(conninfo, book_id=book_id, schema=schema)
        start, cpu = time.perf_counter(), time.process_time()
        customers = list(_validated(forms)) if first else _validated(forms)
        copied = time.perf_counter()
        with store.transaction() as tx:
            tx.add_many(customers)
        end = time.perf_counter()
        seconds, cpu = end - start, time.process_time() - cpu
        if store.count() != size:
            raise RuntimeError(store.count())
        store.close()
        return seconds, end - copied if first else cpu

    ratios, alone, streamed, cpus = [], [], [], []
    for round_ in range(rounds):
        if round_ % 2:
            (seconds, cpu), base = imported(f"bench-import-{round_}", first=False), validation()
        else:
            base, (seconds, cpu) = validation(), imported(f"bench-import-{round_}", first=False)
        ratios.append(seconds / base)
        alone.append(base)
        streamed.append(seconds)
        cpus.append(cpu)
    serial_base, (serial, copy_alone) = validation(), imported("bench-import-serial", first=True)
    book_base = validation()
    book = _new_book(PostgresStore.connect(conninfo, book_id="bench-import-book", schema=schema))
    start = time.perf_counter()
    for at in range(0, size, 2_000):  # as import_csv does, a commit per 2,000
        book.register_many(forms[at : at + 2_000])
    registered = time.perf_counter() - start
    book.close()
    print(
        f"  {size:,} customers, {rounds} rounds in turns: validation alone "
        f"{statistics.median(alone):.2f} s, validation feeding COPY and commit "
        f"{statistics.median(streamed):.2f} s ({size / statistics.median(streamed):,.0f} "
        f"customers a second, this process's CPU {statistics.median(cpus):.2f} s); all "
        f"validated first, then COPY: {serial / serial_base:.3f}x of validation (the COPY "
        f"and commit of the validated customers alone {copy_alone / serial_base:.3f}x); a book's "
        f"register_many in commits of 2,000 (history entries too): "
        f"{registered / book_base:.3f}x of validation"
    )
    report(
        f"PostgresStore COPY import of {size:,} validated / validation alone",
        statistics.median(ratios),
        1.3,
    )


def _postgres_search(conninfo: str, *, quick: bool) -> None:
    """Free text on the big book: first page and total, the 240-query mix."""
    size = 100_000 if quick else 1_000_000
    store = postgres_queries.big_book(conninfo, size)
    try:
        queries = postgres_queries.query_mix(store, size)
        median, p90, times = postgres_queries.search_mix(store, queries)
    finally:
        store.close()
    kinds = ("a name's end", "an email", "a phone's end", "a city")
    print(
        f"  {len(queries)} queries on {size:,} customers (first page of 50 and the total): "
        f"median {median:.1f} ms, p90 {p90:.1f} ms, slowest {max(times):.0f} ms; medians: "
        + ", ".join(
            f"{kind} {statistics.median(times[i::4]):.1f} ms" for i, kind in enumerate(kinds)
        )
    )
    report(f"PostgresStore free-text search, {size:,} customers: median", median, 50, "ms")
    print(f"  (information) p90 {p90:.1f} ms")


def _postgres_follow(conninfo: str, schema: str, *, quick: bool) -> None:
    """Another process's commit, then a search: the book asks the store, nothing to catch up."""
    size = 20_000 if quick else 100_000
    ratio = follow_commits(
        "PostgresStore",
        lambda: PostgresStore.connect(conninfo, book_id="bench-follow", schema=schema),
        size,
        rounds=40 if quick else 100,
        new_book=_new_book,
        queries=_queries,
    )
    report(f"PostgresStore {size:,}: another book's commit + search / search alone", ratio, 2)


def _in_postgres_schema(work: Callable[[str, str], None]) -> None:
    """Run ``work(conninfo, schema)`` on the tests' server in a new schema, then drop it."""
    import psycopg  # noqa: PLC0415

    server = _postgres_server()
    if server is None:
        return
    conninfo = server.conninfo  # type: ignore[attr-defined]
    schema = f"debitor_bench_{random.randrange(16**8):08x}"
    try:
        work(conninfo, schema)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        if server.cluster is not None:  # type: ignore[attr-defined]
            server.cluster.remove()  # type: ignore[attr-defined]


def bench_postgres(*, quick: bool) -> None:
    """Issue 12: PostgresStore: 4 writers, one commit, COPY import, search, a foreign commit."""

    def work(conninfo: str, schema: str) -> None:
        _postgres_processes(conninfo, schema, quick=quick)
        _postgres_commit(conninfo, schema, quick=quick)
        _postgres_import(conninfo, schema, quick=quick)
        _postgres_follow(conninfo, schema, quick=quick)
        _postgres_search(conninfo, quick=quick)

    _in_postgres_schema(work)


def bench_erase(*, quick: bool) -> None:
    """Issue 15: erasure on PostgreSQL, rewriting the tables against only vacuuming them."""
    _in_postgres_schema(
        lambda conninfo, schema: postgres_erase.bench_erase(conninfo, schema, report, quick=quick)
    )


def bench_feed(*, quick: bool) -> None:
    """Issue 11: another book's commit, then a search, against the search alone."""
    size = 20_000 if quick else 100_000
    rounds = 40 if quick else 100
    folder = Path(tempfile.mkdtemp(prefix="debitor-bench-", dir="."))
    stores = {
        "SqliteStore": lambda: SqliteStore(folder / "book.db"),
        "JsonFileStore": lambda: JsonFileStore(folder / "book.json"),
    }
    try:
        for label, open_store in stores.items():
            ratio = follow_commits(
                label,
                open_store,
                size,
                rounds=rounds,
                new_book=_new_book,
                queries=_queries,
            )
            report(f"{label} {size:,}: another book's commit + search / search alone", ratio, 2)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def bench_cli(*, quick: bool) -> None:
    """Issue 14: CSV import against validation alone, the command's cold start, find."""
    _bench_cli(quick=quick, report=report)


def bench_storage_baseline(*, quick: bool) -> None:
    """Issue 10: opening a big JSON book and one commit, this tree / a baseline checkout."""
    baseline = os.environ.get("DEBITOR_BASELINE")
    if not baseline:
        print(
            "  skipped: set DEBITOR_BASELINE to the folder of a checkout to compare with "
            "(git worktree add /tmp/baseline <commit>)"
        )
        return
    size = 20_000 if quick else 100_000
    folder = Path(tempfile.mkdtemp(prefix="debitor-bench-", dir="."))
    try:
        best = storage_compare.compare(Path(baseline), folder, count=size)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    ours, theirs = best["this tree"], best["baseline"]
    labels = (
        ("open", "open"),
        ("commit", "one durable commit"),
        ("commit_cpu", "one commit without fsync"),
        ("book_open", "book open"),
    )
    for key, label in labels:
        print(f"  {label}: this tree {ours[key] * 1e3:.2f} ms, baseline {theirs[key] * 1e3:.2f} ms")
    report(
        f"JsonFileStore open ({size:,} customers): this tree / baseline",
        ours["open"] / theirs["open"],
        1.1,
    )
    report(
        f"JsonFileStore one commit ({size:,}-customer book): this tree / baseline",
        ours["commit"] / theirs["commit"],
        1.1,
    )
    print(
        "  (information) one commit without fsync, the store's own work: "
        f"{ours['commit_cpu'] / theirs['commit_cpu']:.2f}x the baseline; a CustomerBook "
        "on the book, records built, checked and indexed: "
        f"{ours['book_open'] / theirs['book_open']:.2f}x the baseline"
    )


def bench_queries(*, quick: bool) -> None:
    """Issue 11 §2: a 1,000,000-customer SqliteStore book through the store's own queries."""
    _bench_queries(report, quick=quick)


def bench_history(*, quick: bool) -> None:
    """Issue 15: a customer's history and a merged-away number, a big book / a 1,000 one."""
    server = _postgres_server()
    conninfo = None if server is None else server.conninfo  # type: ignore[attr-defined]
    try:
        _bench_history(report, quick=quick, conninfo=conninfo)
    finally:
        if server is not None and server.cluster is not None:  # type: ignore[attr-defined]
            server.cluster.remove()  # type: ignore[attr-defined]


SECTIONS = {
    "validation": bench_validation,
    "locale": bench_locale,
    "book": bench_book,
    "memory": bench_memory,
    "json": bench_json_store,
    "sqlite": bench_sqlite,
    "postgres": bench_postgres,
    "erase": bench_erase,
    "feed": bench_feed,
    "queries": bench_queries,
    "history": bench_history,
    "cli": bench_cli,
    "storage": bench_storage_baseline,
}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller books, fewer rounds")
    parser.add_argument("--only", nargs="*", choices=sorted(SECTIONS), default=None)
    args = parser.parse_args()
    for name, section in SECTIONS.items():
        if args.only and name not in args.only:
            continue
        print(f"== {name}: {section.__doc__}", flush=True)
        section(quick=args.quick)
    print("\nSummary")
    print("\n".join(RESULTS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
