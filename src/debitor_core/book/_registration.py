"""Registration: forms read and checked, numbers given, duplicates and welcome invoices handled."""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from typing import Any

import attrs

from debitor_core._errors import DuplicateCustomer, Problem, Severity, ValidationError
from debitor_core._form import ADDRESS_KEYS, FORM_KEYS, CustomerDraft, parse_form
from debitor_core._history import HistoryAction
from debitor_core._i18n import SOURCE_LANGUAGE, language_of
from debitor_core._limits import MAX_NUMBER
from debitor_core._model import Customer
from debitor_core._text import duplicate_keys
from debitor_core.book._arguments import checked_author, say, wrong_type
from debitor_core.book._build import (
    build,
    gets_welcome,
    number_problems,
    probe,
    welcome_invoice,
    welcome_records,
)
from debitor_core.book._idempotency import checked_key, fingerprint, log, replayed
from debitor_core.book._types import BookSettings, DuplicateMatch, Review, with_defaults
from debitor_core.book._unit_of_work import Batch, UnitOfWork, Writes

__all__ = ["Registration"]

"""The longest idempotency key (as a store's integrity check allows)."""


class Registration:
    """Preview and register customers, one or many at a time."""

    def __init__(self, uow: UnitOfWork, settings: BookSettings) -> None:
        """Register through ``uow`` with ``settings``."""
        self._uow = uow
        self._settings = settings

    def preview(self, form: Mapping[str, Any], number: int | None, locale: str | None) -> Review:
        """What `register` would do with ``form``, changing nothing.

        Problems are said in ``locale`` (default: the book's language).
        """
        language = self._language(locale)
        review = self._preview(form, number)
        if language == SOURCE_LANGUAGE:
            return review
        return attrs.evolve(review, problems=tuple(p.in_locale(language) for p in review.problems))

    def _preview(self, form: Mapping[str, Any], number: int | None) -> Review:
        uow, settings = self._uow, self._settings
        with uow.lock:
            uow.catch_up()
            definitions = uow.definitions
            context = definitions.context(settings.required)
            draft, problems = parse_form(definitions.with_defaults(self._filled(form)), context)
            if number is None:
                wanted = uow.model.last_number() + 1
                problems += _exhausted(wanted)
            else:
                wanted = number
                problems += self._number_problems(number)
            duplicates = self._find_duplicates(draft)
            warnings = [_duplicate_warning(m) for m in duplicates]
            if settings.duplicates == "reject":
                warnings = [
                    attrs.evolve(p, severity=Severity.ERROR, code="duplicate.rejected")
                    for p in warnings
                ]
            problems += warnings
            if any(p.is_error for p in problems):
                return Review(draft, None, tuple(problems), duplicates, wanted)
            customer = build(draft, wanted, now=settings.clock(), author=None)
            welcome = None
            policy = settings.welcome
            if policy is not None and gets_welcome(
                policy, customer, duplicates, uow.model.has_welcome
            ):
                unpriced = policy.currency_problems(customer.currency or policy.currency)
                if unpriced:
                    return Review(draft, None, (*problems, *unpriced), duplicates, wanted)
                next_invoice = uow.model.last_invoice_number() + 1
                welcome = welcome_invoice(policy, customer, next_invoice, settings.timezone)
            return Review(draft, customer, tuple(problems), duplicates, wanted, welcome)

    def register(
        self,
        form: Mapping[str, Any],
        number: int | None,
        author: str | None,
        idempotency_key: str | None = None,
    ) -> Customer:
        """Validate ``form`` and store the customer it describes (see `CustomerBook.register`)."""
        key = checked_key("register", idempotency_key)
        author = checked_author("register", author)
        uow = self._uow
        with uow.lock:
            uow.catch_up()
            print_ = fingerprint([form], [number]) if key is not None else ""
            done = replayed(uow, key, print_, self._refusal)
            if done is not None:
                return done[0]
            draft, errors = self._read_form(form, number)
            if errors:
                raise self._refusal(errors)
            duplicates = self._registration_duplicates(draft)
            with uow.transaction(author=author) as tx:  # the number is chosen, store locked
                done = replayed(
                    uow, key, print_, self._refusal
                )  # another process may have been first
                if done is not None:
                    return done[0]
                if number is None:
                    number = uow.model.last_number() + 1
                    if number > MAX_NUMBER:
                        raise self._refusal(_exhausted(number))
                customer, _ = self._insert(tx, draft, number, author, duplicates, 0)
                log(tx, key, print_, [customer], uow)
            return customer

    def register_many(
        self,
        forms: Iterable[Mapping[str, Any]],
        numbers: Sequence[int | None] | None,
        author: str | None,
        idempotency_key: str | None = None,
    ) -> list[Customer]:
        """Register several customers in one commit: all of them, or none."""
        forms = _listed("forms", forms, "a list of forms (mappings)")
        wanted: list[int | None] = (
            _listed("numbers", numbers, "a list of numbers or None")
            if numbers is not None
            else [None] * len(forms)
        )
        if len(wanted) != len(forms):
            params = {"numbers": len(wanted), "forms": len(forms)}
            raise ValidationError.single(
                "numbers.count", None, len(wanted), "numbers", params=params
            )
        key = checked_key("register_many", idempotency_key)
        author = checked_author("register_many", author)
        uow = self._uow
        with uow.lock:
            uow.catch_up()
            print_ = fingerprint(forms, wanted) if key is not None else ""
            done = replayed(uow, key, print_, self._refusal)
            if done is not None:
                return done
            drafts, given = self._read_forms(forms, wanted)
            matches = [self._registration_duplicates(draft) for draft in drafts]
            made: list[Customer] = []
            with uow.transaction(author=author) as tx:
                done = replayed(
                    uow, key, print_, self._refusal
                )  # another process may have been first
                if done is not None:
                    return done
                numbers = _numbered(uow.model.last_number(), wanted, given)
                policy = self._settings.welcome
                if policy is None or not policy.enabled:  # nobody welcomed: all at once
                    clock = self._settings.clock
                    made = [
                        build(d, n, now=clock(), author=author)
                        for d, n in zip(drafts, numbers, strict=True)
                    ]
                    tx.add_many(made)
                else:  # built and decided one by one, then sent in two calls
                    batch = Batch(tx)
                    welcomed = 0
                    try:
                        for draft, number, duplicates in zip(drafts, numbers, matches, strict=True):
                            customer, welcome = self._insert(
                                batch, draft, number, author, duplicates, welcomed
                            )
                            welcomed += welcome
                            made.append(customer)
                    except ValidationError:
                        # One by one, the customers before the refused one (and it) were
                        # added first: a clash of theirs with a stored one comes first.
                        batch.flush()
                        raise
                    batch.flush()
                log(tx, key, print_, made, uow)
            return made

    def blank_form(self) -> dict[str, Any]:
        """An empty form carrying the book's defaults ("save and new")."""
        self._uow.catch_up()
        fields = self._uow.definitions.fields
        form: dict[str, Any] = dict.fromkeys(FORM_KEYS)
        form["address"] = dict.fromkeys(ADDRESS_KEYS)
        form["other_emails"] = []
        form["other_phones"] = []
        form["categories"] = []
        form["custom_fields"] = {k: f.default for k, f in fields.items() if f.active}
        for key, value in self._settings.defaults.items():
            if key == "address" and isinstance(value, Mapping):
                form["address"].update(value)
            elif key == "custom_fields" and isinstance(value, Mapping):
                form["custom_fields"].update(value)
            else:
                form[key] = value
        return form

    def _language(self, locale: object) -> str:
        if locale is None:
            return self._settings.locale
        if not isinstance(locale, str):
            wrong_type("preview", "locale", locale, "text such as 'lv' or 'en'")
        return language_of(locale)

    def _refusal(self, problems: Iterable[Problem]) -> ValidationError:
        """The `ValidationError` of ``problems``, said in the book's language."""
        error = ValidationError(problems)
        locale = self._settings.locale
        return error if locale == SOURCE_LANGUAGE else error.in_locale(locale)

    def _filled(self, form: Mapping[str, Any]) -> Mapping[str, Any]:
        """``form`` with the book's defaults wherever it leaves a field out or blank."""
        return with_defaults(form, self._settings.defaults)

    def _number_problems(self, number: object, batch: Container[object] = ()) -> list[Problem]:
        model = self._uow.model
        return number_problems(number, lambda n: n in batch or model.get_by_number(n) is not None)

    def _read_form(
        self, form: Mapping[str, Any], number: int | None, taken: Container[object] = ()
    ) -> tuple[CustomerDraft, list[Problem]]:
        """Read one form (and the number asked for); return the draft and its errors."""
        definitions = self._uow.definitions
        context = definitions.context(self._settings.required)
        draft, found = parse_form(definitions.with_defaults(self._filled(form)), context)
        if number is not None:
            found += self._number_problems(number, taken)
        return draft, [p for p in found if p.is_error] if found else found

    def _read_forms(
        self, forms: list[Mapping[str, Any]], wanted: list[int | None]
    ) -> tuple[list[CustomerDraft], set[object]]:
        """Read every form; raise one ValidationError with every error of every form."""
        drafts: list[CustomerDraft] = []
        problems: list[Problem] = []
        given: set[object] = set()
        for position, (form, number) in enumerate(zip(forms, wanted, strict=True)):
            draft, errors = self._read_form(form, number, given)
            if isinstance(number, int) and not isinstance(number, bool):
                given.add(number)  # a number of another type is a problem, never hashed
            prefix = f"[{position}]" if len(forms) > 1 else ""
            problems += [p.at(prefix) for p in errors]
            drafts.append(draft)
        if problems:
            raise self._refusal(problems)
        return drafts, given

    def _find_duplicates(self, draft: CustomerDraft) -> tuple[DuplicateMatch, ...]:
        stand_in = probe(draft)
        if stand_in is None:
            return ()
        return self._uow.model.duplicates(duplicate_keys(stand_in))

    def _registration_duplicates(self, draft: CustomerDraft) -> tuple[DuplicateMatch, ...]:
        """Likely duplicates, when registration needs them (reject mode, welcome invoices)."""
        settings = self._settings
        welcome = settings.welcome
        if (welcome is None or not welcome.enabled) and settings.duplicates != "reject":
            return ()
        duplicates = self._find_duplicates(draft)
        if duplicates and settings.duplicates == "reject":
            locale = settings.locale
            lines = " ".join(m.description_in(locale) for m in duplicates)
            msg = f"{say('duplicate.customer', locale, name=draft.name)} {lines}"
            raise DuplicateCustomer(msg, duplicates)
        return duplicates

    def _insert(  # noqa: PLR0917 - private, two call sites
        self,
        tx: Writes | Batch,
        draft: CustomerDraft,
        number: int,
        author: str | None,
        duplicates: Sequence[DuplicateMatch],
        welcomed: int,
    ) -> tuple[Customer, bool]:
        """Add a new customer in ``tx``; say whether it got a welcome invoice.

        ``welcomed`` counts the welcome invoices this transaction created before.
        """
        settings = self._settings
        customer = build(draft, number, now=settings.clock(), author=author)
        tx.add(customer)
        policy = settings.welcome
        model = self._uow.model
        if policy is None or not gets_welcome(policy, customer, duplicates, model.has_welcome):
            return customer, False
        next_invoice = model.last_invoice_number() + welcomed + 1
        try:
            invoice, delivery = welcome_records(policy, customer, next_invoice, settings.timezone)
        except ValidationError as exc:  # the policy has no price in the customer's currency
            raise self._refusal(exc.problems) from None
        tx.put_record(invoice, expected_version=None)
        tx.put_record(delivery, expected_version=None)
        tx.note(customer.id, HistoryAction.INVOICE_ISSUED, invoice=invoice.id)
        return customer, True


def _duplicate_warning(match: DuplicateMatch) -> Problem:
    customer = match.customer
    params = {
        "number": customer.number,
        "name": customer.name,
        "evidence": match.evidence,
        "archived": customer.archived,
    }
    return Problem(
        match.evidence[0],
        "duplicate.likely",
        None,
        Severity.WARNING,
        customer.number,
        params=params,
    )


def _exhausted(number: int) -> list[Problem]:
    """The problem of an automatic number past the range, if it is."""
    if number <= MAX_NUMBER:
        return []
    return [Problem("number", "number.exhausted", value=number, params={"max": MAX_NUMBER})]


def _listed(parameter: str, values: object, expected: str) -> list[Any]:
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable):
        wrong_type("register_many", parameter, values, expected)
    return list(values)


def _numbered(last: int, wanted: Sequence[int | None], given: Container[object]) -> list[int]:
    """The numbers of a batch: each one asked for, or the next automatic one after ``last``.

    Raises:
        ValidationError: every number up to the highest allowed is used.
    """
    numbers: list[int] = []
    for asked in wanted:
        if asked is None:
            asked = last = _next_number(last, skip=given)  # noqa: PLW2901 - the number given
        numbers.append(asked)
    return numbers


def _next_number(last: int, skip: Container[object] = ()) -> int:
    """The next automatic number after ``last``, skipping the numbers in ``skip``.

    Raises:
        ValidationError: every number up to the highest allowed is used.
    """
    number = last + 1
    while number in skip:
        number += 1
    problems = _exhausted(number)
    if problems:
        raise ValidationError(problems)
    return number
