"""Response and resolution by time of day: working hours, off hours, hour-of-day profile."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import twin
from twin.deadlines import build_calendar
from twin.metrics import replication_kpis
from twin.metrics.catalogue import kpi_spec
from twin.metrics.hourly import (
    HOURLY_COLUMNS,
    HOURS,
    calendar_hours,
    hourly_table,
    time_of_day_kpis,
    weekly_hours,
    working_time,
)
from twin.plots.canvas import new_figure
from twin.plots.figures import report_plots
from twin.plots.hourly import response_by_hour
from twin.plots.labels import kpi_label
from twin.vocab import MINUTES_PER_DAY
from twin.worktime import OFFICE_HOURS, WorkCalendar

DAY = MINUTES_PER_DAY
H = 60.0
# (day, hour of report, response, resolution) [days, h, min, min]; day 0 is a Monday
REPORTS = [
    (0, 10.0, 12.0, 70.0),     # Monday 10:00: working hours
    (0, 12.5, 40.0, 90.0),     # Monday 12:30: lunch, off hours
    (0, 20.0, 300.0, 400.0),   # Monday 20:00: off hours
    (1, 9.0, 8.0, 30.0),       # Tuesday 09:00: opens, working hours
    (1, 17.5, 200.0, 260.0),   # Tuesday 17:30: closed, off hours
    (2, 13.5, 20.0, np.nan),   # Wednesday 13:30: working hours, not resolved
    (5, 10.0, 500.0, 600.0),   # Saturday 10:00: off hours
    (4, 11.0, np.nan, np.nan),  # Friday 11:00: working hours, nobody on site yet
]
WORKING = [True, False, False, True, False, True, False, True]


def _issues(reports: list[tuple[float, float, float, float]] = REPORTS) -> pd.DataFrame:
    t = np.array([d * DAY + h * H for d, h, _, _ in reports])
    response = np.array([r for *_, r, _ in reports])
    resolution = np.array([r for *_, r in reports])
    return pd.DataFrame({"replication": 0, "t_reported": t, "t_on_site": t + response,
                         "t_resolved": t + resolution})


def test_office_hours_predicate_marks_the_hand_built_reports() -> None:
    issues = _issues()
    assert list(weekly_hours()(issues["t_reported"].to_numpy())) == WORKING


def test_split_kpis_of_a_hand_built_table() -> None:
    issues = _issues()
    kpis = time_of_day_kpis(issues, warmup=0.0)
    work = np.array(WORKING)
    response = np.array([r for *_, r, _ in REPORTS])
    resolution = np.array([r for *_, r in REPORTS])
    for name, values in (("response", response), ("resolution", resolution)):
        for hours, mask in (("working", work), ("off", ~work)):
            picked = values[mask & ~np.isnan(values)]
            assert kpis[f"{name}_mean_{hours}"] == pytest.approx(picked.mean())
            assert kpis[f"{name}_p90_{hours}"] == pytest.approx(np.percentile(picked, 90))
    assert kpis["response_mean_working"] == pytest.approx((12 + 8 + 20) / 3)
    assert kpis["response_mean_off"] == pytest.approx((40 + 300 + 200 + 500) / 4)
    assert set(kpis) == {f"{k}_{h}" for k in ("response_mean", "response_p90",
                                               "resolution_mean", "resolution_p90")
                         for h in HOURS}
    assert all(kpi_spec(k) is not None for k in kpis)


def test_warmup_and_predicate_are_honoured() -> None:
    issues = _issues()
    kpis = time_of_day_kpis(issues, warmup=1 * DAY)  # Monday's reports left out
    assert kpis["response_mean_off"] == pytest.approx((200 + 500) / 2)
    everything = time_of_day_kpis(issues, 0.0, working=lambda t: np.ones(len(t), dtype=bool))
    assert np.isnan(everything["response_mean_off"])
    assert everything["response_mean_working"] == pytest.approx(
        np.nanmean([r for *_, r, _ in REPORTS]))


def test_replication_kpis_pass_the_predicate_on() -> None:
    issues = _issues().assign(t_dispatched=lambda f: f["t_reported"],
                              deadline=np.nan)
    activity = pd.DataFrame({"kind": pd.Series([], dtype=str), "state": pd.Series([], dtype=str),
                             "unit": pd.Series([], dtype=str), "t_start": [], "t_end": [],
                             "issue_id": pd.Series([], dtype=int)})
    never = replication_kpis(issues, activity, 0.0, 7 * DAY, {},
                             working=lambda t: np.zeros(len(t), dtype=bool))
    assert np.isnan(never["response_mean_working"])
    assert never["response_mean_off"] == pytest.approx(never["response_mean"])


def test_office_hours_agree_with_a_calendar_without_holidays() -> None:
    calendar = WorkCalendar(dt.date(2025, 3, 3), 14, OFFICE_HOURS, official=False,
                            margin_days=0)
    t = np.arange(0.0, 14 * DAY, 7.5)
    expected = np.array([calendar.is_open(x) for x in t])
    assert (weekly_hours()(t) == expected).all()
    assert (calendar_hours(calendar)(t) == expected).all()
    assert expected.sum() * 7.5 == 10 * 7 * H  # ten working days of seven hours


def test_calendar_predicate_follows_holidays_and_swapped_days() -> None:
    # 2025-03-31 is a Monday; 4 April (Friday) is Qingming, a day off
    calendar = WorkCalendar(dt.date(2025, 3, 31), 7, margin_days=0)
    working = calendar_hours(calendar)
    friday_10 = 4 * DAY + 10 * H
    assert not working(np.array([friday_10]))[0] and weekly_hours()(np.array([friday_10]))[0]
    t = np.arange(0.0, 7 * DAY, 7.5)
    assert (working(t) == np.array([calendar.is_open(x) for x in t])).all()
    assert not working(np.array([np.nan, 8 * DAY]))[:].any()  # unknown, after the calendar


def test_scenario_predicate_is_its_calendar_else_office_hours(mmc_scenario) -> None:
    plain = mmc_scenario(2.0, 2, service_mean=10.0, horizon_days=7, warmup_days=0)
    dated = mmc_scenario(2.0, 2, service_mean=10.0, horizon_days=7, warmup_days=0,
                         calendar={"start": "2025-03-31"})
    t = np.arange(0.0, 7 * DAY, 7.5)
    assert (working_time(plain)(t) == weekly_hours()(t)).all()
    calendar = build_calendar(dated)
    assert (working_time(dated)(t) == np.array([calendar.is_open(x) for x in t])).all()


def test_a_run_splits_by_its_calendar(mmc_scenario) -> None:
    dated = mmc_scenario(4.0, 2, service_mean=10.0, horizon_days=7, warmup_days=0.5,
                         calendar={"start": "2025-03-31"})
    run = twin.run_replications(dated, replications=1)
    row = run.kpis.iloc[0]
    expected = time_of_day_kpis(run.issues, 0.5 * DAY, working_time(dated))
    office = time_of_day_kpis(run.issues, 0.5 * DAY)
    for name, value in expected.items():
        assert row[name] == pytest.approx(value, nan_ok=True)
    assert expected != office  # Qingming's Friday is off hours on the calendar only


def test_hourly_table_of_a_hand_built_table() -> None:
    issues = pd.concat([_issues(), _issues().assign(replication=1)], ignore_index=True)
    table = hourly_table(issues, 0.0, scenario="s")
    assert list(table.columns) == list(HOURLY_COLUMNS) and list(table["hour"]) == list(range(24))
    ten = table.set_index("hour").loc[10]
    assert ten["reported"] == 2.0  # Monday and Saturday 10:00, in each replication
    assert ten["response_mean"] == pytest.approx((12 + 500) / 2)
    assert ten["response_p90"] == pytest.approx(np.percentile([12, 12, 500, 500], 90))
    assert table.set_index("hour").loc[11, "reported"] == 1.0  # never reached: counted only
    assert np.isnan(table.set_index("hour").loc[11, "response_mean"])
    assert table["reported"].sum() == len(REPORTS)
    assert set(table["scenario"]) == {"s"}


def test_response_by_hour_draws_two_lines_per_scenario() -> None:
    table = pd.concat([hourly_table(_issues(), 0.0, scenario=name) for name in ("a", "b")],
                      ignore_index=True)
    fig, axes = new_figure()
    ax = axes[0, 0]
    assert response_by_hour(table, ax, lang="zh") is ax
    assert len(ax.get_lines()) == 4
    fig.canvas.draw()
    with pytest.raises(ValueError, match="response_by_hour needs column 'response_p90'"):
        response_by_hour(table.drop(columns="response_p90"), ax)


def test_report_has_the_hourly_profile(mmc_scenario) -> None:
    scenario = mmc_scenario(2.0, 2, service_mean=10.0, horizon_days=2, warmup_days=0.5)
    run = twin.run_replications(scenario, replications=1)
    plots = {p.slug: p for p in report_plots([("a", run), ("b", run)])}
    assert [line.get_label() for line in plots["response_by_hour"].figure.axes[0].get_lines()
            ] == ["a · mean", "a · P90", "b · mean", "b · P90"]
    assert kpi_label("response_p90_off", "zh") == "非工作时间90%响应时间（分钟）"


def test_doubling_the_night_shift_helps_off_hours_only(mmc_scenario) -> None:
    # one grid, no travel; day shift 08:00-20:00, night 20:00-08:00, same random numbers
    day, night = {"start": "08:00", "end": "20:00"}, {"start": "20:00", "end": "08:00"}
    runs = {}
    for label, staff, shifts in (("one", 3, [day, day, night]),
                                 ("two", 4, [day, day, night, night])):
        scenario = mmc_scenario(2.0, staff, service_mean=20.0, horizon_days=14,
                                warmup_days=1, workforce__shifts=shifts)
        runs[label] = twin.run_replications(scenario, replications=4).summary["mean"]
    off = runs["one"]["response_mean_off"] - runs["two"]["response_mean_off"]
    work = runs["one"]["response_mean_working"] - runs["two"][
        "response_mean_working"]
    assert off > 0.5 * runs["one"]["response_mean_off"]  # off hours: much shorter
    assert abs(work) < 0.1 * off  # working hours: barely moved
    assert runs["one"]["response_p90_off"] > runs["two"]["response_p90_off"]
