"""The snapshot file of `JsonFileStore`: its header, its checksum, its layout, its upgrades.

The snapshot is one JSON object a person can read, one record per line. Its first line
is the *header*::

    {"format":"debitor-core/book","version":4,"store_id":"5b0c...","generation":7,"revision":120,"checksum":"0c1d2e3f",

``store_id`` names the book's history (see `ChangeFeed.store_id`): made with the book,
kept by every snapshot written after, so a file replaced by another book is told apart.
``generation`` counts the snapshots ever written to the book, ``revision`` the commits
the snapshot holds, and ``checksum`` is the CRC-32 of the whole file computed with
those eight digits written as ``00000000``. The header identifies the snapshot by its
content: a reader that has loaded generation 7 reads the first line (a few hundred
bytes, no lock needed, since snapshots are only ever replaced whole by a rename) to
learn whether it is still current, whatever the file system says about times, sizes or
inodes. The rest of the file follows, one key per line::

     "last_number": 42,
     "categories": [...],
     "custom_fields": [...],
     "customers": [
      {"id":"...","number":1,...},
      ...
     ],
     "records": {"invoice": [...], ...}
    }

Versions 1 and 2 had no header or checksum, version 3 no store id; they are read and
upgraded (an upgraded book gets a new store id).
"""

from __future__ import annotations

import json
import os
import re
import uuid
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Final

from debitor_core._invoice import RECORD_KINDS

__all__ = [
    "CHECKSUM_SINCE",
    "FORMAT",
    "FORMAT_VERSION",
    "HEADER_BYTES",
    "MIGRATIONS",
    "NewerFormat",
    "SnapshotDamage",
    "decode",
    "encode",
    "header_line",
    "migrate",
    "read_header",
]

FORMAT: Final = "debitor-core/book"
"""The value of the header's ``format`` key."""

FORMAT_VERSION = 4
"""The version of the file format this release writes (snapshot and journal lines)."""

CHECKSUM_SINCE: Final = 3
"""The first format version whose snapshot has a header and a checksum."""

HEADER_BYTES: Final = 512
"""How much of the file a reader reads to find the header line."""

_HEADER: Final = re.compile(
    rb'\{"format":"debitor-core/book","version":([1-9][0-9]{0,8}),'
    rb'(?:"store_id":"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",)?'
    rb'"generation":(0|[1-9][0-9]{0,18}),"revision":(0|[1-9][0-9]{0,18}),'
    rb'"checksum":"([0-9a-f]{8})",\n'
)
_ZEROS: Final = b"00000000"


def _add_records(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 to 2: books gain invoices, payments, deliveries and reminder logs."""
    data.setdefault("records", {kind: [] for kind in RECORD_KINDS})
    return data


def _add_generation(data: dict[str, Any]) -> dict[str, Any]:
    """Version 2 to 3: the snapshot gains a header with a generation and a checksum."""
    data.setdefault("generation", 0)
    return data


def _add_store_id(data: dict[str, Any]) -> dict[str, Any]:
    """Version 3 to 4: the header gains the store id, for the change feed."""
    data.setdefault("store_id", str(uuid.uuid4()))
    return data


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {
    1: _add_records,
    2: _add_generation,
    3: _add_store_id,
}
"""Upgrades of the snapshot data: ``MIGRATIONS[n]`` turns version ``n`` into ``n + 1``.

Journal lines are upgraded by the same functions, wrapped in a one-record snapshot.
"""


class SnapshotDamage(ValueError):
    """The snapshot cannot be read; the message says why, as a clause.

    Attributes:
        edited: Whether the file is whole JSON that was changed after it was written
            (an edit a person may have made on purpose, which re-sealing accepts).
    """

    def __init__(self, message: str, *, edited: bool = False) -> None:
        """Create the error with its clause."""
        super().__init__(message)
        self.edited = edited


class NewerFormat(Exception):
    """The snapshot was written in a newer format version than this release reads."""

    def __init__(self, version: int) -> None:
        """Record the version found."""
        super().__init__(version)
        self.version = version


def read_header(path: Path) -> bytes | None:
    """Return the snapshot's first line (its identity), or ``None`` if there is no file.

    Reads at most `HEADER_BYTES`; a file without a line break there is identified by
    those bytes.

    Raises:
        OSError: the file exists but cannot be read.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        start = os.read(fd, HEADER_BYTES)
    finally:
        os.close(fd)
    end = start.find(b"\n")
    return start if end == -1 else start[: end + 1]


def header_line(raw: bytes) -> bytes:
    """The identity of a snapshot read whole (as `read_header` returns it)."""
    start = raw[:HEADER_BYTES]
    end = start.find(b"\n")
    return start if end == -1 else start[: end + 1]


def _checksum(parts: Iterable[bytes | memoryview]) -> int:
    crc = 0
    for part in parts:
        crc = zlib.crc32(part, crc)
    return crc


def decode(raw: bytes, *, verify: bool = True) -> tuple[dict[str, Any], int]:
    """Parse a snapshot and check its header and checksum.

    Args:
        raw: The whole file.
        verify: Check the header and the checksum (``False`` to re-seal a file a
            person edited on purpose).

    Returns:
        The data (every key of the JSON object) and its format version.

    Raises:
        SnapshotDamage: the file is damaged, edited, or not a book.
        NewerFormat: a newer debitor-core wrote it.
    """
    match = _HEADER.match(raw)
    if match is not None:
        if int(match[1]) > FORMAT_VERSION:
            raise NewerFormat(int(match[1]))
        at = match.start(4)
        view = memoryview(raw)
        expected = b"%08x" % _checksum((view[:at], _ZEROS, view[at + 8 :]))
        if verify and raw[at : at + 8] != expected:
            msg = "its checksum does not match its content, so it was changed after it was written"
            raise SnapshotDamage(msg, edited=True)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        msg = f"it is not complete, valid JSON ({exc})"
        raise SnapshotDamage(msg) from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        msg = f"it is not a debitor-core book (no format {FORMAT!r})"
        raise SnapshotDamage(msg)
    version = data.get("version")
    if type(version) is not int or version < 1:
        msg = f"its format version {version!r} is not a version number"
        raise SnapshotDamage(msg)
    if version > FORMAT_VERSION:
        raise NewerFormat(version)
    if verify and version >= CHECKSUM_SINCE and match is None:
        msg = "its first line is not the header debitor-core writes, so it was edited or damaged"
        raise SnapshotDamage(msg, edited=True)
    return data, version


def migrate(data: dict[str, Any], version: int) -> dict[str, Any]:
    """Upgrade snapshot data of ``version`` to `FORMAT_VERSION`, step by step."""
    while version < FORMAT_VERSION:
        data = MIGRATIONS[version](data)
        version += 1
        data["version"] = version
    return data


def encode(
    *,
    store_id: str,
    generation: int,
    revision: int,
    last_number: int,
    sections: Iterable[tuple[str, str]],
) -> tuple[bytes, bytes]:
    """Lay out and seal a snapshot.

    Args:
        store_id: The book's store id (a UUID as text).
        generation: The snapshot's generation.
        revision: The commits it holds.
        last_number: The highest customer number ever stored.
        sections: ``(key, json_text)`` for each further key, in order.

    Returns:
        The header line and the rest of the file.
    """
    head = b'{"format":"%s","version":%d,"store_id":"%s","generation":%d,"revision":%d,' % (
        FORMAT.encode(),
        FORMAT_VERSION,
        store_id.encode(),
        generation,
        revision,
    )
    head += b'"checksum":"'
    end_of_header = b'",\n'
    rest = f' "last_number": {last_number}'
    body = (rest + "".join(f',\n "{key}": {text}' for key, text in sections) + "\n}\n").encode()
    crc = _checksum((head, _ZEROS, end_of_header, body))
    return head + b"%08x" % crc + end_of_header, body
