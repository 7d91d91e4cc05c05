"""Categories: create, rename, move, delete, report."""

import uuid

import pytest

from debitor_core import Category, InUse, NotFound, ValidationError
from debitor_core._category import category_problems


class TestCategories:
    def test_create_and_list(self, book):
        """Categories are listed by name."""
        book.create_category("Wholesalers")
        book.create_category("  retailers ")
        assert ["retailers", "Wholesalers"] == [c.name for c in book.categories()]

    def test_names_unique_case_insensitively(self, book):
        """A name taken in any case is refused."""
        book.create_category("Retailers")
        with pytest.raises(ValidationError) as info:
            book.create_category("RETAILERS")
        assert ["category.name_taken"] == [p.code for p in info.value.problems]
        assert (
            "A category named 'Retailers' already exists; choose another name."
            == info.value.problems[0].message
        )

    def test_empty_name(self, book):
        """An empty name is refused."""
        with pytest.raises(ValidationError) as info:
            book.create_category(" ")
        assert ["name"] == list(info.value.paths)

    def test_rename_keeps_customers(self, book):
        """Renaming keeps the customers in the category."""
        category = book.create_category("Retail")
        book.register({"name": "A", "address": {"country": "LV"}, "categories": ["retail"]})
        book.rename_category(category, "Retailers")
        assert [1] == [c.number for c in book.search(category="retailers")]

    def test_move_and_no_cycles(self, book):
        """Categories nest; a category cannot go under its own descendant."""
        top = book.create_category("Wholesalers")
        food = book.create_category("Food", parent=top)
        fruit = book.create_category("Fruit", parent="food")
        with pytest.raises(ValidationError) as info:
            book.move_category(top, fruit)
        assert ["category.cycle"] == [p.code for p in info.value.problems]
        moved = book.move_category(fruit, None)
        assert moved.parent is None
        assert food.parent == top.id

    def test_unknown(self, book):
        """Unknown categories and parents are NotFound."""
        with pytest.raises(NotFound):
            book.create_category("X", parent="Nope")
        with pytest.raises(NotFound):
            book.rename_category("Nope", "Y")

    def test_delete_in_use_needs_a_choice(self, book):
        """Deleting a category in use is refused unless asked to detach it."""
        book.create_category("Retail")
        customer = book.register(
            {"name": "A", "address": {"country": "LV"}, "categories": ["Retail"]}
        )
        with pytest.raises(InUse) as info:
            book.delete_category("Retail")
        assert "1 customer is in the category 'Retail'" in str(info.value)
        book.delete_category("Retail", detach=True)
        changed = book.get(customer.id)
        assert ((), 2) == (changed.categories, changed.version)
        assert [] == book.categories()

    def test_delete_moves_children_up(self, book):
        """Sub-categories of a deleted category move up to its parent."""
        top = book.create_category("Top")
        middle = book.create_category("Middle", parent=top)
        book.create_category("Leaf", parent=middle)
        book.delete_category(middle)
        assert top.id == book.category("Leaf").parent

    def test_report(self, book):
        """The report counts customers per category, with and without sub-categories."""
        book.create_category("Wholesalers")
        book.create_category("Food", parent="Wholesalers")
        book.register({"name": "A", "address": {"country": "LV"}, "categories": ["Wholesalers"]})
        archived = book.register(
            {"name": "B", "address": {"country": "LV"}, "categories": ["Food"]}
        )
        book.register(
            {"name": "C", "address": {"country": "LV"}, "categories": ["Food", "Wholesalers"]}
        )
        book.archive(archived.id)
        report = {
            line.category.name: (line.customers, line.direct) for line in book.category_counts()
        }
        assert {"Food": (1, 1), "Wholesalers": (2, 2)} == report
        everyone = {
            line.category.name: line.customers for line in book.category_counts(archived=None)
        }
        assert {"Food": 2, "Wholesalers": 3} == everyone


class TestCategoryProblems:
    @pytest.mark.parametrize(
        ("name", "parent", "expected"),
        [
            ("Retail \u202e", None, [("name", "category.direction_control")]),
            (None, None, [("name", "category.type")]),
            ("Retail", "not an id", [("parent", "category.parent_unknown")]),
        ],
    )
    def test_hostile_categories(self, name, parent, expected):
        """A category's name is text a person reads; its parent is a known id."""
        candidate = Category(uuid.uuid4(), name, parent)
        assert expected == [(p.path, p.code) for p in category_problems(candidate, {})]

    def test_repr(self):
        """The repr names the category."""
        assert "<Category 'Retail'>" == repr(Category(uuid.uuid4(), "Retail"))
