"""Figures. One readable style: titled panels, labelled axes with units.

Every function returns a :class:`matplotlib.figure.Figure` (the one holding
``ax`` when an existing axes is passed). Inputs are the package's tables:

- daily tables (``simulation.COLUMNS``), of one run or of many runs with
  ``replicate`` and a grouping column (``scenario`` from
  :func:`simulation.compare`, ``point`` from ``run_many`` and sweeps);
- runs tables (one row per run, metrics as ``<platform>.<summary key>``);
- the tidy table of :func:`simulation.compare` (``scenario, platform,
  metric, mean, low, high, diff, diff_low, diff_high, reference``);
- the per-tier table of ``tier_timeseries`` (``from simulation.compare import
  tier_timeseries``: ``simulation.compare`` itself is the function).

Axis labels come from :func:`label`, which knows the unit of every daily
column, summary key and the common config keys; add entries to ``LABELS``
for metrics of your own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .payouts import SCHEMES, SPEND_COLUMNS, TIERS

SCHEME_STYLES = ("--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)))
"""Line style of each spend column (flat fee, commission, per view, per adopter)."""
SCHEME_COLORS = ("#4C72B0", "#DD8452", "#55A868", "#C44E52")
"""Fill colour of each spend column (flat fee, commission, per view, per adopter)."""
TIER_COLORS = ("#9ecae1", "#6baed6", "#3182bd", "#08519c", "#08306b")
"""Colour of each tier, nano (light) to mega (dark)."""
PLATFORM_STYLES = ("-", "--", ":", "-.")
"""Line style of the first, second, ... platform in multi-platform figures."""

LABELS: dict[str, tuple[str, str]] = {
    # daily columns: (words, unit)
    "adopters": ("adopters (ever)", "people"),
    "new_adopters": ("new adopters", "people/day"),
    "active_users": ("active users", "people"),
    "lapsed_users": ("lapsed users", "people"),
    "joined_influencers": ("influencers joined", "influencers"),
    "active_influencers": ("influencers posting", "influencers"),
    "posts": ("posts", "posts/day"),
    "views": ("views", "views/day"),
    "gmv": ("sales (GMV)", "$/day"),
    "spend_flat_fee": ("flat fee spend", "$/day"),
    "spend_commission": ("commission spend", "$/day"),
    "spend_per_view": ("per-view spend", "$/day"),
    "spend_per_adopter": ("per-adopter spend", "$/day"),
    "spend_total": ("payout spend", "$/day"),
    "revenue": ("revenue", "$/day"),
    "net": ("net (revenue − spend)", "$/day"),
    # summary keys
    "peak_active_users": ("peak active users", "people"),
    "peak_day": ("day of peak", "day"),
    "active_users_end": ("active users at the end", "people"),
    "adoption_share_end": ("adoption share at the end", "share of people"),
    "days_to_10pct": ("days to 10% adoption", "days"),
    "days_to_50pct": ("days to 50% adoption", "days"),
    "total_spend": ("total payout spend", "$"),
    "cost_per_adopter": ("cost per adopter", "$ per adopter"),
    "cost_per_active_user_end": ("cost per active user at the end", "$ per user"),
    "retention_after_switch": ("retention 90 days after the switch", "share kept"),
    "influencers_joined": ("influencers recruited", "influencers"),
    "influencers_active_end": ("influencers posting at the end", "influencers"),
    "gmv_total": ("total sales (GMV)", "$"),
    "net_total": ("total net (revenue − spend)", "$"),
    # config leaves (last part of a dotted key)
    "fee": ("fee", "$/day"),
    "posts_per_day": ("quota", "posts/day"),
    "max_enrolled": ("fee slots", "influencers"),
    "contract_days": ("contract length", "days"),
    "rate": ("rate", "share of GMV"),
    "rate_per_1000": ("rate", "$ per 1 000 views"),
    "bounty": ("bounty", "$ per adopter"),
    "budget": ("budget", "$"),
    "top_k": ("invited", "influencers"),
    "share": ("share invited", "share"),
    "open_day": ("open to all from", "day"),
    "day": ("day", "day"),
    "adoption_share": ("at adoption share", "share of people"),
    "spend": ("at spend", "$"),
    "notice_days": ("notice", "days"),
    "followers": ("people simulated", "people"),
    "influencers": ("influencers", "influencers"),
    "horizon_days": ("horizon", "days"),
    "innovation": ("innovation p", "per day"),
    "imitation": ("imitation q", "per day"),
    "influence": ("influencer pull r", "per day"),
    "promo_saturation": ("promo saturation", "posts/day"),
    "return_rel": ("return hazard", "× adoption hazard"),
    "base_churn": ("base churn", "per day"),
    "content_half": ("content half-point", "posts/day"),
    "attention_cost": ("attention cost", "relative churn"),
    "follows_per_person": ("influencers followed", "per person"),
    "mean_degree": ("friends", "per person"),
    "rewire_prob": ("rewiring", "probability"),
    "rel_marketing": ("marketing", "× innovation"),
    "feed_baseline": ("feed baseline", "posts/day"),
    "take_rate": ("take rate", "share of GMV"),
    "audience_median": ("median audience", "followers"),
    "audience_sigma": ("audience spread", "log-sd"),
    "engagement_mean": ("engagement", "share viewing"),
    "incumbent_reach": ("incumbent reach", "share"),
    "cost_per_post": ("cost per post", "$ per post"),
    "cost_per_follower": ("cost per follower", "$ per post per follower"),
    "cost_exponent": ("cost exponent", "exponent"),
    "max_posts_per_day": ("posting limit", "posts/day"),
    "patience": ("patience", "days"),
    "learning_rate": ("learning rate", "weight per day"),
    "decision_noise": ("decision noise", "× cost per post"),
    "onboarding_posts": ("onboarding cost", "posts"),
    "planning_days": ("payback horizon", "days"),
    "promo_share": ("cross-promoted share", "share of posts"),
    "join_burst_posts": ("join burst", "posts"),
    "organic_value_per_view": ("organic value", "$ per view"),
    "basket_value": ("basket value", "$ per order"),
    "conversion": ("conversion", "orders per view"),
    "organic_orders_per_user": ("organic orders", "per user per day"),
    "retention_window_days": ("retention window", "days"),
}
"""Name → (words, unit) for axis labels; add your own derived metrics here."""

_PEOPLE_UNITS = ("people",)


def label(key: str, *, unit: bool = True) -> str:
    """A readable axis label with its unit, for a column, summary key or dotted config key.

    ``"spark.active_users_end"`` → ``"spark: active users at the end (people)"``;
    ``"platforms.0.phases.1.start.day"`` → ``"phase 1 start: day (day)"``.
    """
    words, units = _words(key)
    return f"{words} ({units})" if unit and units else words


def unit_of(key: str) -> str:
    """The unit of a column, summary key or dotted config key ('' when unknown)."""
    return _words(key)[1]


def _words(key: str) -> tuple[str, str]:
    if key in LABELS:
        return LABELS[key]
    parts = key.split(".")
    leaf = parts[-1]
    words, units = LABELS.get(leaf, (leaf.replace("_", " "), ""))
    if len(parts) == 2 and not parts[0].isdigit() and parts[0] not in {
            "population", "network", "adoption", "retention", "influencers", "commerce",
            "metrics", "invitation"}:
        return f"{parts[0]}: {words}", units  # <platform>.<metric>
    context: list[str] = []
    index = 0
    while index < len(parts) - 1:
        part = parts[index]
        following = parts[index + 1]
        if part in {"platforms", "phases"} and following.isdigit():
            scheme_next = part == "phases" and index + 2 < len(parts) - 1 and parts[
                index + 2] in SCHEMES  # "flat fee: fee" says enough
            if (part == "phases" and not scheme_next) or (part == "platforms"
                                                          and following != "0"):
                context.append(f"{part[:-1]} {following}")
            index += 2
            continue
        if part not in {"platforms", "population", "network", "influencers"} or (
                part == "influencers" and index < len(parts) - 2):
            context.append(part.replace("_", " "))
        index += 1
    prefix = " ".join(context)
    return (f"{prefix}: {words}" if prefix else words), units


# --- shared style ----------------------------------------------------------------


def _finish(ax: Axes, title: str, xlabel: str, ylabel: str, legend: bool = True) -> None:
    """The one style: title, labelled axes, light grid, a small legend if there is one."""
    ax.set_title(_safe(title), fontsize=11)
    ax.set_xlabel(_safe(xlabel))
    ax.set_ylabel(_safe(ylabel))
    ax.grid(alpha=0.3)
    for axis, limits in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
        if axis.get_scale() == "linear" and max(abs(v) for v in limits) >= 10_000:
            axis.set_major_formatter(ticker.StrMethodFormatter("{x:,.0f}"))
    if legend and ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, frameon=False, loc="best")


def number(value: float) -> str:
    """A number as people read it: 12,345 · 123 · 12.3 · 0.123."""
    if not np.isfinite(value):
        return "–"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    return f"{value:.3g}"


def _grid(n: int, width: float = 4.6, height: float = 3.4, ncols: int | None = None,
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


def _panels(n: int, ax: Axes | None, **grid: bool) -> tuple[Figure, list[Axes]]:
    """A grid of ``n`` panels, or the given axes when there is one panel."""
    if ax is None:
        return _grid(n, **grid)
    if n != 1:
        raise ValueError(f"this figure has {n} panels; pass ax only when it has one")
    return ax.figure, [ax]


def _safe(text: str) -> str:
    """Text shown as written: dollars are dollars, not mathtext (which two '$' would start)."""
    text = str(text)
    if text.count("$") - text.count("\\$") < 2:
        return text  # matplotlib shows a single '$' as it is
    return text.replace("\\$", "$").replace("$", "\\$")


def _suptitle(figure: Figure, title: str) -> None:
    if title:
        figure.suptitle(_safe(title), fontsize=13)


def _groups(frame: pd.DataFrame, by: str | None) -> list[tuple[object, pd.DataFrame]]:
    """Rows per value of ``by`` in order of first appearance (one group if ``by`` is absent)."""
    if by is None or by not in frame.columns:
        return [(None, frame)]
    return list(frame.groupby(by, sort=False))


def _replicate_column(frame: pd.DataFrame) -> str | None:
    for column in ("replicate", "run_id"):
        if column in frame.columns:
            return column
    return None


def _name(group: object, platform: object, several_platforms: bool) -> str:
    parts = [str(p) for p, keep in ((group, group is not None),
                                    (platform, several_platforms or group is None)) if keep]
    return " · ".join(parts)


# --- adoption and users over time ---------------------------------------------------


def adoption_figure(
    timeseries: pd.DataFrame, title: str = "", n_people: int | None = None
) -> Figure:
    """Adoption curve, active users, influencers and spend, per platform, on one figure."""
    figure, axes = plt.subplots(2, 2, figsize=(11, 7.5), sharex=True, layout="constrained")
    (adoption, users), (creators, spend) = axes
    for name, rows in timeseries.groupby("platform", sort=False):
        day = rows["day"]
        share = rows["adopters"] / n_people * 100 if n_people else rows["adopters"]
        line = adoption.plot(day, share, label=name)[0]
        users.plot(day, rows["active_users"], color=line.get_color(), label=f"{name} active")
        users.plot(day, rows["lapsed_users"], color=line.get_color(), ls=":",
                   label=f"{name} lapsed")
        creators.plot(day, rows["active_influencers"], color=line.get_color(),
                      label=f"{name} posting")
        creators.plot(day, rows["joined_influencers"], color=line.get_color(), ls="--",
                      label=f"{name} joined")
        spend.plot(day, rows["spend_total"].cumsum() / 1000, color=line.get_color(),
                   label=f"{name} total")
        for column, style in zip(SPEND_COLUMNS, SCHEME_STYLES, strict=True):
            cumulative = rows[column].cumsum()
            if cumulative.iloc[-1] > 0:
                spend.plot(day, cumulative / 1000, color=line.get_color(), lw=1.0, ls=style,
                           label=f"{name} {column.removeprefix('spend_').replace('_', ' ')}")
    adoption.set(title="Adoption (ever adopted)",
                 ylabel="share of people (%)" if n_people else "people")
    users.set(title="Users", ylabel="people")
    creators.set(title="Influencers", ylabel="influencers")
    spend.set(title="Payout spend (cumulative)", ylabel="thousand $")
    for ax in axes.flat:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
    for ax in axes[1]:
        ax.set_xlabel("day")
    if title:
        figure.suptitle(title)
    return figure


def band_quantiles(
    timeseries: pd.DataFrame, metric: str, quantiles: Sequence[float] = (0.05, 0.5, 0.95)
) -> pd.DataFrame:
    """Quantiles of ``metric`` over replicates for each day of one group and platform.

    Returns a frame indexed by day with one column per quantile.
    """
    replicate = _replicate_column(timeseries)
    if replicate is None:
        wide = timeseries.set_index("day")[[metric]]
    else:
        wide = timeseries.pivot_table(index="day", columns=replicate, values=metric,
                                      aggfunc="first")
    values = np.nanquantile(wide.to_numpy(dtype=float), list(quantiles), axis=1)
    return pd.DataFrame(values.T, index=wide.index, columns=list(quantiles))


def band_figure(
    timeseries: pd.DataFrame,
    metric: str | Sequence[str] = "adopters",
    by: str | None = "scenario",
    *,
    n_people: int | None = None,
    fan: bool = False,
    platform: str | Sequence[str] | None = None,
    title: str = "",
    ax: Axes | None = None,
) -> Figure:
    """Median over replicates per group with a shaded 5–95% band (a fan chart with ``fan``).

    Args:
        timeseries: a long daily table of many runs: ``day``, ``platform``,
            ``replicate`` (or ``run_id``), the ``by`` column and the metric columns.
        metric: a daily column (or several: one panel each), e.g. ``"adopters"``
            (people), ``"active_users"`` (people), ``"spend_total"`` ($/day).
        by: the grouping column (``"scenario"``, ``"point"``); None or absent
            draws one group.
        n_people: people simulated; when given, people counts are drawn as a
            share of people (%).
        fan: nested bands, 5–95% (light) and 25–75% (darker).
        platform: only this platform (or these).
        title: the figure's title.
        ax: draw into this axes (one metric only).
    """
    metrics = [metric] if isinstance(metric, str) else list(metric)
    if ax is not None and len(metrics) != 1:
        raise ValueError("band_figure: pass one metric when drawing into an existing ax")
    frame = timeseries
    if platform is not None:
        wanted = [platform] if isinstance(platform, str) else list(platform)
        frame = frame[frame["platform"].isin(wanted)]
    if ax is None:
        figure, axes = _grid(len(metrics), width=5.6, height=3.8, ncols=2)
    else:
        figure, axes = ax.figure, [ax]
    platforms = list(dict.fromkeys(frame["platform"]))
    replicate = _replicate_column(frame)
    n_reps = frame[replicate].nunique() if replicate else 1
    quantiles = (0.05, 0.25, 0.5, 0.75, 0.95)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for name, panel in zip(metrics, axes, strict=True):
        share = n_people is not None and unit_of(name) in _PEOPLE_UNITS
        scale = 100.0 / n_people if share else 1.0
        for g, (group, rows) in enumerate(_groups(frame, by)):
            colour = colours[g % len(colours)]
            for plat, platform_rows in rows.groupby("platform", sort=False):
                bands = band_quantiles(platform_rows, name, quantiles) * scale
                days = bands.index.to_numpy()
                panel.fill_between(days, bands[0.05], bands[0.95], color=colour, alpha=0.18,
                                   lw=0)
                if fan:
                    panel.fill_between(days, bands[0.25], bands[0.75], color=colour,
                                       alpha=0.35, lw=0)
                panel.plot(days, bands[0.5], color=colour,
                           ls=PLATFORM_STYLES[platforms.index(plat) % len(PLATFORM_STYLES)],
                           lw=1.6, label=_safe(_name(group, plat, len(platforms) > 1) or name))
        words, units = _words(name)
        bands_text = "5–95% and 25–75%" if fan else "5–95%"
        panel_title = f"{words[0].upper()}{words[1:]}"
        if n_reps > 1:
            panel_title += f": median, {bands_text} of {n_reps} replicates"
        _finish(panel, panel_title, "day",
                "share of people (%)" if share else f"{words} ({units or 'value'})")
    _suptitle(figure, title)
    return figure


# --- influencers by tier ----------------------------------------------------------------


def _platform_panels(
    frame: pd.DataFrame, by: str | None, platform: str | Sequence[str] | None
) -> tuple[pd.DataFrame, list[tuple[object, object, pd.DataFrame]], bool]:
    """The chosen platforms' rows, the panels (group, platform, rows), and if several platforms."""
    if platform is not None:
        wanted = [platform] if isinstance(platform, str) else list(platform)
        frame = frame[frame["platform"].isin(wanted)]
    panels = [(group, plat, rows) for group, group_rows in _groups(frame, by)
              for plat, rows in group_rows.groupby("platform", sort=False)]
    return frame, panels, frame["platform"].nunique() > 1


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
        tiers: the table of ``tier_timeseries`` (module ``simulation.compare``)
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
    _, panels, several = _platform_panels(tiers, by, platform)
    figure, axes = _panels(len(panels), ax, sharey=sharey)
    for (group, plat, rows), panel in zip(panels, axes, strict=True):
        for t, tier in enumerate(TIERS):
            tier_rows = rows[rows["tier"] == tier]
            if tier_rows.empty or tier_rows["joined"].max() == 0:
                continue
            active = band_quantiles(tier_rows, "active", (0.5,))[0.5]
            panel.plot(active.index, active, color=TIER_COLORS[t], lw=1.6, label=f"{tier} posting")
            if joined:
                members = band_quantiles(tier_rows, "joined", (0.5,))[0.5]
                panel.plot(members.index, members, color=TIER_COLORS[t], lw=1.0, ls="--",
                        label=f"{tier} joined")
        name = _name(group, plat, several) or str(plat)
        _finish(panel, f"Influencers by tier: {name}", "day", "influencers")
    _suptitle(figure, title)
    return figure


# --- spend ------------------------------------------------------------------------------


def spend_figure(
    timeseries: pd.DataFrame,
    *,
    by: str | None = "scenario",
    cumulative: bool = True,
    platform: str | Sequence[str] | None = None,
    sharey: bool = True,
    title: str = "",
    ax: Axes | None = None,
) -> Figure:
    """Payout spend by scheme over time, stacked, one panel per group and platform.

    Cumulative spend is in thousand $; daily spend in $/day. Several replicates
    are drawn as their mean per day.

    Args:
        timeseries: a daily table (one run, or many with ``replicate`` and ``by``).
        by: the grouping column; None or absent draws one group.
        cumulative: cumulative spend (thousand $) rather than $/day.
        platform: only this platform (or these).
        sharey: one y scale for every panel.
        title: the figure's title.
        ax: draw into this axes (when there is one panel).
    """
    frame, panels, several = _platform_panels(timeseries, by, platform)
    used = [c for c in SPEND_COLUMNS if (frame[c] > 0).any()] or ["spend_flat_fee"]
    figure, axes = _panels(len(panels), ax, sharey=sharey)
    for (group, plat, rows), panel in zip(panels, axes, strict=True):
        daily = rows.groupby("day")[list(SPEND_COLUMNS)].mean()
        values = daily.cumsum() / 1000 if cumulative else daily
        colours = [SCHEME_COLORS[SPEND_COLUMNS.index(c)] for c in used]
        panel.stackplot(values.index, *(values[c] for c in used), colors=colours, alpha=0.85,
                     labels=[c.removeprefix("spend_").replace("_", " ") for c in used])
        name = _name(group, plat, several) or str(plat)
        _finish(panel, f"Spend by scheme: {name}", "day",
                "cumulative spend (thousand $)" if cumulative else "spend ($/day)",
                legend=False)
    what = "payout scheme" + (" (mean over replicates)" if _replicate_column(frame) else "")
    if ax is not None:
        ax.legend(fontsize=8, frameon=False, title=what, title_fontsize=8)
    else:
        handles, labels = axes[0].get_legend_handles_labels()
        figure.legend(handles, labels, loc="outside lower center", ncols=len(labels),
                      fontsize=9, frameon=False, title=what)
    _suptitle(figure, title)
    return figure


# --- comparisons ------------------------------------------------------------------------


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
    figure, axes = _grid(len(names), width=4.4, height=0.9 + 0.38 * rows_per_panel,
                         sharex=False, sharey=True)
    low, high = ("diff_low", "diff_high") if value == "diff" else ("low", "high")
    for name, ax in zip(names, axes, strict=True):
        rows = frame[frame["metric"] == name].iloc[::-1]
        y = np.arange(len(rows))
        centre = rows[value].to_numpy(dtype=float)
        err = np.vstack([centre - rows[low].to_numpy(dtype=float),
                         rows[high].to_numpy(dtype=float) - centre])
        is_ref = (rows["scenario"] == rows["reference"]).to_numpy()
        colours = np.where(centre > 0, "#2c7fb8", np.where(centre < 0, "#d95f0e", "grey"))
        for i in range(len(rows)):
            ax.errorbar(centre[i], y[i], xerr=np.nan_to_num(err[:, i : i + 1]), fmt="o",
                        color="grey" if is_ref[i] else colours[i],
                        mfc="white" if is_ref[i] else colours[i], capsize=3, lw=1.4)
        if value == "diff":
            ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(y, [_safe(_name(s, p, several)) for s, p in zip(rows["scenario"],
                                                                 rows["platform"], strict=True)])
        words, units = _words(name)
        reference = rows["reference"].iloc[0] if len(rows) else ""
        xlabel = (f"difference to {reference} ({units or 'value'})" if value == "diff"
                  else f"{words} ({units or 'value'})")
        _finish(ax, f"{words[0].upper()}{words[1:]}", xlabel,
                "scenario · platform" if several else "scenario", legend=False)
    what = "paired difference to the reference" if value == "diff" else "mean"
    _suptitle(figure, title or f"Scenarios compared: {what}, 95% intervals over replicates")
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
    from scipy import stats

    rows = []
    if "metric" in frame.columns:  # the tidy table of compare
        tidy = frame if platform is None else frame[frame["platform"] == platform]
        several = tidy["platform"].nunique() > 1
        for (scenario, plat), group in tidy.groupby(["scenario", "platform"], sort=False):
            pick = group.set_index("metric")
            if cost not in pick.index or value not in pick.index:
                continue
            rows.append({"label": _name(scenario, plat, several),
                         **{f"{axis}_{k}": float(pick.loc[key, k])
                            for axis, key in (("cost", cost), ("value", value))
                            for k in ("mean", "low", "high")}})
        return pd.DataFrame(rows)
    if "status" in frame.columns:
        frame = frame[frame["status"] == "ok"]
    for name, group in frame.groupby(label_column, sort=False):
        row = {"label": str(name)}
        for axis, key in (("cost", cost), ("value", value)):
            data = group[key].dropna().to_numpy(dtype=float)
            mean = float(data.mean()) if len(data) else np.nan
            half = (float(stats.t.ppf(0.975, len(data) - 1) * data.std(ddof=1)
                          / np.sqrt(len(data))) if len(data) > 1 else 0.0)
            row.update({f"{axis}_mean": mean, f"{axis}_low": mean - half,
                        f"{axis}_high": mean + half})
        rows.append(row)
    return pd.DataFrame(rows)


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
                    fmt="o", color="#2c7fb8" if front[i] else "grey", capsize=3, lw=1.2)
    for (x, y), names in _coincident(points).items():  # one label for points on one spot
        ax.annotate(_safe(", ".join(names)), (x, y), fontsize=8, xytext=(5, 5),
                    textcoords="offset points")
    on_front = points[front].sort_values("cost_mean")
    ax.plot(on_front["cost_mean"], on_front["value_mean"], color="#2c7fb8", ls="--", lw=1.2,
            label="Pareto frontier: nothing cheaper does better")
    _finish(ax, title or f"{label_words(value)} against {_words(cost)[0]}",
            _label_text(cost), _label_text(value))
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


def label_words(key: str) -> str:
    """The words of a label, capitalised, without the unit."""
    words = _words(key)[0]
    return words[0].upper() + words[1:] if words else words


def _label_text(key: str) -> str:
    words, units = _words(key)
    return f"{words} ({units or 'value'})"


# --- heatmap and sensitivity ------------------------------------------------------------


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
    ax.set_xticks(range(means.shape[1]), [_safe(_tick(v)) for v in means.columns])
    ax.set_yticks(range(means.shape[0]), [_safe(_tick(v)) for v in means.index])
    finite = data[np.isfinite(data)]
    middle = (finite.min() + finite.max()) / 2 if finite.size else 0.0
    for (i, j), cell in np.ndenumerate(data):
        text = format(cell, fmt) if fmt and np.isfinite(cell) else number(cell)
        ax.text(j, i, text, ha="center", va="center", fontsize=8,
                color="black" if np.isfinite(cell) and cell > middle else "white")
    bar = figure.colorbar(image, ax=ax)
    bar.set_label(_safe(f"{_label_text(value)}\nmean over replicates"))
    bar.formatter = ticker.FuncFormatter(lambda v, _: number(v))
    default = f"{label_words(value)}\nby {_words(x)[0]} and {_words(y)[0]}"
    ax.set_title(_safe(title or default), fontsize=11)
    ax.set_xlabel(_safe(_label_text(x)))
    ax.set_ylabel(_safe(_label_text(y)))
    return figure


def _tick(value: object) -> str:
    if isinstance(value, float | np.floating):
        return f"{value:g}"
    return str(value)


def sensitivity_figure(indices: pd.DataFrame, title: str = "", *, output: str | None = None,
                       ax: Axes | None = None) -> Figure:
    """Sensitivity indices per parameter, with 95% confidence bars.

    Sobol (columns ``parameter, S1, S1_conf, ST, ST_conf``): first-order and
    total indices side by side (share of output variance). Morris (columns
    ``parameter, mu_star, mu_star_conf, sigma``): mean absolute elementary
    effect with its confidence, and sigma (non-linearity and interactions).
    ``output`` names the metric analysed (e.g. ``"spark.active_users_end"``):
    it goes in the title, and in the Morris axis label with its unit.
    """
    sobol = {"S1", "ST"} <= set(indices.columns)
    if not sobol and "mu_star" not in indices.columns:
        raise ValueError("sensitivity_figure: expected Sobol columns S1, ST (with S1_conf, "
                         "ST_conf) or Morris columns mu_star, mu_star_conf, sigma; given: "
                         f"{list(indices.columns)}")
    names = [label(str(p)) for p in indices["parameter"]]
    figure, ax = (plt.subplots(figsize=(8, 1.2 + 0.45 * len(names)), layout="constrained")
                  if ax is None else (ax.figure, ax))
    y = np.arange(len(names))[::-1]
    height = 0.38
    if sobol:
        bars = (("S1", "first order S1", SCHEME_COLORS[0]),
                ("ST", "total ST", SCHEME_COLORS[1]))
        xlabel = "share of output variance (Sobol index)"
    else:
        bars = (("mu_star", "μ* (mean |effect|)", SCHEME_COLORS[0]),
                ("sigma", "σ (non-linearity, interactions)", SCHEME_COLORS[1]))
        xlabel = f"elementary effect on {_label_text(output) if output else 'the output'}"
    for offset, (column, words, colour) in zip((height / 2, -height / 2), bars, strict=True):
        if column not in indices.columns:
            continue
        conf = indices.get(f"{column}_conf")
        ax.barh(y + offset, indices[column], height=height, color=colour, label=words,
                xerr=None if conf is None else conf.to_numpy(dtype=float),
                error_kw={"capsize": 3, "lw": 1})
    ax.set_yticks(y, [_safe(n) for n in names])
    ax.axvline(0, color="black", lw=0.8)
    default = "Sobol sensitivity indices" if sobol else "Morris screening"
    if output:
        default += f" of {_words(output)[0]}"
    _finish(ax, title or default, xlabel, "parameter")
    return figure
