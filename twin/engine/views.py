"""Item access to record arrays, for the event loop, and the port types built on it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
import simpy


class FloatColumn(Protocol):
    """One float per issue, read and written by index (e.g. a time column) [min]."""

    def __getitem__(self, i: int, /) -> float: ...
    def __setitem__(self, i: int, value: float, /) -> None: ...


class IntColumn(Protocol):
    """One integer code per issue (unit, node, category, grid ...)."""

    def __getitem__(self, i: int, /) -> int: ...
    def __setitem__(self, i: int, value: int, /) -> None: ...


Callback = Callable[[simpy.Event], None]
"""A timer's callback; it reads what it was set for from ``event.value``."""
Schedule = Callable[[float, Callable[[simpy.Event], None], object], None]
"""``schedule(delay, callback, value)``: call ``callback(event)`` after ``delay``
minutes, with ``event.value == value``."""


def items(array: np.ndarray) -> Any:
    """Item access to a 1-D array's own buffer that reads and writes Python numbers,
    so clock arithmetic in the event loop stays in Python floats (typed by the
    caller as a :class:`FloatColumn` or :class:`IntColumn`)."""
    if array.ndim != 1 or not array.flags.c_contiguous:
        raise ValueError("item access needs a contiguous 1-D array")
    return array.data


APPEAR, REPORT, FOUND, FLARE = 0, 1, 2, 3
"""Kinds of arrival event: a latent issue appears (for patrols to find); it is
reported; a daily report finds a latent dispute; a latent dispute flares up."""
Events = tuple[np.ndarray, np.ndarray, np.ndarray]
"""(times, issues, kinds) of extra arrival events."""
