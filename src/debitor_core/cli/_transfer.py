"""Moving customers in and out: ``import``, ``export``, ``dump``, ``load``, ``migrate``."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final

from debitor_core.cli._app import App, Exit, Refused
from debitor_core.cli._customers import pairs
from debitor_core.cli._i18n import _, language, ngettext, number
from debitor_core.cli._store import UsageError, exists, is_postgres, open_store

if TYPE_CHECKING:
    from debitor_core import CustomerBook
    from debitor_core.exchange import ImportReport

__all__ = ["dump", "export_file", "import_file", "load", "migrate"]

_SHOWN_REJECTS: Final = 20


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[IO[str]]:
    """Write a file whole or not at all (`debitor_core.exchange._files.replacing`).

    A temporary file beside it, flushed to the disk, then moved over it, keeping the old
    file's permissions. A write that fails (a full disk, no permission) leaves the file
    as it was, removes the temporary file and is refused with a sentence (exit status 1).
    """
    from debitor_core.exchange._files import replacing as whole  # noqa: PLC0415

    try:
        with whole(path, encoding="utf-8", newline="") as stream:
            yield stream
    except OSError as exc:
        msg = _("The file {name} could not be written: {reason}. Nothing was changed there.")
        raise Refused(msg.format(name=path, reason=exc.strerror or exc)) from exc


def _writable(app: App, path: Path) -> None:
    """Refuse to write over the book's own files, or over what is not a regular file."""
    book = app.location
    if not is_postgres(book) and path.resolve() in {
        Path(book).resolve(),
        Path(book + ".journal").resolve(),
        Path(book + ".lock").resolve(),
    }:
        msg = _("{name} is the book itself; write the export to another file.").format(name=path)
        raise UsageError(msg)
    if path.exists() and not path.is_file():  # a folder, a FIFO, a device
        msg = _("{name} is not a regular file; name a file to write.").format(name=path)
        raise UsageError(msg)


def _output(app: App, name: str) -> Path:
    """The file an export or dump writes; refuse the book itself and existing files."""
    path = Path(name)
    _writable(app, path)
    if path.exists() and not app.args.force:
        msg = _("The file {name} exists; add --force to replace it.").format(name=name)
        raise Refused(msg, Exit.USAGE)
    if not path.parent.is_dir():
        msg = _("There is no folder {folder} to write {name} into.").format(
            folder=path.parent, name=path.name
        )
        raise UsageError(msg)
    return path


def import_file(app: App) -> int:
    """``import FILE``: customers from CSV (or a JSON array), row by row."""
    from debitor_core import CustomerBook  # noqa: PLC0415
    from debitor_core.exchange import (  # noqa: PLC0415
        CsvTable,
        check_columns,
        import_csv,
        import_records,
        plan_columns,
        read_json_records,
    )

    args = app.args
    path = Path(args.file)
    if not path.is_file():
        msg = _("There is no file {name} to import.").format(name=args.file)
        raise UsageError(msg)
    rejects = Path(args.rejects) if args.rejects else path.with_name(path.stem + ".rejects.csv")
    if rejects.resolve() == path.resolve():
        msg = _("--rejects names the file being imported; name another file.")
        raise UsageError(msg)
    _writable(app, rejects)
    mapping = pairs(args.map, "--map")
    options: dict[str, Any] = {
        "mapping": mapping,
        "on_duplicate": args.on_duplicate,
        "dry_run": args.dry_run,
        "atomic": args.atomic,
        "country": args.country,
        "author": args.author,
    }
    is_json = path.suffix.casefold() == ".json"
    records = read_json_records(path) if is_json else None
    table = None if is_json else CsvTable(path, encoding=args.encoding)
    made = _created_files(app.location) if not exists(app.location) else None
    if made is None:
        book = app.book()
    else:
        if table is not None:  # check the columns before the book is made
            scratch = CustomerBook(required=app.required())
            plan = plan_columns(table.header, (), mapping)
            check_columns(scratch, plan, default_country=args.country is not None)
        book = CustomerBook(required=app.required()) if args.dry_run else app.book(create=True)
    total = len(records) if records is not None else table.row_count if table else 0
    bar = app.console.progress(total, _("Importing {name}").format(name=path.name))
    try:
        if records is not None:
            report = import_records(book, records, source=str(path), progress=bar.update, **options)
        else:
            assert table is not None  # noqa: S101 - not JSON, so a table
            report = import_csv(book, table, progress=bar.update, **options)
    finally:
        bar.close()
        if made is not None and len(book) == 0:  # a book made for nothing is not kept
            app.close()
            made()
    return _report_import(app, report, rejects)


def _report_import(app: App, report: ImportReport, rejects: Path) -> int:
    console = app.console
    if report.plan.ignored:
        shown = ", ".join(repr(c) for c in report.plan.ignored)
        console.err(
            _("Columns not read: {columns} (read one with --map 'COLUMN=FIELD').").format(
                columns=shown
            )
        )
    if report.dry_run:
        for outcome in report.outcomes:
            console.out(outcome.describe(report.plan, dry_run=True, locale=language()))
    else:
        rejected = report.rejected_rows
        for outcome in rejected[:_SHOWN_REJECTS]:
            console.err(outcome.describe(report.plan, locale=language()))
        more = len(rejected) - _SHOWN_REJECTS
        if more > 0:
            console.err(
                ngettext(
                    "... and {count} more rejected row.",
                    "... and {count} more rejected rows.",
                    more,
                ).format(count=number(more))
            )
        if rejected:
            try:
                report.write_rejects(rejects, locale=language())
                console.err(
                    _("The rejected rows, each with its reason, are in {path}.").format(
                        path=rejects
                    )
                )
            except OSError as exc:
                console.err(
                    _("The rejected rows could not be written to {path}: {reason}.").format(
                        path=rejects, reason=exc.strerror
                    )
                )
    console.out(report.summary(language()))
    failed = report.rejected or not report.committed
    return Exit.REFUSED if failed else Exit.DONE


def export_file(app: App) -> int:
    """``export FILE``: customers to .csv or .json, with the columns import reads."""
    from debitor_core.exchange import export_csv, export_json  # noqa: PLC0415

    args = app.args
    suffix = Path(args.file).suffix.casefold()
    if suffix not in (".csv", ".json"):
        msg = _("export writes .csv or .json files; {name} is neither.").format(name=args.file)
        raise UsageError(msg)
    book = app.book()
    path = _output(app, args.file)
    customers = book.search(
        category=args.category or None,
        match="all" if args.all_categories else "any",
        country=args.country,
        city=args.city,
        custom_fields=pairs(args.field, "--field") or None,
        archived=False if args.without_archived else None,
    )
    with replacing(path) as stream:
        if suffix == ".json":
            count = export_json(book, stream, customers, include_private=args.include_private)
        else:
            stream.write("\ufeff")
            delimiter = "\t" if args.delimiter == "tab" else args.delimiter
            count = export_csv(
                book, stream, customers, include_private=args.include_private, delimiter=delimiter
            )
    if args.include_private:
        done = ngettext(
            "Exported {count} customer to {path} (with private notes, consent and "
            "personal-data fields).",
            "Exported {count} customers to {path} (with private notes, consent and "
            "personal-data fields).",
            count,
        )
    else:
        done = ngettext(
            "Exported {count} customer to {path}.", "Exported {count} customers to {path}.", count
        )
    app.console.out(done.format(count=number(count), path=path))
    return Exit.DONE


def dump(app: App) -> int:
    """``dump FILE``: the whole book as JSON, private data included.

    The file holds what `CustomerBook.export` gives; ``load`` reads it back.
    """
    book = app.book()
    path = _output(app, app.args.file)
    data = book.export(include_private=True)
    with replacing(path) as stream:
        json.dump(data, stream, ensure_ascii=False, indent=1)
        stream.write("\n")
    app.console.out(_("Wrote {counts} to {path}.").format(counts=_counts(data), path=path))
    return Exit.DONE


def _counts(data: dict[str, Any]) -> str:
    customers = len(data.get("customers", []))
    categories = len(data.get("categories", []))
    fields = len(data.get("custom_fields", []))
    records = sum(len(items) for items in data.get("records", {}).values())
    parts = [
        ngettext("{count} customer", "{count} customers", customers),
        ngettext("{count} category", "{count} categories", categories),
        ngettext("{count} custom field", "{count} custom fields", fields),
    ]
    counts = [customers, categories, fields]
    if records:
        parts.append(ngettext("{count} record", "{count} records", records))
        counts.append(records)
    said_parts = [p.format(count=number(n)) for p, n in zip(parts, counts, strict=True)]
    # TRANSLATORS: the last two of a list: "1 category and 2 custom fields".
    last = _("{first} and {second}").format(first=said_parts[-2], second=said_parts[-1])
    return ", ".join([*said_parts[:-2], last])


class _DuplicateKeyError(ValueError):
    """An object of a dump names a key twice (JSON would keep only the last value)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise _DuplicateKeyError(key)
            seen.add(key)
    return found


def load(app: App) -> int:
    """``load FILE``: a dump into the book (all or nothing)."""
    path = Path(app.args.file)
    if not path.is_file():  # a folder, a FIFO that would block, /dev/zero that never ends
        msg = _("There is no file {path} to load.").format(path=path)
        raise UsageError(msg)
    try:
        data = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_unique_keys)
    except _DuplicateKeyError as exc:
        msg = _(
            "The file {path} is not a dump made by 'debitor dump': an object in it names "
            "the key {key} twice."
        ).format(path=path, key=repr(exc.key))
        raise Refused(msg) from exc
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        msg = _("The file {path} is not a dump made by 'debitor dump' ({reason}).").format(
            path=path, reason=exc
        )
        raise Refused(msg) from exc
    except RecursionError as exc:
        msg = _(
            "The file {path} is not a dump made by 'debitor dump': it nests arrays or "
            "objects too deeply."
        ).format(path=path)
        raise Refused(msg) from exc
    if not isinstance(data, dict) or not isinstance(data.get("customers"), list):
        msg = _(
            "The file {path} is not a dump made by 'debitor dump': it has no customers list."
        ).format(path=path)
        raise Refused(msg)
    made = _created_files(app.location) if not exists(app.location) else None
    book = app.book(create=True)
    try:
        customers = book.import_data(data)
    except BaseException:
        if made is not None:  # a book made for a refused load is not kept
            app.close()
            made()
        raise
    app.console.out(
        _("Loaded {counts} into {book} ({new} new).").format(
            counts=_counts(data), book=app.location, new=number(len(customers))
        )
    )
    return Exit.DONE


def migrate(app: App) -> int:
    """``migrate --to PATH``: copy the book into a new (or empty) store, and check the copy."""
    from debitor_core import CustomerBook  # noqa: PLC0415

    args = app.args
    source = app.book()
    target_path = args.to
    if not is_postgres(target_path) and Path(target_path).resolve() == Path(app.location).resolve():
        msg = _("--to names the book itself; name a new book.")
        raise UsageError(msg)
    data = source.export(include_private=True)
    created = _created_files(target_path)
    store = open_store(target_path, book_id=args.to_book_id, create=True)
    try:
        _copy(CustomerBook(store, required=app.required()), data, target_path)
    except BaseException:
        store.close()
        created()
        raise
    store.close()
    app.console.out(
        _("Copied {counts} from {book} to {target}.").format(
            counts=_counts(data), book=app.location, target=target_path
        )
    )
    return Exit.DONE


def _copy(target: CustomerBook, data: dict[str, Any], where: str) -> None:
    """Import ``data`` into the empty book ``target``; check the copy is exact."""
    if len(target) or target.categories() or target.fields():
        msg = _("The book at {book} is not empty; migrate copies into a new or empty book.").format(
            book=where
        )
        raise Refused(msg)
    target.import_data(data)
    if target.export(include_private=True) != data:  # pragma: no cover - a store bug
        msg = _("The copy at {book} differs from the book; do not use it.").format(book=where)
        raise Refused(msg, Exit.UNAVAILABLE)


def _created_files(location: str) -> Callable[[], None]:
    """Remember which of a file book's files exist now; the result removes the others."""
    if is_postgres(location):
        return lambda: None
    paths = [Path(location + suffix) for suffix in ("", ".journal", ".lock")]
    new = [p for p in paths if not p.exists()]

    def remove() -> None:
        for path in new:
            path.unlink(missing_ok=True)

    return remove
