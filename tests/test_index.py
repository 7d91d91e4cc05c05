"""The in-memory customer index: lookups always whole, postings built lazily."""

import datetime as dt
import uuid

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from debitor_core import Address, Customer, Note
from debitor_core._text import search_words
from debitor_core.book._index import CustomerIndex
from debitor_core.storage._memory import StoreState
from test_text import LOOK_ALIKE

WHEN = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
RETAIL = uuid.uuid4()


def customer(number, name="Koks", **values):
    return Customer(id=uuid.uuid4(), number=number, name=name, created=WHEN, updated=WHEN, **values)


def matching(index, *words, include_private=False):
    postings, _ = index.postings()
    return postings.search_text(list(words), include_private=include_private)


class TestLookups:
    def test_customers_are_found_at_once(self):
        """A customer put in is found by id and number, and counted, before any search."""
        first, second = customer(1), customer(2)
        index = CustomerIndex([first])
        index.replace([second])
        assert (first, second, second, 2) == (
            index.get(first.id),
            index.get(second.id),
            index.get_by_number(2),
            index.count(),
        )
        assert index.get(uuid.uuid4()) is None
        assert index.get_by_number(3) is None

    def test_an_update_replaces_in_place(self, monkeypatch):
        """While a change is put in, the entries by id and number are never missing."""
        old = customer(1, categories=(RETAIL,))
        index = CustomerIndex([old])
        new = attrs.evolve(old, name="Meži", categories=(), version=2)
        seen = []

        class Watched(dict):
            def __delitem__(self, key):
                seen.append(("del", key))
                super().__delitem__(key)

            def pop(self, key, *default):
                seen.append(("pop", key))
                return super().pop(key, *default)

        monkeypatch.setattr(index, "_by_id", Watched(index._by_id))
        monkeypatch.setattr(index, "_by_number", Watched(index._by_number))
        index.replace([new])
        assert [] == seen
        assert (new, new) == (index.get(old.id), index.get_by_number(1))

    def test_delete(self):
        """A deleted customer is gone from every lookup and posting."""
        gone, kept = customer(1, email="a@koks.lv"), customer(2)
        index = CustomerIndex([gone, kept])
        index.replace([], [gone.id])
        postings, by_number = index.postings()
        assert (None, None, 1, [2]) == (
            index.get(gone.id),
            index.get_by_number(1),
            index.count(),
            postings.numbers,
        )
        assert [] == list(postings.matches("email", "a@koks.lv"))
        assert {2: kept} == by_number

    def test_renumbering_swaps(self):
        """Two customers swapping numbers in one change are both found by their new ones."""
        one, two = customer(1, name="One"), customer(2, name="Two")
        index = CustomerIndex([one, two])
        index.postings()
        one_now, two_now = attrs.evolve(one, number=2), attrs.evolve(two, number=1)
        index.replace([one_now, two_now])
        assert (two_now, one_now, 2) == (
            index.get_by_number(1),
            index.get_by_number(2),
            index.count(),
        )
        assert ({2}, {1}) == (matching(index, "one"), matching(index, "two"))

    def test_a_number_given_up_goes(self):
        """A customer that took another number is no longer found by its old one."""
        old = customer(1)
        index = CustomerIndex([old])
        index.replace([attrs.evolve(old, number=5)])
        assert (None, 5) == (index.get_by_number(1), index.get(old.id).number)


class TestPostings:
    def test_built_when_first_needed(self):
        """Customers put in are queued, and indexed in one pass by the next query."""
        index = CustomerIndex([customer(2, categories=(RETAIL,))])
        index.replace([customer(1, categories=(RETAIL,))])
        postings, _ = index.postings()
        assert ([1, 2], {RETAIL: [1, 2]}, []) == (
            postings.numbers,
            postings.by_category,
            postings.pending,
        )

    def test_an_update_before_any_query(self):
        """A customer changed while still queued is indexed in its new state only."""
        old = customer(1, name="Koks", categories=(RETAIL,))
        index = CustomerIndex()
        index.replace([old])
        index.replace([attrs.evolve(old, name="Meži", categories=())])
        postings, _ = index.postings()
        assert (set(), {1}, [1], []) == (
            matching(index, "koks"),
            matching(index, "mezi"),
            postings.numbers,
            postings.by_category[RETAIL],
        )

    def test_shared_duplicate_keys(self):
        """Customers sharing a key are all found; one leaving leaves the others."""
        same = [customer(n, email="office@koks.lv") for n in (1, 2, 3)]
        index = CustomerIndex(same)
        postings, _ = index.postings()
        assert [1, 2, 3] == sorted(postings.matches("email", "office@koks.lv"))
        index.replace([], [same[0].id, same[2].id])
        postings, _ = index.postings()
        assert [2] == list(postings.matches("email", "office@koks.lv"))

    def test_dead_text_is_compacted(self):
        """After many changes the search text holds each customer once, found by new text."""
        first = customer(1, name="Koks", address=Address(city="Rīga"))
        index = CustomerIndex([first])
        current = first
        for round_ in range(20):
            current = attrs.evolve(current, name=f"Koks {round_}", version=round_ + 2)
            index.replace([current])
        postings, _ = index.postings()
        assert ({1}, set(), 1) == (
            matching(index, "koks", "19"),
            matching(index, "koks", "18"),
            len(postings._text._entry_of),
        )
        assert postings._text._dead * 4 <= len(postings._text._starts)

    def test_text_fields_change(self):
        """Choosing other searched custom fields re-indexes the text."""
        koks = customer(1, custom_fields={"segment": "Mēbeles"})
        index = CustomerIndex([koks])
        assert set() == matching(index, "mebeles")
        index.use_text_fields(("segment",))
        assert {1} == matching(index, "mebeles")
        index.use_text_fields(("segment",))  # the same again: nothing to do
        assert {1} == matching(index, "mebeles")

    def test_private_text(self):
        """Private text is searched on request: each word in the general or the private text."""
        anna = customer(1, name="Anna", notes=(Note("Calls after four", WHEN),))
        bert = customer(2, name="Bert calls", custom_fields={"secret": "Anna"})
        index = CustomerIndex([anna, bert], (), ("secret",))
        assert (set(), {1, 2}, {1}, {2}, {1, 2}, {2}) == (
            matching(index, "four"),
            matching(index, "anna", include_private=True),
            matching(index, "anna", "four", include_private=True),
            matching(index, "bert", "anna", include_private=True),
            matching(index, "calls", include_private=True),
            matching(index, "calls"),
        )

    def test_private_text_follows_changes(self):
        """A changed, deleted or compacted customer's private text goes with it."""
        anna = customer(1, name="Anna", notes=(Note("Peanuts", WHEN),))
        index = CustomerIndex([anna, customer(2, name="Bert")])
        assert {1} == matching(index, "peanuts", include_private=True)
        current = anna
        for round_ in range(10):
            current = attrs.evolve(current, notes=(Note(f"Note {round_}", WHEN),))
            index.replace([current])
        postings, _ = index.postings()
        assert (set(), {1}, 1) == (
            matching(index, "peanuts", include_private=True),
            matching(index, "note", "9", include_private=True),
            len(postings._private._entry_of),
        )
        index.replace([], [anna.id])
        assert set() == matching(index, "note", include_private=True)

    def test_private_fields_change(self):
        """Choosing other private fields re-indexes the private text."""
        koks = customer(1, custom_fields={"allergy": "Rieksti"})
        index = CustomerIndex([koks], ("allergy",))
        assert {1} == matching(index, "rieksti")
        index.use_text_fields((), ("allergy",))
        assert (set(), {1}) == (
            matching(index, "rieksti"),
            matching(index, "rieksti", include_private=True),
        )

    @pytest.mark.parametrize("words", [[], ["nothing"], ["\x1f"], ["ks\x1fko"], ["a", "\x1f"]])
    def test_no_match(self, words):
        """No words, words nowhere, or the separator between texts, match nobody."""
        assert set() == matching(CustomerIndex([customer(1), customer(2)]), *words)


@given(LOOK_ALIKE.filter(str.strip), st.data())
def test_any_part_of_a_name_finds_it(name, data):
    """Whatever a name holds, any part of it typed as a query finds the customer."""
    start = data.draw(st.integers(0, len(name)))
    end = data.draw(st.integers(start, len(name)))
    words = search_words(name[start:end])
    index = CustomerIndex([customer(1, name=name), customer(2, name="-")])
    assert not words or 1 in matching(index, *words)


def test_state_refuses_an_unknown_operation():
    """A journal naming anything but a write cannot call other methods."""
    with pytest.raises(ValueError, match="unknown operation 'get'"):
        StoreState().apply(("get", uuid.uuid4()))
