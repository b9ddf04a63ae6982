"""Rendering the report's figures, each once per format, on the command's worker
processes when it has some.

Drawing a figure to PNG or SVG (layout, text, rasterising) is most of what a report
costs. Each figure is rendered once per format (the page and ``plots/`` share the
PNG); with a :class:`~twin.executors.WorkerPool` the figures are sent to its workers
and rendered side by side. The bytes are the same wherever a figure is rendered;
the font warnings of a figure rendered elsewhere are given here, as if drawn here.
"""

from __future__ import annotations

import gc
import pickle
import warnings
from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matplotlib.figure import Figure

from twin.outdir import atomic_write
from twin.plots.figures import Plot, figure_bytes
from twin.plots.fonts import FontWarning, ensure_font

if TYPE_CHECKING:
    from twin.executors import WorkerPool

Images = dict[str, bytes]
"""Format (``"png"``, ``"svg"``) -> the rendered figure."""
Told = tuple[str, str, Any]
"""A warning given in a worker: ``(kind, text, category)``."""


def render_plots(plots: Sequence[Plot], formats: Sequence[str],
                 pool: WorkerPool | None = None) -> list[Images]:
    """Every plot rendered in every format, in order; on ``pool``'s workers when it has
    more than one and there is more than one plot (a figure that cannot be sent,
    e.g. one holding a local function, is rendered here)."""
    if pool is None or pool.jobs <= 1 or len(plots) <= 1:
        return [_render_here(plot.figure, formats) for plot in plots]
    executor = pool.executor()
    futures: list[Future[tuple[Images, list[Told]]] | None] = []
    for plot in plots:
        try:
            sent = pickle.dumps(plot.figure, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, AttributeError, TypeError):
            futures.append(None)
        else:
            futures.append(executor.submit(render_elsewhere, sent, tuple(formats)))
    out = []
    for plot, future in zip(plots, futures, strict=True):
        if future is None:
            out.append(_render_here(plot.figure, formats))
            continue
        images, told = future.result()
        for kind, text, category in told:
            warnings.warn(FontWarning(text) if kind == "font" else category(text),
                          stacklevel=2)
        out.append(images)
    return out


def _render_here(figure: Figure, formats: Sequence[str]) -> Images:
    return {fmt: figure_bytes(figure, fmt) for fmt in formats}


def render_elsewhere(sent: bytes, formats: tuple[str, ...]) -> tuple[Images, list[Told]]:
    """Render a pickled figure in a worker process: the images and the warnings given
    while rendering (``("font", characters, None)`` or ``("other", text, category)``)."""
    ensure_font()  # a worker started before the main process registered the font
    figure = pickle.loads(sent)  # noqa: S301 - sent by the process that started this one
    # No collection during the render. Twice in a full test run under load a worker's
    # render of the KPI bars differed from the main process's (one axis label placed
    # apart); the cause was not found. A worker's collections come whenever its watch
    # thread (executors.end_with_parent) happens to allocate, so they are kept out of
    # the render as a precaution: 0 differences in 30 repeats under load with it, 1 in
    # 24 without, too few to prove it.
    gc.collect()
    gc.disable()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            images = _render_here(figure, formats)
    finally:
        gc.enable()
    told = [("font", item.message.chars, None) if isinstance(item.message, FontWarning)
            else ("other", str(item.message), item.category) for item in caught]
    return images, told


def save_plots(folder: str | Path, plots: Sequence[Plot],
               formats: Sequence[str] = ("png", "svg"),
               images: Sequence[Images] | None = None) -> list[Path]:
    """Write every plot as ``folder/<slug>.<format>`` (from ``images``, the plots
    already rendered, if given); returns the files written."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    rendered = images if images is not None else render_plots(plots, formats)
    written = []
    for plot, image in zip(plots, rendered, strict=True):
        for fmt in formats:
            path = target / f"{plot.slug}.{fmt}"
            atomic_write(path, image[fmt])
            written.append(path)
    return written
