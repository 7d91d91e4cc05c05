"""`CheckedTransaction`: a `JsonFileStore` transaction that refuses what the store could not load.

The writes are those of the in-memory `StateTransaction`; each first checks the
record's structural invariants (`check_structure`, see `debitor_core._integrity`), the
same checks every load of the files makes, so the store never commits a record that
would make the book fail to open.
"""

from __future__ import annotations

from debitor_core._category import Category
from debitor_core._fields import CustomFieldDefinition
from debitor_core._integrity import check_structure
from debitor_core._invoice import Record
from debitor_core._model import Customer
from debitor_core.storage._memory import StateTransaction

__all__ = ["CheckedTransaction"]


class CheckedTransaction(StateTransaction):
    """A transaction that refuses a record the store would refuse to load."""

    __slots__ = ()

    def add(self, customer: Customer) -> None:
        """Add a new customer (see `Transaction.add`)."""
        check_structure(customer)
        super().add(customer)

    def update(self, customer: Customer, *, expected_version: int) -> None:
        """Replace a customer (see `Transaction.update`)."""
        check_structure(customer)
        super().update(customer, expected_version=expected_version)

    def put_category(self, category: Category) -> None:
        """Add or replace a category."""
        check_structure(category)
        super().put_category(category)

    def put_custom_field(self, definition: CustomFieldDefinition) -> None:
        """Add or replace a custom-field definition."""
        check_structure(definition)
        super().put_custom_field(definition)

    def put_record(self, record: Record, *, expected_version: int | None) -> None:
        """Add or replace a record (see `Transaction.put_record`)."""
        check_structure(record)
        super().put_record(record, expected_version=expected_version)
