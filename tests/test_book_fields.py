"""Custom fields in a book: define, change, deactivate."""

from decimal import Decimal

import pytest

from debitor_core import FieldType, NotFound, ValidationError


def register(book, **fields):
    return book.register({"name": "A", "address": {"country": "LV"}, "custom_fields": fields})


class TestDefine:
    def test_define_and_use(self, book):
        """A defined field takes typed values."""
        definition = book.define_field(
            "limit", "Credit limit", "decimal", min_value="0", max_value=10000
        )
        assert (FieldType.DECIMAL, Decimal(0), Decimal(10000)) == (
            definition.type,
            definition.min_value,
            definition.max_value,
        )
        assert Decimal("1500.50") == register(book, limit="1500,50").custom_fields["limit"]
        assert [definition] == book.fields()

    @pytest.mark.parametrize(
        ("kwargs", "code"),
        [
            ({"key": "Bad key", "label": "X"}, "custom_field_definition.key"),
            ({"key": "k", "label": "X", "type": "colour"}, "custom_field_definition.type"),
            (
                {"key": "k", "label": "X", "type": "integer", "min_value": "lots"},
                "custom_field_definition.range",
            ),
            ({"key": "k", "label": "X", "shoe": 1}, "custom_field_definition.option"),
            ({"key": "k", "label": "X", "type": "choice"}, "custom_field_definition.choices"),
        ],
    )
    def test_unsound_definitions(self, book, kwargs, code):
        """Unsound definitions are refused with their problems."""
        with pytest.raises(ValidationError) as info:
            book.define_field(**kwargs)
        assert code == info.value.problems[0].code

    def test_key_taken(self, book):
        """A key can be defined once."""
        book.define_field("k", "K")
        with pytest.raises(ValidationError) as info:
            book.define_field("k", "Again")
        assert "custom_field_definition.key_taken" == info.value.problems[0].code

    def test_default_is_normalised(self, book):
        """A default is stored in its typed form."""
        assert 5 == book.define_field("n", "N", "integer", default="5").default

    def test_unknown_field(self, book):
        """An unknown key is NotFound."""
        with pytest.raises(NotFound):
            book.field("ghost")


class TestChange:
    def test_type_change_checks_stored_values_first(self, book):
        """Values that would not fit the new type are reported and nothing changes."""
        book.define_field("code", "Code")
        good = register(book, code="42")
        bad = register(book, code="A-7")
        with pytest.raises(ValidationError) as info:
            book.change_field("code", type="integer")
        assert [f"customers[{bad.number}].custom_fields.code"] == list(info.value.paths)
        assert FieldType.TEXT == book.field("code").type
        assert "42" == book.get(good.id).custom_fields["code"]

    def test_type_change_converts_values(self, book):
        """When every value fits, stored values take the new type in the same commit."""
        book.define_field("code", "Code")
        customer = register(book, code="42")
        book.change_field("code", type="integer")
        changed = book.get(customer.id)
        assert (42, 2) == (changed.custom_fields["code"], changed.version)
        assert [customer.number] == [c.number for c in book.search(custom_fields={"code": 42})]

    def test_choices_change_checks_values(self, book):
        """Removing a choice in use is reported."""
        book.define_field("tier", "Tier", "choice", choices=["Gold", "Silver"])
        register(book, tier="Silver")
        with pytest.raises(ValidationError):
            book.change_field("tier", choices=["Gold"])
        book.change_field("tier", choices=["Gold", "Silver", "Bronze"])
        assert ("Gold", "Silver", "Bronze") == book.field("tier").choices

    def test_key_cannot_change(self, book):
        """The key is fixed."""
        book.define_field("k", "K")
        with pytest.raises(ValidationError):
            book.change_field("k", key="other")

    def test_deactivate_keeps_values(self, book):
        """A deactivated field keeps stored values, refuses new ones, and comes back."""
        book.define_field("segment", "Segment")
        customer = register(book, segment="retail")
        book.deactivate_field("segment")
        assert "retail" == book.get(customer.id).custom_fields["segment"]
        updated = book.update(customer.id, {"name": "B"}, expected_version=1)
        assert "retail" == updated.custom_fields["segment"]
        with pytest.raises(ValidationError):
            register(book, segment="other")
        book.activate_field("segment")
        assert "other" == register(book, segment="other").custom_fields["segment"]

    def test_text_fields_are_searched(self, book):
        """A text field becomes searchable, also when it turns into one later."""
        book.define_field("code", "Code", "integer")
        register(book, code=7)
        book.define_field("note", "Note")
        register(book, note="antique dealer")
        assert [2] == [c.number for c in book.search("antique")]
