"""Limits per category for the stages of an order: signing, responding, handling.

A flow may set `sign_limit`, `respond_limit` and `handle_limit` in calendar or working
time; they replace its unit's limits for that category's orders only, and each runs
from the assignment on the scenario's calendar (paused outside working hours where
the limit is in working time).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import twin
from twin import ScenarioError
from twin.deadlines import TimeLimits, build_calendar
from twin.vocab import ASSIGN, SIGNED, STEP_OUTCOMES, STEPS

ROOT = Path(__file__).resolve().parents[1]
WORK_ORDERS = ROOT / "scenarios" / "work_orders.yaml"
START = "2025-09-22"  # a Monday before the National Day holiday
REPAIR, RUBBISH = 1, 2  # categories of work_orders.yaml (property, city management)
RUN = {"run.horizon_days": 21, "run.warmup_days": 1, "run.replications": 1}


def staged() -> twin.Scenario:
    return twin.load_scenario(WORK_ORDERS, overrides={
        "calendar": {"start": START},
        "demand.categories.1.flow.sign_limit": 5,
        "demand.categories.1.flow.respond_limit": "1 working hours",
        "demand.categories.1.flow.handle_limit": "2 working days",
        "demand.categories.1.rate_per_hour_per_1000_residents": 0.1, **RUN})


def test_a_flow_limits_its_own_stages_and_the_others_keep_their_units() -> None:
    scenario = staged()
    rec = twin.simulate(scenario, 0)
    names = [c.name for c in scenario.demand.categories]
    orders = rec.orders[(rec.orders["repeat_of"] < 0) & rec.orders["t_signed"].notna()]
    steps = rec.steps
    signed = steps[(steps["step"].astype(str) == STEPS[ASSIGN])
                   & (steps["outcome"].astype(str) == STEP_OUTCOMES[SIGNED])]
    category = rec.orders.set_index("order_id")["category"].astype(str)
    cat_of_row = category.loc[signed["order_id"]].to_numpy()
    repair, rubbish = names[REPAIR], names[RUBBISH]
    assert (cat_of_row == repair).sum() > 30 and (cat_of_row == rubbish).sum() > 30
    assert (signed["limit"][cat_of_row == repair] == 5.0).all()
    unit_limit = next(u.sign_limit for u in scenario.work_orders.units
                      if u.name == "city_management")
    assert (signed["limit"][cat_of_row == rubbish] == unit_limit).all()

    limits, cal = TimeLimits(scenario), build_calendar(scenario)
    mine = orders[(orders["category"].astype(str) == repair) & (orders["returns"] == 0)]
    assigned = mine["t_assigned"].to_numpy()
    assert len(mine) > 30
    respond = mine["respond_limit"].to_numpy()
    assert np.allclose(respond, [limits.stage(REPAIR, "respond", t) for t in assigned])
    assert np.allclose(cal.working_minutes_many(assigned, assigned + respond), 60.0)
    assert len(np.unique(respond)) > 5  # paused outside working hours
    handle = mine["handle_limit"].to_numpy()
    due = assigned + handle
    assert np.allclose(due, [cal.add_days(t, 2) for t in assigned])
    other = orders[orders["category"].astype(str) == rubbish]
    assert other["handle_limit"].isna().all()
    assert (other["respond_limit"] == next(u.respond_limit for u in scenario.work_orders.units
                                           if u.name == "city_management")).all()


def test_without_stage_limits_nothing_changes() -> None:
    plain = twin.load_scenario(WORK_ORDERS, overrides=RUN)
    same = twin.load_scenario(WORK_ORDERS, overrides={
        **RUN, "demand.categories.1.flow.sign_limit": 30})  # property's own limit
    a, b = twin.simulate(plain, 0).orders, twin.simulate(same, 0).orders
    assert a.drop(columns="handle_limit").equals(b.drop(columns="handle_limit"))


def test_stage_limit_mistakes_are_located() -> None:
    with pytest.raises(ScenarioError) as caught:
        twin.load_scenario(WORK_ORDERS, overrides={
            "demand.categories.1.flow.respond_limit": -5,
            "demand.categories.2.flow.handle_limit": "3 weeks"})
    text = str(caught.value)
    assert "demand.categories.1.flow.respond_limit: must be > 0 (got -5)" in text
    assert "demand.categories.2.flow.handle_limit: not a time limit '3 weeks'" in text
    with pytest.raises(ScenarioError) as caught:
        twin.load_scenario(WORK_ORDERS, overrides={
            "demand.categories.1.flow.sign_limit": "2 working hours"})
    assert ("demand.categories.1.flow.sign_limit: 2 working hours counts working time, "
            "which needs a `calendar` section") in str(caught.value)
