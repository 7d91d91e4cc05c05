"""Benchmarks of issue 14: CSV import against validation alone, and the command's start-up.

Run by ``benchmarks/run.py`` as the ``cli`` section (``make bench``), or alone:
``python benchmarks/cli_bench.py [--quick]``.
"""

from __future__ import annotations

import csv
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workload import make_forms

from debitor_core import CustomerBook
from debitor_core._form import parse_form
from debitor_core.exchange import CsvTable, import_csv, plan_columns
from debitor_core.exchange._forms import RowReader
from debitor_core.storage import JsonFileStore

Report = Callable[..., None]
CATEGORIES = ("Retailers", "Wholesalers", "Regular customers", "Food", "Export")
HEADER = ("Name", "Email", "Phone", "VAT number", "Street", "Postal code", "City", "Country",
          "Categories")  # fmt: skip


def _write_csv(path: Path, count: int, *, start: int = 0) -> None:
    """Write ``count`` valid, unique customers as a semicolon-separated file."""
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(HEADER)
        for form in make_forms(count, seed=14 + start, start=start):
            address = form["address"]
            writer.writerow(
                [form["name"], form["email"], form["phone"], form.get("tax_id", ""),
                 address["street"], address["postal_code"], address["city"], address["country"],
                 "; ".join(form["categories"])]
            )  # fmt: skip


def _book(path: Path | None) -> CustomerBook:
    book = CustomerBook(JsonFileStore(path) if path is not None else None)
    for name in CATEGORIES:
        book.create_category(name)
    return book


def _validation_alone(path: Path, book: CustomerBook) -> tuple[float, float]:
    """Wall and CPU seconds to read every row's form through the rules, storing nothing."""
    table = CsvTable(path)
    plan = plan_columns(table.header, book.fields())
    reader = RowReader(plan, {}, (c.name.casefold() for c in book.categories()))
    forms = [reader.read(cells).form for _, cells in table.rows()]
    context = book._uow.definitions.context(book.required)
    start, cpu = time.perf_counter(), time.process_time()
    for form in forms:
        _, problems = parse_form(form, context)
        if any(p.is_error for p in problems):
            raise RuntimeError(problems)
    return time.perf_counter() - start, time.process_time() - cpu


def _import_against_validation(folder: Path, count: int, report: Report) -> Path:
    """Import ``count`` rows into a new book, right after validating the same rows alone.

    Three rounds, each side adjacent to the other so that both run under the same load
    on this shared machine; the median of the three ratios is reported, for a JSON book
    (the command's default) and, for information, an in-memory one. CPU time is shown
    too: on a busy machine it is the steadier measure of the work done.
    """
    path = folder / "customers.csv"
    _write_csv(path, count)
    megabytes = path.stat().st_size / 1e6
    results = []
    book_path = folder / "book-0.json"
    for kind in ("JSON", "in-memory"):
        walls, cpus, validations, imports = [], [], [], []
        for round_ in range(3):
            target = folder / f"book-{round_}.json" if kind == "JSON" else None
            book = _book(target)
            validation, validation_cpu = _validation_alone(path, book)
            start, cpu = time.perf_counter(), time.process_time()
            result = import_csv(book, path)
            took, took_cpu = time.perf_counter() - start, time.process_time() - cpu
            book.store.close()
            if result.created != count:
                raise RuntimeError(result.summary())
            walls.append(took / validation)
            cpus.append(took_cpu / validation_cpu)
            validations.append(validation)
            imports.append(took)
        results.append(
            (
                kind,
                statistics.median(walls),
                statistics.median(cpus),
                min(validations),
                min(imports),
            )
        )
    print(f"  {count:,} rows ({megabytes:.1f} MB) into a new book, three rounds:")
    for kind, wall, cpu, validation, imported in results:
        print(
            f"    {kind} book: import {imported:.1f} s ({imported / count * 1e6:.0f} us/row), "
            f"validation alone {validation:.1f} s ({validation / count * 1e6:.0f} us/row); "
            f"median ratio {wall:.2f} (CPU time {cpu:.2f})"
        )
    (_, json_ratio, _, _, _), (_, memory_ratio, memory_cpu, _, _) = results
    report(f"CSV import of {count:,} rows into a JSON book / validation alone", json_ratio, 1.5)
    print(
        f"  (information) into an in-memory book: {memory_ratio:.2f}x validation "
        f"({memory_cpu:.2f}x in CPU time)"
    )
    return book_path


def _median_run(argv: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)  # noqa: S603 - our own command
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _cold_start(report: Report, repeat: int) -> None:
    script = Path(sys.executable).parent / "debitor"
    if not script.exists():
        print("  (the debitor script is not installed; run pip install -e .)")
        return
    bare = _median_run([sys.executable, "-c", "pass"], repeat)
    package = _median_run([sys.executable, "-c", "import debitor_core"], repeat)
    help_ = _median_run([str(script), "--help"], repeat)
    print(
        f"  medians of {repeat} fresh processes: python itself {bare * 1e3:.0f} ms, "
        f"'import debitor_core' {package * 1e3:.0f} ms, 'debitor --help' {help_ * 1e3:.0f} ms"
    )
    print(
        f"  (of 'debitor --help', {max(0.0, help_ - package) * 1e3:.0f} ms is the command "
        "itself; the rest is importing the package)"
    )
    report("debitor --help cold start (median)", help_ * 1e3, 300, "ms")


def _find(book: Path, count: int, repeat: int) -> None:
    script = Path(sys.executable).parent / "debitor"
    if not script.exists():
        return
    argv = [str(script), "--book", str(book), "find", "customer4242@example"]
    took = _median_run(argv, repeat)
    print(f"  (information) 'debitor find' on a {count:,}-customer JSON book: {took:.2f} s "
          f"(median of {repeat}: opening the book, indexing it, searching)")  # fmt: skip


def bench_cli(*, quick: bool, report: Report) -> None:
    """Issue 14: CSV import against validation alone, the command's cold start, find."""
    folder = Path(tempfile.mkdtemp(prefix="debitor-bench-", dir="."))
    try:
        count = 20_000 if quick else 100_000
        book = _import_against_validation(folder, count, report)
        _cold_start(report, 5 if quick else 11)
        _find(book, count, 3)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":

    def _print(name: str, value: float, target: float, unit: str = "x") -> None:
        verdict = "ok" if value <= target else "MISSED"
        print(f"{name:<62} {value:>10.3f} {unit:<3} (target <= {target:g}{unit}) {verdict}")

    bench_cli(quick="--quick" in sys.argv, report=_print)
