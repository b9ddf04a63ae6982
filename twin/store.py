"""Finished replications kept so that an interrupted run resumes where it stopped.

A replication is stored under a key made from the resolved scenario and the
root seed, so a changed scenario never reuses old results. ``DiskStore``
writes one pickle per replication (temporary name, then rename), so a killed
run loses at most the replications still running.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path

from twin.model import ReplicationRecords
from twin.scenario.schema import Scenario


def run_key(scenario: Scenario, seed: int) -> str:
    """Key of (resolved scenario, seed)."""
    text = scenario.model_dump_json() + f"|seed={seed}"
    return f"{scenario.name}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"


class MemoryStore:
    """Replications kept in memory (for one process's repeated calls)."""

    def __init__(self) -> None:
        self._data: dict[tuple[str, int], ReplicationRecords] = {}

    def load(self, key: str, replication: int) -> ReplicationRecords | None:
        """The stored replication, if any."""
        return self._data.get((key, replication))

    def save(self, key: str, replication: int, records: ReplicationRecords) -> None:
        """Keep a finished replication."""
        self._data[(key, replication)] = records


class DiskStore:
    """Replications kept under a folder, one file each."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str, replication: int) -> Path:
        return self.root / key / f"rep-{replication:05d}.pkl"

    def load(self, key: str, replication: int) -> ReplicationRecords | None:
        """The stored replication, if any (a damaged file counts as absent)."""
        path = self._path(key, replication)
        if not path.is_file():
            return None
        try:
            with path.open("rb") as fh:
                records = pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            return None
        return records if isinstance(records, ReplicationRecords) else None

    def save(self, key: str, replication: int, records: ReplicationRecords) -> None:
        """Write a finished replication atomically."""
        path = self._path(key, replication)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".rep-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(records, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
