"""``extends:`` with a list of files: merged in order, every problem in its own file."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import twin
from twin import ScenarioError

BASE = """\
name: base
map: {source: lattice, rows: 4, cols: 4}
grids: {blocks: [1, 2]}
demand:
  hour_of_day: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
  categories:
    - name: repair
      rate_per_hour: 1.0
      service: {distribution: exponential, mean: 20}
workforce: {per_grid: 2}
"""

DEMAND = """\
demand:
  day_of_week: [1, 1, 1, 1, 1, 2, 2]
  categories:
    - name: sanitation
      rate_per_hour: 0.5
      service: {distribution: exponential, mean: 10}
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        twin.load_scenario(path)
    return str(caught.value).splitlines()


def test_list_is_merged_in_order_and_the_file_comes_last(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE)
    write(tmp_path, "demand.yaml", DEMAND)
    write(tmp_path, "staff.yaml", "workforce: {per_grid: 3}\nname: staff\n")
    top = write(tmp_path, "top.yaml",
                "extends: [base.yaml, demand.yaml, staff.yaml]\nname: top\n")
    scenario = twin.load_scenario(top)
    assert scenario.name == "top"  # the file itself wins over every base
    assert scenario.workforce.per_grid == 3  # staff.yaml over base.yaml
    assert [c.name for c in scenario.demand.categories] == ["sanitation"]  # lists replaced
    assert scenario.demand.day_of_week == [1, 1, 1, 1, 1, 2, 2]  # from demand.yaml
    assert scenario.demand.hour_of_day == [1.0] * 24  # mapping merged: kept from base.yaml
    assert scenario.map.rows == 4


def test_later_file_overrides_an_earlier_one(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE)
    write(tmp_path, "a.yaml", "workforce: {per_grid: 5}\n")
    write(tmp_path, "b.yaml", "workforce: {per_grid: 7}\n")
    ab = twin.load_scenario(write(tmp_path, "ab.yaml", "extends: [base.yaml, a.yaml, b.yaml]\n"))
    ba = twin.load_scenario(write(tmp_path, "ba.yaml", "extends: [base.yaml, b.yaml, a.yaml]\n"))
    assert ab.workforce.per_grid == 7
    assert ba.workforce.per_grid == 5


def test_single_item_list_equals_a_single_name(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE)
    one = twin.load_scenario(write(tmp_path, "one.yaml", "extends: base.yaml\n"))
    listed = twin.load_scenario(write(tmp_path, "listed.yaml", "extends: [base.yaml]\n"))
    assert one == listed


def test_block_list_form(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE)
    write(tmp_path, "demand.yaml", DEMAND)
    top = write(tmp_path, "top.yaml", "extends:\n  - base.yaml\n  - demand.yaml\n")
    assert twin.load_scenario(top).demand.categories[0].name == "sanitation"


def test_problem_is_located_in_the_file_that_wrote_the_key(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE)
    demand = write(tmp_path, "demand.yaml", DEMAND.replace("rate_per_hour: 0.5",
                                                           "rate_per_hour: -0.5"))
    top = write(tmp_path, "top.yaml", "extends: [base.yaml, demand.yaml]\n")
    assert problems(top) == [
        f"{demand}:5: demand.categories.0.rate_per_hour: must be >= 0 (got -0.5)",
    ]


def test_problems_in_two_bases_are_each_located(tmp_path: Path) -> None:
    base = write(tmp_path, "base.yaml", BASE.replace("per_grid: 2", "per_grid: -1"))
    demand = write(tmp_path, "demand.yaml", DEMAND.replace("mean: 10", "mean: 0"))
    top = write(tmp_path, "top.yaml", "extends: [base.yaml, demand.yaml]\n")
    assert problems(top) == [
        f"{base}:10: workforce.per_grid: must be >= 0 (got -1)",
        f"{demand}:6: demand.categories.0.service.mean: must be > 0 (got 0)",
    ]


def test_a_value_replaced_by_a_later_base_is_not_reported(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE.replace("per_grid: 2", "per_grid: -1"))
    write(tmp_path, "fix.yaml", "workforce: {per_grid: 1}\n")
    top = write(tmp_path, "top.yaml", "extends: [base.yaml, fix.yaml]\n")
    assert twin.load_scenario(top).workforce.per_grid == 1


def test_missing_files_in_the_list_are_all_reported_at_their_lines(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE)
    top = write(tmp_path, "top.yaml", "name: x\nextends:\n  - base.yaml\n  - gone.yaml\n"
                                      "  - lost.yaml\n")
    assert problems(top) == [
        f"{top}:4: extends.1: base file not found: {tmp_path / 'gone.yaml'}",
        f"{top}:5: extends.2: base file not found: {tmp_path / 'lost.yaml'}",
    ]


def test_single_missing_file_keeps_its_message(tmp_path: Path) -> None:
    top = write(tmp_path, "top.yaml", "extends: gone.yaml\n")
    assert problems(top) == [f"{top}:1: extends: base file not found: {tmp_path / 'gone.yaml'}"]


def test_a_list_item_that_is_not_a_name(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE)
    top = write(tmp_path, "top.yaml", "extends:\n  - base.yaml\n  - {file: demand.yaml}\n")
    assert problems(top) == [f"{top}:3: extends.1: must be a file name"]


def test_invalid_yaml_in_a_listed_base(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE)
    broken = write(tmp_path, "demand.yaml", "demand: [\n")
    top = write(tmp_path, "top.yaml", "extends: [base.yaml, demand.yaml]\n")
    (line,) = problems(top)
    assert line.startswith(f"{broken}:2: (top level): invalid YAML")


def test_nested_lists(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE)
    write(tmp_path, "demand.yaml", DEMAND)
    write(tmp_path, "mid.yaml", "extends: [base.yaml, demand.yaml]\nworkforce: {per_grid: 4}\n")
    top = write(tmp_path, "top.yaml", "extends: [mid.yaml]\nname: nested\n")
    scenario = twin.load_scenario(top)
    assert (scenario.name, scenario.workforce.per_grid) == ("nested", 4)
    assert scenario.demand.categories[0].name == "sanitation"


def test_self_reference_stops(tmp_path: Path) -> None:
    top = write(tmp_path, "top.yaml", "extends: [top.yaml]\n")
    assert problems(top) == [f"{top}:1: extends: too many nested extends"]


def test_a_key_that_no_longer_applies_says_how_to_drop_it(tmp_path: Path) -> None:
    write(tmp_path, "parted.yaml", BASE.replace(
        "grids: {blocks: [1, 2]}", "grids: {assignment: partition, count: 2, balance: demand}"))
    top = write(tmp_path, "top.yaml", "extends: parted.yaml\nname: top\n"
                                      "grids: {assignment: blocks, blocks: [1, 2]}\n")
    with pytest.raises(ScenarioError) as caught:
        twin.load_scenario(top)
    assert [str(p) for p in caught.value.problems] == [
        f"{tmp_path / 'parted.yaml'}:3: grids.{key}: only used with assignment partition; "
        f"top.yaml inherits it: write {key}: null under grids: there to drop it"
        for key in ("balance", "count")]  # both on line 3: by key
    write(tmp_path, "top.yaml", "extends: parted.yaml\nname: top\n"
                                "grids: {assignment: blocks, blocks: [1, 2], "
                                "count: null, balance: null}\n")
    grids = twin.load_scenario(top).grids  # and null does drop them
    assert grids.count is None and grids.balance == "nodes"
