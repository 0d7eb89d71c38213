"""Statistics shared by the layers: the mean and its t-interval."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def t_interval(values: Sequence[float] | np.ndarray, level: float = 0.95
               ) -> tuple[float, float, float]:
    """Mean and its t-interval ``(mean, low, high)``.

    One value has no interval (low and high NaN); no values give all NaN.
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
    return mean, mean - half, mean + half
