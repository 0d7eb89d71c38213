"""Named random streams derived from the run seed, re-anchored every day.

Each decision draws from its own stream, seeded by the run seed and the bytes
of the stream's name (as Starsim's ``distributions.py`` does), so adding a
stream never shifts the numbers of another. Streams drawn during the day are
re-anchored each day from (seed, name, day), as Starsim's ``jump_dt`` does: a
stream's numbers on day t do not depend on how many it gave on earlier days.
Two runs with the same seed that differ only in, say, the payout scheme then
draw the same numbers in every stream on every day where the scheme made no
difference to the draws asked for (common random numbers on every day), so
paired comparisons stay sharp even after the schemes have diverged.
"""

from __future__ import annotations

import numpy as np


class Streams:
    """A factory of independent ``numpy.random.Generator`` streams, one per name (and day)."""

    def __init__(self, seed: int):
        self.seed = int(seed)
        self._streams: dict[str, np.random.Generator] = {}
        self._keys: dict[str, np.ndarray] = {}

    def _entropy(self, name: str) -> list[int]:
        # the name's bytes themselves, not a hash: stable everywhere, never colliding
        return [self.seed, *name.encode()]

    def __call__(self, name: str) -> np.random.Generator:
        """The set-up stream called ``name`` (created on first use, then reused)."""
        if name not in self._streams:
            self._streams[name] = np.random.default_rng(np.random.SeedSequence(
                self._entropy(name)))
        return self._streams[name]

    def daily(self, name: str, day: int) -> np.random.Generator:
        """The stream called ``name`` for ``day``: a fresh generator from (seed, name, day).

        The (seed, name) entropy is first condensed into 128 bits, once per name: seeding
        from those costs a third of seeding from the name's bytes each day (which the
        daily streams would otherwise spend most of a small run's time on).
        """
        key = self._keys.get(name)
        if key is None:
            key = self._keys[name] = np.random.SeedSequence(
                self._entropy(name)).generate_state(4)
        return np.random.default_rng(np.random.SeedSequence(key, spawn_key=(int(day),)))
