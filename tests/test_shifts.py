"""Shifts: duty periods, finishing the current job at shift end, the backlog overnight."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import twin
from twin.geography import build_community
from twin.model import MINUTES_PER_DAY
from twin.scenario.schema import WEEKDAYS, Shift

try:
    from twin.model import build_workforce, duty_intervals
except ImportError:  # staff are built by twin.staffing in newer layouts
    from twin.staffing import build_staffing, duty_intervals

    def build_workforce(scenario, community):
        """Home grid index, base node and duty periods per grid worker."""
        staff = build_staffing(scenario, community)
        names = [staff.unit_names[u] for u in staff.unit]
        grid = np.array([community.grid_names.index(n) for n in names], dtype=np.int64)
        return type("Workforce", (), {"grid": grid, "base": staff.base, "duty": staff.duty})

EPS = 1e-6


def _minutes(clock: str) -> int:
    h, m = clock.split(":")
    return int(h) * 60 + int(m)


def reference_on_duty(shifts: list[Shift], t: float) -> bool:
    """Is a worker with these shifts on duty at minute ``t`` (Monday 00:00 = 0)?"""
    day, tod = divmod(t, MINUTES_PER_DAY)
    for shift in shifts:
        start, end = _minutes(shift.start), _minutes(shift.end)
        overnight = end <= start
        today = WEEKDAYS[int(day) % 7] in shift.days
        yesterday = WEEKDAYS[int(day - 1) % 7] in shift.days
        if not overnight and today and start <= tod < end:
            return True
        if overnight and ((today and tod >= start) or (yesterday and tod < end)):
            return True
    return False


def _covered(spans: list[tuple[float, float]], t: float) -> bool:
    return any(s <= t < e for s, e in spans)


def _check_against_reference(shifts: list[Shift], horizon: float) -> list[tuple[float, float]]:
    spans = duty_intervals(shifts, horizon)
    # sorted, disjoint, not touching (merged), inside [0, horizon]
    for (_, e1), (s2, _) in zip(spans, spans[1:], strict=False):
        assert e1 < s2
    assert all(0 <= s < e <= horizon for s, e in spans)
    # every half-minute agrees with the reference
    for t in np.arange(0.5, horizon, 7.5):
        assert _covered(spans, t) == reference_on_duty(shifts, t), f"t={t}"
    return spans


def test_overnight_shift_every_day() -> None:
    shift = Shift(start="22:00", end="06:00")
    spans = _check_against_reference([shift], 3 * MINUTES_PER_DAY)
    # Monday morning is covered by Sunday night's shift, the run ends mid-shift
    assert spans[0] == (0.0, 360.0)
    assert spans[-1] == (2 * MINUTES_PER_DAY + 1320.0, 3 * MINUTES_PER_DAY)
    assert len(spans) == 4  # Mon 00-06, Mon 22 - Tue 06, Tue 22 - Wed 06, Wed 22-24


def test_weekday_day_shift_over_two_weeks() -> None:
    shift = Shift(start="08:00", end="17:00", days=["mon", "tue", "wed", "thu", "fri"])
    spans = _check_against_reference([shift], 14 * MINUTES_PER_DAY)
    assert len(spans) == 10
    assert all(e - s == 540.0 for s, e in spans)
    weekdays = {int(s // MINUTES_PER_DAY) % 7 for s, _ in spans}
    assert weekdays == {0, 1, 2, 3, 4}


def test_friday_night_shift_runs_into_saturday_only() -> None:
    shift = Shift(start="20:00", end="04:00", days=["fri"])
    spans = _check_against_reference([shift], 14 * MINUTES_PER_DAY)
    assert spans == [(4 * 1440 + 1200.0, 5 * 1440 + 240.0),
                     (11 * 1440 + 1200.0, 12 * 1440 + 240.0)]


def test_sunday_night_shift_reaches_into_the_first_monday() -> None:
    spans = _check_against_reference([Shift(start="22:00", end="06:00", days=["sun"])],
                                     8 * MINUTES_PER_DAY)
    assert spans[0] == (0.0, 360.0)
    assert len(spans) == 2


def test_round_the_clock_and_overlapping_shifts_merge() -> None:
    horizon = 2 * MINUTES_PER_DAY
    assert duty_intervals([Shift(start="00:00", end="24:00")], horizon) == [(0.0, horizon)]
    spans = _check_against_reference(
        [Shift(start="08:00", end="14:00"), Shift(start="12:00", end="20:00")], horizon)
    assert spans == [(480.0, 1200.0), (1440.0 + 480.0, 1440.0 + 1200.0)]
    # back-to-back shifts make one period
    spans = _check_against_reference(
        [Shift(start="00:00", end="12:00"), Shift(start="12:00", end="24:00")], horizon)
    assert spans == [(0.0, horizon)]


def test_partial_horizon_clips_the_last_shift() -> None:
    horizon = 1.5 * MINUTES_PER_DAY  # Tuesday 12:00
    spans = _check_against_reference([Shift(start="08:00", end="17:00")], horizon)
    assert spans == [(480.0, 1020.0), (1440.0 + 480.0, horizon)]


@st.composite
def shift_lists(draw: st.DrawFn) -> list[Shift]:
    out = []
    for _ in range(draw(st.integers(1, 3))):
        start = draw(st.integers(0, 95)) * 15
        end = draw(st.integers(0, 96)) * 15
        if end % 1440 == start:
            end = (start + 60) % 1440
        days = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7, unique=True))
        text = "24:00" if end == 1440 else f"{end // 60:02d}:{end % 60:02d}"
        out.append(Shift(start=f"{start // 60:02d}:{start % 60:02d}", end=text, days=days))
    return out


@settings(max_examples=30, deadline=None, derandomize=True)
@given(shifts=shift_lists(), days=st.sampled_from([0.3, 1.0, 2.75, 9.0]))
def test_duty_intervals_match_reference(shifts: list[Shift], days: float) -> None:
    _check_against_reference(shifts, days * MINUTES_PER_DAY)


def test_shifts_handed_out_in_turn(small_scenario) -> None:
    scenario = small_scenario({
        "map.cols": 4, "grids.blocks": [1, 2], "workforce.per_grid": 3,
        "workforce.shifts": [{"start": "08:00", "end": "16:00"},
                             {"start": "16:00", "end": "24:00"}],
    })
    workforce = build_workforce(scenario, build_community(scenario))
    assert list(workforce.grid) == [0, 0, 0, 1, 1, 1]
    shifts = scenario.workforce.shifts
    horizon = scenario.run.horizon_days * MINUTES_PER_DAY
    for w, k in enumerate([0, 1, 0, 0, 1, 0]):
        assert workforce.duty[w].tolist() == [list(s) for s in duty_intervals([shifts[k]],
                                                                            horizon)]


# ----------------------------------------------------------------- in the simulation
DAY_SHIFT = {"start": "08:00", "end": "17:00"}


@pytest.fixture(scope="module")
def overloaded_day_shift(mmc_scenario):
    """One worker 08:00-17:00, fixed 120-minute jobs, two reports an hour round the clock.

    The worker is never short of work, so jobs start at 08:00, 10:00, ..., 16:00; the
    16:00 job runs past the end of the shift until 18:00.
    """
    scenario = mmc_scenario(2.0, 1, fixed_service=120.0, horizon_days=4, warmup_days=1,
                            workforce__shifts=[DAY_SHIFT])
    rec = twin.simulate(scenario, 0)
    return scenario, rec.issues, rec.activity


def test_job_at_shift_end_is_finished_then_worker_goes_off(overloaded_day_shift) -> None:
    _, issues, activity = overloaded_day_shift
    served = issues.dropna(subset=["t_dispatched"])
    tod = served["t_dispatched"].to_numpy() % MINUTES_PER_DAY
    assert np.allclose(np.sort(np.unique(np.round(tod, 6))), [480, 600, 720, 840, 960])
    for day in range(4):
        on_day = served[(served["t_dispatched"] // MINUTES_PER_DAY) == day]
        assert len(on_day) == 5
        last = on_day.sort_values("t_dispatched").iloc[-1]
        end_of_shift = day * MINUTES_PER_DAY + 1020.0
        assert last["t_resolved"] == pytest.approx(end_of_shift + 60.0)  # 18:00, after 17:00
    # no dispatch between the end of one shift and the start of the next
    assert not ((tod > 960.0 + EPS) | (tod < 480.0 - EPS)).any()
    off = activity[activity["state"] == "off_shift"].sort_values("t_start")
    starts = off["t_start"].to_numpy()
    ends = off["t_end"].to_numpy()
    # off from 00:00 until 08:00 on Monday, then from 18:00 (job done) to 08:00
    assert starts[0] == 0.0 and ends[0] == pytest.approx(480.0)
    np.testing.assert_allclose(starts[1:], [d * 1440 + 1080.0 for d in range(4)])
    np.testing.assert_allclose(ends[1:], [d * 1440 + 1920.0 for d in range(3)] + [4 * 1440])
    assert not (activity["state"] == "idle").any()


def test_backlog_keeps_its_order_overnight(overloaded_day_shift) -> None:
    _, issues, _ = overloaded_day_shift
    served = issues.dropna(subset=["t_dispatched"])
    # one category (one time limit), one worker: served strictly in report order, and
    # the served issues are exactly the oldest ones
    assert (np.diff(served["t_dispatched"].to_numpy()) > 0).all()
    assert (served["issue_id"].to_numpy() == np.arange(len(served))).all()
    # every morning starts with the oldest issue still waiting
    for day in range(1, 4):
        t = day * MINUTES_PER_DAY + 480.0
        first = served[np.isclose(served["t_dispatched"], t)]
        waiting = issues[(issues["t_reported"] < t) & ~(issues["t_dispatched"] < t)]
        assert first["issue_id"].iat[0] == waiting["issue_id"].min()


def test_urgent_issue_reported_overnight_goes_first_in_the_morning(mmc_scenario) -> None:
    # Two categories: the one with the shorter time limit is taken first.
    service = {"distribution": "fixed", "value": 120.0}
    scenario = mmc_scenario(1.0, 1, fixed_service=120.0, horizon_days=4, warmup_days=1,
                            workforce__shifts=[DAY_SHIFT],
                            demand__categories=[
                                {"name": "routine", "rate_per_hour": 0.8, "limit": 1440.0,
                                 "service": service},
                                {"name": "urgent", "rate_per_hour": 0.2, "limit": 240.0,
                                 "service": service}])
    issues = twin.simulate(scenario, 0).issues
    checked = 0
    for day in range(1, 4):
        t = day * MINUTES_PER_DAY + 480.0
        waiting = issues[(issues["t_reported"] < t) & ~(issues["t_dispatched"] < t)]
        first = issues[np.isclose(issues["t_dispatched"], t)]
        assert len(first) == 1
        urgent = waiting[waiting["category"] == "urgent"]
        expected = urgent if len(urgent) else waiting
        assert first["issue_id"].iat[0] == expected["issue_id"].min()
        checked += len(urgent) > 0
    assert checked > 0, "no urgent issue waited overnight: the check did not bite"


def test_shift_starts_at_base(small_scenario) -> None:
    # Workers stop where they are when the shift ends but start the next shift at base:
    # the first trip after a night off is timed from the base node.
    scenario = small_scenario({
        "map.rows": 5, "map.cols": 5, "workforce.per_grid": 1,
        "workforce.return_to_base": False,
        "workforce.shifts": [{"start": "08:00", "end": "12:00"}],
        "demand.categories.0.rate_per_hour": 1.5,
        "run.horizon_days": 3,
    })
    community = build_community(scenario)
    base = int(build_workforce(scenario, community).base[0])
    issues = twin.simulate(scenario, 0, community).issues
    for day in range(3):
        first = issues[np.isclose(issues["t_dispatched"], day * MINUTES_PER_DAY + 480.0)]
        assert len(first) == 1
        expected = community.travel.between(base, int(first["node"].iat[0]))
        assert first["travel"].iat[0] == pytest.approx(expected)


def test_worker_with_no_shift_in_the_horizon_never_works(mmc_scenario) -> None:
    # The run covers Monday to Wednesday; the only shift is at the weekend.
    scenario = mmc_scenario(2.0, 1, service_mean=10.0, horizon_days=3, warmup_days=1,
                            workforce__shifts=[{"start": "08:00", "end": "17:00",
                                                "days": ["sat", "sun"]}])
    rec = twin.simulate(scenario, 0)
    assert rec.issues["t_dispatched"].isna().all()
    assert (rec.activity["state"] == "off_shift").all()
