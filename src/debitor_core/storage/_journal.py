"""The journal lines of `JsonFileStore`: one committed transaction per line.

A line is ``<crc32> <json>`` and a line feed: the CRC-32 of the JSON text as eight
lowercase hexadecimal digits, one space, and the JSON text (which holds no line break).
A commit is acknowledged only after its whole line is on disk, so a crash can
leave at most one incomplete line, at the end and without its line feed: a *torn*
line, which readers skip and the next writer cuts off. Every line that ends in a line
feed must pass its checksum, and a last line whose only fault is the byte where its
line feed belongs is damage too, not a torn write.
"""

from __future__ import annotations

import zlib

__all__ = ["JournalDamage", "encode", "scan"]


class JournalDamage(ValueError):
    """A journal line is damaged; ``offset`` is where it starts in the scanned bytes."""

    def __init__(self, offset: int, what: str) -> None:
        """Record where the damaged line starts and what is wrong with it."""
        super().__init__(what)
        self.offset = offset
        self.what = what


def encode(body: bytes) -> bytes:
    """Return the journal line for a commit's JSON text (which holds no line break)."""
    return b"%08x %s\n" % (zlib.crc32(body), body)


def _body(line: bytes) -> bytes | None:
    """The JSON text of a line (without its line feed), or ``None`` if it fails its check."""
    if len(line) < 10 or line[8:9] != b" ":  # noqa: PLR2004 - eight digits and a space
        return None
    body = line[9:]
    if line[:8] != b"%08x" % zlib.crc32(body):
        return None
    return body


def scan(data: bytes) -> tuple[list[tuple[int, bytes]], int]:
    """Split journal bytes into checked lines.

    Args:
        data: The journal from some line's start to its end.

    Returns:
        Each complete line as ``(offset, json_text)``, and how many bytes they take
        (anything after that is a torn last line).

    Raises:
        JournalDamage: a complete line fails its checksum, or the last line is whole
            but the byte where its line feed belongs is damaged.
    """
    lines: list[tuple[int, bytes]] = []
    position = 0
    while (end := data.find(b"\n", position)) != -1:
        body = _body(data[position:end])
        if body is None:
            raise JournalDamage(position, "the line does not match its checksum")
        lines.append((position, body))
        position = end + 1
    rest = data[position:]
    if rest and _body(rest) is None and _body(rest[:-1]) is not None and rest[-1:] != b"\x00":
        raise JournalDamage(position, "the line is whole but its line feed is damaged")
    return lines, position
