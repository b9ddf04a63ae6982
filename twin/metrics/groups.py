"""KPIs broken down by grid or by staff unit, as long tables a spreadsheet can open.

A family whose argument ranges over the map grows with it: ``overdue[GRID]`` and the
assessment figures per ``grid:NAME`` have one member per grid, the ``[UNIT]`` and
``[POOL]`` families one per staff unit (a per-grid unit has a copy in every grid, so a
district of 1,600 grids has about 4,800). Those members leave the one-row-per-
replication ``kpis.csv`` for ``kpis_by_grid.csv`` and ``kpis_by_unit.csv``: one row
per replication and grid (or unit), one column per family, named by the family's base
(``overdue``, ``response_rate``). Every other KPI, the families per category, grade,
channel or team among them (a handful each whatever the map), stays in ``kpis.csv``.

Which families go where is decided here, from the catalogue's family arguments
(:data:`GROUPED`) and the assessment scopes, so the result folder, the workbook and
the report agree.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

import numpy as np
import pandas as pd

from twin.metrics.assessment import parse_scope
from twin.metrics.catalogue import CATALOGUE, kpi_spec, split

__all__ = ["COMPARED", "GROUPED", "GROUPS", "Member", "comparison_groups", "group_families",
           "group_of", "group_summary", "group_tables", "grids_of", "plain_kpis", "unit_grid"]

GROUPS = ("grid", "unit")
"""The tables of broken-down KPIs, by the column naming their rows."""
GROUPED: Mapping[str, str] = {"GRID": "grid", "UNIT": "unit", "POOL": "unit"}
"""Family arguments that range over the map -> their table. ``[SCOPE]`` families go to
the grid table for ``grid:NAME`` only: their ``unit:`` scope joins a unit's copies in
every grid, and categories are few."""

Member = tuple[str, str, str]
"""A broken-down KPI as (group, row name, family base): ``("grid", "grid-01", "overdue")``."""


def group_of(kpi: str) -> Member | None:
    """Where a KPI column goes: its (group, row name, family base), or None if it stays in
    ``kpis.csv`` (a plain KPI, a family per category, grade, channel or team, or an
    unknown name)."""
    spec = kpi_spec(kpi)
    if spec is None or not spec.family:
        return None
    base, arg = split(kpi)
    if arg is None:
        return None
    placeholder = split(spec.name)[1]
    if placeholder == "SCOPE":
        scoped = parse_scope(arg)
        return ("grid", scoped[1], base) if scoped is not None and scoped[0] == "grid" else None
    group = GROUPED.get(placeholder or "")
    return (group, arg, base) if group is not None else None


def group_families(group: str) -> tuple[str, ...]:
    """The family bases of a group's table, in catalogue order (its columns)."""
    out: list[str] = []
    for k in CATALOGUE:
        placeholder = split(k.name)[1]
        if GROUPED.get(placeholder or "") == group or (placeholder == "SCOPE" and group == "grid"):
            out.append(k.base)
    return tuple(dict.fromkeys(out))


def plain_kpis(columns: Iterable[str]) -> list[str]:
    """The columns that stay in ``kpis.csv``, in their order."""
    return [c for c in columns if group_of(str(c)) is None]


def unit_grid(unit: str, grids: Collection[str]) -> str:
    """The grid of a staff unit: a grid's own grid workers are named after it, a per-grid
    copy ``NAME/GRID`` (a team's, a handling unit's) after the grid it serves; "" for a
    unit of the whole district. Unit and team names hold no ``/`` (the scenario's check
    refuses them) but a grid's may (a GeoJSON grid's name is free text), so the grid is
    all after the first ``/``: ``property/东城/一号`` is in ``东城/一号``."""
    if unit in grids:
        return unit
    tail = unit.partition("/")[2]
    return tail if tail in grids else ""


def grids_of(issues: pd.DataFrame) -> list[str] | None:
    """The scenario's grid names, every one, from a run's issue records (their ``grid``
    column's categories); None if the table does not say."""
    grid = issues.get("grid") if isinstance(issues, pd.DataFrame) else None
    if grid is None or not isinstance(grid.dtype, pd.CategoricalDtype):
        return None
    return [str(g) for g in grid.cat.categories]


def _members(columns: Iterable[str]) -> dict[str, dict[tuple[str, str], str]]:
    """group -> (row name, family base) -> KPI column."""
    found: dict[str, dict[tuple[str, str], str]] = {g: {} for g in GROUPS}
    for c in columns:
        member = group_of(str(c))
        if member is not None:
            found[member[0]][(member[1], member[2])] = str(c)
    return found


def _grids(found: Mapping[str, Mapping[tuple[str, str], str]],
           grids: Collection[str] | None = None) -> set[str]:
    """The grid names given, else those of the KPIs by grid."""
    return set(grids) if grids is not None else {name for name, _base in found["grid"]}


def group_tables(kpis: pd.DataFrame, grids: Collection[str] | None = None
                 ) -> dict[str, pd.DataFrame]:
    """The broken-down KPIs of a ``kpis`` table (one row per replication) as one long
    table per group: columns ``replication``, the group's name (``grid`` or ``unit``;
    the unit table then ``grid``, the unit's grid or empty), then one column per family
    of :func:`group_families` that has a member; one row per replication and name,
    names sorted. A cell without a KPI (a family without that member) is empty. ``grids``:
    the scenario's grid names (:func:`grids_of`), which place the units in their grids;
    without them, the names of the KPIs by grid."""
    found = _members(kpis.columns)
    in_grids = _grids(found, grids)
    reps = (kpis["replication"].to_numpy() if "replication" in kpis.columns
            else pd.RangeIndex(len(kpis)).to_numpy())
    out: dict[str, pd.DataFrame] = {}
    for group in GROUPS:
        members = found[group]
        names = sorted({name for name, _base in members})
        families = [b for b in group_families(group) if any(b == base for _n, base in members)]
        rows = pd.MultiIndex.from_product([range(len(kpis)), names])
        table = pd.DataFrame({"replication": reps[rows.get_level_values(0)],
                              group: rows.get_level_values(1).astype(object)})
        if group == "unit":
            table["grid"] = [unit_grid(n, in_grids) for n in table["unit"]]
        for base in families:
            columns = [members.get((name, base)) for name in names]
            where = [i for i, c in enumerate(columns) if c is not None]
            values = np.full((len(kpis), len(names)), np.nan)
            values[:, where] = kpis[[columns[i] for i in where]].to_numpy(dtype=float)
            table[base] = values.reshape(-1)  # row-major: replication, then name
        out[group] = table
    return out


def group_summary(summary: pd.DataFrame, group: str, grids: Collection[str] | None = None
                  ) -> pd.DataFrame:
    """A summary (indexed by KPI, columns ``mean``, ``ci_low``, ``ci_high``, ``n``) of one
    group's members: one row per name (sorted), columns the group's name (and ``grid``
    for units), then per family present ``BASE``, ``BASE:ci_low``, ``BASE:ci_high``.
    ``grids`` as for :func:`group_tables`."""
    members = _members(summary.index)
    in_grids = _grids(members, grids)
    found = members[group]
    names = sorted({name for name, _base in found})
    table = pd.DataFrame({group: pd.Series(names, dtype=object)})
    if group == "unit":
        table["grid"] = [unit_grid(n, in_grids) for n in names]
    for base in group_families(group):
        if not any(b == base for _n, b in found):
            continue
        cells = summary.reindex([found.get((name, base), "") for name in names])
        for stat, column in (("mean", base), ("ci_low", f"{base}:ci_low"),
                             ("ci_high", f"{base}:ci_high")):
            table[column] = cells[stat].to_numpy(dtype=float)
    return table


COMPARISON_COLUMNS = (
    "kpi", "scenario", "mean", "ci_low", "ci_high", "n", "diff", "diff_ci_low",
    "diff_ci_high", "significant", "pct", "pct_ci_low", "pct_ci_high", "p_value", "p_holm",
    "significant_holm", "verdict",
)
"""Columns of ``comparison.csv``; the first ten are those of earlier versions, so a
reader of those keeps working. ``pct``: the difference as a share of the reference's
mean (0.1 = +10%); ``p_value``: the paired t-test's; ``p_holm``: Holm-adjusted over
every (headline KPI, scenario) pair; ``verdict``: see :data:`twin.compare.VERDICTS`."""

COMPARED = tuple(c for c in COMPARISON_COLUMNS
                 if c not in ("kpi", "p_holm", "significant_holm", "verdict"))
"""The columns of a comparison (:data:`COMPARISON_COLUMNS`) kept in its
tables by grid and unit: all but the name, the Holm adjustment and the verdict, which
are the headline KPIs' and so never a grid's or a unit's."""


def comparison_groups(table: pd.DataFrame, grids: Collection[str] | None = None
                      ) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """A comparison table (one row per KPI and scenario, column ``kpi`` first) split as a
    run's KPIs are: its rows of the KPIs that stay in ``kpis.csv``, in their order, and
    per group a long table with columns ``family`` (the family's base), the group's name
    (``grid``, or ``unit`` and its ``grid``), then :data:`COMPARED`; one row per family
    (catalogue order), name (sorted) and scenario (in the table's order). ``grids`` as
    for :func:`group_tables`."""
    kpi = table["kpi"].astype(str) if "kpi" in table.columns else pd.Series([], dtype=str)
    member = {k: group_of(k) for k in pd.unique(kpi)}
    group_of_kpi = {k: m[0] if m is not None else "" for k, m in member.items()}
    where = kpi.map(group_of_kpi).to_numpy()
    plain = table[where == ""].reset_index(drop=True)
    found = _members(k for k, m in member.items() if m is not None)
    in_grids = _grids(found, grids)
    order = {s: i for i, s in enumerate(pd.unique(table["scenario"]))} if len(kpi) else {}
    out: dict[str, pd.DataFrame] = {}
    for group in GROUPS:
        rows = table[where == group]
        members = [member[k] or ("", "", "") for k in rows["kpi"].astype(str)]
        rank = {b: i for i, b in enumerate(group_families(group))}
        head: dict[str, list[str]] = {"family": [m[2] for m in members],
                                      group: [m[1] for m in members]}
        if group == "unit":
            grid_of = {u: unit_grid(u, in_grids) for u in set(head["unit"])}
            head["grid"] = [grid_of[u] for u in head["unit"]]
        long = pd.DataFrame(head, index=rows.index)
        for column in COMPARED:
            long[column] = rows[column] if column in rows.columns else np.nan
        keys = pd.DataFrame({"f": long["family"].map(rank), "n": long[group],
                             "s": long["scenario"].map(order)}, index=long.index)
        out[group] = long.loc[keys.sort_values(["f", "n", "s"], kind="stable").index
                              ].reset_index(drop=True)
    return plain, out
