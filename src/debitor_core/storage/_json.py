"""`JsonFileStore`: a book in a human-readable JSON file, with a journal for cheap commits.

On disk, beside each other:

- ``book.json``, the *snapshot* (see `debitor_core.storage._snapshot`): a header line
  with the format, a generation number, the revision and a checksum over the whole
  file, then the categories, custom fields, customers and records, one per line. It is
  only ever replaced whole: written to a temporary file in the same folder, flushed,
  fsynced, moved over the old one with `os.replace`, and the folder fsynced.
- ``book.json.journal``, the *journal* (see `debitor_core.storage._journal`): one
  checksummed line per committed transaction since the snapshot, written and fsynced
  before the commit returns.
- ``book.json.lock``, the lock file. A transaction locks it and then the journal
  (``flock``), each time checking that the file it locked is still the one at its path;
  so removing the lock file while processes write cannot let two writers in at once.

When the journal grows to twice the snapshot, the next commit folds it in (*compaction*):
a new snapshot, then an empty journal. Commits therefore cost the same in a big book as
in a small one. A compaction that fails (a full disk, a read-only folder) leaves every
commit in the journal; the store retries after exponentially more commits, logs to the
``debitor_core.storage`` logger and reports the state through `JsonFileStore.status`.

A symbolic link to the snapshot is followed: the journal, lock and temporary files sit
beside the file it points to, and compaction replaces that file, keeping the link.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final, Self, TypeVar

import attrs
import cattrs

from debitor_core._category import Category
from debitor_core._converter import make_converter
from debitor_core._errors import (
    CorruptStore,
    DebitorError,
    MissingSnapshot,
    StorageError,
    StoreLocked,
    UnsupportedFormatVersion,
)
from debitor_core._fields import CustomFieldDefinition
from debitor_core._integrity import check_structure, describe, structural_problems
from debitor_core._invoice import RECORD_KINDS, Record
from debitor_core._limits import MAX_NUMBER
from debitor_core._model import Customer, utc_now
from debitor_core.storage import _journal, _snapshot
from debitor_core.storage._feed import ChangeSet
from debitor_core.storage._files import (
    SQLITE_MAGIC,
    check_folder,
    fsync_folder,
    os_sentence,
)
from debitor_core.storage._lock import InterProcessLock, LockTimeout
from debitor_core.storage._memory import (
    DEFAULT_RETENTION,
    ChangeLog,
    Operation,
    StateTransaction,
    StoreState,
    checked_retention,
)

__all__ = ["JsonFileStore", "JsonStoreStatus"]

R = TypeVar("R", bound=Record)

_log = logging.getLogger("debitor_core.storage")

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
_MAX_COMPACTION_WAIT = 2**16
"""After failed compactions, the most commits the store lets pass before it tries again."""
_SECTIONS: Final = ("categories", "custom_fields", "customers", "records")
"""The snapshot's lists, after its counters."""
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
_RESEAL: Final = (
    "If you edited the file on purpose, accept the edit with "
    "JsonFileStore.reseal(path), which checks every record first."
)


@attrs.frozen
class JsonStoreStatus:
    """The state of a `JsonFileStore`'s files, for a host app's health checks.

    Attributes:
        path: The snapshot file.
        snapshot_bytes: The snapshot's size.
        journal_bytes: The journal's size: the commits not yet folded into the snapshot.
        revision: Commits ever made to the book.
        generation: Snapshots ever written for the book.
        compaction_failures: Automatic compactions that failed in a row (0 when the
            last one succeeded); while above 0 the journal keeps growing.
        last_compaction_error: Why the last compaction failed, if one ever did.
        last_compaction_failed_at: When (by the store's clock), if one ever did.
    """

    path: Path
    snapshot_bytes: int
    journal_bytes: int
    revision: int
    generation: int
    compaction_failures: int = 0
    last_compaction_error: str | None = None
    last_compaction_failed_at: dt.datetime | None = None


class _CheckedTransaction(StateTransaction):
    """A transaction that refuses a record the store would refuse to load."""

    __slots__ = ()

    def add(self, customer: Customer) -> None:
        """Add a new customer (see `Transaction.add`)."""
        check_structure(customer)
        super().add(customer)

    def update(self, customer: Customer, *, expected_version: int) -> None:
        """Replace a customer (see `Transaction.update`)."""
        check_structure(customer)
        super().update(customer, expected_version=expected_version)

    def put_category(self, category: Category) -> None:
        """Add or replace a category."""
        check_structure(category)
        super().put_category(category)

    def put_custom_field(self, definition: CustomFieldDefinition) -> None:
        """Add or replace a custom-field definition."""
        check_structure(definition)
        super().put_custom_field(definition)

    def put_record(self, record: Record, *, expected_version: int | None) -> None:
        """Add or replace a record (see `Transaction.put_record`)."""
        check_structure(record)
        super().put_record(record, expected_version=expected_version)


class JsonFileStore:
    """A book kept in a JSON file, safe against crashes and shared between processes.

    Args:
        path: The snapshot file; created if it does not exist (its folder must).
        timeout: Seconds to wait for another process's lock before `StoreLocked`.
        fsync: Whether commits wait for the disk (``True``; turn off only for tests of
            your own that do not care about power loss).
        create_folder: Create the snapshot's folder when it is missing (by default a
            missing folder is refused, so a typo never starts a new, empty book).
        clock: Gives the current time, for `status` (the time a compaction failed).
        feed_retention: How many commits the change feed (`changes_since`) can look
            back over; ``None`` keeps every commit this store object saw.

    It has the change feed (`ChangeFeed`), from the journal since the snapshot and the
    commits this store object made; the store id lives in the snapshot's header.

    Raises:
        StorageError: the folder is missing, the path is a folder or an SQLite
            database, or a file cannot be opened (the message says which and why).
        MissingSnapshot: the snapshot is missing but its journal holds commits.
        CorruptStore: the files cannot be read; they are left untouched.
        UnsupportedFormatVersion: the file was written by a newer debitor-core.
        StoreLocked: another process held the lock longer than ``timeout``.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        timeout: float = 10.0,
        fsync: bool = True,
        create_folder: bool = False,
        clock: Callable[[], dt.datetime] = utc_now,
        feed_retention: int | None = DEFAULT_RETENTION,
    ) -> None:
        """Open (or create) the book at ``path``; see the class docstring."""
        self._setup(path, timeout=timeout, fsync=fsync, clock=clock)
        self._log = ChangeLog(checked_retention(feed_retention))
        check_folder(self._target, create=create_folder, what="book")
        self._refuse_foreign_file()
        try:
            with self._locked():
                try:
                    self._remove_stale_temporaries()
                    self._open_book()
                except BaseException:
                    self._remove_created_files()
                    raise
        except BaseException:
            self._file_lock.close()
            raise

    def _setup(
        self,
        path: str | os.PathLike[str],
        *,
        timeout: float,
        fsync: bool,
        clock: Callable[[], dt.datetime],
    ) -> None:
        self.path = Path(path)
        self._target = Path(os.path.realpath(self.path))
        self.journal_path = self._target.with_name(self._target.name + ".journal")
        self.lock_path = self._target.with_name(self._target.name + ".lock")
        self._timeout = timeout
        self._fsync = fsync
        self._clock = clock
        self._converter = make_converter()
        self._thread_lock = threading.RLock()
        self._file_lock = InterProcessLock(self.lock_path, timeout)
        self._journal_lock = InterProcessLock(self.journal_path, timeout, keep_open=False)
        self._journal_fd = -1
        self._journal_known = -1  # the journal's size while locked, once looked at
        self._folder_unsynced = False
        self._state = StoreState()
        self._store_id = str(uuid.uuid4())  # a new book's; an existing one's is read
        self._log = ChangeLog(DEFAULT_RETENTION)
        self._header: bytes | None = None
        self._generation = 0
        self._snapshot_size = 0
        self._journal_offset = 0
        self._closed = False
        self._in_transaction = False
        self._compaction_failures = 0
        self._compaction_wait = 0
        self._compaction_error: str | None = None
        self._compaction_failed_at: dt.datetime | None = None
        # The JSON text of each customer this process committed since the last snapshot,
        # by id, with the object it was made from: the next snapshot reuses it instead of
        # encoding the customer again (bounded by the journal, emptied by a snapshot).
        self._written: dict[int, tuple[Customer, str]] = {}

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

    # -- the change feed -----------------------------------------------------------

    def store_id(self) -> str:
        """Return the book's identity, kept in the snapshot's header across compactions."""
        with self._reading():
            return self._store_id

    def changes_since(self, revision: int) -> ChangeSet | None:
        """Return what changed after ``revision`` (see `ChangeFeed`), or ``None``.

        The store answers from the commits it made or read from the journal since it
        last loaded a snapshot (at most ``feed_retention`` of them): its own
        compactions keep that history, but a snapshot another process wrote (its
        compaction, or a file replaced) starts it again at that snapshot's revision.
        ``None`` for an older ``revision``, one ahead of the book, or a negative one.
        """
        with self._reading() as state:
            return self._log.changes(state, self._store_id, revision)

    # -- the protocol: writes ------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[StateTransaction]:
        """Open a transaction: lock, catch up with other processes, commit durably.

        Besides the checks of `Transaction`, a write raises `ValidationError` for a
        record that breaks a structural invariant (see `debitor_core._integrity`):
        the store never commits what it would refuse to load.
        """
        with self._locked():
            self._refresh()
            tx = _CheckedTransaction(self._state)
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

    def __enter__(self) -> Self:
        """Use the store in a ``with`` block, which closes it at the end."""
        return self

    def __exit__(self, *_: object) -> None:
        """Close the store."""
        self.close()

    # -- beyond the protocol -------------------------------------------------------

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
                self._compaction_failed(exc)
                msg = (
                    f"The book {self.path} could not be compacted: {os_sentence(exc)} Nothing "
                    "changed: the journal keeps every commit."
                )
                params = {"book": str(self.path), "reason": os_sentence(exc)}
                raise StorageError(msg, code="storage.compaction", params=params) from exc
            self._compaction_succeeded()

    def scrub(self) -> None:
        """Rewrite the snapshot and empty the journal, so that replaced values are gone.

        `CustomerBook.erase` calls this after its commit: the snapshot is written anew
        from the current state (the old file is replaced) and the journal, which holds
        earlier versions of what the commits changed, is emptied. Copies the host
        made (backups) are not touched.

        The change feed's buffer of recent commits, which holds replaced values in
        memory, is forgotten too: the feed then tells what changed after the current
        revision only (a follower book reloads).

        Raises:
            StorageError: the snapshot could not be written (nothing changed).
        """
        self.compact()
        with self._reading() as state:
            self._log.restart(state.revision)

    def status(self) -> JsonStoreStatus:
        """Report the files' sizes and how compaction is going.

        A host app can show this on a health page, or alert when
        ``compaction_failures`` is above 0: the journal then grows with every commit,
        and opening the book gets slower, until compaction succeeds again.

        Returns:
            A `JsonStoreStatus` as of now.
        """
        with self._reading() as state:
            return JsonStoreStatus(
                path=self.path,
                snapshot_bytes=self._snapshot_size,
                journal_bytes=self._journal_offset,
                revision=state.revision,
                generation=self._generation,
                compaction_failures=self._compaction_failures,
                last_compaction_error=self._compaction_error,
                last_compaction_failed_at=self._compaction_failed_at,
            )

    @classmethod
    def reseal(cls, path: str | os.PathLike[str], *, timeout: float = 10.0) -> None:
        """Accept a snapshot that a person edited on purpose, once it is checked.

        The checksum in the snapshot's header makes any change made outside
        debitor-core (a bit flipped on disk, or an edit) fail to open with
        `CorruptStore`. After an edit made on purpose, reseal the book: every record
        is read and checked (types, ranges, lengths, characters, as on every load),
        the journal's commits are applied on top, and the result is written as a new
        snapshot with a new checksum (the journal is then empty). Any format of the
        JSON is accepted, as long as it is valid JSON with the book's keys.

        Compact the book (`compact`) before editing it, so that no commit in the
        journal replaces what you edit.

        Args:
            path: The snapshot file.
            timeout: Seconds to wait for another process's lock.

        Raises:
            CorruptStore: a record is damaged or breaks an invariant (every problem is
                listed), or the journal does not apply; nothing was changed.
            StorageError: there is no book at ``path``, or it cannot be written.
            UnsupportedFormatVersion: the file is from a newer debitor-core.
        """
        store = cls.__new__(cls)
        store._setup(path, timeout=timeout, fsync=True, clock=utc_now)  # noqa: SLF001
        try:
            check_folder(store._target, create=False, what="book")  # noqa: SLF001
            store._refuse_foreign_file()  # noqa: SLF001
            with store._locked():  # noqa: SLF001
                try:
                    store._reseal()  # noqa: SLF001
                except BaseException:
                    store._remove_created_files()  # noqa: SLF001
                    raise
        finally:
            store.close()

    def __repr__(self) -> str:
        return f"<JsonFileStore {str(self.path)!r} {len(self._state.customers)} customers>"

    # -- opening -------------------------------------------------------------------

    def _refuse_foreign_file(self) -> None:
        """Before creating anything: refuse a folder or a database where the book should be."""
        try:
            with self._target.open("rb") as fh:
                start = fh.read(len(SQLITE_MAGIC))
        except FileNotFoundError:
            return
        except OSError as exc:
            msg = f"The book {self.path} cannot be opened: {os_sentence(exc)}"
            params = {"book": str(self.path), "reason": os_sentence(exc)}
            raise StorageError(msg, code="storage.unreadable", params=params) from exc
        if start == SQLITE_MAGIC:
            msg = (
                f"The file {self.path} is an SQLite database, not a JSON book: open it with "
                f"SqliteStore({str(self.path)!r}). It was left as it is."
            )
            params = {"file": str(self.path), "rule": "sqlite"}
            raise StorageError(msg, code="storage.wrong_kind", params=params)

    def _open_book(self) -> None:
        """Under the lock: load the book, or create it if there is none."""
        header = self._read_header()
        if header is None:
            if self._journal_size() > 0:
                raise self._missing_snapshot("is missing")
            self._write_snapshot()  # a new, empty book
            return
        self._load()

    def _remove_created_files(self) -> None:
        """Under the lock, after a failed open: remove the empty files this open created."""
        with contextlib.suppress(OSError):
            self._journal_lock.remove_if_created()
        with contextlib.suppress(OSError):
            self._file_lock.remove_if_created()

    def _missing_snapshot(self, how: str) -> MissingSnapshot:
        size = self._journal_size()
        rule = ("missing" if how == "is missing" else "disappeared") + ("_journal" if size else "")
        params = {"book": str(self.path), "journal": str(self.journal_path), "size": size}
        params["rule"] = rule
        if size == 0:
            msg = (
                f"The book {self.path} {how}. Nothing was changed. If it was moved or "
                "renamed, put it back; otherwise restore it from a backup."
            )
            return MissingSnapshot(msg, code="storage.missing_snapshot", params=params)
        msg = (
            f"The book {self.path} {how}, but its journal {self.journal_path} holds "
            f"{size:,} bytes of commits. Nothing was changed. If the book file was moved or "
            "renamed, put it back; otherwise restore it from a backup. To start a new, "
            "empty book here instead, move the journal aside first."
        )
        return MissingSnapshot(msg, code="storage.missing_snapshot", params=params)

    # -- locking and catching up ---------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self._thread_lock:
            if self._closed:
                msg = f"The store {self.path} is closed; open it again to use it."
                raise StorageError(msg, code="storage.closed", params={"book": str(self.path)})
            deadline = time.monotonic() + self._timeout
            try:
                self._file_lock.acquire(deadline)
                try:
                    self._journal_fd = self._journal_lock.acquire(deadline)
                except BaseException:
                    if self._header is None:  # still opening: leave no lock file behind
                        with contextlib.suppress(OSError):
                            self._file_lock.remove_if_created()
                    self._file_lock.release()
                    raise
            except LockTimeout:
                msg = (
                    f"Another process has held the lock on the book {self.path} for more than "
                    f"{self._timeout:g} s. Try again later: the system releases the lock as "
                    "soon as that process ends."
                )
                params = {"book": str(self.path), "seconds": f"{self._timeout:g}"}
                raise StoreLocked(msg, code="storage.locked", params=params) from None
            except OSError as exc:
                msg = f"The book {self.path} cannot be locked: {os_sentence(exc)}"
                params = {"book": str(self.path), "reason": os_sentence(exc)}
                raise StorageError(msg, code="storage.lock_failed", params=params) from exc
            if self._journal_lock.created:
                self._folder_unsynced = True
            try:
                yield
            finally:
                self._journal_fd = self._journal_known = -1
                self._journal_lock.release()
                self._file_lock.release()

    def _read_header(self) -> bytes | None:
        try:
            return _snapshot.read_header(self._target)
        except OSError as exc:
            msg = f"The book {self.path} cannot be opened: {os_sentence(exc)}"
            params = {"book": str(self.path), "reason": os_sentence(exc)}
            raise StorageError(msg, code="storage.unreadable", params=params) from exc

    def _journal_size(self) -> int:
        """The journal's size (under the lock, from the locked descriptor)."""
        if self._journal_fd >= 0:
            if self._journal_known < 0:
                self._journal_known = os.fstat(self._journal_fd).st_size
            return self._journal_known
        try:
            return self.journal_path.stat().st_size
        except FileNotFoundError:
            return 0

    def _fresh(self) -> None:
        """Catch up if another process changed the files since we read them.

        Without the lock: the snapshot's header line says which snapshot is there (it
        is replaced whole, by a rename), and the journal's size whether commits were
        added. Only when either changed is the lock taken, to read what changed.
        """
        if self._in_transaction:
            return
        if self._closed:
            msg = f"The store {self.path} is closed; open it again to use it."
            raise StorageError(msg, code="storage.closed", params={"book": str(self.path)})
        try:
            header = _snapshot.read_header(self._target)
            journal = self.journal_path.stat().st_size
        except OSError:
            header, journal = None, -1  # let the locked refresh say what is wrong
        if header != self._header or journal != self._journal_offset:
            with self._locked():
                self._refresh()

    def _refresh(self) -> None:
        """Under the lock: reload the snapshot if it changed, then replay the journal."""
        header = self._read_header()
        if header is None:
            raise self._missing_snapshot("has disappeared while it was open")
        if header != self._header:
            self._load()
        elif self._journal_size() != self._journal_offset:
            self._replay_journal()

    # -- reading -------------------------------------------------------------------

    def _corrupt(self, what: str, exc: BaseException | None = None) -> CorruptStore:
        detail = f" ({exc})" if exc is not None else ""
        msg = f"The book {self.path} cannot be read: {what}{detail}. {_RECOVERY}"
        params = {"book": str(self.path), "reason": f"{what}{detail}"}
        return CorruptStore(msg, code="storage.corrupt", params=params)

    def _newer(self, file: Path, version: int) -> UnsupportedFormatVersion:
        msg = (
            f"The book {file} was written by a newer debitor-core (format version "
            f"{version}); this one reads versions up to {_snapshot.FORMAT_VERSION}. Upgrade "
            "debitor-core to open it. The file was not changed."
        )
        params = {"book": str(file), "version": version, "known": _snapshot.FORMAT_VERSION}
        return UnsupportedFormatVersion(msg, code="storage.newer", params=params)

    def _read_snapshot(self, *, verify: bool = True) -> tuple[bytes, dict[str, Any], int]:
        try:
            raw = self._target.read_bytes()
        except OSError as exc:
            msg = f"The book {self.path} cannot be opened: {os_sentence(exc)}"
            params = {"book": str(self.path), "reason": os_sentence(exc)}
            raise StorageError(msg, code="storage.unreadable", params=params) from exc
        try:
            data, version = _snapshot.decode(raw, verify=verify)
        except _snapshot.SnapshotDamage as exc:
            hint = f" {_RESEAL}" if exc.edited else ""
            msg = f"The book {self.path} cannot be read: {exc}. {_RECOVERY}{hint}"
            params = {"book": str(self.path), "reason": str(exc)}
            params["rule"] = "edited" if exc.edited else ""
            raise CorruptStore(msg, code="storage.corrupt", params=params) from exc
        except _snapshot.NewerFormat as exc:
            raise self._newer(self.path, exc.version) from None
        return raw, data, version

    def _load(self) -> None:
        """Under the lock: read the snapshot into a new state, then replay the journal."""
        raw, data, version = self._read_snapshot()
        state = StoreState(self._customer_from_record)
        generation = self._filled(state, data, version)
        self._state = state
        self._written.clear()  # another process's snapshot holds what we wrote
        self._log.restart(state.revision)
        self._header = _snapshot.header_line(raw)
        self._generation = generation
        self._snapshot_size = len(raw)
        self._journal_offset = 0
        self._replay_journal()
        if version < _snapshot.FORMAT_VERSION:
            self._upgrade(version)

    def _upgrade(self, version: int) -> None:
        """Keep the files of an older format aside, then write the current format."""
        try:
            for source in (self._target, self.journal_path):
                if source.exists():
                    backup = source.with_name(f"{source.name}.v{version}.bak")
                    backup.write_bytes(source.read_bytes())
            self._write_snapshot()
        except OSError as exc:
            msg = (
                f"The book {self.path} is in an older format (version {version}) and must be "
                f"upgraded, but it could not be written: {os_sentence(exc)} Nothing was changed."
            )
            params = {"book": str(self.path), "version": version, "reason": os_sentence(exc)}
            raise StorageError(msg, code="storage.upgrade", params=params) from exc

    def _filled(self, state: StoreState, data: dict[str, Any], version: int) -> int:
        """Upgrade the snapshot's data and fill ``state`` with it; return its generation."""
        data = _snapshot.migrate(data, version)
        for key in ("last_number", "revision", "generation", "store_id", *_SECTIONS):
            if key not in data:
                raise self._corrupt(f"it has no {key!r} key")
        try:
            self._store_id = _store_id(data["store_id"])
            return self._fill(state, data)
        except CorruptStore:
            raise
        except _DAMAGE as exc:
            raise self._corrupt("a record in it is not valid", exc) from exc

    def _fill(self, state: StoreState, data: dict[str, Any]) -> int:
        """Put the snapshot's records into ``state``; customers are built when first read.

        Returns:
            The snapshot's generation.
        """
        structure = self._converter.structure
        for record in data["categories"]:
            category = self._checked(structure(record, Category))
            state.categories[category.id] = category
        for record in data["custom_fields"]:
            definition = self._checked(structure(record, CustomFieldDefinition))
            state.fields[definition.key] = definition
        add_record, make_id = state.add_record, uuid.UUID
        for record in data["customers"]:
            number = record["number"]
            if type(number) is not int or not 0 < number <= MAX_NUMBER:
                msg = (
                    f"the customer number {number!r} is not a whole number from 1 to {MAX_NUMBER:,}"
                )
                raise ValueError(msg)
            add_record(make_id(record["id"]), number, record)
        for kind, records in data["records"].items():
            cls = RECORD_KINDS[kind]
            stored = state.records[kind]
            for record in records:
                item = self._checked(structure(record, cls))
                stored[item.key] = item
        state.last_number = max(state.last_number, _count(data, "last_number"))
        state.revision = _count(data, "revision")
        return _count(data, "generation")

    def _checked(self, item: Any) -> Any:  # noqa: ANN401 - a stored record of any class
        """Return ``item`` if it is structurally sound; raise `CorruptStore` otherwise."""
        problems = structural_problems(item)
        if problems:
            raise self._damaged(item, problems)
        return item

    def _damaged(self, item: object, problems: Sequence[object]) -> CorruptStore:
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        first = str(problems[0]).rstrip(".")
        return self._corrupt(f"the record of {describe(item)} is damaged: {first}{more}")

    def _customer_from_record(self, record: dict[str, Any]) -> Customer:
        """Build a customer from its stored record, the first time it is read."""
        try:
            customer = self._converter.structure(record, Customer)
        except _DAMAGE as exc:
            number = record.get("number")
            raise self._corrupt(f"the record of customer {number!r} is not valid", exc) from exc
        problems = structural_problems(customer)
        if problems:
            raise self._damaged(customer, problems)
        return customer

    def _replay_journal(self) -> None:
        """Under the lock: apply the journal's complete lines after the ones applied."""
        size = self._journal_size()
        if size < self._journal_offset:
            msg = (
                f"its journal {self.journal_path} was cut short by something other than "
                "debitor-core"
            )
            raise self._corrupt(msg)
        if size == self._journal_offset:
            return
        tail = _read_at(self._journal_fd, size - self._journal_offset, self._journal_offset)
        try:
            lines, length = _journal.scan(tail)
        except _journal.JournalDamage as exc:
            at = self._journal_offset + exc.offset
            raise self._corrupt(f"journal line at byte {at}: {exc.what}") from exc
        for offset, body in lines:
            try:
                record = json.loads(body)
            except ValueError as exc:
                at = self._journal_offset + offset
                raise self._corrupt(f"journal line at byte {at} is not JSON", exc) from exc
            if not isinstance(record, dict):
                at = self._journal_offset + offset
                raise self._corrupt(f"journal line at byte {at} is not a JSON object")
            self._apply_record(record)
        self._journal_offset += length

    def _apply_record(self, record: dict[str, Any]) -> None:
        revision = record.get("revision")
        if type(revision) is not int:
            raise self._corrupt(f"a journal entry has no revision number ({revision!r})")
        version = record.get("version", 2)
        if type(version) is not int or version < 1:
            raise self._corrupt(f"the journal entry of revision {revision} has no format version")
        if version > _snapshot.FORMAT_VERSION:
            raise self._newer(self.journal_path, version)
        if revision <= self._state.revision:
            return  # already part of the snapshot (a crash came before the journal was emptied)
        if revision != self._state.revision + 1:
            raise self._corrupt(
                f"the journal skips from revision {self._state.revision} to {revision}"
            )
        operations = []
        try:
            for op in record["ops"]:
                operation = self._operation(op, version)
                self._state.apply(operation)
                operations.append(operation)
        except CorruptStore:
            raise
        except _DAMAGE as exc:
            raise self._corrupt(
                f"the journal entry of revision {revision} cannot be applied", exc
            ) from exc
        self._state.revision = revision
        self._log.note(revision, operations)

    def _operation(self, op: dict[str, Any], version: int) -> Operation:
        name = op["op"]
        structure = self._converter.structure

        def record(kind: str) -> Any:  # noqa: ANN401 - one of the stored classes
            payload = op[_PAYLOAD_KEYS[kind]]
            if version < _snapshot.FORMAT_VERSION:
                wrapped = {"format": _snapshot.FORMAT, "version": version, kind: [payload]}
                payload = _snapshot.migrate(wrapped, version)[kind][0]
            return self._checked(structure(payload, _KINDS[kind]))

        builders: dict[str, Callable[[], Any]] = {
            "add": lambda: record("customers"),
            "update": lambda: (record("customers"), _whole(op["expected_version"])),
            "delete": lambda: uuid.UUID(op["id"]),
            "put_category": lambda: record("categories"),
            "delete_category": lambda: uuid.UUID(op["id"]),
            "put_custom_field": lambda: record("custom_fields"),
            "put_record": lambda: (
                self._checked(structure(op["record"], RECORD_KINDS[op["kind"]])),
                None if op["expected_version"] is None else _whole(op["expected_version"]),
            ),
        }
        if name in builders:
            return (name, builders[name]())
        msg = f"unknown operation {name!r}"
        raise ValueError(msg)

    # -- re-sealing ----------------------------------------------------------------

    def _reseal(self) -> None:
        """Under the lock: check every record of the snapshot as it is, then write it anew."""
        if self._read_header() is None:
            msg = f"There is no book at {self.path} to reseal."
            params = {"book": str(self.path), "rule": "missing"}
            raise StorageError(msg, code="storage.reseal", params=params)
        _, data, version = self._read_snapshot(verify=False)
        data.setdefault("generation", 0)
        state = StoreState(self._customer_from_record)
        generation = self._filled(state, data, version)
        problems = [
            f"{describe(customer)}: {str(problem).rstrip('.')}"
            for customer in map(self._structured_customer, state.customer_records())
            for problem in structural_problems(customer)
        ]
        if problems:
            listed = "; ".join(problems[:10])
            more = f"; and {len(problems) - 10} more" if len(problems) > 10 else ""  # noqa: PLR2004
            msg = (
                f"The book {self.path} cannot be resealed: {listed}{more}. Correct these "
                "and reseal again; the file was left as it is."
            )
            params = {"book": str(self.path), "reason": f"{listed}{more}", "rule": "problems"}
            raise CorruptStore(msg, code="storage.reseal", params=params)
        self._state = state
        self._log.restart(state.revision)
        self._generation = generation
        self._journal_offset = 0
        self._replay_journal()
        try:
            self._write_snapshot()
        except OSError as exc:
            msg = f"The book {self.path} could not be resealed: {os_sentence(exc)}"
            params = {"book": str(self.path), "reason": os_sentence(exc)}
            raise StorageError(msg, code="storage.reseal", params=params) from exc

    def _structured_customer(self, value: Customer | dict[str, Any]) -> Customer:
        if isinstance(value, Customer):
            return value
        try:
            return self._converter.structure(value, Customer)
        except _DAMAGE as exc:
            number = value.get("number")
            raise self._corrupt(f"the record of customer {number!r} is not valid", exc) from exc

    # -- writing -------------------------------------------------------------------

    def _encode_op(self, operation: Operation, dumps: Callable[[Any], str]) -> str:
        """One operation of a journal line, as JSON text (customers kept for the snapshot)."""
        name, arg = operation
        unstructure = self._converter.unstructure
        if name in ("add", "update"):
            customer = arg[0] if name == "update" else arg
            text = dumps(unstructure(customer))
            self._written[customer.id.int] = (customer, text)
            if name == "update":
                return f'{{"op":"update","customer":{text},"expected_version":{int(arg[1])}}}'
            return f'{{"op":"add","customer":{text}}}'
        if name in ("delete", "delete_category"):
            return dumps({"op": name, "id": str(arg)})
        if name == "put_record":
            record, expected = arg
            return dumps(
                {
                    "op": name,
                    "kind": record.KIND,
                    "record": unstructure(record),
                    "expected_version": expected,
                }
            )
        key = "category" if name == "put_category" else "custom_field"
        return dumps({"op": name, key: unstructure(arg)})

    def _commit(self, operations: list[Operation]) -> None:
        dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        ops = ",".join(self._encode_op(op, dumps) for op in operations)
        revision = self._state.revision + 1
        body = f'{{"revision":{revision},"version":{_snapshot.FORMAT_VERSION},"ops":[{ops}]}}'
        line = _journal.encode(body.encode())
        try:
            self._append(line)
        except OSError as exc:
            self._written.clear()
            msg = (
                f"The commit to {self.journal_path} failed, so nothing was committed: "
                f"{os_sentence(exc)}"
            )
            params = {"journal": str(self.journal_path), "reason": os_sentence(exc)}
            raise StorageError(msg, code="storage.commit_failed", params=params) from exc
        self._state.revision += 1
        self._log.note(self._state.revision, operations)

    def _append(self, line: bytes) -> None:
        fd, offset = self._journal_fd, self._journal_offset
        if self._journal_size() != offset:
            os.ftruncate(fd, offset)  # cut off a torn line a crash left
            self._journal_known = -1
        try:
            _write_at(fd, line, offset)
            if self._fsync:
                _sync_data(fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, offset)
            self._journal_known = -1
            raise
        self._journal_known = offset + len(line)
        if self._folder_unsynced and self._fsync:
            fsync_folder(self._target.parent)
        self._folder_unsynced = False
        self._journal_offset = offset + len(line)

    def _maybe_compact(self) -> None:
        if self._journal_offset <= max(2 * self._snapshot_size, _MIN_JOURNAL_BYTES):
            return
        if self._compaction_wait > 0:
            self._compaction_wait -= 1  # backing off after failures
            return
        try:
            self._write_snapshot()
        except OSError as exc:  # the journal still holds every commit
            self._compaction_failed(exc)
        else:
            self._compaction_succeeded()

    def _compaction_failed(self, exc: OSError) -> None:
        self._compaction_failures += 1
        self._compaction_wait = min(2**self._compaction_failures, _MAX_COMPACTION_WAIT)
        self._compaction_error = f"The book {self.path} could not be compacted: {os_sentence(exc)}"
        self._compaction_failed_at = self._clock()
        _log.warning(
            "%s The journal %s keeps every commit (%s bytes); the next attempt comes after "
            "%s more commits.",
            self._compaction_error,
            self.journal_path,
            f"{self._journal_offset:,}",
            f"{self._compaction_wait:,}",
        )

    def _compaction_succeeded(self) -> None:
        if self._compaction_failures:
            _log.info(
                "The book %s was compacted again after %d failed attempts.",
                self.path,
                self._compaction_failures,
            )
        self._compaction_failures = 0
        self._compaction_wait = 0

    def _sections(self) -> Iterator[tuple[str, str]]:
        """The snapshot's keys after the header, each as JSON text."""
        unstructure = self._converter.unstructure
        state = self._state
        dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

        def lines(records: Iterator[Any]) -> str:
            rows = [dumps(r if isinstance(r, dict) else unstructure(r)) for r in records]
            return "[\n  " + ",\n  ".join(rows) + "\n ]" if rows else "[]"

        written = self._written

        def customer_lines(records: Iterator[Customer | dict[str, Any]]) -> str:
            rows = []
            for r in records:
                if isinstance(r, dict):
                    rows.append(dumps(r))
                    continue
                known = written.get(r.id.int)
                rows.append(
                    known[1] if known is not None and known[0] is r else dumps(unstructure(r))
                )
            return "[\n  " + ",\n  ".join(rows) + "\n ]" if rows else "[]"

        yield "categories", lines(iter(state.categories.values()))
        yield "custom_fields", lines(iter(state.fields.values()))
        yield "customers", customer_lines(state.customer_records())
        records = ",".join(
            f'\n  "{kind}": {lines(iter(items.values()))}' for kind, items in state.records.items()
        )
        yield "records", f"{{{records}}}"

    def _temporary_pattern(self) -> re.Pattern[str]:
        return re.compile(rf"\.{re.escape(self._target.name)}\.[0-9]+\.[0-9a-f]{{8}}\.tmp")

    def _remove_stale_temporaries(self) -> None:
        """Under the lock: delete snapshot temporaries a crashed process left behind.

        Snapshots are only written under the lock, so while we hold it no temporary file
        of this book can belong to a live writer. The pattern matches this book's
        temporaries only (``.book.json.<pid>.<8 hex digits>.tmp``), never another's.
        """
        pattern = self._temporary_pattern()
        prefix = f".{self._target.name}."
        with contextlib.suppress(OSError):
            for leftover in self._target.parent.iterdir():
                if leftover.name.startswith(prefix) and pattern.fullmatch(leftover.name):
                    with contextlib.suppress(OSError):
                        leftover.unlink()

    def _write_snapshot(self) -> None:
        """Replace the snapshot atomically with the current state, then empty the journal."""
        generation = self._generation + 1
        state = self._state
        header, body = _snapshot.encode(
            store_id=self._store_id,
            generation=generation,
            revision=state.revision,
            last_number=state.last_number,
            sections=self._sections(),
        )
        target = self._target
        temporary = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            with temporary.open("wb") as fh:
                fh.write(header)
                fh.write(body)
                fh.flush()
                if self._fsync:
                    os.fsync(fh.fileno())
            temporary.replace(target)
        except BaseException:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise
        if self._fsync:
            fsync_folder(target.parent)
            self._folder_unsynced = False
        self._header = header
        self._generation = generation
        self._snapshot_size = len(header) + len(body)
        self._written.clear()
        if self._journal_size() > 0:
            self._journal_known = -1
            try:
                os.ftruncate(self._journal_fd, 0)
                if self._fsync:
                    os.fsync(self._journal_fd)
            except OSError as exc:  # its lines are all in the snapshot; readers skip them
                _log.warning("The journal %s could not be emptied: %s", self.journal_path, exc)
                return
        self._journal_offset = 0


def _store_id(value: object) -> str:
    """The snapshot's store id: a UUID in its canonical text, or damage."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            if str(uuid.UUID(value)) == value:
                return value
    msg = f"its store_id {value!r} is not a UUID"
    raise ValueError(msg)


def _count(data: dict[str, Any], key: str) -> int:
    """A counter of the snapshot (``revision``, ...): a whole number from 0, or damage."""
    value = data[key]
    if type(value) is not int or not 0 <= value <= MAX_NUMBER:
        msg = f"its {key} {value!r} is not a whole number from 0 to {MAX_NUMBER:,}"
        raise ValueError(msg)
    return value


def _whole(value: object) -> int:
    """A version number from a journal line: a whole number, or damage."""
    if type(value) is not int:
        msg = f"the version {value!r} is not a whole number"
        raise TypeError(msg)
    return value


def _read_at(fd: int, size: int, offset: int) -> bytes:
    """Read ``size`` bytes from ``offset`` (the caller holds the locks)."""
    chunks = []
    while size > 0 and (chunk := _pread(fd, size, offset)):
        chunks.append(chunk)
        size -= len(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def _write_at(fd: int, data: bytes, offset: int) -> None:
    """Write all of ``data`` at ``offset`` (the caller holds the locks)."""
    view = memoryview(data)
    while view:
        written = _pwrite(fd, view, offset)
        view, offset = view[written:], offset + written


def _seek_and_read(fd: int, size: int, offset: int) -> bytes:  # pragma: no cover - Windows
    os.lseek(fd, offset, os.SEEK_SET)
    return os.read(fd, size)


def _seek_and_write(fd: int, data: memoryview, offset: int) -> int:  # pragma: no cover
    os.lseek(fd, offset, os.SEEK_SET)
    return os.write(fd, data)


_pread: Callable[[int, int, int], bytes] = getattr(os, "pread", _seek_and_read)
_pwrite: Callable[[int, memoryview, int], int] = getattr(os, "pwrite", _seek_and_write)


_sync_data = getattr(os, "fdatasync", os.fsync)
"""Flush a file's data (and the size that finds it) to disk: all a journal append needs."""
