"""Dispatch rules as small objects chosen by name.

A dispatch policy answers two questions for the dispatcher: which idle workers
may be sent to a newly reported issue (its own grid's, or anyone's), and after
how many minutes of waiting an issue may be taken by a worker of another grid.
The dispatcher (``twin.processes``) does the bookkeeping; waiting issues are
always served red first, then yellow, then green, first come first served.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from twin.scenario.schema import DispatchSpec


class DispatchPolicy(Protocol):
    """What a dispatch rule decides."""

    @property
    def name(self) -> str:
        """Registry name."""

    @property
    def any_grid(self) -> bool:
        """True: a new issue goes to the nearest idle worker of any grid."""

    @property
    def borrow_after(self) -> float | None:
        """Minutes after which a waiting issue is open to any grid's workers (None: never)."""


@dataclass(frozen=True)
class OwnGrid:
    """Only the grid's own workers handle its issues."""

    name: str = "own_grid"
    any_grid: bool = False
    borrow_after: float | None = None


@dataclass(frozen=True)
class NearestIdle:
    """The idle worker with the shortest travel time, from any grid."""

    name: str = "nearest_idle"
    any_grid: bool = True
    borrow_after: float | None = None


@dataclass(frozen=True)
class OwnGridThenNearest:
    """Own grid first; after ``borrow_after`` minutes the nearest idle worker anywhere."""

    borrow_after: float | None = 30.0
    name: str = "own_grid_then_nearest"
    any_grid: bool = False


DISPATCH_POLICIES: dict[str, Callable[[DispatchSpec], DispatchPolicy]] = {
    "own_grid": lambda spec: OwnGrid(),
    "nearest_idle": lambda spec: NearestIdle(),
    "own_grid_then_nearest": lambda spec: OwnGridThenNearest(borrow_after=spec.borrow_after),
}


def dispatch_policy(spec: DispatchSpec) -> DispatchPolicy:
    """The policy named in ``spec.policy``; an unknown name lists the valid ones."""
    make = DISPATCH_POLICIES.get(spec.policy)
    if make is None:
        raise ValueError(f"unknown dispatch policy {spec.policy!r}; valid: "
                         + ", ".join(DISPATCH_POLICIES))
    return make(spec)
