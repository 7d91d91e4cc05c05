"""`JournalFile`: a book's journal as its store uses it, locked, read and appended to.

The store locks the journal (after the lock file) for every transaction and every
catch-up; while locked, `JournalFile` holds the descriptor the lock opened, the size
looked up through it (once, until something changes it), and `offset`, the end of the
lines the store has applied (its own commits included). It appends a commit's line
durably (`append`), reads the lines other processes added (`read_new`), and empties the
journal once a snapshot holds its lines (`empty`). The lines themselves (framing and
checksums) are `_journal`'s; their JSON is `BookCodec`'s.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

from debitor_core.storage._files import fsync_folder
from debitor_core.storage._json._disk import read_at, sync_data, write_at
from debitor_core.storage._lock import InterProcessLock

__all__ = ["JournalFile"]

_log = logging.getLogger("debitor_core.storage")


class JournalFile:
    """The journal of one book, and how much of it the store has applied.

    Args:
        path: The journal file.
        timeout: Seconds to wait for another process's lock.
        fsync: Whether appends wait for the disk.
    """

    def __init__(self, path: Path, timeout: float, *, fsync: bool) -> None:
        """Name the journal at ``path``; nothing is opened until `lock`."""
        self.path = path
        self._fsync = fsync
        self._lock = InterProcessLock(path, timeout, keep_open=False)
        self._fd = -1
        self._known = -1  # the journal's size while locked, once looked at
        self.offset = 0
        """The end of the lines applied to the store's state."""
        self.folder_unsynced = False
        """Whether the journal file was made anew and its folder not yet synced."""

    def lock(self, deadline: float) -> None:
        """Lock the journal (creating it if missing) by ``deadline`` (`time.monotonic`)."""
        self._fd = self._lock.acquire(deadline)
        if self._lock.created:
            self.folder_unsynced = True

    def unlock(self) -> None:
        """Release the lock (and forget the size looked up under it)."""
        self._fd = self._known = -1
        self._lock.release()

    def remove_if_created(self) -> None:
        """After a failed open: remove the journal if this store's lock created it empty."""
        self._lock.remove_if_created()

    def size(self) -> int:
        """The journal's size (under the lock, from the locked descriptor)."""
        if self._fd >= 0:
            if self._known < 0:
                self._known = os.fstat(self._fd).st_size
            return self._known
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def read_new(self, size: int) -> bytes:
        """Under the lock: the bytes after `offset`, up to ``size``."""
        return read_at(self._fd, size - self.offset, self.offset)

    def read_whole(self, size: int) -> bytes:
        """Under the lock: the journal's first ``size`` bytes, whatever has been applied."""
        return read_at(self._fd, size, 0)

    def append(self, line: bytes) -> None:
        """Under the lock: write ``line`` at `offset` and wait for the disk (with fsync).

        A torn line a crash left after `offset` is cut off first; if the write fails,
        the journal is cut back to `offset`, so it holds no part of ``line``.
        """
        fd, offset = self._fd, self.offset
        if self.size() != offset:
            os.ftruncate(fd, offset)  # cut off a torn line a crash left
            self._known = -1
        try:
            write_at(fd, line, offset)
            if self._fsync:
                sync_data(fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, offset)
            self._known = -1
            raise
        self._known = offset + len(line)
        if self.folder_unsynced and self._fsync:
            fsync_folder(self.path.parent)
        self.folder_unsynced = False
        self.offset = offset + len(line)

    def empty(self) -> None:
        """Under the lock, after a snapshot that holds its lines: empty the journal.

        If it cannot be emptied, it is left (and logged): readers skip lines the
        snapshot already holds.
        """
        if self.size() > 0:
            self._known = -1
            try:
                os.ftruncate(self._fd, 0)
                if self._fsync:
                    os.fsync(self._fd)
            except OSError as exc:  # its lines are all in the snapshot; readers skip them
                _log.warning("The journal %s could not be emptied: %s", self.path, exc)
                return
        self.offset = 0
