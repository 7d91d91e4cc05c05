"""``debitor demo``: a tour of the commands, run on a demo book of its own.

The demo never writes into a book it did not make. It marks the books it makes with a
deactivated custom field, ``debitor_demo``; an existing book without that mark is used
only if it is completely empty (no customers, categories or custom fields). Run it
twice: the second run finds the first run's customers and adds nothing twice.
"""

from __future__ import annotations

import shlex
import shutil
from importlib import resources
from pathlib import Path
from typing import Final

from debitor_core.cli._app import App, Exit, Refused, run
from debitor_core.cli._console import Console
from debitor_core.cli._i18n import N_, _
from debitor_core.cli._parser import DEMO_BOOK
from debitor_core.cli._store import open_store

__all__ = ["MARKER", "demo"]

MARKER: Final = "debitor_demo"
"""The key of the custom field that marks a book the demo made."""

_CATEGORIES: Final = ("Retailers", "Wholesalers", "Regular customers")


_LATVIAN: Final = (
    "add", "--name", "SIA Bērziņš un Partneri", "--contact-person", "Jānis Bērziņš",
    "--email", " Info@Berzins.lv ", "--phone", "2000 0000", "--tax-id", "LV 4000 3521 600",
    "--street", "Brīvības iela 1", "--postal-code", "1050", "--city", "Rīga",
    "--country", "lv", "--category", "Retailers", "--payment-terms", "net 14",
    "--note", "Prefers invoices in Latvian.", "--on-duplicate", "skip",
)  # fmt: skip
_GERMAN: Final = (
    "--name", "Koks GmbH", "--city", "Berlin", "--country", "Germany",
    "--category", "Wholesalers", "--payment-terms", "end of month + 30",
    "--on-duplicate", "skip",
)  # fmt: skip
_GERMAN_WRONG: Final = (
    "add", "--email", "rechnung@@koks.de", "--phone", "12", "--tax-id", "DE113866164",
    "--postal-code", "1011", *_GERMAN,
)  # fmt: skip
_GERMAN_FIXED: Final = (
    "add", "--email", "rechnung@koks.de", "--phone", "030 123456", "--tax-id",
    "DE 113866163", "--postal-code", "10117", *_GERMAN,
)  # fmt: skip
_FINNISH: Final = (
    "add", "--kind", "person", "--name", "Virtanen,   Aino", "--email",
    "aino.virtanen@example.fi", "--phone", "040 765 4321", "--postal-code", "00100",
    "--city", "Helsinki", "--country", "FI", "--category", "Regular customers",
    "--consent", "email", "--on-duplicate", "skip",
)  # fmt: skip


def _steps(sample: str, export: str) -> list[tuple[str, tuple[str, ...], int]]:
    """The tour: (what it shows, the command's arguments, the exit status it should end in)."""
    return [
        (N_("Register a Latvian company; values are normalised as they are stored"), _LATVIAN, 0),
        (N_("A German company with mistakes: every problem at once, beside its field"),
         _GERMAN_WRONG, 1),
        (N_("The same company with the mistakes fixed"), _GERMAN_FIXED, 0),
        (N_("A private person in Finland: first name(s), then surname"), _FINNISH, 0),
        (N_("The customers list"), ("list",), 0),
        (N_("Search: case and accents do not matter"), ("find", "berzins"), 0),
        (N_("Filter by category"), ("list", "--category", "Wholesalers"), 0),
        (N_("A customer's full profile"), ("show", "1"), 0),
        (N_("What importing a CSV file would do, row by row (nothing is changed)"),
         ("import", sample, "--dry-run"), 1),
        (N_("Import it: good rows are stored, the bad one goes to a rejects file"),
         ("import", sample), 1),
        (N_("Export every customer to CSV, with the columns import reads"),
         ("export", export, "--force"), 0),
        (N_("Re-check every stored customer with today's rules"), ("check",), 0),
    ]  # fmt: skip


def _mark(location: str) -> None:
    """Make sure the book at ``location`` is the demo's; mark it if it is new and empty."""
    from debitor_core import CustomerBook  # noqa: PLC0415

    store = open_store(location, create=True)
    try:
        book = CustomerBook(store)
        keys = {f.key for f in book.fields()}
        if MARKER in keys:
            return
        if len(book) or book.categories() or keys:
            msg = _(
                "The book {book} was not made by the demo, and the demo never writes "
                "into a book it did not make. Run 'debitor demo' without a path (it uses "
                "./{demo_book}) or name a new file."
            ).format(book=location, demo_book=DEMO_BOOK)
            raise Refused(msg)
        book.define_field(
            MARKER,
            "Made by the debitor demo",
            "boolean",
            help_text="Marks a book made by 'debitor demo'; the demo uses no other book.",
        )
        book.deactivate_field(MARKER)
        for name in _CATEGORIES:
            book.create_category(name)
    finally:
        store.close()


def demo(app: App) -> int:
    """``demo [PATH]``: the tour, on ``PATH`` or ``./debitor-demo.json``."""
    location = app.args.path or DEMO_BOOK
    if Path(location).suffix.casefold() not in (".json", ".db", ".sqlite", ".sqlite3"):
        msg = _("The demo book {book} must be a .json or .db file.").format(book=location)
        raise Refused(msg, Exit.USAGE)
    _mark(location)
    folder = Path(location).parent
    sample = folder / "debitor-demo-customers.csv"
    source = resources.files("debitor_core.cli").joinpath("demo-customers.csv")
    with resources.as_file(source) as packaged:
        shutil.copyfile(packaged, sample)
    export = folder / "debitor-demo-export.csv"
    console = app.console
    inline = Console(console.stdin, console.stdout, console.stdout)
    console.out(_("A tour of the debitor command on the demo book {book}.").format(book=location))
    for number, (title, argv, expected) in enumerate(_steps(str(sample), str(export)), 1):
        full = ["--book", location, *argv]
        console.out(f"\n{number}. {_(title)}")
        console.out(f"$ debitor {shlex.join(full)}")
        status = run(full, inline)
        if status != expected:
            console.err(
                _("The demo stopped: that command ended with exit status {status}.").format(
                    status=status
                )
            )
            return Exit.REFUSED
        if status:
            console.out(
                _("(exit status {status}: something was refused, as the demo meant)").format(
                    status=status
                )
            )
    console.out(
        "\n"
        + _(
            "The demo's book is {book}. Look around with 'debitor --book {book} list', "
            "or run the demo again: it finds what this run stored and adds nothing twice."
        ).format(book=location)
    )
    return Exit.DONE
