"""Core KPIs as pure functions of record tables.

Only issues reported after the warm-up count; staff time is clipped to the
window [warm-up, horizon]. Times are minutes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin.vocab import GRID_WORKER, KINDS, NONCASE, OFF_SHIFT, ON_SITE, PATROL, STATES, TRAVEL


def pct(values: np.ndarray, q: float) -> float:
    """Percentile ``q`` of ``values`` (NaN if empty)."""
    return float(np.percentile(values, q)) if len(values) else float("nan")


def mean(values: np.ndarray) -> float:
    """Mean of ``values`` (NaN if empty)."""
    return float(values.mean()) if len(values) else float("nan")


def ratio(num: float, den: float) -> float:
    """num / den, NaN when den is 0."""
    return float(num / den) if den > 0 else float("nan")


def observed(issues: pd.DataFrame, warmup: float) -> pd.DataFrame:
    """Issues reported after the warm-up (never-reported latent issues excluded)."""
    return issues[issues["t_reported"] >= warmup]


def issue_deadline(issues: pd.DataFrame) -> np.ndarray:
    """Per issue, the time allowed [min]: the ``deadline`` column (its category's time
    limit; NaN for a dispute, never due)."""
    return issues["deadline"].to_numpy(dtype=float)


def issue_kpis(issues: pd.DataFrame, warmup: float, horizon: float) -> dict[str, float]:
    """Counts, response and resolution times, deadline compliance, mean number waiting.

    Response is reported -> first on site; resolution is reported -> resolved.
    Both are over issues that reached that point by the horizon. Deadline
    compliance uses the category's time limit (a work order: its flow's limit;
    a dispute has none) and is over issues whose deadline fell before the horizon (later ones
    are censored).
    """
    obs = observed(issues, warmup)
    reported = obs["t_reported"].to_numpy()
    on_site = obs["t_on_site"].to_numpy()
    resolved = obs["t_resolved"].to_numpy()
    response = (on_site - reported)[~np.isnan(on_site)]
    resolution = (resolved - reported)[~np.isnan(resolved)]
    deadline = issue_deadline(obs)
    due = reported + deadline <= horizon
    met = (resolved - reported <= deadline) & ~np.isnan(resolved)
    # time-average number waiting: overlap of [reported, first dispatch) with the window
    # (a request answered at once, resolved with nobody sent, waits until its answer)
    all_rep = issues["t_reported"].to_numpy()
    known = ~np.isnan(all_rep)
    disp = np.nan_to_num(np.fmin(issues["t_dispatched"].to_numpy()[known],
                                 issues["t_resolved"].to_numpy()[known]), nan=horizon)
    wait = np.clip(np.minimum(disp, horizon) - np.maximum(all_rep[known], warmup), 0.0, None)
    return {
        "arrived": float(len(obs)),
        "resolved": float((~np.isnan(resolved)).sum()),
        "open_at_end": float(np.isnan(resolved).sum()),
        "response_mean": mean(response),
        "response_p50": pct(response, 50),
        "response_p90": pct(response, 90),
        "response_p95": pct(response, 95),
        "resolution_mean": mean(resolution),
        "resolution_p50": pct(resolution, 50),
        "resolution_p90": pct(resolution, 90),
        "within_deadline": float(met[due].mean()) if due.any() else float("nan"),
        "mean_waiting": float(wait.sum() / (horizon - warmup)),
    }


BUSY_STATES = (STATES[ON_SITE],)


def busy_and_duty(activity: pd.DataFrame, warmup: float, horizon: float
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per interval: length in the window, busy?, on duty?, travelling?"""
    start = np.maximum(activity["t_start"].to_numpy(), warmup)
    end = np.minimum(activity["t_end"].to_numpy(), horizon)
    length = np.clip(end - start, 0.0, None)
    state = activity["state"].astype(str).to_numpy()
    task = activity["issue_id"].to_numpy() >= 0
    travel = state == STATES[TRAVEL]
    busy = np.isin(state, BUSY_STATES) | (travel & task)
    duty = (state != STATES[OFF_SHIFT]) & (state != STATES[NONCASE])  # free for cases
    return length, busy, duty, travel


def busy_share(length: np.ndarray, busy: np.ndarray, duty: np.ndarray, mask: np.ndarray
               ) -> float:
    """Busy ÷ on-duty time of the intervals in ``mask`` (the arrays of :func:`busy_and_duty`);
    NaN without duty time."""
    return ratio(length[busy & mask].sum(), length[duty & mask].sum())


def worker_kpis(activity: pd.DataFrame, warmup: float, horizon: float) -> dict[str, float]:
    """Grid workers' utilisation (busy / on duty), overall and per unit, and their
    shares of duty time travelling and patrolling.

    Busy is travelling to a task or on site; the walk back to base and patrols
    are not busy.
    """
    grid = (activity["kind"] == KINDS[GRID_WORKER]).to_numpy()
    length, busy, duty, travel = busy_and_duty(activity, warmup, horizon)
    patrol = (activity["state"] == STATES[PATROL]).to_numpy()
    duty_time = length[duty & grid].sum()
    noncase = (activity["state"] == STATES[NONCASE]).to_numpy() & grid
    out = {
        "utilisation": busy_share(length, busy, duty, grid),
        "travel_share": ratio(length[travel & grid].sum(), duty_time),
        "patrol_share": ratio(length[patrol & grid].sum(), duty_time),
    }
    if noncase.any():
        out["noncase_share"] = ratio(length[noncase].sum(), duty_time + length[noncase].sum())
    units = activity["unit"]
    names = [str(u) for u in units.cat.categories] if hasattr(units, "cat") else sorted(
        units.unique())
    for name in names:
        mask = (units == name).to_numpy() & grid
        if mask.any():
            out[f"utilisation[{name}]"] = busy_share(length, busy, duty, mask)
    return out
