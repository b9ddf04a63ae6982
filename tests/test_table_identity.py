"""The record tables of shipped scenarios are unchanged, bit for bit, by the work that
made the engine leaner (repeat-complaint draws kept per block instead of an n x 20
matrix, arrivals drawn into their final arrays, one activity record per interval,
frames built while the recorders are freed).

The hashes below were recorded with the code of commit dcc1eb1, before that work,
by the same function (``frame_hash``) on the same scenarios, horizons and
replication. The work changes no number, so any difference is a fault.

One change of the model came later: a day off in lieu (补休) now falls within the next
working week on the day the pool can best spare, not on the next working day. The two
scenarios with such rotas were recorded again under it, and are checked against their
dcc1eb1 hashes with the old rule restored (``LIEU_WITHIN = 1``), so the engine's
tables are still tied to dcc1eb1 and only the rule moved them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

import twin
from twin.executors import community_for
from twin.model import simulate
from twin.scenario import daysoff

ROOT = Path(__file__).resolve().parents[1]
TABLES = ("issues", "activity", "escalations", "visits", "complaints", "orders", "steps",
          "disputes")
DAYS = {"baseline.yaml": 20, "stress.yaml": 5, "work_orders.yaml": 10,
        "disputes_baseline.yaml": 6, "patrols_on.yaml": 6, "volunteers_15.yaml": 5,
        "rainy_season.yaml": 28, "validation/mmc.yaml": 10}
"""Scenario file -> days run (1 of warm-up), replication 1."""

HASHES = {
    "baseline.yaml": {
        "activity": "44549997c67e2b7a",
        "complaints": "14123fcf9bd5d183",
        "disputes": "5ab44085db53f4aa",
        "escalations": "62bfe0ae9c15a7db",
        "issues": "ca3e2ba0ceef516c",
        "orders": "1299ea1b92b765ef",
        "steps": "978e0a3e0a30fa64",
        "visits": "80a4f473d5446268",
    },
    "disputes_baseline.yaml": {
        "activity": "0d7581a400a51643",
        "complaints": "859d255f04baa754",
        "disputes": "7592d05e183acef9",
        "escalations": "2d8bf3dfdc7409b4",
        "issues": "b4ef1d477ff49866",
        "orders": "a6eab186a7c0e536",
        "steps": "89418ed5fbf1bec7",
        "visits": "ad19e07b24bcbe3a",
    },
    "patrols_on.yaml": {
        "activity": "df2a374534453d31",
        "complaints": "b010b847492adc6d",
        "disputes": "64dddf2469cb8ebf",
        "escalations": "e1c707355a0b40b6",
        "issues": "23aa04642b7db7e9",
        "orders": "10b99568db8fe673",
        "steps": "b1c9ac1840363c8c",
        "visits": "5608ff650865aa36",
    },
    "rainy_season.yaml": {
        "activity": "38f758857cd39543",
        "complaints": "55aea13d1daaad28",
        "disputes": "3874c3a6292fe599",
        "escalations": "19c5f93e84a51088",
        "issues": "1cce9728cdf64c1a",
        "orders": "e7bb3efb685475c6",
        "steps": "db1ed260a19a5a62",
        "visits": "8aaf091608fc54f9",
    },
    "stress.yaml": {
        "activity": "ae44a75c3090c58e",
        "complaints": "f7fa155dbce8367d",
        "disputes": "7cfaa2ca6303bd29",
        "escalations": "53a9075936e7bbcc",
        "issues": "cd3f5a88114f22cd",
        "orders": "1dddb0565a0f22fe",
        "steps": "7e8bd666d1b6266b",
        "visits": "2216567d57ee35c7",
    },
    "validation/mmc.yaml": {
        "activity": "3145b1e2483911ab",
        "complaints": "f7fa155dbce8367d",
        "disputes": "584647222ab97c2c",
        "escalations": "53a9075936e7bbcc",
        "issues": "c4274bd470f935b3",
        "orders": "6f11bb266d2a06b9",
        "steps": "bb9f5f435eca0767",
        "visits": "c696156060430fd8",
    },
    "volunteers_15.yaml": {
        "activity": "d6eebddbfc2844bd",
        "complaints": "c45d02752de64bc1",
        "disputes": "adc2f44a603eafb9",
        "escalations": "53a9075936e7bbcc",
        "issues": "5b9d3f24158184b5",
        "orders": "c6c08a12bc988f8e",
        "steps": "c6973bd2adf02da5",
        "visits": "b17991d98c5dfa07",
    },
    "work_orders.yaml": {
        "activity": "3bf37ca3be2dec92",
        "complaints": "00cc7a0fbe6242de",
        "disputes": "584647222ab97c2c",
        "escalations": "53a9075936e7bbcc",
        "issues": "de316ecbe50e8775",
        "orders": "7e56d23916fe7b2d",
        "steps": "168563ee938de31e",
        "visits": "2e1c31592fcc7929",
    },
}


NEXT_DAY_HASHES = {
    "baseline.yaml": {
        "activity": "c2f2ebe457e9b795",
        "complaints": "5d90ac2149bb866d",
        "disputes": "ac356b8daf11b15c",
        "escalations": "9fb232820b693cea",
        "issues": "2f8a2e8562ed1fcc",
        "orders": "9380b70e5f9760ab",
        "steps": "74d19ab85bc4a7f8",
        "visits": "2ac49df5e29e97f0",
    },
    "rainy_season.yaml": {
        "activity": "302efcfc252e51a7",
        "complaints": "1ac0e15c8fa8013f",
        "disputes": "74f6c4a0cf34a898",
        "escalations": "c92e888c239a6f69",
        "issues": "d88048f266f2e641",
        "orders": "ade911912899232e",
        "steps": "516ad8786cfac0db",
        "visits": "d4c720dc862c824d",
    },
}
"""The two scenarios whose rotas give days off in lieu, as recorded at dcc1eb1, when
each was the next working day (``LIEU_WITHIN = 1`` gives that rule back)."""


def frame_hash(frame: pd.DataFrame) -> str:
    """sha256 of a DataFrame's column names, dtypes and values (first 16 hex digits)."""
    digest = hashlib.sha256()
    digest.update(repr([(c, str(t)) for c, t in frame.dtypes.items()]).encode())
    if len(frame):
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()[:16]


@pytest.mark.parametrize("name", sorted(DAYS))
def test_tables_identical_to_before(name: str) -> None:
    scenario = twin.load_scenario(ROOT / "scenarios" / name,
                                  overrides={"run.horizon_days": DAYS[name],
                                             "run.warmup_days": 1})
    records = simulate(scenario, 1, community_for(scenario))
    got = {table: frame_hash(getattr(records, table)) for table in TABLES}
    assert got == HASHES[name]


@pytest.mark.parametrize("name", sorted(NEXT_DAY_HASHES))
def test_tables_identical_to_before_with_next_day_lieu(name: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(daysoff, "LIEU_WITHIN", 1)
    scenario = twin.load_scenario(ROOT / "scenarios" / name,
                                  overrides={"run.horizon_days": DAYS[name],
                                             "run.warmup_days": 1})
    records = simulate(scenario, 1, community_for(scenario))
    got = {table: frame_hash(getattr(records, table)) for table in TABLES}
    assert got == NEXT_DAY_HASHES[name] != HASHES[name]


def test_hash_sees_one_changed_value() -> None:
    frame = pd.DataFrame({"t": [1.0, 2.0]})
    changed = frame.copy()
    changed.loc[1, "t"] = 2.0000000001
    assert frame_hash(frame) != frame_hash(changed)
    assert frame_hash(frame) == frame_hash(frame.copy())
