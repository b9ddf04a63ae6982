"""``summary.xlsx`` and ``comparison.xlsx``: headers by language, KPI labels and units
from the catalogue, the same numbers as summary.json and comparison.csv, shares
shown as percentages."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

import twin
from twin.cli import app
from twin.metrics.catalogue import is_share, kpi_spec
from twin.metrics.groups import plain_kpis
from twin.numbers import is_count
from twin.outdir import TMP_TOKEN
from twin.report_verdict import verdict_word
from twin.xlsx import HEADERS, PERCENT, comparison_xlsx, summary_xlsx

ROOT = Path(__file__).resolve().parents[1]
MMC = ROOT / "scenarios" / "validation" / "mmc.yaml"
FAST = ["--set", "run.horizon_days=2", "--set", "run.warmup_days=0.5"]


def rows(path_or_bytes: Path | bytes) -> tuple[Any, list[tuple[Any, ...]]]:
    """The first sheet and its rows (values)."""
    source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    sheet = openpyxl.load_workbook(source).worksheets[0]
    return sheet, list(sheet.iter_rows(values_only=True))


def same(cell: Any, value: Any) -> bool:
    """A cell holds the JSON or CSV value (an empty cell for a missing one), to the 16
    significant digits a workbook stores."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return cell is None
    return cell == value or (isinstance(cell, float) and math.isclose(cell, value,
                                                                       rel_tol=1e-15))


@pytest.fixture(scope="module")
def result() -> twin.RunResult:
    scenario = twin.load_scenario(MMC, overrides={"run.horizon_days": 2, "run.warmup_days": 0.5})
    return twin.run_replications(scenario, replications=3)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_summary_xlsx_holds_summary_json(tmp_path: Path, result: twin.RunResult,
                                         lang: str) -> None:
    out = twin.write_results(result, tmp_path / "res", lang=lang)
    summary = json.loads((out / "summary.json").read_text())
    sheet, table = rows(out / "summary.xlsx")
    i = ("en", "zh").index(lang)
    assert sheet.title == ("Summary", "汇总")[i]
    assert list(table[0]) == [HEADERS[c][i] for c in
                              ("label", "kpi", "unit", "mean", "ci_low", "ci_high", "n")]
    # every KPI not broken down by grid or unit, in order (the others: tests/test_kpi_tables.py)
    assert [r[1] for r in table[1:]] == plain_kpis(summary)
    assert len(plain_kpis(summary)) < len(summary)
    for r in table[1:]:
        kpi = r[1]
        spec = kpi_spec(kpi)
        assert spec is not None, kpi
        if not spec.family:
            assert r[0] == spec.label[i]
        want = summary[kpi]
        assert [same(c, want[k]) for c, k in zip(r[3:], ("mean", "ci_low", "ci_high", "n"),
                                                  strict=True)] == [True] * 4, (kpi, r, want)
    by_kpi = {r[1]: r for r in table[1:]}
    assert by_kpi["response_p90"][2] == ("min", "分钟")[i]
    assert by_kpi["utilisation"][2] == "%"
    assert same(by_kpi["response_p90"][3], summary["response_p90"]["mean"])


def test_shares_are_formatted_as_percentages(tmp_path: Path, result: twin.RunResult) -> None:
    out = twin.write_results(result, tmp_path / "res")
    sheet = openpyxl.load_workbook(out / "summary.xlsx").worksheets[0]
    for row in sheet.iter_rows(min_row=2):
        kpi = row[1].value
        formats = {c.number_format for c in row[3:6]}
        want = PERCENT if is_share(kpi) else "#,##0" if is_count(kpi) else "0.00"
        assert formats == {want}, kpi
    assert any(is_share(row[1].value) for row in sheet.iter_rows(min_row=2))
    assert any(is_count(row[1].value) for row in sheet.iter_rows(min_row=2))


def test_a_missing_interval_is_an_empty_cell() -> None:
    summary = pd.DataFrame({"mean": [0.8, 12.5], "ci_low": [np.nan, np.nan],
                            "ci_high": [np.nan, np.inf], "n": [1, 1]},
                           index=pd.Index(["within_deadline", "made_up_kpi"], name="kpi"))
    _, table = rows(summary_xlsx(summary))
    assert table[1] == ("Within deadline", "within_deadline", "%", 0.8, None, None, 1)
    assert table[2] == ("made_up_kpi", "made_up_kpi", None, 12.5, None, None, 1)


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        comparison_xlsx(pd.DataFrame(columns=["kpi"]), "fr")


def test_compare_writes_comparison_xlsx_like_comparison_csv(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    res = CliRunner().invoke(app, ["compare", str(MMC), str(MMC), "--replications", "3",
                                   *FAST, "--lang", "zh", "--out", str(out)])
    assert res.exit_code == 0, res.output
    csv = pd.read_csv(out / "comparison.csv")
    sheet, table = rows(out / "comparison.xlsx")
    assert sheet.title == "方案比较"
    assert list(table[0]) == [HEADERS[c][1] for c in (
        "label", "kpi", "unit", "scenario", "mean", "ci_low", "ci_high", "n", "diff",
        "diff_ci_low", "diff_ci_high", "significant", "pct", "pct_ci_low", "pct_ci_high",
        "p_value", "p_holm", "significant_holm", "verdict")]
    assert len(table) - 1 == len(csv)
    numbers = ["mean", "ci_low", "ci_high", "n", "diff", "diff_ci_low", "diff_ci_high"]
    for r, (_, want) in zip(table[1:], csv.iterrows(), strict=True):
        assert (r[1], r[3]) == (want["kpi"], want["scenario"])
        for cell, column in zip(r[4:11], numbers, strict=True):
            assert same(cell, want[column]), (r, column)
        assert r[11] == ("是" if want["significant"] else "否")
        for cell, column in zip(r[12:17], ["pct", "pct_ci_low", "pct_ci_high", "p_value",
                                           "p_holm"], strict=True):
            assert same(cell, want[column]), (r, column)
        holm = want["significant_holm"]
        untested = pd.isna(holm) or pd.isna(want["p_holm"])  # outside the Holm family
        assert r[17] == (None if untested else "是" if holm else "否")
        verdict = want["verdict"]
        assert r[18] == (None if pd.isna(verdict) else verdict_word(verdict, "zh"))
    second = [r for r in table[1:] if r[3] == "mmc-2"]
    assert all(r[8] in (0, None) for r in second)  # the same scenario: no difference
    assert any(r[8] == 0 for r in second)
    assert {r[18] for r in second} == {None, "无明显差异"}  # headline rows get a verdict
    for folder in ("mmc", "mmc-2"):  # each run's summary, in the same language
        _, run = rows(out / folder / "summary.xlsx")
        assert run[0][0] == "指标"
    assert not [p for p in out.rglob("*") if TMP_TOKEN in p.name]
