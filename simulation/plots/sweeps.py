"""Figures of a sweep: a heatmap over two parameters, sensitivity indices."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .labels import label, label_text, label_words, number, words
from .numbers import EngineeringFormatter, axis_unit
from .style import MIN_FONT_SIZE, finish, safe, styled, tick

BAR_COLORS = ("#4C72B0", "#DD8452")
"""The two bars of each parameter in a sensitivity figure."""


@styled
def heatmap_figure(
    frame: pd.DataFrame,
    x: str,
    y: str,
    value: str,
    title: str = "",
    *,
    ax: Axes | None = None,
    fmt: str | None = None,
    cmap: str = "viridis",
) -> Figure:
    """Mean of ``value`` over replicates in each (x, y) cell, annotated, with a colour bar.

    Args:
        frame: one row per run with columns ``x``, ``y`` and ``value`` (e.g. a
            sweep's runs table: ``platforms.0.phases.0.flat_fee.fee``,
            ``spark.active_users_end``); failed runs are left out.
        x: the column across.
        y: the column up.
        value: the column averaged in each cell.
        title: the figure's title (default: the value against the two parameters).
        ax: draw into this axes.
        fmt: format of the cell annotations (default: 3 significant digits).
        cmap: the colour map.
    """
    rows = frame[frame["status"] == "ok"] if "status" in frame.columns else frame
    means = rows.pivot_table(index=y, columns=x, values=value, aggfunc="mean", dropna=False)
    means = means.sort_index().sort_index(axis=1)
    figure, ax = (plt.subplots(figsize=(max(6.5, 2.4 + 0.9 * means.shape[1]),
                                        max(4.0, 1.4 + 0.5 * means.shape[0])),
                               layout="constrained") if ax is None else (ax.figure, ax))
    data = means.to_numpy(dtype=float)
    image = ax.imshow(data, origin="lower", aspect="auto", cmap=cmap)
    ax.set_xticks(range(means.shape[1]), [safe(tick(v)) for v in means.columns])
    ax.set_yticks(range(means.shape[0]), [safe(tick(v)) for v in means.index])
    finite = data[np.isfinite(data)]
    middle = (finite.min() + finite.max()) / 2 if finite.size else 0.0
    for (i, j), cell in np.ndenumerate(data):
        text = format(cell, fmt) if fmt and np.isfinite(cell) else number(cell)
        ax.text(j, i, text, ha="center", va="center", fontsize=MIN_FONT_SIZE,
                color="black" if np.isfinite(cell) and cell > middle else "white")
    bar = figure.colorbar(image, ax=ax)
    bar.set_label(safe(f"{label_text(value)}\nmean over replicates"))
    unit, percent = axis_unit(label_text(value))
    bar.formatter = EngineeringFormatter(unit, percent=percent)
    default = f"{label_words(value)}\nby {words(x)[0]} and {words(y)[0]}"
    ax.set_title(safe(title or default))
    ax.set_xlabel(safe(label_text(x)))
    ax.set_ylabel(safe(label_text(y)))
    return figure


@styled
def sensitivity_figure(indices: pd.DataFrame, title: str = "", *, output: str | None = None,
                       ax: Axes | None = None) -> Figure:
    """Sensitivity indices per parameter, with 95% confidence bars.

    ``indices`` is the table of ``simulation.analysis.sensitivity.analyse``: one row
    per parameter, and in its ``attrs`` the design that made it, the columns to
    draw (``bars``: Sobol' S1 and ST, shares of output variance; Morris μ* and σ,
    elementary effects) and what they measure (``xlabel``). ``output`` names the
    metric analysed (e.g. ``"spark.active_users_end"``): it goes in the title,
    and in the axis label with its unit where the bars are in its units.
    """
    bars = indices.attrs.get("bars")
    if not bars:
        raise ValueError("sensitivity_figure: pass the table of "
                         "simulation.analysis.sensitivity.analyse (its attrs name the columns to "
                         f"draw); given a table with columns {list(indices.columns)}")
    names = [label(str(p)) for p in indices["parameter"]]
    figure, ax = (plt.subplots(figsize=(8, 1.2 + 0.45 * len(names)), layout="constrained")
                  if ax is None else (ax.figure, ax))
    y = np.arange(len(names))[::-1]
    height = 0.38
    xlabel = indices.attrs.get("xlabel", "index").format(
        output=label_text(output) if output else "the output")
    for offset, (column, name), colour in zip((height / 2, -height / 2), bars, BAR_COLORS,
                                              strict=False):
        conf = indices.get(f"{column}_conf")
        ax.barh(y + offset, indices[column], height=height, color=colour, label=name,
                xerr=None if conf is None else conf.to_numpy(dtype=float),
                error_kw={"capsize": 3, "lw": 1})
    ax.set_yticks(y, [safe(n) for n in names])
    ax.axvline(0, color="black", lw=0.8)
    default = f"{indices.attrs.get('design', 'sensitivity')} sensitivity indices"
    if output:
        default += f" of {words(output)[0]}"
    finish(ax, title or default, xlabel, "parameter")
    return figure
