"""The bytes of a `JsonFileStore`'s files: positional reads and writes, atomic replacement.

- `read_at`, `write_at`: read or write the journal at an offset through its locked
  descriptor (``pread``/``pwrite``, or seek and read/write where those are missing);
  `sync_data` flushes what an append wrote.
- `replace_snapshot`: write a new snapshot to a temporary file beside the old one, flush
  it, and move it over the old one (``os.replace``), so a reader sees the old file or
  the new one, never half of one.
- `remove_stale_temporaries`: delete the temporary files a crashed writer left.

The caller holds the store's locks for all of them.
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections.abc import Callable
from pathlib import Path

from debitor_core.storage._files import fsync_folder

__all__ = ["read_at", "remove_stale_temporaries", "replace_snapshot", "sync_data", "write_at"]


def read_at(fd: int, size: int, offset: int) -> bytes:
    """Read ``size`` bytes from ``offset`` (the caller holds the locks)."""
    chunks = []
    while size > 0 and (chunk := _pread(fd, size, offset)):
        chunks.append(chunk)
        size -= len(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def write_at(fd: int, data: bytes, offset: int) -> None:
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


sync_data = getattr(os, "fdatasync", os.fsync)
"""Flush a file's data (and the size that finds it) to disk: all a journal append needs."""


def replace_snapshot(target: Path, header: bytes, body: bytes, *, fsync: bool) -> None:
    """Replace the file ``target`` atomically with ``header`` and ``body``.

    With ``fsync``, the data and then the folder are synced. If anything fails, the
    temporary file is removed and ``target`` is as it was.
    """
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with temporary.open("wb") as fh:
            fh.write(header)
            fh.write(body)
            fh.flush()
            if fsync:
                os.fsync(fh.fileno())
        temporary.replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    if fsync:
        fsync_folder(target.parent)


def _temporary_pattern(target: Path) -> re.Pattern[str]:
    return re.compile(rf"\.{re.escape(target.name)}\.[0-9]+\.[0-9a-f]{{8}}\.tmp")


def remove_stale_temporaries(target: Path) -> None:
    """Under the lock: delete snapshot temporaries a crashed process left behind.

    Snapshots are only written under the lock, so while we hold it no temporary file
    of this book can belong to a live writer. The pattern matches this book's
    temporaries only (``.book.json.<pid>.<8 hex digits>.tmp``), never another's.
    """
    pattern = _temporary_pattern(target)
    prefix = f".{target.name}."
    with contextlib.suppress(OSError):
        for leftover in target.parent.iterdir():
            if leftover.name.startswith(prefix) and pattern.fullmatch(leftover.name):
                with contextlib.suppress(OSError):
                    leftover.unlink()
