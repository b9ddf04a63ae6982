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
UNGRADED = 3
"""Code of an issue that is not a dispute, so not graded (shown as ``none``)."""

# -------------------------------------------------------------- channels
CHANNELS: tuple[str, ...] = ("resident", "patrol", "sensor")
"""How an issue came to be known."""
RESIDENT, PATROL_FOUND, SENSOR = range(3)

# ----------------------------------------------------------- staff kinds
KINDS: tuple[str, ...] = ("grid_worker", "volunteer", "handler")
"""Kinds of staff; `handler` is the staff of a handling unit (承办单位: property
management, a department, the mediation office, the police station, ...) or of the
command centre's desk."""
GRID_WORKER, VOLUNTEER, HANDLER = range(3)

# ------------------------------------------------------ activity states
STATES: tuple[str, ...] = ("travel", "on_site", "idle", "off_shift", "patrol", "noncase")
"""What a staff member is doing during an interval of the activity table; `noncase`:
on duty but on work that is not casework (ledgers, meetings, information collection),
taking no new case."""
TRAVEL, ON_SITE, IDLE, OFF_SHIFT, PATROL, NONCASE = range(6)

# ------------------------------------------------------------ work orders
STEP_KINDS: tuple[str, ...] = ("check", "handle", "settle", "verify", "wish")
"""Kinds of step a category's flow may list: a grid worker checks a public report
on site (核实), a handling unit handles the order (处置), a grid worker settles a
minor matter on site (就地化解), a grid worker verifies the fix (核查), a volunteer
helps with a resident's small request (微心愿)."""
CHECK, HANDLE, SETTLE, VERIFY, WISH = range(5)
STEPS: tuple[str, ...] = (*STEP_KINDS, "file", "assign", "report", "callback", "offer",
                          "lead")
"""Rows of the steps table: the flow's steps, the centre filing the order (立案),
each assignment to a unit (派单; returned or signed for), a department reporting to
a whistle (报到), the callback (回访), a small request offered to a volunteer, and
the lead time of a handle step (an appointment, parts) after signing."""
FILE, ASSIGN, REPORT, CALLBACK, OFFER, LEAD = range(5, 11)
STEP_OUTCOMES: tuple[str, ...] = ("done", "not_fixed", "found_not_fixed", "returned",
                                  "signed", "solved", "unsolved", "unreached", "open",
                                  "accepted", "declined", "expired", "settled", "failed",
                                  "continued", "withdrawn", "reopened")
"""How a step or visit ended: done; a handling that did not fix the problem; a
verification that found it unfixed; an assignment returned as wrong or signed for; a
callback where the requester said solved, unsolved or was not reached; still open at
the end; an offer to a volunteer accepted or declined; a small request nobody took in
time; a dispute's mediation or response that settled it, failed, or continues in
another session; a visit withdrawn before anyone set off (a red response's unit stood
down, a session overtaken by a flare-up); a follow-up that found the dispute flared
again."""
(DONE, NOT_FIXED, FOUND_NOT_FIXED, RETURNED, SIGNED, SOLVED, UNSOLVED, UNREACHED, OPEN,
 ACCEPTED, DECLINED, EXPIRED, SETTLED, FAILED, CONTINUED, WITHDRAWN, REOPENED) = range(17)
PURPOSES: tuple[str, ...] = ("report", "repeat", "mediate", "session", "online_session",
                             "lead", "join", "dispute_follow_up")
"""Why a visit task exists: a department reporting to a whistle (报到), the centre
filing a repeat request (重复诉求); for disputes, a grid worker mediating a green one
on site, a mediation session in person or online (云端调解), the lead responder to a
red one, a unit joining it, and the follow-up by the unit that settled it."""
(REPORT_TO_WHISTLE, REPEAT_FILING, MEDIATE, SESSION, ONLINE_SESSION, LEAD_RESPONSE,
 JOIN_RESPONSE, DISPUTE_FOLLOW_UP) = range(8)
DISPUTE_PURPOSES = (MEDIATE, SESSION, ONLINE_SESSION, LEAD_RESPONSE, JOIN_RESPONSE,
                    DISPUTE_FOLLOW_UP)
"""Visit purposes of the dispute desk."""
DISPUTE_OUTCOMES: tuple[str, ...] = ("open", "settled", "referred")
"""How a dispute ended: still open at the end of the run, settled (降级销号), or
referred to court or arbitration after a failed mediation (诉调对接)."""
D_OPEN, D_SETTLED, D_REFERRED = range(3)
MEDIATION_CHANNELS: tuple[str, ...] = ("none", "in_person", "online")
"""How a dispute's (first) mediation was held: not at all, in person, online."""
