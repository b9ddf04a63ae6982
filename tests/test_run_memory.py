"""A long run does not keep the staffing (every staff member's duty and non-case spans)
alive beyond what the roster's shift changes read: the duty arrays the staff share."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest

import twin
import twin.model as model
from twin.staffing import Staffing

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["baseline.yaml", "disputes_baseline.yaml"])
def test_no_staffing_alive_during_the_run(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    alive: list[int] = []
    start = model._start

    def counting_start(*args: Any, **kwargs: Any) -> None:
        start(*args, **kwargs)
        gc.collect()
        alive.append(sum(isinstance(o, Staffing) for o in gc.get_objects()))

    monkeypatch.setattr(model, "_start", counting_start)
    scenario = twin.load_scenario(ROOT / "scenarios" / name,
                                  overrides={"run.horizon_days": 2, "run.warmup_days": 0.5})
    records = model.simulate(scenario, 0)
    assert alive == [0]
    assert "off_shift" in set(records.activity["state"])  # a run with shifts
