"""Checks of the arguments a book's method is called with, and the book's sentences.

A wrong Python type is a `TypeError` with a sentence; a value of the right type that
is not allowed is a `ValidationError` with a path and a code. Every sentence comes from
the message catalogs (`debitor_core._messages`).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable, Mapping
from typing import Any, NoReturn, TypeVar, cast

from debitor_core import _i18n, _rules
from debitor_core._checks import run_rule
from debitor_core._errors import ValidationError
from debitor_core._limits import MAX_DATE, MIN_DATE
from debitor_core._shown import shown
from debitor_core._welcome import WelcomeInvoicePolicy
from debitor_core.book._types import WelcomeSender
from debitor_core.storage._protocol import Store

T = TypeVar("T")

__all__ = [
    "checked_author",
    "checked_clock",
    "checked_day",
    "checked_instance",
    "checked_locale",
    "checked_moment",
    "checked_optional_int",
    "checked_sender",
    "checked_store",
    "checked_text",
    "checked_timezone",
    "checked_version",
    "read_date",
    "say",
    "wrong_type",
]


_LOCALE_STEM = re.compile(r"[-_.@]")


def say(code: str, locale: str = _i18n.SOURCE_LANGUAGE, **params: Any) -> str:  # noqa: ANN401
    """The sentence of ``code`` with ``params``, in the language of ``locale``."""
    return _i18n.render_message(code, params, locale)


def wrong_type(function: str, parameter: str, value: object, expected: str) -> NoReturn:
    """Raise the `TypeError` of an argument of the wrong type.

    Raises:
        TypeError: always, with a sentence naming the function, parameter and type.
    """
    msg = say(
        "argument.type",
        function=function,
        parameter=parameter,
        expected=expected,
        type=type(value).__name__,
    )
    raise TypeError(msg)


def checked_text(function: str, parameter: str, value: object) -> str | None:
    """``value`` when it is text or ``None`` (`TypeError` otherwise)."""
    if value is None or isinstance(value, str):
        return value
    wrong_type(function, parameter, value, "text or None")


def checked_author(function: str, author: object) -> str | None:
    """Who makes a change, as history and notes keep it: ``None``, or normalised text.

    Raises:
        TypeError: ``author`` is neither text nor ``None``.
        ValidationError: ``author.empty``, ``author.too_long`` (more than
            `LIMITS` ``author``), ``author.control_character`` or
            ``author.direction_control``: what a stored history entry may not hold.
    """
    if author is None:
        return None
    checked_text(function, "author", author)
    return run_rule("author", _author, author)


def _author(value: object) -> str:
    return _rules.text(value, label="author", code="author", max_length=_rules.LIMITS["author"])


def checked_optional_int(function: str, parameter: str, value: object, minimum: int) -> int | None:
    """A whole number of at least ``minimum``, or ``None``.

    Raises:
        TypeError: ``value`` is not an int (a bool is not one).
        ValidationError: ``argument.range``: it is below ``minimum``.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        wrong_type(function, parameter, value, "a whole number")
    if value < minimum:
        params = {"function": function, "parameter": parameter, "min": minimum, "value": value}
        raise ValidationError.single("argument.range", None, value, parameter, params=params)
    return value


def checked_version(function: str, value: object) -> int | None:
    """The ``expected_version`` of ``function``: a whole number of 1 or more, or ``None``.

    Raises:
        TypeError: ``value`` is not an int (text such as ``"1"`` included).
        ValidationError: ``argument.range``: it is below 1.
    """
    return checked_optional_int(function, "expected_version", value, 1)


def checked_day(function: str, parameter: str, value: object) -> dt.date | None:
    """A `datetime.date` (not a datetime) or ``None`` (`TypeError` otherwise)."""
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    wrong_type(function, parameter, value, "a datetime.date")


def checked_moment(function: str, parameter: str, value: object) -> dt.datetime | None:
    """A time-zone-aware `datetime.datetime`, or ``None`` (`TypeError` otherwise)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime) and value.utcoffset() is not None:
        return value
    wrong_type(function, parameter, value, "a datetime.datetime with a time zone")


def checked_choice(function: str, parameter: str, value: object, allowed: tuple[T, ...]) -> T:
    """``value`` when it is one of ``allowed`` (compared by type as well).

    Raises:
        ValidationError: ``argument.invalid``: it is not, with the allowed values.
    """
    for choice in allowed:
        if value is choice or (type(value) is type(choice) and value == choice):
            return choice
    params = {
        "function": function,
        "parameter": parameter,
        "allowed": tuple(str(a) for a in allowed),
        "value": shown(value),
    }
    raise ValidationError.single("argument.invalid", None, value, parameter, params=params)


def checked_instance(parameter: str, value: T | None, kind: type[T], expected: str) -> T | None:
    """``value`` when it is a ``kind`` or ``None`` (a `TypeError` of `CustomerBook` otherwise)."""
    if value is None or isinstance(value, kind):
        return value
    wrong_type("CustomerBook", parameter, value, expected)


def checked_clock(clock: object) -> Callable[[], dt.datetime]:
    """A book's ``clock``: something to call (`TypeError` otherwise)."""
    if not callable(clock):
        wrong_type("CustomerBook", "clock", clock, "a function returning the time")
    return cast("Callable[[], dt.datetime]", clock)


def checked_sender(sender: object) -> WelcomeSender | None:
    """A book's ``sender``: ``None`` or an object with a ``send`` method."""
    if sender is None or isinstance(sender, WelcomeSender):
        return sender
    wrong_type("CustomerBook", "sender", sender, "an object with a send(invoice, ...) method")


def checked_store(store: object) -> Store | None:
    """A book's ``store``: a `Store`, or ``None`` for a new in-memory one.

    Raises:
        TypeError: ``store`` is something else, such as a path ("pass a store, e.g.
            JsonFileStore(path)").
    """
    if store is None or isinstance(store, Store):
        return store
    raise TypeError(say("book.store", type=type(store).__name__))


def checked_locale(locale: object) -> str:
    """A book's ``locale``: the language of a shipped catalog (``en``, ``lv_LV``: ``lv``).

    Raises:
        TypeError: ``locale`` is not text.
        ValidationError: ``locale.unknown``: no catalog speaks it.
    """
    if not isinstance(locale, str):
        wrong_type("CustomerBook", "locale", locale, "text such as 'lv' or 'en'")
    language = _i18n.language_of(locale)
    stem = _LOCALE_STEM.split(locale.strip(), maxsplit=1)[0].lower()
    if language != stem:
        params = {"locale": shown(locale), "locales": _i18n.available_locales()}
        raise ValidationError.single("locale.unknown", None, locale, "locale", params=params)
    return language


def checked_welcome(welcome: object, locale: object) -> WelcomeInvoicePolicy | None:
    """A book's ``welcome`` policy, in the book's ``locale`` unless it has a language.

    Raises:
        TypeError: ``welcome`` is not a `WelcomeInvoicePolicy` (or ``locale`` not text).
        ValidationError: ``locale.unknown``: no catalog speaks ``locale``.
    """
    policy = checked_instance(
        "welcome",
        cast("WelcomeInvoicePolicy | None", welcome),
        WelcomeInvoicePolicy,
        "a WelcomeInvoicePolicy or None",
    )
    return None if policy is None else policy.in_language(checked_locale(locale))


def checked_timezone(timezone: object) -> dt.tzinfo:
    """A book's ``timezone``: a `datetime.tzinfo`, or an IANA name read by `zoneinfo`.

    Raises:
        TypeError: ``timezone`` is neither.
        ValidationError: ``book.timezone``: no time zone has the name.
    """
    if isinstance(timezone, dt.tzinfo):
        return timezone
    if not isinstance(timezone, str):
        wrong_type("CustomerBook", "timezone", timezone, "an IANA name such as 'Europe/Riga'")
    try:
        return zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        # ValueError: a name that is not a relative path ("/etc/passwd", "a/../b");
        # OSError: a name the file system cannot hold (a NUL character, a huge name).
        params = {"timezone": timezone}
        raise ValidationError.single(
            "book.timezone", None, timezone, "timezone", params=params
        ) from None


def read_date(path: str, value: object) -> dt.date:
    """A date given as a `datetime.date` or ISO 8601 text, within the bounds.

    Raises:
        ValidationError: ``date.invalid`` (not a date) or ``date.range`` (before
            `MIN_DATE` or after `MAX_DATE`), at ``path``.
    """
    day: object = value
    if isinstance(value, dt.datetime):
        day = None
    elif isinstance(value, str) and len(value) <= len("2026-12-31 "):
        try:
            day = dt.date.fromisoformat(value.strip())
        except ValueError:
            day = None
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        params: Mapping[str, Any] = {"value": shown(value)}
        raise ValidationError.single("date.invalid", None, value, path, params=params)
    if not MIN_DATE <= day <= MAX_DATE:
        params = {
            "date": day.isoformat(),
            "min_date": MIN_DATE.isoformat(),
            "max_date": MAX_DATE.isoformat(),
        }
        raise ValidationError.single("date.range", None, value, path, params=params)
    return day
