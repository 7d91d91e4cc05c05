"""Merges that forward: the merged-away id and number lead to the kept customer."""

import pytest

from debitor_core import CustomerBook, Forward, HistoryAction, NotFound
from debitor_core._integrity import structural_problems
from debitor_core.storage import JsonFileStore, PostgresStore, SqliteStore

KOKS = {"name": "SIA Koks", "address": {"country": "LV"}}


def three(book):
    return [book.register({**KOKS, "name": f"SIA Koks {n}"}) for n in (1, 2, 3)]


class TestForwarding:
    def test_id_and_number(self, book):
        """Get and get_by_number of the duplicate return the kept customer."""
        keep, duplicate, _ = three(book)
        kept = book.merge(keep.id, duplicate.id)
        assert (kept, kept, kept, kept) == (
            book.get(duplicate.id),
            book.get(str(duplicate.id)),
            book.get_by_number(duplicate.number),
            book.view().get_by_number(duplicate.number),
        )

    def test_chains(self, book):
        """A into B, then B into C: A's id and number lead to C."""
        a, b, c = three(book)
        book.merge(b.id, a.id)
        c_now = book.merge(c.id, b.id)
        assert [c_now] * 4 == [
            book.get(a.id),
            book.get(b.id),
            book.get_by_number(a.number),
            book.get_by_number(b.number),
        ]

    def test_search_never_shows_the_merged_away(self, book):
        """Searches and counts list only the kept customer."""
        keep, duplicate, other = three(book)
        book.merge(keep.id, duplicate.id)
        assert ([keep.number, other.number], 2) == (
            [c.number for c in book.search("koks", archived=None)],
            len(book),
        )

    def test_history_shows_the_merge(self, book):
        """The merged-away id's own history ends with the merge."""
        keep, duplicate, _ = three(book)
        book.merge(keep.id, duplicate.id, author="anna")
        assert (HistoryAction.MERGED, keep.id, "anna") == (
            book.history(duplicate.id)[-1].action,
            book.history(duplicate.id)[-1].other,
            book.history(duplicate.id)[-1].author,
        )

    def test_kept_customer_deleted(self, book):
        """When the end of the chain is deleted, the old id is NotFound."""
        keep, duplicate, _ = three(book)
        book.merge(keep.id, duplicate.id)
        book.delete(keep.id)
        with pytest.raises(NotFound):
            book.get(duplicate.id)
        with pytest.raises(NotFound):
            book.get_by_number(duplicate.number)

    def test_unknown_still_not_found(self, book):
        """Ids and numbers never used are NotFound, as before."""
        three(book)
        for lookup in (lambda: book.get("nope"), lambda: book.get_by_number(99)):
            with pytest.raises(NotFound):
                lookup()
        assert None is book._uow.model.merged_number([1])

    def test_cycle_in_damaged_records_ends(self, book):
        """Forwards that loop (damage) end in NotFound, not a hang."""
        a, b, _ = three(book)
        with book._uow.transaction() as tx:
            tx.delete(a.id)
            tx.delete(b.id)
            tx.put_record(Forward(a.id, a.number, b.id, a.updated), expected_version=None)
            tx.put_record(Forward(b.id, b.number, a.id, a.updated), expected_version=None)
        with pytest.raises(NotFound):
            book.get(a.id)

    def test_integrity(self, book):
        """A forward record is checked like any record; one to itself is damage."""
        a = three(book)[0]
        assert [] == structural_problems(Forward(a.id, 1, a.id.__class__(int=1), a.updated))
        assert ["integrity.forward"] == [
            p.code for p in structural_problems(Forward(a.id, 1, a.id, a.updated))
        ]


@pytest.mark.parametrize("kind", ["json", "sqlite"])
def test_survives_reopen(kind, tmp_path, clock):
    """Forwarding is kept by durable stores across a reopen."""
    path = tmp_path / f"book.{kind}"
    opener = {"json": JsonFileStore, "sqlite": SqliteStore}[kind]
    with opener(path) as store:
        book = CustomerBook(store, clock=clock)
        a, b, c = three(book)
        book.merge(b.id, a.id)
        book.merge(c.id, b.id)
    with opener(path) as store:
        book = CustomerBook(store, clock=clock)
        assert (c.id, c.id) == (book.get(a.id).id, book.get_by_number(a.number).id)


def test_survives_reopen_postgres(postgres_url, clock):
    """Forwarding is kept by PostgreSQL across a reopen."""
    store = PostgresStore.connect(postgres_url, book_id="forwarding")
    book = CustomerBook(store, clock=clock)
    a, b, c = three(book)
    book.merge(b.id, a.id)
    book.merge(c.id, b.id)
    store.close()
    store = PostgresStore.connect(postgres_url, book_id="forwarding")
    try:
        assert c.id == CustomerBook(store, clock=clock).get_by_number(a.number).id
    finally:
        store.close()
