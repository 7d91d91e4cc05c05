"""Custom-field definitions and the values they accept."""

import datetime as dt
from decimal import Decimal

import attrs
import pytest

from debitor_core import CustomFieldDefinition, FieldType, ValidationError
from debitor_core._fields import definition_problems
from debitor_core._pattern import PatternError, compile_pattern


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


class TestPatterns:
    def test_backtracking_patterns_run_in_linear_time(self):
        """(a+)+$ on 10,000 characters answers at once (Python's re would run for ages)."""
        definition = field(FieldType.TEXT, pattern=r"(a+)+$", max_length=10_000)
        problem = problem_of(definition, "a" * 9_999 + "b")
        assert "custom_field.pattern" == problem.code

    @pytest.mark.parametrize(
        ("pattern", "value"),
        [
            (r"\w+", "Bērziņš"),
            (r"[\w-]+", "Rīga-Jūrmala"),
            (r"\d{3}", "١٢٣"),
            (r"\S+\s\S+", "Anna Ozola"),
            (r"[A-Z]{2}\d{6}", "LV123456"),
        ],
    )
    def test_classes_keep_their_unicode_meaning(self, pattern, value):
        r"""\\w, \\d and \\s match any script, as they do in Python."""
        assert value == field(FieldType.TEXT, pattern=pattern).validate(value)

    @pytest.mark.parametrize(
        ("pattern", "message"),
        [
            (
                r"(a)\1",
                (
                    "The pattern cannot be used: invalid escape sequence: \\1. Patterns may not use "
                    "backreferences or look-ahead and look-behind, which cannot be matched in linear time."
                ),
            ),
            (
                r"(?=a)a",
                (
                    "The pattern cannot be used: invalid perl operator: (?=. Patterns may not use "
                    "backreferences or look-ahead and look-behind, which cannot be matched in linear time."
                ),
            ),
            ("[", "The pattern cannot be used: missing ]: [."),
            ("x" * 1001, "The pattern is 1,001 characters long; at most 1,000 are allowed."),
            ("\ud800", "The pattern contains an unpaired surrogate, which is not text; remove it."),
        ],
    )
    def test_refused_at_definition(self, pattern, message):
        """A pattern RE2 cannot use is refused when the field is defined, with a sentence."""
        (problem,) = definition_problems(field(FieldType.TEXT, pattern=pattern))
        assert ("custom_field_definition.pattern", message) == (problem.code, problem.message)

    def test_a_stored_pattern_re2_refuses(self):
        """A field stored with a pattern RE2 cannot use refuses values with our error."""
        problem = problem_of(field(FieldType.TEXT, pattern=r"(a)\1"), "aa")
        assert "custom_field.pattern_invalid" == problem.code

    def test_re2_errors_are_wrapped(self):
        """RE2's own exception never escapes; it is kept as the cause."""
        with pytest.raises(PatternError) as info:
            compile_pattern("(")
        assert type(info.value.__cause__).__module__.startswith("re2")


class TestNumberBounds:
    @pytest.mark.parametrize(
        ("raw", "code"),
        [
            (10**5000, "custom_field.range"),
            ("1e999999999", "custom_field.range"),
            (2**53 + 1, "custom_field.range"),
            ("1.000000000000000000001", "custom_field.digits"),
        ],
        ids=["huge", "exponent", "above", "digits"],
    )
    def test_numbers_stay_within_the_bounds(self, raw, code):
        """Custom-field numbers stay within +/- 2**53 and 20 significant digits."""
        for kind in (FieldType.INTEGER, FieldType.DECIMAL):
            if kind is FieldType.INTEGER and code == "custom_field.digits":
                continue
            assert code == problem_of(field(kind), raw).code

    def test_the_largest_number(self):
        """2**53 itself is a field's largest number."""
        assert 2**53 == field(FieldType.INTEGER).validate(2**53)


class TestDefinitionText:
    @pytest.mark.parametrize(
        ("changes", "path", "code"),
        [
            ({"label": "VAT \u202egroup"}, "label", "custom_field_definition.direction_control"),
            ({"label": "x" * 101}, "label", "custom_field_definition.too_long"),
            ({"help_text": "a\x00b"}, "help_text", "custom_field_definition.control_character"),
            (
                {"type": FieldType.CHOICE, "choices": ("Gold", "Sil\u2066ver")},
                "choices[1]",
                "custom_field_definition.direction_control",
            ),
            (
                {"type": FieldType.CHOICE, "choices": ("Gold", " ")},
                "choices[1]",
                "custom_field_definition.choices",
            ),
            (
                {"type": FieldType.CHOICE, "choices": ("Gold", 3)},
                "choices[1]",
                "custom_field_definition.type",
            ),
            (
                {"type": FieldType.CHOICE, "choices": tuple(f"c{n}" for n in range(501))},
                "choices",
                "custom_field_definition.choices",
            ),
            (
                {"type": FieldType.INTEGER, "max_value": Decimal(10**30)},
                "max_value",
                "custom_field_definition.range",
            ),
            ({"max_length": 10_001}, "max_length", "custom_field_definition.max_length"),
            ({"max_length": "10"}, "max_length", "custom_field_definition.attribute_type"),
            ({"required": "yes"}, "required", "custom_field_definition.attribute_type"),
            ({"type": "text"}, "type", "custom_field_definition.attribute_type"),
            ({"choices": None}, "choices", "custom_field_definition.attribute_type"),
            (
                {"min_date": "2026-01-01", "type": FieldType.DATE},
                "min_date",
                "custom_field_definition.attribute_type",
            ),
        ],
    )
    def test_problems(self, changes, path, code):
        """Labels, help texts and choices are text a person reads; attributes have types."""
        definition = attrs.evolve(field(FieldType.TEXT), **changes)
        assert (path, code) in [(p.path, p.code) for p in definition_problems(definition)]

    def test_many_choices_are_not_listed(self):
        """A wrong choice among many suggests close ones instead of listing them all."""
        definition = field(FieldType.CHOICE, choices=tuple(f"Colour {n}" for n in range(300)))
        problem = problem_of(definition, "Colour 12x")
        assert problem.message.startswith(
            "Field: 'Colour 12x' is not one of the 300 choices; did you mean "
        )
        assert len(problem.message) < 200
        assert "choices" not in problem.params


class TestMoreChoices:
    def test_many_choices_and_nothing_close(self):
        """Without a close choice, the message counts the choices."""
        definition = field(FieldType.CHOICE, choices=tuple(f"Colour {n}" for n in range(300)))
        problem = problem_of(definition, "Zebra")
        assert "Field: 'Zebra' is not one of the 300 choices." == problem.message
        assert () == problem.params["suggestions"]

    @pytest.mark.parametrize(
        ("pattern", "value"), [(r"[]a]+", "]a]"), (r"[^]a]+", "bc"), (r"[\]]", "]")]
    )
    def test_closing_brackets_in_classes(self, pattern, value):
        """A ] first in a class is a literal, as in Python."""
        assert value == field(FieldType.TEXT, pattern=pattern).validate(value)
