"""Located scenario problems and the one error that carries them all."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One mistake in a scenario: where it is and what is wrong."""

    source: str
    """File name, or ``--set`` for a command-line override."""
    line: int | None
    """1-based line in ``source``, when known."""
    path: str
    """Dotted key path, e.g. ``workforce.per_grid``."""
    message: str
    """What is wrong and what is allowed."""

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        return f"{where}: {self.path or '(top level)'}: {self.message}"


class ScenarioError(ValueError):
    """Every problem found in a scenario, reported together."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
