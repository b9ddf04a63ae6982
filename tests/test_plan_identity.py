"""Checking a scenario quickly changes no number: rota plans, time on duty, non-case time,
lattice maps and the staff listed are the same, bit for bit, as their plain definitions,
and `twin validate` loads none of the run's modules (tables, plots, the engine)."""

from __future__ import annotations

import math
import random
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from twin.geography import build_community
from twin.headcount import headcount
from twin.lattice import lattice_arrays, lattice_blocks, lattice_edges, lattice_graph
from twin.scenario import load_scenario, rotaplan
from twin.scenario.duty import working_days
from twin.scenario.noncasetime import block_spans, share_spans, split_non_case
from twin.scenario.people import WORKDAYS, RotaSpec
from twin.scenario.rotaplan import (
    PersonTime,
    Span,
    intersect,
    merge,
    rota_people,
    subtract,
    union,
)
from twin.scenario.schema import LatticeMap
from twin.scenario.spanarrays import as_array
from twin.staffing import build_staffing
from twin.vocab import MINUTES_PER_DAY, WEEKDAYS

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted(p.relative_to(ROOT / "scenarios").as_posix()
                 for p in (ROOT / "scenarios").rglob("*.yaml"))


def _clock(text: str) -> float:
    h, m = text.split(":")
    return int(h) * 60.0 + int(m)


def _span(day: int, start: str, end: str, horizon: float) -> Span | None:
    s, e = _clock(start), _clock(end)
    e = e + MINUTES_PER_DAY if e <= s else e
    lo, hi = max(day * MINUTES_PER_DAY + s, 0.0), min(day * MINUTES_PER_DAY + e, horizon)
    return (lo, hi) if hi > lo else None


def spans_of(rows: np.ndarray) -> list[Span]:
    """Rows of (start, end) as a list of spans."""
    return [(s, e) for s, e in rows.tolist()]


def plain_people(rota: RotaSpec, n: int, horizon: float, working=None) -> list[PersonTime]:
    """The people of a rota by the rules of :mod:`twin.scenario.rotaplan`, day by day."""
    working = working or (lambda d: d % 7 < 5)
    n_days = math.ceil(horizon / MINUTES_PER_DAY)
    pool_day = working if rota.days == [WORKDAYS] else (lambda d: WEEKDAYS[d % 7] in rota.days)
    pool = [d for d in range(n_days) if pool_day(d)]
    rest = [d for d in range(n_days) if not pool_day(d)]
    days = []
    for k in range(n):
        mine = []
        for d in pool:
            i = sum(1 for w in WEEKDAYS[:d % 7] if w in rota.days)
            if rota.days == [WORKDAYS] or len(rota.days) <= rota.week or (
                    (i - k) % len(rota.days) < rota.week):
                mine.append(d)
        days.append(mine)
    off = [{d for j, d in enumerate(days[k])
            if math.floor((j + 1) * rota.leave + (k + 0.5) / n)
            > math.floor(j * rota.leave + (k + 0.5) / n)} for k in range(n)]
    leave = [len(o) for o in off]
    duty: list[list[Span]] = [[] for _ in range(n)]
    nights, restdays = [0] * n, [0] * n
    spec = rota.duty
    if spec is not None and spec.night is not None:
        s = min(spec.night.staff, n)
        for t, d in enumerate(range(-1, n_days)):
            for j in range(s):
                p = (t * s + j) % n
                nights[p] += 1
                span = _span(d, spec.night.start, spec.night.end, horizon)
                duty[p] += [span] if span else []
    if spec is not None and spec.restday is not None:
        s = min(spec.restday.staff, n)
        for t, d in enumerate(rest):
            for j in range(s):
                p = (t * s + j) % n
                restdays[p] += 1
                span = _span(d, spec.restday.start, spec.restday.end, horizon)
                duty[p] += [span] if span else []
                if spec.time_off:  # within five working days, the most of the pool at work
                    later = [x for x in days[p] if x > d and x not in off[p]][:5]
                    if later:
                        off[p].add(min(later, key=lambda x: (-sum(
                            1 for k in range(n) if x in days[k] and x not in off[k]), x)))
    out = []
    for k in range(n):
        worked = [d for d in days[k] if d not in off[k]]
        spans = [_span(d, rota.day.start, rota.day.end, horizon) for d in worked]
        out.append(PersonTime(work=as_array(merge([x for x in spans if x])),
                              duty=as_array(merge(duty[k])),
                              days_worked=len(worked), leave_days=leave[k],
                              nights=nights[k], restdays=restdays[k]))
    return out


ROTAS = [
    {},
    {"leave": 0.07, "duty": {"restday": {"start": "08:30", "end": "17:30", "staff": 2},
                             "time_off": True}},
    {"day": {"start": "20:00", "end": "08:00"}, "days": ["mon", "tue", "wed", "thu", "fri",
                                                         "sat"], "week": 4, "leave": 0.1},
    {"day": {"start": "00:00", "end": "24:00"}, "unpaid_break": 0},  # a whole day: days touch
    {"day": {"start": "07:00", "end": "06:59"}, "unpaid_break": 0},
    {"duty": {"night": {"start": "17:30", "end": "08:30", "staff": 1},
              "restday": {"start": "09:00", "end": "17:00", "staff": 3}, "time_off": True},
     "leave": 0.03, "days": ["mon", "wed", "fri", "sun"], "week": 3},
]


@pytest.mark.parametrize("spec", ROTAS)
@pytest.mark.parametrize(("n", "days"), [(1, 40), (5, 100), (13, 365)])
def test_rota_people_equal_the_day_by_day_plan(spec: dict, n: int, days: int) -> None:
    rota = RotaSpec.model_validate(spec)
    horizon = days * MINUTES_PER_DAY - 90.0  # a run that ends inside a day
    holiday = lambda d: d % 7 < 5 and d % 11 != 3  # noqa: E731 - a calendar with holidays
    for working in (None, holiday):
        got = rota_people(rota, n, horizon, working)
        assert got == plain_people(rota, n, horizon, working)
        for person in got:
            assert spans_of(person.on_duty()) == merge([*spans_of(person.work),
                                                         *spans_of(person.duty)])


def random_spans(rng: random.Random, n: int, horizon: float, grid: float = 0.0) -> list[Span]:
    points = sorted(round(rng.uniform(0.0, horizon) / grid) * grid if grid else
                    rng.uniform(0.0, horizon) for _ in range(2 * n))
    return merge([(points[2 * i], points[2 * i + 1]) for i in range(n)])


@pytest.mark.parametrize("seed", range(30))
def test_union_is_the_merge_of_both(seed: int) -> None:
    rng = random.Random(seed)
    grid = rng.choice([0.0, 30.0])  # spans on a grid of 30 min touch and repeat
    a = random_spans(rng, rng.randint(0, 60), 5000.0, grid)
    b = random_spans(rng, rng.randint(0, 60), 5000.0, grid)
    assert union(a, b) == merge([*a, *b]) == union(b, a)


@pytest.mark.parametrize("seed", range(30))
def test_non_case_split_equals_its_plain_definition(seed: int,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rotaplan, "LONG", 10**9)  # the plain Python merge and subtract
    rng = random.Random(seed)
    horizon = rng.choice([2.0, 9.0, 40.0]) * MINUTES_PER_DAY
    on = random_spans(rng, rng.randint(0, 200), horizon, rng.choice([0.0, 15.0]))
    blocks = random_spans(rng, rng.randint(0, 30), horizon, rng.choice([0.0, 30.0]))
    share, n = rng.choice([0.0, 0.25, 0.5, 1.0]), rng.randint(1, 4)
    k = rng.randrange(n)
    away = merge(intersect(on, blocks) + share_spans(share, k, n, on))
    got_away, got_rest = split_non_case(as_array(on), as_array(blocks), share, k, n)
    assert spans_of(got_away) == away
    assert spans_of(got_rest) == (subtract(on, away) if away else on)


def test_non_case_split_of_day_hours_and_meeting_blocks() -> None:
    rota = RotaSpec.model_validate(ROTAS[1])
    horizon = 60 * MINUTES_PER_DAY
    blocks = block_spans([], horizon)
    assert blocks == []
    for person in rota_people(rota, 3, horizon):
        away, rest = map(spans_of, split_non_case(person.on_duty(), as_array([(990.0, 1050.0)]),
                                                  0.25, 1, 3))
        on = spans_of(person.on_duty())
        assert away == merge(intersect(on, [(990.0, 1050.0)]) + share_spans(0.25, 1, 3, on))
        assert rest == subtract(on, away)
        assert sum(e - s for s, e in away) + sum(e - s for s, e in rest) == pytest.approx(
            sum(e - s for s, e in on))


@pytest.mark.parametrize(("rows", "cols"), [(1, 1), (1, 6), (5, 1), (7, 9)])
def test_lattice_arrays_are_read_from_its_graph(rows: int, cols: int) -> None:
    spec = LatticeMap.model_validate({"source": "lattice", "rows": rows, "cols": cols,
                                      "block_length": 75.5})
    graph = lattice_graph(spec)
    labels, xy, adjacency = lattice_arrays(spec)
    assert labels == [str(graph.nodes[v]["label"]) for v in graph.nodes]
    expected_xy = np.array([[graph.nodes[v]["x"], graph.nodes[v]["y"]] for v in graph.nodes],
                           float)
    assert xy.dtype == expected_xy.dtype and np.array_equal(xy, expected_xy)
    expected = nx.to_scipy_sparse_array(graph, nodelist=range(rows * cols), weight="length")
    for part in ("indptr", "indices", "data"):
        mine, theirs = getattr(adjacency, part), getattr(expected, part)
        assert mine.dtype == theirs.dtype and np.array_equal(mine, theirs)
    assert sorted(map(tuple, lattice_edges(spec).tolist())) == sorted(graph.edges())
    blocks = (min(rows, 2), min(cols, 3))
    by_attribute = np.array([(graph.nodes[v]["row"] * blocks[0] // rows) * blocks[1]
                             + graph.nodes[v]["col"] * blocks[1] // cols for v in graph.nodes])
    assert np.array_equal(lattice_blocks(spec, blocks), by_attribute)


def test_a_lattice_graph_is_built_on_first_use_with_its_grids() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    community = build_community(scenario)
    assert "graph" not in community.__dict__  # nothing built for a check
    graph = community.graph
    assert graph is community.graph
    expected = lattice_graph(scenario.map)
    for v in expected.nodes:
        expected.nodes[v]["grid"] = community.grid_names[community.grid_of_node[v]]
    assert list(graph.nodes(data=True)) == list(expected.nodes(data=True))
    assert list(graph.edges(data=True)) == list(expected.edges(data=True))


def _short(name: str) -> dict[str, float]:
    return {"run.horizon_days": 21, "run.warmup_days": 1} if name == "district.yaml" else {}


@pytest.mark.parametrize("name", SHIPPED)
def test_staff_listed_without_times_are_the_staff(name: str) -> None:
    scenario = load_scenario(ROOT / "scenarios" / name, overrides=_short(name))
    community = build_community(scenario)
    full = build_staffing(scenario, community, patrols=False)
    listed = build_staffing(scenario, community, patrols=False, times=False)
    for column in ("kind", "unit", "base", "travels"):
        assert np.array_equal(getattr(listed, column), getattr(full, column)), column
    assert listed.unit_names == full.unit_names
    assert listed.handling_units == full.handling_units
    assert all(d is None for d in listed.duty) and not any(len(x) for x in listed.noncase)


@pytest.mark.parametrize("name", SHIPPED)
def test_headcount_hours_equal_the_plain_plan(name: str) -> None:
    scenario = load_scenario(ROOT / "scenarios" / name, overrides=_short(name))
    horizon = scenario.run.horizon_days * MINUTES_PER_DAY
    weeks = horizon / (7 * MINUTES_PER_DAY)
    working = working_days(scenario)
    pools = headcount(scenario, build_community(scenario))
    orders = scenario.work_orders
    units = [(u.name, u.rota, u.staff) for u in (orders.units if orders else []) if u.rota
             and not u.per_grid]
    if orders is not None and orders.centre is not None and orders.centre.rota is not None:
        units.append(("command_centre", orders.centre.rota, orders.centre.staff))
    for pool, rota, staff in units:
        people = plain_people(rota, staff, horizon, working)
        hours = sum(sum(e - s for s, e in p.work) - rota.unpaid_break * p.days_worked
                    for p in people) / 60.0 / weeks
        assert pools[pool].people == staff
        assert pools[pool].hours_per_week == pytest.approx(hours, rel=1e-12)


def test_validate_loads_none_of_the_run_modules() -> None:
    code = ("import sys\nfrom twin.cli import app\n"
            "try:\n    app(['validate', 'scenarios/work_orders.yaml'])\n"
            "except SystemExit as exc:\n    assert not exc.code, exc.code\n"
            "print(sorted(m for m in ('pandas', 'matplotlib', 'simpy', 'scipy.stats', "
            "'twin.model', 'twin.experiment', 'openpyxl') if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_the_package_names_its_api_lazily_as_before() -> None:
    code = ("import twin, twin.sweep, twin.compare, twin.workflows\n"
            "from twin.compare import compare\nfrom twin.sweep import sweep\n"
            "from twin.experiment import run_replications\n"
            "assert twin.compare is compare and twin.sweep is sweep\n"
            "assert twin.run is run_replications and twin.calibrate.__name__ == 'twin.calibrate'\n"
            "assert all(getattr(twin, name) is not None for name in twin.__all__)\n"
            "print(sorted(set(twin.__all__) - set(dir(twin))))\n")
    assert _python(code) == "[]"


def _python(code: str) -> str:
    """What a fresh interpreter prints running ``code`` in the project."""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    return done.stdout.strip()


def test_submodules_are_attributes_of_the_package_after_a_plain_import() -> None:
    """As when ``import twin`` loaded them eagerly (docs/people.md, docs/plots.md)."""
    code = ("import twin\n"
            "from twin.headcount import headcount\nfrom twin.report import save_plots\n"
            "assert twin.headcount.headcount is headcount\n"
            "assert twin.report.save_plots is save_plots\n"
            "assert callable(twin.staffing.rota_plans) and callable(twin.plots.report_plots)\n"
            "assert twin.compare.__module__ == 'twin.compare'  # still the function\n"
            "try:\n    twin.no_such_part\nexcept AttributeError as error:\n    print(error)\n")
    assert _python(code) == "module 'twin' has no attribute 'no_such_part'"


def test_rota_plans_of_another_run_are_refused() -> None:
    import twin
    from twin.headcount import headcount
    from twin.scenario.duty import rota_plans
    from twin.staffing import build_staffing

    path = ROOT / "scenarios" / "baseline.yaml"
    year = twin.load_scenario(path)
    week = twin.load_scenario(path, overrides={"run.horizon_days": 7, "run.warmup_days": 1})
    with pytest.raises(ValueError, match="made for another horizon or calendar"):
        headcount(week, plans=rota_plans(year))
    with pytest.raises(ValueError, match="made for another horizon or calendar"):
        build_staffing(week, None, plans=rota_plans(year))  # type: ignore[arg-type]
    assert headcount(week, plans=rota_plans(week)) == headcount(week)


def test_neighbouring_grids_of_a_lattice_need_no_graph() -> None:
    from twin.staffing import unit_neighbours

    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    community = build_community(scenario)
    staffing = build_staffing(scenario, community, patrols=False)
    from_lattice = unit_neighbours(staffing, community)
    assert "graph" not in community.__dict__  # the lattice's own streets served
    graph = community.graph
    edges = np.array(list(graph.edges()), dtype=np.int64)
    expected: list[set[int]] = [set() for _ in staffing.unit_names]
    for unit_of in staffing.unit_of_node:
        for a, b in edges.tolist():
            if unit_of[a] != unit_of[b]:
                expected[unit_of[a]].add(int(unit_of[b]))
                expected[unit_of[b]].add(int(unit_of[a]))
    assert from_lattice == [sorted(s) for s in expected]
    assert sum(map(len, from_lattice)) > 0
