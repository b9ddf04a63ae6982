"""How KPI numbers are written: one rule for the terminal, the report and the sheets.

- a count (a KPI whose catalogue unit counts things) as an integer: ``1,234``;
- a share as a percentage with one decimal, ``87.5%``, and its interval clipped
  to [0, 100%]; a difference of shares in percentage points, ``+2.5 pp``;
- the interval of a time, a count, a cost or any other KPI that cannot be
  negative clipped at 0 (a t-interval over few replications can reach below);
- any other number with three significant digits and no trailing zeros, ``61.6``,
  ``0.447``, ``0.1``, with thousands separators from 1,000 on: ``12,345``;
- a relative change as a signed percentage, ``-12.3%``;
- an interval of a value as ``927 – 1,007``; of a difference or a relative
  change, whose ends carry signs, as ``[-23.7, -11.8]``;
- a missing value as ``–``.
"""

from __future__ import annotations

import math
from typing import Any

from twin.metrics.catalogue import COUNT_UNITS, is_share, kpi_spec

MISSING = "–"


def _number(value: Any) -> float | None:
    """A finite float, or None for a missing value."""
    if value is None or isinstance(value, str):
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _whole(x: float) -> int:
    """Rounded half up (12.5 -> 13, where format() would round to even: 12)."""
    return math.floor(x + 0.5)


def is_count(kpi: str) -> bool:
    """Whether a KPI counts things (issues, orders, …): written as an integer. A
    time-average level (``mean_waiting``) is counted in issues but is no count."""
    spec = kpi_spec(kpi)
    return spec is not None and spec.unit in COUNT_UNITS and not spec.name.startswith("mean_")


NONNEGATIVE_UNITS = (*COUNT_UNITS, "min", "yuan", "per 100 issues", "FTE", "hours/day",
                     "steps", "sessions")
"""Catalogue units of KPIs that cannot be negative (every one a KPI has)."""


def nonnegative(kpi: str) -> bool:
    """Whether a KPI cannot be negative (its interval is shown from 0 at least)."""
    spec = kpi_spec(kpi)
    return spec is not None and spec.unit in NONNEGATIVE_UNITS


def plain(value: Any, sign: bool = False) -> str:
    """A number with three significant digits (``+`` on positives with ``sign``)."""
    v = _number(value)
    if v is None:
        return MISSING
    if math.isinf(v):
        return ("+" if sign and v > 0 else "") + ("∞" if v > 0 else "-∞")
    plus = "+" if sign and v > 0 else ""
    if abs(v) >= 1000:
        return f"{plus}{v:,.0f}"
    if v == 0:
        return "0"
    digits = min(6, max(0, 2 - math.floor(math.log10(abs(v)))))  # float noise reads 0
    text = f"{v:.{digits}f}"
    if "." in text:  # 0.100 -> 0.1, as %g writes it
        text = text.rstrip("0").rstrip(".")
    if float(text) == 0:
        return "0"
    return plus + text


def value(v: Any, kpi: str = "") -> str:
    """A KPI's value (a mean or an interval's end)."""
    x = _number(v)
    if x is None:
        return MISSING
    if is_share(kpi):
        return f"{min(1.0, max(0.0, x)) * 100:.1f}%"
    if nonnegative(kpi):
        x = max(0.0, x)
    if is_count(kpi) and math.isfinite(x):
        return f"{_whole(x):,d}"
    return plain(x)


def diff(v: Any, kpi: str = "") -> str:
    """A difference of a KPI (signed): shares in percentage points."""
    x = _number(v)
    if x is None:
        return MISSING
    if is_share(kpi):
        return f"{x * 100:+.1f} pp"
    if is_count(kpi) and math.isfinite(x):
        return f"{_whole(x):+,d}" if _whole(x) else "0"
    return plain(x, sign=True)


def pct(v: Any) -> str:
    """A relative change (0.1 -> ``+10.0%``)."""
    x = _number(v)
    if x is None or math.isinf(x):
        return MISSING
    return f"{x * 100:+.1f}%"


def interval(low: Any, high: Any, kpi: str = "", *, of_diff: bool = False,
             relative: bool = False) -> str:
    """An interval: of a value ``low – high``; of a difference or a relative change,
    whose ends carry signs, ``[low, high]``."""
    if _number(low) is None or _number(high) is None:
        return MISSING
    if relative:
        return f"[{pct(low)}, {pct(high)}]"
    if of_diff:
        return f"[{diff(low, kpi)}, {diff(high, kpi)}]"
    return f"{value(low, kpi)} – {value(high, kpi)}"


def half_width(mean: Any, low: Any, high: Any, kpi: str = "", *, of_diff: bool = False) -> str:
    """``mean ± half-width`` of an interval for a narrow table; a share's interval
    that a bound clips is written whole: ``98.0% (95.0% – 100.0%)``."""
    m, lo, hi = _number(mean), _number(low), _number(high)
    first = diff(mean, kpi) if of_diff else value(mean, kpi)
    if m is None or lo is None or hi is None:
        return first
    half = (hi - lo) / 2
    if is_share(kpi):
        if not of_diff and (lo < 0 or hi > 1):
            return f"{first} ({interval(lo, hi, kpi)})"
        return f"{first} ± {half * 100:.1f} pp"
    if not of_diff and lo < 0 and nonnegative(kpi):  # the possible part, written whole
        return f"{first} ({interval(lo, hi, kpi)})"
    if is_count(kpi) and math.isfinite(half):
        return f"{first} ± {_whole(half):,d}"
    return f"{first} ± {plain(half)}"
