"""The customer and its value objects: privacy of reprs, pickling and copying."""

import copy
import datetime as dt
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from debitor_core import (
    Branding,
    Delivery,
    Invoice,
    LineTemplate,
    Note,
    Payment,
    Problem,
    ReminderLog,
    Severity,
    WelcomeInvoicePolicy,
)
from debitor_core import strategies as ds
from debitor_core._frozen import FrozenDict

MOMENTS = st.datetimes(
    min_value=dt.datetime(2000, 1, 1),  # noqa: DTZ001 - made aware by timezones=
    max_value=dt.datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.just(dt.UTC),
)
DAYS = st.dates(dt.date(2000, 1, 1), dt.date(2100, 1, 1))


@st.composite
def invoices(draw):
    customer = draw(ds.customers())
    return Invoice.issue(
        customer,
        number=draw(st.integers(1, 2**53)),
        lines=tuple(draw(st.lists(ds.invoice_lines(), min_size=1, max_size=3))),
        currency=draw(st.sampled_from(["EUR", "JPY", "KWD"])),
        issue_date=draw(DAYS),
        terms=draw(ds.payment_terms()),
    )


POLICIES = st.builds(
    WelcomeInvoicePolicy,
    st.builds(Branding, st.just("Koks"), st.none(), st.just("#00aa55")),
    lines=st.tuples(
        st.builds(
            LineTemplate,
            st.just("Setup"),
            st.decimals(0, 1000, places=2),
            prices=st.dictionaries(st.sampled_from(["USD", "JPY"]), st.integers(0, 1000)),
        )
    ),
    countries=st.sets(st.sampled_from(["LV", "EE"])),
    reminders=st.lists(st.integers(-30, 30), unique=True, max_size=3).map(tuple),
)

VALUES = st.one_of(
    ds.customers(),
    ds.categories(),
    ds.field_definitions(),
    ds.payment_terms(),
    ds.invoice_lines(),
    invoices(),
    st.builds(
        Payment, st.uuids(), st.uuids(), st.decimals(1, 1000, places=2), st.just("EUR"), DAYS
    ),
    st.builds(Delivery, st.uuids(), st.uuids(), next_attempt=MOMENTS, last_error=st.text()),
    st.builds(ReminderLog, st.uuids(), st.integers(-30, 30), MOMENTS),
    POLICIES,
    st.builds(
        Problem,
        st.text(),
        st.text(),
        st.text(),
        st.sampled_from(Severity),
        params=st.dictionaries(st.text(), st.integers()),
    ),
)


class TestCopies:
    @given(VALUES)
    def test_every_value_pickles(self, value):
        """Every domain value survives pickling (to another process) unchanged."""
        assert value == pickle.loads(pickle.dumps(value))  # noqa: S301 - our own bytes

    @given(VALUES)
    def test_every_value_deep_copies(self, value):
        """Every domain value can be deep-copied, and the copy is equal."""
        assert value == copy.deepcopy(value)

    @given(ds.customers())
    def test_a_copied_customer_keeps_read_only_fields(self, customer):
        """A copy's custom-field values stay read-only."""
        copied = pickle.loads(pickle.dumps(customer))  # noqa: S301 - our own bytes
        assert customer.custom_fields == copied.custom_fields
        assert type(customer.custom_fields) is type(copied.custom_fields)


class TestPrivacy:
    def test_note_repr_shows_none_of_the_text(self):
        """repr(Note) shows when and by whom, never the private text."""
        note = Note(
            "Owes us 5,000; do not call before noon.",
            dt.datetime(2026, 1, 2, tzinfo=dt.UTC),
            "clerk",
        )
        assert "<Note 2026-01-02 by clerk>" == repr(note)
        assert "Owes" not in repr((note,))


class TestFrozenDict:
    def test_read_only_copies(self):
        """A frozen dict is its own shallow copy, and says what it is."""
        values = FrozenDict({"a": 1})
        assert values is copy.copy(values)
        assert "FrozenDict({'a': 1})" == repr(values)
        for change in (
            lambda: values.update(b=2),
            lambda: values.pop("a"),
            lambda: values.setdefault("b", 2),
            values.clear,
            values.popitem,
        ):
            with pytest.raises(TypeError, match="read-only"):
                change()
