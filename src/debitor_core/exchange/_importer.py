"""Importing rows into a book: matching, batching, and a report of every row.

Rows are read into forms and matched against the book (by customer number, else VAT
number, else email). New customers are registered in batches through
`CustomerBook.register_many`, whose rules check every form once; a batch that holds bad
rows is registered again without them, so good rows commit and bad rows are reported.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Final, Literal

import attrs

from debitor_core import (
    ConsentChannel,
    Customer,
    CustomerBook,
    CustomFieldDefinition,
    Problem,
    Severity,
    ValidationError,
    _i18n,
    rules,
)
from debitor_core._messages import MESSAGES
from debitor_core.exchange._columns import CUSTOM_PREFIX, ColumnPlan, reject_columns
from debitor_core.exchange._csvfile import CsvFormat, write_csv
from debitor_core.exchange._forms import (
    FORM_FIELDS,
    CellValue,
    RowForm,
    RowReader,
    cell_text,
    customer_form,
    field_value,
    note_text,
)

__all__ = ["Action", "ImportReport", "OnDuplicate", "RowOutcome", "run_import"]

Action = Literal["created", "updated", "skipped", "rejected"]
OnDuplicate = Literal["skip", "update", "create"]
Progress = Callable[[int, int], None]
"""Called with the rows handled so far and the rows in all."""

MatchedBy = Literal["number", "tax_id", "email", "row"]
_BASE_VERB: Final = {
    "created": "create",
    "updated": "update",
    "skipped": "skip",
    "rejected": "reject",
}
_INDEX: Final = re.compile(r"\[(\d+)\]\.?")
_DIGITS: Final = frozenset("0123456789")


@attrs.frozen
class RowOutcome:
    """What importing one row did (or, in a dry run, would do).

    Attributes:
        row: The row number, counted as a spreadsheet does (the header is row 1).
        action: ``created``, ``updated``, ``skipped`` or ``rejected``.
        customer: The customer created, updated or matched (``None`` for a rejected
            row); for a row a dry run would create, the customer as it would be stored
            (its number is decided only when it is stored).
        matched_by: What matched a stored customer: ``number``, ``tax_id``, ``email``,
            or ``row`` for an earlier row of the same file; ``None`` when nothing did.
        same_as_row: For ``matched_by == "row"``, that earlier row's number.
        problems: Why the row was rejected; for other rows, warnings (may be empty).
        cells: The row's cells as read (kept for rejected rows only).
        note: A short remark, such as ``unchanged`` for a skipped update.
        locale: The language `describe` speaks by default: the book's.
    """

    row: int
    action: Action
    customer: Customer | None = None
    matched_by: MatchedBy | None = None
    same_as_row: int | None = None
    problems: tuple[Problem, ...] = ()
    cells: tuple[str, ...] = ()
    note: str | None = None
    locale: str = attrs.field(default="en", kw_only=True, eq=False)

    def describe(
        self, plan: ColumnPlan, *, dry_run: bool = False, locale: str | None = None
    ) -> str:
        """One line for the clerk: ``row 4: created customer 12 (SIA Koks)``.

        Args:
            plan: What each column held (a rejected row's problems name its columns).
            dry_run: Say what the row would do (``row 4: would create SIA Koks``).
            locale: The language of the line (``lv``, ``de``); default: the book's
                (`locale`).

        Raises:
            TypeError: ``locale`` is not text.
        """
        language = _i18n.language_of(self.locale if locale is None else locale)
        customer = self.customer
        who = ""
        if customer is not None and dry_run and self.action == "created":
            who = f" {customer.name}"
        elif customer is not None:
            params = {"number": customer.number, "name": customer.name}
            who = " " + _i18n.render_message("import.customer", params, language)
        match = ""
        if self.matched_by is not None:
            match = _i18n.render_message(
                f"import.matched_by/{self.matched_by}", {"row": self.same_as_row}, language
            )
        note = ""
        if self.note:
            key = "import.note/" + self.note.replace(" ", "_")
            said = _i18n.render_message(key, None, language) if key in MESSAGES else self.note
            note = f" ({said})"
        verb = f"would_{_BASE_VERB[self.action]}" if dry_run else self.action
        params = {"row": self.row, "who": who, "match": match, "note": note}
        line = _i18n.render_message(f"import.row/{verb}", params, language)
        if self.action == "rejected":
            line += ": " + self.reason(plan, language)
        return line

    def reason(self, plan: ColumnPlan, locale: str | None = None) -> str:
        """The problems as one sentence per field, naming the file's columns.

        Args:
            plan: What each column held (for the column names).
            locale: The language of the sentences (``lv``, ``de``); by default each
                problem's own (the book's, see `CustomerBook.locale`).
        """
        return " ".join(
            f"{_where(p.path, plan, self.cells)}"
            f"{p.message if locale is None else p.message_in(locale)}"
            for p in self.problems
        )


_SOURCES: Final = {
    "phone": ("phone", "mobile"),
    "other_phones": ("other_phones", "mobile", "fax"),
    "contact_person": ("contact_person", "contact_first_name", "contact_last_name"),
}
"""The targets whose columns may have given a field's value."""


def _where(path: str, plan: ColumnPlan, cells: Sequence[str] = ()) -> str:
    """``"Email: "`` for a problem at ``email``: the file's column that held the value.

    Where several columns can give a field (a mobile number becomes the phone when
    there is none), the ones with a value in the row are named.
    """
    if not path:
        return ""
    top = path.split("[", 1)[0]
    target = top if top.startswith(CUSTOM_PREFIX) else top.removeprefix("address.").split(".")[0]
    indexes = [
        i
        for source in _SOURCES.get(target, (target,))
        for i, t in enumerate(plan.targets)
        if t == source
    ]
    filled = [i for i in indexes if i < len(cells) and cells[i].strip()]
    names = [_shown_column(plan.header[i]) for i in sorted(filled or indexes)]
    return f"{' / '.join(names) or target}: "


def _shown_column(name: str) -> str:
    r"""A column's name as a reason shows it: quoted with escapes when it holds controls.

    A header is the file's, not ours: a control character (``ESC [2J`` clears a
    terminal) or a format character (U+202E turns the rest of the line around) in it
    would act on the screen that prints the reason, so such a name is shown as
    ``'E-mail\u202e'``.
    """
    if any(unicodedata.category(c) in {"Cc", "Cf"} for c in name):
        return repr(name)
    return name


@attrs.frozen
class ImportReport:
    """What an import did, row by row.

    Attributes:
        source: The file (or what the caller called the rows).
        plan: What each column held.
        outcomes: One per row that was not blank, in file order.
        dry_run: Whether nothing was changed (the outcomes say what would happen).
        committed: ``False`` when an all-or-nothing import refused to store anything.
        format: The file's encoding and delimiter (``None`` for rows not from a file).
        locale: The language of the reasons `write_rejects` writes: the book's.
    """

    source: str
    plan: ColumnPlan
    outcomes: tuple[RowOutcome, ...]
    dry_run: bool = False
    committed: bool = True
    format: CsvFormat | None = None
    locale: str = "en"

    def count(self, action: Action) -> int:
        """How many rows had ``action``."""
        return sum(1 for o in self.outcomes if o.action == action)

    @property
    def created(self) -> int:
        """Rows that created a customer."""
        return self.count("created")

    @property
    def updated(self) -> int:
        """Rows that updated a customer."""
        return self.count("updated")

    @property
    def skipped(self) -> int:
        """Rows that matched a customer and were left alone."""
        return self.count("skipped")

    @property
    def rejected(self) -> int:
        """Rows that were refused."""
        return self.count("rejected")

    @property
    def rejected_rows(self) -> tuple[RowOutcome, ...]:
        """The rejected rows' outcomes."""
        return tuple(o for o in self.outcomes if o.action == "rejected")

    def summary(self, locale: str | None = None) -> str:
        """The counts as one line: ``3 created, 0 updated, 1 skipped, 1 rejected.``.

        Args:
            locale: The language of the line (``lv``, ``de``); default: the book's
                (`locale`).

        Raises:
            TypeError: ``locale`` is not text.
        """
        language = _i18n.language_of(self.locale if locale is None else locale)
        counts = _i18n.render_message(
            "import.counts",
            {
                "created": self.created,
                "updated": self.updated,
                "skipped": self.skipped,
                "rejected": self.rejected,
            },
            language,
        )
        if self.dry_run:
            key = "import.summary/dry_run"
        elif not self.committed:
            key = "import.summary/refused"
        else:
            key, counts = "import.summary", f"{counts[:1].upper()}{counts[1:]}"
        return _i18n.render_message(key, {"counts": counts}, language)

    def write_rejects(
        self,
        target: Any,  # noqa: ANN401 - a path or a text stream, as write_csv takes
        *,
        delimiter: str | None = None,
        encoding: str | None = None,
        locale: str | None = None,
    ) -> int:
        """Write the rejected rows as CSV: the file's columns, then the row and the reason.

        The two added columns (``Rejected row``, ``Why it was rejected``, in the
        language of the reasons: ``Noraidītā rinda``, ``Noraidīšanas iemesls`` in
        Latvian) are ignored when the file is imported again, in any shipped language,
        so the rows can be fixed and imported.

        Args:
            target: A path or a text stream.
            delimiter: Default: the delimiter of the file imported.
            encoding: Default: the encoding of the file imported.
            locale: The language of the reasons (``lv``, ``de``); default: the book's
                (`locale`), English when the book has none.

        Returns:
            The number of rows written.
        """
        fmt = self.format or CsvFormat()
        width = len(self.plan.header)
        language = locale or self.locale
        rows = (
            [*o.cells, *[""] * (width - len(o.cells)), o.row, o.reason(self.plan, language)]
            for o in self.rejected_rows
        )
        return write_csv(
            target,
            [*self.plan.header, *reject_columns(language)],
            rows,
            delimiter=delimiter or fmt.delimiter,
            encoding=encoding or fmt.encoding,
        )


_NOT_DIGITS: Final = re.compile(r"[^0-9]")
_NOT_ALNUM: Final = re.compile(r"[^0-9a-z]")


def vat_key(raw: str) -> str:
    """A coarse key for a VAT number: its digits without leading zeros (letters if none).

    The library's normal form keeps every digit of what was typed (a Belgian number
    may gain a leading zero), so equal normal forms always have equal keys.
    """
    text = raw if raw.isascii() else unicodedata.normalize("NFKC", raw)
    digits = _NOT_DIGITS.sub("", text).lstrip("0")
    return digits or "".join(ch for ch in text.upper() if ch.isalnum())


def email_key(raw: str) -> str:
    """A coarse key for an email address: the letters and digits before the last ``@``.

    Case, accents, quotes and the domain do not count, so an address and its normal
    form always have equal keys.
    """
    if raw.isascii():  # the common case, quicker by a regular expression
        return _NOT_ALNUM.sub("", (raw.rpartition("@")[0] or raw).lower())
    text = unicodedata.normalize("NFKD", raw)
    local = text.rpartition("@")[0] or text
    return "".join(ch for ch in local.casefold() if ch.isalnum())


@attrs.define
class _Row:
    """A row on its way in."""

    row: int
    read: RowForm
    cells: Sequence[str]
    email: str | None = None
    tax_id: str | None = None
    email_key: str = ""
    vat_key: str = ""
    _exact: dict[str, str | None] | None = None

    def exact(self, what: str, country: str | None) -> str | None:
        """The row's email or VAT number in normal form (``None`` when not valid)."""
        if self._exact is None:
            self._exact = {}
        if what not in self._exact:
            raw = self.email if what == "email" else self.tax_id
            self._exact[what] = _normal(what, raw, country) if raw else None
        return self._exact[what]


def _normal(what: str, raw: str, country: str | None) -> str | None:
    try:
        if what == "email":
            return rules.validate_email(raw).casefold()
        code = rules.validate_country(country) if country else None
        return rules.validate_vat(raw, country=code).value
    except ValidationError:
        return None


class _Matcher:
    """Finds the stored customer (or earlier row) a row is the same as.

    Coarse keys narrow the candidates cheaply; a candidate is confirmed by comparing
    normal forms, which the library's rules compute only then.
    """

    def __init__(self, customers: Iterable[Customer]) -> None:
        self.by_number: dict[int, Customer] = {}
        self.by_vat: dict[str, list[Customer | _Row]] = {}
        self.by_email: dict[str, list[Customer | _Row]] = {}
        self.created: set[uuid.UUID] = set()
        self.first_row: dict[uuid.UUID, int] = {}
        for customer in customers:
            self.add(customer)

    def add(self, customer: Customer) -> None:
        self.by_number[customer.number] = customer
        if customer.tax_id is not None:
            self.by_vat.setdefault(vat_key(customer.tax_id.value), []).append(customer)
        for email in customer.emails:
            self.by_email.setdefault(email_key(email), []).append(customer)

    def add_row(self, row: _Row) -> None:
        if row.vat_key:
            self.by_vat.setdefault(row.vat_key, []).append(row)
        if row.email_key:
            self.by_email.setdefault(row.email_key, []).append(row)

    def stored(self, row: _Row, customer: Customer) -> None:
        """The row is now ``customer``: it takes the row's place under the same keys.

        The keys of a customer's normal forms equal those of the row it came from.
        """
        for table, key in ((self.by_vat, row.vat_key), (self.by_email, row.email_key)):
            entries = table.get(key)
            if entries:
                entries[:] = [customer if entry is row else entry for entry in entries]
        for email in customer.other_emails:
            self.by_email.setdefault(email_key(email), []).append(customer)
        self.by_number[customer.number] = customer

    def replace(self, old: Customer, new: Customer) -> None:
        """Put ``new`` where ``old`` was (a customer changed)."""
        for table, keys in ((self.by_vat, _vat_keys(old)), (self.by_email, _email_keys(old))):
            for key in keys:
                entries = table.get(key, [])
                entries[:] = [entry for entry in entries if entry is not old]
        self.add(new)

    def find(self, row: _Row, country: str | None) -> tuple[Customer | _Row, MatchedBy] | None:
        number = row.read.number
        if number is not None and number in self.by_number:
            return self.by_number[number], "number"
        for what, table, key in (
            ("tax_id", self.by_vat, row.vat_key),
            ("email", self.by_email, row.email_key),
        ):
            if not key:
                continue
            candidates = table.get(key, ())
            if not candidates:
                continue
            wanted = row.exact(what, _row_country(row, country))
            if wanted is None:
                continue
            for candidate in sorted(candidates, key=_order):
                if wanted in _values(candidate, what, country):
                    return candidate, what  # type: ignore[return-value]
        return None


def _vat_keys(customer: Customer) -> set[str]:
    return {vat_key(customer.tax_id.value)} if customer.tax_id else set()


def _email_keys(customer: Customer) -> set[str]:
    return {email_key(e) for e in customer.emails}


def _order(entry: Customer | _Row) -> tuple[int, int]:
    return (0, entry.number) if isinstance(entry, Customer) else (1, entry.row)


def _values(entry: Customer | _Row, what: str, country: str | None) -> set[str]:
    if isinstance(entry, _Row):
        value = entry.exact(what, _row_country(entry, country))
        return {value} if value else set()
    if what == "tax_id":
        return {entry.tax_id.value} if entry.tax_id else set()
    return {e.casefold() for e in entry.emails}


def _row_country(row: _Row, default: str | None) -> str | None:
    address = row.read.form.get("address")
    country = address.get("country") if isinstance(address, Mapping) else None
    return str(country) if country else default


class _Import:
    """One import run; see `run_import`."""

    def __init__(  # noqa: PLR0917 - the options of run_import, passed on once
        self,
        book: CustomerBook,
        plan: ColumnPlan,
        reader: RowReader,
        on_duplicate: OnDuplicate,
        dry_run: bool,  # noqa: FBT001
        atomic: bool,  # noqa: FBT001
        batch_size: int,
        author: str | None,
        progress: Progress | None,
        total: int,
    ) -> None:
        self.book = book
        self.plan = plan
        self.reader = reader
        self.on_duplicate = on_duplicate
        self.dry_run = dry_run
        self.atomic = atomic
        self.batch_size = batch_size
        self.author = author
        self.progress = progress
        self.total = total
        self.done = 0
        self.outcomes: dict[int, RowOutcome] = {}
        self.outcome = functools.partial(RowOutcome, locale=book.locale)
        self.pending: list[_Row] = []
        self.updates: list[tuple[_Row, Customer, dict[str, Any]]] = []
        self.fields: Mapping[str, CustomFieldDefinition] = {f.key: f for f in book.fields()}
        self.category_names = {c.id: c.name for c in book.categories()}
        self.matcher = _Matcher(book.customers(archived=None))
        self.settle: Callable[[], None] = lambda: None

    # -- rows ----------------------------------------------------------------------

    def take(self, number: int, cells: Sequence[str]) -> None:
        read = self.reader.read(cells)
        form = read.form
        row = _Row(number, read, cells)
        email = form.get("email")
        if isinstance(email, str) and email.strip():
            row.email, row.email_key = email, email_key(email)
        tax_id = form.get("tax_id")
        if isinstance(tax_id, str) and tax_id.strip():
            row.tax_id, row.vat_key = tax_id, vat_key(tax_id)
        if read.problems:
            review = self.book.preview(form)
            self._reject(row, [*read.problems, *review.errors])
        else:
            self._place(row)
        self.done += 1
        if self.progress is not None and self.done % 500 == 0:
            self.progress(self.done, self.total)
        if len(self.pending) >= self.batch_size and not (self.atomic or self.dry_run):
            self.flush()

    def _place(self, row: _Row) -> None:
        country = self.reader.country
        found = None if self.on_duplicate == "create" else self.matcher.find(row, country)
        if found is None:
            if self.on_duplicate == "create" and row.read.number in self.matcher.by_number:
                row.read.number = None
            self._create(row)
            return
        entry, by = found
        if isinstance(entry, _Row):
            self._set(self.outcome(row.row, "skipped", matched_by="row", same_as_row=entry.row))
        elif entry.id in self.matcher.created:
            first = self.matcher.first_row[entry.id]
            self._set(self.outcome(row.row, "skipped", entry, matched_by="row", same_as_row=first))
        elif self.on_duplicate == "skip":
            self._set(self.outcome(row.row, "skipped", entry, matched_by=by))
        else:
            self._update(row, entry, by)

    def _create(self, row: _Row) -> None:
        if self.dry_run:
            review = self.book.preview(row.read.form, number=row.read.number)
            if review.errors:
                self._reject(row, list(review.errors))
                return
            self._set(self.outcome(row.row, "created", review.customer, problems=review.warnings))
        self.pending.append(row)
        self.matcher.add_row(row)

    def _update(self, row: _Row, current: Customer, by: MatchedBy) -> None:
        changes, trial = self._changes(row, current)
        if isinstance(trial, list):
            self._reject(row, trial)
            return
        same = trial is None and not changes.get("notes") and not changes.get("consent")
        archive = row.read.archived is not None and row.read.archived != current.archived
        if same and not archive:
            self._set(self.outcome(row.row, "skipped", current, matched_by=by, note="unchanged"))
            return
        if self.dry_run or self.atomic:
            self._set(self.outcome(row.row, "updated", current, matched_by=by))
            self.updates.append((row, current, changes))
            return
        self._apply_update(row, current, changes, by)

    def _changes(
        self, row: _Row, current: Customer
    ) -> tuple[dict[str, Any], Customer | list[Problem] | None]:
        """The changes a row makes, and the customer they give (``None``: no change).

        Blank cells leave stored values alone; categories are added; custom fields are
        set one by one (a deactivated field's unchanged value is no change); a note is
        added unless the customer has it already; consent is recorded where it differs.
        """
        form = row.read.form
        base = customer_form(current, self.category_names, self.fields)
        changes: dict[str, Any] = {
            k: v for k, v in form.items() if k not in ("notes", "consent", "custom_fields")
        }
        if "categories" in changes:
            names = list(base["categories"])
            known = {n.casefold() for n in names}
            names += [n for n in changes["categories"] if str(n).casefold() not in known]
            changes["categories"] = names
        given = self._field_changes(form.get("custom_fields"), current)
        if given:
            changes["custom_fields"] = {**current.custom_fields, **given}
        note = form.get("notes")
        texts = {n.text for n in current.notes} | {note_text(current)}
        if isinstance(note, str) and note.strip() and note.strip() not in texts:
            changes["notes"] = note
        consent = form.get("consent")
        if isinstance(consent, Mapping):
            channels = {c.value: c for c in ConsentChannel}
            differing = {
                k: v
                for k, v in consent.items()
                if k != "source" and (k not in channels or current.consent_to(channels[k]) != v)
            }
            if differing:
                changes["consent"] = {**differing, "source": consent.get("source")}
        merged = {**base, **changes}
        merged["address"] = {**base["address"], **changes.get("address", {})}
        merged["custom_fields"] = {**base["custom_fields"], **given}
        review = self.book.preview(merged)
        if review.errors:
            return changes, list(review.errors)
        assert review.customer is not None  # noqa: S101 - no errors, so a customer
        new = review.customer
        keys = set(base["custom_fields"]) | set(given)
        differs = any(
            _comparable(getattr(new, name)) != _comparable(getattr(current, name))
            for name in FORM_FIELDS
            if name != "custom_fields"
        ) or {k: new.custom_fields.get(k) for k in keys} != {
            k: current.custom_fields.get(k) for k in keys
        }
        return changes, (new if differs else None)

    def _field_changes(self, given: object, current: Customer) -> dict[str, object]:
        """The custom-field values a row sets, less unchanged values of deactivated fields."""
        if not isinstance(given, Mapping):
            return {}
        changed: dict[str, object] = {}
        for key, value in given.items():
            definition = self.fields.get(key)
            stored = current.custom_fields.get(key)
            if (
                definition is not None
                and not definition.active
                and stored is not None
                and cell_text(field_value(stored)) == cell_text(_as_cell(value))
            ):
                continue
            changed[key] = value
        return changed

    def _apply_update(
        self, row: _Row, current: Customer, changes: dict[str, Any], by: MatchedBy
    ) -> None:
        try:
            customer = self.book.update(
                current.id, changes, expected_version=current.version, author=self.author
            )
            if row.read.archived is not None and row.read.archived != customer.archived:
                change = self.book.archive if row.read.archived else self.book.restore
                customer = change(customer.id, expected_version=customer.version)
        except ValidationError as exc:
            self._reject(row, list(exc.errors))
            return
        self.matcher.replace(current, customer)
        self._set(self.outcome(row.row, "updated", customer, matched_by=by))

    def _reject(self, row: _Row, problems: Sequence[Problem]) -> None:
        errors = tuple(p for p in problems if p.severity is Severity.ERROR) or tuple(problems)
        self._set(self.outcome(row.row, "rejected", problems=errors, cells=tuple(row.cells)))

    def _set(self, outcome: RowOutcome) -> None:
        self.outcomes[outcome.row] = outcome

    # -- storing -------------------------------------------------------------------

    def flush(self, *, retry: bool = True) -> bool:
        """Register the pending rows: the good ones commit, the bad ones are rejected.

        With ``retry`` false (all or nothing), a batch with bad rows stores nothing.
        Returns whether every pending row was stored.
        """
        batch, self.pending = self.pending, []
        stored_all = True
        while batch:
            forms = [row.read.form for row in batch]
            numbers: list[int | None] = [row.read.number for row in batch]
            try:
                customers = self.book.register_many(
                    forms,
                    numbers=numbers if any(n is not None for n in numbers) else None,
                    author=self.author,
                )
            except ValidationError as exc:
                bad = _problems_by_form(exc.problems, len(batch))
                for position, problems in bad.items():
                    self._reject(batch[position], problems)
                stored_all = False
                if not retry:
                    return False
                batch = [row for i, row in enumerate(batch) if i not in bad]
                continue
            for row, stored in zip(batch, customers, strict=True):
                customer = self.book.archive(stored.id) if row.read.archived else stored
                self.matcher.stored(row, customer)
                self.matcher.created.add(customer.id)
                self.matcher.first_row[customer.id] = row.row
                self._set(self.outcome(row.row, "created", customer))
            batch = []
            self.settle()
        if self.progress is not None:
            self.progress(self.done, self.total)
        return stored_all

    def finish(self) -> bool:
        """Store what is left; return whether anything was committed as asked."""
        if self.dry_run:
            return True
        if not self.atomic:
            self.flush()
            return True
        creating = list(self.pending)
        if any(o.action == "rejected" for o in self.outcomes.values()) or not self.flush(
            retry=False
        ):
            for row in creating:
                if row.row not in self.outcomes:
                    self._set(self.outcome(row.row, "created"))
            return False
        for row, current, changes in self.updates:
            self._apply_update(row, current, changes, self.outcomes[row.row].matched_by or "row")
        return True

    def atomic_refusal(self) -> None:
        """In an all-or-nothing import that failed, say that the good rows were not stored."""
        for number, outcome in list(self.outcomes.items()):
            if outcome.action in ("created", "updated"):
                self.outcomes[number] = attrs.evolve(outcome, note="not stored")


@contextlib.contextmanager
def _long_lived() -> Iterator[Callable[[], None]]:
    """Keep the garbage collector from walking the stored customers again and again.

    A large import grows the heap by every customer it stores, and CPython's full
    collections, each of which walks every object, come each time the long-lived
    objects grew by a quarter: about five walks of the final heap, a third of the
    import's time beside validation at 100,000 rows (measured with cProfile and
    ``gc.get_stats``). After each committed batch, what exists is moved to the
    permanent generation (`gc.freeze`), and the block puts it back (`gc.unfreeze`),
    so nothing stays out of the collector's reach after the import. A process that
    froze objects of its own (a pre-forking server) or turned the collector off is
    left exactly as it is.
    """
    if gc.get_freeze_count() or not gc.isenabled():
        yield lambda: None
        return
    try:
        yield gc.freeze
    finally:
        gc.unfreeze()


def _problems_by_form(problems: Iterable[Problem], count: int) -> dict[int, list[Problem]]:
    """Group `register_many`'s problems by the form they belong to (``[3].email``)."""
    grouped: dict[int, list[Problem]] = {}
    for problem in problems:  # register_many reports errors only
        if count == 1:
            grouped.setdefault(0, []).append(problem)
            continue
        match = _INDEX.match(problem.path)
        position = int(match.group(1)) if match else 0
        path = problem.path[match.end() :] if match else problem.path
        grouped.setdefault(position, []).append(attrs.evolve(problem, path=path))
    return grouped


def _as_cell(value: object) -> CellValue:
    if isinstance(value, list):
        return [str(v) for v in value]
    return str(value).strip()


def _comparable(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


def run_import(
    book: CustomerBook,
    rows: Iterable[tuple[int, Sequence[str]]],
    plan: ColumnPlan,
    *,
    source: str,
    on_duplicate: OnDuplicate = "skip",
    dry_run: bool = False,
    atomic: bool = False,
    country: str | None = None,
    author: str | None = None,
    batch_size: int = 2000,
    total: int = 0,
    progress: Progress | None = None,
    csv_format: CsvFormat | None = None,
) -> ImportReport:
    """Import numbered rows of cells laid out as ``plan`` says; see `import_csv`."""
    if on_duplicate not in ("skip", "update", "create"):
        msg = f"on_duplicate must be skip, update or create, not {on_duplicate!r}."
        raise ValueError(msg)
    reader = RowReader(
        plan,
        {f.key: f for f in book.fields()},
        (c.name.casefold() for c in book.categories()),
        country=country,
        consent_source=f"import of {source}",
    )
    run = _Import(
        book, plan, reader, on_duplicate, dry_run, atomic, max(1, batch_size), author, progress,
        total,
    )  # fmt: skip
    with _long_lived() as settle:
        run.settle = settle
        for number, cells in rows:
            run.take(number, cells)
        committed = run.finish()
    if not committed:
        run.atomic_refusal()
    outcomes = tuple(run.outcomes[n] for n in sorted(run.outcomes))
    return ImportReport(source, plan, outcomes, dry_run, committed, csv_format, locale=book.locale)
