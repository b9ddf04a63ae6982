"""Record tables: their column specs (:mod:`twin.records.specs`) and the recorders the
model appends to (:mod:`twin.records.recorders`, :mod:`twin.records.orders`)."""

from twin.records.disputes import DisputeRecorder
from twin.records.orders import OrderRecorder, StepRecorder
from twin.records.recorders import (
    ActivityRecorder,
    EventRecorder,
    IssueRecorder,
    VisitRecorder,
    complaints_frame,
)
from twin.records.specs import (
    ACTIVITY_COLUMNS,
    ACTIVITY_SPECS,
    BOOL,
    CAT,
    COMPLAINT_COLUMNS,
    COMPLAINT_SPECS,
    DISPUTE_COLUMNS,
    DISPUTE_SPECS,
    ESCALATION_COLUMNS,
    ESCALATION_SPECS,
    F64,
    I64,
    IDLE,
    ISSUE_COLUMNS,
    ISSUE_SPECS,
    MIN,
    NONE,
    OFF_SHIFT,
    ON_SITE,
    ORDER_COLUMNS,
    ORDER_SPECS,
    PATROL,
    REPLICATION,
    STATES,
    STEP_COLUMNS,
    STEP_SPECS,
    TABLES,
    TRAVEL,
    VISIT_COLUMNS,
    VISIT_SPECS,
    ColumnSpec,
    Labels,
    build_frame,
    parquet_schema,
)

__all__ = [
    "ACTIVITY_COLUMNS", "ACTIVITY_SPECS", "BOOL", "CAT", "COMPLAINT_COLUMNS", "COMPLAINT_SPECS",
    "DISPUTE_COLUMNS", "DISPUTE_SPECS", "DisputeRecorder",
    "ESCALATION_COLUMNS", "ESCALATION_SPECS", "F64", "I64", "IDLE", "ISSUE_COLUMNS",
    "ISSUE_SPECS", "MIN", "NONE", "OFF_SHIFT", "ON_SITE", "ORDER_COLUMNS", "ORDER_SPECS",
    "PATROL", "REPLICATION", "STATES", "STEP_COLUMNS", "STEP_SPECS", "TABLES",
    "TRAVEL", "VISIT_COLUMNS", "VISIT_SPECS", "ActivityRecorder", "ColumnSpec", "EventRecorder",
    "IssueRecorder", "Labels", "OrderRecorder", "StepRecorder", "VisitRecorder", "build_frame",
    "complaints_frame", "parquet_schema",
]
