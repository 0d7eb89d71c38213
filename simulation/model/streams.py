"""Named random streams derived from the run seed.

Each decision draws from its own stream, seeded by the run seed and the bytes of
the stream's name (as Starsim's ``distributions.py`` does). Two runs
with the same seed that differ only in, say, the payout scheme then use the
same random numbers wherever the scheme made no difference (common random
numbers), so paired comparisons are sharp; and adding a stream never shifts
the numbers of another.
"""

from __future__ import annotations

import numpy as np


class Streams:
    """A factory of independent ``numpy.random.Generator`` streams, one per name."""

    def __init__(self, seed: int):
        self.seed = int(seed)
        self._streams: dict[str, np.random.Generator] = {}

    def __call__(self, name: str) -> np.random.Generator:
        """The stream called ``name`` (created on first use, then reused)."""
        if name not in self._streams:
            # the name's bytes themselves, not a hash: stable everywhere, never colliding
            entropy = [self.seed, *name.encode()]
            self._streams[name] = np.random.default_rng(np.random.SeedSequence(entropy))
        return self._streams[name]
