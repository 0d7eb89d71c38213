"""The one style of every figure: titled panels, labelled axes, shared helpers."""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure

TIER_COLORS = ("#9ecae1", "#6baed6", "#3182bd", "#08519c", "#08306b")
"""Colour of each tier, nano (light) to mega (dark)."""


PLATFORM_STYLES = ("-", "--", ":", "-.")
"""Line style of the first, second, ... platform in multi-platform figures."""


def finish(ax: Axes, title: str, xlabel: str, ylabel: str, legend: bool = True) -> None:
    """The one style: title, labelled axes, light grid, a small legend if there is one."""
    ax.set_title(safe(title), fontsize=11)
    ax.set_xlabel(safe(xlabel))
    ax.set_ylabel(safe(ylabel))
    ax.grid(alpha=0.3)
    for axis, limits in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
        if (axis.get_scale() == "linear" and max(abs(v) for v in limits) >= 10_000
                and type(axis.get_major_formatter()) is ticker.ScalarFormatter):  # not dates
            axis.set_major_formatter(ticker.StrMethodFormatter("{x:,.0f}"))
    if legend and ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, frameon=False, loc="best")


def grid(n: int, width: float = 4.6, height: float = 3.4, ncols: int | None = None,
          sharex: bool = True, sharey: bool = False) -> tuple[Figure, list[Axes]]:
    """A figure with ``n`` panels in rows of ``ncols`` (default 3; 2 for 4); unused hidden."""
    ncols = max(1, min(ncols or (2 if n == 4 else 3), n))
    nrows = math.ceil(n / ncols)
    figure, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows),
                                sharex=sharex, sharey=sharey, layout="constrained",
                                squeeze=False)
    flat = list(axes.flat)
    for ax in flat[n:]:
        ax.set_visible(False)
    return figure, flat[:n]


def panels(n: int, ax: Axes | None, **shared: bool) -> tuple[Figure, list[Axes]]:
    """A grid of ``n`` panels, or the given axes when there is one panel."""
    if ax is None:
        return grid(n, **shared)
    if n != 1:
        raise ValueError(f"this figure has {n} panels; pass ax only when it has one")
    return ax.figure, [ax]


def safe(text: str) -> str:
    """Text shown as written: dollars are dollars, not mathtext (which two '$' would start)."""
    text = str(text)
    if text.count("$") - text.count("\\$") < 2:
        return text  # matplotlib shows a single '$' as it is
    return text.replace("\\$", "$").replace("$", "\\$")


def suptitle(figure: Figure, title: str, fontsize: float = 13) -> None:
    """The figure's title, if any (smaller for a long title wrapped over lines)."""
    if title:
        figure.suptitle(safe(title), fontsize=fontsize)


def groups(frame: pd.DataFrame, by: str | None) -> list[tuple[object, pd.DataFrame]]:
    """Rows per value of ``by`` in order of first appearance (one group if ``by`` is absent)."""
    if by is None or by not in frame.columns:
        return [(None, frame)]
    return list(frame.groupby(by, sort=False))


def replicate_column(frame: pd.DataFrame) -> str | None:
    """The column that tells replicates apart, if any."""
    for column in ("replicate", "run_id"):
        if column in frame.columns:
            return column
    return None


def series_name(group: object, platform: object, several_platforms: bool) -> str:
    """A legend entry: the group, and the platform when there are several."""
    parts = [str(p) for p, keep in ((group, group is not None),
                                    (platform, several_platforms or group is None)) if keep]
    return " · ".join(parts)


def platform_panels(
    frame: pd.DataFrame, by: str | None, platform: str | Sequence[str] | None
) -> tuple[pd.DataFrame, list[tuple[object, object, pd.DataFrame]], bool]:
    """The chosen platforms' rows, the panels (group, platform, rows), and if several platforms."""
    if platform is not None:
        wanted = [platform] if isinstance(platform, str) else list(platform)
        frame = frame[frame["platform"].isin(wanted)]
    panels = [(group, plat, rows) for group, group_rows in groups(frame, by)
              for plat, rows in group_rows.groupby("platform", sort=False)]
    return frame, panels, frame["platform"].nunique() > 1


def tick(value: object) -> str:
    """A tick label: floats without trailing zeros."""
    if isinstance(value, float | np.floating):
        return f"{value:g}"
    return str(value)
