"""Figures over time: adoption and users, bands over replicates, tiers, spend by scheme."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..model.payouts import SCHEMES, TIERS
from .labels import PEOPLE_UNITS, label_words, unit_of, words
from .marks import Marks, draw_marks
from .style import (
    GROUP_COLORS,
    HATCHES,
    PLATFORM_STYLES,
    TIER_COLORS,
    TIER_WIDTHS,
    finish,
    grid,
    group_style,
    groups,
    panels,
    platform_panels,
    replicate_column,
    safe,
    series_name,
    styled,
    suptitle,
)


@styled
def adoption_figure(
    timeseries: pd.DataFrame, title: str = "", n_people: float | None = None, *,
    marks: Marks = None,
) -> Figure:
    """Adoption curve, active users, influencers and spend, per platform, on one figure.

    Args:
        timeseries: one run's daily table.
        title: the figure's title (e.g. the config's name).
        n_people: people in the market: adoption is drawn as a share of them (%).
        marks: days to mark on every panel (:func:`~simulation.plots.schedule_marks`:
            the switch, events, the budget spent), labelled on the first row.
    """
    figure, axes = plt.subplots(2, 2, figsize=(12, 8), sharex=True, layout="constrained")
    (adoption, users), (creators, spend) = axes
    for index, (name, rows) in enumerate(timeseries.groupby("platform", sort=False)):
        day = rows["day"]
        colour = GROUP_COLORS[index % len(GROUP_COLORS)]
        share = rows["adopters"] / n_people * 100 if n_people else rows["adopters"]
        adoption.plot(day, share, color=colour, lw=1.8, label=name)
        users.plot(day, rows["active_users"], color=colour, lw=1.8, label=f"{name} active")
        users.plot(day, rows["lapsed_users"], color=colour, ls=":", lw=1.6,
                   label=f"{name} lapsed")
        creators.plot(day, rows["active_influencers"], color=colour, lw=1.8,
                      label=f"{name} posting")
        creators.plot(day, rows["joined_influencers"], color=colour, ls="--", lw=1.6,
                      label=f"{name} joined")
        spend.plot(day, rows["spend_total"].cumsum(), color=colour, lw=2.2,
                   label=f"{name} total")
        for scheme in SCHEMES.values():
            cumulative = rows[scheme.column()].cumsum()
            if cumulative.iloc[-1] > 0:
                spend.plot(day, cumulative, color=colour, lw=1.2, ls=scheme.linestyle,
                           label=f"{name} {scheme.label}")
    for ax in axes.flat:
        draw_marks(ax, marks, labels=ax in axes[0])
    finish(adoption, "Adoption (ever adopted)", "",
           "share of people (%)" if n_people else "adopters (people)")
    finish(users, "Users", "", "people")
    finish(creators, "Influencers", "day", "influencers")
    finish(spend, "Payout spend (cumulative)", "day", "cumulative spend ($)")
    suptitle(figure, title)
    return figure


def band_quantiles(
    timeseries: pd.DataFrame, metric: str, quantiles: Sequence[float] = (0.05, 0.5, 0.95)
) -> pd.DataFrame:
    """Quantiles of ``metric`` over replicates for each day of one group and platform.

    Returns a frame indexed by day with one column per quantile.
    """
    replicate = replicate_column(timeseries)
    if replicate is None:
        wide = timeseries.set_index("day")[[metric]]
    else:
        wide = timeseries.pivot_table(index="day", columns=replicate, values=metric,
                                      aggfunc="first")
    values = np.nanquantile(wide.to_numpy(dtype=float), list(quantiles), axis=1)
    return pd.DataFrame(values.T, index=wide.index, columns=list(quantiles))


@styled
def band_figure(
    timeseries: pd.DataFrame,
    metric: str | Sequence[str] = "adopters",
    by: str | None = "scenario",
    *,
    n_people: float | None = None,
    fan: bool = False,
    platform: str | Sequence[str] | None = None,
    title: str = "",
    ax: Axes | None = None,
    marks: Marks = None,
) -> Figure:
    """Median over replicates per group with a shaded 5–95% band (a fan chart with ``fan``).

    Args:
        timeseries: a long daily table of many runs: ``day``, ``platform``,
            ``replicate`` (or ``run_id``), the ``by`` column and the metric columns.
        metric: a daily column (or several: one panel each), e.g. ``"adopters"``
            (people), ``"active_users"`` (people), ``"spend_total"`` ($/day).
        by: the grouping column (``"scenario"``, ``"point"``); None or absent
            draws one group.
        n_people: people in the market (``population.market_size``); when given,
            people counts are drawn as a share of them (%).
        fan: nested bands, 5–95% (light) and 25–75% (darker).
        platform: only this platform (or these).
        title: the figure's title.
        ax: draw into this axes (one metric only).
        marks: days to mark (the switch, events: :func:`~simulation.plots.schedule_marks`,
            or ``(day, words)`` pairs), labelled on every panel.
    """
    metrics = [metric] if isinstance(metric, str) else list(metric)
    if ax is not None and len(metrics) != 1:
        raise ValueError("band_figure: pass one metric when drawing into an existing ax")
    frame = timeseries
    if platform is not None:
        wanted = [platform] if isinstance(platform, str) else list(platform)
        frame = frame[frame["platform"].isin(wanted)]
    if ax is None:
        figure, axes = grid(len(metrics), width=5.6, height=3.8, ncols=2)
    else:
        figure, axes = ax.figure, [ax]
    platforms = list(dict.fromkeys(frame["platform"]))
    replicate = replicate_column(frame)
    n_reps = frame[replicate].nunique() if replicate else 1
    quantiles = (0.05, 0.25, 0.5, 0.75, 0.95)
    for name, panel in zip(metrics, axes, strict=True):
        share = n_people is not None and unit_of(name) in PEOPLE_UNITS
        scale = 100.0 / n_people if share else 1.0
        for g, (group, rows) in enumerate(groups(frame, by)):
            style = group_style(g)
            for plat, platform_rows in rows.groupby("platform", sort=False):
                bands = band_quantiles(platform_rows, name, quantiles) * scale
                days = bands.index.to_numpy()
                panel.fill_between(days, bands[0.05], bands[0.95], color=style["color"],
                                   alpha=0.18, lw=0)
                if fan:
                    panel.fill_between(days, bands[0.25], bands[0.75], color=style["color"],
                                       alpha=0.35, lw=0)
                line = (style["ls"] if len(platforms) == 1
                        else PLATFORM_STYLES[platforms.index(plat) % len(PLATFORM_STYLES)])
                panel.plot(days, bands[0.5], color=style["color"], ls=line, lw=1.8,
                           label=safe(series_name(group, plat, len(platforms) > 1)
                                      or label_words(name)))
        draw_marks(panel, marks)
        text, units = words(name)
        bands_text = "5–95% and 25–75%" if fan else "5–95%"
        panel_title = f"{text[0].upper()}{text[1:]}"
        if n_reps > 1:
            panel_title += f": median, {bands_text} of {n_reps} replicates"
        finish(panel, panel_title, "day",
               "share of people (%)" if share else f"{text} ({units or 'value'})")
    suptitle(figure, title)
    return figure


@styled
def tier_figure(
    tiers: pd.DataFrame,
    *,
    by: str | None = None,
    platform: str | Sequence[str] | None = None,
    joined: bool = True,
    sharey: bool = False,
    title: str = "",
    ax: Axes | None = None,
) -> Figure:
    """Influencers posting (solid) and joined (dashed) by tier over time, one panel per platform.

    Args:
        tiers: the table of ``simulation.model.tiers.tier_timeseries``
            (``day, platform, tier, invited, joined, active``, optionally
            ``replicate`` and a grouping column); several replicates are drawn
            as their median.
        by: a grouping column: one panel per group and platform.
        platform: only this platform (or these).
        joined: also draw the influencers currently joined (dashed).
        sharey: one y scale for every panel.
        title: the figure's title.
        ax: draw into this axes (when there is one panel).
    """
    _, rows_of, several = platform_panels(tiers, by, platform)
    figure, axes = panels(len(rows_of), ax, sharey=sharey)
    for (group, plat, rows), panel in zip(rows_of, axes, strict=True):
        for t, tier in enumerate(TIERS):
            tier_rows = rows[rows["tier"] == tier]
            if tier_rows.empty or tier_rows["joined"].max() == 0:
                continue
            active = band_quantiles(tier_rows, "active", (0.5,))[0.5]
            panel.plot(active.index, active, color=TIER_COLORS[t], lw=TIER_WIDTHS[t],
                       label=f"{tier} posting")
            if joined:
                members = band_quantiles(tier_rows, "joined", (0.5,))[0.5]
                panel.plot(members.index, members, color=TIER_COLORS[t],
                           lw=TIER_WIDTHS[t] * 0.7, ls="--", label=f"{tier} joined")
        name = series_name(group, plat, several) or str(plat)
        finish(panel, name if len(rows_of) > 1 else "Influencers by tier", "day",
               "influencers")
    if len(rows_of) > 1 and not title:
        title = "Influencers by tier"
    suptitle(figure, title)
    return figure


@styled
def spend_figure(
    timeseries: pd.DataFrame,
    *,
    by: str | None = "scenario",
    cumulative: bool = True,
    platform: str | Sequence[str] | None = None,
    sharey: bool = True,
    title: str = "",
    ax: Axes | None = None,
    marks: Marks = None,
) -> Figure:
    """Payout spend by scheme over time, stacked, one panel per group and platform.

    Each scheme has its colour (the scheme registry's) and a hatch of its own.
    Cumulative spend is in $; daily spend in $/day. Several replicates are
    drawn as their mean per day.

    Args:
        timeseries: a daily table (one run, or many with ``replicate`` and ``by``).
        by: the grouping column; None or absent draws one group.
        cumulative: cumulative spend ($) rather than $/day.
        platform: only this platform (or these).
        sharey: one y scale for every panel.
        title: the figure's title (default: "Payout spend by scheme").
        ax: draw into this axes (when there is one panel).
        marks: days to mark (the switch, the budget spent), labelled.
    """
    frame, rows_of, several = platform_panels(timeseries, by, platform)
    schemes = list(SCHEMES.values())
    used = [s for s in schemes if (frame[s.column()] > 0).any()] or schemes[:1]
    figure, axes = panels(len(rows_of), ax, sharey=sharey)
    for (group, plat, rows), panel in zip(rows_of, axes, strict=True):
        daily = rows.groupby("day")[[s.column() for s in used]].mean()
        values = daily.cumsum() if cumulative else daily
        areas = panel.stackplot(values.index, *(values[s.column()] for s in used),
                                colors=[s.color for s in used], alpha=0.85,
                                labels=[s.label for s in used], edgecolor="white", lw=0.5)
        for area, scheme in zip(areas, used, strict=True):
            area.set_hatch(HATCHES[schemes.index(scheme) % len(HATCHES)])
        draw_marks(panel, marks)
        name = series_name(group, plat, several) or str(plat)
        what = "Payout spend by scheme"
        finish(panel, name if len(rows_of) > 1 else what, "day",
               "cumulative spend ($)" if cumulative else "spend ($/day)", legend=False)
    what = "payout scheme" + (" (mean over replicates)" if replicate_column(frame) else "")
    if ax is not None:
        ax.legend(frameon=False, title=what)
    else:
        handles, labels = axes[0].get_legend_handles_labels()
        figure.legend(handles, labels, loc="outside lower center", ncols=len(labels),
                      frameon=False, title=what)
    suptitle(figure, title or ("Payout spend by scheme" if len(rows_of) > 1 else ""))
    return figure
