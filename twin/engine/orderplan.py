"""The order plan: each category's flow as integer tables, and the draws made before
the run.

Like the issues themselves, what happens to an order is drawn in advance where
it can be: the staff time and lead time of every step's first attempt, the
signing and response delays, the filing time, and the uniform numbers that
decide an answer at once, a wrong assignment, a fix, a verification, the
callback. Policies that change *when* things happen therefore do not change
*what* happens (common random numbers). Later attempts (rework, reassignment,
return delays) draw from their own named streams during the run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.demand import sample_service
from twin.engine.views import FloatColumn, items
from twin.rng import Streams
from twin.scenario.orders import GRID_WORKER_UNIT, HandlingUnit, WorkOrdersSpec
from twin.scenario.schema import Scenario
from twin.scenario.service import ServiceSpec
from twin.vocab import HANDLE, SETTLE, STEP_KINDS, VERIFY, WISH

U_ANSWER, U_WRONG, U_WHICH, U_FIXED, U_DETECT, U_REACHED, U_SOLVED, U_SATISFIED = range(8)
N_UNIFORMS = 8


@dataclass(frozen=True)
class Flow:
    """One category's flow."""

    kinds: list[int]
    """Step kinds (codes of STEP_KINDS)."""
    unit_name: list[str]
    """Who does each step: a handling unit's name, or `grid_worker`."""
    limit: float
    """Time allowed from receipt to closing [min]."""
    answered: float
    wrong: float
    fixed: float
    detects: float
    beyond_street: bool
    summon: list[str]
    services: list[ServiceSpec]
    """Staff time of each step, for attempts after the first [min]."""

    @property
    def wish(self) -> bool:
        """A resident's small request served by volunteers (微心愿)."""
        return self.kinds == [WISH]


@dataclass(frozen=True)
class OrderPlan:
    """Flows per category and the pre-drawn numbers of every issue."""

    spec: WorkOrdersSpec
    flows: list[Flow | None]
    """Per category: its flow, or None (a case or a dispute)."""
    units: dict[str, HandlingUnit]
    """Handling units by name."""
    service: list[FloatColumn]
    """Per step position: staff time of the first attempt, per issue [min]."""
    lead: list[FloatColumn]
    """Per step position: lead time of the first attempt of a handle step [min]."""
    sign: list[FloatColumn]
    respond: list[FloatColumn]
    filing: FloatColumn
    uniform: list[FloatColumn]
    """Per purpose (U_ANSWER, U_REACHED, U_SOLVED, U_SATISFIED): one uniform per issue."""
    step_uniform: dict[tuple[int, int], FloatColumn]
    """Per (purpose, step position) of U_WRONG, U_WHICH, U_FIXED, U_DETECT: one uniform
    per issue, for the first attempt at that step."""
    arrays: tuple[np.ndarray, ...]
    """The arrays behind the item views (kept alive)."""


def _draw(spec: ServiceSpec | None, streams: Streams, name: str, size: int) -> np.ndarray:
    if spec is None or size == 0:
        return np.zeros(size)
    return sample_service(spec, streams[name], size)


def order_plan(scenario: Scenario, category: np.ndarray, streams: Streams) -> OrderPlan | None:
    """The plan of a replication whose issues have these categories (None: no flows)."""
    cats = scenario.demand.categories
    if not any(c.flow is not None for c in cats):
        return None
    spec = scenario.work_orders or WorkOrdersSpec()
    units = {u.name: u for u in spec.units}
    n = len(category)
    flows: list[Flow | None] = []
    depth = max(len(c.flow.flow_steps()) for c in cats if c.flow is not None)
    service, lead, sign, respond = (np.zeros((depth, n)) for _ in range(4))
    for k, cat in enumerate(cats):
        if cat.flow is None:
            flows.append(None)
            continue
        steps = cat.flow.flow_steps()
        flows.append(Flow(
            kinds=[STEP_KINDS.index(s.step) for s in steps], unit_name=[s.by for s in steps],
            limit=cat.flow.time_limit(), answered=cat.flow.answered_at_once,
            wrong=cat.flow.wrong_assignment, fixed=cat.flow.fixed,
            detects=cat.flow.verify_detects, beyond_street=cat.flow.beyond_street,
            summon=list(cat.flow.summon if cat.flow.summon is not None
                        else spec.whistle.departments),
            services=[s.service for s in steps]))
        idx = np.flatnonzero(category == k)
        for i, step in enumerate(steps):
            key = f"orders/{cat.name}/{i}"
            service[i, idx] = _draw(step.service, streams, f"{key}/service", len(idx))
            lead[i, idx] = _draw(step.lead_time, streams, f"{key}/lead", len(idx))
            if STEP_KINDS.index(step.step) == HANDLE and step.by != GRID_WORKER_UNIT:
                unit = units[step.by]
                sign[i, idx] = _draw(unit.sign, streams, f"{key}/sign", len(idx))
                respond[i, idx] = _draw(unit.respond, streams, f"{key}/respond", len(idx))
    filing = _draw(spec.centre.filing if spec.centre else None, streams, "orders/filing", n)
    uniform = streams["orders/uniform"].random((N_UNIFORMS, n))
    # A step's own draws (wrong unit, which unit, fixed, found unfixed), one set per
    # step position that some flow needs, so two handle steps are independent.
    needs = {U_WRONG: (HANDLE,), U_WHICH: (HANDLE,), U_FIXED: (HANDLE, SETTLE),
             U_DETECT: (VERIFY,)}
    per_step = {(purpose, k): streams[f"orders/uniform/{purpose}/{k}"].random(n)
                for purpose, kinds in needs.items() for k in range(depth)
                if any(f is not None and k < len(f.kinds) and f.kinds[k] in kinds
                       for f in flows)}
    arrays = (service, lead, sign, respond, filing, uniform, *per_step.values())
    return OrderPlan(
        spec=spec, flows=flows, units=units,
        service=[items(row) for row in service], lead=[items(row) for row in lead],
        sign=[items(row) for row in sign], respond=[items(row) for row in respond],
        filing=items(filing), uniform=[items(row) for row in uniform],
        step_uniform={key: items(row) for key, row in per_step.items()}, arrays=arrays)
