"""`QueriesContract`: store-side queries answer as the in-memory read model does."""

from __future__ import annotations

import abc
import datetime as dt
import uuid
from typing import Any

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from debitor_core import strategies
from debitor_core._category import Category
from debitor_core._fields import CustomFieldDefinition, FieldType
from debitor_core._invoice import (
    InvoiceLine,
    InvoiceState,
)
from debitor_core._model import (
    Customer,
)
from debitor_core._text import keys_and_text
from debitor_core.storage._protocol import Store
from debitor_core.storage._queries import CustomerQueries, CustomerQuery, HistoryQueries
from debitor_core.testing._samples import (
    _MOMENT,
    sample_customer,
    sample_records,
)

# -- store-side queries -----------------------------------------------------------------

_TRICKY = "aAbBzZsSoO ßæÆœﬁﬂĳ\u0301\u0308\u030a\u0327ēĒņŅšŠüÜøØo\u043e0%_\\\u00ad\u200b"
"""Letters and marks a fold must see through: case, accents typed apart, ligatures,
ß and æ, a Cyrillic o, a soft hyphen and a zero width space; and LIKE's specials."""
_QUERY_JUNK = ("%", "_", "\\", "\x00", "%_\\", "a%", "_b", "ß", "ss", "æ", "ﬁ", "\u0301")


@attrs.frozen
class _Book:
    """A generated book: definitions and customers (numbered 1...)."""

    categories: tuple[Category, ...]
    fields: tuple[CustomFieldDefinition, ...]
    customers: tuple[Customer, ...]


_CITIES = ("Rīga", "RIGA", "riga", "Köln", "Koeln", "Straße", "Ærø")


@st.composite
def _books(draw: Any) -> _Book:  # noqa: ANN401 - Hypothesis's draw
    """Books whose customers share cities, categories, emails and tricky names."""
    categories = tuple(Category(uuid.UUID(int=i + 1), f"Category {i}") for i in range(3))
    fields = (
        CustomFieldDefinition("tier", "Tier"),
        CustomFieldDefinition("secret", "Secret", personal_data=True),
        CustomFieldDefinition("size", "Size", FieldType.INTEGER),
        CustomFieldDefinition("tags", "Tags", FieldType.MULTI_CHOICE, choices=("a", "b", "c")),
    )
    tricky = (
        st.text(alphabet=_TRICKY, min_size=1, max_size=12)
        .map(lambda s: " ".join(s.split()))
        .filter(lambda s: s and s[0].isalpha())
    )
    count = draw(st.integers(0, 12))
    made: list[Customer] = []
    emails: list[str] = []
    for position in range(count):
        customer = draw(strategies.customers())
        values: dict[str, object] = {}
        if draw(st.booleans()):
            values["tier"] = draw(st.one_of(tricky, st.sampled_from(["Gold", "gold", "GOLD"])))
        if draw(st.booleans()):
            values["secret"] = draw(tricky)
        if draw(st.booleans()):
            values["size"] = draw(st.integers(1, 3))
        if draw(st.booleans()):
            values["tags"] = tuple(sorted(draw(st.sets(st.sampled_from("abc"), min_size=1))))
        email = customer.email
        if emails and draw(st.booleans()):
            email = draw(st.sampled_from(emails))  # shared: duplicate evidence
        elif email:
            emails.append(email)
        address = customer.address
        if draw(st.booleans()):
            address = attrs.evolve(address, city=draw(st.sampled_from(_CITIES)))
        customer = attrs.evolve(
            customer,
            id=uuid.UUID(int=1000 + position),
            number=position + 1 + draw(st.integers(0, 2)) * 100,
            name=draw(st.one_of(st.just(customer.name), tricky)),
            email=email,
            address=address,
            categories=tuple(
                sorted(c.id for c in draw(st.sets(st.sampled_from(categories), max_size=2)))
            ),
            custom_fields=values,
        )
        if customer.number not in {c.number for c in made}:
            made.append(customer)
    return _Book(categories, fields, tuple(made))


@st.composite
def _queries(draw: Any, book: _Book) -> CustomerQuery:  # noqa: ANN401
    """Queries about ``book``: pieces of its customers' text, re-cased, and junk."""
    pieces: list[str] = [*_QUERY_JUNK, "a", "ab", "riga", "koln", "strasse", "gold"]
    for customer in book.customers:
        for text in (customer.name, customer.email or "", customer.address.city or ""):
            pieces += text.split()
        for note in customer.notes:
            pieces += note.text.split()[:2]
    piece = st.sampled_from(pieces).flatmap(
        lambda word: st.integers(0, max(len(word) - 1, 0)).flatmap(
            lambda start: st.integers(start + 1, max(len(word), start + 1)).map(
                lambda end: word[start:end]
            )
        )
    )
    recased = st.tuples(piece, st.sampled_from(["", "upper", "title"])).map(
        lambda pair: getattr(pair[0], pair[1])() if pair[1] else pair[0]
    )
    text = draw(st.lists(recased, max_size=3).map(" ".join))
    groups = draw(
        st.lists(
            st.sets(st.sampled_from([c.id for c in book.categories]), max_size=2).map(frozenset),
            max_size=2,
        )
    )
    return CustomerQuery(
        text=text,
        categories=tuple(groups),
        match_all=draw(st.booleans()),
        country=draw(st.one_of(st.none(), st.sampled_from(["LV", "DE", "EE"]))),
        city=draw(st.one_of(st.none(), st.sampled_from([*_CITIES, "Nowhere", "ri\x00ga"]))),
        custom_fields=tuple(
            draw(
                st.lists(
                    st.one_of(
                        st.tuples(st.just("tier"), st.sampled_from(["gold", "Gōld", "x"])),
                        st.tuples(st.just("size"), st.integers(1, 3)),
                        st.tuples(
                            st.just("tags"),
                            st.sets(st.sampled_from("abc")).map(lambda s: tuple(sorted(s))),
                        ),
                    ),
                    max_size=1,
                )
            )
        ),
        archived=draw(st.sampled_from([None, True, False])),
        with_field=draw(st.one_of(st.none(), st.sampled_from(["tier", "secret", "none"]))),
        include_private=draw(st.booleans()),
    )


_LIFE = st.lists(
    st.tuples(
        st.sampled_from(["register", "update", "invoice", "merge", "delete", "erase"]),
        st.integers(0, 7),
        st.integers(0, 7),
    ),
    min_size=1,
    max_size=14,
)
"""Steps of a book's life: each names an action and two customers (by position)."""


class QueriesContract(abc.ABC):
    """Store-side queries (`debitor_core.storage.CustomerQueries`) against the in-memory index.

    Subclass it in a test module (named ``Test...``) and implement `make_store` to return
    an empty store that implements the queries. Hypothesis then fills stores with
    generated books (tricky names and cities: case, accents typed apart, ß, æ,
    ligatures, look-alike letters, invisible characters) and asks both read models the
    same generated queries (pieces of the customers' text, 1-2 letter words, ``%``,
    ``_``, a backslash, NUL): the store's answers must be the in-memory index's, customer for
    customer and in the same order, with the same totals and duplicate evidence::

        from debitor_core.testing import QueriesContract

        class TestMyStoreQueries(QueriesContract):
            def make_store(self):
                return MyStore(...)
    """

    @abc.abstractmethod
    def make_store(self) -> Store:
        """Return a new, empty store that implements `CustomerQueries`."""

    def _filled(self, book: _Book) -> tuple[Store, Any, Any]:
        from debitor_core.book._in_memory import InMemoryReadModel  # noqa: PLC0415
        from debitor_core.book._store_model import StoreReadModel  # noqa: PLC0415
        from debitor_core.book._types import Definitions  # noqa: PLC0415

        store = self.make_store()
        assert isinstance(store, CustomerQueries), f"{store!r} does not implement the queries"
        with store.transaction() as tx:
            for category in book.categories:
                tx.put_category(category)
            for definition in book.fields:
                tx.put_custom_field(definition)
            for customer in book.customers:
                tx.add(customer)
        expected = InMemoryReadModel()
        expected.reload(store, Definitions(store.categories(), store.custom_fields()))
        actual = StoreReadModel(store)
        actual.reload(store, Definitions())
        return store, expected, actual

    @given(data=st.data())
    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    def test_same_answers_as_the_in_memory_index(self, data: Any) -> None:  # noqa: ANN401
        """Searches, counts and duplicate lookups answer as the in-memory index does."""
        book = data.draw(_books(), label="book")
        store, expected, actual = self._filled(book)
        try:
            for _ in range(4):
                query = data.draw(_queries(book), label="query")
                sort = data.draw(st.sampled_from(["number", "name", "created"]))
                descending = data.draw(st.booleans())
                offset = data.draw(st.integers(0, 3))
                limit = data.draw(st.one_of(st.none(), st.integers(0, 4)))
                page = {"sort": sort, "descending": descending, "offset": offset, "limit": limit}
                want = expected.search(query, **page)
                got = actual.search(query, **page)
                assert [c.number for c in want] == [c.number for c in got], (query, page)
                assert want.total == got.total, query
                assert expected.count(query) == actual.count(query), query
            if book.customers:
                probe = data.draw(st.sampled_from(book.customers))
                keys = keys_and_text(probe).keys
                assert _evidence(expected.duplicates(keys)) == _evidence(actual.duplicates(keys))
        finally:
            store.close()

    def test_records(self) -> None:
        """Invoices, payments, deliveries and reminders answer as in memory."""
        from debitor_core._model import Customer as _Customer  # noqa: PLC0415

        customers = [sample_customer(n, notes=()) for n in (1, 2)]
        first = sample_records(customers[0])
        second = sample_records(customers[1])
        sent = attrs.evolve(first[0], state=InvoiceState.SENT, number=2)
        other = attrs.evolve(second[0], number=3, welcome=False)
        book = _Book((), (), tuple(customers))
        store, expected, actual = self._filled(book)
        try:
            with store.transaction() as tx:
                tx.put_record(sent, expected_version=None)
                tx.put_record(other, expected_version=None)
                for record in (*first[1:], *second[1:]):
                    tx.put_record(record, expected_version=None)
            expected.reload(store, _definitions(store))
            actual.reload(store, _definitions(store))
            today = dt.date(2027, 1, 31)
            for model in (expected, actual):
                assert isinstance(model.get(customers[0].id), _Customer)
            for name, args in [
                ("invoices", ()),
                ("invoices", (customers[0].id,)),
                ("invoice", (sent.id,)),
                ("invoice", (uuid.uuid4(),)),
                ("last_invoice_number", ()),
                ("paid", (sent.id,)),
                ("has_welcome", (customers[1].id,)),
                ("has_welcome", (uuid.uuid4(),)),
                ("pending_deliveries", ()),
                ("pending_deliveries", (_MOMENT - dt.timedelta(days=1),)),
                ("due_reminders", (today, (-3, 0, 7, 30))),
                ("due_reminders", (today, ())),
                ("account", (customers[0].id, today)),
                ("account_totals", (CustomerQuery(archived=None), today)),
                ("account_totals", (CustomerQuery(text="nobody"), today)),
            ]:
                assert getattr(expected, name)(*args) == getattr(actual, name)(*args), name
        finally:
            store.close()

    @given(steps=_LIFE)
    @settings(
        max_examples=25,
        deadline=None,
        # every query store's test class runs this one method (each on its own store)
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors],
    )
    def test_history_lookups(self, steps: list[tuple[str, int, int]]) -> None:
        """History, forwards of merges, erasures and records about customers answer as in memory.

        On generated lives of a book (merges and chains of them, deletions, erasures),
        and, when the store has `HistoryQueries`, each of its lookups answers as a read
        of every record of the kind (`ScannedHistory`).
        """
        from debitor_core.book._facade import CustomerBook  # noqa: PLC0415
        from debitor_core.book._in_memory import InMemoryReadModel  # noqa: PLC0415
        from debitor_core.book._store_model import ScannedHistory, StoreReadModel  # noqa: PLC0415

        store = self.make_store()
        assert isinstance(store, CustomerQueries), f"{store!r} does not implement the queries"
        try:
            moment = iter(range(10_000))
            clock = lambda: _MOMENT + dt.timedelta(seconds=next(moment))  # noqa: E731
            ids = _live(CustomerBook(store, clock=clock), steps)
            expected = InMemoryReadModel()
            expected.reload(store, _definitions(store))
            actual = StoreReadModel(store)
            actual.reload(store, _definitions(store))
            unknown = uuid.UUID(int=7)
            for key in [*ids, unknown]:
                assert expected.history(key) == actual.history(key)
                assert expected.merged_into(key) == actual.merged_into(key)
                assert sorted(expected.merged_from(key)) == sorted(actual.merged_from(key))
                assert expected.records_about([key]) == actual.records_about([key])
            assert expected.records_about(ids) == actual.records_about(ids)
            assert expected.records_about([]) == actual.records_about([])
            assert expected.erasures() == actual.erasures()
            for number in [*range(len(ids) + 2), True, -1, 2**80, "1", None, 1.0]:
                assert expected.merged_number(number) == actual.merged_number(number), number
            if isinstance(store, HistoryQueries):
                scanned = ScannedHistory(store)
                for key in [*ids, unknown]:
                    assert list(scanned.history_of(key)) == list(store.history_of(key))
                    assert list(scanned.forwards_to(key)) == list(store.forwards_to(key))
                for number in range(len(ids) + 2):
                    want = scanned.forwards_numbered(number)
                    assert list(want) == list(store.forwards_numbered(number))
                assert scanned.records_about(ids) == list(store.records_about(ids))
        finally:
            store.close()


def _live(book: Any, steps: list[tuple[str, int, int]]) -> list[uuid.UUID]:  # noqa: ANN401
    """Run ``steps`` on ``book``; return the id of every customer it registered.

    Registrations (the first always), edits, invoices with a payment, merges (so also
    chains of them), deletions and erasures (of live, merged-away and deleted
    customers); a step the book refuses (a customer in use, one gone) is skipped.
    """
    from debitor_core._errors import DebitorError  # noqa: PLC0415

    ids: list[uuid.UUID] = []
    for action, first, second in [("register", 0, 0), *steps]:
        if action == "register" or not ids:
            name = f"Customer {len(ids) + 1}"
            form = {"name": name, "address": {"country": "LV"}}
            ids.append(book.register(form, author="contract").id)
            continue
        one, other = ids[first % len(ids)], ids[second % len(ids)]
        try:
            if action == "update":
                current = book.get(one)
                changes = {"email": f"c{current.version}.{current.number}@example.com"}
                book.update(current.id, changes, expected_version=current.version)
            elif action == "invoice":
                invoice = book.issue_invoice(one, [InvoiceLine("Chair", 1, 10)])
                book.record_payment(invoice.id, 4, date=invoice.issue_date)
            elif action == "merge":
                book.merge(other, one, author="contract")
            elif action == "delete":
                book.delete(one)
            else:
                book.erase(one, reason="asked")
        except DebitorError:
            continue
    return ids


def _definitions(store: Store) -> Any:  # noqa: ANN401 - the book's Definitions
    from debitor_core.book._types import Definitions  # noqa: PLC0415

    return Definitions(store.categories(), store.custom_fields())


def _evidence(matches: Any) -> list[tuple[int, tuple[str, ...]]]:  # noqa: ANN401
    return [(m.customer.number, m.evidence) for m in matches]
