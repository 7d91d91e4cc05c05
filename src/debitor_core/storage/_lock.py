"""An inter-process lock on a sidecar file, cheap enough to take on every commit."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

__all__ = ["InterProcessLock", "LockTimeout"]


class LockTimeout(Exception):
    """The lock was not free within the timeout."""


try:
    import fcntl

    _HAVE_FLOCK = True
except ImportError:  # pragma: no cover - Windows
    _HAVE_FLOCK = False


class InterProcessLock:
    """An exclusive lock on ``path`` shared by every process that opens the same file.

    On POSIX systems it is ``flock`` on a descriptor the lock keeps open (reopened after a
    fork, so parent and child never share a lock); elsewhere it uses the filelock package.
    The lock is not reentrant; the store serialises its threads before taking it.
    """

    def __init__(self, path: Path, timeout: float) -> None:
        """Prepare a lock on ``path`` (created when first taken)."""
        self.path = path
        self.timeout = timeout
        self._fd: int | None = None
        self._pid = 0
        self._fallback: Any = None
        if not _HAVE_FLOCK:  # pragma: no cover - Windows
            import filelock  # noqa: PLC0415 - only needed where flock is missing

            self._fallback = filelock.FileLock(path, timeout=timeout, thread_local=False)

    def _descriptor(self) -> int:
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            self._pid = os.getpid()
        return self._fd

    def acquire(self) -> None:
        """Take the lock, waiting up to the timeout.

        Raises:
            LockTimeout: another process held it all that time.
        """
        if self._fallback is not None:  # pragma: no cover - Windows
            import filelock  # noqa: PLC0415

            try:
                self._fallback.acquire()
            except filelock.Timeout as exc:
                raise LockTimeout from exc
            return
        fd = self._descriptor()
        deadline = time.monotonic() + self.timeout
        pause = 0.0005
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockTimeout from None
                time.sleep(pause)
                pause = min(pause * 2, 0.05)
            else:
                return

    def release(self) -> None:
        """Let the lock go."""
        if self._fallback is not None:  # pragma: no cover - Windows
            self._fallback.release()
            return
        if self._fd is not None and self._pid == os.getpid():
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Close the descriptor (the lock must not be held)."""
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)
        self._fd = None
