"""What the file stores share: the folder a book lives in, and telling the two kinds apart."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from debitor_core._errors import StorageError

__all__ = ["SQLITE_MAGIC", "check_folder", "fsync_folder", "looks_like_json_book", "os_sentence"]

SQLITE_MAGIC: Final = b"SQLite format 3\x00"
"""The first 16 bytes of every SQLite database file."""


def check_folder(path: Path, *, create: bool, what: str) -> None:
    """Make sure the folder of ``path`` exists, creating it only when asked to.

    A typo in a folder name must not quietly start a new, empty book elsewhere, so a
    missing folder is refused unless the caller opts in.

    Args:
        path: The book's file.
        create: Create the folder (and its parents) when it is missing.
        what: How the file is named in the message (``book``, ``database``).

    Raises:
        StorageError: the folder is missing (and ``create`` is false), is not a folder,
            or cannot be created.
    """
    folder = path.parent
    if folder.is_dir():
        return
    params = {"folder": str(folder), "book": str(path)}
    suffix = "" if what == "book" else f"_{what}"
    if folder.exists():
        msg = f"{folder} is not a folder, so the {what} {path} cannot be kept in it."
        params["rule"] = f"not_folder{suffix}"
        raise StorageError(msg, code="storage.folder", params=params)
    if not create:
        msg = (
            f"The folder {folder} does not exist, so the {what} {path} cannot be opened or "
            "created there. Check the path, or create the folder first (or pass "
            "create_folder=True)."
        )
        params["rule"] = f"missing{suffix}"
        raise StorageError(msg, code="storage.folder", params=params)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        msg = f"The folder {folder} could not be created for the {what} {path}: {os_sentence(exc)}"
        params.update(reason=os_sentence(exc), rule=f"uncreatable{suffix}")
        raise StorageError(msg, code="storage.folder", params=params) from exc


def fsync_folder(folder: Path) -> None:
    """Make a rename or a new file in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def looks_like_json_book(start: bytes) -> bool:
    """Whether the first bytes of a file look like a debitor-core JSON book."""
    return start.lstrip()[:1] == b"{" and b"debitor-core/book" in start


def os_sentence(exc: OSError) -> str:
    """Say in a sentence why a file could not be used (for the end of a message)."""
    reason = exc.strerror or str(exc)
    if exc.filename is None:
        return f"the system reported: {reason}."
    name = exc.filename
    if isinstance(exc, IsADirectoryError):
        return f"{name} is a folder, where a file is needed; move the folder away."
    if isinstance(exc, PermissionError):
        return f"permission to use {name} was denied; check who owns it and its permissions."
    if isinstance(exc, FileNotFoundError):
        return f"{name} does not exist."
    return f"{name} could not be used ({reason})."
