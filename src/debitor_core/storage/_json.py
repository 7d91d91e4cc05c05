"""`JsonFileStore`: a book in a human-readable JSON file, with a journal for cheap commits.

On disk, beside each other:

- ``book.json``, the *snapshot*: an envelope naming the format and its version, then the
  categories, custom fields and customers, one customer per line. It is only ever
  replaced whole: written to a temporary file in the same folder, flushed, fsynced,
  moved over the old one with `os.replace`, and the folder fsynced.
- ``book.json.journal``, the *journal*: one line per committed transaction since the
  snapshot, ``<crc32> <json>``, appended, flushed and fsynced before the commit
  returns. A crash can leave only a torn last line, which reading stops at (and the
  next commit cuts off); a bad line anywhere else means the file was damaged.
- ``book.json.lock``, the lock file: every transaction holds it, so two processes take
  turns.

When the journal grows to twice the snapshot, the next commit folds it in (*compaction*):
a new snapshot, then an empty journal. Commits therefore cost the same in a big book as
in a small one, and compaction is paid for in proportion to what was written.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import threading
import uuid
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final, TypeVar

import cattrs

from debitor_core._category import Category
from debitor_core._converter import make_converter
from debitor_core._errors import (
    CorruptStore,
    DebitorError,
    StorageError,
    StoreLocked,
    UnsupportedFormatVersion,
)
from debitor_core._fields import CustomFieldDefinition
from debitor_core._invoice import RECORD_KINDS, Record
from debitor_core._model import Customer
from debitor_core.storage._lock import InterProcessLock, LockTimeout
from debitor_core.storage._memory import Operation, StateTransaction, StoreState

__all__ = ["FORMAT", "FORMAT_VERSION", "MIGRATIONS", "JsonFileStore"]

R = TypeVar("R", bound=Record)

FORMAT: Final = "debitor-core/book"
"""The value of the envelope's ``format`` key."""

FORMAT_VERSION: Final = 2
"""The version of the file format this release writes."""


def _add_records(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 to 2: books gain invoices, payments, deliveries and reminder logs."""
    data.setdefault("records", {kind: [] for kind in RECORD_KINDS})
    return data


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _add_records}
"""Upgrades of the snapshot data: ``MIGRATIONS[n]`` turns version ``n`` into ``n + 1``.

Journal lines are upgraded by the same functions, wrapped in a one-record snapshot.
"""

_KINDS: Final = {
    "customers": Customer,
    "categories": Category,
    "custom_fields": CustomFieldDefinition,
}
_DAMAGE: Final = (
    KeyError,
    TypeError,
    ValueError,
    AttributeError,
    DebitorError,
    cattrs.BaseValidationError,
)
"""What reading a damaged record can raise; each becomes `CorruptStore`."""

_MIN_JOURNAL_BYTES = 64 * 1024
"""The journal is folded into the snapshot once larger than this and twice the snapshot."""
_PAYLOAD_KEYS: Final = {
    "customers": "customer",
    "categories": "category",
    "custom_fields": "custom_field",
}
_RECOVERY: Final = (
    "The file was left exactly as it is. Restore it from a backup, or move it (and its "
    ".journal) aside to start a new book; the journal holds the most recent changes as "
    "one JSON line per commit."
)


class JsonFileStore:
    """A book kept in a JSON file, safe against crashes and shared between processes.

    Args:
        path: The snapshot file; created (with its folder) if it does not exist.
        timeout: Seconds to wait for another process's lock before `StoreLocked`.
        fsync: Whether commits wait for the disk (``True``; turn off only for tests of
            your own that do not care about power loss).

    Raises:
        CorruptStore: the files cannot be read; they are left untouched.
        UnsupportedFormatVersion: the file was written by a newer debitor-core.
        StoreLocked: another process held the lock longer than ``timeout``.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, timeout: float = 10.0, fsync: bool = True
    ) -> None:
        """Open (or create) the book at ``path``; see the class docstring."""
        self.path = Path(path)
        self.journal_path = self.path.with_name(self.path.name + ".journal")
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self._timeout = timeout
        self._fsync = fsync
        self._converter = make_converter()
        self._thread_lock = threading.RLock()
        self._file_lock = InterProcessLock(self.lock_path, timeout)
        self._state = StoreState()
        self._snapshot_id: tuple[int, int, int] | None = None
        self._snapshot_size = 0
        self._journal_offset = 0
        self._closed = False
        self._in_transaction = False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._locked():
            self._remove_stale_temporaries()
            if not self.path.exists():
                self._write_snapshot()
            upgraded_from = self._refresh()
            if upgraded_from is not None:
                self._keep_original(upgraded_from)
                self._write_snapshot()

    # -- the protocol: reads -------------------------------------------------------

    @contextlib.contextmanager
    def _reading(self) -> Iterator[StoreState]:
        """Hold the thread lock (so no transaction is half done) and catch up first."""
        with self._thread_lock:
            self._fresh()
            yield self._state

    def get(self, customer_id: uuid.UUID) -> Customer:
        """Return the customer with this id (`NotFound` otherwise)."""
        with self._reading() as state:
            return state.get(customer_id)

    def get_by_number(self, number: int) -> Customer:
        """Return the customer with this number (`NotFound` otherwise)."""
        with self._reading() as state:
            return state.get_by_number(number)

    def customers(self, *, offset: int = 0, limit: int | None = None) -> Sequence[Customer]:
        """Return customers in number order."""
        with self._reading() as state:
            return state.page(offset, limit)

    def count(self) -> int:
        """Return how many customers are stored."""
        with self._reading() as state:
            return len(state.customers)

    def categories(self) -> Sequence[Category]:
        """Return every category."""
        with self._reading() as state:
            return list(state.categories.values())

    def custom_fields(self) -> Sequence[CustomFieldDefinition]:
        """Return every custom-field definition."""
        with self._reading() as state:
            return list(state.fields.values())

    def records(self, kind: type[R]) -> Sequence[R]:
        """Return every record of ``kind`` in the order added."""
        with self._reading() as state:
            return state.all_records(kind)

    def record(self, kind: type[R], key: str) -> R:
        """Return the record of ``kind`` with ``key`` (`NotFound` otherwise)."""
        with self._reading() as state:
            return state.record(kind, key)

    def last_number(self) -> int:
        """Return the highest customer number ever stored."""
        with self._reading() as state:
            return state.last_number

    def revision(self) -> int:
        """Return the number of committed transactions (by any process)."""
        with self._reading() as state:
            return state.revision

    # -- the protocol: writes ------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[StateTransaction]:
        """Open a transaction: lock, catch up with other processes, commit durably."""
        with self._locked():
            self._refresh()
            tx = StateTransaction(self._state)
            self._in_transaction = True  # we hold both locks: reads need not look at disk
            try:
                yield tx
                if tx.operations:
                    self._commit(tx.operations)
            except BaseException:
                tx.rollback()
                raise
            finally:
                self._in_transaction = False
            if tx.operations:
                self._maybe_compact()

    def close(self) -> None:
        """Forget the in-memory copy; the store cannot be used afterwards."""
        with self._thread_lock:
            self._closed = True
            self._state = StoreState()
            self._file_lock.close()

    def compact(self) -> None:
        """Fold the journal into a new snapshot now (normally done automatically).

        Raises:
            StorageError: the snapshot could not be written; the old one and the
                journal are unchanged.
        """
        with self._locked():
            self._refresh()
            try:
                self._write_snapshot()
            except OSError as exc:
                msg = f"The book {self.path} could not be compacted ({exc}); nothing changed."
                raise StorageError(msg) from exc

    def __repr__(self) -> str:
        return f"<JsonFileStore {str(self.path)!r} {len(self._state.customers)} customers>"

    # -- locking and catching up ---------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self._thread_lock:
            if self._closed:
                msg = f"The store {self.path} is closed; open it again to use it."
                raise StorageError(msg)
            try:
                self._file_lock.acquire()
            except LockTimeout:
                msg = (
                    f"Another process has held the lock {self.lock_path} for more than "
                    f"{self._timeout:g} s. Try again later; if no other process uses the book, "
                    "the lock is stale and the file can be deleted."
                )
                raise StoreLocked(msg) from None
            try:
                yield
            finally:
                self._file_lock.release()

    def _disk_id(self) -> tuple[tuple[int, int, int] | None, int]:
        try:
            st = self.path.stat()
            snapshot = (st.st_ino, st.st_size, st.st_mtime_ns)
        except FileNotFoundError:
            snapshot = None
        try:
            journal = self.journal_path.stat().st_size
        except FileNotFoundError:
            journal = 0
        return snapshot, journal

    def _fresh(self) -> None:
        """Catch up if another process changed the files since we read them."""
        if self._in_transaction:
            return
        snapshot, journal = self._disk_id()
        if snapshot != self._snapshot_id or journal != self._journal_offset:
            with self._locked():
                self._refresh()

    def _refresh(self) -> int | None:
        """Under the lock: reload the snapshot if it changed, then replay the journal.

        Returns:
            The older format version the snapshot was upgraded from, if it was.
        """
        snapshot, journal = self._disk_id()
        if snapshot is None:
            msg = f"The book {self.path} has disappeared while open. {_RECOVERY}"
            raise CorruptStore(msg)
        upgraded_from = None
        if snapshot != self._snapshot_id:
            upgraded_from = self._load_snapshot()
            self._replay_journal()
        elif journal != self._journal_offset:
            self._replay_journal()
        return upgraded_from

    # -- reading -------------------------------------------------------------------

    def _corrupt(self, what: str, exc: BaseException | None = None) -> CorruptStore:
        detail = f" ({exc})" if exc is not None else ""
        return CorruptStore(f"The book {self.path} cannot be read: {what}{detail}. {_RECOVERY}")

    def _load_snapshot(self) -> int | None:
        """Read the snapshot into a new state; return the older version it came from."""
        try:
            raw = self.path.read_bytes()
            st = self.path.stat()
        except OSError as exc:
            msg = f"The book {self.path} cannot be opened ({exc})."
            raise StorageError(msg) from exc
        data, version = self._envelope(raw)
        state = StoreState(self._customer_from_record)
        try:
            self._fill(state, self._migrate(data, version))
        except _DAMAGE as exc:
            raise self._corrupt("a record in it is not valid", exc) from exc
        self._state = state
        self._snapshot_id = (st.st_ino, st.st_size, st.st_mtime_ns)
        self._snapshot_size = st.st_size
        self._journal_offset = 0
        return version if version < FORMAT_VERSION else None

    def _envelope(self, raw: bytes) -> tuple[dict[str, Any], int]:
        """Parse the snapshot and check its envelope; return the data and its version."""
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise self._corrupt("it is not complete, valid JSON", exc) from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise self._corrupt(f"it is not a debitor-core book (no format {FORMAT!r})")
        version = data.get("version")
        if not isinstance(version, int) or version < 1:
            raise self._corrupt(f"its format version {version!r} is not a version number")
        if version > FORMAT_VERSION:
            msg = (
                f"The book {self.path} was written by a newer debitor-core (format version "
                f"{version}); this one reads versions up to {FORMAT_VERSION}. Upgrade "
                "debitor-core to open it. The file was not changed."
            )
            raise UnsupportedFormatVersion(msg)
        return data, version

    def _fill(self, state: StoreState, data: dict[str, Any]) -> None:
        """Put the snapshot's records into ``state``; customers are built when first read."""
        structure = self._converter.structure
        for record in data["categories"]:
            category = structure(record, Category)
            state.categories[category.id] = category
        for record in data["custom_fields"]:
            definition = structure(record, CustomFieldDefinition)
            state.fields[definition.key] = definition
        add_record, make_id = state.add_record, uuid.UUID
        for record in data["customers"]:
            number = record["number"]
            if type(number) is not int or number < 1:
                msg = f"the customer number {number!r} is not a positive whole number"
                raise ValueError(msg)
            add_record(make_id(record["id"]), number, record)
        for kind, records in data["records"].items():
            cls = RECORD_KINDS[kind]
            stored = state.records[kind]
            for record in records:
                item = structure(record, cls)
                stored[item.key] = item
        state.last_number = max(state.last_number, int(data["last_number"]))
        state.revision = int(data["revision"])

    def _customer_from_record(self, record: dict[str, Any]) -> Customer:
        """Build a customer from its stored record, the first time it is read."""
        try:
            return self._converter.structure(record, Customer)
        except _DAMAGE as exc:
            number = record.get("number")
            raise self._corrupt(f"the record of customer {number!r} is not valid", exc) from exc

    def _keep_original(self, version: int) -> None:
        """Copy the files of an older format aside before they are upgraded."""
        for source in (self.path, self.journal_path):
            if source.exists():
                backup = source.with_name(f"{source.name}.v{version}.bak")
                backup.write_bytes(source.read_bytes())

    def _migrate(self, data: dict[str, Any], version: int) -> dict[str, Any]:
        while version < FORMAT_VERSION:
            data = MIGRATIONS[version](data)
            version += 1
            data["version"] = version
        return data

    def _replay_journal(self) -> None:
        try:
            with self.journal_path.open("rb") as fh:
                fh.seek(self._journal_offset)
                tail = fh.read()
        except FileNotFoundError:
            return
        position = 0
        while position < len(tail):
            end = tail.find(b"\n", position)
            if end == -1:
                return  # a torn last line: a commit that never returned
            line = tail[position:end]
            try:
                record = self._decode(line)
            except ValueError as exc:
                if tail.find(b"\n", end + 1) == -1 and not tail[end + 1 :].strip():
                    return  # the last line is damaged: a torn write, never committed
                raise self._corrupt(
                    f"journal line at byte {self._journal_offset + position}", exc
                ) from exc
            self._apply_record(record)
            position = end + 1
            self._journal_offset += len(line) + 1

    def _decode(self, line: bytes) -> dict[str, Any]:
        checksum, _, body = line.partition(b" ")
        if not body or int(checksum, 16) != zlib.crc32(body):
            msg = "its checksum does not match"
            raise ValueError(msg)
        record = json.loads(body)
        if not isinstance(record, dict):
            msg = "it is not a JSON object"
            raise ValueError(msg)  # noqa: TRY004 - reported as damage, not a type error
        return record

    def _apply_record(self, record: dict[str, Any]) -> None:
        revision = record.get("revision")
        if not isinstance(revision, int):
            raise self._corrupt(f"a journal entry has no revision number ({revision!r})")
        if revision <= self._state.revision:
            return  # already part of the snapshot (a crash came before the journal was emptied)
        if revision != self._state.revision + 1:
            raise self._corrupt(
                f"the journal skips from revision {self._state.revision} to {revision}"
            )
        version = record.get("version", FORMAT_VERSION)
        try:
            for op in record["ops"]:
                self._state.apply(self._operation(op, version))
        except _DAMAGE as exc:
            raise self._corrupt(
                f"the journal entry of revision {revision} cannot be applied", exc
            ) from exc
        self._state.revision = revision

    def _operation(self, op: dict[str, Any], version: int) -> Operation:
        name = op["op"]
        structure = self._converter.structure

        def record(kind: str) -> Any:  # noqa: ANN401 - one of the stored classes
            payload = op[_PAYLOAD_KEYS[kind]]
            if version < FORMAT_VERSION:
                wrapped = {"format": FORMAT, "version": version, kind: [payload]}
                payload = self._migrate(wrapped, version)[kind][0]
            return structure(payload, _KINDS[kind])

        builders: dict[str, Callable[[], Any]] = {
            "add": lambda: record("customers"),
            "update": lambda: (record("customers"), int(op["expected_version"])),
            "delete": lambda: uuid.UUID(op["id"]),
            "put_category": lambda: record("categories"),
            "delete_category": lambda: uuid.UUID(op["id"]),
            "put_custom_field": lambda: record("custom_fields"),
            "put_record": lambda: (
                structure(op["record"], RECORD_KINDS[op["kind"]]),
                None if op["expected_version"] is None else int(op["expected_version"]),
            ),
        }
        if name in builders:
            return (name, builders[name]())
        msg = f"unknown operation {name!r}"
        raise ValueError(msg)

    # -- writing -------------------------------------------------------------------

    def _encode_op(self, operation: Operation) -> dict[str, Any]:
        name, arg = operation
        unstructure = self._converter.unstructure
        if name in ("add", "update"):
            customer = arg[0] if name == "update" else arg
            op = {"op": name, "customer": unstructure(customer)}
            if name == "update":
                op["expected_version"] = arg[1]
            return op
        if name in ("delete", "delete_category"):
            return {"op": name, "id": str(arg)}
        if name == "put_record":
            record, expected = arg
            return {
                "op": name,
                "kind": record.KIND,
                "record": unstructure(record),
                "expected_version": expected,
            }
        key = "category" if name == "put_category" else "custom_field"
        return {"op": name, key: unstructure(arg)}

    def _commit(self, operations: list[Operation]) -> None:
        record = {
            "revision": self._state.revision + 1,
            "version": FORMAT_VERSION,
            "ops": [self._encode_op(op) for op in operations],
        }
        body = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()
        line = b"%08x %s\n" % (zlib.crc32(body), body)
        try:
            self._append(line)
        except OSError as exc:
            msg = f"The commit to {self.journal_path} failed ({exc}); nothing was committed."
            raise StorageError(msg) from exc
        self._state.revision += 1
        self._journal_offset += len(line)

    def _append(self, line: bytes) -> None:
        created = self._journal_offset == 0 and not self.journal_path.exists()
        with self.journal_path.open("ab") as fh:
            if fh.tell() != self._journal_offset:
                fh.truncate(self._journal_offset)  # cut off a torn line a crash left
            try:
                fh.write(line)
                fh.flush()
                if self._fsync:
                    _sync_data(fh.fileno())
            except BaseException:
                with contextlib.suppress(OSError):
                    fh.truncate(self._journal_offset)
                raise
        if created and self._fsync:
            _fsync_folder(self.path.parent)

    def _maybe_compact(self) -> None:
        if self._journal_offset > max(2 * self._snapshot_size, _MIN_JOURNAL_BYTES):
            with contextlib.suppress(OSError):  # the journal already holds every commit
                self._write_snapshot()

    def _snapshot_bytes(self) -> bytes:
        unstructure = self._converter.unstructure
        state = self._state
        dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

        def lines(records: list[Any]) -> str:
            if not records:
                return "[]"
            rows = (dumps(r if isinstance(r, dict) else unstructure(r)) for r in records)
            return "[\n  " + ",\n  ".join(rows) + "\n ]"

        customers = list(state.customer_records())
        records = ",".join(
            f'\n  "{kind}": {lines(list(items.values()))}' for kind, items in state.records.items()
        )
        text = (
            "{\n"
            f' "format": {json.dumps(FORMAT)},\n'
            f' "version": {FORMAT_VERSION},\n'
            f' "revision": {state.revision},\n'
            f' "last_number": {state.last_number},\n'
            f' "categories": {lines(list(state.categories.values()))},\n'
            f' "custom_fields": {lines(list(state.fields.values()))},\n'
            f' "customers": {lines(customers)},\n'
            f' "records": {{{records}}}\n'
            "}\n"
        )
        return text.encode()

    def _temporary_prefix(self) -> str:
        return f".{self.path.name}."

    def _remove_stale_temporaries(self) -> None:
        """Under the lock: delete snapshot temporaries a crashed process left behind.

        Snapshots are only written under the lock, so while we hold it no temporary file
        can belong to a live writer.
        """
        prefix = self._temporary_prefix()
        for leftover in self.path.parent.glob(f"{glob.escape(prefix)}*.tmp"):
            with contextlib.suppress(OSError):
                leftover.unlink()

    def _write_snapshot(self) -> None:
        """Replace the snapshot atomically with the current state, then empty the journal."""
        data = self._snapshot_bytes()
        temporary = self.path.with_name(
            f".{self.path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
        )
        try:
            with temporary.open("wb") as fh:
                fh.write(data)
                fh.flush()
                if self._fsync:
                    os.fsync(fh.fileno())
            temporary.replace(self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise
        if self._fsync:
            _fsync_folder(self.path.parent)
        if self.journal_path.exists():
            with self.journal_path.open("r+b") as fh:
                fh.truncate(0)
                if self._fsync:
                    os.fsync(fh.fileno())
        st = self.path.stat()
        self._snapshot_id = (st.st_ino, st.st_size, st.st_mtime_ns)
        self._snapshot_size = st.st_size
        self._journal_offset = 0


_sync_data = getattr(os, "fdatasync", os.fsync)
"""Flush a file's data (and the size that finds it) to disk: all a journal append needs."""


def _fsync_folder(folder: Path) -> None:
    """Make a rename or a new file in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
