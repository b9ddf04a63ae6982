"""Checks of single values in a tickets file: names and numbers, and how repeated
mistakes are reported.

Names (categories, grids) are kept exactly as written -- spaces around them
included -- so that they reach the scenario unchanged; names with control
characters (line breaks, tabs, escape codes ...) are refused, since a scenario
file cannot hold them as names and a terminal would act on them. Numbers must
be finite and inside a documented range, so that a typing slip such as
``1e308`` or ``1e-320`` is reported instead of overflowing a fit.
"""

from __future__ import annotations

import math
import re
import unicodedata

from twin.scenario import Problem

MAX_HANDLING_MINUTES = 525_600.0
"""Longest on-site time accepted: one year [min]."""
MIN_HANDLING_MINUTES = 0.01
"""Shortest positive on-site time accepted [min] (0 itself is allowed)."""
MAX_COORDINATE = 1e8
"""Largest map coordinate accepted, in absolute value [m]."""

HANDLING_RANGE = f"allowed 0 or {MIN_HANDLING_MINUTES:g} to {MAX_HANDLING_MINUTES:,.0f} minutes"
COORDINATE_RANGE = f"allowed -{MAX_COORDINATE:,.0f} to {MAX_COORDINATE:,.0f} m"

_REFUSED_CATEGORIES = ("Cc", "Cs", "Zl", "Zp")  # controls, surrogates, line/paragraph breaks
_NONCHARACTERS = ("\ufffe", "\uffff")


def refused_character(name: str) -> str | None:
    """The first character of ``name`` a scenario name may not hold, else None.

    >>> refused_character("a\\tb"), refused_character("网格 1")
    ('\\t', None)
    """
    for ch in name:
        if unicodedata.category(ch) in _REFUSED_CATEGORIES or ch in _NONCHARACTERS:
            return ch
    return None


def name_problem(name: str) -> str | None:
    """Why ``name`` (a category or grid name as written) cannot be used, else None."""
    ch = refused_character(name)
    if ch is None:
        return None
    label = unicodedata.name(ch, "").lower()
    return (f"contains the control character U+{ord(ch):04X}{f' ({label})' if label else ''}; "
            f"names may not contain control characters such as line breaks and tabs "
            f"(got {name!r})")


def handling_problem(text: str) -> tuple[float | None, str | None]:
    """An on-site time [min] from its text: (value, None) or (None, why not)."""
    try:
        value = float(text)
    except ValueError:
        return None, f"not a number (got {text!r})"
    if math.isfinite(value) and value < 0:
        return None, f"must be >= 0 (got {value:g})"
    if not math.isfinite(value) or value > MAX_HANDLING_MINUTES or (
            0 < value < MIN_HANDLING_MINUTES):
        return None, f"out of range: {HANDLING_RANGE} (got {text!r})"
    return value, None


def coordinate_problem(text: str) -> tuple[float | None, str | None]:
    """A map coordinate [m] from its text: (value, None) or (None, why not)."""
    try:
        value = float(text)
    except ValueError:
        return None, f"not a number (got {text!r})"
    if not math.isfinite(value) or abs(value) > MAX_COORDINATE:
        return None, f"out of range: {COORDINATE_RANGE} (got {text!r})"
    return value, None


REPEATS_SHOWN = 3
"""A mistake on more rows than this is reported on one line, with examples."""
_GOT = re.compile(r" \(got (.*)\)$", re.DOTALL)
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")


def _kind(message: str) -> tuple[str, str]:
    """A message without the value it quotes -- the ``(got ...)`` at its end, else
    its quoted names -- and that value: (the mistake, the example)."""
    got = _GOT.search(message)
    if got is not None:
        return message[:got.start()], got.group(1)
    quoted = _QUOTED.search(message)
    if quoted is not None:
        return _QUOTED.sub("'…'", message), quoted.group(0)
    return message, ""


def grouped(problems: list[Problem]) -> list[Problem]:
    """The same mistake on many rows reported on one line: where it first occurs, how
    many rows have it, and the first few values as examples.

    Mistakes are the same when their column and message agree up to the value
    they quote (``(got ...)`` at the end, or a name in quotes), so that a column of
    bad dates gives one line, not one per date.
    """
    groups: dict[tuple[str, str, str], list[tuple[Problem, str]]] = {}
    for p in problems:
        kind, example = _kind(p.message)
        groups.setdefault((p.source, p.path, kind), []).append((p, example))
    out: list[Problem] = []
    for (source, column, kind), found in groups.items():
        if len(found) <= REPEATS_SHOWN:
            out += [p for p, _ in found]
            continue
        first = found[0][0].line
        lines = [p.line for p, _ in found if p.line is not None]
        where = f", lines {min(lines)}-{max(lines)}" if lines else ""
        examples = ", ".join(f"{example} (line {p.line})" if p.line is not None else example
                             for p, example in found[:REPEATS_SHOWN] if example)
        out.append(Problem(source, first, column,
                           f"{kind} on {len(found):,} rows{where}"
                           + (f"; e.g. {examples}" if examples else "")))
    return sorted(out, key=lambda p: p.line or 0)
