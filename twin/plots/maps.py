"""The street network coloured by a per-grid KPI, with a scale bar in metres."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.ticker import PercentFormatter
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

from twin.geography import street_edges
from twin.plots.labels import apply_font, is_share, kpi_label, plain_number, plain_ticks, text

if TYPE_CHECKING:
    from twin.geography import Community

RASTER_NODES = 5_000
"""Above this many map nodes the streets and nodes are drawn as one picture inside an
SVG, not as one vector shape each (a district's 100,000 nodes: megabytes, not tens)."""
NAMED_GRIDS = 200
"""Above this many grids no grid names are written: they would cover the map."""


def scale_length(span: float) -> float:
    """A round length [m] (1, 2 or 5 times a power of ten) near a fifth of ``span`` [m]."""
    target = max(span, 1.0) / 5
    power = 10.0 ** np.floor(np.log10(target))
    return float(max(step * power for step in (1.0, 2.0, 5.0) if step * power <= target))


def scale_text(length: float, lang: str = "en") -> str:
    """A scale bar's label: ``500 m``, ``2 km`` (米, 公里 in Chinese)."""
    if length >= 1000:
        return f"{plain_number(length / 1000)} {text('km', lang)}"
    return f"{plain_number(length)} {text('m', lang)}"


def add_scale_bar(ax: Axes, xy: np.ndarray, lang: str = "en") -> AnchoredSizeBar:
    """A scale bar in the lower left of a map whose coordinates are metres."""
    span = float(np.ptp(xy[:, 0])) if len(xy) else 0.0
    length = scale_length(span)
    bar = AnchoredSizeBar(ax.transData, length, scale_text(length, lang), "lower left",
                          pad=0.3, borderpad=0.3, sep=3, frameon=False,
                          size_vertical=max(span, 1.0) / 250, color="#333333")
    ax.add_artist(bar)
    return bar


def shared_scale(values: Sequence[float], noises: Sequence[float] = ()) -> tuple[float, float]:
    """One colour range (low, high) for several maps of the same KPI.

    It spans every value, and is at least as wide as the widest 95% confidence
    interval (twice the largest of ``noises``, the half widths), widened about
    its middle: grids whose values differ by less than their noise then differ
    little in colour. A range of non-negative values stays non-negative.
    """
    shown = np.asarray([v for v in values if np.isfinite(v)], dtype=float)
    if not len(shown):
        return 0.0, 1.0
    low, high = float(shown.min()), float(shown.max())
    halves = np.asarray([n for n in noises if np.isfinite(n)], dtype=float)
    need = 2 * float(halves.max()) if len(halves) else 0.0
    if high - low < need:
        middle = (low + high) / 2
        low, high = middle - need / 2, middle + need / 2
        if low < 0 <= float(shown.min()):
            low, high = 0.0, high - low
    return low, high


def _detail(value: float, noise: float, label: str) -> str:
    """A grid's value under its name, with its noise (± half the 95% CI) if known."""
    if np.isnan(value):
        return ""
    if label and is_share(label):
        shown, pm = f"{value:.0%}", f"{noise:.0%}"
    else:
        shown, pm = plain_number(value), plain_number(noise)
    return f"\n{shown}" + (f" ± {pm}" if np.isfinite(noise) else "")


def community_map(community: Community, values_by_grid: Mapping[str, float], ax: Axes, *,
                  label: str = "", lang: str = "en", cmap: str = "viridis_r",
                  vmin: float | None = None, vmax: float | None = None,
                  noise_by_grid: Mapping[str, float] | None = None) -> Axes:
    """Streets in grey, map nodes coloured by their grid's value, grid names at
    the centre of each grid (up to :data:`NAMED_GRIDS` grids), a colour bar and a
    scale bar in metres. Maps above :data:`RASTER_NODES` nodes draw streets and
    nodes as a picture (also inside an SVG).

    Numbers are written in full (``2,999``, never ``3e+03``).

    Parameters
    ----------
    community
        The map (``twin.geography.Community``).
    values_by_grid
        Grid name -> value (e.g. P90 response [min] of issues in that grid);
        grids without a value are drawn light grey.
    ax
        Axes to draw on; the colour bar takes space beside it.
    label
        What the values are: a KPI name (translated) or free text.
    cmap
        Colour map; the default ``viridis_r`` makes high values dark.
    vmin, vmax
        Colour scale limits, to share one scale between several maps.
    noise_by_grid
        Grid name -> half width of the value's 95% confidence interval, written
        after the value (``214 ± 35``).
    """
    xy = np.asarray(community.xy, dtype=float)
    many = len(xy) > RASTER_NODES
    edges = street_edges(community)
    ax.add_collection(LineCollection(list(xy[edges]), colors="#b0b0b0", linewidths=0.8,
                                     zorder=1, rasterized=many))
    values = np.array([values_by_grid.get(name, np.nan) for name in community.grid_names],
                      dtype=float)
    node_values = values[np.asarray(community.grid_of_node, dtype=np.int64)]
    colours = colormaps[cmap].with_extremes(bad="#dddddd")
    size = float(np.clip(6000.0 / max(len(xy), 1), 4.0, 40.0))
    shown = values[~np.isnan(values)]
    lo = vmin if vmin is not None else (float(shown.min()) if len(shown) else 0.0)
    hi = vmax if vmax is not None else (float(shown.max()) if len(shown) else 1.0)
    if hi <= lo:
        hi = lo + 1e-9
    dots = ax.scatter(xy[:, 0], xy[:, 1], c=node_values, cmap=colours, vmin=lo, vmax=hi,
                      s=size, zorder=2, plotnonfinite=True, edgecolors="none",
                      rasterized=many)
    name = kpi_label(label, lang) if label else ""
    bar = ax.get_figure().colorbar(dots, ax=ax, shrink=0.8, label=name)  # type: ignore[union-attr]
    if label and is_share(label):
        bar.ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    else:
        plain_ticks(bar.ax.yaxis)
    noise = noise_by_grid or {}
    grid_of = np.asarray(community.grid_of_node, dtype=np.int64)
    count = np.bincount(grid_of, minlength=len(community.grid_names))
    with np.errstate(invalid="ignore", divide="ignore"):
        centres = np.stack([np.bincount(grid_of, weights=xy[:, k], minlength=len(count))
                            for k in (0, 1)], axis=1) / count[:, None]
    named = community.grid_names if len(community.grid_names) <= NAMED_GRIDS else []
    for g, grid in enumerate(named):
        if not count[g]:
            continue
        cx, cy = centres[g]
        detail = _detail(float(values[g]), float(noise.get(grid, np.nan)), label)
        ax.text(cx, cy, f"{grid}{detail}", ha="center", va="center", fontsize=7, zorder=3,
                bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "alpha": 0.75,
                      "edgecolor": "none"})
    ax.set_aspect("equal")
    ax.autoscale_view()
    ax.set_axis_off()
    add_scale_bar(ax, xy, lang)
    if name:
        ax.set_title(name)
    apply_font([ax, bar.ax], lang)
    return ax
