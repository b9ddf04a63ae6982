"""What a calibrated category keeps from the scenario it is calibrated for.

Tickets tell how often cases come (rate, hour and weekday profiles), how long a
visit takes and how disputes are graded. They do not tell how a case is handled:
that is the scenario's — a work order's flow and limits, a dispute block, the
channels, a latent issue's reporting, volunteers. A calibrated category takes
every such key from the scenario's category of the same name, or of the name
``--like TICKETS=SCENARIO`` gives (e.g. ``--like 维修=repair`` when the office's
export says 维修 where the scenario says ``repair``). Without it, a category the
calibration writes would replace the scenario's whole category list and be
handled as one grid-worker visit: :func:`carry` warns whenever that happens to a
scenario category that had a flow or a dispute block.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from twin.scenario import Problem, Scenario

__all__ = ["DEMAND_KEYS", "Carried", "carry", "parse_like"]

DEMAND_KEYS = ("name", "rate_per_hour", "rate_per_hour_per_1000_residents", "hour_of_day",
               "day_of_week", "service")
"""A category's keys the tickets give; every other key comes from the scenario, and a
dispute's ``colours`` too unless the tickets grade its cases (the writer decides)."""


@dataclass(frozen=True)
class Carried:
    """The scenario keys each calibrated category keeps."""

    keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    """By calibrated category: the keys taken from the scenario, as in its files."""
    like: dict[str, str] = field(default_factory=dict)
    """By calibrated category: the scenario category they come from."""
    warnings: list[str] = field(default_factory=list)
    """Scenario categories with a flow or dispute block that no ticket category takes."""

    def graded(self, name: str) -> bool:
        """Whether the category is a dispute in the scenario (its colour mix is written)."""
        return "dispute" in self.keys.get(name, {})


def _handling(category: Any) -> str:
    return ("a work-order flow" if category.flow is not None else
            "a dispute block" if category.dispute is not None else "")


def parse_like(items: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """``--like`` values (``TICKETS=SCENARIO``, several per value with commas) and
    the mistakes in their form."""
    like: dict[str, str] = {}
    mistakes: list[str] = []
    for item in items:
        for part in (p for p in item.split(",") if p.strip()):
            mine, sep, theirs = part.partition("=")
            mine, theirs = mine.strip(), theirs.strip()
            if not sep or not mine or not theirs:
                mistakes.append(f"{part.strip()!r}: expected TICKETS=SCENARIO, e.g. 维修=repair")
            elif mine in like and like[mine] != theirs:
                mistakes.append(f"{mine!r} is given twice ({like[mine]!r} and {theirs!r})")
            else:
                like[mine] = theirs
    return like, mistakes


def carry(template: Scenario | None, categories: Sequence[str], like: dict[str, str],
          problem: Any) -> tuple[Carried, list[Problem]]:
    """The scenario keys each of ``categories`` (the tickets') keeps, and the
    problems of ``like`` (``problem(message)`` makes one, located at ``--like``)."""
    if template is None:
        return Carried(), [problem("needs --grids-from (the scenario whose categories "
                                   "the tickets' categories are like)")] if like else []
    theirs = {c.name: c for c in template.demand.categories}
    problems = [problem(f"{mine!r}: no such category in the tickets; they have: "
                        f"{', '.join(categories)}") for mine in like if mine not in categories]
    problems += [problem(f"{mine}={other}: no category {other!r} in the scenario; it has: "
                         f"{', '.join(theirs)}")
                 for mine, other in like.items() if other not in theirs]
    if problems:
        return Carried(), problems
    keys: dict[str, dict[str, Any]] = {}
    source: dict[str, str] = {}
    for name in categories:
        other = like.get(name, name)
        if other in theirs:
            written = theirs[other].model_dump(mode="json", exclude_unset=True)
            keys[name] = {k: v for k, v in written.items() if k not in DEMAND_KEYS}
            source[name] = other
    taken = set(source.values())
    lost = [f"{c.name} ({_handling(c)})" for c in template.demand.categories
            if c.name not in taken and _handling(c)]
    bare = [name for name in categories if name not in source]
    warnings = []
    if bare and not lost:
        warnings.append(f"ticket categories {', '.join(bare)} match no scenario category: each "
                        "is handled as one grid-worker visit (name the scenario category each "
                        "is like with --like TICKETS=SCENARIO)")
    if lost and bare:
        warnings.append(
            f"the scenario's categories {', '.join(lost)} match no ticket category, and "
            f"ticket categories {', '.join(bare)} match no scenario category: the calibrated "
            "demand drops the former and handles each of the latter as one grid-worker "
            "visit. Say which scenario category each ticket category is like: --like "
            f"{bare[0]}=<one of {', '.join(n.split(' (')[0] for n in lost)}>")
    elif lost:
        warnings.append(f"the scenario's categories {', '.join(lost)} have no tickets, so "
                        "the calibrated demand drops them")
    return Carried(keys, source, warnings), []
