"""Item access to record arrays, for the event loop."""

from __future__ import annotations

from typing import Any

import numpy as np


def items(array: np.ndarray) -> Any:
    """Item access to a 1-D array's own buffer that reads and writes Python numbers,
    so clock arithmetic in the event loop stays in Python floats."""
    if array.ndim != 1 or not array.flags.c_contiguous:
        raise ValueError("item access needs a contiguous 1-D array")
    return array.data
