"""``twin calibrate`` finds candidate events: a known surge in tickets drawn from a known
hour x weekday model is found on its dates, its multiplier's interval covers the
truth and its category is named; without a surge, hardly any seed gives a
candidate (at most the false-discovery rate); the commented ``events:`` block,
uncommented, loads as a scenario's events.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from typer.testing import CliRunner

import twin
from twin.calibrate import find_events, fit_demand, parse_time, read_tickets
from twin.calibrate.significance import benjamini_hochberg, conditional_p, dispersion, holm
from twin.cli import app
from twin.geography import build_community

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
runner = CliRunner()

START = np.datetime64("2024-01-01T00:00")  # a Monday
WEEKS = 8
WINDOW = (parse_time("2024-01-01"), parse_time("2024-02-26"))
GRIDS = ["north", "centre", "south"]
RATES = {"repair": 0.3, "sanitation": 0.2, "dispute": 0.1}  # per grid, average [1/h]
_h = np.arange(24)
HOURS = {"repair": 1.0 + 0.8 * np.sin((_h - 9) / 24 * 2 * np.pi),
         "sanitation": np.where((_h >= 6) & (_h < 10), 3.0, 0.6),
         "dispute": np.where(_h >= 17, 2.5, 0.5)}
DAYS = {"repair": np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.2, 1.2]),
        "sanitation": np.array([1.6, 1.0, 0.8, 0.8, 0.8, 1.0, 1.4]),
        "dispute": np.array([0.6, 0.6, 0.8, 0.8, 1.2, 1.6, 1.6])}
SURGE = ("sanitation", dt.date(2024, 1, 17), dt.date(2024, 1, 19), 3.0)
ALPHA = 0.05

def make_tickets(rng: np.random.Generator, surge: tuple[str, dt.date, dt.date, float] | None
                 = None, day_cv: float = 0.0, grids: list[str] = GRIDS
                 ) -> list[tuple[float, str, str, float]]:
    """Tickets (hours since START, category, grid, on-site minutes) from the rates above,
    times ``surge``'s multiplier on its category and dates, and, with ``day_cv``, a
    gamma-distributed factor per day shared by all categories (overdispersion)."""
    hours = np.arange(WEEKS * 168)
    day = hours // 24
    noise = (rng.gamma(day_cv ** -2, day_cv ** 2, WEEKS * 7) if day_cv
             else np.ones(WEEKS * 7))
    rows = []
    for cat, rate in RATES.items():
        shape = (DAYS[cat] / DAYS[cat].mean())[day % 7] * (HOURS[cat] / HOURS[cat].mean())[
            hours % 24] * noise[day]
        if surge is not None and surge[0] == cat:
            first, last = ((d - dt.date(2024, 1, 1)).days for d in surge[1:3])
            shape = shape * np.where((day >= first) & (day <= last), surge[3], 1.0)
        for grid in grids:
            counts = rng.poisson(rate * shape)
            t = np.repeat(hours, counts) + rng.random(counts.sum())
            rows += [(float(x), cat, grid, float(m))
                     for x, m in zip(t, rng.gamma(4.0, 5.0, len(t)), strict=True)]
    return sorted(rows)


def write_csv(path: Path, rows: list[tuple[float, str, str, float]]) -> Path:
    lines = ["timestamp,category,grid,handling_minutes"]
    lines += [f"{START + np.timedelta64(int(h * 3600), 's')},{c},{g},{m:.2f}"
              for h, c, g, m in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def scan(tmp_path: Path, seed: int, **kwargs: object):  # type: ignore[no-untyped-def]
    path = write_csv(tmp_path / f"tickets-{seed}.csv",
                     make_tickets(np.random.default_rng(seed), **kwargs))  # type: ignore[arg-type]
    cal = fit_demand(read_tickets(path, None, *WINDOW))
    return cal, find_events(cal, ALPHA)


# ------------------------------------------------------------------ recovery
def test_a_known_surge_is_found_with_its_dates_multiplier_and_category(tmp_path: Path) -> None:
    seeds = range(5)
    covered = closer = 0
    for seed in seeds:
        cal, found = scan(tmp_path, seed, surge=SURGE)
        surges = [e for e in found.events if e.direction == "surge"
                  and e.start <= SURGE[2] and e.end >= SURGE[1]]
        assert len(surges) == 1, (seed, found.events)
        event = surges[0]
        assert abs((event.start - SURGE[1]).days) <= 1, (seed, event)
        assert abs((event.end - SURGE[2]).days) <= 1, (seed, event)
        assert event.categories == ["sanitation"], (seed, event)
        assert event.direction == "surge" and event.multiplier > 1
        low, high = event.ratio_ci
        assert low <= event.ratio <= high
        covered += low <= SURGE[3] <= high
        # the rate fitted without the event dates is nearer the truth than the one with them
        fit = next(f for f in cal.categories if f.name == "sanitation")
        robust = fit.value * found.rate_factor["sanitation"]
        closer += abs(robust - RATES["sanitation"]) < abs(fit.value - RATES["sanitation"])
    # each 95% interval misses with chance 0.05: two misses of five have chance 0.023
    assert covered >= len(seeds) - 1
    assert closer >= len(seeds) - 1


def test_no_surge_gives_no_candidate_in_most_seeds(tmp_path: Path) -> None:
    seeds = range(100, 120)
    with_events = sum(bool(scan(tmp_path, seed)[1].events) for seed in seeds)
    # under no event, Benjamini-Hochberg keeps the chance of any flag <= alpha = 0.05:
    # four or more of 20 seeds has chance 0.016
    assert with_events <= 3


def test_overdispersed_days_are_not_taken_for_events(tmp_path: Path) -> None:
    seeds = range(200, 210)
    results = [scan(tmp_path, seed, day_cv=0.3)[1] for seed in seeds]
    # day factors with CV 0.3 on ~36 tickets a day: variance / mean about 1 + 36 * 0.09
    assert np.median([r.dispersion[""] for r in results]) > 2.0
    assert sum(bool(r.events) for r in results) <= 2  # chance 0.012 at alpha = 0.05


def test_a_holiday_dip_of_every_category_is_a_dip(tmp_path: Path) -> None:
    rows = make_tickets(np.random.default_rng(7))
    gone = [r for r in rows if not 30 * 24 <= r[0] < 33 * 24 or (r[0] * 1000) % 10 < 2]
    cal = fit_demand(read_tickets(write_csv(tmp_path / "dip.csv", gone), None, *WINDOW))
    found = find_events(cal, ALPHA)
    dips = [e for e in found.events if e.direction == "dip"]
    assert len(dips) == 1, found.events
    assert (dips[0].start, dips[0].end) == (dt.date(2024, 1, 31), dt.date(2024, 2, 2))
    assert dips[0].categories is None  # every category: the key is left out
    assert dips[0].ratio_ci[0] <= 0.2 <= dips[0].ratio_ci[1]


# ------------------------------------------------------------- the statistics
def test_conditional_p_is_twice_the_smaller_binomial_tail() -> None:
    x, ref, share = np.array([0, 3, 10, 25, 40]), np.array([50, 40, 30, 20, 0]), 0.2
    p = conditional_p(x, ref, np.full(5, share))
    n = x + ref
    tails = np.minimum(stats.binom.cdf(x, n, share), stats.binom.sf(x - 1, n, share))
    np.testing.assert_allclose(p, np.minimum(1.0, 2 * tails), rtol=1e-9)
    assert conditional_p(np.array([0]), np.array([0]), np.array([0.5]))[0] == 1.0


def test_benjamini_hochberg_and_holm_step_as_defined() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.5, 0.02])
    # BH at 0.05, m = 5: sorted p 0.01 0.02 0.03 0.04 0.5 against 0.01 0.02 0.03 0.04 0.05
    assert benjamini_hochberg(p, 0.05).tolist() == [True, True, True, False, True]
    # Holm: 0.01 <= 0.05/5, then 0.02 > 0.05/4 stops
    assert holm(p, 0.05).tolist() == [True, False, False, False, False]
    assert not benjamini_hochberg(np.array([0.02, 0.03]), 0.01).any()


def test_dispersion_ignores_a_few_event_days() -> None:
    rng = np.random.default_rng(3)
    expected = np.full(56, 30.0)
    observed = rng.poisson(expected).astype(float)
    calm = dispersion(observed, expected, np.ones(56, bool))
    observed[[10, 11]] *= 3  # two surge days
    assert dispersion(observed, expected, np.ones(56, bool)) <= calm + 0.3
    wide = rng.poisson(rng.gamma(30.0 / 2.0, 2.0, 56)).astype(float)  # variance 3 x mean
    assert dispersion(wide, expected, np.ones(56, bool)) > 1.8


# ----------------------------------------------------------- command and file
def uncomment_events(text: str) -> str:
    """The written file with its commented events block uncommented, as an editor's
    toggle-comment does to the lines from ``# events:`` to the end."""
    lines = text.splitlines()
    first = lines.index("# events:")
    return "\n".join(lines[:first] + [line.removeprefix("# ") for line in lines[first:]]) + "\n"


def test_command_prints_the_event_and_writes_a_block_that_loads(tmp_path: Path) -> None:
    base = twin.load_scenario(BASELINE)
    grids = list(build_community(base).grid_names)[:len(GRIDS)]  # tickets in three grids
    tickets = write_csv(tmp_path / "tickets.csv",
                        make_tickets(np.random.default_rng(1), surge=SURGE, grids=grids))
    out = tmp_path / "demand.yaml"
    res = runner.invoke(app, ["calibrate", str(tickets), "--out", str(out), "--grids-from",
                              str(BASELINE), "--start", "2024-01-01", "--end", "2024-02-26"])
    assert res.exit_code == 0, res.output
    assert "Candidate events" in res.stdout and "2024-01-17 to 2024-01-19" in res.stdout
    text = out.read_text(encoding="utf-8")
    assert "\n# events:\n" in text
    (tmp_path / "with_events.yaml").write_text(uncomment_events(text), encoding="utf-8")
    (tmp_path / "top.yaml").write_text(textwrap.dedent(f"""\
        extends: [{BASELINE}, with_events.yaml]
        calendar: {{start: 2024-01-01, holidays: none}}
        run: {{horizon_days: 56, warmup_days: 0, replications: 2}}
        """), encoding="utf-8")
    scenario = twin.load_scenario(tmp_path / "top.yaml")
    assert len(scenario.events) == 1
    event = scenario.events[0]
    assert (event.start, event.end) == (SURGE[1], SURGE[2])
    assert event.categories == ["sanitation"]
    assert 2.0 <= event.multiplier <= 4.0


def test_no_event_says_none_found(tmp_path: Path) -> None:
    tickets = write_csv(tmp_path / "tickets.csv", make_tickets(np.random.default_rng(101)))
    out = tmp_path / "demand.yaml"
    res = runner.invoke(app, ["calibrate", str(tickets), "--out", str(out),
                              "--start", "2024-01-01", "--end", "2024-02-26"])
    assert res.exit_code == 0, res.output
    assert "Candidate events: none found" in res.stdout
    text = out.read_text(encoding="utf-8")
    assert "## Candidate events: " in text and ": none found" in text
    assert "# events:" not in text


@pytest.mark.parametrize("start", ["2024-01-01T09:30", "2024-01-03"])
def test_partial_first_day_and_other_weekdays(tmp_path: Path, start: str) -> None:
    """A window starting mid-day or mid-week changes nothing about the surge found."""
    tickets = write_csv(tmp_path / "tickets.csv",
                        make_tickets(np.random.default_rng(2), surge=SURGE))
    cal = fit_demand(read_tickets(tickets, None, parse_time(start), WINDOW[1]))
    found = find_events(cal, ALPHA)
    surges = [e for e in found.events if e.categories == ["sanitation"]]
    assert len(surges) == 1
    assert abs((surges[0].start - SURGE[1]).days) <= 1
