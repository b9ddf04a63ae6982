"""Pydantic models of a scenario file.

Every duration is in minutes, every rate per hour, every distance in metres and
every speed in metres per minute. Field docstrings become the JSON Schema's
descriptions (``twin schema``), so they are written for planners.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

COLOURS: tuple[str, ...] = ("green", "yellow", "red")
CHANNELS: tuple[str, ...] = ("resident", "patrol", "sensor")
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DISPATCH_POLICIES: tuple[str, ...] = ("own_grid", "nearest_idle", "own_grid_then_nearest")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_SHARE_TOLERANCE = 1e-6


class Strict(BaseModel):
    """Base of every scenario model: unknown keys are errors and values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


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

    @model_validator(mode="after")
    def _consistent(self) -> GridSpec:
        names = [g.name for g in self.items]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"grid names must be unique (repeated: {', '.join(dupes)})")
        if self.assignment == "blocks":
            r, c = self.blocks
            if r < 1 or c < 1:
                raise ValueError(f"blocks must be two integers >= 1 (got [{r}, {c}])")
            if self.items and len(self.items) != r * c:
                raise ValueError(
                    f"blocks [{r}, {c}] make {r * c} grids but items lists {len(self.items)}"
                )
        if self.assignment == "nearest_centre":
            missing = [g.name for g in self.items if g.centre is None]
            if not self.items or missing:
                raise ValueError(
                    "assignment nearest_centre needs items with a centre"
                    + (f" (missing for: {', '.join(missing)})" if missing else "")
                )
        return self


# ------------------------------------------------------------------------ demand
class Exponential(Strict):
    """Exponential on-site service time."""

    distribution: Literal["exponential"]
    """Distribution family."""
    mean: float = Field(gt=0)
    """Mean on-site time [min]."""


class Lognormal(Strict):
    """Lognormal on-site service time, given by its own mean and standard deviation."""

    distribution: Literal["lognormal"]
    """Distribution family."""
    mean: float = Field(gt=0)
    """Mean on-site time [min]."""
    sd: float = Field(gt=0)
    """Standard deviation of the on-site time [min]."""


class Gamma(Strict):
    """Gamma on-site service time, given by its mean and standard deviation."""

    distribution: Literal["gamma"]
    """Distribution family."""
    mean: float = Field(gt=0)
    """Mean on-site time [min]."""
    sd: float = Field(gt=0)
    """Standard deviation of the on-site time [min]."""


class Fixed(Strict):
    """The same on-site time for every issue."""

    distribution: Literal["fixed"]
    """Distribution family."""
    value: float = Field(ge=0)
    """On-site time [min]."""


class Empirical(Strict):
    """On-site times resampled from observed values."""

    distribution: Literal["empirical"]
    """Distribution family."""
    values: list[float] = Field(min_length=1)
    """Observed on-site times [min], each >= 0."""
    weights: list[float] | None = None
    """Optional relative weights, one per value."""

    @model_validator(mode="after")
    def _weights(self) -> Empirical:
        if any(v < 0 for v in self.values):
            raise ValueError("values must all be >= 0")
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(
                    f"weights has {len(self.weights)} entries but values has {len(self.values)}"
                )
            if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
                raise ValueError("weights must be >= 0 with a positive sum")
        return self


ServiceSpec = Annotated[
    Exponential | Lognormal | Gamma | Fixed | Empirical, Field(discriminator="distribution")
]


def _check_shares(shares: dict[str, float], allowed: tuple[str, ...], what: str) -> None:
    unknown = [k for k in shares if k not in allowed]
    if unknown:
        raise ValueError(
            f"unknown {what} {', '.join(unknown)}; allowed: {', '.join(allowed)}"
        )
    if any(v < 0 for v in shares.values()):
        raise ValueError(f"{what} shares must be >= 0")
    total = sum(shares.values())
    if abs(total - 1.0) > _SHARE_TOLERANCE:
        raise ValueError(f"{what} shares must sum to 1 (got {total:g})")


def _check_multipliers(values: list[float] | None, n: int, what: str) -> None:
    if values is None:
        return
    if len(values) != n:
        raise ValueError(f"{what} needs exactly {n} multipliers (got {len(values)})")
    if any(v < 0 for v in values) or sum(values) <= 0:
        raise ValueError(f"{what} multipliers must be >= 0 with a positive sum")


class Category(Strict):
    """An issue category (事件类别) and how often, how severe and how long it is."""

    name: str = Field(min_length=1)
    """Category name, unique in the scenario (e.g. `repair`)."""
    rate_per_hour: float | None = Field(default=None, ge=0)
    """Average reports per hour in each grid, over the week [1/h]."""
    rate_per_hour_per_1000_residents: float | None = Field(default=None, ge=0)
    """Average reports per hour per 1,000 residents [1/h]; use instead of `rate_per_hour`."""
    hour_of_day: list[float] | None = None
    """24 relative multipliers, hour 0 to 23; overrides `demand.hour_of_day`."""
    day_of_week: list[float] | None = None
    """7 relative multipliers, Monday to Sunday; overrides `demand.day_of_week`."""
    colours: dict[str, float] = Field(default_factory=lambda: {"green": 1.0})
    """Severity mix at report (三色预警): shares of green, yellow and red summing to 1."""
    channels: dict[str, float] = Field(default_factory=lambda: {"resident": 1.0})
    """How issues enter: shares of resident (incl. 12345 hotline), patrol and sensor, sum 1."""
    service: ServiceSpec
    """On-site handling time distribution [min]."""

    @model_validator(mode="after")
    def _consistent(self) -> Category:
        given = (self.rate_per_hour is not None) + (
            self.rate_per_hour_per_1000_residents is not None
        )
        if given != 1:
            raise ValueError(
                "give exactly one of rate_per_hour and rate_per_hour_per_1000_residents"
            )
        _check_shares(self.colours, COLOURS, "colours")
        _check_shares(self.channels, CHANNELS, "channels")
        _check_multipliers(self.hour_of_day, 24, "hour_of_day")
        _check_multipliers(self.day_of_week, 7, "day_of_week")
        return self


class DemandSpec(Strict):
    """What residents, patrols and sensors report, and when.

    The rate of a category in a grid at time t is its average rate times the
    hour-of-day and day-of-week multipliers, each normalised to mean 1, so that
    the multipliers shape the week without changing the average.
    """

    hour_of_day: list[float] = Field(default_factory=lambda: [1.0] * 24)
    """24 relative multipliers, hour 0 to 23 (normalised to mean 1)."""
    day_of_week: list[float] = Field(default_factory=lambda: [1.0] * 7)
    """7 relative multipliers, Monday to Sunday (normalised to mean 1)."""
    categories: list[Category] = Field(min_length=1)
    """Issue categories."""

    @model_validator(mode="after")
    def _consistent(self) -> DemandSpec:
        _check_multipliers(self.hour_of_day, 24, "hour_of_day")
        _check_multipliers(self.day_of_week, 7, "day_of_week")
        names = [c.name for c in self.categories]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"category names must be unique (repeated: {', '.join(dupes)})")
        return self


# --------------------------------------------------------------------- workforce
class Shift(Strict):
    """A working period repeated on the given weekdays."""

    start: str = "00:00"
    """Start time of day, HH:MM."""
    end: str = "24:00"
    """End time of day, HH:MM; an end before the start runs past midnight."""
    days: list[str] = Field(default_factory=lambda: list(WEEKDAYS))
    """Weekdays on which the shift starts: mon, tue, wed, thu, fri, sat, sun."""

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, v: str) -> str:
        if v != "24:00" and not _CLOCK.match(v):
            raise ValueError(f"must be a time of day HH:MM from 00:00 to 24:00 (got {v!r})")
        return v

    @field_validator("days")
    @classmethod
    def _days(cls, v: list[str]) -> list[str]:
        bad = [d for d in v if d not in WEEKDAYS]
        if bad:
            raise ValueError(f"unknown day {', '.join(bad)}; allowed: {', '.join(WEEKDAYS)}")
        return v

    @model_validator(mode="after")
    def _nonempty(self) -> Shift:
        if self.start == self.end:
            raise ValueError("start and end are equal: the shift would be empty")
        return self


class GridStaff(Strict):
    """Workforce settings for one named grid, overriding the defaults."""

    workers: int | None = Field(default=None, ge=0)
    """Number of grid workers in this grid."""
    base: str | int | None = None
    """Base node of this grid's workers (a node id of the map); default the grid's centre node."""


class WorkforceSpec(Strict):
    """Grid workers (网格员): how many, where they start, when they work."""

    per_grid: int = Field(default=2, ge=0)
    """Grid workers in each grid unless `grids` says otherwise."""
    shifts: list[Shift] = Field(default_factory=list)
    """Shifts handed out in turn to the workers of each grid (worker k gets shift
    k mod len(shifts)); empty means every worker is on duty round the clock."""
    grids: dict[str, GridStaff] = Field(default_factory=dict)
    """Per-grid overrides, keyed by grid name."""
    return_to_base: bool = True
    """After a job with nothing waiting, walk back to base (and be dispatchable on
    the way); false means wait where the job ended."""


# ---------------------------------------------------------------------- dispatch
class DispatchSpec(Strict):
    """Who is sent to an issue. Waiting issues are served red first, then yellow,
    then green, first come first served within a colour."""

    policy: Literal["own_grid", "nearest_idle", "own_grid_then_nearest"] = "own_grid"
    """`own_grid`: only the grid's own workers; `nearest_idle`: the idle worker
    with the shortest travel time anywhere; `own_grid_then_nearest`: own grid,
    and after `borrow_after` minutes of waiting the nearest idle worker anywhere."""
    borrow_after: float = Field(default=30.0, ge=0)
    """Minutes an issue waits for its own grid before a neighbour may take it [min]."""


class Deadlines(Strict):
    """Time allowed from report to resolution, per colour [min]."""

    green: float = Field(default=240.0, gt=0)
    """Deadline of a green case [min]."""
    yellow: float = Field(default=1440.0, gt=0)
    """Deadline of a yellow case [min]."""
    red: float = Field(default=4320.0, gt=0)
    """Deadline of a red case [min]."""

    @model_validator(mode="after")
    def _ordered(self) -> Deadlines:
        if not self.green < self.yellow < self.red:
            raise ValueError(
                "deadlines must increase with severity: green < yellow < red "
                f"(got green={self.green:g}, yellow={self.yellow:g}, red={self.red:g})"
            )
        return self


class RunSpec(Strict):
    """How long to simulate and how often."""

    horizon_days: float = Field(default=28.0, gt=0)
    """Simulated length including the warm-up [days]."""
    warmup_days: float = Field(default=7.0, ge=0)
    """Initial period left out of every KPI [days]."""
    replications: int = Field(default=10, ge=1)
    """Independent replications (each with its own random numbers)."""
    seed: int = Field(default=20261123, ge=0)
    """Root seed; the same seed gives the same results."""

    @model_validator(mode="after")
    def _warmup(self) -> RunSpec:
        if self.warmup_days >= self.horizon_days:
            raise ValueError(
                f"warmup_days ({self.warmup_days:g}) must be less than "
                f"horizon_days ({self.horizon_days:g})"
            )
        return self


class Scenario(Strict):
    """A community, its demand, its workforce and its rules: one what-if to run."""

    name: str = "scenario"
    """Short name used in tables and plots."""
    description: str = ""
    """Free text for the report."""
    map: MapSpec
    """Street network."""
    grids: GridSpec = Field(default_factory=GridSpec)
    """Division of the map into grids."""
    demand: DemandSpec
    """Issue categories and arrival rates."""
    workforce: WorkforceSpec = Field(default_factory=WorkforceSpec)
    """Grid workers."""
    dispatch: DispatchSpec = Field(default_factory=DispatchSpec)
    """Dispatch policy."""
    deadlines: Deadlines = Field(default_factory=Deadlines)
    """Resolution deadlines per colour."""
    run: RunSpec = Field(default_factory=RunSpec)
    """Run length, replications and seed."""

    @model_validator(mode="after")
    def _cross(self) -> Scenario:
        # Problems located elsewhere in the file are marked "@dotted.path: message";
        # the loader turns the mark into that key's line.
        problems: list[str] = []
        known = known_grid_names(self)
        if known is not None:
            for name in self.workforce.grids:
                if name not in known:
                    problems.append(
                        f"@workforce.grids.{name}: no such grid; known grids: "
                        + ", ".join(known)
                    )
        if problems:
            raise ValueError("\n".join(problems))
        if self.map.source == "lattice":
            r, c = self.grids.blocks
            if self.grids.assignment == "blocks" and (r > self.map.rows or c > self.map.cols):
                raise ValueError(
                    f"grids.blocks [{r}, {c}] is finer than the lattice "
                    f"({self.map.rows} x {self.map.cols} nodes)"
                )
            if self.grids.assignment == "attribute":
                raise ValueError("grids.assignment attribute needs map.source file")
        elif self.grids.assignment == "blocks":
            raise ValueError(
                "grids.assignment blocks needs map.source lattice; "
                "use attribute or nearest_centre for a file map"
            )
        return self


def known_grid_names(scenario: Scenario) -> list[str] | None:
    """Grid names known without reading the map (None for `assignment: attribute`)."""
    spec = scenario.grids
    if spec.items:
        return [g.name for g in spec.items]
    if spec.assignment == "blocks":
        n = spec.blocks[0] * spec.blocks[1]
        width = max(2, len(str(n)))
        return [f"grid-{i + 1:0{width}d}" for i in range(n)]
    return None
