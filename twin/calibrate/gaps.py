"""Declared gaps: times the tickets log has no records for (``--gaps``).

A log exported without weekends, or with a week missing, has no tickets there
because nothing was recorded, not because nothing happened. A declared gap
is left out of the exposure time the rates are divided by, out of the
goodness-of-fit tests and out of the candidate-event scan, so it is not read
as zero demand. A weekday never observed gets multiplier 1 (the rate of the
observed days carries over).

Forms (each ``--gaps`` value may list several, separated by commas):

- ``2024-03-09..2024-03-10``: whole days, both included;
- ``2024-03-09``: one whole day;
- ``2024-03-09T12:00..2024-03-09T18:00``: from one time to another (end excluded);
- ``sat``, ``saturday``, ``周六``, ``星期六``: a weekday on every week of the window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from twin.calibrate.rates import DAYS, HOURS, exposure, weekday_hour
from twin.calibrate.window import format_time, parse_time
from twin.scenario import Problem

_DAY_NAMES = (
    ("mon", "monday", "周一", "星期一"),
    ("tue", "tuesday", "周二", "星期二"),
    ("wed", "wednesday", "周三", "星期三"),
    ("thu", "thursday", "周四", "星期四"),
    ("fri", "friday", "周五", "星期五"),
    ("sat", "saturday", "周六", "星期六"),
    ("sun", "sunday", "周日", "星期日", "周天", "星期天"),
)
WEEKDAY_OF = {name: day for day, names in enumerate(_DAY_NAMES) for name in names}
_DATE_ONLY = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}")
FORMS = ("a date range 2024-03-09..2024-03-10 (both days included), a date, a time range "
         "2024-03-09T12:00..2024-03-09T18:00, or weekdays such as sat,sun")


@dataclass(frozen=True)
class Gaps:
    """Declared times without records."""

    spans: tuple[tuple[float, float], ...] = ()
    """[start, end) [h since 1970-01-01], sorted and not overlapping."""
    weekdays: frozenset[int] = frozenset()
    """Weekdays without records on every week (Monday 0)."""
    texts: tuple[str, ...] = ()
    """The gaps as given."""

    def __bool__(self) -> bool:
        return bool(self.spans or self.weekdays)

    def open_fraction(self, slots: np.ndarray) -> np.ndarray:
        """The part of each clock hour ``[s, s + 1)`` outside every gap (0 to 1)."""
        open_ = np.ones(len(slots))
        for a, b in self.spans:
            open_ -= np.clip(np.minimum(slots + 1, b) - np.maximum(slots, a), 0.0, 1.0)
        if self.weekdays:
            day, _ = weekday_hour(slots)
            open_[np.isin(day, list(self.weekdays))] = 0.0
        return np.clip(open_, 0.0, 1.0)

    def covers(self, hours: np.ndarray) -> np.ndarray:
        """Which times fall inside a gap."""
        inside = np.zeros(len(hours), bool)
        for a, b in self.spans:
            inside |= (hours >= a) & (hours < b)
        if self.weekdays:
            day, _ = weekday_hour(hours)
            inside |= np.isin(day, list(self.weekdays))
        return inside

    def remove_from(self, table: np.ndarray, start: float, end: float) -> np.ndarray:
        """An exposure table (7, 24) of the window [start, end] without the gaps."""
        out = table.copy()
        for a, b in self.spans:
            lo, hi = max(a, start), min(b, end)
            if hi > lo:
                out -= exposure(lo, hi)
        out[list(self.weekdays)] = 0.0
        return np.clip(out, 0.0, None)

    def describe(self) -> str:
        """The gaps as given, for the summary and the output file."""
        return ", ".join(self.texts)


def parse_gaps(values: list[str]) -> tuple[Gaps, list[Problem]]:
    """The gaps of the ``--gaps`` values, and a problem for every one not understood."""
    spans: list[tuple[float, float]] = []
    weekdays: set[int] = set()
    texts: list[str] = []
    problems: list[Problem] = []
    for value in values:
        for part in (p.strip() for p in value.split(",")):
            if not part:
                continue
            texts.append(part)
            if part.casefold() in WEEKDAY_OF:
                weekdays.add(WEEKDAY_OF[part.casefold()])
                continue
            span = _span(part)
            if isinstance(span, str):
                problems.append(Problem("command line", None, "--gaps",
                                        f"{span}; allowed: {FORMS} (got {part!r})"))
            else:
                spans.append(span)
    if len(weekdays) == DAYS:
        problems.append(Problem("command line", None, "--gaps", (
            "every weekday is declared a gap; at least one must have records")))
    return Gaps(_merged(spans), frozenset(weekdays), tuple(texts)), problems


def _span(text: str) -> tuple[float, float] | str:
    first, sep, last = text.partition("..")
    last = last if sep else first
    lo, hi = parse_time(first), parse_time(last)
    if lo is None or hi is None:
        return f"not a time: {(first if lo is None else last).strip()!r}"
    if _DATE_ONLY.fullmatch(last.strip()):  # a date as the end: its whole day
        hi += HOURS
    if hi <= lo:
        return f"ends before it starts ({format_time(lo)} to {format_time(hi)})"
    return lo, hi


def _merged(spans: list[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    out: list[tuple[float, float]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(b, out[-1][1]))
        else:
            out.append((a, b))
    return tuple(out)
