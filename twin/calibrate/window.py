"""The observation window of a tickets file: its length, and tickets far from the rest.

Rates are tickets divided by the window's length, so a single mistyped year
(``0001-03-04``) stretches the window and dilutes every rate. Two guards:

- a window longer than ``MAX_WINDOW_YEARS`` is refused, naming the rows far
  from the others (or the option that makes it long);
- otherwise, an empty stretch of the window longer than
  ``max(MIN_GAP_DAYS, GAP_FACTOR x the typical gap between tickets)`` gives a
  warning naming the tickets outside the densest part, with the ``--start`` and
  ``--end`` that would keep only that part. The typical gap is the mean gap in
  the middle half of the tickets (their interquartile range over the tickets
  in it), which a few outlying tickets do not move.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from twin.scenario import Problem
from twin.scenario.limits import MAX_WINDOW_YEARS

HOURS_PER_YEAR = 365.25 * 24
MAX_WINDOW_HOURS = MAX_WINDOW_YEARS * HOURS_PER_YEAR
MIN_GAP_DAYS = 30.0
"""Shortest empty stretch that is warned about [days]."""
GAP_FACTOR = 10.0
"""An empty stretch is warned about when this many typical gaps long (or MIN_GAP_DAYS)."""
ROWS_SHOWN = 3


TIME_FORMS = "e.g. 2024-03-01T08:15, 2024-03-01 08:15:00, 2024/3/1 8:15 or an Excel date number"
"""The time forms a tickets file may use, for messages."""
EXCEL_EPOCH = datetime(1899, 12, 30)
"""Day 0 of Excel's serial dates (the 1900 system, counting its 1900-02-29)."""
MIN_SERIAL = 18_264.0
"""Earliest Excel date number read as a date, 1950-01-01 [days since EXCEL_EPOCH]: a
smaller number (a year, an id) is more likely a slip than a date."""
MAX_SERIAL = 2_958_465.0
"""Excel's last date, 9999-12-31 [days since EXCEL_EPOCH]."""
_LOOSE = re.compile(
    r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    r"(?:(?:[ T]+|日)(\d{1,2})[:：](\d{2})(?:[:：](\d{2})(?:\.(\d{1,6}))?)?)?")
_SERIAL = re.compile(r"\d{1,7}(?:\.\d+)?")


def parse_time(text: str) -> float | None:
    """Hours since 1970-01-01 00:00 of a time, read as local wall-clock time; None if
    ``text`` is not one.

    Accepted: ISO 8601 (a UTC offset, if written, is dropped); the same with
    ``/`` or ``.`` between unpadded date parts (``2024/3/4 8:05``, also
    ``2024年3月4日 8:05``); and an Excel serial date (days since 1899-12-30, the
    fraction the time of day), as a cell without date format gives it, from
    1950-01-01 on.

    >>> parse_time("2024/3/4 8:05") == parse_time("45355.3368055556")
    True
    """
    text = text.strip()
    stamp: datetime | None
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        stamp = _loose(text)
    if stamp is None:
        return None
    return (stamp.replace(tzinfo=None) - datetime(1970, 1, 1)).total_seconds() / 3600.0


def _loose(text: str) -> datetime | None:
    """A slash, dot or Chinese date with an optional time, or an Excel serial date."""
    if _SERIAL.fullmatch(text):
        days = float(text)
        if not MIN_SERIAL <= days <= MAX_SERIAL:
            return None
        # to the nearest millisecond, so 8:05 stored as a binary fraction reads 8:05
        return EXCEL_EPOCH + timedelta(milliseconds=round(days * 86_400_000))
    found = _LOOSE.fullmatch(text)
    if found is None:
        return None
    y, mo, d, h, mi, s, frac = found.groups()
    try:
        return datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0),
                        int((frac or "0").ljust(6, "0")))
    except ValueError:
        return None


def format_time(hours: float) -> str:
    """ISO 8601 text of hours since 1970-01-01 (to the minute)."""
    stamp = np.datetime64("1970-01-01T00:00") + np.timedelta64(int(round(hours * 60)), "m")
    return str(stamp)


@dataclass(frozen=True)
class Stamps:
    """The report times of the good rows of a tickets file, with where they are."""

    source: str
    """The CSV file."""
    hours: np.ndarray
    """Report time [h since 1970-01-01]."""
    lines: np.ndarray
    """Line of each row in the file."""
    texts: list[str]
    """Each time as written."""


def gap_limit(sorted_hours: np.ndarray) -> float:
    """Longest empty stretch [h] taken as a normal part of the data:
    ``max(MIN_GAP_DAYS, GAP_FACTOR x the mean gap in the middle half of the tickets)``."""
    n = len(sorted_hours)
    if n < 2:
        return math.inf
    q25, q75 = np.percentile(sorted_hours, [25, 75])
    return max(MIN_GAP_DAYS * 24.0, GAP_FACTOR * float(q75 - q25) / (n / 2))


def dense_span(sorted_hours: np.ndarray, limit: float) -> tuple[int, int]:
    """First and last index of the largest run of tickets with no gap above ``limit``
    (the latest such run on a tie)."""
    n = len(sorted_hours)
    cuts = np.flatnonzero(np.diff(sorted_hours) > limit)
    starts, ends = np.r_[0, cuts + 1], np.r_[cuts, n - 1]
    sizes = (ends - starts)[::-1]
    k = len(starts) - 1 - int(np.argmax(sizes))
    return int(starts[k]), int(ends[k])


def window(stamps: Stamps, start: float | None, end: float | None
           ) -> tuple[float, float, list[Problem]]:
    """The window [h]: ``start``/``end`` or the first/last ticket, and the problems
    that stop it: empty, or longer than ``MAX_WINDOW_YEARS``."""
    hours = stamps.hours
    lo = float(hours.min()) if start is None else start
    hi = float(hours.max()) if end is None else end
    if hi <= lo:
        return lo, hi, [Problem(stamps.source, None, "timestamp", (
            f"the observation window is empty (from {format_time(lo)} to {format_time(hi)}); "
            "give tickets over a longer time or --start/--end"))]
    if hi - lo <= MAX_WINDOW_HOURS:
        return lo, hi, []
    return lo, hi, _too_long(stamps, start, end, hi - lo)


def span_problem(start: float, end: float) -> Problem | None:
    """A window from --start to --end longer than ``MAX_WINDOW_YEARS``."""
    if end - start <= MAX_WINDOW_HOURS:
        return None
    return Problem("command line", None, "--end", (
        f"the window from --start to --end spans {(end - start) / HOURS_PER_YEAR:,.1f} years, "
        f"more than the {MAX_WINDOW_YEARS} years twin calibrates at once; narrow it"))


def _inside(stamps: Stamps, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """Row indices inside [lo, hi] sorted by time, and their times."""
    rows = np.flatnonzero((stamps.hours >= lo) & (stamps.hours <= hi))
    rows = rows[np.argsort(stamps.hours[rows], kind="stable")]
    return rows, stamps.hours[rows]


def _too_long(stamps: Stamps, start: float | None, end: float | None,
              span: float) -> list[Problem]:
    bound = f"more than the {MAX_WINDOW_YEARS} years twin calibrates at once"
    if start is not None and end is not None:
        found = span_problem(start, end)
        return [found] if found is not None else []
    rows, t = _inside(stamps, -math.inf if start is None else start,
                      math.inf if end is None else end)
    i, j = dense_span(t, gap_limit(t))
    a, b = float(t[i]), float(t[j])
    far = np.sort(np.r_[rows[:i], rows[j + 1:]])
    problems = [Problem(stamps.source, int(stamps.lines[r]), "timestamp", (
        f"far from the other tickets ({format_time(a)} to {format_time(b)}); such rows "
        f"stretch the window to {span / HOURS_PER_YEAR:,.0f} years, {bound}: correct the "
        f"row, or calibrate on the others with {_suggest(a, b)} (got {stamps.texts[r]!r})"))
        for r in far]
    lo, hi = a if start is None else start, b if end is None else end
    if hi - lo > MAX_WINDOW_HOURS:
        years = f"{(hi - lo) / HOURS_PER_YEAR:,.1f} years"
        if start is not None:
            problems.append(Problem("command line", None, "--start", (
                f"the window from --start to the last ticket ({format_time(b)}) spans "
                f"{years}, {bound}; give a later --start, or an --end")))
        elif end is not None:
            problems.append(Problem("command line", None, "--end", (
                f"the window from the first ticket ({format_time(a)}) to --end spans "
                f"{years}, {bound}; give an earlier --end, or a --start")))
        else:
            first, last = int(stamps.lines[rows[i]]), int(stamps.lines[rows[j]])
            problems.append(Problem(stamps.source, first, "timestamp", (
                f"the tickets span {years}, from {format_time(a)} (line {first}) to "
                f"{format_time(b)} (line {last}), {bound}: calibrate a part of them with "
                "--start/--end")))
    return problems


def coverage_warning(stamps: Stamps, lo: float, hi: float) -> str | None:
    """A warning when the window has an empty stretch longer than the gap limit,
    naming the tickets outside its densest part; None when it has none."""
    rows, t = _inside(stamps, lo, hi)
    if len(t) < 2:
        return None
    limit = gap_limit(t)
    edges = np.r_[lo, t, hi]
    empty = [(float(x), float(y)) for x, y in zip(edges[:-1], edges[1:], strict=True)
             if y - x > limit]
    if not empty:
        return None
    i, j = dense_span(t, limit)
    a, b = float(t[i]), float(t[j])
    far = np.sort(np.r_[rows[:i], rows[j + 1:]])
    share = (b - a) / (hi - lo)
    parts = []
    if len(far):
        shown = ", ".join(f"{stamps.source}:{int(stamps.lines[r])} ({stamps.texts[r]})"
                          for r in far[:ROWS_SHOWN])
        more = f" and {len(far) - ROWS_SHOWN:,} more" if len(far) > ROWS_SHOWN else ""
        parts.append(f"{len(far):,} ticket{'s lie' if len(far) > 1 else ' lies'} more than "
                     f"{limit / 24:,.0f} days from the others ({format_time(a)} to "
                     f"{format_time(b)}): {shown}{more}")
    longest = sorted(empty, key=lambda e: e[0] - e[1])[:ROWS_SHOWN]
    parts.append("no tickets from " + ", from ".join(
        f"{format_time(x)} to {format_time(y)} ({(y - x) / 24:,.1f} days)"
        for x, y in sorted(longest)))
    return (f"the window ({(hi - lo) / 24:,.1f} days) has long stretches without tickets; "
            f"its densest part covers {share:.1%} of it: " + "; ".join(parts)
            + ". Rates are averaged over the whole window, so they come out too low: "
            + ("check these rows, or " if len(far) else "if the log does not cover all "
               "of the window, ") + f"calibrate on the dense part with {_suggest(a, b)}")


def _suggest(a: float, b: float) -> str:
    """Options for a window of whole days around the tickets from ``a`` to ``b`` [h]."""
    first, last = math.floor(a / 24) * 24, math.ceil(b / 24) * 24
    return f"--start {format_time(first)[:10]} --end {format_time(last)[:10]}"
