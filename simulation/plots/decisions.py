"""Figures of decisions: what a plan bought (decomposition), and a search for the best plan.

Each takes the result it draws, read by its attributes and tables (the analyses sit
above the figures and are never imported here): a :class:`simulation.Decomposition`
from :func:`simulation.decompose`, an :class:`simulation.Optimum` from
:func:`simulation.optimise`.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from ..errors import ConfigError
from .labels import label, words
from .numbers import format_estimate, format_quantity
from .style import GROUP_COLORS, NEGATIVE, POSITIVE, display, finish, styled, suptitle

EXPANSION, ACCELERATION = "#009E73", "#E69F00"
"""Colours of the two parts (bluish green, orange: Okabe-Ito), also hatched apart."""

WORLDS = ("plan", "counterfactual")
"""The values of a decomposition's ``world`` column: the plan, and the world without it."""


@styled
def decomposition_figure(result: Any, platform: str | None = None, title: str = "") -> Figure:
    """Median adopter curves of both worlds with the two areas between them shaded.

    Left: the median over replicates (per day) of the plan's and the
    counterfactual's adopters; below the level ``L`` both median curves reach,
    the shaded gap is acceleration, above it expansion. (Medians of curves: the
    areas illustrate, the numbers are in the right panel.) Right: mean expansion,
    acceleration and their sum per replicate (adopter-days) with 95% intervals.

    Args:
        result: a :class:`simulation.Decomposition`; read: ``timeseries`` (both
            worlds' daily tables, with ``world`` and ``replicate``), ``table``
            (``platform, metric, mean, low, high``), ``plan`` and ``counterfactual``
            (the two worlds' names, for the legend).
        platform: the platform drawn (default: the first).
        title: the figure's title.
    """
    table = result.table
    platforms = list(dict.fromkeys(table["platform"]))
    platform = platforms[0] if platform is None else platform
    if platform not in platforms:
        raise ConfigError(f"platform = {platform!r}: not in the decomposition; allowed: "
                          f"{', '.join(platforms)}")
    rows = result.timeseries[result.timeseries["platform"] == platform]
    plan, base = (rows[rows["world"] == world].pivot_table(
        index="day", columns="replicate", values="adopters", aggfunc="first").median(axis=1)
        for world in WORLDS)
    days = plan.index.to_numpy()
    plan, base = plan.to_numpy(), base.to_numpy()
    level = min(plan[-1], base[-1])
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained",
                                         gridspec_kw={"width_ratios": [1.6, 1]})
    left.fill_between(days, np.minimum(base, level), np.minimum(plan, level),
                      color=ACCELERATION, alpha=0.45, lw=0, hatch="//", label="acceleration")
    left.fill_between(days, np.maximum(base, level), np.maximum(plan, level),
                      color=EXPANSION, alpha=0.45, lw=0, hatch="..", label="expansion")
    left.plot(days, plan, color=GROUP_COLORS[0], lw=1.8, label=display(result.plan))
    left.plot(days, base, color="0.3", lw=1.5, ls="--", label=display(result.counterfactual))
    left.axhline(level, color="0.5", lw=0.8, ls=":")
    finish(left, f"{platform}: adopters, median of {rows['replicate'].nunique()} replicates",
           "day", "adopters (ever) (people)")
    mine = table[table["platform"] == platform].set_index("metric")
    names = ["expansion", "acceleration", "adopter_days_gained"]
    means, lows, highs = (mine.loc[names, column].to_numpy(float)
                          for column in ("mean", "low", "high"))
    right.barh(["expansion", "acceleration", "total gained"], means,
               xerr=np.nan_to_num(np.array([means - lows, highs - means])),
               color=[EXPANSION, ACCELERATION, GROUP_COLORS[0]], alpha=0.8, capsize=4,
               hatch=["..", "//", ""])
    right.invert_yaxis()
    cost = float(mine.loc["cost_per_incremental_adopter", "mean"])
    extra = float(mine.loc["extra_adopters", "mean"])
    finish(right, f"{format_quantity(extra)} extra adopters, {format_quantity(cost, '$')} each",
           "adopter-days", "",
           legend=False)
    suptitle(figure, title)
    return figure


@styled
def search_figure(result: Any, title: str = "") -> Figure:
    """The search (objective per trial, best so far) and the winner vs start on fresh seeds.

    One panel per fresh-seed comparison: the objective, and the target's metric when
    there is a target (its line drawn).

    Args:
        result: an :class:`simulation.Optimum`; read: ``history`` (``trial, state,
            feasible, objective, best_so_far``), ``fresh`` (the paired table:
            ``scenario`` ``start`` and ``best``, ``platform, metric, n, mean, low,
            high, diff, diff_low, diff_high``), ``search_runs`` (``replicate``),
            ``objective``, ``platform`` and ``target`` (None, or ``metric`` and
            ``value``).
        title: the figure's title.
    """
    target = result.target
    metrics = ["objective", *([target.metric] if target is not None else [])]
    figure, axes = plt.subplots(1, len(metrics) + 1, figsize=(4.6 * (len(metrics) + 1) + 1, 4),
                                layout="constrained",
                                gridspec_kw={"width_ratios": [1.6] + [1] * len(metrics)})
    trials = result.history
    done = trials[trials["state"] == "complete"]
    ok, bad = done[done["feasible"]], done[~done["feasible"]]
    search = axes[0]
    search.scatter(ok["trial"], ok["objective"], s=26, color=POSITIVE[0], label="feasible")
    search.scatter(bad["trial"], bad["objective"], s=26, marker="x", color=NEGATIVE[0],
                   label="infeasible")
    search.step(trials["trial"], trials["best_so_far"], where="post", color="0.2", lw=1.2,
                label="best so far")
    replicates = int(result.search_runs["replicate"].nunique())
    finish(search, f"Search: {len(trials)} trials × {replicates} replicates", "trial",
           f"{label(result.objective)}, mean")
    fresh = result.fresh[result.fresh["platform"] == result.platform]
    for ax, metric in zip(axes[1:], metrics, strict=True):
        rows = fresh[fresh["metric"] == metric].set_index("scenario").loc[["start", "best"]]
        means = rows["mean"].to_numpy(float)
        errors = np.nan_to_num(np.array([means - rows["low"].to_numpy(float),
                                         rows["high"].to_numpy(float) - means]))
        ax.bar(["start", "best"], means, yerr=errors, capsize=5, color=["0.6", POSITIVE[0]],
               hatch=["//", ""])
        best = rows.loc["best"]
        if target is not None and metric == target.metric:
            ax.axhline(target.value, color=NEGATIVE[0], ls="--", lw=1.2, label="target")
        unit = words(result.objective if metric == "objective" else metric)[1]
        finish(ax, f"Fresh seeds ({int(best['n'])} replicates), best − start:\n"
               + format_estimate(best["diff"], best["diff_low"], best["diff_high"], unit,
                                 sign=True), "",
               label(result.objective if metric == "objective" else metric))
    suptitle(figure, title)
    return figure

