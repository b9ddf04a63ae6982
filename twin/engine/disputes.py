"""The dispute desk: disputes (矛盾纠纷) graded by three colours, from intake to close.

A dispute is graded at intake (its category's ``colours`` mix) and handled by
grade, each piece of field work a visit task routed like any other:

* **green**: a grid worker of its grid mediates on site (``mediate``); it settles
  with the category's ``settles`` probability, else it moves up to yellow;
* **yellow**: the mediation office holds sessions (``session`` in person or
  ``online_session``, 云端调解) ``gap_days`` apart; each settles, fails or
  continues with its channel's probabilities for that session number. A failed
  mediation (or one still going after the last session) is referred to court or
  arbitration (outcome ``referred``), or, when a risk of violence is drawn, goes
  up to red;
* **red**: the lead unit (the police) is sent at once, ahead of all its other
  work; the units that join are queued with their own staff and come when
  someone is free. Nobody waits for anybody: each unit's visit is its own task.
  The lead settles it alone with ``lead_settles`` (the units not yet under way
  are stood down), else it is settled when every unit has come and done its part.

A settled yellow or red dispute goes down to green (降级销号) and may get a
follow-up visit by the unit that settled it, which finds it flared again with
``reopen`` (it reopens as yellow). While a dispute waits for a grid worker or a
session, it flares up one grade with the category's hazard ``flare_per_day``.
Every grade change is a row of the escalation table with its cause. Draws come
from a stream per dispute, so a dispute's fate does not depend on other events.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import simpy

from twin.demand import sample_service
from twin.engine.disputeplan import DisputePorts, DisputeUnits
from twin.engine.triggers import (
    ATTEMPT_FAILED,
    CAUSE_CODE,
    DISPUTE_GREW,
    REOPENED,
    SETTLED,
    Trigger,
)
from twin.records import DisputeRecorder
from twin.rng import Streams
from twin.scenario.disputes import DisputeSpec, DisputesSpec, SessionsSpec
from twin.scenario.service import ServiceSpec
from twin.vocab import (
    CONTINUED,
    D_REFERRED,
    D_SETTLED,
    DISPUTE_FOLLOW_UP,
    FAILED,
    GREEN,
    JOIN_RESPONSE,
    LEAD_RESPONSE,
    MEDIATE,
    MINUTES_PER_DAY,
    ONLINE_SESSION,
    PATROL_FOUND,
    RED,
    SESSION,
    WITHDRAWN,
    YELLOW,
)
from twin.vocab import REOPENED as VISIT_REOPENED
from twin.vocab import SETTLED as VISIT_SETTLED

_NAN = float("nan")
IN_PERSON, ONLINE = 1, 2
"""Codes of the dispute table's ``mediation`` column (0: none)."""
__all__ = ["DisputeDesk", "DisputePorts", "DisputeUnits"]


@dataclass
class _Red:
    lead: int
    joins: list[int]
    lead_done: bool = False
    settled: bool = False
    left: set[int] = field(default_factory=set)
    """Joining visits not yet done."""


class DisputeDesk:
    """Walks every dispute through its grades and records it."""

    def __init__(self, spec: DisputesSpec, categories: list[DisputeSpec | None],
                 units: DisputeUnits, ports: DisputePorts, rec: DisputeRecorder,
                 streams: Streams, n: int) -> None:
        self.spec, self.cats, self.units, self.p, self.rec = spec, categories, units, ports, rec
        self.streams, self.n = streams, n
        self.rng: dict[int, np.random.Generator] = {}
        self.epoch: dict[int, int] = {}
        """Bumped whenever a dispute's current task changes: older timers do nothing."""
        self.current: dict[int, int] = {}
        """The visit a dispute waits for or is in (-1 between sessions)."""
        self.online: dict[int, bool] = {}
        self.red: dict[int, _Red] = {}
        """The red response each lead or joining visit belongs to."""
        self.reds: list[tuple[int, _Red]] = []
        """Every red response, in order (for the arrival stamps at the end)."""
        self.visits_of: dict[int, list[int]] = {}
        self.latent_up: dict[int, int] = {}
        """Flare-ups of latent disputes before they were made known."""

    # ------------------------------------------------------------ helpers
    def _draw(self, issue: int) -> float:
        return float(self.rng[issue].random())

    def _time(self, issue: int, spec: ServiceSpec) -> float:
        return float(sample_service(spec, self.rng[issue], 1)[0])

    def unit_of(self, name: str, issue: int) -> int:
        """The unit of handling unit ``name`` for ``issue`` (its grid's, if per grid)."""
        units = self.units.handling[name]
        return units[self.p.grid[issue]] if len(units) > 1 else units[0]

    def _bump(self, issue: int) -> int:
        e = self.epoch[issue] + 1
        self.epoch[issue] = e
        return e

    # -------------------------------------------------------------- intake
    def receive(self, issue: int) -> None:
        """A dispute is made known (reported, or found by a patrol or daily report)."""
        p = self.p
        self.rng[issue] = self.streams[f"dispute/{issue}"]
        self.epoch[issue] = 0
        channel = p.channel[issue]
        r = self.rec.add(issue, p.grid[issue], p.category[issue], channel,
                         channel == PATROL_FOUND, p.colour[issue], p.env.now)
        self.rec.regrades_up[r] = self.latent_up.pop(issue, 0)
        self._start(issue)

    def _start(self, issue: int) -> None:
        grade = self.p.colour[issue]
        if grade == GREEN:
            cat = self.cats[self.p.category[issue]]
            assert cat is not None
            self._visit(issue, MEDIATE, self.p.grid_unit[issue], self.p.node[issue],
                        self._time(issue, cat.mediate))
        elif grade == YELLOW:
            spec = self.spec.mediation
            online = self._draw(issue) < spec.online.share
            self.online[issue] = online
            r = self.rec.row[issue]
            if self.rec.mediation[r] == 0:
                self.rec.mediation[r] = ONLINE if online else IN_PERSON
            self._session(issue, 1)
        else:
            self._red_response(issue)

    def _visit(self, issue: int, purpose: int, unit: int, node: int, service: float,
               attempt: int = 1) -> int:
        p = self.p
        v = p.visits.create(issue, unit, node, p.env.now, service, purpose, attempt)
        task = p.add_visit()
        self.visits_of.setdefault(issue, []).append(v)
        p.known(task)
        if purpose in (MEDIATE, SESSION, ONLINE_SESSION):
            self.current[issue] = v
            self._watch(issue, self._bump(issue))
        p.route(task)
        return v

    # ---------------------------------------------------------- mediation
    def _channel(self, issue: int) -> SessionsSpec:
        spec = self.spec.mediation
        return spec.online if self.online[issue] else spec.in_person

    def _session(self, issue: int, k: int) -> None:
        unit = self.unit_of(self.spec.mediation.unit, issue)
        online = self.online[issue]
        node = self.units.office_node(unit) if online else self.p.node[issue]
        self._visit(issue, ONLINE_SESSION if online else SESSION, unit, node,
                    self._time(issue, self._channel(issue).service), k)

    def _next_session(self, event: simpy.Event) -> None:
        issue, epoch, k = event.value  # type: ignore[misc]
        if self.epoch[issue] == epoch:
            self._session(issue, k)

    def _failed_mediation(self, issue: int) -> None:
        if self._draw(issue) < self.spec.mediation.violence_risk:
            self.rec.violence[self.rec.row[issue]] = True
            self._regrade(issue, RED, ATTEMPT_FAILED)
            self._red_response(issue)
            return
        r = self.rec.row[issue]
        self.rec.outcome[r] = D_REFERRED
        self._close(issue)

    # ---------------------------------------------------------------- red
    def _red_response(self, issue: int) -> None:
        red, node = self.spec.red, self.p.node[issue]
        self._bump(issue)
        self.current[issue] = -1
        lead = self._visit(issue, LEAD_RESPONSE, self.unit_of(red.lead, issue), node,
                           self._time(issue, red.lead_service))
        joins = [self._visit(issue, JOIN_RESPONSE, self.unit_of(name, issue), node,
                             self._time(issue, red.join_service)) for name in red.join]
        state = _Red(lead, joins, left=set(joins))
        for v in (lead, *joins):
            self.red[v] = state
        self.reds.append((issue, state))
        r = self.rec.row[issue]
        if self.rec.t_red[r] != self.rec.t_red[r]:
            self.rec.t_red[r] = self.p.env.now

    # ------------------------------------------------------------ flare-ups
    def _watch(self, issue: int, epoch: int) -> None:
        cat = self.cats[self.p.category[issue]]
        if cat is None or cat.flare_per_day <= 0.0 or self.p.colour[issue] >= RED:
            return
        wait = float(self.rng[issue].exponential(MINUTES_PER_DAY / cat.flare_per_day))
        self.p.schedule(wait, self._flare, (issue, epoch))

    def _flare(self, event: simpy.Event) -> None:
        issue, epoch = event.value  # type: ignore[misc]
        if self.epoch[issue] != epoch:
            return
        v = self.current[issue]
        if v >= 0:
            if self.p.visits.t_dispatched[v] == self.p.visits.t_dispatched[v]:
                return  # someone is on the way: no longer waiting
            self._withdraw(v)
        self._regrade(issue, self.p.colour[issue] + 1, DISPUTE_GREW)
        self._start(issue)

    def flare_latent(self, issue: int) -> None:
        """A latent dispute nobody found flared up: one grade up (it is then reported)."""
        grade = self.p.colour[issue]
        if grade < RED:
            self.p.record(issue, self.p.env.now, grade, grade + 1, CAUSE_CODE[DISPUTE_GREW.cause])
            self.p.count(issue)
            self.p.colour[issue] = self.p.reported_colour[issue] = grade + 1
            self.latent_up[issue] = self.latent_up.get(issue, 0) + 1

    def _withdraw(self, v: int) -> None:
        self.p.take(self.n + v)
        self.p.visits.outcome[v] = WITHDRAWN

    # ------------------------------------------------------------ outcomes
    def visit_done(self, v: int) -> None:
        """A dispute's visit ended: what it did to the dispute."""
        visits = self.p.visits
        issue, purpose = visits.issue[v], visits.purpose[v]
        if purpose == MEDIATE:
            cat = self.cats[self.p.category[issue]]
            assert cat is not None
            if self._draw(issue) < cat.settles:
                self._settle(issue, v)
            else:
                visits.outcome[v] = FAILED
                self._regrade(issue, YELLOW, ATTEMPT_FAILED)
                self._start(issue)
        elif purpose in (SESSION, ONLINE_SESSION):
            self._session_done(issue, v)
        elif purpose == LEAD_RESPONSE:
            state = self.red[v]
            state.lead_done = True
            alone = self._draw(issue) < self.spec.red.lead_settles
            if alone:
                for j in state.joins:
                    if visits.t_dispatched[j] != visits.t_dispatched[j]:
                        self._withdraw(j)
            if alone or not state.left:
                state.settled = True
                self._settle(issue, v)
        elif purpose == JOIN_RESPONSE:
            state = self.red[v]
            state.left.discard(v)
            if state.lead_done and not state.left and not state.settled:
                state.settled = True
                self._settle(issue, state.lead)
        elif purpose == DISPUTE_FOLLOW_UP:
            spec = self.spec.follow_up
            assert spec is not None
            if self._draw(issue) < spec.reopen:
                visits.outcome[v] = VISIT_REOPENED
                r = self.rec.row[issue]
                self.rec.reopened[r] += 1
                self.rec.outcome[r] = 0
                self.rec.settled_grade[r] = self.rec.settled_by[r] = -1
                self.rec.t_closed[r] = self.p.t_resolved[issue] = _NAN
                self._regrade(issue, YELLOW, REOPENED)
                self._start(issue)

    def _session_done(self, issue: int, v: int) -> None:
        visits = self.p.visits
        k = visits.attempt[v]
        self.rec.sessions[self.rec.row[issue]] += 1
        succeed, fail = self._channel(issue).outcome_at(k)
        u = self._draw(issue)
        if u < succeed:
            self._settle(issue, v)
        elif u < succeed + fail or k >= self.spec.mediation.sessions:
            visits.outcome[v] = FAILED
            self._failed_mediation(issue)
        else:
            visits.outcome[v] = CONTINUED
            self.current[issue] = -1
            epoch = self._bump(issue)
            gap = self.spec.mediation.gap_days * MINUTES_PER_DAY
            self.p.schedule(gap, self._next_session, (issue, epoch, k + 1))

    def _settle(self, issue: int, v: int) -> None:
        p, rec = self.p, self.rec
        p.visits.outcome[v] = VISIT_SETTLED
        r = rec.row[issue]
        grade, unit = p.colour[issue], p.visits.unit[v]
        rec.outcome[r], rec.settled_grade[r], rec.settled_by[r] = D_SETTLED, grade, unit
        if grade > GREEN:
            self._regrade(issue, GREEN, SETTLED)
            spec = self.spec.follow_up
            if spec is not None:
                due = spec.delay_days * MINUTES_PER_DAY
                f = p.visits.create(issue, unit, p.node[issue], p.env.now + due,
                                    self._time(issue, spec.service), DISPUTE_FOLLOW_UP)
                task = p.add_visit()
                self.visits_of[issue].append(f)
                p.schedule(due, self._follow_up_due, task)
        self._close(issue)

    def _follow_up_due(self, event: simpy.Event) -> None:
        task = int(event.value)  # type: ignore[arg-type]
        self.p.known(task)
        self.p.route(task)

    def _close(self, issue: int) -> None:
        now = self.p.env.now
        self._bump(issue)
        self.current[issue] = -1
        self.rec.t_closed[self.rec.row[issue]] = now
        self.p.t_resolved[issue] = now

    def _regrade(self, issue: int, to: int, trigger: Trigger) -> None:
        p, r = self.p, self.rec.row[issue]
        grade = p.colour[issue]
        p.record(issue, p.env.now, grade, to, CAUSE_CODE[trigger.cause])
        if to > grade:
            p.count(issue)  # the issue table counts escalations, not settlements
        p.colour[issue] = to
        self.rec.grade_closed[r] = to
        if to > grade:
            self.rec.regrades_up[r] += 1
        else:
            self.rec.regrades_down[r] += 1

    # ---------------------------------------------------------------- end
    def flush(self) -> None:
        """Stamps that need the whole run: the first dispatch and arrival of each
        dispute, and the arrival of every unit of its first red response."""
        p, visits, rec = self.p, self.p.visits, self.rec
        for issue, vs in self.visits_of.items():
            work = [v for v in vs if visits.purpose[v] != DISPUTE_FOLLOW_UP]
            sent = [t for t in (visits.t_dispatched[v] for v in work) if t == t]
            came = [t for t in (visits.t_on_site[v] for v in work) if t == t]
            if sent:
                p.t_dispatched[issue] = min(sent)
            if came:
                p.t_on_site[issue] = min(came)
        seen: set[int] = set()
        for issue, state in self.reds:
            if issue in seen:
                continue
            seen.add(issue)
            r = rec.row[issue]
            rec.t_lead_on_site[r] = visits.t_on_site[state.lead]
            arrivals = [visits.t_on_site[v] for v in (state.lead, *state.joins)]
            if all(t == t for t in arrivals):
                rec.t_all_arrived[r] = max(arrivals)
