"""Figures that compare scenarios: paired differences with intervals, the cost frontier."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..stats import t_interval
from .labels import label_text, label_words, words
from .style import (
    MIN_FONT_SIZE,
    NEGATIVE,
    NEUTRAL,
    POSITIVE,
    finish,
    grid,
    safe,
    series_name,
    styled,
    suptitle,
)


@styled
def comparison_figure(
    table: pd.DataFrame,
    metrics: Sequence[str] | None = None,
    *,
    platform: str | Sequence[str] | None = None,
    value: str = "diff",
    title: str = "",
) -> Figure:
    """Each scenario's paired difference to the reference, with its 95% interval, per metric.

    Args:
        table: the tidy table of :func:`simulation.compare`.
        metrics: the metrics to draw, one panel each (default: all in the table).
        platform: only this platform (or these).
        value: ``"diff"`` (difference to the reference, paired by replicate)
            or ``"mean"`` (each scenario's mean with its 95% interval).
        title: the figure's title.
    """
    frame = table
    if platform is not None:
        wanted = [platform] if isinstance(platform, str) else list(platform)
        frame = frame[frame["platform"].isin(wanted)]
    names = list(dict.fromkeys(frame["metric"])) if metrics is None else list(metrics)
    several = frame["platform"].nunique() > 1
    rows_per_panel = frame["scenario"].nunique() * (frame["platform"].nunique() if several else 1)
    figure, axes = grid(len(names), width=4.4, height=0.9 + 0.38 * rows_per_panel,
                         sharex=False, sharey=True)
    low, high = ("diff_low", "diff_high") if value == "diff" else ("low", "high")
    for name, ax in zip(names, axes, strict=True):
        rows = frame[frame["metric"] == name].iloc[::-1]
        y = np.arange(len(rows))
        centre = rows[value].to_numpy(dtype=float)
        err = np.vstack([centre - rows[low].to_numpy(dtype=float),
                         rows[high].to_numpy(dtype=float) - centre])
        is_ref = (rows["scenario"] == rows["reference"]).to_numpy()
        for i in range(len(rows)):
            colour, marker = (POSITIVE if centre[i] > 0 else NEGATIVE if centre[i] < 0
                              else NEUTRAL)
            ax.errorbar(centre[i], y[i], xerr=np.nan_to_num(err[:, i : i + 1]), fmt=marker,
                        color=NEUTRAL[0] if is_ref[i] else colour, ms=6,
                        mfc="white" if is_ref[i] else colour, capsize=3, lw=1.4)
        if value == "diff":
            ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(y, [safe(series_name(s, p, several)) for s, p in zip(rows["scenario"],
                                                                 rows["platform"], strict=True)])
        text, units = words(name)
        reference = rows["reference"].iloc[0] if len(rows) else ""
        xlabel = (f"difference to {reference} ({units or 'value'})" if value == "diff"
                  else f"{text} ({units or 'value'})")
        finish(ax, f"{text[0].upper()}{text[1:]}", xlabel,
                "scenario · platform" if several else "scenario", legend=False)
    what = "paired difference to the reference" if value == "diff" else "mean"
    suptitle(figure, title or f"Scenarios compared: {what}, 95% intervals over replicates")
    return figure


def pareto_front(cost: Sequence[float], value: Sequence[float]) -> np.ndarray:
    """Which points no other point beats (costs no more and gives at least as much, better in one).

    Returns a boolean mask: the Pareto frontier of low cost and high value.
    """
    cost, value = np.asarray(cost, dtype=float), np.asarray(value, dtype=float)
    front = np.ones(len(cost), dtype=bool)
    for i in range(len(cost)):
        better = ((cost <= cost[i]) & (value >= value[i])
                  & ((cost < cost[i]) | (value > value[i])))
        front[i] = not better.any() and np.isfinite(cost[i]) and np.isfinite(value[i])
    return front


def _points(frame: pd.DataFrame, cost: str, value: str, label_column: str,
            platform: str | None) -> pd.DataFrame:
    """Mean and 95% interval of cost and value per label (tidy compare table or runs table)."""
    rows = []
    if "metric" in frame.columns:  # the tidy table of compare
        tidy = frame if platform is None else frame[frame["platform"] == platform]
        several = tidy["platform"].nunique() > 1
        for (scenario, plat), group in tidy.groupby(["scenario", "platform"], sort=False):
            pick = group.set_index("metric")
            if cost not in pick.index or value not in pick.index:
                continue
            rows.append({"label": series_name(scenario, plat, several),
                         **{f"{axis}_{k}": float(pick.loc[key, k])
                            for axis, key in (("cost", cost), ("value", value))
                            for k in ("mean", "low", "high")}})
        return pd.DataFrame(rows)
    if "status" in frame.columns:
        frame = frame[frame["status"] == "ok"]
    for name, group in frame.groupby(label_column, sort=False):
        row = {"label": str(name)}
        for axis, key in (("cost", cost), ("value", value)):
            mean, low, high = t_interval(group[key].dropna().to_numpy(dtype=float))
            if np.isnan(low):  # one run: no interval, a point
                low = high = mean
            row.update({f"{axis}_mean": mean, f"{axis}_low": low, f"{axis}_high": high})
        rows.append(row)
    return pd.DataFrame(rows)


@styled
def frontier_figure(
    frame: pd.DataFrame,
    cost: str = "total_spend",
    value: str = "active_users_end",
    label: str = "scenario",
    *,
    platform: str | None = None,
    title: str = "",
    ax: Axes | None = None,
) -> Figure:
    """Spend against outcome per scenario, with 95% interval bars and the Pareto frontier.

    Args:
        frame: the tidy table of :func:`simulation.compare` (``cost`` and
            ``value`` are metric names), or a runs table (they are columns,
            e.g. ``"spark.total_spend"``; rows grouped by ``label``).
        cost: what is spent (x axis), e.g. ``total_spend`` ($).
        value: what is gained (y axis), e.g. ``active_users_end`` (people).
        label: the column naming each point in a runs table.
        platform: the platform (tidy table with several platforms).
        title: the figure's title.
        ax: draw into this axes.
    """
    points = _points(frame, cost, value, label, platform)
    figure, ax = (plt.subplots(figsize=(7.5, 5), layout="constrained") if ax is None
                  else (ax.figure, ax))
    front = pareto_front(points["cost_mean"], points["value_mean"])
    for i, row in points.iterrows():
        ax.errorbar(row["cost_mean"], row["value_mean"],
                    xerr=np.nan_to_num([[row["cost_mean"] - row["cost_low"]],
                                        [row["cost_high"] - row["cost_mean"]]]),
                    yerr=np.nan_to_num([[row["value_mean"] - row["value_low"]],
                                        [row["value_high"] - row["value_mean"]]]),
                    fmt="o" if front[i] else "s", color=POSITIVE[0] if front[i] else NEUTRAL[0],
                    mfc=POSITIVE[0] if front[i] else "white", capsize=3, lw=1.2)
    for (x, y), names in _coincident(points).items():  # one label for points on one spot
        ax.annotate(safe(", ".join(names)), (x, y), fontsize=MIN_FONT_SIZE, xytext=(5, 5),
                    textcoords="offset points")
    on_front = points[front].sort_values("cost_mean")
    ax.plot(on_front["cost_mean"], on_front["value_mean"], color=POSITIVE[0], ls="--", lw=1.2,
            label="Pareto frontier: nothing cheaper does better")
    finish(ax, title or f"{label_words(value)} against {words(cost)[0]}",
            label_text(cost), label_text(value))
    return figure


def _coincident(points: pd.DataFrame) -> dict[tuple[float, float], list[str]]:
    """Labels of points within 1% of the axis ranges of each other, grouped at the first."""
    spans = [max(float(np.ptp(points[c])), 1e-12) for c in ("cost_mean", "value_mean")]
    spots: dict[tuple[float, float], list[str]] = {}
    for _, row in points.iterrows():
        here = (float(row["cost_mean"]), float(row["value_mean"]))
        for spot, names in spots.items():
            if all(abs(a - b) <= 0.01 * span for a, b, span in zip(here, spot, spans,
                                                                   strict=True)):
                names.append(str(row["label"]))
                break
        else:
            spots[here] = [str(row["label"])]
    return spots
