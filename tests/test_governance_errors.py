"""Mistakes in the governance settings give exact, located messages, all at once.

Each message reads ``file:line: key.path: what is wrong and what is allowed``
(see tests/test_scenario_errors.py for the rest of the scenario keys).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import twin
from twin import ScenarioError

VALID = """\
name: tiny
map:
  source: lattice
  rows: 4
  cols: 4
grids:
  blocks: [1, 2]
demand:
  categories:
    - name: repair
      rate_per_hour: 1.0
      service: {distribution: exponential, mean: 20}
"""
TIERS = """\
tiers:
  joint:
    pools:
      - {name: police}
      - {name: judicial}
"""
CATEGORY = "      service: {distribution: exponential, mean: 20}\n"


def write(folder: Path, text: str, name: str = "s.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def with_category_keys(text: str, keys: str) -> str:
    """``text`` with ``keys`` (indented lines) added to the first category."""
    return text.replace(CATEGORY, keys + CATEGORY, 1)


def problems(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        twin.load_scenario(path)
    error = caught.value
    lines = str(error).splitlines()
    assert lines == [str(p) for p in error.problems]
    return lines


def checked_problems(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        twin.load_checked(str(path))
    return [str(p) for p in caught.value.problems]


def test_valid_governance_file_loads(tmp_path: Path) -> None:
    text = with_category_keys(VALID + TIERS, (
        "      joint_pools: [police]\n"
        "      failure: {green: 0.2, yellow: 0.1}\n"
        "      growth_per_hour: 0.02\n"
        "      volunteer_eligible: true\n"
    )) + "escalation: {enabled: true}\nvolunteers: {participation: 0.65}\n"
    scenario = twin.load_checked(str(write(tmp_path, text)))
    assert scenario.demand.categories[0].joint_pools == ["police"]
    assert scenario.volunteers is not None and scenario.volunteers.participation == 0.65


def test_yellow_deadline_shorter_than_green(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + "escalation: {enabled: true}\n"
                 "deadlines:\n  green: 240\n  yellow: 120\n")
    assert problems(path) == [
        f"{path}:16: deadlines.yellow: deadlines must increase with severity: "
        "green < yellow < red (got green=240, yellow=120, red=4320)",
    ]


def test_red_deadline_not_after_yellow(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + "deadlines:\n  yellow: 600\n  red: 600\n")
    assert problems(path) == [
        f"{path}:15: deadlines.red: deadlines must increase with severity: "
        "green < yellow < red (got green=240, yellow=600, red=600)",
    ]


def test_joint_pools_names_an_unknown_pool(tmp_path: Path) -> None:
    path = write(tmp_path, with_category_keys(VALID + TIERS, "      joint_pools: [police, fire]\n"))
    assert problems(path) == [
        f"{path}:12: demand.categories.0.joint_pools.1: no such pool 'fire'; "
        "pools: police, judicial",
    ]


def test_joint_pools_without_tiers(tmp_path: Path) -> None:
    path = write(tmp_path, with_category_keys(VALID, "      joint_pools: [police]\n"))
    assert problems(path) == [
        f"{path}:12: demand.categories.0.joint_pools: needs tiers (a joint response) "
        "in the scenario",
    ]


def test_failure_for_red_and_out_of_range(tmp_path: Path) -> None:
    path = write(tmp_path, with_category_keys(VALID, (
        "      failure:\n"
        "        green: 1.5\n"
        "        red: 0.2\n"
    )))
    assert problems(path) == [
        f"{path}:13: demand.categories.0.failure.green: must be a probability from 0 to 1 "
        "(got 1.5)",
        f"{path}:14: demand.categories.0.failure.red: unknown colour; allowed: green, yellow "
        "(a red response always concludes)",
    ]


def test_negative_growth(tmp_path: Path) -> None:
    path = write(tmp_path, with_category_keys(VALID, "      growth_per_hour: -0.5\n"))
    assert problems(path) == [
        f"{path}:12: demand.categories.0.growth_per_hour: must be >= 0 (got -0.5)",
    ]


def test_duplicate_pool_names(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + TIERS.replace("{name: judicial}", "{name: police, staff: 1}"))
    assert problems(path) == [
        f"{path}:17: tiers.joint.pools.1.name: pool names must be unique: "
        "'police' is also item 0",
    ]


def test_duplicate_pool_names_beside_other_mistakes(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + TIERS.replace("{name: judicial}", "{name: police, staff: -1}"))
    assert problems(path) == [
        f"{path}:17: tiers.joint.pools.1.name: pool names must be unique: "
        "'police' is also item 0",
        f"{path}:17: tiers.joint.pools.1.staff: must be >= 0 (got -1)",
    ]


def test_no_pools(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + "tiers:\n  joint:\n    pools: []\n")
    assert problems(path) == [
        f"{path}:15: tiers.joint.pools: must have at least 1 item(s) (got 0)",
    ]


def test_latent_category_with_channels(tmp_path: Path) -> None:
    path = write(tmp_path, with_category_keys(VALID, (
        "      channels: {resident: 0.5, patrol: 0.5}\n"
        "      latent: {report_delay: 720}\n"
    )))
    assert problems(path) == [
        f"{path}:12: demand.categories.0.channels: a latent category's channel follows from "
        "who finds it first (resident, patrol or sensor); remove channels or latent",
    ]


def test_latent_out_of_range(tmp_path: Path) -> None:
    path = write(tmp_path, with_category_keys(VALID, (
        "      latent:\n"
        "        report_delay: 0\n"
        "        sensor_share: 1.5\n"
    )))
    assert problems(path) == [
        f"{path}:13: demand.categories.0.latent.report_delay: must be > 0 (got 0)",
        f"{path}:14: demand.categories.0.latent.sensor_share: must be <= 1 (got 1.5)",
    ]


TWO_CATEGORIES = VALID + (
    "    - name: dispute\n"
    "      rate_per_hour: 0.5\n"
    "      service: {distribution: exponential, mean: 30}\n"
)


def test_teams_name_unknown_and_shared_categories_and_miss_one(tmp_path: Path) -> None:
    path = write(tmp_path, TWO_CATEGORIES + (
        "teams:\n"
        "  - name: city\n"
        "    categories: [repair, sewage]\n"
        "  - name: social\n"
        "    categories: [repair]\n"
    ))
    assert problems(path) == [
        f"{path}:16: teams: every category needs a team; categories with no team: dispute",
        f"{path}:18: teams.0.categories.1: no such category 'sewage'; known: repair, dispute",
        f"{path}:20: teams.1.categories.0: 'repair' is already handled by team 'city'",
    ]


def test_duplicate_team_names(tmp_path: Path) -> None:
    path = write(tmp_path, TWO_CATEGORIES + (
        "teams:\n"
        "  - name: city\n"
        "    categories: [repair]\n"
        "  - name: city\n"
        "    categories: [dispute]\n"
    ))
    assert problems(path) == [
        f"{path}:19: teams.1.name: team names must be unique: 'city' is also item 0",
    ]


def test_duplicate_team_names_beside_other_mistakes(tmp_path: Path) -> None:
    path = write(tmp_path, TWO_CATEGORIES + (
        "teams:\n"
        "  - name: city\n"
        "    categories: [repair, dispute]\n"
        "  - name: city\n"
        "    categories: [dispute]\n"
        "    per_grid: -1\n"
    ))
    assert problems(path) == [
        f"{path}:19: teams.1.name: team names must be unique: 'city' is also item 0",
        f"{path}:20: teams.1.categories.0: 'dispute' is already handled by team 'city'",
        f"{path}:21: teams.1.per_grid: must be >= 0 (got -1)",
    ]


def test_unknown_joint_pool_beside_a_tiers_mistake(tmp_path: Path) -> None:
    text = with_category_keys(VALID + TIERS, "      joint_pools: [fire]\n")
    path = write(tmp_path, text.replace("tiers:\n", "tiers:\n  mediation: {staff: -1}\n"))
    assert problems(path) == [
        f"{path}:12: demand.categories.0.joint_pools.0: no such pool 'fire'; "
        "pools: police, judicial",
        f"{path}:15: tiers.mediation.staff: must be >= 0 (got -1)",
    ]


def test_team_blocks_with_a_file_map(tmp_path: Path) -> None:
    text = VALID.replace("  source: lattice\n  rows: 4\n  cols: 4\n",
                         "  source: file\n  path: streets.graphml\n")
    text = text.replace("  blocks: [1, 2]\n", "  assignment: attribute\n")
    path = write(tmp_path, text + (
        "teams:\n"
        "  - name: city\n"
        "    categories: [repair]\n"
        "    blocks: [1, 2]\n"
    ))
    assert problems(path) == [f"{path}:15: teams.0.blocks: needs map.source lattice"]


def test_team_blocks_finer_than_the_lattice(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + (
        "teams:\n"
        "  - name: city\n"
        "    categories: [repair]\n"
        "    blocks: [5, 2]\n"
    ))
    assert problems(path) == [
        f"{path}:16: teams.0.blocks: must be from [1, 1] to [4, 4] (got [5, 2])",
    ]


def test_volunteer_participation_above_one(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + "volunteers:\n  participation: 1.2\n  base: home\n")
    assert problems(path) == [
        f"{path}:14: volunteers.participation: must be <= 1 (got 1.2)",
        f"{path}:15: volunteers.base: must be 'random' (got 'home')",
    ]


def test_misspelt_escalation_key(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + "escalation:\n  enable: true\n")
    assert problems(path) == [
        f"{path}:14: escalation.enable: unknown key; did you mean 'enabled'? "
        "allowed: enabled, on_deadline",
    ]


def test_negative_governance_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + TIERS.replace("tiers:\n", "tiers:\n  mediation: {staff: -1}\n")
                 + "follow_up:\n  delay_days: -1\n"
                 + "repeat_complaints:\n  rate_at_deadline: -0.5\n")
    assert problems(path) == [
        f"{path}:14: tiers.mediation.staff: must be >= 0 (got -1)",
        f"{path}:20: follow_up.delay_days: must be >= 0 (got -1)",
        f"{path}:22: repeat_complaints.rate_at_deadline: must be >= 0 (got -0.5)",
    ]


def test_mediation_office_not_on_the_map(tmp_path: Path) -> None:
    # Node ids are only known once the map is built, so load_checked reports it.
    text = VALID + TIERS.replace("tiers:\n", "tiers:\n  mediation:\n    node: 9-9\n")
    path = write(tmp_path, text)
    twin.load_scenario(path)  # the file itself is sound
    assert checked_problems(path) == [
        f"{path}:15: tiers.mediation.node: no map node '9-9'; node ids run from '0-0' to "
        "'3-3' (a lattice names them 'row-col')"]


def test_responder_pool_not_on_the_map(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + TIERS.replace("{name: judicial}",
                                                 "{name: judicial, node: '7-7'}"))
    assert checked_problems(path) == [
        f"{path}:17: tiers.joint.pools.1.node: no map node '7-7'; node ids run from '0-0' to "
        "'3-3' (a lattice names them 'row-col')"]
