"""CustomerBook: register, review, update, archive, delete."""

import threading
import time
import uuid
from decimal import Decimal

import attrs
import pytest

from debitor_core import (
    ConcurrencyConflict,
    ConsentChannel,
    Customer,
    CustomerBook,
    CustomerInUse,
    DuplicateCustomer,
    NotFound,
    RequiredFields,
    ValidationError,
)
from debitor_core._form import CustomerDraft, parse_form
from debitor_core.book import _index as index_module
from debitor_core.book import _registration as registration_module
from debitor_core.book._build import build, draft_fields, with_draft
from debitor_core.book._types import Definitions
from debitor_core.storage import InMemoryStore

FORMS_OF_TEN = [{"name": f"Customer {i}", "address": {"country": "LV"}} for i in range(10)]


class TestRegister:
    def test_stores_the_normalised_customer(self, book, latvian_form):
        """Registration returns the stored, normalised customer with number 1."""
        customer = book.register(latvian_form)
        assert 1 == customer.number
        assert 1 == customer.version
        assert customer == book.get(customer.id)
        assert customer == book.get(str(customer.id))
        assert customer == book.get_by_number(1)
        assert ("SIA Koks", "info@koks.lv", "+37120000000", "LV40003521600") == (
            customer.name,
            customer.email,
            str(customer.phone),
            str(customer.tax_id),
        )
        assert ("Brīvības iela 1", "LV-1050", "Rīga", "LV") == (
            customer.address.street,
            customer.address.postal_code,
            customer.address.city,
            customer.address.country,
        )

    def test_all_problems_and_nothing_stored(self, book):
        """A bad form raises with every problem and stores nothing."""
        with pytest.raises(ValidationError) as info:
            book.register({"email": "x", "address": {"country": "LV", "postal_code": "99"}})
        assert {"email", "address.postal_code", "name"} == set(info.value.paths)
        assert 0 == len(book)

    def test_numbers_are_sequential_and_never_reused(self, book):
        """Numbers count up, and a deleted customer's number is not handed out again."""
        first = book.register({"name": "A", "address": {"country": "LV"}})
        second = book.register({"name": "B", "address": {"country": "LV"}})
        book.delete(second.id)
        third = book.register({"name": "C", "address": {"country": "LV"}})
        assert (1, 2, 3) == (first.number, second.number, third.number)

    def test_caller_may_choose_a_free_number(self, book):
        """A given number is used; the next automatic one follows the highest."""
        chosen = book.register({"name": "A", "address": {"country": "LV"}}, number=100)
        after = book.register({"name": "B", "address": {"country": "LV"}})
        assert (100, 101) == (chosen.number, after.number)

    @pytest.mark.parametrize(
        ("number", "code"), [(1, "number.taken"), (0, "number.invalid"), ("7", "number.invalid")]
    )
    def test_bad_numbers(self, book, number, code):
        """A taken or non-positive number is a problem."""
        book.register({"name": "A", "address": {"country": "LV"}})
        with pytest.raises(ValidationError) as info:
            book.register({"name": "B", "address": {"country": "LV"}}, number=number)
        assert [code] == [p.code for p in info.value.problems]

    def test_note_and_consent_are_recorded(self, book):
        """A note gets time and author; consent gets time and source."""
        customer = book.register(
            {
                "name": "A",
                "address": {"country": "LV"},
                "notes": "Pays in cash",
                "consent": ["email"],
            },
            author="anna",
        )
        (note,) = customer.notes
        assert ("Pays in cash", "anna") == (note.text, note.author)
        assert note.at.tzinfo is not None
        (consent,) = customer.consents
        assert (ConsentChannel.EMAIL, True, "registration form") == (
            consent.channel,
            consent.given,
            consent.source,
        )
        assert customer.consent_to(ConsentChannel.EMAIL)
        assert not customer.consent_to(ConsentChannel.PHONE)

    def test_register_many_commits_once(self, book):
        """Several forms are stored in one commit, or none with every problem."""
        store = book.store
        before = store.revision()
        customers = book.register_many(
            [
                {"name": "A", "address": {"country": "LV"}},
                {"name": "B", "address": {"country": "LV"}},
            ]
        )
        assert [1, 2] == [c.number for c in customers]
        assert before + 1 == store.revision()
        with pytest.raises(ValidationError) as info:
            book.register_many([{"name": "C", "address": {"country": "LV"}}, {"name": ""}])
        assert ["[1].address.country", "[1].name"] == sorted(info.value.paths)
        assert 2 == len(book)

    def test_register_many_numbers(self, book):
        """Numbers given in a batch must differ from each other and from stored ones."""
        with pytest.raises(ValidationError) as info:
            book.register_many([{"name": "A", "address": {"country": "LV"}}] * 2, numbers=[5, 5])
        assert ["[1].number"] == list(info.value.paths)
        made = book.register_many(
            [{"name": "A", "address": {"country": "LV"}}] * 2, numbers=[None, 1]
        )
        assert [2, 1] == [c.number for c in made]

    def test_blank_form_carries_defaults(self, clock):
        """The next blank form starts from the book's defaults ("save and new")."""
        book = CustomerBook(defaults={"address": {"country": "LV"}, "currency": "EUR"}, clock=clock)
        book.define_field("segment", "Segment", default="retail")
        form = book.blank_form()
        assert "LV" == form["address"]["country"]
        assert "EUR" == form["currency"]
        assert {"segment": "retail"} == form["custom_fields"]
        form["name"] = "A"
        assert "retail" == book.register(form).custom_fields["segment"]

    def test_blank_form_custom_field_defaults_from_book(self, clock):
        """Book defaults may preset custom fields too."""
        book = CustomerBook(defaults={"custom_fields": {"segment": "b2b"}}, clock=clock)
        book.define_field("segment", "Segment")
        assert {"segment": "b2b"} == book.blank_form()["custom_fields"]

    def test_bad_duplicate_setting(self):
        """The duplicates setting is warn or reject."""
        with pytest.raises(ValueError, match="duplicates"):
            CustomerBook(duplicates="ignore")

    def test_settings_may_be_replaced(self, book, latvian_form):
        """The policy, duplicate handling, welcome policy and sender are attributes."""
        book.register(latvian_form)
        book.required = RequiredFields.of("name", "address.country", "email")
        book.duplicates = "reject"
        with pytest.raises(ValidationError, match="email"):
            book.register({"name": "B", "address": {"country": "LV"}})
        with pytest.raises(DuplicateCustomer):
            book.register(latvian_form)
        with pytest.raises(ValueError, match="takes duplicates= as one of warn, reject"):
            book.duplicates = "ignore"
        assert (RequiredFields.of("name", "address.country", "email"), "reject") == (
            book.required,
            book.duplicates,
        )
        assert (None, None) == (book.welcome, book.sender)

    def test_defaults_of_custom_fields_and_a_form_without_a_mapping(self, book):
        """Field defaults fill a form's custom fields, unless the form gives no mapping."""
        book.define_field("segment", "Segment", default="retail")
        made = book.register({"name": "A", "address": {"country": "LV"}})
        assert {"segment": "retail"} == dict(made.custom_fields)
        with pytest.raises(ValidationError) as info:
            book.register({"name": "B", "address": {"country": "LV"}, "custom_fields": "x"})
        assert ["custom_fields"] == list(info.value.paths)


class TestPreview:
    def test_changes_nothing(self, book, latvian_form):
        """A preview stores nothing and names the number it would assign."""
        review = book.preview(latvian_form)
        assert review.ok
        assert 1 == review.number
        assert "LV-1050" == review.customer.address.postal_code
        assert 0 == len(book)
        assert 0 == book.store.revision()

    def test_shows_problems(self, book):
        """A preview of a bad form lists the problems and has no customer."""
        review = book.preview({"name": "A", "email": "bad", "address": {"country": "LV"}})
        assert not review.ok
        assert review.customer is None
        assert ["email.invalid"] == [p.code for p in review.errors]
        assert "errors" in repr(review)

    def test_shows_duplicates_with_evidence(self, book, latvian_form):
        """Likely duplicates come with what matched, archived customers included."""
        stored = book.register(latvian_form)
        book.archive(stored.id)
        review = book.preview(
            {
                "name": "sia  koks",
                "email": "INFO@koks.lv",
                "tax_id": "LV40003521600",
                "phone": "20000000",
                "address": {"country": "LV", "city": "riga"},
            }
        )
        (match,) = review.duplicates
        assert "<DuplicateMatch #1 tax_id,email,phone,name_city>" == repr(match)
        assert stored.id == match.customer.id
        assert ("tax_id", "email", "phone", "name_city") == match.evidence
        assert (
            "Customer 1 (SIA Koks), archived, has the same VAT number and the same email address and "
            "the same phone number and the same name and city." == match.description
        )
        assert ["duplicate.likely"] == [p.code for p in review.warnings]
        assert review.ok

    def test_many_customers_sharing_a_key(self, book):
        """Three customers with one email are all named; deleting one leaves the others."""
        stored = [
            book.register({"name": name, "email": "office@koks.lv", "address": {"country": "LV"}})
            for name in ("A", "B", "C")
        ]
        form = {"name": "D", "email": "Office@koks.lv", "address": {"country": "LV"}}
        assert [1, 2, 3] == [m.customer.number for m in book.preview(form).duplicates]
        book.delete(stored[1].id)
        assert [1, 3] == [m.customer.number for m in book.preview(form).duplicates]
        book.delete(stored[0].id)
        assert [3] == [m.customer.number for m in book.preview(form).duplicates]

    def test_rejecting_book(self, clock, latvian_form):
        """A book set to reject duplicates refuses them, naming the existing customer."""
        book = CustomerBook(duplicates="reject", clock=clock)
        book.register(latvian_form)
        review = book.preview(latvian_form)
        assert not review.ok
        with pytest.raises(DuplicateCustomer) as info:
            book.register(latvian_form)
        assert 1 == info.value.existing[0].customer.number
        assert "Customer 1 (SIA Koks)" in str(info.value)
        assert 1 == len(book)


class TestUpdate:
    def test_validates_and_bumps_the_version(self, book, latvian_form):
        """An update is validated like registration and stored one version higher."""
        customer = book.register(latvian_form)
        changed = book.update(
            customer.id,
            {"email": " New@Koks.lv ", "address": {"city": "Jūrmala"}},
            expected_version=1,
        )
        assert (2, "New@koks.lv", "Jūrmala", "LV-1050") == (
            changed.version,
            changed.email,
            changed.address.city,
            changed.address.postal_code,
        )
        assert changed == book.get(customer.id)
        assert changed.updated > customer.updated

    def test_problems_change_nothing(self, book, latvian_form):
        """A bad change raises with its problems and leaves the customer as it was."""
        customer = book.register(latvian_form)
        with pytest.raises(ValidationError) as info:
            book.update(customer.id, {"email": "bad", "colour": "red"}, expected_version=1)
        assert {"email", "colour"} == set(info.value.paths)
        assert customer == book.get(customer.id)

    def test_stale_version(self, book, latvian_form):
        """A change based on an old version is refused."""
        customer = book.register(latvian_form)
        book.update(customer.id, {"name": "SIA Koks 2"}, expected_version=1)
        with pytest.raises(ConcurrencyConflict) as info:
            book.update(customer.id, {"name": "SIA Koks 3"}, expected_version=1)
        assert (1, 2) == (info.value.expected, info.value.actual)
        assert "SIA Koks 2" == book.get(customer.id).name

    def test_blank_clears_and_notes_append(self, book, latvian_form):
        """A blank value clears a field; notes are appended."""
        customer = book.register({**latvian_form, "notes": "first"})
        changed = book.update(
            customer.id, {"phone": "", "notes": "second"}, expected_version=1, author="ben"
        )
        assert changed.phone is None
        assert ["first", "second"] == [n.text for n in changed.notes]
        assert "ben" == changed.notes[1].author

    def test_country_change_rechecks_dependent_fields(self, book, latvian_form):
        """Changing the country re-checks the postal code against the new country."""
        customer = book.register(latvian_form)
        with pytest.raises(ValidationError) as info:
            book.update(customer.id, {"address": {"country": "DE"}}, expected_version=1)
        assert ["address.postal_code"] == list(info.value.paths)

    def test_threads_one_winner_per_version(self, book, latvian_form):
        """Threads updating from the same version: exactly one wins."""
        customer = book.register(latvian_form)
        results = []

        def attempt(i):
            try:
                book.update(customer.id, {"contact_person": f"Person {i}"}, expected_version=1)
                results.append("won")
            except ConcurrencyConflict:
                results.append("lost")

        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert ["lost"] * 7 + ["won"] == sorted(results)
        assert 2 == book.get(customer.id).version

    def test_a_search_waits_while_another_thread_indexes(self, book, monkeypatch):
        """A thread searching while another indexes the queue sees the whole queue."""
        numbers = [c.number for c in book.register_many(FORMS_OF_TEN)]  # queued
        indexing = threading.Event()
        real = index_module.keys_and_text

        def slowly(*args):
            indexing.set()
            time.sleep(0.002)
            return real(*args)

        monkeypatch.setattr(index_module, "keys_and_text", slowly)
        other = threading.Thread(target=book.search, args=("customer",))
        other.start()
        indexing.wait()
        found = book.search("customer")  # while the other thread indexes
        other.join()
        assert numbers == [c.number for c in found]

    def test_not_found(self, book):
        """Unknown ids and numbers raise NotFound."""
        with pytest.raises(NotFound):
            book.get(uuid.uuid4())
        with pytest.raises(NotFound):
            book.get("not-a-uuid")
        with pytest.raises(NotFound):
            book.get_by_number(99)
        with pytest.raises(NotFound):
            book.update(uuid.uuid4(), {}, expected_version=1)


class TestProfile:
    def test_add_note(self, book, latvian_form):
        """Notes are appended with time and author."""
        customer = book.register(latvian_form)
        changed = book.add_note(customer.id, "  Special terms:\n 30 days ", author="anna")
        assert "Special terms:\n30 days" == changed.notes[-1].text
        with pytest.raises(ValidationError) as info:
            book.add_note(customer.id, "  ")
        assert ["notes"] == list(info.value.paths)

    def test_attach(self, book, latvian_form):
        """An attachment reference is checked and recorded."""
        customer = book.register(latvian_form)
        changed = book.attach(
            customer.id,
            file_name="contract.pdf",
            media_type="Application/PDF",
            size=1024,
            sha256="AB" * 32,
        )
        (ref,) = changed.attachments
        assert ("contract.pdf", "application/pdf", 1024, "ab" * 32) == (
            ref.file_name,
            ref.media_type,
            ref.size,
            ref.sha256,
        )
        with pytest.raises(ValidationError) as info:
            book.attach(customer.id, file_name="", media_type="pdf", size=-1, sha256="xyz")
        assert ["file_name", "media_type", "size", "sha256"] == list(info.value.paths)

    def test_consent_over_time(self, book, latvian_form):
        """The latest consent record for a channel decides."""
        customer = book.register({**latvian_form, "consent": {"email": True}})
        changed = book.record_consent(customer.id, "email", given=False, source="phone call")
        assert not changed.consent_to(ConsentChannel.EMAIL)
        assert 2 == len(changed.consents)
        with pytest.raises(ValidationError):
            book.record_consent(customer.id, "pigeon", given=True)

    def test_archive_and_restore(self, book, latvian_form):
        """Archived customers leave listings and come back when restored."""
        customer = book.register(latvian_form)
        book.archive(customer.id)
        assert [] == list(book.customers())
        assert [1] == [c.number for c in book.customers(archived=None)]
        restored = book.restore(customer.id)
        assert (False, 3) == (restored.archived, restored.version)
        assert [1] == [c.number for c in book.customers()]


class TestDelete:
    def test_delete(self, book, latvian_form):
        """A customer nothing refers to can be deleted."""
        customer = book.register(latvian_form)
        book.delete(customer.id)
        with pytest.raises(NotFound):
            book.get(customer.id)

    def test_referenced_customer_suggests_archiving(self, book, latvian_form):
        """A referenced customer is kept, with an error that suggests archiving."""
        customer = book.register(latvian_form)
        book.add_reference_check(lambda c: "has 2 open orders" if c.number == 1 else None)
        with pytest.raises(CustomerInUse) as info:
            book.delete(customer.id)
        assert (
            "Customer 1 (SIA Koks) cannot be deleted: it has 2 open orders. "
            "Archive it instead with book.archive()." == str(info.value)
        )
        assert customer == book.get(customer.id)


class TestSharedStore:
    def test_second_book_sees_changes(self, clock):
        """A book notices commits made through another book on the same store."""
        store = InMemoryStore()
        first, second = CustomerBook(store, clock=clock), CustomerBook(store, clock=clock)
        first.register({"name": "A", "address": {"country": "LV"}})
        assert ["A"] == [c.name for c in second.search("a")]
        second.register({"name": "B", "address": {"country": "LV"}})
        first.register({"name": "C", "address": {"country": "LV"}})
        assert ["A", "B", "C"] == [c.name for c in first.customers()]
        assert "<CustomerBook 3 customers in <InMemoryStore 3 customers>>" == repr(first)

    def test_commit_while_reading_a_form(self, clock, monkeypatch):
        """Another writer's commit between reading a form and storing it is caught up.

        The new customer takes the next free number after it, and both are indexed.
        """
        store = InMemoryStore()
        first, second = CustomerBook(store, clock=clock), CustomerBook(store, clock=clock)
        parse_form = registration_module.parse_form
        meanwhile = [{"name": "Meanwhile", "address": {"country": "LV"}}]

        def read_while_another_commits(*args):
            if meanwhile:
                first.register(meanwhile.pop())
            return parse_form(*args)

        monkeypatch.setattr(registration_module, "parse_form", read_while_another_commits)
        customer = second.register({"name": "Mine", "address": {"country": "LV"}})
        assert 2 == customer.number
        assert ["Meanwhile", "Mine"] == [c.name for c in second.customers()]
        assert [1] == [c.number for c in second.search("meanwhile")]

    def test_numbers_continue_after_another_book_deleted_the_last(self, clock):
        """A number freed by a delete in another book is not handed out again."""
        store = InMemoryStore()
        first, second = CustomerBook(store, clock=clock), CustomerBook(store, clock=clock)
        second.register({"name": "A", "address": {"country": "LV"}})
        last = first.register({"name": "B", "address": {"country": "LV"}})
        first.delete(last.id)
        assert 3 == second.preview({"name": "C", "address": {"country": "LV"}}).number
        assert 3 == second.register({"name": "C", "address": {"country": "LV"}}).number

    def test_required_policy(self, clock):
        """A stricter book asks for more."""
        book = CustomerBook(required=RequiredFields.complete(), clock=clock)
        review = book.preview({"name": "A", "address": {"country": "LV"}})
        assert {"address.street", "address.postal_code", "address.city", "email", "phone"} == {
            p.path for p in review.errors
        }


class TestCategoriseAndMerge:
    def test_categorise_adds_and_removes(self, book):
        """Categories are added and removed by name, id or object."""
        retail = book.create_category("Retail")
        food = book.create_category("Food")
        customer = book.register(
            {"name": "A", "address": {"country": "LV"}, "categories": ["Retail"]}
        )
        changed = book.categorise(customer.id, add=["food"], remove=[retail])
        assert ((food.id,), 2) == (changed.categories, changed.version)

    def test_merge_folds_the_duplicate_in(self, book):
        """The kept customer takes what it lacks; the duplicate's contact points and notes join it."""
        keep = book.register(
            {
                "name": "SIA Koks",
                "email": "info@koks.lv",
                "address": {"country": "LV"},
                "notes": "first",
            }
        )
        other = book.register(
            {
                "name": "Koks",
                "email": "rekini@koks.lv",
                "phone": "+371 2000 0000",
                "tax_id": "LV40003521600",
                "address": {"country": "LV", "city": "Rīga"},
                "notes": "second",
            }
        )
        merged = book.merge(keep.id, other.id)
        assert ("info@koks.lv", ("rekini@koks.lv",), "+37120000000", "LV40003521600") == (
            merged.email,
            merged.other_emails,
            str(merged.phone),
            str(merged.tax_id),
        )
        assert ("Rīga", ["first", "second"], 2) == (
            merged.address.city,
            [n.text for n in merged.notes],
            merged.version,
        )
        assert [1] == [c.number for c in book.customers(archived=None)]
        assert 3 == book.register({"name": "C", "address": {"country": "LV"}}).number

    def test_merge_moves_invoices_and_never_adds_a_welcome_invoice(self, clock):
        """Invoices follow the merge; neither the merge nor a later re-import adds a welcome invoice."""
        from debitor_core import Branding, InvoiceLine, WelcomeInvoicePolicy

        book = CustomerBook(clock=clock, welcome=WelcomeInvoicePolicy(Branding("Koks")))
        keep = book.register({"name": "Anna", "address": {"country": "LV"}})
        other = book.register(
            {"name": "Anna O", "email": "anna@example.com", "address": {"country": "LV"}}
        )
        book.issue_invoice(other.id, [InvoiceLine("Chair", Decimal(1), Decimal(10))])
        book.merge(keep.id, other.id)
        assert 3 == len(book.invoices(keep.id))
        book.update(keep.id, {"email": "anna@example.com"}, expected_version=2)
        book.register(
            {"name": "Anna Again", "email": "anna@example.com", "address": {"country": "LV"}}
        )
        assert 2 == sum(1 for i in book.invoices() if i.welcome)
        assert keep.id == book.get(other.id).id  # the merged-away id forwards

    def test_merge_refusals(self, book):
        """A customer cannot merge with itself, nor swallow one the host app still refers to."""
        first = book.register({"name": "A", "address": {"country": "LV"}})
        second = book.register({"name": "B", "address": {"country": "LV"}})
        with pytest.raises(ValidationError):
            book.merge(first.id, first.id)
        book.add_reference_check(lambda c: "has an open order" if c.number == 2 else None)
        with pytest.raises(CustomerInUse, match="cannot be merged away: it has an open order"):
            book.merge(first.id, second.id)


def test_registration_and_update_copy_the_same_form_fields(book, clock):
    """Registration (build) and update (with_draft) take every field a form sets, only those."""
    book.create_category("Retailers")
    book.define_field("segment", "Segment")
    form = {
        "kind": "person",
        "name": "Anna Ozola",
        "contact_person": "Jānis",
        "email": "anna@example.lv",
        "other_emails": ["anna.ozola@example.lv"],
        "phone": "+371 2000 0000",
        "other_phones": ["+371 2600 0000"],
        "website": "example.lv",
        "tax_id": "LV40003521600",
        "company_id": "40003521600",
        "address": {"street": "Iela 1", "postal_code": "1050", "city": "Rīga", "country": "LV"},
        "payment_terms": "net 14",
        "currency": "EUR",
        "language": "lv",
        "categories": ["Retailers"],
        "custom_fields": {"segment": "Furniture"},
    }
    context = Definitions(book.categories(), book.fields()).context(book.required)
    draft, problems = parse_form(form, context)
    assert not [p for p in problems if p.is_error]
    shared = {a.name for a in attrs.fields(Customer)} & {
        a.name for a in attrs.fields(CustomerDraft)
    }
    fields = draft_fields(draft)
    assert set(fields) == shared - {"consents"}  # a draft's consents are statements
    built = build(draft, 1, now=clock(), author=None)
    assert fields == {name: getattr(built, name) for name in fields}
    blank = Customer(id=built.id, number=1, name="x", created=built.created, updated=built.created)
    assert fields == {name: getattr(with_draft(blank, draft), name) for name in fields}
