"""The street network coloured by a per-grid KPI."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.ticker import PercentFormatter

from twin.plots.labels import apply_font, is_share, kpi_label

if TYPE_CHECKING:
    from twin.geography import Community


def community_map(community: Community, values_by_grid: Mapping[str, float], ax: Axes, *,
                  label: str = "", lang: str = "en", cmap: str = "viridis_r",
                  vmin: float | None = None, vmax: float | None = None) -> Axes:
    """Streets in grey, map nodes coloured by their grid's value, grid names at
    the centre of each grid, and a colour bar.

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
    """
    xy = np.asarray(community.xy, dtype=float)
    edges = np.array(list(community.graph.edges()), dtype=np.int64).reshape(-1, 2)
    ax.add_collection(LineCollection(list(xy[edges]), colors="#b0b0b0", linewidths=0.8, zorder=1))
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
                      s=size, zorder=2, plotnonfinite=True, edgecolors="none")
    name = kpi_label(label, lang) if label else ""
    bar = ax.get_figure().colorbar(dots, ax=ax, shrink=0.8, label=name)  # type: ignore[union-attr]
    if label and is_share(label):
        bar.ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    for g, grid in enumerate(community.grid_names):
        members = np.asarray(community.grid_of_node) == g
        if not members.any():
            continue
        cx, cy = xy[members].mean(axis=0)
        value = values[g]
        detail = "" if np.isnan(value) else (f"\n{value:.0%}" if is_share(label)
                                             else f"\n{value:.3g}")
        ax.text(cx, cy, f"{grid}{detail}", ha="center", va="center", fontsize=7, zorder=3,
                bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "alpha": 0.75,
                      "edgecolor": "none"})
    ax.set_aspect("equal")
    ax.autoscale_view()
    ax.set_axis_off()
    if name:
        ax.set_title(name)
    apply_font([ax, bar.ax], lang)
    return ax
