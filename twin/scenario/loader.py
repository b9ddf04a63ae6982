"""Read a scenario YAML file, apply overrides, validate, and locate every problem.

A file may start from another with ``extends: other.yaml`` (path relative to the
file), or from several, ``extends: [base.yaml, demand.yaml]``, merged in order:
mappings are merged key by key, anything else is replaced; the file's own keys
come last. Command-line
overrides ``dotted.key=value`` are applied last; their values are YAML scalars
or flow collections (``--set demand.hour_of_day=[1,1,...]``).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from twin.scenario.errors import Problem, ScenarioError
from twin.scenario.events import hoist_event_categories
from twin.scenario.messages import data_path, message_for
from twin.scenario.overrides import Origin, Path_, parse_overrides, parse_pairs, set_dotted
from twin.scenario.schema import Scenario
from twin.scenario.yamlsafe import path_problem, read_text, scan

__all__ = ["Locator", "apply_overrides", "dump_scenario", "load_located", "load_scenario",
           "parse_overrides", "validate"]

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

    Examples
    --------
    >>> s = load_scenario("scenarios/baseline.yaml", overrides={"workforce.per_grid": 3})
    >>> s.workforce.per_grid, s.run.replications
    (3, 10)
    >>> load_scenario("scenarios/baseline.yaml", overrides=["workforce.per_grid=-1"])
    Traceback (most recent call last):
    ...
    twin.scenario.errors.ScenarioError: --set: workforce.per_grid: must be >= 0 (got -1)
    """
    return load_located(path, overrides)[0]


def load_located(
    path: str | Path, overrides: Iterable[str] | Mapping[str, Any] = ()
) -> tuple[Scenario, Locator]:
    """Like :func:`load_scenario`, also returning a locator for later problems."""
    data, origins = _read_with_extends(Path(path), depth=0)
    pairs, problems = parse_pairs(overrides)
    for dotted, value in pairs:
        problems.extend(set_dotted(data, origins, dotted, value, ("--set", None)))
    problems.extend(_resolve_map_path(data, origins))
    locator = Locator(origins, str(path))
    try:
        scenario = validate(data, origins, default_source=str(path))
    except ScenarioError as exc:
        found = [_inherited(p, Path(path)) for p in exc.problems]
        raise ScenarioError(_unique(problems + found)) from None
    if problems:
        raise ScenarioError(_unique(problems))
    return scenario, locator


def _inherited(problem: Problem, top: Path) -> Problem:
    """A key that does not apply, written in a file ``top`` extends: say how to drop it."""
    source = Path(problem.source)
    if (not problem.message.startswith("only used with") or problem.source.startswith("--")
            or source == top or not source.is_file()):
        return problem
    parent, _, key = problem.path.rpartition(".")
    where = f" under {parent}:" if parent else ""
    return Problem(problem.source, problem.line, problem.path,
                   f"{problem.message}; {top.name} inherits it: write {key}: null{where} "
                   "there to drop it")


def apply_overrides(scenario: Scenario, overrides: Mapping[str, Any],
                    source: str = "--vary") -> Scenario:
    """A validated copy of ``scenario`` with ``{"dotted.key": value}`` overrides applied.

    Raises
    ------
    ScenarioError
        With the problems located at ``source`` (e.g. ``--vary``).
    """
    data = scenario.model_dump(mode="json")
    origins: dict[Path_, Origin] = {(): (source, None)}
    problems: list[Problem] = []
    for dotted, value in overrides.items():
        problems.extend(set_dotted(data, origins, dotted, value, (source, None)))
    if problems:
        raise ScenarioError([Problem(source, None, p.path, p.message) for p in problems])
    return validate(data, origins, default_source=source)


class Locator:
    """Turns a dotted key path into a located Problem (for checks after validation)."""

    def __init__(self, origins: dict[Path_, Origin], default_source: str) -> None:
        self._origins = origins
        self._default = default_source

    def problem(self, dotted: str, message: str) -> Problem:
        """A Problem at ``dotted`` (or its nearest located parent)."""
        path: Path_ = tuple(int(p) if p.isdigit() else p for p in dotted.split(".") if p)
        return _locate(path, message, self._origins, self._default)


def _resolve_map_path(data: Any, origins: dict[Path_, Origin]) -> list[Problem]:
    """Make ``map.path`` and ``grids.file`` relative to the file that wrote them, not to
    the working folder."""
    problems = []
    for section, key in (("map", "path"), ("grids", "file")):
        spec = data.get(section) if isinstance(data, dict) else None
        if not isinstance(spec, dict) or not isinstance(spec.get(key), str):
            continue
        source, line = origins.get((section, key), ("", None))
        wrong = path_problem(spec[key])
        if wrong:
            problems.append(Problem(source, line, f"{section}.{key}", wrong))
            continue
        candidate = Path(spec[key])
        if not candidate.is_absolute() and not source.startswith("--set"):
            spec[key] = str((Path(source).parent / candidate).resolve())
    return problems


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def validate(data: Any, origins: dict[Path_, Origin], default_source: str) -> Scenario:
    """Validate plain data; raise one ScenarioError listing every problem."""
    data, alias = hoist_event_categories(data)
    if alias:  # a category written in an event: its lines, and its problems, are there
        origins = dict(origins)
        for key, origin in list(origins.items()):
            for target, written in alias.items():
                if key[:len(written)] == written:
                    origins[(*target, *key[len(written):])] = origin
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = [
            p for err in exc.errors() for p in _problems_from(err, data, origins, default_source)
        ]
        raise ScenarioError(_unique([_written(p, alias) for p in problems])) from None


def _written(problem: Problem, alias: dict[Path_, Path_]) -> Problem:
    """A problem of a hoisted category, with the key path where it was written."""
    for target, written in alias.items():
        prefix = ".".join(str(p) for p in target)
        if problem.path == prefix or problem.path.startswith(prefix + "."):
            path = ".".join(str(p) for p in written) + problem.path[len(prefix):]
            return Problem(problem.source, problem.line, path, problem.message)
    return problem


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
    wrong = path_problem(source)
    if wrong:
        shown = source if len(source) <= 200 else source[:80] + "..."
        raise ScenarioError([Problem(shown.replace("\x00", "\\0"), None, "", wrong)])
    if not _is_file(path):
        raise ScenarioError([Problem(source, None, "", "file not found")])
    text = read_text(path)
    refused = scan(text, source)
    if refused:
        raise ScenarioError(refused)
    try:
        node = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.context_mark is not None and mark is not exc.context_mark:
            unclosed = any(w in exc.context for w in ("flow", "quoted", "block scalar"))
            if unclosed or (mark is not None and mark.line >= len(text.splitlines())):
                what += f" (found on line {mark.line + 1})" if mark is not None else ""
                mark = exc.context_mark  # an unclosed bracket or quote: point at its start
            what = f"{exc.context} started here: {what}" if mark is exc.context_mark else (
                f"{what} ({exc.context} started on line {exc.context_mark.line + 1})")
        line = mark.line + 1 if mark is not None else None
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
    names, problems = _base_names(base_name, source, line, origins)
    if depth >= _MAX_EXTENDS and not problems:
        raise ScenarioError([Problem(source, line, "extends", "too many nested extends")])
    for key, name in names:  # every missing base at once, each at its own line
        at = origins.get(key, (source, line))[1]
        wrong = path_problem(name)
        if wrong:
            problems.append(Problem(source, at, ".".join(str(k) for k in key), wrong))
        elif not _is_file(path.parent / name):
            problems.append(Problem(source, at, ".".join(str(k) for k in key),
                                    f"base file not found: {path.parent / name}"))
    if problems:
        raise ScenarioError(problems)
    base: Any = {}
    base_origins: dict[Path_, Origin] = {}
    failed: list[Problem] = []
    for _, name in names:  # merged in order: a later base overrides an earlier one
        try:
            layer, layer_origins = _read_with_extends(path.parent / name, depth + 1)
        except ScenarioError as exc:
            failed.extend(exc.problems)
            continue
        base = _overlay(base, base_origins, layer, layer_origins)
    if failed:
        raise ScenarioError(failed)
    return _overlay(base, base_origins, data, origins), base_origins


def _base_names(value: Any, source: str, line: int | None, origins: dict[Path_, Origin]
                ) -> tuple[list[tuple[Path_, str]], list[Problem]]:
    """The base files of ``extends``: one name, or a list merged in order."""
    if isinstance(value, str):
        return [(("extends",), value)], []
    if not isinstance(value, list):
        return [], [Problem(source, line, "extends", "must be a file name")]
    names: list[tuple[Path_, str]] = []
    problems: list[Problem] = []
    for i, item in enumerate(value):
        if isinstance(item, str):
            names.append((("extends", i), item))
        else:
            at = origins.get(("extends", i), (source, line))[1]
            problems.append(Problem(source, at, f"extends.{i}", "must be a file name"))
    return names, problems


def _overlay(base: Any, base_origins: dict[Path_, Origin], top: dict[Any, Any],
             top_origins: dict[Path_, Origin]) -> Any:
    """``top`` merged over ``base``; ``base_origins`` is updated in place to match."""
    for key, value in top.items():  # a replaced value hides the base's lines below it
        if not isinstance(value, dict):
            _drop_below(base_origins, (key,))
        else:
            _drop_replaced(value, (key,), base_origins)
    base_origins.update(top_origins)
    return _merge(base, top)


def _drop_replaced(top: dict[Any, Any], path: Path_, origins: dict[Path_, Origin]) -> None:
    for key, value in top.items():
        if isinstance(value, dict):
            _drop_replaced(value, (*path, key), origins)
        else:
            _drop_below(origins, (*path, key))


def _drop_below(origins: dict[Path_, Origin], prefix: Path_) -> None:
    for key in [k for k in origins if len(k) > len(prefix) and k[: len(prefix)] == prefix]:
        del origins[key]


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
    if type(node).__name__ == "TaggedScalar":  # !!str 5 and the like (others are refused)
        return _tagged(str(node.value), str(node.tag.value if node.tag else ""))
    if isinstance(node, str):
        return str(node)
    return node


def _tagged(value: str, tag: str) -> Any:
    """A scalar with an explicit plain tag; left as text when it does not convert (the
    schema then says what was expected)."""
    kind = tag.rsplit(":", 1)[-1]
    try:
        if kind == "int":
            return int(value.replace("_", ""), 0)
        if kind == "float":
            return float(value.replace("_", ""))
    except ValueError:
        return value
    if kind == "bool" and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if kind == "null" and value in ("", "~", "null", "Null", "NULL"):
        return None
    return value


def _merge(base: Any, top: Any) -> Any:
    if isinstance(base, dict) and isinstance(top, dict):
        merged = dict(base)
        for key, value in top.items():
            merged[key] = _merge(base[key], value) if key in base else value
        return merged
    return top


# -------------------------------------------------------------------- formatting
def _problems_from(
    err: Any, data: Any, origins: dict[Path_, Origin], default_source: str
) -> list[Problem]:
    path = data_path(err["loc"], data)
    ctx = err.get("ctx") or {}
    if err["type"] == "value_error":
        text = str(ctx["error"]) if "error" in ctx else str(ctx.get("msg", err["msg"]))
        return [_locate(path, line, origins, default_source) for line in text.splitlines()]
    if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
        path = (*path, str(ctx.get("discriminator", "")).strip("'"))
    return [_locate(path, message_for(err, path, data), origins, default_source)]


def _locate(path: Path_, msg: str, origins: dict[Path_, Origin], default: str) -> Problem:
    probe = path
    while probe not in origins and probe:
        probe = probe[:-1]
    source, line = origins.get(probe, (default, None))
    return Problem(source, line, ".".join(str(p) for p in path), msg)


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[str] = set()
    out = []
    for p in problems:
        if str(p) not in seen:
            seen.add(str(p))
            out.append(p)
    return sorted(out, key=lambda p: (p.source, p.line or 0, p.path))
