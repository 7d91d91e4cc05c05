"""Welcome delivery: handing welcome invoices to the host's sender, retries, and reminders."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Final

import attrs

from debitor_core._errors import ConcurrencyConflict, DebitorError, ValidationError
from debitor_core._history import HistoryAction
from debitor_core._invoice import Delivery, DeliveryState, Invoice, InvoiceState, ReminderLog
from debitor_core._limits import MAX_REMINDER_OFFSET
from debitor_core._model import ConsentChannel
from debitor_core._shown import shown
from debitor_core.book._accounts import DueReminder
from debitor_core.book._arguments import (
    checked_author,
    checked_day,
    checked_moment,
    say,
    wrong_type,
)
from debitor_core.book._read_model import find_invoice
from debitor_core.book._types import BookSettings, WelcomeSender
from debitor_core.book._unit_of_work import UnitOfWork

__all__ = ["WelcomeDelivery", "backoff"]

_BACKOFF_MINUTES: Final = (1, 5, 15, 60, 240, 720)

NO_CONSENT: Final = "not sent: no consent"
"""What a delivery withheld for want of email consent says in ``last_error``."""


_SETTLED: Final = {
    DeliveryState.SENT: HistoryAction.INVOICE_SENT,
    DeliveryState.NOT_SENT: HistoryAction.INVOICE_NOT_SENT,
}
"""The outcomes of a delivery that go into the customer's history."""


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

    def deliver_pending(
        self, now: dt.datetime | None, lease: dt.timedelta | None, author: str | None = None
    ) -> list[Delivery]:
        """Hand each due welcome invoice to the sender (see `CustomerBook.deliver_pending`).

        Each delivery is first claimed in a commit of its own: its next attempt moves
        ``lease`` ahead, so that other workers (threads, processes, hosts) pass it by
        while this one sends it. A worker that dies holding a claim loses it when the
        lease runs out, and the delivery is due again.
        """
        settings = self._settings
        sender = settings.sender
        if sender is None:
            raise DebitorError(say("delivery.no_sender", settings.locale))
        checked_moment("deliver_pending", "now", now)
        author = checked_author("deliver_pending", author)
        if lease is not None and not isinstance(lease, dt.timedelta):
            wrong_type("deliver_pending", "lease", lease, "a datetime.timedelta")
        held = settings.lease if lease is None else lease
        if held <= dt.timedelta(0):
            params = {"function": "deliver_pending", "parameter": "lease", "min": 1, "value": held}
            raise ValidationError.single("argument.range", None, held, "lease", params=params)
        moment = now or settings.clock()
        uow = self._uow
        uow.catch_up()
        results = []
        for due in uow.model.pending_deliveries(moment):
            claimed = self._claim(due, moment + held)
            if claimed is None:
                continue  # another worker holds it, or sent it
            invoice = find_invoice(uow.model, claimed.invoice_id)
            after = self._handed_over(sender, invoice, claimed, moment)
            if self._settle(claimed, after, author):
                results.append(after)
        return results

    def _handed_over(
        self, sender: WelcomeSender, invoice: Invoice, claimed: Delivery, moment: dt.datetime
    ) -> Delivery:
        """The claimed delivery after handing ``invoice`` to ``sender`` (or withholding it)."""
        if not self._consented(invoice.customer_id):
            return attrs.evolve(
                claimed,
                state=DeliveryState.NOT_SENT,
                last_error=NO_CONSENT,
                version=claimed.version + 1,
            )
        try:
            sender.send(invoice, idempotency_key=claimed.idempotency_key)
        except Exception as exc:  # noqa: BLE001 - any failure of the host's sender is recorded
            attempts = claimed.attempts + 1
            return attrs.evolve(
                claimed,
                attempts=attempts,
                next_attempt=moment + backoff(attempts),
                last_error=f"{type(exc).__name__}: {exc}"[:500],
                version=claimed.version + 1,
            )
        return attrs.evolve(
            claimed, state=DeliveryState.SENT, sent_at=moment, version=claimed.version + 1
        )

    def _consented(self, customer_id: uuid.UUID) -> bool:
        """Whether the customer's last email consent is a grant (opt-in)."""
        customer = self._uow.model.get(customer_id)
        return customer is not None and customer.consent_to(ConsentChannel.EMAIL)

    def _claim(self, delivery: Delivery, until: dt.datetime) -> Delivery | None:
        """Claim ``delivery`` until ``until``; ``None`` when another worker was first."""
        uow = self._uow
        try:
            with uow.transaction() as tx:  # the store is locked: the read below is current
                current = next(
                    (d for d in uow.model.pending_deliveries() if d.key == delivery.key), None
                )
                if current is None or current.version != delivery.version:
                    return None
                claimed = attrs.evolve(current, next_attempt=until, version=current.version + 1)
                tx.put_record(claimed, expected_version=current.version)
        except ConcurrencyConflict:  # a store that checks versions only at the write
            return None
        return claimed

    def _settle(self, claimed: Delivery, after: Delivery, author: str | None) -> bool:
        """Store the outcome of sending a claimed delivery; ``False`` when the claim was lost.

        A delivery sent, or withheld for want of consent, goes into the customer's history
        (by ``author``); a failed attempt only onto the delivery, which is tried again.
        """
        uow = self._uow
        try:
            with uow.transaction(author=author) as tx:
                if after.state is DeliveryState.SENT:
                    current = find_invoice(uow.model, after.invoice_id)
                    if current.state is InvoiceState.DRAFT:
                        issued = attrs.evolve(
                            current, state=InvoiceState.SENT, version=current.version + 1
                        )
                        tx.put_record(issued, expected_version=current.version)
                tx.put_record(after, expected_version=claimed.version)
                action = _SETTLED.get(after.state)
                if action is not None:
                    tx.note(after.customer_id, action, invoice=after.invoice_id)
        except ConcurrencyConflict:  # the lease ran out and another worker took it over
            return False
        return True

    def due_reminders(self, today: dt.date | None) -> list[DueReminder]:
        """Reminders of sent, unpaid welcome invoices that the schedule says are due.

        ``today`` defaults to today in the book's time zone.
        """
        day = checked_day("due_reminders", "today", today) or self._settings.today()
        self._uow.catch_up()
        policy = self._settings.welcome
        return self._uow.model.due_reminders(day, policy.reminders if policy else ())

    def mark_reminder_sent(
        self, invoice_id: uuid.UUID, offset_days: int, author: str | None = None
    ) -> ReminderLog:
        """Record that a reminder was sent, so it is not due again (in the customer's history)."""
        author = checked_author("mark_reminder_sent", author)
        if (
            isinstance(offset_days, bool)
            or not isinstance(offset_days, int)
            or abs(offset_days) > MAX_REMINDER_OFFSET
        ):
            params = {"max_offset": MAX_REMINDER_OFFSET, "value": shown(offset_days)}
            raise ValidationError.single(
                "reminder.offset", None, offset_days, "offset_days", params=params
            )
        uow = self._uow
        with uow.lock:
            uow.catch_up()
            invoice = find_invoice(uow.model, invoice_id)
            log = ReminderLog(invoice.id, offset_days, self._settings.clock())
            with uow.transaction(author=author) as tx:
                tx.put_record(log, expected_version=None)
                tx.note(invoice.customer_id, HistoryAction.REMINDER_SENT, invoice=invoice.id)
            return log
