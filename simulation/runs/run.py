"""Running a config and writing its outputs.

``run(config, seed=...)`` returns a :class:`RunResult`; ``write_outputs``
writes ``timeseries.csv``, ``summary.json``, the resolved ``config.toml`` and
``adoption.png`` through the output-folder guard (:mod:`simulation.folders`):
into a temporary folder beside the destination, moved into place only when
all four are complete, so an interrupted or failed run never leaves a
half-written folder and never replaces a folder the tool did not write.
:func:`check_finite` refuses, before anything is written, a run whose summary
or daily table holds an infinity or a NaN (a config value too large for
float64 arithmetic): nothing non-finite reaches a file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..model.config import Config, check_seed, load_config
from ..model.observers import Observer, observed_tables
from ..model.spark_model import SparkModel
from .folders import check_output_folder, staged_folder


@dataclass
class RunResult:
    """What one run produced."""

    timeseries: pd.DataFrame
    summary: dict[str, dict[str, Any]]
    config: Config
    seed: int
    observed: dict[str, pd.DataFrame] = field(default_factory=dict)
    """Each added observer's table, by its key (``run(..., observers=["tiers"])``)."""
    agents: pd.DataFrame | None = None
    """Per influencer and platform over the run: posts, days posted, views, sales, pay."""
    switch_days: dict[str, int | None] = field(default_factory=dict)
    """Platform → the day its first later phase took effect (None: it never switched); the
    figures mark it."""

    def write(self, out_dir: str | Path, inputs: Sequence[str | Path] = ()) -> Path:
        """Write the four output files into ``out_dir`` atomically; returns the folder.

        The folder must be new, empty or an earlier run's (see ``folders``).
        """
        return write_outputs(self, out_dir, inputs)


def run(
    config: Config | str | Path | Mapping[str, Any],
    seed: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    observers: Sequence[str | Observer] = (),
) -> RunResult:
    """Run one simulation to its horizon.

    Args:
        config: a Config, a TOML path or a mapping (validated by ``load_config``).
        seed: the run seed; defaults to the config's ``seed``.
        overrides: dotted key → value, applied before validation.
        observers: observers beside the daily table (keys of
            ``simulation.model.observers.OBSERVERS``, e.g. ``"tiers"``, or
            instances); their tables are ``RunResult.observed[key]``.
    """
    if not isinstance(config, Config) or overrides:
        config = load_config(config, overrides)
    if seed is not None:
        config = config.model_copy(update={"seed": check_seed(seed)})
    model = SparkModel(config, observers=observers)
    try:
        model.run()
        table = model.timeseries
        return RunResult(table, model.summarise(table), model.config, model.seed,
                         observed_tables(model), model.influencer_totals,
                         {p.name: getattr(p, "switch_day", None)
                          for p in getattr(model, "platforms", ())})
    finally:
        model.release()


def check_finite(result: RunResult, run: str) -> None:
    """A ConfigError naming the first summary metric or daily column that is not finite.

    ``run`` names the run in the message (``'baseline' (seed 1)``, ``run 12``).
    Missing summary values (None: e.g. a day never reached) are allowed.
    """
    for platform, summary in result.summary.items():
        for key, value in summary.items():
            if isinstance(value, (int, float)) and not math.isfinite(value):
                _not_finite(f"summary {platform}.{key}", value, run)
    table = result.timeseries
    for column in table.select_dtypes("number").columns:
        values = table[column].to_numpy(dtype=float)
        bad = ~np.isfinite(values)
        if bad.any():
            row = int(np.argmax(bad))
            day = f" on day {table['day'].iloc[row]}" if "day" in table else ""
            _not_finite(f"daily column {column}{day}", values[row], run)


def _not_finite(what: str, value: float, run: str) -> None:
    raise ConfigError(f"run {run}: {what} = {value}: not a finite number (allowed: finite "
                      "values; a config value is too large for float64 arithmetic: lower "
                      "it); nothing was written")


OUTPUT_FILES = ("timeseries.csv", "summary.json", "config.toml", "adoption.png")


def write_outputs(result: RunResult, out_dir: str | Path,
                  inputs: Sequence[str | Path] = ()) -> Path:
    """Write the run's files to a temporary folder, then move it into place.

    ``inputs`` are files the run read (its config): the output folder may not hold them.
    """
    import matplotlib.pyplot as plt  # matplotlib only when writing

    from ..plots import adoption_figure, schedule_marks

    check_finite(result, f"{result.config.name!r} (seed {result.seed})")
    out = check_output_folder(out_dir, "run", inputs=inputs)
    with staged_folder(out, "run") as staging:
        result.timeseries.to_csv(staging / "timeseries.csv", index=False)
        summary = json.dumps(result.summary, indent=2, allow_nan=False)  # after check_finite
        (staging / "summary.json").write_text(summary + "\n")
        (staging / "config.toml").write_text(result.config.to_toml())
        figure = adoption_figure(result.timeseries, title=result.config.name,
                                 n_people=result.config.population.market_size,
                                 marks=schedule_marks(result.config, result.timeseries,
                                                      result.switch_days))
        figure.savefig(staging / "adoption.png", dpi=110)
        plt.close(figure)
    return out
