"""This tree's JsonFileStore against another checkout's, measured side by side.

One child process per checkout (its ``debitor_core`` from that checkout's ``src``) writes
its own copy of the same customers as a book, with its own store, and then waits for
commands on stdin: time opening the book, time a few durable commits, time a few
commits without fsync (the store's own work), time a `CustomerBook` opening it. The
parent alternates the two children command by command, so that both see the same
machine, the same disk and the same neighbours at the same moments, and compares what
each measured.

``python benchmarks/storage_compare.py serve --customers FILE --book PATH`` is the
child; `compare` (called by ``benchmarks/run.py``) is the parent.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLOCK = 10
"""Commits per command: small, so that the two children alternate often."""


def serve(customers_file: Path, book: Path, reserve: int) -> None:
    """In the child: write the book with this version, then answer timing commands."""
    import debitor_core  # noqa: PLC0415 - imported from the source tree the parent chose
    from debitor_core import Customer, CustomerBook, make_converter  # noqa: PLC0415
    from debitor_core.storage import JsonFileStore  # noqa: PLC0415

    converter = make_converter()
    lines = customers_file.read_text(encoding="utf-8").splitlines()
    customers = [converter.structure(json.loads(line), Customer) for line in lines]
    stored, extra = customers[:-reserve], iter(customers[-reserve:])
    store = JsonFileStore(book, fsync=False)
    for offset in range(0, len(stored), 5000):
        with store.transaction() as tx:
            for customer in stored[offset : offset + 5000]:
                tx.add(customer)
    store.compact()
    store.close()
    os.sync()  # nothing this child wrote is still on its way to the disk
    # Commits without fsync go to a book of their own: what they cost does not depend on
    # the book's size, and the durable store then never catches up with them.
    small = book.with_name(book.stem + "-small.json")
    durable, quick = JsonFileStore(book), JsonFileStore(small, fsync=False)
    print(json.dumps({"module": debitor_core.__file__}), flush=True)
    for command in sys.stdin:
        action = command.strip()
        times = []
        if action == "open":
            start = time.perf_counter()
            JsonFileStore(book)
            times.append(time.perf_counter() - start)
        elif action in ("commit", "nosync"):
            target = durable if action == "commit" else quick
            for _ in range(BLOCK):
                customer = next(extra)
                start = time.perf_counter()
                with target.transaction() as tx:
                    tx.add(customer)
                times.append(time.perf_counter() - start)
            os.sync()  # leave nothing dirty for the next durable commit to pay for
        elif action == "book":
            start = time.perf_counter()
            len(CustomerBook(JsonFileStore(book)))
            times.append(time.perf_counter() - start)
        else:
            break
        print(json.dumps(times), flush=True)


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


class _Child:
    """A serving child for one checkout."""

    def __init__(self, src: Path, customers: Path, book: Path, reserve: int) -> None:
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "serve",
            "--customers",
            str(customers),
            "--book",
            str(book),
            "--reserve",
            str(reserve),
        ]
        self.process = subprocess.Popen(  # noqa: S603 - our own script
            command,
            env={**os.environ, "PYTHONPATH": str(src)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        hello = json.loads(self._line())
        if not hello["module"].startswith(str(src)):
            msg = f"the child imported {hello['module']}, not the checkout in {src}"
            raise RuntimeError(msg)

    def _line(self) -> str:
        assert self.process.stdout is not None  # noqa: S101 - created with a pipe
        line = self.process.stdout.readline()
        if not line:
            msg = f"the measuring child ended early (exit code {self.process.wait()})"
            raise RuntimeError(msg)
        return line

    def ask(self, action: str) -> list[float]:
        assert self.process.stdin is not None  # noqa: S101 - created with a pipe
        self.process.stdin.write(action + "\n")
        self.process.stdin.flush()
        times: list[float] = json.loads(self._line())
        return times

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait()


def compare(
    baseline: Path, folder: Path, *, count: int, commits: int = 400, opens: int = 6
) -> dict[str, dict[str, float]]:
    """Figures of this tree and of ``baseline`` (a checkout's root), measured alternately.

    Returns:
        For each (``"this tree"``, ``"baseline"``): the fastest open, the median durable
        commit, the median commit without fsync, and the fastest book open, in seconds.
    """
    customers = folder / "customers.jsonl"
    blocks = commits // BLOCK
    make_customers(customers, count + 2 * blocks * BLOCK)
    children = {
        name: _Child(src, customers, folder / f"{name.replace(' ', '-')}.json", 2 * blocks * BLOCK)
        for name, src in (("this tree", ROOT / "src"), ("baseline", baseline / "src"))
    }
    times: dict[str, dict[str, list[float]]] = {name: {} for name in children}
    plan = ["open"] * opens + ["commit", "nosync"] * blocks + ["book"] * 2
    seen: dict[str, int] = {}
    try:
        for action in plan:
            seen[action] = seen.get(action, 0) + 1
            order = list(children.items())[:: 1 if seen[action] % 2 else -1]  # first in turn
            for name, child in order:
                times[name].setdefault(action, []).extend(child.ask(action))
    finally:
        for child in children.values():
            child.close()
    return {
        name: {
            "open": min(measured["open"]),
            "commit": statistics.median(measured["commit"]),
            "commit_cpu": statistics.median(measured["nosync"]),
            "book_open": min(measured["book"]),
        }
        for name, measured in times.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=["serve"])
    parser.add_argument("--customers", type=Path, required=True)
    parser.add_argument("--book", type=Path, required=True)
    parser.add_argument("--reserve", type=int, required=True)
    args = parser.parse_args()
    serve(args.customers, args.book, args.reserve)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
