"""The registry of dispatch policies: one list of names, each with its one-line meaning
and the engine class that carries its behaviour.

The scenario schema reads the names (allowed values and their error message);
the engine loads the class by its dotted path (:func:`twin.engine.policies.policy_for`).
Adding a policy is one module under ``twin/engine/policies/`` plus one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PolicyEntry:
    """One dispatch policy of the registry."""

    path: str
    """``module:Class`` of its behaviour in the engine."""
    meaning: str
    """One line for the docs and the schema."""


DISPATCH_POLICIES: dict[str, PolicyEntry] = {
    "own_grid": PolicyEntry(
        "twin.engine.policies.own_grid:OwnGrid",
        "only the grid's own workers"),
    "nearest_idle": PolicyEntry(
        "twin.engine.policies.nearest_idle:NearestIdle",
        "the idle worker with the shortest travel time, from any grid"),
    "own_grid_then_nearest": PolicyEntry(
        "twin.engine.policies.borrowing:OwnGridThenNearest",
        "own grid; after `borrow_after` minutes of waiting the nearest idle worker anywhere"),
    "own_grid_then_neighbours": PolicyEntry(
        "twin.engine.policies.borrowing:OwnGridThenNeighbours",
        "own grid; after `borrow_after` minutes of waiting the nearest idle worker of a "
        "grid that shares a boundary with the issue's grid (邻格支援)"),
}
"""Every dispatch policy, by the name a scenario uses."""


def policy_problem(name: str) -> str | None:
    """Why ``name`` is not a dispatch policy, or None."""
    if name in DISPATCH_POLICIES:
        return None
    return f"must be one of: {', '.join(DISPATCH_POLICIES)} (got {name!r})"
