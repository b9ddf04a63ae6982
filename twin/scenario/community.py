"""The map and its division into grids (网格): ``map:`` and ``grids:``.

Distances are in metres, speeds in metres per minute.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from twin.scenario import limits as lim
from twin.scenario.base import Found, Strict, unique_name_problems


# --------------------------------------------------------------------------- map
class LatticeMap(Strict):
    """A synthetic community: streets on a rectangular lattice."""

    source: Literal["lattice"]
    """Map kind: `lattice` generates streets, `file` loads them."""
    rows: int = Field(ge=1, le=lim.MAX_MAP_NODES)
    """Number of street intersections north-south."""
    cols: int = Field(ge=1, le=lim.MAX_MAP_NODES)
    """Number of street intersections east-west."""
    block_length: float = Field(default=100.0, ge=0, le=lim.MAX_DISTANCE)
    """Length of one street segment between two intersections [m]."""
    speed: float = Field(default=80.0, gt=0, le=lim.MAX_DISTANCE)
    """Travel speed of field staff [m/min]; 80 m/min is a brisk walk, 250 m/min an e-bike."""


    def _check_size(self, raw: dict[str, Any]) -> Found:
        if self.rows * self.cols > lim.MAX_MAP_NODES:
            yield ("rows",), (f"rows x cols must be at most {lim.MAX_MAP_NODES:,} map nodes "
                              f"(got {self.rows:,} x {self.cols:,} = {self.rows * self.cols:,})")

class FileMap(Strict):
    """A street network read from a GraphML, node-link JSON or OpenStreetMap XML file."""

    source: Literal["file"]
    """Map kind: `lattice` generates streets, `file` loads them."""
    path: str
    """Path of the street network, relative to the scenario file (.graphml, .json or
    .osm); an .osm file keeps its walkable ways (see `twin.osm`)."""
    length_attribute: str = "length"
    """Edge attribute holding the street segment length [m]; when absent the
    straight-line distance between node coordinates is used (.osm: great-circle
    length, always)."""
    x_attribute: str = "x"
    """Node attribute holding the easting [m] (.osm: projected from lat/lon, always)."""
    y_attribute: str = "y"
    """Node attribute holding the northing [m] (.osm: projected from lat/lon, always)."""
    speed: float = Field(default=80.0, gt=0, le=lim.MAX_DISTANCE)
    """Travel speed of field staff [m/min]."""
    simplify: bool | None = None
    """Keep only junctions and dead ends, joining the streets between them into one
    edge (lengths summed, travel times unchanged); default true for .osm, false for
    .graphml and .json."""


MapSpec = Annotated[LatticeMap | FileMap, Field(discriminator="source")]


# ------------------------------------------------------------------------- grids
class GridItem(Strict):
    """One grid (网格): its name, population and, for `nearest_centre`, its centre."""

    name: str = Field(min_length=1)
    """Grid name, unique in the scenario (e.g. `grid-01`)."""
    residents: int = Field(default=3000, ge=0, le=lim.MAX_RESIDENTS)
    """Residents living in the grid; used by per-1,000-resident rates."""
    centre: tuple[float, float] | None = None
    """Centre [x, y] in map coordinates [m]; required by `assignment: nearest_centre`."""


class GridSpec(Strict):
    """How map nodes are divided into grids (网格)."""

    assignment: Literal["blocks", "attribute", "nearest_centre", "partition",
                        "boundaries"] = "blocks"
    """`blocks`: cut a lattice map into `blocks` = [rows, cols] rectangles;
    `attribute`: a node attribute of a file map names the grid;
    `nearest_centre`: each node joins the grid whose `centre` is nearest;
    `partition`: cut any map into `count` connected grids of balanced size;
    `boundaries`: each grid is a polygon of the GeoJSON `file`, holding the nodes inside."""
    blocks: tuple[int, int] = (1, 1)
    """Grid layout [rows, cols] for `assignment: blocks`."""
    attribute: str = "grid"
    """Node attribute naming the grid, for `assignment: attribute`."""
    count: int | None = Field(default=None, ge=1, le=lim.MAX_GRIDS)
    """Number of grids for `assignment: partition`."""
    balance: Literal["nodes", "demand"] = "nodes"
    """What `partition` makes equal across grids: `nodes` (street junctions) or
    `demand` (node weights: the `weight_attribute` of each node, or, if no node
    has it, half the length of the streets meeting at the node)."""
    @field_validator("balance", mode="before")
    @classmethod
    def _balance_default(cls, value: Any) -> Any:
        return "nodes" if value is None else value  # null drops an inherited `demand`

    weight_attribute: str = "weight"
    """Node attribute holding a node's demand weight (e.g. residents or
    households near it), for `balance: demand`."""
    residents: int = Field(default=3000, ge=0, le=lim.MAX_RESIDENTS)
    """Residents per grid for grids not listed in `items`."""
    total_residents: int | None = Field(default=None, ge=0, le=lim.MAX_RESIDENTS)
    """Residents of the whole map, for `assignment: partition`: shared among the
    grids in proportion to their `balance` weight (instead of `residents` per grid)."""
    file: str | None = None
    """GeoJSON FeatureCollection of Polygon or MultiPolygon features, one per grid,
    for `assignment: boundaries`; path relative to the scenario file."""
    name_property: str = Field(default="name", min_length=1)
    """Feature property holding the grid name, for `assignment: boundaries`."""
    residents_property: str = Field(default="residents", min_length=1)
    """Feature property holding the grid's residents, for `assignment: boundaries`;
    a feature without it takes its item's `residents`, else `residents`."""
    coordinates: Literal["xy", "lonlat"] = "xy"
    """Coordinates of the `file`: `xy`, the map's own [x, y] in metres (a lattice's
    metres from its south-west node; a file map's x/y attributes); `lonlat`, GeoJSON's
    [longitude, latitude] in degrees, for maps whose nodes carry `lat` and `lon`
    (maps read from .osm)."""
    outside: Literal["error", "nearest"] = "error"
    """A map node inside no polygon: `error` reports it; `nearest` joins it to the
    grid whose boundary is nearest."""
    items: list[GridItem] = Field(default_factory=list)
    """Grids listed by name; with `blocks` the list runs row by row and must
    have rows x cols entries (or be empty, to name them grid-01, grid-02, ...);
    with `partition` it has `count` entries or none, numbered like blocks
    (south to north, west to east); with `boundaries` it names grids of the file
    (every feature's name must be listed) to set their order and residents."""

    def _check_unique(self, raw: dict[str, Any]) -> Found:
        yield from unique_name_problems(raw, "items", "grid")

    def _check_blocks(self, raw: dict[str, Any]) -> Found:
        r, c = self.blocks
        if r < 1 or c < 1:
            yield ("blocks",), f"must be two whole numbers >= 1 (got [{r}, {c}])"
        elif self.assignment == "blocks" and self.items and len(self.items) != r * c:
            yield ("items",), (
                f"blocks [{r}, {c}] make {r * c} grids but items lists {len(self.items)}; "
                "list one item per grid or none"
            )

    def _check_centres(self, raw: dict[str, Any]) -> Found:
        if self.assignment == "nearest_centre":
            missing = [g.name for g in self.items if g.centre is None]
            if not self.items:
                yield ("items",), "assignment nearest_centre needs items, each with a centre"
            elif missing:
                yield ("items",), (
                    f"assignment nearest_centre needs a centre for every item "
                    f"(missing for: {', '.join(missing)})"
                )

    def _check_boundaries(self, raw: dict[str, Any]) -> Found:
        if self.assignment != "boundaries":
            if raw.get("file") is not None:  # other keys have defaults: a dump repeats them
                yield ("file",), "only used with assignment boundaries"
        elif not self.file:
            yield ("file",), ("assignment boundaries needs file, a GeoJSON file of the "
                              "grids' polygons")

    def _check_partition(self, raw: dict[str, Any]) -> Found:
        if self.assignment != "partition":
            for key in ("count", "total_residents"):
                if raw.get(key) is not None:
                    yield (key,), "only used with assignment partition"
            if raw.get("balance") == "demand":  # not the default a dump repeats
                yield ("balance",), "only used with assignment partition"
            return
        if self.count is None:
            if raw.get("count") is None:
                yield ("count",), "assignment partition needs count, the number of grids"
            return
        if self.items and len(self.items) != self.count:
            yield ("items",), (
                f"count {self.count} makes {self.count} grids but items lists "
                f"{len(self.items)}; list one item per grid or none"
            )
        items = raw.get("items")
        if self.total_residents is not None and isinstance(items, list) and any(
                isinstance(item, dict) and "residents" in item for item in items):
            yield ("total_residents",), (
                "give residents per item or total_residents, not both")


def partition_names(count: int) -> list[str]:
    """Names of grids cut by blocks or partition: grid-01, grid-02, ..."""
    width = max(2, len(str(count)))
    return [f"grid-{i + 1:0{width}d}" for i in range(count)]
