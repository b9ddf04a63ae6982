"""Mistakes in work-order keys: exact, located messages, all at once, exit code 2."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

import twin
from twin import ScenarioError
from twin.cli import app

HEAD = """\
name: tiny
map: {source: lattice, rows: 4, cols: 4}
grids: {blocks: [1, 2]}
demand:
  categories:
"""


def problems(tmp_path: Path, text: str) -> tuple[Path, list[str]]:
    path = tmp_path / "s.yaml"
    path.write_text(HEAD + text, encoding="utf-8")
    try:
        twin.load_scenario(path)
    except ScenarioError as exc:
        return path, [str(p) for p in exc.problems]
    return path, []


def test_a_default_flow_needs_its_handling_unit(tmp_path: Path) -> None:
    path, found = problems(tmp_path, """\
    - {name: repair, rate_per_hour: 1.0, flow: compound_repair}
work_orders:
  units: [{name: city_management}]
""")
    assert found == [f"{path}:6: demand.categories.0.flow: no handling unit "
                     "'property' (the default flow 'compound_repair' needs it); units: "
                     "city_management"]


def test_every_flow_mistake_at_once(tmp_path: Path) -> None:
    path, found = problems(tmp_path, """\
    - name: repair
      rate_per_hour: 1.0
      service: {distribution: fixed, value: 5}
      flow:
        steps:
          - {step: handle, by: property, service: {distribution: fixed, value: 5}}
          - {step: verify, by: property, service: {distribution: fixed, value: 5}}
    - {name: odd, rate_per_hour: 1.0, flow: {template: repairs}}
work_orders:
  units: [{name: property}]
""")
    assert found == [
        f"{path}:8: demand.categories.0.service: a category with a flow takes its times "
        "from the flow's steps; remove service",
        f"{path}:12: demand.categories.0.flow.steps.1.by: a verify step is done by "
        "grid_worker (got 'property'); a handling unit's work is a handle step",
        f"{path}:13: demand.categories.1.flow.template: no default flow 'repairs'; known: "
        "compound_repair, public_space, housing, water, wish, on_site",
    ]


def test_flows_that_do_not_fit_the_rest_of_the_scenario(tmp_path: Path) -> None:
    path, found = problems(tmp_path, """\
    - name: repair
      rate_per_hour: 1.0
      flow:
        wrong_assignment: 0.2
        steps:
          - {step: handle, by: plumbers, service: {distribution: fixed, value: 5}}
    - {name: wish, rate_per_hour: 1.0, flow: wish}
work_orders:
  units: [{name: property}]
""")
    assert found == [
        f"{path}:9: demand.categories.0.flow.wrong_assignment: a wrong assignment needs "
        "another handling unit to go to; units: property",
        f"{path}:11: demand.categories.0.flow.steps.0.by: no handling unit 'plumbers'; "
        "units: property",
        f"{path}:12: demand.categories.1.flow: a wish step needs volunteers in the scenario",
    ]


def test_a_whistle_must_summon_someone(tmp_path: Path) -> None:
    path, found = problems(tmp_path, """\
    - {name: build, rate_per_hour: 1.0, flow: {template: water, beyond_street: true}}
work_orders:
  units: [{name: water}]
  whistle: {departments: [police]}
  overdue: {chase_after: 60, supervise_after: 30}
""")
    assert found == [
        f"{path}:9: work_orders.whistle.departments.0: no such unit 'police'; units: water",
        f"{path}:10: work_orders.overdue.supervise_after: must be at least chase_after (60) "
        "(got 30)",
    ]


def test_the_cli_exits_2_and_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(HEAD + "    - {name: repair, rate_per_hour: 1.0, flow: on_site}\n"
                    "work_orders:\n  units: [{name: grid_worker}]\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", str(path)])
    assert res.exit_code == 2
    assert ("work_orders.units.0.name: 'grid_worker' is reserved; choose another unit "
            "name") in res.stderr
    assert "Traceback" not in res.output + res.stderr


def test_unit_and_team_names_hold_no_slash(tmp_path: Path) -> None:
    """Each grid's copy of a unit or team is named NAME/GRID, so a '/' in NAME would make
    a unit of the whole district look like a grid's."""
    path, found = problems(tmp_path, """\
    - {name: repair, rate_per_hour: 1.0}
    - {name: litter, rate_per_hour: 1.0}
work_orders:
  units: [{name: 城管/一号}]
teams: [{name: clean/up, categories: [litter]}, {name: rest, categories: [repair]}]
""")
    assert f"{path}:9: work_orders.units.0.name: unit names may not contain '/' ('城管/一号'): " \
           "each grid's copy is named UNIT/GRID; choose a name without '/'" in found
    assert f"{path}:10: teams.0.name: team names may not contain '/' ('clean/up'): each " \
           "grid's copy is named TEAM/GRID; choose a name without '/'" in found


def test_a_units_copy_in_a_grid_may_not_take_another_grids_name(tmp_path: Path) -> None:
    from twin.geography import build_community
    from twin.staffing import MapError, build_staffing

    path = tmp_path / "s.yaml"
    path.write_text("""\
name: slash
map: {source: lattice, rows: 4, cols: 4}
grids:
  blocks: [1, 2]
  items: [{name: 一号}, {name: 东城/一号}]
demand:
  categories:
    - {name: repair, rate_per_hour: 1.0, service: {distribution: fixed, value: 10}}
work_orders:
  units: [{name: 东城, per_grid: true}]
""", encoding="utf-8")
    scenario = twin.load_scenario(path)
    try:
        build_staffing(scenario, build_community(scenario))
    except MapError as exc:
        assert str(exc).endswith("'东城/一号' is also the name of a grid; give the "
                                 "handling unit another name")
    else:
        raise AssertionError("no error")
