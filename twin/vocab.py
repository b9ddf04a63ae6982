"""twin's vocabulary: the names and codes every layer shares, in one place.

Record tables store small integer codes; these tuples give their names, in
code order, so ``COLOURS[GREEN] == "green"``. Time is kept in minutes.
"""

from __future__ import annotations

# ------------------------------------------------------------------ time
MINUTES_PER_HOUR = 60.0
HOURS_PER_DAY = 24
MINUTES_PER_DAY = 1440.0
DAYS_PER_WEEK = 7
HOURS_PER_WEEK = 168
MINUTES_PER_WEEK = 10080.0
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday names; a run starts on a Monday at 00:00."""

# ------------------------------------------------------------- severity
COLOURS: tuple[str, ...] = ("green", "yellow", "red")
"""Severity colours of three-colour warning (三色预警), least severe first."""
GREEN, YELLOW, RED = range(3)

# -------------------------------------------------------------- channels
CHANNELS: tuple[str, ...] = ("resident", "patrol", "sensor")
"""How an issue came to be known."""
RESIDENT, PATROL_FOUND, SENSOR = range(3)

# ----------------------------------------------------------- staff kinds
KINDS: tuple[str, ...] = ("grid_worker", "volunteer", "mediator", "responder")
"""Kinds of staff."""
GRID_WORKER, VOLUNTEER, MEDIATOR, RESPONDER = range(4)

# ------------------------------------------------------ activity states
STATES: tuple[str, ...] = ("travel", "on_site", "idle", "off_shift", "patrol", "standby")
"""What a staff member is doing during an interval of the activity table."""
TRAVEL, ON_SITE, IDLE, OFF_SHIFT, PATROL, STANDBY = range(6)
