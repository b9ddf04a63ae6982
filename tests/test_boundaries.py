"""Grids from GeoJSON boundaries (``grids: {assignment: boundaries}``).

Membership is checked against the polygons' own definition (a rectangle holds
the points strictly between its sides), never against stored numbers; mistakes
are checked by their exact located message.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from twin.cli import app
from twin.geography import build_community
from twin.loading import load_checked
from twin.osm import project
from twin.scenario import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()

SCENARIO = """\
name: bounded
map: {{source: lattice, rows: 5, cols: 6, block_length: 100}}
grids:
  assignment: boundaries
  file: {file}
{extra}demand:
  categories:
    - name: job
      rate_per_hour: 1.0
      service: {{distribution: fixed, value: 5}}
run: {{horizon_days: 1, warmup_days: 0.1, replications: 1}}
"""
FILE_LINE = 5


def rect(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]


def feature(name: object, *rings: list, residents: object = None, **props: object) -> dict:
    properties = dict(props)
    if name is not None:
        properties["name"] = name
    if residents is not None:
        properties["residents"] = residents
    return {"type": "Feature", "properties": properties,
            "geometry": {"type": "Polygon", "coordinates": list(rings)}}


def collection(*features: dict) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


# The 5 x 6 lattice spans x 0..500, y 0..400. West and east meet along the
# street x = 200; `yard` is a hole in `west`, drawn as a grid of its own.
WEST = feature("west", rect(-50, -50, 200, 450), rect(50, 150, 150, 250)[::-1], residents=700)
YARD = feature("yard", rect(50, 150, 150, 250))
EAST = feature("east", rect(200, -50, 550, 450))


def write(folder: Path, data: object, extra: str = "", raw: str | None = None) -> Path:
    geo = folder / "grids.geojson"
    geo.write_text(raw if raw is not None else json.dumps(data), encoding="utf-8")
    path = folder / "scenario.yaml"
    path.write_text(SCENARIO.format(file="grids.geojson", extra=extra), encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_checked(str(path))
    return [str(p) for p in caught.value.problems]


def test_a_geojson_bounded_map_builds_its_grids(tmp_path: Path) -> None:
    path = write(tmp_path, collection(WEST, YARD, EAST))
    c = build_community(load_scenario(path))

    def rule(x: float, y: float) -> str:
        if 50 < x < 150 and 150 < y < 250:
            return "yard"  # strictly inside the hole
        return "west" if x <= 200 else "east"  # x = 200: the border, first feature wins

    assert c.grid_names == ["west", "yard", "east"]
    assert [c.grid_names[g] for g in c.grid_of_node] == [rule(x, y) for x, y in c.xy]
    # residents from the file where given, else grids.residents (default 3000)
    assert c.residents.tolist() == [700.0, 3000.0, 3000.0]
    assert c.notes == []


def test_a_residents_property_no_feature_has_is_noted(tmp_path: Path) -> None:
    path = write(tmp_path, collection(feature("west", rect(-50, -50, 200, 450)), EAST),
                 "  residents_property: 人口\n")
    c = build_community(load_scenario(path))
    assert c.residents.tolist() == [3000.0, 3000.0]
    assert c.notes == [
        "no feature of grids.geojson has the property '人口' (grids.residents_property; their "
        "properties: 'name'): every grid gets grids.residents (3,000) unless grids.items gives "
        "its own"]


def test_the_shipped_example_covers_every_node_once() -> None:
    scenario = load_scenario(ROOT / "scenarios/boundaries.yaml")
    c = build_community(scenario)
    data = json.loads((ROOT / "data/maps/lattice_grids.geojson").read_text(encoding="utf-8"))
    names = [f["properties"]["name"] for f in data["features"]]
    assert c.grid_names == names
    assert c.residents.tolist() == [f["properties"]["residents"] for f in data["features"]]

    def closed(x0: float, y0: float, x1: float, y1: float, x: float, y: float) -> bool:
        return x0 <= x <= x1 and y0 <= y <= y1

    def slant(y: float) -> float:  # the line from (1000, 640) to (880, 1240)
        return 1000 - 0.2 * (y - 640)

    # the polygons as drawn in the file; a node goes to the first that holds it,
    # border included (polygons that do not overlap make that the one it is inside)
    shapes = {
        "old-town": lambda x, y: closed(-40, -40, 1000, 640, x, y)
        and not (360 < x < 680 and 200 < y < 440),
        "campus": lambda x, y: closed(360, 200, 680, 440, x, y),
        "east-gate": lambda x, y: closed(1000, -40, 1880, 320, x, y)
        or closed(1400, 320, 1880, 640, x, y),
        "market": lambda x, y: closed(1000, 320, 1400, 640, x, y),
        "north-park": lambda x, y: 640 <= y <= 1240 and -40 <= x <= slant(y),
        "north-east": lambda x, y: 640 <= y <= 1240 and slant(y) <= x <= 1880,
    }
    assert list(shapes) == names
    expected = [next(n for n, holds in shapes.items() if holds(x, y)) for x, y in c.xy]
    assert [c.grid_names[g] for g in c.grid_of_node] == expected
    assert all(len(nodes) > 0 for nodes in c.grid_nodes)


def test_items_set_order_and_residents(tmp_path: Path) -> None:
    extra = ("  residents: 50\n  items: [{name: east, residents: 900}, {name: west},"
             " {name: yard}]\n")
    c = build_community(load_scenario(write(tmp_path, collection(WEST, YARD, EAST), extra)))
    assert c.grid_names == ["east", "west", "yard"]
    # east: the item; west: the file's 700 beats the item; yard: the item's default
    assert c.residents.tolist() == [900.0, 700.0, 3000.0]
    assert all(c.xy[v, 0] > 200 for v in c.grid_nodes[0])


def test_outside_nearest_joins_the_nearest_grid(tmp_path: Path) -> None:
    near_west = feature("west", rect(-50, -50, 150, 450))
    far_east = feature("east", rect(350, -50, 550, 450))
    path = write(tmp_path, collection(near_west, far_east), "  outside: nearest\n")
    c = build_community(load_scenario(path))
    # x = 200 is 50 m from west, 150 m from east; x = 300 is 150 m from west, 50 m from east
    assert [c.grid_names[g] for g in c.grid_of_node] == [
        "west" if x <= 200 else "east" for x, _ in c.xy]
    assert c.notes[0].startswith("10 map nodes (node '0-2' at [200, 0], node '0-3' at "
                                 "[300, 0], node '1-2' at [200, 100], ...) lie inside no "
                                 "grid boundary; joined to the grid whose boundary is nearest")


def test_lonlat_boundaries_on_a_map_with_lat_lon(tmp_path: Path) -> None:
    lat0, lon0 = 30.0, 120.0
    nodes, links = [], []
    for i in range(4):
        for j in range(4):
            lat, lon = lat0 + 0.001 * i, lon0 + 0.001 * j
            x, y = project(lat, lon, lat0, lon0)
            nodes.append({"id": f"n{i}{j}", "x": x, "y": y, "lat": lat, "lon": lon})
            if j:
                links.append({"source": f"n{i}{j - 1}", "target": f"n{i}{j}"})
            if i:
                links.append({"source": f"n{i - 1}{j}", "target": f"n{i}{j}"})
    (tmp_path / "map.json").write_text(json.dumps({"nodes": nodes, "links": links}))
    cut = lon0 + 0.0015  # between the second and third column
    data = collection(feature("a", rect(lon0 - 1e-3, lat0 - 1e-3, cut, lat0 + 0.01)),
                      feature("b", rect(cut, lat0 - 1e-3, lon0 + 0.01, lat0 + 0.01)))
    path = write(tmp_path, data, "  coordinates: lonlat\n")
    text = path.read_text().replace(
        "{source: lattice, rows: 5, cols: 6, block_length: 100}", "{source: file, path: map.json}")
    path.write_text(text)
    c = build_community(load_scenario(path))
    lon = {n["id"]: n["lon"] for n in nodes}
    assert [c.grid_names[g] for g in c.grid_of_node] == [
        "a" if lon[label] < cut else "b" for label in c.node_labels]


# ----------------------------------------------------------------------- mistakes
def located(path: Path, message: str) -> str:
    return f"{path}:{FILE_LINE}: grids.file: grid boundaries grids.geojson: {message}"


def test_not_json(tmp_path: Path) -> None:
    path = write(tmp_path, None, raw='{"type": "FeatureCollection",\n "features": [}')
    assert problems(path) == [
        f"{path}:{FILE_LINE}: grids.file: grid boundaries file grids.geojson is not valid "
        "JSON (Expecting value at line 2, column 15)"]


def test_not_a_feature_collection(tmp_path: Path) -> None:
    path = write(tmp_path, {"type": "Feature"})
    assert problems(path) == [
        f"{path}:{FILE_LINE}: grids.file: grid boundaries file grids.geojson is not a GeoJSON "
        'FeatureCollection: expected an object with "type": "FeatureCollection" and a '
        '"features" list ("type" is "Feature", "features" is null)']


def test_missing_file(tmp_path: Path) -> None:
    path = write(tmp_path, {})
    (tmp_path / "grids.geojson").unlink()
    assert problems(path) == [
        f"{path}:{FILE_LINE}: grids.file: grid boundaries file not found: "
        f"{tmp_path.resolve() / 'grids.geojson'}"]


def test_every_file_mistake_at_once(tmp_path: Path) -> None:
    point = {"type": "Feature", "properties": {"name": "p"},
             "geometry": {"type": "Point", "coordinates": [0, 0]}}
    bad_ring = feature("r", [[0, 0], [1, "x"], [0, 1]])
    data = collection(feature(None, rect(0, 0, 1, 1), label="z"), WEST,
                      feature("west", rect(200, -50, 550, 450), residents=-4),
                      point, bad_ring)
    assert problems(write(tmp_path, data)) == [located(tmp_path / "scenario.yaml", (
        "5 problems:\n"
        "  features[0].properties.name: missing; every feature needs its grid's name (its "
        "properties: 'label'; set grids.name_property to use another)\n"
        "  features[2].properties.residents: residents must be a whole number from 0 to "
        "10,000,000 (got -4)\n"
        "  features[2].properties.name: 'west' is also the name of features[1]; grid names "
        "must be unique\n"
        "  features[3].geometry: must be a Polygon or MultiPolygon (got type 'Point')\n"
        "  features[4].geometry.coordinates[0][1]: a position must be [x, y] of finite "
        'numbers (got [1, "x"])'))]


def test_empty_polygon_outside_nodes_and_overlap_at_once(tmp_path: Path) -> None:
    data = collection(feature("west", rect(-50, -50, 250, 450)),
                      feature("middle", rect(150, -50, 350, 450)),
                      feature("nowhere", rect(1000, 1000, 1100, 1100)))
    path = write(tmp_path, data)
    assert problems(path) == [located(path, (
        "3 problems:\n"
        "  features[0] 'west' and features[1] 'middle' overlap: 5 map nodes (node '0-2' at "
        "[200, 0], node '1-2' at [200, 100], node '2-2' at [200, 200], ...) lie inside both; "
        "polygons must not overlap\n"
        "  10 map nodes (node '0-4' at [400, 0], node '0-5' at [500, 0], node '1-4' at "
        "[400, 100], ...) lie inside no polygon; draw the boundaries over them, or set "
        "grids.outside: nearest to join each to the grid whose boundary is nearest\n"
        "  features[2] 'nowhere': no map node inside its polygon"))]


def test_lonlat_file_on_xy_map_gets_a_hint(tmp_path: Path) -> None:
    data = collection(feature("a", rect(120.0, 30.0, 120.01, 30.01)))
    path = write(tmp_path, data)
    # one problem, the cause: not every node "outside" with a misleading outside: nearest
    assert problems(path) == [located(path, (
        "no polygon holds any map node: the polygons lie at x 120 to 120.01, y 30 to 30.01, the "
        "map's nodes at x 0 to 500, y 0 to 400 (as coordinates: xy reads them); the file "
        "looks like longitude/latitude: set grids.coordinates: lonlat"))]
    far = collection(feature("a", rect(5000.0, 5000.0, 6000.0, 6000.0)))
    assert problems(write(tmp_path, far))[0].endswith(
        "(as coordinates: xy reads them); give the file in the map's coordinates "
        "(coordinates: xy, metres) or in longitude/latitude (coordinates: lonlat)")


def test_lonlat_needs_lat_lon_on_the_nodes(tmp_path: Path) -> None:
    path = write(tmp_path, collection(WEST), "  coordinates: lonlat\n")
    assert problems(path) == [
        f"{path}:6: grids.coordinates: lonlat needs a map whose nodes all have lat and lon "
        "(maps read from an .osm file); 30 of 30 map nodes lack them: use coordinates: xy, "
        "the map's x/y in metres"]


def test_items_must_match_the_features(tmp_path: Path) -> None:
    path = write(tmp_path, collection(WEST, YARD, EAST),
                 "  items: [{name: west}, {name: yard}, {name: south}]\n")
    assert problems(path) == [located(path, (
        "2 problems:\n"
        "  features[2].properties.name: 'east' is not listed in grids.items (listed: west, "
        "yard, south)\n"
        "  grids.items lists 'south', but no feature of the file has that name"))]


def test_schema_needs_file_and_keeps_it_to_boundaries(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(SCENARIO.format(file="grids.geojson", extra="").replace(
        "  file: grids.geojson\n", ""))
    assert problems(path) == [f"{path}:3: grids: assignment boundaries needs file, a "
                              "GeoJSON file of the grids' polygons"]
    path.write_text(SCENARIO.format(file="grids.geojson", extra="").replace(
        "assignment: boundaries", "assignment: blocks"))
    assert problems(path) == [f"{path}:{FILE_LINE}: grids.file: only used with assignment "
                              "boundaries"]


def test_cli_exits_2_without_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, collection(feature("west", rect(-50, -50, 250, 450))))
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "lie inside no polygon" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_validate_shows_each_grids_nodes_and_residents_from_the_file() -> None:
    path = ROOT / "scenarios/boundaries.yaml"
    community = build_community(load_scenario(path))
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    data = json.loads((ROOT / "data/maps/lattice_grids.geojson").read_text(encoding="utf-8"))
    each = ", ".join(f"{f['properties']['name']} ({len(nodes):,} nodes, "
                     f"{f['properties']['residents']:,} residents)"
                     for f, nodes in zip(data["features"], community.grid_nodes, strict=True))
    assert f"grids: {each}" in result.stdout.splitlines()
