"""Read a scenario YAML file, apply overrides, validate, and locate every problem.

A file may start from another with ``extends: other.yaml`` (path relative to the
file): mappings are merged key by key, anything else is replaced. Command-line
overrides ``dotted.key=value`` are applied last; their values are YAML scalars
or flow collections (``--set demand.hour_of_day=[1,1,...]``).
"""

from __future__ import annotations

import difflib
import io
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from twin.scenario.errors import Problem, ScenarioError
from twin.scenario.schema import Scenario

Key = str | int
Path_ = tuple[Key, ...]
Origin = tuple[str, int | None]  # (source, line)

_MAX_EXTENDS = 8


def load_scenario(
    path: str | Path, overrides: Iterable[str] | Mapping[str, Any] = ()
) -> Scenario:
    """Load and validate a scenario file.

    Parameters
    ----------
    path
        The YAML file.
    overrides
        ``"dotted.key=value"`` strings or a mapping ``{"dotted.key": value}``,
        applied after the file (and after any ``extends`` base).

    Raises
    ------
    ScenarioError
        Listing every problem, each with file, line, key path and message.
    """
    return load_located(path, overrides)[0]


def load_located(
    path: str | Path, overrides: Iterable[str] | Mapping[str, Any] = ()
) -> tuple[Scenario, Locator]:
    """Like :func:`load_scenario`, also returning a locator for later problems."""
    data, origins = _read_with_extends(Path(path), depth=0)
    for dotted, value in _override_pairs(overrides):
        _set_dotted(data, origins, dotted, value, ("--set", None))
    _resolve_map_path(data, origins)
    locator = Locator(origins, str(path))
    return validate(data, origins, default_source=str(path)), locator


class Locator:
    """Turns a dotted key path into a located Problem (for checks after validation)."""

    def __init__(self, origins: dict[Path_, Origin], default_source: str) -> None:
        self._origins = origins
        self._default = default_source

    def problem(self, dotted: str, message: str) -> Problem:
        """A Problem at ``dotted`` (or its nearest located parent)."""
        path: Path_ = tuple(int(p) if p.isdigit() else p for p in dotted.split(".") if p)
        return _locate(path, message, self._origins, self._default)


def _resolve_map_path(data: Any, origins: dict[Path_, Origin]) -> None:
    """Make ``map.path`` relative to the file that wrote it, not to the working folder."""
    spec = data.get("map") if isinstance(data, dict) else None
    if not isinstance(spec, dict) or not isinstance(spec.get("path"), str):
        return
    source = origins.get(("map", "path"), ("", None))[0]
    candidate = Path(spec["path"])
    if not candidate.is_absolute() and not source.startswith("--set"):
        spec["path"] = str((Path(source).parent / candidate).resolve())


def parse_overrides(items: Iterable[str]) -> list[tuple[str, Any]]:
    """Parse ``key.path=value`` strings; the value is read as YAML."""
    return _override_pairs(items)


def validate(data: Any, origins: dict[Path_, Origin], default_source: str) -> Scenario:
    """Validate plain data; raise one ScenarioError listing every problem."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = [
            p for err in exc.errors() for p in _problems_from(err, data, origins, default_source)
        ]
        raise ScenarioError(_unique(problems)) from None


def dump_scenario(scenario: Scenario) -> str:
    """The fully resolved scenario (defaults filled in) as YAML text."""
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    buf = io.StringIO()
    yaml.dump(scenario.model_dump(mode="json"), buf)
    return buf.getvalue()


# ----------------------------------------------------------------------- reading
def _read_with_extends(path: Path, depth: int) -> tuple[Any, dict[Path_, Origin]]:
    source = str(path)
    if not path.is_file():
        raise ScenarioError([Problem(source, None, "", "file not found")])
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem(source, None, "", f"cannot read file ({exc})")]) from None
    try:
        node = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = exc.problem or exc.context or "invalid YAML"
        raise ScenarioError([Problem(source, line, "", f"invalid YAML: {what}")]) from None
    if node is None:
        node = CommentedMap()
    if not isinstance(node, CommentedMap):
        raise ScenarioError([Problem(source, 1, "", "the file must be a mapping of keys")])
    origins: dict[Path_, Origin] = {}
    data = _plain(node, (), source, origins)
    origins[()] = (source, 1)
    base_name = data.pop("extends", None)
    if base_name is None:
        return data, origins
    line = origins.get(("extends",), (source, None))[1]
    if not isinstance(base_name, str):
        raise ScenarioError([Problem(source, line, "extends", "must be a file name")])
    if depth >= _MAX_EXTENDS:
        raise ScenarioError([Problem(source, line, "extends", "too many nested extends")])
    base_path = path.parent / base_name
    if not base_path.is_file():
        raise ScenarioError(
            [Problem(source, line, "extends", f"base file not found: {base_path}")]
        )
    base, base_origins = _read_with_extends(base_path, depth + 1)
    base_origins.update(origins)
    return _merge(base, data), base_origins


def _plain(node: Any, path: Path_, source: str, origins: dict[Path_, Origin]) -> Any:
    """Convert ruamel's round-trip nodes to plain data, recording each key's line."""
    if isinstance(node, CommentedMap):
        out: dict[Any, Any] = {}
        for key, value in node.items():
            line = node.lc.key(key)[0] + 1
            origins[(*path, key)] = (source, line)
            out[key] = _plain(value, (*path, key), source, origins)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for i, value in enumerate(node):
            origins[(*path, i)] = (source, node.lc.item(i)[0] + 1)
            items.append(_plain(value, (*path, i), source, origins))
        return items
    if hasattr(node, "__float__") and type(node).__name__ == "ScalarFloat":
        return float(node)
    if type(node).__name__ in ("ScalarInt", "HexInt", "OctalInt", "BinaryInt"):
        return int(node)
    if type(node).__name__ == "ScalarBoolean":
        return bool(node)
    if isinstance(node, str):
        return str(node)
    return node


def _merge(base: Any, top: Any) -> Any:
    if isinstance(base, dict) and isinstance(top, dict):
        merged = dict(base)
        for key, value in top.items():
            merged[key] = _merge(base[key], value) if key in base else value
        return merged
    return top


# --------------------------------------------------------------------- overrides
def _override_pairs(overrides: Iterable[str] | Mapping[str, Any]) -> list[tuple[str, Any]]:
    if isinstance(overrides, Mapping):
        return list(overrides.items())
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
    if problems:
        raise ScenarioError(problems)
    return pairs


def _set_dotted(
    data: dict[str, Any],
    origins: dict[Path_, Origin],
    dotted: str,
    value: Any,
    where: Origin,
) -> None:
    parts: list[Key] = [int(p) if p.isdigit() else p for p in dotted.split(".")]
    node: Any = data
    for i, part in enumerate(parts[:-1]):
        if isinstance(node, list) and isinstance(part, int):
            if part >= len(node):
                raise ScenarioError(
                    [Problem("--set", None, dotted, f"index {part} out of range ({len(node)})")]
                )
            node = node[part]
        elif isinstance(node, dict):
            node = node.setdefault(part, {})
        else:
            prefix = ".".join(str(p) for p in parts[: i + 1])
            raise ScenarioError([Problem("--set", None, dotted, f"{prefix} is not a mapping")])
    last = parts[-1]
    if isinstance(node, list) and isinstance(last, int) and last < len(node):
        node[last] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise ScenarioError([Problem("--set", None, dotted, "cannot set this key")])
    origins[tuple(parts)] = where
    for key in [k for k in origins if len(k) > len(parts) and k[: len(parts)] == tuple(parts)]:
        origins[key] = where


# -------------------------------------------------------------------- formatting
def _problems_from(
    err: Any, data: Any, origins: dict[Path_, Origin], default_source: str
) -> list[Problem]:
    path = _data_path(err["loc"], data)
    if err["type"] == "value_error":
        text = str(err["ctx"].get("error", err["msg"])) if err.get("ctx") else err["msg"]
        out = []
        for line in text.splitlines():
            if line.startswith("@"):
                dotted, _, msg = line[1:].partition(": ")
                sub: Path_ = tuple(int(p) if p.isdigit() else p for p in dotted.split("."))
                out.append(_locate(sub, msg, origins, default_source))
            else:
                out.append(_locate(path, line, origins, default_source))
        return out
    return [_locate(path, _message(err, path, data), origins, default_source)]


def _locate(path: Path_, msg: str, origins: dict[Path_, Origin], default: str) -> Problem:
    probe = path
    while probe not in origins and probe:
        probe = probe[:-1]
    source, line = origins.get(probe, (default, None))
    return Problem(source, line, ".".join(str(p) for p in path), msg)


def _data_path(loc: tuple[Any, ...], data: Any) -> Path_:
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


def _message(err: Any, path: Path_, data: Any) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    got = err.get("input")
    if kind == "extra_forbidden":
        allowed = _allowed_keys(path[:-1], data)
        hint = difflib.get_close_matches(str(path[-1]), allowed, n=1)
        did = f"did you mean '{hint[0]}'? " if hint else ""
        return f"unknown key; {did}allowed: {', '.join(allowed)}"
    if kind == "missing":
        return "required key is missing"
    bounds = {
        "greater_than_equal": (">=", "ge"),
        "greater_than": (">", "gt"),
        "less_than_equal": ("<=", "le"),
        "less_than": ("<", "lt"),
    }
    if kind in bounds:
        op, name = bounds[kind]
        return f"must be {op} {ctx.get(name)} (got {got!r})"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')} (got {got!r})"
    if kind == "union_tag_invalid":
        return f"must be one of {ctx.get('expected_tags')} (got {ctx.get('tag')!r})"
    if kind == "union_tag_not_found":
        return f"required key '{ctx.get('discriminator', '').strip(chr(39))}' is missing"
    if kind in ("int_parsing", "int_type", "int_from_float"):
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


def _allowed_keys(parent: Path_, data: Any) -> list[str]:
    """Field names of the model at ``parent``, found by walking the schema."""
    import typing

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
    import typing

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


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[str] = set()
    out = []
    for p in problems:
        if str(p) not in seen:
            seen.add(str(p))
            out.append(p)
    return sorted(out, key=lambda p: (p.source, p.line or 0, p.path))
