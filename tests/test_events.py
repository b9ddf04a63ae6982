"""Dated events: a surge multiplies the chosen categories' arrivals on its days only."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import twin
from twin import ScenarioError
from twin.demand import event_factors, generate_arrivals
from twin.geography import build_community
from twin.rng import Streams

P_MIN = 1e-3
DAY = 1440.0
# a Monday; the surge runs Monday 6 to Sunday 12 October 2025 (days 14 to 20)
BASE = """\
name: surge
map: {source: lattice, rows: 4, cols: 4}
grids: {blocks: [2, 2]}
demand:
  categories:
    - {name: flood, rate_per_hour: 2.0, service: {distribution: fixed, value: 10}}
    - {name: noise, rate_per_hour: 2.0, service: {distribution: fixed, value: 10}}
calendar: {start: 2025-09-22}
run: {horizon_days: 28, warmup_days: 1}
"""


def load(tmp_path: Path, more: str) -> twin.Scenario:
    path = tmp_path / "s.yaml"
    path.write_text(BASE + textwrap.dedent(more), encoding="utf-8")
    return twin.load_scenario(path)


def daily(scenario: twin.Scenario, replication: int) -> np.ndarray:
    """Arrivals per category (rows) and day (columns) of one replication."""
    community = build_community(scenario)
    arr = generate_arrivals(scenario, community, Streams(scenario.run.seed, replication),
                            28 * DAY)
    out = np.zeros((2, 28))
    np.add.at(out, (arr.category, (arr.t // DAY).astype(int)), 1)
    return out


def test_a_surge_multiplies_arrivals_only_in_its_dates(tmp_path: Path) -> None:
    scenario = load(tmp_path, """\
        events:
          - {name: rainy season, start: 2025-10-06, end: 2025-10-12, multiplier: 3,
             categories: [flood]}
        """)
    counts = sum(daily(scenario, r) for r in range(5))
    base = 2.0 * 24 * 4 * 5  # per day: rate x hours x grids x replications
    factor = np.ones(28)
    factor[14:21] = 3.0
    for row, shape in ((counts[0], factor), (counts[1], np.ones(28))):
        expected = base * shape
        # the level: the total inside a Poisson band of four standard deviations
        assert abs(row.sum() - expected.sum()) < 4 * np.sqrt(expected.sum())
        # the shape: three times the base on the surge's 7 days (flood), flat (noise)
        assert stats.chisquare(row, expected * row.sum() / expected.sum()).pvalue > P_MIN
    # a flat profile does not fit the flood's days
    assert stats.chisquare(counts[0], np.full(28, counts[0].sum() / 28)).pvalue < 1e-10


def test_events_multiply_and_apply_to_every_category_by_default(tmp_path: Path) -> None:
    scenario = load(tmp_path, """\
        events:
          - {name: holiday rush, start: 2025-10-01, end: 2025-10-07, multiplier: 2}
          - {name: lockdown, start: 2025-10-06, end: 2025-10-10, multiplier: 0}
        """)
    counts = daily(scenario, 0)
    assert (counts[:, 14:19] == 0).all()  # days 14-18: nobody reports under the lockdown
    assert counts[:, 9:14].sum() > 1.5 * counts[:, 2:7].sum()  # the rush before it


@pytest.mark.parametrize(("more", "message"), [
    ("events: [{name: x, start: 2025-10-06, end: 2025-10-01, multiplier: 2}]\n",
     "events.0.end: must not be before start (2025-10-06) (got 2025-10-01)"),
    ("events: [{name: x, start: 2026-01-05, end: 2026-01-06, multiplier: 2}]\n",
     "events.0: 2026-01-05 to 2026-01-06 lies outside the run (2025-09-22 to 2025-10-19)"),
    ("events: [{name: x, start: 2025-10-06, end: 2025-10-07, multiplier: 2, "
     "categories: [floods]}]\n",
     "events.0.categories.0: no such category 'floods'; known: flood, noise"),
])
def test_event_mistakes_are_located(tmp_path: Path, more: str, message: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        load(tmp_path, more)
    assert [line.split(": ", 1)[1] for line in str(caught.value).splitlines()] == [message]


def test_an_event_needs_a_calendar(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(BASE.replace("calendar: {start: 2025-09-22}\n", "")
                    + "events: [{name: x, start: 2025-10-06, end: 2025-10-07, multiplier: 2}]\n",
                    encoding="utf-8")
    with pytest.raises(ScenarioError, match="events.0: a dated event needs a `calendar`"):
        twin.load_scenario(path)


def test_without_events_the_arrivals_are_unchanged(tmp_path: Path) -> None:
    plain = load(tmp_path, "")
    other = load(tmp_path, "events: [{name: x, start: 2025-10-06, end: 2025-10-07, "
                           "multiplier: 1}]\n")
    assert np.array_equal(daily(plain, 0), daily(other, 0))


def test_overlapping_events_multiply(tmp_path: Path) -> None:
    scenario = load(tmp_path, """\
        events:
          - {name: rain, start: 2025-10-06, end: 2025-10-12, multiplier: 2}
          - {name: typhoon, start: 2025-10-06, end: 2025-10-12, multiplier: 3,
             categories: [flood]}
        """)
    hours = 28 * 24
    factors = event_factors(scenario, hours)
    day = np.arange(hours) // 24
    surge = (day >= 14) & (day <= 20)
    assert np.array_equal(factors[0], np.where(surge, 6.0, 1.0))
    assert np.array_equal(factors[1], np.where(surge, 2.0, 1.0))


def test_every_mistake_is_reported_with_the_others(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(BASE.replace("start: 2025-09-22}", "start: 2025-09-23}")
                    .replace("run: {horizon_days: 28, warmup_days: 1}\n",
                             "run: {horizon_days: 0, warmup_days: 1}\n")
                    + "events:\n"
                    "  - {name: a, start: 2025-10-06, end: 2025-10-01, multiplier: 2}\n"
                    "  - {name: a, start: 2025-10-06, end: 2025-10-07, multiplier: 2, "
                    "categories: [zz]}\n"
                    "  - {name: c, start: 2025-10-06, end: 2025-10-07, multiplier: 2, "
                    "categories: []}\n",
                    encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        twin.load_scenario(path)
    found = [line.split(": ", 1)[1] for line in str(caught.value).splitlines()]
    assert "calendar.start: must be a Monday: every weekly pattern starts on Monday " \
           "(got Tuesday 2025-09-23)" in found
    assert "run.horizon_days: must be > 0 (got 0)" in found
    assert "events.0.end: must not be before start (2025-10-06) (got 2025-10-01)" in found
    assert "events.1.categories.0: no such category 'zz'; known: flood, noise" in found
    assert any(f.startswith("events.1.name: ") for f in found)  # a repeated name
    assert any(f.startswith("events.2.categories: ") for f in found)  # an empty list


def test_a_working_limit_without_a_calendar_is_reported_with_other_mistakes(
        tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(BASE.replace("calendar: {start: 2025-09-22}\n", "")
                    .replace("value: 10}}\n    - {name: noise",
                             "value: 10}, limit: 4 working hours}\n    - {name: noise")
                    .replace("horizon_days: 28", "horizon_days: 0"), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        twin.load_scenario(path)
    found = [line.split(": ", 1)[1] for line in str(caught.value).splitlines()]
    assert "run.horizon_days: must be > 0 (got 0)" in found
    assert any(f.startswith("demand.categories.0.limit: 4 working hours counts working time")
               for f in found)


def test_the_size_estimate_counts_the_events(tmp_path: Path) -> None:
    from twin.sizing import estimate

    plain = load(tmp_path, "")
    surge = load(tmp_path, "events: [{name: x, start: 2025-10-06, end: 2025-10-12, "
                           "multiplier: 3, categories: [flood]}]\n")
    base = 2.0 * 24 * 4 * 28  # per category: rate x hours x grids x days
    assert estimate(plain, build_community(plain)).issues == pytest.approx(2 * base)
    # flood: 21 days at 1 and 7 at 3, i.e. 42 days' worth; noise unchanged
    assert estimate(surge, build_community(surge)).issues == pytest.approx(base * (1 + 42 / 28))
