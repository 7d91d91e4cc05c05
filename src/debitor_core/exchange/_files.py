"""Writing an export file whole or not at all."""

from __future__ import annotations

import contextlib
import io
import os
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from debitor_core.storage._files import fsync_folder

__all__ = ["replacing"]


@contextlib.contextmanager
def replacing(
    path: str | os.PathLike[str],
    *,
    encoding: str,
    errors: str = "strict",
    newline: str | None = None,
) -> Iterator[IO[str]]:
    """Open a text stream whose contents replace the file at ``path`` when all is written.

    The stream writes a temporary file beside the target (``.NAME.<random>.tmp``); when
    the ``with`` block ends, it is flushed to the disk (``fsync``) and moved over the
    target (``os.replace``), so the target holds the old contents or the new ones, never
    part of either. If the block raises (a full disk, a value that cannot be written,
    an interrupt), the temporary file is removed and the target is as it was; a killed
    process cannot remove it, so it stays beside the target, never in its place.

    The new file keeps the permission bits of the one it replaces (a new one gets what
    a plain ``open`` gives it); a symbolic link is followed, and the file it names is
    replaced. What is no regular file (``/dev/null``, a FIFO) cannot be replaced: it is
    written in place, as ``open`` would.

    Args:
        path: The file to replace or create.
        encoding: The text encoding.
        errors: What the encoder does with a character it cannot write.
        newline: As `open` takes it.

    Raises:
        OSError: the temporary file cannot be created, written or moved (the target is
            then as it was).
    """
    target = Path(os.path.realpath(path))
    try:
        mode: int | None = target.stat().st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        with target.open("w", encoding=encoding, errors=errors, newline=newline) as stream:
            yield stream
        return
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        binary = os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), "wb")
        try:  # an unknown encoding fails here: the file is closed, then removed below
            stream = io.TextIOWrapper(binary, encoding=encoding, errors=errors, newline=newline)
        except BaseException:
            binary.close()
            raise
        with stream:
            if mode is not None:
                temporary.chmod(stat.S_IMODE(mode))
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        temporary.replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    with contextlib.suppress(OSError):  # replaced already: a durable move is best effort
        fsync_folder(target.parent)
