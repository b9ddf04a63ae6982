"""Dispute KPIs (三色预警): from the dispute table, its visits and its grade changes.

Every KPI counts the disputes made known after the warm-up (and their visits),
whenever the visits happen.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin.vocab import COLOURS, GREEN, MEDIATION_CHANNELS, YELLOW

_ATTEMPT = {"mediate": COLOURS[GREEN], "session": COLOURS[YELLOW],
            "online_session": COLOURS[YELLOW]}
"""Visit purposes that settle or fail a dispute at a grade."""
_CHANNEL = {"session": MEDIATION_CHANNELS[1], "online_session": MEDIATION_CHANNELS[2]}


def _keys(table: pd.DataFrame) -> list[str]:
    return ["replication", "issue_id"] if "replication" in table.columns else ["issue_id"]


def _mean(values: np.ndarray) -> float:
    values = values[~np.isnan(values)]
    return float(values.mean()) if len(values) else float("nan")


def dispute_kpis(disputes: pd.DataFrame | None, visits: pd.DataFrame | None, warmup: float
                 ) -> dict[str, float]:
    """KPIs of the disputes made known after ``warmup`` (none without disputes)."""
    if disputes is None or not len(disputes):
        return {}
    picked = disputes[disputes["t_reported"] >= warmup]
    out: dict[str, float] = {"disputes": float(len(picked))}
    intake = picked["grade_intake"].astype(str)
    closed = picked[picked["outcome"].astype(str) != "open"]
    for grade in COLOURS:
        out[f"disputes_intake[{grade}]"] = float((intake == grade).sum())
        out[f"disputes_closed[{grade}]"] = float(
            (closed["grade_closed"].astype(str) == grade).sum())
    if len(picked):
        out["found_early_share"] = float(picked["found_early"].mean())
    out["regrades_up"] = float(picked["regrades_up"].sum())
    out["regrades_down"] = float(picked["regrades_down"].sum())
    mediated = picked[(picked["settled_grade"].astype(str) == COLOURS[YELLOW])
                      & (picked["outcome"].astype(str) == "settled")]
    if len(mediated):
        out["sessions_per_settled"] = float(mediated["sessions"].mean())
    if len(closed):
        out["referral_rate"] = float((closed["outcome"].astype(str) == "referred").mean())
        out["time_to_settle"] = _mean((closed["t_closed"] - closed["t_reported"]).to_numpy(float))
    red = picked[picked["t_red"].notna()]
    if len(red):
        out["red_lead_response"] = _mean((red["t_lead_on_site"] - red["t_red"]).to_numpy(float))
        out["red_all_arrived"] = _mean((red["t_all_arrived"] - red["t_red"]).to_numpy(float))
    if visits is not None and len(visits):
        out.update(_settlement(picked, visits))
    return out


def _settlement(picked: pd.DataFrame, visits: pd.DataFrame) -> dict[str, float]:
    """Settlement rate per grade (a grid worker's mediation, the office's mediation)
    and per channel of the office's sessions: settled ÷ (settled + failed)."""
    purpose = visits["purpose"].astype(str)
    ends = visits[purpose.isin(list(_ATTEMPT)).to_numpy()
                  & visits["outcome"].astype(str).isin(["settled", "failed"]).to_numpy()]
    ends = ends.merge(picked[_keys(picked)], on=_keys(picked))
    settled = (ends["outcome"].astype(str) == "settled").to_numpy()
    grade = ends["purpose"].astype(str).map(_ATTEMPT).to_numpy()
    channel = ends["purpose"].astype(str).map(_CHANNEL).to_numpy()
    out: dict[str, float] = {}
    for g in (COLOURS[GREEN], COLOURS[YELLOW]):
        m = grade == g
        if m.any():
            out[f"settlement_rate[{g}]"] = float(settled[m].mean())
    for c in MEDIATION_CHANNELS[1:]:
        m = channel == c
        if m.any():
            out[f"mediation_settled[{c}]"] = float(settled[m].mean())
    return out
