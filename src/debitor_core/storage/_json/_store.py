"""`JsonFileStore`: the store, its reads, change feed, transactions, opening and catching up.

It holds the book's state in memory (`StoreState`) and the files' locks; it reads the
snapshot and replays the journal under the lock, commits a transaction as one journal
line, and writes a new snapshot when `Compaction` says so. The JSON of the records is
`BookCodec`'s (``_codec.py``), the journal file is a `JournalFile`
(``_journal_file.py``), the snapshot is replaced through ``_disk.py``, and the
sentences of its errors are in ``_errors.py``. The layout of the files is described in
the package's docstring (``__init__.py``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Self, TypeVar

from debitor_core._category import Category
from debitor_core._errors import CorruptStore, MissingSnapshot
from debitor_core._fields import CustomFieldDefinition
from debitor_core._integrity import describe, structural_problems
from debitor_core._invoice import Record
from debitor_core._model import Customer, utc_now
from debitor_core.storage import _snapshot
from debitor_core.storage._feed import ChangeSet
from debitor_core.storage._files import SQLITE_MAGIC, check_folder
from debitor_core.storage._json import _errors as errors
from debitor_core.storage._json._codec import DAMAGE, SECTIONS, BookCodec, checked_store_id
from debitor_core.storage._json._compaction import Compaction, JsonStoreStatus
from debitor_core.storage._json._disk import remove_stale_temporaries, replace_snapshot
from debitor_core.storage._json._journal_file import JournalFile
from debitor_core.storage._json._transaction import CheckedTransaction
from debitor_core.storage._lock import InterProcessLock, LockTimeout
from debitor_core.storage._memory import (
    DEFAULT_RETENTION,
    ChangeLog,
    Operation,
    StateTransaction,
    StoreState,
    checked_retention,
)

__all__ = ["JsonFileStore"]

R = TypeVar("R", bound=Record)


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
                    remove_stale_temporaries(self._target)
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
        self._codec = BookCodec(self.path)
        self._thread_lock = threading.RLock()
        self._file_lock = InterProcessLock(self.lock_path, timeout)
        self._journal = JournalFile(self.journal_path, timeout, fsync=fsync)
        self._state = StoreState()
        self._store_id = str(uuid.uuid4())  # a new book's; an existing one's is read
        self._log = ChangeLog(DEFAULT_RETENTION)
        self._header: bytes | None = None
        self._generation = 0
        self._snapshot_size = 0
        self._closed = False
        self._in_transaction = False
        self._compaction = Compaction(self.path, self.journal_path, clock)

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
            tx = CheckedTransaction(self._state)
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
                self._compaction.failed(exc, self._journal.offset)
                raise errors.compaction_failed(self.path, exc) from exc
            self._compaction.succeeded()

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
                journal_bytes=self._journal.offset,
                revision=state.revision,
                generation=self._generation,
                compaction_failures=self._compaction.failures,
                last_compaction_error=self._compaction.error,
                last_compaction_failed_at=self._compaction.failed_at,
            )

    def verify(self) -> None:
        """Read both files again and check everything in them, changing nothing.

        Opening the book checks the snapshot's checksum and every record but the
        customers, which are built and checked when first read; the files may also
        have been damaged since they were read. This reads the snapshot and the journal
        from disk again, under the store's locks, checks the snapshot's checksum, builds
        and checks every category, custom field, record and customer and every journal
        line (a line the snapshot already holds too), and applies the journal to a
        throwaway copy of the book. The store's own copy, its change feed and the files
        are left as they are. It takes memory and time in proportion to the book, as
        opening it does. Inside a transaction of this thread it checks the files as last
        committed.

        Raises:
            CorruptStore: the files are damaged, or a record breaks an invariant; the
                message names the first damage found, as opening the book would.
            MissingSnapshot: the snapshot has disappeared.
            UnsupportedFormatVersion: a newer debitor-core has written the files since.
            StorageError: the files cannot be read or locked, or the store is closed.
            StoreLocked: another process held the lock longer than the timeout.
        """
        with self._thread_lock:
            if self._in_transaction:  # this thread's: it holds both locks already
                self._verify_files()
                return
            with self._locked():
                self._verify_files()

    def _verify_files(self) -> None:
        """Under the locks: `verify`, into a state of its own."""
        if self._read_header() is None:
            raise self._missing_snapshot("has disappeared while it was open")
        data, version = self._read_snapshot()[1:]  # not the file's bytes: they are checked
        state = StoreState(self._codec.customer_from_record)
        self._filled(state, data, version)
        del data  # the state holds the customers' records: nothing else is kept
        size = self._journal.size()
        if size > 0:
            entries, _ = self._codec.journal_entries(self._journal.read_whole(size), 0)
            for record in entries:
                self._apply_record(state, record, check_skipped=True)
        build = self._codec.customer_from_record
        for value in state.customer_records():
            if isinstance(value, dict):  # not built by the journal's updates: built here
                build(value)

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
            raise errors.unreadable(self.path, exc) from exc
        if start == SQLITE_MAGIC:
            raise errors.sqlite_file(self.path)

    def _open_book(self) -> None:
        """Under the lock: load the book, or create it if there is none."""
        header = self._read_header()
        if header is None:
            if self._journal.size() > 0:
                raise self._missing_snapshot("is missing")
            self._write_snapshot()  # a new, empty book
            return
        self._load()

    def _remove_created_files(self) -> None:
        """Under the lock, after a failed open: remove the empty files this open created."""
        with contextlib.suppress(OSError):
            self._journal.remove_if_created()
        with contextlib.suppress(OSError):
            self._file_lock.remove_if_created()

    def _missing_snapshot(self, how: str) -> MissingSnapshot:
        return errors.missing_snapshot(self.path, self.journal_path, self._journal.size(), how)

    # -- locking and catching up ---------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self._thread_lock:
            if self._closed:
                raise errors.closed(self.path)
            deadline = time.monotonic() + self._timeout
            try:
                self._file_lock.acquire(deadline)
                try:
                    self._journal.lock(deadline)
                except BaseException:
                    if self._header is None:  # still opening: leave no lock file behind
                        with contextlib.suppress(OSError):
                            self._file_lock.remove_if_created()
                    self._file_lock.release()
                    raise
            except LockTimeout:
                raise errors.locked(self.path, self._timeout) from None
            except OSError as exc:
                raise errors.lock_failed(self.path, exc) from exc
            try:
                yield
            finally:
                self._journal.unlock()
                self._file_lock.release()

    def _read_header(self) -> bytes | None:
        try:
            return _snapshot.read_header(self._target)
        except OSError as exc:
            raise errors.unreadable(self.path, exc) from exc

    def _fresh(self) -> None:
        """Catch up if another process changed the files since we read them.

        Without the lock: the snapshot's header line says which snapshot is there (it
        is replaced whole, by a rename), and the journal's size whether commits were
        added. Only when either changed is the lock taken, to read what changed.
        """
        if self._in_transaction:
            return
        if self._closed:
            raise errors.closed(self.path)
        try:
            header = _snapshot.read_header(self._target)
            journal = self.journal_path.stat().st_size
        except OSError:
            header, journal = None, -1  # let the locked refresh say what is wrong
        if header != self._header or journal != self._journal.offset:
            with self._locked():
                self._refresh()

    def _refresh(self) -> None:
        """Under the lock: reload the snapshot if it changed, then replay the journal."""
        header = self._read_header()
        if header is None:
            raise self._missing_snapshot("has disappeared while it was open")
        if header != self._header:
            self._load()
        elif self._journal.size() != self._journal.offset:
            self._replay_journal()

    # -- reading -------------------------------------------------------------------

    def _read_snapshot(self, *, verify: bool = True) -> tuple[bytes, dict[str, Any], int]:
        try:
            raw = self._target.read_bytes()
        except OSError as exc:
            raise errors.unreadable(self.path, exc) from exc
        try:
            data, version = _snapshot.decode(raw, verify=verify)
        except _snapshot.SnapshotDamage as exc:
            raise errors.edited_or_damaged(self.path, exc) from exc
        except _snapshot.NewerFormat as exc:
            raise errors.newer(self.path, exc.version) from None
        return raw, data, version

    def _load(self) -> None:
        """Under the lock: read the snapshot into a new state, then replay the journal."""
        raw, data, version = self._read_snapshot()
        state = StoreState(self._codec.customer_from_record)
        generation, self._store_id = self._filled(state, data, version)
        self._state = state
        self._codec.written.clear()  # another process's snapshot holds what we wrote
        self._log.restart(state.revision)
        self._header = _snapshot.header_line(raw)
        self._generation = generation
        self._snapshot_size = len(raw)
        self._journal.offset = 0
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
            raise errors.upgrade_failed(self.path, version, exc) from exc

    def _filled(self, state: StoreState, data: dict[str, Any], version: int) -> tuple[int, str]:
        """Upgrade the snapshot's data and fill ``state`` with it.

        Returns:
            The snapshot's generation and store id.
        """
        data = _snapshot.migrate(data, version)
        for key in ("last_number", "revision", "generation", "store_id", *SECTIONS):
            if key not in data:
                raise self._corrupt(f"it has no {key!r} key")
        try:
            store_id = checked_store_id(data["store_id"])
            return self._codec.fill(state, data), store_id
        except CorruptStore:
            raise
        except DAMAGE as exc:
            raise self._corrupt("a record in it is not valid", exc) from exc

    def _corrupt(self, what: str, exc: BaseException | None = None) -> CorruptStore:
        return errors.corrupt(self.path, what, exc)

    def _replay_journal(self) -> None:
        """Under the lock: apply the journal's complete lines after the ones applied."""
        journal = self._journal
        size = journal.size()
        if size < journal.offset:
            msg = (
                f"its journal {self.journal_path} was cut short by something other than "
                "debitor-core"
            )
            raise self._corrupt(msg)
        if size == journal.offset:
            return
        entries, length = self._codec.journal_entries(journal.read_new(size), journal.offset)
        state = self._state
        for record in entries:
            operations = self._apply_record(state, record)
            if operations is not None:
                self._log.note(state.revision, operations)
        journal.offset += length

    def _apply_record(
        self, state: StoreState, record: dict[str, Any], *, check_skipped: bool = False
    ) -> list[Operation] | None:
        """Apply one journal entry to ``state``; return its operations (``None``: skipped).

        An entry at or before the state's revision is already part of the snapshot (a
        crash came before the journal was emptied) and is skipped; with
        ``check_skipped`` (`verify`), its operations are still read and checked.
        """
        revision = record.get("revision")
        if type(revision) is not int:
            raise self._corrupt(f"a journal entry has no revision number ({revision!r})")
        version = record.get("version", 2)
        if type(version) is not int or version < 1:
            raise self._corrupt(f"the journal entry of revision {revision} has no format version")
        if version > _snapshot.FORMAT_VERSION:
            raise errors.newer(self.journal_path, version)
        if revision <= state.revision:
            if check_skipped:
                self._operations(record, revision, version, None)
            return None
        if revision != state.revision + 1:
            raise self._corrupt(f"the journal skips from revision {state.revision} to {revision}")
        operations = self._operations(record, revision, version, state)
        state.revision = revision
        return operations

    def _operations(
        self, record: dict[str, Any], revision: int, version: int, state: StoreState | None
    ) -> list[Operation]:
        """The checked operations of a journal entry, each applied to ``state`` if given."""
        operations = []
        try:
            for op in record["ops"]:
                operation = self._codec.operation(op, version)
                if state is not None:
                    state.apply(operation)
                operations.append(operation)
        except CorruptStore:
            raise
        except DAMAGE as exc:
            raise self._corrupt(
                f"the journal entry of revision {revision} cannot be applied", exc
            ) from exc
        return operations

    # -- re-sealing ----------------------------------------------------------------

    def _reseal(self) -> None:
        """Under the lock: check every record of the snapshot as it is, then write it anew."""
        if self._read_header() is None:
            raise errors.nothing_to_reseal(self.path)
        _, data, version = self._read_snapshot(verify=False)
        data.setdefault("generation", 0)
        state = StoreState(self._codec.customer_from_record)
        generation, self._store_id = self._filled(state, data, version)
        problems = [
            f"{describe(customer)}: {str(problem).rstrip('.')}"
            for customer in map(self._codec.structured_customer, state.customer_records())
            for problem in structural_problems(customer)
        ]
        if problems:
            raise errors.not_resealable(self.path, problems)
        self._state = state
        self._log.restart(state.revision)
        self._generation = generation
        self._journal.offset = 0
        self._replay_journal()
        try:
            self._write_snapshot()
        except OSError as exc:
            raise errors.reseal_failed(self.path, exc) from exc

    # -- writing -------------------------------------------------------------------

    def _commit(self, operations: list[Operation]) -> None:
        line = self._codec.journal_line(self._state.revision + 1, operations)
        try:
            self._journal.append(line)
        except OSError as exc:
            self._codec.written.clear()
            raise errors.commit_failed(self.journal_path, exc) from exc
        self._state.revision += 1
        self._log.note(self._state.revision, operations)

    def _maybe_compact(self) -> None:
        if not self._compaction.due(self._journal.offset, self._snapshot_size):
            return
        try:
            self._write_snapshot()
        except OSError as exc:  # the journal still holds every commit
            self._compaction.failed(exc, self._journal.offset)
        else:
            self._compaction.succeeded()

    def _write_snapshot(self) -> None:
        """Replace the snapshot atomically with the current state, then empty the journal."""
        generation = self._generation + 1
        state = self._state
        header, body = _snapshot.encode(
            store_id=self._store_id,
            generation=generation,
            revision=state.revision,
            last_number=state.last_number,
            sections=self._codec.sections(state),
        )
        replace_snapshot(self._target, header, body, fsync=self._fsync)
        if self._fsync:
            self._journal.folder_unsynced = False
        self._header = header
        self._generation = generation
        self._snapshot_size = len(header) + len(body)
        self._codec.written.clear()
        self._journal.empty()
