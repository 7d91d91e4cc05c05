"""The command line's grammar: every command, argument and option (argparse, stdlib only)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Final

from debitor_core.cli._i18n import N_, _, available

__all__ = ["DEFAULT_BOOK", "DEMO_BOOK", "FIELD_OPTIONS", "build_parser"]

DEFAULT_BOOK: Final = "customers.json"
DEMO_BOOK: Final = "debitor-demo.json"

FIELD_OPTIONS: Final = (
    # (option, form path, help)
    ("--kind", "kind", N_("company (default) or person")),
    ("--name", "name", N_("the company's name, or a person's first name(s) then surname")),
    ("--contact-person", "contact_person", N_("the main contact at a company")),
    ("--email", "email", N_("the main email address")),
    ("--phone", "phone", N_("the main phone number (read in the customer's country)")),
    ("--website", "website", N_("the website")),
    ("--tax-id", "tax_id", N_("the VAT number, any common writing (LV 4000 3521 600)")),
    ("--company-id", "company_id", N_("the company registration number")),
    ("--street", "address.street", N_("street and house (new lines as \\n)")),
    ("--postal-code", "address.postal_code", N_("the postal code")),
    ("--city", "address.city", N_("the city")),
    ("--region", "address.region", N_("state, province or county")),
    ("--country", "address.country", N_("the country, as a code (LV) or a name")),
    (
        "--payment-terms",
        "payment_terms",
        N_("net 14, prepaid, end of month + 30, fixed 2026-12-31"),
    ),
    ("--currency", "currency", N_("preferred currency (EUR)")),
    ("--language", "language", N_("preferred language (lv)")),
)
"""The options that set one field of a customer, for ``add`` and ``edit``."""

_EPILOG: Final = N_(
    "The book is a .json file (default ./customers.json, or $DEBITOR_BOOK) or an SQLite "
    ".db/.sqlite file. Exit status: 0 done, 1 some rows or values were refused, 2 wrong "
    "usage, 3 the book could not be used. See 'debitor COMMAND --help'."
)


class _Version(argparse.Action):
    """``--version``: reads the installed version only when asked."""

    def __init__(self, option_strings: list[str], dest: str, **_options: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help=_("show the version and exit"))

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        from importlib import metadata  # noqa: PLC0415 - only for --version

        try:
            version = metadata.version("debitor-core")
        except metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
            version = "unknown"
        sys.stdout.write(f"debitor (debitor-core) {version}\n")
        parser.exit(0)


def _book_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    default = os.environ.get("DEBITOR_BOOK", DEFAULT_BOOK) if top else argparse.SUPPRESS
    parser.add_argument(
        "--book",
        metavar="PATH",
        default=default,
        help=_(
            "the book: a .json or .db/.sqlite file (default: ./customers.json or "
            "$DEBITOR_BOOK), or a postgresql:// URL (with --book-id)"
        ),
    )
    parser.add_argument(
        "--book-id",
        metavar="ID",
        default=None if top else argparse.SUPPRESS,
        help=_("which book of a PostgreSQL database (several books share one)"),
    )
    parser.add_argument(
        "--require",
        metavar="FIELDS",
        default="default" if top else argparse.SUPPRESS,
        help=_(
            "required fields: 'default' (name, country), 'complete' (name, full "
            "address, email, phone) or paths such as name,email,address.city"
        ),
    )


def _filters(parser: argparse.ArgumentParser, *, archived: bool = True) -> None:
    group = parser.add_argument_group(_("filters"))
    group.add_argument(
        "--category",
        action="append",
        default=[],
        metavar="NAME",
        help=_("in this category or its sub-categories (repeat for several)"),
    )
    group.add_argument(
        "--all-categories",
        action="store_true",
        help=_("with several --category, in all of them (default: any)"),
    )
    group.add_argument("--country", help=_("in this country (code or name)"))
    group.add_argument("--city", help=_("in this city (case and accents do not matter)"))
    group.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=_("with this custom-field value (repeat for several)"),
    )
    if archived:
        shown = group.add_mutually_exclusive_group()
        shown.add_argument("--archived", action="store_true", help=_("archived customers only"))
        shown.add_argument("--with-archived", action="store_true",
                           help=_("archived customers too"))  # fmt: skip


def _listing(parser: argparse.ArgumentParser) -> None:
    _filters(parser)
    parser.add_argument("--sort", choices=("number", "name", "created"), default="number")
    parser.add_argument("--desc", action="store_true", help=_("reverse the order"))
    parser.add_argument(
        "--limit",
        type=int,
        metavar="N",
        help=_("show at most N (default 50 in a table, all with --json; 0: all)"),
    )
    parser.add_argument("--offset", type=int, default=0, metavar="N", help=_("skip the first N"))
    parser.add_argument("--json", action="store_true", help=_("JSON for scripts"))  # fmt: skip


def _field_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(_("the customer's fields"))
    for option, path, text in FIELD_OPTIONS:
        group.add_argument(option, dest=f"field:{path}", metavar="TEXT", help=_(text))
    group.add_argument(
        "--other-email",
        action="append",
        dest="field:other_emails",
        metavar="EMAIL",
        help=_("another email address (repeat for several)"),
    )
    group.add_argument(
        "--other-phone",
        action="append",
        dest="field:other_phones",
        metavar="PHONE",
        help=_("another phone number (repeat for several)"),
    )
    group.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=_("a custom field's value (repeat for several)"),
    )
    group.add_argument(
        "--consent",
        metavar="CHANNELS",
        help=_("consent to contact by email, phone, sms, post (comma-separated)"),
    )
    group.add_argument("--author", help=_("who makes the change (recorded on notes)"))  # fmt: skip


def build_parser() -> argparse.ArgumentParser:  # noqa: PLR0915 - the whole grammar, in one place
    """The ``debitor`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="debitor",
        description=_("Register, find and keep customers in a customer book."),
        epilog=_(_EPILOG),
    )
    parser.add_argument("--version", action=_Version)
    parser.add_argument(
        "--lang",
        metavar="LANG",
        help=_(
            "the language of the messages: {languages} (default: from LANGUAGE, LC_ALL, "
            "LC_MESSAGES or LANG, else en)"
        ).format(languages=", ".join(available())),
    )
    _book_options(parser, top=True)
    common = argparse.ArgumentParser(add_help=False)
    _book_options(common, top=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, text: str, **kwargs: object) -> argparse.ArgumentParser:
        return commands.add_parser(
            name, help=text, description=_("{what}.").format(what=text[:1].upper() + text[1:]),
            parents=[common], **kwargs,  # type: ignore[arg-type]
        )  # fmt: skip

    add = command("add", _("register a customer, from options or by answering prompts"))
    _field_options(add)
    add.add_argument(
        "--category",
        action="append",
        default=[],
        metavar="NAME",
        help=_("put the customer in this category (repeat for several)"),
    )
    add.add_argument("--note", help=_("a private note"))
    add.add_argument("--number", type=int, help=_("a customer number (default: the next free)"))
    add.add_argument(
        "--on-duplicate",
        choices=("create", "skip"),
        default="create",
        help=_("when the review finds a likely duplicate: save anyway (default) or skip"),
    )
    add.add_argument("--dry-run", action="store_true", help=_("show the review, save nothing"))
    add.add_argument(
        "-i",
        "--interactive",
        action="store_true",
        help=_("ask for each field (the default when no field is given)"),
    )

    listing = command("list", _("list customers in a table (or JSON)"))
    _listing(listing)
    find = command("find", _("find customers by words in their name, email, phone, ..."))
    find.add_argument("text", nargs="+", help=_("words to look for (all must appear)"))
    _listing(find)

    show = command("show", _("show a customer's full profile"))
    show.add_argument("customer", help=_("the customer's number (or id)"))
    show.add_argument("--json", action="store_true", help=_("JSON for scripts"))

    edit = command("edit", _("change a customer's fields (prompts when no option is given)"))
    edit.add_argument("customer", help=_("the customer's number (or id)"))
    _field_options(edit)
    edit.add_argument(
        "--clear",
        action="append",
        default=[],
        metavar="FIELD",
        help=_("empty a field (email, phone, address.city, ...)"),
    )
    edit.add_argument("--add-category", action="append", default=[], metavar="NAME")
    edit.add_argument("--remove-category", action="append", default=[], metavar="NAME")
    edit.add_argument("--note", help=_("add a private note with the change"))

    note = command("note", _("add a private, dated note to a customer"))
    note.add_argument("customer", help=_("the customer's number (or id)"))
    note.add_argument("text", help=_("the note ('-' reads it from standard input)"))
    note.add_argument("--author", help=_("who writes the note"))

    attach = command("attach", _("record a file (such as a signed contract) on a customer"))
    attach.add_argument("customer", help=_("the customer's number (or id)"))
    attach.add_argument("file", help=_("the file; its name, size and SHA-256 are recorded"))
    attach.add_argument(
        "--media-type", help=_("its type, such as application/pdf (default: guessed from the name)")
    )
    attach.add_argument("--name", help=_("the name to show (default: the file's name)"))
    _author_option(attach)

    for name, text in (
        ("archive", N_("hide a customer from lists; keep everything")),
        ("restore", N_("bring an archived customer back into lists")),
    ):
        sub = command(name, _(text))
        sub.add_argument("customer", help=_("the customer's number (or id)"))
        _author_option(sub)

    merge = command("merge", _("fold a duplicate into the customer to keep"))
    merge.add_argument("keep", help=_("the customer to keep (number or id)"))
    merge.add_argument("duplicate", help=_("the duplicate, which is deleted (number or id)"))
    merge.add_argument("--yes", action="store_true", help=_("do not ask for confirmation"))
    _author_option(merge)

    categories = command("categories", _("list and change categories"))
    cat = categories.add_subparsers(dest="action", metavar="ACTION")
    cat.add_parser("list", help=_("the categories as a tree, with customer counts"))
    cat_add = cat.add_parser("add", help=_("create a category"))
    cat_add.add_argument("name")
    cat_add.add_argument("--parent", help=_("place it under this category"))
    _author_option(cat_add)
    cat_rename = cat.add_parser("rename", help=_("give a category a new name"))
    cat_rename.add_argument("name")
    cat_rename.add_argument("new_name")
    _author_option(cat_rename)
    cat_move = cat.add_parser("move", help=_("place a category under another (or at the top)"))
    cat_move.add_argument("name")
    where = cat_move.add_mutually_exclusive_group(required=True)
    where.add_argument("--parent", help=_("the new parent"))
    where.add_argument("--top", action="store_true", help=_("move it to the top level"))
    _author_option(cat_move)
    cat_delete = cat.add_parser("delete", help=_("delete a category"))
    cat_delete.add_argument("name")
    cat_delete.add_argument(
        "--detach", action="store_true", help=_("take it off the customers in it (default: refuse)")
    )
    _author_option(cat_delete)

    fields = command("fields", _("list and change custom fields"))
    fld = fields.add_subparsers(dest="action", metavar="ACTION")
    fld.add_parser("list", help=_("the custom fields and their rules"))
    for name, text in (("add", N_("define a custom field")), ("change", N_("change a field"))):
        sub = fld.add_parser(name, help=_(text))
        sub.add_argument("key", help=_("lowercase letters, digits and _ (vat_group)"))
        if name == "add":
            sub.add_argument("label", help=_("the name shown to people"))
        else:
            sub.add_argument("--label", help=_("the name shown to people"))
        _author_option(sub)
        sub.add_argument(
            "--type",
            help=_(
                "text, multiline_text, integer, decimal, date, "
                "boolean, choice, multi_choice, email, phone, url"
            ),
        )
        sub.add_argument("--required", action=argparse.BooleanOptionalAction, default=None)
        sub.add_argument(
            "--choice",
            action="append",
            metavar="CHOICE",
            help=_("an allowed value of a choice field (repeat for each)"),
        )
        sub.add_argument("--min", dest="min_value", metavar="N")
        sub.add_argument("--max", dest="max_value", metavar="N")
        sub.add_argument("--max-length", type=int, metavar="N")
        sub.add_argument("--pattern", metavar="REGEX")
        sub.add_argument("--default", metavar="VALUE")
        sub.add_argument("--help-text", metavar="TEXT")
        sub.add_argument(
            "--personal-data",
            action=argparse.BooleanOptionalAction,
            default=None,
            help=_("values are personal data (left out of exports unless asked for)"),
        )
    for name, text in (
        ("deactivate", N_("stop a field taking new values")),
        ("activate", N_("let a deactivated field take values again")),
    ):
        sub = fld.add_parser(name, help=_(text))
        sub.add_argument("key")
        _author_option(sub)

    check = command("check", _("re-check every customer with today's rules; change nothing"))
    check.add_argument("--json", action="store_true", help=_("JSON for scripts"))
    command("verify", _("read every stored row and check it for damage; change nothing"))

    imp = command("import", _("import customers from a CSV (or JSON) file"))
    imp.add_argument("file", help=_("the file; .json for a JSON array, anything else is CSV"))
    imp.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help=_(
            "read COLUMN into FIELD (name, email, postal_code, "
            "custom_fields.KEY, ...; '-' ignores it); repeat for several"
        ),
    )
    imp.add_argument("--encoding", help=_("the file's encoding: utf-8 (default), cp1257, latin-1"))
    imp.add_argument(
        "--on-duplicate",
        choices=("skip", "update", "create"),
        default="skip",
        help=_(
            "a row matching a customer (by number, else VAT number, else "
            "email): skip it (default), update the customer, or create anyway"
        ),
    )
    imp.add_argument(
        "--dry-run",
        action="store_true",
        help=_("say what would happen to each row; change nothing"),
    )
    imp.add_argument(
        "--atomic", action="store_true", help=_("store nothing unless every row can be stored")
    )
    imp.add_argument(
        "--rejects",
        metavar="PATH",
        help=_("where refused rows go (default: <file>.rejects.csv beside it)"),
    )
    imp.add_argument("--country", metavar="CODE", help=_("the country of rows that have none"))
    imp.add_argument("--author", help=_("who imports (recorded on the rows' notes)"))

    exp = command("export", _("export customers to CSV or JSON (by the file's extension)"))
    exp.add_argument("file", help=_("a .csv or .json file"))
    exp.add_argument(
        "--include-private",
        action="store_true",
        help=_("add private notes, consent and personal-data custom fields"),
    )
    exp.add_argument(
        "--delimiter",
        choices=(",", ";", "tab"),
        default=",",
        help=_("the CSV delimiter (default ,)"),
    )
    exp.add_argument("--force", action="store_true", help=_("replace the file if it exists"))
    _filters(exp, archived=False)
    exp.add_argument(
        "--without-archived",
        action="store_true",
        help=_("leave archived customers out (default: all)"),
    )

    dump = command("dump", _("write a backup of the book to a JSON file"))
    dump.add_argument("file")
    dump.add_argument("--force", action="store_true", help=_("replace the file if it exists"))
    load = command("load", _("load a backup made by dump into the book"))
    load.add_argument("file")
    migrate = command("migrate", _("copy the book into another store (JSON, SQLite)"))
    migrate.add_argument("--to", required=True, metavar="PATH", help=_("the new book"))
    migrate.add_argument("--to-book-id", metavar="ID", help=_("for a PostgreSQL target"))

    demo = command("demo", _("a tour of the commands on a demo book of its own"))
    demo.add_argument(
        "path", nargs="?", help=_("the demo book (default: ./{book})").format(book=DEMO_BOOK)
    )
    return parser


def _author_option(parser: argparse.ArgumentParser) -> None:
    """``--author``: who makes the change, as the customer's history records it."""
    parser.add_argument("--author", help=_("who makes the change (recorded in the history)"))
