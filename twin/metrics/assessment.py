"""The assessment figures (考核) of work orders, as districts define them.

Each figure is a pure function of the order and step tables of one replication
and is given in total and per scope: ``response_rate`` for the whole community,
``response_rate[unit:city]``, ``response_rate[category:repair]`` and
``response_rate[grid:grid-03]`` for one handling unit, category or grid.

What counts (orders received at or after the warm-up, as the other work-order KPIs):

- 响应率 ``response_rate``: filed orders whose unit contacted the requester
  (``t_responded``) within its ``respond_limit`` of the first assignment it signed
  for, over those contacted or past that limit by the horizon.
- 解决率 ``resolution_rate`` and 满意率 ``satisfaction_rate``: per filed order, the
  requester's answer at its last callback, over the orders whose last callback
  reached the requester (``called_back``). One answer per requester, as the
  definition says ("share of called-back requesters"); an order sent back by an
  unsolved or unsatisfied answer counts with the answer of its last call.
- 按期办结率 ``on_time_rate``: filed orders closed within their ``limit`` (already
  in working time when the flow's limit is), over those closed or past their limit.
- 超期 ``overdue_orders``: filed orders closed after their limit or open past it;
  督办 ``supervised_orders``: filed orders put under supervision.
- 重复诉求率 ``repeat_rate``: repeat requests over all orders (filed first requests
  and repeats); the engine makes a repeat only while its order is open.
- 退单率 ``return_rate``: assignments sent back as wrong over assignments signed
  for or sent back.
- 吹哨 ``whistles``: whistled orders; 报到及时率 ``report_on_time``: departments
  summoned by a whistle that arrived within their limit, over those arrived or
  past it.

A unit with one copy per grid (``property/grid-03``) is assessed as one unit
(``property``) and the grid-worker units of the grids as ``grid_worker``: the grid
scope breaks them down by grid. Which unit an order counts for: the unit it was
assigned to for 响应率 (the unit that signed) and 退单率 (the unit that sent it back
or signed), the summoned department for 报到 and 吹哨 (an order whistled counts
once for each department it summoned), otherwise the unit of its last work step
(``orders.unit``). A repeat request counts for the order it repeats. An order with
no work step yet counts in the total and its category and grid, not for a unit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from twin.metrics.core import ratio
from twin.metrics.orders import (
    GRID_WORKERS,
    NO_UNIT,
    overdue,
    present,
    report_on_time,
)
from twin.scenario.orders import CENTRE_UNIT
from twin.vocab import ASSIGN, REPORT, RETURNED, SIGNED, STEP_OUTCOMES, STEPS

SCOPES = ("unit", "category", "grid")
"""How the figures are broken down; a scoped column is ``figure[scope:name]``."""
FIGURES = ("response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate",
           "overdue_orders", "supervised_orders", "repeat_rate", "return_rate", "whistles",
           "report_on_time")
"""The assessment figures, in the order of the assessment sheet."""
COUNTS = ("overdue_orders", "supervised_orders", "whistles")
"""Figures that count orders (the rest are shares)."""


def scope_column(figure: str, scope: str | None = None, name: str | None = None) -> str:
    """KPI column of a figure: ``figure`` in total, ``figure[scope:name]`` per scope."""
    return figure if scope is None else f"{figure}[{scope}:{name}]"


def parse_scope(arg: str) -> tuple[str, str] | None:
    """``unit:property/g1`` -> ("unit", "property/g1"); None if not a scope."""
    scope, sep, name = arg.partition(":")
    return (scope, name) if sep and scope in SCOPES and name else None


def _keys(table: pd.DataFrame) -> list[str]:
    return ["replication", "order_id"] if "replication" in table.columns else ["order_id"]


class _Rows:
    """Rows counted for one figure: each row's hit and whether it counts (the
    denominator of a share), and its unit, category and grid."""

    def __init__(self, hit: np.ndarray, of: np.ndarray, counted: np.ndarray,
                 scopes: dict[str, np.ndarray]) -> None:
        self.hit, self.of, self.counted, self.scopes = hit, of, counted, scopes

    def figure(self, name: str, share: bool, only: Sequence[str] = SCOPES,
               total: bool = True) -> dict[str, float]:
        """The figure in total (unless not ``total``) and per scope of ``only``.
        Scope names are those of every row, counted or not (a replication's columns
        then do not depend on its warm-up)."""
        out: dict[str, float] = {}
        if total:
            out[name] = self._value(np.ones(len(self.hit), bool), share)
        for scope in only:
            labels = self.scopes[scope]
            for value in present(pd.Series(labels)):
                if scope == "unit" and value == NO_UNIT:
                    continue
                out[scope_column(name, scope, value)] = self._value(labels == value, share)
        return out

    def _value(self, mask: np.ndarray, share: bool) -> float:
        m = mask & self.counted
        if share:
            return ratio(float((self.hit & self.of & m).sum()), float((self.of & m).sum()))
        return float((self.hit & m).sum())


def _order_rows(orders: pd.DataFrame, warmup: float) -> pd.DataFrame:
    """Filed first requests (all of them; ``counted``: received at or after the warm-up)."""
    filed = orders[(orders["repeat_of"] < 0) & orders["filed"].to_numpy(bool)]
    return filed.assign(counted=filed["t_received"].to_numpy(float) >= warmup)


def assessed_unit(name: str, grids: set[str] | frozenset[str] = frozenset()) -> str:
    """The unit a figure is given for: a unit with one copy per grid (``property/g1``)
    as one unit (``property``), and a grid's own grid workers (a unit named after one of
    ``grids``) as :data:`~twin.metrics.orders.GRID_WORKERS`; the grid scope breaks them
    down by grid."""
    if name in grids:
        return GRID_WORKERS
    return name.rsplit("/", 1)[0] if "/" in name else name


def _scopes(table: pd.DataFrame, unit: str = "unit") -> dict[str, np.ndarray]:
    grid = table["grid"].astype(str).to_numpy()
    grids = set(grid.tolist())
    names = table[unit].astype(str).to_numpy()
    merged = {name: assessed_unit(name, grids) for name in set(names.tolist())}
    return {"unit": np.array([merged[n] for n in names], dtype=object).astype(str),
            "category": table["category"].astype(str).to_numpy(), "grid": grid}


def _with_order(rows: pd.DataFrame, orders: pd.DataFrame, warmup: float) -> pd.DataFrame:
    """Step rows with their order's category, grid, receipt and ``counted``."""
    keys = _keys(rows)
    info = orders[[*keys, "category", "grid", "t_received"]].astype(
        {"category": str, "grid": str})
    out = rows.drop(columns=[c for c in ("category", "grid") if c in rows.columns]).merge(
        info, on=keys, how="inner")
    return out.assign(counted=out["t_received"].to_numpy(float) >= warmup)


COUNTS = ("overdue_orders", "supervised_orders", "whistles")
"""The figures that are counts (0 where nothing happened); the others are shares."""


def assessment_scopes(scenario: Any, grids: Sequence[str], unit_names: Sequence[str] = ()
                      ) -> dict[str, list[str]]:
    """The units, categories and grids a scenario's figures are given for, whatever
    happens in a replication: the handling units its flows name, the grid workers (and
    volunteers, with small requests), its categories with a flow and ``grids``; and, from
    the model's ``unit_names``, the units of the per-unit work-order KPIs (``signing``:
    each copy of a handling unit orders may be assigned to; ``working``: those and the
    grid workers' units; ``queued``: those and the centre's desk)."""
    flows = [c for c in scenario.demand.categories if c.flow is not None]
    named = {step.by for c in flows for step in c.flow.flow_steps()}
    units = [u.name for u in scenario.work_orders.units if u.name in named] if (
        scenario.work_orders is not None) else []
    units += [GRID_WORKERS]  # volunteers belong to their grid's grid-worker unit
    summoned = scenario.work_orders.whistle.departments if scenario.work_orders else []
    units += [u for c in flows for u in (c.flow.summon or summoned) if u not in units]
    handling = {u.name for u in scenario.work_orders.units} if scenario.work_orders else set()
    takes = {n for n in handling if n in named}  # a flow's handle step names it
    if any(c.flow.wrong_assignment > 0 for c in flows):  # wrongly assigned: any order unit
        only = {name for _, name in scenario.disputes.units()} if scenario.disputes else set()
        takes |= handling - (only - named)
    signing = [n for n in unit_names if n.split("/")[0] in takes]
    grid_work = [n for n in unit_names if n.split("/")[-1] in set(grids)
                 and n.split("/")[0] not in handling]
    queued = [*signing, *grid_work, *([CENTRE_UNIT] if CENTRE_UNIT in unit_names else [])]
    return {"unit": units, "category": [c.name for c in flows], "grid": list(grids),
            **({"signing": signing, "working": [*signing, *grid_work], "queued": queued}
               if unit_names else {})}


def _fixed_columns(out: dict[str, float], scopes: Mapping[str, Sequence[str]]
                   ) -> dict[str, float]:
    """``out`` with exactly the scoped columns of ``scopes`` (missing ones as 0 for a count,
    NaN for a share), so that a replication's columns do not depend on what happened."""
    fixed = {k: v for k, v in out.items() if "[" not in k}
    for figure in FIGURES:
        for scope in SCOPES:
            for name in scopes.get(scope, ()):
                key = scope_column(figure, scope, name)
                fixed[key] = out.get(key, 0.0 if figure in COUNTS else float("nan"))
    return fixed


def assessment_kpis(orders: pd.DataFrame | None, steps: pd.DataFrame | None, warmup: float,
                    horizon: float, scopes: Mapping[str, Sequence[str]] | None = None
                    ) -> dict[str, float]:
    """Every assessment figure of one replication, in total and per unit, category and
    grid ({} without orders); the module docstring says what each counts. With
    ``scopes`` (:func:`assessment_scopes`) the scoped columns are exactly those."""
    if orders is None or len(orders) == 0:
        return {}
    if scopes is None:
        return _assessment(orders, steps, warmup, horizon)
    handling = set(scopes.get("unit", ())) - {GRID_WORKERS}
    orders = orders.assign(unit=_named(orders["unit"], handling))
    if steps is not None:
        steps = steps.assign(unit=_named(steps["unit"], handling))
    return _fixed_columns(_assessment(orders, steps, warmup, horizon), scopes)


def _named(units: pd.Series, handling: set[str]) -> np.ndarray:
    """Units as the figures give them: a handling unit (all its grids' copies as one), the
    centre, or the grid workers (a grid's unit, or a team's `team/grid`)."""
    names = units.astype(str).to_numpy()
    named = {n: n.split("/")[0] if n.split("/")[0] in handling else
             n if n in (CENTRE_UNIT, NO_UNIT) else GRID_WORKERS for n in set(names.tolist())}
    return np.array([named[n] for n in names], dtype=object)


def _assessment(orders: pd.DataFrame, steps: pd.DataFrame | None, warmup: float,
                horizon: float) -> dict[str, float]:
    if steps is None:
        steps = pd.DataFrame({"order_id": np.zeros(0, np.int64),
                              **{c: pd.Series(dtype=str) for c in ("step", "unit", "outcome")},
                              **{c: np.zeros(0) for c in ("t_ready", "t_on_site", "limit")}})
    filed = _order_rows(orders, warmup)
    out: dict[str, float] = {}
    out.update(_response(filed, steps, orders, warmup, horizon))
    out.update(_callbacks(filed))
    out.update(_deadlines(filed, horizon))
    out.update(_repeats(orders, warmup))
    out.update(_returns(steps, orders, warmup))
    out.update(_whistles(filed, steps, orders, warmup, horizon))
    return dict(sorted(out.items(), key=lambda item: "[" in item[0]))  # totals first


def _rows(table: pd.DataFrame, hit: np.ndarray, of: np.ndarray | None = None,
          unit: str = "unit") -> _Rows:
    n = len(table)
    return _Rows(np.asarray(hit, bool), np.ones(n, bool) if of is None else np.asarray(of, bool),
                 table["counted"].to_numpy(bool), _scopes(table, unit))


def _response(filed: pd.DataFrame, steps: pd.DataFrame, orders: pd.DataFrame, warmup: float,
              horizon: float) -> dict[str, float]:
    """响应率: contacted within ``respond_limit`` of the first assignment signed for."""
    assign = steps[steps["step"].astype(str).to_numpy() == STEPS[ASSIGN]]
    signed = assign[assign["outcome"].astype(str).to_numpy() == STEP_OUTCOMES[SIGNED]]
    keys = _keys(filed)
    first = signed.sort_values("t_ready", kind="stable").drop_duplicates(keys)[
        [*keys, "t_ready", "unit"]].rename(columns={"unit": "signer", "t_ready": "t_assigned_to"})
    rows = filed[filed["respond_limit"].notna()].merge(first, on=keys, how="inner")
    due = rows["t_assigned_to"].to_numpy(float) + rows["respond_limit"].to_numpy(float)
    contacted = rows["t_responded"].to_numpy(float)
    reached = ~np.isnan(contacted)
    known = reached | (due <= horizon)
    return _rows(rows, reached & (contacted <= due), known, unit="signer").figure(
        "response_rate", share=True)


def _callbacks(filed: pd.DataFrame) -> dict[str, float]:
    """解决率, 满意率: the answer at each order's last callback, over orders whose last
    callback reached the requester."""
    reached = filed["called_back"].to_numpy(bool)
    out = _rows(filed, filed["solved"].to_numpy(bool), reached).figure("resolution_rate", True)
    out.update(_rows(filed, filed["satisfied"].to_numpy(bool), reached).figure(
        "satisfaction_rate", True))
    return out


def _deadlines(filed: pd.DataFrame, horizon: float) -> dict[str, float]:
    """按期办结率 (closed within the limit, over closed or past it), 超期 and 督办."""
    late, known = overdue(filed, horizon)
    out = _rows(filed, known & ~late, known).figure("on_time_rate", True)
    out.update(_rows(filed, late).figure("overdue_orders", False))
    out.update(_rows(filed, filed["t_supervised"].notna().to_numpy()).figure(
        "supervised_orders", False))
    return out


def _repeats(orders: pd.DataFrame, warmup: float) -> dict[str, float]:
    """重复诉求率: repeats over filed first requests and repeats; a repeat counts for
    the unit of the order it repeats."""
    repeat = orders["repeat_of"].to_numpy(np.int64) >= 0
    rows = orders[repeat | orders["filed"].to_numpy(bool)]
    keys = _keys(rows)
    target = rows[keys].copy()
    target["order_id"] = np.where(rows["repeat_of"] >= 0, rows["repeat_of"], rows["order_id"])
    units = orders[keys].assign(owner=orders["unit"].astype(str))
    owner = target.merge(units, on=keys, how="left")["owner"].fillna(NO_UNIT)
    rows = rows.assign(owner=owner.to_numpy(),
                       counted=rows["t_received"].to_numpy(float) >= warmup)
    return _rows(rows, rows["repeat_of"].to_numpy(np.int64) >= 0, unit="owner").figure(
        "repeat_rate", True)


def _returns(steps: pd.DataFrame, orders: pd.DataFrame, warmup: float) -> dict[str, float]:
    """退单率: assignments sent back as wrong over those signed for or sent back."""
    rows = _with_order(steps[steps["step"].astype(str).to_numpy() == STEPS[ASSIGN]],
                       orders, warmup)
    outcome = rows["outcome"].astype(str).to_numpy()
    returned = outcome == STEP_OUTCOMES[RETURNED]
    return _rows(rows, returned, returned | (outcome == STEP_OUTCOMES[SIGNED])).figure(
        "return_rate", True)


def _whistles(filed: pd.DataFrame, steps: pd.DataFrame, orders: pd.DataFrame, warmup: float,
              horizon: float) -> dict[str, float]:
    """吹哨 (whistled orders; per unit: those that summoned it) and 报到及时率."""
    out = _rows(filed, filed["t_whistled"].notna().to_numpy()).figure(
        "whistles", False, only=("category", "grid"))
    reports = _with_order(steps[steps["step"].astype(str).to_numpy() == STEPS[REPORT]],
                          orders, warmup)
    summoned = reports.drop_duplicates([*_keys(reports), "unit"])
    out.update(_rows(summoned, np.ones(len(summoned), bool)).figure(
        "whistles", False, only=("unit",), total=False))
    on_time, known = report_on_time(reports, horizon)
    out.update(_rows(reports, on_time, known).figure("report_on_time", True))
    return out
