"""Working periods (shifts) of staff, repeated on given weekdays.

Times of day are ``HH:MM``; an end before the start runs past midnight.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field

from twin.scenario.base import Found, Strict
from twin.vocab import WEEKDAYS as WEEKDAYS

CALENDAR_DAYS = ("workdays", "restdays")
"""Days of a shift read from the scenario's calendar: its working days, or the others."""
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class Shift(Strict):
    """A working period repeated on the given weekdays."""

    start: str = "00:00"
    """Start time of day, HH:MM."""
    end: str = "24:00"
    """End time of day, HH:MM; an end before the start runs past midnight."""
    days: list[str] = Field(default_factory=lambda: list(WEEKDAYS))
    """Days on which the shift starts: weekdays (mon, tue, wed, thu, fri, sat, sun),
    or, with a `calendar`, `workdays` (the calendar's working days: not on public
    holidays, and on swapped working days) and `restdays` (the others: duty cover)."""

    def _check_clock(self, raw: dict[str, Any]) -> Found:
        for key in ("start", "end"):
            v = getattr(self, key, None)
            if isinstance(v, str) and v != "24:00" and not _CLOCK.match(v):
                yield (key,), f"must be a time of day HH:MM from 00:00 to 24:00 (got {v!r})"

    def _check_days(self, raw: dict[str, Any]) -> Found:
        for i, day in enumerate(self.days):
            if day not in WEEKDAYS and day not in CALENDAR_DAYS:
                yield ("days", i), (f"unknown day {day!r}; allowed: {', '.join(WEEKDAYS)}, "
                                    f"{', '.join(CALENDAR_DAYS)} (with a calendar)")

    def _check_nonempty(self, raw: dict[str, Any]) -> Found:
        if self.start == self.end:
            yield ("end",), f"equals start ({self.start}): the shift would be empty"
