"""Dispatch policies: which idle worker takes a new case, which queues a freed worker
reads, and what happens while a case waits.

A policy is a class chosen by name from the registry
:data:`twin.scenario.registry.DISPATCH_POLICIES` (which also gives the schema
its allowed names). It talks to the rest of the engine only through the ports
of :class:`PolicyPorts`. It governs grid workers' cases and work-order steps;
visits (a dispute's field work, reports to whistles) go to their own unit's
staff, routed by the router.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from twin.engine.views import Schedule
from twin.scenario.registry import DISPATCH_POLICIES
from twin.scenario.schema import DispatchSpec


class QueuePort(Protocol):
    """What a policy may do with the case book's queues."""

    def new_queue(self) -> int: ...
    def also_in(self, queue: int, issue: int) -> None: ...
    def still_waiting(self, issue: int, key: int) -> bool: ...


class StaffPort(Protocol):
    """What a policy may ask the staff."""

    def idle_pool(self, unit: int, kind: int) -> set[int]: ...
    def nearest_in(self, pool: set[int], node: int) -> tuple[int, float]: ...
    def nearest_of_team(self, team: int, node: int) -> tuple[int, float]: ...
    def team_of_unit(self, unit: int) -> int: ...


@dataclass(frozen=True)
class Units:
    """The grid-worker units a policy serves."""

    unit_team: list[int]
    """Team of each unit (-1: not a grid-worker unit)."""
    neighbours: list[list[int]]
    """Units of the same team whose grids share a boundary with each unit's grid."""


@dataclass(frozen=True)
class PolicyPorts:
    """Everything a policy may use."""

    queues: QueuePort
    staff: StaffPort
    assign: Callable[[int, int, float], None]
    """Send idle worker w to task i with travel time t."""
    schedule: Schedule
    now: Callable[[], float]
    waiting_since: Callable[[int], float]
    """When a task started waiting for grid workers: a case's report, a work order's
    current step becoming ready [min]."""
    unit_of: Callable[[int], int]
    node_of: Callable[[int], int]
    key_of: Callable[[int], int]
    """The current heap key of a waiting issue."""


class DispatchPolicy(Protocol):
    """What a dispatch rule decides."""

    name: str

    def home_queue(self, unit: int) -> int:
        """Queue where a case of ``unit`` waits for a grid worker."""

    def eligible_queue(self, unit: int) -> int:
        """Queue where a volunteer-eligible case of ``unit`` waits (volunteers read it too)."""

    def extra_queues(self, unit: int) -> list[int]:
        """Further queues a freed grid worker of ``unit`` reads, after its own."""

    def first_choice(self, unit: int, node: int) -> tuple[int, float]:
        """The idle grid worker sent at once to a new case of ``unit`` at ``node``."""

    def waiting(self, issue: int) -> None:
        """``issue`` found nobody and waits."""


def policy_for(spec: DispatchSpec, units: Units, ports: PolicyPorts) -> DispatchPolicy:
    """The policy named in ``spec.policy``, set up on ``units``."""
    entry = DISPATCH_POLICIES.get(spec.policy)
    if entry is None:  # the schema refuses unknown names; a hand-made spec may not
        raise ValueError(f"unknown dispatch policy {spec.policy!r}; valid: "
                         + ", ".join(DISPATCH_POLICIES))
    module, _, cls = entry.path.partition(":")
    policy: DispatchPolicy = getattr(importlib.import_module(module), cls)(spec, units, ports)
    return policy
