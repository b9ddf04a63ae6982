"""``twin calibrate``: known rates, profiles, colours and on-site times are recovered
from tickets drawn from them (inside their confidence intervals), the written demand
block merges into a scenario and reproduces the arrival rate, and every class of
mistake in a tickets file gives exact, located messages and exit code 2.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from typer.testing import CliRunner

import twin
from twin.calibrate import GridMap, fit_demand, parse_time, read_tickets
from twin.calibrate.mix import colour_mix, fit_service
from twin.calibrate.rates import exposure, fit_profile, garwood
from twin.calibrate.window import TIME_FORMS
from twin.cli import app
from twin.demand import rate_table
from twin.geography import build_community

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "stress.yaml"  # the ten grids of the sample tickets
runner = CliRunner()

SEED = 1
START = np.datetime64("2024-01-01T00:00")  # a Monday
WEEKS = 6
GRIDS = ["north", "centre", "south"]
RESIDENTS = np.array([2000.0, 4000.0, 6000.0])
# Average rate per hour over the week, per grid [1/h]: repair and sanitation in
# proportion to residents, disputes the same everywhere.
TRUE_RATES = {
    "repair": 0.10 * RESIDENTS / 1000,
    "sanitation": 0.06 * RESIDENTS / 1000,
    "dispute": np.array([0.10, 0.10, 0.10]),
}
_h = np.arange(24)
TRUE_HOURS = {
    "repair": 1.0 + 0.8 * np.sin((_h - 9) / 24 * 2 * np.pi),
    "sanitation": np.where((_h >= 6) & (_h < 10), 3.0, 0.6),
    "dispute": np.where(_h >= 17, 2.5, 0.5),
}
TRUE_DAYS = {
    "repair": np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.2, 1.2]),
    "sanitation": np.array([1.6, 1.0, 0.8, 0.8, 0.8, 1.0, 1.4]),
    "dispute": np.array([0.6, 0.6, 0.8, 0.8, 1.2, 1.6, 1.6]),
}
TRUE_COLOURS = {
    "repair": {"green": 0.8, "yellow": 0.15, "red": 0.05},
    "sanitation": {"green": 0.9, "yellow": 0.1, "red": 0.0},
    "dispute": {"green": 0.5, "yellow": 0.35, "red": 0.15},
}
SERVICE = (np.log(20.0), 0.5)  # lognormal on-site times: log-mean, log-sd

GRIDS_YAML = """\
extends: {baseline}
grids:
  assignment: blocks
  blocks: [1, 3]
  items:
    - {{name: north, residents: 2000}}
    - {{name: centre, residents: 4000}}
    - {{name: south, residents: 6000}}
"""


def unit(values: np.ndarray) -> np.ndarray:
    return values / values.mean()


def make_tickets(rng: np.random.Generator, weeks: int = WEEKS) -> list[tuple[float, str, str,
                                                                             str, float]]:
    """Tickets as (hours since START, category, grid, colour, on-site minutes)."""
    hours = np.arange(weeks * 168)
    rows = []
    for cat, rates in TRUE_RATES.items():
        shape = unit(TRUE_DAYS[cat])[(hours // 24) % 7] * unit(TRUE_HOURS[cat])[hours % 24]
        names = list(TRUE_COLOURS[cat])
        shares = np.array(list(TRUE_COLOURS[cat].values()))
        for g, grid in enumerate(GRIDS):
            counts = rng.poisson(rates[g] * shape)
            t = np.repeat(hours, counts) + rng.random(counts.sum())
            colour = rng.choice(len(names), size=len(t), p=shares)
            service = rng.lognormal(*SERVICE, size=len(t))
            rows += [(float(ti), cat, grid, names[c], float(s))
                     for ti, c, s in zip(t, colour, service, strict=True)]
    return sorted(rows)


def write_csv(path: Path, rows: list[tuple[float, str, str, str, float]]) -> Path:
    lines = ["id,timestamp,category,grid,colour,handling_minutes,note"]
    for i, (hours, cat, grid, colour, minutes) in enumerate(rows):
        stamp = START + np.timedelta64(int(hours * 3600), "s")
        lines.append(f"{i},{stamp},{cat},{grid},{colour},{minutes:.2f},x")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("calibrate")
    write_csv(path / "tickets.csv", make_tickets(np.random.default_rng(SEED)))
    (path / "grids.yaml").write_text(GRIDS_YAML.format(baseline=BASELINE), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def grid_map(folder: Path) -> GridMap:
    scenario = twin.load_scenario(folder / "grids.yaml")
    return GridMap.from_community(build_community(scenario), "grids.yaml")


WINDOW = (parse_time("2024-01-01T00:00"), parse_time("2024-02-12T00:00"))  # six weeks
CELLS = 3 * 3  # grids x categories: Bonferroni over the family of intervals
FAMILY = 0.01  # chance that any interval of the family misses its truth


# ------------------------------------------------------------------- recovery
def test_each_base_rate_interval_contains_the_true_rate(folder: Path, grid_map: GridMap) -> None:
    tickets = read_tickets(folder / "tickets.csv", grid_map, *WINDOW)
    cal = fit_demand(tickets, level=1 - FAMILY / CELLS)
    assert tickets.grids == GRIDS
    for fit in cal.categories:
        truth = TRUE_RATES[fit.name]
        low, high = fit.rate_ci[:, 0], fit.rate_ci[:, 1]
        assert ((low <= truth) & (truth <= high)).all(), (fit.name, fit.rates, truth)
        assert fit.hours == pytest.approx(WEEKS * 168)  # whole weeks: the profile drops out


def test_rate_form_follows_the_grids(folder: Path, grid_map: GridMap) -> None:
    cal = fit_demand(read_tickets(folder / "tickets.csv", grid_map, *WINDOW))
    form = {f.name: f for f in cal.categories}
    assert form["repair"].form == "rate_per_hour_per_1000_residents"
    assert form["sanitation"].form == "rate_per_hour_per_1000_residents"
    assert form["dispute"].form == "rate_per_hour"
    low, high = form["repair"].value_ci
    assert low <= 0.10 <= high
    low, high = form["dispute"].value_ci
    assert low <= 0.10 <= high
    assert not form["repair"].warnings  # residents explain the differences


def test_without_residents_the_mean_is_written_with_a_warning(folder: Path) -> None:
    cal = fit_demand(read_tickets(folder / "tickets.csv", None, *WINDOW))
    repair = next(f for f in cal.categories if f.name == "repair")
    assert repair.form == "rate_per_hour"
    assert repair.value == pytest.approx(repair.rates.mean())
    assert "twin's rate_per_hour is shared by all grids" in repair.warnings[0]
    assert "centre" in repair.warnings[0]


def test_profiles_match_the_truth_within_chi_square(folder: Path, grid_map: GridMap) -> None:
    cal = fit_demand(read_tickets(folder / "tickets.csv", grid_map, *WINDOW))
    for fit in cal.categories:
        assert fit.own_profile
        for fitted, true, cells in ((fit.profile.hour, TRUE_HOURS[fit.name], 24),
                                    (fit.profile.day, TRUE_DAYS[fit.name], 7)):
            # whole weeks: fitted share of cell k = N_k / N, true share = p_k
            p = unit(true) / cells
            observed = fitted / cells * fit.count
            x2 = float(((observed - fit.count * p) ** 2 / (fit.count * p)).sum())
            assert x2 < stats.chi2.ppf(0.999, cells - 1), (fit.name, cells, x2)


def test_ipf_recovers_a_profile_over_a_ragged_window() -> None:
    rng = np.random.default_rng(3)
    start, end = 24 * 4 + 5.5, 24 * 4 + 5.5 + 24 * 7 * 30 + 41.25  # partial first and last day
    exp = exposure(start, end)
    assert exp.sum() == pytest.approx(end - start)
    hours, days = unit(TRUE_HOURS["repair"]), unit(TRUE_DAYS["dispute"])
    counts = rng.poisson(exp[None] * np.array([2.0, 5.0])[:, None, None]
                         * days[None, :, None] * hours[None, None, :]).astype(float)
    fitted = fit_profile(counts, exp)
    assert np.abs(fitted.day - days).max() < 0.05
    assert np.abs(fitted.hour - hours).max() < 0.1


def test_small_category_borrows_the_pooled_profile(folder: Path, grid_map: GridMap) -> None:
    cal = fit_demand(read_tickets(folder / "tickets.csv", grid_map, *WINDOW), min_count=400)
    own = {f.name: f.own_profile for f in cal.categories}
    assert own == {"repair": True, "sanitation": True, "dispute": False}
    dispute = next(f for f in cal.categories if f.name == "dispute")
    assert np.array_equal(dispute.profile.hour, cal.pooled.hour)
    assert any("uses the hour and weekday profile of all categories" in w
               for w in dispute.warnings)
    # the borrowed profile does not fit disputes' evening peak, and the test says so
    assert dispute.hour_by_grid.p_value < 0.001
    assert dispute.hour_by_grid.df == 3 * (dispute.hour_by_grid.bins - 1)


def test_colour_shares_within_binomial_intervals(folder: Path, grid_map: GridMap) -> None:
    cal = fit_demand(read_tickets(folder / "tickets.csv", grid_map, *WINDOW))
    for fit in cal.categories:
        assert fit.colours is not None
        n = sum(fit.colours.counts.values())
        for colour, true in TRUE_COLOURS[fit.name].items():
            k = fit.colours.counts[colour]
            low, high = stats.binomtest(k, n).proportion_ci(1 - FAMILY / CELLS, "exact")
            assert low <= true <= high, (fit.name, colour)
        assert sum(fit.colours.shares.values()) == pytest.approx(1.0, abs=1e-9)
    sanitation = next(f for f in cal.categories if f.name == "sanitation")
    assert sanitation.colours is not None
    assert sanitation.colours.counts["red"] == 0
    assert 0 < sanitation.colours.shares["red"] < 0.001  # seen in the file: pseudo-count


def test_colour_never_seen_stays_zero() -> None:
    mix = colour_mix(np.array([0, 0, 1, 0]), ["green", "yellow"])
    assert set(mix.shares) == {"green", "yellow"}
    assert mix.shares == {"green": pytest.approx(3.5 / 5), "yellow": pytest.approx(1.5 / 5)}


def test_lognormal_times_choose_lognormal(folder: Path, grid_map: GridMap) -> None:
    cal = fit_demand(read_tickets(folder / "tickets.csv", grid_map, *WINDOW))
    for fit in cal.categories:
        spec = fit.service.spec
        assert spec["distribution"] == "lognormal"
        true_mean = np.exp(SERVICE[0] + SERVICE[1] ** 2 / 2)
        assert spec["mean"] == pytest.approx(true_mean, rel=0.05)
        assert fit.service.aic["lognormal"] < min(fit.service.aic["gamma"],
                                                  fit.service.aic["exponential"])


def test_service_fallbacks() -> None:
    rng = np.random.default_rng(5)
    assert fit_service(rng.gamma(4.0, 5.0, 3000)).spec["distribution"] == "gamma"
    assert fit_service(rng.exponential(10.0, 3000)).spec["distribution"] == "exponential"
    small = fit_service(np.array([5.0, 5.0, 7.5]))
    assert small.spec == {"distribution": "empirical", "values": [5.0, 7.5], "weights": [2, 1]}
    with_zeros = fit_service(np.r_[0.0, rng.lognormal(3, 0.5, 100)])
    assert set(with_zeros.aic) == {"exponential"}  # zeros rule out lognormal and gamma
    fixed = fit_service(np.full(600, 30.0))  # every time the same: no spread to fit
    assert fixed.spec == {"distribution": "fixed", "value": 30.0}
    assert fixed.reason == "every time the same: a fixed time"


def test_garwood_interval() -> None:
    assert garwood(0, 10.0) == (0.0, pytest.approx(0.3689, abs=1e-4))
    low, high = garwood(10, 1.0)
    assert (low, high) == (pytest.approx(4.7954, abs=1e-4), pytest.approx(18.3904, abs=1e-4))


# ----------------------------------------------------------------- round trip
def test_round_trip_through_extends_and_a_short_run(folder: Path) -> None:
    out = folder / "demand.yaml"
    res = runner.invoke(app, ["calibrate", str(folder / "tickets.csv"), "--out", str(out),
                              "--grids-from", str(folder / "grids.yaml"),
                              "--start", "2024-01-01", "--end", "2024-02-12"])
    assert res.exit_code == 0, res.output
    assert "Average rate per hour over the week" in res.stdout
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Demand calibrated from reported tickets")
    assert "6.00 weeks" in text
    top = folder / "top.yaml"
    top.write_text(textwrap.dedent("""\
        extends: [grids.yaml, demand.yaml]
        run: {horizon_days: 8, warmup_days: 1, replications: 5, seed: 7}
        """), encoding="utf-8")
    scenario = twin.load_scenario(top)
    assert {c.name for c in scenario.demand.categories} == set(TRUE_RATES)
    # only disputes are graded: the colour mix is a note for a dispute block, not a key
    assert text.count("# colours, for a dispute block: {") == len(TRUE_COLOURS)
    assert all(c.colours is None for c in scenario.demand.categories)
    rates = rate_table(scenario, build_community(scenario))  # grids x categories x 168
    names = [c.name for c in scenario.demand.categories]
    weekly = rates.mean(axis=2)
    for k, name in enumerate(names):
        for g in range(len(GRIDS)):
            low, high = garwood(TRUE_RATES[name][g] * WEEKS * 168, WEEKS * 168,
                                1 - FAMILY / CELLS)
            assert low <= weekly[g, k] <= high, (name, GRIDS[g])
    result = twin.run_replications(scenario)
    arrived = result.summary.loc["arrived"]
    expected = rates.sum(axis=(0, 1)).sum()  # one whole week after the warm-up
    assert arrived["ci_low"] <= expected <= arrived["ci_high"]


def test_sample_file_calibrates_against_baseline(tmp_path: Path) -> None:
    out = tmp_path / "demand.yaml"
    res = runner.invoke(app, ["calibrate", str(ROOT / "data" / "tickets" / "sample_tickets.csv"),
                              "--out", str(out), "--grids-from", str(BASELINE)])
    assert res.exit_code == 0, res.output
    (tmp_path / "top.yaml").write_text(f"extends: [{BASELINE}, demand.yaml]\n", encoding="utf-8")
    scenario = twin.load_scenario(tmp_path / "top.yaml")
    repair = next(c for c in scenario.demand.categories if c.name == "repair")
    assert repair.rate_per_hour == pytest.approx(0.36, rel=0.05)
    # each category is handled as the baseline's category of the same name
    base = {c.name: c for c in twin.load_scenario(BASELINE).demand.categories}
    for cat in scenario.demand.categories:
        assert cat.flow == base[cat.name].flow and cat.dispute == base[cat.name].dispute
        assert cat.channels == base[cat.name].channels and cat.limit == base[cat.name].limit
    assert repair.service is None  # a flow's steps have their own times
    text = out.read_text(encoding="utf-8")
    assert "# on-site time from the tickets, not used by a flow (it has its own times): " \
           "{distribution: lognormal" in text
    dispute = next(c for c in scenario.demand.categories if c.name == "neighbour_dispute")
    assert dispute.colours is not None and set(dispute.colours) == {"green", "yellow", "red"}
    assert dispute.colours != base["neighbour_dispute"].colours  # the tickets' own mix
    # the baseline's other work orders have no tickets: said, not silently dropped
    assert ("warning: the scenario's categories safety_hazard (a work-order flow), "
            "elderly_care (a work-order flow) have no tickets, so the calibrated demand drops "
            "them") in " ".join(res.stderr.split())


def test_like_hands_a_category_the_handling_of_another(tmp_path: Path) -> None:
    tickets = tmp_path / "工单.csv"
    rows = (ROOT / "data" / "tickets" / "sample_tickets.csv").read_text(encoding="utf-8")
    renamed = rows.replace(",repair,", ",维修,").replace(",neighbour_dispute,", ",邻里纠纷,")
    tickets.write_text(renamed, encoding="gbk")
    out = tmp_path / "demand.yaml"
    plain = runner.invoke(app, ["calibrate", str(tickets), "--out", str(out),
                                "--grids-from", str(BASELINE)])
    assert plain.exit_code == 0, plain.output
    assert ("ticket categories 邻里纠纷, 维修 match no scenario category: the calibrated "
            "demand drops the former and handles each of the latter as one grid-worker "
            "visit. Say which scenario category each ticket category is like: --like "
            "邻里纠纷=<one of repair, safety_hazard, neighbour_dispute, elderly_care>") in " ".join(
                plain.stderr.split())
    res = runner.invoke(app, ["calibrate", str(tickets), "--out", str(out), "--grids-from",
                              str(BASELINE), "--like", "维修=repair,邻里纠纷=neighbour_dispute"])
    assert res.exit_code == 0, res.output
    (tmp_path / "top.yaml").write_text(f"extends: [{BASELINE}, demand.yaml]\n", encoding="utf-8")
    cats = {c.name: c for c in twin.load_scenario(tmp_path / "top.yaml").demand.categories}
    base = {c.name: c for c in twin.load_scenario(BASELINE).demand.categories}
    assert cats["维修"].flow == base["repair"].flow
    assert cats["邻里纠纷"].dispute == base["neighbour_dispute"].dispute
    assert cats["sanitation"].flow == base["sanitation"].flow


def test_like_mistakes_are_located(tmp_path: Path) -> None:
    tickets = ROOT / "data" / "tickets" / "sample_tickets.csv"
    out = tmp_path / "demand.yaml"
    res = runner.invoke(app, ["calibrate", str(tickets), "--out", str(out), "--grids-from",
                              str(BASELINE), "--like", "repairs=repair,repair=fixing"])
    assert res.exit_code == 2 and not out.exists()
    assert res.stderr.splitlines()[:2] == [
        "command line: --like: 'repairs': no such category in the tickets; they have: "
        "neighbour_dispute, sanitation, repair",
        "command line: --like: repair=fixing: no category 'fixing' in the scenario; it has: "
        "repair, sanitation, safety_hazard, neighbour_dispute, elderly_care"]
    res = runner.invoke(app, ["calibrate", str(tickets), "--out", str(out), "--like", "repair"])
    assert res.exit_code == 2
    assert res.stderr.splitlines()[0] == (
        "command line: --like: 'repair': expected TICKETS=SCENARIO, e.g. 维修=repair")
    res = runner.invoke(app, ["calibrate", str(tickets), "--out", str(out), "--like", "a=b"])
    assert res.exit_code == 2
    assert res.stderr.splitlines()[0] == (
        "command line: --like: needs --grids-from (the scenario whose categories the "
        "tickets' categories are like)")


# ------------------------------------------------------------------ bad input
GOOD_ROWS = "2024-01-01T08:00,repair,north,green,12\n2024-01-08T09:30,repair,south,red,20\n"


def calibrate_errors(folder: Path, text: str, *extra: str) -> tuple[int, list[str], Path]:
    path = folder / "tickets.csv"
    path.write_text(text, encoding="utf-8")
    out = folder / "out.yaml"
    res = runner.invoke(app, ["calibrate", str(path), "--out", str(out), *extra])
    assert not out.exists()
    return res.exit_code, res.stderr.splitlines(), path


def test_missing_columns_are_listed_at_line_1(tmp_path: Path) -> None:
    code, lines, path = calibrate_errors(tmp_path, "when,what,colour\n2024-01-01,x,red\n")
    required = ("required column is missing; required: timestamp, category and one of grid, "
                "node or x and y (found: when, what, colour)")
    assert code == 2
    assert lines == [f"{path}:1: timestamp: {required}", f"{path}:1: category: {required}",
                     f"{path}:1: grid: {required}", "3 problems found; nothing was run."]


def test_every_bad_row_is_reported_at_its_line(tmp_path: Path, folder: Path) -> None:
    text = ("timestamp,category,grid,colour,handling_minutes\n" + GOOD_ROWS
            + "2024-02-30T08:00,repair,east,blue,-4\n"
            + ",sanitation,north,,abc\n"
            + "2024-01-03 10:00,,centre,Yellow,\n")
    code, lines, path = calibrate_errors(tmp_path, text, "--grids-from",
                                         str(folder / "grids.yaml"))
    assert code == 2
    assert lines == [
        f"{path}:4: timestamp: not a time; {TIME_FORMS} (got '2024-02-30T08:00')",
        f"{path}:4: grid: unknown grid 'east'; known grids ({folder / 'grids.yaml'}): "
        "north, centre, south",
        f"{path}:4: colour: unknown colour 'blue'; allowed: green, yellow, red (or 绿, 黄, 红), "
        "none or empty (not graded)",
        f"{path}:4: handling_minutes: must be >= 0 (got -4)",
        f"{path}:5: timestamp: missing value",
        f"{path}:5: handling_minutes: not a number (got 'abc')",
        f"{path}:6: category: missing value",
        "7 problems found; nothing was run.",
    ]


def test_nodes_need_a_scenario(tmp_path: Path) -> None:
    code, lines, path = calibrate_errors(
        tmp_path, "timestamp,category,node\n2024-01-01T08:00,repair,17\n")
    assert code == 2
    assert lines[0] == (f"{path}:1: node: placing tickets by map node or coordinates needs "
                        "--grids-from (a scenario whose map gives each node's grid)")


def test_nodes_and_coordinates_are_placed_on_the_map(tmp_path: Path, folder: Path) -> None:
    (tmp_path / "a.csv").write_text("timestamp,category,node\n2024-01-01T08:00,repair,0-0\n"
                                    "2024-01-02T08:00,repair,29-39\n"
                                    "2024-01-03T08:00,repair,99-99\n", encoding="utf-8")
    scenario = twin.load_scenario(folder / "grids.yaml")
    grids = GridMap.from_scenario(scenario, "grids.yaml")
    with pytest.raises(twin.calibrate.TicketsError) as caught:
        read_tickets(tmp_path / "a.csv", grids)
    assert str(caught.value) == (f"{tmp_path / 'a.csv'}:4: node: unknown node '99-99': "
                                 "not a node of the map of grids.yaml")
    (tmp_path / "b.csv").write_text("timestamp,category,x,y\n2024-01-01T08:00,repair,10,10\n"
                                    "2024-01-02T08:00,repair,3100,2300\n", encoding="utf-8")
    tickets = read_tickets(tmp_path / "b.csv", grids)
    assert tickets.grid.tolist() == [0, 2]


def test_category_without_any_handling_time(tmp_path: Path) -> None:
    code, lines, path = calibrate_errors(
        tmp_path, "timestamp,category,grid\n2024-01-01T08:00,litter,a\n"
                  "2024-01-02T08:00,litter,b\n")
    assert code == 2
    assert lines[0] == (f"{path}:1: handling_minutes: no handling time for category 'litter', "
                        "and twin needs its on-site time; add handling_minutes, or give "
                        "--grids-from a scenario with this category")


def test_empty_file_and_bad_options(tmp_path: Path) -> None:
    code, lines, path = calibrate_errors(tmp_path, "")
    assert code == 2
    assert lines[0] == (f"{path}:1: (top level): the file is empty; required columns: "
                        "timestamp, category and one of grid, node or x and y")
    code, lines, _ = calibrate_errors(tmp_path, "timestamp,category,grid\n" + GOOD_ROWS,
                                      "--min-count", "0", "--start", "2024-99",
                                      "--end", "yesterday")
    assert code == 2
    assert lines == [
        "command line: --min-count: must be >= 1 (got 0)",
        f"command line: --start: not a time; {TIME_FORMS} (got '2024-99')",
        f"command line: --end: not a time; {TIME_FORMS} (got 'yesterday')",
        "3 problems found; nothing was run.",
    ]


def test_window_leaves_out_tickets_outside_it(folder: Path, grid_map: GridMap) -> None:
    start, end = parse_time("2024-01-08"), parse_time("2024-01-22")
    tickets = read_tickets(folder / "tickets.csv", grid_map, start, end)
    everything = read_tickets(folder / "tickets.csv", grid_map)
    assert tickets.outside > 0
    assert len(tickets) + tickets.outside == tickets.rows == len(everything)
    assert (tickets.end - tickets.start) == 14 * 24


def test_x_without_y(tmp_path: Path, folder: Path) -> None:
    code, lines, path = calibrate_errors(
        tmp_path, "timestamp,category,x\n2024-01-01T08:00,repair,5\n",
        "--grids-from", str(folder / "grids.yaml"))
    assert code == 2
    assert lines[0] == (f"{path}:1: y: required column is missing; x and y go together "
                        "(found: timestamp, category, x)")


def test_times_that_never_vary_calibrate_to_a_fixed_time(tmp_path: Path) -> None:
    rng = np.random.default_rng(8)
    start = np.datetime64("2024-03-04T00:00")
    minutes = np.cumsum(rng.exponential(40.0, 600)).astype(int)
    lines = ["time,category,grid,handling_minutes"]  # English header aliases too
    lines += [f"{(start + np.timedelta64(int(m), 'm')).astype(str).replace('T', ' ')},"
              f"repairs,g{k % 3},30" for k, m in enumerate(minutes)]
    (tmp_path / "same.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "demand.yaml"
    res = runner.invoke(app, ["calibrate", str(tmp_path / "same.csv"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "every time the same: a fixed time" in res.output
    written = out.read_text(encoding="utf-8")
    assert "service: {distribution: fixed, value: 30}" in written
    from ruamel.yaml import YAML

    from twin.scenario.schema import DemandSpec
    DemandSpec.model_validate(YAML(typ="safe").load(written)["demand"])  # and validates


def _columns(tmp_path: Path, keep: int, rename: tuple[str, str] | None = None) -> Path:
    """The sample tickets with only their first ``keep`` columns (and a category renamed)."""
    rows = (ROOT / "data" / "tickets" / "sample_tickets.csv").read_text(encoding="utf-8")
    text = "\n".join(",".join(line.split(",")[:keep]) for line in rows.splitlines()) + "\n"
    if rename is not None:
        text = text.replace(f",{rename[0]},", f",{rename[1]},")
    path = tmp_path / "tickets.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_dispute_without_graded_tickets_keeps_the_scenarios_colours(tmp_path: Path) -> None:
    scenario = ROOT / "scenarios" / "disputes_baseline.yaml"
    out = tmp_path / "demand.yaml"
    tickets = _columns(tmp_path, 4)  # ticket_id, timestamp, category, grid: no colour
    res = runner.invoke(app, ["calibrate", str(tickets), "--out", str(out), "--grids-from",
                              str(scenario)])
    assert res.exit_code == 0, res.output
    (tmp_path / "top.yaml").write_text(f"extends: [{scenario}, demand.yaml]\n", encoding="utf-8")
    mine = {c.name: c for c in twin.load_scenario(tmp_path / "top.yaml").demand.categories}
    base = {c.name: c for c in twin.load_scenario(scenario).demand.categories}
    assert mine["neighbour_dispute"].colours == base["neighbour_dispute"].colours
    assert "# the scenario's: no ticket of this category is graded" in out.read_text("utf-8")


def test_work_orders_and_disputes_need_no_handling_times(tmp_path: Path) -> None:
    out = tmp_path / "demand.yaml"
    tickets = _columns(tmp_path, 5, ("repair", "维修"))  # no handling_minutes column
    res = runner.invoke(app, ["calibrate", str(tickets), "--out", str(out), "--grids-from",
                              str(BASELINE), "--like", "维修=repair"])
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    assert text.count("# no on-site times in the tickets: none needed by a flow") == 2
    assert text.count("# no on-site times in the tickets: none needed by a dispute") == 1
    assert "service:" not in text.split("categories:")[1].split("## Candidate")[0].replace(
        "          service:", "")  # only the carried steps' own times


def test_a_ticket_category_matching_nothing_is_named(tmp_path: Path) -> None:
    scenario = tmp_path / "plain.yaml"
    scenario.write_text(f"extends: {BASELINE}\n"  # its grids, one plain category
                        "demand:\n  categories:\n    - name: other\n      rate_per_hour: 1\n"
                        "      service: {distribution: exponential, mean: 20}\n"
                        "teams: []\n", encoding="utf-8")
    res = runner.invoke(app, ["calibrate", str(ROOT / "data" / "tickets" / "sample_tickets.csv"),
                              "--out", str(tmp_path / "d.yaml"), "--grids-from", str(scenario)])
    assert res.exit_code == 0, res.output
    assert ("ticket categories neighbour_dispute, sanitation, repair match no scenario "
            "category: each is handled as one grid-worker visit") in " ".join(res.stderr.split())


def test_a_team_naming_a_renamed_category_is_the_scenarios_problem(tmp_path: Path) -> None:
    scenario = ROOT / "scenarios" / "quanke_before.yaml"
    tickets = _columns(tmp_path, 6, ("repair", "维修"))
    res = runner.invoke(app, ["calibrate", str(tickets), "--out", str(tmp_path / "d.yaml"),
                              "--grids-from", str(scenario), "--like", "维修=repair"])
    assert res.exit_code == 2 and not (tmp_path / "d.yaml").exists()
    said = [ln for ln in res.stderr.splitlines() if "teams." in ln]
    assert said and all(ln.startswith(f"{scenario}: teams.") for ln in said)
    assert all(ln.endswith("the calibrated demand's categories are neighbour_dispute, "
                           "sanitation, 维修: name one of them here, or give the tickets the "
                           "scenario's category names") for ln in said)
