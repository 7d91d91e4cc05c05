r"""The query tables of `SqliteStore`: what the book asks, answered by SQL over folded text.

Everything that decides when text matches is computed in Python, by
`debitor_core._text`, when a customer is written, and kept in tables of its own:

- ``customer_search``: one row per customer (by number) with its id, folded name,
  creation time (microseconds since 1970), archived flag, country and folded city;
- ``customer_fts``: an FTS5 table (``tokenize='trigram case_sensitive 1'``) over the
  already folded search text and, in a column apart, the private text; a word of three
  characters or more is found through its trigrams, a shorter one by ``instr`` over
  the rows (SQLite's own case and accent folding is never used: it differs from ours);
- ``customer_key``: the duplicate keys, indexed;
- ``customer_category`` and ``customer_field``: category membership, and which custom
  fields a customer has a value for;
- ``invoice_index``, ``record_invoice`` and ``delivery_index``: the columns the record
  queries look records up by;
- on ``record`` itself (schema 6), ``customer`` and ``number`` (`record_lookup`),
  indexed: the customer a record is about and a forward's customer number, which
  answer `HistoryQueries` (a customer's history, the forwards of its merges, the
  records about it) with an index lookup.

Words are matched with ``instr`` and FTS5 phrases, never ``LIKE``, so ``%``, ``_`` and
``\`` in a query are plain characters. A query value that cannot be stored at all (a
lone surrogate) matches nothing. The fold's version and Python's Unicode version are
kept in ``meta``; `SqliteStore` folds every row again when either differs.

These tables are derived: rows are checked (checksums, structure) where they are read,
in ``customer`` and ``record``; a damaged query row can make a search miss or over-find
candidates, never return a damaged customer.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from typing import Any, Final

from debitor_core._invoice import (
    Delivery,
    DeliveryState,
    Invoice,
    InvoiceState,
    Payment,
    Record,
    ReminderLog,
)
from debitor_core._model import Customer
from debitor_core._text import UNICODE_VERSION, fold, keys_and_text, search_words
from debitor_core.storage._arguments import is_text
from debitor_core.storage._queries import CustomerQuery, QuerySort, field_matches, record_subject

__all__ = [
    "LOOKUP_SCHEMA",
    "QUERY_SCHEMA",
    "clear",
    "count_sql",
    "field_filter",
    "fold_stamp",
    "ids_sql",
    "in_lists",
    "index_customer",
    "index_customers",
    "index_record",
    "micros",
    "record_lookup",
    "reindex_text",
    "search_sql",
    "storable",
    "unindex_customer",
]

QUERY_SCHEMA: Final = """
CREATE TABLE customer_search (
    number INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    created INTEGER NOT NULL,
    archived INTEGER NOT NULL,
    country TEXT,
    city TEXT
);
CREATE INDEX customer_search_name ON customer_search (name, number);
CREATE INDEX customer_search_created ON customer_search (created, number);
CREATE INDEX customer_search_city ON customer_search (city);
CREATE VIRTUAL TABLE customer_fts USING fts5(
    text, private, state, tokenize = 'trigram case_sensitive 1'
);
CREATE TABLE customer_key (
    kind TEXT NOT NULL, key TEXT NOT NULL, number INTEGER NOT NULL,
    PRIMARY KEY (kind, key, number)
) WITHOUT ROWID;
CREATE INDEX customer_key_number ON customer_key (number);
CREATE TABLE customer_category (
    category TEXT NOT NULL, number INTEGER NOT NULL, PRIMARY KEY (category, number)
) WITHOUT ROWID;
CREATE INDEX customer_category_number ON customer_category (number);
CREATE TABLE customer_field (
    number INTEGER NOT NULL, key TEXT NOT NULL, PRIMARY KEY (number, key)
) WITHOUT ROWID;
CREATE TABLE invoice_index (
    id TEXT PRIMARY KEY,
    number INTEGER NOT NULL,
    customer TEXT NOT NULL,
    welcome INTEGER NOT NULL,
    sent INTEGER NOT NULL,
    due TEXT NOT NULL
);
CREATE INDEX invoice_index_customer ON invoice_index (customer, number);
CREATE INDEX invoice_index_number ON invoice_index (number);
CREATE INDEX invoice_index_welcome ON invoice_index (welcome, sent, due);
CREATE TABLE record_invoice (
    kind TEXT NOT NULL, key TEXT NOT NULL, invoice TEXT NOT NULL, PRIMARY KEY (kind, key)
);
CREATE INDEX record_invoice_invoice ON record_invoice (invoice, kind);
CREATE TABLE delivery_index (
    customer TEXT PRIMARY KEY, pending INTEGER NOT NULL, next_attempt INTEGER
);
CREATE INDEX delivery_index_pending ON delivery_index (pending, next_attempt);
INSERT INTO meta (key, value, checksum) VALUES
    ('fold_version', 0, debitor_checksum('fold_version', 0)),
    ('unicode_version', 0, debitor_checksum('unicode_version', 0))
"""
"""The query tables (see the module's docstring); the rows are filled by a re-fold."""

LOOKUP_SCHEMA: Final = """
ALTER TABLE record ADD COLUMN customer TEXT;
ALTER TABLE record ADD COLUMN number INTEGER;
CREATE INDEX record_customer ON record (customer, kind) WHERE customer IS NOT NULL;
CREATE INDEX record_number ON record (number, kind) WHERE number IS NOT NULL;
UPDATE meta SET value = 0, checksum = debitor_checksum('fold_version', 0)
    WHERE key = 'fold_version'
"""
"""The lookup columns of ``record`` (see `record_lookup`); a re-fold fills them."""

_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND: Final = dt.timedelta(microseconds=1)
_CHUNK: Final = 500  # ids per IN (...) list


def fold_stamp() -> tuple[int, int]:
    """``(FOLD_VERSION, Unicode version as one number)``: what the query rows were made by."""
    from debitor_core._text import FOLD_VERSION  # noqa: PLC0415 - read when called, for tests

    major, minor, patch = (int(part) for part in UNICODE_VERSION.split("."))
    return FOLD_VERSION, major * 10_000 + minor * 100 + patch


def micros(moment: dt.datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


def storable(*values: object) -> bool:
    """Whether every value is text that SQLite can be handed (no lone surrogates)."""
    return all(map(is_text, values))


# -- writes -----------------------------------------------------------------------------


def index_customer(
    db: sqlite3.Connection,
    customer: Customer,
    text_fields: tuple[str, ...],
    private_fields: tuple[str, ...],
) -> None:
    """Add the query rows of ``customer`` (none of its number may be there)."""
    index_customers(db, [customer], text_fields, private_fields)


def index_customers(
    db: sqlite3.Connection,
    customers: Iterable[Customer],
    text_fields: tuple[str, ...],
    private_fields: tuple[str, ...],
) -> None:
    """Add the query rows of several customers, table by table (a re-fold, a bulk load)."""
    search, texts, keys, categories, fields = [], [], [], [], []
    for customer in customers:
        number = customer.number
        address = customer.address
        entries = keys_and_text(customer, text_fields, private_fields)
        search.append(
            (
                number,
                str(customer.id),
                fold(customer.name),
                micros(customer.created),
                int(customer.archived),
                address.country,
                None if address.city is None else fold(address.city),
            )
        )
        texts.append((number, entries.text, entries.private, _state(customer)))
        keys += [(kind, key, number) for kind, key in entries.keys]
        categories += [(str(category), number) for category in customer.categories]
        fields += [(number, key) for key in customer.custom_fields]
    db.executemany(
        "INSERT INTO customer_search (number, id, name, created, archived, country, city) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        search,
    )
    db.executemany(
        "INSERT INTO customer_fts (rowid, text, private, state) VALUES (?, ?, ?, ?)", texts
    )
    if keys:
        db.executemany(
            "INSERT OR IGNORE INTO customer_key (kind, key, number) VALUES (?, ?, ?)", keys
        )
    if categories:
        db.executemany(
            "INSERT OR IGNORE INTO customer_category (category, number) VALUES (?, ?)",
            categories,
        )
    if fields:
        db.executemany("INSERT OR IGNORE INTO customer_field (number, key) VALUES (?, ?)", fields)


_ARCHIVED: Final = "archived"


def _state(customer: Customer) -> str:
    """The FTS row's ``state`` column: ``archived``, or nothing.

    So a count by text and archived state is answered by the FTS index alone.
    """
    return _ARCHIVED if customer.archived else ""


def unindex_customer(db: sqlite3.Connection, number: int) -> None:
    """Take the query rows of the customer with ``number`` out."""
    for table in ("customer_search", "customer_key", "customer_category", "customer_field"):
        db.execute(f"DELETE FROM {table} WHERE number = ?", (number,))  # noqa: S608 - ours
    db.execute("DELETE FROM customer_fts WHERE rowid = ?", (number,))


def reindex_text(
    db: sqlite3.Connection,
    customers: Iterable[Customer],
    text_fields: tuple[str, ...],
    private_fields: tuple[str, ...],
) -> None:
    """Fold the search text of ``customers`` again (after the text fields changed)."""
    for customer in customers:
        entries = keys_and_text(customer, text_fields, private_fields)
        db.execute("DELETE FROM customer_fts WHERE rowid = ?", (customer.number,))
        db.execute(
            "INSERT INTO customer_fts (rowid, text, private, state) VALUES (?, ?, ?, ?)",
            (customer.number, entries.text, entries.private, _state(customer)),
        )


def clear(db: sqlite3.Connection) -> None:
    """Empty every query table (before a full re-fold)."""
    for table in (
        "customer_search",
        "customer_fts",
        "customer_key",
        "customer_category",
        "customer_field",
        "invoice_index",
        "record_invoice",
        "delivery_index",
    ):
        db.execute(f"DELETE FROM {table}")  # noqa: S608 - our tables


def index_record(db: sqlite3.Connection, record: Record) -> None:
    """Add or replace the query row of a record (kinds no query asks about have none)."""
    if isinstance(record, Invoice):
        db.execute(
            "INSERT OR REPLACE INTO invoice_index (id, number, customer, welcome, sent, due) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                str(record.id),
                record.number,
                str(record.customer_id),
                int(record.welcome),
                int(record.state is InvoiceState.SENT),
                record.due_date.isoformat(),
            ),
        )
    elif isinstance(record, Delivery):
        db.execute(
            "INSERT OR REPLACE INTO delivery_index (customer, pending, next_attempt) "
            "VALUES (?, ?, ?)",
            (
                str(record.customer_id),
                int(record.state is DeliveryState.PENDING),
                None if record.next_attempt is None else micros(record.next_attempt),
            ),
        )
    elif isinstance(record, (Payment, ReminderLog)):
        db.execute(
            "INSERT OR REPLACE INTO record_invoice (kind, key, invoice) VALUES (?, ?, ?)",
            (record.KIND, record.key, str(record.invoice_id)),
        )


def record_lookup(record: Record) -> tuple[str | None, int | None]:
    """The lookup columns of a record's row, ``(customer, number)``: `record_subject`."""
    customer, number = record_subject(record)
    return (None if customer is None else str(customer)), number


# -- reads ------------------------------------------------------------------------------

_ORDER: Final[dict[str, str]] = {
    "number": "s.number{d}",
    "name": "s.name{d}, s.number{d}",
    "created": "s.created{d}, s.number{d}",
}


def _phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _group(ids: Collection[uuid.UUID], args: list[Any]) -> str:
    args += [str(i) for i in ids]
    marks = ", ".join("?" * len(ids))
    return f"s.number IN (SELECT number FROM customer_category WHERE category IN ({marks}))"  # noqa: S608


class _NoMatch(Exception):
    """A condition of the query no stored customer can meet."""


class _Plan:
    """How to find a query's customers: an FTS match (or none), and SQL conditions.

    With a match, the FTS table drives: it yields rows in number order, so a page by
    number stops after its rows, and a count with no condition but the text and the
    archived state (kept in the FTS row's ``state`` column) is the FTS index's alone.
    """

    def __init__(self) -> None:
        self.match: str | None = None
        self.where: list[str] = []
        self.args: list[Any] = []
        self.scans = False  # some word is matched by instr over the FTS row

    def source(self) -> str:
        """The FROM clause over ``customer_search s`` and, where needed, ``customer_fts t``."""
        if self.match is not None:
            return "customer_fts t JOIN customer_search s ON s.number = t.rowid"
        if self.scans:
            return "customer_search s JOIN customer_fts t ON t.rowid = s.number"
        return "customer_search s"

    def conditions(self) -> tuple[str, list[Any]]:
        """The WHERE clause (empty for none) and its arguments, the match first."""
        where = list(self.where)
        args = list(self.args)
        if self.match is not None:
            where.insert(0, "t.customer_fts MATCH ?")
            args.insert(0, self.match)
        return (" WHERE " + " AND ".join(where) if where else ""), args


def _plan(query: CustomerQuery) -> _Plan | None:
    """The plan of ``query``; ``None`` when nothing can match."""
    plan = _Plan()
    try:
        _text_conditions(query, plan)
        _plain_conditions(query, plan)
        _category_conditions(query, plan.where, plan.args)
        _field_conditions(query, plan.where, plan.args)
    except _NoMatch:
        return None
    return plan


def _plain_conditions(query: CustomerQuery, plan: _Plan) -> None:
    """Archived, country, city."""
    where, args = plan.where, plan.args
    if query.archived is not None and plan.match is None:
        where.append("s.archived = ?")
        args.append(int(query.archived))
    if query.country is not None:
        if not storable(query.country):
            raise _NoMatch
        where.append("s.country = ?")
        args.append(query.country)
    if query.city is not None:
        city = fold(query.city)
        if not storable(city):
            raise _NoMatch
        where.append("s.city = ?")
        args.append(city)


def _category_conditions(query: CustomerQuery, where: list[str], args: list[Any]) -> None:
    """In any group (or in every group, with ``match_all``)."""
    groups = query.categories
    if groups and query.match_all:
        if not all(groups):
            raise _NoMatch
        where += [_group(group, args) for group in groups]
    elif groups:
        ids = set().union(*groups)
        if not ids:
            raise _NoMatch
        where.append(_group(ids, args))


def _field_conditions(query: CustomerQuery, where: list[str], args: list[Any]) -> None:
    """Having a value for each custom field asked about (values are compared later)."""
    keys = {key for key, _ in query.custom_fields}
    if query.with_field is not None:
        keys.add(query.with_field)
    for key in sorted(keys):
        if not storable(key):
            raise _NoMatch
        where.append(
            "EXISTS (SELECT 1 FROM customer_field f WHERE f.number = s.number AND f.key = ?)"
        )
        args.append(key)


def _text_conditions(query: CustomerQuery, plan: _Plan) -> None:
    """The FTS match of the words of three characters or more, and instr for the rest."""
    if not query.text.strip():
        return
    words = search_words(query.text)
    if not words or not storable(*words):
        raise _NoMatch  # only invisible characters, or what no text can hold
    private = query.include_private
    indexed = [w for w in dict.fromkeys(words) if len(w) >= 3 and "\x00" not in w]  # noqa: PLR2004
    scanned = [w for w in dict.fromkeys(words) if w not in indexed]
    columns = "{text private}" if private else "{text}"
    if indexed:
        match = "(" + " AND ".join(f"{columns}: {_phrase(w)}" for w in indexed) + ")"
        if query.archived is not None:
            state = f"{{state}}: {_phrase(_ARCHIVED)}"
            match += f" AND {state}" if query.archived else f" NOT {state}"
        plan.match = match
    for word in scanned:
        plan.scans = True
        if private:
            plan.where.append("(instr(t.text, ?) > 0 OR instr(t.private, ?) > 0)")
            plan.args += [word, word]
        else:
            plan.where.append("instr(t.text, ?) > 0")
            plan.args.append(word)


def search_sql(
    query: CustomerQuery,
    columns: str,
    *,
    sort: QuerySort = "number",
    descending: bool = False,
) -> tuple[str, list[Any]] | None:
    """The SELECT of ``columns`` (of ``customer c``) matching ``query``, in order.

    ``None`` when nothing can match. Custom-field values are not compared here (see
    `field_filter`): only whether the customer has the fields.
    """
    plan = _plan(query)
    if plan is None:
        return None
    where, args = plan.conditions()
    direction = " DESC" if descending else ""
    if sort == "number" and plan.match is not None:
        order = f"t.rowid{direction}"  # the FTS table's own order: a page stops early
    else:
        order = _ORDER[sort].format(d=direction)
    sql = (
        f"SELECT {columns} FROM {plan.source()} JOIN customer c ON c.number = s.number"  # noqa: S608
        f"{where} ORDER BY {order}"
    )
    return sql, args


def count_sql(query: CustomerQuery) -> tuple[str, list[Any]] | None:
    """The count of the customers matching ``query`` (custom-field values aside)."""
    plan = _plan(query)
    if plan is None:
        return None
    if plan.match is not None and not plan.where:
        return "SELECT count(*) FROM customer_fts WHERE customer_fts MATCH ?", [plan.match]
    where, args = plan.conditions()
    return f"SELECT count(*) FROM {plan.source()}{where}", args  # noqa: S608


def ids_sql(query: CustomerQuery) -> tuple[str, list[Any]] | None:
    """The SELECT of the ids of the customers matching ``query`` (field values aside)."""
    plan = _plan(query)
    if plan is None:
        return None
    where, args = plan.conditions()
    return f"SELECT s.id FROM {plan.source()}{where}", args  # noqa: S608


def field_filter(query: CustomerQuery) -> Callable[[Customer], bool] | None:
    """The check of custom-field values SQL does not make, or ``None`` when there is none."""
    wanted = query.custom_fields
    if not wanted:
        return None
    return lambda customer: all(field_matches(customer, key, value) for key, value in wanted)


def in_lists(ids: Sequence[str]) -> Iterator[tuple[str, list[str]]]:
    """``IN (...)`` lists of at most a few hundred ids, with their arguments."""
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        yield ", ".join("?" * len(chunk)), chunk
