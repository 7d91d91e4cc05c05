"""`CustomerBook`: the application service behind a customer screen."""

from __future__ import annotations

import datetime as dt
import functools
import threading
import uuid
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from typing import Any, Final, Literal

import attrs
import cattrs

from debitor_core import _rules
from debitor_core._billing import BillingMixin
from debitor_core._category import Category, category_problems, descendants
from debitor_core._converter import make_converter
from debitor_core._errors import (
    ConcurrencyConflict,
    CustomerInUse,
    DuplicateCustomer,
    InUse,
    NotFound,
    Problem,
    Severity,
    ValidationError,
)
from debitor_core._fields import CustomFieldDefinition, FieldType, definition_problems
from debitor_core._form import (
    ADDRESS_KEYS,
    FORM_KEYS,
    CustomerDraft,
    FormContext,
    RequiredFields,
    customer_to_form,
    parse_form,
)
from debitor_core._index import CustomerIndex, duplicate_keys, fold
from debitor_core._invoice import (
    RECORD_KINDS,
    Invoice,
)
from debitor_core._ledger import Ledger, WelcomeSender
from debitor_core._model import (
    Address,
    AttachmentRef,
    Consent,
    ConsentChannel,
    Customer,
    Note,
    utc_now,
)
from debitor_core._util import Change, merge_unique, new_id, read_decimal, run_rule
from debitor_core._welcome import WelcomeInvoicePolicy
from debitor_core.storage._memory import InMemoryStore
from debitor_core.storage._protocol import Store

__all__ = [
    "CategoryCount",
    "CustomerBook",
    "DuplicateMatch",
    "Review",
    "SearchResult",
]

SortKey = Literal["number", "name", "created"]
_EVIDENCE: Final = {
    "tax_id": "the same VAT number",
    "email": "the same email address",
    "phone": "the same phone number",
    "name_city": "the same name and city",
}
_SHA256_HEX: Final = 64
_PROBE_TIME: Final = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
"""The times of the stand-in customer a duplicate check builds (never stored)."""


@attrs.frozen(repr=False)
class DuplicateMatch:
    """A stored customer that looks like the one being registered.

    Attributes:
        customer: The stored customer (archived ones included).
        evidence: What matched: ``tax_id``, ``email``, ``phone``, ``name_city``.
    """

    customer: Customer
    evidence: tuple[str, ...]

    @property
    def description(self) -> str:
        """A sentence for the clerk: "Customer 12 (SIA Koks) has the same email address."."""
        what = " and ".join(_EVIDENCE[e] for e in self.evidence)
        archived = ", archived," if self.customer.archived else ""
        return f"Customer {self.customer.number} ({self.customer.name}){archived} has {what}."

    def __repr__(self) -> str:
        return f"<DuplicateMatch #{self.customer.number} {','.join(self.evidence)}>"


@attrs.frozen(repr=False)
class Review:
    """What registering a form would do, worked out without changing anything.

    Attributes:
        draft: The form's values, normalised (fields with errors are ``None``).
        customer: The customer as it would be stored, or ``None`` when there are errors.
        problems: Every error and warning.
        duplicates: Stored customers that look like this one, with the evidence.
        number: The customer number it would get.
        welcome_invoice: The welcome invoice registration would create, if any.
    """

    draft: CustomerDraft
    customer: Customer | None
    problems: tuple[Problem, ...]
    duplicates: tuple[DuplicateMatch, ...]
    number: int
    welcome_invoice: Invoice | None = None

    @property
    def ok(self) -> bool:
        """Whether registration would succeed (no errors; warnings are fine)."""
        return self.customer is not None

    @property
    def errors(self) -> tuple[Problem, ...]:
        """The problems that block saving."""
        return tuple(p for p in self.problems if p.is_error)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """The problems that are advice only."""
        return tuple(p for p in self.problems if not p.is_error)

    def __repr__(self) -> str:
        state = "ok" if self.ok else f"{len(self.errors)} errors"
        return f"<Review #{self.number} {state}, {len(self.duplicates)} duplicates>"


class SearchResult(Sequence[Customer]):
    """One page of customers matching a search, in the order asked for.

    Iterate it, index it, or take `items`; `total` counts every match (all pages).
    """

    def __init__(self, items: Sequence[Customer], total: Callable[[], int], offset: int) -> None:
        """Create a page; ``total`` is called once, when first asked for."""
        self.items: tuple[Customer, ...] = tuple(items)
        self.offset = offset
        self._total = total
        self._total_value: int | None = None

    @property
    def total(self) -> int:
        """How many customers match, across all pages."""
        if self._total_value is None:
            self._total_value = self._total()
        return self._total_value

    def __getitem__(self, index: Any) -> Any:  # noqa: ANN401 - int or slice, as Sequence
        return self.items[index]

    def __len__(self) -> int:
        return len(self.items)

    def __repr__(self) -> str:
        return f"<SearchResult {len(self.items)} from offset {self.offset}>"


@attrs.frozen
class CategoryCount:
    """A line of the category report.

    Attributes:
        category: The category.
        customers: Customers in it or in any of its sub-categories.
        direct: Customers in it directly.
    """

    category: Category
    customers: int
    direct: int


CategoryRef = Category | uuid.UUID | str
"""A category given by object, id or name."""

ReferenceCheck = Callable[[Customer], str | None]
"""Says why a customer cannot be deleted ("has 3 invoices"), or ``None``."""


class CustomerBook(BillingMixin):
    """Register, review, find and organise customers.

    Args:
        store: Where customers are kept; `InMemoryStore` when not given.
        required: The required-fields policy (default `RequiredFields.default`).
        duplicates: ``"warn"`` (default) reports likely duplicates as warnings;
            ``"reject"`` refuses them with `DuplicateCustomer`.
        defaults: Raw values a blank form starts with, such as
            ``{"address": {"country": "LV"}, "currency": "EUR"}``.
        clock: Returns the current UTC time (for tests).
        welcome: The welcome-invoice policy; ``None`` sends none.
        sender: Delivers welcome invoices (see `deliver_pending`).

    A book keeps indexes of its store's customers in memory for lookups and search.
    Its methods are safe to call from several threads. When another process writes to
    the same store, the book notices (by the store's revision) and re-reads it.
    """

    def __init__(
        self,
        store: Store | None = None,
        *,
        required: RequiredFields | None = None,
        duplicates: Literal["warn", "reject"] = "warn",
        defaults: Mapping[str, Any] | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
        welcome: WelcomeInvoicePolicy | None = None,
        sender: WelcomeSender | None = None,
    ) -> None:
        """Open a book on ``store`` (see the class docstring)."""
        if duplicates not in ("warn", "reject"):
            msg = f"duplicates must be 'warn' or 'reject', not {duplicates!r}."
            raise ValueError(msg)
        self._store: Store = store if store is not None else InMemoryStore()
        self.required = required or RequiredFields.default()
        self.duplicates = duplicates
        self._defaults = dict(defaults or {})
        self._clock = clock
        self._lock = threading.RLock()
        self._index = CustomerIndex()
        self._categories: dict[uuid.UUID, Category] = {}
        self._fields: dict[str, CustomFieldDefinition] = {}
        self._field_defaults: dict[str, Any] = {}
        self._form_context = FormContext(required=self.required)
        self.welcome = welcome
        self.sender = sender
        self._ledger = Ledger()
        self._reference_checks: list[ReferenceCheck] = [self._invoice_references]
        self._seen = -1
        self._last_number = 0  # the store's last_number() as of revision _seen
        self._sync()

    @property
    def store(self) -> Store:
        """The store the book keeps its data in."""
        return self._store

    # -- keeping in step with the store --------------------------------------------

    def _sync(self) -> int:
        """Re-read the store if anything was committed that this book did not index.

        Returns:
            The store's revision, which the indexes now reflect.
        """
        revision = self._store.revision()
        if revision != self._seen:
            with self._lock:
                self._load_definitions()
                self._index.rebuild(self._store.customers(), self._fields.values())
                self._ledger.rebuild(
                    record for kind in RECORD_KINDS.values() for record in self._store.records(kind)
                )
                self._last_number = self._store.last_number()
                self._seen = revision
        return revision

    def _load_definitions(self) -> None:
        """Read categories and custom fields from the store."""
        self._categories = {c.id: c for c in self._store.categories()}
        self._fields = {f.key: f for f in self._store.custom_fields()}
        self._field_defaults = {
            k: f.default for k, f in self._fields.items() if f.active and f.default is not None
        }
        self._form_context = FormContext(
            required=self.required,
            categories={c.name.casefold(): c.id for c in self._categories.values()},
            fields=self._fields,
        )

    def _committed(self, before: int, changes: Iterable[Change]) -> None:
        """Bring the indexes up to date after this book's own commit.

        ``before`` is the revision the book saw inside the transaction; transactions are
        serialised, so the commit made it exactly ``before + 1``.
        """
        for old, new in changes:
            if isinstance(old, Customer):
                self._index.remove(old)
            if isinstance(new, Customer):
                self._index.add(new)
                self._last_number = max(self._last_number, new.number)
            elif new is not None:
                self._ledger.put(new)
        self._seen = before + 1

    def _write(
        self,
        work: Callable[[Any], Iterable[Change]],
        *,
        definitions: bool = False,
    ) -> list[Change]:
        """Run ``work(tx)`` in one transaction and index what it changed.

        If another process committed since this book last looked, the book catches up
        inside the transaction (the store is locked then), so ``work`` sees the latest
        state. ``definitions`` says that the work changes categories or custom fields.
        """
        with self._lock:
            with self._store.transaction() as tx:
                before = self._caught_up()
                changes = list(work(tx))
            if definitions:
                self._load_definitions()
            self._committed(before, changes)
            return changes

    def _caught_up(self) -> int:
        """In a transaction: catch up with other processes' commits; return the revision.

        The store is locked then, so what the book reads next is the latest state.
        """
        before = self._seen
        if self._store.revision() != before:
            before = self._sync()
        return before

    # -- reading forms -------------------------------------------------------------

    def _context(self, previous_fields: Mapping[str, Any] | None = None) -> FormContext:
        context = self._form_context
        if context.required is not self.required:
            context = self._form_context = attrs.evolve(context, required=self.required)
        if previous_fields:
            context = attrs.evolve(context, previous_fields=previous_fields)
        return context

    def _find_duplicates(self, draft: CustomerDraft) -> tuple[DuplicateMatch, ...]:
        if draft.name is None:
            return ()
        probe = Customer(
            id=uuid.UUID(int=0),
            number=0,
            name=draft.name,
            address=draft.address,
            email=draft.email,
            other_emails=draft.other_emails,
            phone=draft.phone,
            other_phones=draft.other_phones,
            tax_id=draft.tax_id,
            created=_PROBE_TIME,
            updated=_PROBE_TIME,
        )
        evidence: dict[int, list[str]] = {}
        for kind, key in duplicate_keys(probe):
            for number in self._index.matches(kind, key):
                if kind not in evidence.setdefault(number, []):
                    evidence[number].append(kind)
        by_number = self._index.by_number
        return tuple(
            DuplicateMatch(by_number[number], tuple(evidence[number]))
            for number in sorted(evidence)
        )

    def _duplicate_warnings(self, matches: Sequence[DuplicateMatch]) -> list[Problem]:
        return [
            Problem(
                m.evidence[0],
                "duplicate.likely",
                f"This may be a customer you already have: {m.description}",
                Severity.WARNING,
                m.customer.number,
            )
            for m in matches
        ]

    def _build(self, draft: CustomerDraft, number: int, author: str | None) -> Customer:
        # Every field of _FORM_FIELDS by name (not **_draft_fields): this runs for each
        # registration, and the dict costs a measurable part of it. A test checks that
        # the two agree.
        now = self._clock()
        assert draft.name is not None  # noqa: S101 - a draft without errors has a name
        return Customer(
            id=new_id(),
            number=number,
            name=draft.name,
            kind=draft.kind,
            contact_person=draft.contact_person,
            address=draft.address,
            email=draft.email,
            other_emails=draft.other_emails,
            phone=draft.phone,
            other_phones=draft.other_phones,
            website=draft.website,
            tax_id=draft.tax_id,
            company_id=draft.company_id,
            payment_terms=draft.payment_terms,
            currency=draft.currency,
            language=draft.language,
            categories=draft.categories,
            custom_fields=draft.custom_fields,
            notes=(Note(draft.note, now, author),) if draft.note else (),
            consents=self._consents(draft, now) if draft.consents else (),
            created=now,
            updated=now,
        )

    @staticmethod
    def _consents(draft: CustomerDraft, now: dt.datetime) -> tuple[Consent, ...]:
        source = draft.consent_source or "registration form"
        return tuple(Consent(channel, given, now, source) for channel, given in draft.consents)

    def _with_defaults(self, form: Mapping[str, Any]) -> Mapping[str, Any]:
        """Fill custom-field defaults for fields the form does not mention."""
        defaults = self._field_defaults
        if not defaults:
            return form
        given = form.get("custom_fields")
        if given is not None and not isinstance(given, Mapping):
            return form
        merged = {**defaults, **(given or {})}
        return {**form, "custom_fields": merged}

    def _check_number(self, number: object, batch: Container[int] = ()) -> list[Problem]:
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            msg = f"The customer number must be a positive whole number, not {number!r}."
            return [Problem("number", "number.invalid", msg, value=number)]
        if number in self._index.by_number or number in batch:
            msg = (
                f"The customer number {number} is already taken; "
                "leave it out to get the next free one."
            )
            return [Problem("number", "number.taken", msg, value=number)]
        return []

    # -- customers -----------------------------------------------------------------

    def preview(self, form: Mapping[str, Any], *, number: int | None = None) -> Review:
        """Work out what `register` would do with ``form``, changing nothing.

        Args:
            form: The raw form (see `register`).
            number: A customer number to ask for instead of the next free one.

        Returns:
            The review: normalised customer, problems, duplicates, number.
        """
        with self._lock:
            self._sync()
            draft, problems = parse_form(self._with_defaults(form), self._context())
            wanted = self._last_number + 1 if number is None else number
            problems += self._check_number(wanted)
            duplicates = self._find_duplicates(draft)
            if self.duplicates == "reject" and duplicates:
                problems += [
                    attrs.evolve(p, severity=Severity.ERROR, code="duplicate.rejected")
                    for p in self._duplicate_warnings(duplicates)
                ]
            else:
                problems += self._duplicate_warnings(duplicates)
            ok = not any(p.is_error for p in problems)
            customer = self._build(draft, wanted, None) if ok else None
            welcome = None
            if customer is not None and self._gets_welcome(customer, duplicates):
                assert self.welcome is not None  # noqa: S101 - _gets_welcome checked it
                welcome = self.welcome.invoice_for(
                    customer,
                    number=self._ledger.last_invoice_number + 1,
                    issue_date=customer.created.date(),
                )
            return Review(draft, customer, tuple(problems), duplicates, wanted, welcome)

    def register(
        self, form: Mapping[str, Any], *, number: int | None = None, author: str | None = None
    ) -> Customer:
        """Validate ``form`` and store the customer it describes.

        Args:
            form: Raw values by key: ``kind``, ``name``, ``contact_person``, ``email``,
                ``phone``, ``other_emails``, ``other_phones``, ``website``, ``tax_id``,
                ``company_id``, ``address`` (``street``, ``postal_code``, ``city``,
                ``region``, ``country``), ``payment_terms``, ``currency``, ``language``,
                ``categories`` (names), ``custom_fields`` (by key), ``notes``, ``consent``.
            number: A customer number to use instead of the next free one.
            author: Who registers the customer (recorded on the note, if any).

        Returns:
            The stored customer.

        Raises:
            ValidationError: with every problem found; nothing is stored.
            DuplicateCustomer: the book rejects duplicates and this looks like one.
        """
        with self._lock:
            self._sync()
            draft, errors = self._read_form(form, number)
            if errors:
                raise ValidationError(errors)
            duplicates = self._registration_duplicates(draft)
            # What _write does, spelled out: its closure and list are a measurable part
            # of registering one customer.
            with self._store.transaction() as tx:
                before = self._caught_up()
                if number is None:
                    number = self._last_number + 1
                customer, changes = self._insert(
                    tx, draft, number, author, duplicates, self._ledger.last_invoice_number + 1
                )
            self._committed(before, changes)
            return customer

    def register_many(
        self,
        forms: Iterable[Mapping[str, Any]],
        *,
        numbers: Sequence[int | None] | None = None,
        author: str | None = None,
    ) -> list[Customer]:
        """Register several customers in one commit: all of them, or none.

        Problems are reported for every form at once, with paths such as
        ``[3].email`` when more than one form is given.

        Raises:
            ValidationError: with every problem of every form; nothing is stored.
            DuplicateCustomer: the book rejects duplicates and a form looks like one.
        """
        forms = list(forms)
        wanted: list[int | None] = list(numbers) if numbers is not None else [None] * len(forms)
        with self._lock:
            self._sync()
            drafts, given = self._read_forms(forms, wanted)
            matches = [self._registration_duplicates(draft) for draft in drafts]

            def work(tx: Any) -> Iterator[Change]:  # noqa: ANN401 - a Transaction
                next_number = self._last_number + 1
                next_invoice = self._ledger.last_invoice_number + 1
                for draft, asked, duplicates in zip(drafts, wanted, matches, strict=True):
                    number = asked
                    if number is None:
                        while next_number in given:
                            next_number += 1
                        number = next_number
                        next_number += 1
                    _, changes = self._insert(tx, draft, number, author, duplicates, next_invoice)
                    next_invoice += len(changes) > 1  # a welcome invoice took the number
                    yield from changes

            changes = self._write(work)
            return [new for _, new in changes if isinstance(new, Customer)]

    def _read_form(
        self, form: Mapping[str, Any], number: int | None, taken: Container[int] = ()
    ) -> tuple[CustomerDraft, list[Problem]]:
        """Read one form (and the number asked for); return the draft and its errors."""
        draft, found = parse_form(self._with_defaults(form), self._context())
        if number is not None:
            found += self._check_number(number, taken)
        return draft, [p for p in found if p.is_error] if found else found

    def _read_forms(
        self, forms: list[Mapping[str, Any]], wanted: list[int | None]
    ) -> tuple[list[CustomerDraft], set[int]]:
        """Read every form; raise one ValidationError with every error of every form."""
        drafts: list[CustomerDraft] = []
        problems: list[Problem] = []
        given: set[int] = set()
        for position, (form, number) in enumerate(zip(forms, wanted, strict=True)):
            draft, errors = self._read_form(form, number, given)
            if number is not None:
                given.add(number)
            prefix = f"[{position}]" if len(forms) > 1 else ""
            problems += [p.at(prefix) for p in errors]
            drafts.append(draft)
        if problems:
            raise ValidationError(problems)
        return drafts, given

    def _insert(  # noqa: PLR0917 - private, two call sites
        self,
        tx: Any,  # noqa: ANN401 - a Transaction
        draft: CustomerDraft,
        number: int,
        author: str | None,
        duplicates: Sequence[DuplicateMatch],
        next_invoice: int,
    ) -> tuple[Customer, list[Change]]:
        """Add a new customer in ``tx``, with its welcome invoice if it gets one."""
        customer = self._build(draft, number, author)
        tx.add(customer)
        changes: list[Change] = [(None, customer)]
        if self._gets_welcome(customer, duplicates):
            changes += self._create_welcome(tx, customer, next_invoice)
        return customer, changes

    def _registration_duplicates(self, draft: CustomerDraft) -> tuple[DuplicateMatch, ...]:
        """Likely duplicates, when registration needs them (reject mode, welcome invoices)."""
        welcome_on = self.welcome is not None and self.welcome.enabled
        if not welcome_on and self.duplicates != "reject":
            return ()
        duplicates = self._find_duplicates(draft)
        if duplicates and self.duplicates == "reject":
            lines = " ".join(m.description for m in duplicates)
            msg = f"{draft.name} looks like a customer you already have. {lines}"
            raise DuplicateCustomer(msg, duplicates)
        return duplicates

    def export(self, *, include_private: bool = False) -> dict[str, Any]:
        """The book's categories, custom fields and customers as JSON-ready data.

        Made by the library's converter (see `make_converter`), so it is what the JSON
        store writes. Private notes, attachment references and consent records are left
        out unless ``include_private`` is true.
        """
        with self._lock:
            self._sync()
            converter = make_converter()
            customers = [self._index.by_number[n] for n in self._index.numbers]
            if not include_private:
                customers = [
                    attrs.evolve(c, notes=(), attachments=(), consents=()) for c in customers
                ]
            return {
                "categories": converter.unstructure(list(self._categories.values())),
                "custom_fields": converter.unstructure(list(self._fields.values())),
                "customers": converter.unstructure(customers),
            }

    def import_data(self, data: Mapping[str, Any]) -> list[Customer]:
        """Import what `export` produced, all or nothing.

        Categories and custom fields are added when the book lacks them (a category of
        the same name, any case, is reused). Each customer is checked like a form and
        stored as it was: id, number, notes and times included.

        Raises:
            ValidationError: with every problem, paths like ``customers[2].email``;
                nothing is stored.
        """
        with self._lock:
            self._sync()
            categories, fields, customers = self._read_export(data)
            taken_ids = {c.id for c in self._index.by_number.values()}
            taken_numbers = set(self._index.by_number)
            problems: list[Problem] = []
            mapping = {c.name.casefold(): c.id for c in self._categories.values()}
            renumber = {c.id: mapping.get(c.name.casefold(), c.id) for c in categories}
            context = attrs.evolve(
                self._context(),
                categories={**{c.name.casefold(): c.id for c in categories}, **mapping},
                fields={**{f.key: f for f in fields}, **self._fields},
            )
            names = {c.id: c.name for c in categories}
            checked: list[Customer] = []
            for position, record in enumerate(customers):
                customer = attrs.evolve(
                    record,
                    categories=tuple(sorted(renumber.get(c, c) for c in record.categories)),
                )
                normal, found = self._check_import(
                    customer, context, names, taken_ids, taken_numbers
                )
                problems += [p.at(f"customers[{position}]") for p in found]
                taken_ids.add(customer.id)
                taken_numbers.add(customer.number)
                checked.append(normal)
            if problems:
                raise ValidationError(problems)
            new_categories = [c for c in categories if c.name.casefold() not in mapping]
            new_fields = [f for f in fields if f.key not in self._fields]

            def work(tx: Any) -> Iterator[Change]:  # noqa: ANN401 - a Transaction
                for category in new_categories:
                    tx.put_category(category)
                for definition in new_fields:
                    tx.put_custom_field(definition)
                for customer in checked:
                    tx.add(customer)
                    yield None, customer

            changes = self._write(work, definitions=bool(new_categories or new_fields))
            return [new for _, new in changes if isinstance(new, Customer)]

    @staticmethod
    def _read_export(
        data: Mapping[str, Any],
    ) -> tuple[list[Category], list[CustomFieldDefinition], list[Customer]]:
        converter = make_converter()
        try:
            return (
                converter.structure(data.get("categories", []), list[Category]),
                converter.structure(data.get("custom_fields", []), list[CustomFieldDefinition]),
                converter.structure(data["customers"], list[Customer]),
            )
        except (KeyError, TypeError, ValueError, AttributeError, cattrs.BaseValidationError) as exc:
            msg = f"The data is not an export of a customer book ({exc})."
            raise ValidationError.single("import.format", msg, None) from exc

    def _check_import(
        self,
        customer: Customer,
        context: FormContext,
        category_names: Mapping[uuid.UUID, str],
        taken_ids: set[uuid.UUID],
        taken_numbers: set[int],
    ) -> tuple[Customer, list[Problem]]:
        """Check an imported customer like a form; return it in normal form, and problems."""
        names = {**category_names, **{c.id: c.name for c in self._categories.values()}}
        previous = attrs.evolve(context, previous_fields=customer.custom_fields)
        draft, found = parse_form(customer_to_form(customer, names), previous)
        problems = [p for p in found if p.is_error]
        if customer.id in taken_ids:
            msg = f"A customer with the id {customer.id} is already in the book."
            problems.append(Problem("id", "id.taken", msg, value=str(customer.id)))
        problems += self._check_number(customer.number, taken_numbers)
        return (customer if problems else _with_draft(customer, draft)), problems

    def blank_form(self) -> dict[str, Any]:
        """Return an empty form carrying the book's defaults ("save and new")."""
        form: dict[str, Any] = dict.fromkeys(FORM_KEYS)
        form["address"] = dict.fromkeys(ADDRESS_KEYS)
        form["other_emails"] = []
        form["other_phones"] = []
        form["categories"] = []
        form["custom_fields"] = {k: f.default for k, f in self._fields.items() if f.active}
        for key, value in self._defaults.items():
            if key == "address" and isinstance(value, Mapping):
                form["address"].update(value)
            elif key == "custom_fields" and isinstance(value, Mapping):
                form["custom_fields"].update(value)
            else:
                form[key] = value
        return form

    def get(self, customer_id: uuid.UUID | str) -> Customer:
        """Return the customer with this id.

        Raises:
            NotFound: no customer has the id.
        """
        self._sync()
        key = customer_id if isinstance(customer_id, uuid.UUID) else _parse_uuid(customer_id)
        customer = self._index.get(key) if key else None
        if customer is None:
            msg = f"No customer has the id {customer_id}."
            raise NotFound(msg)
        return customer

    def get_by_number(self, number: int) -> Customer:
        """Return the customer with this number.

        Raises:
            NotFound: no customer has the number.
        """
        self._sync()
        customer = self._index.by_number.get(number)
        if customer is None:
            msg = f"No customer has the number {number!r}."
            raise NotFound(msg)
        return customer

    def __len__(self) -> int:
        """How many customers the book holds, archived ones included."""
        self._sync()
        return len(self._index)

    def _change(
        self,
        customer_id: uuid.UUID | str,
        expected_version: int | None,
        make: Callable[[Customer], Customer],
    ) -> Customer:
        with self._lock:
            current = self.get(customer_id)
            version = current.version if expected_version is None else expected_version
            if current.version != version:
                msg = (
                    f"Customer {current.number} was changed by someone else: it is at "
                    f"version {current.version}, not {version}. Reload it and try again."
                )
                raise ConcurrencyConflict(msg, expected=version, actual=current.version)
            new = attrs.evolve(make(current), version=version + 1, updated=self._clock())

            def work(tx: Any) -> Iterator[tuple[Customer, Customer]]:  # noqa: ANN401
                tx.update(new, expected_version=version)
                yield current, new

            self._write(work)
            return new

    def update(
        self,
        customer_id: uuid.UUID | str,
        changes: Mapping[str, Any],
        *,
        expected_version: int,
        author: str | None = None,
    ) -> Customer:
        """Change a customer's fields, validated as at registration.

        Args:
            customer_id: The customer to change.
            changes: Form keys with their new raw values; a blank value clears the
                field; ``address`` merges key by key; ``notes`` adds a note;
                ``consent`` records new consent statements.
            expected_version: The version the change is based on.
            author: Who makes the change (recorded on a new note).

        Returns:
            The stored customer, one version higher.

        Raises:
            ValidationError: with every problem; nothing changes.
            ConcurrencyConflict: the customer is no longer at ``expected_version``.
            NotFound: no customer has the id.
        """

        def make(current: Customer) -> Customer:
            names = {c.id: c.name for c in self._categories.values()}
            form = customer_to_form(current, names)
            for key, value in changes.items():
                if key == "address" and isinstance(value, Mapping):
                    form["address"] = {**form["address"], **value}
                else:
                    form[key] = value
            draft, problems = parse_form(form, self._context(current.custom_fields))
            errors = [p for p in problems if p.is_error]
            if errors:
                raise ValidationError(errors)
            now = self._clock()
            note = (Note(draft.note, now, author),) if draft.note else ()
            return attrs.evolve(
                _with_draft(current, draft),
                notes=current.notes + note,
                consents=current.consents + self._consents(draft, now),
            )

        return self._change(customer_id, expected_version, make)

    def add_note(
        self,
        customer_id: uuid.UUID | str,
        text: str,
        *,
        author: str | None = None,
        expected_version: int | None = None,
    ) -> Customer:
        """Append a private, timestamped note to a customer.

        Raises:
            ValidationError: the note is empty, too long or has control characters.
        """
        note_text = run_rule(
            "notes",
            lambda v: _rules.text(
                v, label="note", code="note", max_length=_rules.LIMITS["note"], multiline=True
            ),
            text,
        )
        return self._change(
            customer_id,
            expected_version,
            lambda c: attrs.evolve(c, notes=(*c.notes, Note(note_text, self._clock(), author))),
        )

    def attach(
        self,
        customer_id: uuid.UUID | str,
        *,
        file_name: str,
        media_type: str,
        size: int,
        sha256: str,
        expected_version: int | None = None,
    ) -> Customer:
        """Record a reference to a file the host app keeps (such as a scanned contract).

        Raises:
            ValidationError: a part of the reference is not valid.
        """
        problems: list[Problem] = []
        name = _collect(
            problems,
            "file_name",
            lambda v: _rules.text(v, label="file name", code="file_name", max_length=255),
            file_name,
        )
        media = _collect(problems, "media_type", _media_type, media_type)
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            problems.append(
                Problem(
                    "size",
                    "size.invalid",
                    f"The size must be a number of bytes, not {size!r}.",
                    value=size,
                )
            )
        digest = sha256.lower() if isinstance(sha256, str) else ""
        if len(digest) != _SHA256_HEX or any(c not in "0123456789abcdef" for c in digest):
            problems.append(
                Problem(
                    "sha256",
                    "sha256.invalid",
                    "The SHA-256 must be 64 hexadecimal characters.",
                    value=sha256,
                )
            )
        if problems:
            raise ValidationError(problems)
        assert name is not None  # noqa: S101 - no problems, so a name
        assert media is not None  # noqa: S101 - no problems, so a media type
        return self._change(
            customer_id,
            expected_version,
            lambda c: attrs.evolve(
                c,
                attachments=(
                    *c.attachments,
                    AttachmentRef(name, media, size, digest, self._clock()),
                ),
            ),
        )

    def record_consent(
        self,
        customer_id: uuid.UUID | str,
        channel: ConsentChannel | str,
        *,
        given: bool,
        source: str | None = None,
        expected_version: int | None = None,
    ) -> Customer:
        """Record that the customer gave (or withdrew) consent to a contact channel."""
        try:
            chosen = ConsentChannel(channel)
        except ValueError:
            choices = ", ".join(c.value for c in ConsentChannel)
            msg = f"The consent channel must be one of {choices}, not {channel!r}."
            raise ValidationError.single("consent.invalid", msg, channel, "channel") from None
        return self._change(
            customer_id,
            expected_version,
            lambda c: attrs.evolve(
                c, consents=(*c.consents, Consent(chosen, given, self._clock(), source))
            ),
        )

    def archive(
        self, customer_id: uuid.UUID | str, *, expected_version: int | None = None
    ) -> Customer:
        """Hide a customer from listings and searches (unless asked for); keep everything."""
        return self._change(customer_id, expected_version, lambda c: attrs.evolve(c, archived=True))

    def restore(
        self, customer_id: uuid.UUID | str, *, expected_version: int | None = None
    ) -> Customer:
        """Bring an archived customer back into listings."""
        return self._change(
            customer_id, expected_version, lambda c: attrs.evolve(c, archived=False)
        )

    def categorise(
        self,
        customer_id: uuid.UUID | str,
        *,
        add: Iterable[CategoryRef] = (),
        remove: Iterable[CategoryRef] = (),
        expected_version: int | None = None,
    ) -> Customer:
        """Put a customer in categories and take it out of others (by object, id or name).

        Raises:
            NotFound: a category does not exist.
        """
        with self._lock:
            self._sync()
            joining = {self._category(ref).id for ref in add}
            leaving = {self._category(ref).id for ref in remove}
            return self._change(
                customer_id,
                expected_version,
                lambda c: attrs.evolve(
                    c, categories=tuple(sorted((set(c.categories) | joining) - leaving))
                ),
            )

    def merge(self, keep_id: uuid.UUID | str, duplicate_id: uuid.UUID | str) -> Customer:
        """Fold a duplicate into the customer to keep, in one commit.

        The kept customer keeps its own values and takes from the duplicate what it
        lacks (a missing email, phone, VAT number, address, ...); the duplicate's emails
        and phones become other emails and phones; categories, custom fields, notes,
        attachments and consents are combined; the duplicate's invoices move to the
        kept customer (their copies of the customer's details stay as issued); the
        duplicate is deleted, and its number is never handed out again. A merge never
        creates a welcome invoice.

        Raises:
            ValidationError: the two are the same customer.
            CustomerInUse: the host app's reference checks keep the duplicate.
        """
        with self._lock:
            keep, duplicate = self.get(keep_id), self.get(duplicate_id)
            if keep.id == duplicate.id:
                msg = "A customer cannot be merged into itself."
                raise ValidationError.single("merge.same", msg, str(keep.id))
            reasons = [
                r
                for check in self._reference_checks
                if check != self._invoice_references and (r := check(duplicate))
            ]
            if reasons:
                msg = f"Customer {duplicate.number} cannot be merged away: it {'; '.join(reasons)}."
                raise CustomerInUse(msg)
            merged = attrs.evolve(
                _merged(keep, duplicate), version=keep.version + 1, updated=self._clock()
            )
            moved = [
                attrs.evolve(self._ledger.invoices[i], customer_id=keep.id)
                for i in self._ledger.by_customer.get(duplicate.id, ())
            ]

            def work(tx: Any) -> Iterator[Change]:  # noqa: ANN401 - a Transaction
                tx.update(merged, expected_version=keep.version)
                yield keep, merged
                tx.delete(duplicate.id)
                yield duplicate, None
                for invoice in moved:
                    changed = attrs.evolve(invoice, version=invoice.version + 1)
                    tx.put_record(changed, expected_version=invoice.version)
                    yield None, changed

            self._write(work)
            return merged

    def add_reference_check(self, check: ReferenceCheck) -> None:
        """Register a check that says why a customer cannot be deleted.

        The host app calls this for records of its own that refer to customers
        (orders, contracts); `delete` refuses while any check answers.
        """
        self._reference_checks.append(check)

    def delete(self, customer_id: uuid.UUID | str) -> None:
        """Delete a customer that nothing refers to. Its number is never reused.

        Raises:
            CustomerInUse: something refers to the customer; archive it instead.
            NotFound: no customer has the id.
        """
        with self._lock:
            customer = self.get(customer_id)
            reasons = [r for check in self._reference_checks if (r := check(customer))]
            if reasons:
                msg = (
                    f"Customer {customer.number} ({customer.name}) cannot be deleted: it "
                    f"{'; '.join(reasons)}. Archive it instead with book.archive()."
                )
                raise CustomerInUse(msg)

            def work(tx: Any) -> Iterator[tuple[Customer, None]]:  # noqa: ANN401
                tx.delete(customer.id)
                yield customer, None

            self._write(work)

    # -- search --------------------------------------------------------------------

    def search(
        self,
        text: str = "",
        *,
        category: CategoryRef | Iterable[CategoryRef] | None = None,
        match: Literal["any", "all"] = "any",
        subcategories: bool = True,
        country: str | None = None,
        city: str | None = None,
        custom_fields: Mapping[str, Any] | None = None,
        archived: bool | None = False,
        sort: SortKey = "number",
        descending: bool = False,
        offset: int = 0,
        limit: int | None = None,
    ) -> SearchResult:
        """Find customers by free text and filters.

        Args:
            text: Words to look for in the name, contact person, emails, phones, tax
                ids, city, customer number and text custom fields. Each word must
                appear (as part of a word or whole); case and accents do not matter.
            category: A category (object, id or name) or several.
            match: With several categories, whether a customer needs ``any`` or ``all``.
            subcategories: Whether a category includes its sub-categories.
            country: Only customers in this country (code or name).
            city: Only customers in this city (case and accents do not matter).
            custom_fields: Only customers with these custom-field values (raw values
                are read by the field's definition).
            archived: ``False`` hides archived customers, ``True`` shows only them,
                ``None`` shows both.
            sort: ``number``, ``name`` or ``created``.
            descending: Reverse the order.
            offset: Matches to skip (pagination).
            limit: Most customers to return; ``None`` for all.

        Returns:
            The page of matching customers; its ``total`` counts every match.

        Raises:
            NotFound: a category or custom field does not exist.
            ValidationError: a filter value is not valid.
        """
        if sort not in ("number", "name", "created"):
            msg = f"sort must be number, name or created, not {sort!r}."
            raise ValueError(msg)
        with self._lock:
            self._sync()
            index = self._index
            groups = self._category_groups(category, subcategories=subcategories)
            checks = self._filters(groups, match, country, city, custom_fields, archived)
            if text.strip():
                numbers: Iterable[int] = sorted(index.search_text(text))
            elif groups and match == "any":
                numbers = merge_unique([index.by_category.get(c, []) for c in set().union(*groups)])
            elif groups:
                smallest = min(
                    groups, key=lambda g: sum(len(index.by_category.get(c, [])) for c in g)
                )
                numbers = merge_unique([index.by_category.get(c, []) for c in smallest])
            else:
                numbers = index.numbers
            by_number = index.by_number

            def matching() -> Iterator[Customer]:
                for number in numbers:
                    customer = by_number[number]
                    if all(check(customer) for check in checks):
                        yield customer

            if sort == "number" and not descending:
                page = list(_take(matching(), offset, limit))
            else:
                ordered = sorted(matching(), key=_SORT_KEYS[sort], reverse=descending)
                end = None if limit is None else offset + limit
                page = ordered[offset:end]

            def total() -> int:
                with self._lock:
                    return sum(1 for _ in matching())

            return SearchResult(page, total, offset)

    def customers(self, *, archived: bool | None = False) -> SearchResult:
        """List customers in number order (archived ones hidden unless asked for)."""
        return self.search(archived=archived)

    def _category_groups(
        self, category: CategoryRef | Iterable[CategoryRef] | None, *, subcategories: bool
    ) -> list[set[uuid.UUID]]:
        if category is None:
            return []
        refs = [category] if isinstance(category, Category | uuid.UUID | str) else list(category)
        groups = []
        for ref in refs:
            root = self._category(ref).id
            groups.append(descendants([root], self._categories) if subcategories else {root})
        return groups

    def _filters(  # noqa: PLR0917 - private helper, one call site
        self,
        groups: list[set[uuid.UUID]],
        match: str,
        country: str | None,
        city: str | None,
        custom_fields: Mapping[str, Any] | None,
        archived: bool | None,  # noqa: FBT001 - tri-state filter passed through
    ) -> list[Callable[[Customer], bool]]:
        checks: list[Callable[[Customer], bool]] = []
        if archived is not None:
            checks.append(lambda c: c.archived == archived)
        if len(groups) > 1 and match == "all":
            checks.append(lambda c: all(not g.isdisjoint(c.categories) for g in groups))
        if country is not None:
            code = run_rule("country", _rules.validate_country, country)
            checks.append(lambda c: c.address.country == code)
        if city is not None:
            wanted_city = fold(" ".join(city.split()))
            checks.append(
                lambda c: c.address.city is not None and fold(c.address.city) == wanted_city
            )
        for key, raw in (custom_fields or {}).items():
            definition = self.field(key)
            value = run_rule(f"custom_fields.{key}", definition.validate, raw)
            checks.append(functools.partial(_has_field_value, key=key, wanted=value))
        return checks

    # -- categories ----------------------------------------------------------------

    def categories(self) -> list[Category]:
        """Every category, by name."""
        self._sync()
        return sorted(self._categories.values(), key=lambda c: fold(c.name))

    def _category(self, ref: CategoryRef) -> Category:
        if isinstance(ref, Category):
            ref = ref.id
        if isinstance(ref, uuid.UUID):
            found = self._categories.get(ref)
        else:
            wanted = " ".join(str(ref).split()).casefold()
            found = next(
                (c for c in self._categories.values() if c.name.casefold() == wanted), None
            )
        if found is None:
            msg = f"There is no category {ref!r}."
            raise NotFound(msg)
        return found

    def category(self, ref: CategoryRef) -> Category:
        """Return a category by object, id or name (any case).

        Raises:
            NotFound: there is no such category.
        """
        self._sync()
        return self._category(ref)

    def _put_category(self, candidate: Category) -> Category:
        problems = category_problems(candidate, self._categories)
        if problems:
            raise ValidationError(problems)

        def work(tx: Any) -> Iterator[tuple[Customer, Customer]]:  # noqa: ANN401
            tx.put_category(candidate)
            yield from ()

        self._write(work, definitions=True)
        return candidate

    def create_category(self, name: str, *, parent: CategoryRef | None = None) -> Category:
        """Create a category, optionally under a parent.

        Raises:
            ValidationError: the name is empty, too long or taken (any case).
            NotFound: the parent does not exist.
        """
        with self._lock:
            self._sync()
            clean = run_rule("name", _category_name, name)
            parent_id = self._category(parent).id if parent is not None else None
            return self._put_category(Category(uuid.uuid4(), clean, parent_id))

    def rename_category(self, ref: CategoryRef, name: str) -> Category:
        """Give a category a new name (customers keep it).

        Raises:
            ValidationError: the name is empty, too long or taken.
            NotFound: no such category.
        """
        with self._lock:
            self._sync()
            current = self._category(ref)
            clean = run_rule("name", _category_name, name)
            return self._put_category(attrs.evolve(current, name=clean))

    def move_category(self, ref: CategoryRef, parent: CategoryRef | None) -> Category:
        """Place a category under ``parent`` (``None``: at the top level).

        Raises:
            ValidationError: the move would make a category its own ancestor.
            NotFound: no such category or parent.
        """
        with self._lock:
            self._sync()
            current = self._category(ref)
            parent_id = self._category(parent).id if parent is not None else None
            return self._put_category(attrs.evolve(current, parent=parent_id))

    def delete_category(self, ref: CategoryRef, *, detach: bool = False) -> None:
        """Delete a category; its sub-categories move up to its parent.

        Args:
            ref: The category.
            detach: When customers are in the category, ``True`` takes it off them
                (each becomes one version higher) in the same commit; ``False`` refuses.

        Raises:
            InUse: customers are in the category and ``detach`` is false.
            NotFound: no such category.
        """
        with self._lock:
            self._sync()
            doomed = self._category(ref)
            members = [self._index.by_number[n] for n in self._index.by_category.get(doomed.id, [])]
            if members and not detach:
                msg = (
                    f"{len(members)} customer(s) are in the category {doomed.name!r}. "
                    "Pass detach=True to take it off them, or move them first."
                )
                raise InUse(msg)
            now = self._clock()

            def work(tx: Any) -> Iterator[tuple[Customer, Customer]]:  # noqa: ANN401
                for child in self._categories.values():
                    if child.parent == doomed.id:
                        tx.put_category(attrs.evolve(child, parent=doomed.parent))
                tx.delete_category(doomed.id)
                for customer in members:
                    kept = tuple(c for c in customer.categories if c != doomed.id)
                    new = attrs.evolve(
                        customer, categories=kept, version=customer.version + 1, updated=now
                    )
                    tx.update(new, expected_version=customer.version)
                    yield customer, new

            self._write(work, definitions=True)

    def category_counts(self, *, archived: bool | None = False) -> list[CategoryCount]:
        """The category report: customers per category, with and without sub-categories."""
        with self._lock:
            self._sync()
            index = self._index
            report = []
            for category in self.categories():
                tree = descendants([category.id], self._categories)
                members = merge_unique([index.by_category.get(c, []) for c in tree])
                direct = index.by_category.get(category.id, [])

                def keep(number: int) -> bool:
                    return archived is None or index.by_number[number].archived == archived

                report.append(
                    CategoryCount(
                        category,
                        sum(1 for n in members if keep(n)),
                        sum(1 for n in direct if keep(n)),
                    )
                )
            return report

    # -- custom fields -------------------------------------------------------------

    def fields(self) -> list[CustomFieldDefinition]:
        """Every custom-field definition, active or not, in the order defined."""
        self._sync()
        return list(self._fields.values())

    def field(self, key: str) -> CustomFieldDefinition:
        """Return the definition of the custom field ``key``.

        Raises:
            NotFound: no field has the key.
        """
        self._sync()
        try:
            return self._fields[key]
        except KeyError:
            msg = f"There is no custom field {key!r}."
            raise NotFound(msg) from None

    def define_field(
        self,
        key: str,
        label: str,
        type: FieldType | str = FieldType.TEXT,  # noqa: A002 - mirrors the attribute
        **rules: Any,  # noqa: ANN401 - any CustomFieldDefinition attribute
    ) -> CustomFieldDefinition:
        """Define a new custom field.

        Args:
            key: The field's key in forms and storage (``vat_group``).
            label: The name shown to users.
            type: A `FieldType` or its value (``"integer"``).
            **rules: Any other attribute of `CustomFieldDefinition` (``required``,
                ``choices``, ``min_value``, ``max_value``, ``max_length``, ``pattern``,
                ``default``, ``help_text``, ``personal_data``).

        Raises:
            ValidationError: the definition is not sound or the key is taken.
        """
        with self._lock:
            self._sync()
            definition = _make_definition(key=key, label=label, type=type, **rules)
            if key in self._fields:
                raise ValidationError.single(
                    "custom_field_definition.key_taken",
                    f"A custom field with the key {key!r} already exists; change it instead.",
                    key,
                    "key",
                )
            return self._put_field(definition, [])

    def change_field(
        self,
        key: str,
        /,
        **changes: Any,  # noqa: ANN401 - any CustomFieldDefinition attribute
    ) -> CustomFieldDefinition:
        """Change a custom field's definition.

        Every stored value is checked against the new definition first; if any does
        not fit, nothing changes and each misfit is reported (path
        ``customers[<number>].custom_fields.<key>``). When all fit, the stored values
        are converted to the new type in the same commit.

        Raises:
            ValidationError: the new definition is not sound, or stored values misfit.
            NotFound: no field has the key.
        """
        with self._lock:
            current = self.field(key)
            if "key" in changes and changes["key"] != key:
                raise ValidationError.single(
                    "custom_field_definition.key_fixed",
                    "A custom field's key cannot change; define a new field instead.",
                    changes["key"],
                    "key",
                )
            merged = {**attrs.asdict(current, recurse=False), **changes}
            definition = _make_definition(**merged)
            problems: list[Problem] = []
            converted: list[tuple[Customer, Customer]] = []
            now = self._clock()
            for number in list(self._index.numbers):
                customer = self._index.by_number[number]
                if key not in customer.custom_fields:
                    continue
                old_value = customer.custom_fields[key]
                try:
                    new_value = definition.validate(
                        _raw(old_value), region=customer.address.country
                    )
                except ValidationError as exc:
                    problems += [
                        p.at(f"customers[{number}].custom_fields.{key}") for p in exc.problems
                    ]
                    continue
                if new_value != old_value or type(new_value) is not type(old_value):
                    fields = {**customer.custom_fields, key: new_value}
                    converted.append(
                        (
                            customer,
                            attrs.evolve(
                                customer,
                                custom_fields=fields,
                                version=customer.version + 1,
                                updated=now,
                            ),
                        )
                    )
            if problems:
                raise ValidationError(problems)
            return self._put_field(definition, converted)

    def deactivate_field(self, key: str) -> CustomFieldDefinition:
        """Stop a custom field taking new values; stored values stay."""
        return self.change_field(key, active=False)

    def activate_field(self, key: str) -> CustomFieldDefinition:
        """Let a deactivated custom field take values again."""
        return self.change_field(key, active=True)

    def _put_field(
        self, definition: CustomFieldDefinition, converted: list[tuple[Customer, Customer]]
    ) -> CustomFieldDefinition:
        def work(tx: Any) -> Iterator[tuple[Customer, Customer]]:  # noqa: ANN401
            tx.put_custom_field(definition)
            for old, new in converted:
                tx.update(new, expected_version=old.version)
                yield old, new

        self._write(work, definitions=True)
        if self._index.text_fields != _text_field_keys(self._fields.values()):
            self._seen = -1
            self._sync()
        return definition

    def __repr__(self) -> str:
        return f"<CustomerBook {len(self._index)} customers in {self._store!r}>"


_SORT_KEYS: Final[dict[str, Callable[[Customer], Any]]] = {
    "number": lambda c: c.number,
    "name": lambda c: (fold(c.name), c.number),
    "created": lambda c: (c.created, c.number),
}


def _text_field_keys(fields: Iterable[CustomFieldDefinition]) -> tuple[str, ...]:
    return tuple(f.key for f in fields if f.type in (FieldType.TEXT, FieldType.MULTILINE_TEXT))


def _take(items: Iterator[Customer], offset: int, limit: int | None) -> Iterator[Customer]:
    for position, item in enumerate(items):
        if position < offset:
            continue
        if limit is not None and position >= offset + limit:
            return
        yield item


def _has_field_value(customer: Customer, *, key: str, wanted: object) -> bool:
    stored = customer.custom_fields.get(key)
    if isinstance(stored, tuple) and isinstance(wanted, tuple):
        return set(wanted) <= set(stored)
    if isinstance(stored, str) and isinstance(wanted, str):
        return fold(stored) == fold(wanted)
    return stored == wanted


def _raw(value: object) -> object:
    """A stored custom-field value as raw input for another definition."""
    if isinstance(value, bool | tuple):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _parse_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(text))
    except ValueError:
        return None


def _category_name(value: object) -> str:
    return _rules.text(value, label="category name", code="category", max_length=100)


def _media_type(value: object) -> str:
    media = _rules.text(value, label="media type", code="media_type", max_length=255).lower()
    kind, slash, sub = media.partition("/")
    if not slash or not kind or not sub or " " in media:
        msg = f"The media type {media!r} is not valid; write it like application/pdf."
        raise ValidationError.single("media_type.invalid", msg, value)
    return media


def _collect(
    problems: list[Problem], path: str, rule: Callable[[object], Any], value: object
) -> Any:  # noqa: ANN401
    try:
        return rule(value)
    except ValidationError as exc:
        problems.extend(p.at(path) for p in exc.problems)
        return None


def _make_definition(**values: Any) -> CustomFieldDefinition:  # noqa: ANN401 - loose input
    """Build a definition from loose values and check it; raise with every problem."""
    problems: list[Problem] = []
    raw_type = values.get("type", FieldType.TEXT)
    try:
        values["type"] = FieldType(raw_type)
    except ValueError:
        choices = ", ".join(t.value for t in FieldType)
        msg = f"The field type must be one of {choices}, not {raw_type!r}."
        raise ValidationError.single(
            "custom_field_definition.type", msg, raw_type, "type"
        ) from None
    if values.get("choices") is not None:
        values["choices"] = tuple(values["choices"])
    for bound in ("min_value", "max_value"):
        if values.get(bound) is not None:
            number = read_decimal(values[bound])
            if number is None:
                problems.append(
                    Problem(
                        bound,
                        "custom_field_definition.range",
                        f"The {bound.replace('_', ' ')} must be a number.",
                        value=values[bound],
                    )
                )
            values[bound] = number
    unknown = set(values) - {a.name for a in attrs.fields(CustomFieldDefinition)}
    if unknown:
        msg = f"Unknown custom-field option(s): {', '.join(sorted(unknown))}."
        raise ValidationError.single("custom_field_definition.option", msg, sorted(unknown))
    if problems:
        raise ValidationError(problems)
    definition = CustomFieldDefinition(**values)
    problems = definition_problems(definition)
    if problems:
        raise ValidationError(problems)
    if definition.default is not None:
        definition = attrs.evolve(definition, default=definition.validate(definition.default))
    return definition


_FORM_FIELDS: Final = tuple(
    name
    for name in attrs.fields_dict(CustomerDraft)
    if name in attrs.fields_dict(Customer) and name != "consents"  # a draft's are statements
)
"""The customer fields a form sets: those a draft and a customer share."""


def _draft_fields(draft: CustomerDraft) -> dict[str, Any]:
    """The customer fields a form sets, from a draft without errors."""
    return {name: getattr(draft, name) for name in _FORM_FIELDS}


def _with_draft(customer: Customer, draft: CustomerDraft) -> Customer:
    """``customer`` with every form field taken from ``draft`` (which has no errors)."""
    return attrs.evolve(customer, **_draft_fields(draft))


def _merged(keep: Customer, other: Customer) -> Customer:
    """``keep`` completed with what ``other`` has and it lacks."""
    simple = (
        "contact_person", "email", "phone", "website", "tax_id", "company_id",
        "payment_terms", "currency", "language",
    )  # fmt: skip
    filled = {name: getattr(keep, name) or getattr(other, name) for name in simple}
    seen_emails = {e.casefold() for e in (filled["email"],) if e}
    other_emails = []
    for email in (*keep.other_emails, *other.emails):
        if email.casefold() not in seen_emails:
            seen_emails.add(email.casefold())
            other_emails.append(email)
    seen_phones = {p.number for p in (filled["phone"],) if p}
    other_phones = []
    for phone in (*keep.other_phones, *other.phones):
        if phone.number not in seen_phones:
            seen_phones.add(phone.number)
            other_phones.append(phone)
    return attrs.evolve(
        keep,
        **filled,
        address=_merged_address(keep.address, other.address),
        other_emails=tuple(other_emails),
        other_phones=tuple(other_phones),
        categories=tuple(sorted(set(keep.categories) | set(other.categories))),
        custom_fields={**other.custom_fields, **keep.custom_fields},
        notes=tuple(sorted((*keep.notes, *other.notes), key=lambda n: n.at)),
        attachments=(*keep.attachments, *other.attachments),
        consents=tuple(sorted((*keep.consents, *other.consents), key=lambda c: c.at)),
        created=min(keep.created, other.created),
    )


def _merged_address(keep: Address, other: Address) -> Address:
    """``keep``'s address, its blank parts filled from ``other`` when in the same country."""
    if keep.country not in (None, other.country):
        return keep
    parts = ("street", "postal_code", "city", "region", "country")
    return Address(**{p: getattr(keep, p) or getattr(other, p) for p in parts})
