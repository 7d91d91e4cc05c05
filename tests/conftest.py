"""Shared fixtures and Hypothesis profiles.

``HYPOTHESIS_PROFILE=ci`` (set by .ci/run) is derandomised so a failure reproduces;
``dev`` (the default) explores more.
"""

import datetime as dt
import os
import traceback

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
