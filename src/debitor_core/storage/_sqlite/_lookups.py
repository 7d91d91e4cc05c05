"""The record lookups of `SqliteStore`: records by the invoice, customer or number they are about.

Each lookup joins a query table of ``_queries.py`` (``invoice_index``,
``record_invoice``, ``delivery_index``) or reads the lookup columns of ``record``
(``customer``, ``number``; schema 6) to the ``record`` rows, which `RowCodec` checks as
every read does. The lookup columns are derived, without a checksum: a record whose
column was damaged to name another customer or number is left out, never returned for
the wrong one.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Collection
from typing import Any, TypeVar

from debitor_core._history import Forward
from debitor_core._invoice import Delivery, Invoice, Record
from debitor_core.storage._arguments import is_uuid
from debitor_core.storage._queries import is_number
from debitor_core.storage._sqlite import _queries as q
from debitor_core.storage._sqlite._rows import R_COLUMNS, RECORD_COLUMNS, RowCodec

__all__ = ["Reader", "RecordLookups"]

R = TypeVar("R", bound=Record)

Reader = Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]
"""How the store reads rows: a statement and its parameters, under its lock."""


class RecordLookups:
    """The record lookups, over a store's `Reader` and `RowCodec`."""

    def __init__(self, rows: Reader, codec: RowCodec) -> None:
        """Read rows with ``rows`` and turn them into records with ``codec``."""
        self._rows = rows
        self._codec = codec

    def invoices(self, where: str, args: tuple[Any, ...]) -> list[Invoice]:
        """The invoices of ``invoice_index i`` rows ``where`` selects, by invoice number."""
        rows = self._rows(
            f"SELECT {R_COLUMNS} FROM invoice_index i JOIN record r "  # noqa: S608 - ours
            f"ON r.kind = 'invoice' AND r.key = i.id{where} ORDER BY i.number, r.rowid",
            args,
        )
        return [self._codec.record(Invoice, row) for row in rows]

    def of_invoices(self, kind: type[R], invoice_ids: Collection[uuid.UUID]) -> list[R]:
        """The ``kind`` records (payments, reminder logs) on these invoices, in the order added.

        Only UUIDs are looked up: no invoice has an id of another type.
        """
        rows: list[tuple[Any, ...]] = []
        for marks, chunk in q.in_lists([str(i) for i in invoice_ids if is_uuid(i)]):
            rows += self._rows(
                f"SELECT r.rowid, {R_COLUMNS} FROM record_invoice p JOIN record r "  # noqa: S608
                "ON r.kind = p.kind AND r.key = p.key "
                f"WHERE p.kind = ? AND p.invoice IN ({marks})",
                (kind.KIND, *chunk),
            )
        rows.sort(key=lambda row: row[0])
        return [self._codec.record(kind, row[1:]) for row in rows]

    def pending_deliveries(self, due_by: dt.datetime | None) -> list[Delivery]:
        """The pending deliveries due by ``due_by`` (all, without it), in the order added."""
        sql = (
            f"SELECT {R_COLUMNS} FROM delivery_index d JOIN record r "  # noqa: S608 - ours
            "ON r.kind = 'delivery' AND r.key = d.customer WHERE d.pending = 1"
        )
        args: tuple[Any, ...] = ()
        if due_by is not None:
            sql += " AND (d.next_attempt IS NULL OR d.next_attempt <= ?)"
            args = (q.micros(due_by),)
        return [
            self._codec.record(Delivery, row) for row in self._rows(sql + " ORDER BY r.rowid", args)
        ]

    def numbered(self, number: int) -> list[Forward]:
        """The forwards of the customers merged away with this number."""
        if not is_number(number):
            return []
        rows = self._rows(
            f"SELECT {RECORD_COLUMNS} FROM record "  # noqa: S608 - our columns
            "WHERE number = ? AND kind = ? ORDER BY rowid",
            (number, Forward.KIND),
        )
        found = [self._codec.record(Forward, row) for row in rows]
        return [forward for forward in found if forward.number == number]

    def about(self, kind: type[R], customer_ids: Collection[uuid.UUID]) -> list[R]:
        """The records of ``kind`` about these customers, in the order stored.

        Looked up by the ``customer`` column; a record whose column was damaged to name
        another customer is left out (the column is derived, without a checksum). Only
        UUIDs are looked up: no customer has an id of another type.
        """
        wanted = {str(i) for i in customer_ids if is_uuid(i)}
        rows: list[tuple[Any, ...]] = []
        for marks, chunk in q.in_lists(sorted(wanted)):
            rows += self._rows(
                f"SELECT rowid, {RECORD_COLUMNS} FROM record "  # noqa: S608 - our columns
                f"WHERE customer IN ({marks}) AND kind = ?",
                (*chunk, kind.KIND),
            )
        rows.sort(key=lambda row: row[0])
        found = [self._codec.record(kind, row[1:]) for row in rows]
        return [record for record in found if q.record_lookup(record)[0] in wanted]
