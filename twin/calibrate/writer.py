"""Write a calibration as a ``demand:`` block, with its provenance as comments.

The file is meant to be merged into a scenario with
``extends: [base.yaml, demand.yaml]``: it sets the three keys of ``demand``
(the pooled multipliers and the category list), so it replaces the base's
demand whole and leaves everything else alone.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
from ruamel.yaml import YAML

from twin.calibrate.model import Calibration, CategoryFit
from twin.calibrate.rates import weekday_hour
from twin.calibrate.tickets import format_time
from twin.scenario import Problem, Scenario, ScenarioError, apply_overrides
from twin.scenario.schema import DemandSpec


def number(x: float, digits: int = 4) -> str:
    """A float with ``digits`` significant digits, never in exponent form (which
    some YAML readers take for text)."""
    return np.format_float_positional(float(x), precision=digits, unique=False,
                                      fractional=False, trim="-")


def multipliers(values: np.ndarray) -> str:
    """A flow list of multipliers to 3 decimals."""
    return "[" + ", ".join(f"{v:.3f}" for v in values) + "]"


def _wrapped(key: str, values: np.ndarray, indent: str, per_line: int = 12) -> list[str]:
    items = [f"{v:.3f}" for v in values]
    chunks = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    pad = indent + " " * (len(key) + 3)
    lines = [f"{indent}{key}: [{chunks[0]}"]
    lines += [f"{pad}{c}" for c in chunks[1:]]
    lines[-1] += "]"
    for i in range(len(lines) - 1):
        lines[i] += ","
    return lines


def _service(spec: dict[str, Any]) -> str:
    parts = []
    for key, value in spec.items():
        if isinstance(value, list):
            parts.append(f"{key}: [" + ", ".join(number(v, 6) for v in value) + "]")
        elif isinstance(value, float):
            parts.append(f"{key}: {number(value, 6)}")
        else:
            parts.append(f"{key}: {value}")
    return "{" + ", ".join(parts) + "}"


def provenance(cal: Calibration) -> list[str]:
    """Comment lines: where the numbers come from."""
    t = cal.tickets
    digest = hashlib.sha256(Path(t.source).read_bytes()).hexdigest()[:16]
    days = (t.end - t.start) / 24.0
    grids = ", ".join(t.grids)
    where = f" (from {t.grids_source})" if t.grids_source else " (as named in the tickets)"
    first_day, _ = weekday_hour(np.array([t.start]))
    weekday = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][int(first_day[0])]
    counts = ", ".join(f"{c.name} {c.count}" for c in cal.categories)
    lines = [
        "Demand calibrated from reported tickets by `twin calibrate`.",
        f"source: {t.source} (sha256 {digest}), {t.rows} ticket rows, {len(t)} in the window"
        + (f", {t.outside} outside it left out" if t.outside else ""),
        f"window: {format_time(t.start)} ({weekday}) to {format_time(t.end)}: {days:.2f} days "
        f"= {days / 7:.2f} weeks",
        f"grids{where}: {grids}",
        f"tickets per category: {counts}",
        f"profiles: own per category with >= {cal.min_count} tickets, else pooled; "
        "rates are averages over the week [1/h], 95% exact Poisson intervals",
        "Merge into a scenario with  extends: [base.yaml, this file]",
    ]
    return lines


def _category_lines(fit: CategoryFit, grids: list[str]) -> list[str]:
    low, high = fit.value_ci
    shown = "per grid" if fit.form == "rate_per_hour" else "per 1,000 residents"
    lines = [f"    - name: {fit.name}"
             + f"   # {fit.count} tickets; {'own' if fit.own_profile else 'pooled'} profile",
             f"      {fit.form}: {number(fit.value)}   # {shown}, 95% CI "
             f"{number(low, 3)} to {number(high, 3)}; grids equal: p = {fit.p_equal:.2g}"
             + (f", in proportion to residents: p = {fit.p_residents:.2g}"
                if fit.p_residents is not None else "")]
    for g, rate in zip(grids, fit.rates, strict=True):
        lines.append(f"      #   {g}: {number(rate)} per hour")
    if fit.own_profile:
        lines += _wrapped("hour_of_day", fit.profile.hour, "      ")
        lines.append(f"      day_of_week: {multipliers(fit.profile.day)}")
    if fit.colours is not None:
        mix = ", ".join(f"{c}: {number(s, 6)}" for c, s in fit.colours.shares.items())
        counts = ", ".join(f"{c} {n}" for c, n in fit.colours.counts.items())
        lines.append(f"      colours: {{{mix}}}   # counts: {counts}")
    service = fit.service
    note = f"{service.n} times; {service.reason}"
    if service.aic:
        note += "; AIC " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(service.aic.items(),
                                                                   key=lambda kv: kv[1]))
    lines.append(f"      service: {_service(service.spec)}   # {note}")
    return lines


def demand_yaml(cal: Calibration) -> str:
    """The YAML text of the calibrated ``demand:`` block."""
    out = [f"# {line}" for line in provenance(cal)]
    out += [f"# warning: {w}" for w in cal.warnings]
    for fit in cal.categories:
        out += [f"# warning: {w}" for w in fit.warnings]
    out += ["demand:", "  # hour and weekday multipliers of all categories pooled (mean 1)"]
    out += _wrapped("hour_of_day", cal.pooled.hour, "  ")
    out.append(f"  day_of_week: {multipliers(cal.pooled.day)}   # Monday .. Sunday")
    out.append("  categories:")
    for fit in cal.categories:
        out += _category_lines(fit, cal.tickets.grids)
    return "\n".join(out) + "\n"


def check_demand(text: str, source: str, template: Scenario | None = None) -> list[Problem]:
    """Problems of the written block: merged into ``template`` as ``extends`` would
    merge it, or on its own without a template (none expected)."""
    data = YAML(typ="safe", pure=True).load(text)
    if template is None:
        try:
            DemandSpec.model_validate(data["demand"])
        except ValueError as exc:
            return [Problem(source, None, "demand", str(exc))]
        return []
    try:
        apply_overrides(template, {"demand": data["demand"]}, source=source)
    except ScenarioError as exc:
        return exc.problems
    return []
