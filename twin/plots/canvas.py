"""Figures on the Agg canvas, without pyplot's global state."""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def new_figure(nrows: int = 1, ncols: int = 1, *, size: tuple[float, float] = (6.4, 4.0)
               ) -> tuple[Figure, np.ndarray]:
    """A figure of ``nrows`` x ``ncols`` panels, each ``size`` inches, on the Agg canvas.

    Returns the figure and a 2-D array of its Axes.
    """
    fig = Figure(figsize=(size[0] * ncols, size[1] * nrows), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes
