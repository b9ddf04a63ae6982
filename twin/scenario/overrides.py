"""Command-line overrides: ``dotted.key=value`` strings, parsed and set into scenario data.

Values are read as YAML scalars or flow collections (``--set demand.hour_of_day=[1,1,...]``);
a key that creates a mapping is located at the option that created it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError

from twin.scenario.errors import Problem, ScenarioError

Key = str | int
Path_ = tuple[Key, ...]
Origin = tuple[str, int | None]  # (source, line)


def parse_overrides(items: Iterable[str]) -> list[tuple[str, Any]]:
    """Parse ``key.path=value`` strings; the value is read as YAML."""
    return _override_pairs(items)


def _override_pairs(overrides: Iterable[str] | Mapping[str, Any]) -> list[tuple[str, Any]]:
    pairs, problems = parse_pairs(overrides)
    if problems:
        raise ScenarioError(problems)
    return pairs


def parse_pairs(
    overrides: Iterable[str] | Mapping[str, Any],
) -> tuple[list[tuple[str, Any]], list[Problem]]:
    if isinstance(overrides, Mapping):
        return list(overrides.items()), []
    pairs: list[tuple[str, Any]] = []
    problems: list[Problem] = []
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            problems.append(
                Problem("--set", None, item, "expected key.path=value, e.g. run.replications=5")
            )
            continue
        try:
            value = YAML(typ="safe", pure=True).load(raw) if raw.strip() else ""
        except MarkedYAMLError as exc:
            problems.append(Problem("--set", None, key.strip(), f"bad value: {exc.problem}"))
            continue
        pairs.append((key.strip(), value))
    return pairs, problems


def set_dotted(
    data: dict[str, Any],
    origins: dict[Path_, Origin],
    dotted: str,
    value: Any,
    where: Origin,
) -> list[Problem]:
    """Set one override in ``data``; return the problems that prevent it."""
    parts: list[Key] = [int(p) if p.isdigit() else p for p in dotted.split(".")]
    if any(p == "" for p in parts):
        return [Problem("--set", None, dotted, "empty part in the key path")]
    node: Any = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list) and isinstance(part, int):
            if part >= len(node):
                prefix = ".".join(str(p) for p in parts[:i])
                return [Problem("--set", None, dotted,
                                f"index {part} out of range: {prefix} has {len(node)} item(s)")]
            if last:
                node[part] = value
            else:
                node = node[part]
        elif isinstance(node, dict):
            if last:
                node[part] = value
            else:
                if part not in node:  # a mapping the override creates is located there
                    origins[tuple(parts[: i + 1])] = where
                node = node.setdefault(part, {})
        else:
            prefix = ".".join(str(p) for p in parts[:i])
            kind = "a list" if isinstance(node, list) else f"a single value ({node!r})"
            return [Problem("--set", None, dotted, f"{prefix} is {kind}, not a mapping")]
    origins[tuple(parts)] = where
    for key in [k for k in origins if len(k) > len(parts) and k[: len(parts)] == tuple(parts)]:
        origins[key] = where
    return []
