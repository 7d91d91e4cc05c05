"""What a store refuses, said once for every backend: each error with its code.

Every backend raises the same `NotFound`, `AlreadyExists` and `ConcurrencyConflict`
for the same reason, with the same stable code and parameters, so that
``error.message_in("lv")`` says it in the clerk's language whichever store holds the
book. The English sentence (``str(error)``) is the catalogs' English one.
"""

from __future__ import annotations

from debitor_core._errors import AlreadyExists, ConcurrencyConflict, NotFound
from debitor_core._shown import shown

__all__ = [
    "category_not_found",
    "customer_changed",
    "customer_exists",
    "customer_not_found",
    "id_taken",
    "number_not_found",
    "number_taken",
    "record_changed",
    "record_exists",
    "record_not_found",
]


def customer_not_found(customer_id: object) -> NotFound:
    """No customer has the id."""
    return NotFound.coded("customer.not_found", {"id": str(customer_id)})


def number_not_found(number: object) -> NotFound:
    """No customer has the number (shown quoted when it is not a whole number)."""
    return NotFound.coded("customer.no_number", {"number": shown(number)})


def category_not_found(category_id: object) -> NotFound:
    """No category has the id."""
    return NotFound.coded("category.no_id", {"id": str(category_id)})


def record_not_found(kind: str, key: object) -> NotFound:
    """No record of the kind has the key."""
    return NotFound.coded("record.not_found", {"record": kind, "key": str(key)})


def customer_exists(customer_id: object, number: int) -> AlreadyExists:
    """The id or the number of a new customer is taken (the store cannot tell which)."""
    return AlreadyExists.coded("customer.exists", {"id": str(customer_id), "number": number})


def id_taken(customer_id: object) -> AlreadyExists:
    """A customer with the id is stored."""
    return AlreadyExists.coded("customer.id_taken", {"id": str(customer_id)})


def number_taken(number: int) -> AlreadyExists:
    """Another customer has the number."""
    return AlreadyExists.coded("customer.number_taken", {"number": number})


def record_exists(kind: str, key: object) -> AlreadyExists:
    """A record of the kind with the key is stored."""
    return AlreadyExists.coded("record.exists", {"record": kind, "key": str(key)})


def customer_changed(number: object, actual: int, expected: int) -> ConcurrencyConflict:
    """The customer is at another version than the one the change was based on."""
    params = {"number": number, "actual": actual, "expected": expected}
    return ConcurrencyConflict.coded("customer.changed", params, expected=expected, actual=actual)


def record_changed(kind: str, key: object, actual: int, expected: int) -> ConcurrencyConflict:
    """The record is at another version than the one the change was based on."""
    params = {"record": kind, "key": str(key), "actual": actual, "expected": expected}
    return ConcurrencyConflict.coded("record.changed", params, expected=expected, actual=actual)
