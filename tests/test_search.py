"""Search and listing."""

import pytest

from debitor_core import NotFound, ValidationError


@pytest.fixture
def filled(book):
    book.create_category("Retailers")
    book.create_category("Wholesalers")
    book.create_category("Food", parent="Wholesalers")
    book.define_field("segment", "Segment")
    book.define_field("tier", "Tier", "choice", choices=["Gold", "Silver"])
    book.define_field("limit", "Credit limit", "integer")
    rows = [
        {
            "name": "SIA Bērziņš",
            "address": {"country": "LV", "city": "Rīga"},
            "categories": ["Retailers"],
            "custom_fields": {"segment": "Furniture", "tier": "Gold"},
        },
        {
            "name": "Koks GmbH",
            "email": "info@koks.de",
            "address": {"country": "DE", "city": "Berlin"},
            "categories": ["Wholesalers"],
            "custom_fields": {"limit": 500},
        },
        {
            "name": "Ēdieni SIA",
            "contact_person": "Anna Ozola",
            "phone": "+371 2000 0000",
            "address": {"country": "LV", "city": "Riga"},
            "categories": ["Food"],
            "custom_fields": {"tier": "Silver"},
        },
        {
            "name": "Ziedi",
            "tax_id": "LV40003521600",
            "address": {"country": "LV", "city": "Jūrmala"},
            "categories": ["Retailers", "Food"],
        },
    ]
    for row in rows:
        book.register(row)
    return book


def numbers(result):
    return [c.number for c in result]


class TestFreeText:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("berzins", [1]),
            ("BĒRZIŅŠ", [1]),
            ("sia", [1, 3]),
            ("koks.de", [2]),
            ("anna", [3]),
            ("2000 0000", [3]),
            ("+3712000", [3]),
            ("LV4000", [4]),
            ("riga", [1, 3]),
            ("furni", [1]),
            ("sia riga", [1, 3]),
            ("sia jurmala", []),
            ("4", [4]),
            ("nothing-like-this", []),
        ],
    )
    def test_matches(self, filled, text, expected):
        """Words match names, contacts, emails, phones, tax ids, cities, numbers and text fields."""
        assert expected == numbers(filled.search(text))

    def test_changed_customer_is_found_by_new_text_only(self, filled):
        """After an update the old text no longer matches."""
        customer = filled.get_by_number(2)
        filled.update(customer.id, {"name": "Meži AG"}, expected_version=1)
        assert [] == numbers(filled.search("gmbh"))
        assert [2] == numbers(filled.search("mezi"))

    def test_deleted_customer_is_gone(self, filled):
        """Deleted customers are not found, and dead entries are compacted away."""
        for number in (1, 2, 3):
            filled.delete(filled.get_by_number(number).id)
        assert [] == numbers(filled.search("sia"))
        assert [4] == numbers(filled.search("ziedi"))


class TestFilters:
    def test_category_includes_subcategories(self, filled):
        """A category filter includes its sub-categories unless told not to."""
        assert [2, 3, 4] == numbers(filled.search(category="Wholesalers"))
        assert [2] == numbers(filled.search(category="Wholesalers", subcategories=False))

    def test_any_or_all(self, filled):
        """Several categories match any (default) or all."""
        assert [1, 3, 4] == numbers(filled.search(category=["Retailers", "food"]))
        assert [4] == numbers(filled.search(category=["Retailers", "Food"], match="all"))

    def test_category_by_object_and_id(self, filled):
        """Categories are given by name, id or object."""
        food = filled.category("food")
        assert [3, 4] == numbers(filled.search(category=food))
        assert [3, 4] == numbers(filled.search(category=food.id))

    def test_unknown_category(self, filled):
        """An unknown category is NotFound."""
        with pytest.raises(NotFound):
            filled.search(category="Pets")

    def test_country_city_and_fields(self, filled):
        """Country, city and custom-field filters combine with text."""
        assert [1, 3, 4] == numbers(filled.search(country="latvia"))
        assert [1, 3] == numbers(filled.search(city="RIGA"))
        assert [1] == numbers(filled.search(custom_fields={"tier": "gold"}))
        assert [2] == numbers(filled.search(custom_fields={"limit": "500"}))
        assert [3] == numbers(filled.search("sia", city="riga", custom_fields={"tier": "Silver"}))

    def test_bad_filter_values(self, filled):
        """Filter values are validated too."""
        with pytest.raises(ValidationError) as info:
            filled.search(country="Atlantis")
        assert ["country"] == list(info.value.paths)
        with pytest.raises(ValidationError):
            filled.search(custom_fields={"limit": "lots"})
        with pytest.raises(NotFound):
            filled.search(custom_fields={"ghost": 1})

    def test_archived(self, filled):
        """Archived customers are hidden, shown alone, or shown with the rest."""
        filled.archive(filled.get_by_number(2).id)
        assert [1, 3, 4] == numbers(filled.search())
        assert [2] == numbers(filled.search(archived=True))
        assert [1, 2, 3, 4] == numbers(filled.search(archived=None))
        assert [3, 4] == numbers(filled.search(category="Wholesalers"))


class TestOrderAndPages:
    def test_sorting(self, filled):
        """Sort by number, name (accent-insensitive) or creation, either way."""
        assert [4, 3, 2, 1] == numbers(filled.search(descending=True))
        assert [3, 2, 1, 4] == numbers(filled.search(sort="name"))
        assert [4, 3, 2, 1] == numbers(filled.search(sort="created", descending=True))
        with pytest.raises(ValueError, match="sort"):
            filled.search(sort="colour")

    def test_pages_are_stable(self, filled):
        """Pages follow one order and together give every match once."""
        pages = [filled.search(offset=o, limit=2) for o in (0, 2, 4)]
        assert [[1, 2], [3, 4], []] == [numbers(p) for p in pages]
        assert [4, 4, 4] == [p.total for p in pages]
        by_name = [numbers(filled.search(sort="name", offset=o, limit=3)) for o in (0, 3)]
        assert [[3, 2, 1], [4]] == by_name

    @pytest.mark.parametrize(
        "filters",
        [{}, {"category": "Wholesalers"}, {"category": ["Retailers", "Food"]}, {"text": "sia"}],
    )
    def test_total_counts_every_page(self, filled, filters):
        """A page's total counts every match, however the matches were narrowed down."""
        text = filters.pop("text", "")
        everything = filled.search(text, **filters)
        first_page = filled.search(text, limit=1, **filters)
        assert (len(everything), [everything[0]]) == (first_page.total, list(first_page))

    def test_result_is_a_sequence(self, filled):
        """A result can be indexed, sliced and measured."""
        result = filled.search("sia")
        assert 2 == len(result)
        assert 1 == result[0].number
        assert [3] == numbers(result[1:])
        assert "<SearchResult 2 from offset 0>" == repr(result)


def test_search_after_every_customer_was_deleted(book):
    """Deleting the last customers empties the text index; new ones are found again."""
    first = book.register({"name": "Ābols", "address": {"country": "LV"}})
    second = book.register({"name": "Bumbieris", "address": {"country": "LV"}})
    book.delete(first.id)
    book.delete(second.id)
    assert [] == list(book.search("abols"))
    book.register({"name": "Citrons", "address": {"country": "LV"}})
    book.register({"name": "Dateles", "address": {"country": "LV"}})
    assert [4] == [c.number for c in book.search("dateles")]
    assert [3] == [c.number for c in book.search("citrons")]


def test_customers_given_numbers_out_of_order(book):
    """Numbers asked for out of order still list, page and search in number order."""
    for number in (7, 3, 5):
        book.register({"name": f"N{number}", "address": {"country": "LV"}}, number=number)
    book.register_many(
        [
            {"name": "N2", "address": {"country": "LV"}},
            {"name": "N9", "address": {"country": "LV"}},
        ],
        numbers=[2, 9],
    )
    assert [2, 3, 5, 7, 9] == [c.number for c in book.customers()]
    assert [5, 7] == [c.number for c in book.search("n", offset=2, limit=2)]
