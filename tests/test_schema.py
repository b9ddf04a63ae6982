"""Every field of every scenario model is documented (the docstrings become the
JSON Schema descriptions that editors and ``twin schema`` show to planners)."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from pydantic import BaseModel

from twin.scenario import schema
from twin.scenario.schema import Scenario


def _walk(node: Any, where: str) -> list[str]:
    """Locations of properties without a description, anywhere in a JSON schema."""
    missing: list[str] = []
    if isinstance(node, dict):
        for name, prop in (node.get("properties") or {}).items():
            if not (isinstance(prop, dict) and str(prop.get("description", "")).strip()):
                missing.append(f"{where}.{name}")
        for key, value in node.items():
            missing += _walk(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            missing += _walk(value, f"{where}[{i}]")
    return missing


def test_every_property_in_the_json_schema_has_a_description() -> None:
    json_schema = Scenario.model_json_schema()
    assert _walk(json_schema, "Scenario") == []


def test_every_model_in_the_schema_is_documented() -> None:
    json_schema = Scenario.model_json_schema()
    defs = json_schema["$defs"]
    assert str(json_schema.get("description", "")).strip()
    for name, definition in defs.items():
        if definition.get("type") == "object":
            assert str(definition.get("description", "")).strip(), name


def _models() -> list[type[BaseModel]]:
    return [obj for _, obj in inspect.getmembers(schema, inspect.isclass)
            if issubclass(obj, BaseModel) and obj.__module__.startswith("twin.scenario")
            and obj.model_fields]


@pytest.mark.parametrize("model", _models(), ids=lambda m: m.__name__)
def test_every_field_has_a_docstring(model: type[BaseModel]) -> None:
    undocumented = [name for name, field in model.model_fields.items()
                    if not (field.description or "").strip()]
    assert undocumented == []


def test_all_models_are_reachable_from_scenario() -> None:
    defs = set(Scenario.model_json_schema()["$defs"])
    assert {m.__name__ for m in _models()} - {"Scenario"} <= defs
