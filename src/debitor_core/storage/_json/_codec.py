"""The JSON of a `JsonFileStore`'s records: snapshot sections and journal lines, both ways.

- Writing: `BookCodec.journal_line` encodes one commit's operations as a checksummed
  journal line (`_journal.encode`), and `BookCodec.sections` the snapshot's lists after
  its header (which `_snapshot.encode` wraps). Both write compact JSON, UTF-8 as it is;
  the text of each customer a commit wrote is kept (`BookCodec.written`) for the next
  snapshot to reuse instead of encoding the customer again.
- Reading: `BookCodec.fill` puts a snapshot's records into a `StoreState` (customers as
  their stored records, built when first read by `BookCodec.customer_from_record`);
  `BookCodec.journal_entries` reads the journal's lines as JSON objects, and
  `BookCodec.operation` turns a line's operation back into an `Operation`, upgrading a
  record of an older format first (`_snapshot.migrate`). Every record read
  is checked for its structural invariants (`debitor_core._integrity`); what fails, or
  cannot be read at all (`DAMAGE`), is `CorruptStore`.

The files around these (header, checksums, line framing) are `_snapshot`'s and
`_journal`'s; the store decides when to read and write.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Final

import cattrs

from debitor_core._category import Category
from debitor_core._converter import make_converter
from debitor_core._errors import DebitorError
from debitor_core._fields import CustomFieldDefinition
from debitor_core._integrity import structural_problems
from debitor_core._invoice import RECORD_KINDS
from debitor_core._limits import MAX_NUMBER
from debitor_core._model import Customer
from debitor_core.storage import _journal, _snapshot
from debitor_core.storage._json import _errors as errors
from debitor_core.storage._memory import Operation, StoreState

__all__ = ["DAMAGE", "SECTIONS", "BookCodec", "checked_store_id"]

_KINDS: Final = {
    "customers": Customer,
    "categories": Category,
    "custom_fields": CustomFieldDefinition,
}
DAMAGE: Final = (
    KeyError,
    TypeError,
    ValueError,
    AttributeError,
    DebitorError,
    cattrs.BaseValidationError,
)
"""What reading a damaged record can raise; each becomes `CorruptStore`."""

SECTIONS: Final = ("categories", "custom_fields", "customers", "records")
"""The snapshot's lists, after its counters."""
_PAYLOAD_KEYS: Final = {
    "customers": "customer",
    "categories": "category",
    "custom_fields": "custom_field",
}


class BookCodec:
    """Records to and from the JSON of one book's files, checked when read.

    Args:
        book: The snapshot file, for the messages of `CorruptStore`.
    """

    def __init__(self, book: Path) -> None:
        """Make the codec of the book at ``book``; see the class docstring."""
        self._book = book
        self._converter = make_converter()
        # The JSON text of each customer this process committed since the last snapshot,
        # by id, with the object it was made from: the next snapshot reuses it instead of
        # encoding the customer again (bounded by the journal, emptied by a snapshot).
        self.written: dict[int, tuple[Customer, str]] = {}

    # -- reading -------------------------------------------------------------------

    def fill(self, state: StoreState, data: dict[str, Any]) -> int:
        """Put the snapshot's records into ``state``; customers are built when first read.

        Returns:
            The snapshot's generation.
        """
        structure = self._converter.structure
        for record in data["categories"]:
            category = self.checked(structure(record, Category))
            state.categories[category.id] = category
        for record in data["custom_fields"]:
            definition = self.checked(structure(record, CustomFieldDefinition))
            state.fields[definition.key] = definition
        add_record, make_id = state.add_record, uuid.UUID
        for record in data["customers"]:
            number = record["number"]
            if type(number) is not int or not 0 < number <= MAX_NUMBER:
                msg = (
                    f"the customer number {number!r} is not a whole number from 1 to {MAX_NUMBER:,}"
                )
                raise ValueError(msg)
            add_record(make_id(record["id"]), number, record)
        for kind, records in data["records"].items():
            cls = RECORD_KINDS[kind]
            stored = state.records[kind]
            for record in records:
                item = self.checked(structure(record, cls))
                stored[item.key] = item
        state.last_number = max(state.last_number, _count(data, "last_number"))
        state.revision = _count(data, "revision")
        return _count(data, "generation")

    def checked(self, item: Any) -> Any:  # noqa: ANN401 - a stored record of any class
        """Return ``item`` if it is structurally sound; raise `CorruptStore` otherwise."""
        problems = structural_problems(item)
        if problems:
            raise errors.damaged(self._book, item, problems)
        return item

    def customer_from_record(self, record: dict[str, Any]) -> Customer:
        """Build a customer from its stored record, the first time it is read."""
        try:
            customer = self._converter.structure(record, Customer)
        except DAMAGE as exc:
            number = record.get("number")
            raise errors.corrupt(
                self._book, f"the record of customer {number!r} is not valid", exc
            ) from exc
        problems = structural_problems(customer)
        if problems:
            raise errors.damaged(self._book, customer, problems)
        return customer

    def structured_customer(self, value: Customer | dict[str, Any]) -> Customer:
        """The customer of a state's record, built (not checked) if it is still JSON data."""
        if isinstance(value, Customer):
            return value
        try:
            return self._converter.structure(value, Customer)
        except DAMAGE as exc:
            number = value.get("number")
            raise errors.corrupt(
                self._book, f"the record of customer {number!r} is not valid", exc
            ) from exc

    def journal_entries(self, tail: bytes, start: int) -> tuple[Iterator[dict[str, Any]], int]:
        """The complete lines of ``tail``, the journal from byte ``start``, and their length.

        The lines' framing and checksums are checked at once (`_journal.scan`); each
        line's JSON object is read as the iterator reaches it.
        """
        try:
            lines, length = _journal.scan(tail)
        except _journal.JournalDamage as exc:
            at = start + exc.offset
            raise errors.corrupt(self._book, f"journal line at byte {at}: {exc.what}") from exc
        return self._entries(lines, start), length

    def _entries(self, lines: Iterable[tuple[int, bytes]], start: int) -> Iterator[dict[str, Any]]:
        for offset, body in lines:
            try:
                record = json.loads(body)
            except ValueError as exc:
                at = start + offset
                raise errors.corrupt(
                    self._book, f"journal line at byte {at} is not JSON", exc
                ) from exc
            if not isinstance(record, dict):
                at = start + offset
                raise errors.corrupt(self._book, f"journal line at byte {at} is not a JSON object")
            yield record

    def operation(self, op: dict[str, Any], version: int) -> Operation:
        """One operation of a journal line of format ``version``, read and checked."""
        name = op["op"]
        structure = self._converter.structure

        def record(kind: str) -> Any:  # noqa: ANN401 - one of the stored classes
            payload = op[_PAYLOAD_KEYS[kind]]
            if version < _snapshot.FORMAT_VERSION:
                wrapped = {"format": _snapshot.FORMAT, "version": version, kind: [payload]}
                payload = _snapshot.migrate(wrapped, version)[kind][0]
            return self.checked(structure(payload, _KINDS[kind]))

        builders: dict[str, Callable[[], Any]] = {
            "add": lambda: record("customers"),
            "update": lambda: (record("customers"), _whole(op["expected_version"])),
            "delete": lambda: uuid.UUID(op["id"]),
            "put_category": lambda: record("categories"),
            "delete_category": lambda: uuid.UUID(op["id"]),
            "put_custom_field": lambda: record("custom_fields"),
            "put_record": lambda: (
                self.checked(structure(op["record"], RECORD_KINDS[op["kind"]])),
                None if op["expected_version"] is None else _whole(op["expected_version"]),
            ),
        }
        if name in builders:
            return (name, builders[name]())
        msg = f"unknown operation {name!r}"
        raise ValueError(msg)

    # -- writing -------------------------------------------------------------------

    def journal_line(self, revision: int, operations: list[Operation]) -> bytes:
        """The checksummed journal line of the commit that makes ``revision``."""
        dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        ops = ",".join(self.encode_op(op, dumps) for op in operations)
        body = f'{{"revision":{revision},"version":{_snapshot.FORMAT_VERSION},"ops":[{ops}]}}'
        return _journal.encode(body.encode())

    def encode_op(self, operation: Operation, dumps: Callable[[Any], str]) -> str:
        """One operation of a journal line, as JSON text (customers kept for the snapshot)."""
        name, arg = operation
        unstructure = self._converter.unstructure
        if name in ("add", "update"):
            customer = arg[0] if name == "update" else arg
            text = dumps(unstructure(customer))
            self.written[customer.id.int] = (customer, text)
            if name == "update":
                return f'{{"op":"update","customer":{text},"expected_version":{int(arg[1])}}}'
            return f'{{"op":"add","customer":{text}}}'
        if name in ("delete", "delete_category"):
            return dumps({"op": name, "id": str(arg)})
        if name == "put_record":
            record, expected = arg
            return dumps(
                {
                    "op": name,
                    "kind": record.KIND,
                    "record": unstructure(record),
                    "expected_version": expected,
                }
            )
        key = "category" if name == "put_category" else "custom_field"
        return dumps({"op": name, key: unstructure(arg)})

    def sections(self, state: StoreState) -> Iterator[tuple[str, str]]:
        """The snapshot's keys after the header, each as JSON text."""
        unstructure = self._converter.unstructure
        dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

        def lines(records: Iterator[Any]) -> str:
            rows = [dumps(r if isinstance(r, dict) else unstructure(r)) for r in records]
            return "[\n  " + ",\n  ".join(rows) + "\n ]" if rows else "[]"

        written = self.written

        def customer_lines(records: Iterator[Customer | dict[str, Any]]) -> str:
            rows = []
            for r in records:
                if isinstance(r, dict):
                    rows.append(dumps(r))
                    continue
                known = written.get(r.id.int)
                rows.append(
                    known[1] if known is not None and known[0] is r else dumps(unstructure(r))
                )
            return "[\n  " + ",\n  ".join(rows) + "\n ]" if rows else "[]"

        yield "categories", lines(iter(state.categories.values()))
        yield "custom_fields", lines(iter(state.fields.values()))
        yield "customers", customer_lines(state.customer_records())
        records = ",".join(
            f'\n  "{kind}": {lines(iter(items.values()))}' for kind, items in state.records.items()
        )
        yield "records", f"{{{records}}}"


def checked_store_id(value: object) -> str:
    """The snapshot's store id: a UUID in its canonical text, or damage."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            if str(uuid.UUID(value)) == value:
                return value
    msg = f"its store_id {value!r} is not a UUID"
    raise ValueError(msg)


def _count(data: dict[str, Any], key: str) -> int:
    """A counter of the snapshot (``revision``, ...): a whole number from 0, or damage."""
    value = data[key]
    if type(value) is not int or not 0 <= value <= MAX_NUMBER:
        msg = f"its {key} {value!r} is not a whole number from 0 to {MAX_NUMBER:,}"
        raise ValueError(msg)
    return value


def _whole(value: object) -> int:
    """A version number from a journal line: a whole number, or damage."""
    if type(value) is not int:
        msg = f"the version {value!r} is not a whole number"
        raise TypeError(msg)
    return value
