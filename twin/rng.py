"""Named random streams: common random numbers by construction.

``Streams(root_seed, replication)["arrivals/grid-07/repair"]`` is a numpy
Generator seeded by ``SeedSequence([root_seed, replication, *stable_hash(name)])``.
Streams are keyed by name, not position, so adding a stream never shifts the
others, and two scenarios run with the same seed draw the same arrivals and
service times wherever their streams have the same names.

A district draws from tens of thousands of streams before its run, each once;
:meth:`Streams.starts` gives their starting states in one go (the seeding
computed for all of them at once, by the arithmetic of numpy's ``SeedSequence``
and ``PCG64``) and one generator moved from start to start, instead of building
a ``SeedSequence`` and a ``Generator`` per stream. The numbers are the same.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

_MASK32 = 0xFFFFFFFF
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875  # numpy's SeedSequence constants
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715
_POOL = 4
_PCG_MULT = (2549297995355413924 << 64) + 4865540595714422341  # PCG64's 128-bit multiplier
_MASK128 = (1 << 128) - 1


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
        self._started: set[str] = set()

    def __getitem__(self, name: str) -> np.random.Generator:
        gen = self._made.get(name)
        if gen is None:
            seq = np.random.SeedSequence([self.root_seed, self.replication, *stable_hash(name)])
            gen = np.random.Generator(np.random.PCG64(seq))
            self._made[name] = gen
        return gen

    def starts(self, names: Sequence[str]) -> StreamStarts:
        """The named streams at their start, for drawing from each of them once.

        ``starts(names).at(i)`` draws the same numbers as ``self[names[i]]`` would
        on first use. The streams are not kept: a name asked for again (here or
        by ``self[name]``) starts again from the beginning, so give each name once.
        """
        self._started.update(names)
        return StreamStarts(pcg64_seeds(self.root_seed, self.replication, names))

    def names(self) -> list[str]:
        """Names of the streams used so far, sorted."""
        return sorted(self._started.union(self._made))


class StreamStarts:
    """One generator, set to the start of stream ``i`` by :meth:`at` (drawing from
    the returned generator moves it; the next :meth:`at` forgets where it was)."""

    def __init__(self, seeds: tuple[list[int], list[int]]) -> None:
        self._state, self._inc = seeds
        self._gen = np.random.Generator(np.random.PCG64(0))

    def __len__(self) -> int:
        return len(self._state)

    def state(self, i: int) -> dict[str, object]:
        """Stream ``i``'s starting state, as ``bit_generator.state`` gives it."""
        return {"bit_generator": "PCG64",
                "state": {"state": self._state[i], "inc": self._inc[i]},
                "has_uint32": 0, "uinteger": 0}

    def at(self, i: int) -> np.random.Generator:
        """The generator at the start of stream ``i``."""
        self._gen.bit_generator.state = self.state(i)
        return self._gen


def _words(n: int) -> list[int]:
    """An entropy integer as SeedSequence reads it: 32-bit words, lowest first."""
    if n < 0:
        raise ValueError("expected non-negative integer")
    out = [n & _MASK32] if n == 0 else []
    while n > 0:
        out.append(n & _MASK32)
        n >>= 32
    return out


def _seed_pool(entropy: list[np.ndarray]) -> list[np.ndarray]:
    """SeedSequence's pool mixing, for many entropy arrays at once (one uint32
    array per entropy word, one element per stream; uint32 arithmetic wraps)."""
    const = _INIT_A

    def hashmix(value: np.ndarray) -> np.ndarray:
        nonlocal const
        value = value ^ np.uint32(const)
        const = (const * _MULT_A) & _MASK32
        value = value * np.uint32(const)
        return value ^ (value >> np.uint32(16))

    def mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        result: np.ndarray = x * np.uint32(_MIX_L) - y * np.uint32(_MIX_R)
        return result ^ (result >> np.uint32(16))

    zero = np.zeros_like(entropy[0])
    pool = [hashmix(entropy[i] if i < len(entropy) else zero) for i in range(_POOL)]
    for src in range(_POOL):
        for dst in range(_POOL):
            if src != dst:
                pool[dst] = mix(pool[dst], hashmix(pool[src]))
    for src in range(_POOL, len(entropy)):
        for dst in range(_POOL):
            pool[dst] = mix(pool[dst], hashmix(entropy[src]))
    return pool


def pcg64_seeds(root_seed: int, replication: int, names: Sequence[str]
                ) -> tuple[list[int], list[int]]:
    """The PCG64 (state, inc) that ``Streams(root_seed, replication)[name]`` starts
    from, for every name: numpy's SeedSequence mixing and ``generate_state(4,
    uint64)``, then PCG64's seeding, computed for all the names at once."""
    n = len(names)
    sha = hashlib.sha256  # stable_hash's two words of every name, read in one go
    digests = b"".join([sha(name.encode("utf-8")).digest()[:8] for name in names])
    hashes = np.frombuffer(digests, dtype="<u4").astype(np.uint32).reshape(n, 2)
    prefix = _words(int(root_seed)) + _words(int(replication))
    entropy = [np.full(n, w, dtype=np.uint32) for w in prefix] + [hashes[:, 0], hashes[:, 1]]
    pool = _seed_pool(entropy)
    const = _INIT_B
    out = np.empty((n, 8), dtype=np.uint32)
    for i in range(8):  # generate_state(4, uint64): 8 words, cycling over the pool
        value = pool[i % _POOL] ^ np.uint32(const)
        const = (const * _MULT_B) & _MASK32
        value = value * np.uint32(const)
        out[:, i] = value ^ (value >> np.uint32(16))
    lo = out[:, 0::2].astype(np.uint64)
    words = (lo | (out[:, 1::2].astype(np.uint64) << np.uint64(32))).tolist()
    states, incs = [], []
    for w0, w1, w2, w3 in words:  # pcg64_set_seed: seed = w0:w1, sequence = w2:w3
        inc = (((w2 << 64) | w3) << 1 | 1) & _MASK128
        state = (inc + ((w0 << 64) | w1)) & _MASK128
        states.append((state * _PCG_MULT + inc) & _MASK128)
        incs.append(inc)
    return states, incs
