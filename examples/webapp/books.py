"""Opening the app's book, and the demo customers ``make serve`` starts with.

Every worker process opens its own `CustomerBook` on the same store: one SQLite file,
or one book in PostgreSQL. A book checks the store's revision before it reads, so a
customer saved through one worker shows at once through the others.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from debitor_core import (
    Branding,
    CustomerBook,
    InvoiceLine,
    LineTemplate,
    PaymentTerms,
    WelcomeInvoicePolicy,
)
from debitor_core.storage import SqliteStore, Store
from webapp.config import Config

__all__ = ["WELCOME", "open_book", "open_store", "seed_demo"]

log = logging.getLogger("webapp")

WELCOME = WelcomeInvoicePolicy(
    Branding("Koks Furniture", colour="#2f6f4e"),
    message_template=(
        "Welcome, {customer.greeting_name}!\n"
        "Thank you for choosing {business.name}. Your customer number is {customer.number}."
    ),
    lines=(
        LineTemplate("Welcome to Koks Furniture"),
        LineTemplate("Account setup", "10.00", vat_rate="21"),
    ),
    payment_terms=PaymentTerms.net(14),
)
"""The demo business's welcome invoice: one free line and a small set-up fee."""


def open_store(config: Config) -> Store:
    """The store ``config`` names: PostgreSQL when a URL is set, else the SQLite file.

    SQLite runs in WAL mode, so that readers in one worker never wait for a writer
    in another.
    """
    if config.database_url:
        from debitor_core.storage import PostgresStore  # noqa: PLC0415 - psycopg is optional

        return PostgresStore.connect(config.database_url, book_id=config.book_id)
    return SqliteStore(config.book_path, wal=True)


def open_book(config: Config, store: Store | None = None) -> CustomerBook:
    """A book on ``store`` (default: `open_store`) with the app's policy and clock."""
    store = open_store(config) if store is None else store
    if config.clock is None:
        return CustomerBook(store, required=config.required, welcome=WELCOME)
    return CustomerBook(store, required=config.required, welcome=WELCOME, clock=config.clock)


def seed_demo(book: CustomerBook, *, today: dt.date) -> bool:
    """Fill an empty book with demo categories, custom fields and customers.

    Args:
        book: The book; nothing happens when it holds categories or customers.
        today: The day the demo invoices are dated from.

    Returns:
        Whether the book was filled.
    """
    if len(book) or book.categories():
        return False
    book.create_category("Wholesalers")
    book.create_category("Food", parent="Wholesalers")
    book.create_category("Retailers")
    book.create_category("Regular customers")
    book.define_field("discount", "Discount (%)", "decimal", min_value=0, max_value=100)
    book.define_field("tier", "Tier", "choice", choices=["Gold", "Silver", "Bronze"])
    book.define_field(
        "birthday", "Birthday", "date", personal_data=True, help_text="Personal data."
    )
    welcome, book.welcome = book.welcome, None  # the demo's past customers had none
    berzins = book.register(
        {
            "name": "SIA Bērziņš un Partneri",
            "contact_person": "Jānis Bērziņš",
            "email": "info@berzins.lv",
            "phone": "+371 2000 0001",
            "tax_id": "LV40003521600",
            "address": {
                "street": "Brīvības iela 1",
                "postal_code": "1050",
                "city": "Rīga",
                "country": "LV",
            },
            "categories": ["Retailers", "Regular customers"],
            "custom_fields": {"discount": "5", "tier": "Gold"},
            "consent": {"email": "yes", "source": "signed contract"},
            "notes": "Pays by card on the 5th; agreed a 5% discount until June.",
        },
        author="owner",
    )
    book.register(
        {
            "name": "Maize AS",
            "email": "orders@maize.lv",
            "phone": "+371 6700 0000",
            "address": {
                "street": "Lāčplēša iela 12",
                "postal_code": "LV-1011",
                "city": "Rīga",
                "country": "LV",
            },
            "categories": ["Food"],
        },
        author="owner",
    )
    book.register(
        {
            "kind": "person",
            "name": "Ozola, Anna",
            "email": "anna.ozola@example.com",
            "phone": "+371 2612 3456",
            "address": {
                "street": "Skolas iela 3",
                "postal_code": "3001",
                "city": "Jelgava",
                "country": "LV",
            },
            "custom_fields": {"birthday": "1985-04-12"},
        },
        author="owner",
    )
    book.register(
        {
            "name": "Koks GmbH",
            "email": "info@koks.de",
            "phone": "+49 30 1234567",
            "tax_id": "DE113866163",
            "address": {
                "street": "Hauptstraße 5",
                "postal_code": "10115",
                "city": "Berlin",
                "country": "DE",
            },
            "categories": ["Wholesalers"],
        },
        author="owner",
    )
    book.welcome = welcome
    invoice = book.issue_invoice(
        berzins.id,
        [InvoiceLine("Oak chairs", Decimal(4), Decimal("24.99"), Decimal(21))],
        issue_date=today - dt.timedelta(days=40),
        payment_terms=PaymentTerms.net(30),
    )
    book.record_payment(invoice.id, "100.00", date=today - dt.timedelta(days=20))
    book.issue_invoice(
        berzins.id,
        [InvoiceLine("Oak table", Decimal(1), Decimal("310.00"), Decimal(21))],
        issue_date=today - dt.timedelta(days=3),
    )
    log.info("Filled the empty book with the demo customers.")
    return True
