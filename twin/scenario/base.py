"""The base of every scenario model: strict keys, frozen values, every problem at once.

Pydantic skips a model's cross-field checks as soon as one of its fields is
invalid, so a file with a typo in one key would hide a wrong deadline order in
the same section. Here a model's checks are methods named ``_check_*``; each
returns ``(location, message)`` pairs, the location relative to the model.
When some fields fail, the checks still run on the fields that are valid (a
check that needs a failed field is skipped), and all problems are reported
together.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterable
from functools import cache
from types import SimpleNamespace
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

Loc = tuple[str | int, ...]
Found = Iterable[tuple[Loc, str]]
SHARE_TOLERANCE = 1e-6


class Strict(BaseModel):
    """Base of every scenario model: unknown keys are errors, values are frozen, numbers
    are finite and ``true``/``false`` is never read as a number."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True,
                              allow_inf_nan=False)

    @model_validator(mode="wrap")
    @classmethod
    def _every_problem(cls, data: Any, handler: Any) -> Self:
        raw = data.model_dump() if isinstance(data, BaseModel) else data
        raw = raw if isinstance(raw, dict) else {}
        bools = _bool_numbers(cls, raw)
        try:
            model: Self = handler(data)
        except ValidationError as exc:
            if not isinstance(data, dict):
                raise
            errors = exc.errors()
            failed = {e["loc"][0] for e in errors if e["loc"]}
            found = bools + _run_checks(cls, _partial(cls, data, failed), raw)
            if not found:
                raise
            raise _combined(cls.__name__, data, errors, found) from None
        found = bools + _run_checks(cls, model, raw)
        if found:
            raise _combined(cls.__name__, data, [], found)
        return model


def _bool_numbers(cls: type[Strict], raw: dict[str, Any]) -> list[tuple[Loc, str]]:
    """Numeric fields given true/false (which pydantic would read as 1/0)."""
    out: list[tuple[Loc, str]] = []
    for name, value in raw.items():
        field = cls.model_fields.get(name) if isinstance(name, str) else None
        if field is not None and _numeric_only(field.annotation):  # type: ignore[arg-type]
            out.extend((loc, f"must be a number, not true or false (got {_yaml(flag)})")
                       for loc, flag in _bools((name,), value))
    return out


@cache
def _numeric_only(annotation: Any) -> bool:  # annotations are hashable
    """Whether a field of this type holds numbers (possibly in lists or mappings) and
    never true/false, nor a nested model (which checks its own fields)."""
    found: list[bool] = []

    def walk(tp: Any) -> None:
        if tp is bool or tp is Any or (isinstance(tp, type) and issubclass(tp, BaseModel)):
            found.append(False)
        elif tp is int or tp is float:
            found.append(True)
        for arg in typing.get_args(tp):
            if not isinstance(arg, str | int | float | bool):
                walk(arg)

    walk(annotation)
    return bool(found) and all(found)


def _bools(loc: Loc, value: Any) -> Iterable[tuple[Loc, bool]]:
    """Where true/false sits in a value (itself, or items of lists and mappings)."""
    if isinstance(value, bool):
        yield loc, value
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _bools((*loc, i), item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _bools((*loc, key), item)


def _yaml(flag: bool) -> str:
    return "true" if flag else "false"


def parts_problems(parts: Iterable[Callable[[Any, dict[str, Any]], Found]], scenario: Any,
                   raw: dict[str, Any]) -> Found:
    """The problems of each of ``parts`` (checks that need the whole scenario); a part that
    needs a field that is itself invalid (and reported where it is) is skipped whole."""
    for part in parts:
        try:
            found = list(part(scenario, raw))
        except (AttributeError, TypeError, KeyError):
            continue
        yield from found


def _run_checks(cls: type[Strict], subject: Any, raw: dict[str, Any]) -> list[tuple[Loc, str]]:
    out: list[tuple[Loc, str]] = []
    for check in _checks_of(cls):
        try:
            out.extend(check(subject, raw))
        except (AttributeError, TypeError, KeyError):
            continue  # the check needs a field that is itself invalid
    return out


@cache
def _checks_of(cls: type[Strict]) -> list[Any]:
    return [getattr(cls, n) for n in sorted(dir(cls)) if n.startswith("_check_")]


def _partial(cls: type[Strict], data: dict[str, Any], failed: set[Any]) -> SimpleNamespace:
    """The fields of ``cls`` that are valid on their own (absent ones take defaults)."""
    values: dict[str, Any] = {}
    for name, field in cls.model_fields.items():
        if name in failed:
            continue
        if name in data:
            try:
                values[name] = _adapter(cls, name).validate_python(data[name])
            except ValidationError:
                continue
        elif not field.is_required():
            values[name] = field.get_default(call_default_factory=True)
    return SimpleNamespace(**values)


@cache
def _adapter(cls: type[Strict], name: str) -> TypeAdapter[Any]:
    field = cls.model_fields[name]
    return TypeAdapter(Annotated[field.annotation, field])  # type: ignore[arg-type]


def _combined(
    title: str, data: Any, errors: list[Any], found: list[tuple[Loc, str]]
) -> ValidationError:
    details: list[InitErrorDetails] = []
    for err in errors:
        ctx = err.get("ctx") or {}
        item: dict[str, Any] = {"type": err["type"], "loc": err["loc"], "input": err["input"]}
        if err["type"] == "value_error":
            text = str(ctx["error"]) if "error" in ctx else str(ctx.get("msg", err["msg"]))
            item["type"] = PydanticCustomError("value_error", "{msg}", {"msg": text})
        elif ctx:
            item["ctx"] = ctx
        details.append(item)  # type: ignore[arg-type]
    for loc, message in found:
        custom = PydanticCustomError("value_error", "{msg}", {"msg": message})
        details.append({"type": custom, "loc": loc, "input": data})
    return ValidationError.from_exception_data(title, details)


def share_problems(
    shares: dict[str, float], allowed: tuple[str, ...], key: str, what: str
) -> Found:
    """Unknown names, negative shares, or shares not summing to 1, in ``key``."""
    unknown = [k for k in shares if k not in allowed]
    for name in unknown:
        yield (key, name), f"unknown {what}; allowed: {', '.join(allowed)}"
    if unknown:
        return
    if any(v < 0 for v in shares.values()):
        yield (key,), "shares must be >= 0"
    total = sum(shares.values())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        yield (key,), f"shares must sum to 1 (got {total:g})"


def multiplier_problems(values: list[float] | None, n: int, key: str, what: str) -> Found:
    """A list of ``n`` non-negative multipliers with a positive sum, in ``key``."""
    if values is None:
        return
    if len(values) != n:
        yield (key,), f"needs exactly {n} multipliers, one per {what} (got {len(values)})"
    elif any(v < 0 for v in values) or sum(values) <= 0:
        yield (key,), "multipliers must be >= 0 with a positive sum"


def slash_name_problems(raw: dict[str, Any], key: str, what: str) -> Found:
    """Names in the list ``raw[key]`` holding ``/``: a unit's or team's copy in each
    grid is named ``NAME/GRID``, which is how results find the grid a unit serves."""
    items = raw.get(key)
    for i, item in enumerate(items if isinstance(items, list) else []):
        name = item.get("name") if isinstance(item, dict) else None
        if isinstance(name, str) and "/" in name:
            yield (key, i, "name"), (
                f"{what} names may not contain '/' ({name!r}): each grid's copy is "
                f"named {what.upper()}/GRID; choose a name without '/'")


def unique_name_problems(raw: dict[str, Any], key: str, what: str) -> Found:
    """Repeated ``name`` values in the list ``raw[key]`` (read from the raw data, so
    that they are reported even when some items have other problems)."""
    items = raw.get(key)
    if not isinstance(items, list):
        return
    first: dict[str, int] = {}
    for i, item in enumerate(items):
        name = item.get("name") if isinstance(item, dict) else getattr(item, "name", None)
        if not isinstance(name, str):
            continue
        if name in first:
            yield (key, i, "name"), (
                f"{what} names must be unique: {name!r} is also item {first[name]}"
            )
        else:
            first[name] = i
