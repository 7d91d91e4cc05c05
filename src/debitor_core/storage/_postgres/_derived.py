"""What `PostgresStore` keeps beside each row so that SQL can answer the book's queries.

Everything here is computed in Python when a row is written, by the one fold of
`debitor_core._text`; PostgreSQL only compares the results (``LIKE`` over folded text
with a trigram index, array containment over tags and keys, plain columns for order).
Its own folding (``lower``, ``unaccent``, collations) is never used for matching.

A customer's columns:

- ``search_text`` and ``private_text``: `keys_and_text`'s search and private text;
- ``folded_name``: the folded name, the order of ``sort="name"`` (with ``COLLATE "C"``,
  code point order, as Python sorts strings);
- ``created``: the order of ``sort="created"``;
- ``match_keys``: the duplicate keys, each as ``kind`` U+001F ``key``;
- ``tags``: what the filters ask about, one string each (see `customer_tags`).

A record's columns say which customer or invoice it belongs to and what the record
queries filter on (`record_columns`); a history entry's, a forward's and an erasure's
are what `_lookups` looks them up by (``customer_id``; a forward's number in
``invoice_number``).
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, Final, NamedTuple

from debitor_core._invoice import Delivery, Invoice, Payment, Record, ReminderLog
from debitor_core._model import Customer, FieldValue
from debitor_core._text import DuplicateKey, entries_and_name, fold, fold_city
from debitor_core.storage._queries import record_subject

__all__ = [
    "COMPUTED_COLUMNS",
    "RECORD_COMPUTED_COLUMNS",
    "CustomerColumns",
    "FieldKeys",
    "RecordColumns",
    "customer_columns",
    "field_tags",
    "key_string",
    "query_keys",
    "record_columns",
    "storable",
]

_SEP: Final = "\x1f"
_SURROGATE: Final = re.compile("[\ud800-\udfff]")


class FieldKeys(NamedTuple):
    """The custom fields searched as general text and as private text."""

    text: tuple[str, ...] = ()
    private: tuple[str, ...] = ()


class CustomerColumns(NamedTuple):
    """The computed columns of a customer row (see the module's docstring)."""

    search_text: str
    private_text: str
    folded_name: str
    created: dt.datetime
    match_keys: list[str]
    tags: list[str]


class RecordColumns(NamedTuple):
    """The computed columns of a record row."""

    customer_id: uuid.UUID | None = None
    invoice_id: uuid.UUID | None = None
    invoice_number: int | None = None
    welcome: bool = False
    state: str | None = None
    due_date: dt.date | None = None
    next_attempt: dt.datetime | None = None


COMPUTED_COLUMNS: Final = ", ".join(CustomerColumns._fields)
"""The computed columns of a customer row by name, in `CustomerColumns`' order."""

RECORD_COMPUTED_COLUMNS: Final = ", ".join(RecordColumns._fields)
"""The computed columns of a record row by name, in `RecordColumns`' order."""


def storable(text: str) -> str:
    """``text`` as PostgreSQL can hold it: a lone surrogate (never valid text) becomes U+FFFD.

    Valid customers hold no lone surrogates (the rules refuse them); a damaged one must
    still be stored, and PostgreSQL's text is UTF-8.
    """
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def key_string(key: DuplicateKey) -> str:
    """One duplicate key as ``match_keys`` holds it: kind, U+001F, key."""
    kind, value = key
    return storable(f"{kind}{_SEP}{value}")


def customer_columns(
    customer: Customer, fields: FieldKeys, *, written: Mapping[str, Any] | None = None
) -> CustomerColumns:
    """Return the computed columns of ``customer`` with the book's custom fields ``fields``.

    Args:
        customer: The customer.
        fields: The book's searched custom fields.
        written: The customer's JSON-ready data from the one converter, once
            `RowCodec.dumped` has checked its structure (so it holds no lone surrogate):
            then the categories' ids are taken as written there, and no column is
            looked at for lone surrogates, since each is made of texts the customer
            holds and the fold never makes one.
    """
    (keys, text, private), name = entries_and_name(customer, fields.text, fields.private)
    match_keys = [f"{kind}{_SEP}{value}" for kind, value in keys]
    if written is not None:
        tags = customer_tags(customer, written.get("categories", ()))
        return CustomerColumns(text, private, name, customer.created, match_keys, tags)
    tags = customer_tags(customer)
    # One look for a lone surrogate over every column (almost always none) rather
    # than one a string: joining strings never makes or hides one.
    if _SURROGATE.search("".join((text, private, name, *match_keys, *tags))):
        text, private, name = storable(text), storable(private), storable(name)
        match_keys = [storable(key) for key in match_keys]
        tags = [storable(tag) for tag in tags]
    return CustomerColumns(text, private, name, customer.created, match_keys, tags)


def customer_tags(customer: Customer, categories: Iterable[object] | None = None) -> list[str]:
    """The filter tags of a customer, one string each.

    ``a:0``/``a:1`` archived; ``g:<id>`` each category; ``c:<code>`` the country;
    ``t:<folded city>`` the city; ``f:<key>`` each custom field with a value, and the
    value's tags (`field_tags`). Not yet `storable`: `customer_columns` makes them so.

    Args:
        customer: The customer.
        categories: Its categories' ids as text, if already written (the converter
            writes them as ``str`` does); else ``customer.categories``.
    """
    tags = ["a:1" if customer.archived else "a:0"]
    groups = customer.categories if categories is None else categories
    tags += [f"g:{category}" for category in groups]
    address = customer.address
    if address.country is not None:
        tags.append(f"c:{address.country}")
    if address.city is not None:
        tags.append(f"t:{fold_city(address.city)}")
    for key, value in customer.custom_fields.items():
        tags.append(f"f:{key}")
        tags += field_tags(key, value, stored=True) or []
    return tags


def field_tags(key: str, value: FieldValue, *, stored: bool) -> list[str] | None:
    """The tags a stored custom-field value has, or those a filter on it asks for.

    A filter matches as the in-memory read model compares: text folded; a multiple
    choice must hold every choice asked for; numbers (and booleans, which Python counts
    as numbers) by value; dates by date.

    Args:
        key: The field's key.
        value: The value.
        stored: Whether ``value`` is stored (its tags) or asked for (the tags it needs).

    Returns:
        The tags; ``None`` for a filter that nothing can match (a NaN).
    """
    prefix = f"{key}{_SEP}"
    if isinstance(value, str):
        return [f"s:{prefix}{fold(value)}"]
    if isinstance(value, tuple):
        return [f"T:{key}", *(f"m:{prefix}{choice}" for choice in value)]
    if isinstance(value, dt.date):
        # A datetime never equals a date: its own prefix keeps them apart.
        what = "D" if isinstance(value, dt.datetime) else "d"
        return [f"{what}:{prefix}{value.isoformat()}"]
    number = _number(value)
    if number is None:
        return [] if stored else None
    return [f"n:{prefix}{number}"]


def _number(value: object) -> str | None:
    """A number's value written one way only (``1``, ``1.0``, ``True`` all give ``1``)."""
    try:
        number = decimal.Decimal(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, decimal.InvalidOperation):
        return None
    if not number.is_finite():
        return None
    if number.is_zero():
        return "0"
    return format(number.normalize(), "f")


def record_columns(record: Record) -> RecordColumns:
    """Return the computed columns of ``record``."""
    if isinstance(record, Invoice):
        return RecordColumns(
            customer_id=record.customer_id,
            invoice_number=record.number,
            welcome=bool(record.welcome),
            state=record.state.value,
            due_date=record.due_date,
        )
    if isinstance(record, Payment):
        return RecordColumns(invoice_id=record.invoice_id)
    if isinstance(record, Delivery):
        return RecordColumns(
            customer_id=record.customer_id,
            invoice_id=record.invoice_id,
            state=record.state.value,
            next_attempt=record.next_attempt,
        )
    if isinstance(record, ReminderLog):
        return RecordColumns(invoice_id=record.invoice_id)
    customer, number = record_subject(record)  # history entry, forward, erasure
    return RecordColumns(customer_id=customer, invoice_number=number)


def query_keys(keys: Iterable[DuplicateKey]) -> list[str]:
    """The ``match_keys`` strings of ``keys``, each once."""
    return list(dict.fromkeys(key_string(key) for key in keys))
