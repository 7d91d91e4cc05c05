"""What `StoreContract`'s checks run in threads and in other processes, and how they report."""

from __future__ import annotations

import collections
import multiprocessing
import queue
import threading
import uuid
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, NamedTuple

import attrs

from debitor_core._errors import AlreadyExists, ConcurrencyConflict
from debitor_core._model import (
    Note,
)
from debitor_core.storage._protocol import Store
from debitor_core.testing._samples import (
    _MOMENT,
    sample_customer,
)


class _Report(NamedTuple):
    """What one committing child did, sent back to the parent."""

    process: int
    added: list[tuple[int, str]]
    notes: list[str]
    violations: list[str]
    error: str | None


def _losses(
    reports: list[_Report], shared_id: uuid.UUID, before: int, views: dict[str, Store]
) -> list[str]:
    """Every acknowledged commit the stores do not show, and every count that is off."""
    added = {(number, uuid.UUID(hex=id_hex)) for r in reports for number, id_hex in r.added}
    notes = {text for r in reports for text in r.notes}
    numbers = collections.Counter(number for r in reports for number, _ in r.added)
    found = []
    twice = sorted(number for number, count in numbers.items() if count > 1)
    if twice:
        found.append(f"customer numbers acknowledged to more than one process: {twice}")
    commits = sum(len(r.added) + len(r.notes) for r in reports)
    for name, view in views.items():
        try:
            found += _missing(view, name, added, notes, shared_id)
            revision, last_number = view.revision(), view.last_number()
        except Exception as exc:  # noqa: BLE001 - a store that cannot be read back is a finding
            found.append(f"reading the store back ({name}) failed: {type(exc).__name__}: {exc}")
            continue
        if revision != before + commits:
            found.append(
                f"the revision is {revision} ({name}), not {before + commits}: it does not "
                "count every commit"
            )
        if numbers and last_number != max(numbers):
            found.append(f"the last number is {last_number} ({name}), not {max(numbers)}")
    return found


def _missing(
    view: Store,
    name: str,
    added: set[tuple[int, uuid.UUID]],
    notes: set[str],
    shared_id: uuid.UUID,
) -> list[str]:
    """The acknowledged customers and notes that ``view`` does not show."""
    found = []
    lost = sorted(number for number, _ in added - {(c.number, c.id) for c in view.customers()})
    if lost:
        found.append(f"{len(lost)} acknowledged customers are missing ({name}): {lost[:10]}")
    kept = {note.text for note in view.get(shared_id).notes}
    if notes - kept:
        found.append(f"{len(notes - kept)} acknowledged notes are missing ({name})")
    return found


def _context() -> Any:  # noqa: ANN401 - a fork or spawn context, whichever the system has
    """Fork where the system has it (fast, nothing to import again); spawn elsewhere."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _collect(results: multiprocessing.queues.Queue[_Report], children: list[Any]) -> list[_Report]:
    """Every child's report; a child that died without one is reported as failed."""
    reports: list[_Report] = []
    while len(reports) < len(children):
        try:
            reports.append(results.get(timeout=1))
        except queue.Empty:
            if all(not child.is_alive() for child in children) and results.empty():
                codes = [child.exitcode for child in children]
                died = _Report(-1, [], [], [], f"died without a report (exit codes {codes})")
                reports += [died] * (len(children) - len(reports))
    for child in children:
        child.join()
    return reports


def _receive(connection: Connection, child: Any) -> Any:  # noqa: ANN401 - a message
    """The child's next message; its failure is raised here."""
    while not connection.poll(1):
        if not child.is_alive():
            msg = f"the child process ended without answering (exit code {child.exitcode})"
            raise AssertionError(msg)
    message = connection.recv()
    if message[0] == "error":
        msg = f"the child process failed: {message[1]}"
        raise AssertionError(msg)
    return message


def _acknowledgement(connection: Connection, child: Any) -> int:  # noqa: ANN401
    """The number of the next commit the child acknowledged."""
    while not connection.poll(1):
        if not child.is_alive():
            msg = f"the committing child died before acknowledging (exit code {child.exitcode})"
            raise AssertionError(msg)
    return int(connection.recv_bytes())


def _commit_concurrently(  # pragma: no cover - runs in a child process
    *,
    opener: Callable[[], Store],
    index: int,
    commits: int,
    shared_id: uuid.UUID,
    start: Any,  # noqa: ANN401 - a multiprocessing event
    results: Any,  # noqa: ANN401 - a multiprocessing queue
) -> None:
    """Register customers (numbered inside the transaction) and add notes to a shared one."""
    added: list[tuple[int, str]] = []
    notes: list[str] = []
    violations: list[str] = []
    try:
        store = opener()
        start.wait()
        for j in range(commits):
            while True:
                try:
                    with store.transaction() as tx:
                        number = store.last_number() + 1
                        name = f"process {index} commit {j}"
                        customer = sample_customer(number, name=name, notes=())
                        tx.add(customer)
                    break
                except AlreadyExists:
                    violations.append(
                        f"transactions are not serialised: number {number}, the last number "
                        "plus one read inside a transaction, was taken before it committed"
                    )
                    if len(violations) > commits:
                        raise
            added.append((number, customer.id.hex))
            text = f"{index}-{j}"
            while True:
                current = store.get(shared_id)
                changed = attrs.evolve(
                    current,
                    notes=(*current.notes, Note(text, _MOMENT)),
                    version=current.version + 1,
                )
                try:
                    with store.transaction() as tx:
                        tx.update(changed, expected_version=current.version)
                    break
                except ConcurrencyConflict:
                    continue
            notes.append(text)
        store.close()
        results.put(_Report(index, added, notes, violations, None))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        results.put(_Report(index, added, notes, violations, f"{type(exc).__name__}: {exc}"))


def _follow(opener: Callable[[], Store], connection: Connection) -> None:  # pragma: no cover
    """In a child: check the parent's commits, or commit when asked."""
    try:
        store = opener()
        connection.send(("ready", store.revision()))
        while (message := connection.recv()) is not None:
            action, number = message
            if action == "check":
                name = store.get_by_number(number).name
                connection.send(("seen", store.revision(), name, store.count()))
            else:
                with store.transaction() as tx:
                    tx.add(sample_customer(number, name=f"child {number}"))
                connection.send(("done", store.revision()))
        store.close()
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        connection.send(("error", f"{type(exc).__name__}: {exc}"))


def _commit_until_killed(  # pragma: no cover - runs in a child, which is killed
    opener: Callable[[], Store], start: int, connection: Connection
) -> None:
    """Commit customers one by one, acknowledging each after its commit returned."""
    store = opener()
    number = start
    while True:
        with store.transaction() as tx:
            tx.add(sample_customer(number, name=f"commit {number}", notes=()))
        connection.send_bytes(b"%d" % number)
        number += 1


def _run_threads(target: Callable[[int], None], count: int) -> None:
    errors: list[BaseException] = []

    def guarded(i: int) -> None:
        try:
            target(i)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
