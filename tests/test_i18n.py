"""Messages in the user's language: catalogs, rendering, formats, and the Latvian sentences."""

import datetime as dt
import functools
import io
import json
import os
import pickle
import re
import shutil
import socket
import string
import sys
import threading
import uuid
import zlib
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from babel.messages.mofile import read_mo
from hypothesis import given, settings
from hypothesis import strategies as st

from debitor_core import (
    Branding,
    CorruptStore,
    CustomerBook,
    MissingSnapshot,
    Problem,
    StorageError,
    StoreLocked,
    UnsupportedFormatVersion,
    ValidationError,
    WelcomeInvoicePolicy,
    available_locales,
    exchange,
    render_message,
    rules,
)
from debitor_core import strategies as ds
from debitor_core._errors import problem
from debitor_core._form import FormContext, RequiredFields, parse_form
from debitor_core._i18n import LOCALE_DIR, format_amount, format_date, language_of
from debitor_core._integrity import structural_problems
from debitor_core._messages import MESSAGES, NESTED, TERMS, select
from debitor_core._pattern import PatternError, compile_pattern
from debitor_core.storage import JsonFileStore, SqliteStore
from debitor_core.storage._json._journal_file import JournalFile
from debitor_core.storage._lock import InterProcessLock
from debitor_core.testing import sample_customer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import catalogs  # noqa: E402 - the tool lives outside the package

FOREIGN_TEXT = {("email.invalid", "reason"), ("email.undeliverable", "reason")}
"""Parameters holding a third-party library's English sentence: a translation may leave
them out rather than put English into the clerk's language."""


def placeholders(template):
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def compiled(language):
    with (LOCALE_DIR / language / "LC_MESSAGES" / "debitor_core.mo").open("rb") as fh:
        return read_mo(fh)


def failure(call):
    with pytest.raises(ValidationError) as info:
        call()
    return info.value.problems


class TestCatalogs:
    def test_english_latvian_and_german_ship(self):
        """English comes first; Latvian and German are found in the locale folder."""
        assert ("en", "de", "lv") == available_locales()

    @pytest.mark.parametrize("language", available_locales())
    def test_every_message_has_a_translation_with_the_same_placeholders(self, language):
        """Every key has a translation in every catalog, with the same placeholders."""
        catalog = compiled(language)
        faults = []
        for key, entry in MESSAGES.items():
            msgid = entry.text if entry.plural is None else (entry.text, entry.plural)
            message = catalog.get(msgid, key)
            if message is None or not message.string:
                faults.append((key, "missing"))
                continue
            strings = (
                message.string if isinstance(message.string, tuple | list) else [message.string]
            )
            wanted = placeholders(entry.text) | placeholders(entry.plural or "")
            for text in strings:
                got = placeholders(text)
                allowed_out = {name for code, name in FOREIGN_TEXT if code == key}
                if not text or got - wanted or wanted - got - allowed_out:
                    faults.append((key, text))
        assert [] == faults

    @pytest.mark.parametrize("language", available_locales())
    def test_every_term_is_translated(self, language):
        """The words that go into sentences (field names, countries) are in every catalog."""
        catalog = compiled(language)
        missing = [
            (context, text)
            for context, texts in TERMS.items()
            for text in texts
            if not getattr(catalog.get(text, context), "string", "")
        ]
        assert [] == missing

    def test_every_record_kind_is_a_word(self):
        """Each kind of record a store keeps is a term, so that its refusals translate it."""
        from debitor_core._invoice import RECORD_KINDS

        assert [] == sorted(set(RECORD_KINDS) - set(TERMS["record"]))

    def test_plural_forms_of_latvian_are_the_three_of_gettext(self):
        """Latvian has three plural forms: 21 problēma, 2 problēmas, 0 problēmu."""
        said = [render_message("errors.summary", {"count": n}, "lv") for n in (1, 21, 2, 11, 0)]
        assert [
            "Atrasta 1 problēma:",
            "Atrasta 21 problēma:",
            "Atrastas 2 problēmas:",
            "Atrastas 11 problēmas:",
            "Atrasts 0 problēmu:",
        ] == said

    def test_english_catalog_says_what_the_code_says(self):
        """The English catalog's translation of every sentence is its English text."""
        catalog = compiled("en")
        differ = [
            m.id for m in catalog if m.id and m.string != m.id and list(m.string) != list(m.id)
        ]
        assert [] == differ

    def test_catalogs_are_up_to_date_with_the_code(self):
        """The check behind `make lint` finds nothing to do in the repository."""
        assert [] == catalogs.check()

    def test_a_new_sentence_in_the_code_makes_the_check_fail(self, tmp_path, monkeypatch):
        """A sentence added to the code and not to the catalogs is reported (make lint fails)."""
        extra = tmp_path / "more.py"
        extra.write_text('message("test.new", "A new sentence.")\n', encoding="utf-8")
        monkeypatch.setattr(catalogs, "SOURCES", (*catalogs.SOURCES, str(extra)))
        faults = catalogs.check()
        assert any("out of date" in f for f in faults)
        assert any("lacks test.new" in f for f in faults)

    def test_a_catalog_dropped_into_the_folder_is_a_new_language(self, tmp_path, monkeypatch):
        """Adding a language is adding a compiled catalog: no code changes."""
        from debitor_core import _i18n

        for language in ("en", "lv", "de"):
            shutil.copytree(LOCALE_DIR / language, tmp_path / language)
        shutil.copytree(LOCALE_DIR / "de", tmp_path / "et")  # stands in for an Estonian one
        monkeypatch.setattr(_i18n, "LOCALE_DIR", tmp_path)
        for cached in (_i18n.available_locales, _i18n._language, _i18n._translations):
            cached.cache_clear()
        try:
            assert ("en", "de", "et", "lv") == available_locales()
            assert "Die Postleitzahl ist ein Pflichtfeld." == render_message(
                "postal_code.required", {}, "et"
            )
        finally:
            for cached in (_i18n.available_locales, _i18n._language, _i18n._translations):
                cached.cache_clear()


LATVIAN = (
    ("name.required", {"field": "name"}, "Nosaukums ir obligāts."),
    ("email.required", {"field": "email"}, "E-pasta adrese ir obligāta."),
    ("postal_code.required", {"field": "address.postal_code"}, "Pasta indekss ir obligāts."),
    ("country.required", {"field": "address.country"}, "Valsts ir obligāta."),
    (
        "email.invalid",
        {"email": "anna@", "reason": "There must be something after the @-sign."},
        "E-pasta adrese 'anna@' nav derīga.",
    ),
    (
        "phone.invalid",
        {"phone": "+371 123", "country": "LV"},
        "Tālruņa numurs '+371 123' nav derīgs Latvijā.",
    ),
    (
        "phone.country_code",
        {"phone": "2000 0000", "country": None},
        (
            "Tālruņa numuram '2000 0000' nav valsts koda; rakstiet to ar + un valsts kodu "
            "vai norādiet klienta valsti."
        ),
    ),
    (
        "tax_id.checksum",
        {"tax_id": "LV40003521601", "country": "LV"},
        "PVN numurs 'LV40003521601' nav derīgs Latvijā: nepareizs kontrolcipars.",
    ),
    (
        "postal_code.invalid",
        {"postal_code": "1011", "country": "DE", "examples": ("26133", "53225")},
        "Pasta indekss 1011 nav derīgs Vācijā; tam jāizskatās, piemēram, šādi: 26133 vai 53225.",
    ),
    (
        "postal_code.invalid",
        {"postal_code": "1", "country": "JP", "examples": ("154-0023", "350-1106")},
        (
            "Pasta indekss 1 nav derīgs valstī Japāna; tam jāizskatās, piemēram, šādi: "
            "154-0023 vai 350-1106."
        ),
    ),
    (
        "duplicate.likely",
        {"number": 12, "name": "SIA Koks", "evidence": ("tax_id", "email"), "archived": False},
        (
            "Iespējams, šis klients jums jau ir: klientam Nr. 12 (SIA Koks) ir tāds pats PVN "
            "numurs un tāda pati e-pasta adrese."
        ),
    ),
    (
        "duplicate.likely",
        {"number": 7, "name": "Jānis Bērziņš", "evidence": ("phone",), "archived": True},
        (
            "Iespējams, šis klients jums jau ir: klientam Nr. 7 (Jānis Bērziņš, arhivēts) ir "
            "tāds pats tālruņa numurs."
        ),
    ),
    (
        "postal_code.too_long",
        {"subject": "postal code", "length": 21, "max_length": 20},
        "Laukā „pasta indekss” ir 21 rakstzīme, bet atļauts ne vairāk kā 20.",
    ),
    (
        "note.too_long",
        {"subject": "note", "length": 12345, "max_length": 10000},
        "Laukā „piezīme” ir 12\xa0345 rakstzīmes, bet atļauts ne vairāk kā 10\xa0000.",
    ),
)


class TestLatvian:
    @pytest.mark.parametrize(("code", "params", "expected"), LATVIAN)
    def test_the_common_problems_read_as_a_clerk_expects(self, code, params, expected):
        """The most common problems, in Latvian, in full."""
        assert expected == render_message(code, params, "lv")

    def test_a_form_with_the_common_mistakes(self):
        """A form read against the complete policy says every problem in Latvian."""
        _draft, problems = parse_form(
            {"email": "anna@", "phone": "+371 123", "address": {"country": "LV"}},
            FormContext(required=RequiredFields.complete()),
        )
        error = ValidationError(problems).in_locale("lv")
        assert (
            "Atrastas 6 problēmas:\n"
            "- name: Nosaukums ir obligāts.\n"
            "- email: E-pasta adrese 'anna@' nav derīga.\n"
            "- phone: Tālruņa numurs '+371 123' nav derīgs Latvijā.\n"
            "- address.street: Iela ir obligāta.\n"
            "- address.postal_code: Pasta indekss ir obligāts.\n"
            "- address.city: Pilsēta ir obligāta."
        ) == str(error)

    def test_payment_terms_say_why_in_latvian(self):
        """A refusal nested in a problem is said in the same language."""
        (found,) = failure(lambda: rules.validate_payment_terms("net 400"))
        assert (
            "Apmaksas noteikumi 'net 400' nav derīgi: dienu skaitam jābūt no 0 līdz 365, nevis 400."
            == found.message_in("lv")
        )

    def test_dates_and_amounts_in_local_format(self):
        """Dates and amounts are written as in Latvia (and in Germany)."""
        assert (
            "2026. gada 31. dec.",
            "31.12.2026",
            "2026-12-31",
        ) == tuple(format_date(dt.date(2026, 12, 31), lang) for lang in ("lv", "de", "en"))
        assert (
            "1\xa0234,56\xa0€",
            "1.234,56\xa0€",
            "1234.56 EUR",
        ) == tuple(format_amount(Decimal("1234.56"), "EUR", lang) for lang in ("lv", "de", "en"))

    def test_country_names_come_from_cldr(self):
        """Country names are the language's own, from CLDR: Latvija, Vācija, Lettland."""
        from debitor_core._i18n import _country_name

        assert ("Latvija", "Vācija", "Lettland", "Latvia") == (
            _country_name("LV", "lv"),
            _country_name("DE", "lv"),
            _country_name("LV", "de"),
            _country_name("LV", "en"),
        )
        assert "Ziemeļīrija" == _country_name("XI", "lv")


class TestRender:
    def test_english_is_the_default(self):
        """Without a locale, a problem is said in English."""
        assert "The postal code is required." == render_message("postal_code.required")

    @pytest.mark.parametrize(
        ("locale", "expected"),
        [
            ("lv", "lv"),
            ("LV", "lv"),
            ("lv-LV", "lv"),
            ("lv_LV.UTF-8", "lv"),
            ("de_AT", "de"),
            ("en_GB", "en"),
            ("fr", "en"),
            ("", "en"),
            ("C", "en"),
        ],
    )
    def test_locales_name_their_language(self, locale, expected):
        """A locale gives the language of its catalog; one without a catalog gives English."""
        assert expected == language_of(locale)

    @pytest.mark.parametrize("locale", [None, 1, b"lv", object()])
    def test_a_locale_must_be_text(self, locale):
        """A locale that is not text is a TypeError naming what was expected."""
        with pytest.raises(TypeError, match="The locale must be text"):
            language_of(locale)

    def test_an_unknown_code_is_a_lookup_error(self):
        """No catalog says a code it does not have."""
        with pytest.raises(LookupError, match=r"No message has the code 'nothing\.here'"):
            render_message("nothing.here", {})

    def test_a_missing_parameter_stays_visible(self):
        """A sentence never fails: a parameter the template needs and lacks shows as {name}."""
        assert "The phone number {phone} is too long." == render_message("phone.too_long", {})
        assert "Tālruņa numurs {phone} ir par garu." == render_message("phone.too_long", {}, "lv")

    def test_a_broken_translation_is_shown_rather_than_fail(self):
        """A template a translator broke is shown as written."""
        from debitor_core._i18n import _fill

        assert "Vērtība {nav" == _fill("Vērtība {nav", {}, "lv")

    def test_custom_field_problems_nest_their_rule(self):
        """A custom email field says the email rule's sentence after its label."""
        params = {
            "label": "Rēķinu e-pasts",
            "field": "billing",
            "rule_code": "email.invalid",
            "email": "x@",
            "reason": "",
        }
        assert "Rēķinu e-pasts: E-pasta adrese 'x@' nav derīga." == render_message(
            "custom_field.invalid", params, "lv"
        )

    def test_every_nested_key_is_a_message(self):
        """Each key with a sentence inside it is itself a message."""
        assert set(NESTED) <= set(MESSAGES)

    def test_the_text_rule_keeps_a_host_apps_own_label(self):
        """A label the catalogs do not know is kept as the host app wrote it."""
        (found,) = failure(lambda: rules.text("", label="piegādes piezīme", code="delivery_note"))
        assert "Lauks „piegādes piezīme” ir tukšs." == found.message_in("lv")


@st.composite
def problems(draw):
    form = draw(ds.invalid_forms())
    return parse_form(form, FormContext())[1]


def unfilled(found):
    """The placeholders of the problem's template that its params cannot fill."""
    key = select(found.code, found.params)
    entry = MESSAGES[key]
    names = placeholders(entry.text) | placeholders(entry.plural or "")
    return names - set(found.params) - {"detail"}


class TestEveryProblemIsSaid:
    @settings(max_examples=60, deadline=None)
    @given(problems())
    def test_every_problem_of_a_bad_form_has_a_full_sentence_everywhere(self, found):
        """Every problem of a bad form has a template its params fill, in every language."""
        for item in found:
            assert select(item.code, item.params) in MESSAGES
            assert set() == unfilled(item)
            for language in available_locales():
                assert item.message_in(language) != item.code

    @pytest.mark.parametrize(
        "call",
        [
            lambda: rules.validate_payment_terms({"kind": "fixed_date", "date": "3000-01-01"}),
            lambda: rules.validate_payment_terms({"kind": "net", "days": "3"}),
            lambda: rules.validate_payment_terms({"kind": "x"}),
            lambda: rules.validate_payment_terms("fixed 2026-13-01"),
            lambda: rules.validate_payment_terms("whenever"),
            lambda: rules.validate_website("http://exa mple.com"),
            lambda: rules.validate_phone("abc"),
            lambda: rules.validate_vat("DE1", country="DE"),
            lambda: rules.validate_company_id("1", country="FI"),
            lambda: rules.validate_currency("XXX"),
            lambda: rules.validate_language("xx"),
            lambda: rules.validate_country("Narnia"),
            lambda: rules.validate_kind("robot"),
            lambda: rules.validate_phone_type("pager"),
            lambda: WelcomeInvoicePolicy(Branding("Koks"), locale="fr"),
        ],
    )
    def test_rules_say_their_problems_in_every_language(self, call):
        """Each rule's problem has a sentence in every language, none left as its code."""
        for found in failure(call):
            assert set() == unfilled(found)
            said = {found.message_in(lang) for lang in available_locales()}
            assert len(said) == len(available_locales())


class TestProblem:
    def test_message_is_english_and_message_in_another_language(self):
        """`message` is English; `message_in` says the same in Latvian."""
        found = problem("email", "email.required", None, field="email")
        assert ("The email address is required.", "E-pasta adrese ir obligāta.") == (
            found.message,
            found.message_in("lv"),
        )

    def test_in_locale_changes_the_language_of_message(self):
        """A problem put in Latvian says its message, and str, in Latvian."""
        found = problem("email", "email.required", None, field="email").in_locale("lv_LV")
        assert ("lv", "email: E-pasta adrese ir obligāta.") == (found.locale, str(found))

    def test_the_same_problem_in_two_languages_is_equal(self):
        """Equality is about the problem, not the language it is said in."""
        found = problem("email", "email.required", None, field="email")
        assert found == found.in_locale("lv")
        assert hash(found) == hash(found.in_locale("lv"))

    def test_a_problem_with_its_own_sentence_keeps_it(self):
        """A host app's sentence is the same in every language."""
        found = Problem("x", "x.custom", "Mans teikums.")
        assert ("Mans teikums.", "Mans teikums.") == (found.message, found.message_in("de"))

    def test_an_unknown_code_without_a_sentence_reads_as_its_code(self):
        """A problem no catalog knows and that has no sentence shows its code."""
        assert "x.unknown" == Problem("x", "x.unknown").message

    def test_a_problem_in_latvian_pickles_in_latvian(self):
        """A problem keeps its language through pickling (to another process)."""
        found = problem("city", "city.required", None, field="address.city").in_locale("lv")
        assert "Pilsēta ir obligāta." == pickle.loads(pickle.dumps(found)).message  # noqa: S301 - our own bytes

    def test_at_keeps_the_sentence(self):
        """Moving a problem under a path keeps what it says."""
        found = problem("", "email.required", None, field="email")
        assert found.message == found.at("customers[2]").message

    def test_an_error_in_latvian(self):
        """ValidationError.in_locale says every problem, and the summary, in Latvian."""
        error = ValidationError(
            [
                problem("email", "email.required", None, field="email"),
                problem("phone", "phone.required", None, field="phone"),
            ]
        )
        assert (
            "Atrastas 2 problēmas:\n- email: E-pasta adrese ir obligāta.\n"
            "- phone: Tālruņa numurs ir obligāts."
        ) == str(error.in_locale("lv"))
        assert str(error).startswith("2 problems were found:")


class TestPatternError:
    def test_a_refused_pattern_carries_its_code(self):
        """A pattern RE2 refuses says why in English and carries a code for other languages."""
        with pytest.raises(PatternError) as info:
            compile_pattern("(a)\\1")
        assert ("pattern.refused", True) == (info.value.code, info.value.params["linear"])
        assert str(info.value).startswith("The pattern cannot be used: ")


class TestWelcomeLocale:
    def test_the_default_message_and_line_are_in_the_policys_language(self):
        """A Latvian policy greets in Latvian and names its line in Latvian."""
        policy = WelcomeInvoicePolicy(Branding("SIA Koks"), locale="lv")
        assert ("Laipni lūdzam, {customer.greeting_name}!", "Sveiciens") == (
            policy.message_template,
            policy.lines[0].description,
        )

    def test_a_template_of_ones_own_is_kept(self):
        """A message the business wrote is kept as written, whatever the language."""
        policy = WelcomeInvoicePolicy(Branding("SIA Koks"), "Sveiki!", locale="lv")
        assert "Sveiki!" == policy.message_template

    def test_english_is_unchanged(self):
        """Without a locale, the policy on its own is in English, as before."""
        policy = WelcomeInvoicePolicy(Branding("Koks"))
        assert (None, "Welcome, {customer.greeting_name}!", "Welcome") == (
            policy.locale,
            policy.message_template,
            policy.lines[0].description,
        )

    def test_a_policy_without_a_language_speaks_the_books(self, clock):
        """Given to a Latvian book, a policy made without locale= is in Latvian."""
        book = CustomerBook(
            clock=clock, locale="lv", welcome=WelcomeInvoicePolicy(Branding("Koks"))
        )
        latvian = WelcomeInvoicePolicy(Branding("Koks"), locale="lv")
        assert (latvian.message_template, latvian.lines) == (
            book.welcome.message_template,
            book.welcome.lines,
        )
        assert "lv" == book.welcome.locale

    def test_a_policy_with_a_language_keeps_it(self, clock):
        """A policy made with locale="en" stays English in a Latvian book."""
        policy = WelcomeInvoicePolicy(Branding("Koks"), locale="en")
        book = CustomerBook(clock=clock, locale="lv", welcome=policy)
        assert policy == book.welcome
        book.welcome = WelcomeInvoicePolicy(Branding("Koks"))  # replaced: the book's again
        assert "lv" == book.welcome.locale

    @pytest.mark.parametrize("locale", ["fr", "", 3])
    def test_a_language_without_a_catalog_is_refused(self, locale):
        """A policy's language must be one we have messages in."""
        (found,) = failure(lambda: WelcomeInvoicePolicy(Branding("Koks"), locale=locale))
        assert ("locale", "locale.unknown") == (found.path, found.code)
        assert found.message.endswith("use one of en, de, lv.")


# -- the sentences that were English only: stored records, imports, files, storage ---------

SOURCE = ROOT / "src" / "debitor_core"
_RAISED = (
    re.compile(r'\b(?:Problem|problem)\(\s*[^,()]*?,\s*"([a-z_]+\.[a-z_0-9]+)"'),
    re.compile(r'ValidationError\.single\(\s*"([a-z_]+\.[a-z_0-9]+)"'),
    re.compile(r'\bcode="([a-z_]+\.[a-z_0-9]+)"'),
)


def raised_codes():
    """Every code the library's source raises as a literal, with the files raising it."""
    found = {}
    for path in sorted(SOURCE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for pattern in _RAISED:
            for match in pattern.finditer(text):
                found.setdefault(match.group(1), set()).add(path.name)
    return found


def has_message(code):
    """Whether the catalogs say ``code``: itself, a variant of it, or its family."""
    return select(code, {}) in MESSAGES or any(key.startswith(code + "/") for key in MESSAGES)


class TestEveryRaisedCodeIsSaid:
    def test_the_walk_finds_the_codes_of_every_layer(self):
        """The walk sees the domain's, the importer's, the exchange's and storage's codes."""
        codes = raised_codes()
        assert {
            "integrity.type",
            "integrity.range",
            "id.taken",
            "record.reference",
            "invoice.number_taken",
            "file.encoding",
            "row.cells",
            "storage.locked",
            "storage.missing_snapshot",
            "category.name_taken",
        } <= set(codes)

    def test_every_code_the_source_raises_has_a_message(self):
        """No problem or storage error falls back to its bare code in any language."""
        missing = {code: files for code, files in raised_codes().items() if not has_message(code)}
        assert {} == missing

    @pytest.mark.parametrize("language", ["lv", "de"])
    def test_every_raised_code_is_translated(self, language):
        """Each key of a raised code has a translation with the same placeholders."""
        translations = compiled(language)
        for code in raised_codes():
            for key in (k for k in MESSAGES if k == code or k.startswith(code + "/")):
                entry = MESSAGES[key]
                msgid = entry.text if entry.plural is None else (entry.text, entry.plural)
                message = translations.get(msgid, key)
                assert message is not None, key
                assert not message.fuzzy, key
                forms = (
                    message.string if isinstance(message.string, tuple | list) else [message.string]
                )
                wanted = placeholders(entry.text) | placeholders(entry.plural or "")
                words = re.sub(r"\{[^}]*\}", "", entry.text)
                for form in forms:
                    assert placeholders(form) <= wanted, (key, form)
                    assert form != entry.text or not re.search(r"[a-z]{3}", words), key


LATVIAN_MOVED = [
    ("integrity.missing", {}, "Vērtības nav; tā ir obligāta."),
    ("integrity.empty", {}, "Teksts ir tukšs."),
    (
        "integrity.too_long",
        {"length": 21, "max_length": 20},
        "Tekstā ir 21 rakstzīme, bet atļauts ne vairāk kā 20.",
    ),
    (
        "integrity.too_long",
        {"length": 25, "max_length": 20},
        "Tekstā ir 25 rakstzīmes, bet atļauts ne vairāk kā 20.",
    ),
    (
        "integrity.type",
        {"expected": "a date", "type": "str", "shown": "'2026'"},
        "Vērtībai jābūt datumam, nevis str '2026'.",
    ),
    ("integrity.range", {"value": -5, "min": 0, "max": 10}, "-5 ir ārpus robežām no 0 līdz 10."),
    ("id.taken", {"id": "c0ffee"}, "Klients ar ID c0ffee grāmatā jau ir."),
    (
        "record.taken",
        {"record": "invoice", "key": "k1"},
        "Grāmatā jau ir ieraksts „rēķins” ar atslēgu k1.",
    ),
    (
        "record.reference",
        {"record": "payment", "invoice_id": "i1"},
        "Ieraksts „maksājums” attiecas uz rēķinu i1, kura nav ne grāmatā, ne datos.",
    ),
    ("invoice.number_taken", {"number": 7}, "Rēķina numurs 7 jau ir aizņemts."),
    (
        "number.invalid",
        {"text": "12a"},
        "Klienta numuram jābūt pozitīvam veselam skaitlim, nevis '12a'.",
    ),
    (
        "file.empty",
        {"file": "klienti.csv"},
        "Fails klienti.csv ir tukšs: tajā nav galvenes rindas ar kolonnu nosaukumiem.",
    ),
    (
        "file.columns",
        {"subject": "postal code", "target": "postal_code"},
        (
            "Failā nav kolonnas laukam „pasta indekss”, kas šajā grāmatā ir obligāts; pievienojiet "
            "kolonnu vai piesaistiet kolonnu, kurā tas ir, laukam postal_code."
        ),
    ),
    (
        "row.cells",
        {"count": 5, "columns": 4},
        (
            "Rindā ir 5 šūnas, bet galvene nosauc 4 kolonnas; kādā vērtībā droši vien ir atdalītājs "
            "bez pēdiņām ap to."
        ),
    ),
    (
        "storage.locked",
        {"book": "klienti.json", "seconds": "2.5"},
        (
            "Cits process tur grāmatas klienti.json slēdzeni jau ilgāk par 2,5 s. Mēģiniet vēlāk: "
            "sistēma atbrīvo slēdzeni, tiklīdz šis process beidzas."
        ),
    ),
    (
        "storage.newer",
        {"book": "klienti.json", "version": 99, "known": 5},
        (
            "Grāmatu klienti.json ierakstījusi jaunāka debitor-core versija (formāta versija 99); "
            "šī versija lasa versijas līdz 5. Lai to atvērtu, atjauniniet debitor-core. Fails "
            "netika mainīts."
        ),
    ),
    (
        "storage.missing_snapshot",
        {"book": "k.json", "journal": "k.json.journal", "size": 21, "rule": "missing_journal"},
        (
            "Grāmatas k.json nav, bet tās žurnālā k.json.journal ir 21 baits apstiprinātu izmaiņu. "
            "Nekas netika mainīts. Ja grāmatas fails tika pārvietots vai pārdēvēts, novietojiet to "
            "atpakaļ; citādi atjaunojiet to no rezerves kopijas. Lai šeit tā vietā sāktu jaunu, "
            "tukšu grāmatu, vispirms pārvietojiet žurnālu citur."
        ),
    ),
]


class TestLatvianOfTheMovedSentences:
    @pytest.mark.parametrize(("code", "params", "expected"), LATVIAN_MOVED)
    def test_the_common_ones_read_as_a_clerk_expects(self, code, params, expected):
        assert expected == render_message(code, params, "lv")

    def test_a_damaged_record_says_its_problems_in_latvian(self):
        """The problems of a stored record keep their English and have Latvian."""
        broken = attrs.evolve(sample_customer(1), name="", version=0)
        found = structural_problems(broken)
        assert [("name", "integrity.empty"), ("version", "integrity.version")] == [
            (p.path, p.code) for p in found
        ]
        assert ["The text is empty.", "The version is 0; versions start at 1."] == [
            p.message for p in found
        ]
        assert ["Teksts ir tukšs.", "Versija ir 0; versijas sākas ar 1."] == [
            p.message_in("lv") for p in found
        ]
        assert "Der Text ist leer." == found[0].message_in("de")

    def test_an_import_that_clashes_says_so_in_latvian(self, clock):
        """id.taken, number.taken: the import's problems in the book's language."""
        book = CustomerBook(locale="lv", clock=clock)
        book.register({"name": "SIA Koks", "address": {"country": "LV"}})
        with pytest.raises(ValidationError) as info:
            book.import_data(book.export())
        said = {p.code: p.message_in("lv") for p in info.value.problems}
        customer_id = book.customers()[0].id
        assert f"Klients ar ID {customer_id} grāmatā jau ir." == said["id.taken"]


class TestStorageErrorsInTheUsersLanguage:
    def assert_said(self, error, code):
        """English stays the log's sentence; the catalog's English is the same sentence."""
        assert code == error.code
        assert str(error) == error.message_in("en") == render_message(code, error.params, "en")
        latvian = error.message_in("lv_LV.UTF-8")
        assert latvian != str(error)
        assert "{" not in latvian
        assert error.message_in("de") not in {str(error), latvian}
        copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own error
        assert (type(error), str(error), error.code, dict(error.params)) == (
            type(copy),
            str(copy),
            copy.code,
            dict(copy.params),
        )
        return latvian

    def test_a_locked_book(self, tmp_path, clock):
        path = tmp_path / "book.json"
        store = JsonFileStore(path, timeout=0.05)
        other = InterProcessLock(store.lock_path, timeout=1)
        other.acquire()
        try:
            with pytest.raises(StoreLocked) as info:
                CustomerBook(store, clock=clock).register(
                    {"name": "SIA Koks", "address": {"country": "LV"}}
                )
        finally:
            other.release()
            store.close()
        latvian = self.assert_said(info.value, "storage.locked")
        assert f"Cits process tur grāmatas {path} slēdzeni jau ilgāk par 0,05 s." in latvian

    def test_a_missing_snapshot(self, tmp_path, clock):
        path = tmp_path / "book.json"
        book = CustomerBook(JsonFileStore(path), clock=clock)
        book.register({"name": "SIA Koks", "address": {"country": "LV"}})
        book.close()
        path.rename(tmp_path / "elsewhere.json")
        with pytest.raises(MissingSnapshot) as info:
            JsonFileStore(path)
        latvian = self.assert_said(info.value, "storage.missing_snapshot")
        assert latvian.startswith(f"Grāmatas {path} nav, bet tās žurnālā {path}.journal ir ")

    def test_a_newer_book(self, tmp_path):
        path = tmp_path / "book.json"
        path.write_bytes(json.dumps({"format": "debitor-core/book", "version": 99}).encode())
        with pytest.raises(UnsupportedFormatVersion) as info:
            JsonFileStore(path)
        latvian = self.assert_said(info.value, "storage.newer")
        assert "(formāta versija 99)" in latvian

    def test_a_damaged_book(self, tmp_path):
        path = tmp_path / "book.json"
        CustomerBook(JsonFileStore(path)).close()
        path.write_bytes(path.read_bytes().replace(b'"customers"', b'"kustomers"'))
        with pytest.raises(CorruptStore) as info:
            JsonFileStore(path)
        latvian = self.assert_said(info.value, "storage.corrupt")
        assert latvian.startswith(f"Grāmatu {path} nevar nolasīt: ")

    def test_each_kind_of_book_refuses_the_other(self, tmp_path):
        database = tmp_path / "book.db"
        SqliteStore(database).close()
        with pytest.raises(StorageError) as info:
            JsonFileStore(database)
        assert "ir SQLite datubāze, nevis JSON grāmata" in self.assert_said(
            info.value, "storage.wrong_kind"
        )
        book = tmp_path / "book.json"
        JsonFileStore(book).close()
        with pytest.raises(StorageError) as info:
            SqliteStore(book)
        assert "ir JSON grāmata, nevis SQLite datubāze" in self.assert_said(
            info.value, "storage.wrong_kind"
        )

    def test_a_closed_store(self, tmp_path):
        store = JsonFileStore(tmp_path / "book.json")
        store.close()
        with pytest.raises(StorageError) as info:
            store.revision()
        assert "ir aizvērta" in self.assert_said(info.value, "storage.closed")

    def test_a_missing_or_blocked_folder(self, tmp_path):
        missing = tmp_path / "nav" / "book.json"
        with pytest.raises(StorageError) as info:
            JsonFileStore(missing)
        latvian = self.assert_said(info.value, "storage.folder")
        assert latvian == (
            f"Mape {missing.parent} neeksistē, tāpēc grāmatu {missing} tajā nevar ne atvērt, "
            "ne izveidot. Pārbaudiet ceļu vai vispirms izveidojiet mapi (vai norādiet "
            "create_folder=True)."
        )
        with pytest.raises(StorageError) as info:
            SqliteStore(tmp_path / "nav" / "book.db")
        assert "tāpēc datubāzi" in self.assert_said(info.value, "storage.folder")
        (tmp_path / "file").write_text("not a folder")
        with pytest.raises(StorageError) as info:
            JsonFileStore(tmp_path / "file" / "book.json")
        assert self.assert_said(info.value, "storage.folder") == (
            f"{tmp_path / 'file'} nav mape, tāpēc grāmatu {tmp_path / 'file' / 'book.json'} "
            "tajā nevar glabāt."
        )
        with pytest.raises(StorageError) as info:
            SqliteStore(tmp_path / "file" / "book.db")
        assert "tāpēc datubāzi" in self.assert_said(info.value, "storage.folder")
        deep = tmp_path / "file" / "below" / "book.json"
        with pytest.raises(StorageError) as info:
            JsonFileStore(deep, create_folder=True)
        assert self.assert_said(info.value, "storage.folder").startswith(
            f"Mapi {deep.parent} grāmatai {deep} nevarēja izveidot: "
        )
        with pytest.raises(StorageError) as info:
            SqliteStore(tmp_path / "file" / "below" / "book.db", create_folder=True)
        assert "datubāzei" in self.assert_said(info.value, "storage.folder")
        assert not deep.parent.exists()

    def test_a_damaged_database(self, tmp_path):
        path = tmp_path / "book.db"
        path.write_bytes(b"not a database at all, " * 100)
        with pytest.raises(CorruptStore) as info:
            SqliteStore(path)
        latvian = self.assert_said(info.value, "storage.corrupt")
        assert latvian.startswith(f"Datubāzi {path} nevar nolasīt (")
        assert latvian.endswith("vai pārvietojiet to citur, lai sāktu jaunu grāmatu.")

    def test_the_json_stores_disk_failures(self, tmp_path, monkeypatch, clock):
        path = tmp_path / "book.json"
        (tmp_path / "book.json.lock").mkdir()
        with pytest.raises(StorageError) as info:
            JsonFileStore(path)
        assert self.assert_said(info.value, "storage.lock_failed").startswith(
            f"Grāmatu {path} nevar aizslēgt: "
        )
        (tmp_path / "book.json.lock").rmdir()
        with pytest.raises(StorageError) as info:
            JsonFileStore.reseal(path)
        assert f"Ceļā {path} nav grāmatas" in self.assert_said(info.value, "storage.reseal")
        store = JsonFileStore(path, clock=clock)
        CustomerBook(store, clock=clock).register(
            {"name": "SIA Koks", "address": {"country": "LV"}}
        )
        full = OSError(28, "No space left on device")
        monkeypatch.setattr(Path, "replace", lambda *_: (_ for _ in ()).throw(full))
        with pytest.raises(StorageError) as info:
            store.compact()
        assert "Nekas netika mainīts: žurnālā" in self.assert_said(info.value, "storage.compaction")
        store.close()
        with pytest.raises(StorageError) as info:
            JsonFileStore.reseal(path)
        assert "nevarēja no jauna apzīmogot" in self.assert_said(info.value, "storage.reseal")
        monkeypatch.undo()
        store = JsonFileStore(path, clock=clock)
        monkeypatch.setattr(JournalFile, "append", lambda *_: (_ for _ in ()).throw(full))
        with pytest.raises(StorageError) as info:
            CustomerBook(store, clock=clock).register(
                {"name": "SIA Ozols", "address": {"country": "LV"}}
            )
        assert self.assert_said(info.value, "storage.commit_failed").startswith(
            f"Ierakstīšana žurnālā {path}.journal neizdevās"
        )

    def test_a_reseal_that_finds_problems(self, tmp_path, clock):
        path = tmp_path / "book.json"
        store = JsonFileStore(path, clock=clock)
        CustomerBook(store, clock=clock).register(
            {"name": "SIA Koks", "address": {"country": "LV"}}
        )
        store.compact()
        store.close()
        data = json.loads(path.read_bytes())
        data["customers"][0]["name"] = ""
        path.write_bytes(json.dumps(data).encode())
        with pytest.raises(CorruptStore) as info:
            JsonFileStore.reseal(path)
        assert self.assert_said(info.value, "storage.reseal") == (
            f"Grāmatu {path} nevar no jauna apzīmogot: customer 1: name: The text is empty. "
            "Izlabojiet šīs kļūdas un apzīmogojiet to vēlreiz; fails atstāts, kāds ir."
        )

    def test_an_older_book_that_cannot_be_upgraded(self, tmp_path, monkeypatch):
        golden = ROOT / "tests" / "golden"
        for name in ("book-v2.json", "book-v2.json.journal"):
            shutil.copy(golden / name, tmp_path / name)
        full = OSError(28, "No space left on device")
        monkeypatch.setattr(Path, "write_bytes", lambda *_: (_ for _ in ()).throw(full))
        with pytest.raises(StorageError) as info:
            JsonFileStore(tmp_path / "book-v2.json")
        assert "ir vecākā formātā (versija 2)" in self.assert_said(info.value, "storage.upgrade")

    def test_no_postgresql_server_to_connect_to(self):
        pytest.importorskip("psycopg")
        from debitor_core.storage import PostgresStore

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with pytest.raises(StorageError) as info:
            PostgresStore.connect(
                f"host=127.0.0.1 port={port} dbname=test user=postgres", book_id="b"
            )
        latvian = self.assert_said(info.value, "storage.unavailable")
        assert latvian.startswith(
            f"Nevarēja savienoties ar PostgreSQL serveri postgres@127.0.0.1:{port}/test: "
        )

    def test_a_postgresql_book_locked_by_another_transaction(self, postgres, clock):
        from debitor_core.storage import PostgresStore

        schema = f"test_i18n_{os.getpid()}"
        store = PostgresStore.connect(
            postgres.conninfo, book_id="klienti", schema=schema, lock_timeout=0.2
        )
        try:
            with postgres.admin() as other, other.transaction():
                other.execute(
                    f'SELECT 1 FROM "{schema}".debitor_book WHERE book_id = %s FOR UPDATE',  # noqa: S608 - the test's own schema
                    (store.book_id,),
                )
                with pytest.raises(StoreLocked) as info:
                    CustomerBook(store, clock=clock).register(
                        {"name": "SIA Koks", "address": {"country": "LV"}}
                    )
        finally:
            store.close()
            with postgres.admin() as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        assert "'klienti'" == info.value.params["book"]
        assert self.assert_said(info.value, "storage.locked") == (
            "Grāmatu 'klienti' ir aizslēgusi cita transakcija, kas laikus nepabeidzās. "
            "Nekas netika mainīts; mēģiniet vēlāk."
        )
        with pytest.raises(StorageError) as info:
            store.revision()
        assert "Grāmatas 'klienti' krātuve ir aizvērta." == self.assert_said(
            info.value, "storage.closed"
        )

    @staticmethod
    def go_on_after_a_failure(store, kept, refused):
        """Catch a failed statement in a transaction and try the next: both are refused."""
        with store.transaction() as tx:
            with pytest.raises(StoreLocked):
                tx.update(attrs.evolve(kept, version=2), expected_version=1)
            with pytest.raises(StorageError) as info:
                tx.add(sample_customer(2))
            refused.append(info.value)

    def test_a_postgresql_book_in_trouble(self, postgres, clock):
        from debitor_core.storage import PostgresStore

        schema = f"test_i18n_trouble_{os.getpid()}"
        connect = functools.partial(
            PostgresStore.connect, postgres.conninfo, book_id="klienti", schema=schema
        )
        store = connect(lock_timeout=0.1)
        opened, done = threading.Event(), threading.Event()

        def hold():
            with store.transaction():
                opened.set()
                done.wait(10)

        holder = threading.Thread(target=hold)
        holder.start()
        opened.wait(10)
        try:
            with pytest.raises(StoreLocked) as info:
                CustomerBook(store, clock=clock).register(
                    {"name": "SIA Koks", "address": {"country": "LV"}}
                )
        finally:
            done.set()
            holder.join()
        assert "cita šī procesa transakcija" in self.assert_said(info.value, "storage.locked")
        kept = sample_customer(1)
        with store.transaction() as tx:
            tx.add(kept)
        try:
            with postgres.admin() as other, other.transaction():
                other.execute(f'SELECT 1 FROM "{schema}".debitor_customer FOR UPDATE')  # noqa: S608 - the test's own schema
                inner = []
                with pytest.raises(StorageError) as caught:
                    self.go_on_after_a_failure(store, kept, inner)
            assert self.assert_said(inner[0], "storage.transaction_failed").startswith(
                "Šo transakciju nevar turpināt: kāds iepriekšējs vaicājums neizdevās"
            )
            assert self.assert_said(caught.value, "storage.transaction_failed").startswith(
                "Transakcija tika atsaukta: kāds tās vaicājums neizdevās"
            )
            with postgres.admin() as conn:
                conn.execute(f'INSERT INTO "{schema}".debitor_schema_version VALUES (99)')  # noqa: S608 - the test's own schema
                conn.execute(f'DELETE FROM "{schema}".debitor_book')  # noqa: S608 - the test's own schema
            with pytest.raises(StorageError) as info:
                store.revision()
            assert "Grāmatas 'klienti' datubāzē vairs nav" in self.assert_said(
                info.value, "storage.deleted"
            )
            with pytest.raises(UnsupportedFormatVersion) as info:
                connect().close()
            assert self.assert_said(info.value, "storage.newer").startswith(
                "Datubāzē ir debitor-core shēmas versija 99, ko ierakstījusi jaunāka"
            )
        finally:
            store.close()
            with postgres.admin() as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

    def test_postgresql_tables_without_a_version(self, postgres):
        from debitor_core.storage import PostgresStore

        schema = f"test_i18n_unversioned_{os.getpid()}"
        try:
            with postgres.admin() as conn:
                conn.execute(f'CREATE SCHEMA "{schema}"')
                conn.execute(f'CREATE TABLE "{schema}".debitor_book (book_id text)')
            with pytest.raises(CorruptStore) as info:
                PostgresStore.connect(postgres.conninfo, book_id="b", schema=schema)
        finally:
            with postgres.admin() as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        assert self.assert_said(info.value, "storage.corrupt").startswith(
            f"debitor-core tabulām shēmā {schema} nav tabulas debitor_schema_version"
        )

    @pytest.mark.parametrize(
        ("raised", "code", "latvian"),
        [
            ("PoolTimeout", "storage.unavailable", "Grāmatai 'b' laikus neatbrīvojās"),
            ("PoolClosed", "storage.closed", "Grāmatas 'b' savienojumu kopa ir aizvērta"),
            ("SerializationFailure", "storage.locked", "Transakcija grāmatā 'b' sadūrās"),
            ("QueryCanceled", "storage.cancelled", "Datubāze atcēla vaicājumu grāmatā 'b'"),
            ("UndefinedTable", "storage.corrupt", "Grāmatas 'b' tabulu trūkst"),
            ("ReadOnlySqlTransaction", "storage.read_only", "Grāmatas 'b' datubāze nepieņem"),
            ("InsufficientPrivilege", "storage.forbidden", "Datubāzes lietotājam grāmatā 'b'"),
            ("DiskFull", "storage.resources", "Datubāzes serverim, strādājot ar grāmatu 'b'"),
            ("AdminShutdown", "storage.connection_lost", "Savienojums ar grāmatas 'b' datubāzi"),
        ],
    )
    def test_the_postgresql_stores_errors(self, raised, code, latvian):
        psycopg_pool = pytest.importorskip("psycopg_pool")
        from psycopg import errors

        from debitor_core.storage._postgres._errors import commit_failed, translate

        kind = getattr(psycopg_pool, raised, None) or getattr(errors, raised)
        error = translate(kind("what the server said"), "the book 'b'")
        assert self.assert_said(error, code).startswith(latvian)
        assert ("what the server said" in error.message_in("lv")) == (raised != "PoolClosed")
        lost = commit_failed(errors.AdminShutdown("terminating connection"), "the book 'b'", 7)
        assert self.assert_said(lost, "storage.commit_unknown").startswith(
            "Savienojums ar datubāzi pārtrūka, saglabājot izmaiņas grāmatā 'b' (revīzija 7)"
        )

    def test_an_error_without_a_sentence_keeps_its_own_text(self):
        error = StorageError("The server said no.")
        assert ("storage.error", {}) == (error.code, dict(error.params))
        assert "The server said no." == error.message_in("lv") == error.message_in("en")
        unknown = StorageError("Gone.", code="storage.nothing_like_it")
        assert "Gone." == unknown.message_in("lv")


class TestFilesToImportInTheCallersLanguage:
    def test_an_empty_file(self):
        with pytest.raises(ValidationError) as info:
            exchange.import_csv(CustomerBook(), b"", dry_run=True)
        (found,) = info.value.problems
        assert (
            "file.empty",
            "The file the file is empty: it has no header row naming the columns.",
        ) == (
            found.code,
            found.message,
        )
        assert found.message_in("lv").endswith(
            "ir tukšs: tajā nav galvenes rindas ar kolonnu nosaukumiem."
        )

    def test_an_unknown_encoding(self):
        with pytest.raises(ValidationError) as info:
            exchange.import_csv(CustomerBook(), b"Name\nKoks\n", encoding="klingon")
        assert (
            "Nav teksta kodējuma ar nosaukumu 'klingon'; izmantojiet utf-8, cp1257 vai latin-1."
            == info.value.problems[0].message_in("lv")
        )

    def test_the_rejects_file_gives_its_reasons_in_the_books_language(self, tmp_path, clock):
        """Problems of the book and of the exchange alike, in Latvian, English when asked."""
        book = CustomerBook(locale="lv", clock=clock)
        source = "Name,Email,Country\nSIA Koks,bad@@x,LV\nOzols,o@ozols.lv,LV,extra\n"
        report = exchange.import_csv(book, source.encode(), dry_run=True)
        assert "lv" == report.locale
        rejects = tmp_path / "rejects.csv"
        assert 2 == report.write_rejects(rejects)
        rows = rejects.read_text(encoding="utf-8-sig").splitlines()
        assert "Email: E-pasta adrese 'bad@@x' nav derīga." in rows[1]
        assert "Rindā ir 4 šūnas, bet galvene nosauc 3 kolonnas;" in rows[2]
        report.write_rejects(rejects, locale="en")
        english = rejects.read_text(encoding="utf-8-sig")
        assert "The row has 4 cells but the header names 3 columns;" in english
        assert "nav derīga" not in english

    @pytest.mark.parametrize(
        ("locale", "added"),
        [
            ("lv", "Noraidītā rinda,Noraidīšanas iemesls"),
            ("de", "Abgelehnte Zeile,Grund der Ablehnung"),
            ("en", "Rejected row,Why it was rejected"),
        ],
    )
    def test_the_rejects_columns_in_the_language_import_again(self, clock, locale, added):
        """A rejects file names its two columns in its language, and imports again anywhere.

        Fixed, it imports into a book of any language, the two columns ignored and not
        reported as unknown.
        """
        book = CustomerBook(locale=locale, clock=clock)
        source = "Name,Email,Country\nSIA Koks,bad@@x,LV\n"
        report = exchange.import_csv(book, source.encode())
        stream = io.StringIO()
        assert 1 == report.write_rejects(stream)
        header, row = stream.getvalue().splitlines()
        assert f"Name,Email,Country,{added}" == header
        assert row.startswith("SIA Koks,bad@@x,LV,2,")
        fixed = stream.getvalue().replace("bad@@x", "info@koks.lv").encode()
        for reader in (CustomerBook(clock=clock), CustomerBook(locale="lv", clock=clock)):
            again = exchange.import_csv(reader, fixed)
            assert () == again.plan.ignored
            assert [("created", "info@koks.lv")] == [
                (o.action, c.email) for o, c in zip(again.outcomes, reader.customers(), strict=True)
            ]

    def test_an_unknown_column_is_still_reported(self, clock):
        """Only the rejects columns are ignored silently: another unknown column is named."""
        source = "Name,Country,Noraidītā rinda,Skype\nSIA Koks,LV,2,koks\n"
        report = exchange.import_csv(CustomerBook(clock=clock), source.encode())
        assert ("Skype",) == report.plan.ignored


def _placed(*key):
    """Order columns of a PostgreSQL row of the book id "" and their matching checksum."""
    from debitor_core.storage._postgres._rows import order_checksum

    return (1, 1, order_checksum("", key, 1, 1))


def _changed(*key):
    """The changed revision of a PostgreSQL row of the book id "" and its matching checksum."""
    from debitor_core.storage._postgres._rows import changed_checksum

    return (1, changed_checksum("", key, 1))


class TestTheLastEnglishOnlySentences:
    """The nested transaction, a damaged PostgreSQL row, an unknown database failure."""

    def codec_error(self, read):
        """The `CorruptStore` that ``read`` of a codec for the book 'b' (id "") raises."""
        pytest.importorskip("psycopg")
        from debitor_core.storage._postgres._rows import RowCodec

        codec = RowCodec("the book 'b'")
        with pytest.raises(CorruptStore) as info:
            read(codec)
        return info.value

    @pytest.mark.parametrize(
        ("read", "record", "key", "fault", "latvian"),
        [
            (
                lambda c: c.customer(("c1", 1, 1, None, 0, *_changed("customer", "c1"))),
                "customer",
                "c1",
                "columns",
                "tās datu vai kontrolsummas kolonna ir tukša vai nepareiza tipa",
            ),
            (
                lambda c: c.customer(("c1", 1, 1, "{}", 0, 2, _changed("customer", "c1")[1])),
                "customer",
                "c1",
                "changed",
                (
                    "tās changed_revision neatbilst kontrolsummai, tāpēc izmaiņa varētu būt "
                    "paslēpta no izmaiņu plūsmas"
                ),
            ),
            (
                lambda c: c.category(("k1", "{}", 1, *_placed("category", "k1"))),
                "category",
                "k1",
                "checksum",
                "tās kontrolsumma neatbilst datiem",
            ),
            (
                lambda c: c.category(("k1", "{}", 1, 1, 2, 0)),
                "category",
                "k1",
                "order",
                "tās secības kolonnas (added_revision, added_seq) neatbilst to kontrolsummai",
            ),
            (
                lambda c: c.book((uuid.UUID(int=1), 1, 0, 0, 0, 0, None, None, 0)),
                "book",
                "''",
                "sealed",
                "tās kontrolsumma neatbilst kolonnām",
            ),
            (
                lambda c: c.custom_field(
                    ("tier", "[]", zlib.crc32(b"[]"), *_placed("custom-field", "tier"))
                ),
                "custom-field",
                "'tier'",
                "data",
                "tās datus nevar nolasīt (",
            ),
            (
                lambda c: c.any_record(("quote", "q1", 1, "{}", 0)),
                "record",
                "'q1'",
                "kind",
                "tās veids 'quote' nav zināms",
            ),
        ],
    )
    def test_a_damaged_postgresql_row(self, read, record, key, fault, latvian):
        """Each fault of a row has its code, its parameters and its Latvian."""
        error = self.codec_error(read)
        assert "storage.corrupt" == error.code
        params = dict(error.params)
        assert (params.pop("book"), params.pop("rule")) == ("'b'", "row")
        assert (record, key, fault) == (params["record"], params["key"], params["fault"])
        assert (
            str(error) == error.message_in("en") == render_message("storage.corrupt", error.params)
        )
        said = error.message_in("lv")
        assert said.startswith(f"Grāmatas 'b' rindu {key} (ieraksts „")
        assert f"nevar nolasīt: {latvian}" in said
        assert "cannot" not in said
        assert "Die Zeile" in error.message_in("de")

    def test_a_row_whose_key_columns_disagree_in_full(self):
        """The Latvian of one damaged row, written out in full; a record's kind is translated."""
        from debitor_core._invoice import Invoice

        error = self.codec_error(
            lambda c: c.record(
                Invoice,
                (
                    *("i1", 1, "not json", zlib.crc32(b"not json")),
                    *_placed("record", "invoice", "i1"),
                    *_changed("record", "invoice", "i1"),
                ),
            )
        )
        assert ("invoice", "data") == (error.params["record"], error.params["fault"])
        reason = error.params["reason"]
        assert reason in str(error)
        assert (
            f"Grāmatas 'b' rindu 'i1' (ieraksts „rēķins”) nevar nolasīt: tās datus nevar nolasīt "
            f"({reason}). Rinda ir mainīta ārpus debitor-core vai bojāta; tā atstāta, kāda ir. "
            "Atjaunojiet to no rezerves kopijas."
        ) == error.message_in("lv")

    def test_an_unknown_row_fault_is_said_without_a_detail(self):
        """A host app's parameters with a fault no catalog knows still give a sentence."""
        params = {"book": "'b'", "record": "customer", "key": "c1", "rule": "row", "fault": "x"}
        assert render_message("storage.corrupt", params, "lv").startswith(
            "Grāmatas 'b' rindu c1 (ieraksts „klients”) nevar nolasīt: . "
        )

    def test_an_unrecognised_database_failure(self):
        """The catch-all names the driver's exception; its sentence is only a parameter."""
        psycopg = pytest.importorskip("psycopg")
        from debitor_core.storage._postgres._errors import translate

        error = translate(psycopg.InterfaceError("the connection is closed"), "the book 'b'")
        assert type(error) is StorageError
        assert (
            "storage.failed",
            {"book": "'b'", "error": "InterfaceError", "reason": "the connection is closed"},
        ) == (
            error.code,
            dict(error.params),
        )
        assert (
            "The database failed while working on the book 'b' (InterfaceError: the connection "
            "is closed)."
        ) == str(error)
        assert (
            "Datubāzes kļūda, strādājot ar grāmatu 'b' (InterfaceError: the connection is closed)."
        ) == error.message_in("lv")
        assert (
            "Bei der Arbeit am Buch 'b' ist ein Datenbankfehler aufgetreten (InterfaceError: "
            "the connection is closed)."
        ) == error.message_in("de")


class TestNoCodedErrorIsEnglishOnly:
    def test_every_storage_error_the_source_makes_has_a_code(self):
        """An error made without a code would be said in English in every language."""
        assert [] == catalogs.uncoded()

    def test_the_scan_finds_one(self):
        """The scan sees a bare error (storage, not found, taken, conflict) via a module too.

        A code, ``.coded(...)`` or **params passes.
        """
        source = (
            "raise StorageError('Gone.')\n"
            "raise _errors.CorruptStore(msg)\n"
            "raise StoreLocked(msg, code='storage.locked')\n"
            "raise CorruptStore(msg, **coded)\n"
            "raise ValueError('a programming error')\n"
            "raise NotFound(f'No customer has the id {x}.')\n"
            "raise errors.AlreadyExists(msg) from exc\n"
            "raise ConcurrencyConflict(msg, expected=1, actual=2)\n"
            "raise NotFound.coded('customer.not_found', {'id': x})\n"
            "raise AlreadyExists(msg, code='customer.number_taken', params=p)\n"
        )
        assert [f"<source>:{n}" for n in (1, 2, 6, 7, 8)] == catalogs.uncoded_errors(source)

    def test_the_catalog_check_fails_on_one(self, tmp_path, monkeypatch):
        """``make lint`` (tools/catalogs.py check) names the file and line of a bare error."""
        package = tmp_path / "src" / "debitor_core"
        package.mkdir(parents=True)
        (package / "_bare.py").write_text("raise CorruptStore('Gone.')\n", encoding="utf-8")
        monkeypatch.setattr(catalogs, "ROOT", tmp_path)
        fault = (
            "src/debitor_core/_bare.py:1 makes an error without a code: give it a code and a "
            "catalog message (code=, or Error.coded(code, params))"
        )
        assert [fault] == catalogs.uncoded()


def import_plan():
    return exchange.plan_columns(("Name", "Email"), (), {})


class TestAnImportSaysWhatItDidInTheBooksLanguage:
    def test_rows_and_counts_in_latvian(self, clock):
        """A Latvian book's report says each row and the last line in Latvian, else when asked."""
        book = CustomerBook(locale="lv", clock=clock)
        book.register({"name": "SIA Koks", "email": "info@koks.lv", "address": {"country": "LV"}})
        source = "Name,Email\nSIA Koks,info@koks.lv\nOzols,o@ozols.lv\nBērzs,bad@@x\n"
        report = exchange.import_csv(book, source.encode(), country="LV")
        lines = [o.describe(report.plan) for o in report.outcomes]
        assert [
            "2. rinda: izlaista — klients 1 (SIA Koks), atrasts pēc e-pasta adreses",
            "3. rinda: izveidots — klients 2 (Ozols)",
            "4. rinda: noraidīta: Email: E-pasta adrese 'bad@@x' nav derīga.",
        ] == lines
        assert "Izveidoti: 1, atjaunināti: 0, izlaisti: 1, noraidīti: 1." == report.summary()
        assert "1 angelegt, 0 aktualisiert, 1 übersprungen, 1 abgelehnt." == report.summary("de")
        assert "row 3: created customer 2 (Ozols)" == report.outcomes[1].describe(
            report.plan, locale="en"
        )
        assert (
            report.outcomes[2]
            .describe(report.plan, locale="en_GB")
            .startswith("row 4: rejected: Email: The email address 'bad@@x' is not valid.")
        )

    def test_a_dry_run_and_a_refused_import(self, clock):
        """What a dry run would do, and an all-or-nothing import that stored nothing."""
        book = CustomerBook(locale="lv", clock=clock)
        source = "Name,Email\nSIA Koks,info@koks.lv\nOzols,bad@@x\n"
        dry = exchange.import_csv(book, source.encode(), country="LV", dry_run=True)
        assert "2. rinda: tiktu izveidots SIA Koks" == dry.outcomes[0].describe(
            dry.plan, dry_run=True
        )
        assert (
            "Izmēģinājums, nekas netika mainīts — izveidoti: 1, atjaunināti: 0, izlaisti: 0, "
            "noraidīti: 1."
        ) == dry.summary()
        refused = exchange.import_csv(book, source.encode(), country="LV", atomic=True)
        assert not refused.committed
        assert (
            "Nekas netika importēts (viss vai nekas) — izveidoti: 1, atjaunināti: 0, "
            "izlaisti: 0, noraidīti: 1."
        ) == refused.summary()
        assert refused.summary("en").startswith("Nothing was imported (all or nothing): ")
        assert "2. rinda: izveidots (nav saglabāts)" == (refused.outcomes[0].describe(refused.plan))

    def test_counts_are_grouped_as_the_language_groups_digits(self):
        """1 234 in Latvian (a no-break space), 1.234 in German, 1,234 in English."""
        outcomes = tuple(exchange.RowOutcome(n, "created") for n in range(2, 1236))
        report = exchange.ImportReport("rows", import_plan(), outcomes)
        assert "1,234 created, 0 updated, 0 skipped, 0 rejected." == report.summary()
        assert report.summary("lv").startswith("Izveidoti: 1\u00a0234, ")
        assert report.summary("de").startswith("1.234 angelegt, ")

    def test_english_by_default_and_a_note_of_ones_own(self):
        """Outcomes made without a language speak English; a note no catalog has stays."""
        outcome = exchange.RowOutcome(5, "skipped", matched_by="row", same_as_row=2, note="mine")
        assert "row 5: skipped: the same customer as row 2 (mine)" == outcome.describe(
            import_plan()
        )
        assert "5. rinda: izlaista: tas pats klients, kas rindā 2 (mine)" == outcome.describe(
            import_plan(), locale="lv"
        )
        assert outcome == attrs.evolve(outcome, locale="lv")  # the language is not the outcome

    @pytest.mark.parametrize("locale", [None, 7, b"lv"])
    def test_a_locale_must_be_text(self, locale):
        outcome = exchange.RowOutcome(2, "created", locale="lv")
        report = exchange.ImportReport("rows", import_plan(), (outcome,))
        if locale is None:
            assert "2. rinda: izveidots" == outcome.describe(import_plan(), locale=locale)
            assert "1 created, 0 updated, 0 skipped, 0 rejected." == report.summary(locale)
            return
        with pytest.raises(TypeError):
            outcome.describe(import_plan(), locale=locale)
        with pytest.raises(TypeError):
            report.summary(locale)
