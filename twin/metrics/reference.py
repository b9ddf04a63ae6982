"""The output references of README.md, generated from the record specs and the KPI catalogue.

``python -m twin.metrics.reference`` prints both; ``python -m twin.metrics.reference
--update README.md`` renews them between their markers (``<!-- records:start -->`` …
``<!-- records:end -->`` and ``<!-- kpis:start -->`` … ``<!-- kpis:end -->``).
The scenario key reference has its own generator, :mod:`twin.scenario.reference`.
"""

from __future__ import annotations

from twin.metrics import catalogue
from twin.records import TABLES

RECORDS = ("<!-- records:start -->", "<!-- records:end -->")
KPIS = ("<!-- kpis:start -->", "<!-- kpis:end -->")


def _row(*cells: str) -> str:
    return "| " + " | ".join(cell.replace("|", "/") for cell in cells) + " |"


TITLED = {"issues": "Issue table", "activity": "Activity table",
          "orders": "Work-order table", "steps": "Step table", "disputes": "Dispute table"}
"""Tables with a section of their own; every other table of ``TABLES`` shares one."""


def records_markdown() -> str:
    """The column reference of every record table (README "Outputs")."""
    lines: list[str] = []
    for table, title in TITLED.items():
        lines += [f"### {title} (`{table}.parquet`)", "",
                  _row("column", "type", "unit", "meaning"), "|---|---|---|---|"]
        lines += [_row(f"`{s.name}`", s.dtype, s.unit, s.meaning) for s in TABLES[table]]
        lines.append("")
    others = [table for table in TABLES if table not in TITLED]
    lines += ["### " + ", ".join(others).capitalize(), "",
              _row("table", "column", "type", "unit", "meaning"), "|---|---|---|---|---|"]
    for table in others:
        lines += [_row(table, f"`{s.name}`", s.dtype, s.unit, s.meaning) for s in TABLES[table]]
    return "\n".join(lines) + "\n"


def kpis_markdown() -> str:
    """The KPI reference (README "KPIs")."""
    return catalogue.reference_markdown()


def _renew(text: str, markers: tuple[str, str], body: str) -> str:
    start, end = markers
    head, found, rest = text.partition(start)
    if not found or end not in rest:
        raise ValueError(f"README has no {start} … {end} markers")
    _, _, tail = rest.partition(end)
    return f"{head}{start}\n{body}{end}{tail}"


def embed(text: str) -> str:
    """``text`` (README) with the record and KPI references renewed."""
    return _renew(_renew(text, RECORDS, records_markdown()), KPIS, kpis_markdown())


if __name__ == "__main__":  # pragma: no cover
    import sys
    from pathlib import Path

    if sys.argv[1:2] == ["--update"]:
        target = Path(sys.argv[2])
        target.write_text(embed(target.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        sys.stdout.write(records_markdown() + "\n" + kpis_markdown())
