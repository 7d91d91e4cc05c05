"""What a row of `PostgresStore` holds: JSON text and a checksum, checked both ways.

Every row keeps its object as JSON text (the one converter's form) and a CRC-32 of that
text. Writing checks the object's structure first (`debitor_core._integrity`, as every
durable store does: `ValidationError`, nothing written). Reading checks the checksum,
builds the object, checks that the key columns agree with it and checks its structure
again, so that a row damaged or edited outside debitor-core (even with a right checksum)
is refused with `CorruptStore` rather than loaded.

The columns outside the JSON that decide what a reader sees have checksums of their own
(`row_checksum`, schema 4): the book's row (its revision, last number, feed revisions and
horizon, store id and fold stamp: `BookRow`), each tombstone (its id and deleted
revision), the order columns of categories, custom fields and records
(``added_revision``, ``added_seq``: ``order_checksum``, written once, when the row is
added, since an update keeps its place), and the revision that last wrote a customer or
a record, which the change feed reads by (``changed_revision``: ``changed_checksum``,
written with every write of the row).

A bulk import writes its rows in ``COPY``'s text format itself (`copy_fields`,
`copy_text`, `array_literal`): one string a row, far cheaper than a
driver's row-by-row dumping.
"""

from __future__ import annotations

import json
import uuid
import zlib
from collections.abc import Callable, Sequence
from typing import Any, Final, NamedTuple, TypeVar

import cattrs

from debitor_core._category import Category
from debitor_core._converter import make_converter
from debitor_core._errors import CorruptStore, DebitorError
from debitor_core._fields import CustomFieldDefinition
from debitor_core._i18n import render_message
from debitor_core._integrity import check_structure, structural_problems
from debitor_core._invoice import RECORD_KINDS, Record
from debitor_core._model import Customer

__all__ = [
    "BOOK_COLUMNS",
    "CHANGED_COLUMNS",
    "ORDER_COLUMNS",
    "RECORD_COLUMNS",
    "BookRow",
    "Dumped",
    "RowCodec",
    "array_literal",
    "book_checksum",
    "changed_checksum",
    "changed_sealer",
    "copy_fields",
    "copy_text",
    "copy_value",
    "order_checksum",
    "row_checksum",
    "tombstone_checksum",
]

T = TypeVar("T")
_Where = tuple[str, str]
"""Which row: what it holds (``customer``, ``invoice``) and its key as shown."""

_DAMAGE: Final = (
    KeyError,
    TypeError,
    ValueError,
    AttributeError,
    DebitorError,
    cattrs.BaseValidationError,
)
"""What building an object from damaged JSON can raise; each becomes `CorruptStore`."""


def _json_writer() -> Callable[[object], str]:
    """``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``, the same text, faster.

    `json.JSONEncoder.encode` builds a new C encoder on every call and tracks each
    container against cycles (converter data holds none): a third of its cost for a
    customer. This builds the C encoder once, without the tracking.
    """
    encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)
    try:
        from _json import encode_basestring, make_encoder  # noqa: PLC0415 - CPython's C part
    except ImportError:  # pragma: no cover - CPython always has it
        return encoder.encode
    chunks = make_encoder(  # as `json.JSONEncoder.iterencode` makes it, without cycle markers
        None,
        encoder.default,
        encode_basestring,
        None,
        encoder.key_separator,
        encoder.item_separator,
        encoder.sort_keys,
        encoder.skipkeys,
        encoder.allow_nan,
    )
    return lambda value: "".join(chunks(value, 0))


def row_checksum(*values: object) -> int:
    """The CRC-32 of some columns of a row, each written as ``str()`` does, joined by US.

    ``None`` is written as a NUL, which no text column of PostgreSQL can hold. The first
    value names what the checksum is of (``"book"``, ``"deleted"``, ``"order"``), so that
    the checksum of one kind of row never fits another.
    """
    text = "\x1f".join("\x00" if value is None else str(value) for value in values)
    return zlib.crc32(text.encode("utf-8", "surrogatepass"))


ORDER_COLUMNS: Final = "added_revision, added_seq, order_checksum"
"""The order columns of a category, custom-field or record row, and their checksum."""

CHANGED_COLUMNS: Final = "changed_revision, changed_checksum"
"""The revision that last wrote a customer or record row, and its checksum."""

RECORD_COLUMNS: Final = f"key, version, data, checksum, {ORDER_COLUMNS}, {CHANGED_COLUMNS}"
"""The columns a record is read from, in `RowCodec.record`'s order."""

BOOK_COLUMNS: Final = (
    "store_id, revision, last_number, categories_revision, custom_fields_revision, "
    "feed_horizon, fold_version, unicode_version, checksum"
)
"""The columns the book's row is read from: `BookRow`'s fields, then its checksum."""


class BookRow(NamedTuple):
    """The book's row (``debitor_book``) but its id and checksum, once its checksum matched."""

    store_id: uuid.UUID
    revision: int
    last_number: int
    categories_revision: int
    custom_fields_revision: int
    feed_horizon: int
    fold_version: int | None
    unicode_version: str | None


def book_checksum(book_id: str, row: BookRow) -> int:
    """The checksum of the book's row: its id and every column of ``row``."""
    return row_checksum("book", book_id, *row)


def tombstone_checksum(book_id: str, customer_id: object, deleted_revision: object) -> int:
    """The checksum of a tombstone (``debitor_customer_deleted``): every column it has."""
    return row_checksum("deleted", book_id, customer_id, deleted_revision)


def order_checksum(book_id: str, key: Sequence[object], revision: object, seq: object) -> int:
    """The checksum of a row's place: its book, its key columns and its order columns.

    ``key`` is the row's table as `RowCodec` names it (``category``, ``custom-field``,
    ``record``) and its key columns (a record's kind and key).
    """
    return row_checksum("order", book_id, *key, revision, seq)


def changed_checksum(book_id: str, key: Sequence[object], revision: object) -> int:
    """The checksum of the revision that last wrote a row (``changed_revision``).

    ``key`` is the row's table as `RowCodec` names it (``customer``, ``record``) and its
    key columns (a customer's id; a record's kind and key). The change feed reads rows
    by this revision: moved back, a change would be hidden from its readers.
    """
    return row_checksum("changed", book_id, *key, revision)


def changed_sealer(book_id: str, table: str, revision: int) -> Callable[[str], int]:
    """`changed_checksum` of the rows of ``table`` one import writes at ``revision``, by key.

    The same checksum, made cheaply for ``COPY``'s hot path: the CRC-32 of the text
    before the key and after it is worked out once, so each row costs two ``crc32``
    calls on its key. ``key`` is the one key column as `str` writes it (a customer id).
    """
    head = zlib.crc32(f"changed\x1f{book_id}\x1f{table}\x1f".encode("utf-8", "surrogatepass"))
    tail = f"\x1f{revision}".encode()
    crc32 = zlib.crc32

    def seal(key: str) -> int:
        return crc32(tail, crc32(key.encode("utf-8", "surrogatepass"), head))

    return seal


class Dumped(NamedTuple):
    """A stored object's JSON-ready data, its JSON text and the text's checksum."""

    data: Any
    text: str
    checksum: int


class RowCodec:
    """Turns stored objects into (JSON text, checksum) and checked rows back into objects.

    Args:
        book: How messages name the book (``the book 'shop-1'``).
        book_id: The book's id, which the checksums of its rows cover (`row_checksum`).
    """

    def __init__(self, book: str, book_id: str = "") -> None:
        """Create the codec with a converter of its own."""
        self._book = book
        self._book_id = book_id
        self._converter = make_converter()
        self._customer = self._converter.get_unstructure_hook(Customer)
        self._encode = _json_writer()

    def dump(self, value: object) -> tuple[str, int]:
        """Return the JSON text of ``value`` and its checksum."""
        _, text, checksum = self.dumped(value)
        return text, checksum

    def dumped(self, value: object) -> Dumped:
        """Return the data of ``value`` (the converter's), its JSON text and the text's checksum.

        Raises:
            ValidationError: ``value`` breaks a structural invariant (`check_structure`):
                the store would refuse to load it.
        """
        check_structure(value)
        # A customer's hook straight away: the converter's dispatch costs 5% of it.
        if value.__class__ is Customer:
            data = self._customer(value)
        else:
            data = self._converter.unstructure(value)
        text = self._encode(data)
        # UTF-8 holds any text but a lone surrogate, which check_structure refused.
        return Dumped(data, text, zlib.crc32(text.encode()))

    def load(self, kind: type[T], data: object, checksum: object, where: _Where) -> T:
        """Return the ``kind`` object a row holds, or raise `CorruptStore`.

        Args:
            kind: `Customer`, `Category`, `CustomFieldDefinition` or a record class.
            data: The row's JSON text.
            checksum: The row's stored checksum.
            where: Which row, for the message: what it holds and its key
                (``("customer", "3f2a…")``).
        """
        if not isinstance(data, str) or not isinstance(checksum, int):
            raise self._damaged(where, "columns")
        if zlib.crc32(data.encode()) != checksum:
            raise self._damaged(where, "checksum")
        try:
            return self._converter.structure(json.loads(data), kind)
        except _DAMAGE as exc:
            raise self._damaged(where, "data", reason=str(exc)) from exc

    def customer(self, row: tuple[Any, ...]) -> Customer:
        """Return the customer of an ``(id, number, version, data, checksum, *changed)`` row.

        ``changed`` is `CHANGED_COLUMNS`: the revision that last wrote the row and its
        checksum.
        """
        row_id, number, version, data, checksum, changed, sealed = row
        where = ("customer", str(row_id))
        self._changed(where, ("customer", row_id), changed, sealed)
        customer = self.load(Customer, data, checksum, where)
        self._agree(
            where, (row_id, number, version), (customer.id, customer.number, customer.version)
        )
        return self._sound(where, customer)

    def category(self, row: tuple[Any, ...]) -> Category:
        """Return the category of an ``(id, data, checksum, *order)`` row (`ORDER_COLUMNS`)."""
        row_id, data, checksum, *order = row
        where = ("category", str(row_id))
        self._placed(where, ("category", row_id), order)
        category = self.load(Category, data, checksum, where)
        self._agree(where, (row_id,), (category.id,))
        return self._sound(where, category)

    def custom_field(self, row: tuple[Any, ...]) -> CustomFieldDefinition:
        """Return the definition of a ``(key, data, checksum, *order)`` row (`ORDER_COLUMNS`)."""
        key, data, checksum, *order = row
        where = ("custom-field", repr(key))
        self._placed(where, ("custom-field", key), order)
        definition = self.load(CustomFieldDefinition, data, checksum, where)
        self._agree(where, (key,), (definition.key,))
        return self._sound(where, definition)

    def record(self, kind: type[T], row: tuple[Any, ...]) -> T:
        """Return the record of a ``(key, version, data, checksum, *order, *changed)`` row.

        The row is `RECORD_COLUMNS`; its kind is ``kind``'s.
        """
        key, version, data, checksum, added, seq, placed, changed, sealed = row
        record_kind = getattr(kind, "KIND", "record")
        where = (record_kind, repr(key))
        self._placed(where, ("record", record_kind, key), (added, seq, placed))
        self._changed(where, ("record", record_kind, key), changed, sealed)
        record = self.load(kind, data, checksum, where)
        assert isinstance(record, Record)  # noqa: S101 - kind is a record class
        self._agree(where, (key, version), (record.key, record.version))
        return self._sound(where, record)

    def any_record(self, row: tuple[Any, ...]) -> Record:
        """Return the record of a ``(kind, *RECORD_COLUMNS)`` row."""
        kind = RECORD_KINDS.get(row[0])
        if kind is None:
            raise self._damaged(("record", repr(row[1])), "kind", kind=repr(row[0]))
        return self.record(kind, row[1:])

    def book(self, row: tuple[Any, ...]) -> BookRow:
        """Return the book's row of a `BOOK_COLUMNS` row, or raise `CorruptStore`.

        Its checksum covers every column, so a revision moved back (a commit hidden from
        the change feed), a last number lowered (a number handed out again) or any other
        edit is refused here, before a transaction or a read relies on it.
        """
        *values, checksum = row
        where = ("book", repr(self._book_id))
        if not isinstance(checksum, int) or isinstance(checksum, bool):
            raise self._damaged(where, "columns")
        book = BookRow(*values)
        if book_checksum(self._book_id, book) != checksum:
            raise self._damaged(where, "sealed")
        return book

    def tombstone(self, row: tuple[Any, ...]) -> uuid.UUID:
        """Return the customer id of an ``(id, deleted_revision, checksum)`` tombstone row.

        Raises:
            CorruptStore: the checksum does not match the id and deleted revision (an
                id pointed elsewhere, a revision moved).
        """
        customer_id: uuid.UUID
        customer_id, deleted_revision, checksum = row
        where = ("deleted-customer", str(customer_id))
        if not isinstance(checksum, int) or isinstance(checksum, bool):
            raise self._damaged(where, "columns")
        if tombstone_checksum(self._book_id, customer_id, deleted_revision) != checksum:
            raise self._damaged(where, "sealed")
        return customer_id

    def ahead(self, column: str, value: int, found: int) -> CorruptStore:
        """The error for a book's row behind its own rows (`PostgresStore.verify`).

        Args:
            column: ``last_number`` (a customer has a higher number) or ``revision`` (a
                row names a later revision).
            value: The column's value in the book's row.
            found: The highest value the rows hold.
        """
        return self._damaged(
            ("book", repr(self._book_id)),
            "ahead",
            column=column,
            value=str(value),
            found=str(found),
        )

    def _placed(self, where: _Where, key: tuple[object, ...], order: Sequence[object]) -> None:
        """Refuse a row whose order columns (added revision, sequence) do not match their checksum.

        ``order`` is ``(added_revision, added_seq, order_checksum)`` (`ORDER_COLUMNS`).
        """
        revision, seq, checksum = order
        if not isinstance(checksum, int) or isinstance(checksum, bool):
            raise self._damaged(where, "columns")
        if order_checksum(self._book_id, key, revision, seq) != checksum:
            raise self._damaged(where, "order")

    def _changed(
        self, where: _Where, key: tuple[object, ...], revision: object, checksum: object
    ) -> None:
        """Refuse a row whose ``changed_revision`` does not match its checksum.

        Lowered by hand, it would hide the row's last change from the change feed's
        readers; raised, hand the row to them again and again.
        """
        if not isinstance(checksum, int) or isinstance(checksum, bool):
            raise self._damaged(where, "columns")
        if changed_checksum(self._book_id, key, revision) != checksum:
            raise self._damaged(where, "changed")

    def _sound(self, where: _Where, value: T) -> T:
        """``value`` once it keeps every structural invariant, else `CorruptStore`.

        A row written by debitor-core always does (`dumped` checks it): one that does not
        was written or edited by something else, even if its checksum matches.
        """
        problems = structural_problems(value)
        if problems:
            reason = str(problems[0]).rstrip(".")
            if len(problems) > 1:
                reason += f" (and {len(problems) - 1} more)"
            raise self._damaged(where, "structure", reason=reason)
        return value

    def _agree(self, where: _Where, columns: tuple[object, ...], held: tuple[object, ...]) -> None:
        if tuple(_plain(c) for c in columns) != tuple(_plain(h) for h in held):
            raise self._damaged(where, "keys")

    def _damaged(self, where: _Where, fault: str, **detail: str) -> CorruptStore:
        """The error for a damaged row: ``fault`` is a ``storage.row/<fault>`` phrase."""
        record, key = where
        params = {
            "book": self._book.removeprefix("the book "),
            "record": record,
            "key": key,
            "rule": "row",
            "fault": fault,
            **detail,
        }
        return CorruptStore(
            render_message("storage.corrupt", params), code="storage.corrupt", params=params
        )


def copy_text(text: str) -> str:
    r"""``text`` as one field of ``COPY``'s text format: backslash, tab, newline, CR escaped.

    Nothing else is special there: the field ends at a tab, the row at a newline, and
    ``\N`` (NULL) or ``\.`` (the end) can only be written with a backslash, doubled here.
    """
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t")
        return text.replace("\n", "\\n").replace("\r", "\\r")
    return text


def copy_fields(fields: Sequence[str]) -> str:
    """``fields`` as tab-separated fields of ``COPY``'s text format, each as `copy_text` writes it.

    One look over the joined text: almost always nothing needs escaping, and the
    separators hold ``len(fields) - 1`` tabs, so any other one is a field's own.
    """
    line = "\t".join(fields)
    if "\\" in line or "\n" in line or "\r" in line or line.count("\t") != len(fields) - 1:
        return "\t".join(map(copy_text, fields))
    return line


def array_literal(items: Sequence[str]) -> str:
    """``items`` as a ``text[]`` literal, to be escaped as a ``COPY`` field (`copy_fields`).

    Every element is quoted (so that ``NULL``, braces, commas and spaces are plain
    text), with its backslashes and double quotes escaped.
    """
    if not items:
        return "{}"
    body = '","'.join(items)
    # The separators hold 2 * (n - 1) double quotes: any other one is an item's own.
    if "\\" in body or body.count('"') != 2 * len(items) - 2:
        body = '","'.join(item.replace("\\", "\\\\").replace('"', '\\"') for item in items)
    return f'{{"{body}"}}'


def _plain(value: object) -> object:
    return str(value) if isinstance(value, uuid.UUID) else value


def copy_value(value: object) -> str:
    r"""``value`` as one field of ``COPY``'s text format, whatever its type.

    ``None`` is ``\N`` (NULL), a bool ``t`` or ``f``; anything else is its text, escaped
    by `copy_text` (a uuid, a number, a date or an aware time as PostgreSQL reads them).
    """
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return copy_text(str(value))
