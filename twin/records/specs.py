"""Record column specs: what each record table holds and means.

The model writes only records; every KPI is computed later from these tables.
Times are minutes since the start of the run (Monday 00:00).

Tables: issues (one row per issue), activity (one row per interval of a staff
member's time), escalations (one row per grade change of a dispute), visits
(one row per piece of a dispute's field work, whistle report or repeat filing),
complaints (one row per repeat complaint), orders (one row per work-order
request), steps (one row per step of an order) and disputes (one row per
dispute).
Each table is a tuple of :class:`ColumnSpec` (name, dtype, unit, meaning) in
:data:`TABLES`; the recorders' frames, :func:`parquet_schema` and the column
reference in README.md ("Outputs", renewed by ``python -m twin.metrics.reference
--update README.md``) are all made from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

# re-exported: the engine's modules import the state codes from here
from twin.vocab import (  # noqa: F401
    COLOURS,
    DISPUTE_OUTCOMES,
    IDLE,
    MEDIATION_CHANNELS,
    OFF_SHIFT,
    ON_SITE,
    PATROL,
    PURPOSES,
    STATES,
    STEP_OUTCOMES,
    STEPS,
    TRAVEL,
)

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One column of a record table: what the frame holds and what it means."""

    name: str
    dtype: str
    """numpy/pandas dtype name: ``int64``, ``float64``, ``bool`` or ``category``."""
    unit: str
    """``min`` for times and durations, ``–`` for everything else."""
    meaning: str
    """One line for the reference in README.md ("Outputs")."""
    categories: str = ""
    """For a ``category`` column: which names label its codes (see :meth:`Labels.names`)."""


I64, F64, BOOL, CAT, MIN, NONE = "int64", "float64", "bool", "category", "min", "–"
_ = ColumnSpec
ISSUE_SPECS: tuple[ColumnSpec, ...] = (
    _("issue_id", I64, NONE, "issue number within the replication, in order of occurrence"),
    _("grid", CAT, NONE, "grid of the issue (demand grid)", "grids"),
    _("unit", CAT, NONE, "the grid-worker unit responsible (the grid, or `team/grid` with teams)",
      "units"),
    _("category", CAT, NONE, "issue category", "categories"),
    _("channel", CAT, NONE, "who reported it: `resident`, `patrol` or `sensor`", "channels"),
    _("colour", CAT, NONE, "a dispute's grade at report: `green`, `yellow`, `red`; `none` for "
      "any other issue (not graded)", "grades_or_none"),
    _("colour_closed", CAT, NONE, "a dispute's grade at the end (green once settled); `none` "
      "for any other issue", "grades_or_none"),
    _("node", I64, NONE, "map node index of the issue"),
    _("latent", BOOL, NONE, "a latent hazard that a patrol could find before it was reported"),
    _("deadline", F64, MIN, "time allowed from report to resolution: its category's `limit` (a "
      "case), its flow's limit (a work order); a limit in working time: the minutes from the "
      "report to the due time the calendar gives; empty for a dispute"),
    _("t_occurred", F64, MIN, "the issue came to exist (= `t_reported` unless latent)"),
    _("t_reported", F64, MIN, "reported (empty: a latent hazard nobody found)"),
    _("t_dispatched", F64, MIN, "the first handler was assigned"),
    _("t_on_site", F64, MIN, "the first handler arrived"),
    _("t_resolved", F64, MIN, "settled (empty if still open at the horizon)"),
    _("worker", I64, NONE, "id of the last staff member who handled it (−1 if none)"),
    _("handler", CAT, NONE, "kind of that staff member: `grid_worker`, `volunteer`, `handler` (a "
      "handling unit's or the centre's staff), `none`", "handlers"),
    _("borrowed", BOOL, NONE, "the last handler was a grid worker of another unit"),
    _("travel", F64, MIN, "travel time of the first handler"),
    _("escalations", I64, NONE, "number of colour changes (a dispute's grade changes)"),
    _("repeat_complaints", I64, NONE, "repeat complaints while it was open"),
)
"""The issue table (``issues.parquet``): one row per issue."""
ACTIVITY_SPECS: tuple[ColumnSpec, ...] = (
    _("worker", I64, NONE, "staff id"),
    _("kind", CAT, NONE, "`grid_worker`, `volunteer` or `handler` (a handling unit's or the "
      "centre's staff)", "kinds"),
    _("unit", CAT, NONE, "the staff member's unit: a grid (or `team/grid`), a handling unit (or "
      "`unit/grid`), or `centre`", "units"),
    _("state", CAT, NONE, "`travel`, `on_site`, `idle`, `off_shift`, `patrol` or `noncase` "
      "(work that is not casework: ledgers, meetings, information collection)", "states"),
    _("t_start", F64, MIN, "start of the interval"),
    _("t_end", F64, MIN, "end of the interval"),
    _("issue_id", I64, NONE, "issue travelled to or handled; −1 for idle, off shift, patrol and "
      "the walk back to base"),
    _("visit", BOOL, NONE, "the interval belongs to a visit about `issue_id` (a dispute's "
      "field work, a report to a whistle, a repeat filing), not to the issue's own handling"),
)
"""The activity table (``activity.parquet``): one row per interval of a staff member's time."""
ESCALATION_SPECS: tuple[ColumnSpec, ...] = (
    _("issue_id", I64, NONE, "the dispute"),
    _("t", F64, MIN, "when"),
    _("from_colour", CAT, NONE, "grade before", "colours"),
    _("to_colour", CAT, NONE, "grade after", "colours"),
    _("cause", CAT, NONE, "`failed` (a mediation failed), `grew` (it flared up), `settled` "
      "(graded down, 降级销号) or `reopened` (a follow-up found it flared again)", "causes"),
)
"""The escalation table (``escalations.parquet``): one row per grade change of a dispute."""
VISIT_SPECS: tuple[ColumnSpec, ...] = (
    _("visit_id", I64, NONE, "visit number within the replication"),
    _("issue_id", I64, NONE, "the issue visited"),
    _("unit", CAT, NONE, "unit whose staff make the visit", "units"),
    _("node", I64, NONE, "map node index"),
    _("t_due", F64, MIN, "the visit becomes due"),
    _("t_dispatched", F64, MIN, "a worker was assigned"),
    _("t_on_site", F64, MIN, "the worker arrived"),
    _("t_done", F64, MIN, "the visit ended"),
    _("worker", I64, NONE, "the worker"),
    _("purpose", CAT, NONE, "`report` (a department summoned by a whistle, 报到), `repeat` (the "
      "centre filing a repeat request); for disputes `mediate` (a grid worker, green), "
      "`session` or `online_session` (the mediation office, yellow), `lead` or `join` (a red "
      "response) and `dispute_follow_up` (by the unit that settled it)", "purposes"),
    _("attempt", I64, NONE, "session number of a mediation session (1 first); 1 otherwise"),
    _("outcome", CAT, NONE, "`done`, `open` (unfinished at the end), `withdrawn` (called off "
      "before anyone set off); for disputes also `settled`, `failed`, `continued` (another "
      "session follows) and `reopened` (a follow-up found it flared again)", "step_outcomes"),
)
"""The visit table (``visits.parquet``): one row per task that is not a case's own handling."""
COMPLAINT_SPECS: tuple[ColumnSpec, ...] = (
    _("issue_id", I64, NONE, "the case complained about"),
    _("t", F64, MIN, "when"),
)
"""The complaint table (``complaints.parquet``): one row per repeat complaint."""
ORDER_SPECS: tuple[ColumnSpec, ...] = (
    _("order_id", I64, NONE, "order number: the issue number of a first request; repeats "
      "are numbered after the last issue"),
    _("issue_id", I64, NONE, "the issue the request is about"),
    _("repeat_of", I64, NONE, "the order a repeat request (重复诉求) repeats; −1 for a first "
      "request"),
    _("grid", CAT, NONE, "grid of the issue", "grids"),
    _("category", CAT, NONE, "issue category (one with a flow)", "categories"),
    _("channel", CAT, NONE, "`resident` (12345 hotline, app), `patrol` or `sensor`", "channels"),
    _("filed", BOOL, NONE, "an order was filed (false: answered at once, no order)"),
    _("t_received", F64, MIN, "the request was received (a patrol or sensor find: when found)"),
    _("t_filed", F64, MIN, "filed by the centre (立案), after any on-site check"),
    _("t_assigned", F64, MIN, "first assigned to a handling unit (派单)"),
    _("unit", CAT, NONE, "unit of the last work step: the handling unit, or the grid-worker "
      "unit for a flow a grid worker settles; `none` before any work step", "order_units"),
    _("returns", I64, NONE, "assignments sent back as wrong (退单)"),
    _("t_signed", F64, MIN, "the unit that handles it signed for it (签收)"),
    _("t_responded", F64, MIN, "the unit contacted the requester, or was on site, whichever "
      "came first (响应)"),
    _("respond_limit", F64, MIN, "time the unit that signed for it is allowed from its "
      "assignment to contacting the requester (its `respond_limit`); empty without one"),
    _("handle_limit", F64, MIN, "time allowed from the first assignment to the end of "
      "handling (its flow's `handle_limit`); empty without one"),
    _("t_handled", F64, MIN, "the last handle or settle step ended"),
    _("t_verified", F64, MIN, "the last verification ended (核查)"),
    _("t_closed", F64, MIN, "closed (结案); a repeat closes with the order it repeats; "
      "empty while open"),
    _("limit", F64, MIN, "time allowed from receipt to closing (a limit in working time: the "
      "minutes from receipt to the due time the calendar gives; a repeat row: its order's)"),
    _("t_chased", F64, MIN, "chased as overdue (催办)"),
    _("t_supervised", F64, MIN, "put under supervision (督办)"),
    _("t_whistled", F64, MIN, "whistled (吹哨): departments summoned"),
    _("summoned", I64, NONE, "departments summoned by its whistle"),
    _("reworks", I64, NONE, "times sent back to be handled again (a verification found it "
      "unfixed, or the callback said unsolved or unsatisfied: 退回重办)"),
    _("t_callback", F64, MIN, "the last callback (回访)"),
    _("called_back", BOOL, NONE, "the requester answered the last callback"),
    _("solved", BOOL, NONE, "they said it was solved (false when not called back)"),
    _("satisfied", BOOL, NONE, "they said they were satisfied (false when not called back)"),
)
"""The order table (``orders.parquet``): one row per request of a category with a flow."""
STEP_SPECS: tuple[ColumnSpec, ...] = (
    _("order_id", I64, NONE, "the order"),
    _("step", CAT, NONE, "`check`, `handle`, `settle`, `verify` (the flow's steps), `file`, "
      "`assign`, `report` (a department summoned by a whistle), `callback`, `offer` (a small "
      "request offered to a volunteer) or `lead` (a handle step's lead time after signing)",
      "steps"),
    _("step_no", I64, NONE, "position of the step in its flow (an assignment: of its handle "
      "step); −1 for file, report and callback rows"),
    _("unit", CAT, NONE, "the unit that did it (for an assignment: the unit assigned)",
      "units"),
    _("worker", I64, NONE, "staff id; −1 when nobody's time was used"),
    _("attempt", I64, NONE, "1 the first time this order goes through this step, then 2, 3 ..."),
    _("t_ready", F64, MIN, "the step could start: the order joined the queue (an assignment: "
      "was assigned; a report: the whistle)"),
    _("t_dispatched", F64, MIN, "a staff member was sent or took it"),
    _("t_on_site", F64, MIN, "the staff member arrived (desk work: started)"),
    _("t_done", F64, MIN, "the step ended (an assignment: returned or signed for); empty "
      "while open"),
    _("wait", F64, MIN, "`t_dispatched − t_ready` (an assignment: `t_done − t_ready`)"),
    _("travel", F64, MIN, "travel time"),
    _("handling", F64, MIN, "`t_done − t_on_site`: staff time on the step"),
    _("outcome", CAT, NONE, "`done`, `not_fixed`, `found_not_fixed`, `returned`, `signed`, "
      "`solved`, `unsolved`, `unreached` or `open` (unfinished at the end)", "step_outcomes"),
    _("limit", F64, MIN, "time allowed for the row's stamp: signing (assign rows), arriving "
      "(report rows); empty otherwise"),
)
"""The step table (``steps.parquet``): one row per step of an order, each time it is done."""
DISPUTE_SPECS: tuple[ColumnSpec, ...] = (
    _("issue_id", I64, NONE, "the dispute (its issue number)"),
    _("grid", CAT, NONE, "grid of the dispute", "grids"),
    _("category", CAT, NONE, "its category", "categories"),
    _("channel", CAT, NONE, "who made it known: `resident`, `patrol` (a patrol or a grid "
      "worker's daily report) or `sensor`", "channels"),
    _("found_early", BOOL, NONE, "a latent dispute (矛盾苗头) found by a patrol or daily report "
      "before anyone called"),
    _("grade_intake", CAT, NONE, "grade at intake (研判): `green`, `yellow`, `red`", "colours"),
    _("grade_closed", CAT, NONE, "grade at the end: `green` once settled (降级销号)", "colours"),
    _("outcome", CAT, NONE, "`open` at the end, `settled` or `referred` (to court or "
      "arbitration)", "dispute_outcomes"),
    _("settled_grade", CAT, NONE, "grade at which it was settled (`none`: not settled)",
      "grades_or_none"),
    _("settled_by", CAT, NONE, "unit that settled it (`none`: not settled)", "order_units"),
    _("mediation", CAT, NONE, "how its first mediation was held: `none`, `in_person`, `online`",
      "mediation_channels"),
    _("sessions", I64, NONE, "mediation sessions held (ended), over all its mediations"),
    _("violence", BOOL, NONE, "a failed mediation was flagged for a risk of violence (to the "
      "police)"),
    _("regrades_up", I64, NONE, "grade moves up (flare-ups, failed attempts, reopenings)"),
    _("regrades_down", I64, NONE, "grade moves down (settlements of yellow and red)"),
    _("reopened", I64, NONE, "times a follow-up found it flared again"),
    _("t_reported", F64, MIN, "made known (reported or found)"),
    _("t_red", F64, MIN, "its first red response started (at intake, or when it went up to "
      "red); the next three columns are of that response too"),
    _("t_lead_on_site", F64, MIN, "the lead responder of that response arrived"),
    _("t_all_arrived", F64, MIN, "every unit of that response had arrived (empty if one was "
      "stood down)"),
    _("t_closed", F64, MIN, "settled or referred (empty while open)"),
)
"""The dispute table (``disputes.parquet``): one row per dispute that was made known."""
TABLES: dict[str, tuple[ColumnSpec, ...]] = {
    "issues": ISSUE_SPECS, "activity": ACTIVITY_SPECS, "escalations": ESCALATION_SPECS,
    "visits": VISIT_SPECS, "complaints": COMPLAINT_SPECS, "orders": ORDER_SPECS,
    "steps": STEP_SPECS, "disputes": DISPUTE_SPECS,
}
"""Every record table by name, in the order of the result folder."""
REPLICATION = _("replication", I64, NONE, "replication number: the first column of every table "
                "of a run's result (not of one replication's records)")
"""The column that run results put in front of every table."""


(ISSUE_COLUMNS, ACTIVITY_COLUMNS, ESCALATION_COLUMNS, VISIT_COLUMNS, COMPLAINT_COLUMNS,
 ORDER_COLUMNS, STEP_COLUMNS, DISPUTE_COLUMNS) = (
    tuple(spec.name for spec in specs) for specs in TABLES.values())


@dataclass(frozen=True, slots=True)
class Labels:
    """Names behind the integer codes used while simulating."""

    grids: list[str]
    units: list[str]
    categories: list[str]
    channels: list[str]
    colours: list[str]
    kinds: list[str]
    causes: list[str]

    def names(self, categories: str) -> list[str]:
        """The names behind a category column's codes (its spec's ``categories``)."""
        fixed = {"states": STATES, "steps": STEPS, "step_outcomes": STEP_OUTCOMES,
                 "purposes": PURPOSES, "dispute_outcomes": DISPUTE_OUTCOMES,
                 "mediation_channels": MEDIATION_CHANNELS,
                 "grades_or_none": (*COLOURS, "none")}
        if categories in fixed:
            return list(fixed[categories])
        if categories == "handlers":  # the kind of the last handler, or none yet
            return [*self.kinds, "none"]
        if categories == "order_units":  # the unit of an order's last work step, or none yet
            return [*self.units, "none"]
        names: list[str] = getattr(self, categories)
        return names


def _cat(codes: np.ndarray, names: list[str]) -> pd.Categorical:
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int32), categories=names)


def build_frame(specs: tuple[ColumnSpec, ...], values: dict[str, Any],
                labels: Labels | None = None, copy: bool = True) -> pd.DataFrame:
    """A record table from its columns' values (codes for a category column), with
    exactly the columns, order and dtypes of ``specs``. With ``copy=False`` the table
    keeps the arrays it is given (of the right dtype) instead of copying them: for a
    recorder that hands its columns over at the end of a run."""
    if list(values) != [spec.name for spec in specs]:
        raise ValueError(f"columns {list(values)} do not match the specs "
                         f"{[spec.name for spec in specs]}")
    columns: dict[str, Any] = {}
    for spec in specs:
        if spec.dtype == CAT:
            if labels is None:
                raise ValueError(f"column {spec.name!r} needs labels for its categories")
            columns[spec.name] = _cat(values[spec.name], labels.names(spec.categories))
        else:
            columns[spec.name] = np.asarray(values[spec.name], dtype=spec.dtype)
    return pd.DataFrame(columns, copy=copy)


# ------------------------------------------------------------- derived from the specs
def parquet_schema(table: str, labels: Labels | None = None, replication: bool = True
                   ) -> pa.Schema:
    """The Arrow schema of a record table as a run's result folder writes it.

    Parameters
    ----------
    table
        A key of :data:`TABLES`, e.g. ``"issues"``.
    labels
        The names behind the codes; with them a category column's dictionary
        index has the width pandas gives it (int8 below 128 names), without them
        int32.
    replication
        Put the ``replication`` column first, as in a run's result.
    """
    import pyarrow as pa

    def arrow_type(spec: ColumnSpec) -> pa.DataType:
        if spec.dtype != CAT:
            return pa.from_numpy_dtype(np.dtype(spec.dtype))
        index = np.dtype(np.int32) if labels is None else pd.Categorical(
            [], categories=labels.names(spec.categories)).codes.dtype
        return pa.dictionary(pa.from_numpy_dtype(index), pa.string())

    specs = (REPLICATION, *TABLES[table]) if replication else TABLES[table]
    return pa.schema([pa.field(spec.name, arrow_type(spec)) for spec in specs])
