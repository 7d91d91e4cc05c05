"""CSV files of customers: encodings, delimiters, and values a spreadsheet would run.

Reading checks the whole file before anything is imported: that it decodes, that the
CSV is well formed, and how many rows it has. Writing neutralises every value a
spreadsheet would take for a formula; reading turns them back, so what is exported is
imported unchanged.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final

import attrs

from debitor_core import ValidationError
from debitor_core.exchange._files import replacing

if TYPE_CHECKING:
    import _csv

__all__ = [
    "CsvFormat",
    "CsvTable",
    "Source",
    "check_encoding",
    "neutralise_formula",
    "restore_formula",
    "write_csv",
]

Source = str | os.PathLike[str] | bytes
"""A file to read: a path, or the file's bytes (an upload)."""

DELIMITERS: Final = (",", ";", "\t")
_BOMS: Final = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    # UTF-32's before UTF-16's: UTF-32-LE's mark (FF FE 00 00) starts with UTF-16-LE's.
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_WIDE: Final = frozenset({"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"})
_END: Final = "\udc80"
"""Fed to the CSV reader after the file's last line: no decoded text holds a lone
surrogate, so this comes back alone when the file ended outside quotes, and at the end
of the last cell when a quote was left open."""
_NUMBER: Final = re.compile(r"[+-]\d[\d .,]*")
_FORMULA_STARTS: Final = frozenset("=@\t\r")


def _runs_as_formula(text: str) -> bool:
    """Whether a spreadsheet would take ``text`` for a formula.

    It starts with ``=``, ``@``, a tab or a carriage return, or with ``+`` or ``-`` when
    the rest is not a number (``+37120000000`` and ``-12.50`` are left alone). Blank
    text (a lone tab, say) runs nothing, and stays blank so a blank row stays blank.
    """
    if not text.strip():
        return False
    first = text[0]
    if first in _FORMULA_STARTS:
        return True
    return first in "+-" and _NUMBER.fullmatch(text) is None


def neutralise_formula(text: str) -> str:
    r"""Return ``text`` as a spreadsheet shows it without running it.

    A value a spreadsheet would run as a formula gets a leading ``'``; so does a value
    that already starts with ``'`` followed by such a value, so that `restore_formula`
    gives back exactly the original.

    >>> neutralise_formula("=HYPERLINK(\\"x\\")")
    '\\'=HYPERLINK("x")'
    >>> neutralise_formula("+37120000000"), neutralise_formula("-12.50")
    ('+37120000000', '-12.50')
    """
    return "'" + text if _runs_as_formula(text.lstrip("'")) else text


def restore_formula(text: str) -> str:
    """Undo `neutralise_formula`: ``restore_formula(neutralise_formula(x)) == x``.

    >>> restore_formula("'=1+1"), restore_formula("'Ozols")
    ('=1+1', "'Ozols")
    """
    if text[:1] == "'" and _runs_as_formula(text.lstrip("'")):
        return text[1:]
    return text


@attrs.frozen
class CsvFormat:
    """How a CSV file is written.

    Attributes:
        encoding: The Python codec that reads it (``utf-8-sig`` when it starts with a
            UTF-8 byte-order mark).
        delimiter: ``,``, ``;`` or a tab.
    """

    encoding: str = "utf-8"
    delimiter: str = ","

    @property
    def label(self) -> str:
        """The encoding as people name it (``UTF-8``, ``cp1257``)."""
        name = codecs.lookup(self.encoding).name
        return {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16"}.get(name, name)


def _detect_delimiter(line: str) -> str:
    """The delimiter that occurs most often outside quotes in the header line."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def check_encoding(name: str) -> str:
    """The codec's own name; refuse a name no codec has, or a codec that reads no text.

    Some codecs turn bytes into bytes (``hex``, ``base64``, ``zlib``) or text into text
    (``rot13``): a text stream refuses them, so they are no encoding a file is in.
    """
    try:
        found = codecs.lookup(name).name
        io.TextIOWrapper(io.BytesIO(), encoding=found)  # raises LookupError for those
    except LookupError:
        params = {"rule": "unknown", "encoding": name}
        raise ValidationError.single("file.encoding", None, name, params=params) from None
    return found


def _refuse_wide_text(start: bytes, encoding: str, name: str) -> None:
    """Refuse UTF-16 or UTF-32 without a byte-order mark read with an 8-bit codec.

    UTF-8 and the code pages would read it without an error, a zero byte beside each
    letter; no CSV header starts with a zero byte, so one among the first bytes names
    the encoding the file is in.
    """
    if encoding in _WIDE or 0 not in start[:2]:
        return
    if start[1:4] == b"\0\0\0":
        wide = "utf-32-le"
    elif start[:3] == b"\0\0\0":
        wide = "utf-32-be"
    else:
        wide = "utf-16-le" if start[1:2] == b"\0" else "utf-16-be"
    params = {"rule": "no_bom", "file": name, "encoding": wide}
    raise ValidationError.single("file.encoding", None, name, params=params)


class CsvTable:
    """A CSV file of customers, checked from end to end when opened.

    Opening decodes and parses the whole file once (without keeping its rows), so
    that a wrong encoding, a broken quote or an empty file is reported before anything
    is imported. `rows` then reads it again, row by row.

    Args:
        source: The file's path, or its bytes.
        encoding: The text encoding (default UTF-8). A byte-order mark at the start
            (UTF-8 or UTF-16) always wins.
        name: What to call the file in messages (default: its path).

    Attributes:
        name: The file as messages name it.
        format: The encoding and delimiter found.
        header: The column names of the first row.
        row_count: Rows below the header that are not blank.

    Raises:
        ValidationError: the file cannot be read, is empty, does not decode, or is
            not well-formed CSV (codes ``file.unreadable``, ``file.empty``,
            ``file.encoding``, ``file.format``): among others a UTF-16 file without
            its byte-order mark read as UTF-8 (rule ``no_bom``), and a quote left open
            at the end of the file (rule ``open_quote``, with the line it opens on).
    """

    def __init__(
        self, source: Source, *, encoding: str | None = None, name: str | None = None
    ) -> None:
        """Open and check ``source``; see the class docstring."""
        self._source = source
        self.name = name or ("the file" if isinstance(source, bytes) else str(source))
        with self._open() as raw:
            start = raw.read(4)
        if start.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
            params = {"rule": "workbook", "file": self.name}
            raise ValidationError.single("file.format", None, self.name, params=params)
        wanted = check_encoding(encoding or "utf-8")
        chosen = next((codec for bom, codec in _BOMS if start.startswith(bom)), None)
        if chosen is None:
            chosen = "utf-8-sig" if wanted == "utf-8" else wanted
            _refuse_wide_text(start, wanted, self.name)
        self.format = CsvFormat(chosen, ",")
        self.header: tuple[str, ...] = ()
        self.row_count = 0
        self._reader: _csv.Reader | None = None  # the reader in use, for the line it reached
        self._scan()

    def _open(self) -> IO[bytes]:
        if isinstance(self._source, bytes):
            return io.BytesIO(self._source)
        try:
            return Path(self._source).open("rb")
        except OSError as exc:
            reason = exc.strerror or str(exc)
            params = {"file": self.name, "reason": reason}
            raise ValidationError.single("file.unreadable", None, self.name, params=params) from exc

    def _records(self, text: IO[str], *, to_the_end: bool = False) -> Iterator[list[str]]:
        """The file's records; ``to_the_end`` (the scan) also refuses a quote left open."""
        self._reader = None
        first = text.readline()
        if not self.header:
            self.format = attrs.evolve(self.format, delimiter=_detect_delimiter(first))
        if not to_the_end:  # rows(): the scan has checked the end
            plain = itertools.chain([first], text)
            self._reader = csv.reader(plain, delimiter=self.format.delimiter)
            yield from self._reader
            return
        ended = False

        def lines() -> Iterator[str]:
            nonlocal ended
            yield first
            yield from text
            ended = True  # a codec such as unicode_escape could give the marker too
            yield _END

        reader = self._reader = csv.reader(lines(), delimiter=self.format.delimiter)
        start = 1
        for record in reader:
            if ended and record == [_END]:
                return
            if ended and record and record[-1].endswith(_END):
                params = {"rule": "open_quote", "file": self.name, "line": start}
                raise ValidationError.single("file.format", None, self.name, params=params)
            yield record
            start = reader.line_num + 1

    def _scan(self) -> None:
        count = 0
        header: list[str] | None = None
        with self._text() as text:
            for record in self._guarded(self._records(text, to_the_end=True)):
                if header is None:
                    header = record
                elif "".join(record).strip():
                    count += 1
        if header is None or not any(cell.strip() for cell in header):
            params = {"file": self.name}
            raise ValidationError.single("file.empty", None, self.name, params=params)
        self.header = tuple(cell.strip() for cell in header)
        self.row_count = count

    def _text(self) -> io.TextIOWrapper:
        return io.TextIOWrapper(self._open(), encoding=self.format.encoding, newline="")

    def _guarded(self, records: Iterable[list[str]]) -> Iterator[list[str]]:
        """Translate decoding and CSV errors into our error, with the line they are near."""
        try:
            yield from records
        except UnicodeDecodeError as exc:
            line, byte = self._decoding_error()
            params = {"file": self.name, "encoding": self.format.label, "line": line}
            params["byte"] = byte
            raise ValidationError.single("file.encoding", None, self.name, params=params) from exc
        except UnicodeError as exc:  # a decoder that names no byte (utf-16 without its mark)
            params = {"rule": "codec", "file": self.name, "encoding": self.format.label}
            params["reason"] = str(exc)
            raise ValidationError.single("file.encoding", None, self.name, params=params) from exc
        except csv.Error as exc:
            line = self._line()
            params = {"rule": "csv", "file": self.name, "line": line, "reason": str(exc)}
            raise ValidationError.single("file.format", None, self.name, params=params) from exc

    def _decoding_error(self) -> tuple[int, str]:
        """The line and the byte (as hex) where the file stops decoding."""
        decoder = codecs.getincrementaldecoder(self.format.encoding)("strict")
        line = 1
        with self._open() as raw:
            while True:
                chunk = raw.read(1 << 16)
                try:
                    text = decoder.decode(chunk, final=not chunk)
                except UnicodeDecodeError as exc:
                    line += exc.object[: exc.start].count(b"\n")
                    return line, exc.object[exc.start : exc.start + 1].hex().upper()
                if not chunk:
                    return line, "??"  # pragma: no cover - the file decoded this time
                line += text.count("\n")

    def _line(self) -> int:
        return self._reader.line_num if self._reader is not None else 0

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """Each row below the header that is not blank: its row number and its cells.

        Row numbers count as a spreadsheet does: the header is row 1. Cells come with
        their spreadsheet protection removed (see `restore_formula`).
        """
        with self._text() as text:
            records = self._guarded(self._records(text))
            next(records)
            for number, record in enumerate(records, 2):
                joined = "".join(record)
                if not joined.strip():
                    continue
                if "'" in joined:
                    record = [restore_formula(c) if c[:1] == "'" else c for c in record]  # noqa: PLW2901
                yield number, record


def write_csv(
    target: str | os.PathLike[str] | IO[str],
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8-sig",
) -> int:
    """Write rows as CSV, neutralising values a spreadsheet would run; return the row count.

    Args:
        target: A path or an open text stream. A file at the path is replaced whole
            when every row is written (see `replacing`): a failure half way leaves it
            as it was.
        header: The column names.
        rows: The rows; ``None`` is written as an empty cell, anything else as ``str()``.
        delimiter: The delimiter.
        encoding: The encoding when ``target`` is a path (default UTF-8 with a
            byte-order mark, which spreadsheets need to read UTF-8).
    """

    def cell(value: object) -> str:
        return "" if value is None else neutralise_formula(str(value))

    def write(stream: IO[str]) -> int:
        writer = csv.writer(stream, delimiter=delimiter)
        writer.writerow([cell(name) for name in header])
        count = 0
        for row in rows:
            writer.writerow([cell(value) for value in row])
            count += 1
        return count

    if isinstance(target, str | os.PathLike):
        with replacing(target, encoding=encoding, errors="replace", newline="") as out:
            return write(out)
    return write(target)
