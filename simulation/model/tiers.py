"""Influencers by tier over a run: what the daily table, which has no tiers, cannot show.

:func:`tier_timeseries` steps a :class:`SparkModel` by hand and counts the
influencers invited, joined and posting per day, platform and tier (for
:func:`simulation.plots.tier_figure`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .config import Config, load_config
from .payouts import TIERS
from .spark_model import SparkModel


def tier_timeseries(
    config: Config | str | Path | Mapping[str, Any],
    seed: int | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Influencers invited, joined and posting per day, platform and tier, from one run.

    Steps a :class:`SparkModel` by hand and reads the influencer arrays after
    each day. Returns ``day, platform, tier, invited, joined, active``:
    ``invited`` may join (the invitation policy, the open day), ``joined``
    are joined that day (before quits), ``active`` posted that day
    (influencers). Day 0 is the launch, before anyone decides.
    """
    if not isinstance(config, Config) or overrides:
        config = load_config(config, overrides)
    model = SparkModel(config, seed)
    try:
        table = model.influencers
        tiers = table.tier.astype(np.intp)
        n_tiers = len(TIERS)
        names = [p.name for p in model.platforms]
        days, counts = [], []  # per recorded day: (platforms, 3 counts, tiers)
        quit_before = table.quit.copy()

        def record() -> None:
            quit_today = table.quit & ~quit_before  # joined during the day, quit at its end
            masks = (np.column_stack([p.eligible(model.day) for p in model.platforms]),
                     table.joined | quit_today, table.posts > 0)
            days.append(model.day)
            counts.append([[np.bincount(tiers[mask[:, k]], minlength=n_tiers) for mask in masks]
                           for k in range(len(names))])

        record()
        while model.running:
            last = model.day
            quit_before = table.quit.copy()
            model.step()
            if model.day > last:
                record()
        data = np.asarray(counts)  # days × platforms × 3 × tiers
        n_days, n_platforms = len(days), len(names)
        return pd.DataFrame({
            "day": np.repeat(days, n_platforms * n_tiers),
            "platform": np.tile(np.repeat(np.array(names, dtype=object), n_tiers), n_days),
            "tier": np.tile(np.array(TIERS, dtype=object), n_days * n_platforms),
            **{name: data[:, :, i, :].ravel().astype(np.int64)
               for i, name in enumerate(("invited", "joined", "active"))},
        })
    finally:
        model.release()
