"""The suite's guard against tests that read the wall clock, and the clock seam itself."""

import datetime as dt
from pathlib import Path

import pytest

from debitor_core._model import utc_now

pytest_plugins = ["pytester"]

CONFTEST = (Path(__file__).parent / "conftest.py").read_text(encoding="utf-8")


def test_a_test_that_reads_the_wall_clock_fails(pytester):
    """A book made without clock= fails the test that uses it, saying what to do."""
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        """
        from debitor_core import CustomerBook

        def test_reads():
            CustomerBook().register({"name": "SIA Koks", "address": {"country": "LV"}})

        def test_injects(clock):
            CustomerBook(clock=clock).register({"name": "SIA Koks", "address": {"country": "LV"}})
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*read the wall clock*pass clock= instead*"])


@pytest.mark.wall_clock
def test_utc_now_is_aware_utc():
    """utc_now gives the current time in UTC, with its zone."""
    before = dt.datetime.now(dt.UTC)
    now = utc_now()
    assert now.tzinfo is dt.UTC
    assert before <= now <= dt.datetime.now(dt.UTC)
