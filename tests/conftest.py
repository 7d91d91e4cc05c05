"""Shared fixtures and Hypothesis profiles.

``HYPOTHESIS_PROFILE=ci`` (set by .ci/run) is derandomised so a failure reproduces;
``dev`` (the default) explores more.
"""

import datetime as dt
import os
import shutil
import sys
import tempfile
import traceback
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from debitor_core import CustomerBook, _model

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile(
    "dev", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(autouse=True)
def _no_wall_clock(request, monkeypatch):
    """Fail any test that reads the wall clock through the library.

    A test that reads today's date passes today and fails next week. Inject
    ``clock=`` instead; a test about the wall clock itself is marked ``wall_clock``.
    """
    if request.node.get_closest_marker("wall_clock"):
        yield
        return
    reads = []
    real = _model._wall_clock

    def guarded():
        reads.append("".join(traceback.format_stack(limit=8)[:-1]))
        return real()

    monkeypatch.setattr(_model, "_wall_clock", guarded)
    yield
    if reads:
        pytest.fail(
            f"The test read the wall clock {len(reads)} time(s); pass clock= instead. "
            f"First read:\n{reads[0]}",
            pytrace=False,
        )


class FakeClock:
    """A clock that moves forward one second per reading."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=1)
        return self.now


@pytest.fixture(autouse=True)
def _english_environment(monkeypatch):
    """Run every test as in an English locale, whatever the developer's LANG says.

    The command follows LANGUAGE, LC_ALL, LC_MESSAGES and LANG; tests that want
    another language set them (or pass --lang) themselves.
    """
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def frozen_wall_clock(monkeypatch):
    """Make the library's wall clock a `FakeClock`, for code that takes no ``clock=``.

    Used where the test runs code as a user writes it (docs examples, the demo), so
    that what it prints never depends on the day the test runs.
    """
    fake = FakeClock()
    monkeypatch.setattr(_model, "_wall_clock", fake)
    return fake


_NOBODY = 65534


@pytest.fixture
def unprivileged():
    """Run a check as a user that file permissions apply to, even when the tests run as root.

    Returns a function ``run(check)``: ``check(folder)`` gets a fresh folder of its own
    and runs in this process when it is not root's; under root, in a forked child that
    has dropped to the ``nobody`` user first, its failure reported back here. So a test
    of what happens when a folder is read-only runs for real in CI (which runs as root)
    instead of being skipped.
    """
    folders = []

    def run(check):
        folder = Path(tempfile.mkdtemp(prefix="debitor-unprivileged-"))
        folders.append(folder)
        if os.geteuid() != 0:
            check(folder / "work")
            return
        folder.chmod(0o777)
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child reports through the pipe
            os.close(read)
            status = 0
            try:
                os.setgroups([])
                os.setgid(_NOBODY)
                os.setuid(_NOBODY)
                check(folder / "work")
            except BaseException:  # noqa: BLE001 - every failure goes back to the parent
                os.write(write, traceback.format_exc().encode())
                status = 1
            finally:
                sys.stdout.flush()
                os._exit(status)
        os.close(write)
        with os.fdopen(read, "rb") as pipe:
            report = pipe.read().decode()
        _, status = os.waitpid(pid, 0)
        if status != 0:
            pytest.fail(f"The check failed as the nobody user:\n{report}", pytrace=False)

    yield run
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def book(clock):
    return CustomerBook(clock=clock)


LATVIAN = {
    "name": "SIA Koks",
    "contact_person": "Jānis Bērziņš",
    "email": "info@koks.lv",
    "phone": "+371 2000 0000",
    "tax_id": "LV 4000 3521 600",
    "address": {
        "street": "Brīvības iela 1",
        "postal_code": "1050",
        "city": "Rīga",
        "country": "LV",
    },
}


@pytest.fixture
def latvian_form():
    return {**LATVIAN, "address": dict(LATVIAN["address"])}
