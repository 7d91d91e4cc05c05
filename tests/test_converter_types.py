"""The converter takes stored text, numbers and booleans as they are: nothing is coerced."""

import pytest

from debitor_core import Customer, make_converter
from debitor_core.testing import sample_customer


@pytest.fixture
def raw():
    return make_converter().unstructure(sample_customer())


class TestStrictTypes:
    @pytest.mark.parametrize(
        ("key", "value", "message"),
        [
            ("name", 12345, "text is stored as a JSON string, not 12345"),
            ("number", "7", "a whole number is stored as a JSON integer, not '7'"),
            ("number", True, "a whole number is stored as a JSON integer, not True"),
            ("version", 1.0, "a whole number is stored as a JSON integer, not 1.0"),
            ("archived", "false", "yes or no is stored as true or false, not 'false'"),
            ("archived", 0, "yes or no is stored as true or false, not 0"),
        ],
    )
    def test_wrong_json_types_are_refused(self, raw, key, value, message):
        """A value of the wrong JSON type is an error, not coerced into the right one."""
        raw[key] = value
        with pytest.raises(TypeError, match=message):
            make_converter().structure(raw, Customer)

    def test_right_types_pass(self):
        """Stored data of the right types comes back equal."""
        customer = sample_customer()
        converter = make_converter()
        assert customer == converter.structure(converter.unstructure(customer), Customer)
