"""Statistics shared by the layers: the mean, its t-interval, and replicates a question needs."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def t_interval(values: Sequence[float] | np.ndarray, level: float = 0.95,
               bounds: tuple[float | None, float | None] = (None, None)
               ) -> tuple[float, float, float]:
    """Mean and its t-interval ``(mean, low, high)``, inside ``bounds`` when given.

    One value has no interval (low and high NaN); no values give all NaN.

    ``bounds`` is the range the quantity cannot leave (``(0, None)`` for a count
    or an amount paid, ``(0, 1)`` for a share): the interval is cut to it, so a
    count's interval is never shown below zero. Why cut, rather than bootstrap or
    transform: the true mean always lies in that range, so the cut interval
    covers it exactly as often as the t-interval does (the part cut off never
    held it), and inside the range nothing moves. A percentile bootstrap lies
    within the sample's range, which at the 3 replicates people try first holds
    the mean only about 75% of the time (each replicate is above or below a
    symmetric distribution's median with probability 1/2, so all three fall on
    one side 1/4 of the time): far below 95%. A log (or logit) transform gives an
    interval for the geometric mean, not the mean the table reports, and cannot
    take the zeros that counts such as influencers recruited often have.
    """
    values = np.asarray(values, dtype=float)
    n = len(values)
    if n == 0:
        return np.nan, np.nan, np.nan
    mean = float(np.mean(values))
    if n == 1:
        return mean, np.nan, np.nan
    from scipy import stats  # scipy.stats only when needed (import time)

    spread = float(np.std(values, ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * spread / np.sqrt(n)
    low, high = mean - half, mean + half
    floor, ceiling = bounds
    if floor is not None:
        low, high = max(low, floor), max(high, floor)
    if ceiling is not None:
        low, high = min(low, ceiling), min(high, ceiling)
    return mean, low, high


def replicates_needed(spread: float, half_width: float, level: float = 0.95,
                      most: int = 10_000) -> int | None:
    """Fewest replicates whose t-interval of a mean is at most ``half_width`` wide either side.

    ``spread`` is the standard deviation of one replicate's value (for a paired
    difference, of the per-replicate differences). ``t(n - 1) * spread / sqrt(n)
    <= half_width`` is solved for n (the estimate's own noise makes it a guide,
    not a promise). None when even ``most`` replicates are not enough or the
    half-width is not positive; 2 when the spread is 0.
    """
    if not (math.isfinite(spread) and math.isfinite(half_width)) or half_width <= 0:
        return None
    if spread <= 0:
        return 2
    from scipy import stats

    def width(n: int) -> float:
        return float(stats.t.ppf(0.5 + level / 2, n - 1)) * spread / math.sqrt(n)

    if width(most) > half_width:
        return None
    # a start from the normal approximation, then up or down to the exact t answer
    n = max(2, math.ceil((float(stats.norm.ppf(0.5 + level / 2)) * spread / half_width) ** 2))
    n = min(n, most)
    while n > 2 and width(n - 1) <= half_width:
        n -= 1
    while width(n) > half_width:
        n += 1
    return n
