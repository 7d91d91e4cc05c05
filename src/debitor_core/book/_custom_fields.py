"""Custom fields: define them, and change a definition with every stored value checked first."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import attrs

from debitor_core._checks import Checks
from debitor_core._errors import Problem, ValidationError
from debitor_core._fields import CustomFieldDefinition, FieldType, definition_problems
from debitor_core._history import DefinitionAction
from debitor_core._model import Customer
from debitor_core._util import read_decimal
from debitor_core.book._arguments import checked_author
from debitor_core.book._read_model import CustomerQuery
from debitor_core.book._types import BookSettings
from debitor_core.book._unit_of_work import UnitOfWork

__all__ = ["CustomFields", "make_definition"]


class CustomFields:
    """The book's custom-field definitions and the changes to them."""

    def __init__(self, uow: UnitOfWork, settings: BookSettings) -> None:
        """Keep definitions through ``uow``; ``settings`` give the clock."""
        self._uow = uow
        self._settings = settings

    def all(self) -> list[CustomFieldDefinition]:
        """Every definition, active or not, in the order defined."""
        self._uow.catch_up()
        return list(self._uow.definitions.fields.values())

    def get(self, key: str) -> CustomFieldDefinition:
        """The definition of the field ``key`` (`NotFound` when there is none)."""
        self._uow.catch_up()
        return self._uow.definitions.field(key)

    def define(
        self,
        key: str,
        label: str,
        type: FieldType | str,  # noqa: A002 - mirrors the attribute
        rules: dict[str, Any],
        author: str | None = None,
    ) -> CustomFieldDefinition:
        """Define a new custom field (see `CustomerBook.define_field`)."""
        author = checked_author("define_field", author)
        uow = self._uow
        with uow.lock:
            uow.catch_up()
            definition = make_definition(key=key, label=label, type=type, **rules)
            if key in uow.definitions.fields:
                raise ValidationError.single(
                    "custom_field_definition.key_taken", None, key, "key", params={"key": key}
                )
            now = self._settings.clock()
            return self._put(definition, DefinitionAction.DEFINED, [], author, now)

    def change(
        self,
        key: str,
        changes: dict[str, Any],
        author: str | None = None,
        function: str = "change_field",
    ) -> CustomFieldDefinition:
        """Change a definition; stored values are checked and converted (see `change_field`).

        Each customer whose value is converted gets a history entry by ``author``; when
        the new definition holds personal data, the entry records the field as changed,
        without values. ``function`` is the method named in errors.
        """
        author = checked_author(function, author)
        uow = self._uow
        with uow.lock:
            uow.catch_up()
            current = uow.definitions.field(key)
            if "key" in changes and changes["key"] != key:
                raise ValidationError.single(
                    "custom_field_definition.key_fixed", None, changes["key"], "key"
                )
            definition = make_definition(**{**attrs.asdict(current, recurse=False), **changes})
            checks = Checks()
            converted: list[tuple[Customer, Customer]] = []
            now = self._settings.clock()
            for customer in uow.model.search(CustomerQuery(archived=None, with_field=key)):
                old_value = customer.custom_fields[key]
                new_value = checks.run(
                    f"customers[{customer.number}].custom_fields.{key}",
                    functools.partial(definition.validate, region=customer.address.country),
                    _raw(old_value),
                )
                if new_value is None:  # it did not fit (a stored value is never None)
                    continue
                if new_value != old_value or type(new_value) is not type(old_value):
                    fields = {**customer.custom_fields, key: new_value}
                    new = attrs.evolve(
                        customer, custom_fields=fields, version=customer.version + 1, updated=now
                    )
                    converted.append((customer, new))
            checks.raise_problems()
            action = _change_action(current, definition)
            return self._put(definition, action, converted, author, now)

    def _put(
        self,
        definition: CustomFieldDefinition,
        action: DefinitionAction,
        converted: list[tuple[Customer, Customer]],
        author: str | None,
        at: dt.datetime,
    ) -> CustomFieldDefinition:
        private = (definition.key,) if definition.personal_data else ()
        with self._uow.transaction(author=author, at=at) as tx:
            tx.put_custom_field(definition, action=action)
            for old, new in converted:
                tx.update(new, expected_version=old.version, private=private)
        return definition


def _change_action(
    current: CustomFieldDefinition, definition: CustomFieldDefinition
) -> DefinitionAction:
    """``deactivated`` or ``activated`` when only ``active`` changes, else ``changed``."""
    if (
        current.active != definition.active
        and attrs.evolve(current, active=definition.active) == definition
    ):
        return DefinitionAction.ACTIVATED if definition.active else DefinitionAction.DEACTIVATED
    return DefinitionAction.CHANGED


def make_definition(**values: Any) -> CustomFieldDefinition:  # noqa: ANN401 - loose input
    """Build a definition from loose values and check it; raise with every problem.

    Raises:
        ValidationError: with every problem of the definition.
    """
    problems: list[Problem] = []
    raw_type = values.get("type", FieldType.TEXT)
    try:
        values["type"] = FieldType(raw_type)
    except ValueError:
        choices = ", ".join(t.value for t in FieldType)
        msg = f"The field type must be one of {choices}, not {raw_type!r}."
        raise ValidationError.single(
            "custom_field_definition.type", msg, raw_type, "type"
        ) from None
    if values.get("choices") is not None:
        values["choices"] = tuple(values["choices"])
    for bound in ("min_value", "max_value"):
        if values.get(bound) is not None:
            number = read_decimal(values[bound])
            if number is None:
                problems.append(
                    Problem(
                        bound,
                        "custom_field_definition.range",
                        f"The {bound.replace('_', ' ')} must be a number.",
                        value=values[bound],
                    )
                )
            values[bound] = number
    unknown = set(values) - {a.name for a in attrs.fields(CustomFieldDefinition)}
    if unknown:
        options = tuple(sorted(unknown))
        raise ValidationError.single(
            "custom_field_definition.option", None, list(options), params={"options": options}
        )
    if problems:
        raise ValidationError(problems)
    definition = CustomFieldDefinition(**values)
    problems = definition_problems(definition)
    if problems:
        raise ValidationError(problems)
    if definition.default is not None:
        definition = attrs.evolve(definition, default=definition.validate(definition.default))
    return definition


def _raw(value: object) -> object:
    """A stored custom-field value as raw input for another definition."""
    if isinstance(value, bool | tuple):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
