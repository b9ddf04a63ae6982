"""``twin calibrate`` on an office's own export: one known table of tickets written as
a UTF-8 CSV, a GBK CSV with Chinese headers, a CSV with a byte-order mark, a CSV with
slash dates and an ``.xlsx`` workbook (date cells and Excel date numbers) gives the
same fit; repeated mistakes are one line; declared gaps are not zero demand; and the
hour x weekday test still tests when a weekday has no tickets.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import numpy as np
import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from twin.calibrate import Calibration, find_events, fit_demand, read_tickets
from twin.calibrate.gaps import parse_gaps
from twin.calibrate.rates import exposure, hour_fit_test
from twin.calibrate.window import TIME_FORMS
from twin.cli import app

runner = CliRunner()
START = dt.datetime(2024, 3, 4)  # a Monday
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
GRIDS = ["一网格", "二网格"]
CATEGORIES = {"维修": 1.2, "环卫": 0.8}  # rate per hour and grid, over the week
HOURS = np.where((np.arange(24) >= 8) & (np.arange(24) < 20), 1.6, 0.4)


def table(weeks: int = 3, weekend: bool = True, skip: tuple[int, int] | None = None,
          seed: int = 7) -> list[tuple[dt.datetime, str, str, int]]:
    """Tickets (time to the minute, category, grid, on-site minutes) from known rates;
    none on weekends unless ``weekend``, none on the days in ``skip`` (first, last)."""
    rng = np.random.default_rng(seed)
    slots = np.arange(weeks * 168)
    shape = HOURS[slots % 24] / HOURS.mean()
    day = slots // 24
    open_ = np.ones(len(slots), bool)
    if not weekend:
        open_ &= day % 7 < 5
    if skip is not None:
        open_ &= (day < skip[0]) | (day > skip[1])
    rows = []
    for cat, rate in CATEGORIES.items():
        for grid in GRIDS:
            counts = rng.poisson(rate * shape * open_)
            minutes = rng.integers(0, 60, counts.sum())
            for slot, minute in zip(np.repeat(slots, counts), minutes, strict=True):
                stamp = START + dt.timedelta(hours=int(slot), minutes=int(minute))
                rows.append((stamp, cat, grid, int(rng.integers(5, 90))))
    return sorted(rows)


def csv_text(rows: list[tuple[dt.datetime, str, str, int]], header: list[str],
             stamp: object = dt.datetime.isoformat) -> str:
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\r\n")
    out.writerow(header)
    out.writerows([stamp(t), c, g, m] for t, c, g, m in rows)  # type: ignore[operator]
    return buf.getvalue()


def slash(t: dt.datetime) -> str:
    return f"{t.year}/{t.month}/{t.day} {t.hour}:{t.minute:02d}"


def serial(t: dt.datetime) -> float:
    return (t - EXCEL_EPOCH) / dt.timedelta(days=1)


ENGLISH = ["timestamp", "category", "grid", "handling_minutes"]
CHINESE = ["上报时间", "类别", "网格", "处理时长（分钟）"]


def write_all(folder: Path, rows: list[tuple[dt.datetime, str, str, int]]) -> dict[str, Path]:
    files = {name: folder / name for name in
             ("utf8.csv", "gbk.csv", "bom.csv", "slash.csv", "book.xlsx")}
    files["utf8.csv"].write_text(csv_text(rows, ENGLISH), encoding="utf-8", newline="")
    files["gbk.csv"].write_bytes(csv_text(rows, CHINESE, slash).encode("gbk"))
    files["bom.csv"].write_text(csv_text(rows, CHINESE), encoding="utf-8-sig", newline="")
    files["slash.csv"].write_text(csv_text(rows, ENGLISH, slash), encoding="utf-8",
                                  newline="")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "工单"
    sheet.append(["编号", *CHINESE, "地址"])
    for i, (t, c, g, m) in enumerate(rows):  # every other time as an Excel date number
        sheet.append([i, t if i % 2 else serial(t), c, g, m, "某路 1 号"])
    book.save(files["book.xlsx"])
    return files


def fit(path: Path, **options: object) -> Calibration:
    return fit_demand(read_tickets(path, **options), min_count=200)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_all(tmp_path_factory.mktemp("formats"), table())


@pytest.mark.parametrize("name, encoding", [
    ("gbk.csv", "GB18030 (GBK)"), ("bom.csv", "UTF-8 with BOM"), ("slash.csv", "UTF-8"),
    ("book.xlsx", "xlsx, sheet '工单'")])
def test_every_format_gives_the_same_fit(files: dict[str, Path], name: str,
                                         encoding: str) -> None:
    reference = fit(files["utf8.csv"])
    other = fit(files[name])
    assert other.tickets.encoding == encoding
    assert other.tickets.categories == reference.tickets.categories == list(CATEGORIES)
    assert other.tickets.grids == reference.tickets.grids
    np.testing.assert_array_equal(other.tickets.hours, reference.tickets.hours)
    for mine, ref in zip(other.categories, reference.categories, strict=True):
        assert mine.count == ref.count
        np.testing.assert_allclose(mine.rates, ref.rates, rtol=1e-12)
        np.testing.assert_allclose(mine.profile.hour, ref.profile.hour, rtol=1e-9)
        assert mine.service.spec == ref.service.spec


def test_the_fit_recovers_the_table(files: dict[str, Path]) -> None:
    cal = fit(files["gbk.csv"])
    for cat in cal.categories:
        low, high = cat.value_ci
        assert low <= CATEGORIES[cat.name] <= high


def test_the_summary_says_how_the_file_was_read(files: dict[str, Path],
                                                tmp_path: Path) -> None:
    res = runner.invoke(app, ["calibrate", str(files["gbk.csv"]), "--out",
                              str(tmp_path / "d.yaml")])
    assert res.exit_code == 0, res.output
    assert f"{files['gbk.csv']} (read as GB18030 (GBK)): " in " ".join(res.stdout.split())
    assert "read as GB18030 (GBK)" in (tmp_path / "d.yaml").read_text(encoding="utf-8")


def test_a_named_sheet(files: dict[str, Path], tmp_path: Path) -> None:
    assert fit(files["book.xlsx"], sheet="工单").tickets.encoding == "xlsx, sheet '工单'"
    res = runner.invoke(app, ["calibrate", str(files["book.xlsx"]), "--out",
                              str(tmp_path / "d.yaml"), "--sheet", "Sheet9"])
    assert res.exit_code == 2
    assert res.stderr.splitlines()[0] == (
        f"command line: --sheet: no sheet 'Sheet9' in {files['book.xlsx']}; its sheets: 工单")


# ------------------------------------------------------------------ mistakes
def refused(path: Path, *extra: str) -> list[str]:
    out = path.parent / "demand.yaml"
    res = runner.invoke(app, ["calibrate", str(path), "--out", str(out), *extra])
    assert res.exit_code == 2, res.output
    assert not out.exists()
    return res.stderr.splitlines()


def test_a_file_in_no_known_encoding(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("timestamp,category,grid\n2024-03-04T08:00,café ,a\n".encode("latin-1"))
    assert refused(path) == [
        f"{path}:2: (top level): the file is neither UTF-8 nor GBK/GB18030 (byte 0xE9 at "
        "line 2); save it as 'CSV UTF-8' or .xlsx",
        "1 problem found; nothing was run."]


def test_a_repeated_mistake_is_one_line(tmp_path: Path) -> None:
    rows = table(weeks=1)
    path = tmp_path / "t.csv"
    text = csv_text(rows, ENGLISH, lambda t: f"{t:%d.%m.%Y %H:%M}")  # day first: refused
    path.write_text(text.replace(",一网格,", ",东区,", 5), encoding="utf-8")
    n = len(rows)
    first = [f"{t:%d.%m.%Y %H:%M}" for t, *_ in rows[:3]]
    lines = refused(path)
    assert lines == [
        f"{path}:2: timestamp: not a time; {TIME_FORMS} on {n:,} rows, lines 2-{n + 1}; "
        f"e.g. '{first[0]}' (line 2), '{first[1]}' (line 3), '{first[2]}' (line 4)",
        "1 problem found; nothing was run."]
    assert len(lines) == 2


def test_unknown_names_are_grouped_whatever_the_name(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("timestamp,grid,category,colour,handling_minutes\n" + "".join(
        f"2024-03-04T0{i}:00,g,c,{colour},5\n"
        for i, colour in enumerate(["blue", "pink", "grey", "teal", "绿"])), encoding="utf-8")
    assert refused(path) == [
        f"{path}:2: colour: unknown colour '…'; allowed: green, yellow, red (or 绿, 黄, 红), "
        "none or empty (not graded) on 4 rows, lines 2-5; e.g. 'blue' (line 2), "
        "'pink' (line 3), 'grey' (line 4)",
        "1 problem found; nothing was run."]


def test_chinese_headers_are_named_as_written(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("时间,类别,网格,处理时长\n2024-03-04 08:00,维修,一,abc\n"
                    "2024-03-05 08:00,维修,一,5\n", encoding="utf-8")
    assert refused(path)[0] == (f"{path}:2: 处理时长 (handling_minutes): not a number "
                                "(got 'abc')")
    path.write_text("时间,timestamp,类别,网格\n", encoding="utf-8")
    assert refused(path)[0] == (f"{path}:1: timestamp: two columns mean timestamp: '时间' "
                                "and 'timestamp'; keep one, or rename the other")


def test_bad_gaps_and_tickets_inside_gaps(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(csv_text(table(weeks=1), ENGLISH), encoding="utf-8")
    assert refused(path, "--gaps", "2024-03-10..2024-03-09", "--gaps", "sat,someday") == [
        "command line: --gaps: ends before it starts (2024-03-10T00:00 to 2024-03-10T00:00); "
        "allowed: a date range 2024-03-09..2024-03-10 (both days included), a date, a time "
        "range 2024-03-09T12:00..2024-03-09T18:00, or weekdays such as sat,sun "
        "(got '2024-03-10..2024-03-09')",
        "command line: --gaps: not a time: 'someday'; allowed: a date range "
        "2024-03-09..2024-03-10 (both days included), a date, a time range "
        "2024-03-09T12:00..2024-03-09T18:00, or weekdays such as sat,sun (got 'someday')",
        "2 problems found; nothing was run."]
    lines = refused(path, "--gaps", "2024-03-05")
    assert lines[0].startswith(f"{path}:")
    assert (": timestamp: inside the declared gaps (2024-03-05): a gap is a time the log has "
            "no records for; correct the row or --gaps on ") in lines[0]
    assert len(lines) == 2


# ---------------------------------------------------------------------- gaps
def test_weekdays_without_records_are_not_zero_demand(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(csv_text(table(weeks=4, weekend=False), ENGLISH), encoding="utf-8")
    gaps, problems = parse_gaps(["sat,周日"])
    assert problems == []
    window = {"start": _h("2024-03-04"), "end": _h("2024-04-01")}  # whole weeks
    cal = fit(path, gaps=gaps, **window)
    weekday_hours = exposure(cal.tickets.start, cal.tickets.end)[:5].sum()
    assert weekday_hours == 4 * 5 * 24
    for cat in cal.categories:
        # the rate is that of the days with records; weekends get multiplier 1
        assert cat.profile.day[5:].tolist() == [1.0, 1.0]
        np.testing.assert_allclose(cat.hours, weekday_hours, rtol=1e-9)
        low, high = cat.value_ci
        assert low <= CATEGORIES[cat.name] <= high
    assert any("the window covers 5 of 7 weekdays and 24 of 24 clock hours (declared gaps: "
               "sat, 周日)" in w for w in cal.warnings)
    scan = find_events(cal)
    assert scan.dates == 20  # four weeks of weekdays
    # read as zero demand, the weekends pull every rate down by 2/7
    plain = fit(path, **window)
    np.testing.assert_allclose(plain.categories[0].rates, cal.categories[0].rates * 5 / 7)


def test_days_without_records_declared_as_a_gap(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(csv_text(table(weeks=6, skip=(15, 16)), ENGLISH), encoding="utf-8")
    window = {"start": _h("2024-03-04"), "end": _h("2024-04-15")}
    plain = fit(path, **window)
    assert [(str(e.start), str(e.end), e.direction, e.observed)
            for e in find_events(plain).events] == [("2024-03-19", "2024-03-20", "dip", 0)]
    gaps, _ = parse_gaps(["2024-03-19..2024-03-20"])
    cal = fit(path, gaps=gaps, **window)
    assert cal.exposure.sum() == pytest.approx(6 * 168 - 48)
    assert cal.exposure[1:3].sum() == pytest.approx(2 * (6 - 1) * 24)  # Tue, Wed
    for cat, before in zip(cal.categories, plain.categories, strict=True):
        assert cat.count == before.count
        assert cat.hours == pytest.approx(cat.profile.day @ cal.exposure @ cat.profile.hour)
        assert cat.hours < before.hours - 40
    scan = find_events(cal)
    assert scan.dates == 40
    assert scan.events == []


def _h(text: str) -> float:
    from twin.calibrate import parse_time

    value = parse_time(text)
    assert value is not None
    return value


# -------------------------------------------------------- goodness of fit
def test_hour_by_weekday_is_tested_without_weekend_tickets(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(csv_text(table(weeks=4, weekend=False), ENGLISH), encoding="utf-8")
    cal = fit(path)
    for cat in cal.categories:
        test = cat.hour_by_day
        assert test.rows_left_out == 2
        assert test.bins > 1
        assert test.df == 4 * (test.bins - 1)  # five weekdays, own hour and day profile
        assert 0.0 < test.p_value <= 1.0


def test_a_row_without_expected_tickets_leaves_the_bins_alone() -> None:
    rng = np.random.default_rng(3)
    expected = np.full((3, 24), 4.0)
    observed = rng.poisson(expected).astype(float)
    alone = hour_fit_test(observed, expected, fitted_hours=False, fitted_rows=False)
    with_empty = hour_fit_test(np.vstack([observed, np.zeros(24)]),
                               np.vstack([expected, np.zeros(24)]), False, False)
    assert (with_empty.statistic, with_empty.df, with_empty.bins) == (
        alone.statistic, alone.df, alone.bins)
    assert alone.bins == 12 and with_empty.rows_left_out == 1
