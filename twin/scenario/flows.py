"""Default flows (办理流程) a category may name instead of listing its steps.

Each entry is plain data: the ordered steps, each with its kind, who does it
(``grid_worker`` or the name of a handling unit the scenario must declare under
``work_orders.units``), its staff time and, for a handling unit, an optional
lead time (an appointment, parts) during which nobody is busy. Times are
assumptions sized from ``DOMAIN.md`` ("most repairs take hours to days, not
minutes"); the limits are calendar minutes here (a scenario with a `calendar`
may write a flow's `limit` in working time). A scenario may override a default's
limit and probabilities, or spell out its own ``steps``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DefaultFlow:
    """A named flow: its meaning, its steps (plain data) and its time limit."""

    meaning: str
    steps: tuple[dict[str, Any], ...]
    limit: float
    """Time allowed from receipt to closing [min]."""


def _exp(mean: float) -> dict[str, Any]:
    return {"distribution": "exponential", "mean": mean}


def _logn(mean: float, sd: float) -> dict[str, Any]:
    return {"distribution": "lognormal", "mean": mean, "sd": sd}


_CHECK = {"step": "check", "by": "grid_worker", "service": _exp(15.0)}
_VERIFY = {"step": "verify", "by": "grid_worker", "service": _exp(10.0)}

DEFAULT_FLOWS: dict[str, DefaultFlow] = {
    "compound_repair": DefaultFlow(
        "a repair inside a compound: the grid worker checks a public report, property "
        "management (物业) fixes it, the grid worker verifies",
        (_CHECK, {"step": "handle", "by": "property", "service": _logn(90.0, 60.0),
                  "lead_time": _logn(480.0, 480.0)}, _VERIFY),
        4320.0),
    "public_space": DefaultFlow(
        "exposed rubbish, damaged public facilities, stalls: city management (城管) clears "
        "it, the grid worker verifies (a public report is checked first)",
        (_CHECK, {"step": "handle", "by": "city_management", "service": _logn(45.0, 30.0)},
         _VERIFY),
        240.0),
    "housing": DefaultFlow(
        "a building or housing matter for the housing department (住建): checked, "
        "handled after an appointment, verified",
        (_CHECK, {"step": "handle", "by": "housing", "service": _logn(120.0, 90.0),
                  "lead_time": _logn(2880.0, 2000.0)}, _VERIFY),
        10080.0),
    "water": DefaultFlow(
        "a water supply or drainage fault for the water department (水务): handled, "
        "verified",
        ({"step": "handle", "by": "water", "service": _logn(180.0, 120.0)}, _VERIFY),
        1440.0),
    "wish": DefaultFlow(
        "a resident's small request (微心愿): the community offers it to volunteers, one "
        "accepts and helps, the resident rates the help",
        ({"step": "wish", "by": "volunteer", "service": _logn(45.0, 30.0)},),
        2880.0),
    "on_site": DefaultFlow(
        "a minor matter the grid worker settles on site (就地化解)",
        ({"step": "settle", "by": "grid_worker", "service": _logn(20.0, 12.0)},),
        1440.0),
}
"""Every default flow, by the name a category's ``flow:`` gives."""


def units_needed(name: str) -> list[str]:
    """Handling units a default flow names (not ``grid_worker``)."""
    return [s["by"] for s in DEFAULT_FLOWS[name].steps if s["by"] != "grid_worker"]
