"""Only disputes are graded; any other category's urgency is its time limit.

A category without a dispute block has no ``colours`` and a time limit (a case's
``limit``, a work order's flow's); waiting work is taken shortest limit first; the
issue table records ``none`` as its colour; the per-colour deadlines are gone.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

import twin
from twin import ScenarioError
from twin.engine.book import ORDINARY, VISIT_RANK, urgency_ranks
from twin.metrics import replication_kpis

TINY = """\
name: tiny
map: {{source: lattice, rows: 4, cols: 4}}
grids: {{blocks: [1, 2]}}
demand:
  categories:
    - name: noise
      rate_per_hour: 1.0
      {extra}
      service: {{distribution: exponential, mean: 20}}
"""


def problems(tmp_path: Path, extra: str, more: str = "") -> list[str]:
    path = tmp_path / "s.yaml"
    path.write_text(TINY.format(extra=extra) + textwrap.dedent(more), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        twin.load_scenario(path)
    return str(caught.value).splitlines()


def test_colours_on_a_category_that_is_no_dispute_are_refused(tmp_path: Path) -> None:
    assert problems(tmp_path, "colours: {green: 0.9, red: 0.1}") == [
        f"{tmp_path / 's.yaml'}:8: demand.categories.0.colours: only disputes are graded "
        "(三色预警): a category without a dispute block has no colours; its urgency is its "
        "time limit (`limit`, or its flow's `limit`); remove colours or add a dispute block"]


def test_the_old_colour_deadlines_are_refused_with_their_replacement(tmp_path: Path) -> None:
    lines = problems(tmp_path, "limit: 240", "deadlines: {response: 60, green: 240, red: 4320}\n")
    assert [line.split(": ", 1)[1] for line in lines] == [
        f"deadlines.{c}: `{c}` was removed: time limits are per category: a case's `limit`, "
        "a work order's flow's `limit`; a dispute has none (only disputes are graded)"
        for c in ("green", "red")]


@pytest.mark.parametrize(("limit", "message"), [
    ("0", "must be > 0 (got 0)"),
    ("-5", "must be > 0 (got -5)"),
])
def test_a_limit_must_be_positive(tmp_path: Path, limit: str, message: str) -> None:
    assert problems(tmp_path, f"limit: {limit}") == [
        f"{tmp_path / 's.yaml'}:8: demand.categories.0.limit: {message}"]


def test_a_limit_belongs_to_the_flow_of_a_work_order(small_scenario) -> None:
    with pytest.raises(ScenarioError, match="a work order's time limit is its flow's `limit`"):
        small_scenario({"demand.categories.0.limit": 240,
                        "demand.categories.0.service": None,
                        "demand.categories.0.flow": "on_site"})


def test_time_limits_by_kind(small_scenario) -> None:
    case = small_scenario({"demand.categories.0.limit": 480}).demand.categories[0]
    assert case.time_limit() == 480
    default = small_scenario().demand.categories[0]
    assert default.limit is None and default.time_limit() == 1440
    order = small_scenario({"demand.categories.0.service": None,
                            "demand.categories.0.flow": "on_site"}).demand.categories[0]
    assert order.time_limit() == 1440  # the default flow's


def test_urgency_ranks_order_the_distinct_limits_shortest_first() -> None:
    assert urgency_ranks([4320.0, 240.0, 1440.0, 240.0, float("nan")]) == [
        ORDINARY + 2, ORDINARY, ORDINARY + 1, ORDINARY, ORDINARY]
    assert urgency_ranks([]) == []
    assert max(urgency_ranks([float(k) for k in range(1, 100)])) < VISIT_RANK


def test_only_disputes_are_recorded_with_a_grade(load_scenario) -> None:
    scenario = load_scenario("scenarios/baseline.yaml")
    result = twin.simulate(scenario, replication=0)
    issues = result.issues
    disputed = issues["category"].astype(str) == "neighbour_dispute"
    assert disputed.any() and (~disputed).any()
    assert (issues.loc[~disputed, "colour"].astype(str) == "none").all()
    assert (issues.loc[~disputed, "colour_closed"].astype(str) == "none").all()
    assert issues.loc[disputed, "colour"].astype(str).isin(["green", "yellow", "red"]).all()
    assert issues.loc[disputed, "deadline"].isna().all()
    limits = {c.name: c.limit_spec() for c in scenario.demand.categories if c.dispute is None}
    assert any(s.working for s in limits.values() if s) and not all(
        s.working for s in limits.values() if s)  # the baseline has both kinds
    for name, spec in limits.items():
        assert spec is not None
        deadline = issues.loc[issues["category"].astype(str) == name, "deadline"]
        assert len(deadline), name
        if not spec.working:  # calendar time: the limit as written, for every issue
            assert (deadline == spec.minutes).all(), name
        else:  # working time: from receipt to the due time, which varies with the hour
            assert (deadline > 0).all() and deadline.nunique() > 1, name
            if spec.unit != "day":  # working hours pass no faster than the clock
                assert (deadline >= spec.minutes).all(), name


def test_within_deadline_per_category_is_counted_against_its_own_limit(load_scenario) -> None:
    scenario = load_scenario("scenarios/baseline.yaml")
    result = twin.simulate(scenario, replication=0)
    warmup = scenario.run.warmup_days * 1440.0
    horizon = scenario.run.horizon_days * 1440.0
    kpis = replication_kpis(result.issues, result.activity, warmup, horizon,
                            scenario.deadlines.model_dump())
    iss = result.issues[result.issues["t_reported"] >= warmup]
    for name in ("repair", "sanitation"):
        mine = iss[iss["category"].astype(str) == name]
        took = mine["t_resolved"] - mine["t_reported"]
        due = mine["t_reported"] + mine["deadline"] <= horizon
        expected = float(((took <= mine["deadline"]) & took.notna())[due].mean())
        assert kpis[f"within_deadline[{name}]"] == pytest.approx(expected)
        assert kpis[f"count[{name}]"] == len(mine)
    assert np.isnan(kpis["within_deadline[neighbour_dispute]"])
