"""Plain-language messages for pydantic's validation errors.

Each message says what is wrong and what is allowed: the bounds of a number,
the choices of a fixed set, the keys a section accepts (with a did-you-mean),
and for a key twin no longer has, what replaced it.
"""

from __future__ import annotations

import difflib
import typing
from typing import Any

from pydantic import BaseModel

from twin.scenario.schema import Scenario
from twin.vocab import COLOURS

Key = str | int
Path_ = tuple[Key, ...]

_DISPUTES = "docs/disputes.md"
REMOVED_KEYS: dict[tuple[str, ...], str] = {
    ("tiers",): (
        "disputes are graded and handled through a category's `dispute` block and the "
        f"`disputes` section ({_DISPUTES}); the mediation office and the units of a red "
        "response are handling units in `work_orders.units`"),
    ("escalation",): (
        "a dispute's grade moves up and down through its `dispute` block (`settles`, "
        f"`flare_per_day`) and the `disputes` section ({_DISPUTES}); overdue work orders "
        "are chased, supervised and whistled under `work_orders.overdue` and "
        "`work_orders.whistle`"),
    ("follow_up",): (
        "a settled dispute is followed up by the unit that settled it, under "
        f"`disputes.follow_up` ({_DISPUTES}); work orders are called back under "
        "`work_orders.callback`"),
    ("demand", "categories", "*", "service_by_colour"): (
        "a dispute's times are in its `dispute` block (`mediate`) and the `disputes` section "
        f"(sessions, the red lead and joining units) ({_DISPUTES}); any other category has "
        "one `service`"),
    ("demand", "categories", "*", "failure"): (
        "a dispute's mediations settle with `dispute.settles` (green) and the session odds "
        f"of `disputes.mediation` (yellow) ({_DISPUTES}); a work order's flow has `fixed`"),
    ("demand", "categories", "*", "growth_per_hour"): (
        f"a waiting or unfound dispute flares up with `dispute.flare_per_day` ({_DISPUTES})"),
    ("demand", "categories", "*", "joint_pools"): (
        "a red dispute's response is `disputes.red.lead` with the units of "
        f"`disputes.red.join`, each coming when it has someone free ({_DISPUTES})"),
    **{("deadlines", colour): (
        "time limits are per category: a case's `limit`, a work order's flow's `limit`; "
        "a dispute has none (only disputes are graded)") for colour in COLOURS},
}
"""Keys of older scenario files that twin no longer has, and what replaced each (a list
index in the key is ``*``)."""


def removed_key(path: Path_) -> str | None:
    """What replaced a removed key at ``path``, or None if it was never a key."""
    pattern = tuple("*" if isinstance(p, int) else p for p in path)
    replaced = REMOVED_KEYS.get(pattern)
    return f"`{path[-1]}` was removed: {replaced}" if replaced else None


def data_path(loc: tuple[Any, ...], data: Any) -> Path_:
    """Keep the parts of a pydantic location that exist in the data (drops union tags)."""
    out: list[Key] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            out.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            out.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and not _is_tag(part):
            out.append(part)  # a missing or unknown key
            node = None
    return tuple(out)


def _is_tag(part: str) -> bool:
    return part in {"lattice", "file", "exponential", "lognormal", "gamma", "fixed", "empirical"}


def message_for(err: Any, path: Path_, data: Any) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    got = err.get("input")
    if kind == "extra_forbidden":
        removed = removed_key(path)
        if removed is not None:
            return removed
        allowed = _allowed_keys(path[:-1], data)
        hint = difflib.get_close_matches(str(path[-1]), allowed, n=1)
        did = f"did you mean '{hint[0]}'? " if hint else ""
        return f"unknown key; {did}allowed: {', '.join(allowed)}"
    if kind == "missing":
        return "required key is missing"
    if kind == "union_tag_not_found":
        return "required key is missing"
    bounds = {
        "greater_than_equal": (">=", "ge"),
        "greater_than": (">", "gt"),
        "less_than_equal": ("<=", "le"),
        "less_than": ("<", "lt"),
    }
    if kind in bounds:
        op, name = bounds[kind]
        return f"must be {op} {_num(ctx.get(name))} (got {got!r})"
    if kind == "literal_error":
        return f"must be one of: {_choices(ctx.get('expected'))} (got {got!r})"
    if kind == "union_tag_invalid":
        return f"must be one of: {_choices(ctx.get('expected_tags'))} (got {ctx.get('tag')!r})"
    if kind == "finite_number":
        return f"must be a finite number, not infinity or NaN (got {got!r})"
    if kind in ("int_parsing", "int_type", "int_from_float", "int_parsing_size"):
        return f"must be a whole number (got {got!r})"
    if kind in ("float_parsing", "float_type"):
        return f"must be a number (got {got!r})"
    if kind in ("bool_parsing", "bool_type"):
        return f"must be true or false (got {got!r})"
    if kind in ("string_type",):
        return f"must be text (got {got!r})"
    if kind in ("list_type", "tuple_type"):
        return f"must be a list (got {got!r})"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"must be a mapping of keys (got {got!r})"
    if kind == "too_short":
        return (f"must have at least {ctx.get('min_length')} item(s) "
                f"(got {ctx.get('actual_length')})")
    if kind == "too_long":
        return (f"must have at most {ctx.get('max_length')} item(s) "
                f"(got {ctx.get('actual_length')})")
    if kind == "string_too_short":
        return "must not be empty"
    return f"{err['msg']} (got {got!r})"


def _num(x: Any) -> Any:
    return int(x) if isinstance(x, float) and x.is_integer() else x


def _choices(expected: Any) -> str:
    """pydantic's "'a', 'b' or 'c'" as "a, b, c"."""
    text = str(expected).replace(" or ", ", ")
    return ", ".join(part.strip().strip("'") for part in text.split(","))


def _allowed_keys(parent: Path_, data: Any) -> list[str]:
    """Field names of the model at ``parent``, found by walking the schema."""
    model: Any = Scenario
    node = data
    keyed = False  # the previous field was a dict[str, Model]: this part is its key
    for part in parent:
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            node = None
        if isinstance(part, int) or keyed:
            keyed = False
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        field = model.model_fields.get(part)
        if field is None:
            return []
        keyed = typing.get_origin(field.annotation) is dict
        model = _pick_model(field.annotation, node)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _pick_model(annotation: Any, node: Any) -> Any:
    """The model a field holds, choosing a union member by its tag in the data."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is typing.Annotated:
        return _pick_model(args[0], node)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if args:
        members = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        for member in members:
            tag_fields = [
                (n, typing.get_args(f.annotation))
                for n, f in member.model_fields.items()
                if typing.get_origin(f.annotation) is typing.Literal
            ]
            for name, values in tag_fields:
                if isinstance(node, dict) and node.get(name) in values:
                    return member
        if len(members) == 1:
            return members[0]
        for a in args:  # list[Model] / dict[str, Model]
            found = _pick_model(a, node)
            if found is not None and found is not a:
                return found
            if isinstance(found, type) and issubclass(found, BaseModel):
                return found
    return None
