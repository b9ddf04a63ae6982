"""Write a run's result folder, atomically.

The folder is written under a temporary name beside the target and renamed at
the end, so a crash never leaves a half-written result; :mod:`twin.outdir` has
the rules on what may be replaced.

Contents: one Parquet file per record table (``issues.parquet``,
``activity.parquet``, ...), ``kpis.csv`` (one row per replication, the KPIs not
broken down by grid or unit), ``kpis_by_grid.csv`` and ``kpis_by_unit.csv`` (one row per
replication and grid or unit, one column per family: :mod:`twin.metrics.groups`),
``summary.json`` (every KPI: mean, ci_low, ci_high, n), the same as ``summary.xlsx``
(:mod:`twin.xlsx`: the district's KPIs, then a sheet per grid and per unit),
``scenario.resolved.yaml``, ``manifest.json`` and, when asked for, ``report.html``
with ``plots/`` (:mod:`twin.report`).

A compare folder's tables have the same shape (:func:`write_comparison`):
``comparison.csv`` has the KPIs of ``kpis.csv``, ``comparison_by_grid.csv`` and
``comparison_by_unit.csv`` the others, and ``comparison.xlsx`` a sheet for each.
"""

from __future__ import annotations

import json
import math
import platform
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from twin.experiment import RunResult
from twin.metrics.groups import comparison_groups, grids_of, group_tables, plain_kpis
from twin.outdir import atomic_write, write_folder
from twin.plots.labels import check_lang
from twin.records import TABLES
from twin.report import write_report_folder
from twin.scenario.loader import dump_scenario
from twin.version import twin_version
from twin.xlsx import comparison_book, summary_xlsx

if TYPE_CHECKING:
    import pandas as pd

    from twin.executors import WorkerPool
    from twin.geography import MapCache

__all__ = ["COMPARISON_TABLES", "KPI_TABLES", "REPORT", "git_revision", "manifest",
           "summary_dict", "twin_version", "write_comparison", "write_results"]

REPORT = "report.html"
"""The report's file name inside a result folder."""
KPI_TABLES = {"grid": "kpis_by_grid.csv", "unit": "kpis_by_unit.csv"}
"""The KPIs broken down by grid and by unit (:mod:`twin.metrics.groups`), by group."""
COMPARISON_TABLES = {"grid": "comparison_by_grid.csv", "unit": "comparison_by_unit.csv"}
"""Their paired comparisons (:func:`twin.metrics.groups.comparison_groups`), by group."""


def git_revision(where: Path) -> str | None:
    """Git commit of the folder holding the scenario, if it is in a repository."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def manifest(runs: Mapping[str, RunResult], kind: str = "run",
             sources: Sequence[str | None] = (), overrides: Sequence[str] = (),
             folders: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Provenance of a result folder: versions, seeds, overrides, failures.

    The one manifest builder, for every command. A ``run`` folder holds one run,
    described at the top level; a ``compare`` or ``sweep`` folder lists its runs
    under ``runs`` (each with its sub-folder, from ``folders``, if it has one).

    Parameters
    ----------
    runs
        The folder's runs by name (exactly one for ``kind="run"``).
    kind
        ``"run"``, ``"compare"`` or ``"sweep"``.
    sources
        The scenario files, in the order of ``runs`` for a compare.
    overrides
        Everything that changed the scenarios on the command line (provenance
        only: they are already applied).
    folders
        Run name -> its folder inside this one.
    """
    import numpy
    import pandas
    import simpy

    first = next((s for s in sources if s), None)
    where = Path(first).resolve().parent if first else Path.cwd()
    body: dict[str, Any] = {
        "twin_version": twin_version(),
        "kind": kind,
        "status": "complete",
        "python": platform.python_version(),
        "packages": {"simpy": simpy.__version__, "numpy": numpy.__version__,
                     "pandas": pandas.__version__},
    }
    if kind == "run":
        if len(runs) != 1:
            raise ValueError(f"a run folder holds one run (got {len(runs)})")
        (result,) = runs.values()
        body.update(scenario_file=sources[0] if sources else None,
                    scenario_name=result.scenario.name, overrides=list(overrides),
                    **_run_entry(result))
    else:
        body.update(scenario_files=list(sources), overrides=list(overrides),
                    runs={name: {**_run_entry(run),
                                 **({"folder": folders[name]} if folders else {})}
                          for name, run in runs.items()})
    body.update(stream_seeding=STREAM_SEEDING, git_revision=git_revision(where))
    return body


STREAM_SEEDING = "SeedSequence([root_seed, replication, *sha256(stream name)[:8]])"
"""How a replication's random streams are seeded, as the manifest says it."""


def _run_entry(result: RunResult) -> dict[str, Any]:
    """What the manifest says about one run."""
    return {"root_seed": result.seed,
            "replications": list(result.replications),
            "runtime_seconds": round(result.runtime, 3),
            "failed_replications": {str(k): v for k, v in result.errors.items()},
            "notes": result.notes}


def summary_dict(result: RunResult) -> dict[str, dict[str, float | int | None]]:
    """The summary table as plain JSON-ready data (NaN -> null)."""
    def clean(x: Any) -> Any:
        if isinstance(x, float) and math.isnan(x):
            return None
        return x

    return {str(kpi): {col: clean(row[col]) if col != "n" else int(row[col])
                  for col in ("mean", "ci_low", "ci_high", "n")}
            for kpi, row in result.summary.iterrows()}


def write_results(result: RunResult, out: str | Path, source: str | None = None,
                  overrides: list[str] | None = None, force: bool = False, *,
                  lang: str = "en", report: bool = False,
                  maps: MapCache | None = None, pool: WorkerPool | None = None) -> Path:
    """Write the result folder ``out`` and return its path.

    ``out`` may be absent, empty or an earlier result (replaced once the new one
    is complete); any other folder raises :class:`twin.outdir.OutputRefused`
    unless ``force``, which writes twin's files into it and deletes nothing else.

    Parameters
    ----------
    result
        The run to write (with at least one finished replication for a report).
    source, overrides
        The scenario file and the overrides applied to it, for the manifest.
    lang
        Language of ``summary.xlsx`` and the report: ``"en"`` or ``"zh"``.
    report
        Also write ``report.html`` and ``plots/``, as ``twin run`` does, inside the
        same folder (so it too is complete or absent). Its path is ``out / REPORT``.
    maps
        The map cache the run used, so the report's map is not built again.
    pool
        Worker processes to render the report's figures on.
    """
    def fill(tmp: Path) -> None:
        for name in TABLES:
            getattr(result, name).to_parquet(tmp / f"{name}.parquet", index=False)
        result.kpis[plain_kpis(result.kpis.columns)].to_csv(tmp / "kpis.csv", index=False)
        grids = grids_of(result.issues)
        for group, table in group_tables(result.kpis, grids).items():
            table.to_csv(tmp / KPI_TABLES[group], index=False)
        (tmp / "summary.json").write_text(json.dumps(summary_dict(result), indent=2) + "\n")
        (tmp / "summary.xlsx").write_bytes(summary_xlsx(result.summary, lang, grids))
        (tmp / "scenario.resolved.yaml").write_text(dump_scenario(result.scenario))
        (tmp / "manifest.json").write_text(json.dumps(
            manifest({result.scenario.name: result}, "run", [source], overrides or []),
            indent=2) + "\n")
        if report:
            write_report_folder(tmp, {result.scenario.name: result}, lang=lang, maps=maps,
                                pool=pool)

    check_lang(lang)  # before anything is written
    return write_folder(Path(out), fill, force)


def write_comparison(target: str | Path, table: pd.DataFrame,
                     runs: Mapping[str, RunResult] | None = None, lang: str = "en") -> None:
    """Write a compare folder's tables into ``target``, each atomically: the comparison
    ``table`` (:data:`twin.metrics.groups.COMPARISON_COLUMNS`) split as a run's KPIs are
    (:func:`twin.metrics.groups.comparison_groups`) into ``comparison.csv`` (the KPIs
    of ``kpis.csv``) and ``comparison_by_grid.csv`` and ``comparison_by_unit.csv`` (one
    row per family, grid or unit, and scenario), and all three as sheets of
    ``comparison.xlsx`` in ``lang``. The ``runs`` compared give the grid names that
    place the units in their grids."""
    check_lang(lang)  # before anything is written
    folder = Path(target)
    names: set[str] = set()
    for run in (runs or {}).values():
        names.update(grids_of(run.issues) or ())
    grids = names or None
    plain, groups = comparison_groups(table, grids)
    atomic_write(folder / "comparison.csv", plain.to_csv(index=False))
    for group, long in groups.items():
        atomic_write(folder / COMPARISON_TABLES[group], long.to_csv(index=False))
    atomic_write(folder / "comparison.xlsx", comparison_book(plain, groups, lang))
