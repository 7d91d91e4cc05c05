"""PostgresStore's connection: passwords in messages, client encodings, the schema table.

The gaps 1, 5 and 8 of the PostgreSQL audit and its schema-name items. The connect tests
reach no server: their strings name 127.0.0.1 and a port bound by the test but not
listening (refused at once), or cannot be read at all, so no DNS lookup happens.
"""

import contextlib
import io
import socket
import traceback
import urllib.parse
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("psycopg")

from debitor_core import CorruptStore, CustomerBook, StorageError
from debitor_core.storage import PostgresStore
from debitor_core.storage._postgres import _arguments as _pg_arguments
from debitor_core.storage._postgres import _store as _pg_store
from debitor_core.storage._queries import CustomerQuery
from debitor_core.testing import sample_customer
from postgres_server import named_pool

MARK = "Xq7"
"""Between every two characters of a drawn password: any piece of 7 characters holds it."""

ODD = " '\"\\=@:/?#%&+;,\t\n\x00\ud800é€"
"""Characters that upset URLs and key=value strings (quotes, separators, escapes)."""

passwords = st.lists(st.sampled_from(ODD), min_size=1, max_size=6).map(
    lambda chars: MARK + "".join(c + MARK for c in chars)
)


def new_book_id():
    return f"c{uuid.uuid4().hex[:20]}"


@pytest.fixture(scope="module")
def closed_port():
    """A port of 127.0.0.1 that refuses connections (bound, never listening)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        yield probe.getsockname()[1]


def conninfos(password, port):
    """The ways a caller may put ``password`` into a connection string."""
    quoted = password.replace("\\", "\\\\").replace("'", "\\'")
    encoded = urllib.parse.quote(password, safe="", errors="surrogatepass")
    return [
        f"postgresql://app:{password}@127.0.0.1:{port}/test",
        f"postgresql://app:{encoded}@127.0.0.1:{port}/test",
        f"postgresql://app@127.0.0.1:{port}/test?password={password}",
        f"host=127.0.0.1 port={port} dbname=test user=app password={password}",
        f"host=127.0.0.1 port={port} dbname=test user=app password='{quoted}'",
    ]


def assert_hidden(exc, password):
    """Neither the error's text, its params nor its printed traceback hold the password."""
    shown = [str(exc), *map(str, exc.params.values()), "".join(traceback.format_exception(exc))]
    for text in shown:
        assert password not in text
        assert MARK not in text


def assert_no_lookup(conninfo):
    """A string the store would connect with names 127.0.0.1: the test reaches no DNS."""
    params = _pg_arguments.read_conninfo(conninfo)
    assert params is None or "127.0.0.1" == params.get("host")


class TestPasswordsNeverShown:
    @pytest.mark.parametrize(
        ("conninfo", "password"),
        [
            ("postgresql://app:p%zzs3cr3tpw@127.0.0.1/test", "s3cr3tpw"),
            ("host=127.0.0.1 dbname=test password=correct horsebattery", "horsebattery"),
            ("postgresql://app:sec@ret@127.0.0.1/test", "ret"),
            ("postgresql://app:a/b3cr3t@127.0.0.1/test", "b3cr3t"),
        ],
    )
    def test_unreadable_strings(self, conninfo, password):
        """A string libpq reads otherwise than meant is refused with a fixed sentence."""
        with pytest.raises(StorageError) as info:
            PostgresStore.connect(conninfo, book_id="b", connect_timeout=1)
        assert password not in str(info.value)
        assert all(password not in str(value) for value in info.value.params.values())
        assert {"rule": "unreadable"} == info.value.params
        assert str(info.value).startswith(
            "Could not connect to the PostgreSQL server: the connection string could not be read."
        )
        assert info.value.__cause__ is None
        assert info.value.__context__ is None

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(password=passwords)
    def test_any_password_in_any_form(self, closed_port, password):
        """Whatever the password and however it is written, no error repeats any of it."""
        for conninfo in conninfos(password, closed_port):
            assert_no_lookup(conninfo)
            with pytest.raises(StorageError) as info:
                PostgresStore.connect(conninfo, book_id="b", connect_timeout=1)
            assert_hidden(info.value, password)

    def test_a_readable_string_still_names_the_server(self, closed_port):
        """A percent-encoded @ is read as meant: the server is named, the password not."""
        with pytest.raises(StorageError) as info:
            PostgresStore.connect(
                f"postgresql://anna:s3c%40r3t@127.0.0.1:{closed_port}/shop",
                book_id="b",
                connect_timeout=1,
            )
        assert str(info.value).startswith(
            f"Could not connect to the PostgreSQL server anna@127.0.0.1:{closed_port}/shop: "
        )
        assert_hidden(info.value, "s3c@r3t")

    def test_the_password_is_blanked_in_the_servers_reason(self, closed_port, monkeypatch):
        """Should libpq ever repeat the password (or a kwargs one), it becomes ***."""

        def failing(_conninfo, **_kwargs):
            raise _pg_store.psycopg.OperationalError("no: s3cret and k3y went wrong")

        monkeypatch.setattr(_pg_store.psycopg, "connect", failing)
        with pytest.raises(StorageError) as info:
            PostgresStore.connect(
                f"host=127.0.0.1 port={closed_port} password=s3cret",
                book_id="b",
                kwargs={"password": "k3y"},
            )
        assert "no: *** and *** went wrong" == info.value.params["reason"]

    def test_read_conninfo(self):
        """What reads as meant, and what does not."""
        read = _pg_arguments.read_conninfo
        assert "a@b" == read("postgresql://u:a%40b@h/t")["password"]
        assert "a?b" == read("postgresql://u:a?b@h/t")["password"]
        assert {"host": "h"} == read("postgresql://h")
        assert "p" == read("postgresql://h?password=p")["password"]
        assert "a@b" == read("postgresql://h:5432/t?application_name=a%40b")["application_name"]
        for unreadable in (
            "postgresql://u:a%ffb@h/t",
            "host=h password=a\x00b",
            "host=h password=a\ud800b",
            "postgresql://u:a%40b@h/t?password=zz",
            "postgresql://h:5432/t?application_name=a@b",
            b"host=h",
        ):
            assert read(unreadable) is None

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(password=passwords)
    def test_cli_never_prints_the_password(self, closed_port, password, tmp_path_factory):
        """The CLI's message for a book it cannot open holds no piece of the password."""
        from debitor_core.cli import main

        for conninfo in conninfos(password, closed_port)[:3]:
            assert_no_lookup(conninfo)
            out, err = io.StringIO(), io.StringIO()
            with (
                pytest.MonkeyPatch.context() as monkeypatch,
                contextlib.redirect_stdout(out),
                contextlib.redirect_stderr(err),
            ):
                monkeypatch.chdir(tmp_path_factory.mktemp("cli"))
                monkeypatch.delenv("DEBITOR_BOOK", raising=False)
                code = main(["--book", conninfo, "list"])
            assert 3 == code
            assert "Could not connect to the PostgreSQL server" in err.getvalue()
            for text in (out.getvalue(), err.getvalue()):
                assert password not in text
                assert MARK not in text

    def test_cli_names_the_book_without_the_password(self, capsys, monkeypatch, tmp_path):
        """The CLI says which book it cannot open, without the password."""
        from debitor_core.cli import main

        monkeypatch.chdir(tmp_path)
        monkeypatch.delenv("DEBITOR_BOOK", raising=False)
        code = main(["--book", "postgresql://app:p%zzs3cr3tpw@127.0.0.1/test", "list"])
        _, err = capsys.readouterr()
        assert 3 == code
        assert "s3cr3tpw" not in err
        assert "postgresql://app@127.0.0.1/test" in err


class TestDescribe:
    @pytest.mark.parametrize(
        ("location", "expected"),
        [
            ("postgresql://app:s3cret@h:5432/db", "postgresql://app@h:5432/db"),
            ("postgresql://app:sec@ret@h/db", "postgresql://app@h/db"),
            ("postgresql://h/db?password=s3cret", "postgresql://h/db"),
            ("postgresql://h:5432/db?password=s3cret&application_name=a@b", "postgresql://h"),
            ("postgresql://app:s3c?r@t@h/db", "postgresql://app"),
            ("postgresql://app:s3c@r?t@h/db", "postgresql://app"),
            ("postgresql://app:s3c/r@t@h/db", "postgresql://app@h/db"),
            ("postgres://h", "postgres://h"),
            ("book.json", "book.json"),
        ],
    )
    def test_describe(self, location, expected):
        """The CLI's name of a book keeps the user and server, never a password."""
        from debitor_core.cli._store import describe

        assert expected == describe(location)


# -- client encodings -----------------------------------------------------------------------


@pytest.fixture
def latin1_pool(postgres):
    with named_pool(postgres.conninfo, max_size=1, kwargs={"client_encoding": "LATIN1"}) as pool:
        yield pool


class TestClientEncoding:
    def test_a_latin1_pool_stores_and_reads_any_text(self, postgres, latin1_pool, pg_schema):
        """A pool speaking LATIN1 stores, finds and reads names LATIN1 cannot hold."""
        store = PostgresStore(latin1_pool, book_id=new_book_id(), schema=pg_schema)
        customer = sample_customer(1)
        assert not customer.name.isascii()
        with store.transaction() as tx:
            tx.add(customer)
        assert customer == store.get(customer.id)
        assert [customer.id] == [
            c.id for c in store.search_customers(CustomerQuery(text="Ωμέγα 王"))
        ]
        with named_pool(postgres.conninfo) as utf8:
            other = PostgresStore(utf8, book_id=store.book_id, schema=pg_schema)
            second = sample_customer(2)
            with other.transaction() as tx:
                tx.add(second)
            assert customer == other.get(customer.id)
        assert second == store.get(second.id)

    def test_the_connection_is_put_back_as_it_was_lent(self, latin1_pool, pg_schema):
        """The pool's connection speaks LATIN1 again once the store gave it back."""
        store = PostgresStore(latin1_pool, book_id=new_book_id(), schema=pg_schema)
        customer = sample_customer(1)
        with store.transaction() as tx:
            tx.add(customer)
        assert customer == store.get(customer.id)
        with latin1_pool.connection() as conn:
            assert "iso8859-1" == conn.info.encoding
            assert "LATIN1" == conn.execute("SHOW client_encoding").fetchone()[0]

    def test_pgclientencoding(self, postgres, pg_schema, monkeypatch, clock):
        """PGCLIENTENCODING=LATIN1 (the environment's way) works the same."""
        monkeypatch.setenv("PGCLIENTENCODING", "LATIN1")
        with named_pool(postgres.conninfo, max_size=1) as pool:
            with pool.connection() as conn:
                assert "iso8859-1" == conn.info.encoding
            store = PostgresStore(pool, book_id=new_book_id(), schema=pg_schema)
            book = CustomerBook(store, clock=clock)
            form = {"name": "Ērglis Ōmura 北京", "address": {"country": "LV"}}
            registered = book.register(form)
            assert "Ērglis Ōmura 北京" == store.get(registered.id).name

    def test_no_statement_more_for_a_utf8_pool(self, pg_pool, latin1_pool, pg_schema, monkeypatch):
        """A UTF-8 pool's commits and reads send nothing more; a LATIN1 one a SET before and after."""
        import psycopg

        sent = []
        execute = psycopg.Connection.execute

        def spy(conn, query, *args, **kwargs):
            sent.append(query)
            return execute(conn, query, *args, **kwargs)

        def use(pool):
            store = PostgresStore(pool, book_id=new_book_id(), schema=pg_schema)
            sent.clear()
            customer = sample_customer(1)
            with store.transaction() as tx:
                tx.add(customer)
            assert customer == store.get(customer.id)
            return len(sent)

        monkeypatch.setattr(psycopg.Connection, "execute", spy)
        assert 0 == use(pg_pool)
        assert 4 == use(latin1_pool)

    def test_a_failed_transaction_still_puts_the_encoding_back(self, latin1_pool, pg_schema):
        """An error inside a transaction rolls it back; the connection speaks LATIN1 again."""
        store = PostgresStore(latin1_pool, book_id=new_book_id(), schema=pg_schema)

        def failing():
            with store.transaction() as tx:
                tx.add(sample_customer(1))
                raise RuntimeError

        with pytest.raises(RuntimeError):
            failing()
        with latin1_pool.connection() as conn:
            assert "iso8859-1" == conn.info.encoding
        assert 0 == store.count()


# -- the schema table and names -------------------------------------------------------------


def test_emptied_schema_version_table_is_corrupt_store(postgres, pg_pool, fresh_schema):
    """An empty debitor_schema_version beside the tables is CorruptStore; nothing changes."""
    book_id = new_book_id()
    store = PostgresStore(pg_pool, book_id=book_id, schema=fresh_schema)
    with store.transaction() as tx:
        tx.add(sample_customer(1))
    store.close()
    with postgres.admin() as conn:
        conn.execute(f'DELETE FROM "{fresh_schema}".debitor_schema_version')  # noqa: S608 - the test's own schema
        tables = "SELECT count(*) FROM pg_tables WHERE schemaname = %s"
        before = conn.execute(tables, (fresh_schema,)).fetchone()
    with pytest.raises(CorruptStore) as info:
        PostgresStore(pg_pool, book_id=book_id, schema=fresh_schema)
    assert (
        f"The debitor_schema_version table in schema {fresh_schema} is empty, so the version "
        "of debitor-core's tables is unknown. They were left as they are: restore the "
        "database from a backup, or use another schema."
    ) == str(info.value)
    assert {"schema": fresh_schema, "rule": "empty_version"} == info.value.params
    with postgres.admin() as conn:
        assert before == conn.execute(tables, (fresh_schema,)).fetchone()
        versions = f'SELECT count(*) FROM "{fresh_schema}".debitor_schema_version'  # noqa: S608 - the test's own schema
        assert (0,) == conn.execute(versions).fetchone()
        customers = f'SELECT count(*) FROM "{fresh_schema}".debitor_customer'  # noqa: S608 - the test's own schema
        assert (1,) == conn.execute(customers).fetchone()


def test_emptied_schema_version_table_on_the_search_path(postgres, fresh_schema):
    """Without a schema name the sentence names the search path's schema."""
    with postgres.admin() as conn:
        conn.execute(f'CREATE SCHEMA "{fresh_schema}"')
    conninfo = postgres.with_options(options=f"-c search_path={fresh_schema}")
    with named_pool(conninfo, max_size=1) as pool:
        PostgresStore(pool, book_id=new_book_id()).close()
        with postgres.admin() as conn:
            conn.execute(f'DELETE FROM "{fresh_schema}".debitor_schema_version')  # noqa: S608 - the test's own schema
        with pytest.raises(CorruptStore) as info:
            PostgresStore(pool, book_id=new_book_id())
    assert {"schema": "", "rule": "empty_version_search_path"} == info.value.params
    assert "in the search path's schema is empty" in str(info.value)


@pytest.mark.parametrize(
    "schema", ["pg_x", "pg_catalog", "pg_toast", "pg_temp", "information_schema"]
)
def test_postgresql_s_own_schema_names_are_refused(pg_pool, schema):
    """The schemas PostgreSQL reserves or keeps for itself are ValueError, before any SQL."""
    with pytest.raises(ValueError, match="PostgreSQL's own") as info:
        PostgresStore(pg_pool, book_id="b", schema=schema)
    assert repr(schema) in str(info.value)


def test_names_like_pg_but_not_reserved_are_fine():
    """Only the pg_ prefix is reserved: pgx and my_pg_x are names like any other."""
    from debitor_core.storage._postgres._schema import Names

    assert '"pgx".' == Names("pgx").prefix
    assert '"my_pg_x".' == Names("my_pg_x").prefix


class TestCreate:
    def test_a_missing_book_is_not_created_without_create(self, postgres, pg_pool, fresh_schema):
        """create=False refuses a book that is not there, and makes nothing: not even tables."""
        tables = "SELECT count(*) FROM pg_tables WHERE schemaname = %s"
        with pytest.raises(StorageError) as info:
            PostgresStore(pg_pool, book_id="shpo", schema=fresh_schema, create=False)
        assert "storage.missing_book" == info.value.code
        assert str(info.value).startswith("There is no book 'shpo' in this database")
        with postgres.admin() as conn:
            assert (0,) == conn.execute(tables, (fresh_schema,)).fetchone()
        PostgresStore(pg_pool, book_id="shop", schema=fresh_schema).close()  # creates it
        with pytest.raises(StorageError):
            PostgresStore(pg_pool, book_id="shpo", schema=fresh_schema, create=False)
        with postgres.admin() as conn:
            books = f'SELECT book_id FROM "{fresh_schema}".debitor_book'  # noqa: S608 - the test's own schema
            assert [("shop",)] == conn.execute(books).fetchall()
        store = PostgresStore(pg_pool, book_id="shop", schema=fresh_schema, create=False)
        assert 0 == store.count()
        store.close()

    def test_connect_passes_it_on(self, postgres, fresh_schema):
        """PostgresStore.connect(create=False) refuses too, and closes the pool it made."""
        with pytest.raises(StorageError) as info:
            PostgresStore.connect(
                postgres.conninfo, book_id="shpo", schema=fresh_schema, create=False
            )
        assert "storage.missing_book" == info.value.code
