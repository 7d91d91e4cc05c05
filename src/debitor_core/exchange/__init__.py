r"""Customer lists in and out: CSV and JSON import and export, for host apps and the CLI.

>>> from debitor_core import CustomerBook
>>> from debitor_core.exchange import import_csv
>>> book = CustomerBook()
>>> data = "Name;E-mail;Country\\nSIA Koks;info@koks.lv;LV\\n".encode()
>>> report = import_csv(book, data)
>>> report.summary()
'1 created, 0 updated, 0 skipped, 0 rejected.'
>>> import_csv(book, data).summary()  # the same file again creates nothing new
'0 created, 0 updated, 1 skipped, 0 rejected.'

See ``docs/exchange.md`` for the columns, the names of other tools' exports that are
understood, encodings, matching, rejects and formula neutralisation.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from debitor_core import CustomerBook, Problem, ValidationError, rules
from debitor_core.exchange._columns import (
    COLUMNS,
    PRIVATE_COLUMNS,
    TARGETS,
    ColumnPlan,
    header_key,
    plan_columns,
)
from debitor_core.exchange._csvfile import (
    CsvFormat,
    CsvTable,
    Source,
    neutralise_formula,
    restore_formula,
)
from debitor_core.exchange._export import export_csv, export_json, export_rows
from debitor_core.exchange._forms import cell_text as _cell_text
from debitor_core.exchange._importer import (
    Action,
    ImportReport,
    OnDuplicate,
    Progress,
    RowOutcome,
)
from debitor_core.exchange._importer import run_import as _run_import

__all__ = [
    "COLUMNS",
    "PRIVATE_COLUMNS",
    "TARGETS",
    "Action",
    "ColumnPlan",
    "CsvFormat",
    "CsvTable",
    "ImportReport",
    "OnDuplicate",
    "RowOutcome",
    "check_columns",
    "export_csv",
    "export_json",
    "export_rows",
    "header_key",
    "import_csv",
    "import_records",
    "neutralise_formula",
    "plan_columns",
    "read_json_records",
    "restore_formula",
]

_LABELS = {
    "name": "name",
    "country": "country",
    "street": "street",
    "postal_code": "postal code",
    "city": "city",
    "region": "region",
    "email": "email address",
    "phone": "phone number",
    "tax_id": "VAT number",
    "company_id": "company registration number",
    "contact_person": "contact person",
    "kind": "kind of customer",
    "website": "website",
    "payment_terms": "payment terms",
    "currency": "currency",
    "language": "language",
    "categories": "category",
}


def _checked_country(country: str | None) -> str | None:
    if country is None:
        return None
    return rules.validate_country(country)


def check_columns(book: CustomerBook, plan: ColumnPlan, *, default_country: bool = False) -> None:
    """Refuse a file that lacks a column for a field the book requires.

    Raises:
        ValidationError: one ``file.columns`` problem per missing column.
    """
    missing = plan.missing(book.required, book.fields(), default_country=default_country)
    if not missing:
        return
    fields = {f.key: f for f in book.fields()}
    problems = []
    for target in missing:
        params: dict[str, object] = {"target": target}
        if target.startswith("custom_fields."):
            params["label"] = fields[target.split(".", 1)[1]].label
        else:
            params["subject"] = _LABELS.get(target, target)
        problems.append(Problem("header", "file.columns", value=target, params=params))
    raise ValidationError(problems)


def import_csv(
    book: CustomerBook,
    source: Source | CsvTable,
    *,
    mapping: Mapping[str, str] | None = None,
    encoding: str | None = None,
    on_duplicate: OnDuplicate = "skip",
    dry_run: bool = False,
    atomic: bool = False,
    country: str | None = None,
    author: str | None = None,
    progress: Progress | None = None,
    batch_size: int = 2000,
    name: str | None = None,
) -> ImportReport:
    """Import a CSV file of customers into ``book``.

    The header row names the columns: the standard names (`COLUMNS`), common English
    names, or those of Debitoor/SumUp Invoices, Stripe and Xero exports; ``mapping``
    overrides them. Each row is matched against the book by customer number, else VAT
    number, else email address; a row that matches is skipped (``on_duplicate="skip"``),
    updates the customer (``"update"``: blank cells change nothing), or is registered
    anyway (``"create"``). Within the file, a row that matches an earlier row is
    skipped. New customers are registered in batches of ``batch_size``.

    Unless ``on_duplicate`` is ``"update"`` (a file may then hold only the columns to
    change), a file must have a column for each field the book requires.

    Args:
        book: The book to import into.
        source: The file's path, its bytes, or a `CsvTable` already opened.
        mapping: Column name to field, such as ``{"Firma": "name", "Notes": "-"}``
            (``-`` ignores a column).
        encoding: The text encoding, default UTF-8 (a byte-order mark always wins);
            ``cp1257`` or ``latin-1`` for files saved by older spreadsheets. Not used
            when ``source`` is a `CsvTable`.
        on_duplicate: ``skip`` (default), ``update`` or ``create``.
        dry_run: Change nothing; the report says what would happen to each row.
        atomic: Store nothing unless every row can be stored.
        country: The country of rows that have none.
        author: Who imports (recorded on notes the rows carry).
        progress: Called now and then with the rows handled and the rows in all.
        batch_size: How many new customers are registered per commit.
        name: What to call the file in messages (default: its path).

    Returns:
        The report: one outcome per row, and the counts.

    Raises:
        ValidationError: the file cannot be read, or lacks a column the book requires
            (codes ``file.*``, ``mapping.*``); nothing was stored.
    """
    table = source
    if not isinstance(table, CsvTable):
        table = CsvTable(table, encoding=encoding, name=name)
    plan = plan_columns(table.header, book.fields(), mapping)
    code = _checked_country(country)
    if on_duplicate != "update":
        check_columns(book, plan, default_country=code is not None)
    return _run_import(
        book,
        table.rows(),
        plan,
        source=table.name,
        on_duplicate=on_duplicate,
        dry_run=dry_run,
        atomic=atomic,
        country=code,
        author=author,
        batch_size=batch_size,
        total=table.row_count,
        progress=progress,
        csv_format=table.format,
    )


def import_records(
    book: CustomerBook,
    records: Iterable[Mapping[str, object]],
    *,
    source: str = "the records",
    mapping: Mapping[str, str] | None = None,
    on_duplicate: OnDuplicate = "skip",
    dry_run: bool = False,
    atomic: bool = False,
    country: str | None = None,
    author: str | None = None,
    progress: Progress | None = None,
    batch_size: int = 2000,
) -> ImportReport:
    """Import customers given as mappings of column name to value (such as JSON objects).

    Works as `import_csv` does; the columns are the keys of the records, in the order
    first seen. Values may be text, numbers, booleans, lists or ``None``; record 1 is
    reported as row 2, as if a header came first.
    """
    rows: list[Mapping[str, object]] = []
    header: dict[str, None] = {}
    for record in records:
        if not isinstance(record, Mapping):  # JSON from a caller may hold anything
            params = {"rule": "record", "shown": repr(record)[:60]}  # type: ignore[unreachable]
            raise ValidationError.single("file.format", None, source, params=params)
        rows.append(record)
        header.update(dict.fromkeys(str(k) for k in record))
    names: Sequence[str] = list(header)
    plan = plan_columns(names, book.fields(), mapping)
    code = _checked_country(country)
    if on_duplicate != "update":
        check_columns(book, plan, default_country=code is not None)
    cells = (
        (number, [_cell(record.get(name)) for name in names])
        for number, record in enumerate(rows, 2)
        if any(_cell(v).strip() for v in record.values())
    )
    return _run_import(
        book,
        cells,
        plan,
        source=source,
        on_duplicate=on_duplicate,
        dry_run=dry_run,
        atomic=atomic,
        country=code,
        author=author,
        batch_size=batch_size,
        total=len(rows),
        progress=progress,
    )


def _cell(value: object) -> str:
    if isinstance(value, list | tuple):
        return _cell_text([str(v) for v in value])
    if value is None or isinstance(value, bool | str):
        return _cell_text(value)
    return str(value)


class _DuplicateKeyError(ValueError):
    """An object of the JSON file names a key twice."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """An object of the file, refused when it names a key twice (JSON keeps only the last)."""
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKeyError(key)
            seen.add(key)
    return found


def read_json_records(path: str | os.PathLike[str]) -> list[Mapping[str, object]]:
    """Read a JSON file holding an array of objects (what `export_json` writes).

    Raises:
        ValidationError: the file cannot be read or is not such an array (codes
            ``file.unreadable``, ``file.encoding``, ``file.format``; rule
            ``json_depth`` for arrays or objects nested past Python's recursion limit,
            ``json_duplicate`` for an object that names a key twice).
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        params = {"file": str(path), "reason": str(exc.strerror or exc)}
        raise ValidationError.single("file.unreadable", None, str(path), params=params) from exc
    except UnicodeDecodeError as exc:
        params = {"file": str(path), "rule": "json"}
        raise ValidationError.single("file.encoding", None, str(path), params=params) from exc
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys)
    except _DuplicateKeyError as exc:
        params = {"file": str(path), "rule": "json_duplicate", "key": exc.key}
        raise ValidationError.single("file.format", None, str(path), params=params) from exc
    except ValueError as exc:
        params = {"file": str(path), "rule": "json", "reason": str(exc)}
        raise ValidationError.single("file.format", None, str(path), params=params) from exc
    except RecursionError as exc:  # arrays in arrays past the interpreter's limit
        params = {"file": str(path), "rule": "json_depth"}
        raise ValidationError.single("file.format", None, str(path), params=params) from exc
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        params = {"file": str(path), "rule": "json_array"}
        raise ValidationError.single("file.format", None, str(path), params=params)
    return data
