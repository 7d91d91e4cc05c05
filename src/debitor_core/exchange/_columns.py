"""Which column of a customer list holds what.

A *target* is where a column's values go: a form key (``email``), an address part
(``postal_code``), ``custom_fields.<key>``, or one of the few helpers that need more than
one column (``mobile``, ``fax``, ``contact_first_name``, ``contact_last_name``).
Headers are matched by a folded key (case, accents, spaces and punctuation ignored), so
``E-mail``, ``Email Address`` and ``*EmailAddress`` all mean the email address.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Final

import attrs

from debitor_core import CustomFieldDefinition, Problem, RequiredFields, ValidationError, _i18n

__all__ = [
    "COLUMNS",
    "CUSTOM_PREFIX",
    "PRIVATE_COLUMNS",
    "TARGETS",
    "ColumnPlan",
    "header_key",
    "plan_columns",
    "reject_columns",
]

COLUMNS: Final = (
    "number",
    "kind",
    "name",
    "contact_person",
    "email",
    "other_emails",
    "phone",
    "other_phones",
    "website",
    "tax_id",
    "company_id",
    "street",
    "postal_code",
    "city",
    "region",
    "country",
    "payment_terms",
    "currency",
    "language",
    "categories",
    "archived",
)
"""The standard columns, in the order an export writes them (custom fields follow)."""

PRIVATE_COLUMNS: Final = ("notes", "consent")
"""Columns an export writes only when asked for private data."""

HELPER_TARGETS: Final = ("mobile", "fax", "contact_first_name", "contact_last_name")
"""Targets that other tools' exports need: see `docs/exchange.md`."""

TARGETS: Final = frozenset((*COLUMNS, *PRIVATE_COLUMNS, *HELPER_TARGETS))
"""Every target a column can have, besides ``custom_fields.<key>``."""

CUSTOM_PREFIX: Final = "custom_fields."
IGNORE: Final = "-"
_REJECT_KEYS: Final = ("rejects.row", "rejects.reason")


def reject_columns(locale: str = _i18n.SOURCE_LANGUAGE) -> tuple[str, ...]:
    """The two columns a rejects file adds, in the language of ``locale``.

    Importing that file again ignores them, in whichever shipped language they are.
    """
    return tuple(_i18n.render_message(key, None, locale) for key in _REJECT_KEYS)


@functools.cache
def _ignored_keys() -> frozenset[str]:
    """The header keys of the rejects columns in every language with a catalog."""
    return frozenset(
        header_key(name)
        for language in _i18n.available_locales()
        for name in reject_columns(language)
    )


ADDRESS_TARGETS: Final = frozenset({"street", "postal_code", "city", "region", "country"})
_MULTI: Final = frozenset({"street"})
"""Targets that several columns may fill (their values are joined by new lines)."""

_NAMES: Final[Mapping[str, tuple[str, ...]]] = {
    # English names, then those of the exports we read (see docs/exchange.md).
    "number": ("number", "customer number", "customer no", "customer #", "customerNumber"),
    "kind": ("kind", "customer kind", "customer type"),
    "name": ("name", "customer name", "company name", "company", "business name",
             "*ContactName", "ContactName"),
    "contact_person": ("contact person", "contact", "attention", "attention to",
                       "POAttentionTo"),
    "contact_first_name": ("first name", "FirstName"),
    "contact_last_name": ("last name", "LastName", "surname"),
    "email": ("email", "e-mail", "email address", "mail", "EmailAddress"),
    "other_emails": ("other emails", "other email", "secondary email"),
    "phone": ("phone", "phone number", "telephone", "tel", "PhoneNumber"),
    "mobile": ("mobile", "mobile phone", "mobile number", "cell phone", "MobileNumber"),
    "fax": ("fax", "fax number", "FaxNumber"),
    "other_phones": ("other phones", "other phone", "DDINumber", "DDIPhoneNumber"),
    "website": ("website", "web", "web site", "homepage", "url", "www"),
    "tax_id": ("tax id", "vat", "vat number", "vat id", "vat no", "vatNumber", "TaxNumber",
               "tax number", "Business Vat ID", "vat registration number"),
    "company_id": ("company id", "company number", "registration number", "reg no",
                   "company registration number", "ciNumber", "CompanyNumber"),
    "street": ("street", "address", "street address", "address line 1", "address line 2",
               "address line 3", "address line 4", "address1", "address2",
               "POAddressLine1", "POAddressLine2", "POAddressLine3", "POAddressLine4"),
    "postal_code": ("postal code", "postcode", "post code", "zip", "zip code",
                    "Address Zip", "Address Postal Code", "POPostalCode"),
    "city": ("city", "town", "Address City", "POCity"),
    "region": ("region", "state", "province", "county", "Address State", "PORegion"),
    "country": ("country", "country code", "countryCode", "country name", "countryName",
                "Address Country", "POCountry"),
    "payment_terms": ("payment terms", "terms"),
    "currency": ("currency", "default currency", "currency code"),
    "language": ("language", "preferred language"),
    "categories": ("categories", "category", "groups", "group", "tags"),
    "archived": ("archived", "isArchived"),
    "notes": ("notes", "note", "private notes", "comments", "remarks", "Description"),
    "consent": ("consent", "consents"),
}  # fmt: skip


def header_key(text: str) -> str:
    """Fold a header for matching: letters and digits only, accents and case ignored.

    >>> header_key(" *E-mail Address ")
    'emailaddress'
    """
    decomposed = unicodedata.normalize("NFKD", text).casefold()
    return "".join(ch for ch in decomposed if ch.isalnum())


ALIASES: Final[Mapping[str, str]] = {
    header_key(name): target for target, names in _NAMES.items() for name in names
}
"""Every known header (folded) and its target."""


@attrs.frozen
class ColumnPlan:
    """What each column of a file holds.

    Attributes:
        header: The file's column names as written.
        targets: For each column, its target (``email``, ``postal_code``,
            ``custom_fields.tier``, ...) or ``None`` when the column is not read.
        ignored: Names of the columns that are not read (unknown or told to be ignored).
    """

    header: tuple[str, ...]
    targets: tuple[str | None, ...]
    ignored: tuple[str, ...]

    def columns_for(self, target: str) -> tuple[str, ...]:
        """The names of the columns read into ``target`` (empty when none)."""
        return tuple(n for n, t in zip(self.header, self.targets, strict=True) if t == target)

    @property
    def read(self) -> tuple[tuple[str, str], ...]:
        """``(column, target)`` for each column that is read, in file order."""
        return tuple(
            (name, target)
            for name, target in zip(self.header, self.targets, strict=True)
            if target is not None
        )

    def missing(
        self,
        required: RequiredFields,
        fields: Iterable[CustomFieldDefinition],
        *,
        default_country: bool = False,
    ) -> list[str]:
        """The required fields no column holds, as targets (``country``, ``custom_fields.x``).

        Args:
            required: The book's required-fields policy.
            fields: The book's custom-field definitions (active required ones count).
            default_country: Whether a country is given for rows that have none.
        """
        present = {t for t in self.targets if t is not None}
        missing = []
        for path in sorted(required.fields):
            target = path.removeprefix("address.")
            alternatives = {target}
            if target == "phone":
                alternatives.add("mobile")
            if target == "contact_person":
                alternatives |= {"contact_first_name", "contact_last_name"}
            if target == "country" and default_country:
                continue
            if not alternatives & present:
                missing.append(target)
        missing += [
            CUSTOM_PREFIX + f.key
            for f in fields
            if f.active and f.required and f.default is None
            if CUSTOM_PREFIX + f.key not in present
        ]
        return missing


def _target_of(
    name: str, fields: Mapping[str, CustomFieldDefinition], labels: Mapping[str, str]
) -> str | None:
    stripped = name.strip()
    if stripped.casefold().startswith(CUSTOM_PREFIX):
        key = stripped[len(CUSTOM_PREFIX) :]
        return CUSTOM_PREFIX + key if key in fields else None
    folded = header_key(stripped)
    if folded in ALIASES:
        return ALIASES[folded]
    if folded in labels:
        return CUSTOM_PREFIX + labels[folded]
    return None


def _check_target(target: str, fields: Mapping[str, CustomFieldDefinition]) -> str | None:
    """Return the target named in a ``--map`` entry, or ``None`` when there is no such one."""
    if target == IGNORE:
        return IGNORE
    if target.startswith(CUSTOM_PREFIX):
        return target if target[len(CUSTOM_PREFIX) :] in fields else None
    if target.startswith("address."):
        target = target.removeprefix("address.")
    if target in TARGETS:
        return target
    if target in fields:
        return CUSTOM_PREFIX + target
    return None


def plan_columns(
    header: Sequence[str],
    fields: Iterable[CustomFieldDefinition] = (),
    mapping: Mapping[str, str] | None = None,
) -> ColumnPlan:
    """Work out what each column holds, from its name and the overrides in ``mapping``.

    Args:
        header: The column names as written in the file.
        fields: The book's custom-field definitions; a column named after a field's
            key or label (or ``custom_fields.<key>``) is read into that field.
        mapping: Column name to target, overriding the names: ``{"Firma": "name",
            "Created (UTC)": "-"}`` (``-`` ignores a column). A column is named as written
            or in any case and spacing.

    Returns:
        The plan.

    Raises:
        ValidationError: a mapping names a column the file lacks or a target that does
            not exist, or two columns would fill the same field (codes ``mapping.column``,
            ``mapping.target``, ``file.columns``).
    """
    by_key = {f.key: f for f in fields}
    labels = {header_key(f.label): f.key for f in by_key.values()}
    labels.update({header_key(key): key for key in by_key})
    names = [str(h) for h in header]
    targets: list[str | None] = [_target_of(n, by_key, labels) for n in names]
    problems: list[Problem] = []
    for column, wanted in (mapping or {}).items():
        index = _find_column(names, column)
        target = _check_target(wanted.strip(), by_key)
        if index is None:
            shown = ", ".join(repr(n) for n in names)
            params = {"column": column, "columns": shown}
            problems.append(Problem("mapping", "mapping.column", value=column, params=params))
        if target is None:
            found = {"field": wanted, "column": column, "targets": tuple(sorted(TARGETS))}
            problems.append(Problem("mapping", "mapping.target", value=wanted, params=found))
        if index is not None and target is not None:
            targets[index] = None if target == IGNORE else target
    if problems:
        raise ValidationError(problems)
    _check_conflicts(names, targets)
    ignored = tuple(
        name
        for name, target in zip(names, targets, strict=True)
        if target is None and header_key(name) not in _ignored_keys() and name.strip()
    )
    return ColumnPlan(tuple(names), tuple(targets), ignored)


def _find_column(names: Sequence[str], wanted: str) -> int | None:
    for index, name in enumerate(names):
        if name.strip() == wanted.strip():
            return index
    folded = header_key(wanted)
    for index, name in enumerate(names):
        if folded and header_key(name) == folded:
            return index
    return None


def _check_conflicts(names: Sequence[str], targets: Sequence[str | None]) -> None:
    seen: dict[str, int] = {}
    problems = []
    for index, target in enumerate(targets):
        if target is None or target in _MULTI:
            continue
        if target in seen:
            first = seen[target]
            params = {"first": names[first], "first_column": first + 1, "target": target}
            params |= {"second": names[index], "second_column": index + 1}
            problems.append(Problem("header", "file.columns", value=names[index], params=params))
        else:
            seen[target] = index
    if problems:
        raise ValidationError(problems)
