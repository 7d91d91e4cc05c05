"""An inter-process lock on a file, cheap enough to take on every commit.

On POSIX systems it is ``flock`` on a descriptor. After taking it, the lock checks that
the file it locked is still the one at the path (same device and inode). A lock file
that was removed or replaced in the meantime, by a temp cleaner, a sync tool or a
person, is dropped, and the file now at the path is opened and locked instead: a
process that kept a descriptor of a removed file never believes it holds the lock that
newcomers take on the new file.

Where ``flock`` is missing (Windows) the filelock package locks the file; Windows does
not let a file that is open be removed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

__all__ = ["InterProcessLock", "LockTimeout"]


class LockTimeout(Exception):
    """The lock was not free within the timeout."""


_BINARY = getattr(os, "O_BINARY", 0)
"""No newline translation where the system has it (Windows)."""

try:
    import fcntl

    _HAVE_FLOCK = True
except ImportError:  # pragma: no cover - Windows
    _HAVE_FLOCK = False


class InterProcessLock:
    """An exclusive lock on ``path`` shared by every process that opens the same file.

    The descriptor is reopened after a fork, so parent and child never share a lock.
    The lock is not reentrant; the store serialises its threads before taking it.

    Args:
        path: The file to lock (created when first taken).
        timeout: Seconds `acquire` waits by default.
        keep_open: Keep the descriptor between acquisitions (a sidecar lock file), or
            close it on `release` (a data file whose descriptor is used while locked).
    """

    def __init__(self, path: Path, timeout: float, *, keep_open: bool = True) -> None:
        """Prepare a lock on ``path``; nothing is opened yet."""
        self.path = path
        self.timeout = timeout
        self.keep_open = keep_open
        self.created = False
        """Whether the file was created by this lock (when it last opened it)."""
        self._fd: int | None = None
        self._pid = 0
        self._fallback: Any = None
        if not _HAVE_FLOCK and keep_open:  # pragma: no cover - Windows
            import filelock  # noqa: PLC0415 - only needed where flock is missing

            self._fallback = filelock.FileLock(path, timeout=timeout, thread_local=False)

    def _descriptor(self) -> int:
        if self._fd is None or self._pid != os.getpid():
            self._fd, self.created = self._open()
            self._pid = os.getpid()
        return self._fd

    def _open(self) -> tuple[int, bool]:
        """Open the file, creating it if needed; say whether this call created it."""
        while True:  # another process may create or remove it between our two calls
            try:
                return os.open(self.path, os.O_RDWR | _BINARY), False
            except FileNotFoundError:
                pass
            try:
                return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL | _BINARY, 0o666), True
            except FileExistsError:
                pass

    def acquire(self, deadline: float | None = None) -> int:
        """Take the lock, waiting until ``deadline`` (a `time.monotonic` value).

        Args:
            deadline: When to give up; by default ``timeout`` seconds from now.

        Returns:
            The locked file's descriptor, valid until `release`.

        Raises:
            LockTimeout: another process held it all that time.
            OSError: the file cannot be opened or created.
        """
        if deadline is None:
            deadline = time.monotonic() + self.timeout
        if self._fallback is not None:  # pragma: no cover - Windows
            import filelock  # noqa: PLC0415

            try:
                self._fallback.acquire(timeout=max(deadline - time.monotonic(), 0))
            except filelock.Timeout as exc:
                raise LockTimeout from exc
            return -1
        if not _HAVE_FLOCK:  # pragma: no cover - Windows: the sidecar lock serialises
            return self._descriptor()
        pause = 0.0005
        while True:
            fd = self._descriptor()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockTimeout from None
                time.sleep(pause)
                pause = min(pause * 2, 0.05)
                continue
            if self._still_at_path(fd):
                return fd
            self._drop()  # removed or replaced after we opened it: lock the file there now

    def _still_at_path(self, fd: int) -> bool:
        held = os.fstat(fd)
        try:
            here = self.path.stat()
        except FileNotFoundError:
            return False
        return (held.st_dev, held.st_ino) == (here.st_dev, here.st_ino)

    def _drop(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)  # closing lets the lock go
        self._fd = None

    def release(self) -> None:
        """Let the lock go."""
        if self._fallback is not None:  # pragma: no cover - Windows
            self._fallback.release()
            return
        if self._fd is None or self._pid != os.getpid():
            return
        if self.keep_open:
            if _HAVE_FLOCK:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        else:
            self._drop()

    def remove_if_created(self) -> None:
        """While holding the lock: delete the file if this lock created it and it is empty.

        A store that refuses to open leaves no file behind. Another process waiting for
        the lock finds the file gone once it gets it, and opens a new one.
        """
        fd = self._fd
        if not self.created or fd is None or self._pid != os.getpid():
            return
        if os.fstat(fd).st_size == 0 and self._still_at_path(fd):
            self.path.unlink()

    def close(self) -> None:
        """Close the descriptor (the lock must not be held)."""
        self._drop()
