"""The escalation watch: when each trigger of :mod:`twin.engine.triggers` fires.

* a waiting case whose colour's deadline passes moves up (``deadline``), and a
  red one blows the whistle (``whistle``, red stays red);
* an on-site attempt fails with the probability of its category and colour
  (``failed``);
* a green or yellow dispute left waiting grows after an exponential time with
  its category's hazard (``grew``).

Every change is recorded; the case is then routed again by its new colour.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import simpy

from twin.engine.triggers import (
    ATTEMPT_FAILED,
    CAUSE_CODE,
    DEADLINE_PASSED,
    DISPUTE_GREW,
    WHISTLE,
    Trigger,
)
from twin.engine.views import IntColumn, Schedule
from twin.scenario.schema import Scenario
from twin.vocab import COLOURS, RED


@dataclass(frozen=True)
class EscalationRules:
    """What a scenario allows to happen to a case's colour."""

    enabled: bool
    """False: colours never change."""
    on_deadline: bool
    """A waiting case moves up when its colour's deadline passes."""
    deadlines: np.ndarray
    """Deadline per colour [min]."""
    failure: np.ndarray
    """Probability that an on-site attempt fails, shape (categories, colours)."""
    growth: np.ndarray
    """Hazard of moving up per minute of waiting, per category [1/min]."""


def escalation_rules(scenario: Scenario) -> EscalationRules:
    """The rules of a scenario."""
    cats = scenario.demand.categories
    failure = np.zeros((len(cats), len(COLOURS)))
    growth = np.zeros(len(cats))
    for k, cat in enumerate(cats):
        for colour, p in cat.failure.items():
            failure[k, COLOURS.index(colour)] = p
        growth[k] = cat.growth_per_hour / 60.0
    d = scenario.deadlines
    return EscalationRules(
        enabled=scenario.escalation.enabled,
        on_deadline=scenario.escalation.on_deadline,
        deadlines=np.array([d.green, d.yellow, d.red], dtype=float),
        failure=failure,
        growth=growth,
    )


class CasePort(Protocol):
    """What the watch may read and change of a case (the case book)."""

    colour: list[int]
    colour_epoch: list[int]
    waiting: list[bool]

    def still_waiting(self, issue: int, key: int) -> bool: ...


class EscalationWatch:
    """Fires escalation triggers and applies them to cases."""

    def __init__(self, rules: EscalationRules, cases: CasePort, schedule: Schedule,
                 now: Callable[[], float], record: Callable[[int, float, int, int, int], None],
                 count: Callable[[int], None], reroute: Callable[[int], None],
                 category: IntColumn, fail_draw: np.ndarray,
                 growth_draw: Callable[[int], float]) -> None:
        self.rules = rules
        self.cases = cases
        self.schedule = schedule
        self.now = now
        self.record = record
        """Records (issue, time, from colour, to colour, cause code)."""
        self.count = count
        """Counts one more escalation of an issue in its record."""
        self.reroute = reroute
        self.category = category
        self.fail_draw = fail_draw
        self.growth_draw = growth_draw
        """The waiting time until an issue's dispute grows [min]."""

    def escalate(self, issue: int, trigger: Trigger) -> None:
        """Apply ``trigger`` to ``issue``: record it, change its colour, route it again."""
        if not self.rules.enabled:
            return
        cases = self.cases
        colour = cases.colour[issue]
        to = trigger.next_colour(colour)
        if to is None:
            return
        now = self.now()
        self.record(issue, now, colour, to, CAUSE_CODE[trigger.cause])
        if colour == RED:
            return
        cases.waiting[issue] = False  # its old queue entry is now stale
        cases.colour[issue] = to
        self.count(issue)
        cases.colour_epoch[issue] += 1
        self.reroute(issue)
        self.watch_deadline(issue)

    def attempt_failed(self, issue: int) -> bool:
        """Whether the on-site attempt just ended failed (and the case moved up)."""
        colour = self.cases.colour[issue]
        if colour >= RED:
            return False
        p = self.rules.failure[self.category[issue], colour]
        if p > 0.0 and self.fail_draw[issue, colour] < p:
            self.escalate(issue, ATTEMPT_FAILED)
            return True
        return False

    def watch_deadline(self, issue: int) -> None:
        """Start the deadline timer of the issue's current colour."""
        if not self.rules.on_deadline:
            return
        colour = self.cases.colour[issue]
        self.schedule(float(self.rules.deadlines[colour]), self._deadline_passed,
                      (issue, self.cases.colour_epoch[issue]))

    def _deadline_passed(self, event: simpy.Event) -> None:
        issue, epoch = event.value  # type: ignore[misc]
        cases = self.cases
        if cases.colour_epoch[issue] == epoch and cases.waiting[issue]:
            self.escalate(issue, WHISTLE if cases.colour[issue] == RED else DEADLINE_PASSED)

    def watch_growth(self, issue: int, key: int) -> None:
        """A green or yellow issue started waiting: it may grow before it is taken."""
        if self.rules.growth[self.category[issue]] <= 0.0:
            return
        self.schedule(self.growth_draw(issue), self._grew, (issue, key))

    def _grew(self, event: simpy.Event) -> None:
        issue, key = event.value  # type: ignore[misc]
        if self.cases.still_waiting(issue, key):
            self.escalate(issue, DISPUTE_GREW)
