"""Calibrate a scenario's demand from reported tickets (``twin calibrate``).

A tickets CSV lists issues as they were reported: when, what category, where
(grid, map node or coordinates), and optionally the colour and the on-site
time. From it twin fits, per category, the average arrival rate of each grid
with an exact Poisson confidence interval, hour-of-day and day-of-week
multipliers (a multiplicative Poisson model fitted by maximum likelihood,
pooled over grids, and over categories for categories with few tickets), the
severity mix and the on-site time distribution (chosen by AIC). The result is
a ``demand:`` block to merge into a scenario with ``extends: [base, demand]``.

Modules: ``source`` reads the file (CSV in UTF-8 or GBK/GB18030, or ``.xlsx``;
English or Chinese column names), ``tickets`` checks its rows (with ``checks`` for
names and numbers, ``window`` for times and the observation window and ``gaps``
for declared times without records), ``rates`` fits the Poisson
model, ``mix`` colours and on-site times, ``model`` puts them together and
chooses how twin's schema can express them, ``events`` finds the dates the model cannot
explain (candidate dated events, tested with ``significance``), ``writer``
writes the YAML and ``diagnostics`` builds the tables shown on the command line.
"""

from twin.calibrate.events import CandidateEvent, EventScan, find_events
from twin.calibrate.model import Calibration, CategoryFit, fit_demand
from twin.calibrate.tickets import GridMap, Tickets, TicketsError, parse_time, read_tickets
from twin.calibrate.writer import demand_yaml

__all__ = [
    "Calibration",
    "CandidateEvent",
    "CategoryFit",
    "EventScan",
    "GridMap",
    "Tickets",
    "TicketsError",
    "demand_yaml",
    "find_events",
    "fit_demand",
    "parse_time",
    "read_tickets",
]
