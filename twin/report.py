"""One self-contained HTML report of runs: tables, plots and provenance.

The report reads result tables only (a RunResult's ``summary``, ``issues``,
``escalations``, its scenario; a comparison table; a sweep summary) and never
runs the model. Plots are embedded as base64 PNG and the page loads nothing
from the network, so the single file can be mailed or archived. Chinese text
in the page uses the bundled font, embedded when the page needs it.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from twin import numbers
from twin import report_sweep as page_of_sweep
from twin.metrics.catalogue import headline_kpis, kpi_spec
from twin.outdir import atomic_write
from twin.plots.figures import (
    Plot,
    RunLike,
    figure_bytes,
    report_plots,
    scenario_of,
    summary_by_scenario,
)
from twin.plots.labels import FONT_FILE, check_lang, kpi_label, text
from twin.plots.render import render_plots, save_plots
from twin.report_assessment import assessment_section
from twin.report_groups import fmt as _fmt
from twin.report_groups import groups_note, listed_kpis
from twin.report_groups import orders_section as _orders_section
from twin.report_groups import table as _table
from twin.report_verdict import settings_section, verdict_section

if TYPE_CHECKING:
    from twin.executors import WorkerPool
    from twin.geography import Community, MapCache

def _diff(value: Any, kpi: str) -> str:
    """A difference; for shares in percentage points, which a % would misstate."""
    return numbers.diff(value, kpi)


def _folded(head: Sequence[str], kpis: Sequence[str],
            rows: Callable[[list[str]], list[list[str]]], lang: str) -> str:
    """Headline KPIs (the catalogue's) in a table, every other KPI in a folded table below it."""
    first = [k for k in headline_kpis() if k in kpis]
    rest = [k for k in kpis if k not in first]
    folded = (f"<details><summary>{text('all_kpis', lang)}</summary>"
              f"{_table(head, rows(rest), 'num')}</details>") if rest else ""
    return _table(head, rows(first), "num") + folded


def _kpi_tables(summary: pd.DataFrame, lang: str) -> str:
    names = list(dict.fromkeys(summary["scenario"]))
    cells = summary.set_index(["kpi", "scenario"])

    def rows(kpis: list[str]) -> list[list[str]]:
        out = []
        for kpi in kpis:
            row = [f"{html.escape(kpi_label(kpi, lang))}<br><code>{html.escape(kpi)}</code>"]
            for name in names:
                c = cells.loc[(kpi, name)] if (kpi, name) in cells.index else None
                row.append("–" if c is None else
                           f"{_fmt(c['mean'], kpi)}<br><small>{_fmt(c['ci_low'], kpi)} – "
                           f"{_fmt(c['ci_high'], kpi)}</small>")
            out.append(row)
        return out

    head = [text("kpi", lang), *[html.escape(n) for n in names]]
    kpis = list(dict.fromkeys(summary["kpi"]))  # by grid and unit: in their own files
    return _folded(head, listed_kpis(kpis), rows, lang) + groups_note(kpis, lang)


def _comparison_table(comparison: pd.DataFrame, lang: str) -> str:
    """Every scenario but the reference against it: change and % change with their CIs,
    the unadjusted test (CI excludes 0), its direction; the reference's own rows fold
    away below."""
    head = [text("kpi", lang), text("scenario", lang), text("mean", lang), text("diff", lang),
            text("diff_ci", lang), "%", text("significant", lang)]
    reference = str(comparison["scenario"].iloc[0])
    others = comparison[comparison["scenario"] != reference]

    def rows(kpis: list[str]) -> list[list[str]]:
        out = []
        for _, r in others[others["kpi"].isin(kpis)].iterrows():
            kpi, sig = str(r["kpi"]), r.get("significant")
            mark = text("no", lang)
            if not pd.isna(sig) and bool(sig):
                spec = kpi_spec(kpi)
                better = spec.better(float(r["diff"])) if spec is not None else None
                way = "" if better is None else "better" if better else "worse"
                mark = f'<b class="sig {way}">{text("yes", lang)}</b>'
            out.append([html.escape(kpi_label(kpi, lang)), html.escape(str(r["scenario"])),
                        _fmt(r.get("mean"), kpi), _diff(r.get("diff"), kpi),
                        numbers.interval(r.get("diff_ci_low"), r.get("diff_ci_high"), kpi,
                                         of_diff=True),
                        f"{numbers.pct(r.get('pct'))}<br><small>" + numbers.interval(
                            r.get("pct_ci_low"), r.get("pct_ci_high"), relative=True)
                        + "</small>", mark])
        return out

    own = comparison[comparison["scenario"] == reference]
    folded = (f"<details><summary>{html.escape(reference)} ({text('mean', lang)})</summary>"
              + _table([text("kpi", lang), text("mean", lang), text("ci95", lang)],
                       [[html.escape(kpi_label(str(r["kpi"]), lang)), _fmt(r["mean"], r["kpi"]),
                         numbers.interval(r.get("ci_low"), r.get("ci_high"), str(r["kpi"]))]
                        for _, r in own[own["kpi"].isin(listed_kpis(list(own["kpi"])))
                                        ].iterrows()],
                       "num") + "</details>")
    kpis = list(dict.fromkeys(others["kpi"]))
    return (_folded(head, listed_kpis(kpis), rows, lang) + folded
            + groups_note(kpis, lang, comparison=True))


def _x(value: Any, low: float, high: float) -> str:
    """A value of the varied key; ±inf as beyond the swept range."""
    v = float(value)
    if np.isnan(v):
        return "–"
    if np.isinf(v):
        return f"&lt; {low:g}" if v < 0 else f"&gt; {high:g}"
    return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"


def _break_even_section(break_even: pd.DataFrame | None, lang: str) -> list[str]:
    """A sweep against another scenario: where each KPI breaks even, with its CI."""
    if break_even is None or not len(break_even):
        return []
    head = [text(k, lang) for k in ("kpi", "varied_key", "break_even", "ci95", "crossed")]
    head += ["n", text("better_below", lang)]
    rows = []
    for r in break_even.to_dict("records"):
        lo, hi = float(r["x_min"]), float(r["x_max"])
        below = r.get("better_below")
        above = r["against"] if below == r.get("scenario") else r.get("scenario")
        who = html.escape(f"{below} / {above}") if isinstance(below, str) else "–"
        rows.append([html.escape(kpi_label(str(r["kpi"]), lang)),
                     f"<code>{html.escape(str(r['key']))}</code>", _x(r["break_even"], lo, hi),
                     f"{_x(r['ci_low'], lo, hi)} – {_x(r['ci_high'], lo, hi)}",
                     "–" if pd.isna(r["crossed"]) else f"{float(r['crossed']):.0%}",
                     _fmt(int(r["n"])), who])
    return [f"<h2>{text('break_even_section', lang)}</h2>",
            f"<p>{html.escape(text('break_even_note', lang))}</p>", _table(head, rows, "num")]


_CSS = """
body{font-family:TwinSansSC,system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans CJK SC",
"PingFang SC","Microsoft YaHei",sans-serif;margin:2em auto;max-width:1100px;color:#222;
padding:0 1em}
h1{font-size:1.6em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.8em 0;font-size:.9em}
th,td{border:1px solid #ddd;padding:.3em .6em;vertical-align:top}
th{background:#f4f4f4;text-align:left}table.num td+td{text-align:right}
small{color:#666}code{font-size:.85em;color:#555}.sig{color:#444}
.sig.better{color:#1a7f37}.sig.worse{color:#b00}
section.verdict{overflow-wrap:anywhere}table.verdict{width:100%;table-layout:fixed}
table.verdict td{text-align:right}table.verdict td:first-child{text-align:left}
td.better{background:#e6f4ea;color:#0f5323}td.worse{background:#fdecea;color:#8a1010}
td.same{background:#f4f4f4;color:#555}td.differs{background:#e8f0fb;color:#1d3f73}
td .word{font-size:.8em;font-weight:bold;text-transform:uppercase;letter-spacing:.03em}
figure{margin:1.2em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{color:#555;font-size:.9em}pre{background:#f7f7f7;padding:1em;overflow:auto;font-size:.8em}
details summary{cursor:pointer;color:#345}
.failed{border:2px solid #b00;padding:0 1em;background:#fff5f5}.failed h2{color:#b00}
tr.collapsed td{background:#fdecea}.collapse{color:#b00}
table.points td:nth-child(2){text-align:left}
"""


def _font_face(page: str) -> str:
    """@font-face of the bundled CJK font, if the page has CJK text."""
    if not any(ord(ch) >= 0x2E80 for ch in page):
        return ""
    data = base64.b64encode(FONT_FILE.read_bytes()).decode("ascii")
    # only for CJK code points, so Latin text keeps the reader's own font
    return ("@font-face{font-family:TwinSansSC;unicode-range:U+2E80-9FFF,U+FF00-FFEF;"
            f"src:url(data:font/otf;base64,{data}) format('opentype');}}")


def _failures(runs: Sequence[tuple[str, RunLike]], lang: str) -> list[str]:
    """A warning block naming every failed replication and its error's last line."""
    items = []
    for name, run in runs:
        for rep, error in sorted((getattr(run, "errors", None) or {}).items()):
            last = next((ln for ln in reversed(str(error).strip().splitlines()) if ln.strip()),
                        "unknown error")
            items.append(f"<li>{html.escape(str(name))}: {rep}: "
                         f"<code>{html.escape(last)}</code></li>")
    if not items:
        return []
    return [f'<section class="failed"><h2>{text("failed_replications", lang)}</h2>'
            f"<ul>{''.join(items)}</ul></section>"]


def render_html(runs: Sequence[tuple[str, RunLike]], plots: Sequence[Plot],
                comparison: pd.DataFrame | None, manifest: Mapping[str, Any] | None,
                lang: str, break_even: pd.DataFrame | None = None, *,
                sweep: pd.DataFrame | None = None, points: pd.DataFrame | None = None,
                sweep_x: str | None = None, png: Sequence[bytes] | None = None) -> str:
    """The report page as a string (``break_even``: a sweep's ``breakeven.csv``; a
    sweep's summary and its :func:`twin.report_sweep.point_table` open the page with
    the table of points; ``png``: the plots already rendered)."""
    title = text("report_title", lang)
    body = [f"<h1>{title}</h1>", *_failures(runs, lang)]
    if sweep is not None and points is not None:
        body += page_of_sweep.sweep_section(runs, sweep, points, lang, sweep_x)
        shown = page_of_sweep.shown_names(points)
        runs = [(shown.get(n, n), r) for n, r in runs]
        summary = summary_by_scenario(runs)
        body.append(page_of_sweep.folded_kpis(_kpi_tables(summary, lang), lang))
    else:
        summary = summary_by_scenario(runs)
        body += [*verdict_section(comparison, lang), *settings_section(runs, lang),
                 f"<h2>{text('kpi_summary', lang)}</h2>", _kpi_tables(summary, lang)]
    if comparison is not None and len(comparison):
        body += [f"<h2>{text('comparison', lang)}</h2>", _comparison_table(comparison, lang)]
    body += _break_even_section(break_even, lang)
    body += assessment_section(runs, summary, lang, folded=points is not None)
    body += _orders_section(summary, lang)
    body.append(f"<h2>{text('plots', lang)}</h2>")
    if points is not None:
        body += page_of_sweep.panels_note(points, lang)
    for i, plot in enumerate(plots):
        data = base64.b64encode(png[i] if png is not None else
                                figure_bytes(plot.figure, "png")).decode("ascii")
        body.append(f'<figure id="plot-{plot.slug}"><img class="plot" alt="'
                    f'{html.escape(plot.title)}" src="data:image/png;base64,{data}">'
                    f"<figcaption>{html.escape(plot.title)}</figcaption></figure>")
    body += [f"<h2>{text('manifest', lang)}</h2>", "<pre>" + html.escape(json.dumps(
        dict(manifest or {}), indent=2, ensure_ascii=False, default=str), quote=False) + "</pre>"]
    content = "\n".join(body)
    css = _CSS + _font_face(content)
    return (f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}">\n<head>'
            f'<meta charset="utf-8"><meta name="viewport" content="width=device-width">'
            f"<title>{title}</title><style>{css}</style></head>\n<body>\n{content}\n"
            "</body>\n</html>\n")


def write_report(path: str | Path, runs: Sequence[tuple[str, RunLike]],
                 comparison: pd.DataFrame | None = None, sweep: pd.DataFrame | None = None,
                 community: Community | None = None,
                 manifest: Mapping[str, Any] | None = None, lang: str = "en", *,
                 sweep_x: str | None = None, plots_dir: str | Path | None = None,
                 paired: pd.DataFrame | None = None,
                 break_even: pd.DataFrame | None = None,
                 pool: WorkerPool | None = None) -> Path:
    """Write one self-contained ``report.html`` (atomically) and return its path.

    Parameters
    ----------
    path
        The HTML file to write (replaced whole if it exists).
    runs
        ``(name, run)`` pairs, the reference scenario first; a run is a
        ``twin.RunResult`` or anything with ``summary``, ``issues``,
        ``escalations`` and ``kpis`` (and optionally ``scenario``).
    comparison
        Paired comparison table (``twin.compare``): kpi, scenario, mean, diff,
        diff_ci_low, diff_ci_high, significant.
    sweep
        Sweep summary (``twin.sweep``): a numeric varied key, kpi, mean, ci_low,
        ci_high; drawn as a staffing curve against ``sweep_x`` (default the
        first numeric varied key).
    community
        The map, for a map of P90 response by grid.
    manifest
        Provenance (seeds, versions) shown at the end.
    lang
        ``"en"`` or ``"zh"``.
    plots_dir
        Also save every plot there as PNG and SVG.
    paired, break_even
        A sweep against another scenario (``paired.csv``, ``breakeven.csv`` of
        ``twin.workflows.sweep_workflow``): the break-even table and its figure.
    pool
        Worker processes to render the figures on (each is rendered once per format).
    """
    check_lang(lang)
    points = (page_of_sweep.point_table(sweep, runs)
              if sweep is not None and page_of_sweep.is_sweep(sweep) else None)
    shown = page_of_sweep.shown_names(points) if points is not None else {}
    plots = report_plots([(shown.get(n, n), r) for n, r in runs], sweep=sweep,
                         community=community, lang=lang, sweep_x=sweep_x, paired=paired,
                         break_even=break_even, collapsed=set() if points is None else set(
                             points["point"][points["collapsed"] != ""]))
    images = render_plots(plots, ("png", "svg") if plots_dir is not None else ("png",), pool)
    page = render_html(runs, plots, comparison, manifest, lang, break_even,
                       sweep=sweep if points is not None else None, points=points,
                       sweep_x=sweep_x, png=[i["png"] for i in images])
    if plots_dir is not None:
        save_plots(plots_dir, plots, images=images)
    target = Path(path)
    atomic_write(target, page.encode("utf-8"))
    return target


def _shared_community(runs: Sequence[tuple[str, RunLike]],
                      maps: MapCache | None = None) -> Community | None:
    """The map of the runs, if they all have a scenario with the same map and grids."""
    from twin.geography import MapCache, MapError

    scenarios = [scenario_of(run) for _, run in runs]
    if not scenarios or any(s is None for s in scenarios):
        return None
    keys = {s.model_dump_json(include={"map", "grids"}) for s in scenarios}
    if len(keys) != 1:
        return None
    try:
        return (maps if maps is not None else MapCache(1)).get(scenarios[0])
    except (MapError, OSError):
        return None


def write_report_folder(out: str | Path,
                        runs: Mapping[str, RunLike] | Sequence[tuple[str, RunLike]], *,
                        comparison: pd.DataFrame | None = None,
                        sweep: pd.DataFrame | None = None, lang: str = "en",
                        manifest: Mapping[str, Any] | None = None,
                        maps: MapCache | None = None, paired: pd.DataFrame | None = None,
                        break_even: pd.DataFrame | None = None,
                        pool: WorkerPool | None = None) -> Path:
    """``report.html`` and ``plots/`` (PNG and SVG) inside the result folder ``out``.

    The map is drawn when every run has the same map (taken from ``maps``, the
    cache the runs used, when given), the figures rendered on ``pool``'s workers if
    given; the manifest defaults to
    ``out/manifest.json`` if there is one, plus each run's seed and replications.
    Returns the path of the report.
    """
    folder = Path(out)
    pairs = list(runs.items()) if isinstance(runs, Mapping) else list(runs)
    if manifest is None:
        found = folder / "manifest.json"
        manifest = json.loads(found.read_text(encoding="utf-8")) if found.exists() else {}
        manifest = {**manifest, "runs": {
            name: {"root_seed": getattr(run, "seed", None),
                   "replications": list(getattr(run, "replications", ()))}
            for name, run in pairs}}
    return write_report(folder / "report.html", pairs, comparison=comparison, sweep=sweep,
                        community=_shared_community(pairs, maps), manifest=manifest, lang=lang,
                        plots_dir=folder / "plots", paired=paired, break_even=break_even,
                        pool=pool)
