"""Messages in the user's language: every sentence a problem says, from gettext catalogs.

A problem is its stable code and its parameters (`Problem.params`); its sentence is
looked up in a message catalog and filled from the parameters, in the language asked
for. The English sentence is the catalog's ``msgid``, so that translators see English,
and the problem's code (or a variant of it, see `debitor_core._messages`) is the
``msgctxt``.

Catalogs are standard gettext ``.mo`` files under ``locale/<lang>/LC_MESSAGES/``,
compiled by Babel from the ``.po`` files beside them (``make catalogs``). Adding a
language is adding a catalog: whatever folder holds a compiled ``debitor_core.mo`` is a
language this module speaks.

Numbers, dates, amounts, lists and country names are written the way the language
writes them, from Babel's copy of the Unicode CLDR data. English keeps the library's
original formatting (``1,234``, ISO dates, Google's country names) and never loads
Babel, so ``import debitor_core`` and English messages stay as light as before. Each
template is compiled once and kept.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import gettext
import importlib
import re
import string
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any, Final

from debitor_core import _messages
from debitor_core._frozen import EMPTY
from debitor_core._shown import shown

__all__ = [
    "DOMAIN",
    "LOCALE_DIR",
    "SOURCE_LANGUAGE",
    "available_locales",
    "format_amount",
    "format_date",
    "language_of",
    "render_detail",
    "render_message",
    "translate",
]

DOMAIN: Final = "debitor_core"
"""The gettext domain: catalogs are ``<lang>/LC_MESSAGES/debitor_core.mo``."""

SOURCE_LANGUAGE: Final = "en"
"""The language the templates are written in (the catalogs' ``msgid``)."""

LOCALE_DIR: Path = Path(__file__).with_name("locale")
"""Where the catalogs are; tests point it elsewhere to show that a new one is found."""

_LOCALE_SPLIT: Final = re.compile(r"[-_.@]")
_MONEY_PRECISION: Final = 100  # digits: every bounded number and every shown one fits


@functools.cache
def available_locales() -> tuple[str, ...]:
    """The languages with a compiled catalog, English first, the others sorted.

    Returns:
        Language codes such as ``("en", "de", "lv")``: every folder of the locale
        directory that holds ``LC_MESSAGES/debitor_core.mo``.
    """
    found = {p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo")}
    found.discard(SOURCE_LANGUAGE)
    return (SOURCE_LANGUAGE, *sorted(found))


@functools.lru_cache(maxsize=256)
def _language(locale: str) -> str:
    language = _LOCALE_SPLIT.split(locale.strip(), maxsplit=1)[0].lower()
    return language if language in available_locales() else SOURCE_LANGUAGE


def language_of(locale: object) -> str:
    """Return the language whose catalog speaks for ``locale``.

    ``lv``, ``LV``, ``lv-LV``, ``lv_LV`` and ``lv_LV.UTF-8`` all give ``lv``. A locale
    with no catalog (``fr``, ``""``, ``C``) gives English, as gettext falls back to the
    source language.

    Args:
        locale: A locale name or language code.

    Returns:
        A code from `available_locales`.

    Raises:
        TypeError: ``locale`` is not text.
    """
    if not isinstance(locale, str):
        msg = f"The locale must be text such as 'lv' or 'en', not {type(locale).__name__}."
        raise TypeError(msg)
    return _language(locale)


@functools.cache
def _translations(language: str) -> gettext.NullTranslations:
    if language == SOURCE_LANGUAGE and not (LOCALE_DIR / language).is_dir():
        return gettext.NullTranslations()  # pragma: no cover - the English catalog ships
    try:
        return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language])
    except OSError:
        return gettext.NullTranslations()


@functools.cache
def _babel(name: str) -> ModuleType:
    """Import a Babel module on first use: English never needs it."""
    return importlib.import_module(f"babel.{name}")


def translate(context: str, text: str, locale: str = SOURCE_LANGUAGE) -> str:
    """Return ``text`` (an English ``msgid`` in ``context``) in the language of ``locale``.

    Text the catalog does not know is returned as it is.
    """
    return _translations(language_of(locale)).pgettext(context, text)


# -- templates ---------------------------------------------------------------------------

_Part = tuple[str, str | None, str]


@functools.lru_cache(maxsize=4096)
def _compile(template: str) -> tuple[_Part, ...]:
    """Split a template into literal text and ``{name:spec}`` fields, once."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:  # a broken translation: show it as it is rather than fail
        return ((template, None, ""),)
    return tuple((literal, name, spec or "") for literal, name, spec, _conversion in parsed)


def _fill(template: str, values: Mapping[str, Any], language: str) -> str:
    out: list[str] = []
    for literal, name, spec in _compile(template):
        out.append(literal)
        if name is None:
            continue
        if name not in values:
            out.append("{" + name + "}")  # a missing parameter stays visible, never fails
            continue
        out.append(_format(values[name], spec, language))
    return "".join(out)


def render_message(
    code: str, params: Mapping[str, Any] | None = None, locale: str = SOURCE_LANGUAGE
) -> str:
    """Say the problem ``code`` with ``params`` in the language of ``locale``.

    This is how every layer words a problem: the domain's problems, and any code and
    parameters a host app kept (from an API response, a log, a queue), give the same
    sentence as `Problem.message_in`.

    Args:
        code: The problem's code, such as ``email.invalid``.
        params: The problem's parameters (`Problem.params`).
        locale: The language (see `language_of`); English by default.

    Returns:
        The sentence. A parameter the template needs but ``params`` lacks is shown as
        ``{name}``, so that a sentence never fails.

    Raises:
        LookupError: No catalog has a message for ``code``.
        TypeError: ``locale`` is not text.
    """
    language = language_of(locale)
    values = params if params is not None else EMPTY
    key = _messages.select(code, values)
    return _render_key(key, values, language)


def render_detail(code: str, params: Mapping[str, Any], locale: str = SOURCE_LANGUAGE) -> str:
    """Say the problem nested in the problem ``code`` (its ``{detail}``).

    That is a refusal of payment terms, the rule behind a custom field's problem, or a
    pattern's fault.

    Raises:
        LookupError: ``code`` nests no problem.
    """
    nested = _messages.NESTED.get(_messages.select(code, params))
    if nested is None:
        msg = f"The problem {code!r} has no problem inside it."
        raise LookupError(msg)
    key, values = nested(params)
    return _render_key(key, values, language_of(locale)) if key else ""


def _render_key(key: str, values: Mapping[str, Any], language: str) -> str:
    entry = _messages.MESSAGES.get(key)
    if entry is None:
        msg = f"No message has the code {key!r}."
        raise LookupError(msg)
    translations = _translations(language)
    if entry.plural is None:
        template = translations.pgettext(key, entry.text)
    else:
        count = values.get(entry.counter or "", 2)
        number = count if isinstance(count, int) and not isinstance(count, bool) else 2
        template = translations.npgettext(key, entry.text, entry.plural, number)
    if language != SOURCE_LANGUAGE:
        values = _translated_terms(values, language)
    nested = _messages.NESTED.get(key)
    if nested is not None:
        inner_key, inner_values = nested(values)
        detail = _render_key(inner_key, inner_values, language) if inner_key else ""
        values = {**values, "detail": detail}
    return _fill(template, values, language)


def _translated_terms(values: Mapping[str, Any], language: str) -> Mapping[str, Any]:
    """Put the English words a problem names things by in the language.

    They are ``subject`` and ``expected``; words the catalog does not know (a host
    app's own label) stay as they are.
    """
    terms = {
        name: translate(name, text, language)
        for name in _messages.TERM_PARAMS
        if isinstance(text := values.get(name), str)
    }
    return {**values, **terms} if terms else values


# -- values ------------------------------------------------------------------------------


def _format(value: object, spec: str, language: str) -> str:
    formatter = _SPECS.get(spec)
    if formatter is None:
        return _plain(value, language)
    return formatter(value, language)


def _plain(value: object, _language: str = SOURCE_LANGUAGE) -> str:
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _as_decimal(value: object) -> decimal.Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | decimal.Decimal):
        return decimal.Decimal(value)
    if isinstance(value, str) and len(value) <= _MONEY_PRECISION:
        try:
            number = decimal.Decimal(value)
        except decimal.InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _number(value: object, language: str) -> str:
    """A number with the language's grouping and decimal sign (``1,234.5``, ``1 234,5``)."""
    number = _as_decimal(value)
    if number is None:
        return _plain(value, language) if not isinstance(value, int) else str(value)
    if language == SOURCE_LANGUAGE:
        return format(value if isinstance(value, int) else number, ",")
    return _cldr_number(number, language)


@functools.lru_cache(maxsize=1024)
def _cldr_number(number: decimal.Decimal, language: str) -> str:
    with decimal.localcontext(prec=_MONEY_PRECISION):
        text: str = _babel("numbers").format_decimal(
            number, locale=language, decimal_quantization=False
        )
    return text


def _shown(value: object, _language: str) -> str:

    return shown(value)


def _bare(value: object, language: str) -> str:
    return _shown(value, language)[1:-1]


def _or(value: object, language: str) -> str:
    items = [str(v) for v in value] if isinstance(value, tuple | list) else [str(value)]
    if language == SOURCE_LANGUAGE:
        return " or ".join(items)
    return _cldr_list(tuple(items), "or", language)


@functools.lru_cache(maxsize=256)
def _cldr_list(items: tuple[str, ...], style: str, language: str) -> str:
    text: str = _babel("lists").format_list(list(items), style=style, locale=language)
    return text


def _comma_list(value: object, _language: str) -> str:
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _braces(value: object, _language: str) -> str:
    items = value if isinstance(value, tuple | list) else (value,)
    return ", ".join("{" + str(v) + "}" for v in items)


def _country(value: object, language: str) -> str:
    if not isinstance(value, str):
        return _plain(value, language)
    return _country_name(value, language)


@functools.lru_cache(maxsize=1024)
def _country_name(code: str, language: str) -> str:
    if code == "XI":  # Northern Ireland: a VAT prefix, not an ISO 3166 country
        return translate("country", "Northern Ireland", language)
    if language == SOURCE_LANGUAGE:
        from debitor_core._postal import country_codes, country_rules  # noqa: PLC0415

        return country_rules(code).name if code in country_codes() else code
    locale = _babel("core").Locale.parse(language)
    name = locale.territories.get(code)
    return str(name) if name else code


def _country_in(value: object, language: str) -> str:
    """Say "in a country" as the language says it: "Vācijā", "in den Niederlanden"."""
    if not isinstance(value, str):
        return _plain(value, language)
    translations = _translations(language)
    phrase = translations.pgettext("country/in", value)
    if phrase != value:
        return phrase
    pattern = translations.pgettext("country/in", "in {country}")
    return _fill(pattern, {"country": _country_name(value, language)}, language)


def _date(value: object, language: str) -> str:
    if language == SOURCE_LANGUAGE or not isinstance(value, str | dt.date):
        return _plain(value, language)
    return format_date(value, language)


def format_date(value: dt.date | str, locale: str = SOURCE_LANGUAGE) -> str:
    """Write a date the way the language of ``locale`` writes it.

    English keeps ISO 8601 (``2026-12-31``), as the library always wrote dates; other
    languages use CLDR's medium format (``2026. gada 31. dec.``, ``31.12.2026``).

    Args:
        value: A date, or one written as ISO 8601 text (other text is returned as is).
        locale: The language.
    """
    language = language_of(locale)
    day = value
    if isinstance(value, str):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            return value
    assert isinstance(day, dt.date)  # noqa: S101 - a date or parsed from text above
    if language == SOURCE_LANGUAGE:
        return day.isoformat()
    return _cldr_date(day, language)


@functools.lru_cache(maxsize=1024)
def _cldr_date(day: dt.date, language: str) -> str:
    text: str = _babel("dates").format_date(day, "medium", locale=language)
    return text


def format_amount(amount: decimal.Decimal, currency: str, locale: str = SOURCE_LANGUAGE) -> str:
    """Write an amount of money the way the language of ``locale`` writes it.

    English keeps the library's ``1234.56 EUR``; other languages use CLDR's currency
    format (``1 234,56 €`` in Latvian, ``1.234,56 €`` in German).

    Args:
        amount: The amount, already rounded to the currency.
        currency: ISO 4217 code.
        locale: The language.
    """
    language = language_of(locale)
    if language == SOURCE_LANGUAGE:
        return f"{amount} {currency}"
    with decimal.localcontext(prec=_MONEY_PRECISION):
        text: str = _babel("numbers").format_currency(
            amount, currency, locale=language, decimal_quantization=False
        )
    return text


def _lower_first(value: object, language: str) -> str:
    text = _plain(value, language)
    return text[:1].lower() + text[1:]


def _words(value: object, language: str) -> str:
    return _plain(value, language).replace("_", " ")


def _repr(value: object, _language: str) -> str:
    return repr(value)


def _evidence(value: object, language: str) -> str:
    """What two customers share, each item a ``duplicate.evidence/<item>`` phrase."""
    items = value if isinstance(value, tuple | list) else (value,)
    translations = _translations(language)
    phrases = []
    for item in items:
        key = f"duplicate.evidence/{item}"
        entry = _messages.MESSAGES.get(key)
        phrases.append(translations.pgettext(key, entry.text) if entry else str(item))
    joiner = _messages.MESSAGES["duplicate.evidence/and"].text
    return translations.pgettext("duplicate.evidence/and", joiner).join(phrases)


_SPECS: Final[dict[str, Callable[[object, str], str]]] = {
    ",": _number,
    "q": _shown,
    "r": _repr,
    "bare": _bare,
    "or": _or,
    "list": _comma_list,
    "braces": _braces,
    "country": _country,
    "in": _country_in,
    "date": _date,
    "lc": _lower_first,
    "words": _words,
    "evidence": _evidence,
}
"""How a template writes a value: ``{name:spec}``; a template's spec is its own choice
(English keeps ``{date}`` as ISO text where Latvian writes ``{date:date}``)."""
