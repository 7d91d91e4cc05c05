"""``add`` and ``edit``: a customer from options, or by answering prompts.

The prompts follow Debitoor's *New customer* form: required fields are marked ``*``,
each problem is shown beside its field and the field asked again, and before saving
the review shows the customer as it will be stored, likely duplicates, the customer
number and the welcome invoice. "Save and new" starts the next customer at once.
"""

from __future__ import annotations

import contextlib
import copy
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import attrs

from debitor_core.cli._app import App, Exit, Refused, said
from debitor_core.cli._customers import pairs
from debitor_core.cli._i18n import N_, _
from debitor_core.cli._parser import FIELD_OPTIONS

if TYPE_CHECKING:
    from debitor_core import Customer, CustomerBook, CustomFieldDefinition, Problem, Review

__all__ = ["add", "edit"]

_CHANNELS: Final = ("email", "phone", "sms", "post")


@attrs.frozen
class Prompt:
    """One field of the form as the prompts ask it.

    Attributes:
        path: Where the answer goes in the form (``address.city``).
        label: What the prompt says.
        hint: Extra words shown after the label (choices, format).
    """

    path: str
    label: str
    hint: str = ""


# The labels and hints are marked for the catalogs and translated when asked
# (`_prompts`), so that the language is the one chosen for the run.
_PROMPTS: Final = (
    Prompt("kind", N_("Kind"), N_("company or person")),
    Prompt("name", N_("Name")),
    Prompt("address.country", N_("Country"), N_("code or name")),
    Prompt("address.street", N_("Street")),
    Prompt("address.postal_code", N_("Postal code")),
    Prompt("address.city", N_("City")),
    Prompt("address.region", N_("Region")),
    Prompt("contact_person", N_("Contact person")),
    Prompt("email", N_("Email")),
    Prompt("phone", N_("Phone")),
    Prompt("other_emails", N_("Other emails"), N_("comma-separated")),
    Prompt("other_phones", N_("Other phones"), N_("comma-separated")),
    Prompt("tax_id", N_("VAT number")),
    Prompt("company_id", N_("Company number")),
    Prompt("website", N_("Website")),
    Prompt("payment_terms", N_("Payment terms"), N_("net 14, prepaid, end of month + 30")),
    Prompt("currency", N_("Currency")),
    Prompt("language", N_("Language")),
)
_AFTER: Final = (
    Prompt("notes", N_("Private note")),
    Prompt("consent", N_("Consent to contact by"), N_("email, phone, sms, post; comma-separated")),
)


def _translated(prompts: tuple[Prompt, ...]) -> tuple[Prompt, ...]:
    return tuple(Prompt(p.path, _(p.label), _(p.hint) if p.hint else "") for p in prompts)


class Cancelled(Exception):
    """The input ended in the middle of a form."""


def consent_of(text: str, source: str) -> dict[str, object]:
    """Consent channels typed as text (``email, phone``) as a form's consent mapping."""
    words = [w.casefold() for w in re.split(r"[,;\s]+", text) if w.strip()]
    consent: dict[str, object] = dict.fromkeys(words, True)
    consent["source"] = source
    return consent


def _put(form: dict[str, Any], path: str, value: object) -> None:
    if path.startswith("address."):
        form.setdefault("address", {})[path.removeprefix("address.")] = value
    elif path.startswith("custom_fields."):
        form.setdefault("custom_fields", {})[path.removeprefix("custom_fields.")] = value
    else:
        form[path] = value


def _get(form: Mapping[str, Any], path: str) -> object:
    if path.startswith("address."):
        return (form.get("address") or {}).get(path.removeprefix("address."))
    if path.startswith("custom_fields."):
        return (form.get("custom_fields") or {}).get(path.removeprefix("custom_fields."))
    return form.get(path)


def options_form(args: Any, *, source: str) -> dict[str, Any]:  # noqa: ANN401 - argparse's
    """The form the field options of ``add`` or ``edit`` give (only what was given)."""
    form: dict[str, Any] = {}
    for _option, path, _help in FIELD_OPTIONS:
        value = getattr(args, f"field:{path}", None)
        if value is not None:
            _put(form, path, value.replace("\\n", "\n") if path == "address.street" else value)
    for path in ("other_emails", "other_phones"):
        values = getattr(args, f"field:{path}", None)
        if values:
            form[path] = list(values)
    custom = pairs(args.field, "--field")
    if custom:
        form["custom_fields"] = custom
    if getattr(args, "note", None):
        form["notes"] = args.note
    if args.consent:
        form["consent"] = consent_of(args.consent, source)
    return form


def _shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(_shown(v) for v in value)
    if isinstance(value, Mapping) and isinstance(number := value.get("number"), str):
        return number  # a phone
    if isinstance(value, bool):  # a value the form reads back: the library's words
        return "yes" if value else "no"
    return str(value)


def _matches(problem_path: str, path: str) -> bool:
    return problem_path == path or problem_path.startswith((path + "[", path + "."))


class FormSession:
    """Asks for a customer's fields, checking each answer at once against the book."""

    def __init__(
        self,
        app: App,
        book: CustomerBook,
        form: dict[str, Any],
        *,
        source: str,
        exclude: Customer | None = None,
    ) -> None:
        """Prepare to ask, starting from ``form`` (the defaults shown in brackets)."""
        self.app = app
        self.book = book
        self.form = form
        self.source = source
        self.exclude = exclude
        required = set(book.required.fields)
        self.fields = {f.key: f for f in book.fields() if f.active}
        custom = [
            Prompt(f"custom_fields.{f.key}", f.label, _field_hint(f)) for f in self.fields.values()
        ]
        categories = ", ".join(c.name for c in book.categories())
        self.prompts: tuple[Prompt, ...] = (
            *_translated(_PROMPTS),
            Prompt(
                "categories",
                _("Categories"),
                _("comma-separated: {categories}").format(categories=categories),
            ),
            *custom,
            *_translated(_AFTER if exclude is None else _AFTER[:1]),
        )
        self.required = required | {
            f"custom_fields.{f.key}" for f in self.fields.values() if f.required
        }
        if not categories:
            self.prompts = tuple(p for p in self.prompts if p.path != "categories")

    def review(self) -> Review:
        """What saving the form now would do."""
        return self.book.preview(self.form)

    def errors_at(self, path: str) -> list[Problem]:
        """The problems the answer at ``path`` has."""
        return [p for p in self.review().errors if _matches(p.path, path)]

    def ask(self, prompt: Prompt, *, wrong: bool = False) -> None:
        """Ask one field until its answer has no problem.

        Enter keeps the value shown in brackets and ``-`` empties the field; after a
        problem no value is offered, so Enter empties it.
        """
        console = self.app.console
        star = " *" if prompt.path in self.required else ""
        hint = f" ({prompt.hint})" if prompt.hint else ""
        while True:
            current = "" if wrong else _shown(_get(self.form, prompt.path))
            default = f" [{current}]" if current else ""
            answer = console.ask(f"  {prompt.label}{star}{hint}{default}: ")
            if answer is None:
                raise Cancelled
            answer = answer.strip()
            if answer == "-" or (wrong and not answer):
                _put(self.form, prompt.path, None)
            elif answer:
                value: object = answer
                if prompt.path == "consent":
                    value = consent_of(answer, self.source)
                _put(self.form, prompt.path, value)
            problems = self.errors_at(prompt.path)
            if not problems:
                return
            wrong = True
            for problem in problems:
                console.out(f"    ! {said(problem)}")

    def fill(self) -> Review:
        """Ask every field, then again each one that still has a problem; return the review."""
        for prompt in self.prompts:
            self.ask(prompt)
        return self.settle()

    def settle(self) -> Review:
        """Ask again each field that has a problem (a later answer may cause one)."""
        by_path = {p.path: p for p in self.prompts}
        while True:
            review = self.review()
            failing = [
                p for p in self.prompts if any(_matches(e.path, p.path) for e in review.errors)
            ]
            unknown = [e for e in review.errors if not any(_matches(e.path, p) for p in by_path)]
            if unknown:  # pragma: no cover - every field a form can have is asked
                self.app.problems(unknown)
                raise Refused(_("The form cannot be saved; nothing was saved."))
            if not failing:
                return review
            self.app.console.out(_("Some answers need another look:"))
            for prompt in failing:
                for problem in review.errors:
                    if _matches(problem.path, prompt.path):
                        self.app.console.out(f"    ! {said(problem)}")
                self.ask(prompt, wrong=True)

    def pick(self) -> None:
        """Ask which field to change, and ask it (by its label, English label or path)."""
        names = ", ".join(p.label.casefold() for p in self.prompts)
        english = {p.path: p.label.casefold() for p in (*_PROMPTS, *_AFTER)}
        while True:
            answer = self.app.console.ask(_("Which field? ({fields}): ").format(fields=names))
            if answer is None:
                raise Cancelled
            wanted = answer.strip().casefold()
            for prompt in self.prompts:
                if wanted in (prompt.label.casefold(), prompt.path, english.get(prompt.path)):
                    self.ask(prompt)
                    return
            self.app.console.out(
                "    ! " + _("There is no field {name!r}.").format(name=answer.strip())
            )


def _field_hint(field: CustomFieldDefinition) -> str:
    if field.choices:
        many = _("; several, comma-separated") if field.type.value == "multi_choice" else ""
        return ", ".join(field.choices) + many
    hints = {
        "boolean": _("yes or no"),
        "date": _("YYYY-MM-DD"),
        "integer": _("a whole number"),
        "decimal": _("a number"),
    }
    return hints.get(field.type.value, field.help_text or "")


def review_lines(app: App, book: CustomerBook, review: Review, *, editing: Customer | None) -> None:
    """Print the review: the customer as it will be stored, warnings, duplicates, invoice."""
    out = app.console.out
    customer = review.customer
    assert customer is not None  # noqa: S101 - the review has no errors
    out(_("Review"))
    if editing is None:
        out(f"  {_pad(_('Customer number'))}{review.number}")
    names = {c.id: c.name for c in book.categories()}
    rows: Sequence[tuple[str, object]] = (
        (_("Name"), f"{customer.name} ({kind_word(customer.kind.value)})"),
        (_("Contact person"), customer.contact_person),
        (_("Email"), ", ".join(customer.emails)),
        (_("Phone"), ", ".join(p.number for p in customer.phones)),
        (_("VAT number"), customer.tax_id),
        (_("Company number"), customer.company_id),
        (_("Address"), str(customer.address) or None),
        (_("Website"), customer.website),
        (_("Payment terms"), customer.payment_terms),
        (_("Currency"), customer.currency),
        (_("Language"), customer.language),
        (_("Categories"), ", ".join(names.get(c, "?") for c in customer.categories)),
        *(
            (f.label, _shown(customer.custom_fields.get(f.key)))
            for f in book.fields()
            if f.key in customer.custom_fields
        ),
        (_("Private note"), " / ".join(n.text for n in customer.notes)),
        (_("Consent"), ", ".join(c.channel.value for c in customer.consents if c.given)),
    )
    for label, value in rows:
        if value:
            out(f"  {_pad(label)}{value}")
    for problem in review.warnings:
        if problem.code != "duplicate.likely":
            out("  " + _("Warning: {problem}").format(problem=said(problem)))
    duplicates = [d for d in review.duplicates if editing is None or d.customer.id != editing.id]
    if duplicates:
        out("  " + _("Likely duplicates:"))
        for match in duplicates:
            out(f"    {match.description}")
    elif editing is None:
        out("  " + _("Likely duplicates: none found"))
    if editing is None:
        invoice = review.welcome_invoice
        text = (
            _("invoice {number}, {total} {currency}, due {due}").format(
                number=invoice.number,
                total=invoice.total,
                currency=invoice.currency,
                due=invoice.due_date,
            )
            if invoice is not None
            else _("none (this book sends no welcome invoice to this customer)")
        )
        out(f"  {_pad(_('Welcome invoice'))}{text}")


def _pad(label: str, width: int = 18) -> str:
    """A label and the spaces that line up what follows it (wider labels get one)."""
    return label + " " * max(1, width - len(label))


def kind_word(kind: str) -> str:
    """``company`` or ``person`` in the command's language."""
    return _("company") if kind == "company" else _("person") if kind == "person" else kind


def _choose(app: App, session: FormSession, *, editing: bool) -> str:
    """Ask what to do after the review: save, save and new, edit or cancel."""
    # TRANSLATORS: the letters in brackets are the answers; keep s, n, e and c.
    question = (
        _("[s]ave, [e]dit a field or [c]ancel? ")
        if editing
        else _("[s]ave, save and [n]ew, [e]dit a field or [c]ancel? ")
    )
    while True:
        answer = app.console.ask(question)
        if answer is None:
            raise Cancelled
        word = answer.strip().casefold()[:1]
        if word in ("s", "c") or (word == "n" and not editing):
            return word
        if word == "e":
            session.pick()
            return "e"


def add(app: App) -> int:
    """``add``: register a customer from options, or by prompts when none is given."""
    args = app.args
    source = "debitor add"
    form = options_form(args, source=source)
    if args.category:
        form["categories"] = list(args.category)
    if form and not args.interactive:
        return _add_from_options(app, form)
    try:
        return _add_interactively(app, form, source)
    except Cancelled:
        app.console.err(_("The input ended; nothing more was saved."))
        return Exit.REFUSED


def _scratch_or_book(app: App) -> CustomerBook:
    """The book, or an empty one in memory while the book does not exist yet.

    A PostgreSQL book answers for itself: one that is not there yet is not made for a
    preview (``add`` makes it when it stores the customer).
    """
    from debitor_core.cli._store import BookUnavailable, exists, is_postgres  # noqa: PLC0415

    if is_postgres(app.location):
        with contextlib.suppress(BookUnavailable):  # not there yet, or unreachable: add says
            return app.book()
    elif exists(app.location):
        return app.book()
    from debitor_core import CustomerBook  # noqa: PLC0415

    return CustomerBook(required=app.required())


def _add_from_options(app: App, form: dict[str, Any]) -> int:
    args = app.args
    review = _scratch_or_book(app).preview(form, number=args.number)
    if review.errors:
        app.problems(review.errors)
        app.console.err(_("Nothing was saved."))
        return Exit.REFUSED
    app.problems([w for w in review.warnings if w.code != "duplicate.likely"])
    if review.duplicates and args.on_duplicate == "skip":
        for match in review.duplicates:
            app.console.out(
                _("Not saved: it looks like a customer you have. {match}").format(
                    match=match.description
                )
            )
        return Exit.DONE
    for match in review.duplicates:
        app.console.err(
            _("warning: this may be a customer you already have: {match}").format(
                match=match.description
            )
        )
    if args.dry_run:
        book = _scratch_or_book(app)
        review_lines(app, book, review, editing=None)
        app.console.out(_("Nothing was saved (dry run)."))
        return Exit.DONE
    customer = app.book(create=True).register(form, number=args.number, author=args.author)
    app.console.out(saved_sentence(customer))
    return Exit.DONE


def saved_sentence(customer: Customer) -> str:
    """The sentence that says a customer was saved (``Saved customer 12 (SIA Koks).``)."""
    return _("Saved customer {number} ({name}).").format(number=customer.number, name=customer.name)


def _add_interactively(app: App, form: dict[str, Any], source: str) -> int:
    console = app.console
    while True:
        book = _scratch_or_book(app)
        start = {**book.blank_form(), **form}
        session = FormSession(app, book, start, source=source)
        console.out(
            _(
                "New customer (fields marked * are required). "
                "Enter leaves a field as shown; - empties it."
            )
            if session.required
            else _("New customer. Enter leaves a field as shown; - empties it.")
        )
        review = session.fill()
        while True:
            review_lines(app, book, review, editing=None)
            choice = _choose(app, session, editing=False)
            if choice != "e":
                break
            review = session.settle()
        if choice == "c":
            console.out(_("Nothing was saved."))
            return Exit.DONE
        customer = app.book(create=True).register(session.form, author=app.args.author)
        console.out(saved_sentence(customer))
        if choice == "s":
            return Exit.DONE
        form = {}


def edit(app: App) -> int:
    """``edit``: change a customer's fields from options, or by prompts when none is given."""
    from debitor_core.exchange._forms import customer_form  # noqa: PLC0415

    args = app.args
    customer = app.customer(args.customer)
    book = app.book()
    changes = options_form(args, source="debitor edit")
    names = {c.id: c.name for c in book.categories()}
    fields = {f.key: f for f in book.fields()}
    current = customer_form(customer, names, fields)
    if "custom_fields" in changes:
        changes["custom_fields"] = {**customer.custom_fields, **changes["custom_fields"]}
    for path in args.clear:
        _clear(changes, path, customer)
    if args.add_category or args.remove_category:
        removing = {n.casefold() for n in args.remove_category}
        kept = [n for n in current["categories"] if n.casefold() not in removing]
        changes["categories"] = kept + list(args.add_category)
    if not changes:
        return _edit_interactively(app, book, customer, current)
    return _save_edit(app, book, customer, changes)


def _clear(changes: dict[str, Any], path: str, customer: Customer) -> None:
    if path.startswith("custom_fields."):
        key = path.removeprefix("custom_fields.")
        merged = dict(changes.get("custom_fields", customer.custom_fields))
        merged.pop(key, None)
        changes["custom_fields"] = merged
    else:
        _put(changes, path, None)


def _save_edit(app: App, book: CustomerBook, customer: Customer, changes: Mapping[str, Any]) -> int:
    changed = book.update(
        customer.id, changes, expected_version=customer.version, author=app.args.author
    )
    if changed.version == customer.version:  # pragma: no cover - update always writes
        app.console.out(_("Nothing changed."))
    app.console.out(
        _("Saved customer {number} ({name}), now at version {version}.").format(
            number=changed.number, name=changed.name, version=changed.version
        )
    )
    return Exit.DONE


def _edit_interactively(
    app: App, book: CustomerBook, customer: Customer, current: dict[str, Any]
) -> int:
    console = app.console
    start: dict[str, Any] = {
        k: _shown(v) for k, v in current.items() if k not in ("address", "custom_fields")
    }
    start["address"] = dict(current["address"])
    start["custom_fields"] = {k: _shown(v) for k, v in current["custom_fields"].items()}
    session = FormSession(app, book, copy.deepcopy(start), source="debitor edit", exclude=customer)
    console.out(
        _("Editing customer {number} ({name}). Enter keeps a value; - empties it.").format(
            number=customer.number, name=customer.name
        )
    )
    try:
        review = session.fill()
        while True:
            review_lines(app, book, review, editing=customer)
            choice = _choose(app, session, editing=True)
            if choice != "e":
                break
            review = session.settle()
    except Cancelled:
        console.err(_("The input ended; nothing was saved."))
        return Exit.REFUSED
    if choice == "c":
        console.out(_("Nothing was saved."))
        return Exit.DONE
    changes = {k: v for k, v in session.form.items() if start.get(k) != v}
    if not changes:
        console.out(_("Nothing changed."))
        return Exit.DONE
    if "custom_fields" in changes:
        changes["custom_fields"] = {
            **customer.custom_fields,
            **{k: v for k, v in session.form["custom_fields"].items() if v is not None},
        }
        for key, value in session.form["custom_fields"].items():
            if value is None:
                changes["custom_fields"].pop(key, None)
    return _save_edit(app, book, customer, changes)
