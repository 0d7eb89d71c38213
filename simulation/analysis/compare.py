"""Paired comparison of scenarios on common random numbers.

``compare(scenarios, replicates=10, seed=0)`` runs every scenario with the
same ``replicates`` run seeds (through a :class:`~simulation.runs.runner.Runner`:
replicate r of every scenario draws the same random streams), then analyses
the runs with :func:`compare_runs`, which returns a :class:`Comparison`:

- ``.table``: the tidy table, one row per (scenario, platform, metric):
  ``scenario, platform, metric, n, mean, low, high, diff, diff_low,
  diff_high, reference``. ``mean`` is the mean over replicates with its 95%
  t-interval ``[low, high]``, cut to the metric's possible range
  (:data:`RANGES`: a count's interval never goes below zero, a share's never
  above one; :func:`simulation.stats.t_interval` says why a cut and not a
  bootstrap or a log transform); ``diff`` is the mean of the per-replicate
  differences scenario − reference (paired: replicate r against replicate r)
  with its 95% t-interval. The reference's own ``diff`` is 0. ``n`` counts
  the replicates with a value (events that never happen, e.g.
  ``days_to_50pct``, are left out of that metric's statistics).
- ``.runs``: one row per run (``run_id, point, replicate, seed``, any
  override columns, ``<platform>.<summary key>``, ``status, error``) plus
  ``scenario``.
- ``.timeseries``: every run's daily table (``simulation.COLUMNS``) with
  ``run_id, point, replicate, scenario``.

What the comparison can say of each plan, in words (higher, lower, no
difference beyond a precision, or "can't tell yet" and about how many
replicates would settle it), is :meth:`Comparison.verdicts`; ``compare(...,
until=...)`` grows the replicates until it can say it, within a run budget
(:mod:`simulation.analysis.verdicts`).

A result object rather than ``DataFrame.attrs``: attrs are copied by every
pandas operation, which for the daily tables is slow, and dropped by some.

:func:`paired_table` computes the tidy table from any runs table, so a
metric derived per run (e.g. active users per $1 000) gets the same paired
statistics (``from simulation.analysis.compare import paired_table``; the
influencers per tier and day are :func:`simulation.model.tiers.tier_timeseries`):
``simulation.compare``, the package attribute, is the function.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..model.config import Config, ConfigError, load_config
from ..model.metrics import summary_keys
from ..runs.runner import DEFAULT, Runner, Runs, Scenario, runner_of
from ..stats import t_interval

RUNNER = Runner(replicates=10)
"""What :func:`compare` runs with when given no runner: 10 replicates, seed 0, this process."""
INCREMENTAL = "cost_per_incremental_adopter"
"""The derived metric of :func:`incremental_cost`: $ per adopter the plan added."""
HEADLINE = ("adopters_end", "active_users_end", "total_spend", INCREMENTAL)
"""The metrics a strategist reads first: those ``sparksim compare`` prints and draws."""
TABLE_COLUMNS = ("scenario", "platform", "metric", "n", "mean", "low", "high", "diff",
                 "diff_low", "diff_high", "reference")
RANGES: dict[str, tuple[float | None, float | None]] = {
    **{key: (0.0, None) for key in (
        "peak_active_users", "peak_day", "active_users_end", "adopters_end", "days_to_10pct",
        "days_to_50pct", "attributed_adopters", "influenced_adopters", "people_per_agent",
        "total_spend", "cost_per_adopter", "cost_per_attributed_adopter",
        "cost_per_active_user_end", "retention_after_switch", "influencers_joined",
        "influencers_active_end", "gmv_total")},
    "adoption_share_end": (0.0, 1.0),
}
"""Summary metric → the range its values cannot leave (None: no bound): counts of people,
influencers and days, money paid or sold and costs are never negative, a share of people
is at most one. The mean's interval is cut to it. ``net_total`` (revenue − spend) may be
negative, and a metric not listed here (one you register) has no bound: add yours."""


@dataclass
class Comparison:
    """What :func:`compare` returns.

    Attributes:
        table: the tidy table, one row per (scenario, platform, metric).
        runs: one row per run, with ``scenario``.
        timeseries: every run's daily table, with ``scenario`` (None when not kept).
        reference: the scenario the others are compared with.
        scenarios: the scenario names, in order.
        observed: each observer's tables (``compare(..., observers=["tiers"])``).
    """

    table: pd.DataFrame
    runs: pd.DataFrame
    timeseries: pd.DataFrame | None
    reference: str
    scenarios: list[str]
    observed: dict[str, pd.DataFrame] = field(default_factory=dict)
    """Each observer's tables of every run, with ``scenario``, by key."""
    until: Any = None
    """The stopping rule it was run with (``compare(..., until=...)``), or None."""
    stopped: str = ""
    """Why the replicates stopped growing, in words (``until`` only)."""

    @property
    def replicates(self) -> int:
        """Replicates per scenario."""
        return int(self.runs["replicate"].nunique()) if len(self.runs) else 0

    def verdicts(self, metric: str | None = None, precision: float | str | None = None,
                 platform: str | None = None) -> pd.DataFrame:
        """What can be said of each plan against the reference on one metric, in words.

        One row per plan (every scenario but the reference): ``scenario, platform,
        metric, n, diff, diff_low, diff_high, verdict, settled, replicates_needed,
        text``. ``verdict`` is ``higher``, ``lower`` (the paired 95% interval
        excludes zero), ``same`` (every replicate identical), ``within`` (the
        interval is narrower than ``precision`` either side) or ``can't tell yet``;
        then ``replicates_needed`` estimates how many would settle it.
        See :mod:`simulation.analysis.verdicts`.

        Args:
            metric: a summary key (default: ``until``'s, else ``active_users_end``).
            precision: the half-width that is precise enough, in the metric's unit,
                or a text like ``"5%"`` (of the reference's mean); default: ``until``'s.
            platform: the platform (default: ``until``'s, else the first).
        """
        from .verdicts import verdicts

        until = self.until
        return verdicts(self.table, self.reference,
                        metric or (until.metric if until else "active_users_end"),
                        precision if precision is not None else (
                            until.precision if until else None),
                        platform or (until.platform if until else None),
                        scenarios=len(self.scenarios))

    def summary(self, metric: str | None = None, precision: float | str | None = None,
                platform: str | None = None) -> str:
        """A few lines: each plan's verdict with its rounded estimate, and why it stopped."""
        lines = [f"{len(self.scenarios) - 1} plan(s) against {self.reference!r}, "
                 f"{self.replicates} paired replicates each"]
        lines += [f"  {row.scenario}: {row.text}" for row in self.verdicts(
            metric, precision, platform).itertuples()]
        if self.stopped:
            lines.append(self.stopped)
        return "\n".join(lines)

    def value(self, scenario: str, metric: str, column: str = "mean",
              platform: str | None = None) -> float:
        """One number of the table, e.g. ``value("flat_fee", "cost_per_adopter", "diff")``."""
        rows = self.table[(self.table["scenario"] == scenario) & (self.table["metric"] == metric)]
        if platform is not None:
            rows = rows[rows["platform"] == platform]
        if len(rows) != 1:
            raise KeyError(f"no single row for scenario={scenario!r}, metric={metric!r}, "
                           f"platform={platform!r} (found {len(rows)})")
        return float(rows[column].iloc[0])

    def wide(self, column: str = "mean", platform: str | None = None) -> pd.DataFrame:
        """Scenarios × metrics of one column of the table (e.g. ``"mean"`` or ``"diff"``)."""
        rows = self.table if platform is None else self.table[self.table["platform"] == platform]
        index = ["scenario"] if rows["platform"].nunique() <= 1 else ["scenario", "platform"]
        wide = rows.pivot_table(index=index, columns="metric", values=column, sort=False,
                                dropna=False)
        return wide.reindex(columns=list(dict.fromkeys(rows["metric"])))

    def _repr_html_(self) -> str:
        return self.table._repr_html_()

    def write(self, out_dir: str | Path, inputs: Sequence[str | Path] = (),
              metrics: Sequence[str] = HEADLINE) -> Path:
        """Write ``comparison.csv`` (the table), ``runs.csv`` and ``comparison.png``.

        The files go to a temporary folder that is then moved into place
        (``sparksim compare``); ``inputs`` (the plans' files) may not be inside it.
        The figure draws ``metrics``, the paired differences to the reference
        (not the cost per incremental adopter: a ratio to the reference, not a
        difference, it is in the table).
        """
        import matplotlib.pyplot as plt

        from ..plots import comparison_figure
        from ..runs.folders import check_output_folder, staged_folder

        out = check_output_folder(out_dir, "comparison", inputs=inputs)
        shown = [m for m in metrics if m in set(self.table["metric"]) and m != INCREMENTAL]
        with staged_folder(out, "comparison") as staging:
            self.table.to_csv(staging / "comparison.csv", index=False)
            self.runs.to_csv(staging / "runs.csv", index=False)
            figure = comparison_figure(self.table, shown or None,
                                       title=f"Against {self.reference}: paired differences, "
                                             "95% intervals over replicates")
            figure.savefig(staging / "comparison.png", dpi=110)
            plt.close(figure)
        return out


def compare(
    scenarios: Mapping[str, Scenario] | Sequence[Scenario],
    replicates: int = DEFAULT,
    seed: int = DEFAULT,
    reference: str | None = None,
    *,
    base: Config | str | Path | Mapping[str, Any] | None = None,
    workers: int | None = DEFAULT,
    client: Any = DEFAULT,
    metrics: Sequence[str] | None = None,
    platform: str | None = None,
    keep_timeseries: bool = True,
    progress: Any = None,
    observers: Sequence[str] = DEFAULT,
    runner: Runner | None = None,
    until: Any = None,
) -> Comparison:
    """Run every scenario on the same random streams and compare each with a reference.

    ``runner.run(scenarios)``, then :func:`compare_runs` of those runs (call
    it yourself on runs you already have). With ``until``, the replicates grow
    in batches until every plan's verdict on one metric is settled or a run
    budget is spent (:func:`simulation.analysis.verdicts.compare_until`).

    Args:
        scenarios: name → scenario, or a list of scenarios (named by their
            config's ``name``, or ``key=value, ...`` for overrides). A scenario
            is a Config, a TOML path, or a mapping of dotted-key overrides
            applied to ``base``.
        replicates: runs per scenario (default 10); replicate r uses the same
            seed in every scenario, so differences are paired.
        seed: the root seed (default 0).
        reference: the scenario the others are compared with (default: the first).
        base: the config that override mappings apply to.
        workers: 1 (the default) runs here; N > 1 uses N local processes; None, every core.
        client: a ``dask.distributed.Client`` to run on instead.
        metrics: summary keys to compare (default: every registered summary metric).
        platform: only this platform (default: every platform).
        keep_timeseries: keep every run's daily table (``.timeseries``).
        progress: a progress bar: None (the default) on a terminal or in a
            notebook only; True, False, or a file to write it to.
        observers: observer keys run beside the daily table (e.g. ``"tiers"``):
            their tables, with ``scenario``, are ``.observed[key]``.
        runner: a :class:`~simulation.runs.runner.Runner` holding replicates,
            seed, workers, client and observers (then give none of those keywords).
        until: a stopping rule, :class:`simulation.Until` (or a metric's key:
            ``Until(metric)``): ``replicates`` is then the first batch, and more
            replicates follow until each plan's paired interval of the metric
            excludes zero or is as narrow as its precision, or ``max_runs`` runs
            are spent (then its verdict says "can't tell yet" and about how
            many replicates would settle it).

    Raises:
        ConfigError: a bad scenario, an unknown reference, metric, platform or
            observer, a bad setting, or a runner beside its keywords.
        RuntimeError: a run failed (its error is in the message).
    """
    names, items = _named(scenarios)
    _check_reference_and_metrics(names, reference, metrics)
    runner = runner_of(runner, RUNNER, replicates=replicates, seed=seed, workers=workers,
                       client=client, observers=observers)
    if until is not None:
        from .verdicts import compare_until

        return compare_until(names, items, runner, until, reference=reference, base=base,
                             metrics=metrics, platform=platform,
                             keep_timeseries=keep_timeseries, progress=progress)
    runs = runner.run(items, base=base, progress=progress, keep_timeseries=keep_timeseries)
    return compare_runs(runs, names, reference, metrics=metrics, platform=platform)


def compare_runs(
    runs: Runs,
    names: Sequence[str],
    reference: str | None = None,
    *,
    metrics: Sequence[str] | None = None,
    platform: str | None = None,
) -> Comparison:
    """The comparison of runs already made: what :func:`compare` returns, from its runs.

    ``runs`` is what :meth:`Runner.run <simulation.runs.runner.Runner.run>`
    (or ``run_many``) returns for the scenarios in ``names`` order: point p is
    scenario ``names[p]``, replicate r paired across scenarios. No run is made.

    Args:
        runs: the runs, with their daily and observers' tables if kept.
        names: the scenario of each point, in point order.
        reference: the scenario the others are compared with (default: the first).
        metrics: summary keys to compare (default: every metric in the runs).
        platform: only this platform (default: every platform).

    Raises:
        ConfigError: an unknown reference, metric or platform.
        RuntimeError: a run failed (its error is in the message).
    """
    names = list(names)
    reference = _check_reference_and_metrics(names, reference, metrics)
    runs.check("compare", names)
    name_of = dict(enumerate(names))
    table_of_runs = runs.runs.assign(scenario=runs.runs["point"].map(name_of))
    timeseries = runs.timeseries
    if timeseries is not None and not timeseries.empty:
        timeseries = timeseries.assign(scenario=timeseries["point"].map(name_of))
    table = paired_table(table_of_runs, reference, metrics=metrics, platform=platform)
    if platform is not None and table.empty:
        raise ConfigError(f"platform = {platform!r}: no scenario has it")
    observed = {key: frame.assign(scenario=frame["point"].map(name_of))
                for key, frame in runs.observed.items()}
    return Comparison(table, table_of_runs, timeseries, reference, names, observed)


def _check_reference_and_metrics(names: list[str], reference: str | None,
                                 metrics: Sequence[str] | None) -> str:
    """The reference (default: the first name); a ConfigError for an unknown one or metric."""
    reference = names[0] if reference is None else reference
    if reference not in names:
        raise ConfigError(f"reference = {reference!r}: not a scenario; allowed: "
                          f"{', '.join(map(repr, names))}")
    unknown = [m for m in (metrics or ()) if m not in (*summary_keys(), INCREMENTAL)]
    if unknown:
        raise ConfigError(f"metrics = {unknown}: unknown; allowed: {', '.join(summary_keys())}")
    return reference


def paired_table(
    runs: pd.DataFrame,
    reference: str,
    *,
    metrics: Sequence[str] | None = None,
    platform: str | None = None,
    by: str = "scenario",
) -> pd.DataFrame:
    """The tidy comparison table of a runs table (see the module docstring).

    Args:
        runs: one row per run with ``by``, ``replicate`` and metric columns
            ``<platform>.<metric>`` (add derived metrics as such columns).
        reference: the value of ``by`` the others are compared with.
        metrics: the metric names (default: every ``<platform>.<metric>`` column).
        platform: only this platform.
        by: the column naming scenarios.
    """
    if "status" in runs.columns:
        runs = runs[runs["status"] == "ok"]
    columns = _metric_columns(runs, metrics, platform)
    names = list(dict.fromkeys(runs[by]))
    wide = {name: group.set_index("replicate") for name, group in runs.groupby(by, sort=False)}
    has = {(name, plat): _has(wide[name], plat) for name in names
           for plat in _platforms(runs, platform)}
    rows = []
    for plat, metric in columns:
        column = f"{plat}.{metric}"
        ref = wide[reference][column] if has[(reference, plat)] else None
        for name in names:
            if not has[(name, plat)]:  # the scenario has no such platform
                continue
            values = wide[name][column].astype(float)
            present = values.dropna()
            mean, low, high = t_interval(present.to_numpy(),
                                         bounds=RANGES.get(metric, (None, None)))
            if ref is None:
                diff = diff_low = diff_high = np.nan
            else:
                pairs = (values - ref.reindex(values.index).astype(float)).dropna()
                diff, diff_low, diff_high = t_interval(pairs.to_numpy())
            rows.append((name, plat, metric, len(present), mean, low, high, diff, diff_low,
                         diff_high, reference))
    if metrics is None or INCREMENTAL in metrics:
        for plat in _platforms(runs, platform):
            if has[(reference, plat)] and {f"{plat}.total_spend",
                                           f"{plat}.adopters_end"} <= set(runs.columns):
                rows += [(name, plat, INCREMENTAL, *incremental_cost(
                    wide[name], wide[reference], plat), np.nan, np.nan, np.nan, reference)
                    for name in names if has[(name, plat)]]
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


def incremental_cost(plan: pd.DataFrame, reference: pd.DataFrame, platform: str,
                     level: float = 0.95, resamples: int = 2000) -> tuple[int, float, float, float]:
    """Cost per incremental adopter: extra spend ÷ extra adopters against the reference.

    Both differences are paired by replicate; the ratio is of their means (a mean
    of per-replicate ratios blows up where a replicate gained almost nobody), with
    a percentile bootstrap interval over replicates (seeded: reproducible). NaN
    when the plan brings no extra adopters on average.

    Returns:
        (replicates, ratio, low, high).
    """
    spend = (plan[f"{platform}.total_spend"]
             - reference[f"{platform}.total_spend"].reindex(plan.index)).astype(float)
    gained = (plan[f"{platform}.adopters_end"]
              - reference[f"{platform}.adopters_end"].reindex(plan.index)).astype(float)
    keep = spend.notna() & gained.notna()
    spend, gained = spend[keep].to_numpy(), gained[keep].to_numpy()
    n = len(spend)
    if n == 0 or gained.mean() <= 0:
        return n, np.nan, np.nan, np.nan
    ratio = spend.mean() / gained.mean()
    if n < 2:
        return n, ratio, np.nan, np.nan
    picks = np.random.default_rng(0).integers(0, n, size=(resamples, n))
    with np.errstate(divide="ignore", invalid="ignore"):
        boot = spend[picks].mean(axis=1) / gained[picks].mean(axis=1)
    boot = boot[np.isfinite(boot) & (gained[picks].mean(axis=1) > 0)]
    low, high = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2]) if len(boot) else (
        np.nan, np.nan)
    return n, ratio, float(low), float(high)


def _has(runs: pd.DataFrame, platform: str) -> bool:
    """Whether these runs have the platform: any of its summary keys has a value."""
    columns = [f"{platform}.{key}" for key in summary_keys() if f"{platform}.{key}" in runs]
    return bool(columns) and bool(runs[columns].notna().to_numpy().any())


def _metric_columns(runs: pd.DataFrame, metrics: Sequence[str] | None,
                    platform: str | None) -> list[tuple[str, str]]:
    """(platform, metric) pairs in order: metrics as given (or found), platforms as found.

    Platforms are the prefixes of summary-key columns (``spark.total_spend``),
    so override columns (``adoption.imitation``) are never taken for metrics.
    """
    split = [tuple(c.split(".", 1)) for c in runs.columns if "." in c]
    platforms = _platforms(runs, platform)
    found = [(p, key) for p, key in split if p in platforms
             and pd.api.types.is_numeric_dtype(runs[f"{p}.{key}"])]
    wanted = list(dict.fromkeys(m for _, m in found)) if metrics is None else list(metrics)
    present = set(found)
    return [(p, m) for p in platforms for m in wanted if (p, m) in present]


def _platforms(runs: pd.DataFrame, platform: str | None) -> list[str]:
    """The platforms of a runs table (prefixes of summary-key columns), or just ``platform``."""
    split = [tuple(c.split(".", 1)) for c in runs.columns if "." in c]
    found = list(dict.fromkeys(p for p, key in split if key in summary_keys()))
    return [p for p in found if platform is None or p == platform]


def _named(scenarios: Mapping[str, Scenario] | Sequence[Scenario]
           ) -> tuple[list[str], list[Scenario]]:
    """Scenario names and items; names from config names when a list is given."""
    if isinstance(scenarios, Mapping):
        names, items = [str(k) for k in scenarios], list(scenarios.values())
    else:
        items = list(scenarios)
        names = [_scenario_name(item) for item in items]
    if not items:
        raise ConfigError("scenarios: none given; pass at least one")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"scenario names must be unique (repeated: {duplicates}); "
                          "pass a mapping name → scenario")
    return names, items


def _scenario_name(item: Scenario) -> str:
    """A config's name, or overrides in words: ``flat fee: fee $40/day, flat fee: quota 3``."""
    if isinstance(item, Config):
        return item.name
    if isinstance(item, Mapping):
        return ", ".join(override_words(k, v) for k, v in item.items()) or "base"
    return load_config(item).name


def override_words(key: str, value: Any) -> str:
    """One override as people read it, every digit kept (names must stay apart).

    ``("platforms.0.phases.0.flat_fee.fee", 40.0)`` → ``flat fee: fee $40/day``.
    """
    from ..plots.labels import words
    from ..plots.numbers import format_quantity

    text, unit = words(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
        return f"{text} {value}"
    shown = unit if unit.startswith("$") or unit.startswith("share") else ""
    step = 10.0 ** (np.floor(np.log10(abs(value))) - 8) if value else 1.0
    return f"{text} {format_quantity(float(value), shown, step=step, suffix='', trim=True)}"


# --- influencers by tier ---------------------------------------------------------------
