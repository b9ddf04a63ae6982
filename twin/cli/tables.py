"""The KPI tables of the command line: a run's summary, work-order times, the verdict
and the paired comparison, with titles and headers in English or Chinese.

With ``--all`` a table lists every KPI, unless more than the report's
:data:`~twin.report_groups.LISTED` are by grid or unit (a district's tens of thousands):
then it lists the others, and each family by grid or unit gets one line (its min,
median and max over the grids or units, and the worst one) with the files that have
them all."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from rich.markup import escape
from rich.table import Table

from twin import numbers
from twin.cli.common import err_console, out_console
from twin.cli.say import say, unit_name
from twin.compare import with_verdicts
from twin.experiment import RunResult
from twin.metrics.catalogue import headline_kpis, kpi_spec
from twin.metrics.groups import GROUPS, group_families, group_of
from twin.output import COMPARISON_TABLES, KPI_TABLES
from twin.plots.labels import kpi_label, text, unit_label
from twin.report_groups import LISTED, listed_kpis
from twin.report_verdict import differing_settings, setting_unit
from twin.vocab import MINUTES_PER_DAY

HEADLINE = headline_kpis()
"""KPIs the tables show without --all: the KPI catalogue's headline list."""


def fmt(x: Any, kpi: str = "", lang: str = "en") -> str:
    """A number for a table cell, by :mod:`twin.numbers`'s rule (a KPI's share as a
    percentage, its count as an integer)."""
    if isinstance(x, bool):
        return say("yes" if x else "no", lang)
    return numbers.value(x, kpi)


def shown(kpis: Sequence[str], everything: bool) -> list[str]:
    """The KPIs a table shows: every one (but a district's by grid and unit, see
    :func:`print_families`), or the catalogue's headline KPIs in its order."""
    return listed_kpis(kpis) if everything else [k for k in HEADLINE if k in kpis]


def print_families(values: Mapping[str, Mapping[str, float]], files: Sequence[str],
                   lang: str = "en") -> None:
    """One line per family by grid or unit (and per column of ``values``: a scenario's
    label, or "" for a run) of the KPIs ``values`` has but no table listed: how many
    grids or units, the min, median and max of their values and the worst one by the
    catalogue's direction (the highest where lower is better, and so on), then the
    ``files`` that have every one. ``values``: label -> KPI -> its mean or difference."""
    found: dict[tuple[str, str], dict[str, list[tuple[str, str, float]]]] = {}
    count = 0
    for label, kpis in values.items():
        for kpi, value in kpis.items():
            member = group_of(kpi)
            if member is not None:
                found.setdefault((member[0], member[2]), {}).setdefault(label, []).append(
                    (member[1], kpi, float(value)))
                count += 1
    if not count:
        return
    of_diff = any(values)
    table = Table(title=escape(say("families_diff_title" if of_diff else "families_title",
                                   lang, count=count, files=_listing(files, lang))),
                  title_justify="left")
    kpi_columns(table, lang)
    table.add_column(say("unit", lang), no_wrap=True)
    if of_diff:
        table.add_column(say("versus", lang), no_wrap=True)
    for key in ("over", "min", "median", "max", "worst"):
        table.add_column(say(key, lang), justify="left" if key == "worst" else "right")
    for group in GROUPS:
        for base in group_families(group):
            for label, members in found.get((group, base), {}).items():
                table.add_row(*_family_cells(group, base, label, members, lang))
    out_console.print(table)


def _listing(items: Sequence[str], lang: str) -> str:
    """``a, b and c``."""
    *head, last = items
    return say("and", lang).join([say("comma", lang).join(head), last]) if head else last


def _family_cells(group: str, base: str, label: str, members: list[tuple[str, str, float]],
                  lang: str) -> list[str]:
    """A family's row of :func:`print_families`."""
    names, kpis, numbers_ = zip(*members, strict=True)
    spec, kpi = kpi_spec(kpis[0]), kpis[0]
    family = f"{base}[{group.upper()}]"
    cells = ([escape(spec.label[1] if spec is not None else family), escape(family)]
             if lang == "zh" else [escape(family)])
    cells.append(escape(unit(kpi, lang)))
    if label:
        cells.append(escape(label))
    show = numbers.diff if label else numbers.value
    v = np.array(numbers_, dtype=float)
    known = np.flatnonzero(~np.isnan(v))
    cells.append(say(f"over_{group}s" if len(v) != 1 else f"over_{group}", lang, n=len(v)))
    if not len(known):
        return [*cells, *["-"] * 4]
    cells += [show(float(f(v[known])), kpi) for f in (np.min, np.median, np.max)]
    rise_better = spec.better(1.0) if spec is not None else None
    if rise_better is None:
        return [*cells, "-"]
    pick = known[np.argmin(v[known]) if rise_better else np.argmax(v[known])]  # the worst
    return [*cells, f"{escape(names[pick])} ({show(float(v[pick]), kpi)})"]


def unit(kpi: str, lang: str = "en") -> str:
    """The KPI's unit from the catalogue (a share is written as a percentage)."""
    spec = kpi_spec(kpi)
    return unit_name(("%" if spec.share else spec.unit) if spec is not None else "", lang)


def kpi_columns(table: Table, lang: str) -> None:
    """The KPI column(s): its name; in Chinese, the catalogue's Chinese name then its code."""
    table.add_column(say("kpi", lang), no_wrap=True)
    if lang == "zh":
        table.add_column(say("code", lang), no_wrap=True)


def kpi_cells(kpi: str, lang: str) -> list[str]:
    """The KPI cell(s) of a row, matching :func:`kpi_columns`."""
    return [escape(kpi_label(kpi, "zh")), escape(kpi)] if lang == "zh" else [escape(kpi)]


def print_summary(result: RunResult, everything: bool = False, lang: str = "en") -> None:
    """KPI table of one run."""
    table = Table(title=say("summary_title", lang, name=result.scenario.name,
                            n=len(result.replications), seed=result.seed),
                  title_justify="left")
    kpi_columns(table, lang)
    table.add_column(say("unit", lang))
    for key in ("mean", "ci_low", "ci_high"):
        table.add_column(say(key, lang), justify="right")
    kpis = [str(k) for k in result.summary.index]
    listed = shown(kpis, everything)
    for kpi in listed:
        row = result.summary.loc[kpi]
        table.add_row(*kpi_cells(str(kpi), lang), escape(unit(str(kpi), lang)),
                      fmt(row["mean"], kpi), fmt(row["ci_low"], kpi), fmt(row["ci_high"], kpi))
    out_console.print(table)
    if everything and len(listed) < len(kpis):
        left = set(kpis) - set(listed)
        print_families({"": result.summary["mean"][[k in left for k in kpis]].to_dict()},
                       [*KPI_TABLES.values(), "summary.xlsx"], lang)
    if not everything:
        err_console.print(say("headline_note", lang), style="dim", highlight=False,
                          markup=False)


def print_order_times(result: RunResult, per_grid: bool = False, lang: str = "en") -> None:
    """Work orders: mean wait, travel and handling per step and unit, over the orders
    received after the warm-up (nothing when the run has no work orders); ``per_grid``,
    a unit's copy in each grid apart, unless that makes more than ``LISTED`` rows."""
    from twin.metrics.orders import step_times

    steps = getattr(result, "steps", None)
    if steps is None or not len(steps):
        return
    warmup = result.scenario.run.warmup_days * MINUTES_PER_DAY
    rows = step_times(steps, result.orders, warmup, per_grid=per_grid)
    merged = per_grid and len(rows) > LISTED  # a district's grids: too many to print
    if merged:
        rows = step_times(steps, result.orders, warmup)
    if not len(rows):
        return
    table = Table(title=say("orders_title", lang), title_justify="left")
    for key in ("step", "unit", "wait", "travel", "handling", "per_rep"):
        table.add_column(escape(say(key, lang)),
                         justify="left" if key in ("step", "unit") else "right")
    for step, unit_of, *times in rows.itertuples(index=False, name=None):
        shown_step = text(f"step:{step}", lang) if lang == "zh" else str(step)
        table.add_row(escape(shown_step.removeprefix("step:")),
                      escape(unit_label(str(unit_of), lang)), *[fmt(t) for t in times])
    out_console.print(table)
    if merged:
        err_console.print(say("orders_merged", lang, limit=LISTED), style="dim",
                          highlight=False, markup=False)


_STYLE = {"better": "green", "worse": "red", "differs": "blue", "no clear difference": "dim"}
"""Terminal colour of a verdict."""


def print_verdict(table_df: pd.DataFrame, names: list[str], lang: str = "en") -> None:
    """The verdict: each headline KPI of each scenario against the reference, its
    change and % change with their 95% CIs, coloured by the catalogue's direction
    (Holm-adjusted over every headline KPI and scenario)."""
    table_df = with_verdicts(table_df, names[0])
    tested = int(table_df["p_holm"].notna().sum())
    table = Table(title=escape(say("verdict_title", lang, ref=names[0], tests=tested)),
                  title_justify="left")
    kpi_columns(table, lang)
    table.add_column(say("better", lang), no_wrap=True)
    table.add_column(escape(names[0]), justify="right", no_wrap=True)
    for name in names[1:]:
        table.add_column(escape(name), justify="right")
    cells = table_df.set_index(["kpi", "scenario"])
    for kpi in [k for k in HEADLINE if k in set(table_df["kpi"])]:
        spec = kpi_spec(kpi)
        ref = cells.loc[(kpi, names[0]), "mean"] if (kpi, names[0]) in cells.index else None
        row = [*kpi_cells(kpi, lang),
               say(spec.direction, lang) if spec and spec.direction else "-",
               numbers.value(ref, kpi)]
        for name in names[1:]:
            if (kpi, name) not in cells.index:
                row.append("-")
                continue
            r = cells.loc[(kpi, name)]
            verdict = str(r["verdict"] or "")
            ci = numbers.interval(r["diff_ci_low"], r["diff_ci_high"], kpi, of_diff=True)
            word = say(f"verdict:{verdict}", lang) if verdict else ""
            said = (f"{numbers.diff(r['diff'], kpi)} {ci} {numbers.pct(r['pct'])}"
                    + (f" {word}" if word else ""))
            row.append(f"[{_STYLE.get(verdict, 'default')}]{escape(said)}[/]")
        table.add_row(*row)
    out_console.print(table)


def _pm(mean: Any, low: Any, high: Any, kpi: str = "", of_diff: bool = False) -> str:
    """``mean ± half-width`` of a CI, compactly."""
    return numbers.half_width(mean, low, high, kpi, of_diff=of_diff)


def print_settings(runs: Sequence[tuple[str, RunResult]], lang: str = "en") -> None:
    """The listed settings whose values differ between the scenarios, with units."""
    _, differ, values = differing_settings(runs)
    if not differ:
        out_console.print(say("settings_same", lang), highlight=False, soft_wrap=True,
                          markup=False)
        return
    table = Table(title=say("settings_title", lang), title_justify="left")
    table.add_column(say("setting", lang), no_wrap=True)
    table.add_column(say("unit", lang), no_wrap=True)
    for name, _ in runs:
        table.add_column(escape(name), justify="right")
    for key in differ:
        label = say("replications_setting", lang) if key == "replications" else key
        table.add_row(escape(label), escape(setting_unit(key, lang)),
                      *[escape(values[name].get(key, numbers.MISSING)) for name, _ in runs])
    out_console.print(table)


def print_comparison(table_df: pd.DataFrame, names: list[str], everything: bool,
                     lang: str = "en", runs: Sequence[tuple[str, RunResult]] = ()) -> None:
    """The verdict, the settings that differ (given the ``runs``), then the paired
    comparison: each scenario's mean ± 95% CI half-width and its difference to the first
    (``*`` where it is clear after the Holm adjustment, ``(*)`` where its CI excludes
    zero before adjustment only)."""
    print_verdict(table_df, names, lang)
    if runs:
        print_settings(runs, lang)
    table_df = with_verdicts(table_df, names[0])
    letters = [chr(ord("A") + i) for i in range(len(names))]
    for letter, name in zip(letters, names, strict=True):
        out_console.print(say("letter", lang, letter=letter, name=name)
                          + (say("reference", lang) if letter == "A" else ""),
                          highlight=False, soft_wrap=True, markup=False)
    table = Table(title=say("comparison_title", lang), title_justify="left")
    kpi_columns(table, lang)
    table.add_column(say("unit", lang), no_wrap=True)
    for letter in letters:
        table.add_column(letter, justify="right", no_wrap=True)
    for letter in letters[1:]:
        table.add_column(f"{letter} − A", justify="right", no_wrap=True)
    kpis = [str(k) for k in dict.fromkeys(table_df["kpi"])]
    listed = shown(kpis, everything)
    for kpi in listed:
        rows = table_df[table_df["kpi"] == kpi].set_index("scenario")
        cells = [_pm(rows.loc[n, "mean"], rows.loc[n, "ci_low"], rows.loc[n, "ci_high"], kpi)
                 if n in rows.index else "-" for n in names]
        diffs = []
        for n in names[1:]:
            if n not in rows.index:
                diffs.append("-")
                continue
            r = rows.loc[n]
            holm = r.get("significant_holm")
            star = ("  *" if holm is True or holm == 1.0 else " (*)" if r["significant"]
                    else "   ")
            diffs.append(_pm(r["diff"], r["diff_ci_low"], r["diff_ci_high"], kpi, True) + star)
        table.add_row(*kpi_cells(kpi, lang), escape(unit(kpi, lang)), *cells, *diffs)
    out_console.print(table)
    if everything and len(listed) < len(kpis):
        left = table_df[~table_df["kpi"].isin(listed)]
        print_families({f"{letter} − A": dict(zip(rows["kpi"], rows["diff"], strict=True))
                        for letter, name in zip(letters[1:], names[1:], strict=True)
                        for rows in [left[left["scenario"] == name]]},
                       [*COMPARISON_TABLES.values(), "comparison.xlsx"], lang)
