"""Record column specs: the recorders' frames have exactly the specified columns and
dtypes, the Parquet schema follows from the specs, and the README reference is current."""

from __future__ import annotations

from array import array
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import twin
from twin import records
from twin.metrics.reference import embed, records_markdown
from twin.records import (
    REPLICATION,
    TABLES,
    ColumnSpec,
    DisputeRecorder,
    EventRecorder,
    Labels,
    VisitRecorder,
    build_frame,
    complaints_frame,
    parquet_schema,
)
from twin.vocab import STATES

ROOT = Path(__file__).resolve().parents[1]


def _run(name: str, **overrides: object) -> twin.RunResult:
    scenario = twin.load_scenario(ROOT / "scenarios" / f"{name}.yaml", overrides={
        "run.horizon_days": 2, "run.warmup_days": 0.5, **overrides})
    return twin.run_replications(scenario, replications=2)


@pytest.fixture(scope="module")
def full() -> twin.RunResult:
    """A run in which every table has rows: graded disputes (about 36 a day here rather
    than the file's rare few, so two days have some in the dispute and visit tables and
    settled ones in the escalation table) beside work orders, with repeat complaints on."""
    result = _run("disputes_baseline", **{
        "demand.categories.3.rate_per_hour_per_1000_residents": 0.05,
        "repeat_complaints": {"rate_at_deadline": 0.02}})
    assert result.issues["category"].cat.categories[3] == "neighbour_dispute"
    return result


@pytest.fixture(scope="module")
def sparse() -> twin.RunResult:
    """A run with issues and activity only: every other table is empty."""
    result = _run("validation/mmc")
    assert result.escalations.empty and result.visits.empty and result.disputes.empty
    return result


def _labels(result: twin.RunResult) -> Labels:
    """The names behind the codes, read back from the frames."""
    def names(table: str, column: str) -> list[str]:
        return [str(c) for c in getattr(result, table)[column].cat.categories]

    return Labels(grids=names("issues", "grid"), units=names("issues", "unit"),
                  categories=names("issues", "category"), channels=names("issues", "channel"),
                  colours=names("escalations", "from_colour"), kinds=names("activity", "kind"),
                  causes=names("escalations", "cause"))


def _check(frame: pd.DataFrame, specs: tuple[ColumnSpec, ...], labels: Labels) -> None:
    assert list(frame.columns) == [s.name for s in specs]
    for spec in specs:
        dtype = frame[spec.name].dtype
        if spec.dtype == "category":
            assert isinstance(dtype, pd.CategoricalDtype), spec.name
            assert list(dtype.categories) == labels.names(spec.categories), spec.name
            assert not dtype.ordered
        else:
            assert str(dtype) == spec.dtype, (spec.name, dtype)


@pytest.mark.parametrize("which", ["full", "sparse"])
def test_frames_match_the_specs(which, request) -> None:
    result = request.getfixturevalue(which)
    labels = _labels(result)
    for table, specs in TABLES.items():
        frame = getattr(result, table)
        _check(frame, (REPLICATION, *specs), labels)
        if which == "full":
            assert len(frame), table


def test_labels_name_every_category_column(full) -> None:
    labels = _labels(full)
    assert labels.names("states") == list(STATES)
    assert labels.names("handlers") == [*labels.kinds, "none"]
    assert labels.names("grades_or_none") == [*labels.colours, "none"]  # only disputes graded
    for specs in TABLES.values():
        for spec in specs:
            assert (spec.dtype == "category") == bool(spec.categories), spec.name
            if spec.categories:
                assert labels.names(spec.categories), spec.name


def test_specs_are_complete() -> None:
    for table, specs in TABLES.items():
        names = [s.name for s in specs]
        assert len(names) == len(set(names)), table
        for spec in specs:
            assert spec.dtype in ("int64", "float64", "bool", "category"), spec
            assert spec.unit in ("min", "–"), spec
            assert spec.meaning.strip(), spec
            if spec.name.startswith("t_") or spec.name in ("t", "travel"):
                assert spec.unit == "min", spec
    assert records.ISSUE_COLUMNS == tuple(s.name for s in TABLES["issues"])
    assert records.ACTIVITY_COLUMNS == tuple(s.name for s in TABLES["activity"])
    assert records.ESCALATION_COLUMNS == tuple(s.name for s in TABLES["escalations"])
    assert records.VISIT_COLUMNS == tuple(s.name for s in TABLES["visits"])
    assert records.COMPLAINT_COLUMNS == tuple(s.name for s in TABLES["complaints"])
    assert records.ORDER_COLUMNS == tuple(s.name for s in TABLES["orders"])
    assert records.STEP_COLUMNS == tuple(s.name for s in TABLES["steps"])
    assert records.DISPUTE_COLUMNS == tuple(s.name for s in TABLES["disputes"])


def test_empty_recorders_keep_the_dtypes() -> None:
    labels = Labels(grids=["a"], units=["a"], categories=["job"], channels=["resident"],
                    colours=["green", "yellow", "red"], kinds=["grid_worker"],
                    causes=["failed"])
    _check(EventRecorder().to_frame(labels), TABLES["escalations"], labels)
    _check(VisitRecorder().to_frame(labels), TABLES["visits"], labels)
    _check(DisputeRecorder().to_frame(labels), TABLES["disputes"], labels)
    none = complaints_frame(np.array([0.0]), (np.zeros(0, dtype=np.int64), np.zeros(0)), {})
    _check(none, TABLES["complaints"], labels)
    assert len(none) == 0


def test_build_frame_refuses_other_columns() -> None:
    with pytest.raises(ValueError, match="do not match"):
        build_frame(TABLES["complaints"], {"t": array("d"), "issue_id": array("q")})
    with pytest.raises(ValueError, match="needs labels"):
        build_frame(TABLES["escalations"], {c.name: [] for c in TABLES["escalations"]})


def test_parquet_schema_follows_the_specs(full, tmp_path) -> None:
    labels = _labels(full)
    for table in TABLES:
        frame = getattr(full, table)
        schema = parquet_schema(table, labels)
        path = tmp_path / f"{table}.parquet"
        frame.to_parquet(path, index=False)
        assert pq.read_schema(path).remove_metadata() == schema, table
        # pandas' own conversion may hold the names as large strings; it casts losslessly
        arrow = pa.Table.from_pandas(frame, preserve_index=False).cast(schema)
        assert arrow.to_pandas().equals(frame), table
    bare = parquet_schema("activity", replication=False)
    assert bare.names == list(records.ACTIVITY_COLUMNS)
    assert bare.field("state").type == pa.dictionary(pa.int32(), pa.string())


def test_readme_record_reference_is_current() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert embed(readme) == readme, (
        "README record/KPI reference is stale: run "
        "`python -m twin.metrics.reference --update README.md`")
    assert records_markdown() in readme
