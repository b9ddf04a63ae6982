"""Plots of result tables: each takes tables and an ``ax`` and returns the ``ax``.

Plots never touch the model: they read record and KPI tables (a RunResult's
``issues``, ``escalations``, ``summary``, a sweep summary) and draw on the
matplotlib Axes they are given. Figures are made with
:func:`new_figure` (plain ``matplotlib.figure.Figure`` on the Agg canvas, no
pyplot state). Every plot takes ``lang="en"`` or ``lang="zh"``; Chinese labels
use the bundled font (a subset of Noto Sans CJK SC, SIL Open Font License).
"""

from __future__ import annotations

from twin.plots.canvas import new_figure
from twin.plots.figures import Plot, figure_bytes, report_plots, summary_by_scenario
from twin.plots.flows import escalation_flow, flow_counts
from twin.plots.kpi import kpi_bars, staffing_curve
from twin.plots.labels import (
    CJK_FAMILY,
    FONT_FILE,
    LANGS,
    ensure_font,
    families,
    kpi_label,
    text,
)
from twin.plots.maps import community_map
from twin.plots.orders import order_time_by_step
from twin.plots.timing import open_counts, open_over_time, response_ecdf

__all__ = [
    "CJK_FAMILY",
    "FONT_FILE",
    "LANGS",
    "Plot",
    "community_map",
    "ensure_font",
    "escalation_flow",
    "families",
    "figure_bytes",
    "flow_counts",
    "kpi_bars",
    "kpi_label",
    "new_figure",
    "open_counts",
    "open_over_time",
    "order_time_by_step",
    "report_plots",
    "response_ecdf",
    "staffing_curve",
    "summary_by_scenario",
    "text",
]

