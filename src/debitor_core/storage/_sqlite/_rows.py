"""What a row of `SqliteStore` holds: columns, JSON text and a checksum, checked when read.

Every row carries a CRC-32 over all its columns (`checksum`; a record's derived lookup
columns aside), the revision that last wrote it (``changed_revision``, which the change
feed reads by) included since schema 7. `RowCodec` turns a customer into its row
(`customer_row`) and any object into its JSON text (`dumps`), and turns rows read back
into objects: it checks
the checksum, builds the object with the one converter, runs the structural checks and
checks that the key columns agree with it, so that a damaged row is refused with
`CorruptStore` rather than loaded. The column lists here are what the store's reads
select, in the order `RowCodec` reads them.
"""

from __future__ import annotations

import json
import uuid
import zlib
from typing import Any, Final, TypeVar

import cattrs

from debitor_core._converter import make_converter
from debitor_core._errors import CorruptStore
from debitor_core._integrity import check_structure, describe, structural_problems
from debitor_core._invoice import RECORD_KINDS, Record
from debitor_core._model import Customer

__all__ = [
    "CUSTOMER_COLUMNS",
    "C_COLUMNS",
    "INSERT_CUSTOMER",
    "RECORD_COLUMNS",
    "R_COLUMNS",
    "RowCodec",
    "checksum",
]

R = TypeVar("R", bound=Record)

CUSTOMER_COLUMNS: Final = (
    "id, number, version, email, tax_id, phone, data, changed_revision, checksum"
)
C_COLUMNS: Final = ", ".join(f"c.{column}" for column in CUSTOMER_COLUMNS.split(", "))
INSERT_CUSTOMER: Final = (
    f"INSERT INTO customer ({CUSTOMER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"  # noqa: S608 - our columns
)
RECORD_COLUMNS: Final = "kind, key, version, data, changed_revision, checksum"
R_COLUMNS: Final = ", ".join(f"r.{column}" for column in RECORD_COLUMNS.split(", "))


def checksum(*values: object) -> int:
    """The CRC-32 of a row's columns: what tells a damaged row from a sound one.

    Every column is covered (keys, lookup columns and the JSON data), each written as
    text, ``None`` as a NUL, joined by the unit separator; stored text never holds
    either (the JSON escapes them, the structural checks refuse them elsewhere).
    """
    text = "\x1f".join("\x00" if value is None else str(value) for value in values)
    return zlib.crc32(text.encode("utf-8", "surrogatepass"))


class RowCodec:
    """Turns objects into rows and checked rows back into objects, for one database.

    Args:
        path: The database, as messages name it.
    """

    def __init__(self, path: str) -> None:
        """Create the codec with a converter of its own."""
        self.path = path
        self._converter = make_converter()

    def dumps(self, obj: object) -> str:
        """The JSON text of ``obj`` (the converter's data, compact, not ASCII-escaped)."""
        return json.dumps(
            self._converter.unstructure(obj),
            ensure_ascii=False,
            separators=(",", ":"),
        )

    def customer_row(self, customer: Customer, changed: int) -> tuple[Any, ...]:
        """The columns of a customer's row written at revision ``changed``, its checksum last.

        The columns are `CUSTOMER_COLUMNS`; the checksum covers ``changed_revision`` too
        (schema 7), so that a revision moved by hand (a change hidden from the feed) is
        refused when the row is read.

        Raises:
            ValidationError: the customer breaks a structural invariant.
        """
        check_structure(customer)
        columns = (
            str(customer.id),
            customer.number,
            customer.version,
            customer.email.casefold() if customer.email else None,
            customer.tax_id.value if customer.tax_id else None,
            customer.phone.number if customer.phone else None,
            self.dumps(customer),
            changed,
        )
        return (*columns, checksum(*columns))

    def damaged(self, what: str, exc: BaseException | None = None) -> CorruptStore:
        """The `CorruptStore` that says the database cannot be read: ``what`` is damaged."""
        detail = f" ({exc})" if exc is not None else ""
        msg = (
            f"The database {self.path} cannot be read: {what}{detail}. It was left as it "
            "is: restore it from a backup."
        )
        params = {"book": str(self.path), "reason": f"{what}{detail}", "rule": "database"}
        return CorruptStore(msg, code="storage.corrupt", params=params)

    def verified(self, row: tuple[Any, ...], what: str) -> tuple[Any, ...]:
        """The row without its checksum, once the checksum (the last column) matches."""
        *columns, stored = row
        if stored != checksum(*columns):
            raise self.damaged(f"the {what} does not match its checksum")
        return tuple(columns)

    def build(self, data: str, cls: type[Any], what: str) -> Any:  # noqa: ANN401 - a record
        """The ``cls`` object of a row's JSON text, once it passes the structural checks."""
        try:
            item = self._converter.structure(json.loads(data), cls)
        except (ValueError, TypeError, KeyError, AttributeError, cattrs.BaseValidationError) as exc:
            raise self.damaged(f"the {what} is not valid", exc) from exc
        problems = structural_problems(item)
        if problems:
            more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
            first = str(problems[0]).rstrip(".")
            raise self.damaged(f"the {what} ({describe(item)}) is damaged: {first}{more}")
        return item

    def customer(self, row: tuple[Any, ...]) -> Customer:
        """The customer of a row of `CUSTOMER_COLUMNS`."""
        what = f"customer row {row[0]!r}"
        row_id, number, version, email, tax_id, phone, data, _ = self.verified(row, what)
        customer: Customer = self.build(data, Customer, what)
        expected = (
            str(customer.id),
            customer.number,
            customer.version,
            customer.email.casefold() if customer.email else None,
            customer.tax_id.value if customer.tax_id else None,
            customer.phone.number if customer.phone else None,
        )
        if expected != (row_id, number, version, email, tax_id, phone):
            raise self.damaged(f"the columns of the {what} do not agree with its data")
        return customer

    def record(self, kind: type[R], row: tuple[Any, ...]) -> R:
        """The ``kind`` record of a row of `RECORD_COLUMNS`."""
        what = f"{kind.KIND} row {row[1]!r}"
        row_kind, key, version, data, _ = self.verified(row, what)
        record: R = self.build(data, kind, what)
        if (row_kind, key, version) != (record.KIND, record.key, record.version):
            raise self.damaged(f"the columns of the {what} do not agree with its data")
        return record

    def any_record(self, row: tuple[Any, ...]) -> Record:
        """The record of a row of `RECORD_COLUMNS`, of the kind the row names."""
        kind = RECORD_KINDS.get(row[0])
        if kind is None:
            raise self.damaged(f"the record row {row[1]!r} has an unknown kind {row[0]!r}")
        return self.record(kind, row)

    def tombstone(self, row: tuple[Any, ...]) -> uuid.UUID:
        """The customer id of a ``customer_deleted`` row (id, deleted revision, checksum)."""
        what = f"tombstone row {row[0]!r}"
        row_id, _ = self.verified(row, what)
        try:
            return uuid.UUID(row_id)
        except (ValueError, TypeError, AttributeError) as exc:
            raise self.damaged(f"the {what} is not valid", exc) from exc
