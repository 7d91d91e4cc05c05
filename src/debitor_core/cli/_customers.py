"""Commands on customers: list, find, show, note, attach, archive, restore, merge, check, verify."""

from __future__ import annotations

import hashlib
import json
import mimetypes
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from debitor_core.cli._app import App, Exit, Refused, said
from debitor_core.cli._i18n import N_, _, ngettext, number
from debitor_core.cli._store import UsageError, describe, earlier_format

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable

    from debitor_core import Customer, CustomerBook

__all__ = [
    "archive",
    "attach",
    "check",
    "list_customers",
    "merge",
    "note",
    "pairs",
    "show",
    "verify",
    "when",
]

_DEFAULT_LIMIT = 50


def pairs(items: Sequence[str], option: str) -> dict[str, str]:
    """Read ``KEY=VALUE`` items (of ``option``) into a dict."""
    found = {}
    for item in items:
        key, equals, value = item.partition("=")
        if not equals or not key.strip():
            msg = _(
                "{option} takes KEY=VALUE, such as {option} tier=gold; {item!r} has no '='."
            ).format(option=option, item=item)
            raise UsageError(msg)
        found[key.strip()] = value
    return found


def when(moment: dt.datetime) -> str:
    """A time as the profile shows it: ``2026-11-26 09:00 UTC``."""
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _archived_filter(args: Any) -> bool | None:  # noqa: ANN401 - argparse's namespace
    if getattr(args, "archived", False):
        return True
    if getattr(args, "with_archived", False):
        return None
    return False


def search(app: App, text: str = "", *, limit: int | None, offset: int = 0) -> Any:  # noqa: ANN401
    """Run the filters of the command line through `CustomerBook.search`."""
    args = app.args
    return app.book().search(
        text,
        category=args.category or None,
        match="all" if args.all_categories else "any",
        country=args.country,
        city=args.city,
        custom_fields=pairs(args.field, "--field") or None,
        archived=_archived_filter(args),
        sort=getattr(args, "sort", "number"),
        descending=getattr(args, "desc", False),
        offset=offset,
        limit=limit,
    )


def list_customers(app: App) -> int:
    """``list`` and ``find``: a table of customers, or JSON."""
    args = app.args
    text = " ".join(args.text) if args.command == "find" else ""
    limit = args.limit
    if limit is None:
        limit = None if args.json else _DEFAULT_LIMIT
    if (limit is not None and limit < 0) or args.offset < 0:
        msg = _("--limit and --offset take a number of customers, 0 or more.")
        raise UsageError(msg)
    result = search(app, text, limit=limit or None, offset=args.offset)
    if args.json:
        from debitor_core.exchange import export_rows  # noqa: PLC0415

        _columns, rows = export_rows(app.book(), result)
        app.console.out(json.dumps(rows, ensure_ascii=False, indent=1))
        return Exit.DONE
    if not result:
        app.console.out(
            _("No customers match.") if text or _filtered(args) else _("No customers yet.")
        )
        return Exit.DONE
    _table(app, result)
    total = len(result)
    if args.offset or (limit is not None and len(result) == limit):
        # SearchResult.total undercounts some searches today, so count them afresh.
        total = len(search(app, text, limit=None))
    first = args.offset + 1
    last = args.offset + len(result)
    if first == 1 and last == total:
        app.console.out(
            ngettext("{count} customer.", "{count} customers.", total).format(count=number(total))
        )
    else:
        app.console.out(
            _("Customers {first}-{last} of {total} (see --limit and --offset).").format(
                first=number(first), last=number(last), total=number(total)
            )
        )
    return Exit.DONE


def _filtered(args: Any) -> bool:  # noqa: ANN401 - argparse's namespace
    return bool(args.category or args.country or args.city or args.field or args.archived)


def _table(app: App, customers: Sequence[Customer]) -> None:
    book = app.book()
    names = {c.id: c.name for c in book.categories()}
    rows = [
        [
            str(c.number),
            c.name + (" " + _("(archived)") if c.archived else ""),
            c.email or "",
            c.phone.number if c.phone else "",
            c.address.city or "",
            c.address.country or "",
            ", ".join(names.get(i, "?") for i in c.categories),
        ]
        for c in customers
    ]
    app.console.table(
        (_("No."), _("Name"), _("Email"), _("Phone"), _("City"), _("Country"), _("Categories")),
        rows,
        right=(0,),
        flexible=(1, 2, 6, 4),
    )


def show(app: App) -> int:
    """``show``: the full profile of one customer."""
    customer = app.customer(app.args.customer)
    book = app.book()
    account = book.account(customer.id)
    if app.args.json:
        from debitor_core import make_converter  # noqa: PLC0415

        converter = make_converter()
        data = converter.unstructure(customer)
        data["category_names"] = [book.category(c).name for c in customer.categories]
        data["account"] = converter.unstructure(account)
        app.console.out(json.dumps(data, ensure_ascii=False, indent=1, default=str))
        return Exit.DONE
    _profile(app, book, customer)
    _account(app, account)
    return Exit.DONE


def _profile(app: App, book: CustomerBook, customer: Customer) -> None:
    out = app.console.out
    kind = _("company") if customer.kind.value == "company" else _("person")
    status = ", " + _("archived") if customer.archived else ""
    out(
        _("Customer {number}: {name} ({kind})").format(
            number=customer.number, name=customer.name, kind=kind + status
        )
    )
    address = customer.address
    town = " ".join(p for p in (address.postal_code, address.city) if p)
    place = [*address.street_lines, town, address.region or "", address.country or ""]
    lines = [p for p in place if p]
    categories = ", ".join(book.category(c).name for c in customer.categories)
    rows = [
        (_("Contact person"), customer.contact_person),
        (_("Email"), customer.email),
        (_("Other emails"), ", ".join(customer.other_emails)),
        (_("Phone"), customer.phone.number if customer.phone else None),
        (
            _("Other phones"),
            ", ".join(f"{p.number} ({p.type.value})" for p in customer.other_phones),
        ),
        (_("Website"), customer.website),
        (_("VAT number"), customer.tax_id.value if customer.tax_id else None),
        (_("Company number"), customer.company_id),
        (_("Address"), lines[0] if lines else None),
        *(("", line) for line in lines[1:]),
        (_("Payment terms"), str(customer.payment_terms) if customer.payment_terms else None),
        (_("Currency"), customer.currency),
        (_("Language"), customer.language),
        (_("Categories"), categories),
    ]
    for label, value in rows:
        out(f"  {_pad(label)}{value or '-'}")
    _private(app, book, customer)


def _private(app: App, book: CustomerBook, customer: Customer) -> None:
    """The profile's second half: custom fields, consent, notes, attachments, times."""
    out = app.console.out
    fields = {f.key: f for f in book.fields()}
    if customer.custom_fields:
        out(_("Custom fields"))
        for key, value in customer.custom_fields.items():
            label = fields[key].label if key in fields else key
            shown = ", ".join(value) if isinstance(value, tuple) else _value(value)
            out(f"  {_pad(label)}{shown}")
    out(_("Consent"))
    if not customer.consents:
        out("  " + _("none recorded"))
    latest: dict[str, Any] = {}
    for consent in customer.consents:
        latest[consent.channel.value] = consent
    for channel, consent in latest.items():
        template = _("given {when}{source}") if consent.given else _("withdrawn {when}{source}")
        source = f" ({consent.source})" if consent.source else ""
        out(f"  {_pad(channel)}" + template.format(when=when(consent.at), source=source))
    out(_("Private notes"))
    if not customer.notes:
        out("  " + _("none"))
    for item in customer.notes:
        by = f", {item.author}" if item.author else ""
        text = item.text.replace("\n", "\n" + " " * 4)
        out(f"  {when(item.at)}{by}: {text}")
    if customer.attachments:
        out(_("Attachments"))
        for ref in customer.attachments:
            out(
                "  "
                + ngettext(
                    "{name} ({type}, {size} byte, SHA-256 {digest}…), added {when}",
                    "{name} ({type}, {size} bytes, SHA-256 {digest}…), added {when}",
                    ref.size,
                ).format(
                    name=ref.file_name,
                    type=ref.media_type,
                    size=number(ref.size),
                    digest=ref.sha256[:12],
                    when=when(ref.added),
                )
            )
    out(
        _("Registered {created}; last changed {updated}; version {version}.").format(
            created=when(customer.created), updated=when(customer.updated), version=customer.version
        )
    )


def _pad(label: str, width: int = 16) -> str:
    """A label and the spaces that line up what follows it (wider labels get one)."""
    return label + " " * max(1, width - len(label))


def _value(value: object) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def _account(app: App, account: Any) -> None:  # noqa: ANN401 - an AccountSummary
    out = app.console.out
    out(_("Account (as of {day})").format(day=account.as_of))
    if not account.lines:
        out("  " + _("No invoices yet."))
        return
    places: dict[str, int] = {}
    for line in account.lines:
        invoice = line.invoice
        exponent = invoice.total.as_tuple().exponent
        places[invoice.currency] = -exponent if isinstance(exponent, int) else 2
        out(
            "  "
            + _(
                "Invoice {number} {issued}  due {due}  {total} {currency}  {status}, "
                "{outstanding} outstanding"
            ).format(
                number=f"{invoice.number:<6}",
                issued=invoice.issue_date,
                due=invoice.due_date,
                total=invoice.total,
                currency=invoice.currency,
                status=_status(line.status.value),
                outstanding=line.outstanding,
            )
        )
    for currency, totals in account.totals.items():
        digits = places.get(currency, 2)

        def money(amount: Any, digits: int = digits) -> str:  # noqa: ANN401 - a Decimal
            return f"{amount:.{digits}f}"

        out(
            "  "
            + _(
                "{currency}: invoiced {invoiced}, paid {paid}, outstanding {outstanding}, "
                "overdue {overdue}"
            ).format(
                currency=currency,
                invoiced=money(totals.invoiced),
                paid=money(totals.paid),
                outstanding=money(totals.outstanding),
                overdue=money(totals.overdue),
            )
        )


_STATUSES = {
    "draft": N_("draft"),
    "partly_paid": N_("partly paid"),
    "paid": N_("paid"),
    "overdue": N_("overdue"),
    "void": N_("void"),
    "sent": N_("sent"),
}


def _status(value: str) -> str:
    """An invoice's status in words, in the command's language."""
    words = _STATUSES.get(value)
    return _(words) if words else value.replace("_", " ")


def note(app: App) -> int:
    """``note``: add a private note."""
    text = app.args.text
    if text == "-":
        text = app.console.stdin.read()
    customer = app.customer(app.args.customer)
    changed = app.book().add_note(customer.id, text, author=app.args.author)
    app.console.out(
        _("Added a note to customer {number} ({name}).").format(
            number=changed.number, name=changed.name
        )
    )
    return Exit.DONE


def attach(app: App) -> int:
    """``attach``: record a file's name, type, size and SHA-256 on a customer."""
    path = Path(app.args.file)
    digest = hashlib.sha256()
    try:
        with path.open("rb") as stream:
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as exc:
        msg = _("The file {path} cannot be read: {reason}.").format(
            path=path, reason=exc.strerror or exc
        )
        raise UsageError(msg) from exc
    media = app.args.media_type or mimetypes.guess_type(path.name)[0]
    if media is None:
        msg = _("The type of {name} is not known from its name; give it with --media-type.").format(
            name=path.name
        )
        raise UsageError(msg)
    customer = app.customer(app.args.customer)
    changed = app.book().attach(
        customer.id,
        file_name=app.args.name or path.name,
        media_type=media,
        size=path.stat().st_size,
        sha256=digest.hexdigest(),
        author=app.args.author,
    )
    app.console.out(
        _("Recorded {name} on customer {number}.").format(
            name=app.args.name or path.name, number=changed.number
        )
    )
    return Exit.DONE


def archive(app: App) -> int:
    """``archive`` and ``restore``."""
    customer = app.customer(app.args.customer)
    book = app.book()
    if app.args.command == "archive":
        changed = book.archive(customer.id, author=app.args.author)
        done = _("Archived customer {number} ({name}).")
    else:
        changed = book.restore(customer.id, author=app.args.author)
        done = _("Restored customer {number} ({name}).")
    app.console.out(done.format(number=changed.number, name=changed.name))
    return Exit.DONE


def merge(app: App) -> int:
    """``merge``: fold a duplicate into the customer kept, after confirmation."""
    keep = app.customer(app.args.keep)
    duplicate = app.customer(app.args.duplicate)
    console = app.console
    question = _(
        "Merge customer {duplicate} ({duplicate_name}) into customer {keep} "
        "({keep_name})? Customer {duplicate} is then deleted."
    ).format(
        duplicate=duplicate.number,
        duplicate_name=duplicate.name,
        keep=keep.number,
        keep_name=keep.name,
    )
    if not app.args.yes:
        if not console.stdin.isatty():
            msg = question + " " + _("Add --yes to do it.")
            raise Refused(msg, Exit.USAGE)
        # TRANSLATORS: the answers are y or yes, and the first letter and word of "yes".
        answer = console.ask(question + " " + _("[y/N] "))
        yes = {"y", "yes", _("y").casefold(), _("yes").casefold()}
        if (answer or "").strip().casefold() not in yes:
            console.out(_("Nothing was merged."))
            return Exit.DONE
    merged = app.book().merge(keep.id, duplicate.id, author=app.args.author)
    console.out(
        _("Merged customer {duplicate} into customer {keep} ({name}).").format(
            duplicate=duplicate.number, keep=merged.number, name=merged.name
        )
    )
    return Exit.DONE


def check(app: App) -> int:
    """``check``: re-read every stored customer with today's rules; change nothing."""
    from debitor_core.exchange._forms import customer_form  # noqa: PLC0415

    book = app.book()
    names = {c.id: c.name for c in book.categories()}
    fields = {f.key: f for f in book.fields()}
    failing: list[tuple[Customer, Any]] = []
    customers = book.customers(archived=None)
    bar = app.console.progress(len(customers), _("Checking"))
    for position, customer in enumerate(customers, 1):
        review = book.preview(customer_form(customer, names, fields))
        if review.errors:
            failing.append((customer, review.errors))
        if position % 200 == 0:
            bar.update(position)
    bar.close()
    if app.args.json:
        report: list[Mapping[str, object]] = [
            {
                "number": c.number,
                "name": c.name,
                "problems": [{"path": p.path, "code": p.code, "message": p.message} for p in e],
            }
            for c, e in failing
        ]
        app.console.out(json.dumps(report, ensure_ascii=False, indent=1))
    for customer, errors in failing:
        if not app.args.json:
            app.console.out(
                _("Customer {number} ({name}):").format(number=customer.number, name=customer.name)
            )
            for problem in errors:
                where = f"{problem.path}: " if problem.path else ""
                app.console.out(f"  {where}{said(problem)}")
    count = len(customers)
    summary = ngettext(
        "Checked {count} customer: {failing} no longer pass today's rules; nothing was changed.",
        "Checked {count} customers: {failing} no longer pass today's rules; nothing was changed.",
        count,
    ).format(count=number(count), failing=number(len(failing)))
    app.console.err(summary) if app.args.json else app.console.out(summary)
    return Exit.REFUSED if failing else Exit.DONE


def verify(app: App) -> int:
    """``verify``: read every stored row and check it for damage; change nothing.

    Every store the CLI opens has a ``verify()`` that reads and checks every stored row:
    SQLite and PostgreSQL a batch of rows at a time (SQLite also runs its own integrity
    check), a JSON book its two files read again, every customer built. Damage is
    reported as for any command (exit status 3), naming the row. A file book an earlier
    release wrote is refused (exit status 3) rather than upgraded: opening it would
    change it, and an earlier release could no longer read it.
    """
    earlier = earlier_format(app.location)
    if earlier is not None:
        msg = _(
            "The book {book} was written by an earlier release of debitor-core (format "
            "{found}; this release writes {current}). verify changes nothing, so it does not "
            "upgrade it: any other command (such as 'debitor list') upgrades it, then verify "
            "checks it."
        ).format(book=describe(app.location), found=earlier[0], current=earlier[1])
        raise Refused(msg, Exit.UNAVAILABLE)
    store = app.store()
    # JsonFileStore, SqliteStore and PostgresStore have it; the Store protocol does not
    # ask for it (InMemoryStore, which the CLI never opens, has none).
    check_rows: Callable[[], None] = getattr(store, "verify")  # noqa: B009 - not in Store
    check_rows()
    count = store.count()
    app.console.out(
        ngettext(
            "Checked every stored row of {book} ({count} customer): no damage found; "
            "nothing was changed.",
            "Checked every stored row of {book} ({count} customers): no damage found; "
            "nothing was changed.",
            count,
        ).format(book=describe(app.location), count=number(count))
    )
    return Exit.DONE
