"""Every class of scenario mistake gives exact, located messages, all at once.

Each message reads ``file:line: key.path: what is wrong and what is allowed``.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

import twin
from twin import ScenarioError

VALID = """\
name: tiny
map:
  source: lattice
  rows: 4
  cols: 4
grids:
  blocks: [1, 2]
demand:
  categories:
    - name: repair
      rate_per_hour: 1.0
      service: {distribution: exponential, mean: 20}
"""


def write(folder: Path, text: str, name: str = "s.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def line_of(path: Path, fragment: str, nth: int = 1) -> int:
    """1-based number of the nth line of ``path`` containing ``fragment``."""
    hits = [i for i, text in enumerate(path.read_text().splitlines(), 1) if fragment in text]
    return hits[nth - 1]


def problems(path: Path, overrides: list[str] | None = None) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        twin.load_scenario(path, overrides or [])
    error = caught.value
    lines = str(error).splitlines()
    assert lines == [str(p) for p in error.problems]
    return lines


def test_valid_file_loads(tmp_path: Path) -> None:
    scenario = twin.load_scenario(write(tmp_path, VALID))
    assert scenario.name == "tiny"
    assert scenario.grids.blocks == (1, 2)


def test_unknown_key_suggests_the_nearest(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace("  cols: 4", "  colls: 4"))
    assert problems(path) == [
        f"{path}:2: map.cols: required key is missing",
        f"{path}:5: map.colls: unknown key; did you mean 'cols'? "
        "allowed: source, rows, cols, block_length, speed",
    ]


def test_unknown_nested_key_in_a_list_item(tmp_path: Path) -> None:
    text = VALID.replace("rate_per_hour: 1.0", "rate_per_hour: 1.0\n      colour: {}")
    path = write(tmp_path, text)
    assert problems(path) == [
        f"{path}:12: demand.categories.0.colour: unknown key; did you mean 'colours'? allowed: "
        "name, rate_per_hour, rate_per_hour_per_1000_residents, hour_of_day, day_of_week, "
        "colours, limit, channels, service, latent, volunteer_eligible, flow, dispute",
    ]


def test_unknown_top_level_key(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + "dispatchh:\n  policy: own_grid\n")
    assert problems(path) == [
        f"{path}:13: dispatchh: unknown key; did you mean 'dispatch'? allowed: name, "
        "description, map, grids, demand, workforce, dispatch, deadlines, run, "
        "repeat_complaints, patrols, volunteers, teams, work_orders, disputes, "
        "grid_work, calendar, events",
    ]


def test_missing_required_section(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.split("demand:")[0])
    assert problems(path) == [f"{path}:1: demand: required key is missing"]


def test_missing_service_of_a_category(tmp_path: Path) -> None:
    text = VALID.replace("      service: {distribution: exponential, mean: 20}\n", "")
    path = write(tmp_path, text)
    assert problems(path) == [
        f"{path}:10: demand.categories.0.service: required key is missing (a category "
        "with no flow and no dispute block needs its on-site time)",
    ]


def test_union_member_missing_key_has_a_clean_path(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace("exponential, mean: 20", "lognormal, mean: 30"))
    assert problems(path) == [
        f"{path}:12: demand.categories.0.service.sd: required key is missing",
    ]


def test_union_without_its_tag(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace("distribution: exponential, ", ""))
    assert problems(path) == [
        f"{path}:12: demand.categories.0.service.distribution: required key is missing",
    ]


def test_text_for_a_number(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace("rows: 4", "rows: four"))
    assert problems(path) == [f"{path}:4: map.rows: must be a whole number (got 'four')"]


def test_number_for_a_list(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace("demand:\n", "demand:\n  hour_of_day: 3\n"))
    assert problems(path) == [f"{path}:9: demand.hour_of_day: must be a list (got 3)"]


def test_out_of_range_numbers(tmp_path: Path) -> None:
    text = VALID.replace("rate_per_hour: 1.0", "rate_per_hour: -0.5")
    path = write(tmp_path, text + "workforce:\n  per_grid: -3\n")
    assert problems(path) == [
        f"{path}:11: demand.categories.0.rate_per_hour: must be >= 0 (got -0.5)",
        f"{path}:14: workforce.per_grid: must be >= 0 (got -3)",
    ]


def test_bad_dispatch_policy_lists_the_allowed(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + "dispatch:\n  policy: nearest\n")
    assert problems(path) == [
        f"{path}:14: dispatch.policy: must be one of: own_grid, nearest_idle, "
        "own_grid_then_nearest, own_grid_then_neighbours (got 'nearest')",
    ]


def test_bad_distribution_lists_the_allowed(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace("distribution: exponential", "distribution: weibull"))
    assert problems(path) == [
        f"{path}:12: demand.categories.0.service.distribution: must be one of: exponential, "
        "lognormal, gamma, fixed, empirical (got 'weibull')",
    ]


def test_bad_map_source_lists_the_allowed(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace("source: lattice", "source: osm"))
    assert problems(path) == [
        f"{path}:3: map.source: must be one of: lattice, file (got 'osm')",
    ]


def test_shares_must_sum_to_one_and_colours_be_known(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace(
        "rate_per_hour: 1.0",
        "rate_per_hour: 1.0\n"
        "      channels: {resident: 0.5, patrol: 0.2}",
    ))
    assert problems(path) == [
        f"{path}:12: demand.categories.0.channels: shares must sum to 1 (got 0.7)",
    ]
    # a dispute's grades (a dispute needs no `service`)
    units = ("work_orders: {units: [{name: office, staff: 1}, {name: police, staff: 1}]}\n"
             "disputes: {mediation: {unit: office}, red: {lead: police, join: []}}\n")
    path = write(tmp_path, VALID.replace(
        "      service: {distribution: exponential, mean: 20}\n",
        "      colours: {green: 0.5, purple: 0.5}\n"
        "      dispute: {}\n") + units)
    assert problems(path) == [
        f"{path}:12: demand.categories.0.colours.purple: unknown colour; "
        "allowed: green, yellow, red",
    ]


def test_wrong_multiplier_count(tmp_path: Path) -> None:
    hours = ", ".join(["1"] * 23)
    path = write(tmp_path, VALID.replace("demand:\n", f"demand:\n  hour_of_day: [{hours}]\n"))
    assert problems(path) == [
        f"{path}:9: demand.hour_of_day: needs exactly 24 multipliers, one per hour 0-23 "
        "(got 23)",
    ]


def test_warmup_not_below_horizon(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + "run:\n  horizon_days: 3\n  warmup_days: 3\n")
    assert problems(path) == [
        f"{path}:15: run.warmup_days: must be less than horizon_days (3) (got 3)",
    ]


def test_duplicate_category_names(tmp_path: Path) -> None:
    extra = (
        "    - name: repair\n"
        "      rate_per_hour: 2.0\n"
        "      service: {distribution: fixed, value: 5}\n"
    )
    path = write(tmp_path, VALID + extra)
    assert problems(path) == [
        f"{path}:13: demand.categories.1.name: category names must be unique: "
        "'repair' is also item 0",
    ]


def test_duplicate_category_names_beside_other_mistakes(tmp_path: Path) -> None:
    extra = (
        "    - name: repair\n"
        "      rate_per_hour: lots\n"
        "      service: {distribution: fixed, value: 5}\n"
    )
    path = write(tmp_path, VALID + extra)
    assert problems(path) == [
        f"{path}:13: demand.categories.1.name: category names must be unique: "
        "'repair' is also item 0",
        f"{path}:14: demand.categories.1.rate_per_hour: must be a number (got 'lots')",
    ]


def test_duplicate_grid_names(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace(
        "  blocks: [1, 2]\n", "  blocks: [1, 2]\n  items:\n    - name: north\n    - name: north\n"
    ))
    assert problems(path) == [
        f"{path}:10: grids.items.1.name: grid names must be unique: 'north' is also item 0",
    ]


def test_bad_shift_time_and_day(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + (
        "workforce:\n"
        "  shifts:\n"
        '    - {start: "25:00", end: "17:00"}\n'
        "    - days: [mon, funday]\n"
    ))
    assert problems(path) == [
        f"{path}:15: workforce.shifts.0.start: must be a time of day HH:MM from 00:00 to "
        "24:00 (got '25:00')",
        f"{path}:16: workforce.shifts.1.days.1: unknown day 'funday'; "
        "allowed: mon, tue, wed, thu, fri, sat, sun, workdays, restdays (with a calendar)",
    ]


def test_empty_shift(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + 'workforce:\n  shifts:\n    - {start: "08:00", end: "08:00"}\n')
    assert problems(path) == [
        f"{path}:15: workforce.shifts.0.end: equals start (08:00): the shift would be empty",
    ]


def test_workforce_names_an_unknown_grid(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + "workforce:\n  grids:\n    grid-01: {workers: 3}\n"
                                   "    grid-09: {workers: 1}\n")
    assert problems(path) == [
        f"{path}:16: workforce.grids.grid-09: no such grid; known grids: grid-01, grid-02",
    ]


def test_blocks_finer_than_the_lattice(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace("blocks: [1, 2]", "blocks: [5, 2]"))
    assert problems(path) == [
        f"{path}:7: grids.blocks: [5, 2] is finer than the lattice (4 x 4 nodes); "
        "at most [4, 4]",
    ]


def test_blocks_with_a_file_map(tmp_path: Path) -> None:
    text = VALID.replace("  source: lattice\n  rows: 4\n  cols: 4\n",
                         "  source: file\n  path: streets.graphml\n")
    path = write(tmp_path, text.replace("grids:\n", "grids:\n  assignment: blocks\n"))
    assert problems(path) == [
        f"{path}:6: grids.assignment: blocks needs map.source lattice; "
        "use partition, attribute, nearest_centre or boundaries for a file map",
    ]


def test_default_blocks_with_a_file_map_points_at_the_map(tmp_path: Path) -> None:
    text = VALID.replace("  source: lattice\n  rows: 4\n  cols: 4\n",
                         "  source: file\n  path: streets.graphml\n")
    path = write(tmp_path, text.replace("grids:\n  blocks: [1, 2]\n", ""))
    assert problems(path) == [
        f"{path}:3: map.source: a file map needs grids.assignment partition, attribute, "
        "nearest_centre or boundaries (the default, blocks, only cuts a lattice)",
    ]


def test_invalid_yaml_gives_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace("  rows: 4", "   rows: 4"))
    assert problems(path) == [
        f"{path}:4: (top level): invalid YAML: mapping values are not allowed here",
    ]


def test_unclosed_bracket_points_at_its_start(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace("blocks: [1, 2]\n", "blocks: [1, 2\n"))
    assert problems(path) == [
        f"{path}:7: (top level): invalid YAML: while parsing a flow sequence started here: "
        "expected ',' or ']', but got ':' (found on line 8)",
    ]


def test_file_not_found(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    assert problems(path) == [f"{path}: (top level): file not found"]


def test_file_must_be_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "- just\n- a list\n")
    assert problems(path) == [f"{path}:1: (top level): the file must be a mapping of keys"]


def test_extends_merges_and_locates_in_each_file(tmp_path: Path) -> None:
    base = write(tmp_path, VALID.replace("rows: 4", "rows: 0"), name="base.yaml")
    top = write(tmp_path, (
        "extends: base.yaml\n"
        "map:\n"
        "  cols: 6\n"
        "workforce:\n"
        "  per_grid: -1\n"
    ), name="top.yaml")
    assert problems(top) == [
        f"{base}:4: map.rows: must be >= 1 (got 0)",
        f"{top}:5: workforce.per_grid: must be >= 0 (got -1)",
    ]


def test_extends_replaced_list_is_located_in_the_top_file(tmp_path: Path) -> None:
    write(tmp_path, VALID, name="base.yaml")
    top = write(tmp_path, (
        "extends: base.yaml\n"
        "demand:\n"
        "  categories:\n"
        "    - name: other\n"
        "      rate_per_hour: 1\n"
        "      service: {distribution: exponential}\n"
    ), name="top.yaml")
    assert problems(top) == [
        f"{top}:6: demand.categories.0.service.mean: required key is missing",
    ]


def test_extends_merge_keeps_base_values(tmp_path: Path) -> None:
    write(tmp_path, VALID, name="base.yaml")
    top = write(tmp_path, "extends: base.yaml\nmap:\n  cols: 6\n", name="top.yaml")
    scenario = twin.load_scenario(top)
    assert (scenario.map.rows, scenario.map.cols) == (4, 6)  # type: ignore[union-attr]
    assert scenario.demand.categories[0].name == "repair"


def test_extends_missing_base(tmp_path: Path) -> None:
    top = write(tmp_path, "extends: gone.yaml\n", name="top.yaml")
    assert problems(top) == [
        f"{top}:1: extends: base file not found: {tmp_path / 'gone.yaml'}",
    ]


def test_set_overrides_are_reported_with_source_set(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)
    assert problems(path, [
        "run.horizon_days=abc",
        "demand.categorie=3",
        "noequals",
        "workforce.per_grid=-2",
    ]) == [
        "--set: demand.categorie: unknown key; did you mean 'categories'? "
        "allowed: hour_of_day, day_of_week, categories",
        "--set: noequals: expected key.path=value, e.g. run.replications=5",
        "--set: run.horizon_days: must be a number (got 'abc')",
        "--set: workforce.per_grid: must be >= 0 (got -2)",
    ]


def test_set_into_a_value_or_past_a_list(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)
    assert problems(path, ["map.rows.x=1", "demand.categories.3.name=x"]) == [
        "--set: demand.categories.3.name: index 3 out of range: demand.categories has 1 item(s)",
        "--set: map.rows.x: map.rows is a single value (4), not a mapping",
    ]


def test_set_applies_yaml_values(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)
    scenario = twin.load_scenario(path, ["grids.blocks=[2, 2]", "dispatch.policy=nearest_idle"])
    assert scenario.grids.blocks == (2, 2)
    assert scenario.dispatch.policy == "nearest_idle"


def test_many_mistakes_reported_at_once_sorted_by_line(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        name: tiny
        map:
          source: lattice
          rows: 4
          cols: 4
          sped: 80
        demand:
          hour_of_day: [1, 1]
          categories:
            - name: repair
              rate_per_hour: -1
              limit: 0
              service: {distribution: lognormal, mean: 30}
        workforce:
          per_grid: -3
          grids:
            grid-07: {workers: 1}
        dispatch:
          policy: nearest
        deadlines:
          response: -5
          yellow: 300
        run:
          horizon_days: 2
          warmup_days: 3
          replications: 0
        """)
    assert problems(path) == [
        f"{path}:6: map.sped: unknown key; did you mean 'speed'? "
        "allowed: source, rows, cols, block_length, speed",
        f"{path}:8: demand.hour_of_day: needs exactly 24 multipliers, one per hour 0-23 "
        "(got 2)",
        f"{path}:11: demand.categories.0.rate_per_hour: must be >= 0 (got -1)",
        f"{path}:12: demand.categories.0.limit: must be > 0 (got 0)",
        f"{path}:13: demand.categories.0.service.sd: required key is missing",
        f"{path}:15: workforce.per_grid: must be >= 0 (got -3)",
        f"{path}:17: workforce.grids.grid-07: no such grid; known grids: grid-01",
        f"{path}:19: dispatch.policy: must be one of: own_grid, nearest_idle, "
        "own_grid_then_nearest, own_grid_then_neighbours (got 'nearest')",
        f"{path}:21: deadlines.response: must be > 0 (got -5)",
        f"{path}:22: deadlines.yellow: `yellow` was removed: time limits are per category: "
        "a case's `limit`, a work order's flow's `limit`; a dispute has none (only disputes "
        "are graded)",
        f"{path}:25: run.warmup_days: must be less than horizon_days (2) (got 3)",
        f"{path}:26: run.replications: must be >= 1 (got 0)",
    ]


def test_no_problem_is_reported_twice(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + "workforce:\n  per_grid: -3\n")
    lines = problems(path)
    assert len(lines) == len(set(lines)) == 1


def _file_map_scenario(tmp_path: Path, map_name: str) -> Path:
    return write(tmp_path, VALID.replace(
        "  source: lattice\n  rows: 4\n  cols: 4\n",
        f"  source: file\n  path: {map_name}\n",
    ).replace("  blocks: [1, 2]\n", "  assignment: attribute\n"))


def _checked_problems(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        twin.load_checked(str(path))
    return [str(p) for p in caught.value.problems]


def test_missing_map_file_is_located_at_map_path(tmp_path: Path) -> None:
    path = _file_map_scenario(tmp_path, "missing.graphml")
    assert _checked_problems(path) == [
        f"{path}:4: map.path: map file not found: {tmp_path / 'missing.graphml'}",
    ]


def test_map_nodes_without_coordinates(tmp_path: Path) -> None:
    graph = {
        "directed": False, "multigraph": False, "graph": {},
        "nodes": [{"id": 1, "x": 0, "y": 0, "grid": "g"}, {"id": 2, "grid": "g"}],
        "links": [{"source": 1, "target": 2, "length": 10}],
    }
    (tmp_path / "streets.json").write_text(json.dumps(graph))
    path = _file_map_scenario(tmp_path, "streets.json")
    assert _checked_problems(path) == [
        f"{path}:4: map.path: 1 node(s) lack coordinates 'x'/'y' (first: 2)",
    ]


def test_map_file_type_not_supported(tmp_path: Path) -> None:
    (tmp_path / "streets.shp").write_text("")
    path = _file_map_scenario(tmp_path, "streets.shp")
    lines = _checked_problems(path)
    assert len(lines) == 1
    assert lines[0].startswith(f"{path}:4: map.path: unsupported map file type '.shp'; allowed: ")
