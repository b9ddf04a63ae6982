"""Hashes of every record table of every shipped scenario, for checking that a
restructure of the engine changes no number.

    python benchmarks/table_hashes.py > hashes.json

Each scenario runs 2 replications of 5 days (1 day of warm-up) on its own seed;
a table's hash covers its column names, dtypes and every value.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pandas as pd

import twin
from twin.executors import community_for
from twin.model import simulate

ROOT = Path(__file__).resolve().parents[1]
TABLES = ("issues", "activity", "escalations", "visits", "complaints")


def frame_hash(frame: pd.DataFrame) -> str:
    """sha256 of a DataFrame's columns, dtypes and values (first 16 hex digits)."""
    digest = hashlib.sha256()
    digest.update(repr([(c, str(t)) for c, t in frame.dtypes.items()]).encode())
    if len(frame):
        values = pd.util.hash_pandas_object(frame, index=False).to_numpy()
        digest.update(values.tobytes())
    return digest.hexdigest()[:16]


def main() -> None:
    files = sorted(ROOT.glob("scenarios/*.yaml")) + sorted(ROOT.glob("scenarios/*/*.yaml"))
    out: dict[str, dict[str, str]] = {}
    for path in files:
        scenario = twin.load_scenario(path, overrides={"run.horizon_days": 5,
                                                       "run.warmup_days": 1})
        community = community_for(scenario)
        hashes: dict[str, list[str]] = {t: [] for t in TABLES}
        for rep in range(2):
            records = simulate(scenario, rep, community)
            for table in TABLES:
                hashes[table].append(frame_hash(getattr(records, table)))
        out[str(path.relative_to(ROOT))] = {t: "-".join(h) for t, h in hashes.items()}
        print(path.name, file=sys.stderr)
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
