"""``twin calibrate`` on hostile input: names that YAML would misread, extreme numbers,
outlying timestamps, an output path that is an input, and a failing write. Every
refusal is exit code 2 with a located message, and nothing is written."""

from __future__ import annotations

import csv
import io
import os
import stat
import tempfile
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import twin
from twin.calibrate.checks import refused_character
from twin.calibrate.rates import exposure
from twin.cli import app

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "stress.yaml"  # the ten grids of the sample tickets
runner = CliRunner()
HEADER = ["timestamp", "category", "grid", "handling_minutes"]


def rows(categories: list[str], grids: list[str] | None = None, days: int = 21
         ) -> list[list[str]]:
    """Three tickets a day from 2024-03-04 (a Monday), cycling through the names."""
    grids = grids or ["north", "south"]
    out = []
    for k in range(3 * days):
        day, hour = divmod(k, 3)
        stamp = np.datetime64("2024-03-04T00:00") + np.timedelta64(day * 24 + 8 + 4 * hour, "h")
        out.append([str(stamp), categories[k % len(categories)], grids[k % len(grids)],
                    f"{10 + k % 7}"])
    return out


def write_csv(path: Path, body: list[list[str]], header: list[str] = HEADER) -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(body)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def calibrate(tickets: Path, out: Path, *extra: str) -> tuple[int, list[str]]:
    res = runner.invoke(app, ["calibrate", str(tickets), "--out", str(out), *extra])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.output
    return res.exit_code, res.stderr.splitlines()


def refused(tickets: Path, *extra: str) -> list[str]:
    """The problems of a refused run, after checking exit code 2 and that nothing
    was written."""
    out = tickets.parent / "demand.yaml"
    code, lines = calibrate(tickets, out, *extra)
    assert code == 2, lines
    assert not out.exists()
    assert [p.name for p in tickets.parent.iterdir() if p.name.startswith(".demand")] == []
    return lines


def categories_read_back(folder: Path, demand: Path) -> list[str]:
    """Category names as twin's scenario loader reads the written file."""
    top = folder / "top.yaml"
    top.write_text(f'extends: ["{BASELINE}", {demand.name}]\n', encoding="utf-8")
    return [c.name for c in twin.load_scenario(top).demand.categories]


# ----------------------------------------------------------------------- names
NASTY = [
    "a: b", "*x", "&y", "!tag", "true", "False", "yes", "No", "on", "null", "~", "123",
    "1e3", "0x1F", ".inf", "x # y", "#x", "x:", "- z", "-", "'q\"", "'single'", '"double"',
    "[x]", "{k: v}", "a,b", "? u", "|", ">", "%p", "@q", "`r", "<<", "---", "...",
    " lead", "trail ", "  both  ", "a  b", "\\n not a break", "网格 事件", "😀",
    "\u200bzero width", "\ufeffbom", "a\u00a0b", "x" * 300,
]


def test_nasty_names_round_trip_exactly(tmp_path: Path) -> None:
    tickets = write_csv(tmp_path / "tickets.csv", rows(NASTY, NASTY[::-1], days=60))
    out = tmp_path / "demand.yaml"
    code, lines = calibrate(tickets, out)
    assert code == 0, lines
    assert categories_read_back(tmp_path, out) == NASTY
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Demand calibrated from reported tickets")
    assert '    - name: "a: b"   # ' in text and "    - name: 网格 事件   # " in text
    assert '      #   "true": ' in text  # grid names in comments are quoted the same way


def _usable(name: str) -> bool:
    return bool(name.strip()) and refused_character(name) is None


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(min_size=1, max_size=12).filter(_usable), min_size=1, max_size=4,
                unique=True))
def test_any_printable_name_round_trips(names: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder)
        tickets = write_csv(path / "tickets.csv", rows(names, names[::-1]))
        out = path / "demand.yaml"
        code, lines = calibrate(tickets, out)
        assert code == 0, lines
        assert categories_read_back(path, out) == names


def test_names_with_control_characters_are_refused(tmp_path: Path) -> None:
    body = rows(["repair"])
    body[1][1] = "line\nbreak"  # a quoted field spanning lines 3 and 4
    body[3][1] = "tab\there"
    body[4][2] = "esc\x1b[31m"
    body[6][1] = "sep\u2028arator"
    tickets = write_csv(tmp_path / "tickets.csv", body)
    assert refused(tickets) == [
        f"{tickets}:3: category: contains the control character U+000A; names may not "
        "contain control characters such as line breaks and tabs (got 'line\\nbreak')",
        f"{tickets}:6: category: contains the control character U+0009; names may not "
        "contain control characters such as line breaks and tabs (got 'tab\\there')",
        f"{tickets}:7: grid: contains the control character U+001B; names may not "
        "contain control characters such as line breaks and tabs (got 'esc\\x1b[31m')",
        f"{tickets}:9: category: contains the control character U+2028 (line separator); "
        "names may not contain control characters such as line breaks and tabs "
        "(got 'sep\\u2028arator')",
        "4 problems found; nothing was run.",
    ]


def test_spaces_around_a_grid_name_count(tmp_path: Path) -> None:
    body = rows(["repair"], ["grid-01"])
    body[2][2] = " grid-02"
    tickets = write_csv(tmp_path / "tickets.csv", body)
    lines = refused(tickets, "--grids-from", str(BASELINE))
    known = ", ".join(f"grid-{i:02d}" for i in range(1, 11))
    assert lines[0] == (f"{tickets}:4: grid: unknown grid ' grid-02'; known grids "
                        f"({BASELINE}): {known} ('grid-02' is one: spaces around a name count)")


def test_names_differing_only_in_spaces_are_kept_apart_with_a_warning(tmp_path: Path
                                                                      ) -> None:
    tickets = write_csv(tmp_path / "tickets.csv", rows(["repair", "repair "]))
    out = tmp_path / "demand.yaml"
    code, lines = calibrate(tickets, out)
    assert code == 0, lines
    assert ("warning: categories 'repair' and 'repair ' differ only in spaces around them "
            "and are kept apart (names are used exactly as written)") in lines
    assert categories_read_back(tmp_path, out) == ["repair", "repair "]


# --------------------------------------------------------------------- numbers
def test_extreme_numbers_are_located_and_grouped(tmp_path: Path) -> None:
    body = rows(["repair"])
    for i, value in enumerate(["1e308", "1e-320", "nan", "inf", "-1e308", "abc"]):
        body[i][3] = value
    for i in range(10, 15):
        body[i][3] = "9e9"
    tickets = write_csv(tmp_path / "tickets.csv", body)
    allowed = "out of range: allowed 0 or 0.01 to 525,600 minutes"
    assert refused(tickets) == [
        f"{tickets}:2: handling_minutes: {allowed} on 9 rows, lines 2-16; "
        "e.g. '1e308' (line 2), '1e-320' (line 3), 'nan' (line 4)",
        f"{tickets}:6: handling_minutes: must be >= 0 (got -1e+308)",
        f"{tickets}:7: handling_minutes: not a number (got 'abc')",
        "3 problems found; nothing was run.",
    ]


def test_extreme_coordinates_are_located(tmp_path: Path) -> None:
    body = [[r[0], r[1], "100", "200", r[3]] for r in rows(["repair"])]
    body[0][2], body[1][3], body[2][2] = "1e308", "-inf", "nan"
    tickets = write_csv(tmp_path / "tickets.csv", body,
                        ["timestamp", "category", "x", "y", "handling_minutes"])
    allowed = "out of range: allowed -100,000,000 to 100,000,000 m"
    assert refused(tickets, "--grids-from", str(BASELINE)) == [
        f"{tickets}:2: x: {allowed} (got '1e308')",
        f"{tickets}:3: y: {allowed} (got '-inf')",
        f"{tickets}:4: x: {allowed} (got 'nan')",
        "3 problems found; nothing was run.",
    ]


# ------------------------------------------------------------------ timestamps
def test_a_window_over_20_years_is_refused_naming_the_rows(tmp_path: Path) -> None:
    body = rows(["repair"])
    body[4][0] = "0001-03-04T08:00"
    body[9][0] = "0001-05-01"
    tickets = write_csv(tmp_path / "tickets.csv", body)
    message = ("timestamp: far from the other tickets (2024-03-04T08:00 to "
               "2024-03-24T16:00); such rows stretch the window to 2,023 years, more than "
               "the 20 years twin calibrates at once: correct the row, or calibrate on the "
               "others with --start 2024-03-04 --end 2024-03-25")
    assert refused(tickets) == [
        f"{tickets}:6: {message} (got '0001-03-04T08:00')",
        f"{tickets}:11: {message} (got '0001-05-01')",
        "2 problems found; nothing was run.",
    ]
    # the suggested window works
    code, lines = calibrate(tickets, tmp_path / "demand.yaml", "--start", "2024-03-04",
                            "--end", "2024-03-25")
    assert code == 0, lines


def test_window_options_over_20_years_are_refused(tmp_path: Path) -> None:
    tickets = write_csv(tmp_path / "tickets.csv", rows(["repair"]))
    assert refused(tickets, "--start", "1990-01-01", "--end", "2024-04-01") == [
        "command line: --end: the window from --start to --end spans 34.2 years, more than "
        "the 20 years twin calibrates at once; narrow it",
        "1 problem found; nothing was run.",
    ]
    assert refused(tickets, "--start", "1990-01-01") == [
        "command line: --start: the window from --start to the last ticket "
        "(2024-03-24T16:00) spans 34.2 years, more than the 20 years twin calibrates at "
        "once; give a later --start, or an --end",
        "1 problem found; nothing was run.",
    ]


def test_an_outlying_timestamp_is_warned_about(tmp_path: Path) -> None:
    body = rows(["repair"])
    body[4][0] = "2019-03-04T08:00"
    tickets = write_csv(tmp_path / "tickets.csv", body)
    out = tmp_path / "demand.yaml"
    code, lines = calibrate(tickets, out)
    assert code == 0, lines
    warning = (
        "the window (1,847.3 days) has long stretches without tickets; its densest part "
        "covers 1.1% of it: 1 ticket lies more than 30 days from the others "
        f"(2024-03-04T08:00 to 2024-03-24T16:00): {tickets}:6 (2019-03-04T08:00); no "
        "tickets from 2019-03-04T08:00 to 2024-03-04T08:00 (1,827.0 days). Rates are "
        "averaged over the whole window, so they come out too low: check these rows, or "
        "calibrate on the dense part with --start 2024-03-04 --end 2024-03-25")
    assert f"warning: {warning}" in lines
    assert f"# warning: {warning}\n" in out.read_text(encoding="utf-8")


def test_an_empty_stretch_of_the_given_window_is_warned_about(tmp_path: Path) -> None:
    tickets = write_csv(tmp_path / "tickets.csv", rows(["repair"]))
    code, lines = calibrate(tickets, tmp_path / "demand.yaml", "--start", "2023-01-01",
                            "--end", "2024-03-25")
    assert code == 0, lines
    assert any(line.startswith("warning: the window (449.0 days) has long stretches "
                               "without tickets; its densest part covers 4.5% of it: no "
                               "tickets from 2023-01-01T00:00 to 2024-03-04T08:00")
               and line.endswith("if the log does not cover all of the window, calibrate on "
                                 "the dense part with --start 2024-03-04 --end 2024-03-25")
               for line in lines), lines


def test_exposure_of_a_long_window_needs_no_per_hour_arrays() -> None:
    tracemalloc.start()
    try:
        table = exposure(-8000 * 8766.0, 480_000.25)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert table.sum() == pytest.approx(8000 * 8766.0 + 480_000.25)
    assert peak < 1_000_000


# ------------------------------------------------------------------ output path
def test_out_may_not_be_the_tickets_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    tickets = write_csv(tmp_path / "tickets.csv", rows(["repair"]))
    before = tickets.read_bytes()
    (tmp_path / "link.csv").symlink_to(tickets)
    os.link(tickets, tmp_path / "hard.csv")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path)
    for spelling in ("tickets.csv", "./tickets.csv", "sub/../tickets.csv", str(tickets),
                     "link.csv", "hard.csv"):
        code, lines = calibrate(Path("tickets.csv"), Path(spelling))
        assert code == 2
        assert lines == [f"command line: --out: {Path(spelling)} is the tickets file; "
                         "choose another file", "1 problem found; nothing was run."]
    assert tickets.read_bytes() == before


def test_out_may_not_be_the_grids_scenario_or_its_base(tmp_path: Path) -> None:
    tickets = write_csv(tmp_path / "tickets.csv", rows(["repair"], ["grid-01"]))
    base = tmp_path / "base.yaml"
    base.write_text(f'extends: "{BASELINE}"\n', encoding="utf-8")
    top = tmp_path / "top.yaml"
    top.write_text("extends: [base.yaml]\nname: mine\n", encoding="utf-8")
    for out, what in ((top, "the --grids-from scenario"),
                      (base, f"a base of the --grids-from scenario (extended by {top})")):
        before = out.read_bytes()
        code, lines = calibrate(tickets, out, "--grids-from", str(top))
        assert code == 2
        assert lines == [f"command line: --out: {out} is {what}; choose another file",
                         "1 problem found; nothing was run."]
        assert out.read_bytes() == before


def test_a_failed_write_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    tickets = write_csv(tmp_path / "tickets.csv", rows(["repair"]))
    out = tmp_path / "demand.yaml"
    out.write_text("old\n", encoding="utf-8")

    def no_space(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", no_space)
    code, lines = calibrate(tickets, out)
    assert code == 2
    assert lines[-2:] == [f"command line: --out: cannot write {out} (No space left on device); "
                          "it is left as it was", "1 problem found; nothing was run."]
    assert out.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demand.yaml", "tickets.csv"]


def test_a_new_file_gets_the_usual_permissions(tmp_path: Path) -> None:
    tickets = write_csv(tmp_path / "tickets.csv", rows(["repair"]))
    out = tmp_path / "demand.yaml"
    code, lines = calibrate(tickets, out)
    assert code == 0, lines
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~mask
