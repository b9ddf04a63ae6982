"""Work orders: each mechanism of the chain on a small, deterministic community."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import twin
from twin.engine.callback import satisfaction
from twin.model import simulate

BASE = """
name: orders
map: {source: lattice, rows: 6, cols: 6}
grids: {blocks: [1, 2]}
workforce: {per_grid: 2}
demand:
  categories:
%s
work_orders:
%s
run: {horizon_days: %s, warmup_days: 0.5, replications: 1, seed: 7}
"""


def run(tmp_path: Path, categories: str, work_orders: str, days: float = 3.0,
        extra: str = "") -> Any:
    path = tmp_path / "s.yaml"
    path.write_text(BASE % (categories, work_orders, days) + extra, encoding="utf-8")
    return simulate(twin.load_scenario(path), 0)


UNITS = """  units:
    - {name: property, staff: 2, per_grid: true}
    - {name: city_management, staff: 2}
"""


def first_requests(orders: pd.DataFrame) -> pd.DataFrame:
    return orders[orders["repeat_of"] < 0]


def test_a_repair_is_checked_filed_handled_by_property_and_verified(tmp_path: Path) -> None:
    r = run(tmp_path, "    - {name: repair, rate_per_hour: 0.5, flow: compound_repair}", UNITS)
    o = first_requests(r.orders)
    assert len(o) == len(r.issues) > 20
    done = o[o["t_closed"].notna()]
    assert (done["t_filed"] >= done["t_received"]).all()
    assert (done["t_handled"] >= done["t_signed"]).all()
    assert (done["t_verified"] >= done["t_handled"]).all()
    assert set(done["unit"].astype(str)) <= {"property/grid-01", "property/grid-02"}
    steps = r.steps
    kinds = steps.groupby("order_id", observed=True)["step"].apply(
        lambda s: [x for x in s.astype(str) if x in ("check", "handle", "verify")][:3])
    assert (kinds[done["order_id"]].map(tuple) == ("check", "handle", "verify")).all()
    # property management's handling takes hours, not the grid worker's minutes
    handle = steps[(steps["step"] == "handle") & (steps["outcome"] != "open")]
    assert handle["handling"].mean() > 45
    # the issue table says when it was settled: when the order closed
    settled = r.issues.set_index("issue_id").loc[done["issue_id"], "t_resolved"]
    assert np.allclose(settled.to_numpy(), done["t_closed"].to_numpy())


def test_patrol_finds_are_not_checked_and_residents_reports_are(tmp_path: Path) -> None:
    r = run(tmp_path, "    - {name: litter, rate_per_hour: 1.0, channels: {resident: 0.5, "
                      "patrol: 0.5}, flow: public_space}", UNITS)
    o = first_requests(r.orders)
    checked = set(r.steps.loc[r.steps["step"] == "check", "order_id"])
    patrol = set(o.loc[o["channel"] == "patrol", "order_id"])
    resident = set(o.loc[(o["channel"] == "resident") & o["t_filed"].notna(), "order_id"])
    assert patrol and resident
    assert not checked & patrol
    assert resident <= checked


def test_answered_at_once_makes_no_order_work(tmp_path: Path) -> None:
    r = run(tmp_path, "    - {name: ask, rate_per_hour: 2.0, "
                      "flow: {template: on_site, answered_at_once: 1.0}}", UNITS)
    o = first_requests(r.orders)
    assert len(o) > 50 and not o["filed"].any()
    assert len(r.steps) == 0
    assert (r.issues["t_resolved"] == r.issues["t_reported"]).all()


def test_wrong_assignments_come_back_after_the_return_delay(tmp_path: Path) -> None:
    # the wrong unit (city management) sends it back after its own return delay
    units = UNITS.replace("city_management, staff: 2}", "city_management, staff: 2, "
                          "return_delay: {distribution: fixed, value: 90}}")
    r = run(tmp_path, "    - {name: repair, rate_per_hour: 1.0, flow: {template: compound_repair,"
                      " wrong_assignment: 0.5}}", units + "  max_returns: 1\n")
    assign = r.steps[r.steps["step"] == "assign"]
    returned = assign[assign["outcome"] == "returned"]
    assert len(returned) > 5
    assert np.allclose(returned["wait"], 90.0)
    assert (returned["unit"].astype(str) == "city_management").all()
    per_order = returned.groupby("order_id").size()
    o = r.orders.set_index("order_id")
    assert (o.loc[per_order.index, "returns"] == per_order).all()
    assert o["returns"].max() == 1  # max_returns: then the district decides


def test_an_unsolved_callback_sends_the_same_order_back(tmp_path: Path) -> None:
    r = run(tmp_path, "    - {name: minor, rate_per_hour: 1.0, flow: {template: on_site, "
                      "fixed: 0.0}}",
            UNITS + "  callback: {reached: 1.0, solved_if_not_fixed: 0.0, max_reworks: 1, "
                    "delay: 10}\n")
    o = first_requests(r.orders)
    closed = o[o["t_closed"].notna() & o["called_back"]]
    assert len(closed) > 10
    assert (closed["reworks"] == 1).all() and not closed["solved"].any()
    settles = r.steps[r.steps["step"] == "settle"].groupby("order_id")["attempt"].max()
    assert (settles[closed["order_id"]] == 2).all()
    assert len(o) == len(r.issues)  # the rework is the same order, not a new one


@pytest.mark.parametrize("satisfied", [0.01, 1.0])
def test_an_unsatisfied_callback_sends_a_solved_order_back(tmp_path: Path,
                                                           satisfied: float) -> None:
    # every fix holds and every answer is "solved": only dissatisfaction sends orders back
    r = run(tmp_path, "    - {name: minor, rate_per_hour: 1.0, flow: {template: on_site, "
                      "fixed: 1.0}}",
            UNITS + "  callback: {reached: 1.0, solved_if_fixed: 1.0, solved_if_not_fixed: 1.0, "
                    f"satisfied_if_solved: {satisfied}, max_reworks: 1, delay: 10}}\n")
    o = first_requests(r.orders)
    calls = r.steps[r.steps["step"] == "callback"]
    assert len(calls) > 10 and (calls["outcome"] == "solved").all()
    assert not (r.steps["outcome"] == "found_not_fixed").any()
    if satisfied < 1.0:
        assert (o["reworks"] > 0).sum() > 10
        again = calls.groupby("order_id").size()
        assert (again > 1).sum() > 10  # sent back, closed and called back again
    else:
        assert (o["reworks"] == 0).all() and o.loc[o["called_back"], "satisfied"].all()


def test_satisfaction_falls_with_lateness() -> None:
    assert satisfaction(0.9, 0.5, 0.0) == 0.9
    odds = 0.9 / 0.1 * 0.5
    assert satisfaction(0.9, 0.5, 1.0) == pytest.approx(odds / (1 + odds))
    assert satisfaction(0.9, 0.5, 2.0) < satisfaction(0.9, 0.5, 1.0)
    assert satisfaction(0.9, 1.0, 3.0) == pytest.approx(0.9)


def test_overdue_orders_are_chased_then_supervised_and_stay_ungraded(tmp_path: Path) -> None:
    units = """  units:
    - {name: property, staff: 1, shifts: [{start: "09:00", end: "10:00"}]}
    - {name: city_management, staff: 1}
  overdue: {chase_after: 0, supervise_after: 120}
"""
    r = run(tmp_path, "    - {name: repair, rate_per_hour: 1.0, "
                      "flow: {template: compound_repair, limit: 60}}", units)
    o = first_requests(r.orders)
    late = o[o["t_chased"].notna()]
    assert len(late) > 10
    assert np.allclose(late["t_chased"], late["t_received"] + 60)
    sup = o[o["t_supervised"].notna()]
    assert np.allclose(sup["t_supervised"], sup["t_received"] + 180)
    # only disputes are graded: an order has no colour, overdue or not, and never escalates
    assert (r.issues["colour"].astype(str) == "none").all()
    assert (r.issues["colour_closed"].astype(str) == "none").all()
    assert (r.issues["deadline"] == 60.0).all()
    assert len(r.escalations) == 0


def test_a_beyond_street_order_summons_its_departments_first(tmp_path: Path) -> None:
    units = UNITS + "  whistle: {departments: [city_management]}\n"
    r = run(tmp_path, "    - {name: build, rate_per_hour: 0.3, flow: {template: public_space, "
                      "beyond_street: true}}\n"
                      "    - {name: litter, rate_per_hour: 1.0, flow: public_space}", units)
    o = first_requests(r.orders)
    whistled = o[o["category"] == "build"]
    assert len(whistled) > 3
    assert np.allclose(whistled["t_whistled"], whistled["t_filed"])
    assert (whistled["summoned"] == 1).all()
    assert o.loc[o["category"] == "litter", "t_whistled"].isna().all()
    reports = r.steps[r.steps["step"] == "report"]
    assert set(reports["order_id"]) == set(whistled["order_id"])
    assert (reports["unit"].astype(str) == "city_management").all()
    assert (reports["limit"] == 30).all()
    visits = r.visits[r.visits["purpose"] == "report"]
    assert len(visits) == len(reports)


def test_repeat_requests_are_linked_filed_and_closed_with_the_first(tmp_path: Path) -> None:
    units = """  units:
    - {name: property, staff: 1, per_grid: true}
    - {name: city_management, staff: 1}
  centre: {staff: 1}
"""
    r = run(tmp_path, "    - {name: repair, rate_per_hour: 1.0, flow: compound_repair}", units,
            extra="repeat_complaints: {rate_at_deadline: 0.5}\n")
    o = r.orders
    repeats = o[o["repeat_of"] >= 0]
    assert len(repeats) > 5
    first = o.set_index("order_id")
    assert (repeats["order_id"] >= len(r.issues)).all()
    of = first.loc[repeats["repeat_of"]]
    assert (repeats["t_received"].to_numpy() > of["t_received"].to_numpy()).all()
    closed = repeats["t_closed"].notna().to_numpy()
    # closed with the first, or, when filed after it closed, at the filing
    with_first = np.isclose(repeats["t_closed"].to_numpy(), of["t_closed"].to_numpy())
    at_filing = np.isclose(repeats["t_closed"].to_numpy(), repeats["t_filed"].to_numpy())
    assert (with_first | at_filing)[closed].all() and with_first[closed].mean() > 0.8
    files = r.steps[(r.steps["step"] == "file") & r.steps["order_id"].isin(repeats["order_id"])]
    assert (files["unit"].astype(str) == "command_centre").all() and len(files) > 0
    # no field work for a repeat
    field = r.steps[r.steps["step"].isin(["check", "handle", "verify"])]
    assert not field["order_id"].isin(repeats["order_id"]).any()
    # the complaints table lists exactly the repeat requests, at their times
    listed = r.complaints.sort_values(["issue_id", "t"]).reset_index(drop=True)
    made = repeats.sort_values(["issue_id", "t_received"])
    assert np.array_equal(listed["issue_id"], made["issue_id"])
    assert np.allclose(listed["t"], made["t_received"])
    counted = r.issues.set_index("issue_id")["repeat_complaints"]
    assert counted.sum() == len(repeats)


def test_a_patrol_find_has_nobody_to_call_again(tmp_path: Path) -> None:
    r = run(tmp_path, "    - {name: litter, rate_per_hour: 1.0, channels: {patrol: 1.0}, "
                      "flow: public_space}", UNITS,
            extra="repeat_complaints: {rate_at_deadline: 5.0}\n")
    assert len(r.orders) == len(r.issues) > 20
    assert len(r.complaints) == 0 and not r.steps["step"].isin(["callback"]).any()


def test_the_response_deadline_does_not_touch_work_orders(tmp_path: Path) -> None:
    # `deadlines` holds only the response deadline, a KPI's; an order's time limit, by
    # which it is chased and residents call again, is its flow's
    cats = "    - {name: repair, rate_per_hour: 1.0, flow: compound_repair}"
    extra = "repeat_complaints: {rate_at_deadline: 0.5}\n"
    loose = run(tmp_path, cats, UNITS, extra=extra)
    strict = run(tmp_path, cats, UNITS, extra=extra + "deadlines: {response: 5}\n")
    for table in ("orders", "steps", "complaints"):
        assert getattr(loose, table).equals(getattr(strict, table)), table
    assert (loose.issues["deadline"] == 4320.0).all()  # compound_repair's limit
    assert (loose.orders["limit"] == 4320.0).all()
    short = run(tmp_path, "    - {name: repair, rate_per_hour: 1.0, "
                          "flow: {template: compound_repair, limit: 600}}", UNITS, extra=extra)
    assert (short.issues["deadline"] == 600.0).all() and (short.orders["limit"] == 600.0).all()
    assert len(short.complaints) > len(loose.complaints)  # calls again sooner


def test_small_requests_go_to_volunteers_who_accept_or_decline(tmp_path: Path) -> None:
    extra = ("volunteers: {registered_per_1000_residents: 50, participation: 0.5, "
             "accept: 0.5, expire_after: 600}\n")
    r = run(tmp_path, "    - {name: wish, rate_per_hour: 0.5, flow: wish}", "  units: []\n",
            days=5, extra=extra)
    steps, o = r.steps, first_requests(r.orders)
    offers = steps[steps["step"] == "offer"]
    assert {"accepted", "declined"} <= set(offers["outcome"].astype(str))
    helped = steps[(steps["step"] == "wish") & (steps["outcome"] == "done")]
    workers = r.activity.drop_duplicates("worker").set_index("worker")["kind"].astype(str)
    assert (workers[helped["worker"]] == "volunteer").all()
    lapsed = offers[offers["outcome"] == "expired"]
    gone = o.set_index("order_id").loc[lapsed["order_id"]]
    assert np.allclose(gone["t_closed"], gone["t_filed"] + 600)
    assert not gone["called_back"].any()
    rated = o[o["order_id"].isin(helped["order_id"])]
    assert rated["called_back"].all() and rated["solved"].all()


def test_a_category_without_a_flow_has_no_orders(tmp_path: Path) -> None:
    r = run(tmp_path, "    - {name: old, rate_per_hour: 1.0, service: {distribution: "
                      "exponential, mean: 20}}", "  units: []\n")
    assert len(r.orders) == 0 and len(r.steps) == 0 and len(r.issues) > 20


def test_two_handle_steps_draw_their_own_numbers(tmp_path: Path) -> None:
    units = """  units:
    - {name: a, staff: 5, travel: false}
    - {name: b, staff: 5, travel: false}
    - {name: c, staff: 1, travel: false}
  max_returns: 3
"""
    flow = ("{steps: [{step: handle, by: a, service: {distribution: fixed, value: 5}}, "
            "{step: handle, by: b, service: {distribution: fixed, value: 5}}], "
            "wrong_assignment: 0.5, fixed: 0.5}")
    r = run(tmp_path, f"    - {{name: job, rate_per_hour: 2.0, channels: {{patrol: 1.0}}, "
                      f"flow: {flow}}}", units, days=6)
    steps = r.steps
    returned = steps[(steps["step"] == "assign") & (steps["outcome"] == "returned")]
    wrong = [set(returned.loc[returned["step_no"] == k, "order_id"]) for k in (0, 1)]
    handled = steps[steps["step"] == "handle"].pivot_table(
        index="order_id", columns="step_no", values="outcome", aggfunc="first",
        observed=True).dropna().astype(str)
    assert len(handled) > 100
    # independent steps: about half of the orders right at step 0 go wrong at step 1,
    # and step 1's fix does not copy step 0's
    right_first = set(handled.index) - wrong[0]
    share = len(wrong[1] & right_first) / len(right_first)
    assert 0.35 < share < 0.65
    assert 0.35 < (handled[0] != handled[1]).mean() < 0.65


def test_a_reopened_order_is_chased_and_called_again(tmp_path: Path) -> None:
    r = run(tmp_path, "    - {name: minor, rate_per_hour: 0.3, flow: {template: on_site, "
                      "limit: 60, fixed: 0.0}}",
            "  units: []\n  callback: {reached: 1.0, solved_if_not_fixed: 0.0, max_reworks: 1, "
            "delay: 600}\n  overdue: {chase_after: 120, supervise_after: 240}\n",
            extra="repeat_complaints: {rate_at_deadline: 2.0}\n")
    o = first_requests(r.orders)
    again = o[(o["reworks"] == 1) & o["t_closed"].notna()]
    assert len(again) > 5
    # closed in time the first time (settle takes minutes), chased after the callback
    # sent it back, when it was long past its limit
    assert again["t_chased"].notna().all() and again["t_supervised"].notna().all()
    repeats = r.orders[r.orders["repeat_of"] >= 0]
    assert repeats["repeat_of"].isin(again["order_id"]).any()


def test_repeats_continue_past_the_draws_made_in_advance(tmp_path: Path) -> None:
    units = "  units:\n    - {name: city_management, staff: 0}\n"
    r = run(tmp_path, "    - {name: litter, rate_per_hour: 0.2, flow: {template: public_space, "
                      "limit: 240}}", units, extra="repeat_complaints: {rate_at_deadline: 1.0}\n")
    per_order = r.orders[r.orders["repeat_of"] >= 0].groupby("repeat_of").size()
    assert per_order.max() > 20


def test_the_centre_filing_an_order_is_not_a_response_on_site(tmp_path: Path) -> None:
    units = ("  units:\n    - {name: city_management, staff: 2, sign: {distribution: fixed, "
             "value: 240}}\n  centre: {staff: 1}\n")
    r = run(tmp_path, "    - {name: litter, rate_per_hour: 0.5, channels: {patrol: 1.0}, "
                      "flow: public_space}", units)
    handled = r.steps[(r.steps["step"] == "handle") & r.steps["t_on_site"].notna()]
    first_on_site = handled.groupby("order_id")["t_on_site"].min()
    issues = r.issues.set_index("issue_id").loc[first_on_site.index]
    assert len(issues) > 10
    assert np.allclose(issues["t_on_site"], first_on_site)
