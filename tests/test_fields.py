"""Custom-field definitions and the values they accept."""

import datetime as dt
from decimal import Decimal

import pytest

from debitor_core import CustomFieldDefinition, FieldType, ValidationError
from debitor_core._fields import definition_problems


def field(type_, **rules):
    return CustomFieldDefinition("f", "Field", type_, **rules)


def problem_of(definition, value):
    with pytest.raises(ValidationError) as info:
        definition.validate(value)
    return info.value.problems[0]


class TestValues:
    @pytest.mark.parametrize(
        ("definition", "raw", "expected"),
        [
            (field(FieldType.TEXT), "  a   b ", "a b"),
            (field(FieldType.TEXT), 42, "42"),
            (field(FieldType.MULTILINE_TEXT), "a\n  b", "a\nb"),
            (field(FieldType.INTEGER), "42", 42),
            (field(FieldType.INTEGER), 42, 42),
            (field(FieldType.INTEGER), "4.0", 4),
            (field(FieldType.DECIMAL), "12,50", Decimal("12.50")),
            (field(FieldType.DECIMAL), 1.5, Decimal("1.5")),
            (field(FieldType.DECIMAL), Decimal(3), Decimal(3)),
            (field(FieldType.DATE), "2026-11-26", dt.date(2026, 11, 26)),
            (field(FieldType.DATE), dt.date(2026, 11, 26), dt.date(2026, 11, 26)),
            (field(FieldType.BOOLEAN), "yes", True),
            (field(FieldType.BOOLEAN), "Off", False),
            (field(FieldType.BOOLEAN), 1, True),
            (field(FieldType.BOOLEAN), False, False),
            (field(FieldType.CHOICE, choices=("Gold", "Silver")), " gold ", "Gold"),
            (field(FieldType.MULTI_CHOICE, choices=("A", "B", "C")), "c, a", ("A", "C")),
            (field(FieldType.MULTI_CHOICE, choices=("A", "B", "C")), ["b", "B"], ("B",)),
            (field(FieldType.EMAIL), " X@Koks.lv", "X@koks.lv"),
            (field(FieldType.PHONE), "+371 2000 0000", "+37120000000"),
            (field(FieldType.URL), "koks.lv", "https://koks.lv"),
        ],
    )
    def test_typed_values(self, definition, raw, expected):
        """Raw values become typed values by the field's type."""
        actual = definition.validate(raw)
        assert expected == actual
        assert type(expected) is type(actual)

    def test_phone_uses_the_region(self):
        """Phone fields read national numbers in the customer's country."""
        assert "+37120000000" == field(FieldType.PHONE).validate("2000 0000", region="LV")

    @pytest.mark.parametrize(
        ("definition", "raw", "code", "message"),
        [
            (
                field(FieldType.INTEGER),
                "4.5",
                "custom_field.type",
                "Field: '4.5' is not a whole number.",
            ),
            (
                field(FieldType.INTEGER),
                True,
                "custom_field.type",
                "Field: True is not a whole number.",
            ),
            (field(FieldType.DECIMAL), "abc", "custom_field.type", "Field: 'abc' is not a number."),
            (field(FieldType.DECIMAL), "NaN", "custom_field.type", "Field: 'NaN' is not a number."),
            (field(FieldType.DECIMAL), [], "custom_field.type", "Field: [] is not a number."),
            (
                field(FieldType.INTEGER, min_value=Decimal(0), max_value=Decimal(100)),
                150,
                "custom_field.range",
                "Field: 150 is above the maximum of 100.",
            ),
            (
                field(FieldType.INTEGER, min_value=Decimal(0)),
                -1,
                "custom_field.range",
                "Field: -1 is below the minimum of 0.",
            ),
            (
                field(FieldType.DATE),
                "26.11.2026",
                "custom_field.type",
                "Field: '26.11.2026' is not a date; write it as YYYY-MM-DD.",
            ),
            (
                field(FieldType.DATE),
                dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                "custom_field.type",
                (
                    "Field: datetime.datetime(2026, 1, 1...tzinfo=datetime.timezone.utc) is not a date; "
                    "write it as YYYY-MM-DD."
                ),
            ),
            (
                field(FieldType.DATE, min_date=dt.date(2026, 1, 1)),
                "2025-12-31",
                "custom_field.range",
                "Field: 2025-12-31 is before 2026-01-01.",
            ),
            (
                field(FieldType.DATE, max_date=dt.date(2026, 1, 1)),
                "2026-01-02",
                "custom_field.range",
                "Field: 2026-01-02 is after 2026-01-01.",
            ),
            (
                field(FieldType.BOOLEAN),
                "maybe",
                "custom_field.type",
                "Field: 'maybe' is not yes or no.",
            ),
            (
                field(FieldType.CHOICE, choices=("Gold",)),
                "Bronze",
                "custom_field.choice",
                "Field: 'Bronze' is not one of the choices (Gold).",
            ),
            (
                field(FieldType.MULTI_CHOICE, choices=("A",)),
                3,
                "custom_field.type",
                "Field: 3 is not a list of choices.",
            ),
            (
                field(FieldType.TEXT, pattern=r"[A-Z]{2}\d+"),
                "ab1",
                "custom_field.pattern",
                "Field: 'ab1' is not in the expected format.",
            ),
            (
                field(FieldType.TEXT, max_length=3),
                "abcd",
                "custom_field.too_long",
                "Field: The value is 4 characters long; at most 3 are allowed.",
            ),
            (
                field(FieldType.EMAIL),
                "nope",
                "custom_field.invalid",
                "Field: The email address 'nope' is not valid. An email address must have an @-sign.",
            ),
        ],
    )
    def test_problems(self, definition, raw, code, message):
        """A value that does not fit names the field and the rule it broke."""
        problem = problem_of(definition, raw)
        assert (code, message) == (problem.code, problem.message)

    def test_repr(self):
        """The repr names key and type."""
        assert "<CustomFieldDefinition f integer>" == repr(field(FieldType.INTEGER))


class TestDefinitionProblems:
    @pytest.mark.parametrize(
        ("definition", "codes"),
        [
            (CustomFieldDefinition("Bad Key", "X"), ["custom_field_definition.key"]),
            (CustomFieldDefinition("k", " "), ["custom_field_definition.label"]),
            (field(FieldType.CHOICE), ["custom_field_definition.choices"]),
            (field(FieldType.CHOICE, choices=("a", "A")), ["custom_field_definition.choices"]),
            (field(FieldType.TEXT, choices=("a",)), ["custom_field_definition.choices"]),
            (field(FieldType.TEXT, min_value=Decimal(1)), ["custom_field_definition.range"]),
            (
                field(FieldType.INTEGER, min_value=Decimal(2), max_value=Decimal(1)),
                ["custom_field_definition.range"],
            ),
            (
                field(FieldType.TEXT, min_date=dt.date(2026, 1, 1)),
                ["custom_field_definition.range"],
            ),
            (
                field(FieldType.DATE, min_date=dt.date(2026, 1, 2), max_date=dt.date(2026, 1, 1)),
                ["custom_field_definition.range"],
            ),
            (field(FieldType.INTEGER, pattern="x"), ["custom_field_definition.pattern"]),
            (field(FieldType.TEXT, max_length=0), ["custom_field_definition.max_length"]),
            (field(FieldType.TEXT, pattern="("), ["custom_field_definition.pattern"]),
            (field(FieldType.INTEGER, default="x"), ["custom_field_definition.default"]),
            (field(FieldType.INTEGER, default=3), []),
        ],
    )
    def test_each_problem(self, definition, codes):
        """An unsound definition reports what is wrong with it."""
        assert codes == [p.code for p in definition_problems(definition)]
