"""Scale invariance: what a strategist reads does not depend on how many people are simulated.

The same market (``population.market_size``, 85 million) is simulated with 10 000,
30 000 and 100 000 people, ``REPLICATES`` replicates each. Every person count,
view and dollar is in market units, so adoption, spend, cost per adopter,
influencers recruited and the peak of active users must agree between sizes within
sampling noise.

Tolerance, derived from the replicate spread: two sizes agree on a metric when
their means differ by at most 4 standard errors of the difference,
4·sqrt(se_a² + se_b²), plus 2% of the value for metrics that barely vary between
replicates (influencers recruited). Four standard errors keep the chance of a
false alarm across all 30 comparisons (2 configs × 5 metrics × 3 pairs) under
0.2% (normal tails, Bonferroni). Before market units, cost per adopter fell 20×
from 5 000 to 100 000 people (issue 13), far outside it.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from simulation.runs.sweep import run_many
from tests.conftest import CONFIGS

SIZES = (10_000, 30_000, 100_000)
REPLICATES = 6
METRICS = ("adoption_share_end", "total_spend", "cost_per_adopter", "influencers_joined",
           "peak_active_users")
SIGMAS = 4.0
FLOOR = 0.02


def agree(a: np.ndarray, b: np.ndarray) -> tuple[bool, float, float]:
    """Whether two samples' means agree: (verdict, difference, tolerance)."""
    se = np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    difference = abs(a.mean() - b.mean())
    tolerance = SIGMAS * se + FLOOR * abs(b.mean())
    return difference <= tolerance, difference, tolerance


@pytest.mark.slow
@pytest.mark.parametrize("config", ["baseline.toml", "schemes/flat_then_commission.toml"])
def test_answers_agree_between_simulated_sizes(config):
    runs = run_many([{"population.followers": n} for n in SIZES], REPLICATES, seed=11,
                    base=CONFIGS / config, workers=1, keep_timeseries=False).check("scale").runs
    by_size = {n: runs[runs["point"] == i] for i, n in enumerate(SIZES)}
    assert {float(v) for v in runs["spark.people_per_agent"]} == {85e6 / n for n in SIZES}
    failures = []
    for metric in METRICS:
        values = {n: by_size[n][f"spark.{metric}"].to_numpy(float) for n in SIZES}
        print(f"{config} {metric}: " + ", ".join(
            f"{n:,}: {v.mean():.4g} ± {v.std(ddof=1) / np.sqrt(len(v)):.2g}"
            for n, v in values.items()))
        for small, large in itertools.combinations(SIZES, 2):
            ok, difference, tolerance = agree(values[small], values[large])
            if not ok:
                failures.append(f"{metric} {small:,} vs {large:,}: differ by {difference:.4g}, "
                                f"tolerance {tolerance:.4g}")
    assert not failures, failures


def test_the_tolerance_catches_a_twenty_fold_difference():
    """The old failure (cost per adopter 20× apart between sizes) is far outside it."""
    rng = np.random.default_rng(0)
    base = rng.normal(100.0, 5.0, REPLICATES)
    assert agree(base, rng.normal(100.0, 5.0, REPLICATES))[0]
    assert not agree(base, base / 20)[0]
    assert not agree(base, base * 1.3)[0]
