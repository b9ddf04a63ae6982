"""The rows of a tickets file as text, whatever form the office exported it in.

- CSV in UTF-8 (with or without a byte-order mark) or GBK/GB18030 (what
  Chinese Excel and many case systems write): UTF-8 is tried first, then
  GB18030, a superset of GBK; a file that is neither is refused with a clear
  message. Which one was read is reported.
- ``.xlsx`` workbooks (read-only, the first sheet unless one is named): cell
  values become text (a date cell its ISO 8601 time, a number its shortest
  form), so that every check reads the same thing as for a CSV.

Column names are matched to twin's own (``timestamp``, ``category`` ...)
through ``COLUMN_NAMES``, which also accepts the usual Chinese headers
(时间, 类别, 网格, 处理时长 ...); letter case, spaces and a unit in brackets
(``处理时长（分钟）``) do not matter.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twin.scenario import Problem

COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "timestamp": ("timestamp", "time", "datetime", "reported_at", "时间", "上报时间",
                  "报告时间", "发生时间", "受理时间", "登记时间", "立案时间", "日期时间"),
    "category": ("category", "类别", "类型", "事件类别", "事件类型", "问题类别", "案件类别",
                 "案件类型"),
    "grid": ("grid", "网格", "所属网格", "网格名称"),
    "node": ("node", "节点"),
    "x": ("x", "x坐标", "横坐标"),
    "y": ("y", "y坐标", "纵坐标"),
    "colour": ("colour", "color", "颜色", "等级", "风险等级"),
    "handling_minutes": ("handling_minutes", "处理时长", "处置时长", "处理用时"),
}
"""twin's column name and the headers accepted for it (see docs/calibration.md)."""

_UNIT = re.compile(r"\s*[（(][^)）]*[)）]\s*$")  # 处理时长（分钟） -> 处理时长
_LOOKUP = {alias.casefold(): column for column, aliases in COLUMN_NAMES.items()
           for alias in aliases}

REQUIRED = "timestamp, category and one of grid, node or x and y"
"""The columns a tickets file needs (any accepted name of each)."""

Row = tuple[int, dict[str, str]]
"""A line (or sheet row) number and the row's values by twin's column names."""


class SourceError(ValueError):
    """The file cannot be read at all: every problem with it."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class Source:
    """The rows of a tickets file and how they were read."""

    rows: list[Row]
    """Non-empty rows after the header."""
    header: list[str]
    """twin's names of the columns found (unknown headers as written)."""
    labels: dict[str, str] = field(default_factory=dict)
    """The header as written, for each of twin's columns named otherwise."""
    encoding: str = "UTF-8"
    """How the file was read: ``UTF-8``, ``UTF-8 with BOM``, ``GB18030`` or ``xlsx ...``."""


def column_of(header: str) -> str | None:
    """twin's column for a header as written (None: not one of twin's)."""
    text = header.strip()
    return _LOOKUP.get(text.casefold()) or _LOOKUP.get(_UNIT.sub("", text).casefold())


def read_source(path: Path, source: str, sheet: str | None = None) -> Source:
    """The rows of a CSV or ``.xlsx`` tickets file.

    Raises
    ------
    SourceError
        The file is missing, in no encoding twin reads, malformed, empty, or
        two of its columns mean the same thing.
    """
    if not path.is_file():
        raise SourceError([Problem(source, None, "", "file not found")])
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        written, rows, encoding = _xlsx(path, source, sheet)
    else:
        if sheet is not None:
            raise SourceError([Problem("command line", None, "--sheet", (
                f"only an .xlsx workbook has sheets; {source} is read as CSV"))])
        written, rows, encoding = _csv(path, source)
    header, labels, problems = _columns(written, source)
    if problems:
        raise SourceError(problems)
    named = [(line, dict(zip(header, values, strict=False))) for line, values in rows]
    return Source(named, header, labels, encoding)


def _columns(written: list[str], source: str
             ) -> tuple[list[str], dict[str, str], list[Problem]]:
    header: list[str] = []
    labels: dict[str, str] = {}
    problems: list[Problem] = []
    for text in written:
        column = column_of(text)
        if column is None:
            header.append(text.strip())
            continue
        if column in labels or column in header:
            first = labels.get(column, column)
            problems.append(Problem(source, 1, column, (
                f"two columns mean {column}: {first!r} and {text.strip()!r}; "
                "keep one, or rename the other")))
        header.append(column)
        if text.strip() != column:
            labels.setdefault(column, text.strip())
    return header, labels, problems


def _decode(data: bytes, source: str) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read in."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceError([Problem(source, None, "", (
            "the file is UTF-16 (Excel's 'Unicode text'); save it as 'CSV UTF-8' or .xlsx"))])
    try:
        text = data.decode("utf-8-sig")
        return text, "UTF-8 with BOM" if data.startswith(b"\xef\xbb\xbf") else "UTF-8"
    except UnicodeDecodeError as utf8:
        bad = utf8.start
    try:
        return data.decode("gb18030"), "GB18030 (GBK)"
    except UnicodeDecodeError:
        line = data.count(b"\n", 0, bad) + 1
        raise SourceError([Problem(source, line, "", (
            f"the file is neither UTF-8 nor GBK/GB18030 (byte 0x{data[bad]:02X} at line "
            f"{line}); save it as 'CSV UTF-8' or .xlsx"))]) from None


def _csv(path: Path, source: str) -> tuple[list[str], list[tuple[int, list[str]]], str]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError([Problem(source, None, "", f"cannot read file ({exc})")]) from None
    text, encoding = _decode(data, source)
    reader = csv.reader(io.StringIO(text, newline=""))  # line breaks: \n, \r\n, \r only
    try:
        header = next(reader)
    except StopIteration:
        raise SourceError([_empty(source)]) from None
    rows = []
    line = reader.line_num + 1
    try:
        for values in reader:
            if any(v.strip() for v in values):
                rows.append((line, values))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise SourceError([Problem(source, line, "", f"malformed CSV ({exc})")]) from None
    return header, rows, encoding


def _empty(source: str) -> Problem:
    return Problem(source, 1, "", f"the file is empty; required columns: {REQUIRED}")


def _xlsx(path: Path, source: str, sheet: str | None
          ) -> tuple[list[str], list[tuple[int, list[str]]], str]:
    from openpyxl import load_workbook  # imported here: only workbooks need it

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 -- openpyxl raises many kinds for a bad file
        raise SourceError([Problem(source, None, "", (
            f"cannot read the workbook ({type(exc).__name__}: {exc})"))]) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise SourceError([Problem("command line", None, "--sheet", (
                f"no sheet {sheet!r} in {source}; its sheets: "
                + ", ".join(book.sheetnames)))])
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        cells = ws.iter_rows(values_only=True)
        header = next(cells, None)
        if header is None:
            raise SourceError([_empty(source)])
        rows = []
        for line, values in enumerate(cells, start=2):
            text = [cell_text(v) for v in values]
            if any(t.strip() for t in text):
                rows.append((line, text))
        return [cell_text(h) for h in header], rows, f"xlsx, sheet {ws.title!r}"
    finally:
        book.close()


def cell_text(value: Any) -> str:
    """A workbook cell as the text a CSV would hold.

    >>> cell_text(dt.datetime(2024, 3, 4, 8, 5)), cell_text(12.0), cell_text(None)
    ('2024-03-04T08:05:00', '12', '')
    """
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
