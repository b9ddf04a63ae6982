"""Working calendars: limits in working time over weekends, holidays, 调休 and planners' dates.

The holiday facts used here are read from ``chinese_calendar`` in the tests themselves, so a
change in the package's data shows up as a failed fact, not as a puzzling number.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.worktime import (
    OFFICE_HOURS,
    CalendarError,
    OutOfRangeError,
    PeriodError,
    WorkCalendar,
    WorkingHours,
    YearNotCoveredError,
    official_years,
    parse_clock,
)

DAY = 1440.0
HOURS = WorkingHours.weekdays([("09:00", "12:00"), ("13:30", "17:30")])
"""Three hours in the morning, four in the afternoon: 420 working minutes a day."""
FULL_DAY = 420.0

D = dt.date
AUTUMN = WorkCalendar(D(2025, 9, 1), days=60, hours=HOURS)  # Monday 1 Sep 2025
SPRING = WorkCalendar(D(2026, 2, 2), days=60, hours=HOURS)  # Monday 2 Feb 2026
SUMMER = WorkCalendar(D(2025, 5, 26), days=14, hours=HOURS)  # Monday 26 May 2025
NIGHT = WorkCalendar(  # touching periods, across midnight too: merged into one interval
    D(2025, 9, 1),
    days=60,
    hours=WorkingHours.by_weekday(
        {
            "mon": [(0, 360), (1320, 1440)],
            "tue": [(0, 360), ("08:00", "08:30"), ("08:30", "12:00"), (1320, 1440)],
            "wed": [(0, 360.5)],
            "sat": [(600.25, 601.75)],
        },
        swap_weekday="tue",
    ),
)


def at(cal: WorkCalendar, date: dt.date, clock: str) -> float:
    """Sim time of ``date`` at ``clock``."""
    return cal.day_of(date) * DAY + parse_clock(clock)


def when(cal: WorkCalendar, t: float) -> tuple[dt.date, str]:
    """Date and HH:MM of sim time ``t`` (whole minutes)."""
    day, minute = divmod(round(t), 1440)
    return cal.date_of(day), f"{minute // 60:02d}:{minute % 60:02d}"


# ------------------------------------------------------------- the package's facts
def test_the_package_covers_the_years_used_here() -> None:
    years = official_years()
    assert years.start == 2004
    assert 2025 in years and 2026 in years


def test_national_day_2025_as_the_package_has_it() -> None:
    # Off: Wed 1 Oct to Wed 8 Oct (National Day with Mid-Autumn on Mon 6 Oct).
    # Swapped working days: Sun 28 Sep and Sat 11 Oct.
    worked = {d: chinese_calendar.is_workday(d) for d in (D(2025, 9, 26) + dt.timedelta(i)
                                                           for i in range(17))}
    off = {d for d, w in worked.items() if not w}
    assert off == {D(2025, 9, 27)} | {D(2025, 10, i) for i in range(1, 9)} | {D(2025, 10, 12)}
    assert set(chinese_calendar.workdays) >= {D(2025, 9, 28), D(2025, 10, 11)}
    # With Monday-to-Friday hours, the calendar agrees with the package on every day.
    for day in range(AUTUMN.total_days):
        assert AUTUMN.is_working_day(day) == chinese_calendar.is_workday(AUTUMN.date_of(day))


def test_spring_festival_2026_as_the_package_has_it() -> None:
    # Off: Sun 15 Feb to Mon 23 Feb; swapped working days: Sat 14 Feb and Sat 28 Feb.
    assert all(chinese_calendar.is_holiday(D(2026, 2, i)) for i in range(15, 24))
    assert chinese_calendar.is_workday(D(2026, 2, 14)) and D(2026, 2, 14).weekday() == 5
    assert chinese_calendar.is_workday(D(2026, 2, 28)) and D(2026, 2, 28).weekday() == 5
    assert chinese_calendar.is_workday(D(2026, 2, 24))


# ------------------------------------------------------------------ limits by hand
def test_four_working_hours_from_friday_17_00_before_national_day() -> None:
    # Fri 26 Sep 17:00-17:30 gives 30 min; Sat 27 Sep is off; Sun 28 Sep is a swapped
    # working day with Monday's hours: 09:00-12:00 gives 180 (210 so far), and the last
    # 30 min run 13:30-14:00. The limit ends on Sunday 28 Sep at 14:00.
    t = at(AUTUMN, D(2025, 9, 26), "17:00")
    assert when(AUTUMN, AUTUMN.add(t, 4 * 60)) == (D(2025, 9, 28), "14:00")


def test_four_working_hours_from_the_last_day_before_national_day() -> None:
    # Tue 30 Sep 17:00-17:30 gives 30 min; 1-8 Oct are off; Thu 9 Oct 09:00-12:00 gives 180
    # and 13:30-14:00 the last 30. The limit ends on Thursday 9 Oct at 14:00.
    t = at(AUTUMN, D(2025, 9, 30), "17:00")
    assert when(AUTUMN, AUTUMN.add(t, 240)) == (D(2025, 10, 9), "14:00")


def test_four_working_hours_from_friday_before_dragon_boat_2025() -> None:
    # Fri 30 May 17:00-17:30 gives 30; Sat 31 May to Mon 2 Jun are off (no swapped day);
    # Tue 3 Jun 09:00-12:00 and 13:30-14:00 give the other 210: Tuesday 3 Jun 14:00.
    assert not any(SUMMER.is_working_day(SUMMER.day_of(D(2025, 5, 31)) + i) for i in range(3))
    t = at(SUMMER, D(2025, 5, 30), "17:00")
    assert when(SUMMER, SUMMER.add(t, 240)) == (D(2025, 6, 3), "14:00")


def test_friday_before_spring_festival_2026() -> None:
    # Fri 13 Feb 17:00: 30 min that day, then Sat 14 Feb is worked (调休, Monday's hours).
    # 4 h: 30 + 180 (09:00-12:00) + 30 -> Saturday 14 Feb 14:00.
    # 8 h: 30 + 420 (all of Saturday) = 450; 15-23 Feb are off; Tue 24 Feb 09:00 + 30 -> 09:30.
    t = at(SPRING, D(2026, 2, 13), "17:00")
    assert when(SPRING, SPRING.add(t, 240)) == (D(2026, 2, 14), "14:00")
    assert when(SPRING, SPRING.add(t, 480)) == (D(2026, 2, 24), "09:30")


def test_holidays_and_swapped_days_move_working_time() -> None:
    def week(monday: dt.date) -> float:
        t0 = at(AUTUMN, monday, "00:00")
        return AUTUMN.working_minutes(t0, t0 + 7 * DAY)

    assert week(D(2025, 9, 15)) == 5 * FULL_DAY  # an ordinary week
    assert week(D(2025, 9, 22)) == 6 * FULL_DAY  # Mon-Fri and Sun 28 Sep (调休)
    assert week(D(2025, 9, 29)) == 2 * FULL_DAY  # Mon 29, Tue 30; 1-5 Oct off
    assert week(D(2025, 10, 6)) == 3 * FULL_DAY  # Thu 9, Fri 10, Sat 11 Oct (调休)
    t0, t1 = at(AUTUMN, D(2025, 10, 1), "00:00"), at(AUTUMN, D(2025, 10, 9), "00:00")
    assert AUTUMN.working_minutes(t0, t1) == 0.0


def test_working_days_across_national_day() -> None:
    # The day of receipt never counts; each limit ends at 17:30 on its working day.
    t = at(AUTUMN, D(2025, 9, 26), "10:00")  # Friday
    ends = [when(AUTUMN, AUTUMN.add_days(t, n)) for n in range(1, 8)]
    days = [D(2025, 9, 28), D(2025, 9, 29), D(2025, 9, 30), D(2025, 10, 9), D(2025, 10, 10),
            D(2025, 10, 11), D(2025, 10, 13)]
    assert ends == [(d, "17:30") for d in days]
    early = at(AUTUMN, D(2025, 9, 30), "08:00")  # before opening: the day still does not count
    assert when(AUTUMN, AUTUMN.add_days(early, 1)) == (D(2025, 10, 9), "17:30")
    on_holiday = at(AUTUMN, D(2025, 10, 4), "11:00")
    assert when(AUTUMN, AUTUMN.add_days(on_holiday, 1)) == (D(2025, 10, 9), "17:30")
    assert AUTUMN.add_days(t, 0) == t


def test_swapped_day_uses_the_chosen_weekday() -> None:
    hours = WorkingHours.by_weekday(
        {**{d: [("09:00", "12:00"), ("13:30", "17:30")] for d in ("mon", "tue", "wed", "thu")},
         "fri": [("09:00", "12:00")]},
        swap_weekday="fri",
    )
    cal = WorkCalendar(D(2025, 9, 22), days=14, hours=hours)
    sunday = cal.day_of(D(2025, 9, 28))
    assert cal.periods_of(sunday) == ((540.0, 720.0),)
    assert cal.working_minutes(sunday * DAY, (sunday + 1) * DAY) == 180.0
    assert AUTUMN.periods_of(AUTUMN.day_of(D(2025, 9, 28))) == HOURS.week[0]
    assert AUTUMN.periods_of(AUTUMN.day_of(D(2025, 10, 1))) == ()


def test_open_and_next_open() -> None:
    noon = at(AUTUMN, D(2025, 9, 26), "12:00")
    assert AUTUMN.is_open(noon - 1) and not AUTUMN.is_open(noon)  # periods are half-open
    assert when(AUTUMN, AUTUMN.next_open(noon)) == (D(2025, 9, 26), "13:30")
    assert AUTUMN.next_open(noon - 1) == noon - 1
    close = at(AUTUMN, D(2025, 9, 26), "17:30")
    assert when(AUTUMN, AUTUMN.next_open(close)) == (D(2025, 9, 28), "09:00")
    evening = at(AUTUMN, D(2025, 9, 30), "18:00")
    assert when(AUTUMN, AUTUMN.next_open(evening)) == (D(2025, 10, 9), "09:00")


def test_add_at_the_edges() -> None:
    monday_9 = at(AUTUMN, D(2025, 9, 29), "09:00")
    assert when(AUTUMN, AUTUMN.add(monday_9, 180)) == (D(2025, 9, 29), "12:00")  # not 13:30
    saturday_3 = at(AUTUMN, D(2025, 9, 27), "03:00")
    assert AUTUMN.add(saturday_3, 0) == saturday_3  # no time to count: due at once
    assert when(AUTUMN, AUTUMN.add(saturday_3, 1)) == (D(2025, 9, 28), "09:01")
    assert OFFICE_HOURS.week == HOURS.week


# ------------------------------------------------------- no official calendar, lists
def test_no_official_calendar_uses_weekends_only() -> None:
    cal = WorkCalendar(D(2025, 9, 22), days=21, hours=HOURS, official=False)
    assert cal.is_working_day(cal.day_of(D(2025, 10, 1)))
    assert not cal.is_working_day(cal.day_of(D(2025, 9, 28)))
    t0 = at(cal, D(2025, 9, 29), "00:00")
    assert cal.working_minutes(t0, t0 + 7 * DAY) == 5 * FULL_DAY
    far = WorkCalendar(D(2040, 1, 2), days=7, hours=HOURS, official=False)  # no data needed
    assert [far.is_working_day(d) for d in range(7)] == [True] * 5 + [False] * 2


def test_planner_lists_apply_after_the_official_dates() -> None:
    cal = WorkCalendar(
        D(2025, 9, 22), days=28, hours=HOURS,
        extra_holidays=[D(2025, 10, 9), D(2030, 1, 1)],  # a date outside the range is ignored
        extra_workdays=[D(2025, 10, 12), D(2025, 10, 2)],  # a Sunday; an official holiday
    )
    assert not cal.is_working_day(cal.day_of(D(2025, 10, 9)))
    assert cal.periods_of(cal.day_of(D(2025, 10, 12))) == HOURS.week[0]
    assert cal.is_working_day(cal.day_of(D(2025, 10, 2)))
    # Week of 6 Oct: Fri 10, Sat 11 (official 调休), Sun 12 (planner's); Thu 9 taken off.
    t0 = at(cal, D(2025, 10, 6), "00:00")
    assert cal.working_minutes(t0, t0 + 7 * DAY) == 3 * FULL_DAY
    own = WorkCalendar(D(2025, 9, 29), days=14, hours=HOURS, official=False,
                       extra_holidays=[D(2025, 10, i) for i in range(1, 9)],
                       extra_workdays=[D(2025, 9, 28), D(2025, 10, 11)])
    for day in range(own.total_days):  # the planner's lists rebuild the official calendar
        assert own.is_working_day(day) == chinese_calendar.is_workday(own.date_of(day))
    with pytest.raises(CalendarError) as err:
        WorkCalendar(D(2025, 9, 1), days=7, extra_holidays=[D(2025, 9, 6)],
                     extra_workdays=[D(2025, 9, 6)])
    assert str(err.value) == "2025-09-06 is both an extra holiday and an extra working day"


# ------------------------------------------------------------------------ errors
def test_a_year_the_package_does_not_cover() -> None:
    years = official_years()
    with pytest.raises(YearNotCoveredError) as err:
        WorkCalendar(D(2040, 1, 2), days=7, margin_days=10)
    assert isinstance(err.value, ValueError)
    assert str(err.value) == (
        f"the official calendar (chinese-calendar {chinese_calendar.__version__}) covers the "
        f"years {years[0]}-{years[-1]}, but this calendar runs from 2040-01-02 to 2040-01-18 "
        "(the run and a margin of 10 days) and needs 2040; list that year's holidays and "
        "swapped working days yourself, with no official calendar (holidays: none in a "
        "scenario) and the dates as extra holidays and working days"
    )
    last = years[-1]
    with pytest.raises(YearNotCoveredError, match=f"needs {last + 1}; list that year's"):
        WorkCalendar(D(last, 12, 1), days=10)  # the margin reaches into the next year


@pytest.mark.parametrize(
    ("periods", "message"),
    [
        ([("12:00", "09:00")], "mon: period 1 (12:00-09:00) must start before it ends"),
        ([(540, 720), (700, 800)], "mon: period 2 (11:40-13:20) starts before period 1 "
         "(09:00-12:00) ends; list periods in order, without overlap"),
        ([(800, 900), (540, 600)], "mon: period 2 (09:00-10:00) starts before period 1 "
         "(13:20-15:00) ends; list periods in order, without overlap"),
        ([(-10, 100)], "mon: period 1 (-10 to 100 min) must lie within 0..1440"),
        ([(1000, 1440.5)], "mon: period 1 (1000 to 1440.5 min) must lie within 0..1440"),
        ([("09:00", "25:00")],
         "mon: period 1: '25:00' is not a time of day HH:MM from 00:00 to 24:00"),
        ([("9h", "12:00")], "mon: period 1: '9h' is not a time of day HH:MM from 00:00 to 24:00"),
        ([(540,)], "mon: period 1 must be a pair (start, end), got (540,)"),
    ],
)
def test_bad_periods(periods: list, message: str) -> None:
    with pytest.raises(PeriodError) as err:
        WorkingHours.weekdays(periods)
    assert str(err.value) == message


def test_bad_week() -> None:
    with pytest.raises(PeriodError) as err:
        WorkingHours.weekdays([("09:00", "17:00")], swap_weekday="sat")
    assert str(err.value) == ("swap_weekday 'sat' must be a weekday (mon, tue, wed, thu, fri, "
                              "sat, sun) with working periods: swapped working days use them")
    with pytest.raises(PeriodError) as err:
        WorkingHours.by_weekday({"monday": [(540, 1020)]})
    assert str(err.value) == "unknown weekday 'monday'; allowed: mon, tue, wed, thu, fri, sat, sun"
    with pytest.raises(PeriodError) as err:
        WorkingHours(((),) * 6)
    assert str(err.value) == "working hours need 7 weekdays, Monday first, got 6"
    touching = WorkingHours.weekdays([(540, 720), ("12:00", "13:00")])
    assert touching.week[0] == ((540.0, 720.0), (720.0, 780.0))


def test_out_of_range() -> None:
    cal = WorkCalendar(D(2025, 9, 1), days=5, hours=HOURS, margin_days=2)  # Mon-Sun
    assert cal.end == 7 * DAY
    with pytest.raises(OutOfRangeError) as err:
        cal.add(at(cal, D(2025, 9, 5), "17:00"), 31)
    assert str(err.value) == (
        "a limit of 31 working minutes from 6780 min ends after this calendar's last working "
        "time (it runs to 2025-09-07); build it with a larger margin_days"
    )
    assert when(cal, cal.add(at(cal, D(2025, 9, 5), "17:00"), 30)) == (D(2025, 9, 5), "17:30")
    with pytest.raises(OutOfRangeError, match="time -1.0 min is outside this calendar's"):
        cal.working_minutes(-1.0, 10.0)
    with pytest.raises(OutOfRangeError, match="a limit of 1 working days"):
        cal.add_days(at(cal, D(2025, 9, 5), "09:00"), 1)
    with pytest.raises(OutOfRangeError, match="day 7 is outside this calendar's 0..6"):
        cal.date_of(7)
    with pytest.raises(OutOfRangeError):
        cal.add_many([0.0, 8 * DAY], 1.0)
    with pytest.raises(CalendarError, match="no working time from 2025-10-04 to 2025-10-05"):
        WorkCalendar(D(2025, 10, 4), days=2, margin_days=0)
    with pytest.raises(CalendarError, match="must be a date"):
        WorkCalendar(dt.datetime(2025, 9, 1, 8, 0), days=5)


# -------------------------------------------------------------------- properties
CALENDARS = [AUTUMN, SPRING, NIGHT]
calendars = st.sampled_from(CALENDARS)
times = st.floats(min_value=0.0, max_value=60 * DAY)  # inside every calendar's range
limits = st.floats(min_value=0.0, max_value=8000.0)  # at most 19 full office days
PROPS = settings(max_examples=150, deadline=None)


def reference_minutes(cal: WorkCalendar, t0: float, t1: float) -> float:
    """Working time in [t0, t1] by going through the days one by one."""
    total = 0.0
    for day in range(int(t0 // DAY), min(int(t1 // DAY), cal.total_days - 1) + 1):
        for a, b in cal.periods_of(day):
            total += max(0.0, min(t1, day * DAY + b) - max(t0, day * DAY + a))
    return total


@PROPS
@given(calendars, times, times)
def test_working_minutes_matches_a_day_by_day_count(cal: WorkCalendar, a: float,
                                                    b: float) -> None:
    t0, t1 = min(a, b), max(a, b)
    assert cal.working_minutes(t0, t1) == pytest.approx(reference_minutes(cal, t0, t1),
                                                        abs=1e-9)


@PROPS
@given(calendars, times, limits)
def test_add_gives_exactly_the_limit_and_no_later(cal: WorkCalendar, t: float,
                                                  m: float) -> None:
    end = cal.add(t, m)
    assert end >= t
    assert abs(cal.working_minutes(t, end) - m) <= 1e-9
    if m > 0.0:  # earliest: the end lies in working time or at a close, never later
        opens, closes = cal.intervals
        k = int(np.searchsorted(opens, end, side="right")) - 1
        assert k >= 0 and opens[k] <= end <= closes[k]


@PROPS
@given(calendars, times, times, limits, limits)
def test_add_is_monotone(cal: WorkCalendar, a: float, b: float, m1: float, m2: float) -> None:
    t1, t2 = min(a, b), max(a, b)
    assert cal.add(t1, m1) <= cal.add(t2, m1)
    assert cal.add(t1, min(m1, m2)) <= cal.add(t1, max(m1, m2))


@PROPS
@given(calendars, times, times, times)
def test_working_minutes_adds_up(cal: WorkCalendar, a: float, b: float, c: float) -> None:
    t0, t1, t2 = sorted((a, b, c))
    whole = cal.working_minutes(t0, t2)
    assert abs(cal.working_minutes(t0, t1) + cal.working_minutes(t1, t2) - whole) <= 1e-9


@PROPS
@given(calendars, times)
def test_closed_time_counts_nothing(cal: WorkCalendar, t: float) -> None:
    opening = cal.next_open(t)
    assert cal.working_minutes(t, opening) == 0.0
    assert cal.is_open(opening)
    assert (opening == t) == cal.is_open(t)
    day = int(t // DAY)
    if not cal.is_working_day(day):
        assert cal.working_minutes(day * DAY, (day + 1) * DAY) == 0.0


@PROPS
@given(calendars, times, st.integers(min_value=0, max_value=15))
def test_add_days_ends_at_a_close_after_n_working_days(cal: WorkCalendar, t: float,
                                                       n: int) -> None:
    end = cal.add_days(t, n)
    if n == 0:
        assert end == t
        return
    first, last = int(t // DAY) + 1, int(end // DAY) - (end % DAY == 0.0)
    assert sum(cal.is_working_day(d) for d in range(first, last + 1)) == n
    assert cal.is_working_day(last)
    assert end == last * DAY + cal.periods_of(last)[-1][1]


def test_vectorised_forms_agree_with_the_scalar_ones() -> None:
    rng = np.random.default_rng(20251001)
    for cal in CALENDARS:
        t = rng.uniform(0.0, 60 * DAY, 2000)
        t[:20] = np.floor(t[:20] / DAY) * DAY + 540.0  # exactly at openings
        m = rng.uniform(0.0, 8000.0, 2000)
        m[::7] = 0.0
        n = rng.integers(0, 16, 2000)
        t1 = t + rng.uniform(0.0, 5 * DAY, 2000)
        assert np.array_equal(cal.add_many(t, m),
                              [cal.add(a, b) for a, b in zip(t, m, strict=True)])
        assert np.array_equal(cal.add_days_many(t, n),
                              [cal.add_days(a, int(k)) for a, k in zip(t, n, strict=True)])
        assert np.array_equal(cal.working_minutes_many(t, t1),
                              [cal.working_minutes(a, b) for a, b in zip(t, t1, strict=True)])
