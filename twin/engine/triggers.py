"""Escalation triggers (三色预警 and 吹哨): each an object with its cause, in one registry.

Colours of cases move up: green -> yellow -> red; a settled dispute moves down
to green (降级销号). A trigger is an event that may
move a case; it has a cause name (recorded in ``escalations.parquet``), labels
in English and Chinese, and the rule of what it does to a colour. The engine's
escalation watch (:mod:`twin.engine.watch`) decides *when* each fires; this
module says *what* each one is. Cause lists, labels and the escalation-flow
chart all read :data:`TRIGGERS`.

To add a trigger: write a class here with ``cause``, ``label`` and
``next_colour``, add it to :data:`TRIGGERS`, and fire it from the watch.
"""

from __future__ import annotations

from dataclasses import dataclass

from twin.vocab import GREEN, RED


@dataclass(frozen=True)
class Trigger:
    """What an escalation event is and what it does to a case's colour."""

    cause: str
    """Name recorded in the ``cause`` column of the escalation table."""
    label: tuple[str, str]
    """Label in English and Chinese."""
    moves_up: bool = True
    """True: moves a green or yellow case one colour up; False: leaves the colour."""
    on_red: bool = False
    """True: fires on a red case too, which stays red (recorded red -> red)."""
    moves_down: bool = False
    """True: moves a yellow or red case down to green (a settled dispute, 降级销号)."""

    def next_colour(self, colour: int) -> int | None:
        """The colour after this event, or None if it changes nothing."""
        if self.moves_down:
            return GREEN if colour > GREEN else None
        if colour >= RED:
            return RED if self.on_red else None
        return colour + 1 if self.moves_up else None

    def allows(self, frm: int, to: int) -> bool:
        """Whether a recorded transition is one this trigger can make."""
        if not (GREEN <= frm <= RED and GREEN <= to <= RED):
            return False
        if self.moves_down:
            return frm > GREEN and to == GREEN
        if frm == RED:
            return self.on_red and to == RED
        return self.moves_up and to == frm + 1


DEADLINE_PASSED = Trigger("deadline", ("deadline passed", "超时"))
"""A case still waiting when its colour's deadline passes moves up."""
ATTEMPT_FAILED = Trigger("failed", ("attempt failed", "处置失败"))
"""An on-site attempt at this colour did not settle the case."""
DISPUTE_GREW = Trigger("grew", ("grew while waiting", "矛盾升级"))
"""A dispute left waiting grew (a hazard per hour of waiting)."""
WHISTLE = Trigger("whistle", ("whistle", "吹哨"), moves_up=False, on_red=True)
"""A red case passed its deadline: it stays red and the departments are called."""

SETTLED = Trigger("settled", ("settled, graded down", "降级销号"), moves_up=False,
                  moves_down=True)
"""A yellow or red dispute was settled: it goes down to green and closes."""
REOPENED = Trigger("reopened", ("flared again at follow-up", "回访复发"))
"""A follow-up visit found a settled dispute flared again: it reopens one grade up."""

TRIGGERS: dict[str, Trigger] = {t.cause: t for t in (DEADLINE_PASSED, ATTEMPT_FAILED,
                                                      DISPUTE_GREW, WHISTLE, SETTLED,
                                                      REOPENED)}
"""Every trigger, by cause name, in the order of the ``cause`` codes."""
CAUSES: tuple[str, ...] = tuple(TRIGGERS)
"""Cause names in code order (the categories of the ``cause`` column)."""
CAUSE_CODE: dict[str, int] = {cause: i for i, cause in enumerate(CAUSES)}
"""Code of each cause."""
