"""The history lookups of `PostgresStore` (`HistoryQueries`): records by their customer.

No schema change: the computed columns that schema 2 gave every record row hold what
these lookups need (`debitor_core.storage._queries.record_subject`, written by
`_derived.record_columns`):

- ``customer_id``: the customer a history entry, an invoice, a delivery or an erasure
  is about, and the customer a forward leads to; indexed with the kind
  (``debitor_record_customer``: ``book_id, kind, customer_id``);
- ``invoice_number``: an invoice's number, and a forward's customer number
  (``debitor_record_number``: ``book_id, kind, invoice_number``).

Each lookup is one index scan of the rows about the customer, sorted in the order
stored. Rows of these kinds written before they had the columns (by the release that
brought history) have none: `Lookups.missing` finds them, and the store then folds the
book again when it opens (as after a change of fold), which fills them.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from typing import Any, Final, Protocol, TypeVar

import psycopg

from debitor_core._history import Erasure, Forward, HistoryEntry
from debitor_core._invoice import Record
from debitor_core.storage._postgres._rows import RECORD_COLUMNS
from debitor_core.storage._postgres._schema import Names
from debitor_core.storage._queries import is_number, record_subject

__all__ = ["LOOKUP_KINDS", "Lookups", "Reader"]

R = TypeVar("R", bound=Record)

LOOKUP_KINDS: Final = (HistoryEntry.KIND, Forward.KIND, Erasure.KIND)
"""The kinds whose lookup columns only this release writes (invoices' and deliveries'
were there before)."""


class Reader(Protocol):
    """How the store reads records: a statement led by ``book_id`` and its other parameters."""

    def __call__(self, kind: type[R], statement: str, params: Sequence[object]) -> list[R]:
        """Return the records of ``kind`` the statement selects (`RECORD_COLUMNS`)."""
        ...


class Lookups:
    """The statements of the lookups, and the lookups over a store's `Reader`."""

    def __init__(self, names: Names, read: Reader) -> None:
        """Write the statements for the tables ``names`` says; read rows with ``read``."""
        select = (
            f"SELECT {RECORD_COLUMNS} FROM {{s}}debitor_record "  # noqa: S608 - our own columns
            "WHERE book_id = %s AND kind = %s"
        )
        order = " ORDER BY added_revision, added_seq"
        self._about = names.sql(f"{select} AND customer_id = ANY(%s::uuid[]){order}")
        self._numbered = names.sql(f"{select} AND invoice_number = %s{order}")
        self._missing = names.sql(
            "SELECT EXISTS (SELECT 1 FROM {s}debitor_record WHERE book_id = %s "
            "AND kind = ANY(%s::text[]) AND customer_id IS NULL)"
        )
        self._read = read

    def about(self, kind: type[R], customer_ids: Collection[uuid.UUID]) -> list[R]:
        """The records of ``kind`` about these customers, in the order stored.

        A record whose column was damaged to name another customer is left out.
        """
        wanted = {i for i in customer_ids if isinstance(i, uuid.UUID)}
        if not wanted:
            return []
        found = self._read(kind, self._about, (kind.KIND, list(wanted)))
        return [record for record in found if record_subject(record)[0] in wanted]

    def numbered(self, number: int) -> list[Forward]:
        """The forwards of the customers merged away with this number."""
        if not is_number(number):
            return []
        found = self._read(Forward, self._numbered, (Forward.KIND, number))
        return [forward for forward in found if forward.number == number]

    def missing(self, cur: psycopg.Cursor[tuple[Any, ...]], book_id: str) -> bool:
        """Whether some record of the book lacks its lookup columns (see the module)."""
        row = cur.execute(self._missing, (book_id, list(LOOKUP_KINDS))).fetchone()
        return bool(row and row[0])
