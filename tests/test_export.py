"""Export and import of a book."""

import copy
import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FakeClock
from debitor_core import (
    RECORD_KINDS,
    Branding,
    CustomerBook,
    InvoiceLine,
    ValidationError,
    WelcomeInvoicePolicy,
)
from debitor_core.storage import JsonFileStore, SqliteStore
from debitor_core.strategies import books


@pytest.fixture
def source(book):
    book.create_category("Retail")
    book.define_field("tier", "Tier", "choice", choices=["Gold", "Silver"])
    book.register(
        {
            "name": "SIA Koks",
            "email": "info@koks.lv",
            "address": {"country": "LV"},
            "categories": ["Retail"],
            "custom_fields": {"tier": "gold"},
            "notes": "Pays late",
            "consent": ["email"],
        }
    )
    return book


class TestExport:
    def test_private_parts_are_left_out_unless_asked(self, source):
        """Notes, attachments and consent records are not exported by default."""
        (plain,) = source.export()["customers"]
        (full,) = source.export(include_private=True)["customers"]
        assert ("notes" not in plain, "consents" not in plain) == (True, True)
        assert "Pays late" == full["notes"][0]["text"]

    def test_import_reuses_categories_by_name(self, source):
        """A category of the same name (any case) is reused, not duplicated."""
        target = CustomerBook(clock=FakeClock())
        retail = target.create_category("RETAIL")
        (customer,) = target.import_data(source.export())
        assert (retail.id,) == customer.categories
        assert ["RETAIL"] == [c.name for c in target.categories()]
        assert "Gold" == customer.custom_fields["tier"]
        # the trail of the source's Retail stays behind (the book has its own); the field's
        # comes with the field
        assert {("category", str(retail.id)), ("field", "tier")} == {
            (c.what.value, c.subject) for c in target.definition_history()
        }

    def test_import_refuses_clashes_and_changes_nothing(self, source):
        """Importing into a book that has the ids and numbers already reports each clash."""
        data = source.export()
        with pytest.raises(ValidationError) as info:
            source.import_data(data)
        assert {
            ("customers[0].id", "id.taken"),
            ("customers[0].number", "number.taken"),
            ("records.history[0].key", "record.taken"),  # the registration's history entry
            ("records.definition_change[0].key", "record.taken"),  # Retail created
            ("records.definition_change[1].key", "record.taken"),  # tier defined
        } == {(p.path, p.code) for p in info.value.problems}
        assert 1 == len(source)

    def test_import_validates_and_normalises(self, source):
        """Imported records are checked like forms and stored in normal form."""
        data = source.export()
        record = data["customers"][0]
        record["email"] = "  Info@KOKS.LV "
        (customer,) = CustomerBook(clock=FakeClock()).import_data(data)
        assert "info@koks.lv" == customer.email
        record["email"] = "not an email"
        with pytest.raises(ValidationError) as info:
            CustomerBook().import_data(data)
        assert ["customers[0].email"] == list(info.value.paths)

    @pytest.mark.parametrize("data", [{}, {"customers": [{"name": "no id"}]}, {"customers": "x"}])
    def test_import_of_something_else(self, data):
        """Data that is not an export is refused with one clear problem."""
        with pytest.raises(ValidationError) as info:
            CustomerBook().import_data(data)
        assert ["import.format"] == [p.code for p in info.value.problems]


def test_category_names_differing_by_accents_are_different(book):
    """Categories named "Aaa" and "Aaà" are two, and forms reach each of them."""
    book.create_category("aaa")
    book.create_category("Aaà")
    first = book.register({"name": "A", "address": {"country": "LV"}, "categories": ["AAA"]})
    second = book.register({"name": "B", "address": {"country": "LV"}, "categories": ["aaà"]})
    assert first.categories != second.categories


# -- backups that keep everything (#14 §3, #13 §5 and §6) -------------------------------

DAY = dt.date(2026, 3, 2)


def with_records(book, choices):
    """Give a book's customers invoices, payments, a welcome delivery and a reminder log."""
    customers = list(book.customers(archived=None))
    for customer, (invoices, pay, remind) in zip(customers, choices, strict=False):
        for n in range(invoices):
            line = InvoiceLine(f"Work {n}", Decimal(1 + n), Decimal("10.50"))
            invoice = book.issue_invoice(customer.id, [line], issue_date=DAY, currency="EUR")
            if pay:
                book.record_payment(invoice.id, Decimal("5.25"), date=DAY)
            if remind:
                book.mark_reminder_sent(invoice.id, 7)
    return book


@st.composite
def filled_books(draw):
    book = draw(books(max_customers=4))
    choices = draw(st.lists(st.tuples(st.integers(0, 2), st.booleans(), st.booleans()), max_size=4))
    book = with_records(book, choices)
    if len(book) and draw(st.booleans()):  # the last customer deleted: its number stays used
        last = max(book.customers(archived=None), key=lambda c: c.number)
        if not book.invoices(last.id):
            book.delete(last.id)
    return book


class TestBackupsKeepEverything:
    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(filled_books())
    def test_json_sqlite_json_gives_an_identical_export(self, source):
        """Every record, version and the last number survive JSON -> SQLite -> JSON."""
        data = source.export(include_private=True)
        exports = []
        with tempfile.TemporaryDirectory() as tmp:
            for name, store in (("a.json", JsonFileStore), ("b.db", SqliteStore),
                                ("c.json", JsonFileStore)):  # fmt: skip
                with store(Path(tmp) / name) as opened:
                    book = CustomerBook(opened, clock=FakeClock())
                    book.import_data(data)
                    data = book.export(include_private=True)
                exports.append(data)
        first = source.export(include_private=True)
        assert [first] * 3 == exports
        assert set(RECORD_KINDS) == set(first["records"])

    def test_records_travel_with_numbers_and_versions(self, clock):
        """Invoices, payments, deliveries and reminder logs are carried as they are."""
        source = CustomerBook(clock=clock, welcome=WelcomeInvoicePolicy(Branding("SIA Koks")))
        source.register({"name": "Ozols", "address": {"country": "LV"}})
        with_records(source, [(1, True, True)])
        data = source.export()
        assert {
            "invoice": 2,
            "payment": 1,
            "delivery": 1,
            "reminder": 1,
            "registration": 0,
            "history": 5,  # registered; the welcome and the other invoice; paid; reminded
            "forward": 0,
            "erasure": 0,
            "definition_change": 0,
        } == {k: len(v) for k, v in data["records"].items()}
        target = CustomerBook(clock=clock)
        target.import_data(data)
        assert source.invoices() == target.invoices()
        assert source.pending_deliveries() == target.pending_deliveries()
        (customer,) = target.customers()
        assert source.account(customer.id, as_of=DAY) == target.account(customer.id, as_of=DAY)

    def test_a_restored_book_never_reuses_a_deleted_customers_number(self, book, clock):
        """The export carries the last number; the restored book goes on after it."""
        book.register({"name": "A", "address": {"country": "LV"}})
        gone = book.register({"name": "B", "address": {"country": "LV"}})
        book.delete(gone.id)
        data = book.export()
        assert 2 == data["last_number"]
        for store in (None, SqliteStore(":memory:")):
            target = CustomerBook(store, clock=clock) if store else CustomerBook(clock=clock)
            target.import_data(data)
            assert 2 == target.export()["last_number"]
            assert 3 == target.register({"name": "C", "address": {"country": "LV"}}).number
            assert [1, 3] == [c.number for c in target.customers()]

    def test_the_last_number_is_restored_in_postgresql_too(self, clock, postgres_url):
        """The stand-in that carries the last number works through every store's protocol."""
        from debitor_core.storage import PostgresStore

        source = CustomerBook(clock=clock)
        source.register({"name": "A", "address": {"country": "LV"}})
        source.delete(source.register({"name": "B", "address": {"country": "LV"}}).id)
        store = PostgresStore.connect(postgres_url, book_id="restored")
        try:
            target = CustomerBook(store, clock=clock)
            target.import_data(source.export())
            assert (2, [1]) == (store.last_number(), [c.number for c in store.customers()])
            assert 3 == target.register({"name": "C", "address": {"country": "LV"}}).number
        finally:
            store.close()

    @pytest.mark.parametrize("store", [SqliteStore, JsonFileStore])
    def test_another_book_on_the_store_follows_a_restore(self, clock, tmp_path, store):
        """A book already open on the store catches up (feed) and numbers after the restore."""
        source = CustomerBook(clock=clock)
        source.register({"name": "A", "address": {"country": "LV"}})
        source.delete(source.register({"name": "B", "address": {"country": "LV"}}).id)
        path = tmp_path / ("book.db" if store is SqliteStore else "book.json")
        with store(path) as first, store(path) as second:
            restoring, following = (
                CustomerBook(first, clock=clock),
                CustomerBook(second, clock=clock),
            )
            restoring.import_data(source.export())
            assert [1] == [c.number for c in following.customers()]
            assert 3 == following.register({"name": "C", "address": {"country": "LV"}}).number

    def test_a_lower_last_number_never_lowers_the_books(self, book):
        """Importing an export with a lower last number keeps the book's own."""
        for name in "ABC":
            book.register({"name": name, "address": {"country": "LV"}})
        book.delete(book.get_by_number(3).id)
        book.import_data({"customers": [], "last_number": 1})
        assert 4 == book.register({"name": "D", "address": {"country": "LV"}}).number

    def test_personal_data_fields_stay_out_unless_asked(self, book):
        """Custom fields marked personal_data=True are left out of a plain export."""
        book.define_field("birthday", "Birthday", "date", personal_data=True)
        book.define_field("tier", "Tier")
        fields = {"birthday": "1990-01-02", "tier": "gold"}
        book.register({"name": "A", "address": {"country": "LV"}, "custom_fields": fields})
        assert {"tier": "gold"} == book.export()["customers"][0]["custom_fields"]
        assert {"birthday": {"date": "1990-01-02"}, "tier": "gold"} == book.export(
            include_private=True
        )["customers"][0]["custom_fields"]

    def test_importing_the_same_records_twice_is_refused(self, book):
        """A record already in the book is a clash, reported with its path; nothing changes."""
        book.register({"name": "A", "address": {"country": "LV"}})
        with_records(book, [(1, True, False)])
        data = book.export()
        data["customers"] = []
        with pytest.raises(ValidationError) as info:
            book.import_data(data)
        assert {
            ("records.invoice[0].key", "record.taken"),
            ("records.invoice[0].number", "invoice.number_taken"),
            ("records.payment[0].key", "record.taken"),
            *{(f"records.history[{n}].key", "record.taken") for n in range(3)},
        } == {(p.path, p.code) for p in info.value.problems}
        assert 1 == len(book.invoices())


def _exported(book):
    book.register({"name": "A", "address": {"country": "LV"}, "notes": "hello"})
    with_records(book, [(1, True, False)])
    return book.export(include_private=True)


ATTACHMENT = {
    "file_name": "../../../etc/passwd",
    "media_type": "text/plain",
    "size": -5,
    "sha256": "0" * 63 + "g",
    "added": "2026-01-01T00:00:00+00:00",
}


def _set(path, value):
    def change(data):
        *parents, last = path
        target = data
        for key in parents:
            target = target[key]
        target[last] = value

    return change


HOSTILE = [
    ("NUL in a name", _set(("customers", 0, "name"), "A\x00B"), "customers[0].name"),
    ("a 10 MB note", _set(("customers", 0, "notes", 0, "text"), "a" * 10_000_001),
     "customers[0].notes[0].text"),
    ("version -7", _set(("customers", 0, "version"), -7), "customers[0].version"),
    ("version 0", _set(("customers", 0, "version"), 0), "customers[0].version"),
    ("an attachment", _set(("customers", 0, "attachments"), [ATTACHMENT]),
     "customers[0].attachments[0].file_name"),
    ("archived 'false'", _set(("customers", 0, "archived"), "false"), ""),
    ("an invoice version 0", _set(("records", "invoice", 0, "version"), 0),
     "records.invoice[0].version"),
    ("an invoice number 'x'", _set(("records", "invoice", 0, "number"), "1"), ""),
    ("a payment of a missing invoice",
     _set(("records", "payment", 0, "invoice_id"), "00000000-0000-4000-8000-000000000000"),
     "records.payment[0].invoice_id"),
    ("an invoice for nobody",
     _set(("records", "invoice", 0, "customer_id"), "00000000-0000-4000-8000-000000000000"),
     "records.invoice[0].customer_id"),
    ("an unknown kind", _set(("records", "gift"), []), "records.gift"),
    ("records not a mapping", _set(("records",), []), "records"),
    ("a kind not a list", _set(("records", "invoice"), "x"), "records.invoice"),
    ("last number as text", _set(("last_number",), "5"), ""),
    ("last number negative", _set(("last_number",), -1), ""),
    ("last number true", _set(("last_number",), True), ""),
]  # fmt: skip


class TestImportChecksWhatItStores:
    @pytest.mark.parametrize(("label", "change", "path"), HOSTILE, ids=[h[0] for h in HOSTILE])
    def test_damaged_data_is_refused_and_nothing_is_stored(self, clock, label, change, path):
        """Each damaged value is refused with a problem at its path; the book stays empty."""
        data = copy.deepcopy(_exported(CustomerBook(clock=clock)))
        change(data)
        target = CustomerBook(clock=clock)
        with pytest.raises(ValidationError) as info:
            target.import_data(data)
        assert path in {p.path for p in info.value.problems}, label
        assert (0, [], 0) == (len(target), target.invoices(), target.export()["last_number"])

    def test_an_attachment_with_a_path_bad_digest_and_size_is_refused(self, clock):
        """A well-formed but damaged attachment fails the structural checks, each named."""
        data = _exported(CustomerBook(clock=clock))
        data["customers"][0]["attachments"] = [ATTACHMENT]
        with pytest.raises(ValidationError) as info:
            CustomerBook(clock=clock).import_data(data)
        assert [
            ("customers[0].attachments[0].file_name", "integrity.file_name"),
            ("customers[0].attachments[0].size", "integrity.range"),
            ("customers[0].attachments[0].sha256", "integrity.sha256"),
        ] == [(p.path, p.code) for p in info.value.problems]

    def test_data_that_is_not_a_mapping_is_refused(self):
        """A list where an export belongs is a format problem, not a crash."""
        with pytest.raises(ValidationError) as info:
            CustomerBook().import_data([])  # type: ignore[arg-type]
        assert ["import.format"] == [p.code for p in info.value.problems]

    def test_damaged_definitions_are_refused(self, clock):
        """Categories and custom fields get the structural checks too."""
        data = _exported(CustomerBook(clock=clock))
        data["categories"] = [{"id": "00000000-0000-4000-8000-000000000001", "name": "A\x07"}]
        with pytest.raises(ValidationError) as info:
            CustomerBook(clock=clock).import_data(data)
        assert {"categories[0].name"} == {p.path for p in info.value.problems}


class TestImportIdempotency:
    """A retried import with the same key returns what the first one stored (#13 §7)."""

    def test_a_retry_returns_the_first_result(self, source):
        """The second import with the key stores nothing and answers as the first did."""
        data = source.export()
        target = CustomerBook(clock=FakeClock())
        first = target.import_data(data, idempotency_key="restore-1")
        again = target.import_data(data, idempotency_key="restore-1")
        assert ([c.id for c in first], 1) == ([c.id for c in again], len(target))
        with pytest.raises(ValidationError) as info:  # without a key, a retry is a clash
            target.import_data(data)
        assert "id.taken" in {p.code for p in info.value.problems}

    def test_the_same_key_with_other_data_is_refused(self, source):
        """A key names one request: other data under it is a conflict, and nothing is stored."""
        target = CustomerBook(clock=FakeClock())
        target.import_data(source.export(), idempotency_key="k")
        other = CustomerBook(clock=FakeClock())
        other.register({"name": "Cits", "address": {"country": "LV"}})
        with pytest.raises(ValidationError) as info:
            target.import_data(other.export(), idempotency_key="k")
        assert ["idempotency.conflict"] == [p.code for p in info.value.problems]
        assert 1 == len(target)

    def test_across_books_on_one_store(self, source, tmp_path):
        """Another book (another process) on the same store finds the key too."""
        data = source.export()
        path = tmp_path / "book.db"
        with SqliteStore(path) as store:
            first = CustomerBook(store, clock=FakeClock()).import_data(data, idempotency_key="k")
        with SqliteStore(path) as store:
            again = CustomerBook(store, clock=FakeClock()).import_data(data, idempotency_key="k")
        assert [c.id for c in first] == [c.id for c in again]

    @pytest.mark.parametrize("key", ["", " ", "a\nb", "x" * 201])
    def test_bad_keys_are_refused(self, source, key):
        """A blank, unprintable or too long key is refused before anything is read."""
        with pytest.raises(ValidationError) as info:
            CustomerBook(clock=FakeClock()).import_data(source.export(), idempotency_key=key)
        assert ["idempotency.key"] == [p.code for p in info.value.problems]

    def test_a_key_that_is_not_text(self, source):
        """A key of another type is a TypeError that names the argument."""
        with pytest.raises(TypeError, match="idempotency_key"):
            CustomerBook(clock=FakeClock()).import_data(source.export(), idempotency_key=5)
