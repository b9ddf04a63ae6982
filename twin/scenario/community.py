"""The map and its division into grids (网格): ``map:`` and ``grids:``.

Distances are in metres, speeds in metres per minute.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from twin.scenario.base import Found, Strict, unique_name_problems


# --------------------------------------------------------------------------- map
class LatticeMap(Strict):
    """A synthetic community: streets on a rectangular lattice."""

    source: Literal["lattice"]
    """Map kind: `lattice` generates streets, `file` loads them."""
    rows: int = Field(ge=1, le=1000)
    """Number of street intersections north-south."""
    cols: int = Field(ge=1, le=1000)
    """Number of street intersections east-west."""
    block_length: float = Field(default=100.0, ge=0)
    """Length of one street segment between two intersections [m]."""
    speed: float = Field(default=80.0, gt=0)
    """Travel speed of field staff [m/min]; 80 m/min is a brisk walk, 250 m/min an e-bike."""


class FileMap(Strict):
    """A street network read from a GraphML or node-link JSON file."""

    source: Literal["file"]
    """Map kind: `lattice` generates streets, `file` loads them."""
    path: str
    """Path of the street network, relative to the scenario file (.graphml or .json)."""
    length_attribute: str = "length"
    """Edge attribute holding the street segment length [m]; when absent the
    straight-line distance between node coordinates is used."""
    x_attribute: str = "x"
    """Node attribute holding the easting [m]."""
    y_attribute: str = "y"
    """Node attribute holding the northing [m]."""
    speed: float = Field(default=80.0, gt=0)
    """Travel speed of field staff [m/min]."""


MapSpec = Annotated[LatticeMap | FileMap, Field(discriminator="source")]


# ------------------------------------------------------------------------- grids
class GridItem(Strict):
    """One grid (网格): its name, population and, for `nearest_centre`, its centre."""

    name: str = Field(min_length=1)
    """Grid name, unique in the scenario (e.g. `grid-01`)."""
    residents: int = Field(default=3000, ge=0)
    """Residents living in the grid; used by per-1,000-resident rates."""
    centre: tuple[float, float] | None = None
    """Centre [x, y] in map coordinates [m]; required by `assignment: nearest_centre`."""


class GridSpec(Strict):
    """How map nodes are divided into grids (网格)."""

    assignment: Literal["blocks", "attribute", "nearest_centre"] = "blocks"
    """`blocks`: cut a lattice map into `blocks` = [rows, cols] rectangles;
    `attribute`: a node attribute of a file map names the grid;
    `nearest_centre`: each node joins the grid whose `centre` is nearest."""
    blocks: tuple[int, int] = (1, 1)
    """Grid layout [rows, cols] for `assignment: blocks`."""
    attribute: str = "grid"
    """Node attribute naming the grid, for `assignment: attribute`."""
    residents: int = Field(default=3000, ge=0)
    """Residents per grid for grids not listed in `items`."""
    items: list[GridItem] = Field(default_factory=list)
    """Grids listed by name; with `blocks` the list runs row by row and must
    have rows x cols entries (or be empty, to name them grid-01, grid-02, ...)."""

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
