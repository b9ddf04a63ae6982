"""Fit diagnostics as rich tables: rates with intervals, profiles, colours, on-site times.

Nothing here prints; the command line decides where the tables go.
"""

from __future__ import annotations

import math

import numpy as np
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from twin.calibrate.events import EventScan
from twin.calibrate.model import Calibration
from twin.calibrate.rates import FitTest, Profile
from twin.calibrate.tickets import format_time
from twin.scenario.schema import COLOURS

BARS = "▁▂▃▄▅▆▇█"
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def sparkline(values: np.ndarray) -> str:
    """One block character per value, scaled to the largest."""
    top = float(np.max(values)) if len(values) else 0.0
    if top <= 0:
        return BARS[0] * len(values)
    return "".join(BARS[min(len(BARS) - 1, int(v / top * (len(BARS) - 1) + 0.5))]
                   for v in values)


def _num(x: float) -> str:
    if not math.isfinite(x):
        return "-"
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def _p(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "-"
    return f"{x:.3f}" if x >= 0.001 else "<0.001"


def _test(test: FitTest) -> str:
    left = f" ({test.rows_left_out} rows < 5 expected left out)" if test.rows_left_out else ""
    if test.df <= 0:
        # one bin (or none) means too few tickets, not a perfect fit
        return ("exact by construction" if test.bins > 1 else "no test: too few tickets") + left
    return f"X²={test.statistic:.1f} df={test.df} p={_p(test.p_value)}{left}"


def summary(cal: Calibration) -> str:
    """One paragraph: the file, the window and the counts."""
    t = cal.tickets
    days = (t.end - t.start) / 24.0
    left = f"; {t.outside} outside the window left out" if t.outside else ""
    grids = f"{len(t.grids)} grids" + (f" from {t.grids_source}" if t.grids_source else "")
    gaps = f"; declared gaps without records: {t.gaps.describe()}" if t.gaps else ""
    return (f"{t.source} (read as {t.encoding}): {len(t)} tickets of {t.rows}{left}; window "
            f"{format_time(t.start)} to {format_time(t.end)} ({days:.2f} days, "
            f"{days / 7:.2f} weeks){gaps}; {grids}; {len(t.categories)} categories")


def rate_table(cal: Calibration) -> Table:
    """Average rate per grid and category over the week, with 95% exact intervals."""
    table = Table(title="Average rate per hour over the week, 95% exact Poisson CI",
                  title_justify="left")
    table.add_column("grid")
    for fit in cal.categories:
        table.add_column(escape(fit.name), justify="right")
    for g, name in enumerate(cal.tickets.grids):
        cells = [f"{_num(f.rates[g])} ({_num(f.rate_ci[g, 0])}–{_num(f.rate_ci[g, 1])})"
                 f" n={int(f.by_grid[g])}" for f in cal.categories]
        table.add_row(escape(name), *cells)
    table.add_section()
    table.add_row("grids equal: p", *[_p(f.p_equal) for f in cal.categories])
    if cal.tickets.residents is not None:
        table.add_row("∝ residents: p", *[_p(f.p_residents) for f in cal.categories])
    written = []
    for f in cal.categories:
        unit = "/grid" if f.form == "rate_per_hour" else "/1,000 res."
        low, high = f.value_ci
        written.append(f"{_num(f.value)}{unit} ({_num(low)}–{_num(high)})")
    table.add_row("written", *written)
    return table


def profile_table(cal: Calibration) -> Table:
    """Hour and weekday multipliers as sparklines, with goodness-of-fit tests."""
    table = Table(title="Profiles (mean 1) and chi-square goodness of fit of hour-of-day "
                        "counts", title_justify="left")
    for col in ("category", "profile", "hour 0–23", "Mon–Sun", "peak",
                "hour × grid", "hour × weekday"):
        table.add_column(col)
    rows: list[tuple[str, Profile, str, FitTest | None, FitTest | None]] = [
        ("(all pooled)", cal.pooled, "fitted", None, None)]
    rows += [(f.name, f.profile, "own" if f.own_profile else "pooled", f.hour_by_grid,
              f.hour_by_day) for f in cal.categories]
    for name, profile, kind, by_grid, by_day in rows:
        peak = int(np.argmax(profile.hour))
        table.add_row(escape(name), kind, sparkline(profile.hour), sparkline(profile.day),
                      f"{peak:02d}:00 ×{profile.hour[peak]:.2f}",
                      _test(by_grid) if by_grid else "", _test(by_day) if by_day else "")
    return table


def colour_table(cal: Calibration) -> Table | None:
    """Colour shares of the categories with graded tickets (written as a comment, for a
    dispute block), with counts and 95% Clopper-Pearson intervals of the raw share; None
    if no ticket is graded."""
    graded = [f for f in cal.categories
              if f.colours is not None and sum(f.colours.counts.values()) > 0]
    if not cal.tickets.has_colour or not graded:
        return None
    table = Table(title="Colour mix of graded tickets, for a dispute block: share (count, 95% "
                  "CI of the observed share)", title_justify="left")
    table.add_column("category")
    for colour in COLOURS:
        table.add_column(colour, justify="right")
    for f in graded:
        mix = f.colours
        assert mix is not None
        cells = []
        for colour in COLOURS:
            if colour not in mix.shares:
                cells.append("-")
                continue
            low, high = mix.ci[colour]
            cells.append(f"{mix.shares[colour]:.3f} (n={mix.counts[colour]}, "
                         f"{low:.3f}–{high:.3f})")
        table.add_row(escape(f.name), *cells)
    return table


def service_table(cal: Calibration) -> Table:
    """The on-site time distribution chosen per category and the AIC of each family."""
    table = Table(title=escape("On-site time [min]: maximum-likelihood fits, chosen by AIC"),
                  title_justify="left")
    for col in ("category", "n", "chosen", "mean", "sd", "AIC exponential", "AIC lognormal",
                "AIC gamma", "why"):
        table.add_column(col, justify="left" if col in ("category", "chosen", "why")
                         else "right")
    for f in cal.categories:
        spec = f.service.spec
        values = np.asarray(spec.get("values", []), dtype=float)
        mean = spec.get("mean", spec.get("value", float(values.mean()) if len(values) else
                                         math.nan))
        sd = spec.get("sd", math.nan)
        aic = f.service.aic
        table.add_row(escape(f.name), str(f.service.n), str(spec.get("distribution", "-")),
                      _num(float(mean)), _num(float(sd)),
                      *[_num(aic.get(k, math.nan)) for k in ("exponential", "lognormal",
                                                             "gamma")],
                      escape(f.service.reason))
    return table


def event_table(scan: EventScan) -> Table | str:
    """Candidate events (dates the model cannot explain), or one line saying none."""
    how = (f"exact two-sided tests per date and category, Benjamini-Hochberg at "
           f"{scan.alpha:.0%} over {scan.tests} tests on {scan.dates} dates")
    if not scan.events:
        return f"Candidate events: none found ({how})"
    level = f"{1 - scan.alpha:.0%}"
    table = Table(title=escape(f"Candidate events ({how}); commented out in the file written"),
                  title_justify="left")
    for col in ("dates", "days", "kind", "observed", "expected", f"ratio ({level} CI)",
                "multiplier", "categories", "p"):
        table.add_column(col, justify="right" if col in ("days", "observed", "expected",
                                                          "multiplier", "p") else "left")
    for e in scan.events:
        low, high = e.ratio_ci
        dates = str(e.start) if e.days == 1 else f"{e.start} to {e.end}"
        table.add_row(dates, str(e.days), e.direction, str(e.observed), _num(e.expected),
                      f"{_num(e.ratio)} ({_num(low)}–{_num(high)})", f"{e.multiplier:g}",
                      escape(", ".join(e.categories) if e.categories else "(all)"),
                      _p(e.p_value))
    return table


def warnings_of(cal: Calibration) -> list[Text]:
    """Every warning, file-wide first."""
    lines = [*cal.warnings, *[w for f in cal.categories for w in f.warnings]]
    return [Text(f"warning: {w}", style="yellow") for w in lines]
