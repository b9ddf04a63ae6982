"""When a person is on duty: the posts of shifts, the calendar's working days, and the
rota plans of a scenario (no map needed)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from twin.scenario.calendar import run_calendar
from twin.scenario.rotaplan import RotaPlans, merge
from twin.scenario.schema import WEEKDAYS, Scenario, Shift
from twin.vocab import MINUTES_PER_DAY


def _clock(text: str) -> float:
    h, m = text.split(":")
    return int(h) * 60.0 + int(m)


def duty_intervals(shifts: list[Shift], horizon: float,
                   working_day: Callable[[int], bool] | None = None
                   ) -> list[tuple[float, float]]:
    """On-duty intervals over [0, horizon] of someone working ``shifts``, merged.
    ``working_day(d)`` says whether day d is a working day of the calendar (for shifts
    on `workdays` or `restdays`; the day before the run counts as a weekday)."""
    spans: list[tuple[float, float]] = []
    n_days = int(np.ceil(horizon / MINUTES_PER_DAY)) + 1
    for day in range(-1, n_days):
        weekday = WEEKDAYS[day % 7]
        works = (working_day(day) if working_day is not None and day >= 0
                 else day % 7 < 5)
        for shift in shifts:
            if not (weekday in shift.days or ("workdays" if works else "restdays")
                    in shift.days):
                continue
            start, end = _clock(shift.start), _clock(shift.end)
            if end <= start:
                end += MINUTES_PER_DAY
            s, e = day * MINUTES_PER_DAY + start, day * MINUTES_PER_DAY + end
            if e > 0 and s < horizon:
                spans.append((max(s, 0.0), min(e, horizon)))
    return merge(spans)


def working_days(scenario: Scenario) -> Callable[[int], bool] | None:
    """Whether day d of the run is a working day of its calendar (after the run: Monday to
    Friday), or None without a calendar."""
    if scenario.calendar is None:
        return None
    calendar = run_calendar(scenario.calendar, scenario.run.horizon_days, [])

    def working(day: int) -> bool:
        return calendar.is_working_day(day) if day < calendar.total_days else day % 7 < 5
    return working


def rota_plans(scenario: Scenario) -> RotaPlans:
    """An empty store of the rota plans of ``scenario`` (its horizon and calendar), to
    share between :func:`build_staffing` and :func:`twin.headcount.headcount`."""
    plans = RotaPlans(scenario.run.horizon_days * MINUTES_PER_DAY, working_days(scenario))
    plans.made_for = _plan_key(scenario)
    return plans


def checked_plans(plans: RotaPlans | None, scenario: Scenario) -> RotaPlans:
    """``plans`` if they were made for ``scenario``'s horizon and calendar (new ones if
    None); a ValueError if not, rather than people planned for another run."""
    if plans is None:
        return rota_plans(scenario)
    if plans.made_for != _plan_key(scenario):
        raise ValueError("these rota plans were made for another horizon or calendar: "
                         "make them with rota_plans(scenario) of this scenario")
    return plans


def _plan_key(scenario: Scenario) -> str:
    calendar = scenario.calendar.model_dump_json() if scenario.calendar is not None else ""
    return f"{scenario.run.horizon_days!r}|{calendar}"
