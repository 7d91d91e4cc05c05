"""Commands on customers: list, find, show, note, attach, archive, restore, merge, check."""

from __future__ import annotations

import hashlib
import json
import mimetypes
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from debitor_core.cli._app import App, Exit, Refused
from debitor_core.cli._store import UsageError

if TYPE_CHECKING:
    import datetime as dt

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
    "when",
]

_DEFAULT_LIMIT = 50


def pairs(items: Sequence[str], option: str) -> dict[str, str]:
    """Read ``KEY=VALUE`` items (of ``option``) into a dict."""
    found = {}
    for item in items:
        key, equals, value = item.partition("=")
        if not equals or not key.strip():
            msg = f"{option} takes KEY=VALUE, such as {option} tier=gold; {item!r} has no '='."
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
        msg = "--limit and --offset take a number of customers, 0 or more."
        raise UsageError(msg)
    result = search(app, text, limit=limit or None, offset=args.offset)
    if args.json:
        from debitor_core.exchange import export_rows  # noqa: PLC0415

        _, rows = export_rows(app.book(), result)
        app.console.out(json.dumps(rows, ensure_ascii=False, indent=1))
        return Exit.DONE
    if not result:
        app.console.out("No customers match." if text or _filtered(args) else "No customers yet.")
        return Exit.DONE
    _table(app, result)
    total = len(result)
    if args.offset or (limit is not None and len(result) == limit):
        # SearchResult.total undercounts some searches today, so count them afresh.
        total = len(search(app, text, limit=None))
    first = args.offset + 1
    last = args.offset + len(result)
    if first == 1 and last == total:
        app.console.out(f"{total:,} customer{'s' if total != 1 else ''}.")
    else:
        app.console.out(f"Customers {first:,}-{last:,} of {total:,} (see --limit and --offset).")
    return Exit.DONE


def _filtered(args: Any) -> bool:  # noqa: ANN401 - argparse's namespace
    return bool(args.category or args.country or args.city or args.field or args.archived)


def _table(app: App, customers: Sequence[Customer]) -> None:
    book = app.book()
    names = {c.id: c.name for c in book.categories()}
    rows = [
        [
            str(c.number),
            c.name + (" (archived)" if c.archived else ""),
            c.email or "",
            c.phone.number if c.phone else "",
            c.address.city or "",
            c.address.country or "",
            ", ".join(names.get(i, "?") for i in c.categories),
        ]
        for c in customers
    ]
    app.console.table(
        ("No.", "Name", "Email", "Phone", "City", "Country", "Categories"),
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
    status = ", archived" if customer.archived else ""
    out(f"Customer {customer.number}: {customer.name} ({customer.kind.value}{status})")
    address = customer.address
    town = " ".join(p for p in (address.postal_code, address.city) if p)
    place = [*address.street_lines, town, address.region or "", address.country or ""]
    lines = [p for p in place if p]
    categories = ", ".join(book.category(c).name for c in customer.categories)
    rows = [
        ("Contact person", customer.contact_person),
        ("Email", customer.email),
        ("Other emails", ", ".join(customer.other_emails)),
        ("Phone", customer.phone.number if customer.phone else None),
        ("Other phones", ", ".join(f"{p.number} ({p.type.value})" for p in customer.other_phones)),
        ("Website", customer.website),
        ("VAT number", customer.tax_id.value if customer.tax_id else None),
        ("Company number", customer.company_id),
        ("Address", lines[0] if lines else None),
        *(("", line) for line in lines[1:]),
        ("Payment terms", str(customer.payment_terms) if customer.payment_terms else None),
        ("Currency", customer.currency),
        ("Language", customer.language),
        ("Categories", categories),
    ]
    for label, value in rows:
        out(f"  {label:<16}{value or '-'}")
    _private(app, book, customer)


def _private(app: App, book: CustomerBook, customer: Customer) -> None:
    """The profile's second half: custom fields, consent, notes, attachments, times."""
    out = app.console.out
    fields = {f.key: f for f in book.fields()}
    if customer.custom_fields:
        out("Custom fields")
        for key, value in customer.custom_fields.items():
            label = fields[key].label if key in fields else key
            shown = ", ".join(value) if isinstance(value, tuple) else _value(value)
            out(f"  {label:<16}{shown}")
    out("Consent")
    if not customer.consents:
        out("  none recorded")
    latest: dict[str, Any] = {}
    for consent in customer.consents:
        latest[consent.channel.value] = consent
    for channel, consent in latest.items():
        verb = "given" if consent.given else "withdrawn"
        source = f" ({consent.source})" if consent.source else ""
        out(f"  {channel:<16}{verb} {when(consent.at)}{source}")
    out("Private notes")
    if not customer.notes:
        out("  none")
    for item in customer.notes:
        by = f", {item.author}" if item.author else ""
        text = item.text.replace("\n", "\n" + " " * 4)
        out(f"  {when(item.at)}{by}: {text}")
    if customer.attachments:
        out("Attachments")
        for ref in customer.attachments:
            out(
                f"  {ref.file_name} ({ref.media_type}, {ref.size:,} bytes, "
                f"SHA-256 {ref.sha256[:12]}…), added {when(ref.added)}"
            )
    out(
        f"Registered {when(customer.created)}; last changed {when(customer.updated)}; "
        f"version {customer.version}."
    )


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _account(app: App, account: Any) -> None:  # noqa: ANN401 - an AccountSummary
    out = app.console.out
    out(f"Account (as of {account.as_of})")
    if not account.lines:
        out("  No invoices yet.")
        return
    places: dict[str, int] = {}
    for line in account.lines:
        invoice = line.invoice
        exponent = invoice.total.as_tuple().exponent
        places[invoice.currency] = -exponent if isinstance(exponent, int) else 2
        out(
            f"  Invoice {invoice.number:<6} {invoice.issue_date}  due {invoice.due_date}  "
            f"{invoice.total} {invoice.currency}  {line.status.value.replace('_', ' ')}, "
            f"{line.outstanding} outstanding"
        )
    for currency, totals in account.totals.items():
        digits = places.get(currency, 2)

        def money(amount: Any, digits: int = digits) -> str:  # noqa: ANN401 - a Decimal
            return f"{amount:.{digits}f}"

        out(
            f"  {currency}: invoiced {money(totals.invoiced)}, paid {money(totals.paid)}, "
            f"outstanding {money(totals.outstanding)}, overdue {money(totals.overdue)}"
        )


def note(app: App) -> int:
    """``note``: add a private note."""
    text = app.args.text
    if text == "-":
        text = app.console.stdin.read()
    customer = app.customer(app.args.customer)
    changed = app.book().add_note(customer.id, text, author=app.args.author)
    app.console.out(f"Added a note to customer {changed.number} ({changed.name}).")
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
        msg = f"The file {path} cannot be read: {exc.strerror or exc}."
        raise UsageError(msg) from exc
    media = app.args.media_type or mimetypes.guess_type(path.name)[0]
    if media is None:
        msg = f"The type of {path.name} is not known from its name; give it with --media-type."
        raise UsageError(msg)
    customer = app.customer(app.args.customer)
    changed = app.book().attach(
        customer.id,
        file_name=app.args.name or path.name,
        media_type=media,
        size=path.stat().st_size,
        sha256=digest.hexdigest(),
    )
    app.console.out(f"Recorded {app.args.name or path.name} on customer {changed.number}.")
    return Exit.DONE


def archive(app: App) -> int:
    """``archive`` and ``restore``."""
    customer = app.customer(app.args.customer)
    book = app.book()
    if app.args.command == "archive":
        changed = book.archive(customer.id)
        app.console.out(f"Archived customer {changed.number} ({changed.name}).")
    else:
        changed = book.restore(customer.id)
        app.console.out(f"Restored customer {changed.number} ({changed.name}).")
    return Exit.DONE


def merge(app: App) -> int:
    """``merge``: fold a duplicate into the customer kept, after confirmation."""
    keep = app.customer(app.args.keep)
    duplicate = app.customer(app.args.duplicate)
    console = app.console
    question = (
        f"Merge customer {duplicate.number} ({duplicate.name}) into customer {keep.number} "
        f"({keep.name})? Customer {duplicate.number} is then deleted."
    )
    if not app.args.yes:
        if not console.stdin.isatty():
            msg = f"{question} Add --yes to do it."
            raise Refused(msg, Exit.USAGE)
        answer = console.ask(question + " [y/N] ")
        if (answer or "").strip().casefold() not in ("y", "yes"):
            console.out("Nothing was merged.")
            return Exit.DONE
    merged = app.book().merge(keep.id, duplicate.id)
    console.out(
        f"Merged customer {duplicate.number} into customer {merged.number} ({merged.name})."
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
    bar = app.console.progress(len(customers), "Checking")
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
            app.console.out(f"Customer {customer.number} ({customer.name}):")
            for problem in errors:
                where = f"{problem.path}: " if problem.path else ""
                app.console.out(f"  {where}{problem.message}")
    count = len(customers)
    summary = (
        f"Checked {count:,} customer{'s' if count != 1 else ''}: "
        f"{len(failing):,} no longer pass today's rules; nothing was changed."
    )
    app.console.err(summary) if app.args.json else app.console.out(summary)
    return Exit.REFUSED if failing else Exit.DONE
