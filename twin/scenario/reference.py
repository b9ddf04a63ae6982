"""The scenario key reference, generated from the schema (README.md embeds it).

``python -m twin.scenario.reference`` prints the Markdown table;
``python -m twin.scenario.reference --update README.md`` renews it in the README.
The record column and KPI references are generated the same way by
``python -m twin.metrics.reference --update README.md``.
"""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from twin.scenario.schema import Scenario


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        found.extend(_models_in(arg))
    return found


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _type_name(typing.get_args(annotation)[0])
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in typing.get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "mapping"
    if origin in (list, tuple):
        return "list"
    if origin is dict:
        return "mapping"
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if args and all(isinstance(a, type) and issubclass(a, BaseModel) for a in args):
        return "mapping"
    if args and all(typing.get_origin(a) is typing.Annotated for a in args[:1]):
        return _type_name(args[0])
    if args and origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return " or ".join(_type_name(a) for a in args)
    return getattr(annotation, "__name__", str(annotation))


def _default(field: Any) -> str:
    if field.default is not PydanticUndefined:
        value = field.default
        if isinstance(value, BaseModel):
            return "(see below)"
        if value == "":
            return '`""`'
        return f"`{value!r}`".replace("'", "")
    if field.default_factory is not None:
        made = field.default_factory()
        if isinstance(made, BaseModel):
            return "(see below)"
        if isinstance(made, list) and len(made) > 3 and len(set(made)) == 1:
            return f"{len(made)} x `{made[0]!r}`"
        return f"`{repr(made).replace(chr(39), '')}`"
    return "**required**"


def reference_rows(model: type[BaseModel] = Scenario, prefix: str = "") -> list[tuple[str, ...]]:
    """(key, type, default, meaning) for every field, depth first."""
    rows: list[tuple[str, ...]] = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        doc = " ".join((field.description or "").split())
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        enum = extra.get("enum")  # names from a registry (e.g. dispatch policies)
        kind = (" \\| ".join(f"`{v}`" for v in enum) if isinstance(enum, list)
                else _type_name(field.annotation))
        rows.append((key, kind, _default(field), doc))
        annotation = field.annotation
        inner = annotation
        origin = typing.get_origin(annotation)
        if origin is list:
            inner, key = typing.get_args(annotation)[0], f"{key}[]"
        elif origin is dict:
            inner, key = typing.get_args(annotation)[1], f"{key}.<name>"
        members = _models_in(inner)
        for member in members:
            tag = _tag(member) if len(members) > 1 else ""
            rows.extend(reference_rows(member, f"{key}{tag}."))
    return rows


def _tag(model: type[BaseModel]) -> str:
    for name, field in model.model_fields.items():
        if typing.get_origin(field.annotation) is typing.Literal:
            return f"({name}={typing.get_args(field.annotation)[0]})"
    return ""


def reference_markdown() -> str:
    """The Markdown table of every scenario key."""
    lines = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for key, kind, default, doc in reference_rows():
        lines.append(f"| `{key}` | {kind} | {default} | {doc.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


START, END = "<!-- reference:start -->", "<!-- reference:end -->"


def embed(text: str) -> str:
    """``text`` (README) with the reference table between its two markers renewed."""
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{reference_markdown()}{END}{tail}"


if __name__ == "__main__":  # pragma: no cover
    import sys
    from pathlib import Path

    if sys.argv[1:2] == ["--update"]:
        target = Path(sys.argv[2])
        target.write_text(embed(target.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        sys.stdout.write(reference_markdown())
