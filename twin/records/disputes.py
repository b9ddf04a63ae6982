"""The dispute recorder: one row per dispute that was made known.

The dispute desk writes into it as a dispute moves; the frame is built at the
end of the run through :data:`~twin.records.specs.DISPUTE_SPECS`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin.records.specs import DISPUTE_SPECS, Labels, build_frame
from twin.vocab import COLOURS, D_OPEN

_NAN = float("nan")


class DisputeRecorder:
    """Columns of the dispute table, one entry per dispute in order of intake."""

    def __init__(self) -> None:
        self.row: dict[int, int] = {}
        """Row of each issue that is a dispute made known."""
        self.issue: list[int] = []
        self.grid: list[int] = []
        self.category: list[int] = []
        self.channel: list[int] = []
        self.found_early: list[bool] = []
        self.grade_intake: list[int] = []
        self.grade_closed: list[int] = []
        self.outcome: list[int] = []
        self.settled_grade: list[int] = []
        self.settled_by: list[int] = []
        self.mediation: list[int] = []
        self.sessions: list[int] = []
        self.violence: list[bool] = []
        self.regrades_up: list[int] = []
        self.regrades_down: list[int] = []
        self.reopened: list[int] = []
        self.t_reported: list[float] = []
        self.t_red: list[float] = []
        self.t_lead_on_site: list[float] = []
        self.t_all_arrived: list[float] = []
        self.t_closed: list[float] = []

    def add(self, issue: int, grid: int, category: int, channel: int, found_early: bool,
            grade: int, now: float) -> int:
        """A dispute made known now at ``grade``; returns its row."""
        r = len(self.issue)
        self.row[issue] = r
        for column, value in ((self.issue, issue), (self.grid, grid), (self.category, category),
                              (self.channel, channel), (self.found_early, found_early),
                              (self.grade_intake, grade), (self.grade_closed, grade),
                              (self.outcome, D_OPEN), (self.settled_grade, -1),
                              (self.settled_by, -1), (self.mediation, 0), (self.sessions, 0),
                              (self.violence, False), (self.regrades_up, 0),
                              (self.regrades_down, 0), (self.reopened, 0),
                              (self.t_reported, now), (self.t_red, _NAN),
                              (self.t_lead_on_site, _NAN),
                              (self.t_all_arrived, _NAN), (self.t_closed, _NAN)):
            column.append(value)  # type: ignore[arg-type]
        return r

    def to_frame(self, labels: Labels) -> pd.DataFrame:
        """The dispute table."""
        n_units = len(labels.units)
        settled_grade = np.asarray(self.settled_grade, dtype=np.int64)
        settled_by = np.asarray(self.settled_by, dtype=np.int64)
        return build_frame(DISPUTE_SPECS, {
            "issue_id": self.issue, "grid": self.grid, "category": self.category,
            "channel": self.channel, "found_early": self.found_early,
            "grade_intake": self.grade_intake, "grade_closed": self.grade_closed,
            "outcome": self.outcome,
            "settled_grade": np.where(settled_grade < 0, len(COLOURS), settled_grade),
            "settled_by": np.where(settled_by < 0, n_units, settled_by),
            "mediation": self.mediation, "sessions": self.sessions, "violence": self.violence,
            "regrades_up": self.regrades_up, "regrades_down": self.regrades_down,
            "reopened": self.reopened, "t_reported": self.t_reported,
            "t_red": self.t_red, "t_lead_on_site": self.t_lead_on_site,
            "t_all_arrived": self.t_all_arrived,
            "t_closed": self.t_closed,
        }, labels)
