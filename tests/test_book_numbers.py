"""Customer numbers: one range, 1 to MAX_NUMBER, on every store."""

import pytest

from debitor_core import CustomerBook, ValidationError
from debitor_core._limits import MAX_NUMBER
from debitor_core.storage import InMemoryStore, JsonFileStore, SqliteStore

FORM = {"name": "SIA Koks", "address": {"country": "LV"}}
RANGE = "The customer number must be a whole number from 1 to 9,007,199,254,740,992, not {}."
EXHAUSTED = (
    "Every customer number up to 9,007,199,254,740,992 has been handed out; "
    "give a free number of your own with number=."
)


@pytest.fixture(params=["memory", "json", "sqlite"])
def store(request, tmp_path):
    """Each store the library ships."""
    if request.param == "memory":
        made = InMemoryStore()
    elif request.param == "json":
        made = JsonFileStore(tmp_path / "book.json")
    else:
        made = SqliteStore(tmp_path / "book.db")
    yield made
    made.close()


def problems(info):
    return [(p.path, p.code, p.message) for p in info.value.problems]


class TestRange:
    def test_a_huge_number_is_refused_and_numbering_goes_on(self, store, clock):
        """register(number=2**63-1) is a problem with the number, not a broken book."""
        book = CustomerBook(store, clock=clock)
        with pytest.raises(ValidationError) as info:
            book.register(FORM, number=2**63 - 1)
        assert [("number", "number.invalid", RANGE.format(2**63 - 1))] == problems(info)
        assert [1, 2] == [book.register(FORM).number for _ in range(2)]
        assert 2 == store.last_number()

    def test_the_highest_number_is_kept_and_then_numbering_stops(self, store, clock):
        """MAX_NUMBER is stored; after it, automatic numbering refuses with a clear error."""
        book = CustomerBook(store, clock=clock)
        assert MAX_NUMBER == book.register(FORM, number=MAX_NUMBER).number
        assert MAX_NUMBER == CustomerBook(store, clock=clock).get_by_number(MAX_NUMBER).number
        with pytest.raises(ValidationError) as info:
            book.register(FORM)
        assert [("number", "number.exhausted", EXHAUSTED)] == problems(info)
        review = book.preview(FORM)
        assert ["number.exhausted"] == [p.code for p in review.errors]
        assert 7 == book.register(FORM, number=7).number
        assert 2 == len(book)

    @pytest.mark.parametrize("number", [0, -1, MAX_NUMBER + 1, 2**64, True, 1.0, "7", object()])
    def test_what_is_not_a_number_in_range(self, book, number):
        """Zero, negatives, numbers past the range, booleans, floats and objects are refused."""
        with pytest.raises(ValidationError) as info:
            book.register(FORM, number=number)
        assert [("number", "number.invalid", RANGE.format(repr(number)))] == problems(info)
        assert 0 == len(book)

    def test_preview_names_the_problem(self, book):
        """A preview with a number out of range shows the problem and no customer."""
        review = book.preview(FORM, number=2**63 - 1)
        assert (False, ["number.invalid"]) == (review.ok, [p.code for p in review.errors])


class TestMany:
    def test_numbers_out_of_range_are_refused(self, book):
        """register_many refuses numbers out of range, with the form's position."""
        with pytest.raises(ValidationError) as info:
            book.register_many([FORM, FORM], numbers=[None, 2**63 - 1])
        assert ["[1].number"] == [p.path for p in info.value.problems]
        with pytest.raises(ValidationError) as info:
            book.register_many([FORM], numbers=[0])
        assert ["number"] == [p.path for p in info.value.problems]
        assert 0 == len(book)

    def test_automatic_numbers_stop_at_the_top(self, book):
        """A batch that would run past MAX_NUMBER stores nothing."""
        book.register(FORM, number=MAX_NUMBER - 1)
        with pytest.raises(ValidationError) as info:
            book.register_many([FORM, FORM])
        assert [("number", "number.exhausted", EXHAUSTED)] == problems(info)
        assert [MAX_NUMBER] == [c.number for c in book.register_many([FORM])]


class TestImport:
    def test_numbers_out_of_range_are_refused(self, book, clock):
        """An import with a number out of range names the customer and stores nothing."""
        source = CustomerBook(clock=clock)
        source.register(FORM)
        source.register(FORM)
        data = source.export()
        data["customers"][1]["number"] = 2**63 - 1
        with pytest.raises(ValidationError) as info:
            book.import_data(data)
        assert [("customers[1].number", "number.invalid", RANGE.format(2**63 - 1))] == problems(
            info
        )
        assert 0 == len(book)
