"""The wish desk: residents' small requests (微心愿) served by volunteers.

居民点单、社区派单、志愿者接单: the community offers a request to the nearest free
volunteer of the grid, who accepts or declines after a while (staying free
meanwhile); a decline passes it to the next free volunteer who has not declined
it. With nobody free it waits until a volunteer frees up and takes it. A request
nobody accepted within ``expire_after`` lapses. After the help the resident rates
it (recorded as the order's callback: solved, satisfied). Wishes are a stream of
their own: no centre, no assignment chain, no chasing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import simpy

from twin.demand import sample_service
from twin.engine.book import CaseBook
from twin.engine.staff import Staff
from twin.engine.views import IntColumn, Schedule
from twin.records import OrderRecorder, StepRecorder
from twin.rng import Streams
from twin.scenario.governance import VolunteerSpec
from twin.vocab import ACCEPTED, DECLINED, EXPIRED, OFFER, VOLUNTEER

_NAN = float("nan")


@dataclass(frozen=True)
class WishPorts:
    """What the wish desk uses of the other parts."""

    book: CaseBook
    staff: Staff
    schedule: Schedule
    now: Callable[[], float]
    assign: Callable[[int, int, float], None]
    close: Callable[[int], None]
    """Close an order (here: a lapsed request)."""
    unit: IntColumn
    """The grid-worker unit of each issue (its volunteers' unit)."""
    node: IntColumn
    queue: list[int]
    """Per unit: the queue its volunteers take waiting requests from."""


class WishDesk:
    """Offers small requests to volunteers and records their answers."""

    def __init__(self, spec: VolunteerSpec, orders: OrderRecorder, steps: StepRecorder,
                 ports: WishPorts, streams: Streams) -> None:
        self.spec, self.orders, self.steps, self.p, self.streams = (spec, orders, steps,
                                                                   ports, streams)
        self.taken: set[int] = set()
        self.declined: dict[int, set[int]] = {}

    def offer(self, issue: int) -> None:
        """A request arrives: offer it, and let it lapse if nobody accepts in time."""
        self.orders.t_filed[issue] = self.p.now()
        self.p.schedule(self.spec.expire_after, self._expire, issue)
        self._ask(issue)

    def _ask(self, issue: int) -> None:
        p = self.p
        unit, node = p.unit[issue], p.node[issue]
        declined = self.declined.get(issue, set())
        free = p.staff.idle_pool(unit, VOLUNTEER)
        worker, _t = p.staff.nearest_in(free - declined if declined else free, node)
        if worker < 0:
            p.book.known(issue)  # a new key, as every order joining a queue
            # the next volunteer to free up takes it, at its category's urgency
            p.book.push(issue, p.queue[unit], p.book.urgency[issue])
            return
        decide = float(sample_service(self.spec.decide, self.streams["orders/wish/decide"],
                                      1)[0])
        p.schedule(decide, self._answer, (issue, worker, p.now()))

    def _answer(self, event: simpy.Event) -> None:
        issue, worker, asked = event.value  # type: ignore[misc]
        if issue in self.taken or self.orders.t_closed[issue] == self.orders.t_closed[issue]:
            return  # taken by another volunteer, or lapsed, meanwhile
        p = self.p
        accept = float(self.streams["orders/wish/accept"].random()) < self.spec.accept
        self.steps.add(issue, OFFER, 0, p.unit[issue], worker, 1, asked, _NAN, _NAN, p.now(),
                       0.0, ACCEPTED if accept else DECLINED)
        if not accept:
            self.declined.setdefault(issue, set()).add(worker)
            self._ask(issue)
        elif p.staff.idle[worker]:
            _w, travel = p.staff.nearest_in({worker}, p.node[issue])
            p.assign(worker, issue, travel)
        else:
            self._ask(issue)  # accepted, but busy with something else by now

    def took(self, issue: int) -> None:
        """A volunteer is on the way: the request no longer waits or lapses."""
        self.taken.add(issue)

    def _expire(self, event: simpy.Event) -> None:
        issue = int(event.value)  # type: ignore[arg-type]
        if issue in self.taken or self.orders.t_closed[issue] == self.orders.t_closed[issue]:
            return
        p = self.p
        p.book.take(issue)  # its queue entry, if any, goes stale
        self.steps.add(issue, OFFER, 0, p.unit[issue], -1, 1, float(self.orders.t_filed[issue]),
                       _NAN, _NAN, p.now(), 0.0, EXPIRED)
        p.close(issue)

    def rated(self, issue: int) -> None:
        """The request closed: a helped resident rates the help."""
        o = self.orders
        if issue not in self.taken:
            return  # lapsed: nobody helped, nobody rates
        o.t_callback[issue] = self.p.now()
        o.called_back[issue] = o.solved[issue] = True
        o.satisfied[issue] = float(
            self.streams["orders/wish/rating"].random()) < self.spec.rated_satisfied
