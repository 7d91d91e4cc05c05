"""This tree's JsonFileStore against another checkout's, measured in the same run.

``python benchmarks/storage_compare.py measure --src SRC --customers FILE --book PATH``
runs in a child process whose ``debitor_core`` comes from ``SRC``: it writes the book at
``PATH`` with that version's own store (once), then times opening a copy of it and
committing one customer at a time to that copy, and prints the figures as JSON.
`compare` (called by ``benchmarks/run.py``) makes the customers once and runs the child
for both checkouts in turn, several rounds, so that both see the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _measure(customers_file: Path, book: Path, commits: int) -> dict[str, Any]:
    """In the child: build the book with this version (once), then time it."""
    import debitor_core  # noqa: PLC0415 - imported from the source tree the parent chose
    from debitor_core import Customer, CustomerBook, make_converter  # noqa: PLC0415
    from debitor_core.storage import JsonFileStore  # noqa: PLC0415

    converter = make_converter()
    records = [json.loads(line) for line in customers_file.read_text(encoding="utf-8").splitlines()]
    customers = [converter.structure(record, Customer) for record in records]
    extra = customers[-commits:]
    if not book.exists():
        store = JsonFileStore(book, fsync=False)
        for offset in range(0, len(customers) - commits, 5000):
            with store.transaction() as tx:
                for customer in customers[offset : min(offset + 5000, len(customers) - commits)]:
                    tx.add(customer)
        store.compact()
        store.close()
    work = book.with_name(book.name + ".work.json")
    for suffix in ("", ".journal"):
        Path(str(work) + suffix).unlink(missing_ok=True)
    shutil.copy(book, work)

    opening = []
    for _ in range(5):
        start = time.perf_counter()
        JsonFileStore(work)
        opening.append(time.perf_counter() - start)
    store = JsonFileStore(work)
    per_commit = []
    for customer in extra:
        start = time.perf_counter()
        with store.transaction() as tx:
            tx.add(customer)
        per_commit.append(time.perf_counter() - start)
    start = time.perf_counter()
    size = len(CustomerBook(JsonFileStore(work)))
    book_open = time.perf_counter() - start
    return {
        "module": debitor_core.__file__,
        "open": min(opening),
        "commit": statistics.median(per_commit),
        "book_open": book_open,
        "customers": size,
    }


def make_customers(path: Path, count: int) -> None:
    """Write ``count`` registered customers (as JSON lines) for both versions to load."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from workload import make_forms  # noqa: PLC0415

    from debitor_core import CustomerBook, make_converter  # noqa: PLC0415

    book = CustomerBook()
    forms = [{**form, "categories": []} for form in make_forms(count, seed=21)]
    customers = []
    for offset in range(0, count, 5000):
        customers += book.register_many(forms[offset : offset + 5000])
    converter = make_converter()
    lines = (json.dumps(converter.unstructure(c), ensure_ascii=False) for c in customers)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_child(src: Path, customers: Path, book: Path, commits: int) -> dict[str, Any]:
    """Measure the checkout whose source folder is ``src``, in a fresh interpreter."""
    environment = {**os.environ, "PYTHONPATH": str(src)}
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "measure",
        "--customers",
        str(customers),
        "--book",
        str(book),
        "--commits",
        str(commits),
    ]
    result = subprocess.run(  # noqa: S603 - our own script
        command, env=environment, capture_output=True, text=True, check=True
    )
    figures: dict[str, Any] = json.loads(result.stdout)
    if not figures["module"].startswith(str(src)):
        msg = f"the child imported {figures['module']}, not the checkout in {src}"
        raise RuntimeError(msg)
    return figures


def compare(
    baseline: Path, folder: Path, *, count: int, commits: int = 300, rounds: int = 4
) -> dict[str, dict[str, float]]:
    """Best figures of this tree and of ``baseline`` (a checkout's root), alternating."""
    customers = folder / "customers.jsonl"
    make_customers(customers, count + commits)
    best: dict[str, dict[str, float]] = {}
    checkouts = [("this tree", ROOT / "src"), ("baseline", baseline / "src")]
    for round_ in range(rounds):
        for name, src in checkouts[:: 1 if round_ % 2 else -1]:  # each goes first in turn
            figures = run_child(src, customers, folder / f"{name.replace(' ', '-')}.json", commits)
            kept = best.setdefault(name, {})
            for key in ("open", "commit", "book_open"):
                kept[key] = min(kept.get(key, float("inf")), figures[key])
    return best


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=["measure"])
    parser.add_argument("--customers", type=Path, required=True)
    parser.add_argument("--book", type=Path, required=True)
    parser.add_argument("--commits", type=int, default=300)
    args = parser.parse_args()
    print(json.dumps(_measure(args.customers, args.book, args.commits)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
