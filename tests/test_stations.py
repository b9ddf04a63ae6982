"""Stations: a district-wide unit's staff based at one station per area of grids."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

import twin
from twin.executors import community_for
from twin.geography import MapError, street_edges
from twin.model import simulate
from twin.scenario.errors import ScenarioError
from twin.staffing import build_staffing
from twin.stations import station_areas, station_bases

SCENARIO = """
name: stations
map: {source: lattice, rows: 16, cols: 16, block_length: 100, speed: 100}
grids: {blocks: [4, 4]}
workforce: {per_grid: 1}
demand:
  categories:
    - {name: litter, rate_per_hour: %s, channels: {patrol: 1.0}, flow: public_space}
work_orders:
  units:
    - {name: city_management, staff: 8%s}
run: {horizon_days: %s, warmup_days: 0, replications: 1, seed: 11}
"""


def scenario(tmp_path: Path, stations: str = "", rate: float = 0.2, days: float = 2.0
             ) -> twin.Scenario:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO % (rate, stations, days), encoding="utf-8")
    return twin.load_scenario(path)


def grid_graph(community: twin.Community) -> nx.Graph:
    edges = street_edges(community)
    g = community.grid_of_node
    graph = nx.Graph()
    graph.add_nodes_from(range(len(community.grid_names)))
    graph.add_edges_from(zip(g[edges[:, 0]].tolist(), g[edges[:, 1]].tolist(), strict=True))
    return graph


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5, 16])
def test_areas_are_contiguous_balanced_and_cover_every_grid(tmp_path: Path,
                                                            count: int) -> None:
    community = community_for(scenario(tmp_path))
    area = station_areas(community, count)
    assert sorted(set(area.tolist())) == list(range(count))
    graph = grid_graph(community)
    for r in range(count):
        assert nx.is_connected(graph.subgraph(np.flatnonzero(area == r).tolist()))
    residents = np.bincount(area, weights=community.residents, minlength=count)
    # 16 grids of equal residents: areas differ by at most one grid
    per_grid = community.residents.max()
    assert residents.max() - residents.min() <= per_grid + 1e-9


def test_each_station_stands_at_the_centre_of_a_grid_of_its_area(tmp_path: Path) -> None:
    community = community_for(scenario(tmp_path))
    area = station_areas(community, 4)
    bases = station_bases(community, 4)
    assert len(set(bases)) == 4
    for r, node in enumerate(bases):
        grid = int(community.grid_of_node[node])
        assert area[grid] == r
        assert community.centre_node[grid] == node


def test_more_stations_than_grids_is_refused(tmp_path: Path) -> None:
    community = community_for(scenario(tmp_path))
    with pytest.raises(ValueError, match="count must be from 1 to 16"):
        station_areas(community, 17)
    path = tmp_path / "s.yaml"
    path.write_text((SCENARIO % (0.2, ", stations: 17", 2.0)).replace("staff: 8", "staff: 20"),
                    encoding="utf-8")
    s = twin.load_scenario(path)
    with pytest.raises(MapError) as err:
        build_staffing(s, community_for(s))
    assert err.value.key == "work_orders.units.0.stations"
    assert str(err.value) == "17 stations, but the map has 16 grids; at most one station a grid"


def test_staff_are_dealt_to_the_stations_in_turn(tmp_path: Path) -> None:
    """Staff round the clock (no shifts, no rota): one at a time, in turn."""
    s = scenario(tmp_path, ", stations: 3")
    community = community_for(s)
    staffing = build_staffing(s, community)
    unit = staffing.unit_names.index("city_management")
    bases = staffing.base[staffing.unit == unit].tolist()
    stations = station_bases(community, 3)
    assert bases == [stations[k % 3] for k in range(8)]


@pytest.mark.parametrize(("staff", "stations"), [(12, 4), (36, 12), (16, 16), (13, 4)])
def test_every_station_has_each_shift_when_it_has_as_many_staff(
        tmp_path: Path, staff: int, stations: int) -> None:
    """Shifts go to staff in turn (k mod 3); a station of at least three consecutive staff
    then works every shift, whatever the number of stations (the police's posts)."""
    shifts = ('[{start: "00:00", end: "08:00"}, {start: "08:00", end: "16:00"}, '
              '{start: "16:00", end: "24:00"}]')
    path = tmp_path / "s.yaml"
    path.write_text((SCENARIO % (0.2, f", stations: {stations}, shifts: {shifts}", 2.0)
                     ).replace("staff: 8", f"staff: {staff}"), encoding="utf-8")
    s = twin.load_scenario(path)
    staffing = build_staffing(s, community_for(s))
    unit = staffing.unit_names.index("city_management")
    members = np.flatnonzero(staffing.unit == unit)
    starts: dict[int, set[float]] = {}
    for w in members:
        first = staffing.duty[w][0]  # its first shift of the day
        starts.setdefault(int(staffing.base[w]), set()).add(first[0] % 1440.0)
    assert len(starts) == stations
    for got in starts.values():
        if staff // stations >= 3:
            assert got == {0.0, 480.0, 960.0}
        else:  # one staff member a station: one shift each
            assert len(got) == 1


def test_rest_day_duty_falls_on_every_station(tmp_path: Path) -> None:
    """A rota's rest-day duty turns go to consecutive people; dealt in turn, the four on
    duty each weekend day stand at four stations (in blocks of consecutive people they
    would stand at one or two)."""
    rota = ('rota: {day: {start: "08:30", end: "17:30"}, unpaid_break: 60, '
            'duty: {restday: {start: "08:30", end: "17:30", staff: 4}}}')
    path = tmp_path / "s.yaml"
    path.write_text((SCENARIO % (0.2, f", stations: 4, {rota}", 14.0)).replace(
        "staff: 8", "staff: 16"), encoding="utf-8")
    s = twin.load_scenario(path)
    staffing = build_staffing(s, community_for(s))
    members = np.flatnonzero(staffing.unit == staffing.unit_names.index("city_management"))
    weekend = [d * 1440.0 + 720.0 for d in range(14) if d % 7 in (5, 6)]
    for t in weekend:
        on = [w for w in members if any(a <= t < b for a, b in staffing.duty[w])]
        assert len(on) == 4
        assert len({int(staffing.base[w]) for w in on}) == 4, t


def test_staff_added_by_an_event_are_spread_over_the_stations(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO % (0.2, ", stations: 4", 4.0) + """
calendar: {start: 2025-03-03}
events:
  - {name: fair, start: 2025-03-04, end: 2025-03-04, staff: {city_management: 4}}
""", encoding="utf-8")
    s = twin.load_scenario(path)
    community = community_for(s)
    staffing = build_staffing(s, community)
    unit = staffing.unit_names.index("city_management")
    bases = staffing.base[staffing.unit == unit].tolist()
    assert len(bases) == 12
    assert sorted(bases[8:]) == sorted(station_bases(community, 4))


def test_station_areas_balance_unequal_residents(tmp_path: Path) -> None:
    community = community_for(scenario(tmp_path))
    rng = np.random.default_rng(5)
    residents = rng.integers(200, 3000, size=len(community.grid_names)).astype(float)
    lopsided = dataclasses.replace(community, residents=residents)
    area = station_areas(lopsided, 4)
    load = np.bincount(area, weights=residents, minlength=4)
    assert load.max() - load.min() <= residents.max()  # within one grid's residents
    graph = grid_graph(lopsided)
    for r in range(4):
        assert nx.is_connected(graph.subgraph(np.flatnonzero(area == r).tolist()))


@pytest.mark.parametrize(("extra", "message"), [
    (", stations: 4, per_grid: true",
     "a unit with per_grid has its own staff in every grid; give stations only to a unit "
     "that is not per grid"),
    (", stations: 4, node: '3-3'",
     "the stations are placed by the grids; give either node (one base) or stations, not "
     "both"),
    (", stations: 0", "must be >= 1 (got 0)"),
    (", stations: 9", "more stations than staff (8) would leave stations empty; at most "
     "one station a staff member"),
    (", stations: 2, travel: false",
     "office-bound staff (travel: false) do not travel, so stations change nothing; "
     "remove stations or travel"),
])
def test_stations_with_per_grid_or_node_are_located_errors(tmp_path: Path, extra: str,
                                                           message: str) -> None:
    with pytest.raises(ScenarioError) as err:
        scenario(tmp_path, extra)
    text = str(err.value)
    assert "work_orders.units.0.stations" in text
    assert message in text


def test_the_first_order_goes_to_the_nearest_station(tmp_path: Path) -> None:
    """At the first handle step every staff member waits at its station: the one sent
    is at the station nearest the order, at exactly that travel time."""
    s = scenario(tmp_path, ", stations: 4")
    community = community_for(s)
    records = simulate(s, 0, community)
    steps = records.steps
    handle = steps[steps["step"] == "handle"].sort_values("t_dispatched")
    first = handle.iloc[0]
    node = int(records.issues.set_index("issue_id").loc[int(first["order_id"]), "node"])
    travel = community.travel
    times = [travel.between(b, node) for b in station_bases(community, 4)]
    assert first["travel"] == pytest.approx(min(times), abs=1e-4)


def test_stations_shorten_the_trips(tmp_path: Path) -> None:
    """Same orders, same staff: from four stations the mean trip to a handle step is
    shorter than from one base in the middle (the staff are seldom all busy)."""
    trips = []
    for extra in ("", ", stations: 4"):
        records = simulate(scenario(tmp_path, extra, days=6.0), 0)
        handle = records.steps[records.steps["step"] == "handle"]
        assert len(handle) > 100
        trips.append(handle["travel"].mean())
    one, four = trips
    assert four < 0.8 * one


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "stations: city_management 4 (each unit's staff dealt to its stations, one queue "
           "a unit)"),
    ("zh", "站点：city_management 4 个（各单位人员分派到其站点，每个单位一个队列）"),
])
def test_validate_names_the_units_with_stations(tmp_path: Path, lang: str,
                                                expected: str) -> None:
    from typer.testing import CliRunner

    from twin.cli import app
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO % (0.2, ", stations: 4", 2.0), encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", str(path), "--lang", lang])
    assert res.exit_code == 0, res.output
    assert expected in res.stdout.splitlines()
    path.write_text(SCENARIO % (0.2, "", 2.0), encoding="utf-8")
    plain = CliRunner().invoke(app, ["validate", str(path), "--lang", lang])
    assert plain.exit_code == 0
    assert not [ln for ln in plain.stdout.splitlines() if ln.startswith(("stations:", "站点"))]
