"""On-site service time distributions of an issue category (``service:``).

Every time is in minutes. ``distribution`` selects the family.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from twin.scenario import limits as lim
from twin.scenario.base import Found, Strict


class Exponential(Strict):
    """Exponential on-site service time."""

    distribution: Literal["exponential"]
    """Distribution family."""
    mean: float = Field(gt=0, le=lim.MAX_MINUTES)
    """Mean on-site time [min]."""


class Lognormal(Strict):
    """Lognormal on-site service time, given by its own mean and standard deviation."""

    distribution: Literal["lognormal"]
    """Distribution family."""
    mean: float = Field(gt=0, le=lim.MAX_MINUTES)
    """Mean on-site time [min]."""
    sd: float = Field(gt=0, le=lim.MAX_MINUTES)
    """Standard deviation of the on-site time [min]."""


class Gamma(Strict):
    """Gamma on-site service time, given by its mean and standard deviation."""

    distribution: Literal["gamma"]
    """Distribution family."""
    mean: float = Field(gt=0, le=lim.MAX_MINUTES)
    """Mean on-site time [min]."""
    sd: float = Field(gt=0, le=lim.MAX_MINUTES)
    """Standard deviation of the on-site time [min]."""


class Fixed(Strict):
    """The same on-site time for every issue."""

    distribution: Literal["fixed"]
    """Distribution family."""
    value: float = Field(ge=0, le=lim.MAX_MINUTES)
    """On-site time [min]."""


class Empirical(Strict):
    """On-site times resampled from observed values."""

    distribution: Literal["empirical"]
    """Distribution family."""
    values: list[float] = Field(min_length=1)
    """Observed on-site times [min], each >= 0."""
    weights: list[float] | None = None
    """Optional relative weights, one per value."""

    def _check_values(self, raw: dict[str, Any]) -> Found:
        if any(v < 0 for v in self.values):
            yield ("values",), "must all be >= 0"
        elif any(v > lim.MAX_MINUTES for v in self.values):
            yield ("values",), f"must all be <= {lim.MAX_MINUTES:.0f} (ten years)"

    def _check_weights(self, raw: dict[str, Any]) -> Found:
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                yield ("weights",), (
                    f"needs one weight per value: {len(self.values)} "
                    f"(got {len(self.weights)})"
                )
            elif any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
                yield ("weights",), "must be >= 0 with a positive sum"


ServiceSpec = Annotated[
    Exponential | Lognormal | Gamma | Fixed | Empirical, Field(discriminator="distribution")
]
