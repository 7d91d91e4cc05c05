"""Subject access and erasure: everything about a person, then nothing but invoice copies."""

import datetime as dt
import json

import pytest

from conftest import FakeClock
from debitor_core import (
    Branding,
    CustomerBook,
    Delivery,
    DeliveryState,
    Erasure,
    HistoryAction,
    InvoiceLine,
    NotFound,
    ValidationError,
    WelcomeInvoicePolicy,
)
from debitor_core.storage import JsonFileStore, SqliteStore

# Values only the person's record and history hold (never an invoice copy).
SECRETS = (
    "+37129876543",
    "Qwfpgjluy",
    "Vzkxqjdiary",
    "old.zqx@example.com",
    "Zqxoldcity",
    "zqxsite.example",
)
# Values the kept invoice copies hold until their retention ends.
ON_INVOICES = ("Zqxjkvb Wyxtrpl", "new.zqx@example.com", "Zqxnewcity")

PERSON = {
    "kind": "person",
    "name": "Zqxjkvb Wyxtrpl",
    "email": "old.zqx@example.com",
    "phone": "+37129876543",
    "website": "https://zqxsite.example",
    "address": {"country": "LV", "city": "Zqxoldcity"},
    "notes": "Qwfpgjluy",
    "custom_fields": {"diary": "Vzkxqjdiary"},
    "consent": {"email": True, "source": "signup form"},
}


def open_book(store, clock, **options):
    book = CustomerBook(store, clock=clock, **options)
    if not book.fields():
        book.define_field("diary", "Diary", "text", personal_data=True)
    return book


def fill(book):
    """A person with a history, an invoice and a payment; returns the customer."""
    person = book.register(PERSON, author="anna")
    person = book.update(
        person.id,
        {"email": "new.zqx@example.com", "address": {"city": "Zqxnewcity"}},
        expected_version=person.version,
        author="anna",
    )
    invoice = book.issue_invoice(
        person.id, [InvoiceLine("Chair", 1, 10)], issue_date=dt.date(2026, 1, 5)
    )
    book.record_payment(invoice.id, 5, date=dt.date(2026, 1, 6))
    return person


class TestSubjectExport:
    def test_everything_in_one_dict(self, clock):
        """Profile, notes, consent, history, invoices and payments, JSON-ready."""
        book = open_book(None, clock)
        person = fill(book)
        export = book.subject_export(person.id)
        text = json.dumps(export)
        assert all(s in text for s in (*SECRETS, *ON_INVOICES))
        assert (
            str(person.id),
            "Qwfpgjluy",
            ["email"],
            4,  # registered, changed, invoice issued, payment recorded
            1,
            1,
            [],
        ) == (
            export["customer_id"],
            export["customer"]["notes"][0]["text"],
            [c["channel"] for c in export["consents"]],
            len(export["history"]),
            len(export["invoices"]),
            len(export["payments"]),
            export["merged_from"],
        )

    def test_merged_records_are_included(self, book):
        """The records of customers merged into the person are the person's too."""
        keep = book.register({"name": "Anna", "address": {"country": "LV"}})
        dup = book.register({"name": "Anna O", "address": {"country": "LV"}})
        book.merge(keep.id, dup.id)
        export = book.subject_export(dup.id)  # the old id finds the kept customer
        assert (str(keep.id), [str(dup.id)]) == (export["customer_id"], export["merged_from"])
        assert {str(keep.id), str(dup.id)} == {e["customer_id"] for e in export["history"]}

    def test_unknown(self, book):
        """An id nobody had is NotFound."""
        with pytest.raises(NotFound):
            book.subject_export("nobody")
        with pytest.raises(NotFound):
            book.subject_export("00000000-0000-0000-0000-000000000001")


class TestErase:
    def test_tombstone(self, clock):
        """The customer becomes 'Erased customer N', archived, with its number."""
        book = open_book(None, clock)
        person = fill(book)
        tombstone = book.erase(person.id, reason="Request of the person", author="anna")
        assert tombstone == book.get(person.id) == book.get_by_number(person.number)
        assert ("Erased customer 1", True, None, (), {}) == (
            tombstone.name,
            tombstone.archived,
            tombstone.email,
            tombstone.notes,
            dict(tombstone.custom_fields),
        )
        assert ([], 1) == (list(book.customers()), len(book.search(archived=None)))

    def test_history_keeps_the_fact_not_the_values(self, clock):
        """Every entry keeps which fields changed, none of the values; the erasure is last."""
        book = open_book(None, clock)
        person = fill(book)
        book.erase(person.id, reason="Request of the person", author="juris")
        history = book.history(person.id)
        assert all(c.private for e in history for c in e.fields)
        assert "email" in history[1].changes
        last = history[-1]
        assert (HistoryAction.ERASED, "juris", "Request of the person") == (
            last.action,
            last.author,
            last.reason,
        )
        (erasure,) = book.store.records(Erasure)
        assert (person.id, 1, "Request of the person") == (
            erasure.customer_id,
            erasure.number,
            erasure.reason,
        )

    def test_invoices_are_kept_messages_and_deliveries_scrubbed(self, clock):
        """Invoice copies keep their bill-to details; the welcome message and outbox go."""
        book = open_book(None, clock, welcome=WelcomeInvoicePolicy(Branding("Koks")))
        person = book.register(PERSON)
        (welcome,) = book.invoices(person.id)
        assert welcome.message
        book.erase(person.id, reason="Request")
        (kept,) = book.invoices(person.id)
        assert (None, "Zqxjkvb Wyxtrpl", []) == (
            kept.message,
            kept.bill_to.name,
            book.pending_deliveries(),
        )
        (delivery,) = book.store.records(Delivery)
        assert DeliveryState.NOT_SENT == delivery.state

    def test_a_deleted_customer_can_be_erased(self, clock):
        """Its history is scrubbed; the tombstone is returned, not stored."""
        book = open_book(None, clock)
        person = book.register(PERSON)
        book.delete(person.id)
        tombstone = book.erase(person.id, reason="Request")
        assert ("Erased customer 1", 0) == (tombstone.name, len(book))
        assert all(c.private for e in book.history(person.id) for c in e.fields)
        again = book.erase(person.id, reason="Asked twice")  # an erasure record is there
        assert (1, 1) == (again.number, len(book.store.records(Erasure)))

    def test_merged_away_data_is_erased_too(self, clock):
        """Erasing the kept customer scrubs the histories of those merged into it."""
        book = open_book(None, clock)
        keep = book.register({"name": "Anna", "address": {"country": "LV"}})
        dup = book.register(PERSON)
        book.merge(keep.id, dup.id)
        book.erase(dup.id, reason="Request")  # the old id leads to the kept customer
        assert all(c.private for e in book.history(dup.id) for c in e.fields)
        assert "Erased customer 1" == book.get(keep.id).name

    def test_bad_reason_changes_nothing(self, clock):
        """A reason that is empty or has control characters is refused."""
        book = open_book(None, clock)
        person = fill(book)
        for reason in ("", "  ", "bad\x00", None):
            with pytest.raises(ValidationError):
                book.erase(person.id, reason=reason)
        assert "Zqxjkvb Wyxtrpl" == book.get(person.id).name
        with pytest.raises(NotFound):
            book.erase("nobody", reason="x")

    def test_erase_invoice_copies(self, clock):
        """After the retention, old copies lose their bill-to details; newer ones keep them."""
        book = open_book(None, clock)
        person = fill(book)
        newer = book.issue_invoice(
            person.id, [InvoiceLine("Desk", 1, 10)], issue_date=dt.date(2027, 1, 5)
        )
        book.erase(person.id, reason="Request")
        (changed,) = book.erase_invoice_copies(issued_before=dt.date(2027, 1, 1))
        assert ("Erased customer 1", None, 1) == (
            changed.bill_to.name,
            changed.bill_to.email,
            changed.bill_to.customer_number,
        )
        assert "Zqxjkvb Wyxtrpl" == book.invoice(newer.id).bill_to.name
        assert [] == book.erase_invoice_copies(issued_before=dt.date(2027, 1, 1))
        (erasure,) = book.store.records(Erasure)
        assert dt.date(2027, 1, 1) == erasure.invoices_released
        with pytest.raises(TypeError):
            book.erase_invoice_copies(issued_before="2027-01-01")

    def test_view_has_neither(self, book):
        """A view can neither export a person's data nor erase it."""
        assert not hasattr(book.view(), "subject_export")
        assert not hasattr(book.view(), "erase")


def raw_bytes(paths):
    return b"".join(p.read_bytes() for p in paths if p.exists())


def traces(data, values):
    return [v for v in values if v.encode() in data]


@pytest.mark.parametrize(
    "kind", ["json", "sqlite", "sqlite-wal"], ids=["json", "sqlite", "sqlite-wal"]
)
def test_gone_from_the_files(kind, tmp_path):
    """After erase, the raw files hold no erased value outside the kept invoice copies."""
    clock = FakeClock()
    if kind == "json":
        path = tmp_path / "book.json"
        store = JsonFileStore(path)
        files = [path, tmp_path / "book.json.journal"]
    else:
        path = tmp_path / "book.db"
        store = SqliteStore(path, wal=kind == "sqlite-wal")
        files = [path, tmp_path / "book.db-wal", tmp_path / "book.db-journal"]
    with store:
        book = open_book(store, clock)
        person = fill(book)
        for _ in range(3):  # more history, more old versions on disk
            current = book.get(person.id)
            book.update(current.id, {"phone": "+37129876543"}, expected_version=current.version)
        assert SECRETS == tuple(traces(raw_bytes(files), SECRETS))  # they were on disk
        book.erase(person.id, reason="Request of the person")
        assert ([], ON_INVOICES) == (
            traces(raw_bytes(files), SECRETS),
            tuple(traces(raw_bytes(files), ON_INVOICES)),
        )
        book.erase_invoice_copies(issued_before=dt.date(2030, 1, 1))
        assert [] == traces(raw_bytes(files), SECRETS + ON_INVOICES)


def test_which_stores_scrub(tmp_path):
    """Every store that ships can scrub (the in-memory one: its feed's buffer)."""
    from debitor_core.storage import InMemoryStore, Scrubbable

    with JsonFileStore(tmp_path / "b.json") as json_store, SqliteStore(tmp_path / "b.db") as db:
        assert (True, True, True) == (
            isinstance(json_store, Scrubbable),
            isinstance(db, Scrubbable),
            isinstance(InMemoryStore(), Scrubbable),
        )


def test_sqlite_scrub_merges_full_text_indexes(tmp_path):
    """Text deleted from an FTS5 table is gone from the file after a scrub."""
    import sqlite3

    path = tmp_path / "book.db"
    with SqliteStore(path, wal=False) as store:
        db = sqlite3.connect(path)
        db.execute("CREATE VIRTUAL TABLE search USING fts5(body)")
        for n in range(50):  # one segment each, as commits of a live book make them
            with db:
                db.execute("INSERT INTO search(body) VALUES (?)", (f"zqxftsword{n} text",))
                db.execute("INSERT INTO search(body) VALUES (?)", (f"kept{n} text",))
        with db:
            db.execute("DELETE FROM search WHERE body LIKE 'zqx%'")
        db.close()
        store.scrub()
    assert [] == traces(path.read_bytes(), [f"zqxftsword{n}" for n in range(50)])


def test_erase_twice_and_a_failing_scrub(clock):
    """A scrub that fails leaves the erasure committed; erasing again is harmless."""
    from debitor_core import StoreLocked
    from debitor_core.storage import InMemoryStore

    class BusyStore(InMemoryStore):
        busy = True

        def scrub(self):
            if self.busy:
                msg = "The book is busy."
                raise StoreLocked(msg)

    store = BusyStore()
    book = open_book(store, clock)
    person = fill(book)
    with pytest.raises(StoreLocked):
        book.erase(person.id, reason="Request")
    assert "Erased customer 1" == book.get(person.id).name
    store.busy = False
    again = book.erase(person.id, reason="Request, again")
    assert ("Erased customer 1", 1) == (again.name, len(store.records(Erasure)))
    assert [HistoryAction.ERASED] * 2 == [e.action for e in book.history(person.id)[-2:]]


def test_a_number_that_is_not_on_record(book):
    """A history without the customer's registration (damage) cannot name a tombstone."""
    import uuid

    from debitor_core import HistoryEntry

    ghost = uuid.uuid4()
    with book._uow.transaction() as tx:
        when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        tx.put_record(HistoryEntry(uuid.uuid4(), ghost, when), expected_version=None)
    with pytest.raises(NotFound, match="its number is not on record"):
        book.erase(ghost, reason="Request")


@pytest.mark.parametrize("kind", ["memory", "json"])
def test_the_feed_forgets_what_it_held(kind, tmp_path):
    """After an erasure the feed no longer tells the past (it held replaced values)."""
    from debitor_core.storage import InMemoryStore

    store = InMemoryStore() if kind == "memory" else JsonFileStore(tmp_path / "b.json")
    with store:
        book = open_book(store, FakeClock())
        person = fill(book)
        before = store.revision()
        assert store.changes_since(before - 1) is not None
        book.erase(person.id, reason="Request")
        after = store.revision()
        assert (None, None) == (store.changes_since(0), store.changes_since(before))
        assert () == store.changes_since(after).customers
        follower = CustomerBook(store, clock=FakeClock())
        assert "Erased customer 1" == follower.get(person.id).name
