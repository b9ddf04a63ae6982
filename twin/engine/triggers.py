"""Grade changes of disputes (三色预警): each an object with its cause, in one registry.

A dispute's grade moves up (green -> yellow -> red) when a mediation fails, when it
flares up while waiting or unfound, or when a follow-up finds it flared again; a
settled yellow or red dispute moves down to green (降级销号). A trigger is one
such event: it has a cause name (recorded in ``escalations.parquet``), labels in
English and Chinese, and the rule of what it does to a grade. The dispute desk
(:mod:`twin.engine.disputes`) decides *when* each fires; this module says *what*
each one is. Cause lists, labels and the grade-change chart all read
:data:`TRIGGERS`.

To add a trigger: write it here with ``cause`` and ``label``, add it to
:data:`TRIGGERS`, and fire it from the dispute desk.
"""

from __future__ import annotations

from dataclasses import dataclass

from twin.vocab import GREEN, RED


@dataclass(frozen=True)
class Trigger:
    """What a grade change is and what it does to a dispute's grade."""

    cause: str
    """Name recorded in the ``cause`` column of the escalation table."""
    label: tuple[str, str]
    """Label in English and Chinese."""
    moves_down: bool = False
    """False: moves a green or yellow dispute one grade up; True: moves a yellow or red
    one down to green (a settled dispute, 降级销号)."""

    def next_colour(self, colour: int) -> int | None:
        """The grade after this event, or None if it changes nothing."""
        if self.moves_down:
            return GREEN if colour > GREEN else None
        return colour + 1 if colour < RED else None

    def allows(self, frm: int, to: int) -> bool:
        """Whether a recorded change is one this trigger can make."""
        if not (GREEN <= frm <= RED and GREEN <= to <= RED):
            return False
        if self.moves_down:
            return frm > GREEN and to == GREEN
        return to == frm + 1


ATTEMPT_FAILED = Trigger("failed", ("mediation failed", "调解失败"))
"""A grid worker's mediation of a green dispute did not settle it (it goes to the
mediation office), or a failed mediation carries a risk of violence (it goes to the
police)."""
DISPUTE_GREW = Trigger("grew", ("flared up", "矛盾升级"))
"""A dispute left waiting, or latent and unfound, flared up."""
SETTLED = Trigger("settled", ("settled, graded down", "降级销号"), moves_down=True)
"""A yellow or red dispute was settled: it goes down to green and closes."""
REOPENED = Trigger("reopened", ("flared again at follow-up", "回访复发"))
"""A follow-up visit found a settled dispute flared again: it reopens one grade up."""

TRIGGERS: dict[str, Trigger] = {t.cause: t for t in (ATTEMPT_FAILED, DISPUTE_GREW, SETTLED,
                                                      REOPENED)}
"""Every trigger, by cause name, in the order of the ``cause`` codes."""
CAUSES: tuple[str, ...] = tuple(TRIGGERS)
"""Cause names in code order (the categories of the ``cause`` column)."""
CAUSE_CODE: dict[str, int] = {cause: i for i, cause in enumerate(CAUSES)}
"""Code of each cause."""
