"""The README documents every scenario key, record column and KPI that the code has."""

from __future__ import annotations

from pathlib import Path

import twin
from twin.records import (
    ACTIVITY_COLUMNS,
    COMPLAINT_COLUMNS,
    ESCALATION_COLUMNS,
    ISSUE_COLUMNS,
    VISIT_COLUMNS,
)
from twin.scenario.reference import embed, reference_rows

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_reference_table_is_current() -> None:
    assert embed(README) == README, (
        "README key reference is stale: run "
        "`python -m twin.scenario.reference --update README.md`"
    )


def test_every_scenario_key_has_a_meaning() -> None:
    for key, _kind, _default, meaning in reference_rows():
        assert meaning.strip(), f"{key} has no docstring"


def test_readme_opens_with_the_two_commands() -> None:
    block = README.split("```")[1]
    commands = [line.split("#")[0].strip() for line in block.splitlines()[1:] if line.strip()]
    assert commands == ["make demo", "make test"]


def test_every_record_column_is_documented() -> None:
    assert "`replication` column" in README
    for column in (*ISSUE_COLUMNS, *ACTIVITY_COLUMNS):
        assert f"| `{column}` |" in README, column
    for table, columns in (("escalations", ESCALATION_COLUMNS), ("visits", VISIT_COLUMNS),
                           ("complaints", COMPLAINT_COLUMNS)):
        for column in columns:
            assert f"| {table} | `{column}` |" in README, (table, column)


def test_every_kpi_is_documented() -> None:
    scenario = twin.load_scenario(
        ROOT / "scenarios" / "volunteers_15.yaml",
        overrides={"run.horizon_days": 2, "run.warmup_days": 0.5, "patrols.enabled": True},
    )
    result = twin.run_replications(scenario, replications=1)
    for kpi in result.kpis.columns:
        if kpi == "replication":
            continue
        if "[" in kpi:  # a family such as utilisation[grid-01]: documented as `utilisation[UNIT]`
            assert f"`{kpi.split('[')[0]}[" in README, kpi
            continue
        stem = kpi.rsplit("_p", 1)[0]
        assert f"`{kpi}`" in README or f"`{stem}_mean`" in README, kpi
