"""Exporting customers to CSV and JSON with the column names the import reads."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from typing import IO

from debitor_core import Customer, CustomerBook, ValidationError
from debitor_core.exchange._csvfile import check_encoding, write_csv
from debitor_core.exchange._files import replacing
from debitor_core.exchange._forms import CellValue, cell_text, customer_values, export_columns

__all__ = ["export_csv", "export_json", "export_rows"]


def export_rows(
    book: CustomerBook,
    customers: Iterable[Customer] | None = None,
    *,
    include_private: bool = False,
) -> tuple[tuple[str, ...], list[dict[str, CellValue]]]:
    """The columns and one row per customer, JSON-ready.

    Args:
        book: The book the customers are in (for category names and custom fields).
        customers: Which customers (default: every customer, archived ones too, by
            number).
        include_private: Whether to add private notes, consent and the custom fields
            that hold personal data.

    Returns:
        The column names and the rows (a dict per customer, keyed by column).
    """
    columns = export_columns(book.fields(), include_private=include_private)
    names = {c.id: c.name for c in book.categories()}
    chosen = book.customers(archived=None) if customers is None else customers
    return columns, [customer_values(c, names, columns) for c in chosen]


def export_csv(
    book: CustomerBook,
    target: str | os.PathLike[str] | IO[str],
    customers: Iterable[Customer] | None = None,
    *,
    include_private: bool = False,
    delimiter: str = ",",
    encoding: str = "utf-8-sig",
) -> int:
    """Write customers as CSV, one row each, with the columns `import_csv` reads.

    Values a spreadsheet would run as a formula are neutralised (see
    `neutralise_formula`); phone numbers in E.164 form and amounts are written as they
    are. Lists (categories, other emails and phones, multi-choice values) are joined
    with ``"; "``.

    Args:
        book: The book.
        target: A path or an open text stream. A file at the path is replaced whole
            when every row is written: the rows go to a temporary file beside it,
            which is flushed to the disk and moved over it, so a failure half way (a
            full disk, an interrupt) leaves the old file as it was.
        customers: Which customers (default: all, archived ones too).
        include_private: Whether to add private notes, consent and personal-data
            custom fields.
        delimiter: ``,`` (default), ``;`` or a tab.
        encoding: For a path: default UTF-8 with a byte-order mark, so that spreadsheets
            read the accents right.

    Returns:
        The number of customers written.

    Raises:
        ValidationError: with a path, ``encoding`` is no text encoding
            (``file.encoding``, rule ``unknown``) or cannot write a value (rule
            ``unwritable``, naming the row, the column and the character); the file is
            then not touched.
        OSError: the file cannot be written (a missing folder, no permission, a full
            disk); a file already at the path is left as it was.
    """
    columns, rows = export_rows(book, customers, include_private=include_private)
    lines = [[cell_text(row[c]) for c in columns] for row in rows]
    if isinstance(target, str | os.PathLike):
        check_encoding(encoding)
        _check_writable(columns, lines, encoding)
    return write_csv(target, columns, lines, delimiter=delimiter, encoding=encoding)


def _check_writable(columns: Sequence[str], lines: Sequence[Sequence[str]], encoding: str) -> None:
    """Refuse an export whose values ``encoding`` cannot write, before the file is opened.

    Written anyway, each such character would become ``?``: ``Bērziņš`` in Latin-1
    would come back from the file as ``B?rzi??``.
    """
    for number, line in enumerate(lines, 2):
        for column, text in zip(columns, line, strict=True):
            try:
                text.encode(encoding)
            except UnicodeEncodeError as exc:
                bad = text[exc.start]
                params = {
                    "rule": "unwritable",
                    "encoding": encoding,
                    "row": number,
                    "column": column,
                    "character": f"{bad!r} (U+{ord(bad):04X})",
                }
                error = ValidationError.single("file.encoding", None, text, column, params=params)
                raise error from exc


def export_json(
    book: CustomerBook,
    target: str | os.PathLike[str] | IO[str],
    customers: Iterable[Customer] | None = None,
    *,
    include_private: bool = False,
) -> int:
    """Write customers as a JSON array of objects keyed by the columns `import_csv` reads.

    Lists stay JSON arrays, the customer number a number, ``archived`` a boolean;
    amounts and dates are strings, exactly as stored. A file at a path is replaced whole,
    as `export_csv` replaces it.

    Returns:
        The number of customers written.

    Raises:
        OSError: the file cannot be written; a file already at the path is left as it
            was.
    """
    _, rows = export_rows(book, customers, include_private=include_private)
    text = json.dumps(rows, ensure_ascii=False, indent=1)
    if isinstance(target, str | os.PathLike):
        with replacing(target, encoding="utf-8") as out:
            out.write(text + "\n")
    else:
        target.write(text + "\n")
    return len(rows)
