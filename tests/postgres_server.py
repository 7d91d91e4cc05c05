"""A PostgreSQL server for the tests, as a pytest plugin (``-p postgres_server``).

Where the server comes from, in this order:

1. ``DEBITOR_PG_DSN``, when set (and nothing else: the one named is the one wanted);
2. the local server on 127.0.0.1:5432 (user ``postgres``, database ``test``, trust);
3. a throwaway cluster from the installed PostgreSQL binaries (``initdb`` as the
   ``postgres`` OS user when the tests run as root), on a unix socket in a temporary
   folder, removed at the end.

Otherwise the PostgreSQL tests are skipped with one line saying why, and the PostgreSQL
backend is left out of the coverage figure (the summary says so). With
``DEBITOR_REQUIRE_POSTGRES=1`` (set by .ci/run) a missing server fails them instead.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ENV_DSN = "DEBITOR_PG_DSN"
ENV_REQUIRE = "DEBITOR_REQUIRE_POSTGRES"
LOCAL = "host=127.0.0.1 port=5432 user=postgres dbname=test"
SKIP_PREFIX = "PostgreSQL tests skipped: "
COVERAGE_OMIT = "*/debitor_core/storage/_postgres/*"


class Unavailable(Exception):
    """No server could be had; the message says why, in one line."""


class Server:
    """A server the tests may use: its conninfo and where it came from."""

    def __init__(self, conninfo: str, origin: str, cluster: Cluster | None = None) -> None:
        self.conninfo = conninfo
        self.origin = origin
        self.cluster = cluster

    def admin(self, *, writer: bool = True):
        """A new autocommit connection (close it, or use it in ``with``).

        With ``writer``, its session sets ``debitor.writer``, as an administrator who edits
        rows by hand must (the guard of schema 4, docs/postgres.md "Upgrading").
        """
        import psycopg

        if not writer:
            return psycopg.connect(self.conninfo, autocommit=True)
        return psycopg.connect(self.conninfo, autocommit=True, options="-c debitor.writer=4")

    def with_options(self, **params: str) -> str:
        """The conninfo with more parameters (``options=...``, ``sslmode=...``)."""
        from psycopg.conninfo import make_conninfo

        return make_conninfo(self.conninfo, **params)


def _try(conninfo: str) -> str | None:
    """Connect once; return None on success, or why it failed (one line)."""
    try:
        import psycopg
    except ImportError as exc:
        return f"psycopg is not installed ({exc})"
    try:
        psycopg.connect(conninfo, connect_timeout=3).close()
    except psycopg.Error as exc:
        text = " ".join(str(exc).split()) or type(exc).__name__
        return text[:200]
    return None


class Cluster:
    """A throwaway PostgreSQL cluster: initdb, a unix socket in a temporary folder."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.folder = Path(tempfile.mkdtemp(prefix="debitor-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self.conninfo = f"host={self.folder} port={self.port} user=postgres dbname=postgres"
        self._user = None
        if os.geteuid() == 0:
            try:
                self._user = pwd.getpwnam("postgres")
            except KeyError:
                raise Unavailable(
                    "the tests run as root and there is no postgres OS user"
                ) from None
            os.chown(self.folder, self._user.pw_uid, self._user.pw_gid)

    @classmethod
    def find_bindir(cls) -> Path:
        """The folder of the newest installed initdb and pg_ctl."""
        candidates = sorted(
            Path("/usr/lib/postgresql").glob("*/bin/initdb"),
            key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
        )
        found = shutil.which("initdb")
        path = Path(candidates[-1]) if candidates else Path(found) if found else None
        if path is None or not (path.parent / "pg_ctl").exists():
            raise Unavailable("no PostgreSQL binaries (initdb, pg_ctl) are installed")
        return path.parent

    def _run(self, *args: str, timeout: float = 60) -> None:
        kwargs = {}
        if self._user is not None:
            kwargs = {"user": self._user.pw_uid, "group": self._user.pw_gid}
        result = subprocess.run(
            [str(self.bindir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=self.folder,
            **kwargs,
        )
        if result.returncode != 0:
            why = " ".join((result.stderr or result.stdout).split())[:200]
            raise Unavailable(f"{args[0]} failed ({why})")

    def start(self) -> Cluster:
        """Run initdb and start the server; raise `Unavailable` when that fails."""
        try:
            self._run(
                "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust",
                "-E", "UTF8", "--locale=C", "--no-sync",
            )  # fmt: skip
            self._start()
        except (Unavailable, OSError, subprocess.SubprocessError) as exc:
            self.remove()
            raise Unavailable(f"a throwaway cluster could not be started: {exc}") from exc
        return self

    def _start(self) -> None:
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.folder / "log"), "-w", "-t", "60",
            "-o", f"-c listen_addresses='' -k {self.folder} -p {self.port} -c fsync=off",
            "start",
        )  # fmt: skip

    def restart(self) -> None:
        """Restart the server (fast shutdown: every connection is dropped)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")
        self._start()

    def remove(self) -> None:
        """Stop the server and remove its folder."""
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(Unavailable, OSError, subprocess.SubprocessError):
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def find_server() -> Server:
    """The server to test against (see the module docstring), or `Unavailable`."""
    dsn = os.environ.get(ENV_DSN)
    if dsn:
        why = _try(dsn)
        if why is not None:
            raise Unavailable(f"{ENV_DSN} is set, but its server did not answer: {why}")
        return Server(dsn, ENV_DSN)
    why_local = _try(LOCAL)
    if why_local is None:
        return Server(LOCAL, "the local server on 127.0.0.1:5432")
    if why_local.startswith("psycopg is not installed"):
        raise Unavailable(why_local)
    try:
        cluster = Cluster(Cluster.find_bindir()).start()
    except Unavailable as exc:
        msg = f"no server on 127.0.0.1:5432 ({why_local}), and {exc}; set {ENV_DSN} to use one"
        raise Unavailable(msg) from None
    return Server(cluster.conninfo, "a throwaway cluster", cluster)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # noqa: ARG001 - the hook's signature
    """Report every skip for want of a server at one place, so that ``-ra`` folds them into one line."""
    report = yield
    longrepr = report.longrepr
    if report.skipped and isinstance(longrepr, tuple) and SKIP_PREFIX in str(longrepr[2]):
        report.longrepr = (__file__, _SKIP_LINE, longrepr[2])
    return report


def unavailable(reason: str) -> None:
    """Skip (or, when the server is required, fail) with one line."""
    if os.environ.get(ENV_REQUIRE) == "1":
        pytest.fail(
            f"PostgreSQL is required ({ENV_REQUIRE}=1) but not available: {reason}",
            pytrace=False,
        )
    pytest.skip(SKIP_PREFIX + reason)


_SKIP_LINE = unavailable.__code__.co_firstlineno


_state: dict[str, object] = {}
_lock = threading.Lock()


@pytest.fixture(scope="session")
def postgres(request: pytest.FixtureRequest) -> Server:
    """The PostgreSQL server of this test session (skips when there is none)."""
    with _lock:
        if "server" not in _state and "reason" not in _state:
            try:
                _state["server"] = find_server()
            except Unavailable as exc:
                _state["reason"] = str(exc)
                _omit_from_coverage(request.config)
    if "reason" in _state:
        unavailable(str(_state["reason"]))
    server = _state["server"]
    assert isinstance(server, Server)
    return server


@pytest.fixture
def postgres_url(postgres: Server) -> Iterator[str]:
    """A ``postgresql://`` URL (as the CLI takes) whose books live in a schema of their own.

    The schema is made for the test and dropped after it.
    """
    import uuid
    from urllib.parse import quote, urlencode

    from psycopg.conninfo import conninfo_to_dict

    schema = f"test_url_{uuid.uuid4().hex[:12]}"
    with postgres.admin() as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    params = {k: str(v) for k, v in conninfo_to_dict(postgres.conninfo).items()}
    dbname = params.pop("dbname", "postgres")
    params["options"] = f"-c search_path={schema}"
    yield f"postgresql:///{quote(dbname)}?{urlencode(params, quote_via=quote)}"
    with postgres.admin() as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(scope="module")
def pg_schema(postgres: Server) -> Iterator[str]:
    """A schema name for one test module's books (the store makes it), dropped after it.

    A module may define its own ``pg_schema`` (of another scope) instead.
    """
    import uuid

    name = f"debitor_test_{uuid.uuid4().hex[:12]}"
    yield name
    with postgres.admin() as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture
def fresh_schema(postgres: Server) -> Iterator[str]:
    """A schema name of the test's own (for schema versions), dropped after it."""
    import uuid

    name = f"debitor_test_{uuid.uuid4().hex[:12]}"
    yield name
    with postgres.admin() as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture(scope="module")
def pg_pool(postgres: Server) -> Iterator[Any]:
    """A pool of up to four connections for one test module, with a name of its own.

    A module may define its own ``pg_pool`` (another size, name or scope) instead.
    """
    with named_pool(postgres.conninfo, max_size=4) as pool:
        yield pool


@contextlib.contextmanager
def named_pool(
    conninfo: str, name: str | None = None, *, max_size: int = 4, **options: Any
) -> Iterator[Any]:
    """An open psycopg pool whose connections carry ``name`` as their application name.

    Without a name it makes a new one, so that a test finds its own backends by it
    (``pool.application_name``). ``options`` go to the pool (``kwargs`` to each
    connection, beside the name); the pool is closed at the end.
    """
    import uuid

    import psycopg_pool

    name = name or f"debitor-own-{uuid.uuid4().hex[:8]}"
    kwargs = {"application_name": name, **options.pop("kwargs", {})}
    options.setdefault("min_size", 1)
    pool = psycopg_pool.ConnectionPool(
        conninfo, max_size=max_size, open=False, kwargs=kwargs, **options
    )
    pool.open(wait=True, timeout=30)
    pool.application_name = name  # type: ignore[attr-defined]
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture(scope="session")
def throwaway_cluster() -> Iterator[Server]:
    """A cluster of the session's own, which tests may restart (skips when impossible)."""
    try:
        cluster = Cluster(Cluster.find_bindir()).start()
    except Unavailable as exc:
        pytest.skip(f"No throwaway PostgreSQL cluster: {exc}")
    try:
        yield Server(cluster.conninfo, "a throwaway cluster", cluster)
    finally:
        cluster.remove()


def _omit_from_coverage(config: pytest.Config) -> None:
    """Leave the PostgreSQL backend out of the coverage figure: its tests cannot run.

    pytest-cov reports from the Coverage object it combines into at the end
    (``combining_cov``), so the option goes on every Coverage object it holds.
    """
    plugin = config.pluginmanager.getplugin("_cov")
    controller = getattr(plugin, "cov_controller", None)
    for name in ("cov", "combining_cov"):
        cov = getattr(controller, name, None)
        if cov is not None:
            omit = list(cov.get_option("report:omit") or [])
            cov.set_option("report:omit", [*omit, COVERAGE_OMIT])


def pytest_sessionfinish() -> None:
    """Stop the throwaway cluster, if this session started one."""
    server = _state.get("server")
    if isinstance(server, Server) and server.cluster is not None:
        server.cluster.remove()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say which server the PostgreSQL tests used, or why they did not run."""
    if "server" in _state:
        server = _state["server"]
        assert isinstance(server, Server)
        terminalreporter.write_line(f"PostgreSQL tests ran against {server.origin}.")
    elif "reason" in _state:
        terminalreporter.write_line(
            f"{SKIP_PREFIX}{_state['reason']} (debitor_core/storage/_postgres is left "
            "out of the coverage figure)."
        )


class CommitDroppingProxy:
    """A TCP proxy in front of a server that can lose the answer to a COMMIT.

    Armed with ``"answer"``, it forwards the next COMMIT to the server, waits until the
    server has answered that it committed, and then drops the client's connection
    without passing the answer on: the commit is stored, and the client cannot know.
    Armed with ``"commit"``, it drops the connection instead of forwarding the COMMIT:
    nothing is stored, and the client cannot know either.
    """

    def __init__(self, server: Server) -> None:
        from psycopg.conninfo import conninfo_to_dict, make_conninfo

        params = conninfo_to_dict(server.conninfo)
        host, port = str(params.get("host") or "127.0.0.1"), str(params.get("port") or "5432")
        self._target: str | tuple[str, int] = (
            f"{host}/.s.PGSQL.{port}" if host.startswith("/") else (host, int(port))
        )
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.conninfo = make_conninfo(
            server.conninfo,
            host="127.0.0.1",
            port=str(self._listener.getsockname()[1]),
            sslmode="disable",
        )
        self.armed = threading.Event()
        self.mode = "answer"
        self.dropped = threading.Event()
        self._sockets: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _upstream(self) -> socket.socket:
        if isinstance(self._target, str):
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(self._target)
            return upstream
        return socket.create_connection(self._target)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = self._upstream()
            self._sockets += [client, upstream]
            commit_sent = threading.Event()
            for source, sink, up in ((client, upstream, True), (upstream, client, False)):
                threading.Thread(
                    target=self._forward,
                    args=(source, sink, commit_sent),
                    kwargs={"up": up},
                    daemon=True,
                ).start()

    def _forward(
        self, source: socket.socket, sink: socket.socket, commit_sent: threading.Event, *, up: bool
    ) -> None:
        try:
            while data := source.recv(65536):
                if up and self.armed.is_set() and b"COMMIT\x00" in data:
                    commit_sent.set()
                drop_now = up and commit_sent.is_set() and self.mode == "commit"
                if drop_now or (not up and commit_sent.is_set() and b"COMMIT\x00" in data):
                    # The server committed; the client never hears of it.
                    self.armed.clear()
                    self.dropped.set()
                    for end in (source, sink):
                        with contextlib.suppress(OSError):
                            end.shutdown(socket.SHUT_RDWR)
                        end.close()
                    return
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        """Stop accepting and close every connection."""
        self._listener.close()
        for end in self._sockets:
            with contextlib.suppress(OSError):
                end.close()


def register_in_child(factory_blob: bytes, forms: list[dict], barrier, results) -> None:
    """In a child process: open the book from a pickled factory and register ``forms``."""
    import pickle

    from debitor_core import CustomerBook

    store = pickle.loads(factory_blob)()  # noqa: S301 - our own test's factory
    try:
        book = CustomerBook(store)
        barrier.wait()
        numbers = [book.register(form).number for form in forms]
        results.put(("ok", numbers))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        results.put(("error", repr(exc)))
    finally:
        store.close()


def open_in_child(factory_blob: bytes, barrier, results) -> None:
    """In a child process: wait for the others, then open a store (creating the schema)."""
    import pickle

    factory = pickle.loads(factory_blob)  # noqa: S301 - our own test's factory
    barrier.wait()
    try:
        store = factory()
        results.put(("ok", store.store_id()))
        store.close()
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        results.put(("error", repr(exc)))
