"""Welcome delivery: handing welcome invoices to the host's sender, retries, and reminders."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Final

import attrs

from debitor_core._errors import DebitorError
from debitor_core._invoice import Delivery, DeliveryState, InvoiceState, ReminderLog
from debitor_core._model import ConsentChannel
from debitor_core.book._accounts import DueReminder
from debitor_core.book._read_model import find_invoice
from debitor_core.book._types import BookSettings
from debitor_core.book._unit_of_work import UnitOfWork

__all__ = ["WelcomeDelivery", "backoff"]

_BACKOFF_MINUTES: Final = (1, 5, 15, 60, 240, 720)

NO_CONSENT: Final = "not sent: no consent"
"""What a delivery withheld for want of email consent says in ``last_error``."""


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait after the ``attempts``-th failure: 1, 5, 15, 60, 240, then 720 min."""
    return dt.timedelta(minutes=_BACKOFF_MINUTES[min(attempts, len(_BACKOFF_MINUTES)) - 1])


class WelcomeDelivery:
    """The outbox of welcome invoices, and the reminders that follow them."""

    def __init__(self, uow: UnitOfWork, settings: BookSettings) -> None:
        """Deliver through ``uow``, with the sender and policy of ``settings``."""
        self._uow = uow
        self._settings = settings

    def pending(self) -> list[Delivery]:
        """Welcome invoices not yet accepted by the sender."""
        self._uow.catch_up()
        return self._uow.model.pending_deliveries()

    def deliver_pending(self, now: dt.datetime | None) -> list[Delivery]:
        """Hand each due welcome invoice to the sender (see `CustomerBook.deliver_pending`)."""
        sender = self._settings.sender
        if sender is None:
            msg = "The book has no sender for welcome invoices; pass sender= to CustomerBook."
            raise DebitorError(msg)
        moment = now or self._settings.clock()
        uow = self._uow
        uow.catch_up()
        results = []
        for delivery in uow.model.pending_deliveries(moment):
            invoice = find_invoice(uow.model, delivery.invoice_id)
            customer = uow.model.get(invoice.customer_id)
            if customer is None or not customer.consent_to(ConsentChannel.EMAIL):
                withheld = attrs.evolve(
                    delivery,
                    state=DeliveryState.NOT_SENT,
                    last_error=NO_CONSENT,
                    version=delivery.version + 1,
                )
                with uow.transaction() as tx:
                    tx.put_record(withheld, expected_version=delivery.version)
                results.append(withheld)
                continue
            try:
                sender.send(invoice, idempotency_key=delivery.idempotency_key)
            except Exception as exc:  # noqa: BLE001 - any failure of the host's sender is recorded
                attempts = delivery.attempts + 1
                failed = attrs.evolve(
                    delivery,
                    attempts=attempts,
                    next_attempt=moment + backoff(attempts),
                    last_error=f"{type(exc).__name__}: {exc}"[:500],
                    version=delivery.version + 1,
                )
                with uow.transaction() as tx:
                    tx.put_record(failed, expected_version=delivery.version)
                results.append(failed)
                continue
            sent = attrs.evolve(
                delivery, state=DeliveryState.SENT, sent_at=moment, version=delivery.version + 1
            )
            with uow.transaction() as tx:
                current = find_invoice(uow.model, invoice.id)
                if current.state is InvoiceState.DRAFT:
                    issued = attrs.evolve(
                        current, state=InvoiceState.SENT, version=current.version + 1
                    )
                    tx.put_record(issued, expected_version=current.version)
                tx.put_record(sent, expected_version=delivery.version)
            results.append(sent)
        return results

    def due_reminders(self, today: dt.date) -> list[DueReminder]:
        """Reminders of sent, unpaid welcome invoices that the schedule says are due."""
        self._uow.catch_up()
        policy = self._settings.welcome
        return self._uow.model.due_reminders(today, policy.reminders if policy else ())

    def mark_reminder_sent(self, invoice_id: uuid.UUID, offset_days: int) -> ReminderLog:
        """Record that a reminder was sent, so it is not due again."""
        uow = self._uow
        with uow.lock:
            uow.catch_up()
            invoice = find_invoice(uow.model, invoice_id)
            log = ReminderLog(invoice.id, offset_days, self._settings.clock())
            with uow.transaction() as tx:
                tx.put_record(log, expected_version=None)
            return log
