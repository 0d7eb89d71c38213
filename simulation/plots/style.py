"""The one style of every figure: titled panels, labelled axes, shared helpers.

- **Readable at 1 280 px**: text from 10 pt (ticks, legends) to 14 pt (figure
  titles), set while a figure is drawn (:func:`styled`, :data:`STYLE`); a figure
  10-15 inches wide shown 1 000-1 280 px wide keeps its smallest text at 9 px or more.
- **Colour-blind safe, and more than colour**: groups take the Okabe-Ito
  palette (:data:`GROUP_COLORS`, distinguishable with any common colour-vision
  deficiency) *and* a line style each (:data:`GROUP_STYLES`); stacked areas a
  hatch each (:data:`HATCHES`); the paired-difference figure's signs a marker each.
- **Numbers as people read them**: every linear axis gets the
  :class:`~simulation.plots.numbers.EngineeringFormatter` ($4.8M, 1.2M, 40%),
  never a "1e6" offset or "thousand $".
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .numbers import EngineeringFormatter, axis_unit

TIER_COLORS = ("#9ecae1", "#6baed6", "#3182bd", "#08519c", "#08306b")
"""Colour of each tier, nano (light) to mega (dark); tiers also differ in line width."""
TIER_WIDTHS = (1.0, 1.4, 1.8, 2.2, 2.6)
"""Line width of each tier, nano (thin) to mega (thick): tiers differ in more than shade."""

GROUP_COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
                "#000000", "#F0E442")
"""Okabe & Ito's palette (2008), safe for the common colour-vision deficiencies: the colour of
the first, second, ... group (scenario, design point) in a figure."""
GROUP_STYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 1)),
                (0, (8, 2, 2, 2)))
"""Line style of the first, second, ... group: groups differ in more than colour."""
HATCHES = ("", "//", "..", "xx", "\\\\", "++", "oo", "--")
"""Hatch of the first, second, ... stacked area (payout schemes in spend figures)."""
POSITIVE, NEGATIVE, NEUTRAL = ("#0072B2", "o"), ("#D55E00", "s"), ("0.45", "D")
"""Colour and marker of a difference above, below and at zero (blue circle, vermilion
square, grey diamond): the sign reads from the shape as well as the colour."""

PLATFORM_STYLES = ("-", "--", ":", "-.")
"""Line style of the first, second, ... platform in multi-platform figures."""

STYLE = {
    "font.size": 11, "axes.titlesize": 12, "axes.labelsize": 11, "xtick.labelsize": 10,
    "ytick.labelsize": 10, "legend.fontsize": 10, "legend.title_fontsize": 10,
    "figure.titlesize": 14, "axes.formatter.useoffset": False,
    "axes.prop_cycle": matplotlib.cycler(color=list(GROUP_COLORS)),
}
"""matplotlib settings every figure is drawn with (:func:`styled`): text of 10 pt or more,
no "1e6" offsets, the Okabe-Ito colours."""
MIN_FONT_SIZE = 10.0
"""The smallest text a figure holds, points (ticks, legends, annotations)."""


def styled(function: Callable) -> Callable:
    """Draw a figure function's figure with :data:`STYLE` (text sizes are fixed when drawn)."""
    @functools.wraps(function)
    def draw(*args: object, **kwargs: object) -> object:
        with plt.rc_context(STYLE):
            return function(*args, **kwargs)
    return draw


def group_style(index: int) -> dict[str, object]:
    """Colour and line style of the ``index``-th group."""
    return {"color": GROUP_COLORS[index % len(GROUP_COLORS)],
            "ls": GROUP_STYLES[index % len(GROUP_STYLES)]}


def finish(ax: Axes, title: str, xlabel: str, ylabel: str, legend: bool = True) -> None:
    """The one style: title, labelled axes, light grid, readable numbers, a legend if any."""
    ax.set_title(safe(title))
    ax.set_xlabel(safe(xlabel))
    ax.set_ylabel(safe(ylabel))
    ax.grid(alpha=0.3)
    engineering(ax)
    if legend and ax.get_legend_handles_labels()[0]:
        ax.legend(frameon=False, loc="best")


def engineering(ax: Axes) -> None:
    """Engineering tick labels ($4.8M, 1.2M, 40%) on the linear numeric axes of ``ax``.

    The unit comes from the axis label (``... ($)`` money, ``... (%)`` percent,
    ``... (share ...)`` a share drawn as percent); dates, categories and log axes
    keep their own formatters.
    """
    for axis, text in ((ax.xaxis, ax.get_xlabel()), (ax.yaxis, ax.get_ylabel())):
        if (axis.get_scale() == "linear"
                and type(axis.get_major_formatter()) is ticker.ScalarFormatter):  # not dates
            unit, percent = axis_unit(text)
            axis.set_major_formatter(EngineeringFormatter(unit, percent=percent))


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


def suptitle(figure: Figure, title: str, fontsize: float | None = None) -> None:
    """The figure's title, if any and if it says more than its one panel's title does."""
    if not title:
        return
    shown = [ax for ax in figure.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]
    if len(shown) == 1 and shown[0].get_title().strip() in ("", safe(title)):
        shown[0].set_title(safe(title))  # one panel: its title is the figure's, said once
        return
    figure.suptitle(safe(title), **({} if fontsize is None else {"fontsize": fontsize}))


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
    """A legend entry: the group, and the platform when there are several (in words)."""
    parts = [display(p) for p, keep in ((group, group is not None),
                                        (platform, several_platforms or group is None)) if keep]
    return " · ".join(parts)


def display(name: object) -> str:
    """A name as a figure shows it: ``flat_then_commission`` as ``flat then commission``.

    Identifiers read as words in a figure; the tables keep the name as it is.
    """
    text = str(name)
    return text.replace("_", " ") if "_" in text and " " not in text else text


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
