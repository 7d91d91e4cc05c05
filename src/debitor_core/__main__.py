"""``python -m debitor_core demo [PATH]``: a short tour of a customer book.

Opens (or creates) a JSON book, ``debitor-book.json`` in the working folder unless a
path is given; registers a few customers (one of them with mistakes, one a likely
duplicate), searches, and prints the category report. Run it twice: the book keeps
what the first run stored.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from debitor_core import CustomerBook
from debitor_core._errors import DebitorError, ValidationError
from debitor_core.storage import JsonFileStore

DEFAULT_BOOK = "debitor-book.json"

SAMPLE_FORMS = (
    {
        "name": "SIA Bērziņš un Partneri",
        "contact_person": "Jānis Bērziņš",
        "email": " Info@Berzins.lv ",
        "phone": "2000 0000",
        "tax_id": "LV 4000 3521 600",
        "address": {
            "street": "Brīvības iela 1",
            "postal_code": "1050",
            "city": "Rīga",
            "country": "lv",
        },
        "categories": ["Retailers"],
        "payment_terms": "net 14",
        "notes": "Prefers invoices in Latvian.",
    },
    {
        "name": "Koks GmbH",
        "email": "rechnung@koks.de",
        "phone": "030 123456",
        "tax_id": "DE - 113866163",
        "address": {
            "street": "Unter den Linden 5",
            "postal_code": "10117",
            "city": "Berlin",
            "country": "Germany",
        },
        "categories": ["Wholesalers"],
        "payment_terms": "end of month + 30",
    },
    {
        "kind": "person",
        "name": "Ozola,   Anna",
        "email": "anna.ozola@example.com",
        "phone": "+371 2612 3456",
        "address": {"postal_code": "LV 3001", "city": "Jelgava", "country": "LV"},
        "categories": ["Regular customers"],
    },
)

BAD_FORM = {
    "name": "  ",
    "email": "info@@shop",
    "phone": "12",
    "tax_id": "DE113866164",
    "address": {"postal_code": "1011", "country": "DE"},
}
DUPLICATE_FORM = {"name": "Berzins", "email": "info@berzins.lv", "address": {"country": "LV"}}


def run_demo(book: CustomerBook, out: _Writer) -> None:
    """Run the tour on ``book``, writing to ``out``."""
    for name in ("Retailers", "Wholesalers", "Regular customers"):
        if not any(c.name == name for c in book.categories()):
            book.create_category(name)
    out(f"Book: {book!r}")
    out("\n1. Register three customers from raw form input (once per book)")
    for form in SAMPLE_FORMS:
        review = book.preview(form)
        if review.duplicates:
            out(f"   already registered: {review.duplicates[0].customer.name}")
            continue
        customer = book.register(form, author="demo")
        out(
            f"   #{customer.number} {customer.name} | {customer.email} | {customer.phone} | "
            f"{customer.tax_id or '-'} | {customer.address}"
        )
    out("\n2. A form with mistakes: every problem at once, nothing stored")
    try:
        book.register(BAD_FORM)
    except ValidationError as exc:
        for problem in exc.problems:
            out(f"   {problem.path:<20} {problem.code:<22} {problem.message}")
    out("\n3. Check the summary before saving: a likely duplicate")
    review = book.preview(DUPLICATE_FORM)
    out(f"   would be customer #{review.number}; ok to save: {review.ok}")
    for match in review.duplicates:
        out(f"   {match.description}")
    out("\n4. Search (case- and accent-insensitive)")
    for text in ("berzins", "sia", "+371"):
        found = ", ".join(c.name for c in book.search(text)) or "-"
        out(f"   {text!r:>10} -> {found}")
    out("\n5. Category report")
    for line in book.category_counts():
        out(f"   {line.category.name:<20} {line.customers}")
    visitor = book.register(
        {"name": f"Walk-in customer {len(book) + 1}", "address": {"country": "LV"}}
    )
    out(f"\n6. This run registered #{visitor.number}; the book now holds {len(book)} customers.")


class _Writer:
    def __call__(self, text: str) -> None:
        sys.stdout.write(text + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m debitor_core``."""
    parser = argparse.ArgumentParser(prog="python -m debitor_core")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="a short tour of a customer book")
    demo.add_argument("path", nargs="?", default=DEFAULT_BOOK, help="the JSON book to use")
    args = parser.parse_args(argv)
    out = _Writer()
    try:
        store = JsonFileStore(Path(args.path))
    except DebitorError as exc:
        out(f"Cannot open the book: {exc}")
        return 1
    run_demo(CustomerBook(store), out)
    out(f"Stored in {store.path}; run the demo again and it is all still there.")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
