"""The assessment figures (考核) on a small hand-built set of orders, steps and callbacks
whose every answer is worked out by hand in the comments."""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from test_order_metrics import orders, steps

import twin
from twin.cli.common import out_console
from twin.cli.single import print_assessment
from twin.metrics.assessment import (
    FIGURES,
    assessed_unit,
    assessment_kpis,
    parse_scope,
    scope_column,
)
from twin.metrics.catalogue import kpi_spec, split
from twin.report_assessment import assessment_section, measured_window

ROOT = Path(__file__).resolve().parents[1]
NAN = float("nan")
WARMUP, HORIZON = 100.0, 1000.0


def assessed_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Nine requests; the warm-up ends at 100, the horizon is 1000.

    0  received before the warm-up: counts nowhere (but names its unit, category, grid)
    1  repair, g1, property/g1: contacted in time, closed in time, solved and satisfied
    2  repair, g2, city (after property/g2 sent it back): contacted late, closed late,
       supervised, solved but not satisfied
    3  noise, g1, city: not contacted though due, open past its limit, whistled: city
       arrived in time, property/g1 never
    4  noise, g2, no work step yet: its contact and its limit not yet due
    5  a repeat of 2, received at 500
    6  answered at once (no order)
    7  repair, g1, property/g1, no response limit, closed in time, callback unreached
    8  dispute, g1, settled by the grid worker (unit g1), closed in time, unsolved
    """
    table = orders(
        {"t_received": 50.0, "unit": "property/g1", "respond_limit": 60.0, "t_responded": 60.0,
         "limit": 100.0, "t_closed": 400.0, "t_supervised": 200.0, "called_back": True,
         "solved": True, "satisfied": True},
        {"t_received": 200.0, "unit": "property/g1", "respond_limit": 60.0,
         "t_responded": 230.0, "limit": 300.0, "t_closed": 400.0, "called_back": True,
         "solved": True, "satisfied": True},
        {"t_received": 300.0, "grid": "g2", "unit": "city", "respond_limit": 60.0,
         "t_responded": 400.0, "limit": 300.0, "t_closed": 700.0, "t_supervised": 650.0,
         "called_back": True, "solved": True, "satisfied": False},
        {"t_received": 400.0, "category": "noise", "unit": "city", "respond_limit": 60.0,
         "limit": 300.0, "t_whistled": 450.0, "summoned": 2},
        {"t_received": 900.0, "category": "noise", "grid": "g2", "respond_limit": 60.0,
         "limit": 300.0},
        {"t_received": 500.0, "repeat_of": 2, "issue_id": 2, "grid": "g2"},
        {"t_received": 600.0, "filed": False},
        {"t_received": 250.0, "unit": "property/g1", "t_closed": 300.0},
        {"t_received": 260.0, "category": "dispute", "unit": "g1", "limit": 100.0,
         "t_closed": 300.0, "called_back": True})
    assign = [(0, "property/g1", 55.0, 60.0, "signed"),
              (1, "property/g1", 210.0, 215.0, "signed"),   # contact due 270, made at 230
              (2, "property/g2", 305.0, 320.0, "returned"),
              (2, "city", 320.0, 330.0, "signed"),           # contact due 380, made at 400
              (3, "city", 410.0, 415.0, "signed"),           # contact due 470: missed
              (4, "city", 950.0, 960.0, "signed")]           # contact due 1010: not yet
    rows = [{"order_id": o, "step": "assign", "unit": u, "worker": -1, "t_ready": ready,
             "t_done": done, "outcome": outcome, "limit": 30.0}
            for o, u, ready, done, outcome in assign]
    rows += [{"order_id": 3, "step": "report", "unit": u, "t_ready": 450.0,
              "t_dispatched": 450.0, "t_on_site": on_site, "limit": 30.0,
              "outcome": "done" if on_site == on_site else "open"}
             for u, on_site in (("city", 470.0), ("property/g1", NAN))]
    return table, steps(*rows)


@pytest.fixture(scope="module")
def figures() -> dict[str, float]:
    table, step_table = assessed_tables()
    return assessment_kpis(table, step_table, WARMUP, HORIZON)


def test_response_rate_is_contact_within_the_limit_of_the_signed_assignment(figures) -> None:
    # orders 1 (in time), 2 (late), 3 (missed, due before the horizon); 4 not yet due
    assert figures["response_rate"] == pytest.approx(1 / 3)
    # each counts for the unit that signed (property/g2 only sent one back); the copies
    # of `property` in each grid are one unit
    assert figures["response_rate[unit:property]"] == 1.0
    assert figures["response_rate[unit:city]"] == 0.0
    assert not any("property/" in name for name in figures)
    assert figures["response_rate[category:repair]"] == pytest.approx(1 / 2)
    assert figures["response_rate[category:noise]"] == 0.0
    assert figures["response_rate[grid:g1]"] == pytest.approx(1 / 2)
    assert figures["response_rate[grid:g2]"] == 0.0


def test_resolution_and_satisfaction_are_over_requesters_reached(figures) -> None:
    # reached at the last callback: 1 (solved, satisfied), 2 (solved), 8 (neither); 7 unreached
    assert figures["resolution_rate"] == pytest.approx(2 / 3)
    assert figures["satisfaction_rate"] == pytest.approx(1 / 3)
    assert figures["resolution_rate[unit:city]"] == 1.0
    assert figures["satisfaction_rate[unit:city]"] == 0.0
    assert figures["satisfaction_rate[unit:property]"] == 1.0
    assert figures["resolution_rate[unit:grid_worker]"] == 0.0       # g1's grid workers
    assert figures["resolution_rate[category:dispute]"] == 0.0
    assert figures["satisfaction_rate[grid:g1]"] == pytest.approx(1 / 2)
    assert "resolution_rate[unit:none]" not in figures


def test_on_time_overdue_and_supervised(figures) -> None:
    # known: 1, 7, 8 closed in time; 2 closed late; 3 open past its limit; 4 not yet due
    assert figures["on_time_rate"] == pytest.approx(3 / 5)
    assert figures["on_time_rate[unit:city]"] == 0.0
    assert figures["on_time_rate[unit:property]"] == 1.0
    assert figures["on_time_rate[grid:g1]"] == pytest.approx(3 / 4)
    assert figures["on_time_rate[category:noise]"] == 0.0            # 3 late, 4 unknown
    assert figures["overdue_orders"] == 2
    assert figures["overdue_orders[unit:city]"] == 2
    assert figures["overdue_orders[unit:property]"] == 0             # order 0: before warm-up
    assert figures["overdue_orders[grid:g2]"] == 1
    assert figures["supervised_orders"] == 1                          # order 0 does not count
    assert figures["supervised_orders[category:repair]"] == 1


def test_repeat_rate_counts_a_repeat_for_the_order_it_repeats(figures) -> None:
    # orders after the warm-up: 1, 2, 3, 4, 7, 8 and the repeat 5; 6 was no order
    assert figures["repeat_rate"] == pytest.approx(1 / 7)
    assert figures["repeat_rate[unit:city]"] == pytest.approx(1 / 3)  # 2, 3 and the repeat
    assert figures["repeat_rate[unit:property]"] == 0.0
    assert figures["repeat_rate[grid:g2]"] == pytest.approx(1 / 3)    # 2, 4 and the repeat
    assert figures["repeat_rate[category:repair]"] == pytest.approx(1 / 4)


def test_return_rate_counts_for_the_unit_assigned(figures) -> None:
    # finished assignments of orders after the warm-up: 5, one sent back
    assert figures["return_rate"] == pytest.approx(1 / 5)
    assert figures["return_rate[unit:property]"] == pytest.approx(1 / 2)  # g2 back, g1 signed
    assert figures["return_rate[unit:city]"] == 0.0
    assert figures["return_rate[category:repair]"] == pytest.approx(1 / 3)
    assert figures["return_rate[grid:g2]"] == pytest.approx(1 / 3)


def test_whistles_and_reports(figures) -> None:
    assert figures["whistles"] == 1
    # a whistled order counts once for each department it summoned
    assert figures["whistles[unit:city]"] == 1
    assert figures["whistles[unit:property]"] == 1
    assert figures["whistles[category:noise]"] == 1
    assert figures["whistles[category:repair]"] == 0
    assert figures["whistles[grid:g1]"] == 1
    assert figures["report_on_time"] == pytest.approx(1 / 2)
    assert figures["report_on_time[unit:city]"] == 1.0
    assert figures["report_on_time[unit:property]"] == 0.0
    assert figures["report_on_time[grid:g1]"] == pytest.approx(1 / 2)


def test_every_figure_and_scope_is_in_the_catalogue(figures) -> None:
    assert [name for name in figures if kpi_spec(name) is None] == []
    for figure in FIGURES:
        assert figure in figures
        assert kpi_spec(scope_column(figure, "grid", "g1")).name == f"{figure}[SCOPE]"
        assert kpi_spec(figure).label[1]                              # a Chinese name
    bracketed = ["[" in name for name in figures]
    assert bracketed == sorted(bracketed)                             # totals first
    assert parse_scope("unit:property/g1") == ("unit", "property/g1")
    assert assessed_unit("property/g1", {"g1"}) == "property"
    assert assessed_unit("team/g1", {"g1"}) == "team"
    assert assessed_unit("g1", {"g1"}) == "grid_worker"
    assert assessed_unit("city", {"g1"}) == "city"
    assert parse_scope("repair") is None and parse_scope("team:x") is None


def test_stacked_replications_are_matched_on_their_own_orders(figures) -> None:
    table, step_table = assessed_tables()
    both = [pd.concat([t.assign(replication=r) for r in (0, 1)], ignore_index=True)
            for t in (table, step_table)]
    twice = assessment_kpis(both[0], both[1], WARMUP, HORIZON)
    assert set(twice) == set(figures)
    for name, value in figures.items():
        unit = kpi_spec(name).unit
        expected = 2 * value if unit == "orders" else value
        assert twice[name] == pytest.approx(expected, nan_ok=True), name


def test_no_orders_no_figures_and_no_data_is_nan() -> None:
    assert assessment_kpis(None, None, 0.0, 1000.0) == {}
    assert assessment_kpis(orders(), steps(), 0.0, 1000.0) == {}
    k = assessment_kpis(orders({"filed": False}), None, 0.0, 1000.0)
    for name in ("response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate",
                 "repeat_rate", "return_rate", "report_on_time"):
        assert math.isnan(k[name]), name
    assert (k["overdue_orders"], k["supervised_orders"], k["whistles"]) == (0, 0, 0)


# ------------------------------------------------------- the sheet and the terminal
def _summary(rows: dict[str, tuple[float, float, float]]) -> pd.DataFrame:
    return pd.DataFrame([{"scenario": "a", "kpi": k, "mean": m, "ci_low": lo, "ci_high": hi}
                         for k, (m, lo, hi) in rows.items()])


def _scenario(start: dt.date | None, warmup: float = 7.0, horizon: float = 35.0
              ) -> SimpleNamespace:
    return SimpleNamespace(run=SimpleNamespace(warmup_days=warmup, horizon_days=horizon),
                           calendar=None if start is None else SimpleNamespace(start=start),
                           name="a")


def test_the_sheet_has_a_row_per_scope_and_a_column_per_figure() -> None:
    summary = _summary({"response_rate": (0.95, 0.9, 1.0), "overdue_orders": (12.5, NAN, NAN),
                        "response_rate[grid:g1]": (0.5, 0.4, 0.6),
                        "response_rate[unit:city]": (0.25, NAN, NAN),
                        "overdue_orders[category:repair]": (3.0, 2.0, 4.0),
                        "time_to_close[repair]": (100.0, NAN, NAN)})
    run = SimpleNamespace(scenario=_scenario(dt.date(2025, 3, 3)))
    en = "".join(assessment_section([("a", run)], summary, "en"))
    rows = re.findall(r"<tr><td>(.*?)</td>", en)
    assert rows == ["<b>Total</b>", "Unit: city", "Category: repair", "Grid: g1"]
    assert en.count("<th>") == 1 + len(FIGURES)
    assert "<td>95.0%<br><small>90.0% – 100.0%</small></td>" in en
    assert "<td>13</td>" in en and "<td>25.0%</td>" in en  # a count is written whole
    assert "2025-03-10 to 2025-04-06" in en                 # day 7 to 34 of a run from 3 March
    zh = "".join(assessment_section([("a", run)], summary, "zh"))
    assert "考核表" in zh and "响应率" in zh and "单位：city" in zh and "合计" in zh
    assert "2025-03-10 至 2025-04-06" in zh
    assert assessment_section([("a", run)], _summary({"arrived": (1.0, NAN, NAN)}), "en") == []
    folded = "".join(assessment_section([("a", run)], summary, "en", folded=True))
    assert folded.count("<details><summary>a</summary>") == 1  # a sweep's points fold away
    assert folded.split("<details><summary>a</summary>")[1].split("</details>")[0].count(
        "<tr><td>") == len(rows)


def test_the_period_without_a_calendar_is_in_days_of_the_run() -> None:
    assert measured_window(_scenario(None), "en") == (
        "run day 7 to 34, day 0 the first: end of the warm-up to the horizon")
    assert measured_window(_scenario(dt.date(2025, 3, 3), warmup=1.5), "en").startswith(
        "2025-03-04 12:00 to 2025-04-07 00:00")


def test_run_prints_the_total_figures_with_chinese_names() -> None:
    summary = _summary({"response_rate": (0.95, 0.9, 1.0), "whistles": (2.0, NAN, NAN)})
    result = SimpleNamespace(summary=summary.drop(columns="scenario").set_index("kpi"),
                             scenario=_scenario(None))
    with out_console.capture() as captured:
        print_assessment(result)  # type: ignore[arg-type]
    shown = captured.get()
    assert "Assessment (考核)" in shown and "run day 7 to 34" in shown
    assert re.search(r"Response rate\s*│\s*响应率\s*│\s*response_rate\s*│\s*95\.0%\s*│"
                     r"\s*90\.0% – 100\.0%", shown), shown
    assert re.search(r"吹哨工单数\s*│\s*whistles\s*│\s*2\s*│\s*-", shown), shown
    result.summary = result.summary.drop(index=["response_rate", "whistles"])
    with out_console.capture() as captured:
        print_assessment(result)  # type: ignore[arg-type]
    assert captured.get() == ""


def test_counts_add_up_over_categories_and_grids_in_a_real_run() -> None:
    scenario = twin.load_scenario(ROOT / "scenarios" / "work_orders.yaml", overrides={
        "run.horizon_days": 6, "run.warmup_days": 1})
    result = twin.run_replications(scenario, replications=1)
    k = result.kpis.iloc[0].to_dict()
    assert k["response_rate"] == k["response_rate"]                   # orders ran: not NaN
    for figure in FIGURES:
        if kpi_spec(figure).unit == "share":
            shares = [v for name, v in k.items() if split(name)[0] == figure and v == v]
            assert shares and all(0.0 <= v <= 1.0 for v in shares), figure
            continue
        for scope in ("category", "grid"):
            parts = sum(v for name, v in k.items()
                        if name.startswith(f"{figure}[{scope}:"))
            assert parts == k[figure], (figure, scope)
    units = sum(v for name, v in k.items() if name.startswith("overdue_orders[unit:"))
    assert units <= k["overdue_orders"]                               # no unit yet: total only


def test_every_order_counts_for_one_unit_with_teams_and_volunteers() -> None:
    from pathlib import Path

    import twin

    root = Path(__file__).resolve().parents[1] / "scenarios"
    for name in ("quanke_before.yaml", "volunteers_65.yaml"):
        scenario = twin.load_scenario(root / name, overrides={
            "run.horizon_days": 4, "run.warmup_days": 1})
        kpis = twin.run_replications(scenario, replications=1).kpis.iloc[0]
        for figure in ("overdue_orders", "whistles"):
            units = [k for k in kpis.index if k.startswith(f"{figure}[unit:")]
            assert units, name
            if figure == "overdue_orders":  # each order counts for one unit
                assert sum(kpis[k] for k in units) == kpis[figure], name
        grid_worker = kpis["on_time_rate[unit:grid_worker]"]
        assert grid_worker == grid_worker, name  # not NaN: the grid workers' orders are there
