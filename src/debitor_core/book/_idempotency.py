"""Idempotency keys: a retried request with the same key gets the first result.

Registrations (`Registration`) and imports (`Transfer`) take a key; the first commit
stores a `RegistrationLog` naming the customers it stored and a fingerprint of what was
asked, in the same transaction, so a retry in any process finds it. The same key with
other input is refused (``idempotency.conflict``), never answered with the wrong result.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence

from debitor_core._errors import NotFound, Problem, ValidationError
from debitor_core._integrity import MAX_IDEMPOTENCY_KEY
from debitor_core._invoice import RegistrationLog
from debitor_core._model import Customer
from debitor_core._shown import shown
from debitor_core.book._arguments import wrong_type
from debitor_core.book._read_model import find
from debitor_core.book._unit_of_work import UnitOfWork, Writes

__all__ = ["MAX_IDEMPOTENCY_KEY", "checked_key", "fingerprint", "log", "replayed"]


def checked_key(function: str, key: object) -> str | None:
    """An idempotency key: text of 1 to `MAX_IDEMPOTENCY_KEY` printable characters, or ``None``.

    Raises:
        TypeError: ``key`` is neither text nor ``None``.
        ValidationError: ``idempotency.key``: blank, too long or unprintable.
    """
    if key is None:
        return None
    if not isinstance(key, str):
        wrong_type(function, "idempotency_key", key, "text or None")
    if not 0 < len(key) <= MAX_IDEMPOTENCY_KEY or not key.isprintable() or not key.strip():
        params = {"max_length": MAX_IDEMPOTENCY_KEY, "value": shown(key)}
        raise ValidationError.single("idempotency.key", None, key, "idempotency_key", params=params)
    return key


def fingerprint(*parts: object) -> str:
    """The SHA-256 of ``parts`` as given, the same in every process."""
    try:
        text = json.dumps(list(parts), sort_keys=True, default=repr, ensure_ascii=True)
    except (TypeError, ValueError, RecursionError):  # keys of mixed types, or too deep
        text = repr(list(parts))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def replayed(
    uow: UnitOfWork,
    key: str | None,
    print_: str,
    refusal: Callable[[Iterable[Problem]], ValidationError],
) -> list[Customer] | None:
    """The customers a request with ``key`` stored before, or ``None`` when it is new.

    Raises:
        ValidationError: ``idempotency.conflict`` (made by ``refusal``): the key came
            before with other input.
    """
    if key is None:
        return None
    try:
        entry = uow.store.record(RegistrationLog, key)
    except NotFound:
        return None
    if entry.fingerprint != print_:
        params = {"key": key}
        raise refusal(
            [Problem("idempotency_key", "idempotency.conflict", value=key, params=params)]
        )
    uow.catch_up()  # the log may be newer than what the book has read
    return [find(uow.model, customer_id) for customer_id in entry.customer_ids]


def log(
    tx: Writes, key: str | None, print_: str, customers: Sequence[Customer], uow: UnitOfWork
) -> None:
    """Store the log of a request with an idempotency key, in its transaction."""
    if key is None:
        return
    ids = tuple(c.id for c in customers)
    tx.put_record(RegistrationLog(key, ids, print_, uow.clock()), expected_version=None)
