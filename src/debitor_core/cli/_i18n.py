"""The command's sentences in the user's language: gettext, domain ``debitor_cli``.

Every sentence the command prints (help, prompts, table headings, progress, summaries,
errors) is an English ``msgid`` in this domain; the catalogs are
``debitor_core/locale/<lang>/LC_MESSAGES/debitor_cli.mo``, extracted from the command's
modules and compiled by Babel (``make catalogs``, ``tools/catalogs.py``). The library's
own problems keep their domain (``debitor_core``) and are said with
`Problem.message_in` in the same language.

The language is ``--lang`` when given, else the first of ``LANGUAGE``, ``LC_ALL``,
``LC_MESSAGES`` and ``LANG`` that names a language with a catalog (``lv_LV.UTF-8`` is
Latvian), else English. Nothing is read from disk until the first sentence is looked
up, and only the one catalog of the chosen language; this module imports the standard
library only, so ``debitor --help`` starts fast.

Markers (Babel keywords): ``_`` translates now; ``ngettext`` picks a plural form by a
count; ``N_`` only marks a sentence for extraction, to be translated where it is used.
Counts are written with `number`, grouped as the language groups digits.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gettext
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Final

__all__ = [
    "DOMAIN",
    "ENGLISH",
    "N_",
    "_",
    "argparse_in_language",
    "available",
    "choose",
    "from_environment",
    "language",
    "ngettext",
    "number",
    "requested",
]

DOMAIN: Final = "debitor_cli"
ENGLISH: Final = "en"
LOCALE_DIR: Final = Path(__file__).resolve().parent.parent / "locale"
_ENVIRONMENT: Final = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
_SPLIT: Final = re.compile(r"[-_.@]")
_GROUPING: Final = {"lv": "\u00a0", "de": "."}
"""How each language groups the digits of a count (English: a comma)."""


def N_(message: str) -> str:  # noqa: N802 - gettext's name for a marker
    """Mark ``message`` for the catalogs; it is translated where it is shown."""
    return message


# What argparse says, in the catalogs so that usage and its errors read in the language
# too (argparse looks these up through gettext at run time; see `argparse_in_language`).
ARGPARSE: Final = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("the following arguments are required: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("unrecognized arguments: %s"),
    N_("expected one argument"),
    N_("expected at least one argument"),
    N_("expected at most one argument"),
    N_("invalid %(type)s value: %(value)r"),
    N_("not allowed with argument %s"),
    N_("one of the arguments %s is required"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("ignored explicit argument %r"),
)


@functools.cache
def available() -> tuple[str, ...]:
    """The languages the command speaks: English first, then those with a catalog."""
    found = {p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo")}
    found.discard(ENGLISH)
    return (ENGLISH, *sorted(found))


def _code(name: str) -> str:
    return _SPLIT.split(name.strip(), maxsplit=1)[0].lower()


def requested(name: str) -> str | None:
    """The language ``name`` (``lv``, ``lv_LV.UTF-8``, ``de-AT``) asks for, if one is spoken."""
    code = _code(name)
    if code in ("c", "posix"):
        return ENGLISH
    return code if code in available() else None


def from_environment(environ: Mapping[str, str] | None = None) -> str:
    """The language the environment asks for, as gettext reads it; English by default.

    The first of ``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES`` and ``LANG`` that is set
    decides (``LANGUAGE`` may list several, ``lv:de``); a language without a catalog
    gives way to the next one listed, and in the end to English.
    """
    environ = os.environ if environ is None else environ
    for variable in _ENVIRONMENT:
        value = environ.get(variable, "")
        if not value:
            continue
        for name in value.split(":"):
            found = requested(name) if name else None
            if found is not None:
                return found
        if variable != "LANGUAGE":
            return ENGLISH
    return ENGLISH


class _State:
    language: str = ENGLISH


def choose(name: str | None) -> str:
    """Speak ``name`` (``--lang``) or, when it is ``None``, what the environment asks for.

    Returns:
        The language chosen.

    Raises:
        ValueError: ``name`` is a language the command does not speak.
    """
    if name is None:
        _State.language = from_environment()
        return _State.language
    found = requested(name)
    if found is None:
        _State.language = from_environment()
        msg = _("--lang takes one of {languages}, not {name!r}.").format(
            languages=", ".join(available()), name=name
        )
        raise ValueError(msg)
    _State.language = found
    return found


def language() -> str:
    """The language the command speaks now (``en``, ``lv``, ``de``)."""
    return _State.language


@functools.cache
def _translations(code: str) -> gettext.NullTranslations:
    if code == ENGLISH:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[code], fallback=True)


def _(message: str) -> str:
    """``message`` in the command's language."""
    return _translations(_State.language).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form of a sentence about ``count`` things, in the command's language."""
    return _translations(_State.language).ngettext(singular, plural, count)


def number(count: int) -> str:
    """A count with its digits grouped as the language does (``1,234``, ``1 234``)."""
    text = f"{count:,}"
    sep = _GROUPING.get(_State.language)
    return text.replace(",", sep) if sep else text


@contextlib.contextmanager
def argparse_in_language() -> Iterator[None]:
    """Let argparse say its words (usage, options, errors) in the command's language.

    argparse looks them up with the module-level ``gettext`` functions it imported;
    they are pointed at this catalog for the block and put back afterwards.
    """
    saved = (argparse._, argparse.ngettext)  # type: ignore[attr-defined]
    argparse._ = _  # type: ignore[attr-defined]
    argparse.ngettext = ngettext  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


def lang_option(argv: Sequence[str]) -> str | None:
    """The value of ``--lang`` in ``argv`` (before the parser runs: help is said in it)."""
    for position, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--lang" and position + 1 < len(argv):
            return argv[position + 1]
        if arg.startswith("--lang="):
            return arg.partition("=")[2]
    return None
