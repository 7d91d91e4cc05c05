"""The one converter: lossless both ways, readable JSON."""

import datetime as dt
import json
import threading
import uuid
from decimal import Decimal
from typing import Optional, Union

import cattrs
import pytest
from cattrs.fns import identity
from hypothesis import given
from hypothesis import strategies as st

from debitor_core import (
    Category,
    Customer,
    CustomFieldDefinition,
    FieldType,
    PaymentTerms,
    make_converter,
)
from debitor_core import strategies as ds
from debitor_core._converter import from_data, to_data


class TestRoundtrip:
    @given(ds.customers())
    def test_customers(self, customer):
        """Every customer survives a trip through JSON unchanged, types included."""
        data = json.loads(json.dumps(to_data(customer)))
        back = from_data(data, Customer)
        assert customer == back
        assert {k: type(v) for k, v in customer.custom_fields.items()} == {
            k: type(v) for k, v in back.custom_fields.items()
        }

    @given(ds.payment_terms())
    def test_payment_terms(self, terms):
        """Payment terms of every kind survive the trip."""
        assert terms == from_data(json.loads(json.dumps(to_data(terms))), PaymentTerms)

    def test_definitions_and_categories(self):
        """Definitions keep decimals, dates and defaults; categories keep their parent."""
        definition = CustomFieldDefinition(
            "discount",
            "Discount",
            FieldType.DECIMAL,
            min_value=Decimal("0.5"),
            default=Decimal("1.25"),
        )
        category = Category(uuid.uuid4(), "Retail", uuid.uuid4())
        assert definition == from_data(
            json.loads(json.dumps(to_data(definition))), CustomFieldDefinition
        )
        assert category == from_data(to_data(category), Category)


class TestShape:
    def test_mappings(self):
        """Dates are ISO 8601, decimals text, defaults left out but for kind, archived, version."""
        customer = Customer(
            id=uuid.UUID(int=1),
            number=7,
            name="SIA Koks",
            custom_fields={"since": dt.date(2020, 1, 2), "limit": Decimal("10.50"), "vip": True},
            created=dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC),
            updated=dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC),
        )
        assert {
            "id": "00000000-0000-0000-0000-000000000001",
            "number": 7,
            "name": "SIA Koks",
            "kind": "company",
            "archived": False,
            "version": 1,
            "custom_fields": {
                "since": {"date": "2020-01-02"},
                "limit": {"decimal": "10.50"},
                "vip": True,
            },
            "created": "2026-11-26T09:00:00+00:00",
            "updated": "2026-11-26T09:00:00+00:00",
        } == to_data(customer)

    @pytest.mark.parametrize(
        ("kind", "as_is"),
        [
            (str | None, True),
            (int | None, True),
            (bool | None, True),
            (Optional[str], True),  # noqa: UP045 - the typing spelling, on purpose
            (Union[None, int], True),  # noqa: UP007 - the typing spelling, on purpose
            (str | int, False),
            (str | int | None, False),
            (uuid.UUID | None, False),
            (PaymentTerms | None, False),
            (list[str] | None, False),
        ],
    )
    def test_optional_text_numbers_and_booleans_are_written_as_they_are(self, kind, as_is):
        """``str | None`` (and int, bool) need no hook: generated hooks copy the value."""
        hook = make_converter().get_unstructure_hook(kind)
        assert as_is == (hook is identity)

    def test_converter_instances_are_independent(self):
        """make_converter returns a fresh converter each time (no global state)."""
        assert make_converter() is not make_converter()

    @pytest.mark.parametrize(
        "change",
        [
            {"created": "2026-11-26T09:00:00"},
            {"custom_fields": {"x": {"decimal": "NaN"}}},
            {"custom_fields": {"x": {"decimal": 1.5}}},
            {"custom_fields": {"x": {"colour": "red"}}},
            {"custom_fields": {"x": 1.5}},
        ],
    )
    def test_bad_data_raises(self, change):
        """Naive times, non-finite or float decimals and unknown values are refused."""
        data = {"id": str(uuid.uuid4()), "number": 1, "name": "X", **change}
        with pytest.raises((ValueError, TypeError, cattrs.BaseValidationError)):
            from_data(data, Customer)

    def test_times_come_back_in_utc(self):
        """A stored time with another offset is read as UTC."""
        data = {
            "id": str(uuid.uuid4()),
            "number": 1,
            "name": "X",
            "created": "2026-11-26T11:00:00+02:00",
            "updated": "2026-11-26T11:00:00+02:00",
        }
        assert dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC) == from_data(data, Customer).created


_TIMES = st.datetimes(timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=5.5))]))


class TestTimes:
    @given(st.lists(st.tuples(_TIMES, _TIMES, st.booleans()), min_size=1, max_size=8))
    def test_each_time_is_written_as_itself(self, pairs):
        """One converter writing customers one after another: each time as its own isoformat.

        The converter remembers the last time it wrote (a new customer's created and
        updated are one object); equal times that are other objects, and other times,
        are written afresh.
        """
        converter = make_converter()
        for created, updated, same in pairs:
            customer = Customer(
                id=uuid.uuid4(),
                number=1,
                name="X",
                created=created,
                updated=created if same else updated,
            )
            data = converter.unstructure(customer)
            expected = (created.isoformat(), (created if same else updated).isoformat())
            assert expected == (data["created"], data["updated"])

    def test_threads_sharing_a_converter_get_their_own_times(self):
        """Four threads writing through one converter: never a text of another thread's time."""
        converter = make_converter()
        wrong = []

        def write(hour):
            moment = dt.datetime(2026, 1, 1, hour, tzinfo=dt.UTC)
            for minute in range(2000):
                customer = Customer(
                    id=uuid.uuid4(), number=1, name="X", created=moment, updated=moment
                )
                data = converter.unstructure(customer)
                if data["created"] != data["updated"] or data["created"] != moment.isoformat():
                    wrong.append((hour, minute, data["created"], data["updated"]))
                moment += dt.timedelta(minutes=1)

        threads = [threading.Thread(target=write, args=(hour,)) for hour in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [] == wrong

    def test_a_date_where_a_time_belongs_is_refused(self):
        """A date (not a time) in created is a TypeError, as isoformat of a time refuses it."""
        day = dt.date(2026, 1, 1)
        customer = Customer(id=uuid.uuid4(), number=1, name="X", created=day, updated=day)
        with pytest.raises(TypeError):
            make_converter().unstructure(customer)
