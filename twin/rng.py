"""Named random streams: common random numbers by construction.

``Streams(root_seed, replication)["arrivals/grid-07/repair"]`` is a numpy
Generator seeded by ``SeedSequence([root_seed, replication, *stable_hash(name)])``.
Streams are keyed by name, not position, so adding a stream never shifts the
others, and two scenarios run with the same seed draw the same arrivals and
service times wherever their streams have the same names.
"""

from __future__ import annotations

import hashlib

import numpy as np


def stable_hash(name: str) -> tuple[int, int]:
    """Two 32-bit words from the name's SHA-256, the same on every machine and run."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "little"), int.from_bytes(digest[4:8], "little")


class Streams:
    """The random streams of one replication, created on first use by name."""

    def __init__(self, root_seed: int, replication: int) -> None:
        self.root_seed = int(root_seed)
        self.replication = int(replication)
        self._made: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        gen = self._made.get(name)
        if gen is None:
            seq = np.random.SeedSequence([self.root_seed, self.replication, *stable_hash(name)])
            gen = np.random.Generator(np.random.PCG64(seq))
            self._made[name] = gen
        return gen

    def names(self) -> list[str]:
        """Names of the streams used so far, sorted."""
        return sorted(self._made)
