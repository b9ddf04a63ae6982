"""Dated events: a rainy season, a typhoon, a holiday rush, an epidemic lockdown.

From its first day to its last (both included), an event may

* multiply the arrival rates of chosen categories (``multiplier``, ``categories``);
* bring temporary categories that arrive only during it (``adds``: e.g. deliveries
  to households under lockdown); they are ordinary categories of ``demand`` whose
  rates are zero outside every event that adds them;
* change time limits (``limits``): a request of a named category received on the
  event's days gets the event's limit instead of its own (a work order's closing
  limit, a case's limit);
* change staff (``staff``): each unit of a pool has that many staff more or fewer
  on duty on the event's days (staff redeployed to the community, 下沉, or away).

Events need the scenario's ``calendar`` (their dates must fall in the run).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from twin.scenario.base import Found, Strict, parts_problems
from twin.scenario.calendar import Limit, limit_problems, parse_limit
from twin.scenario.orders import CENTRE_UNIT


class EventSpec(Strict):
    """A dated event: from one day to another, arrivals, time limits or staff change."""

    name: str = Field(min_length=1)
    """What it is (e.g. `rainy season`), unique among the events."""
    start: dt.date
    """Its first day (YYYY-MM-DD)."""
    end: dt.date
    """Its last day, included (YYYY-MM-DD)."""
    multiplier: float = Field(default=1.0, ge=0, le=1000)
    """Factor on the arrival rates of its `categories` on those days (0: none arrive)."""
    categories: list[str] | None = Field(default=None, min_length=1)
    """The categories its multiplier changes; absent: every category."""
    adds: list[str] = Field(default_factory=list)
    """Temporary categories (of `demand.categories`) that arrive only on the days of the
    events that add them, at their own rates (times the multiplier if it names them)."""
    limits: dict[str, float | str] = Field(default_factory=dict)
    """Per category, the time limit of its requests received on the event's days, in
    place of its own (a work order's flow `limit`, a case's `limit`): minutes or a text
    such as `5 working days`."""
    staff: dict[str, int] = Field(default_factory=dict)
    """Per pool (`grid_worker`, a handling unit's name, `command_centre`), staff more (+) or
    fewer (−) on duty in each of its units on the event's days."""

    def _check_order(self, raw: dict[str, Any]) -> Found:
        if self.end < self.start:
            yield ("end",), f"must not be before start ({self.start}) (got {self.end})"

    def _check_staff(self, raw: dict[str, Any]) -> Found:
        for pool, change in self.staff.items():
            if change == 0:
                yield ("staff", pool), "must be a change: a whole number other than 0"

    def days(self, first: dt.date, days: int) -> NDArray[np.bool_]:
        """Per day of a run starting on ``first``: whether the event is on."""
        dates = np.array([first + dt.timedelta(days=d) for d in range(days)])
        return (dates >= self.start) & (dates <= self.end)

    def factor(self, first: dt.date, days: int) -> NDArray[np.float64]:
        """Per day of a run starting on ``first``: its multiplier on its days, else 1."""
        return np.where(self.days(first, days), self.multiplier, 1.0)

    def limit_of(self, category: str) -> Limit | None:
        """The limit it sets for ``category`` (None: it sets none)."""
        if category not in self.limits:
            return None
        parsed = parse_limit(self.limits[category])
        return parsed if isinstance(parsed, Limit) else None


def event_problems(scenario: Any, raw: dict[str, Any]) -> Found:
    """Problems of events that need the whole scenario: no calendar, dates outside the
    run, unknown categories or pools, limits for disputes, staff below none. Each part is
    skipped when a field it needs is itself invalid (and reported where it is)."""
    yield from parts_problems((_dates, _categories, _all_temporary, _limits, _staff),
                              scenario, raw)


def _dates(scenario: Any, raw: dict[str, Any]) -> Found:
    events = raw.get("events") or []
    if events and raw.get("calendar") is None:
        for e in range(len(events)):
            yield ("events", e), "a dated event needs a `calendar` section (its start date)"
        return
    first = scenario.calendar.start
    last = first + dt.timedelta(days=math.ceil(scenario.run.horizon_days) - 1)
    for e, event in enumerate(scenario.events):
        if event.end < first or event.start > last:
            yield ("events", e), (f"{event.start} to {event.end} lies outside the run "
                                  f"({first} to {last})")


def _categories(scenario: Any, raw: dict[str, Any]) -> Found:
    names = [c.name for c in scenario.demand.categories]
    for e, event in enumerate(raw.get("events") or []):
        for key in ("categories", "adds"):
            for i, name in enumerate(event.get(key) or []):
                if name not in names:
                    yield ("events", e, key, i), (
                        f"no such category {name!r}; known: {', '.join(names)}")


def _all_temporary(scenario: Any, raw: dict[str, Any]) -> Found:
    names = [c.name for c in scenario.demand.categories]
    added = {name for event in raw.get("events") or [] if isinstance(event, dict)
             for name in event.get("adds") or [] if isinstance(name, str)}
    if names and set(names) <= added:
        yield ("events",), ("every category is temporary (listed in an event's `adds`); "
                            "keep at least one that arrives all the time")


def _limits(scenario: Any, raw: dict[str, Any]) -> Found:
    cats = {c.name: c for c in scenario.demand.categories}
    calendar = raw.get("calendar") is not None
    for e, event in enumerate(raw.get("events") or []):
        for name, value in (event.get("limits") or {}).items():
            key = ("events", e, "limits", name)
            if name not in cats:
                yield key, f"no such category {name!r}; known: {', '.join(cats)}"
            elif cats[name].dispute is not None:
                yield key, ("a dispute has no time limit (it is settled over sessions weeks "
                            "apart); name a work order or a case")
            else:
                yield from limit_problems(value, key, calendar)


def _staff(scenario: Any, raw: dict[str, Any]) -> Found:
    pools = staff_pools(scenario)
    for e, event in enumerate(raw.get("events") or []):
        for pool, change in (event.get("staff") or {}).items():
            key = ("events", e, "staff", pool)
            if pool not in pools:
                yield key, f"no such pool {pool!r}; known: {', '.join(pools)}"
            elif isinstance(change, int) and change < -pools[pool]:
                yield key, (f"{pool} has {pools[pool]} staff per unit; it cannot lose "
                            f"{-change}")


def staff_pools(scenario: Any) -> dict[str, int]:
    """Pools an event may change, with their staff per unit (the smallest, when grids
    differ)."""
    work = scenario.workforce
    per_grid = [work.per_grid] + [g.workers for g in (work.grids or {}).values()
                                  if getattr(g, "workers", None) is not None]
    pools = {"grid_worker": min(per_grid)}
    orders = scenario.work_orders
    if orders is not None:
        pools.update({u.name: u.staff for u in orders.units})
        if orders.centre is not None:
            pools[CENTRE_UNIT] = orders.centre.staff
    return pools


def temporary_categories(scenario: Any) -> set[str]:
    """Names of the categories some event adds (they arrive only during such events)."""
    return {name for event in scenario.events for name in event.adds}


def event_limits(scenario: Any) -> list[Limit]:
    """Every limit the events set (to size the working calendar)."""
    return [lim for event in scenario.events for name in event.limits
            if (lim := event.limit_of(name)) is not None]


Prefix = tuple[str | int, ...]


def hoist_event_categories(data: Any) -> tuple[Any, dict[Prefix, Prefix]]:
    """Plain scenario data with every category written in full in an event's `adds`
    moved to the end of `demand.categories` (the event keeps its name), and where each
    came from: ``{("demand", "categories", k): ("events", e, "adds", j)}``, so that a
    problem in it is reported where it was written. A file that extends the baseline
    can so bring a temporary category without restating the baseline's list."""
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        return data, {}
    demand = data.get("demand")
    if not isinstance(demand, dict) or not isinstance(demand.get("categories"), list):
        return data, {}
    cats, events = list(demand["categories"]), []
    alias: dict[Prefix, Prefix] = {}
    for e, event in enumerate(data["events"]):
        if isinstance(event, dict) and isinstance(event.get("adds"), list):
            names: list[Any] = []
            for j, item in enumerate(event["adds"]):
                if isinstance(item, dict):
                    alias[("demand", "categories", len(cats))] = ("events", e, "adds", j)
                    cats.append(item)
                    names.append(item.get("name", f"(item {j} has no name)"))
                else:
                    names.append(item)
            event = {**event, "adds": names}
        events.append(event)
    if not alias:
        return data, {}
    return {**data, "demand": {**demand, "categories": cats}, "events": events}, alias
