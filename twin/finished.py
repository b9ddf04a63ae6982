"""A finished replication as it travels back from whoever ran it: its KPI row and its
record tables as plain columns.

The process that simulates a replication also computes its KPIs (they are pure
functions of that replication's tables), so the process that asked for it only
stacks the rows and the tables. Tables travel as numpy columns (a categorical as
its integer codes plus its categories) rather than as DataFrames: cheaper to send,
and :func:`stack_tables` builds each final table once, with one ``concatenate``
per column, instead of concatenating frames.

Stacking is exact: the result equals ``pd.concat`` of the replications' frames
(column ``replication`` first), which stays the fallback when the replications'
columns or dtypes differ.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from twin.geography import Community
from twin.headcount import headcount
from twin.metrics import (
    assessment_scopes,
    people_kpis,
    replication_kpis,
    working_time,
)
from twin.metrics.hourly import Working
from twin.model import MINUTES_PER_DAY, ReplicationRecords
from twin.records import TABLES
from twin.scenario.schema import Scenario
from twin.staffing import build_staffing

__all__ = ["Finished", "KpiContext", "PackedTable", "finish", "kpi_context", "pack",
           "stack_tables", "unpack"]


# ---------------------------------------------------------------------------- tables
@dataclass(frozen=True)
class PackedTable:
    """One record table as columns: numpy arrays, a categorical as its codes."""

    names: tuple[str, ...]
    dtypes: tuple[Any, ...]
    """Per column its dtype (a ``pd.CategoricalDtype`` for codes)."""
    columns: tuple[Any, ...]
    """Per column a numpy array (codes for a categorical), or the pandas array itself
    for any other extension type."""
    rows: int

    @property
    def signature(self) -> tuple[tuple[str, ...], tuple[Any, ...]]:
        """Column names and dtypes: tables with the same one stack column by column."""
        return self.names, self.dtypes


def pack(frame: pd.DataFrame) -> PackedTable | pd.DataFrame:
    """``frame`` as columns; a frame that cannot be rebuilt exactly from its columns
    (duplicate or non-text names, an index other than 0..n-1) is kept as it is."""
    if (not frame.columns.is_unique or not all(isinstance(c, str) for c in frame.columns)
            or not isinstance(frame.index, pd.RangeIndex) or frame.index.start != 0
            or frame.index.step != 1):
        return frame
    dtypes, columns = [], []
    for name, dtype in frame.dtypes.items():
        series = frame[name]
        if isinstance(dtype, pd.CategoricalDtype):
            columns.append(series.cat.codes.to_numpy())
        elif isinstance(dtype, np.dtype):
            columns.append(series.to_numpy())
        else:
            columns.append(series.array)
        dtypes.append(dtype)
    return PackedTable(tuple(frame.columns), tuple(dtypes), tuple(columns), len(frame))


def _column(dtype: Any, values: Any) -> Any:
    if isinstance(dtype, pd.CategoricalDtype):
        return pd.Categorical.from_codes(values, dtype=dtype)
    return values


def unpack(table: PackedTable | pd.DataFrame) -> pd.DataFrame:
    """The frame :func:`pack` was given."""
    if isinstance(table, pd.DataFrame):
        return table
    data = {name: _column(dtype, values)
            for name, dtype, values in zip(table.names, table.dtypes, table.columns, strict=True)}
    return pd.DataFrame(data, index=pd.RangeIndex(table.rows), columns=list(table.names))


def stack_tables(tables: Sequence[PackedTable | pd.DataFrame], reps: Sequence[int]
                 ) -> pd.DataFrame:
    """One table of several replications, column ``replication`` first, in the order
    given: equal to ``pd.concat`` of the unpacked frames keyed by ``reps``."""
    if not tables:
        return pd.DataFrame()
    packed = [t for t in tables if isinstance(t, PackedTable)]
    first = packed[0] if packed else None
    if (first is None or len(packed) != len(tables) or not first.names
            or any(t.signature != first.signature for t in packed)):
        return concat_frames([unpack(t) for t in tables], reps)
    lengths = [t.rows for t in packed]
    data: dict[str, Any] = {"replication": np.repeat(np.asarray(reps, dtype=np.int64),
                                                     lengths)}
    for i, (name, dtype) in enumerate(zip(first.names, first.dtypes, strict=True)):
        parts = [t.columns[i] for t in packed]
        if isinstance(dtype, pd.CategoricalDtype) or isinstance(dtype, np.dtype):
            data[name] = _column(dtype, np.concatenate(parts))
        else:
            data[name] = pd.concat([pd.Series(p) for p in parts], ignore_index=True).array
    return pd.DataFrame(data, index=pd.RangeIndex(sum(lengths)),
                        columns=["replication", *first.names])


def concat_frames(frames: Sequence[pd.DataFrame], reps: Sequence[int]) -> pd.DataFrame:
    """``frames`` stacked with a first column ``replication`` (one per frame, from ``reps``)."""
    if not frames:
        return pd.DataFrame()
    out = pd.concat(list(frames), keys=tuple(reps),
                    names=["replication", None]).reset_index(level=0)
    return out.reset_index(drop=True)


# ------------------------------------------------------------------------------ KPIs
@dataclass(frozen=True)
class KpiContext:
    """What the KPIs of one scenario's replications need besides the records."""

    warmup: float
    """[min]"""
    horizon: float
    """[min]"""
    deadlines: dict[str, float]
    scopes: Mapping[str, Sequence[str]]
    working: Working
    fte: dict[str, float]
    cost: dict[str, float | None]

    def row(self, rec: ReplicationRecords) -> dict[str, Any]:
        """The KPIs of one replication (without its number)."""
        return {**replication_kpis(rec.issues, rec.activity, self.warmup, self.horizon,
                                   self.deadlines, rec.visits, orders=rec.orders,
                                   steps=rec.steps, disputes=rec.disputes, scopes=self.scopes,
                                   working=self.working),
                **people_kpis(self.fte, self.cost, rec.orders, self.warmup, self.horizon)}


def kpi_context(scenario: Scenario, community: Community) -> KpiContext:
    """The :class:`KpiContext` of a scenario on its map."""
    pools = headcount(scenario, community)
    return KpiContext(
        warmup=scenario.run.warmup_days * MINUTES_PER_DAY,
        horizon=scenario.run.horizon_days * MINUTES_PER_DAY,
        deadlines=scenario.deadlines.model_dump(),
        scopes=assessment_scopes(scenario, community.grid_names,
                                 build_staffing(scenario, community, patrols=False,
                                                times=False).unit_names),  # names only
        working=working_time(scenario),
        fte={name: pool.fte for name, pool in pools.items()},
        cost={name: pool.cost_per_day for name, pool in pools.items()})


# -------------------------------------------------------------------------- finished
@dataclass(frozen=True)
class Finished:
    """One finished replication: its KPI row and its record tables as columns."""

    replication: int
    kpis: dict[str, Any]
    """KPI name -> value (:meth:`KpiContext.row`)."""
    tables: dict[str, PackedTable | pd.DataFrame]
    """Record table name -> its columns (:func:`pack`)."""
    runtime: float
    """Wall-clock seconds of the simulation."""
    n_events: int

    def records(self) -> ReplicationRecords:
        """The replication's record tables as DataFrames."""
        return ReplicationRecords(replication=self.replication, runtime=self.runtime,
                                  n_events=self.n_events,
                                  **{name: unpack(self.tables[name]) for name in TABLES})


def finish(records: ReplicationRecords, context: KpiContext) -> Finished:
    """A simulated replication with its KPIs, ready to send."""
    return Finished(records.replication, context.row(records),
                    {name: pack(getattr(records, name)) for name in TABLES},
                    records.runtime, records.n_events)
