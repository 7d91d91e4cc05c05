"""Attacks on `PostgresTransaction.add_many` fed by a generator that validates as it goes.

The iterator's failure modes are first-class there (issue #12): whatever it raises, the
database does or another connection does while the ``COPY`` is open, nothing of the
import is visible, the right error comes out, and the transaction or the store goes on.
The server comes from tests/postgres_server.py; without one these tests skip.
"""

import datetime as dt
import threading
import uuid

import attrs
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from debitor_core import AlreadyExists, StorageError, StoreLocked, ValidationError, strategies
from debitor_core._integrity import structural_problems
from debitor_core._model import Note
from debitor_core.storage import PostgresStore
from debitor_core.storage._postgres import _schema
from debitor_core.storage._postgres import _transaction as _pg_transaction
from debitor_core.testing import sample_customer
from postgres_server import named_pool

APP = f"debitor-import-{uuid.uuid4().hex[:8]}"
CHUNK = _pg_transaction._COPY_CHUNK
BULK = _pg_transaction._BULK_IMPORT
WAIT_SECONDS = 60
"""How long a test waits for the server to reach a state before it fails (never a pass)."""


@pytest.fixture(scope="module")
def pg_pool(postgres):
    with named_pool(postgres.conninfo, APP, max_size=8) as pool:
        yield pool


def open_store(pool, schema, **options):
    return PostgresStore(pool, book_id=f"t{uuid.uuid4().hex[:20]}", schema=schema, **options)


@pytest.fixture
def store(pg_pool, pg_schema):
    store = open_store(pg_pool, pg_schema)
    yield store
    store.close()


def numbers(store):
    return [customer.number for customer in store.customers()]


def session_settings(tx):
    """The pending list cap and work_mem as the transaction has them now."""
    return tx._cur.execute(
        "SELECT current_setting('gin_pending_list_limit'), current_setting('work_mem')"
    ).fetchone()


def failing(error, after, start=2):
    """Yield ``after`` customers numbered from ``start``, then raise ``error``."""
    yield from (sample_customer(n) for n in range(start, start + after))
    raise error


def wait_for(postgres, query, *params):
    """Poll ``query`` on an admin connection until it returns a row (fail after a minute)."""
    with postgres.admin() as conn:
        for _ in range(WAIT_SECONDS * 20):
            if conn.execute(query, params).fetchone() is not None:
                return
            conn.execute("SELECT pg_sleep(0.05)")
    pytest.fail(f"The server never answered {query!r} with a row.")


class SourceBroke(Exception):
    """An error of the caller's own, unknown to the library."""


CALLERS_ERRORS = [
    SourceBroke("the source broke"),
    KeyError("column"),
    RuntimeError("no more rows"),
    AttributeError("'Row' object has no attribute 'name'"),
    ValidationError.single("name.required", path="name"),
    psycopg.OperationalError("the source database went away"),
]


class TestTheIteratorRaises:
    @pytest.mark.parametrize("after", [0, CHUNK, CHUNK + 1, BULK + CHUNK])
    @pytest.mark.parametrize("error", CALLERS_ERRORS, ids=lambda e: type(e).__name__)
    def test_its_error_comes_out_as_raised_and_nothing_is_stored(self, store, error, after):
        """The caller's error, even a psycopg one of another database: undone, the tx goes on.

        The error is the caller's (their source or their validation broke), so it comes
        out unchanged rather than as a StorageError saying this book's database failed.
        """
        with store.transaction() as tx:
            tx.add(sample_customer(1))
            before = session_settings(tx)
            with pytest.raises(type(error)) as info:
                tx.add_many(failing(error, after))
            assert info.value is error
            assert before == session_settings(tx)
            assert 2 == tx.add_many(sample_customer(n) for n in (5000, 5001))
            tx.add(sample_customer(9))
            assert before == session_settings(tx)
        assert ([1, 9, 5000, 5001], 1) == (numbers(store), store.revision())

    def test_keyboard_interrupt_rolls_the_transaction_back(self, store):
        """Ctrl-C in the iterator: it goes through, nothing is stored, the store works after."""

        def interrupted():
            with store.transaction() as tx:
                tx.add(sample_customer(1))
                tx.add_many(failing(KeyboardInterrupt(), BULK + CHUNK))

        with pytest.raises(KeyboardInterrupt):
            interrupted()
        assert ([], 0) == (numbers(store), store.revision())
        with store.transaction() as tx:
            assert 2 == tx.add_many(iter([sample_customer(1), sample_customer(2)]))
        assert [1, 2] == numbers(store)

    def test_an_empty_iterator_puts_the_settings_back(self, store):
        """An iterator that yields nothing raises the cap for its COPY and puts it back."""
        with store.transaction() as tx:
            tx._cur.execute("SET LOCAL work_mem = '5MB'")
            assert 0 == tx.add_many(iter([]))
            assert ("256kB", "5MB") == session_settings(tx)
        assert 0 == store.revision()

    def test_the_indexes_keep_no_option_of_their_own(self, store, pg_schema):
        """A failed import leaves no per-index cap (the indexes' reloptions stay empty)."""
        with store.transaction() as tx:
            with pytest.raises(SourceBroke):
                tx.add_many(failing(SourceBroke(), BULK + 1))
            options = tx._cur.execute(
                "SELECT reloptions FROM pg_class WHERE oid = ANY(%s::regclass[])",
                ([f'"{pg_schema}".{index}' for index in _schema.GIN_INDEXES],),
            ).fetchall()
        assert [(None,)] * len(_schema.GIN_INDEXES) == options

    @pytest.mark.parametrize("junk", [None, {"number": 3}, "customer", 7, sample_customer])
    @pytest.mark.parametrize("after", [0, CHUNK + 1])
    def test_something_other_than_a_customer(self, store, junk, after):
        """A dict, None or a string among the customers: TypeError naming it, nothing stored."""

        def customers():
            yield from (sample_customer(n) for n in range(1, after + 1))
            yield junk

        with store.transaction() as tx:
            with pytest.raises(TypeError) as info:
                tx.add_many(customers())
            tx.add(sample_customer(9000))
        assert f"add_many() takes a Customer, not {type(junk).__name__}." == str(info.value)
        assert [9000] == numbers(store)

    def test_something_that_is_not_iterable(self, store):
        """add_many(None): TypeError before anything is sent, the transaction goes on."""
        with store.transaction() as tx:
            with pytest.raises(TypeError):
                tx.add_many(None)
            tx.add(sample_customer(1))
        assert [1] == numbers(store)


class TestTheIteratorUsesTheStore:
    @pytest.mark.parametrize(
        "use",
        [
            lambda store, _tx: store.count(),
            lambda store, _tx: store.get_by_number(1),
            lambda store, _tx: store.last_number(),
            lambda store, _tx: store.changes_since(0),
            lambda _store, tx: tx.add(sample_customer(7000)),
            lambda _store, tx: tx.add_many([sample_customer(7000)]),
        ],
        ids=["count", "get_by_number", "last_number", "changes_since", "add", "add_many"],
    )
    @pytest.mark.parametrize("after", [1, CHUNK + 1])
    def test_a_clear_error_instead_of_a_hang(self, pg_pool, pg_schema, use, after):
        """Reading or writing the book from inside the COPY: our StorageError, not a deadlock.

        psycopg holds the connection's lock for the whole COPY, so the statement would
        wait for it forever. Run in a thread, so that a hang fails the test.
        """
        store = open_store(pg_pool, pg_schema)
        with store.transaction() as tx:
            tx.add(sample_customer(1))
        outcome = {}

        def customers(tx):
            yield from (sample_customer(n) for n in range(2, 2 + after))
            use(store, tx)
            yield sample_customer(5000)

        def run():
            with store.transaction() as tx:
                with pytest.raises(StorageError) as info:
                    tx.add_many(customers(tx))
                outcome["error"] = info.value
                tx.add(sample_customer(9))

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        thread.join(WAIT_SECONDS)
        assert not thread.is_alive(), "add_many hung"
        error = outcome["error"]
        assert "storage.importing" == error.code
        assert (
            f"The book {store.book_id!r} cannot be used while add_many imports into it in this "
            "thread: the customers given to it used the book. Read what the import needs "
            "before it starts."
        ) == str(error)
        assert ([1, 9], 2) == (numbers(store), store.revision())

    def test_the_store_works_from_another_thread_meanwhile(self, pg_pool, pg_schema):
        """Another thread reads the store (its own connection) while the import is open."""
        store = open_store(pg_pool, pg_schema)
        with store.transaction() as tx:
            tx.add(sample_customer(1))
        seen = []

        def customers():
            yield from (sample_customer(n) for n in range(2, CHUNK + 2))
            reader = threading.Thread(target=lambda: seen.append(store.count()))
            reader.start()
            reader.join(WAIT_SECONDS)
            yield sample_customer(5000)

        with store.transaction() as tx:
            assert CHUNK + 1 == tx.add_many(customers())
        assert [1] == seen
        assert CHUNK + 2 == store.count()


class TestTheDatabaseFails:
    @pytest.mark.parametrize("at", [1, CHUNK + 1, BULK + CHUNK])
    def test_the_backend_terminated_mid_copy(self, postgres, pg_schema, at):
        """Killed while the iterator still yields: connection_lost (not an unknown outcome)."""
        with named_pool(postgres.conninfo, max_size=3) as pool:
            store = open_store(pool, pg_schema)
            with store.transaction() as tx:
                tx.add(sample_customer(1))

            def customers(tx):
                pid = tx._cur.connection.info.backend_pid
                for n in range(2, 2 + at + 2 * CHUNK):
                    if n == 2 + at:
                        terminate(postgres, pid)
                    yield sample_customer(n)

            with pytest.raises(StorageError) as info, store.transaction() as tx:
                tx.add_many(customers(tx))
            assert "storage.connection_lost" == info.value.code
            assert ([1], 1) == (numbers(store), store.revision())
            with store.transaction() as tx:
                tx.add_many(sample_customer(n) for n in (2, 3))
            assert ([1, 2, 3], 2) == (numbers(store), store.revision())

    def test_the_statement_timeout_strikes_mid_copy(self, postgres, pg_pool, pg_schema):
        """statement_timeout during a long COPY: storage.cancelled, the tx refuses, none stored.

        The iterator waits until the COPY has run past the timeout by the server's clock
        (which cancels it when the next rows arrive), so no speed of the machine lets it
        finish in time.
        """
        store = open_store(pg_pool, pg_schema, statement_timeout=1.0)

        def customers(tx):
            pid = tx._cur.connection.info.backend_pid
            yield from (sample_customer(n) for n in range(1, CHUNK + 2))
            wait_for(
                postgres,
                "SELECT 1 FROM pg_stat_activity WHERE pid = %s "
                "AND clock_timestamp() - query_start > interval '1.5 seconds'",
                pid,
            )
            yield from (sample_customer(n) for n in range(CHUNK + 2, BULK + CHUNK))

        errors = {}

        def import_and_go_on():
            with store.transaction() as tx:
                with pytest.raises(StorageError) as errors["import"]:
                    tx.add_many(customers(tx))
                with pytest.raises(StorageError) as errors["after"]:
                    tx.add(sample_customer(9))

        with pytest.raises(StorageError) as rolled_back:
            import_and_go_on()
        info, after = errors["import"], errors["after"]
        assert "storage.cancelled" == info.value.code
        assert "storage.transaction_failed" == after.value.code
        assert "caught" == rolled_back.value.params["rule"]
        assert ([], 0) == (numbers(store), store.revision())

    def test_the_table_is_locked_by_another_session(self, postgres, pg_schema):
        """The customer table locked elsewhere (as VACUUM FULL locks it): StoreLocked, none stored."""
        with named_pool(postgres.conninfo, max_size=3) as pool:
            store = open_store(pool, pg_schema, lock_timeout=0.2)
            pulled = []

            def customers():
                for n in range(1, BULK + 2):
                    pulled.append(n)
                    yield sample_customer(n)

            with postgres.admin() as locker:
                locker.autocommit = False
                locker.execute(f'LOCK TABLE "{pg_schema}".debitor_customer IN SHARE MODE')
                with pytest.raises(StoreLocked) as info, store.transaction() as tx:
                    tx.add_many(customers())
                locker.rollback()
            assert ("storage.locked", [], 0) == (info.value.code, pulled, store.count())
            with store.transaction() as tx:
                assert 1 == tx.add_many(iter([sample_customer(1)]))
            assert [1] == numbers(store)


class TestClashes:
    @pytest.mark.parametrize(
        ("clash", "message"),
        [
            (
                lambda stored, _batch: sample_customer(stored.number),
                "The customer number 1 is already taken.",
            ),
            (
                lambda stored, _batch: sample_customer(9000, id=stored.id),
                "A customer with the id {stored} is already stored.",
            ),
            (
                lambda _stored, batch: sample_customer(batch[2].number),
                "The customer number 4 is given twice.",
            ),
            (
                lambda _stored, batch: sample_customer(9000, id=batch[2].id),
                "The customer id {within} is given twice.",
            ),
        ],
        ids=["stored number", "stored id", "number within", "id within"],
    )
    def test_a_late_clash_names_it_and_stores_nothing(self, store, clash, message):
        """The clash comes after 1,200 rows of a generator: AlreadyExists naming it, none stored."""
        stored = sample_customer(1)
        with store.transaction() as tx:
            tx.add(stored)
        batch = [sample_customer(n) for n in range(2, 1202)]

        def customers():
            yield from batch
            yield clash(stored, batch)

        with store.transaction() as tx:
            before = session_settings(tx)
            with pytest.raises(AlreadyExists) as info:
                tx.add_many(customers())
            assert before == session_settings(tx)
            tx.add(sample_customer(2))
        assert message.format(stored=stored.id, within=batch[2].id) == str(info.value)
        assert ([1, 2], 2) == (numbers(store), store.revision())

    def test_two_connections_import_the_same_numbers(self, postgres, pg_schema):
        """Two imports of the same numbers into one book at once: one wins wholly, never a mix.

        The first holds the book while its iterator waits for the second to queue for
        the book's lock; the second then finds the numbers taken (or, on a very slow
        machine, the lock held too long).
        """
        with (
            named_pool(postgres.conninfo, max_size=3) as first_pool,
            named_pool(postgres.conninfo, max_size=3) as second_pool,
        ):
            first = open_store(first_pool, pg_schema)
            second = PostgresStore(second_pool, book_id=first.book_id, schema=pg_schema)
            batches = {
                name: [sample_customer(n) for n in range(1, BULK + 2)]
                for name in ("first", "second")
            }
            started, outcome = threading.Event(), {}

            def customers():
                yield from batches["first"][:CHUNK]
                started.set()
                wait_for(
                    postgres,
                    "SELECT 1 FROM pg_stat_activity WHERE application_name = %s "
                    "AND wait_event_type = 'Lock'",
                    second_pool.application_name,
                )
                yield from batches["first"][CHUNK:]

            def import_second():
                started.wait(WAIT_SECONDS)
                try:
                    with second.transaction() as tx:
                        tx.add_many(iter(batches["second"]))
                except (AlreadyExists, StoreLocked) as exc:
                    outcome["error"] = exc

            thread = threading.Thread(target=import_second, daemon=True)
            thread.start()
            with first.transaction() as tx:
                tx.add_many(customers())
            thread.join(WAIT_SECONDS)
            assert not thread.is_alive()
            assert isinstance(outcome["error"], (AlreadyExists, StoreLocked))
            assert [c.id for c in batches["first"]] == [c.id for c in first.customers()]
            assert 1 == first.revision()

    @pytest.mark.parametrize(
        ("number", "refused"),
        [
            (True, "A customer number must be an int, not bool."),
            ("7", "A customer number must be an int, not str."),
            (7.0, "A customer number must be an int, not float."),
        ],
    )
    def test_a_number_that_is_no_int_refuses_the_import(self, store, number, refused):
        """After 600 good rows, a bool, text or float number: TypeError, nothing stored."""
        batch = [sample_customer(n) for n in range(2, 602)]
        with store.transaction() as tx:
            with pytest.raises(TypeError) as info:
                tx.add_many([*batch, attrs.evolve(sample_customer(700), number=number)])
            tx.add(sample_customer(1))
        assert (refused, [1], 1) == (str(info.value), numbers(store), store.revision())

    @pytest.mark.parametrize("number", [0, 2**63])
    def test_a_number_out_of_range_refuses_the_import(self, store, number):
        """A number below 1 or above the largest: ValidationError, nothing stored."""
        with store.transaction() as tx, pytest.raises(ValidationError) as info:
            tx.add_many([sample_customer(2), attrs.evolve(sample_customer(3), number=number)])
        assert ("number.range", []) == (info.value.errors[0].code, numbers(store))


HOSTILE = st.lists(
    st.sampled_from(
        [
            "\t",
            "\n",
            "\r",
            "\\",
            "\\N",
            "\\.",
            "\\\\.",
            '"',
            "'",
            "{",
            "}",
            ",",
            "NULL",
            "\u200b",
            "\u200d",
            "\u2060",
            "\ufeff",
            "\u0085",
            "\u2028",
            "\ud800",
            "\udfff",
            "🙂",
            " ",
            "a",
        ]
    )
    | st.characters(blacklist_characters="\0"),
    max_size=40,
).map("".join)


class TestHostileValues:
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(drawn=st.lists(st.tuples(strategies.customers(), HOSTILE), min_size=1, max_size=4))
    def test_hostile_text_from_a_generator_reads_back_exactly(self, pg_pool, pg_schema, drawn):
        """COPY's special characters and invisible ones: back exactly, or all refused.

        Text a stored record may not hold (a tab in a name, a lone surrogate anywhere) is
        a ValidationError for the whole import, with nothing stored.
        """
        store = open_store(pg_pool, pg_schema)
        try:
            customers = [
                attrs.evolve(
                    customer,
                    number=n,
                    name=f"{customer.name}{text}",
                    contact_person=text or None,
                    notes=(Note(text or ".", dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "a"),),
                    custom_fields={**customer.custom_fields, "hostile": text},
                )
                for n, (customer, text) in enumerate(drawn, 1)
            ]
            sound = not any(structural_problems(c) for c in customers)
            with store.transaction() as tx:
                if sound:
                    assert len(customers) == tx.add_many(c for c in customers)
                else:
                    with pytest.raises(ValidationError):
                        tx.add_many(c for c in customers)
            assert (customers if sound else []) == list(store.customers())
        finally:
            store.close()

    def test_a_huge_note_across_a_chunk_boundary(self, store):
        """1 MB of notes full of COPY's special characters, in the row that ends a chunk: back exactly.

        A note holds at most 10,000 characters; a customer may hold many notes.
        """
        text = '\\N\n\\.\n"{},\u00a0🙂' * 750
        at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        huge = sample_customer(CHUNK, notes=tuple(Note(text, at, "a") for _ in range(100)))

        def customers():
            yield from (sample_customer(n) for n in range(1, CHUNK))
            yield huge
            yield from (sample_customer(n) for n in range(CHUNK + 1, BULK + 2))

        with store.transaction() as tx:
            assert BULK + 1 == tx.add_many(customers())
        assert huge == store.get(huge.id)
        assert list(range(1, BULK + 2)) == numbers(store)


def terminate(postgres, pid):
    """Terminate the backend ``pid`` and wait until it is gone."""
    with postgres.admin() as conn:
        conn.execute("SELECT pg_terminate_backend(%s, 10000)", (pid,))
