"""What a row of `PostgresStore` holds: JSON text and a checksum, checked both ways.

Every row keeps its object as JSON text (the one converter's form) and a CRC-32 of that
text. Writing checks the object's structure first (`debitor_core._integrity`, as every
durable store does: `ValidationError`, nothing written). Reading checks the checksum,
builds the object, checks that the key columns agree with it and checks its structure
again, so that a row damaged or edited outside debitor-core (even with a right checksum)
is refused with `CorruptStore` rather than loaded.

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

__all__ = ["Dumped", "RowCodec", "array_literal", "copy_fields", "copy_text", "copy_value"]

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


class Dumped(NamedTuple):
    """A stored object's JSON-ready data, its JSON text and the text's checksum."""

    data: Any
    text: str
    checksum: int


class RowCodec:
    """Turns stored objects into (JSON text, checksum) and checked rows back into objects.

    Args:
        book: How messages name the book (``the book 'shop-1'``).
    """

    def __init__(self, book: str) -> None:
        """Create the codec with a converter of its own."""
        self._book = book
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
        """Return the customer of a ``(id, number, version, data, checksum)`` row."""
        row_id, number, version, data, checksum = row
        where = ("customer", str(row_id))
        customer = self.load(Customer, data, checksum, where)
        self._agree(
            where, (row_id, number, version), (customer.id, customer.number, customer.version)
        )
        return self._sound(where, customer)

    def category(self, row: tuple[Any, ...]) -> Category:
        """Return the category of an ``(id, data, checksum)`` row."""
        row_id, data, checksum = row
        where = ("category", str(row_id))
        category = self.load(Category, data, checksum, where)
        self._agree(where, (row_id,), (category.id,))
        return self._sound(where, category)

    def custom_field(self, row: tuple[Any, ...]) -> CustomFieldDefinition:
        """Return the definition of a ``(key, data, checksum)`` row."""
        key, data, checksum = row
        where = ("custom-field", repr(key))
        definition = self.load(CustomFieldDefinition, data, checksum, where)
        self._agree(where, (key,), (definition.key,))
        return self._sound(where, definition)

    def record(self, kind: type[T], row: tuple[Any, ...]) -> T:
        """Return the record of a ``(key, version, data, checksum)`` row."""
        key, version, data, checksum = row
        where = (getattr(kind, "KIND", "record"), repr(key))
        record = self.load(kind, data, checksum, where)
        assert isinstance(record, Record)  # noqa: S101 - kind is a record class
        self._agree(where, (key, version), (record.key, record.version))
        return self._sound(where, record)

    def any_record(self, row: tuple[Any, ...]) -> Record:
        """Return the record of a ``(kind, key, version, data, checksum)`` row."""
        kind = RECORD_KINDS.get(row[0])
        if kind is None:
            raise self._damaged(("record", repr(row[1])), "kind", kind=repr(row[0]))
        return self.record(kind, row[1:])

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
