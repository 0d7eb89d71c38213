"""What the payouts bought: expansion versus acceleration.

``decompose(config, without="none", replicates=20)`` runs the plan and a
counterfactual world (by default the same world with every payout removed)
on the same random streams (through a :class:`~simulation.runs.runner.Runner`:
replicate r of both worlds uses seed ``run_seed(seed, r)``), then
:func:`decompose_runs` splits the adopter-days the plan gained in those
runs into two parts, after Libai, Muller & Peres
(2013): a seeding programme's value is *expansion*, people who adopted only
because of it, plus *acceleration*, people who would have adopted anyway but
adopted earlier.

Definitions, per replicate and platform, from the cumulative adopter curves
of the plan ``A(t)`` and of the counterfactual ``B(t)`` (people, days
``t = 0..T``, T the horizon):

- adopter-days gained ``D = sum_t [A(t) - B(t)]`` (adopter-days): the area
  between the curves, each adopter counting one for every recorded day from
  its adoption day to the horizon;
- extra adopters ``E = A(T) - B(T)`` (people): expansion counted in people;
- with ``L = min(A(T), B(T))`` the adopters both worlds reach, adopters are
  matched by rank (the n-th adopter of one world with the n-th of the other:
  on aggregate curves who is "extra" is identified only up to rank);
  acceleration ``C = sum_t [min(A(t), L) - min(B(t), L)]`` is the time
  gained by the first L adopters (the horizontal gap between the curves
  below ``L``; negative if the plan slowed them), and expansion
  ``X = sum_t [max(A(t), L) - max(B(t), L)]`` is the adopter-days of the
  ``E`` extra adopters (the area above ``L``; negative if the plan lost
  adopters). Because ``min(a, L) + max(a, L) = a + L``, **X + C = D exactly**
  for every replicate (integer counts: no rounding).

Spend is the plan's payout spend minus the counterfactual's ($): all of it
when nothing is paid without the plan. Cost per incremental adopter is spend / E
($ per person) and cost per adopter-day gained spend / D ($ per adopter-day),
computed per replicate where the denominator is positive.

Every row of :attr:`Decomposition.table` is a mean over replicates with its
95% t-interval (:func:`simulation.stats.t_interval`); ``n`` counts the
replicates with a value.

Reference:
    Libai, B., Muller, E. & Peres, R. (2013). Decomposing the value of
    word-of-mouth seeding programs: acceleration versus expansion. Journal of
    Marketing Research 50(2), 161-176.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..model.config import Config, ConfigError, load_config, plain
from ..model.payouts import SCHEMES
from ..runs.runner import DEFAULT, Runner, Runs, progress_bar, runner_of
from ..stats import t_interval

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PARTS: dict[str, str] = {
    "extra_adopters": "people",
    "adopter_days_gained": "adopter-days",
    "expansion": "adopter-days",
    "acceleration": "adopter-days",
    "days_earlier": "days per adopter",
    "extra_active_users_end": "people",
    "spend": "$",
    "cost_per_incremental_adopter": "$ per extra adopter",
    "cost_per_adopter_day": "$ per adopter-day",
}
"""Metric of :attr:`Decomposition.table` → its unit. ``days_earlier`` is C / L:
how much earlier, on average, the adopters both worlds reach adopted."""

WITHOUT = ("none", *SCHEMES)
"""Named counterfactuals: every payout removed, or one scheme removed from every phase."""

PLAN, COUNTERFACTUAL = "plan", "counterfactual"
RUNNER = Runner(replicates=20)
"""What :func:`decompose` runs with when given no runner: 20 replicates, seed 0, this process."""


@dataclass
class Decomposition:
    """What :func:`decompose` returns (see the module docstring for the definitions).

    Attributes:
        table: ``platform, metric, unit, n, mean, low, high``: per-replicate
            parts averaged over replicates, with 95% t-intervals.
        parts: one row per (platform, replicate): ``seed`` and every metric of
            ``PARTS`` for that replicate.
        timeseries: both worlds' daily tables with ``world`` (``"plan"`` or
            ``"counterfactual"``), ``replicate`` and ``run_id``.
        runs: the runs table of both worlds, with ``world``.
        plan: the plan's config name.
        counterfactual: what the counterfactual is, in words.
    """

    table: pd.DataFrame
    parts: pd.DataFrame
    timeseries: pd.DataFrame
    runs: pd.DataFrame
    plan: str
    counterfactual: str

    def value(self, metric: str, column: str = "mean", platform: str | None = None) -> float:
        """One number of the table, e.g. ``value("expansion", "low")``."""
        if metric not in PARTS:
            raise ConfigError(f"metric = {metric!r}: unknown; allowed: {', '.join(PARTS)}")
        rows = self.table[self.table["metric"] == metric]
        platform = platform if platform is not None else str(rows["platform"].iloc[0])
        rows = rows[rows["platform"] == platform]
        if len(rows) != 1:
            raise ConfigError(f"platform = {platform!r}: not in the decomposition; allowed: "
                              f"{', '.join(dict.fromkeys(self.table['platform']))}")
        return float(rows[column].iloc[0])

    def figure(self, platform: str | None = None, title: str = "") -> Figure:
        """Both worlds' adopter curves, the areas between them and the parts with intervals.

        See :func:`simulation.plots.decomposition_figure`.
        """
        from ..plots import decomposition_figure

        return decomposition_figure(self, platform, title)

    def _repr_html_(self) -> str:
        return self.table._repr_html_()


def decompose(
    config: Config | str | Path | Mapping[str, Any],
    without: str | Path | Config | Mapping[str, Any] = "none",
    replicates: int = DEFAULT,
    seed: int = DEFAULT,
    *,
    workers: int | None = DEFAULT,
    client: Any = DEFAULT,
    platform: str | None = None,
    runner: Runner | None = None,
    progress: Any = None,
) -> Decomposition:
    """Split what a payout plan bought into expansion and acceleration (module docstring).

    ``runner.run([plan, counterfactual])``, then :func:`decompose_runs` of
    those runs (call it yourself on runs you already have).

    Args:
        config: the plan: a Config, a TOML path or a mapping.
        without: the counterfactual: ``"none"`` (the same world, every
            platform's ``phases`` emptied: no payouts), a scheme name
            (``"flat_fee"``, ``"commission"``, ``"per_view"``,
            ``"per_adopter"``: that scheme removed from every phase), a
            mapping of dotted-key overrides applied to the plan, a Config or
            a TOML path.
        replicates: paired runs per world (default 20); replicate r of both
            uses seed ``run_seed(seed, r)``.
        seed: the root seed (default 0).
        workers: 1 (the default) runs here; N > 1 uses N local processes; None, every core.
        client: a ``dask.distributed.Client`` to run on instead.
        platform: only this platform (default: every platform).
        runner: a :class:`~simulation.runs.runner.Runner` holding replicates,
            seed, workers and client (then give none of those keywords).
        progress: a progress bar of the runs: None (the default) on a terminal or
            in a notebook only; True, False, or a file to write it to.

    Raises:
        ConfigError: a bad config, counterfactual, platform or setting, or a
            runner beside its keywords.
        RuntimeError: a run failed (its error is in the message).
    """
    plan = load_config(config)
    counterfactual, words = _counterfactual(plan, without)
    names = [p.name for p in plan.platforms]
    if [p.name for p in counterfactual.platforms] != names:
        raise ConfigError(
            f"without = {_show(without)}: its platforms "
            f"{[p.name for p in counterfactual.platforms]} differ from the plan's {names}; "
            "allowed: a counterfactual with the same platforms")
    if platform is not None:
        plan.platform_name(platform)
    runner = runner_of(runner, RUNNER, replicates=replicates, seed=seed, workers=workers,
                       client=client)
    with progress_bar(progress, 2 * runner.replicates, "decompose") as bar:
        runs = runner.run([plan, counterfactual], progress=bar)
    return decompose_runs(runs, plan=plan.name, counterfactual=words, platform=platform)


def decompose_runs(
    runs: Runs,
    *,
    plan: str = PLAN,
    counterfactual: str = COUNTERFACTUAL,
    platform: str | None = None,
) -> Decomposition:
    """The decomposition of runs already made: what :func:`decompose` returns, from its runs.

    ``runs`` is what :meth:`Runner.run <simulation.runs.runner.Runner.run>`
    returns for ``[plan, counterfactual]`` with daily tables kept: point 0 is
    the plan, point 1 the counterfactual, replicate r paired across them. No
    run is made.

    Args:
        runs: the runs of both worlds.
        plan: the plan's name, for the result.
        counterfactual: what the counterfactual is, in words, for the result.
        platform: only this platform (default: every platform of the runs).

    Raises:
        ConfigError: a platform not in the runs, or runs without daily tables.
        RuntimeError: a run failed (its error is in the message).
    """
    worlds = np.array([PLAN, COUNTERFACTUAL], dtype=object)
    runs.check("decompose", list(worlds))
    if runs.timeseries is None or runs.timeseries.empty:
        raise ConfigError("runs: no daily tables; allowed: runs made with keep_timeseries=True")
    table_of_runs = runs.runs.assign(world=worlds[runs.runs["point"].to_numpy()])
    series = runs.timeseries
    series = series.assign(world=worlds[series["point"].to_numpy()])
    names = list(dict.fromkeys(series["platform"]))
    if platform is not None and platform not in names:
        raise ConfigError(f"platform = {platform!r}: not in the runs; allowed: "
                          f"{', '.join(map(repr, names))}")
    wanted = names if platform is None else [platform]
    series = series[series["platform"].isin(wanted)].reset_index(drop=True)
    parts = pd.concat([_parts(series, table_of_runs, name) for name in wanted],
                      ignore_index=True)
    rows = []
    for name in wanted:
        mine = parts[parts["platform"] == name]
        for metric, unit in PARTS.items():
            values = mine[metric].dropna().to_numpy()
            rows.append((name, metric, unit, len(values), *t_interval(values)))
    table = pd.DataFrame(rows, columns=["platform", "metric", "unit", "n", "mean", "low", "high"])
    return Decomposition(table, parts, series, table_of_runs, plan, counterfactual)


def parts_of(plan: np.ndarray, base: np.ndarray) -> dict[str, np.ndarray]:
    """Adopter-days gained, expansion and acceleration of cumulative adopter curves.

    Args:
        plan: replicates × days cumulative adopters of the plan (people).
        base: the same for the counterfactual, on the same days.

    Returns:
        ``extra_adopters`` (people), ``adopter_days_gained``, ``expansion``,
        ``acceleration`` (adopter-days) and ``days_earlier`` (days), one value
        per replicate; ``expansion + acceleration == adopter_days_gained``.
    """
    plan, base = np.atleast_2d(plan), np.atleast_2d(base)
    level = np.minimum(plan[:, -1], base[:, -1])[:, None]
    acceleration = (np.minimum(plan, level) - np.minimum(base, level)).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        days_earlier = np.where(level[:, 0] > 0, acceleration / level[:, 0], np.nan)
    return {
        "extra_adopters": plan[:, -1] - base[:, -1],
        "adopter_days_gained": (plan - base).sum(axis=1),
        "expansion": (np.maximum(plan, level) - np.maximum(base, level)).sum(axis=1),
        "acceleration": acceleration,
        "days_earlier": days_earlier,
    }


def _parts(series: pd.DataFrame, runs: pd.DataFrame, platform: str) -> pd.DataFrame:
    """The per-replicate parts of one platform."""
    rows = series[series["platform"] == platform]
    curves = {world: rows[rows["world"] == world].pivot_table(
        index="replicate", columns="day", values="adopters", aggfunc="first").sort_index()
        for world in (PLAN, COUNTERFACTUAL)}
    replicates = curves[PLAN].index.to_numpy()
    found = parts_of(curves[PLAN].to_numpy(float), curves[COUNTERFACTUAL]
                          .reindex(index=replicates, columns=curves[PLAN].columns)
                          .to_numpy(float))
    by_world = {world: group.set_index("replicate").reindex(replicates)
                for world, group in runs.groupby("world")}
    spend = (by_world[PLAN][f"{platform}.total_spend"]
             - by_world[COUNTERFACTUAL][f"{platform}.total_spend"]).to_numpy(float)
    active = (by_world[PLAN][f"{platform}.active_users_end"]
              - by_world[COUNTERFACTUAL][f"{platform}.active_users_end"]).to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_extra = np.where(found["extra_adopters"] > 0, spend / found["extra_adopters"], np.nan)
        per_day = np.where(found["adopter_days_gained"] > 0,
                           spend / found["adopter_days_gained"], np.nan)
    return pd.DataFrame({
        "platform": platform, "replicate": replicates,
        "seed": by_world[PLAN]["seed"].to_numpy(np.int64),
        **{k: found[k] for k in ("extra_adopters", "adopter_days_gained", "expansion",
                                 "acceleration", "days_earlier")},
        "extra_active_users_end": active, "spend": spend,
        "cost_per_incremental_adopter": per_extra, "cost_per_adopter_day": per_day,
    })


def _counterfactual(plan: Config, without: Any) -> tuple[Config, str]:
    """The counterfactual config and its name in words."""
    if isinstance(without, Config):
        return without, without.name
    if isinstance(without, Mapping):
        shown = ", ".join(f"{k}={v}" for k, v in without.items()) or "the plan itself"
        return load_config(plan, dict(without)), shown
    if isinstance(without, str) and without in WITHOUT:
        raw = plain(plan)
        if without == "none":
            for entry in raw["platforms"]:
                entry["phases"] = []
            return load_config(raw), "no payouts"
        found = False
        for entry in raw["platforms"]:
            for phase in entry.get("phases", []):
                found |= phase.pop(without, None) is not None
        if not found:
            paid = sorted({k for p in plan.platforms for ph in p.phases for k in SCHEMES
                           if getattr(ph, k) is not None})
            raise ConfigError(f"without = {without!r}: the plan pays no {without} "
                              f"(it pays: {', '.join(paid) or 'nothing'}); allowed: "
                              f"'none' or a scheme it pays")
        return load_config(raw), f"no {without.replace('_', ' ')}"
    if isinstance(without, Path) or (isinstance(without, str) and without.endswith(".toml")):
        other = load_config(without)
        return other, other.name
    raise ConfigError(
        f"without = {_show(without)}: unknown counterfactual; allowed: "
        f"{', '.join(map(repr, WITHOUT))}, a mapping of dotted-key overrides, a Config "
        "or a TOML path")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"a {type(value).__name__}"
