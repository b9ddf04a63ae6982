"""Hostile or careless scenario files: each class gives exit 2 and a located message,
never a traceback, a hang or an executed tag."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

import twin
from twin import ScenarioError
from twin.cli import app
from twin.scenario import limits as lim

ROOT = Path(__file__).resolve().parents[1]
MMC = ROOT / "scenarios" / "validation" / "mmc.yaml"
runner = CliRunner()


def write(folder: Path, body: str | bytes, name: str = "s.yaml") -> Path:
    path = folder / name
    head = f"extends: {MMC}\n"
    if isinstance(body, bytes):
        path.write_bytes(head.encode() + body)
    else:
        path.write_text(head + body, encoding="utf-8")
    return path


def messages(path: Path, overrides: dict[str, object] | None = None) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        twin.load_scenario(path, overrides or {})
    return [str(p) for p in caught.value.problems]


def validate(path: Path) -> tuple[int, str]:
    res = runner.invoke(app, ["validate", str(path)])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert "Traceback" not in res.output
    return res.exit_code, res.output


@pytest.mark.parametrize(("body", "line", "key", "char"), [
    (b"name: \"a\x07b\"\n", 2, "", "U+0007"),   # raw BEL in the file
    (b"name: a\x00b\n", 2, "", "U+0000"),       # raw NUL
    (b"name: \"a\\eb\"\n", 2, "name", "U+001B"),  # escaped ESC in a value
])
def test_control_characters(tmp_path: Path, body: bytes, line: int, key: str,
                            char: str) -> None:
    path = write(tmp_path, body)
    found = messages(path)
    if key:
        assert found == [f"{path}:{line}: {key}: the control character {char} is not allowed "
                         "in a value; allowed: printable text, tabs and newlines"]
    else:
        assert found == [f"{path}:{line}: (top level): the control character {char} is not "
                         "allowed in a scenario file"]
    assert validate(path)[0] == 2


def test_a_tag_on_a_list_is_refused_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    path = write(tmp_path, f'x: !!python/object/apply:os.system ["touch {marker}"]\n')
    assert messages(path) == [
        f"{path}:2: x: the YAML tag !!python/object/apply:os.system is not allowed; allowed: "
        "plain values, or the tags !!str, !!int, !!float, !!bool, !!null on a single value"]
    assert validate(path)[0] == 2
    assert not marker.exists()


def test_plain_scalar_tags_are_allowed(tmp_path: Path) -> None:
    path = write(tmp_path, "name: !!str 123\n")
    assert twin.load_scenario(path).name == "123"


def test_merge_keys_and_aliases(tmp_path: Path) -> None:
    path = write(tmp_path, "run: &r {seed: 1}\nother:\n  <<: *r\n")
    assert messages(path) == [
        f"{path}:4: other.<<: YAML merge keys (<<) are not allowed: write the keys out, or "
        "share settings with extends:",
        f"{path}:4: other.<<: YAML aliases (*r) are not allowed: write the value out, or "
        "share settings with extends:",
    ]


def test_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    rows = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        rows.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    path = write(tmp_path, "\n".join(rows) + "\n")
    found = messages(path)
    assert len(found) == 8 * 9
    assert all("YAML aliases" in m for m in found)


def test_deep_nesting(tmp_path: Path) -> None:
    path = write(tmp_path, "x: " + "[" * 500 + "]" * 500 + "\n")
    found = messages(path)
    assert len(found) == 1
    assert found[0].startswith(f"{path}:2: x.0.0.")
    assert found[0].endswith(f": nested more than {lim.MAX_NESTING} levels deep; scenario "
                             "files are mappings and lists of a few levels")


@pytest.mark.parametrize(("body", "key", "message"), [
    ("run: {horizon_days: .inf}\n", "run.horizon_days",
     "must be a finite number, not infinity or NaN (got inf)"),
    ("run: {horizon_days: .nan}\n", "run.horizon_days",
     "must be a finite number, not infinity or NaN (got nan)"),
    ("run: {horizon_days: 1e308}\n", "run.horizon_days", "must be <= 3660 (got 1e+308)"),
    ("run: {replications: true}\n", "run.replications",
     "must be a number, not true or false (got true)"),
    ("run: {replications: 1e308}\n", "run.replications", "must be a whole number (got 1e+308)"),
    ("workforce: {per_grid: 1000000}\n", "workforce.per_grid", "must be <= 1000 (got 1000000)"),
    ("run: {replications: 100000}\n", "run.replications", "must be <= 10000 (got 100000)"),
    ("deadlines: {response: .inf}\n", "deadlines.response",
     "must be a finite number, not infinity or NaN (got inf)"),
    ("demand:\n  hour_of_day: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, "
     "1, 1, false]\n", "demand.hour_of_day.23", "must be a number, not true or false (got false)"),
    ("work_orders: {units: [{name: police, staff: 10000000}]}\n", "work_orders.units.0.staff",
     "must be <= 100000 (got 10000000)"),
    ("volunteers: {registered_per_1000_residents: .inf}\n",
     "volunteers.registered_per_1000_residents",
     "must be a finite number, not infinity or NaN (got inf)"),
    ("map: {source: lattice, rows: 1000, cols: 1000}\n", "map.rows",
     "rows x cols must be at most 250,000 map nodes (got 1,000 x 1,000 = 1,000,000)"),
    ("name: ''\n", "name", "must not be empty"),
])
def test_numbers_and_sizes(tmp_path: Path, body: str, key: str, message: str) -> None:
    path = write(tmp_path, body)
    found = messages(path)
    line = 3 if body.startswith("demand") else 2
    assert [m for m in found if f": {key}: " in m] == [f"{path}:{line}: {key}: {message}"], found
    assert validate(path)[0] == 2


def test_nan_in_a_mapping_of_shares(tmp_path: Path) -> None:
    path = write(tmp_path, "demand:\n  categories:\n    - name: a\n      rate_per_hour: 1\n"
                           "      channels: {resident: .nan}\n"
                           "      service: {distribution: fixed, value: 1}\n")
    assert f"{path}:6: demand.categories.0.channels.resident: must be a finite number, not " \
           "infinity or NaN (got nan)" in messages(path)


def test_not_utf8_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "description: caf\xe9\n".encode("latin-1"))
    assert messages(path) == [f"{path}:2: (top level): the file is not UTF-8 text "
                              "(byte 0xe9 at column 17); save it as UTF-8"]


def test_a_byte_order_mark_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + f"extends: {MMC}\nname: bom\n".encode())
    assert twin.load_scenario(path).name == "bom"


def test_long_and_nul_paths(tmp_path: Path) -> None:
    long_map = write(tmp_path, f"map: {{source: file, path: {'a' * 5000}}}\n", "m.yaml")
    assert f"{long_map}:2: map.path: a file path must be at most 1024 characters " \
           "(got 5,000)" in messages(long_map)
    long_base = tmp_path / "e.yaml"
    long_base.write_text(f"extends: {'b' * 5000}\n", encoding="utf-8")
    assert messages(long_base) == [f"{long_base}:1: extends: a file path must be at most "
                                   "1024 characters (got 5,000)"]
    nul = write(tmp_path, 'map: {source: file, path: "a\\0b"}\n', "n.yaml")
    assert messages(nul) == [f"{nul}:2: map.path: the control character U+0000 is not allowed "
                             "in a value; allowed: printable text, tabs and newlines"]
    for path in (long_map, long_base, nul):
        assert validate(path)[0] == 2


def test_nul_path_through_set(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    found = messages(path, {"map.source": "file", "map.path": "a\x00b"})
    assert "--set: map.path: a file path must not contain a NUL character" in found


def test_too_large_a_file(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"#" * (lim.MAX_FILE_BYTES + 1))
    assert messages(path) == [f"{path}: (top level): the file is {lim.MAX_FILE_BYTES + 1:,} "
                              f"bytes; at most {lim.MAX_FILE_BYTES:,} are allowed"]


def test_size_estimate_warns_before_a_run_that_cannot_fit(tmp_path: Path) -> None:
    from twin.executors import community_for
    from twin.sizing import estimate

    path = write(tmp_path, "")
    small = twin.load_scenario(path)
    size = estimate(small, community_for(small))
    assert size.fits
    assert math.isclose(size.issues, 7200, rel_tol=0.01)  # mmc: 10 per hour for 30 days
    # a one-minute time limit: every case draws repeat complaints at the full rate
    heavy = twin.load_scenario(path, {"demand.categories.0.limit": 1,
                                      "repeat_complaints.rate_at_deadline": 50,
                                      "run.horizon_days": 3000})
    size = estimate(heavy, community_for(heavy))
    assert not size.fits
    assert "will probably not fit in memory" in size.message()
    res = runner.invoke(app, ["validate", str(path), "--set", "run.horizon_days=3000",
                              "--set", "repeat_complaints.rate_at_deadline=50",
                              "--set", "demand.categories.0.limit=1"])
    assert res.exit_code == 0
    assert "warning:" in res.output and "will probably not fit in memory" in res.output
