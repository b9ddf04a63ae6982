"""Rotas: people with 5-day weeks, leave and duty turns; hours against the Labour Law; FTE."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import twin
from twin import ScenarioError
from twin.geography import build_community
from twin.headcount import headcount, headcount_lines, hours_warnings, posts_note
from twin.scenario.people import RotaSpec
from twin.scenario.rotaplan import grouped_people, intersect, rota_people, total
from twin.staffing import build_staffing

DAY = 1440.0
WEEK = 7 * DAY

BASE = """\
name: rota
map: {{source: lattice, rows: 4, cols: 4}}
grids: {{blocks: [1, 1]}}
demand:
  categories:
    - {{name: a, rate_per_hour: 0.5, service: {{distribution: fixed, value: 10}}}}
workforce:
  per_grid: {n}
{workforce}run: {{horizon_days: {days}, warmup_days: 1}}
"""


def load(tmp_path: Path, workforce: str, n: int = 4, days: int = 28) -> twin.Scenario:
    path = tmp_path / "s.yaml"
    path.write_text(BASE.format(n=n, workforce=workforce, days=days), encoding="utf-8")
    return twin.load_scenario(path)


def rota(**kw: object) -> RotaSpec:
    return RotaSpec.model_validate(kw)


def test_a_rota_meets_its_weekly_hours(tmp_path: Path) -> None:
    scenario = load(tmp_path, "  rota: {day: {start: '08:30', end: '17:30'}, unpaid_break: 60}\n")
    staffing = build_staffing(scenario, build_community(scenario))
    for spans in staffing.duty:  # four weeks of Monday to Friday, 9 hours a day
        assert spans is not None and total(spans) == 4 * 5 * 540
        assert all(s % DAY == 510 and e - s == 540 and (s // DAY) % 7 < 5 for s, e in spans)
    pool = headcount(scenario)["grid_worker"]
    assert not pool.posts and pool.people == 4
    assert [p.week_mean for p in pool.persons] == [40.0] * 4  # (9 h - 1 h break) x 5 days
    assert pool.hours_per_week == 160.0 and pool.fte == 4.0
    assert hours_warnings(headcount(scenario)) == []


def test_seven_day_cover_staggers_five_day_weeks() -> None:
    spec = rota(days=["mon", "tue", "wed", "thu", "fri", "sat", "sun"], week=5)
    people = rota_people(spec, 7, 4 * WEEK)
    for p in people:  # each person works 5 of every 7 days
        for w in range(4):
            assert total(intersect(p.work, [(w * WEEK, (w + 1) * WEEK)])) == 5 * 540
    for d in range(28):  # and every day is covered by 5 of the 7
        on = sum(1 for p in people if total(intersect(p.work, [(d * DAY, (d + 1) * DAY)])))
        assert on == 5


def test_duty_turns_are_spread_evenly() -> None:
    spec = rota(duty={"night": {"start": "17:30", "end": "08:30", "staff": 2},
                      "restday": {"start": "08:30", "end": "17:30"}, "time_off": False})
    n, days = 5, 30
    people = rota_people(spec, n, days * DAY)
    nights = [p.nights for p in people]
    restdays = [p.restdays for p in people]
    assert sum(nights) == 2 * (days + 1)  # two people each night, from the night before
    assert sum(restdays) == sum(1 for d in range(days) if d % 7 >= 5)
    assert max(nights) - min(nights) <= 1 and max(restdays) - min(restdays) <= 1
    for d in range(days):  # every night is covered by exactly two people
        t = d * DAY + 20 * 60
        assert sum(1 for p in people if any(s <= t < e for s, e in p.duty)) == 2


def test_rest_day_turns_earn_a_day_off_in_lieu() -> None:
    spec = rota(duty={"restday": {"start": "08:30", "end": "17:30"}, "time_off": True})
    people = rota_people(spec, 4, 30 * DAY)  # 22 working days; the last two after a weekend
    assert sum(p.restdays for p in people) == 8
    for p in people:
        assert p.days_worked == 22 - p.restdays  # one working day off per rest-day turn


def test_days_off_in_lieu_leave_the_pool_staffed() -> None:
    """Three people take the turns of two weekends and a three-day holiday (Friday to
    Sunday, as Qingming 2025) in turn: their days off in lieu go to different days, so
    the pool is never all away (taking each on the next working day sent two of three
    off every Monday and all three after the holiday)."""
    holiday = lambda d: d % 7 < 5 and d != 11  # noqa: E731 - day 11: a Friday off
    spec = rota(duty={"restday": {"start": "08:30", "end": "17:30"}, "time_off": True})
    people = rota_people(spec, 3, 21 * DAY, holiday)
    working = [d for d in range(21) if holiday(d)]
    away = {d: sum(1 for p in people if not total(intersect(p.work, [(d * DAY, (d + 1) * DAY)])))
            for d in working}
    assert sum(p.restdays for p in people) == 7 and max(away.values()) == 1
    # the last weekend's days off fall after the run
    assert [d for d in working if away[d]] == [7, 8, 14, 15, 16]


def test_a_shared_rosters_days_off_in_lieu_leave_each_grid_staffed() -> None:
    """Three grids of two on one duty roster, four on each rest day: each grid keeps one
    of its two at work on every working day (spreading the days off over the whole
    pool alone left a grid with nobody on some days)."""
    spec = rota(duty={"restday": {"start": "08:30", "end": "17:30", "staff": 4},
                      "time_off": True, "shared": True})
    groups = grouped_people(spec, [2, 2, 2], 56 * DAY)
    for d in (d for d in range(56) if d % 7 < 5):
        day = [(d * DAY, (d + 1) * DAY)]
        for grid in groups:
            assert any(total(intersect(p.work, day)) for p in grid), (d, grid)
    assert sum(p.restdays for grid in groups for p in grid) == 4 * 16
    # the last weekend's days off in lieu would fall after the run
    assert sum(p.days_worked for grid in groups for p in grid) == 6 * 40 - 4 * 14


@pytest.mark.parametrize("share", [0.05, 0.1, 0.25])
@pytest.mark.parametrize("n", [1, 3, 8])
def test_leave_is_its_share_of_working_days(share: float, n: int) -> None:
    days = 260  # about a year of Monday to Friday
    people = rota_people(rota(leave=share), n, days * 7 / 5 * DAY)
    for p in people:  # spread evenly, not drawn: floor or ceil of the share
        worked = p.days_worked + p.leave_days
        assert worked == days
        assert math.floor(share * days) <= p.leave_days <= math.ceil(share * days)
        assert p.days_worked == worked - p.leave_days


def test_leave_is_staggered_between_people() -> None:
    people = rota_people(rota(leave=0.1), 10, 10 * 7 / 5 * DAY)  # 10 working days
    off = [d for p in people for d in range(14) if d % 7 < 5 and not total(
        intersect(p.work, [(d * DAY, (d + 1) * DAY)]))]
    assert sorted(off) == sorted(set(off))  # nobody shares a day of leave: each day one


def test_legal_hours_warn_at_45_and_not_at_40(tmp_path: Path) -> None:
    ok = load(tmp_path, "  rota: {day: {start: '08:00', end: '17:00'}, unpaid_break: 60}\n")
    assert hours_warnings(headcount(ok)) == []
    long = load(tmp_path, "  rota: {day: {start: '08:00', end: '16:00'}, unpaid_break: 30,\n"
                "         days: [mon, tue, wed, thu, fri, sat], week: 6}\n")
    (warning,) = hours_warnings(headcount(long))  # 6 x 7.5 h = 45 h, within 8 h a day
    assert warning == ("grid_worker: 4 of 4 persons over the Labour Law's 44 hours a week on "
                       "average; grid_worker grid-01 #1 works 45.0 h a week (week 1: 45.0 h)")


def test_a_run_shorter_than_a_week_is_not_judged_by_the_week(tmp_path: Path) -> None:
    """Three working days of 8 h are 24 h, not 56 h scaled to a week: no Labour Law
    warning, but one line saying the weekly hours were not checked."""
    rota_8h = "  rota: {day: {start: '08:00', end: '17:00'}, unpaid_break: 60}\n"
    short = load(tmp_path, rota_8h, days=3)
    assert hours_warnings(headcount(short)) == [
        "the run is shorter than a week: weekly hours are not checked against the Labour "
        "Law's 44 hours; run 7 days or more to check them"]
    long_days = ("  rota: {day: {start: '08:00', end: '18:00'}, unpaid_break: 30}\n")
    (day, note) = hours_warnings(headcount(load(tmp_path, long_days, days=3)))
    assert "more than the Labour Law's 8 hours a day" in day and note.startswith("the run is")
    assert hours_warnings(headcount(load(tmp_path, rota_8h, days=7))) == []


def test_posts_are_flagged_with_the_people_they_need(tmp_path: Path) -> None:
    scenario = load(tmp_path, "  shifts: [{start: '08:00', end: '17:00'}]\n", n=2)
    pool = headcount(scenario)["grid_worker"]
    assert pool.posts and pool.hours_per_week == pytest.approx(2 * 63.0)
    assert pool.fte == pytest.approx(126 / 40)
    assert hours_warnings(headcount(scenario)) == []  # posts are no people: no warning
    assert posts_note(headcount(scenario)) == (
        "pools on shifts are posts, not people; at 40 h a week each post needs: grid_worker "
        "1.57 (63.0 h a week, days up to 9.0 h). Give a pool a rota to plan people and "
        "check their hours against the Labour Law")
    assert headcount_lines(scenario)[-1] == posts_note(headcount(scenario))
    short = load(tmp_path, "  shifts: [{start: '08:00', end: '16:00',\n"
                           "            days: [mon, tue, wed, thu, fri]}]\n")
    assert posts_note(headcount(short)) is None  # 40 h a week of 8 h days: nothing to say
    round_the_clock = headcount(load(tmp_path, "", n=3))["grid_worker"]
    assert round_the_clock.fte == pytest.approx(3 * 168 / 40)  # 12.6 FTE for 3 "workers"


def test_cost_per_day_follows_fte(tmp_path: Path) -> None:
    scenario = load(tmp_path, "  cost_per_fte: 73000\n  rota: {}\n", n=3)
    pool = headcount(scenario)["grid_worker"]
    assert pool.fte == 3.0 and pool.cost_per_day == pytest.approx(3 * 73000 / 365)
    assert headcount_lines(scenario) == ["grid_worker: 3 people, 120 h a week, 3.0 FTE, "
                                         "600 yuan a day"]


def test_duty_turns_put_people_on_duty_outside_the_day(tmp_path: Path) -> None:
    scenario = load(tmp_path, "  rota:\n    duty: {night: {start: '17:30', end: '08:30'}}\n",
                    n=3, days=14)
    staffing = build_staffing(scenario, build_community(scenario))
    t = 3 * DAY + 23 * 60  # Thursday 23:00
    assert sum(1 for spans in staffing.duty if spans is not None and any(
        s <= t < e for s, e in spans)) == 1
    pool = headcount(scenario)["grid_worker"]
    assert pool.duty_hours_per_week == pytest.approx(7 * 15.0)  # 15 h every night
    assert pool.hours_per_week == pytest.approx(3 * 40.0)  # not counted as working hours


def problems(tmp_path: Path, workforce: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load(tmp_path, workforce)
    return [line.split("s.yaml:", 1)[1] for line in str(caught.value).splitlines()]


def test_rota_mistakes_are_located(tmp_path: Path) -> None:
    found = problems(tmp_path, "  shifts: [{start: '09:00', end: '17:00'}]\n"
                     "  rota:\n    day: {start: '08:30', end: '8:30'}\n"
                     "    days: [workdays, funday]\n    unpaid_break: 600\n    leave: 0.9\n")
    assert found == [
        "10: workforce.rota: give shifts (posts, each worked every day it names) or a rota "
        "(people with 5-day weeks, leave and duty turns), not both",
        "11: workforce.rota.day.end: must be a time of day HH:MM from 00:00 to 24:00 "
        "(got '8:30')",
        "12: workforce.rota.days: give workdays alone or a list of weekdays, not both",
        "12: workforce.rota.days.1: unknown day 'funday'; allowed: mon, tue, wed, thu, fri, "
        "sat, sun, workdays",
        "14: workforce.rota.leave: must be <= 0.5 (got 0.9)",
    ]


def test_a_break_as_long_as_the_day_is_an_error(tmp_path: Path) -> None:
    assert problems(tmp_path, "  rota: {day: {start: '08:30', end: '17:30'}, unpaid_break: 540}\n"
                    ) == ["9: workforce.rota.unpaid_break: must be shorter than the day (540 min) "
                          "(got 540)"]


SHARED = """\
name: shared
map: {source: lattice, rows: 6, cols: 6}
grids: {blocks: [2, 2]}
demand:
  categories:
    - {name: a, rate_per_hour: 0.5, service: {distribution: fixed, value: 10}}
workforce:
  per_grid: 1
  rota:
    day: {start: '08:30', end: '17:30'}
    duty: {restday: {start: '08:30', end: '17:30', staff: 1}, time_off: false,
           shared: SHARED}
run: {horizon_days: 28, warmup_days: 1}
"""


@pytest.mark.parametrize("shared", [True, False])
def test_a_shared_roster_puts_one_duty_worker_on_for_the_community(
        tmp_path: Path, shared: bool) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SHARED.replace("SHARED", str(shared).lower()), encoding="utf-8")
    scenario = twin.load_scenario(path)
    staffing = build_staffing(scenario, build_community(scenario))
    assert len(staffing.duty) == 4
    rest_days = [d for d in range(28) if d % 7 >= 5]
    turns = [0] * 4
    for d in rest_days:
        noon = d * DAY + 12 * 60
        on = [w for w, spans in enumerate(staffing.duty)
              if spans is not None and any(a <= noon < b for a, b in spans)]
        # shared: one worker for the four grids, in turn; else each grid's own worker
        assert len(on) == (1 if shared else 4)
        for w in on:
            turns[w] += 1
    if shared:
        assert max(turns) - min(turns) <= 1 and sum(turns) == len(rest_days)
    pool = headcount(scenario)["grid_worker"]
    assert pool.duty_hours_per_week == pytest.approx(
        len(rest_days) * (1 if shared else 4) * 9 / 4)
    assert pool.fte == pytest.approx(4.0)  # duty turns are not working hours
