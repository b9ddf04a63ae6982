"""Work-order KPIs on hand-built order and step tables, where every answer is worked
out by hand; the time-per-step chart, the report section and the CLI table."""

from __future__ import annotations

import io
import math
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from matplotlib.patches import Rectangle

from twin.cli.common import out_console
from twin.cli.tables import print_order_times
from twin.metrics import replication_kpis
from twin.metrics.catalogue import kpi_spec
from twin.metrics.governance import pool_kpis
from twin.metrics.orders import STEP_ORDER, order_kpis, step_times, unit_of_step
from twin.plots import new_figure, order_time_by_step, report_plots
from twin.plots.labels import text
from twin.records import (
    ACTIVITY_SPECS,
    CAT,
    ORDER_SPECS,
    STEP_SPECS,
    ColumnSpec,
    Labels,
    build_frame,
)
from twin.report import _orders_section
from twin.vocab import CHANNELS, COLOURS, KINDS, STEPS

NAN = float("nan")
LABELS = Labels(grids=["g1", "g2"], units=["g1", "g2", "property/g1", "property/g2", "city",
                                           "centre"],
                categories=["repair", "dispute", "noise"], channels=list(CHANNELS),
                colours=list(COLOURS), kinds=list(KINDS), causes=["failed"])
ORDER_DEFAULTS: dict[str, Any] = {
    "repeat_of": -1, "grid": "g1", "category": "repair", "channel": "resident", "filed": True,
    "t_received": 0.0, "unit": "none", "limit": 1000.0, "returns": 0, "summoned": 0,
    "reworks": 0, "called_back": False, "solved": False, "satisfied": False,
}
STEP_DEFAULTS: dict[str, Any] = {
    "step": "handle", "step_no": 0, "unit": "city", "worker": 0, "attempt": 1,
    "outcome": "done",
}


def _frame(specs: tuple[ColumnSpec, ...], rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A record table from rows given by name; a missing time is NaN, a missing
    category name or number its default."""
    values: dict[str, Any] = {}
    for spec in specs:
        column = [row.get(spec.name, NAN if spec.dtype == "float64" else 0) for row in rows]
        if spec.dtype == CAT:
            names = LABELS.names(spec.categories)
            column = [names.index(v) for v in column]
        values[spec.name] = np.asarray(column, dtype=np.int64 if spec.dtype == CAT else
                                       spec.dtype)
    return build_frame(specs, values, LABELS)


def orders(*rows: dict[str, Any]) -> pd.DataFrame:
    """An order table; order ids number the rows unless given."""
    full = []
    for i, row in enumerate(rows):
        order = {**ORDER_DEFAULTS, "order_id": i, "issue_id": i, **row}
        full.append(order)
    return _frame(ORDER_SPECS, full)


def steps(*rows: dict[str, Any]) -> pd.DataFrame:
    """A step table; ``wait`` and ``handling`` follow from the stamps as the recorder
    computes them, unless given."""
    full = []
    for row in rows:
        step = {**STEP_DEFAULTS, **row}
        started = step.get("t_dispatched", NAN)
        if math.isnan(started):
            started = step.get("t_done", NAN)
        step.setdefault("wait", started - step["t_ready"])
        step.setdefault("handling", step.get("t_done", NAN) - step.get("t_on_site", NAN))
        full.append(step)
    return _frame(STEP_SPECS, full)


def activity(*rows: tuple[str, str, str, float, float]) -> pd.DataFrame:
    """An activity table from (kind, unit, state, t_start, t_end) rows."""
    return _frame(ACTIVITY_SPECS, [
        {"worker": i, "kind": kind, "unit": unit, "state": state, "t_start": start,
         "t_end": end, "issue_id": 0 if state in ("travel", "on_site") else -1}
        for i, (kind, unit, state, start, end) in enumerate(rows)])


def kpis(order_table: pd.DataFrame, step_table: pd.DataFrame | None = None,
         activity_table: pd.DataFrame | None = None, warmup: float = 0.0,
         horizon: float = 1000.0) -> dict[str, float]:
    return order_kpis(order_table, step_table if step_table is not None else steps(),
                      activity_table, warmup, horizon)


# ---------------------------------------------------------------- totals and times
def test_totals_count_first_requests_after_the_warm_up() -> None:
    table = orders({"t_received": 50.0},                                    # warm-up
                   {"t_received": 200.0},                                   # open
                   {"t_received": 300.0, "filed": False},                   # answered
                   {"t_received": 400.0, "t_closed": 600.0},                # closed
                   {"t_received": 500.0, "repeat_of": 3, "issue_id": 3})    # a repeat
    k = kpis(table, warmup=100.0)
    assert k["orders_received"] == 3
    assert k["orders_answered_at_once"] == pytest.approx(1 / 3)
    assert k["orders_filed"] == 2
    assert k["orders_closed_share"] == pytest.approx(0.5)


def test_mean_times_from_receipt_overall_per_category_and_per_unit() -> None:
    table = orders(
        {"t_received": 100.0, "t_signed": 110.0, "t_responded": 140.0, "t_handled": 300.0,
         "t_closed": 400.0, "unit": "property/g1", "category": "repair"},
        {"t_received": 200.0, "t_signed": 230.0, "t_responded": 260.0, "t_handled": 500.0,
         "t_closed": 800.0, "unit": "city", "category": "dispute"},
        {"t_received": 300.0, "unit": "city", "category": "dispute"})       # open
    assigned = steps({"order_id": 0, "step": "assign", "unit": "property/g1", "t_ready": 100.0,
                      "t_done": 110.0, "outcome": "signed"},
                     {"order_id": 1, "step": "assign", "unit": "city", "t_ready": 200.0,
                      "t_done": 230.0, "outcome": "signed"})
    k = kpis(table, assigned)
    assert k["time_to_sign"] == pytest.approx(20.0)
    assert k["time_to_respond"] == pytest.approx(50.0)
    assert k["time_to_handle"] == pytest.approx(250.0)
    assert k["time_to_close"] == pytest.approx(450.0)
    assert math.isnan(k["time_to_verify"])                                  # no verify step
    assert k["time_to_close[repair]"] == pytest.approx(300.0)
    assert k["time_to_close[dispute]"] == pytest.approx(600.0)
    assert "time_to_close[noise]" not in k                                  # no such order
    assert k["time_to_sign[property/g1]"] == pytest.approx(10.0)
    assert k["time_to_sign[city]"] == pytest.approx(30.0)
    assert k["time_to_handle[city]"] == pytest.approx(300.0)
    assert k["orders_handled[city]"] == 2 and k["orders_handled[property/g1]"] == 1
    assert "orders_handled[none]" not in k


def test_chased_orders_after_the_warm_up() -> None:
    table = orders({"limit": 100.0, "t_closed": 50.0},                     # in time
                   {"limit": 100.0, "t_closed": 150.0, "t_chased": 120.0, "unit": "city"},
                   {"limit": 100.0, "t_chased": 110.0, "unit": "city"},     # open, past it
                   {"limit": 100.0, "t_received": 950.0})                   # open, not due
    assert kpis(table)["chased_orders"] == 2
    assert kpis(table, warmup=1.0)["chased_orders"] == 0


def test_signing_is_judged_against_the_units_limit() -> None:
    table = orders({"t_responded": 50.0, "respond_limit": 60.0},             # in time
                   {"t_responded": 130.0, "respond_limit": 60.0},            # late
                   {"respond_limit": 60.0},                                  # not yet, past it
                   {"t_received": 900.0, "respond_limit": 60.0})             # not yet, not due
    rows = steps(*({"order_id": order, "step": "assign", "unit": "city", "worker": -1,
                    "t_ready": ready, "t_done": done, "outcome": "signed", "limit": 30.0}
                   for order, ready, done in ((0, 0.0, 20.0), (1, 10.0, 50.0), (2, 0.0, 5.0),
                                              (3, 950.0, 960.0))))
    k = kpis(table, rows)
    assert k["signed_on_time"] == pytest.approx(3 / 4)        # order 1 took 40 > 30 min
    # contact within the limit (响应率) is an assessment figure: tests/test_assessment.py


# ------------------------------------------------------------------- queues
def test_backlog_and_wait_per_unit() -> None:
    table = orders({}, {})
    queued = steps(
        # one order waiting at `city` from half-way to the end: half an order on average
        {"order_id": 0, "unit": "city", "t_ready": 500.0, "outcome": "open"},
        {"order_id": 1, "unit": "property/g1", "t_ready": 0.0, "t_dispatched": 100.0,
         "t_on_site": 110.0, "t_done": 160.0},
        {"order_id": 1, "unit": "property/g1", "t_ready": 50.0, "t_dispatched": 250.0,
         "t_on_site": 250.0, "t_done": 260.0},
        # an assignment waits for the unit to sign, not in its queue
        {"order_id": 1, "step": "assign", "unit": "property/g1", "t_ready": 0.0,
         "t_done": 900.0, "outcome": "signed"})
    k = kpis(table, queued)
    assert k["unit_backlog[city]"] == pytest.approx(0.5)
    assert k["unit_backlog[property/g1]"] == pytest.approx((100 + 200) / 1000)
    assert k["step_wait[property/g1]"] == pytest.approx(150.0)
    assert math.isnan(k["step_wait[city]"])                                 # still waiting
    # the window starts at the warm-up: only the waiting after it counts
    late = kpis(table, queued, warmup=200.0)
    assert late["unit_backlog[property/g1]"] == pytest.approx(50 / 800)
    assert late["unit_backlog[city]"] == pytest.approx(500 / 800)


def test_handling_units_are_pools_with_their_own_utilisation() -> None:
    staff = activity(("handler", "city", "on_site", 0.0, 300.0),
                     ("handler", "city", "idle", 300.0, 600.0),
                     ("handler", "city", "off_shift", 600.0, 1000.0),
                     ("handler", "centre", "on_site", 0.0, 250.0),
                     ("handler", "centre", "idle", 250.0, 1000.0),
                     ("grid_worker", "g1", "on_site", 0.0, 1000.0))
    k = pool_kpis(staff, 0.0, 1000.0)
    assert k["pool_utilisation[city]"] == pytest.approx(0.5)
    assert k["pool_utilisation[centre]"] == pytest.approx(0.25)
    assert k["pool_utilisation[grid_worker]"] == pytest.approx(1.0)  # grid workers pooled


def test_no_data_is_nan_and_no_orders_is_no_kpi() -> None:
    k = kpis(orders({"filed": False}))
    assert k["orders_received"] == 1 and k["orders_filed"] == 0
    for name in ("orders_closed_share", "time_to_close", "time_to_sign", "signed_on_time"):
        assert math.isnan(k[name]), name
    assert order_kpis(orders(), steps(), None, 0.0, 1000.0) == {}
    assert order_kpis(None, None, None, 0.0, 1000.0) == {}


def test_replication_kpis_adds_order_kpis_only_with_orders() -> None:
    issues = pd.DataFrame({c: pd.Series(dtype=float) for c in (
        "t_reported", "t_on_site", "t_resolved", "t_dispatched", "deadline")}).assign(
        category=pd.Series(dtype=str), colour=pd.Series(dtype=str))
    staff = activity(("handler", "city", "on_site", 0.0, 1000.0))
    deadlines = {"response": 100.0}
    without = replication_kpis(issues, staff, 0.0, 1000.0, deadlines)
    empty = replication_kpis(issues, staff, 0.0, 1000.0, deadlines, orders=orders(),
                             steps=steps())
    assert set(empty) == set(without)
    tables = work_order_tables()
    full = replication_kpis(issues, staff, 0.0, 1000.0, deadlines, orders=tables["orders"],
                            steps=tables["steps"])
    assert set(full) > set(without) and full["time_to_close"] == full["time_to_close"]


# ------------------------------------------------- every KPI a full table gives is known
def work_order_tables() -> dict[str, pd.DataFrame]:
    """Orders and steps that give every work-order KPI and family."""
    table = orders(
        {"t_signed": 10.0, "t_responded": 20.0, "respond_limit": 120.0, "t_handled": 60.0,
         "t_verified": 90.0, "t_closed": 120.0, "unit": "property/g1", "t_chased": 5.0,
         "t_supervised": 6.0, "t_whistled": 1.0, "called_back": True, "solved": True,
         "satisfied": True},
        {"category": "dispute", "t_handled": 30.0, "t_closed": 40.0, "unit": "g1"},
        {"t_received": 10.0, "repeat_of": 0, "issue_id": 0})
    step_table = steps(
        {"order_id": 0, "step": "check", "unit": "g1", "t_ready": 0.0, "t_dispatched": 1.0,
         "t_on_site": 3.0, "t_done": 4.0, "travel": 2.0},
        {"order_id": 0, "step": "file", "unit": "centre", "t_ready": 4.0, "t_dispatched": 4.0,
         "t_on_site": 4.0, "t_done": 5.0},
        {"order_id": 0, "step": "report", "unit": "city", "t_ready": 5.0, "t_dispatched": 5.0,
         "t_on_site": 25.0, "t_done": 45.0, "travel": 20.0, "limit": 30.0},
        {"order_id": 0, "step": "assign", "unit": "property/g1", "t_ready": 5.0,
         "t_done": 10.0, "outcome": "signed", "limit": 30.0},
        {"order_id": 0, "step": "handle", "unit": "property/g1", "t_ready": 10.0,
         "t_dispatched": 15.0, "t_on_site": 25.0, "t_done": 60.0, "travel": 10.0},
        {"order_id": 0, "step": "verify", "unit": "g1", "t_ready": 60.0, "t_dispatched": 70.0,
         "t_on_site": 80.0, "t_done": 90.0, "travel": 10.0},
        {"order_id": 0, "step": "callback", "unit": "centre", "worker": -1, "t_ready": 120.0,
         "t_done": 180.0, "outcome": "solved"},
        {"order_id": 1, "step": "settle", "unit": "g1", "t_ready": 0.0, "t_dispatched": 10.0,
         "t_on_site": 20.0, "t_done": 30.0, "travel": 10.0})
    staff = activity(("handler", "property/g1", "on_site", 0.0, 500.0),
                     ("handler", "property/g1", "idle", 500.0, 1000.0))
    return {"orders": table, "steps": step_table, "activity": staff}


def test_the_catalogue_knows_every_work_order_kpi() -> None:
    tables = work_order_tables()
    k = kpis(tables["orders"], tables["steps"], tables["activity"])
    assert [name for name in k if kpi_spec(name) is None] == []
    families = {kpi_spec(name).name for name in k}
    assert {"time_to_close[CATEGORY]", "time_to_sign[UNIT]", "unit_backlog[UNIT]"} <= families
    assert not any(math.isnan(v) for v in k.values()), k
    # plain KPIs first, then the families
    bracketed = ["[" in name for name in k]
    assert bracketed == sorted(bracketed)


# ----------------------------------------------------------------- per step and unit
def test_step_times_means_and_merged_units() -> None:
    tables = work_order_tables()
    table = step_times(tables["steps"], tables["orders"])
    assert list(table["step"]) == ["check", "file", "report", "assign", "handle", "settle",
                                   "verify", "callback"]
    rows = table.set_index("step")
    assert rows.loc["check", "unit"] == "grid_worker"
    assert rows.loc["handle", "unit"] == "property"
    assert rows.loc["report", ["wait", "travel", "handling"]].tolist() == [0.0, 20.0, 20.0]
    assert rows.loc["assign", "wait"] == 5.0
    per_grid = step_times(tables["steps"], tables["orders"], per_grid=True)
    assert set(per_grid["unit"]) == {"g1", "centre", "city", "property/g1"}
    assert sorted(STEP_ORDER) == sorted(STEPS)
    assert unit_of_step("wish", "g1", False) == "volunteer"
    assert unit_of_step("handle", "property/g2", False) == "property"
    assert unit_of_step("verify", "g2", False) == "grid_worker"
    assert unit_of_step("handle", "city", False) == "city"
    # the warm-up leaves out the steps of orders received before it
    assert step_times(tables["steps"], tables["orders"], 5.0).empty


def test_step_times_of_several_replications_count_per_replication() -> None:
    tables = work_order_tables()
    both = {name: pd.concat([t.assign(replication=r) for r in (0, 1)], ignore_index=True)
            for name, t in tables.items() if name != "activity"}
    # the second replication's handle step took twice as long
    later = (both["steps"]["replication"] == 1) & (both["steps"]["step"] == "handle")
    both["steps"].loc[later, "handling"] = 70.0
    table = step_times(both["steps"], both["orders"]).set_index("step")
    assert table.loc["handle", "handling"] == pytest.approx((35.0 + 70.0) / 2)
    assert table.loc["handle", "count"] == 1.0


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_time_by_step_bars_add_up_to_the_mean_times(lang: str) -> None:
    tables = work_order_tables()
    fig, axes = new_figure()
    ax = order_time_by_step(tables["steps"], tables["orders"], axes[0, 0], lang=lang)
    expected = step_times(tables["steps"], tables["orders"])
    totals: dict[float, float] = {}
    for bar in ax.patches:
        if isinstance(bar, Rectangle) and bar.get_height() > 0:
            centre = round(bar.get_y() + bar.get_height() / 2, 3)
            totals[centre] = totals.get(centre, 0.0) + bar.get_width()
    means = expected[["wait", "travel", "handling"]].fillna(0.0).sum(axis=1).to_numpy()
    assert [totals.get(float(i), 0.0) for i in range(len(expected))] == pytest.approx(means)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    workers = "网格员" if lang == "zh" else "grid workers"
    assert labels[0] == f"{text('step:check', lang)} · {workers}"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert text("part:assignment", lang) in legend
    fig.savefig(io.BytesIO(), format="png")


def test_time_by_step_with_no_steps_says_so() -> None:
    fig, axes = new_figure()
    ax = order_time_by_step(steps(), None, axes[0, 0])
    assert any(t.get_text() == text("no_data") for t in ax.texts)


def test_every_step_has_a_label() -> None:
    for step in STEPS:
        assert text(f"step:{step}", "en") == step
        assert text(f"step:{step}", "zh") != f"step:{step}"


# ---------------------------------------------------------------------- the report
def test_report_section_lists_units_only_when_there_are_orders() -> None:
    summary = pd.DataFrame({
        "scenario": ["a"] * 5 + ["b"],
        "kpi": ["orders_received", "time_to_sign[city]", "pool_utilisation[city]",
                "unit_backlog[centre]", "time_to_handle[city]", "arrived"],
        "mean": [10.0, 12.5, 0.25, 0.5, 0.1, 3.0], "ci_low": NAN, "ci_high": NAN})
    page = "".join(_orders_section(summary, "en"))
    assert "<h2>Work orders</h2>" in page
    assert page.count("<tr>") == 3                                          # head, city, centre
    assert "<td>city</td><td>–</td><td>12.5</td><td>0.1</td><td>–</td><td>25.0%</td>" in page
    assert "25.0%" in page and "<h3>" in page                               # two scenarios
    assert _orders_section(summary[summary["scenario"] == "b"], "zh") == []
    assert "工单" in "".join(_orders_section(summary, "zh"))


def _run_with_orders() -> SimpleNamespace:
    """A run-like object with work orders and no issues (a result has both)."""
    tables = work_order_tables()
    issues = pd.DataFrame({c: pd.Series(dtype=float) for c in (
        "replication", "t_reported", "t_on_site", "t_resolved", "deadline")}).assign(
        category=pd.Series(dtype=str), colour=pd.Series(dtype=str))
    summary = pd.DataFrame({"kpi": ["orders_received"], "mean": [2.0], "ci_low": [NAN],
                            "ci_high": [NAN], "n": [1]}).set_index("kpi")
    return SimpleNamespace(summary=summary, issues=issues, escalations=pd.DataFrame(),
                           kpis=pd.DataFrame({"replication": [0]}), orders=tables["orders"],
                           steps=tables["steps"],
                           scenario=SimpleNamespace(run=SimpleNamespace(warmup_days=0.0,
                                                                        horizon_days=1.0)))


def test_report_plots_draw_the_time_per_step_only_with_steps() -> None:
    run = _run_with_orders()
    assert "order_time_by_step" in [p.slug for p in report_plots([("a", run)])]
    run.steps = run.steps.iloc[:0]
    assert "order_time_by_step" not in [p.slug for p in report_plots([("a", run)])]


def test_run_prints_times_per_step_and_unit() -> None:
    run = _run_with_orders()
    with out_console.capture() as captured:
        print_order_times(run)  # type: ignore[arg-type]
    shown = captured.get()
    assert "Work orders: time per step and unit" in shown and "wait [min]" in shown
    assert "property" in shown and "property/g1" not in shown
    with out_console.capture() as captured:
        print_order_times(run, per_grid=True)  # type: ignore[arg-type]
    assert "property/g1" in captured.get()
    run.steps = run.steps.iloc[:0]
    with out_console.capture() as captured:
        print_order_times(run)  # type: ignore[arg-type]
    assert captured.get() == ""


def test_per_grid_times_merge_a_units_copies_beyond_the_listed_rows(monkeypatch) -> None:
    """A district's units by grid make too many rows: they are merged, and a note says
    where every step is."""
    import twin.cli.tables as tables
    from twin.cli.common import err_console

    run = _run_with_orders()
    with out_console.capture() as captured:
        print_order_times(run, per_grid=True)  # type: ignore[arg-type]
    rows = [r for r in captured.get().splitlines() if "property" in r]
    monkeypatch.setattr(tables, "LISTED", len(rows) - 1)
    with out_console.capture() as captured, err_console.capture() as note:
        print_order_times(run, per_grid=True)  # type: ignore[arg-type]
    assert "property" in captured.get() and "property/g1" not in captured.get()
    assert " ".join(note.get().split()) == (
        f"(a unit's copies in every grid merged: more than {len(rows) - 1} rows by grid; "
        "every step is in steps.parquet)")
