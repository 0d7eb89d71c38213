"""Influencers by tier over a run: what the daily table, which has no tiers, cannot show.

:class:`TierCounts` is an observer (key ``"tiers"``): it counts the influencers
invited, joined and posting per day, platform and tier, so it works wherever
observers do: ``simulation.run(config, observers=["tiers"]).observed["tiers"]``,
``run_many`` and ``compare``. :func:`tier_timeseries` is the one-run shortcut
(for :func:`simulation.plots.tier_figure`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .config import Config, load_config
from .observers import Observer, register_observer
from .payouts import TIERS

if TYPE_CHECKING:
    from .spark_model import SparkModel

COUNTS = ("invited", "joined", "active")


@register_observer
class TierCounts(Observer):
    """``day, platform, tier, invited, joined, active`` per day, platform and tier.

    ``invited`` may join (the invitation policy, the open day), ``joined`` are
    joined that day (before quits), ``active`` posted that day: real creators (each
    simulated creator counts its weight). Day 0 is the launch, before anyone decides.
    """

    key = "tiers"
    words = "influencers invited, joined and posting per day, platform and tier"

    def start(self, model: SparkModel) -> None:
        """Day 0; remembers who had quit, to count those who quit during each day as joined."""
        self.tiers = model.influencers.tier.astype(np.intp)
        self.weight = model.influencers.weight
        self.days: list[int] = []
        self.counts: list[list[list[np.ndarray]]] = []  # per day: platforms × 3 × tiers
        self.quit_before = model.influencers.quit.copy()
        self.observe(model)

    def observe(self, model: SparkModel) -> None:
        """Count the day's invited, joined (or quit today) and posting influencers by tier."""
        table = model.influencers
        quit_today = table.quit & ~self.quit_before  # joined during the day, quit at its end
        masks = (np.column_stack([p.eligible(model.day) for p in model.platforms]),
                 table.joined | quit_today, table.posts > 0)
        self.days.append(model.day)
        self.counts.append([[np.bincount(self.tiers[mask[:, k]], weights=self.weight[mask[:, k]],
                                         minlength=len(TIERS))
                             for mask in masks] for k in range(len(model.platforms))])
        self.quit_before = table.quit.copy()

    def result(self, model: SparkModel) -> pd.DataFrame:
        """The long table, one row per day, platform and tier."""
        names = list(model.platform_names)
        data = np.asarray(self.counts).reshape(len(self.days), len(names), len(COUNTS),
                                               len(TIERS))
        n_days, n_platforms, n_tiers = len(self.days), len(names), len(TIERS)
        return pd.DataFrame({
            "day": np.repeat(self.days, n_platforms * n_tiers),
            "platform": np.tile(np.repeat(np.array(names, dtype=object), n_tiers), n_days),
            "tier": np.tile(np.array(TIERS, dtype=object), n_days * n_platforms),
            **{name: np.rint(data[:, :, i, :].ravel()).astype(np.int64)
               for i, name in enumerate(COUNTS)},
        })


def tier_timeseries(
    config: Config | str | Path | Mapping[str, Any],
    seed: int | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Influencers invited, joined and posting per day, platform and tier, from one run.

    The table of :class:`TierCounts` (see there) for one run to the horizon.
    """
    from .spark_model import SparkModel

    if not isinstance(config, Config) or overrides:
        config = load_config(config, overrides)
    counts = TierCounts()
    model = SparkModel(config, seed, observers=[counts])
    try:
        model.run()
        return counts.result(model)
    finally:
        model.release()
