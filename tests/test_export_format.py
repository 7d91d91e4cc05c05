"""Reading an export back: nothing in it is dropped silently (book/_export_format.py)."""

import copy
import datetime as dt
import functools
import re
from decimal import Decimal

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
from debitor_core.storage import SqliteStore
from debitor_core.strategies import books

DAY = dt.date(2026, 11, 26)


@functools.cache
def _everything():
    """An export holding an object of every kind the format has, each level filled."""
    book = CustomerBook(clock=FakeClock(), welcome=WelcomeInvoicePolicy(Branding("SIA Koks")))
    book.create_category("Retail")
    book.create_category("Shops", parent="Retail")
    book.define_field("limit", "Credit limit", "decimal", min_value=Decimal(0))
    book.define_field("since", "Customer since", "date")
    book.define_field("tier", "Tier", "choice", choices=["Gold", "Silver"])
    book.change_field("tier", label="Level")
    form = {
        "name": "SIA Koks",
        "email": "info@koks.lv",
        "phone": "+371 2000 0000",
        "other_phones": ["+371 6700 0000"],
        "tax_id": "LV40003521600",
        "payment_terms": "net 14",
        "address": {"street": "Brīvības iela 1", "city": "Rīga", "postal_code": "LV-1050",
                    "country": "LV"},
        "categories": ["Shops"],
        "custom_fields": {"limit": "12.50", "since": "2020-02-29", "tier": "Gold"},
        "notes": "Pays late",
        "consent": ["email"],
    }  # fmt: skip
    koks = book.register(form, idempotency_key="first")
    book.attach(koks.id, file_name="contract.pdf", media_type="application/pdf", size=10,
                sha256="ab" * 32)  # fmt: skip
    invoice = book.issue_invoice(
        koks.id, [InvoiceLine("Work", Decimal(1), Decimal("10.50"))], issue_date=DAY
    )
    book.record_payment(invoice.id, Decimal("5.25"), date=DAY)
    book.mark_reminder_sent(invoice.id, 7)
    twin = book.register({"name": "SIA Koks 2", "address": {"country": "LV"}})
    book.merge(koks.id, twin.id)
    gone = book.register({"name": "Jānis Ozols", "address": {"country": "LV"}})
    book.erase(gone.id, reason="asked to be forgotten")
    return book.export(include_private=True)


def everything():
    """A fresh copy of the export that has every level."""
    return copy.deepcopy(_everything())


def _objects(data, path=""):
    """The path of every object in an export but a customer's custom-field values."""
    if isinstance(data, dict):
        yield path
        for key, value in data.items():
            if not (key == "custom_fields" and isinstance(value, dict)):
                yield from _objects(value, f"{path}.{key}" if path else key)
    elif isinstance(data, list):
        for position, value in enumerate(data):
            yield from _objects(value, f"{path}[{position}]")


def _at(data, path):
    """The object at ``path`` (as `_objects` writes it) in ``data``."""
    for part in re.findall(r"[^.\[\]]+", path):
        data = data[int(part)] if part.isdigit() else data[part]
    return data


def _refused(data):
    """The problems importing ``data`` into an empty book raises; the book stays empty."""
    target = CustomerBook(clock=FakeClock())
    with pytest.raises(ValidationError) as caught:
        target.import_data(data)
    assert (0, [], 0) == (len(target), target.invoices(), target.export()["last_number"])
    return caught.value.problems


LEVELS = [
    "", "categories[*]", "custom_fields[*]", "customers[*]", "customers[*].address",
    "customers[*].attachments[*]", "customers[*].consents[*]", "customers[*].notes[*]",
    "customers[*].other_phones[*]", "customers[*].payment_terms", "customers[*].phone",
    "customers[*].tax_id", "records", "records.definition_change[*]",
    "records.definition_change[*].fields[*]", "records.delivery[*]", "records.erasure[*]",
    "records.forward[*]", "records.history[*]", "records.history[*].fields[*]",
    "records.history[*].initial", "records.history[*].initial.address",
    "records.history[*].initial.consents[*]", "records.history[*].initial.other_phones[*]",
    "records.history[*].initial.payment_terms", "records.history[*].initial.phone",
    "records.history[*].initial.tax_id", "records.invoice[*]", "records.invoice[*].bill_to",
    "records.invoice[*].bill_to.address", "records.invoice[*].branding",
    "records.invoice[*].lines[*]", "records.invoice[*].payment_terms", "records.payment[*]",
    "records.registration[*]", "records.reminder[*]",
]  # fmt: skip


class TestUnknownKeys:
    def test_the_sample_export_has_every_level_and_round_trips(self):
        """The export the tests change holds an object at every level, and imports as it is."""
        data = everything()
        assert LEVELS == sorted({re.sub(r"\[\d+\]", "[*]", p) for p in _objects(data)})
        assert set(RECORD_KINDS) == set(data["records"])
        for store in (None, SqliteStore(":memory:")):
            target = CustomerBook(store, clock=FakeClock())
            target.import_data(data)
            assert data == target.export(include_private=True)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.data())
    def test_a_key_added_at_any_level_is_refused_with_its_path(self, data):
        """A key this version does not write, anywhere, is refused and named by its path."""
        export = everything()
        where = data.draw(st.sampled_from(sorted(set(_objects(export)))), label="where")
        target = _at(export, where)
        key = data.draw(
            st.from_regex(r"[a-z_]{1,20}", fullmatch=True).filter(lambda k: k not in target),
            label="key",
        )
        target[key] = data.draw(st.sampled_from([None, 0, "x", [], {}]), label="value")
        (problem,) = _refused(export)
        expected = f"{where}.{key}" if where else key
        assert (expected, "import.unknown_key", key) == (problem.path, problem.code, problem.value)
        assert f"key {key!r} that this version does not know" in problem.message

    def test_a_misspelt_key_is_refused_with_a_suggestion(self):
        """A misspelt "emial" is refused, not read as a customer without an email."""
        data = everything()
        data["customers"][0]["emial"] = data["customers"][0].pop("email")
        (problem,) = _refused(data)
        assert "customers[0].emial" == problem.path
        assert (
            "The export has a key 'emial' that this version does not know (written by a newer "
            "version, or misspelt); did you mean email?"
        ) == problem.message

    def test_an_unknown_kind_of_record_lists_the_kinds(self):
        """A kind of record a newer version keeps is refused; the message lists the known."""
        data = everything()
        data["records"]["price_list"] = [{"name": "2027"}]
        (problem,) = _refused(data)
        assert ("records.price_list", "import.unknown_key") == (problem.path, problem.code)
        assert problem.message.endswith(f"the keys here are {', '.join(RECORD_KINDS)}.")

    @pytest.mark.parametrize(
        ("key", "path"),
        [
            (5, "customers[0].5"),
            ("x\x1b[2J", "customers[0].'x\\x1b[2J'"),
            ("a" * 1000, "customers[0].'" + "a" * 59 + "…'"),
            ("", "customers[0].''"),
        ],
    )
    def test_an_odd_key_is_named_short_and_escaped(self, key, path):
        """A key that is no text, has controls or is huge is shown escaped and short."""
        data = everything()
        data["customers"][0][key] = 1
        (problem,) = _refused(data)
        assert (path, "import.unknown_key") == (problem.path, problem.code)
        assert "\x1b" not in problem.message
        assert len(problem.message) < 500

    def test_every_unknown_key_is_reported_at_once_up_to_a_limit(self):
        """150 customers with a new key: 100 named, then one problem counting the rest."""
        data = everything()
        customer = data["customers"][0]
        data["customers"] = [{**customer, f"new_{n}": n} for n in range(150)]
        data["customers"][149]["address"] = "Rīga"
        problems = _refused(data)
        assert 101 == len(problems)
        assert [f"customers[{n}].new_{n}" for n in range(100)] == [p.path for p in problems[:100]]
        closing = problems[-1]
        assert ("form.too_many_problems", 51, "import.format, import.unknown_key") == (
            closing.code,
            closing.params["left_out"],
            closing.params["code"],
        )
        assert closing.message.startswith("51 more problems like those above")

    def test_an_object_with_a_hundred_thousand_keys_is_counted(self):
        """A hostile object with 100,000 unknown keys: 100 named, the rest only counted."""
        data = everything()
        data["customers"][0].update({f"k{n}": n for n in range(100_000)})
        problems = _refused(data)
        assert (101, 99_900) == (len(problems), problems[-1].params["left_out"])


WRONG_SHAPES = [
    ("customers", {}, "customers", "a list belongs here, not an object"),
    ("records", [], "records", "an object belongs here, not a list"),
    ("records.invoice", "x", "records.invoice", "a list belongs here, not text"),
    ("customers[0]", [], "customers[0]", "an object belongs here, not a list"),
    ("customers[0].address", "Rīga", "customers[0].address", "an object belongs here, not text"),
    ("customers[0].address", None, "customers[0].address", "an object belongs here, not null"),
    ("customers[0].other_phones", "+37120000000", "customers[0].other_phones",
     "a list belongs here, not text"),
    ("customers[0].notes[0]", "Pays late", "customers[0].notes[0]",
     "an object belongs here, not text"),
    ("customers[0].custom_fields", ["x"], "customers[0].custom_fields",
     "an object belongs here, not a list"),
    ("customers[0].phone", True, "customers[0].phone", "an object belongs here, not true or false"),
    ("records.invoice[0].lines", {"description": "Work"}, "records.invoice[0].lines",
     "a list belongs here, not an object"),
    ("records.invoice[0].branding", 7, "records.invoice[0].branding",
     "an object belongs here, not a number"),
    ("records.history[0].initial", object(), "records.history[0].initial",
     "an object belongs here, not a value of type object"),
]  # fmt: skip


class TestWrongShapes:
    @pytest.mark.parametrize(("where", "value", "path", "reason"), WRONG_SHAPES)
    def test_a_value_of_the_wrong_shape_is_refused_with_its_path(self, where, value, path, reason):
        """Text where an address belongs was read as an empty address: now it is refused."""
        data = everything()
        parent, _, last = where.rpartition(".")
        if last.endswith("]"):
            parent, last = where.rsplit("[", 1)[0], int(where.rsplit("[", 1)[1][:-1])
        _at(data, parent)[last] = value
        (problem,) = _refused(data)
        assert (path, "import.format", reason) == (
            problem.path,
            problem.code,
            problem.params["reason"],
        )

    def test_null_where_an_object_may_be_missing_is_read(self):
        """A phone may be null: that is no problem."""
        data = everything()
        data["customers"][0]["phone"] = None
        (customer, *_) = CustomerBook(clock=FakeClock()).import_data(data)
        assert customer.phone is None


NESTED = [[list(range(50))] * 5] * 5
"""A value whose repr is about 5,000 characters."""

ODD_VALUES = [
    (("customers", 0, "custom_fields", "limit"), NESTED),
    (("customers", 0, "name"), NESTED),
    (("customers", 0, "kind"), "x" * 3000),
    (("customers", 0, "created"), "x" * 3000),
    (("records", "invoice", 0, "issue_date"), "x" * 3000),
    (("customers", 0, "custom_fields", "since"), {"date": "x" * 3000}),
    (("customers", 0, "custom_fields", "limit"), {"decimal": "x" * 3000}),
    (("customers", 0, "number"), NESTED),
    (("customers", 0, "archived"), NESTED),
    (("last_number",), NESTED),
]


class TestOddValuesAreShownShort:
    @pytest.mark.parametrize(("where", "value"), ODD_VALUES, ids=lambda x: str(x)[:30])
    def test_the_message_quotes_an_odd_value_shortened(self, where, value):
        """The message names the odd value in a few dozen characters, not all 5 KB of it."""
        data = everything()
        *parents, last = where
        target = data
        for part in parents:
            target = target[part]
        target[last] = value
        (problem,) = _refused(data)
        assert "import.format" == problem.code
        assert len(problem.message) < 300, problem.message

    def test_a_missing_key_is_named(self):
        """Without customers, the message says which key is missing."""
        (problem,) = _refused({"records": {}})
        assert (
            "The data is not an export of a customer book ('customers' is missing)."
            == problem.message
        )


class TestErasedCustomers:
    def test_a_book_with_an_erased_customer_round_trips(self):
        """An erased customer's tombstone has no country: it is restored as it is, not refused."""
        source = CustomerBook(clock=FakeClock())
        gone = source.register({"name": "Jānis Ozols", "address": {"country": "LV"}})
        source.erase(gone.id, reason="asked to be forgotten")
        data = source.export(include_private=True)
        target = CustomerBook(clock=FakeClock())
        target.import_data(data)
        assert data == target.export(include_private=True)

    def test_more_than_a_tombstone_is_checked_like_a_form(self):
        """An erasure record excuses only an empty tombstone: one with data is checked."""
        source = CustomerBook(clock=FakeClock())
        gone = source.register({"name": "Jānis Ozols", "address": {"country": "LV"}})
        source.erase(gone.id, reason="asked to be forgotten")
        data = source.export(include_private=True)
        data["customers"][0]["email"] = "not an email"
        problems = _refused(data)
        assert {"customers[0].email", "customers[0].address.country"} == {p.path for p in problems}

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(books(max_customers=4), st.data())
    def test_any_book_with_erased_customers_round_trips(self, book, data):
        """Erase any of a random book's customers: its export imports to the same export."""
        for customer in list(book.customers()):
            if data.draw(st.booleans(), label=f"erase {customer.number}"):
                book.erase(customer.id, reason="asked to be forgotten")
        exported = book.export(include_private=True)
        target = CustomerBook(clock=FakeClock())
        target.import_data(exported)
        assert exported == target.export(include_private=True)
