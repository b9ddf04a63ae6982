"""The escalation state machine of a case (三色预警 and 吹哨), as plain rules.

Colours only move up: green -> yellow -> red. A move has a cause:

* ``deadline``: the case was still waiting when its colour's deadline passed;
* ``failed``: an on-site attempt at this colour did not settle it;
* ``grew``: a dispute left waiting grew (hazard per hour of waiting);
* ``whistle``: a red case passed its deadline; it stays red and the
  departments are called (recorded, red -> red).

The processes decide *when* these events happen; this module says *what* each
one does, so the rules can be checked on their own and by the property tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.scenario.schema import COLOURS, Scenario

GREEN, YELLOW, RED = range(3)
CAUSES: tuple[str, ...] = ("deadline", "failed", "grew", "whistle")
DEADLINE, FAILED, GREW, WHISTLE = range(4)


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

    def next_colour(self, colour: int, cause: int) -> int | None:
        """The colour after an event, or None if the event changes nothing."""
        if not self.enabled:
            return None
        if colour >= RED:
            return RED if cause == DEADLINE and self.on_deadline else None
        if cause == DEADLINE and not self.on_deadline:
            return None
        return colour + 1

    @staticmethod
    def allows(frm: int, to: int, cause: int) -> bool:
        """Whether a recorded transition is one the machine can make."""
        if not (GREEN <= frm <= RED and GREEN <= to <= RED):
            return False
        if cause == WHISTLE:
            return frm == RED and to == RED
        return cause in (DEADLINE, FAILED, GREW) and to == frm + 1 and to <= RED


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
