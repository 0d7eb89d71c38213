"""Figures. One readable style: titled panels, labelled axes with units."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from .payouts import SPEND_COLUMNS

SCHEME_STYLES = ("--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)))
"""Line style of each spend column (flat fee, commission, per view, per adopter)."""


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
