"""The book's promises under mistakes and attack (#13) and in the user's language (#17).

Arguments of the wrong kind get a sentence; computations over stored records work at
every bound; a registration can be retried; deliveries are shared by workers; the
book's days are the business's days; problems are said in the book's language.
"""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FakeClock
from debitor_core import (
    Branding,
    ConcurrencyConflict,
    CustomerBook,
    CustomerInUse,
    DuplicateCustomer,
    InUse,
    InvoiceLine,
    LineTemplate,
    NotFound,
    PaymentTerms,
    ValidationError,
    WelcomeInvoicePolicy,
)
from debitor_core._limits import MAX_AMOUNT, MAX_DATE, MAX_QUANTITY, MAX_REMINDER_OFFSET, MIN_DATE
from debitor_core.storage import InMemoryStore, JsonFileStore, SqliteStore

LV = {"country": "LV"}


def anna(**extra):
    return {"name": "Anna Ozola", "address": LV, **extra}


@pytest.fixture
def book(clock):
    return CustomerBook(clock=clock)


def codes(error):
    return [p.code for p in error.problems]


class TestArguments:
    def test_update_with_none_or_a_customer_is_refused_like_register(self, book):
        """update(id, None) and update(id, customer) get register's form.type problem."""
        made = book.register(anna())
        for changes in (None, made):
            with pytest.raises(ValidationError) as info:
                book.update(made.id, changes, expected_version=1)
            assert ["form.type"] == codes(info.value)
        assert 1 == book.get(made.id).version

    @pytest.mark.parametrize("kind", ["memory", "sqlite"])
    @pytest.mark.parametrize("number", [True, 1.0, Decimal(1), "1", 1 + 0j], ids=repr)
    def test_a_number_that_only_equals_1_finds_nobody(self, clock, tmp_path, kind, number):
        """get_by_number(True) or (1.0) is NotFound, as in every store, not customer 1."""
        store = SqliteStore(tmp_path / "book.db") if kind == "sqlite" else InMemoryStore()
        book = CustomerBook(store, clock=clock)
        book.register(anna())
        assert 1 == book.get_by_number(1).number
        with pytest.raises(NotFound):
            book.get_by_number(number)

    @pytest.mark.parametrize("method", ["update", "archive", "restore"])
    def test_an_expected_version_of_the_wrong_type_names_the_method(self, book, method):
        """The TypeError names the method called, not the book's constructor."""
        made = book.register(anna())
        args = (made.id, {"name": "X"}) if method == "update" else (made.id,)
        with pytest.raises(TypeError) as info:
            getattr(book, method)(*args, expected_version="1")
        assert f"The argument expected_version= of {method}() must be" in str(info.value)

    def test_search_none_is_search_empty(self, book):
        """A web form's missing q (None) searches for everything, as "" does."""
        book.register(anna())
        assert list(book.search("")) == list(book.search(None))

    @pytest.mark.parametrize(
        ("kwargs", "sentence"),
        [
            ({"city": 5}, "The argument city= of search() must be text or None, not a value of type int."),
            ({"text": 5}, "The argument text= of search() must be text or None, not a value of type int."),
            ({"limit": "x"}, "The argument limit= of search() must be a whole number, not a value of type str."),
            ({"custom_fields": 5}, "The argument custom_fields= of search() must be a mapping of field keys to values, not a value of type int."),
            ({"category": 5}, "The argument category= of search() must be categories (objects, ids or names), not a value of type int."),
            ({"descending": "yes"}, "The argument descending= of search() must be True or False, not a value of type str."),
        ],
    )  # fmt: skip
    def test_search_arguments_of_the_wrong_type(self, book, kwargs, sentence):
        """A wrong type is a TypeError that says which argument and what it takes."""
        with pytest.raises(TypeError) as info:
            book.search(**kwargs)
        assert sentence == str(info.value)

    @pytest.mark.parametrize(
        ("kwargs", "code"),
        [
            ({"limit": -1}, "argument.range"),
            ({"offset": -1}, "argument.range"),
            ({"match": "most"}, "argument.invalid"),
            ({"archived": "x"}, "argument.invalid"),
            ({"archived": 0}, "argument.invalid"),
            ({"sort": "age"}, "argument.invalid"),
        ],
    )
    def test_search_values_out_of_range(self, book, kwargs, code):
        """limit=-1 and other values out of range are refused, not answered with []."""
        with pytest.raises(ValidationError) as info:
            book.search(**kwargs)
        assert [code] == codes(info.value)

    def test_expected_version_as_text(self, book):
        """expected_version="1" is a TypeError, not "it is at version 1, not 1"."""
        made = book.register(anna())
        with pytest.raises(TypeError, match=r"expected_version= .* must be a whole number"):
            book.update(made.id, {"city": "Rīga"}, expected_version="1")
        with pytest.raises(ValidationError):
            book.archive(made.id, expected_version=0)

    def test_a_path_is_not_a_store(self):
        """CustomerBook("book.json") says to pass a store."""
        with pytest.raises(TypeError) as info:
            CustomerBook("book.json")
        assert "pass a store, e.g. JsonFileStore(path)" in str(info.value)

    @pytest.mark.parametrize(
        ("date", "code"), [("yesterday", "date.invalid"), (dt.date(9999, 12, 31), "date.range")]
    )
    def test_payment_dates(self, book, date, code):
        """A payment dated "yesterday" or past the bounds is refused with a problem."""
        made = book.register(anna())
        invoice = book.issue_invoice(made.id, [InvoiceLine("x", 1, 10)])
        with pytest.raises(ValidationError) as info:
            book.record_payment(invoice.id, "1", date=date)
        assert [("date", code)] == [(p.path, p.code) for p in info.value.problems]
        paid = book.record_payment(invoice.id, "1", date="2026-11-30")
        assert dt.date(2026, 11, 30) == paid.date

    def test_lines_beyond_the_bounds_are_not_issued(self, book):
        """A line priced 1e30 is refused by the book (it used to poison every account)."""
        made = book.register(anna())
        with pytest.raises(ValidationError) as info:
            book.issue_invoice(made.id, [InvoiceLine("x", 1, "1e30")])
        assert ["unit_price.range"] == codes(info.value)
        assert [] == book.invoices()

    def test_reminder_offsets_are_checked_before_they_are_stored(self, book):
        """mark_reminder_sent(id, "x") is refused: such a record could not be read back."""
        made = book.register(anna())
        invoice = book.issue_invoice(made.id, [InvoiceLine("x", 1, 10)])
        for offset in ("x", MAX_REMINDER_OFFSET + 1, True):
            with pytest.raises(ValidationError) as info:
                book.mark_reminder_sent(invoice.id, offset)
            assert ["reminder.offset"] == codes(info.value)

    def test_consent_given_must_be_a_bool(self, book):
        """record_consent(given="yes") is a TypeError, not a stored True."""
        made = book.register(anna())
        with pytest.raises(TypeError, match="given= of record_consent"):
            book.record_consent(made.id, "email", given="yes")
        assert () == book.get(made.id).consents

    def test_one_category_name_is_one_category(self, book):
        """categorise(add="VIP") adds the category VIP, not V, I and P."""
        book.create_category("VIP")
        made = book.register(anna())
        assert 1 == len(book.categorise(made.id, add="VIP").categories)


class TestClosing:
    def test_with_closes_the_store(self, clock):
        """``with CustomerBook(store)`` closes the store at the end; so does close()."""
        closed = []

        class Store(InMemoryStore):
            def close(self):
                closed.append(True)
                super().close()

        with CustomerBook(Store(), clock=clock) as book:
            book.register(anna())
        assert [True] == closed
        CustomerBook(Store()).close()
        assert [True, True] == closed

    def test_a_closed_json_book_reopens(self, tmp_path, clock):
        """A JSON book closed by ``with`` opens again with what it stored."""
        path = tmp_path / "book.json"
        with CustomerBook(JsonFileStore(path), clock=clock) as book:
            book.register(anna())
        with CustomerBook(JsonFileStore(path), clock=clock) as again:
            assert 1 == len(again)


class TestDefaults:
    def test_defaults_fill_what_a_form_leaves_out(self, clock):
        """defaults= apply at register wherever a form leaves a field out or blank."""
        book = CustomerBook(
            clock=clock, defaults={"address": {"country": "LV", "city": "Rīga"}, "currency": "EUR"}
        )
        plain = book.register({"name": "Anna Ozola"})
        own = book.register({"name": "Hans Bauer", "address": {"country": "DE"}, "currency": ""})
        flat = book.register({"name": "Jānis Koks", "address.city": "Cēsis"})
        assert ("LV", "Rīga", "EUR") == (plain.address.country, plain.address.city, plain.currency)
        assert ("DE", "Rīga", "EUR") == (own.address.country, own.address.city, own.currency)
        assert ("LV", "Cēsis") == (flat.address.country, flat.address.city)
        assert book.preview({"name": "Eva"}).ok
        many = book.register_many([{"name": "Eva Lapa"}])
        assert "LV" == many[0].address.country

    @pytest.mark.parametrize(
        ("defaults", "path"),
        [
            ({"bogus": 1}, "defaults.bogus"),
            ({"address": {"town": "Rīga"}}, "defaults.address.town"),
        ],
    )
    def test_unknown_keys_are_refused_when_the_book_is_made(self, defaults, path):
        """A typo in defaults= is found at once, not silently ignored."""
        with pytest.raises(ValidationError) as info:
            CustomerBook(defaults=defaults)
        assert [("form.unknown_field", path)] == [(p.code, p.path) for p in info.value.problems]

    def test_an_address_that_is_not_a_mapping_stays_refused(self, clock):
        """A form's address given as text is refused, defaults or not."""
        book = CustomerBook(clock=clock, defaults={"address": {"country": "LV"}})
        with pytest.raises(ValidationError) as info:
            book.register({"name": "Anna Ozola", "address": "Rīga"})
        assert "address.type" in codes(info.value)

    def test_defaults_must_be_a_mapping(self):
        """defaults="LV" is a TypeError with a sentence."""
        with pytest.raises(TypeError, match="defaults= of CustomerBook"):
            CustomerBook(defaults="LV")


class TestArchive:
    def test_archiving_twice_changes_nothing(self, book):
        """Archive of an archived customer, restore of an active one: the customer as it is."""
        made = book.register(anna())
        revision = book.store.revision()
        assert made == book.restore(made.id)
        archived = book.archive(made.id)
        assert archived == book.archive(made.id)
        assert (2, revision + 1) == (book.get(made.id).version, book.store.revision())

    def test_a_no_op_still_checks_the_version(self, book):
        """expected_version is checked even when nothing would change."""
        made = book.register(anna())
        with pytest.raises(ConcurrencyConflict):
            book.restore(made.id, expected_version=5)


class TestAttachments:
    @pytest.mark.parametrize(
        ("given", "kept"),
        [
            ("../../../etc/passwd", "passwd"),
            ("C:\\scans\\contract.pdf", "contract.pdf"),
            ("/srv/scans/b.pdf", "b.pdf"),
            ("plain.pdf", "plain.pdf"),
        ],
    )
    def test_only_the_base_name_is_kept(self, book, given, kept):
        """attach() keeps a safe base name: no folder, no traversal."""
        made = book.register(anna())
        changed = book.attach(
            made.id, file_name=given, media_type="application/pdf", size=1, sha256="a" * 64
        )
        assert kept == changed.attachments[0].file_name

    @pytest.mark.parametrize(
        ("kwargs", "code"),
        [
            ({"file_name": "../.."}, "file_name.invalid"),
            ({"size": -5}, "size.invalid"),
            ({"size": 2**63}, "size.invalid"),
            ({"sha256": "nope"}, "sha256.invalid"),
        ],
    )
    def test_bad_references(self, book, kwargs, code):
        """Names with nothing left, negative sizes and bad digests are refused."""
        made = book.register(anna())
        reference = {"file_name": "a.pdf", "media_type": "application/pdf", "size": 1}
        with pytest.raises(ValidationError) as info:
            book.attach(made.id, **{**reference, "sha256": "a" * 64, **kwargs})
        assert [code] == codes(info.value)
        assert {"value"} <= set(info.value.problems[0].params)


class TestIdempotency:
    def test_the_same_key_returns_the_first_result(self, book):
        """A double-submitted form registers the customer once."""
        first = book.register(anna(), idempotency_key="form-1")
        again = book.register(anna(), idempotency_key="form-1")
        assert (first.id, 1) == (again.id, len(book))
        other = book.register(anna(), idempotency_key="form-2")
        assert other.id != first.id

    def test_another_form_with_the_same_key_is_refused(self, book):
        """The key names one request: another form with it is an error of ours."""
        book.register(anna(), idempotency_key="form-1")
        with pytest.raises(ValidationError) as info:
            book.register(anna(email="anna@example.com"), idempotency_key="form-1")
        assert [("idempotency_key", "idempotency.conflict")] == [
            (p.path, p.code) for p in info.value.problems
        ]
        assert 1 == len(book)

    def test_across_reopen_and_books(self, tmp_path, clock):
        """The key is stored: another book on the store, and a reopened one, see it."""
        path = tmp_path / "book.sqlite"
        one = CustomerBook(SqliteStore(path), clock=clock)
        two = CustomerBook(SqliteStore(path), clock=clock)
        first = one.register(anna(), idempotency_key="k")
        assert first.id == two.register(anna(), idempotency_key="k").id
        one.close()
        two.close()
        with CustomerBook(SqliteStore(path), clock=clock) as reopened:
            assert first.id == reopened.register(anna(), idempotency_key="k").id
            assert 1 == len(reopened)

    def test_register_many(self, book):
        """A retried batch returns the customers of the first, in order."""
        forms = [anna(), {"name": "SIA Koks", "address": LV}]
        first = book.register_many(forms, idempotency_key="batch")
        assert [c.id for c in first] == [
            c.id for c in book.register_many(forms, idempotency_key="batch")
        ]
        assert 2 == len(book)

    def test_threads_racing_with_one_key(self, tmp_path):
        """Books racing with the same key on one store register one customer."""
        path = tmp_path / "book.sqlite"
        books = [CustomerBook(SqliteStore(path), clock=FakeClock()) for _ in range(4)]
        made = []
        barrier = threading.Barrier(len(books))

        def register(book):
            barrier.wait()
            made.append(book.register(anna(), idempotency_key="race").id)

        threads = [threading.Thread(target=register, args=(b,)) for b in books]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert (4, 1) == (len(made), len(set(made)))
        assert 1 == len(books[0])

    @pytest.mark.parametrize("key", ["", " ", "x" * 201, "a\nb"])
    def test_bad_keys(self, book, key):
        """A key is printable text of 1 to 200 characters."""
        with pytest.raises(ValidationError) as info:
            book.register(anna(), idempotency_key=key)
        assert ["idempotency.key"] == codes(info.value)
        with pytest.raises(TypeError):
            book.register(anna(), idempotency_key=5)


class RigaClock:
    """30 November 2026, 23:30 UTC: already 1 December in Riga."""

    def __call__(self):
        return dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)


class TestTimeZone:
    def test_the_book_says_its_language_and_zone(self):
        """The book's locale and time zone are its settings, normalised."""
        book = CustomerBook(locale="lv_LV", timezone="Europe/Riga")
        assert ("lv", "Europe/Riga") == (book.locale, str(book.timezone))
        assert ("en", dt.UTC) == (CustomerBook().locale, CustomerBook().timezone)

    def test_today_is_the_business_day(self):
        """An invoice issued at 01:30 in Riga is dated that day, not UTC's yesterday."""
        riga = CustomerBook(clock=RigaClock(), timezone="Europe/Riga")
        utc = CustomerBook(clock=RigaClock())
        days = []
        for book in (riga, utc):
            made = book.register(anna())
            days.append(book.issue_invoice(made.id, [InvoiceLine("x", 1, 10)]).issue_date)
        assert [dt.date(2026, 12, 1), dt.date(2026, 11, 30)] == days

    def test_overdue_in_the_business_time_zone(self):
        """An invoice due 30 November is overdue in Riga at 01:30 on 1 December."""
        overdue = []
        for zone in ("Europe/Riga", "UTC"):
            book = CustomerBook(clock=RigaClock(), timezone=zone)
            made = book.register(anna())
            book.issue_invoice(
                made.id,
                [InvoiceLine("x", 1, 10)],
                issue_date=dt.date(2026, 11, 30),
                payment_terms=PaymentTerms.net(0),
            )
            overdue.append(book.account(made.id).totals["EUR"].overdue)
        assert [Decimal(10), Decimal(0)] == overdue

    @pytest.mark.parametrize("zone", ["Europe/Nowhere", "../../etc/passwd", "a\x00b", ""])
    def test_unknown_zones(self, zone):
        """A zone that is not an IANA name is a ValidationError with a sentence."""
        with pytest.raises(ValidationError) as info:
            CustomerBook(timezone=zone)
        assert ["book.timezone"] == codes(info.value)
        with pytest.raises(TypeError):
            CustomerBook(timezone=3)


class Outbox:
    def __init__(self):
        self.sent = []
        self.lock = threading.Lock()

    def send(self, invoice, *, idempotency_key):  # noqa: ARG002 - the sender's signature
        with self.lock:
            self.sent.append(idempotency_key)


POLICY = WelcomeInvoicePolicy(Branding("SIA Koks"), lines=(LineTemplate("Setup", "10.00"),))


class TestDeliveryLeases:
    def test_two_workers_share_the_outbox(self, tmp_path):
        """Workers at once: no ConcurrencyConflict, and every invoice sent exactly once."""
        path = tmp_path / "book.sqlite"
        outbox = Outbox()
        clock = FakeClock()
        writer = CustomerBook(SqliteStore(path), clock=clock, welcome=POLICY)
        writer.register_many(
            [{"name": f"Client {n}", "address": LV, "consent": {"email": True}} for n in range(30)]
        )
        workers = [
            CustomerBook(SqliteStore(path), clock=FakeClock(), welcome=POLICY, sender=outbox)
            for _ in range(3)
        ]
        errors = []
        barrier = threading.Barrier(len(workers))
        now = clock.now + dt.timedelta(minutes=1)

        def work(book):
            barrier.wait()
            try:
                book.deliver_pending(now=now)
            except Exception as exc:  # noqa: BLE001 - the test reports any failure
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(w,)) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [] == errors
        assert (30, 30) == (len(outbox.sent), len(set(outbox.sent)))
        assert [] == writer.pending_deliveries()

    def test_a_claimed_delivery_waits_for_its_lease(self, clock):
        """A second worker passes a delivery by while the first one's lease runs."""
        held = []

        class Slow:
            def send(self, invoice, *, idempotency_key):  # noqa: ARG002 - the signature
                held.append(other.deliver_pending(now=clock.now))

        store = InMemoryStore()
        book = CustomerBook(store, clock=clock, welcome=POLICY, sender=Slow())
        other = CustomerBook(store, clock=clock, welcome=POLICY, sender=Outbox())
        book.register(anna(consent={"email": True}))
        (sent,) = book.deliver_pending(now=clock.now)
        assert [[]] == held
        assert "sent" == sent.state.value

    def test_a_worker_whose_lease_ran_out_gives_way(self, clock):
        """A slow worker's lease runs out: another takes over; the slow one stores nothing.

        The invoice is handed over twice, with the same key: delivery is at least once.
        """
        outbox = Outbox()
        taken = []

        class Slow:
            def send(self, invoice, *, idempotency_key):
                outbox.send(invoice, idempotency_key=idempotency_key)
                taken.append(other.deliver_pending(now=clock.now + dt.timedelta(minutes=10)))

        store = InMemoryStore()
        book = CustomerBook(store, clock=clock, welcome=POLICY, sender=Slow())
        other = CustomerBook(store, clock=clock, welcome=POLICY, sender=outbox)
        made = book.register(anna(consent={"email": True}))
        assert [] == book.deliver_pending(now=clock.now)
        assert ["sent"] == [d.state.value for d in taken[0]]
        assert [f"welcome-invoice-{made.id}"] * 2 == outbox.sent
        assert [] == book.pending_deliveries()

    def test_lease_must_be_positive(self, clock):
        """lease=0 or a number is refused."""
        book = CustomerBook(clock=clock, sender=Outbox())
        with pytest.raises(ValidationError):
            book.deliver_pending(lease=dt.timedelta(0))
        with pytest.raises(TypeError):
            book.deliver_pending(lease=5)


class TestWelcomeCurrency:
    def test_a_currency_without_a_price_is_refused(self, clock):
        """Preview and register refuse a customer in a currency the policy has no price in."""
        book = CustomerBook(clock=clock, welcome=POLICY)
        review = book.preview(anna(currency="JPY"))
        assert (False, ["welcome.currency"]) == (review.ok, [p.code for p in review.errors])
        with pytest.raises(ValidationError) as info:
            book.register(anna(currency="JPY"))
        assert ["welcome.currency"] == codes(info.value)
        assert (0, []) == (len(book), book.invoices())

    @pytest.mark.parametrize(
        ("currency", "price", "total"),
        [("JPY", "1500", Decimal(1500)), ("KWD", "3.125", Decimal("3.125"))],
    )
    def test_prices_per_currency_with_their_minor_units(self, clock, currency, price, total):
        """JPY has no minor unit and KWD three: each customer is invoiced in its own."""
        policy = WelcomeInvoicePolicy(
            Branding("SIA Koks"), lines=(LineTemplate("Setup", "10.00", prices={currency: price}),)
        )
        book = CustomerBook(clock=clock, welcome=policy)
        made = book.register(anna(currency=currency))
        (invoice,) = book.invoices(made.id)
        assert (currency, total) == (invoice.currency, invoice.total)


class TestLanguage:
    LATVIAN = (
        (
            {"address": LV},
            "name",
            "Nosaukums ir obligāts.",
        ),
        (
            anna(email="anna@"),
            "email",
            "E-pasta adrese 'anna@' nav derīga.",
        ),
        (
            anna(phone="12"),
            "phone",
            "Tālruņa numurs '12' nav derīgs Latvijā.",
        ),
        (
            anna(tax_id="LV12345678901"),
            "tax_id",
            "PVN numurs 'LV12345678901' nav derīgs Latvijā: kāda tā daļa nav derīga.",
        ),
        (
            anna(address={"country": "LV", "postal_code": "123"}),
            "address.postal_code",
            "Pasta indekss 123 nav derīgs Latvijā; tam jāizskatās, piemēram, šādi: LV-1073 vai LV-1000.",
        ),
    )  # fmt: skip

    @pytest.mark.parametrize(("form", "path", "sentence"), LATVIAN)
    def test_latvian_table(self, clock, form, path, sentence):
        """The common problems at book level, in Latvian, written out in full."""
        book = CustomerBook(clock=clock, locale="lv")
        with pytest.raises(ValidationError) as info:
            book.register(form)
        (problem,) = [p for p in info.value.problems if p.path == path]
        assert sentence == problem.message
        english = CustomerBook(clock=clock).preview(form)
        assert [p.code for p in english.problems] == [p.code for p in info.value.problems]

    def test_duplicate_evidence_in_latvian(self, clock):
        """duplicate.likely carries its evidence as params and is said in the book's language."""
        book = CustomerBook(clock=clock, locale="lv")
        book.register(anna(email="anna@example.com"))
        (warning,) = book.preview(anna(email="anna@example.com")).warnings
        assert "duplicate.likely" == warning.code
        assert {"number": 1, "name": "Anna Ozola", "evidence": ("email",)}.items() <= dict(
            warning.params
        ).items()
        assert (
            "Iespējams, šis klients jums jau ir: klientam Nr. 1 (Anna Ozola) ir "
            "tāda pati e-pasta adrese." == warning.message
        )
        assert warning.message_in("en").startswith("This may be a customer you already have")
        (match,) = book.preview(anna(email="anna@example.com")).duplicates
        assert "Customer 1 (Anna Ozola) has the same email address." == match.description
        assert "Kunde 1 (Anna Ozola) hat dieselbe E-Mail-Adresse." == match.description_in("de")

    def test_preview_per_call(self, clock):
        """preview(form, locale=) chooses the language of one review; English by default."""
        book = CustomerBook(clock=clock)
        form = {"address": LV}
        assert "The name is required." == book.preview(form).errors[0].message
        assert "Der Name ist ein Pflichtfeld." == book.preview(form, locale="de").errors[0].message
        assert "Nosaukums ir obligāts." == book.preview(form, locale="lv_LV").errors[0].message

    def test_book_errors_in_the_book_language(self, clock):
        """DuplicateCustomer, ConcurrencyConflict and CustomerInUse speak the book's language."""
        book = CustomerBook(clock=clock, locale="lv", duplicates="reject")
        made = book.register(anna(email="anna@example.com"))
        with pytest.raises(DuplicateCustomer) as refused:
            book.register(anna(email="anna@example.com"))
        assert (
            "Šķiet, ka Anna Ozola jau ir starp jūsu klientiem. Klientam Nr. 1 (Anna Ozola) ir "
            "tāda pati e-pasta adrese." == str(refused.value)
        )
        with pytest.raises(ConcurrencyConflict, match="kāds cits ir mainījis"):
            book.update(made.id, {"city": "Cēsis"}, expected_version=7)
        book.issue_invoice(made.id, [InvoiceLine("x", 1, 1)])
        with pytest.raises(CustomerInUse, match="ir 1 rēķins"):
            book.delete(made.id)

    def test_category_in_use_in_the_book_language(self, clock):
        """InUse names what is in use and by how many, in the book's language."""
        book = CustomerBook(clock=clock, locale="lv")
        book.create_category("VIP")
        book.register(anna(categories=["VIP"]))
        with pytest.raises(InUse) as info:
            book.delete_category("VIP")
        assert str(info.value).startswith("Kategorijā 'VIP' ir 1 klients.")

    def test_lookups_are_bounded(self, book):
        """NotFound quotes what was asked for, shortened: never a million characters."""
        with pytest.raises(NotFound) as info:
            book.get("x" * 1_000_000)
        assert len(str(info.value)) < 200
        with pytest.raises(NotFound):
            book.get_by_number(10**5000)

    @pytest.mark.parametrize("locale", ["fr", "xx", "C"])
    def test_unknown_book_locales(self, locale):
        """A book in a language with no catalog is refused, naming those there are."""
        with pytest.raises(ValidationError) as info:
            CustomerBook(locale=locale)
        assert ["locale.unknown"] == codes(info.value)


PRICES = st.decimals(min_value=0, max_value=MAX_AMOUNT, places=2)
QUANTITIES = st.decimals(min_value=Decimal("0.001"), max_value=MAX_QUANTITY, places=3)


class TestComputationsAtTheBounds:
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        price=PRICES,
        quantity=QUANTITIES,
        vat=st.integers(0, 100),
        count=st.integers(1, 3),
        issue=st.dates(min_value=MIN_DATE, max_value=MAX_DATE),
        fixed=st.dates(min_value=MIN_DATE, max_value=MAX_DATE),
    )
    def test_every_allowed_value_computes(self, price, quantity, vat, count, issue, fixed):  # noqa: PLR0917 - drawn by Hypothesis
        """Accounts, totals, payments, due dates and reminders work at every bound."""
        policy = WelcomeInvoicePolicy(
            Branding("SIA Koks"), reminders=(-MAX_REMINDER_OFFSET, 0, MAX_REMINDER_OFFSET)
        )
        book = CustomerBook(clock=FakeClock(), welcome=policy)
        book.create_category("All")
        made = book.register(anna(payment_terms=f"fixed {fixed}", categories=["All"]))
        line = InvoiceLine("x", quantity, price, vat)
        if quantity * price > MAX_AMOUNT:  # refused as line.net_range
            with pytest.raises(ValidationError, match="a line is at most"):
                book.issue_invoice(made.id, [line] * count, issue_date=issue)
            return
        invoice = book.issue_invoice(made.id, [line] * count, issue_date=issue)
        for day in (MIN_DATE, issue, MAX_DATE, dt.date.min, dt.date.max):
            book.account(made.id, as_of=day)
            book.category_totals(as_of=day)
            book.due_reminders(day)
        if invoice.total > 0:
            amount = min(invoice.total, MAX_AMOUNT)
            book.record_payment(invoice.id, amount, date=MAX_DATE)
        book.account(made.id, as_of=MAX_DATE)

    def test_the_largest_invoices_add_up(self):
        """A thousand lines at the largest amount, VAT 100 %, twice: every sum is exact."""
        book = CustomerBook(clock=FakeClock())
        book.create_category("All")
        made = book.register(anna(payment_terms=f"fixed {MAX_DATE}", categories=["All"]))
        line = InvoiceLine("x", 1, MAX_AMOUNT, 100)
        invoices = [
            book.issue_invoice(made.id, [line] * 1000, issue_date=MAX_DATE) for _ in range(2)
        ]
        for invoice in invoices:
            book.record_payment(invoice.id, MAX_AMOUNT, date=MAX_DATE)
        total = 2 * 1000 * 2 * MAX_AMOUNT
        eur = book.account(made.id, as_of=dt.date.max).totals["EUR"]
        assert (total, 2 * MAX_AMOUNT, total - 2 * MAX_AMOUNT) == (
            eur.invoiced,
            eur.paid,
            eur.outstanding,
        )
        ((_, sums),) = book.category_totals(as_of=MIN_DATE)
        assert total == sums["EUR"].invoiced
