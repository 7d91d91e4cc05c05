"""Merges that forward: the merged-away id and number lead to the kept customer."""

from decimal import Decimal

import pytest

from debitor_core import (
    ConcurrencyConflict,
    ConsentChannel,
    CustomerBook,
    Forward,
    HistoryAction,
    InvoiceLine,
    NotFound,
    ValidationError,
)
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


def chain(book):
    """A into B, B into C: returns (a, c as it stands)."""
    a, b, c = three(book)
    book.merge(b.id, a.id)
    return a, book.merge(c.id, b.id)


SHA = "ab" * 32
LINE = InvoiceLine("Table", Decimal(1), Decimal(100))

# Each writing method given a customer id, called through a merged-away id, and what
# the kept customer shows after it.
WRITES = {
    "update": (
        lambda book, key, v: book.update(key, {"email": "a@koks.lv"}, expected_version=v),
        lambda c: c.email == "a@koks.lv",
    ),
    "add_note": (
        lambda book, key, v: book.add_note(key, "Pays late", expected_version=v),
        lambda c: [n.text for n in c.notes] == ["Pays late"],
    ),
    "attach": (
        lambda book, key, v: book.attach(
            key,
            file_name="a.pdf",
            media_type="application/pdf",
            size=3,
            sha256=SHA,
            expected_version=v,
        ),
        lambda c: [a.file_name for a in c.attachments] == ["a.pdf"],
    ),
    "record_consent": (
        lambda book, key, v: book.record_consent(
            key, "email", given=True, source="form", expected_version=v
        ),
        lambda c: c.consent_to(ConsentChannel.EMAIL),
    ),
    "archive": (
        lambda book, key, v: book.archive(key, expected_version=v),
        lambda c: c.archived,
    ),
    "categorise": (
        lambda book, key, v: book.categorise(key, add="Retail", expected_version=v),
        lambda c: len(c.categories) == 1,
    ),
}


class TestWritesForward:
    """Every method that takes a customer id forwards a merged-away id, as get does."""

    @pytest.mark.parametrize("method", sorted(WRITES))
    def test_write_reaches_the_kept_customer(self, book, method):
        """A write through A (merged into B, then C) changes C, at C's version."""
        book.create_category("Retail")
        a, c = chain(book)
        write, shows = WRITES[method]
        written = write(book, a.id, c.version)
        assert (c.id, c.version + 1, True) == (written.id, written.version, shows(written))
        assert written == book.get(c.id)
        assert book.history(c.id)[-1].action is HistoryAction.CHANGED

    @pytest.mark.parametrize("method", sorted(WRITES))
    def test_expected_version_is_the_kept_customers(self, book, method):
        """The merged-away customer's own last version is a conflict, not a match."""
        book.create_category("Retail")
        a, c = chain(book)
        write, _ = WRITES[method]
        with pytest.raises(ConcurrencyConflict):
            write(book, str(a.id), a.version)
        assert c == book.get(c.id)

    def test_restore(self, book):
        """Restore through a merged-away id brings the kept customer back."""
        a, c = chain(book)
        book.archive(c.id)
        assert (False, c.id) == (book.restore(a.id).archived, book.get(c.id).id)

    def test_merge_through_forwarded_ids(self, book):
        """Merging into or from a merged-away id merges the kept customers."""
        a, b, c = three(book)
        d = book.register({**KOKS, "name": "SIA Koks 4"})
        book.merge(b.id, a.id)
        book.merge(d.id, c.id)
        kept = book.merge(a.id, c.id)
        assert (b.id, b.id) == (kept.id, book.get(d.id).id)

    def test_merge_into_itself_through_a_forward(self, book):
        """Merging a customer with an id that forwards to it is refused."""
        a, c = chain(book)
        with pytest.raises(ValidationError) as caught:
            book.merge(c.id, a.id)
        assert ["merge.same"] == [p.code for p in caught.value.problems]

    def test_delete_does_not_follow(self, book):
        """Delete through a merged-away id refuses, naming the kept customer; nothing goes."""
        a, c = chain(book)
        revision = book.revision
        with pytest.raises(NotFound) as caught:
            book.delete(a.id)
        assert ("customer.merged_away", c.number) == (
            caught.value.code,
            caught.value.params["number"],
        )
        assert f"merged into customer {c.number}" in str(caught.value)
        assert (
            f"Klients {a.id} ir apvienots ar klientu {c.number}; lai dzēstu šo klientu, "
            "norādiet tā paša identifikatoru."
        ) == caught.value.message_in("lv")
        assert (c, revision) == (book.get(c.id), book.revision)
        book.delete(c.id)  # by its own id, it goes
        with pytest.raises(NotFound) as caught:
            book.delete(a.id)  # and then the old id forwards nowhere
        assert "customer.not_found" == caught.value.code

    def test_billing(self, book):
        """Invoices issued and read, accounts and consent through a merged-away id."""
        a, c = chain(book)
        invoice = book.issue_invoice(a.id, [LINE])
        assert (c.id, [invoice], c.id) == (
            invoice.customer_id,
            book.invoices(a.id),
            book.account(a.id).customer_id,
        )
        assert book.may_contact(a.id, "email") is False
        book.record_consent(c.id, "email", given=True, source="form")
        assert book.may_contact(a.id, "email") is True

    def test_chain_to_a_deleted_end(self, book):
        """When the kept customer is gone, writes through the old id are NotFound."""
        a, c = chain(book)
        book.delete(c.id)
        for write, _ in WRITES.values():
            with pytest.raises(NotFound):
                write(book, a.id, c.version)
