"""History: every write of a customer stores an entry in the same commit."""

import datetime as dt
import json
import uuid

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FakeClock
from debitor_core import (
    ConsentChannel,
    CustomerBook,
    FieldChange,
    HistoryAction,
    HistoryEntry,
    NotFound,
    ValidationError,
    make_converter,
)
from debitor_core._history import field_values, replay, without_private
from debitor_core._integrity import structural_problems
from debitor_core.storage import InMemoryStore, JsonFileStore, SqliteStore

KOKS = {"name": "SIA Koks", "address": {"country": "LV", "city": "Rīga"}, "email": "a@koks.lv"}


def actions(book, customer):
    return [(e.action, e.author) for e in book.history(customer.id)]


@pytest.fixture
def koks(book):
    book.define_field("diary", "Diary", "text", personal_data=True)
    book.define_field("tier", "Tier", "text")
    return book.register(
        {**KOKS, "notes": "pays late", "custom_fields": {"diary": "secret", "tier": "gold"}},
        author="anna",
    )


class TestEntries:
    def test_registration(self, book, koks):
        """Registration records every value it stored, private ones as changed only."""
        (entry,) = book.history(koks.id)
        assert (HistoryAction.REGISTERED, "anna", koks.updated) == (
            entry.action,
            entry.author,
            entry.at,
        )
        assert {
            "name": (None, "SIA Koks"),
            "email": (None, "a@koks.lv"),
            "address.city": (None, "Rīga"),
            "custom_fields.tier": (None, "gold"),
            "custom_fields.diary": None,
            "notes": None,
        }.items() <= entry.changes.items()

    def test_update(self, book, koks):
        """An edit records the fields it changed, from what to what, and who made it."""
        book.update(koks.id, {"email": "b@koks.lv"}, expected_version=1, author="juris")
        entry = book.history(koks.id)[-1]
        assert (HistoryAction.CHANGED, "juris", {"email": ("a@koks.lv", "b@koks.lv")}) == (
            entry.action,
            entry.author,
            entry.changes,
        )

    def test_every_writing_method(self, book, koks):
        """Each method that changes a customer records an entry, by its author."""
        category = book.create_category("Retail")
        book.add_note(koks.id, "more", author="a1")
        book.attach(
            koks.id,
            file_name="c.pdf",
            media_type="application/pdf",
            size=1,
            sha256="0" * 64,
            author="a2",
        )
        book.record_consent(koks.id, "email", given=True, author="a3")
        book.archive(koks.id, author="a4")
        book.restore(koks.id, author="a5")
        book.categorise(koks.id, add=[category], author="a6")
        book.delete_category(category, detach=True, author="a7")
        book.change_field("tier", label="Level")  # no customer changes: no entry
        changed = [
            (HistoryAction.CHANGED, author) for author in ("a1", "a2", "a3", "a4", "a5", "a6", "a7")
        ]
        assert [(HistoryAction.REGISTERED, "anna"), *changed] == actions(book, koks)
        assert [{"notes": None}, {"attachments": None}] == [
            e.changes for e in book.history(koks.id)[1:3]
        ]

    def test_converted_field_values(self, book):
        """A field's new type converts stored values, and each change is recorded."""
        book.define_field("size", "Size", "text")
        customer = book.register({**KOKS, "custom_fields": {"size": "42"}})
        book.change_field("size", type="integer")
        assert {"custom_fields.size": ("42", 42)} == book.history(customer.id)[-1].changes

    def test_delete_keeps_history(self, book):
        """A deleted customer's history stays, ending with the deletion."""
        customer = book.register(KOKS)
        book.delete(customer.id, author="anna")
        assert [(HistoryAction.REGISTERED, None), (HistoryAction.DELETED, "anna")] == actions(
            book, customer
        )
        assert () == book.history(str(customer.id))[-1].fields

    def test_merge(self, book):
        """Both customers' histories record the merge and name the other one."""
        keep = book.register(KOKS)
        duplicate = book.register({**KOKS, "name": "Koks SIA", "phone": "+37120000000"})
        book.merge(keep.id, duplicate.id, author="anna")
        kept, gone = book.history(keep.id)[-1], book.history(duplicate.id)[-1]
        assert (HistoryAction.MERGED, duplicate.id, "anna") == (
            kept.action,
            kept.other,
            kept.author,
        )
        assert (HistoryAction.MERGED, keep.id) == (gone.action, gone.other)
        assert {"phone": (None, {"number": "+37120000000"})} == kept.changes

    def test_import(self, book, clock):
        """A backup's customers keep the history it carries; nothing is added to it."""
        source = CustomerBook(clock=clock)
        customer = source.register(KOKS, author="ilze")
        book.import_data(source.export(), author="anna")
        assert [(HistoryAction.REGISTERED, "ilze")] == actions(book, customer)

    def test_import_without_history(self, book, clock):
        """Customers imported without a history (an older export) get an entry saying so."""
        source = CustomerBook(clock=clock)
        customer = source.register(KOKS)
        data = source.export()
        data["records"]["history"] = []
        book.import_data(data, author="anna")
        assert [(HistoryAction.IMPORTED, "anna")] == actions(book, customer)

    def test_failed_write_records_nothing(self, book, koks):
        """A write that is refused leaves the history as it was."""
        with pytest.raises(ValidationError):
            book.update(koks.id, {"email": "not an email"}, expected_version=1)
        assert 1 == len(book.history(koks.id))

    def test_unknown(self, book):
        """Asking for the history of an id no customer ever had is NotFound."""
        with pytest.raises(NotFound):
            book.history("nobody")
        with pytest.raises(NotFound):
            book.history("00000000-0000-0000-0000-000000000000")

    def test_a_new_customer_has_its_entry_at_once(self, book):
        """History read before and after writes shows each new entry (no stale index)."""
        customer = book.register(KOKS)
        assert 1 == len(book.history(customer.id))
        book.archive(customer.id)
        assert 2 == len(book.history(customer.id))


class TestPrivacy:
    def test_no_private_value_is_stored(self, book, koks):
        """No private value appears in any stored history entry."""
        book.add_note(koks.id, "zebrafinch")
        book.update(koks.id, {"custom_fields": {"diary": "quokka"}}, expected_version=2)
        stored = json.dumps(make_converter().unstructure(book.store.records(HistoryEntry)))
        assert ("secret" in stored, "zebrafinch" in stored, "quokka" in stored) == (
            False,
            False,
            False,
        )

    def test_view_hides_fields_that_became_personal_data(self, book):
        """A field made personal data later has its old values hidden from a view."""
        book.define_field("tier", "Tier", "text")
        customer = book.register({**KOKS, "custom_fields": {"tier": "gold"}})
        book.change_field("tier", personal_data=True)
        book.update(customer.id, {"email": "b@koks.lv"}, expected_version=1)
        assert {"email": ("a@koks.lv", "b@koks.lv")} == book.view().history(customer.id)[1].changes
        assert (None, (None, "gold")) == (
            book.view().history(customer.id)[0].changes["custom_fields.tier"],
            book.view(private=True).history(customer.id)[0].changes["custom_fields.tier"],
        )

    def test_repr_holds_no_values(self):
        """Reprs name fields, never values."""
        change = FieldChange("email", '"a@koks.lv"', None)
        assert "<FieldChange email>" == repr(change)
        assert "koks" not in repr(
            HistoryEntry(
                uuid.uuid4(),
                uuid.uuid4(),
                dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                fields=(change,),
            )
        )


class TestIntegrity:
    def test_sound(self, book, koks):
        """Stored entries pass the structural checks."""
        assert [[]] == [structural_problems(e) for e in book.history(koks.id)]

    def test_private_value_is_damage(self, book, koks):
        """An entry holding a private field's value is refused as damaged."""
        entry = book.history(koks.id)[0]
        leaked = attrs.evolve(entry, fields=(FieldChange("notes", '"x"', None, private=True),))
        assert ["integrity.private_value"] == [p.code for p in structural_problems(leaked)]

    def test_wrong_types(self, book, koks):
        """Wrong types in an entry are each reported."""
        entry = book.history(koks.id)[0]
        damaged = attrs.evolve(
            entry, action="changed", fields=("x", FieldChange("", 1, None, private="no"))
        )
        codes = [p.code for p in structural_problems(damaged)]
        assert codes.count("integrity.type") == 4
        assert "integrity.empty" in codes


@pytest.mark.parametrize("kind", ["json", "sqlite"])
def test_survives_reopen(kind, tmp_path, clock):
    """History is kept by durable stores across a reopen."""
    path = tmp_path / f"book.{kind}"
    opener = {"json": JsonFileStore, "sqlite": SqliteStore}[kind]
    with opener(path) as store:
        book = CustomerBook(store, clock=clock)
        customer = book.register(KOKS, author="anna")
        book.update(customer.id, {"email": "b@koks.lv"}, expected_version=1)
        before = book.history(customer.id)
    with opener(path) as store:
        assert before == CustomerBook(store, clock=clock).history(customer.id)


EDITS = st.one_of(
    st.fixed_dictionaries({"email": st.sampled_from(["", "a@koks.lv", "b@meži.lv"])}),
    st.fixed_dictionaries(
        {"address": st.fixed_dictionaries({"city": st.sampled_from(["", "Rīga", "Cēsis"])})}
    ),
    st.fixed_dictionaries({"name": st.sampled_from(["SIA Koks", "SIA Meži", "Ozols"])}),
    st.fixed_dictionaries(
        {
            "custom_fields": st.fixed_dictionaries(
                {"tier": st.sampled_from(["", "gold"]), "diary": st.sampled_from(["", "x y"])}
            )
        }
    ),
    st.fixed_dictionaries({"phone": st.sampled_from(["", "+37120000000"])}),
    st.fixed_dictionaries({"notes": st.sampled_from(["a note", "another"])}),
    st.just("archive"),
    st.just("restore"),
    st.just("consent"),
)


@settings(max_examples=40)
@given(edits=st.lists(EDITS, max_size=8))
def test_replay_gives_the_current_values(edits):
    """Replaying a customer's history gives every value of it that is not private."""
    book = CustomerBook(InMemoryStore(), clock=FakeClock())
    book.define_field("tier", "Tier", "text")
    book.define_field("diary", "Diary", "text", personal_data=True)
    customer = book.register(KOKS)
    for edit in edits:
        current = book.get(customer.id)
        if edit == "archive":
            book.archive(customer.id)
        elif edit == "restore":
            book.restore(customer.id)
        elif edit == "consent":
            book.record_consent(
                customer.id,
                "email",
                given=not current.consent_to(ConsentChannel.EMAIL),
            )
        else:
            book.update(customer.id, edit, expected_version=current.version)
    current = book.get(customer.id)
    assert without_private(field_values(current), ["diary"]) == replay(book.history(customer.id))


@pytest.mark.parametrize("kind", ["json", "sqlite"])
def test_another_books_writes_come_in_order(kind, tmp_path):
    """A book that follows another's commits shows their history entries in order."""
    path = tmp_path / f"book.{kind}"
    opener = {"json": JsonFileStore, "sqlite": SqliteStore}[kind]
    with opener(path) as mine, opener(path) as theirs:
        writer, reader = (
            CustomerBook(mine, clock=FakeClock()),
            CustomerBook(theirs, clock=FakeClock()),
        )
        customer = writer.register(KOKS)
        assert 1 == len(reader.history(customer.id))  # the reader's index is built now
        for city in ("Cēsis", "Tukums", "Ogre", "Sigulda", "Valmiera", "Talsi"):
            current = writer.get(customer.id)
            writer.update(
                customer.id, {"address": {"city": city}}, expected_version=current.version
            )
        assert [e.id for e in writer.history(customer.id)] == [
            e.id for e in reader.history(customer.id)
        ]
        assert "Talsi" == replay(reader.history(customer.id))["address.city"]
