"""Export and import of a book."""

import pytest

from conftest import FakeClock
from debitor_core import CustomerBook, ValidationError


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

    def test_import_refuses_clashes_and_changes_nothing(self, source):
        """Importing into a book that has the ids and numbers already reports each clash."""
        data = source.export()
        with pytest.raises(ValidationError) as info:
            source.import_data(data)
        assert {("customers[0].id", "id.taken"), ("customers[0].number", "number.taken")} == {
            (p.path, p.code) for p in info.value.problems
        }
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
