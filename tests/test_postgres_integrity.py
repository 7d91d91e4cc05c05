"""PostgresStore against hand edits of the columns outside the JSON: book row, tombstones, order.

Each test edits a row with psycopg, as a careless DBA, a bad restore or a script would,
and then uses the store: the first read or transaction that depends on the edited value
is `CorruptStore`, never a number handed out twice, a commit hidden from the change feed
or a silent reorder, and the failed attempt changes nothing stored. What only a scan of
the whole book can find is `PostgresStore.verify`'s.
"""

import uuid

import attrs
import pytest

from debitor_core import CorruptStore, CustomerBook, StorageError
from debitor_core._category import Category
from debitor_core._fields import CustomFieldDefinition, FieldType
from debitor_core._invoice import Payment
from debitor_core.storage import CustomerQuery, PostgresStore
from debitor_core.storage._postgres import _rows, _schema
from debitor_core.storage._postgres import _verify as _pg_verify
from debitor_core.storage._postgres._rows import RowCodec
from debitor_core.testing import sample_customer, sample_records


def new_book_id():
    return f"t{uuid.uuid4().hex[:20]}"


@pytest.fixture
def store(pg_pool, pg_schema):
    store = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema)
    yield store
    store.close()


@pytest.fixture
def edit(postgres, pg_schema):
    """Run SQL as an administrator would, in the tests' schema; return its rows, if any."""

    def run(sql, *params):
        with postgres.admin() as conn:
            conn.execute(f'SET search_path = "{pg_schema}"')
            cursor = conn.execute(sql, params)
            return cursor.fetchall() if cursor.description else None

    return run


@pytest.fixture
def stored(edit):
    """Every row of a book, in every table, as text: to show that nothing changed."""

    def rows(book_id):
        return {
            table: sorted(
                map(
                    str,
                    edit(f"SELECT t.* FROM {table} t WHERE book_id = %s", book_id),  # noqa: S608 - our own tables
                )
            )
            for table in _schema.TABLES
        }

    return rows


def add(store, *customers):
    with store.transaction() as tx:
        for customer in customers:
            tx.add(customer)


def delete(store, customer_id):
    with store.transaction() as tx:
        tx.delete(customer_id)


def reseal_book(edit, book_id):
    """Give the book's row the checksum of what it holds (a forgery made to match)."""
    row = edit(f"SELECT {_rows.BOOK_COLUMNS} FROM debitor_book WHERE book_id = %s", book_id)[0]  # noqa: S608 - our own columns
    checksum = _rows.book_checksum(book_id, _rows.BookRow(*row[:-1]))
    edit("UPDATE debitor_book SET checksum = %s WHERE book_id = %s", checksum, book_id)


def row_message(store, record, key, detail):
    return (
        f"The {record} row {key} of the book {store.book_id!r} cannot be read: {detail}. The "
        "row was changed outside debitor-core or damaged; it was left as it is. Restore it "
        "from a backup."
    )


def book_message(store):
    return row_message(
        store, "book", repr(store.book_id), "its checksum does not match its columns"
    )


FORM = {"address": {"country": "LV"}}


class TestBookRow:
    def test_a_lowered_last_number_hands_out_no_number_again(self, store, clock, edit, stored):
        """last_number lowered under a deleted customer: registering is CorruptStore, not a reuse."""
        book = CustomerBook(store, clock=clock)
        for name in ("Anna Ozola", "Juris Kalns", "Ilze Liepa"):
            book.register({**FORM, "name": name})
        delete(store, store.get_by_number(3).id)
        edit("UPDATE debitor_book SET last_number = 2 WHERE book_id = %s", store.book_id)
        before = stored(store.book_id)
        with pytest.raises(CorruptStore) as info:
            CustomerBook(store, clock=clock).register({**FORM, "name": "Pēteris Egle"})
        assert book_message(store) == str(info.value)
        assert ("storage.corrupt", "sealed") == (info.value.code, info.value.params["fault"])
        with pytest.raises(CorruptStore, match="its checksum does not match its columns"):
            store.last_number()
        assert before == stored(store.book_id)

    def test_a_last_number_lowered_under_a_stored_customer(self, store, clock, edit, stored):
        """last_number lowered under a live customer: CorruptStore, not AlreadyExists."""
        book = CustomerBook(store, clock=clock)
        for name in ("Anna Ozola", "Juris Kalns"):
            book.register({**FORM, "name": name})
        edit("UPDATE debitor_book SET last_number = 1 WHERE book_id = %s", store.book_id)
        before = stored(store.book_id)
        with pytest.raises(CorruptStore, match="its checksum does not match its columns"):
            CustomerBook(store, clock=clock).register({**FORM, "name": "Pēteris Egle"})
        assert before == stored(store.book_id)

    def test_a_revision_moved_back_hides_no_commit(self, store, pg_pool, pg_schema, edit, stored):
        """A revision moved back: the feed, revision() and a transaction all refuse it."""
        for number in (1, 2, 3):
            add(store, sample_customer(number))
        reader = PostgresStore(pg_pool, book_id=store.book_id, schema=pg_schema)
        assert 3 == reader.revision()
        edit("UPDATE debitor_book SET revision = 1 WHERE book_id = %s", store.book_id)
        before = stored(store.book_id)
        for use in (
            lambda: reader.changes_since(1),
            lambda: reader.changes_since(3),
            reader.revision,
            reader.store_id,
            lambda: add(store, sample_customer(4)),
            lambda: reader.wait_for_change(3, 0.001),
        ):
            with pytest.raises(CorruptStore) as info:
                use()
            assert book_message(store) == str(info.value)
        assert before == stored(store.book_id)

    @pytest.mark.parametrize(
        "change",
        [
            "store_id = gen_random_uuid()",
            "revision = revision + 1",
            "last_number = last_number + 1",
            "categories_revision = 0",
            "custom_fields_revision = 1",
            "feed_horizon = 1",
            "fold_version = NULL",
            "unicode_version = '15.0.0'",
            "checksum = checksum + 1",
        ],
    )
    def test_every_column_is_covered(self, store, edit, change):
        """An edit of any column of the book's row (its checksum too) is CorruptStore."""
        with store.transaction() as tx:
            tx.add(sample_customer(1))
            tx.put_category(Category(uuid.uuid4(), "W"))
        edit(f"UPDATE debitor_book SET {change} WHERE book_id = %s", store.book_id)  # noqa: S608 - the test's own SQL
        with pytest.raises(CorruptStore, match="its checksum does not match its columns"):
            store.revision()

    def test_another_books_row_does_not_fit(self, store, pg_pool, pg_schema, edit):
        """The checksum covers the book id: a row copied from another book is refused."""
        other = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema)
        edit(
            "UPDATE debitor_book b SET store_id = o.store_id, checksum = o.checksum "
            "FROM debitor_book o WHERE b.book_id = %s AND o.book_id = %s",
            store.book_id,
            other.book_id,
        )
        with pytest.raises(CorruptStore, match="its checksum does not match its columns"):
            store.store_id()

    def test_the_message_is_translated(self, store, edit):
        """The new phrase and the row's name come in the reader's language."""
        edit("UPDATE debitor_book SET revision = 7 WHERE book_id = %s", store.book_id)
        with pytest.raises(CorruptStore) as info:
            store.revision()
        for language in ("de", "lv"):
            said = info.value.message_in(language)
            assert "checksum does not match" not in said
            assert "book row" not in said
            assert store.book_id in said


class TestTombstones:
    @pytest.fixture
    def deleted(self, store):
        """Customers 1 and 2 (revision 1), 1 deleted (2), customer 3 added (3)."""
        gone, kept = sample_customer(1), sample_customer(2)
        add(store, gone, kept)
        delete(store, gone.id)
        add(store, sample_customer(3))
        return store, gone, kept

    def test_a_moved_deleted_revision_is_refused_by_the_feed(self, deleted, edit):
        """A tombstone whose revision was moved (within what a reader asks) is CorruptStore."""
        store, gone, _ = deleted
        edit(
            "UPDATE debitor_customer_deleted SET deleted_revision = 3 WHERE book_id = %s",
            store.book_id,
        )
        with pytest.raises(CorruptStore) as info:
            store.changes_since(1)
        detail = "its checksum does not match its columns"
        assert row_message(store, "deleted-customer", gone.id, detail) == str(info.value)

    def test_an_id_pointed_elsewhere(self, deleted, edit):
        """A tombstone whose id was edited is CorruptStore at the feed read that finds it."""
        store, _, _ = deleted
        edit(
            "UPDATE debitor_customer_deleted SET id = gen_random_uuid() WHERE book_id = %s",
            store.book_id,
        )
        with pytest.raises(CorruptStore, match=r"deleted-customer row .* its checksum"):
            store.changes_since(1)

    def test_a_lowered_deleted_revision_is_found_by_verify(self, deleted, edit):
        """Lowered below what a reader asks from, a tombstone hides: verify() finds it."""
        store, gone, _ = deleted
        edit(
            "UPDATE debitor_customer_deleted SET deleted_revision = 1 WHERE book_id = %s",
            store.book_id,
        )
        # The feed reads only the tombstones after the revision asked for (see the docs).
        assert () == store.changes_since(2).deleted
        with pytest.raises(CorruptStore) as info:
            store.verify()
        detail = "its checksum does not match its columns"
        assert row_message(store, "deleted-customer", gone.id, detail) == str(info.value)
        with pytest.raises(CorruptStore, match="deleted-customer row"):
            store.changes_since(0)

    def test_an_id_pointed_at_a_live_customer_is_found_by_verify(self, deleted, edit):
        """A tombstone moved onto a live customer is left out of the feed; verify() finds it."""
        store, _, kept = deleted
        edit(
            "UPDATE debitor_customer_deleted SET id = %s WHERE book_id = %s", kept.id, store.book_id
        )
        with pytest.raises(CorruptStore, match=f"deleted-customer row {kept.id} "):
            store.verify()

    def test_a_deleted_customer_added_again_and_deleted_again(self, store):
        """A tombstone written over (ON CONFLICT) gets the new revision's checksum."""
        customer = sample_customer(1)
        add(store, customer)
        delete(store, customer.id)
        add(store, customer)
        delete(store, customer.id)
        assert (customer.id,) == store.changes_since(3).deleted
        store.verify()


def _category(name):
    return Category(uuid.uuid4(), name)


def _field(key):
    return CustomFieldDefinition(key, key.title(), FieldType.TEXT)


ORDERED_READS = {
    "debitor_category": lambda store: store.categories(),
    "debitor_custom_field": lambda store: store.custom_fields(),
    "debitor_record": lambda store: store.records(Payment),
}
"""A read in the order added, of each table with order columns."""


class TestOrder:
    @pytest.fixture
    def placed(self, store):
        """Two categories, two custom fields and two payments, each pair added in one commit."""
        customer = sample_customer(1)
        invoice = sample_records(customer)[0]
        payment = next(r for r in sample_records(customer) if isinstance(r, Payment))
        payments = (payment, attrs.evolve(payment, id=uuid.uuid4()))
        add(store, customer)
        with store.transaction() as tx:
            tx.put_category(_category("Wholesalers"))
            tx.put_category(_category("Retailers"))
            tx.put_custom_field(_field("tier"))
            tx.put_custom_field(_field("region"))
            tx.put_record(invoice, expected_version=None)
            tx.add_records(payments)
        return store, invoice

    @pytest.mark.parametrize("table", list(ORDERED_READS))
    @pytest.mark.parametrize(
        "change",
        [
            "added_seq = CASE added_seq WHEN 2 THEN 1 ELSE added_seq + 1 END",
            "added_revision = added_revision - 1",
            "order_checksum = order_checksum + 1",
        ],
    )
    def test_edited_order_columns_are_refused(self, placed, edit, table, change):
        """Order columns edited by hand are CorruptStore at the next ordered read."""
        store, _ = placed
        read = ORDERED_READS[table]
        before = read(store)
        edit(f"UPDATE {table} SET {change} WHERE book_id = %s", store.book_id)  # noqa: S608 - the test's own SQL
        with pytest.raises(CorruptStore) as info:
            read(store)
        assert "order" == info.value.params["fault"]
        assert str(info.value).endswith(
            "cannot be read: its order columns (added_revision, added_seq) do not match their "
            "checksum. The row was changed outside debitor-core or damaged; it was left as it "
            "is. Restore it from a backup."
        )
        with pytest.raises(CorruptStore, match="its order columns"):
            store.verify()
        assert 2 == len(before)

    def test_the_feed_refuses_a_reordered_record(self, placed, edit):
        """The change feed reads records in the order added: a reordered one is refused."""
        store, _ = placed
        edit(
            "UPDATE debitor_record SET added_seq = added_seq + 10 WHERE book_id = %s", store.book_id
        )
        with pytest.raises(CorruptStore, match="its order columns"):
            store.changes_since(1)

    def test_updates_keep_their_place_and_checksum(self, placed):
        """Replacing a category, field or record keeps its place and a checksum that matches."""
        store, invoice = placed
        first, second = store.categories()
        tier, region = store.custom_fields()
        with store.transaction() as tx:
            tx.put_category(attrs.evolve(first, name="Big wholesalers"))
            tx.put_custom_field(attrs.evolve(tier, label="Level"))
            tx.put_record(attrs.evolve(invoice, version=2), expected_version=invoice.version)
        assert ["Big wholesalers", second.name] == [c.name for c in store.categories()]
        assert ["Level", region.label] == [f.label for f in store.custom_fields()]
        store.verify()


class TestChangedRevision:
    """``changed_revision``, which the change feed reads by, is sealed (``changed_checksum``)."""

    @pytest.fixture
    def changed(self, store):
        """A book at revision 3: customers 1, 2 and an invoice at 1, 3 at 2, 2 changed at 3."""
        first, second = sample_customer(1), sample_customer(2)
        invoice = sample_records(first)[0]
        with store.transaction() as tx:
            tx.add(first)
            tx.add(second)
            tx.put_record(invoice, expected_version=None)
        add(store, sample_customer(3))
        with store.transaction() as tx:
            tx.update(attrs.evolve(second, name="Anna Ozola", version=2), expected_version=1)
        assert 3 == store.revision()
        return store, second, invoice

    def test_a_lowered_customer_revision_is_refused_by_every_read(self, changed, edit, stored):
        """Lowered, the change is hidden from the feed: get, search, a page and verify refuse it."""
        store, second, _ = changed
        edit(
            "UPDATE debitor_customer SET changed_revision = 1 WHERE book_id = %s AND number = 2",
            store.book_id,
        )
        before = stored(store.book_id)
        assert () == tuple(store.changes_since(2).customers)  # the feed cannot see it
        for read in (
            lambda: store.get(second.id),
            lambda: store.get_by_number(2),
            store.customers,
            lambda: store.search_customers(CustomerQuery(text="ozola")),
            store.verify,
        ):
            with pytest.raises(CorruptStore) as info:
                read()
            assert ("storage.corrupt", "changed") == (info.value.code, info.value.params["fault"])
        detail = (
            "its changed_revision does not match its checksum, so a change could be hidden "
            "from the change feed"
        )
        assert row_message(store, "customer", str(second.id), detail) == str(info.value)
        assert "changed_revision" in info.value.message_in("de")
        assert "hidden" not in info.value.message_in("lv")
        assert before == stored(store.book_id)

    @pytest.mark.parametrize("revision", [5, 2**62])
    def test_a_raised_customer_revision_is_refused_by_the_feed(
        self, changed, edit, stored, revision
    ):
        """Raised past the book's revision, every feed read would return it: it is refused."""
        store, _, _ = changed
        edit(
            "UPDATE debitor_customer SET changed_revision = %s WHERE book_id = %s AND number = 1",
            revision,
            store.book_id,
        )
        before = stored(store.book_id)
        for read in (lambda: store.changes_since(2), store.verify, lambda: store.get_by_number(1)):
            with pytest.raises(CorruptStore, match="its changed_revision does not match"):
                read()
        assert before == stored(store.book_id)

    @pytest.mark.parametrize("change", ["changed_revision = 0", "changed_revision = 9"])
    def test_an_edited_record_revision_is_refused(self, changed, edit, stored, change):
        """A record's changed_revision lowered or raised: its reads, the feed and verify refuse it."""
        store, _, invoice = changed
        edit(f"UPDATE debitor_record SET {change} WHERE book_id = %s", store.book_id)  # noqa: S608 - the test's own SQL
        before = stored(store.book_id)
        reads = [
            lambda: store.records(type(invoice)),
            lambda: store.record(type(invoice), invoice.key),
            store.verify,
        ]
        if change.endswith("9"):
            reads.append(lambda: store.changes_since(2))
        for read in reads:
            with pytest.raises(CorruptStore) as info:
                read()
            assert "changed" == info.value.params["fault"]
        assert before == stored(store.book_id)

    def test_a_checksum_of_another_row_does_not_fit(self, changed, edit):
        """Customer 1's revision and checksum copied onto customer 2: the key is covered."""
        store, _, _ = changed
        edit(
            "UPDATE debitor_customer c SET changed_revision = o.changed_revision, "
            "changed_checksum = o.changed_checksum FROM debitor_customer o "
            "WHERE c.book_id = %s AND o.book_id = c.book_id AND c.number = 2 AND o.number = 1",
            store.book_id,
        )
        with pytest.raises(CorruptStore, match="its changed_revision does not match"):
            store.get_by_number(2)

    def test_a_forged_revision_past_the_book_is_found_by_verify(self, changed, edit):
        """Raised past the book with its checksum made to match: verify() compares it with the book."""
        store, second, _ = changed
        sealed = _rows.changed_checksum(store.book_id, ("customer", second.id), 7)
        edit(
            "UPDATE debitor_customer SET changed_revision = 7, changed_checksum = %s "
            "WHERE book_id = %s AND number = 2",
            sealed,
            store.book_id,
        )
        assert "Anna Ozola" == store.get_by_number(2).name  # the row itself reads
        with pytest.raises(CorruptStore) as info:
            store.verify()
        detail = "its revision is 3, but the book's rows go up to 7, so it was moved back"
        assert row_message(store, "book", repr(store.book_id), detail) == str(info.value)

    def test_every_write_seals_the_revision_it_writes(self, store, edit):
        """add, update, put_record, add_many and add_records write the checksum of their revision."""
        customers = [sample_customer(n) for n in (1, 2, 3)]
        records = sample_records(customers[0])
        add(store, customers[0])
        with store.transaction() as tx:
            tx.add_many(customers[1:])
            tx.add_records(records[1:])
        with store.transaction() as tx:
            tx.update(attrs.evolve(customers[0], version=2), expected_version=1)
            tx.put_record(records[0], expected_version=None)
        with store.transaction() as tx:
            tx.put_record(attrs.evolve(records[0], version=2), expected_version=1)
        rows = edit(
            "SELECT 'customer', id::text, '', changed_revision, changed_checksum "
            "FROM debitor_customer WHERE book_id = %s UNION ALL "
            "SELECT 'record', kind, key, changed_revision, changed_checksum "
            "FROM debitor_record WHERE book_id = %s",
            store.book_id,
            store.book_id,
        )
        assert len(rows) == 3 + len(records)
        for table, first, second, revision, sealed in rows:
            key = (table, first) if table == "customer" else (table, first, second)
            assert _rows.changed_checksum(store.book_id, key, revision) == sealed
        revisions = {(t, a): r for t, a, _, r, _ in rows if t == "customer"}
        assert [3, 2, 2] == [revisions["customer", str(c.id)] for c in customers]
        store.verify()

    @pytest.mark.parametrize(
        ("book_id", "key", "revision"),
        [
            ("b", "3f2a", 1),
            ("shop-1", str(uuid.UUID(int=0)), 2**63 - 1),
            ("x", "Rīga\tā\x00\U0001f600", 0),
            ("x", "\udc80", 7),  # a lone surrogate, as row_checksum writes it
            ("", "", 10),
        ],
    )
    def test_the_import_sealer_is_the_checksum(self, book_id, key, revision):
        """`changed_sealer` (COPY's hot path) makes exactly `changed_checksum`."""
        seal = _rows.changed_sealer(book_id, "customer", revision)
        assert _rows.changed_checksum(book_id, ("customer", key), revision) == seal(key)
        assert _rows.changed_checksum(book_id, ("customer", key), revision + 1) != seal(key)


class TestVerify:
    def test_a_sound_book_passes(self, pg_pool, pg_schema):
        """Every kind of row, a pruned tombstone (the horizon moved), in a transaction too."""
        store = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema, feed_retention=1)
        customers = [sample_customer(n) for n in (1, 2, 3)]
        add(store, *customers)
        with store.transaction() as tx:
            tx.put_category(_category("W"))
            tx.put_custom_field(_field("tier"))
            for record in sample_records(customers[0]):
                tx.put_record(record, expected_version=None)
        delete(store, customers[1].id)
        add(store, sample_customer(4))
        add(store, sample_customer(5))
        assert store.changes_since(2) is None  # pruned: the horizon moved on
        store.verify()
        with store.transaction() as tx:
            tx.add(sample_customer(6))
            store.verify()
        store.verify()

    @pytest.mark.parametrize(
        ("damage", "found"),
        [
            (
                (
                    "UPDATE debitor_customer SET data = replace(data, 'Ko', 'Xo') "
                    "WHERE book_id = %s AND number = 2"
                ),
                "The customer row .* its checksum does not match its data",
            ),
            (
                "UPDATE debitor_category SET checksum = checksum + 1 WHERE book_id = %s",
                "The category row .* its checksum does not match its data",
            ),
            (
                "UPDATE debitor_record SET added_seq = 99 WHERE book_id = %s AND kind = 'invoice'",
                "The invoice row .* its order columns",
            ),
            (
                "UPDATE debitor_custom_field SET data = '{}' WHERE book_id = %s",
                "The custom-field row .* its checksum does not match its data",
            ),
        ],
    )
    def test_finds_a_damaged_row_no_read_has_read(self, store, edit, damage, found):
        """Damage in any table is found by verify(), before any read touches it."""
        customer = sample_customer(1)
        add(store, customer, sample_customer(2))
        with store.transaction() as tx:
            tx.put_category(_category("W"))
            tx.put_custom_field(_field("tier"))
            tx.put_record(sample_records(customer)[0], expected_version=None)
        edit(damage, store.book_id)
        with pytest.raises(CorruptStore, match=found):
            store.verify()

    def test_reads_the_book_in_batches_to_its_last_row(self, store, edit, monkeypatch):
        """verify() reads from a cursor on the server, a batch at a time: every batch is checked.

        With batches of two rows, damage in the last customer (the fourth batch) is found.
        """
        monkeypatch.setattr(_pg_verify, "_VERIFY_BATCH", 2)
        add(store, *(sample_customer(n) for n in range(1, 8)))
        store.verify()
        edit(
            "UPDATE debitor_customer SET checksum = checksum + 1 WHERE book_id = %s AND number = 7",
            store.book_id,
        )
        with pytest.raises(CorruptStore, match=r"The customer row .* its checksum"):
            store.verify()

    @pytest.mark.parametrize("column", ["last_number", "revision"])
    def test_a_forged_book_row_behind_its_rows(self, store, edit, column):
        """A book row moved back with its checksum made to match: verify() compares it with the rows."""
        add(store, sample_customer(1))
        add(store, sample_customer(2))
        edit(f"UPDATE debitor_book SET {column} = 1 WHERE book_id = %s", store.book_id)  # noqa: S608 - the test's own SQL
        reseal_book(edit, store.book_id)
        with pytest.raises(CorruptStore) as info:
            store.verify()
        detail = f"its {column} is 1, but the book's rows go up to 2, so it was moved back"
        assert row_message(store, "book", repr(store.book_id), detail) == str(info.value)
        assert "ahead" == info.value.params["fault"]
        assert "moved back" not in info.value.message_in("lv")


class TestMigration:
    def test_a_version_3_schema_is_sealed_with_its_books(
        self, postgres, pg_pool, fresh_schema, monkeypatch
    ):
        """Upgrading from schema 3 checksums every book row, tombstone, place and changed revision."""
        monkeypatch.setattr(_schema, "_SEAL_BATCH", 1)  # one row a batch: the loop runs
        with monkeypatch.context() as patched:
            patched.setattr(_schema, "SCHEMA_VERSION", 3)
            for book_id in ("old", "other"):
                PostgresStore(pg_pool, book_id=book_id, schema=fresh_schema)
        customer, gone = sample_customer(1), sample_customer(2)
        invoice = sample_records(customer)[0]
        wholesalers, retailers = _category("Wholesalers"), _category("Retailers")
        tier = _field("tier")
        codec = RowCodec("the book 'old'")

        def run(sql, *params):
            with postgres.admin() as conn:
                conn.execute(f'SET search_path = "{fresh_schema}"')
                conn.execute(sql, params)

        run(
            "INSERT INTO debitor_customer (book_id, id, number, version, changed_revision, "
            "data, checksum) VALUES ('old', %s, 1, 1, 1, %s, %s)",
            customer.id,
            *codec.dump(customer),
        )
        run("INSERT INTO debitor_customer_deleted VALUES ('old', %s, 2)", gone.id)
        for seq, category in enumerate((wholesalers, retailers), 1):
            run(
                "INSERT INTO debitor_category VALUES ('old', %s, 3, %s, %s, %s)",
                category.id,
                seq,
                *codec.dump(category),
            )
        run(
            "INSERT INTO debitor_custom_field VALUES ('old', 'tier', 3, 3, %s, %s)",
            *codec.dump(tier),
        )
        run(
            "INSERT INTO debitor_record (book_id, kind, key, version, added_revision, added_seq, "
            "changed_revision, data, checksum, customer_id, invoice_id, invoice_number) "
            "VALUES ('old', 'invoice', %s, 1, 1, 2, 1, %s, %s, %s, %s, %s)",
            invoice.key,
            *codec.dump(invoice),
            customer.id,
            invoice.id,
            invoice.number,
        )
        run(
            "UPDATE debitor_book SET revision = 3, last_number = 2, categories_revision = 3, "
            "custom_fields_revision = 3 WHERE book_id = 'old'"
        )
        store = PostgresStore(pg_pool, book_id="old", schema=fresh_schema)
        store.verify()
        assert (3, 2) == (store.revision(), store.last_number())
        assert [wholesalers, retailers] == list(store.categories())
        assert [tier] == list(store.custom_fields())
        changes = store.changes_since(0)
        assert ([customer], (gone.id,), [invoice]) == (
            list(changes.customers),
            changes.deleted,
            list(changes.records),
        )
        other = PostgresStore(pg_pool, book_id="other", schema=fresh_schema)
        other.verify()
        add(store, sample_customer(3))
        assert 4 == store.revision()
        store.verify()
        with postgres.admin() as conn:
            versions = conn.execute(
                f'SELECT version FROM "{fresh_schema}".debitor_schema_version ORDER BY version'  # noqa: S608 - the test's own schema
            ).fetchall()
            nulls = conn.execute(
                "SELECT count(*) FROM information_schema.columns WHERE table_schema = %s "
                "AND column_name IN ('checksum', 'order_checksum', 'changed_checksum') "
                "AND is_nullable = 'YES'",
                (fresh_schema,),
            ).fetchone()
        assert ([(1,), (2,), (3,), (4,)], (0,)) == (versions, nulls)
        for table in ("debitor_customer", "debitor_record"):
            lowered = f"UPDATE {table} SET changed_revision = %s WHERE book_id = 'old' "  # noqa: S608 - the test's own SQL
            run(lowered + "AND changed_revision = 1", 0)
            with pytest.raises(CorruptStore, match="its changed_revision does not match"):
                store.verify()
            run(lowered + "AND changed_revision = 0", 1)
            store.verify()

    def test_a_failing_python_step_rolls_the_migration_back(
        self, postgres, pg_pool, fresh_schema, monkeypatch
    ):
        """A step of Python that fails undoes the migration's statements, as a statement would."""
        PostgresStore(pg_pool, book_id="b", schema=fresh_schema)
        current = _schema.SCHEMA_VERSION

        def failing(cur, names):
            cur.execute(names.sql("SELECT no_such_column FROM {s}debitor_book"))

        monkeypatch.setattr(_schema, "SCHEMA_VERSION", current + 1)
        monkeypatch.setitem(
            _schema.MIGRATIONS,
            current,
            ("ALTER TABLE {s}debitor_book ADD COLUMN extra text", failing),
        )
        with pytest.raises(StorageError, match=f"from version {current} to {current + 1} failed"):
            PostgresStore(pg_pool, book_id="b", schema=fresh_schema)
        with postgres.admin() as conn:
            columns = conn.execute(
                "SELECT count(*) FROM information_schema.columns WHERE table_schema = %s "
                "AND column_name = 'extra'",
                (fresh_schema,),
            ).fetchone()
            version = conn.execute(
                f'SELECT max(version) FROM "{fresh_schema}".debitor_schema_version'  # noqa: S608 - the test's own schema
            ).fetchone()
        assert ((0,), (current,)) == (columns, version)
