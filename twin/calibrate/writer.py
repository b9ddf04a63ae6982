"""Write a calibration as a ``demand:`` block, with its provenance as comments.

The file is meant to be merged into a scenario with
``extends: [base.yaml, demand.yaml]``: it sets the three keys of ``demand``
(the pooled multipliers and the category list), so it replaces the base's
demand whole and leaves everything else alone. Each category carries the keys of
the scenario's category it is like (:mod:`twin.calibrate.carry`), so its cases
are handled as the scenario handles them.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from twin.calibrate.carry import Carried
from twin.calibrate.events import EventScan
from twin.calibrate.model import Calibration, CategoryFit
from twin.calibrate.rates import weekday_hour
from twin.calibrate.tickets import format_time
from twin.scenario import Problem, Scenario, ScenarioError, apply_overrides
from twin.scenario.schema import DemandSpec

_SIMPLE = re.compile(r"[^\W\d][\w-]*")  # a letter or _, then letters, digits, _ and -
_KEYWORDS = {"null", "true", "false", "yes", "no", "on", "off", "y", "n"}  # YAML 1.1 and 1.2
_ESCAPED = ("Cc", "Cs", "Zl", "Zp")


def _dump(value: str, style: str | None) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.width = 1 << 30  # one line, however long
    yaml.allow_unicode = True  # readable names; non-printable characters are still escaped
    yaml.default_style = style  # type: ignore[assignment]
    buf = io.StringIO()
    yaml.dump(value, buf)
    return buf.getvalue().removesuffix("\n...\n").removesuffix("\n")


@lru_cache(maxsize=4096)
def scalar(text: str, flow: bool = False) -> str:
    """``text`` as a YAML scalar on one line: plain when it reads back as the same
    text (and cannot be a YAML 1.1 number or boolean either), else double-quoted by
    ruamel's emitter, which escapes whatever needs it. ``flow``: for a flow mapping
    or list, where ``,[]{}`` matter.

    >>> scalar("repair"), scalar("a: b"), scalar("true"), scalar(" x"), scalar("网格 1")
    ('repair', '"a: b"', '"true"', '" x"', '网格 1')
    """
    if _SIMPLE.fullmatch(text) and text.lower() not in _KEYWORDS:
        return text
    plain = _dump(text, None)
    if (not flow and plain == text and plain.isprintable() and text[:1] not in "0123456789+-."
            and text.lower() not in _KEYWORDS and _reads_back(plain, text)):
        return plain
    return _dump(text, '"')


def _reads_back(written: str, text: str) -> bool:
    try:
        data = YAML(typ="safe", pure=True).load(f"key: {written}   # comment\n")
    except YAMLError:
        return False
    return isinstance(data, dict) and data.get("key") == text


def comment(text: str) -> str:
    """``text`` made safe for a YAML comment: control characters, line breaks and
    byte-order marks written as escapes (``\\n``, ``\\x85``, ``\\u2028``)."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(_escape(ch) if unicodedata.category(ch) in _ESCAPED
                   or ch in "\ufeff\ufffe\uffff" else ch for ch in text)


def _escape(ch: str) -> str:
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def flow(value: Any) -> str:
    """A JSON-like value as YAML flow text (mappings, lists, numbers, text, null)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{scalar(str(k), True)}: {flow(v)}"
                               for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return number(value, 6)
    return scalar(str(value), True)


def number(x: float, digits: int = 4) -> str:
    """A float with ``digits`` significant digits, never in exponent form (which
    some YAML readers take for text)."""
    return np.format_float_positional(float(x), precision=digits, unique=False,
                                      fractional=False, trim="-")


def multipliers(values: np.ndarray) -> str:
    """A flow list of multipliers to 3 decimals."""
    return "[" + ", ".join(f"{v:.3f}" for v in values) + "]"


def _wrapped(key: str, values: np.ndarray, indent: str, per_line: int = 12) -> list[str]:
    items = [f"{v:.3f}" for v in values]
    chunks = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    pad = indent + " " * (len(key) + 3)
    lines = [f"{indent}{key}: [{chunks[0]}"]
    lines += [f"{pad}{c}" for c in chunks[1:]]
    lines[-1] += "]"
    for i in range(len(lines) - 1):
        lines[i] += ","
    return lines


def provenance(cal: Calibration) -> list[str]:
    """Comment lines (without ``#``): where the numbers come from."""
    t = cal.tickets
    digest = hashlib.sha256(Path(t.source).read_bytes()).hexdigest()[:16]
    days = (t.end - t.start) / 24.0
    grids = ", ".join(scalar(g) for g in t.grids)
    where = f" (from {t.grids_source})" if t.grids_source else " (as named in the tickets)"
    first_day, _ = weekday_hour(np.array([t.start]))
    weekday = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][int(first_day[0])]
    counts = ", ".join(f"{scalar(c.name)} {c.count}" for c in cal.categories)
    lines = [
        "Demand calibrated from reported tickets by `twin calibrate`.",
        f"source: {t.source} (sha256 {digest}, read as {t.encoding}), {t.rows} ticket rows, "
        f"{len(t)} in the window" + (f", {t.outside} outside it left out" if t.outside else ""),
        f"window: {format_time(t.start)} ({weekday}) to {format_time(t.end)}: {days:.2f} days "
        f"= {days / 7:.2f} weeks"
        + (f"; declared gaps without records (not counted as time): {t.gaps.describe()}"
           if t.gaps else ""),
        f"grids{where}: {grids}",
        f"tickets per category: {counts}",
        f"profiles: own per category with >= {cal.min_count} tickets, else pooled; "
        "rates are averages over the week [1/h], 95% exact Poisson intervals",
        "Merge into a scenario with  extends: [base.yaml, this file]",
    ]
    return [comment(line) for line in lines]


def _block(key: str, value: Any, indent: str) -> list[str]:
    """``key: value`` in YAML block style, indented."""
    yaml = YAML(typ="safe", pure=True)
    yaml.allow_unicode = True
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]  # as written
    yaml.width = 100
    buf = io.StringIO()
    yaml.dump({key: value}, buf)
    return [indent + line for line in buf.getvalue().splitlines()]


def _category_lines(fit: CategoryFit, grids: list[str], carried: Carried) -> list[str]:
    low, high = fit.value_ci
    shown = "per grid" if fit.form == "rate_per_hour" else "per 1,000 residents"
    lines = [f"    - name: {scalar(fit.name)}"
             + f"   # {fit.count} tickets; {'own' if fit.own_profile else 'pooled'} profile",
             f"      {fit.form}: {number(fit.value)}   # {shown}, 95% CI "
             f"{number(low, 3)} to {number(high, 3)}; grids equal: p = {fit.p_equal:.2g}"
             + (f", in proportion to residents: p = {fit.p_residents:.2g}"
                if fit.p_residents is not None else "")]
    for g, rate in zip(grids, fit.rates, strict=True):
        lines.append(f"      #   {comment(scalar(g))}: {number(rate)} per hour")
    if fit.own_profile:
        lines += _wrapped("hour_of_day", fit.profile.hour, "      ")
        lines.append(f"      day_of_week: {multipliers(fit.profile.day)}")
    kept = dict(carried.keys.get(fit.name, {}))
    theirs = kept.pop("colours", None)  # the scenario's mix, unless the tickets grade
    if fit.colours is not None and sum(fit.colours.counts.values()) > 0:
        mix = ", ".join(f"{c}: {number(s, 6)}" for c, s in fit.colours.shares.items())
        counts = ", ".join(f"{c} {n}" for c, n in fit.colours.counts.items())
        if carried.graded(fit.name):
            lines.append(f"      colours: {{{mix}}}   # counts: {counts}")
        else:  # only a dispute is graded: the mix is kept as a note for a dispute block
            lines.append(f"      # colours, for a dispute block: {{{mix}}}   (counts: {counts})")
    elif theirs is not None:
        lines.append(f"      colours: {flow(theirs)}   # the scenario's: no ticket of this "
                     "category is graded")
    service = fit.service
    note = f"{service.n} times; {service.reason}"
    if service.aic:
        note += "; AIC " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(service.aic.items(),
                                                                   key=lambda kv: kv[1]))
    handled = next((k for k in ("flow", "dispute") if k in kept), None)
    if handled is not None and not service.spec:
        lines.append(f"      # no on-site times in the tickets: none needed by a {handled} "
                     "(it has its own times)")
    elif handled is not None:  # a work order's steps, a dispute's sessions have their times
        lines.append(f"      # on-site time from the tickets, not used by a {handled} (it has "
                     f"its own times): {flow(service.spec)}   ({comment(note)})")
    else:
        lines.append(f"      service: {flow(service.spec)}   # {comment(note)}")
    if kept:
        like = comment(scalar(carried.like[fit.name]))
        lines.append(f"      # handled as the scenario's {like}:")
        for key, value in kept.items():
            lines += _block(key, value, "      ")
    return lines


def event_lines(scan: EventScan, cal: Calibration) -> list[str]:
    """The candidate events as a commented top-level ``events:`` block: the YAML lines
    start with ``# `` (uncommenting them gives a valid ``events:`` section), the
    explanations with ``## `` (still comments once uncommented)."""
    head = (f"Candidate events: dates the hour x weekday model cannot explain (exact "
            f"two-sided tests per date and category, Benjamini-Hochberg at "
            f"{scan.alpha:.0%} over {scan.tests} tests on {scan.dates} dates)")
    if not scan.events:
        return [f"## {head}: none found"]
    out = [f"## {head}.",
           "## To simulate them: uncomment the events below and add a calendar: section "
           "whose run covers their dates (or move the dates into the run).",
           "## Their multipliers are relative to rates fitted without the event dates; "
           "with the events on, set those rates:"]
    named = sorted({c for e in scan.events for c in (e.categories or cal.tickets.categories)},
                   key=cal.tickets.categories.index)
    for fit in cal.categories:
        factor = scan.rate_factor.get(fit.name)
        if fit.name in named and factor is not None:
            out.append(f"##   {comment(scalar(fit.name))}: {fit.form} "
                       f"{number(fit.value * factor)} (written above: {number(fit.value)})")
    out.append("# events:")
    for e in scan.events:
        low, high = e.ratio_ci
        out += [f"#   - name: {scalar(e.name)}", f"#     start: {e.start}", f"#     end: {e.end}",
                f"#     multiplier: {number(e.multiplier, 3)}   # observed / expected "
                f"{e.observed} / {number(e.expected, 4)}, {1 - scan.alpha:.0%} CI "
                f"{number(low, 3)} to {number(high, 3)}, p = {e.p_value:.2g}"]
        if e.categories is not None:
            out.append(f"#     categories: {flow(e.categories)}")
    return out


def demand_yaml(cal: Calibration, scan: EventScan | None = None,
                carried: Carried | None = None) -> str:
    """The YAML text of the calibrated ``demand:`` block, with the candidate events of
    ``scan`` (if given) as a commented ``events:`` block after it; each category keeps
    the scenario keys of ``carried`` (how it is handled: flow, dispute, limit ...)."""
    carried = carried if carried is not None else Carried()
    out = [f"# {line}" for line in provenance(cal)]
    out += [f"# warning: {comment(w)}" for w in cal.warnings]
    for fit in cal.categories:
        out += [f"# warning: {comment(w)}" for w in fit.warnings]
    out += [f"# warning: {comment(w)}" for w in carried.warnings]
    out += ["demand:", "  # hour and weekday multipliers of all categories pooled (mean 1)"]
    out += _wrapped("hour_of_day", cal.pooled.hour, "  ")
    out.append(f"  day_of_week: {multipliers(cal.pooled.day)}   # Monday .. Sunday")
    out.append("  categories:")
    for fit in cal.categories:
        out += _category_lines(fit, cal.tickets.grids, carried)
    if scan is not None:
        out += event_lines(scan, cal)
    return "\n".join(out) + "\n"


def check_demand(text: str, source: str, template: Scenario | None = None,
                 names: list[str] | None = None) -> list[Problem]:
    """Problems of the written block: merged into ``template`` as ``extends`` would
    merge it, or on its own without a template (none expected); with ``names``, the
    category names must read back exactly as given."""
    try:
        data = YAML(typ="safe", pure=True).load(text)
    except YAMLError as exc:
        return [Problem(source, None, "", f"internal error: the YAML written does not load "
                                          f"back ({exc}); please report this")]
    if names is not None:
        read = [c.get("name") for c in data["demand"]["categories"]]
        if read != names:
            return [Problem(source, None, "demand.categories", (
                f"internal error: category names {names!r} read back as {read!r}; "
                "please report this"))]
    if template is None:
        try:
            DemandSpec.model_validate(data["demand"])
        except ValueError as exc:
            return [Problem(source, None, "demand", str(exc))]
        return []
    try:
        apply_overrides(template, {"demand": data["demand"]}, source=source)
    except ScenarioError as exc:
        return exc.problems
    return []
