"""Bad map files are located scenario problems (exit code 2), never tracebacks.

Each test writes one kind of broken map file next to a scenario that names it
(``map.path`` on line 4), runs ``twin validate`` and checks the exact message.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest
from typer.testing import CliRunner

import twin
import twin.osm
from twin.cli import app
from twin.geography import MapError, build_community
from twin.scenario.limits import MAX_MAP_NODES

runner = CliRunner()

SCENARIO = """\
name: map-file
map:
  source: file
  path: {path}
grids: {{assignment: partition, count: 1}}
demand:
  categories:
    - name: job
      rate_per_hour: 1.0
      service: {{distribution: fixed, value: 5}}
run: {{horizon_days: 1, warmup_days: 0.1, replications: 1}}
"""
PATH_LINE = 4


def node_link(nodes: list, links: list) -> dict:
    return {"directed": False, "multigraph": False, "graph": {}, "nodes": nodes, "links": links}


def square(**changes: dict) -> dict:
    """Node-link data of a 100 m square a-b-c-d; ``changes`` update nodes by id."""
    nodes = [{"id": v, "x": x, "y": y} for v, x, y in
             (("a", 0, 0), ("b", 100, 0), ("c", 100, 100), ("d", 0, 100))]
    for node in nodes:
        node.update(changes.get(node["id"], {}))
    links = [{"source": s, "target": t} for s, t in (("a", "b"), ("b", "c"), ("c", "d"),
                                                       ("d", "a"))]
    return node_link(nodes, links)


def scenario_for(folder: Path, map_path: str, x_attribute: str = "x") -> Path:
    path = folder / "scenario.yaml"
    text = SCENARIO.format(path=json.dumps(map_path))
    path.write_text(text.replace("grids:", f"  x_attribute: {x_attribute}\ngrids:"),
                    encoding="utf-8")
    return path


def write_map(folder: Path, name: str, content: str | bytes | dict | list) -> Path:
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        text = content if isinstance(content, str) else json.dumps(content)
        path.write_text(text, encoding="utf-8")
    return path


def validate_problem(scenario: Path) -> str:
    """``twin validate``: exit code 2, no traceback; the one problem's message."""
    res = runner.invoke(app, ["validate", str(scenario)])
    assert res.exit_code == 2, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert "Traceback" not in res.output
    lines = res.stderr.splitlines()
    assert lines[1:] == ["1 problem found; nothing was run."], lines
    prefix = f"{scenario}:{PATH_LINE}: map.path: "
    assert lines[0].startswith(prefix), lines[0]
    return lines[0].removeprefix(prefix)


def problem_of(tmp_path: Path, name: str, content: str | bytes | dict | list) -> str:
    write_map(tmp_path, name, content)
    return validate_problem(scenario_for(tmp_path, name))


def graphml(body: str, keys: str = "") -> str:
    """A GraphML document with double keys x, y (nodes) and length (edges)."""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n'
            '<key id="x" for="node" attr.name="x" attr.type="double"/>\n'
            '<key id="y" for="node" attr.name="y" attr.type="double"/>\n'
            '<key id="len" for="edge" attr.name="length" attr.type="double"/>\n'
            f'{keys}<graph edgedefault="undirected">\n{body}\n</graph>\n</graphml>\n')


def gnode(v: str, x: str = "0", y: str = "0") -> str:
    return f'<node id="{v}"><data key="x">{x}</data><data key="y">{y}</data></node>'


def osm(nodes: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n' + nodes +
            '\n<way id="9"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/></way>'
            "\n</osm>\n")


# ------------------------------------------------------------------ numbers in files
def test_text_coordinate(tmp_path: Path) -> None:
    assert problem_of(tmp_path, "x.json", square(c={"x": "abc"})) == (
        "map file x.json: node 'c': x must be a finite number (got 'abc')")


def test_text_edge_length(tmp_path: Path) -> None:
    data = square()
    data["links"][1]["length"] = "far"
    assert problem_of(tmp_path, "x.json", data) == (
        "map file x.json: edge 'b'-'c': length must be a finite number >= 0 (got 'far')")


@pytest.mark.parametrize(("text", "got"), [
    ('{"id": "a", "x": NaN, "y": 0}', "nan"),
    ('{"id": "a", "x": 1e400, "y": 0}', "inf"),
    ('{"id": "a", "x": 0, "y": -Infinity}', "-inf"),
])
def test_non_finite_coordinate(tmp_path: Path, text: str, got: str) -> None:
    key = "y" if "Infinity" in text else "x"
    content = ('{"nodes": [' + text + ', {"id": "b", "x": 1, "y": 0}], '
               '"links": [{"source": "a", "target": "b"}]}')
    assert problem_of(tmp_path, "x.json", content) == (
        f"map file x.json: node 'a': {key} must be a finite number (got {got})")


@pytest.mark.parametrize(("length", "got"), [
    ("NaN", "nan"), ("1e400", "inf"), ("Infinity", "inf"), ("-5", "-5")])
def test_non_finite_or_negative_length(tmp_path: Path, length: str, got: str) -> None:
    content = ('{"nodes": [{"id": 1, "x": 0, "y": 0}, {"id": 2, "x": 1, "y": 0}], '
               '"links": [{"source": 1, "target": 2, "length": ' + length + '}]}')
    assert problem_of(tmp_path, "x.json", content) == (
        f"map file x.json: edge 1-2: length must be a finite number >= 0 (got {got})")


def test_booleans_are_not_numbers(tmp_path: Path) -> None:
    assert problem_of(tmp_path, "x.json", square(a={"x": True})) == (
        "map file x.json: node 'a': x must be a finite number (got True)")
    data = square()
    data["links"][0]["length"] = False
    assert problem_of(tmp_path, "y.json", data) == (
        "map file y.json: edge 'a'-'b': length must be a finite number >= 0 (got False)")
    body = ('<node id="a"><data key="flag">true</data><data key="y">0</data></node>')
    keys = '<key id="flag" for="node" attr.name="east" attr.type="boolean"/>\n'
    write_map(tmp_path, "z.graphml", graphml(body, keys))
    assert validate_problem(scenario_for(tmp_path, "z.graphml", x_attribute="east")) == (
        "map file z.graphml: node 'a': east must be a finite number (got True)")


def test_straight_line_too_long_to_measure(tmp_path: Path) -> None:
    data = square(a={"x": -1e308}, b={"x": 1e308})
    assert problem_of(tmp_path, "x.json", data) == (
        "map file x.json: edge 'a'-'b': length must be a finite number >= 0 (none given, "
        "and the straight line between its nodes is too long to measure), and 2 more edges")


def test_repeated_mistakes_are_counted(tmp_path: Path) -> None:
    nodes = [{"id": f"n{i}", "x": "abc", "y": 0} for i in range(42)]
    assert problem_of(tmp_path, "x.json", node_link(nodes, [])) == (
        "map file x.json: node 'n0': x must be a finite number (got 'abc'), "
        "and 41 more nodes")
    data = square(b={"y": None}, d={"x": "?"})
    assert problem_of(tmp_path, "y.json", data) == (
        "map file y.json: node 'b': y must be a finite number (got None), and 1 more node")
    data = square()
    for link in data["links"][:3]:
        link["length"] = -1
    assert problem_of(tmp_path, "z.json", data) == (
        "map file z.json: edge 'a'-'b': length must be a finite number >= 0 (got -1), "
        "and 2 more edges")


def test_numeric_text_and_edges_key_still_read(tmp_path: Path) -> None:
    """Numbers written as text (as GraphML string keys hold them) and networkx's newer
    ``edges`` key are accepted; so is an ``x`` attribute beside ``x_attribute``."""
    data = square(a={"x": "0.0", "lon": 5}, b={"lon": 6}, c={"lon": 7}, d={"lon": 8})
    data["edges"] = data.pop("links")
    data["edges"][0]["length"] = "120"
    write_map(tmp_path, "x.json", data)
    scenario = scenario_for(tmp_path, "x.json")
    community = build_community(twin.load_checked(str(scenario)))
    a, b = community.node_labels.index("a"), community.node_labels.index("b")
    assert community.travel.between(a, b) == pytest.approx(120.0 / 80.0)
    scenario = scenario_for(tmp_path, "x.json", x_attribute="lon")
    community = build_community(twin.load_checked(str(scenario)))
    assert sorted(community.xy[:, 0].tolist()) == [5.0, 6.0, 7.0, 8.0]


# ------------------------------------------------------------------ node-link structure
@pytest.mark.parametrize(("content", "why"), [
    ([1, 2, 3], "got a list"),
    ({"links": []}, '"nodes" is missing'),
    ({"nodes": 5, "links": []}, '"nodes" is a number'),
    ({"nodes": []}, '"links" is missing'),
    ({"nodes": [], "links": {}}, '"links" is an object'),
    ("null", "got null"),
])
def test_json_that_is_not_node_link(tmp_path: Path, content: object, why: str) -> None:
    assert problem_of(tmp_path, "x.json", content) == (
        'map file x.json is not a node-link graph: expected an object with "nodes" and '
        f'"links" lists ({why})')


def test_node_and_link_entries_of_the_wrong_shape(tmp_path: Path) -> None:
    data = node_link([{"x": 1, "y": 2}, 7, {"id": [1], "x": 0, "y": 0}, {"id": True}], [])
    assert problem_of(tmp_path, "x.json", data) == (
        "map file x.json: nodes[0] must be an object with an \"id\" that is text or a whole "
        "number (got {'x': 1, 'y': 2}), and 3 more nodes")
    data = square()
    data["links"][2] = {"target": "a"}
    assert problem_of(tmp_path, "y.json", data) == (
        "map file y.json: links[2] must be an object with \"source\" and \"target\" node ids "
        "(got {'target': 'a'})")


def test_edge_to_a_missing_node(tmp_path: Path) -> None:
    data = square()
    data["links"].append({"source": "a", "target": "zz"})
    assert problem_of(tmp_path, "x.json", data) == (
        "map file x.json: edge 'a'-'zz': 'zz' is not a node of the file")
    body = "\n".join([gnode("a"), gnode("b"), '<edge source="a" target="b"/>',
                      '<edge source="q" target="a"/>', '<edge source="b" target="r"/>'])
    assert problem_of(tmp_path, "x.graphml", graphml(body)) == (
        "map file x.graphml: edge 'q'-'a': 'q' is not a node of the file, and 1 more edge")


def test_duplicate_node_ids(tmp_path: Path) -> None:
    data = square()
    data["nodes"].append({"id": "a", "x": 5, "y": 5})
    assert problem_of(tmp_path, "x.json", data) == (
        "map file x.json: node 'a' is listed 2 times (node ids must be unique)")
    body = "\n".join([gnode("a"), gnode("b"), gnode("a"), gnode("a"), gnode("b")])
    assert problem_of(tmp_path, "x.graphml", graphml(body)) == (
        "map file x.graphml: node 'a' is declared 3 times (node ids must be unique), "
        "and 1 more node")


# ------------------------------------------------------------------ unreadable files
def test_malformed_graphml(tmp_path: Path) -> None:
    assert problem_of(tmp_path, "x.graphml", "<graphml><graph><node id='a'></graph>") == (
        "cannot read map file: x.graphml is not well-formed XML (mismatched tag: line 1, "
        "column 31)")
    assert problem_of(tmp_path, "y.graphml", "<graphml><nodes/></graphml>") == (
        "cannot read map file: y.graphml is not GraphML (no <graph> element)")
    body = gnode("a", x="abc") + "\n" + gnode("b", y="1,5")
    assert problem_of(tmp_path, "z.graphml", graphml(body)) == (
        "map file z.graphml: node 'a': x must be of type double, as its <key> declares "
        "(got 'abc'), and 1 more value")


def test_graphml_text_coordinate(tmp_path: Path) -> None:
    keys = '<key id="e" for="node" attr.name="east" attr.type="string"/>\n'
    body = '<node id="a"><data key="e">12 m</data><data key="y">0</data></node>'
    write_map(tmp_path, "x.graphml", graphml(body, keys))
    assert validate_problem(scenario_for(tmp_path, "x.graphml", x_attribute="east")) == (
        "map file x.graphml: node 'a': east must be a finite number (got '12 m')")


@pytest.mark.parametrize("name", ["x.json", "x.graphml", "x.osm"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    assert problem_of(tmp_path, name, "") == f"cannot read map file: {name} is empty"


def test_binary_garbage(tmp_path: Path) -> None:
    garbage = bytes(range(256)) * 4
    assert problem_of(tmp_path, "x.graphml", garbage) == (
        "cannot read map file: x.graphml is not well-formed XML (not well-formed (invalid "
        "token): line 1, column 0)")
    assert problem_of(tmp_path, "x.json", garbage) == (
        "cannot read map file: x.json is not UTF-8 text (byte 0x80 at offset 128)")
    assert problem_of(tmp_path, "x.osm", garbage) == (
        "cannot read map file: x.osm is not well-formed XML (not well-formed (invalid "
        "token): line 1, column 0)")


def test_json_not_utf8_or_not_json(tmp_path: Path) -> None:
    latin = '{"nodes": [{"id": "café", "x": 0, "y": 0}], "links": []}'.encode("latin-1")
    assert problem_of(tmp_path, "x.json", latin) == (
        "cannot read map file: x.json is not UTF-8 text (byte 0xe9 at offset 22)")
    assert problem_of(tmp_path, "y.json", "{nodes: []}") == (
        "cannot read map file: y.json is not valid JSON (Expecting property name enclosed "
        "in double quotes at line 1, column 2)")
    deep = problem_of(tmp_path, "z.json", "[" * 100_000)  # Python's own words follow
    assert deep.startswith("cannot read map file: z.json is not valid JSON (maximum recursion")


# ------------------------------------------------------------------ paths
def test_folder_or_special_file_instead_of_a_file(tmp_path: Path) -> None:
    (tmp_path / "streets.json").mkdir()
    assert validate_problem(scenario_for(tmp_path, "streets.json")) == (
        f"map file {tmp_path / 'streets.json'} is a folder, not a file")
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.json")
        assert validate_problem(scenario_for(tmp_path, "pipe.json")) == (
            f"map file {tmp_path / 'pipe.json'} is not a regular file")


def test_path_component_too_long(tmp_path: Path) -> None:
    name = "x" * 300 + ".json"  # a file name over 255 bytes, a path under 1,024 characters
    assert validate_problem(scenario_for(tmp_path, name)) == (
        f"cannot open map file {(repr(str(tmp_path / name)))[:77]}...: File name too long")


def test_path_too_long_or_with_nul(tmp_path: Path) -> None:
    """The scenario schema refuses these paths; a Scenario built in code meets the map."""
    for bad in ("x" * 2000 + ".json", "a\x00b.json"):
        problem = validate_problem(scenario_for(tmp_path, bad))
        assert problem and "Traceback" not in problem
    write_map(tmp_path, "ok.json", square())
    scenario = twin.load_checked(str(scenario_for(tmp_path, "ok.json")))
    nul = "/tmp/a\x00b.json"
    moved = scenario.model_copy(update={"map": scenario.map.model_copy(update={"path": nul})})
    with pytest.raises(MapError) as caught:
        build_community(moved)
    assert (caught.value.key, str(caught.value)) == (
        "map.path", "map file path '/tmp/a\\x00b.json' contains a NUL character; remove it")
    huge = "/" + "/".join(["y" * 200] * 30) + ".json"  # over PATH_MAX
    moved = scenario.model_copy(update={"map": scenario.map.model_copy(update={"path": huge})})
    with pytest.raises(MapError) as caught:
        build_community(moved)
    assert str(caught.value) == (
        f"cannot open map file {repr(huge)[:77]}...: File name too long")


# ------------------------------------------------------------------ OpenStreetMap XML
def test_osm_bad_latitude_or_longitude(tmp_path: Path) -> None:
    assert problem_of(tmp_path, "x.osm", osm(
        '<node id="1" lat="abc" lon="24.9"/><node id="2" lat="60.1" lon="24.9"/>')) == (
        "map file x.osm: node '1': lat must be a number from -90 to 90 (got 'abc')")
    assert problem_of(tmp_path, "y.osm", osm(
        '<node id="1" lat="60" lon="181"/><node id="2" lat="nan" lon="24.9"/>'
        '<node id="3" lat="60"/>')) == (
        "map file y.osm: node '1': lon must be a number from -180 to 180 (got '181'), "
        "and 2 more nodes")
    assert problem_of(tmp_path, "z.osm", osm('<node lat="60" lon="24"/>')) == (
        "map file z.osm: a <node> has no 'id'")


def test_osm_malformed_xml(tmp_path: Path) -> None:
    assert problem_of(tmp_path, "x.osm", "<osm><node") == (
        "cannot read map file: x.osm is not well-formed XML (unclosed token: line 1, "
        "column 5)")
    assert problem_of(tmp_path, "y.osm", "<osm/>") == (
        "map file y.osm has no walkable street (a way with a highway tag and two known nodes)")


# ------------------------------------------------------------------ size bound
def test_too_many_nodes_in_node_link_file(tmp_path: Path) -> None:
    nodes = [{"id": i, "x": i, "y": 0} for i in range(MAX_MAP_NODES + 1)]
    assert problem_of(tmp_path, "big.json", node_link(nodes, [])) == (
        f"map file big.json has {MAX_MAP_NODES + 1:,} nodes; at most {MAX_MAP_NODES:,} "
        "are allowed")


def test_too_many_nodes_refused_before_the_graph_is_built(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(twin.osm, "MAX_MAP_NODES", 3)

    def never(*args: object, **kwargs: object) -> nx.Graph:
        raise AssertionError("the graph was built")

    monkeypatch.setattr(twin.osm.nx, "read_graphml", never)
    body = "\n".join(gnode(v) for v in "abcd")
    assert problem_of(tmp_path, "big.graphml", graphml(body)) == (
        "map file big.graphml has 4 nodes; at most 3 are allowed")
    nodes = "".join(f'<node id="{i}" lat="60.{i}" lon="24.9"/>' for i in range(1, 6))
    ways = ('<way id="9"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/>'
            '<tag k="highway" v="residential"/></way>')
    assert problem_of(tmp_path, "big.osm", osm(nodes + ways)) == (
        "map file big.osm has 4 nodes; at most 3 are allowed")  # node 5 is on no street


def test_real_process_exits_2_without_traceback(tmp_path: Path) -> None:
    write_map(tmp_path, "x.json", square(c={"x": "abc"}))
    scenario = scenario_for(tmp_path, "x.json")
    twin_exe = Path(sys.executable).parent / "twin"
    command = [str(twin_exe)] if twin_exe.exists() else [sys.executable, "-c",
                                                         "from twin.cli import main; main()"]
    proc = subprocess.run([*command, "validate", str(scenario)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stderr.splitlines()[0] == (
        f"{scenario}:{PATH_LINE}: map.path: map file x.json: node 'c': x must be a finite "
        "number (got 'abc')")


def test_an_edge_longer_than_the_bound(tmp_path: Path) -> None:
    data = square()
    data["links"][1]["length"] = 1e300
    assert problem_of(tmp_path, "x.json", data) == (
        "map file x.json: edge 'b'-'c': length must be at most 1,000,000 m (got 1e+300)")


def test_a_partition_too_large_for_memory_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("name: big\nmap: {source: lattice, rows: 500, cols: 500}\n"
                    "grids: {assignment: partition, count: 2000}\n"
                    "demand:\n  categories:\n    - name: repair\n      rate_per_hour: 1\n"
                    "      service: {distribution: exponential, mean: 20}\n",
                    encoding="utf-8")
    res = runner.invoke(app, ["validate", str(path)])
    assert res.exit_code == 2
    assert res.stderr.splitlines()[0] == (
        f"{path}:3: grids.count: an automatic partition of 250,000 map nodes into 2,000 "
        "grids needs about 4.0 GB; grids x nodes may be at most 100,000,000 (got "
        "500,000,000): use fewer grids, or grids from a node attribute or from centres")
