"""Generated mistakes in a scenario (wrong types, NaN, infinity, huge numbers, unknown
keys, control characters, paths) give exit 0 or 2 from ``twin validate``, never a
traceback."""

from __future__ import annotations

import io
import math
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from typer.testing import CliRunner

import twin
from twin.cli import app

ROOT = Path(__file__).resolve().parents[1]
BASE = twin.load_scenario(ROOT / "scenarios" / "disputes_baseline.yaml").model_dump(
    mode="json")
runner = CliRunner()

ODD_VALUES = st.sampled_from([
    None, True, False, "", "abc", "../../x", "a\x07b", -1, 0, 1, 2.5, -1e-320, 1e308,
    10**30, math.nan, math.inf, -math.inf, [], [1, 2], ["a"], {}, {"x": 1}, {"name": None},
])


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


PATHS = _paths(BASE)


def _mutate(data: Any, path: tuple[Any, ...], value: Any, unknown: bool) -> None:
    node = data
    for part in path[:-1]:
        node = node[part]
    if unknown and isinstance(node, dict):
        node[f"{path[-1]}_x"] = value
    else:
        node[path[-1]] = value


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(st.tuples(st.sampled_from(PATHS), ODD_VALUES, st.booleans()),
                      min_size=1, max_size=3))
def test_mutated_scenarios_never_crash(edits: list[tuple[tuple[Any, ...], Any, bool]]) -> None:
    import copy

    data = copy.deepcopy(BASE)
    for path, value, unknown in edits:
        try:
            _mutate(data, path, value, unknown)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit replaced the parent
    buf = io.StringIO()
    yaml = YAML(typ="safe", pure=True)
    yaml.allow_unicode = False  # control characters are written escaped
    yaml.dump(data, buf)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mutated.yaml"
        path.write_text(buf.getvalue(), encoding="utf-8")
        res = runner.invoke(app, ["validate", str(path)])
    assert res.exit_code in (0, 2), (res.output, res.exception)
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output
    if res.exit_code == 2:
        assert "nothing was run" in res.output
