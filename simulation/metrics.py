"""Outputs: the daily long table and the per-platform summary.

Daily columns (one row per day and platform; day 0 is the launch, before
anyone has moved): see ``COLUMNS``. ``adopters`` is cumulative (ever
adopted); ``spend_total`` is the sum of the four spend columns; ``revenue``
is the platform's take of GMV; ``net`` = revenue − spend_total.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .payouts import SPEND_COLUMNS

COLUMNS: tuple[str, ...] = (
    "day", "platform", "adopters", "new_adopters", "active_users", "lapsed_users",
    "joined_influencers", "active_influencers", "posts", "views", "gmv",
    *SPEND_COLUMNS, "spend_total", "revenue", "net",
)
SUMMARY_KEYS: tuple[str, ...] = (
    "peak_active_users", "peak_day", "active_users_end", "adoption_share_end",
    "days_to_10pct", "days_to_50pct", "total_spend", "cost_per_adopter",
    "cost_per_active_user_end", "retention_after_switch", "influencers_joined",
    "influencers_active_end", "gmv_total", "net_total",
)
_RECORDED = COLUMNS[2:]


@dataclass
class Recorder:
    """Preallocated daily columns: (days + 1) × platforms each."""

    n_days: int
    platforms: list[str]
    data: dict[str, np.ndarray] = field(init=False)

    def __post_init__(self) -> None:
        shape = (self.n_days + 1, len(self.platforms))
        self.data = {name: np.zeros(shape) for name in _RECORDED}

    def record(self, day: int, k: int, **values: float) -> None:
        """Store one platform's numbers for one day; derived columns are filled here."""
        row = self.data
        for name, value in values.items():
            row[name][day, k] = value
        row["spend_total"][day, k] = sum(row[c][day, k] for c in SPEND_COLUMNS)
        row["net"][day, k] = row["revenue"][day, k] - row["spend_total"][day, k]

    def to_frame(self, upto_day: int) -> pd.DataFrame:
        """The long table for days 0..upto_day, sorted by day then platform order."""
        n_days, n_platforms = upto_day + 1, len(self.platforms)
        columns: dict[str, np.ndarray] = {
            "day": np.repeat(np.arange(n_days), n_platforms),
            "platform": np.tile(np.array(self.platforms, dtype=object), n_days),
        }
        counts = set(COLUMNS[2:10])
        for name in _RECORDED:
            values = self.data[name][:n_days].ravel()
            columns[name] = values.astype(np.int64) if name in counts else values
        return pd.DataFrame(columns, columns=list(COLUMNS))


def summarise(
    table: pd.DataFrame, n_people: int, switch_days: dict[str, int | None],
    influencers_joined: dict[str, int], retention_window: int,
) -> dict[str, dict[str, Any]]:
    """Per-platform summary (keys ``SUMMARY_KEYS``); events that never happen are None."""
    summary: dict[str, dict[str, Any]] = {}
    for name, rows in table.groupby("platform", sort=False):
        rows = rows.set_index("day")
        active = rows["active_users"]
        share = rows["adopters"] / n_people
        end = rows.iloc[-1]
        spend = float(rows["spend_total"].sum())
        switch = switch_days.get(name)
        retention = None
        later = None if switch is None else switch + retention_window
        if later is not None and later in active.index and active[switch] > 0:
            retention = float(active[later] / active[switch])
        summary[name] = {
            "peak_active_users": int(active.max()),
            "peak_day": int(active.idxmax()),
            "active_users_end": int(end["active_users"]),
            "adoption_share_end": float(share.iloc[-1]),
            "days_to_10pct": _first_day(share, 0.10),
            "days_to_50pct": _first_day(share, 0.50),
            "total_spend": spend,
            "cost_per_adopter": _ratio(spend, end["adopters"]),
            "cost_per_active_user_end": _ratio(spend, end["active_users"]),
            "retention_after_switch": retention,
            "influencers_joined": int(influencers_joined.get(name, 0)),
            "influencers_active_end": int(end["active_influencers"]),
            "gmv_total": float(rows["gmv"].sum()),
            "net_total": float(rows["net"].sum()),
        }
    return summary


def _first_day(share: pd.Series, level: float) -> int | None:
    reached = share.index[share.to_numpy() >= level]
    return int(reached[0]) if len(reached) else None


def _ratio(numerator: float, denominator: float) -> float | None:
    return float(numerator / denominator) if denominator > 0 and math.isfinite(numerator) else None
