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
    text = with_category_keys(VALID, "      volunteer_eligible: true\n") + (
        "volunteers: {participation: 0.65}\npatrols: {enabled: true}\n")
    scenario = twin.load_checked(str(write(tmp_path, text)))
    assert scenario.demand.categories[0].volunteer_eligible and scenario.patrols.enabled
    assert scenario.volunteers is not None and scenario.volunteers.participation == 0.65


def test_a_deadline_per_colour_is_refused_with_its_replacement(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + "deadlines:\n  green: 240\n  yellow: 120\n")
    assert problems(path) == [
        f"{path}:{n}: deadlines.{c}: `{c}` was removed: time limits are per category: a "
        "case's `limit`, a work order's flow's `limit`; a dispute has none (only disputes "
        "are graded)" for n, c in ((14, "green"), (15, "yellow"))]


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


def test_negative_governance_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + "repeat_complaints:\n  rate_at_deadline: -0.5\n"
                 + "volunteers:\n  accept: -0.1\n")
    assert problems(path) == [
        f"{path}:14: repeat_complaints.rate_at_deadline: must be >= 0 (got -0.5)",
        f"{path}:16: volunteers.accept: must be >= 0 (got -0.1)",
    ]



# ------------------------------------------------ keys of the removed colour mechanisms
REMOVED = """\
tiers:
  mediation: {staff: -1}
escalation: {enabled: true}
follow_up: {delay_days: 3}
"""


def test_removed_keys_say_what_replaced_them(tmp_path: Path) -> None:
    text = with_category_keys(VALID, (
        "      service_by_colour: {yellow: {distribution: fixed, value: 60}}\n"
        "      failure: {green: 0.2}\n"
        "      growth_per_hour: 0.02\n"
        "      joint_pools: [police]\n"
    )) + REMOVED
    path = write(tmp_path, text)
    found = problems(path)
    assert found == [
        f"{path}:12: demand.categories.0.service_by_colour: `service_by_colour` was removed: "
        "a dispute's times are in its `dispute` block (`mediate`) and the `disputes` section "
        "(sessions, the red lead and joining units) (docs/disputes.md); any other category "
        "has one `service`",
        f"{path}:13: demand.categories.0.failure: `failure` was removed: a dispute's "
        "mediations settle with `dispute.settles` (green) and the session odds of "
        "`disputes.mediation` (yellow) (docs/disputes.md); a work order's flow has `fixed`",
        f"{path}:14: demand.categories.0.growth_per_hour: `growth_per_hour` was removed: a "
        "waiting or unfound dispute flares up with `dispute.flare_per_day` "
        "(docs/disputes.md)",
        f"{path}:15: demand.categories.0.joint_pools: `joint_pools` was removed: a red "
        "dispute's response is `disputes.red.lead` with the units of `disputes.red.join`, "
        "each coming when it has someone free (docs/disputes.md)",
        f"{path}:17: tiers: `tiers` was removed: disputes are graded and handled through a "
        "category's `dispute` block and the `disputes` section (docs/disputes.md); the "
        "mediation office and the units of a red response are handling units in "
        "`work_orders.units`",
        f"{path}:19: escalation: `escalation` was removed: a dispute's grade moves up and "
        "down through its `dispute` block (`settles`, `flare_per_day`) and the `disputes` "
        "section (docs/disputes.md); overdue work orders are chased, supervised and "
        "whistled under `work_orders.overdue` and `work_orders.whistle`",
        f"{path}:20: follow_up: `follow_up` was removed: a settled dispute is followed up by "
        "the unit that settled it, under `disputes.follow_up` (docs/disputes.md); work "
        "orders are called back under `work_orders.callback`",
    ]


def test_removed_keys_fail_the_command_line_with_exit_2(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from twin.cli import app

    path = write(tmp_path, VALID + REMOVED)
    runner = CliRunner()
    for args in (["validate", str(path)], ["run", str(path), "--out", str(tmp_path / "out")],
                 ["validate", str(write(tmp_path, VALID, "ok.yaml")), "--set",
                  "escalation.enabled=true"]):
        res = runner.invoke(app, args)
        assert res.exit_code == 2, res.output
        assert "was removed:" in res.output and "docs/disputes.md" in res.output
        assert "nothing was run" in res.output
    assert not (tmp_path / "out").exists()
    assert "--set: escalation: `escalation` was removed" in res.output


def test_a_removed_key_is_not_suggested_for_a_typo(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + "patrol: {enabled: true}\n")
    (message,) = problems(path)
    assert "did you mean 'patrols'?" in message
    assert "tiers" not in message and "escalation" not in message
