"""Validation rules: normal forms, messages, junk, and idempotence."""

import contextlib
import datetime as dt

import email_validator
import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import exceptions as stdnum_errors

from debitor_core import CustomerKind, PaymentTerms, PhoneType, TaxId, ValidationError, rules
from debitor_core import strategies as ds


def problem_of(rule, value, **kwargs):
    with pytest.raises(ValidationError) as info:
        rule(value, **kwargs)
    assert len(info.value.problems) == 1
    return info.value.problems[0]


class TestText:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("  Rīga ", "Rīga"),
            ("a \t b\n c", "a b c"),
            ("Re\u0304zekne", "Rēzekne"),  # decomposed ē becomes NFC
        ],
    )
    def test_normal_form(self, raw, expected):
        """Whitespace collapses and Unicode becomes NFC."""
        assert expected == rules.text(raw)

    def test_multiline_keeps_line_breaks(self):
        """Multiline text keeps its lines, without blank ones or stray spaces."""
        assert "line one\nline two" == rules.text(" line  one \r\n\n line two ", multiline=True)

    @pytest.mark.parametrize(
        ("raw", "code", "message"),
        [
            (None, "text.type", "The text must be text, not nothing."),
            (12, "text.type", "The text must be text, not a value of type int."),
            ("   ", "text.empty", "The text is empty."),
            (
                "a\x07b",
                "text.control_character",
                "The text contains the control character U+0007; remove it and try again.",
            ),
            (
                "x" * 1001,
                "text.too_long",
                "The text is 1,001 characters long; at most 1,000 are allowed.",
            ),
        ],
    )
    def test_problems(self, raw, code, message):
        """Each way text can be wrong has its code and sentence."""
        problem = problem_of(rules.text, raw)
        assert (code, message) == (problem.code, problem.message)

    def test_numbers_allowed_where_asked(self):
        """An integer is read as its digits when the field allows numbers."""
        assert "1050" == rules.text(1050, numbers=True)


class TestNames:
    @pytest.mark.parametrize(
        ("raw", "kind", "expected"),
        [
            ("  SIA   Koks ", CustomerKind.COMPANY, "SIA Koks"),
            ("Bērziņš, Jānis", CustomerKind.PERSON, "Jānis Bērziņš"),
            ("Bērziņš, Jānis", CustomerKind.COMPANY, "Bērziņš, Jānis"),
            ("Jānis Bērziņš", CustomerKind.PERSON, "Jānis Bērziņš"),
            ("Smith, ", CustomerKind.PERSON, "Smith,"),
        ],
    )
    def test_normal_form(self, raw, kind, expected):
        """Names collapse spaces; a person written "Surname, First" is turned around."""
        assert expected == rules.normalise_name(raw, kind=kind)

    def test_too_long(self):
        """A name has at most 200 characters."""
        assert "name.too_long" == problem_of(rules.normalise_name, "x" * 201).code

    @given(ds.names())
    def test_idempotent(self, name):
        """Normalising a normalised name changes nothing."""
        once = rules.normalise_name(name, kind=CustomerKind.PERSON)
        assert once == rules.normalise_name(once, kind=CustomerKind.PERSON)


class TestKind:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("company", CustomerKind.COMPANY),
            (" Business ", CustomerKind.COMPANY),
            ("PERSON", CustomerKind.PERSON),
            ("private", CustomerKind.PERSON),
            (CustomerKind.PERSON, CustomerKind.PERSON),
        ],
    )
    def test_reads(self, raw, expected):
        """Kinds are read in any case, with synonyms."""
        assert expected == rules.validate_kind(raw)

    def test_unknown(self):
        """Anything else is refused with the choices named."""
        problem = problem_of(rules.validate_kind, "robot")
        assert "The kind of customer must be company or person, not 'robot'." == problem.message


class TestEmail:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            (" info@Koks.LV ", "info@koks.lv"),
            ("Janis@Example.com", "Janis@example.com"),
            ("jānis@bērziņš.lv", "jānis@bērziņš.lv"),
        ],
    )
    def test_normal_form(self, raw, expected):
        """Whitespace goes, the domain is lower-cased, the local part kept."""
        assert expected == rules.validate_email(raw)

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            (
                "a@@b.lv",
                (
                    "The email address 'a@@b.lv' is not valid. The part after the @-sign "
                    "contains invalid characters: '@'."
                ),
            ),
            (
                "janis",
                "The email address 'janis' is not valid. An email address must have an @-sign.",
            ),
            (
                "a@b",
                (
                    "The email address 'a@b' is not valid. The part after the @-sign is not "
                    "valid. It should have a period."
                ),
            ),
        ],
    )
    def test_messages(self, raw, message):
        """email-validator's explanation is kept behind our own sentence."""
        problem = problem_of(rules.validate_email, raw)
        assert ("email.invalid", message) == (problem.code, problem.message)

    def test_third_party_error_is_chained(self):
        """email-validator's exception is translated, with the original as the cause."""
        with pytest.raises(ValidationError) as info:
            rules.validate_email("a@@b")
        assert isinstance(info.value.__cause__, email_validator.EmailNotValidError)

    def test_deliverability_is_checked_only_when_asked(self, monkeypatch):
        """With check_deliverability, a domain that takes no mail is its own problem."""
        calls = []

        def fake(_address, *, check_deliverability):
            calls.append(check_deliverability)
            raise email_validator.EmailUndeliverableError(
                "The domain name koks.invalid does not exist."
            )

        monkeypatch.setattr(email_validator, "validate_email", fake)
        problem = problem_of(rules.validate_email, "a@koks.invalid", check_deliverability=True)
        assert ("email.undeliverable", [True]) == (problem.code, calls)
        assert (
            "The email address 'a@koks.invalid' cannot receive mail. The domain name koks.invalid "
            "does not exist." == problem.message
        )

    @given(ds.emails())
    def test_generated_emails_are_valid_and_idempotent(self, raw):
        """Every generated email validates, and its normal form is stable."""
        once = rules.validate_email(raw)
        assert once == rules.validate_email(once)


class TestPhone:
    @pytest.mark.parametrize(
        ("raw", "region", "expected"),
        [
            ("+371 2000 0000", None, "+37120000000"),
            ("2000 0000", "LV", "+37120000000"),
            ("030 123456", "DE", "+4930123456"),
            (37120000000, "LV", "+37120000000"),
            ("(0)20 7946 0958", "GB", "+442079460958"),
        ],
    )
    def test_normal_form(self, raw, region, expected):
        """National numbers use the customer's country; the result is E.164."""
        assert expected == rules.validate_phone(raw, region=region)

    @pytest.mark.parametrize(
        ("raw", "region", "code", "message"),
        [
            (
                "2000 0000",
                None,
                "phone.country_code",
                (
                    "The phone number '2000 0000' has no country code; write it with + and the "
                    "country code, or give the customer's country."
                ),
            ),
            (
                "+999 123 456",
                None,
                "phone.country_code",
                (
                    "The phone number '+999 123 456' does not start with a known country code; "
                    "write it with + and the country code."
                ),
            ),
            (
                "hello",
                "LV",
                "phone.not_a_number",
                "The phone number 'hello' is not a phone number.",
            ),
            (
                "2000",
                "LV",
                "phone.invalid",
                "The phone number '2000' is not a valid number in Latvia.",
            ),
            ("+3", None, "phone.not_a_number", "The phone number '+3' is not a phone number."),
            ("+371 1", None, "phone.too_short", "The phone number '+371 1' is too short."),
            (
                "+49 " + "1" * 30,
                None,
                "phone.too_long",
                f"The phone number '+49 {'1' * 30}' is too long.",
            ),
        ],
    )
    def test_messages(self, raw, region, code, message):
        """Each parse failure maps to its own code and sentence."""
        problem = problem_of(rules.validate_phone, raw, region=region)
        assert (code, message) == (problem.code, problem.message)

    def test_every_parse_error_type_is_mapped(self):
        """Every error type phonenumbers can raise has a code of ours."""
        from debitor_core._rules import _parse_errors

        kinds = {
            getattr(phonenumbers.NumberParseException, n)
            for n in dir(phonenumbers.NumberParseException)
            if n.isupper()
        }
        assert kinds == set(_parse_errors())

    @given(ds.phone_numbers())
    def test_generated_numbers_are_valid_and_idempotent(self, raw):
        """Every generated number validates, and E.164 is stable."""
        once = rules.validate_phone(raw)
        assert once == rules.validate_phone(once)

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [("Mobile", PhoneType.MOBILE), ("fax", PhoneType.FAX), (PhoneType.WORK, PhoneType.WORK)],
    )
    def test_phone_types(self, raw, expected):
        """Phone types are read in any case."""
        assert expected == rules.validate_phone_type(raw)

    def test_unknown_phone_type(self):
        """An unknown phone type names the choices."""
        problem = problem_of(rules.validate_phone_type, "pager")
        assert (
            "The phone type must be one of mobile, work, fax, other, not 'pager'."
            == problem.message
        )


class TestVat:
    @pytest.mark.parametrize(
        ("raw", "country", "expected"),
        [
            ("LV 4000 3521 600", None, TaxId("LV40003521600", "LV")),
            ("DE - 113866163", None, TaxId("DE113866163", "DE")),
            ("Bg 200442771", None, TaxId("BG200442771", "BG")),
            ("EL 094259216", None, TaxId("EL094259216", "GR")),
            ("GR094259216", None, TaxId("EL094259216", "GR")),
            ("094259216", "GR", TaxId("EL094259216", "GR")),
            ("XI 980780684", None, TaxId("XI980780684", "GB")),
            ("113866163", "DE", TaxId("DE113866163", "DE")),
            ("GB980780684", None, TaxId("GB980780684", "GB")),
            ("CHE-116.281.710 MWST", None, TaxId("CHE116281710MWST", "CH")),
            ("NO 995525828MVA", None, TaxId("NO995525828MVA", "NO")),
        ],
    )
    def test_normal_form(self, raw, country, expected):
        """Any common formatting gives the compact number with its prefix."""
        assert expected == rules.validate_vat(raw, country=country)

    @pytest.mark.parametrize(
        ("raw", "country", "expected"),
        [
            ("12-3456789", "US", TaxId("12-3456789", "US", checked=False)),
            ("123456", None, TaxId("123456", None, checked=False)),
            ("ZZ 12345", None, TaxId("ZZ 12345", None, checked=False)),
            ("US 12-3456789", None, TaxId("US 12-3456789", "US", checked=False)),
        ],
    )
    def test_unknown_countries_are_kept_unchecked(self, raw, country, expected):
        """A number we cannot check is kept as written, marked unchecked."""
        assert expected == rules.validate_vat(raw, country=country)

    @pytest.mark.parametrize(
        ("raw", "code", "message"),
        [
            (
                "DE113866164",
                "tax_id.checksum",
                "The VAT number 'DE113866164' is not a valid number from Germany: its check digit is wrong.",
            ),
            (
                "LV4000352160",
                "tax_id.length",
                (
                    "The VAT number 'LV4000352160' is not a valid number from Latvia: it has the wrong "
                    "number of characters."
                ),
            ),
            (
                "DEABCDEFGHI",
                "tax_id.format",
                (
                    "The VAT number 'DEABCDEFGHI' is not a valid number from Germany: it is not in the "
                    "expected format."
                ),
            ),
            (
                "BE2403019261",
                "tax_id.component",
                (
                    "The VAT number 'BE2403019261' is not a valid number from Belgium: a part of it is "
                    "not valid."
                ),
            ),
        ],
    )
    def test_messages(self, raw, code, message):
        """Each stdnum failure maps to a code and a sentence naming the country."""
        problem = problem_of(rules.validate_vat, raw)
        assert (code, message) == (problem.code, problem.message)

    def test_third_party_error_is_chained(self):
        """python-stdnum's exception is translated, with the original as the cause."""
        with pytest.raises(ValidationError) as info:
            rules.validate_vat("DE113866164")
        assert isinstance(info.value.__cause__, stdnum_errors.InvalidChecksum)

    def test_unlisted_stdnum_error_gets_a_generic_code(self):
        """A stdnum error of a kind we do not list still becomes our error."""
        from debitor_core._rules import _stdnum_failure

        error = _stdnum_failure(stdnum_errors.ValidationError(), "X1", "tax_id", country="ES")
        problem = error.problems[0]
        assert (
            "tax_id.invalid",
            "The VAT number 'X1' is not a valid number from Spain: it is not valid.",
        ) == (problem.code, problem.message)

    @given(ds.vat_numbers())
    def test_generated_numbers_are_valid_and_idempotent(self, raw):
        """Every generated VAT number validates; its compact form is stable."""
        once = rules.validate_vat(raw)
        assert once.checked
        assert once == rules.validate_vat(once.value)


class TestCompanyId:
    def test_checked_where_stdnum_knows_the_country(self):
        """A Danish CVR number is checked and compacted."""
        assert "13585628" == rules.validate_company_id("13 58 56 28", country="DK")

    def test_wrong_check_digit(self):
        """A wrong check digit is reported with the company code."""
        problem = problem_of(rules.validate_company_id, "13585627", country="DK")
        assert "company_id.checksum" == problem.code
        assert "from Denmark" in problem.message

    def test_other_countries_kept_as_text(self):
        """Countries without a module keep the number as normalised text."""
        assert "40003521600" == rules.validate_company_id(" 40003521600 ", country="LV")


class TestPostalCode:
    @pytest.mark.parametrize(
        ("raw", "country", "expected"),
        [
            ("1050", "LV", "LV-1050"),
            ("lv 1050", "LV", "LV-1050"),
            ("LV-1050", "LV", "LV-1050"),
            ("1011ab", "NL", "1011 AB"),
            ("sw1a1aa", "GB", "SW1A 1AA"),
            ("M25BQ", "GB", "M2 5BQ"),
            ("00950", "PL", "00-950"),
            ("10115", "DE", "10115"),
            ("1540023", "JP", "154-0023"),
            ("95014", "US", "95014"),
            ("950141234", "US", "95014-1234"),
            (10115, "DE", "10115"),
            ("anything 1", "HK", "ANYTHING 1"),
            ("12345", None, "12345"),
        ],
    )
    def test_normal_form(self, raw, country, expected):
        """Codes are written the country's way; the intent is read leniently."""
        assert expected == rules.validate_postal_code(raw, country=country)

    @pytest.mark.parametrize(
        ("raw", "country", "message"),
        [
            (
                "1011",
                "DE",
                "The postal code 1011 is not valid in Germany; it should look like 26133 or 53225.",
            ),
            (
                "ABCDE",
                "LV",
                "The postal code ABCDE is not valid in Latvia; it should look like LV-1073 or LV-1000.",
            ),
        ],
    )
    def test_messages(self, raw, country, message):
        """The message names the country and shows examples."""
        problem = problem_of(rules.validate_postal_code, raw, country=country)
        assert ("postal_code.invalid", message) == (problem.code, problem.message)

    @given(
        st.sampled_from(ds.COUNTRIES).flatmap(
            lambda c: st.tuples(st.just(c), ds.postal_codes(country=c))
        )
    )
    def test_examples_are_kept_and_idempotent(self, pair):
        """Every country's own examples are accepted unchanged."""
        country, code = pair
        assert code == rules.validate_postal_code(code, country=country)


class TestCountryCurrencyLanguage:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("lv", "LV"),
            (" DE ", "DE"),
            ("Latvia", "LV"),
            ("united kingdom", "GB"),
            ("UK", "GB"),
            ("EL", "GR"),
        ],
    )
    def test_countries(self, raw, expected):
        """Codes in any case, English names, and the UK and EL aliases."""
        assert expected == rules.validate_country(raw)

    def test_unknown_country(self):
        """An unknown country says what to write."""
        problem = problem_of(rules.validate_country, "Atlantis")
        assert (
            "'Atlantis' is not a country we know; use a two-letter ISO 3166 code such as LV or DE, or the English name."
            == problem.message
        )

    @pytest.mark.parametrize(("raw", "expected"), [("eur", "EUR"), (" Usd", "USD"), ("JPY", "JPY")])
    def test_currencies(self, raw, expected):
        """ISO 4217 codes in any case."""
        assert expected == rules.validate_currency(raw)

    def test_unknown_currency(self):
        """An unknown currency is refused."""
        assert "currency.unknown" == problem_of(rules.validate_currency, "EURO").code

    @pytest.mark.parametrize(("raw", "expected"), [("LV", "lv"), ("en-GB", "en"), ("pt_BR", "pt")])
    def test_languages(self, raw, expected):
        """ISO 639-1 codes; a region suffix is dropped."""
        assert expected == rules.validate_language(raw)

    def test_unknown_language(self):
        """An unknown language is refused."""
        assert "language.unknown" == problem_of(rules.validate_language, "xx").code


class TestWebsite:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("koks.lv", "https://koks.lv"),
            ("HTTP://Koks.LV/Par", "http://koks.lv/Par"),
            ("https://bērziņš.lv", "https://bērziņš.lv"),
            ("https://user@Koks.lv:8080/x", "https://user@koks.lv:8080/x"),
        ],
    )
    def test_normal_form(self, raw, expected):
        """A missing scheme becomes https; scheme and host are lower-cased."""
        assert expected == rules.validate_website(raw)

    @pytest.mark.parametrize(
        "raw", ["ftp://koks.lv", "koks", "http://", "https://koks.lv:99999", "a b.lv"]
    )
    def test_invalid(self, raw):
        """Other schemes, bare words and bad ports are refused."""
        assert "website.invalid" == problem_of(rules.validate_website, raw).code


class TestPaymentTerms:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("net 14", PaymentTerms.net(14)),
            ("14 days", PaymentTerms.net(14)),
            (30, PaymentTerms.net(30)),
            ("Prepaid", PaymentTerms.prepaid()),
            ("end of month + 30", PaymentTerms.end_of_month(30)),
            ("EOM 15", PaymentTerms.end_of_month(15)),
            ("fixed 2026-12-31", PaymentTerms.on(dt.date(2026, 12, 31))),
            ({"kind": "net", "days": 8}, PaymentTerms.net(8)),
            ({"kind": "end_of_month", "days": 8}, PaymentTerms.end_of_month(8)),
            ({"kind": "prepaid"}, PaymentTerms.prepaid()),
            ({"kind": "fixed_date", "date": "2027-01-31"}, PaymentTerms.on(dt.date(2027, 1, 31))),
            (
                {"kind": "fixed_date", "date": dt.date(2027, 1, 31)},
                PaymentTerms.on(dt.date(2027, 1, 31)),
            ),
            (PaymentTerms.net(7), PaymentTerms.net(7)),
        ],
    )
    def test_reads(self, raw, expected):
        """Terms are read from text, numbers and mappings."""
        assert expected == rules.validate_payment_terms(raw)

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            (
                "soon",
                (
                    "The payment terms 'soon' are not valid: use 'net 14', 'prepaid', 'end of month + 30' "
                    "or a fixed date like 'fixed 2026-12-31'."
                ),
            ),
            (
                400,
                "The payment terms 400 are not valid: the number of days must be between 0 and 365, not 400.",
            ),
            (
                {"kind": "net", "days": "x"},
                (
                    "The payment terms {'days': 'x', 'kind': 'net'} are not valid: "
                    "the number of days must be a whole number, not 'x'."
                ),
            ),
            (
                {"kind": "weekly"},
                (
                    "The payment terms {'kind': 'weekly'} are not valid: the kind must be net, "
                    "prepaid, end_of_month or fixed_date, not 'weekly'."
                ),
            ),
            (
                "fixed 2026-02-30",
                "The payment terms 'fixed 2026-02-30' are not valid: 2026-02-30 is not a date; write it as YYYY-MM-DD.",
            ),
        ],
    )
    def test_messages(self, raw, message):
        """Bad terms say what to write."""
        problem = problem_of(rules.validate_payment_terms, raw)
        assert ("payment_terms.invalid", message) == (problem.code, problem.message)

    def test_text_problems_keep_their_code(self):
        """Terms that are not text at all report a text problem."""
        assert "payment_terms.type" == problem_of(rules.validate_payment_terms, None).code


class TestIsValid:
    def test_wraps_a_rule(self):
        """is_valid answers True or False by running the rule."""
        assert rules.is_valid(rules.validate_email, "a@koks.lv")
        assert not rules.is_valid(rules.validate_email, "koks")


JUNK = [
    None,
    "",
    "   ",
    object(),
    "🦄🦄",
    b"bytes",
    "x" * 1_000_000,
    "a\x00b",
    "\ud800",
    3.5,
    [],
    {},
    True,
    -1,
]
RULES = [
    rules.normalise_name,
    rules.validate_kind,
    rules.validate_email,
    rules.validate_phone,
    lambda v: rules.validate_phone(v, region="LV"),
    rules.validate_phone_type,
    rules.validate_vat,
    lambda v: rules.validate_vat(v, country="DE"),
    lambda v: rules.validate_company_id(v, country="DK"),
    rules.validate_country,
    lambda v: rules.validate_postal_code(v, country="LV"),
    rules.validate_currency,
    rules.validate_language,
    rules.validate_website,
    rules.validate_payment_terms,
    rules.text,
]


class TestJunk:
    @pytest.mark.parametrize("rule", RULES)
    @pytest.mark.parametrize("junk", JUNK, ids=lambda j: repr(j)[:12])
    def test_every_rule_answers_junk_with_our_error(self, rule, junk):
        """Junk gets a ValidationError (or a normal form), never a crash."""
        try:
            rule(junk)
        except ValidationError as exc:
            problems = exc.problems
        else:
            problems = ()
        assert all(p.message.endswith(".") for p in problems)

    @pytest.mark.parametrize("rule", RULES)
    @given(junk=st.one_of(st.text(max_size=60), st.binary(max_size=20), st.integers(), st.none()))
    def test_random_input_never_crashes(self, rule, junk):
        """Random text and values get our error or a normal form."""
        with contextlib.suppress(ValidationError):
            rule(junk)


TEXT_RULES = [
    ("name", rules.normalise_name),
    ("text", rules.text),
    ("email", rules.validate_email),
    ("phone", rules.validate_phone),
    ("tax_id", rules.validate_vat),
    ("company_id", lambda v: rules.validate_company_id(v, country="DK")),
    ("country", rules.validate_country),
    ("postal_code", lambda v: rules.validate_postal_code(v, country="LV")),
    ("currency", rules.validate_currency),
    ("language", rules.validate_language),
    ("website", rules.validate_website),
    ("payment_terms", rules.validate_payment_terms),
]


class TestDirectionControls:
    @pytest.mark.parametrize(
        "control",
        ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"],
    )
    @pytest.mark.parametrize(("code", "rule"), TEXT_RULES, ids=[c for c, _ in TEXT_RULES])
    def test_every_text_rule_refuses_them(self, code, rule, control):
        """Bidi embeddings, overrides and isolates are refused by every rule that reads text."""
        problem = problem_of(rule, f"Anna {control}azO")
        assert f"{code}.direction_control" == problem.code
        assert f"U+{ord(control):04X}" == problem.params["character"]

    def test_the_sentence(self):
        """The message names the character and says why it is refused."""
        problem = problem_of(rules.normalise_name, "Anna \u202eazO")
        assert (
            "The name contains the invisible character U+202E, which changes the direction "
            "of the text around it so that it reads differently from what is stored; "
            "remove it and try again."
        ) == problem.message
        assert {"subject": "name", "character": "U+202E", "position": 5} == dict(problem.params)

    @pytest.mark.parametrize(
        "name",
        [
            "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian with ZWNJ
            "\u0915\u094d\u200d\u0937",  # Devanagari with ZWJ
            "\u05e9\u05dc\u05d5\u05dd 2024\u200f",  # Hebrew with a right-to-left mark
            "Ltd \u200e\u05e9\u05dc\u05d5\u05dd",  # a left-to-right mark
        ],
    )
    def test_joiners_and_marks_are_kept(self, name):
        """Zero-width joiners and direction marks stay: real names need them."""
        assert name == rules.normalise_name(name)


class TestHostileValues:
    @pytest.mark.parametrize(("code", "rule"), TEXT_RULES, ids=[c for c, _ in TEXT_RULES])
    def test_huge_integers(self, code, rule):
        """10**5000 gets our error, never Python's limit on int-to-text conversion."""
        problem = problem_of(rule, 10**5000)
        assert problem.code.startswith(code)
        assert problem.message.endswith(".")

    @pytest.mark.parametrize(("code", "rule"), TEXT_RULES, ids=[c for c, _ in TEXT_RULES])
    def test_deeply_nested_containers(self, code, rule):
        """Lists and dicts nested 100,000 deep get our error, never a RecursionError."""
        for outer in (list, dict):
            value = []
            for _ in range(100_000):
                value = [value] if outer is list else {"a": value}
            problem = problem_of(rule, value)
            assert problem.code.startswith(code)
            assert len(problem.message) < 400

    @pytest.mark.parametrize(("code", "rule"), TEXT_RULES, ids=[c for c, _ in TEXT_RULES])
    def test_lone_surrogates(self, code, rule):
        """A lone surrogate (badly decoded text) is refused before it can be stored."""
        problem = problem_of(rule, "Anna \udcc3")
        assert f"{code}.control_character" == problem.code
        problem.message.encode("utf-8")  # the message itself is printable

    def test_payment_terms_mappings(self):
        """Junk inside payment-terms mappings is refused as such."""
        nested = []
        for _ in range(100_000):
            nested = [nested]
        for raw in (
            {"kind": "fixed_date", "date": nested},
            {"kind": "net", "days": 10**5000},
            {"kind": nested},
            {"kind": "fixed_date", "date": "9999-12-31"},
        ):
            assert "payment_terms.invalid" == problem_of(rules.validate_payment_terms, raw).code


class TestParams:
    @pytest.mark.parametrize(
        ("rule", "raw", "kwargs", "code", "params"),
        [
            (
                rules.text,
                "x" * 1001,
                {},
                "text.too_long",
                {"subject": "text", "length": 1001, "max_length": 1000},
            ),
            (rules.text, None, {}, "text.type", {"subject": "text", "type": "NoneType"}),
            (
                rules.text,
                "a\x07",
                {},
                "text.control_character",
                {"subject": "text", "character": "U+0007", "position": 1},
            ),
            (
                rules.validate_kind,
                "robot",
                {},
                "kind.invalid",
                {"value": "'robot'", "choices": ("company", "person")},
            ),
            (
                rules.validate_email,
                "janis",
                {},
                "email.invalid",
                {"email": "janis", "reason": "An email address must have an @-sign."},
            ),
            (
                rules.validate_phone,
                "12",
                {"region": "LV"},
                "phone.invalid",
                {"phone": "12", "country": "LV"},
            ),
            (
                rules.validate_phone_type,
                "pager",
                {},
                "phone_type.invalid",
                {"value": "'pager'", "choices": ("mobile", "work", "fax", "other")},
            ),
            (
                rules.validate_vat,
                "DE113866164",
                {},
                "tax_id.checksum",
                {"tax_id": "DE113866164", "country": "DE"},
            ),
            (
                rules.validate_company_id,
                "12345678",
                {"country": "DK"},
                "company_id.checksum",
                {"company_id": "12345678", "country": "DK"},
            ),
            (rules.validate_country, "Atlantis", {}, "country.unknown", {"country": "Atlantis"}),
            (
                rules.validate_postal_code,
                "1",
                {"country": "SE"},
                "postal_code.invalid",
                {"postal_code": "1", "country": "SE", "examples": ("114 55", "123 45")},
            ),
            (rules.validate_currency, "EURO", {}, "currency.unknown", {"currency": "EURO"}),
            (rules.validate_language, "xx", {}, "language.unknown", {"language": "xx"}),
            (
                rules.validate_website,
                "not a site",
                {},
                "website.invalid",
                {"website": "not a site"},
            ),
        ],
    )
    def test_each_code_carries_its_params(self, rule, raw, kwargs, code, params):
        """Each problem carries what its sentence is made of, by stable names."""
        problem = problem_of(rule, raw, **kwargs)
        assert (code, params) == (problem.code, dict(problem.params))

    def test_payment_terms_params(self):
        """Payment-terms problems carry the terms, the reason and the limit."""
        problem = problem_of(rules.validate_payment_terms, 400)
        assert "400" == problem.params["terms"]
        assert 365 == problem.params["max_days"]
        assert problem.params["reason"].startswith("The number of days")

    def test_params_are_read_only(self):
        """A problem's params cannot be changed."""
        problem = problem_of(rules.validate_currency, "EURO")
        with pytest.raises(TypeError):
            problem.params["currency"] = "EUR"
