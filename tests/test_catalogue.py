"""The KPI catalogue: it covers every KPI the shipped scenarios produce, its entries are
complete, and the command line, the report, the plot labels and the README read it."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from test_order_metrics import work_order_tables

import twin
from twin.cli import tables
from twin.cli.experiments import SWEEP_KPIS
from twin.engine.triggers import TRIGGERS
from twin.geography import build_community
from twin.headcount import headcount
from twin.metrics import assessment_scopes, people_kpis, replication_kpis
from twin.metrics.catalogue import (
    CATALOGUE,
    DIRECTIONS,
    headline_kpis,
    is_share,
    kpi_spec,
    split,
)
from twin.metrics.reference import embed, kpis_markdown
from twin.plots import flows
from twin.plots.figures import PANEL_KPIS
from twin.plots.labels import kpi_label, text
from twin.report import _kpi_tables
from twin.staffing import build_staffing
from twin.vocab import MINUTES_PER_DAY

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ("baseline", "volunteers_65", "quanke_after")
CJK = re.compile(r"[\u2e80-\u9fff]")


@pytest.fixture(scope="module")
def produced() -> dict[str, list[str]]:
    """KPI names that ``replication_kpis`` gives for each shipped scenario run for 2 days."""
    out = {}
    for name in SHIPPED:
        scenario = twin.load_scenario(ROOT / "scenarios" / f"{name}.yaml", overrides={
            "run.horizon_days": 2, "run.warmup_days": 0.5})
        result = twin.run_replications(scenario, replications=1)
        warmup, horizon = 0.5 * MINUTES_PER_DAY, 2 * MINUTES_PER_DAY
        kpis = replication_kpis(result.issues, result.activity, warmup, horizon,
                                scenario.deadlines.model_dump(), result.visits,
                                orders=result.orders, steps=result.steps,
                                disputes=result.disputes,
                                scopes=assessment_scopes(
                                    scenario, build_community(scenario).grid_names,
                                    build_staffing(scenario, build_community(
                                        scenario)).unit_names))
        pools = headcount(scenario)
        kpis.update(people_kpis({k: p.fte for k, p in pools.items()},
                                {k: p.cost_per_day for k, p in pools.items()},
                                result.orders, warmup, horizon))
        assert set(kpis) == set(result.kpis.columns) - {"replication"}
        out[name] = list(kpis)
    # disputes: online mediation, and rates high enough for red responses in 4 days
    scenario = twin.load_scenario(ROOT / "scenarios" / "disputes_online_mediation.yaml",
                                  overrides={"run.horizon_days": 4, "run.warmup_days": 0.5,
                                             "demand.categories.3.colours":
                                                 {"green": 0.4, "yellow": 0.4, "red": 0.2},
                                             "demand.categories.3."
                                             "rate_per_hour_per_1000_residents": 0.05})
    result = twin.run_replications(scenario, replications=1)
    out["disputes"] = list(result.kpis.columns.drop("replication"))
    # work orders, on hand-built tables that give every work-order KPI
    tables = work_order_tables()
    out["work orders"] = list(replication_kpis(
        result.issues, tables["activity"], 0.0, 1000.0, scenario.deadlines.model_dump(),
        result.visits, orders=tables["orders"], steps=tables["steps"]))
    return out


def test_every_produced_kpi_is_in_the_catalogue(produced) -> None:
    for scenario, names in produced.items():
        missing = [k for k in names if kpi_spec(k) is None]
        assert not missing, f"{scenario}: add {missing} to twin/metrics/catalogue.py"


def test_every_catalogue_entry_is_produced(produced) -> None:
    seen = {kpi_spec(k).name for names in produced.values() for k in names}
    assert [k.name for k in CATALOGUE if k.name not in seen] == []


def test_entries_are_complete() -> None:
    names = [k.name for k in CATALOGUE]
    assert len(names) == len(set(names))
    for k in CATALOGUE:
        en, zh = k.label
        assert en.strip() and zh.strip(), k.name
        assert CJK.search(zh), f"{k.name}: Chinese label {zh!r}"
        assert k.unit.strip() and k.definition.strip(), k.name
        assert k.direction is None or k.direction in DIRECTIONS, k.name
        assert "|" not in k.definition, k.name
        if k.unit == "share":
            assert k.share, k.name
        if k.family:
            base, arg = split(k.name)
            assert base == k.base and arg is not None and arg.isupper(), k.name
            assert not k.headline, f"{k.name}: a family cannot be a headline KPI"


def test_lookup_of_names_and_families() -> None:
    assert kpi_spec("within_deadline").name == "within_deadline"
    assert kpi_spec("within_deadline[repair]").name == "within_deadline[CATEGORY]"
    assert kpi_spec("utilisation[grid-01]").name == "utilisation[UNIT]"
    assert kpi_spec("pool_workload[fire brigade]").name == "pool_workload[POOL]"
    assert kpi_spec("no_such_kpi") is None
    assert kpi_spec("arrived[x]") is None
    assert is_share("within_deadline[repair]") and is_share("satisfaction_rate")
    assert not is_share("response_p90") and not is_share("pool_workload[mediation_office]")


def test_one_headline_list() -> None:
    headline = headline_kpis()
    assert headline[:3] == ("arrived", "resolved", "open_at_end")
    assert all(kpi_spec(k) is not None and kpi_spec(k).headline for k in headline)
    assert tuple(tables.HEADLINE) == headline
    assert tables.shown(["satisfaction_rate", "patrol_share", "arrived"], False) == [
        "arrived", "satisfaction_rate"]
    # the short views pick from the headline list
    assert set(PANEL_KPIS) <= set(headline)
    assert set(SWEEP_KPIS) <= set(headline)


def test_report_puts_the_headline_first() -> None:
    kpis = ["patrol_share", "satisfaction_rate", "count[red]", "arrived", "mean_waiting"]
    summary = pd.DataFrame({"scenario": "a", "kpi": kpis, "mean": 0.5, "ci_low": 0.4,
                            "ci_high": 0.6})
    page = _kpi_tables(summary, "en")
    first, _, folded = page.partition("<details>")
    order = re.findall(r"<code>([^<]+)</code>", first)
    assert order == [k for k in headline_kpis() if k in kpis]
    assert re.findall(r"<code>([^<]+)</code>", folded) == ["patrol_share", "count[red]"]


def test_plot_labels_read_the_catalogue() -> None:
    for k in CATALOGUE:
        if not k.family:
            assert kpi_label(k.name, "en") == k.label[0]
            assert kpi_label(k.name, "zh") == k.label[1]
            assert is_share(k.name) == k.share
    assert kpi_label("within_deadline[red]", "zh") == "按时办结率（红）"
    assert kpi_label("within_deadline[red]") == "Within deadline (red)"
    assert kpi_label("pool_utilisation[police]") == "Pool utilisation (police)"
    # assessment scopes name their kind in the language of the label
    assert kpi_label("response_rate[category:安全隐患]", "zh") == "响应率（类别：安全隐患）"
    assert kpi_label("response_rate[unit:property]") == "Response rate (unit: property)"
    assert kpi_label("response_rate[grid:g1]", "zh") == "响应率（网格：g1）"
    assert kpi_label("pool_utilisation[grid_worker]", "zh") == "队伍利用率（网格员）"
    assert kpi_label("workforce.per_grid", "zh") == "每网格网格员数"
    assert kpi_label("something_else") == "something_else"


def test_cause_labels_and_flow_causes_come_from_the_trigger_registry() -> None:
    for trigger in TRIGGERS.values():
        assert text(f"cause:{trigger.cause}", "en") == trigger.label[0]
        assert text(f"cause:{trigger.cause}", "zh") == trigger.label[1]
    assert flows.CAUSES == tuple(t.cause for t in TRIGGERS.values() if not t.moves_down)
    assert flows.DOWNS == tuple(t.cause for t in TRIGGERS.values() if t.moves_down)
    assert set(flows.CAUSES) | set(flows.DOWNS) == set(TRIGGERS)


def test_readme_kpi_reference_is_current() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert embed(readme) == readme, (
        "README KPI/record reference is stale: run "
        "`python -m twin.metrics.reference --update README.md`")
    assert kpis_markdown() in readme
    for k in CATALOGUE:
        assert f"| `{k.name}` |" in readme, k.name


def test_a_kpis_better_way() -> None:
    """Lower response times, higher rates are better; a utilisation has no better way."""
    from twin.metrics.catalogue import kpi_spec

    response, rate, busy = (kpi_spec(k) for k in ("response_mean", "response_rate",
                                                   "utilisation"))
    assert response is not None and rate is not None and busy is not None
    assert (response.better(-1.0), response.better(1.0)) == (True, False)
    assert (rate.better(0.01), rate.better(-0.01)) == (True, False)
    assert busy.better(1.0) is None
