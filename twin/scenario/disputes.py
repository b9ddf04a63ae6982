"""Scenario sections for disputes (矛盾纠纷) under three-colour warning (三色预警).

A category with a ``dispute`` block is graded at intake (研判) by its ``colours``
mix: green, the grid worker mediates on site; yellow, the mediation office holds
sessions until the dispute is settled or referred to court or arbitration; red,
a lead responder (the police station) goes at once and the other named units
join when they have someone free. Grades move both ways: down when a dispute is
settled (降级销号), up when it flares up while latent or waiting, when a grid
worker's mediation fails, when a failed mediation carries a risk of violence, or
when a follow-up visit finds it flared again. Every duration is in minutes
unless the key says days.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import Field

from twin.scenario import limits as lim
from twin.scenario.base import Found, Strict
from twin.scenario.service import Fixed, Lognormal, ServiceSpec
from twin.scenario.shifts import _CLOCK

MAX_SESSIONS = 1_000
"""Most mediation sessions of one dispute."""


def _lognormal(mean: float, sd: float) -> Lognormal:
    return Lognormal(distribution="lognormal", mean=mean, sd=sd)


class DisputeSpec(Strict):
    """How a category's disputes behave; the grade mix at intake is the category's
    `colours`."""

    mediate: ServiceSpec = Field(default_factory=lambda: _lognormal(40.0, 20.0))
    """Green: the grid worker's mediation on site (就地化解) [min]."""
    settles: float = Field(default=0.8, ge=0, le=1)
    """Probability that the grid worker's mediation settles a green dispute; otherwise
    it moves up to yellow (cause `failed`)."""
    flare_per_day: float = Field(default=0.0, ge=0, le=lim.MAX_RATE_PER_HOUR)
    """Hazard per day that a dispute flares up one grade while it is latent (矛盾苗头,
    not yet found) or waiting for a grid worker or a session (cause `grew`) [1/day]."""


class SessionsSpec(Strict):
    """One channel of mediation sessions: how long a session takes and how it ends."""

    service: ServiceSpec = Field(default_factory=lambda: _lognormal(90.0, 45.0))
    """Staff time of one session [min]."""
    succeed: list[float] = Field(default_factory=lambda: [0.4, 0.35, 0.3, 0.3],
                                 min_length=1, max_length=MAX_SESSIONS)
    """Probability that session 1, 2, ... settles the dispute; the last value holds
    for later sessions."""
    fail: list[float] = Field(default_factory=lambda: [0.05, 0.05, 0.1, 0.15],
                              min_length=1, max_length=MAX_SESSIONS)
    """Probability that session 1, 2, ... ends the mediation as failed; the last value
    holds for later sessions. Otherwise the session continues: another one follows."""

    def _check_probabilities(self, raw: dict[str, Any]) -> Found:
        for key in ("succeed", "fail"):
            for i, p in enumerate(getattr(self, key)):
                if not 0.0 <= p <= 1.0:
                    yield (key, i), f"must be a probability from 0 to 1 (got {p:g})"
        for i in range(max(len(self.succeed), len(self.fail))):
            s, f = _at(self.succeed, i), _at(self.fail, i)
            if s + f > 1.0 + 1e-9:
                yield ("fail", min(i, len(self.fail) - 1)), (
                    f"succeed + fail of session {i + 1} is {s + f:g}; at most 1 (the rest "
                    "continues to another session)")

    def outcome_at(self, session: int) -> tuple[float, float]:
        """(succeed, fail) probabilities of session number ``session`` (1 first)."""
        return _at(self.succeed, session - 1), _at(self.fail, session - 1)


def _at(values: Sequence[float], i: int) -> float:
    return values[min(i, len(values) - 1)]


class OnlineSpec(SessionsSpec):
    """Online mediation (云端调解): no travel, with its own session parameters."""

    share: float = Field(default=0.0, ge=0, le=1)
    """Share of yellow disputes mediated online."""


class MediationOfficeSpec(Strict):
    """The mediation office (社区调解工作室) and its sessions for yellow disputes."""

    unit: str = Field(default="mediation_office", min_length=1)
    """The handling unit (from `work_orders.units`) whose staff are the mediators;
    with `travel: false` the parties come to the office."""
    sessions: int = Field(default=4, ge=1, le=MAX_SESSIONS)
    """Most sessions; a dispute still unsettled after the last is referred."""
    gap_days: float = Field(default=7.0, ge=0, le=lim.MAX_HORIZON_DAYS)
    """Days from the end of one session until the next can be held [days]."""
    in_person: SessionsSpec = Field(default_factory=SessionsSpec)
    """Sessions in person (at the office, or where the parties are)."""
    online: OnlineSpec = Field(default_factory=OnlineSpec)
    """Sessions online (云端调解), for a share of the disputes."""
    violence_risk: float = Field(default=0.05, ge=0, le=1)
    """Share of failed mediations flagged for a risk of violence: they go up to red
    (the police lead); the others are referred to court or arbitration (诉调对接)."""


class RedSpec(Strict):
    """The response to a red dispute: a lead unit goes at once, the others join."""

    lead: str = Field(default="police", min_length=1)
    """The lead responder's unit (from `work_orders.units`), sent at once, ahead of
    all its other work (派出所: urban 110 dispatches within minutes)."""
    lead_service: ServiceSpec = Field(default_factory=lambda: _lognormal(60.0, 30.0))
    """The lead's time on site [min]."""
    lead_settles: float = Field(default=0.3, ge=0, le=1)
    """Probability that the lead settles the dispute alone; the units that have not
    yet come are then stood down."""
    join: list[str] = Field(default_factory=lambda: ["judicial"])
    """Units (from `work_orders.units`) that join when they have someone free (the
    judicial office 司法所, the community, a court liaison); their arrival times are
    recorded."""
    join_service: ServiceSpec = Field(default_factory=lambda: _lognormal(90.0, 45.0))
    """Each joining unit's time on site [min]."""

    def _check_join(self, raw: dict[str, Any]) -> Found:
        seen: set[str] = set()
        for i, name in enumerate(self.join):
            if name == self.lead:
                yield ("join", i), f"{name!r} is the lead; a unit joins once"
            elif name in seen:
                yield ("join", i), f"{name!r} is listed twice"
            seen.add(name)


class DisputeFollowUpSpec(Strict):
    """Follow-up visits (回访) after a settled yellow or red dispute, by the unit that
    settled it (the mediation office, or the red lead)."""

    delay_days: float = Field(default=7.0, ge=0, le=lim.MAX_HORIZON_DAYS)
    """Days after settlement when the visit is due [days]."""
    service: ServiceSpec = Field(default_factory=lambda: Fixed(distribution="fixed",
                                                               value=30.0))
    """Time of the visit [min]."""
    reopen: float = Field(default=0.05, ge=0, le=1)
    """Probability that the visit finds the dispute flared again: it is reopened as
    yellow, for the mediation office (cause `reopened`)."""


class DailyReportSpec(Strict):
    """The grid workers' daily report (网格员日报告): each day, a latent dispute of
    the grid may be found before anyone calls."""

    at: str = "17:00"
    """Time of day of the report, HH:MM."""
    finds: float = Field(default=0.3, gt=0, le=1)
    """Probability that one day's report finds a given latent dispute of the grid."""

    def _check_at(self, raw: dict[str, Any]) -> Found:
        if not _CLOCK.match(self.at):
            yield ("at",), f"must be a time of day HH:MM from 00:00 to 23:59 (got {self.at!r})"

    def minute_of_day(self) -> float:
        """The report's time of day [min after midnight]."""
        h, m = self.at.split(":")
        return 60.0 * int(h) + int(m)


class DisputesSpec(Strict):
    """Who handles disputes at each grade, and how they are found, followed up and
    referred."""

    mediation: MediationOfficeSpec = Field(default_factory=MediationOfficeSpec)
    """Yellow disputes: the mediation office's sessions."""
    red: RedSpec = Field(default_factory=RedSpec)
    """Red disputes: the lead responder and the units that join."""
    follow_up: DisputeFollowUpSpec | None = None
    """Follow-up visits after settled yellow and red disputes; absent: none."""
    daily_report: DailyReportSpec | None = None
    """Daily reports that find latent disputes; absent: none (patrols may still find
    them)."""

    def units(self) -> list[tuple[tuple[str | int, ...], str]]:
        """(location, unit name) of every handling unit the section names."""
        return [(("mediation", "unit"), self.mediation.unit), (("red", "lead"), self.red.lead),
                *((("red", "join", i), name) for i, name in enumerate(self.red.join))]


NOT_FOR_DISPUTES = ("service", "volunteer_eligible", "flow")
"""Category keys that do not apply to a dispute (its `dispute` block says how it goes)."""


def dispute_problems(categories: Sequence[Any], disputes: DisputesSpec | None,
                     staff_of: dict[str, int] | None) -> Found:
    """Problems of dispute categories that need the rest of the scenario: the
    `disputes` section, the units it names, daily reports with something to find, keys
    that do not apply. ``staff_of`` gives each handling unit's staff (None: no
    work_orders). A unit without staff is allowed: its visits wait (a what-if of a
    unit that never comes; a red dispute then settles only if the lead settles it
    alone), as do green disputes in a grid without grid workers."""
    graded = [k for k, c in enumerate(categories) if c.dispute is not None]
    for k in graded:
        cat = categories[k]
        for key in NOT_FOR_DISPUTES:
            if key in cat.model_fields_set and getattr(cat, key):
                yield ("demand", "categories", k, key), (
                    "does not apply to a dispute (its `dispute` block and the `disputes` "
                    "section say how it is handled)")
    if not graded:
        return  # a section no category uses does nothing (e.g. demand calibrated anew)
    if disputes is None:
        yield ("demand", "categories", graded[0], "dispute"), (
            "a dispute category needs the `disputes` section (the mediation office and the "
            "red response)")
        return
    staff_of = staff_of or {}
    listed = ", ".join(staff_of) or "none (add work_orders.units)"
    for loc, name in disputes.units():
        if name not in staff_of:
            yield ("disputes", *loc), f"no handling unit {name!r}; units: {listed}"
    if disputes.daily_report is not None and not any(categories[k].latent for k in graded):
        yield ("disputes", "daily_report"), (
            "finds latent disputes, but no dispute category is `latent`")
