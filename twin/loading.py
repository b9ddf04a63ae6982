"""Loading a scenario checked against its map, before anything runs.

A scenario file can be valid on its own and still name a map node that does not
exist, or a handling unit whose name a grid already has: such problems appear only
when the map is built and the staff placed on it. :func:`load_staffed` does both
and reports those problems like the file's own (located, all at once), so that
``twin validate``, ``twin run`` and the Python API check a scenario the same way.
It needs no simulation, tables or plots, so the quick commands stay quick.
"""

from __future__ import annotations

from collections.abc import Sequence

from twin.geography import MapCache, MapError, community_for
from twin.scenario import Scenario, ScenarioError, load_located
from twin.staffing import Staffing, build_staffing

__all__ = ["load_checked", "load_staffed"]


def load_staffed(path: str, overrides: Sequence[str] = (), maps: MapCache | None = None
                 ) -> tuple[Scenario, Staffing]:
    """Load a scenario, build its map and place its staff: who works where, without
    their duty times or patrol routes (a check needs neither).

    Pass the :class:`~twin.geography.MapCache` the run will use (``Execution.maps``)
    so that the map is built only once.

    Raises
    ------
    ScenarioError
        Every problem of the file, or the map problem, located.
    """
    scenario, locator = load_located(path, overrides)
    try:
        staff = build_staffing(scenario, community_for(scenario, maps), patrols=False,
                               times=False)
    except MapError as exc:
        raise ScenarioError([locator.problem(exc.key, str(exc))]) from None
    return scenario, staff


def load_checked(path: str, overrides: Sequence[str] = (), maps: MapCache | None = None
                 ) -> Scenario:
    """Load a scenario and build its map once, so map problems are reported like
    file problems (located, all at once) before anything runs (:func:`load_staffed`
    without the staff).

    Raises
    ------
    ScenarioError
    """
    return load_staffed(path, overrides, maps)[0]
