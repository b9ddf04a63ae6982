"""twin: a discrete-event digital twin of community grid dispatch (网格化管理).

A community is a street map (networkx) cut into grids (网格). Residents,
patrols and sensors report issues - repairs, sanitation, hazards, disputes,
elderly care - at rates that vary by hour of day and day of week. Each issue
has a channel, an on-site handling time and its category's time limit, which is
also its urgency; only disputes are graded green, yellow or red (三色预警).

Grid workers (网格员) are SimPy processes. They work shifts, wait at their base,
are dispatched by a policy (own grid only, nearest idle worker anywhere, or own
grid first and neighbours after a delay), walk the shortest path, handle the
issue on site, then take the most urgent waiting issue they may take or walk
back to base. Waiting issues are served shortest time limit first, then first
come first served.

A category with a flow is a work order (工单): the command centre files it and
assigns it to a handling unit (property management, city management, a
department; sometimes wrongly, and it comes back), the unit signs for it, contacts
the requester and fixes it, often hours or days later; the grid worker checks
reports and verifies fixes; the requester is called back, and an unsolved or
unsatisfied order is handled again. Overdue orders are chased and supervised, a whistle summons
departments, repeat requests are linked to the first. Residents' small requests
(微心愿) go to volunteers who accept or decline.

A category with a dispute block is a dispute (矛盾纠纷), graded by its colour at
intake (三色预警) and handled by grade: a grid worker mediates a green one, the
mediation office holds sessions for a yellow one until it is settled or referred
to court, the police go at once to a red one and the other units join when they
have someone free, nobody waiting for anybody. Grades move both ways: a waiting
dispute flares up, a settled one goes down to green.

The model only appends records: one row per issue with every timestamp, one
row per interval of a worker's time, one per work order and one per step of an
order, one per dispute and one per visit and grade change. KPIs (response and resolution times,
deadline compliance, utilisation, travel share, number waiting) are pure
functions of those tables, computed after a warm-up and summarised across
replications with 95% confidence intervals. Random numbers come from named
streams, so two scenarios run with the same seed face the same issues.

Past cases calibrate the demand: :mod:`twin.calibrate` (``read_tickets``,
``fit_demand``, ``find_events``, ``demand_yaml``) does in Python what
``twin calibrate`` does on the command line.

How the code is laid out, and where to add a rule: ``docs/architecture.md``.
"""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

# The names of _HOMES for type checkers: ``__all__`` is not a literal, so ``x as x``
# marks each as re-exported (PEP 484; a typed package's importers see it).
if TYPE_CHECKING:
    from twin import calibrate as calibrate
    from twin.calibrate import GridMap as GridMap
    from twin.calibrate import demand_yaml as demand_yaml
    from twin.calibrate import find_events as find_events
    from twin.calibrate import fit_demand as fit_demand
    from twin.calibrate import read_tickets as read_tickets
    from twin.compare import Comparison as Comparison
    from twin.compare import compare as compare
    from twin.experiment import Execution as Execution
    from twin.experiment import RunResult as RunResult
    from twin.experiment import run_many as run_many
    from twin.experiment import run_replications as run_replications
    from twin.geography import MapCache as MapCache
    from twin.loading import load_checked as load_checked
    from twin.metrics import confidence_interval as confidence_interval
    from twin.metrics import replication_kpis as replication_kpis
    from twin.metrics import summarise as summarise
    from twin.model import simulate as simulate
    from twin.output import write_results as write_results
    from twin.precision import run_to_precision as run_to_precision
    from twin.scenario import Scenario as Scenario
    from twin.scenario import ScenarioError as ScenarioError
    from twin.scenario import apply_overrides as apply_overrides
    from twin.scenario import load_scenario as load_scenario
    from twin.sweep import SweepResult as SweepResult
    from twin.sweep import sweep as sweep

    run = run_replications

# Where each public name lives, imported on first use: the command line's quick
# commands (validate, schema) need no simulation, tables or plots. The one list of the
# public names: ``__all__`` is its keys, and the imports above (for type checkers, which
# cannot read it) must name the same (tests/test_package.py checks both).
_HOMES = {
    "calibrate": ("twin.calibrate", None),
    **{name: ("twin.calibrate", name) for name in (
        "GridMap", "demand_yaml", "find_events", "fit_demand", "read_tickets")},
    **{name: ("twin.compare", name) for name in ("Comparison", "compare")},
    **{name: ("twin.experiment", name) for name in (
        "Execution", "RunResult", "run_many", "run_replications")},
    "run": ("twin.experiment", "run_replications"),
    "MapCache": ("twin.geography", "MapCache"),
    "load_checked": ("twin.loading", "load_checked"),
    **{name: ("twin.metrics", name) for name in (
        "confidence_interval", "replication_kpis", "summarise")},
    "simulate": ("twin.model", "simulate"),
    "write_results": ("twin.output", "write_results"),
    "run_to_precision": ("twin.precision", "run_to_precision"),
    **{name: ("twin.scenario", name) for name in (
        "Scenario", "ScenarioError", "apply_overrides", "load_scenario")},
    **{name: ("twin.sweep", name) for name in ("SweepResult", "sweep")},
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:  # a submodule (``twin.headcount``), imported on first use
        if name.startswith("_"):
            raise AttributeError(f"module 'twin' has no attribute {name!r}")
        try:
            return import_module(f"twin.{name}")
        except ModuleNotFoundError as missing:
            if missing.name != f"twin.{name}":
                raise
            raise AttributeError(f"module 'twin' has no attribute {name!r}") from None
    module = import_module(home[0])
    return module if home[1] is None else getattr(module, home[1])


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(ModuleType):
    """``twin.compare`` and ``twin.sweep`` are the functions, as when they were imported
    here eagerly: importing their modules later must not put the modules in their place."""

    def __setattr__(self, name: str, value: Any) -> None:
        home = _HOMES.get(name)
        if isinstance(value, ModuleType) and home is not None and home[1] is not None:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


__all__ = sorted(_HOMES)
