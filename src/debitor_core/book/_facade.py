"""`CustomerBook`: the application service behind a customer screen, as a thin facade.

The book wires focused parts around one unit of work and one read model, and each
public method hands over to one part. Behaviour lives in the parts:

- `Registration` (preview, register, blank forms) and `Transfer` (export, import);
- `CustomerSearch` (lookups and search) and `CustomerEdits` (updates, merges, deletes);
- `Categories`, `CustomFields`, `Billing` and `WelcomeDelivery`.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final, Literal, Self

from debitor_core._category import Category
from debitor_core._fields import CustomFieldDefinition, FieldType
from debitor_core._form import RequiredFields
from debitor_core._history import DefinitionChange, HistoryEntry
from debitor_core._invoice import Delivery, Invoice, InvoiceLine, Payment, ReminderLog
from debitor_core._model import ConsentChannel, Customer, utc_now
from debitor_core._terms import PaymentTerms
from debitor_core._welcome import WelcomeInvoicePolicy
from debitor_core.book._accounts import AccountSummary, DueReminder, Totals
from debitor_core.book._arguments import (
    checked_choice,
    checked_clock,
    checked_instance,
    checked_locale,
    checked_sender,
    checked_store,
    checked_timezone,
    checked_welcome,
)
from debitor_core.book._billing import Billing
from debitor_core.book._categories import Categories
from debitor_core.book._custom_fields import CustomFields
from debitor_core.book._customers import CustomerEdits
from debitor_core.book._delivery import WelcomeDelivery
from debitor_core.book._history import History
from debitor_core.book._privacy import Privacy
from debitor_core.book._registration import Registration
from debitor_core.book._search import CustomerSearch
from debitor_core.book._store_model import read_model_for
from debitor_core.book._transfer import Transfer
from debitor_core.book._types import (
    BookSettings,
    CategoryCount,
    CategoryRef,
    ReferenceCheck,
    Review,
    SearchResult,
    SortKey,
    WelcomeSender,
    checked_defaults,
)
from debitor_core.book._unit_of_work import UnitOfWork
from debitor_core.book._view import BookView, ViewParts
from debitor_core.storage._feed import ChangeSet
from debitor_core.storage._memory import InMemoryStore
from debitor_core.storage._protocol import Store

__all__ = ["CustomerBook"]


_DUPLICATES: Final[tuple[Literal["warn", "reject"], ...]] = ("warn", "reject")
"""What a book does with likely duplicates at registration."""


class CustomerBook:
    """Register, review, find and organise customers.

    Args:
        store: Where customers are kept; `InMemoryStore` when not given.
        required: The required-fields policy (default `RequiredFields.default`).
        duplicates: ``"warn"`` (default) reports likely duplicates as warnings;
            ``"reject"`` refuses them with `DuplicateCustomer`.
        defaults: Raw values a blank form starts with, such as
            ``{"address": {"country": "LV"}, "currency": "EUR"}``.
            A form that leaves one of these fields out (or blank) is registered
            with the default; an unknown key is refused when the book is made.
        clock: Returns the current UTC time (for tests).
        welcome: The welcome-invoice policy; ``None`` sends none.
        sender: Delivers welcome invoices (see `deliver_pending`).
        locale: The language of the book's problems and sentences: ``en`` (default),
            ``lv`` or ``de`` (see `available_locales`). Codes are the same in each.
        timezone: The business's time zone, an IANA name such as ``"Europe/Riga"``
            or a `datetime.tzinfo` (default UTC). "Today", issue dates and overdue
            amounts are worked out in it.

    A book holds its store: `close` (or ``with CustomerBook(store) as book:``) closes
    the store too.

    A book keeps indexes of its store's customers in memory for lookups and search,
    unless the store answers those queries itself (`debitor_core.storage.CustomerQueries`,
    as `SqliteStore` does): then the book holds no per-customer state.
    Its methods are safe to call from several threads. When another process writes to
    the same store, the book notices (by the store's revision) and catches up: through
    the store's change feed, in proportion to what changed, when the store has one (the
    stores that ship all do), or else by reading the store again.
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
        locale: str = "en",
        timezone: str | dt.tzinfo = dt.UTC,
    ) -> None:
        """Open a book on ``store`` (see the class docstring).

        Raises:
            TypeError: ``store`` is not a store (a path, say), or another argument
                is of the wrong type.
            ValidationError: ``defaults`` has an unknown key, or ``locale`` or
                ``timezone`` is not one we know.
        """
        settings = BookSettings(
            required=checked_instance("required", required, RequiredFields, "a RequiredFields")
            or RequiredFields.default(),
            duplicates=checked_choice("CustomerBook", "duplicates", duplicates, _DUPLICATES),
            defaults=checked_defaults(defaults),
            clock=checked_clock(clock),
            welcome=checked_welcome(welcome, locale),
            sender=checked_sender(sender),
            locale=checked_locale(locale),
            timezone=checked_timezone(timezone),
        )
        store = checked_store(store) or InMemoryStore()
        uow = UnitOfWork(store, read_model_for(store), settings.clock)
        self._settings = settings
        self._uow = uow
        self._registration = Registration(uow, settings)
        self._transfer = Transfer(uow, settings)
        self._search = CustomerSearch(uow)
        self._edits = CustomerEdits(uow, settings)
        self._categories = Categories(uow, settings)
        self._fields = CustomFields(uow, settings)
        self._billing = Billing(uow, settings)
        self._delivery = WelcomeDelivery(uow, settings)
        self._history = History(uow)
        self._privacy = Privacy(uow, settings)
        self._view_parts = ViewParts(
            self._search,
            self._categories,
            self._fields,
            self._billing,
            self._delivery,
            self._history,
        )

    @property
    def store(self) -> Store:
        """The store the book keeps its data in."""
        return self._uow.store

    @property
    def revision(self) -> int:
        """The store revision the book is at, once caught up with the store.

        A host app that copies the book somewhere (a CRM, a search engine, a cache)
        keeps this with its copy, and later asks `changes_since` what changed after it.
        """
        self._uow.catch_up()
        return self._uow.revision

    @property
    def store_id(self) -> str | None:
        """The identity of the store's history (see `ChangeFeed`); ``None`` without a feed.

        Every `ChangeSet` carries it too: one with another id than the one kept means
        the store was replaced (another file, a restored backup of another book).
        """
        return self._uow.store_id()

    def changes_since(self, revision: int) -> ChangeSet | None:
        """What changed in the store after ``revision``, collapsed per customer and record.

        The change set holds every customer added or changed since (as it is now), the
        ids of those deleted, the records added or changed, whether categories or custom
        fields changed, the store's id and the ``revision`` it brings you to: apply it to
        your copy and keep that revision for the next call. It is read from the store,
        so it includes what other books and processes committed.

        Returns ``None`` when the store cannot tell: it has no change feed, its history
        before ``revision`` was pruned, or ``revision`` is ahead of it (a restored backup)
        or negative. ``None`` means "reload everything": read every customer (for example
        with ``book.customers(archived=None)``) and start again from `revision`.
        """
        return self._uow.changes_since(revision)

    @property
    def required(self) -> RequiredFields:
        """The required-fields policy forms are checked against (may be replaced)."""
        return self._settings.required

    @required.setter
    def required(self, value: RequiredFields) -> None:
        self._settings.required = value

    @property
    def duplicates(self) -> Literal["warn", "reject"]:
        """``"warn"`` or ``"reject"``: what registration does with likely duplicates."""
        return self._settings.duplicates

    @duplicates.setter
    def duplicates(self, value: Literal["warn", "reject"]) -> None:
        self._settings.duplicates = checked_choice("CustomerBook", "duplicates", value, _DUPLICATES)

    @property
    def welcome(self) -> WelcomeInvoicePolicy | None:
        """The welcome-invoice policy, or ``None`` (may be replaced).

        A policy made without ``locale=`` speaks the book's language.
        """
        return self._settings.welcome

    @welcome.setter
    def welcome(self, value: WelcomeInvoicePolicy | None) -> None:
        self._settings.welcome = checked_welcome(value, self._settings.locale)

    @property
    def sender(self) -> WelcomeSender | None:
        """What delivers welcome invoices, or ``None`` (may be replaced)."""
        return self._settings.sender

    @sender.setter
    def sender(self, value: WelcomeSender | None) -> None:
        self._settings.sender = value

    @property
    def locale(self) -> str:
        """The language of the book's problems and sentences (``en``, ``lv``, ``de``)."""
        return self._settings.locale

    @property
    def timezone(self) -> dt.tzinfo:
        """The business's time zone: the book's days ("today", due dates) are its days."""
        return self._settings.timezone

    def close(self) -> None:
        """Close the book's store (the book is not used afterwards)."""
        self._uow.store.close()

    def __enter__(self) -> Self:
        """Use the book in a ``with`` block that closes it (and its store) at the end."""
        return self

    def __exit__(self, *_: object) -> None:
        """Close the book (see `close`)."""
        self.close()

    # -- registration ------------------------------------------------------------------

    def preview(
        self, form: Mapping[str, Any], *, number: int | None = None, locale: str | None = None
    ) -> Review:
        """Work out what `register` would do with ``form``, changing nothing.

        Args:
            form: The raw form (see `register`).
            number: A customer number to ask for instead of the next free one.
            locale: The language of the problems (default: the book's ``locale``).

        Returns:
            The review: normalised customer, problems, duplicates, number, and the
            welcome invoice registration would create.
        """
        return self._registration.preview(form, number, locale)

    def register(
        self,
        form: Mapping[str, Any],
        *,
        number: int | None = None,
        author: str | None = None,
        idempotency_key: str | None = None,
    ) -> Customer:
        """Validate ``form`` and store the customer it describes.

        Args:
            form: Raw values by key: ``kind``, ``name``, ``contact_person``, ``email``,
                ``phone``, ``other_emails``, ``other_phones``, ``website``, ``tax_id``,
                ``company_id``, ``address`` (``street``, ``postal_code``, ``city``,
                ``region``, ``country``), ``payment_terms``, ``currency``, ``language``,
                ``categories`` (names), ``custom_fields`` (by key), ``notes``, ``consent``.
                Fields the form leaves out or blank take the book's ``defaults``.
            number: A customer number to use instead of the next free one (from 1 to
                2**53).
            author: Who registers the customer (recorded on the note, if any).
            idempotency_key: Text (up to 200 characters) that names this request, such
                as a form's hidden token. A registration with a key stored before
                returns the customer it stored (as it is now) and stores nothing, in
                any process and after a reopen: a double-submitted form or a retried
                request registers the customer once.

        Returns:
            The stored customer.

        Raises:
            ValidationError: with every problem found; nothing is stored.
                ``idempotency.conflict``: the key came before with another form.
            DuplicateCustomer: the book rejects duplicates and this looks like one.
        """
        return self._registration.register(form, number, author, idempotency_key)

    def register_many(
        self,
        forms: Iterable[Mapping[str, Any]],
        *,
        numbers: Sequence[int | None] | None = None,
        author: str | None = None,
        idempotency_key: str | None = None,
    ) -> list[Customer]:
        """Register several customers in one commit: all of them, or none.

        Problems are reported for every form at once, with paths such as
        ``[3].email`` when more than one form is given. An ``idempotency_key`` works
        as for `register`: the same key returns the customers stored the first time.

        Raises:
            ValidationError: with every problem of every form; nothing is stored.
            DuplicateCustomer: the book rejects duplicates and a form looks like one.
        """
        return self._registration.register_many(forms, numbers, author, idempotency_key)

    def blank_form(self) -> dict[str, Any]:
        """Return an empty form carrying the book's defaults ("save and new")."""
        return self._registration.blank_form()

    def export(self, *, include_private: bool = False) -> dict[str, Any]:
        """Everything the book keeps, as JSON-ready data: a backup `import_data` restores.

        The keys are ``last_number`` (the highest customer number ever handed out),
        ``categories``, ``custom_fields``, ``customers`` and ``records`` (every kind of
        `RECORD_KINDS` by its ``KIND``: invoices, payments, deliveries, reminder logs,
        with their numbers and versions). Made by the library's converter (see
        `make_converter`). Private notes, attachment references, consent records and the
        values of custom fields marked ``personal_data`` are left out unless
        ``include_private`` is true.
        """
        return self._transfer.export(include_private=include_private)

    def import_data(
        self,
        data: Mapping[str, Any],
        *,
        author: str | None = None,
        idempotency_key: str | None = None,
    ) -> list[Customer]:
        """Import what `export` produced, all or nothing.

        Categories and custom fields are added when the book lacks them (a category of
        the same name, any case, is reused). Every customer, category, custom field and
        record gets the structural checks the stores apply on load (types, ranges,
        lengths, characters, attachment names), then each customer is checked like a
        form and stored as it was: id, number, version, notes and times included.
        Records keep their keys and versions; the book's last number rises to the
        export's, so a deleted customer's number is never handed out again.
        History entries in the export travel with their customers; a customer that
        comes without any gets an entry ``imported`` by ``author``.

        An ``idempotency_key`` (as at `register`) makes a retried import return the
        customers the first one stored instead of refusing them as clashes; the same
        key with other data is ``idempotency.conflict``.

        Raises:
            ValidationError: with every problem, paths like ``customers[2].email`` or
                ``records.payment[0].invoice_id``; nothing is stored.
        """
        return self._transfer.import_data(data, author, idempotency_key)

    # -- finding customers -------------------------------------------------------------

    def get(self, customer_id: uuid.UUID | str) -> Customer:
        """Return the customer with this id.

        The id of a customer merged away finds the customer it was merged into (and a
        chain of merges is followed to its end).

        Raises:
            NotFound: no customer has the id.
        """
        return self._search.get(customer_id)

    def get_by_number(self, number: int) -> Customer:
        """Return the customer with this number.

        The number of a customer merged away finds the customer it was merged into.

        Raises:
            NotFound: no customer has the number.
        """
        return self._search.get_by_number(number)

    def __len__(self) -> int:
        """How many customers the book holds, archived ones included."""
        return self._search.count()

    def search(
        self,
        text: str | None = "",
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
            ``text=None`` (a web form's missing field) searches like ``""``.

        Raises:
            NotFound: a category or custom field does not exist.
            ValidationError: a filter value is not valid, or ``offset`` or ``limit``
                is below 0 (``argument.range``), or ``match``, ``sort`` or
                ``archived`` is not one of its choices (``argument.invalid``).
            TypeError: an argument is of the wrong type (``city=5``), with a sentence.
        """
        return self._search.search(
            text,
            category=category,
            match=match,
            subcategories=subcategories,
            country=country,
            city=city,
            custom_fields=custom_fields,
            archived=archived,
            sort=sort,
            descending=descending,
            offset=offset,
            limit=limit,
        )

    def customers(self, *, archived: bool | None = False) -> SearchResult:
        """List customers in number order (archived ones hidden unless asked for)."""
        return self.search(archived=archived)

    def history(self, customer_id: uuid.UUID | str) -> list[HistoryEntry]:
        """A customer's history: one entry per stored change, oldest first.

        Each entry says when (``at``), who (``author``, as the writing method was
        given it), what kind of change (``action``) and which fields changed
        (``changes``: field -> ``(old, new)`` as JSON-ready data; ``None`` for private
        fields, whose values history never keeps). A deleted customer's history stays.

        Raises:
            NotFound: no customer has (or had) the id.
        """
        return self._history.history(customer_id)

    def subject_export(self, customer_id: uuid.UUID | str) -> dict[str, Any]:
        """Everything stored about the person, as one JSON-ready dict (subject access).

        The keys: ``customer_id``; ``customer`` (the whole profile: notes, attachments'
        metadata, consent ledger, custom fields; ``None`` for a deleted customer);
        ``merged_from`` (the ids of customers merged into this one, whose records are
        included); ``consents``; ``history``; ``invoices``, ``payments``,
        ``deliveries`` and ``reminders``; ``erasures``. Made by the library's converter
        (see `make_converter`). The id of a customer merged away finds the kept one.

        Raises:
            NotFound: no customer has (or had) the id.
        """
        return self._privacy.subject_export(customer_id)

    def erase(
        self, customer_id: uuid.UUID | str, *, reason: str, author: str | None = None
    ) -> Customer:
        """Erase a person's data, keeping only what the law keeps: the invoice copies.

        The customer is replaced by an anonymised tombstone that keeps its id and number
        (named ``Erased customer 17``, archived, so out of default lists, counts and
        searches); its history (and that of customers merged into it) keeps the fact of
        every change and loses the values, and gets an ``erased`` entry with ``reason``;
        welcome invoices lose their rendered message and deliveries their errors (a
        pending one is not sent); an `Erasure` record says when, why and by whom.
        Issued invoices keep their bill-to details until `erase_invoice_copies`.
        A deleted customer can be erased too (its tombstone is returned, not stored).

        When the store can (`scrub`: the JSON, SQLite and PostgreSQL stores), the
        replaced values are gone from its files when this returns; see the Privacy
        page for what that means on each store, and its limits.

        Raises:
            ValidationError: the reason is empty, too long or has control characters.
            NotFound: no customer has (or had) the id.
            StorageError: the store could not scrub its files (`StoreLocked` when
                another connection kept it busy). The erasure itself is committed;
                call ``store.scrub()`` (or `erase` again) once the store is free.
        """
        return self._privacy.erase(customer_id, reason, author)

    def erase_invoice_copies(self, *, issued_before: dt.date) -> list[Invoice]:
        """End the retention of erased customers' invoice copies issued before a day.

        Call it when the retention period the host's tax law sets has passed (for
        example with ``issued_before=today - 10 years``): those invoices keep their
        number, lines and amounts, and their bill-to details become the customer number
        and ``Erased customer 17``. Returns the invoices changed.
        """
        return self._privacy.erase_invoice_copies(issued_before)

    def view(self, *, private: bool = False) -> BookView:
        """A read-only view of the book, for a user without (or with) the private-data grant.

        The view has the book's read methods and none of its writing ones. With
        ``private=False`` it returns customers without private notes, attachments and
        personal-data custom fields, its search never matches private text, and it
        does not know the personal-data fields. The host app decides who has the grant.
        """
        return BookView(self._view_parts, private=private)

    # -- changing customers ------------------------------------------------------------

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
                ``consent`` records new consent statements. Anything but a mapping
                (``None``, a `Customer`) is refused like such a form at `register`;
                `customer_to_form` turns a customer into one.
            expected_version: The version the change is based on (an int).
            author: Who makes the change (recorded on a new note).

        Returns:
            The stored customer, one version higher.

        Raises:
            ValidationError: with every problem; nothing changes.
            ConcurrencyConflict: the customer is no longer at ``expected_version``.
            NotFound: no customer has the id.
            TypeError: ``expected_version`` is not an int (text such as ``"1"``).
        """
        return self._edits.update(customer_id, changes, expected_version, author)

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
        return self._edits.add_note(customer_id, text, author, expected_version)

    def attach(
        self,
        customer_id: uuid.UUID | str,
        *,
        file_name: str,
        media_type: str,
        size: int,
        sha256: str,
        expected_version: int | None = None,
        author: str | None = None,
    ) -> Customer:
        """Record a reference to a file the host app keeps (such as a scanned contract).

        Only the file's base name is kept: ``../../etc/passwd`` is recorded as
        ``passwd``, and a Windows path as its last part (``contract.pdf``).

        Raises:
            ValidationError: a part of the reference is not valid.
        """
        return self._edits.attach(
            customer_id,
            file_name=file_name,
            media_type=media_type,
            size=size,
            sha256=sha256,
            expected_version=expected_version,
            author=author,
        )

    def record_consent(
        self,
        customer_id: uuid.UUID | str,
        channel: ConsentChannel | str,
        *,
        given: bool,
        source: str | None = None,
        wording: str | None = None,
        expected_version: int | None = None,
        author: str | None = None,
    ) -> Customer:
        """Record a grant (``given=True``) or withdrawal of consent to a contact channel.

        Every record is kept, oldest first, in the customer's ``consents`` (the consent
        ledger); `may_contact` answers from the last one per channel.

        Args:
            customer_id: The customer.
            channel: ``email``, ``phone``, ``sms`` or ``post``.
            given: ``True`` for a grant, ``False`` for a withdrawal.
            source: Where it was recorded (``signup form``, ``import``, ``phone call``).
            wording: Which version of the consent text the customer saw.
            expected_version: The version the change is based on.
            author: Who records it (in the customer's history).

        Raises:
            ValidationError: the channel or the wording is not valid.
        """
        return self._edits.record_consent(
            customer_id,
            channel,
            given=given,
            source=source,
            expected_version=expected_version,
            author=author,
            wording=wording,
        )

    def may_contact(self, customer_id: uuid.UUID | str, channel: ConsentChannel | str) -> bool:
        """Whether the customer's last consent record for ``channel`` is a grant.

        Consent is opt-in: a channel never granted is not allowed.

        Raises:
            NotFound: no customer has the id.
            ValidationError: the channel is not one of email, phone, sms, post.
        """
        return self._history.may_contact(customer_id, channel)

    def archive(
        self,
        customer_id: uuid.UUID | str,
        *,
        expected_version: int | None = None,
        author: str | None = None,
    ) -> Customer:
        """Hide a customer from listings and searches (unless asked for); keep everything.

        Archiving an archived customer changes nothing and returns it as it is.
        """
        return self._edits.set_archived(customer_id, expected_version, archived=True, author=author)

    def restore(
        self,
        customer_id: uuid.UUID | str,
        *,
        expected_version: int | None = None,
        author: str | None = None,
    ) -> Customer:
        """Bring an archived customer back into listings (an active one is returned as is)."""
        return self._edits.set_archived(
            customer_id, expected_version, archived=False, author=author
        )

    def categorise(
        self,
        customer_id: uuid.UUID | str,
        *,
        add: Iterable[CategoryRef] = (),
        remove: Iterable[CategoryRef] = (),
        expected_version: int | None = None,
        author: str | None = None,
    ) -> Customer:
        """Put a customer in categories and take it out of others (by object, id or name).

        Raises:
            NotFound: a category does not exist.
        """
        return self._edits.categorise(customer_id, add, remove, expected_version, author)

    def merge(
        self,
        keep_id: uuid.UUID | str,
        duplicate_id: uuid.UUID | str,
        *,
        author: str | None = None,
    ) -> Customer:
        """Fold a duplicate into the customer to keep, in one commit.

        The kept customer keeps its own values and takes from the duplicate what it
        lacks (a missing email, phone, VAT number, address, ...); the duplicate's emails
        and phones become other emails and phones; categories, custom fields, notes,
        attachments and consents are combined; the duplicate's invoices move to the
        kept customer (their copies of the customer's details stay as issued); the
        duplicate is deleted, and its number is never handed out again. From then on
        `get` and `get_by_number` of the duplicate's id and number return the kept
        customer (merges chain: A into B, then B into C, leads A to C); searches never
        show the duplicate. A merge never creates a welcome invoice. Both customers'
        histories record the merge, by ``author``.

        Raises:
            ValidationError: the two are the same customer.
            CustomerInUse: the host app's reference checks keep the duplicate.
        """
        return self._edits.merge(keep_id, duplicate_id, author)

    def add_reference_check(self, check: ReferenceCheck) -> None:
        """Register a check that says why a customer cannot be deleted.

        The host app calls this for records of its own that refer to customers
        (orders, contracts); `delete` refuses while any check answers.
        """
        self._edits.add_reference_check(check)

    def delete(self, customer_id: uuid.UUID | str, *, author: str | None = None) -> None:
        """Delete a customer that nothing refers to. Its number is never reused.

        Its history keeps the fact (by ``author``) and what came before.

        Raises:
            CustomerInUse: something refers to the customer; archive it instead.
            NotFound: no customer has the id; or it was merged away
                (``customer.merged_away``): unlike the other writers, a delete does
                not follow the merge to the kept customer.
        """
        self._edits.delete(customer_id, author)

    # -- categories --------------------------------------------------------------------

    def categories(self) -> list[Category]:
        """Every category, by name."""
        return self._categories.all()

    def category(self, ref: CategoryRef) -> Category:
        """Return a category by object, id or name (any case).

        Raises:
            NotFound: there is no such category.
        """
        return self._categories.get(ref)

    def create_category(
        self, name: str, *, parent: CategoryRef | None = None, author: str | None = None
    ) -> Category:
        """Create a category, optionally under a parent.

        ``author`` (who creates it) goes into its `DefinitionChange` (see
        `definition_history`), stored in the same commit.

        Raises:
            ValidationError: the name is empty, too long or taken (any case), or
                ``author`` is not valid (``author.*``).
            NotFound: the parent does not exist.
        """
        return self._categories.create(name, parent, author)

    def rename_category(
        self, ref: CategoryRef, name: str, *, author: str | None = None
    ) -> Category:
        """Give a category a new name (customers keep it), recorded by ``author``.

        Raises:
            ValidationError: the name is empty, too long or taken, or ``author`` is
                not valid (``author.*``).
            NotFound: no such category.
        """
        return self._categories.rename(ref, name, author)

    def move_category(
        self, ref: CategoryRef, parent: CategoryRef | None, *, author: str | None = None
    ) -> Category:
        """Place a category under ``parent`` (``None``: at the top level), recorded by ``author``.

        Raises:
            ValidationError: the move would make a category its own ancestor, or
                ``author`` is not valid (``author.*``).
            NotFound: no such category or parent.
        """
        return self._categories.move(ref, parent, author)

    def delete_category(
        self, ref: CategoryRef, *, detach: bool = False, author: str | None = None
    ) -> None:
        """Delete a category; its sub-categories move up to its parent.

        Args:
            ref: The category.
            detach: When customers are in the category, ``True`` takes it off them
                (each becomes one version higher) in the same commit; ``False`` refuses.
            author: Who deletes it (recorded in the history of the customers detached,
                and in the `DefinitionChange` records of the deletion and of the
                sub-categories moved up).

        Raises:
            InUse: customers are in the category and ``detach`` is false.
            NotFound: no such category.
        """
        self._categories.delete(ref, detach=detach, author=author)

    def category_counts(self, *, archived: bool | None = False) -> list[CategoryCount]:
        """The category report: customers per category, with and without sub-categories."""
        return self._categories.counts(archived=archived)

    # -- custom fields -----------------------------------------------------------------

    def fields(self) -> list[CustomFieldDefinition]:
        """Every custom-field definition, active or not, in the order defined."""
        return self._fields.all()

    def field(self, key: str) -> CustomFieldDefinition:
        """Return the definition of the custom field ``key``.

        Raises:
            NotFound: no field has the key.
        """
        return self._fields.get(key)

    def define_field(
        self,
        key: str,
        label: str,
        type: FieldType | str = FieldType.TEXT,  # noqa: A002 - mirrors the attribute
        *,
        author: str | None = None,
        **rules: Any,  # noqa: ANN401 - any CustomFieldDefinition attribute
    ) -> CustomFieldDefinition:
        """Define a new custom field.

        Args:
            key: The field's key in forms and storage (``vat_group``).
            label: The name shown to users.
            type: A `FieldType` or its value (``"integer"``).
            author: Who defines it (in its `DefinitionChange`, see
                `definition_history`).
            **rules: Any other attribute of `CustomFieldDefinition` (``required``,
                ``choices``, ``min_value``, ``max_value``, ``max_length``, ``pattern``,
                ``default``, ``help_text``, ``personal_data``).

        Raises:
            ValidationError: the definition is not sound, the key is taken, or
                ``author`` is not valid (``author.*``).
        """
        return self._fields.define(key, label, type, rules, author)

    def change_field(
        self,
        key: str,
        /,
        *,
        author: str | None = None,
        **changes: Any,  # noqa: ANN401 - any CustomFieldDefinition attribute
    ) -> CustomFieldDefinition:
        """Change a custom field's definition.

        Every stored value is checked against the new definition first; if any does
        not fit, nothing changes and each misfit is reported (path
        ``customers[<number>].custom_fields.<key>``). When all fit, the stored values
        are converted to the new type in the same commit, each conversion in the
        customer's history by ``author``, and the attributes changed in a
        `DefinitionChange` by ``author`` (none when nothing changed).

        Raises:
            ValidationError: the new definition is not sound, stored values misfit,
                or ``author`` is not valid (``author.*``).
            NotFound: no field has the key.
        """
        return self._fields.change(key, changes, author)

    def deactivate_field(self, key: str, *, author: str | None = None) -> CustomFieldDefinition:
        """Stop a custom field taking new values; stored values stay (recorded by ``author``)."""
        return self._fields.change(key, {"active": False}, author, "deactivate_field")

    def activate_field(self, key: str, *, author: str | None = None) -> CustomFieldDefinition:
        """Let a deactivated custom field take values again (recorded by ``author``)."""
        return self._fields.change(key, {"active": True}, author, "activate_field")

    def definition_history(
        self, *, category: CategoryRef | None = None, field: str | None = None
    ) -> list[DefinitionChange]:
        """The changes to categories and custom-field definitions, oldest first.

        Each `DefinitionChange` says when (``at``), who (``author``), what
        (``what``: category or field; ``subject``: the category's id or the field's
        key), the ``action`` (created, renamed, moved, deleted; defined, changed,
        deactivated, activated) and the attributes changed (``changes``: attribute ->
        ``(old, new)``). Give ``category`` (object, id or name; a deleted category by
        its id) or ``field`` (a key, also of a field never defined: no changes) for
        one subject's changes only; both give the changes of either.

        Raises:
            NotFound: no category has the name given.
            TypeError: ``category`` or ``field`` is of a wrong type.
        """
        return self._history.definition_history(category, field)

    # -- invoices, payments, welcome invoices ------------------------------------------

    def invoice(self, invoice_id: uuid.UUID) -> Invoice:
        """Return an invoice by id.

        Raises:
            NotFound: no invoice has the id.
        """
        return self._billing.invoice(invoice_id)

    def invoices(self, customer_id: uuid.UUID | str | None = None) -> list[Invoice]:
        """Every invoice, or a customer's, by number."""
        return self._billing.invoices(customer_id)

    def issue_invoice(
        self,
        customer_id: uuid.UUID | str,
        lines: Iterable[InvoiceLine],
        *,
        issue_date: dt.date | None = None,
        currency: str | None = None,
        payment_terms: PaymentTerms | None = None,
        author: str | None = None,
    ) -> Invoice:
        """Issue an invoice to a customer, with a copy of the customer's details.

        Args:
            customer_id: The customer (a merged-away id: the customer kept).
            lines: What is invoiced.
            issue_date: Default: today (by the book's clock).
            currency: Default: the customer's, else EUR.
            payment_terms: Default: the customer's, else net 14 days.
            author: Who issues it (in the customer's history, ``invoice_issued``).

        Raises:
            ValidationError: no lines, or a line that is not valid.
            NotFound: no such customer.
        """
        return self._billing.issue(
            customer_id,
            lines,
            issue_date=issue_date,
            currency=currency,
            payment_terms=payment_terms,
            author=author,
        )

    def void_invoice(self, invoice_id: uuid.UUID, *, author: str | None = None) -> Invoice:
        """Void an invoice (it stays on record; payments are refused from then on).

        The customer's history records it (``invoice_voided``, by ``author``).

        Raises:
            ValidationError: the invoice has payments.
        """
        return self._billing.void(invoice_id, author)

    def record_payment(
        self,
        invoice_id: uuid.UUID,
        amount: decimal.Decimal | str | int,
        *,
        date: dt.date | str,
        currency: str | None = None,
        author: str | None = None,
    ) -> Payment:
        """Record a payment of an invoice.

        Args:
            invoice_id: The invoice paid.
            amount: A `Decimal`, an int or decimal text.
            date: When it was paid: a date, or ISO 8601 text such as ``2026-12-31``.
            currency: The payment's currency, checked against the invoice's.
            author: Who records it (in the customer's history, ``payment_recorded``).

        Raises:
            ValidationError: the amount is not positive, has more decimals than the
                currency allows, is in another currency, or pays more than is left;
                the date is not a date from 1900 to 2999; or the invoice is a draft or
                void.
        """
        return self._billing.record_payment(
            invoice_id, amount, date=date, currency=currency, author=author
        )

    def account(
        self, customer_id: uuid.UUID | str, *, as_of: dt.date | None = None
    ) -> AccountSummary:
        """The customer's account: invoices, payments, and invoiced, paid, outstanding, overdue.

        Args:
            customer_id: The customer.
            as_of: The day to work out statuses and overdue amounts for (default: today
                in the book's time zone).
        """
        return self._billing.account(customer_id, as_of)

    def category_totals(
        self, *, as_of: dt.date | None = None, archived: bool | None = None
    ) -> list[tuple[Category, dict[str, Totals]]]:
        """The category report's money: totals by currency per category and its sub-categories."""
        return self._billing.category_totals(as_of=as_of, archived=archived)

    def pending_deliveries(self) -> list[Delivery]:
        """Welcome invoices not yet accepted by the sender."""
        return self._delivery.pending()

    def deliver_pending(
        self,
        *,
        now: dt.datetime | None = None,
        lease: dt.timedelta | None = None,
        author: str | None = None,
    ) -> list[Delivery]:
        """Hand each due welcome invoice to the sender; return the deliveries as updated.

        Several workers (threads, processes, hosts) may call this at once on books over
        the same store: each delivery is claimed before it is sent, for ``lease``
        (default five minutes), so that the others pass it by; no worker fails with
        `ConcurrencyConflict` and none sends what another sends. A worker that dies
        holding a claim loses it when the lease runs out.

        Only customers whose last email consent is a grant (`may_contact`) are handed
        over: for the others the invoice is kept and the delivery marked ``not_sent``
        with ``last_error`` ``"not sent: no consent"``.

        On success the delivery is marked sent and the invoice becomes sent, in one
        commit. When the sender raises, the attempt is recorded with the error and the
        next one scheduled (1, 5, 15, 60, 240, then every 720 minutes). Delivery is at
        least once: a crash after the sender accepted but before the mark was stored
        hands the same invoice over again next time, with the same idempotency key.

        A delivery sent or withheld goes into the customer's history (``invoice_sent``,
        ``invoice_not_sent``) by ``author`` (the worker, as the host names it).

        Raises:
            DebitorError: the book has no sender.
        """
        return self._delivery.deliver_pending(now, lease, author)

    def due_reminders(self, today: dt.date | None = None) -> list[DueReminder]:
        """Reminders of sent, unpaid welcome invoices that the policy's schedule says are due.

        ``today`` defaults to today in the book's time zone.
        """
        return self._delivery.due_reminders(today)

    def mark_reminder_sent(
        self, invoice_id: uuid.UUID, offset_days: int, *, author: str | None = None
    ) -> ReminderLog:
        """Record that a reminder was sent, so it is not due again.

        The customer's history records it (``reminder_sent``, by ``author``).

        Raises:
            AlreadyExists: it was recorded before.
            NotFound: no such invoice.
        """
        return self._delivery.mark_reminder_sent(invoice_id, offset_days, author)

    def __repr__(self) -> str:
        return f"<CustomerBook {self._uow.model.count()} customers in {self.store!r}>"
