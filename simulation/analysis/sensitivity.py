"""Global sensitivity of a sweep's metric to its parameters (SALib).

For a ``sobol`` design: first-order (S1) and total (ST) Sobol' indices with
95% bootstrap intervals (Saltelli 2010 estimators, SALib's ``sobol.analyze``).
For a ``morris`` design: elementary effects μ*, μ and σ (Morris 1991,
Campolongo 2007), with a 95% interval on μ*. Replicates at a design point
are averaged first, so the indices describe the mean response.

:func:`ishigami` is the standard test function with known indices (Ishigami
& Homma 1990; a = 7, b = 0.1), used to check this whole path: design, seeds,
executors, storage and analysis.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..model.config import ConfigError
from ..runs.designs import DESIGNS, DesignKind
from ..runs.sweep import SweepResult

ISHIGAMI_A, ISHIGAMI_B = 7.0, 0.1
ANALYSIS_KEY = (0, 0, 1)  # SeedSequence spawn key of the bootstrap intervals


def ishigami(parameters: Mapping[str, float], seed: int = 0) -> dict[str, float]:
    """Ishigami's function of ``x1, x2, x3`` ∈ [−π, π] (the seed is unused: it is exact)."""
    x1, x2, x3 = (float(parameters[k]) for k in ("x1", "x2", "x3"))
    return {"y": math.sin(x1) + ISHIGAMI_A * math.sin(x2) ** 2
            + ISHIGAMI_B * x3 ** 4 * math.sin(x1)}


def ishigami_indices() -> pd.DataFrame:
    """The analytic first-order and total Sobol' indices of :func:`ishigami`."""
    a, b, pi4 = ISHIGAMI_A, ISHIGAMI_B, math.pi ** 4
    v1 = 0.5 * (1 + b * pi4 / 5) ** 2
    v2 = a ** 2 / 8
    v13 = b ** 2 * pi4 ** 2 * 8 / 225
    total = v1 + v2 + v13
    return pd.DataFrame({"parameter": ["x1", "x2", "x3"],
                         "S1": [v1 / total, v2 / total, 0.0],
                         "ST": [(v1 + v13) / total, v2 / total, v13 / total]})


def indices_table(design: DesignKind, problem: Mapping[str, Any],
                  indices: Mapping[str, np.ndarray], **attrs: Any) -> pd.DataFrame:
    """A design's indices as a table, one row per parameter, that knows how to be drawn."""
    table = pd.DataFrame({"parameter": problem["names"], **indices})
    table.attrs.update(design=design.kind, bars=design.bars, xlabel=design.xlabel, **attrs)
    return table


def metric_column(runs: pd.DataFrame, metric: str, platform: str | None = None) -> str:
    """The runs-table column of ``metric`` (``<platform>.<metric>``, or ``metric`` itself)."""
    if metric in runs.columns:
        return metric
    platforms = list(dict.fromkeys(c.split(".", 1)[0] for c in runs.columns
                                   if c.endswith(f".{metric}")))
    if not platforms:
        raise ConfigError(f"metric {metric!r}: not in this sweep's results")
    chosen = platform or platforms[0]
    if chosen not in platforms:
        raise ConfigError(f"platform {chosen!r}: not in this sweep (allowed: "
                          f"{', '.join(platforms)})")
    return f"{chosen}.{metric}"


def point_means(result: SweepResult, column: str) -> np.ndarray:
    """The mean of ``column`` over each point's successful replicates, in design order."""
    ok = result.runs[result.runs["status"] == "ok"]
    means = ok.groupby("point")[column].mean()
    n_points = len(result.spec.points())
    missing = sorted(set(range(n_points)) - set(means.index))
    if missing or means.isna().any():
        raise ConfigError(
            f"sensitivity needs a value at every design point: {len(missing)} of {n_points} "
            f"points have no successful run (e.g. point {missing[:3]}); rerun the sweep to "
            "retry failed runs"
        )
    return means.sort_index().to_numpy(dtype=float)


def analyse(
    result: SweepResult, metric: str | None = None, platform: str | None = None,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Sensitivity indices of ``metric`` for a sweep whose design analyses, one row per parameter.

    Sobol': columns ``parameter, S1, S1_conf, ST, ST_conf`` (``_conf`` is the
    half-width of the interval). Morris: ``parameter, mu, mu_star, mu_star_conf, sigma``.
    """
    spec = result.spec
    design = spec.design
    if not design.analyses:
        with_analysis = [kind for kind, cls in DESIGNS.items() if cls().analyses]
        raise ConfigError(f"design.kind = {design.kind!r}: has no sensitivity analysis; "
                          f"allowed: {', '.join(with_analysis)}")
    column = metric_column(result.runs, metric or spec.report.metric,
                           platform or spec.report.platform)
    y = point_means(result, column)
    problem = spec.problem
    # SALib seeds its bootstrap only with a non-zero seed: derive one from the sweep's
    seed = int(np.random.SeedSequence(spec.seed, spawn_key=ANALYSIS_KEY).generate_state(1)[0]) or 1
    indices = design.analyse(problem, spec.sample(), y, seed, conf_level)
    return indices_table(design, problem, indices, metric=column, conf_level=conf_level)
