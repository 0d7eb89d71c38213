"""The best payout plan: a noisy, constrained search over levers, judged on fresh seeds.

``optimise(config, levers={dotted key: (low, high) | [choices]}, objective=...,
budget=..., target=...)`` searches the levers (fee, quota, number invited,
commission rate, switch day: any config keys) for the plan with the best
mean objective over ``replicates`` runs, then re-runs the winner and the
starting config on *fresh* seeds and reports their paired difference.

The search. Optuna's TPE sampler (Bergstra et al. 2011; Watanabe 2023),
seeded, multivariate, with ``constant_liar`` so that ``batch`` trials can be
asked at once; each batch's runs (batch × replicates) go to the runner
(:class:`~simulation.runs.runner.Runner`) in one call, so its ``workers`` or
Dask ``client`` run them in parallel.

Why TPE: the objective is a noisy, expensive simulation with integer and
categorical levers and a few dozen evaluations affordable; TPE needs no
gradients or smoothness, handles mixed spaces and constraints
(``Trial.set_constraint``, Optuna >= 5: infeasible trials inform the model but
are never chosen) and works with ask/tell batches. Differential evolution
would need populations × generations (hundreds of evaluations) and has no
categorical levers. Noise is tamed by common random numbers: every trial uses
the same replicate seeds ``run_seed(seed, r)``, so trials are compared on the
same random streams. The starting config is enqueued as trial 0 when its
lever values lie in the ranges, so a feasible start is never beaten by a
worse plan on the search seeds. The batch size, not ``workers``, shapes the
search: results do not depend on the executor.

Constraints, on means over the search replicates: ``budget`` (total payout
spend of the platform ≤ budget, $) and ``target`` (e.g. ``"active_users_end
>= 3000"``). With a target and no objective the search minimises spend: the
cheapest plan that reaches the target.

The winner's curse: the best of many noisy trials is flattered by its seeds.
So the winner and the start are run again on ``fresh_replicates`` seeds from
a different root, ``run_seed(seed, 0, point=FRESH_KEY)`` (numpy
``SeedSequence(seed, spawn_key=(FRESH_KEY, 0))``, a spawn key of another
length than the search's ``(r,)``), paired replicate by replicate, and
compared with :func:`simulation.compare.paired_table` (95% t-intervals).

References:
    Bergstra, J., Bardenet, R., Bengio, Y. & Kégl, B. (2011). Algorithms for
    hyper-parameter optimization. NeurIPS 24.
    Watanabe, S. (2023). Tree-structured Parzen estimator: understanding its
    algorithm components and their roles. arXiv:2304.11127.
    Akiba, T. et al. (2019). Optuna: a next-generation hyperparameter
    optimization framework. KDD.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..model.config import Config, ConfigError, get_dotted, load_config, plain
from ..model.metrics import METRICS, summary_keys
from ..runs.executors import MAX_REPLICATES, run_seed
from ..runs.runner import DEFAULT, Progress, Runner, progress_bar, runner_of
from .compare import paired_table

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MAX_TRIALS = 10_000
"""Most plans one search evaluates: TPE's cost per suggestion grows with the history, and
its gains flatten within a few hundred trials (Optuna's docs suggest 100-1 000); each trial
costs ``replicates`` runs."""
MAX_BATCH = 1_000
"""Most trials asked at once: past the number of workers a batch only delays what the
sampler learns; 1 000 is far above any laptop's or small cluster's cores."""
FRESH_KEY = 0x46524553
"""Spawn-key entry ("FRES") of the fresh seeds' root: ``run_seed(seed, 0, point=FRESH_KEY)``."""
RUNNER = Runner(replicates=4)
"""What :func:`optimise` runs with when given no runner: 4 replicates, seed 0, this process."""

def default_direction(key: str) -> str | None:
    """``maximize`` or ``minimize`` for a summary key, from its declaration (None: undeclared)."""
    better = METRICS[key].better if key in METRICS else None
    return {"higher": "maximize", "lower": "minimize"}.get(better or "")

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b}

Objective = str | Callable[[pd.Series], float]


@dataclass(frozen=True)
class Lever:
    """One searched config key: a range (``low``, ``high``; integer or real) or choices."""

    key: str
    low: float | None = None
    high: float | None = None
    integer: bool = False
    choices: tuple[Any, ...] | None = None

    def distribution(self) -> Any:
        """The Optuna distribution (choices are searched by index)."""
        from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

        if self.choices is not None:
            return CategoricalDistribution(list(range(len(self.choices))))
        if self.integer:
            return IntDistribution(int(self.low), int(self.high))
        return FloatDistribution(float(self.low), float(self.high))

    def value(self, raw: Any) -> Any:
        """The config value of an Optuna parameter."""
        return self.choices[int(raw)] if self.choices is not None else raw

    def encode(self, value: Any) -> Any | None:
        """The Optuna parameter of a config value, or None if outside the search space."""
        if self.choices is not None:
            return next((i for i, c in enumerate(self.choices) if c == value), None)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        if not self.low <= value <= self.high or (self.integer and value != int(value)):
            return None
        return int(value) if self.integer else float(value)


@dataclass(frozen=True)
class Target:
    """A constraint on a mean summary metric over the search replicates."""

    metric: str
    operator: str
    value: float

    def met(self, mean: float) -> bool:
        """Whether a mean value meets the target (NaN never does)."""
        return bool(np.isfinite(mean) and OPERATORS[self.operator](mean, self.value))

    def violation(self, mean: float) -> float:
        """≤ 0 when met (Optuna's constraint convention), in the metric's units."""
        if not np.isfinite(mean):
            return math.inf
        return self.value - mean if self.operator == ">=" else mean - self.value

    def __str__(self) -> str:
        return f"{self.metric} {self.operator} {self.value:g}"


@dataclass
class Optimum:
    """What :func:`optimise` returns.

    Attributes:
        best: lever key → the winner's value.
        start: lever key → the starting config's value (None where unset).
        best_value: the winner's mean objective over the search replicates
            (optimistic: see ``fresh``).
        history: one row per trial: ``trial, batch``, every lever, ``objective``
            (mean over the search replicates), ``spend`` ($, mean), the target
            metric's mean (if any), ``feasible``, ``state`` (``complete`` or
            ``failed``), ``error``, ``best_so_far``.
        fresh: the paired table (:func:`simulation.compare.paired_table`) of
            ``best`` against ``start`` on fresh seeds: every summary key and
            ``objective``, mean and difference with 95% t-intervals.
        fresh_runs: the fresh-seed runs (``scenario`` is ``start`` or ``best``).
        search_runs: every search run, with ``trial``.
        objective, direction, platform, budget, target: what was asked.
        config: the starting config.
    """

    best: dict[str, Any]
    start: dict[str, Any]
    best_value: float
    history: pd.DataFrame
    fresh: pd.DataFrame
    fresh_runs: pd.DataFrame
    search_runs: pd.DataFrame
    objective: str
    direction: str
    platform: str
    budget: float | None
    target: Target | None
    config: Config

    @property
    def best_config(self) -> Config:
        """The starting config with the winner's levers."""
        return load_config(self.config, self.best)

    def value(self, metric: str = "objective", column: str = "mean",
              scenario: str = "best") -> float:
        """One number of the fresh-seed table, e.g. ``value("objective", "diff_low")``."""
        rows = self.fresh[(self.fresh["metric"] == metric) & (self.fresh["scenario"] == scenario)
                          & (self.fresh["platform"] == self.platform)]
        if len(rows) != 1:
            allowed = ", ".join(dict.fromkeys(self.fresh["metric"]))
            raise ConfigError(f"metric = {metric!r}, scenario = {scenario!r}: not in the "
                              f"fresh-seed table; allowed metrics: {allowed}; scenarios: "
                              "start, best")
        return float(rows[column].iloc[0])

    def figure(self, title: str = "") -> Figure:
        """The search and the fresh-seed check: :func:`simulation.plots.search_figure`."""
        from ..plots import search_figure

        return search_figure(self, title)

    @property
    def target_metric_name(self) -> str | None:
        """The target's metric (summary key), if there is a target."""
        return None if self.target is None else self.target.metric

    @property
    def _search_replicates(self) -> int:
        return int(self.search_runs["replicate"].nunique())

    def _repr_html_(self) -> str:
        return self.fresh._repr_html_()


def optimise(
    config: Config | str | Path | Mapping[str, Any],
    levers: Mapping[str, tuple[float, float] | list[Any]],
    objective: Objective | None = None,
    budget: float | None = None,
    target: str | tuple[str, str, float] | None = None,
    n_trials: int = 40,
    replicates: int = DEFAULT,
    seed: int = DEFAULT,
    *,
    workers: int | None = DEFAULT,
    client: Any = DEFAULT,
    direction: str | None = None,
    platform: str | None = None,
    batch: int = 4,
    fresh_replicates: int | None = None,
    runner: Runner | None = None,
    progress: Any = None,
) -> Optimum:
    """Search the levers for the best plan, then check the winner against the start on fresh seeds.

    Args:
        config: the starting plan (a Config, a TOML path or a mapping).
        levers: dotted config key → ``(low, high)`` (a tuple: a range; integer
            when the config's value is an int, e.g. ``posts_per_day``,
            ``top_k``, ``start.day``) or ``[choice, ...]`` (a list).
        objective: a summary key (``"active_users_end"``, ``"net_total"``, ...,
            or ``"<platform>.<key>"``) or ``callable(runs_row) -> float`` of one
            run's row of the runs table; its mean over replicates is optimised.
            Default: ``"active_users_end"``, or ``"total_spend"`` with a target.
        budget: $ cap on the platform's mean total payout spend; plans over it
            are infeasible.
        target: a constraint ``"metric >= value"`` (or ``<=``; or a tuple
            ``(metric, ">=", value)``) on a summary key's mean.
        n_trials: plans evaluated (including the start).
        replicates: runs per plan (default 4), seeds ``run_seed(seed, r)``
            (common to all plans).
        seed: the root seed (default 0); also fixes the sampler and the fresh seeds.
        workers: 1 (the default) runs here; N > 1 uses N local processes; None, every core.
        client: a ``dask.distributed.Client`` to run on instead.
        direction: ``"maximize"`` or ``"minimize"`` (default: by the metric;
            maximise a callable).
        platform: the platform whose metrics count (default: the first).
        batch: trials asked at once (their runs are dispatched together).
        fresh_replicates: fresh-seed runs of the winner and the start
            (default ``max(10, 2 * replicates)``).
        runner: a :class:`~simulation.runs.runner.Runner` holding replicates,
            seed, workers and client (then give none of those keywords).
        progress: a progress bar of the runs (``n_trials × replicates`` for the
            search, then the fresh-seed check): None (the default) on a terminal or
            in a notebook only; True, False, or a file to write it to.

    The search evaluates exactly ``n_trials`` plans (the start among them, when
    its levers are in range), never more: a plan that is not a valid config
    counts as evaluated without running (its error is in the history). The
    fresh-seed check then reruns two of them, the winner and the start.

    Raises:
        ConfigError: a bad config, lever, objective, target, budget, size or
            setting, or a runner beside its keywords.
        RuntimeError: no plan was feasible, or a fresh-seed run failed.
    """
    runner = runner_of(runner, RUNNER, replicates=replicates, seed=seed, workers=workers,
                       client=client)
    inputs = _validate(config, levers, objective, budget, target, n_trials=n_trials,
                       runner=runner, direction=direction, platform=platform, batch=batch,
                       fresh_replicates=fresh_replicates)
    planned = inputs.n_trials * inputs.runner.replicates + 2 * inputs.fresh_replicates
    with progress_bar(progress, planned, "optimise: search") as bar:
        records, search_runs = _search(inputs, bar)
        history = _history(records, inputs.direction)
        winner = _winner(history, inputs)
        best = {lever.key: _plain(winner[lever.key]) for lever in inputs.levers}
        bar.describe("optimise: fresh seeds")
        table, fresh = _fresh_check(inputs, best, bar)
    return Optimum(best, inputs.start, float(winner["objective"]), history, table, fresh,
                   pd.concat(search_runs, ignore_index=True), inputs.objective_name,
                   inputs.direction, inputs.platform,
                   None if inputs.budget is None else float(inputs.budget), inputs.target,
                   inputs.config)


# --- the steps of optimise -----------------------------------------------------


@dataclass(frozen=True)
class _Inputs:
    """:func:`optimise`'s arguments, checked, with the defaults filled in."""

    config: Config
    """the starting config"""
    platform: str
    levers: list[Lever]
    start: dict[str, Any]
    """lever key → the starting config's value (None where unset)"""
    objective: Objective
    objective_name: str
    column: str | None
    """the objective's runs-table column (None for a callable)"""
    direction: str
    target: Target | None
    budget: float | None
    n_trials: int
    runner: Runner
    """replicates, seed and executor of the search (the fresh check: other seeds)"""
    batch: int
    fresh_replicates: int

    def score(self, rows: pd.DataFrame) -> pd.Series:
        """The objective of each run (a row of the runs table)."""
        if self.column is not None:
            return rows[self.column].astype(float)
        return rows.apply(lambda row: float(self.objective(row)), axis=1)


def _validate(
    config: Config | str | Path | Mapping[str, Any],
    levers: Mapping[str, tuple[float, float] | list[Any]],
    objective: Objective | None,
    budget: float | None,
    target: str | tuple[str, str, float] | None,
    *,
    n_trials: int,
    runner: Runner,
    direction: str | None,
    platform: str | None,
    batch: int,
    fresh_replicates: int | None,
) -> _Inputs:
    """Check the config, platform, target, objective, sizes, budget and levers (in that order).

    Raises:
        ConfigError: the first bad one.
    """
    start_config = load_config(config)
    platform = start_config.platform_name(platform)
    target = _target(target, start_config, platform)
    if objective is None:
        objective = "total_spend" if target is not None else "active_users_end"
    objective_name, column, direction = _objective(objective, direction, start_config, platform)
    for name, value, least, most in (
            ("n_trials", n_trials, 1, MAX_TRIALS), ("batch", batch, 1, MAX_BATCH),
            ("fresh_replicates", fresh_replicates, 2, MAX_REPLICATES)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or not least <= value <= most):
            raise ConfigError(f"{name} = {value!r}: must be an integer from {least} to {most:,}")
    if budget is not None and not (isinstance(budget, int | float) and budget >= 0):
        raise ConfigError(f"budget = {budget!r}: must be a number of dollars >= 0, or None")
    specs = _levers(levers, start_config)
    raw_start = start_config.model_dump(mode="json", exclude_none=True)
    return _Inputs(
        config=start_config, platform=platform, levers=specs,
        start={lever.key: get_dotted(raw_start, lever.key) for lever in specs},
        objective=objective, objective_name=objective_name, column=column,
        direction=direction, target=target, budget=budget, n_trials=n_trials,
        runner=runner, batch=batch,
        fresh_replicates=fresh_replicates or max(10, 2 * runner.replicates))


def _search(inputs: _Inputs, bar: Progress | None = None
            ) -> tuple[list[dict[str, Any]], list[pd.DataFrame]]:
    """The seeded TPE search: the start first (when its levers are in range), then batches.

    Returns:
        One record per trial (the history's rows, see :func:`_batch`) and the
        runs of each batch that ran.
    """
    import optuna

    sampler = optuna.samplers.TPESampler(
        seed=inputs.runner.seed, multivariate=True, constant_liar=True,
        n_startup_trials=min(10, max(2, inputs.n_trials // 3)))
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            study = optuna.create_study(direction=inputs.direction, sampler=sampler)
            encoded = {lever.key: lever.encode(inputs.start[lever.key])
                       for lever in inputs.levers}
            if all(v is not None for v in encoded.values()):
                study.enqueue_trial(encoded)
            distributions = {lever.key: lever.distribution() for lever in inputs.levers}
            records, search_runs = [], []
            for first in range(0, inputs.n_trials, inputs.batch):
                asked = [study.ask(distributions)
                         for _ in range(min(inputs.batch, inputs.n_trials - first))]
                batch_records, runs = _batch(study, asked, first // inputs.batch, inputs, bar)
                records += batch_records
                if runs is not None:
                    search_runs.append(runs)
    finally:
        optuna.logging.set_verbosity(verbosity)
    return records, search_runs


def _batch(study: Any, asked: list[Any], number: int, inputs: _Inputs,
           bar: Progress | None = None) -> tuple[list[dict[str, Any]], pd.DataFrame | None]:
    """Run one batch of asked trials in one call of the runner, score them and tell the study.

    A plan that is not a valid config fails without running.

    Returns:
        One record per trial (``trial, batch``, levers, ``objective, spend,
        feasible, state, error``, the target metric) and the batch's runs with
        ``trial`` (None if no plan was valid).
    """
    import optuna

    records, plans, valid = [], [], []
    for trial in asked:
        plan = {lever.key: _plain(lever.value(trial.params[lever.key]))
                for lever in inputs.levers}
        record = {"trial": trial.number, "batch": number, **plan,
                  "objective": np.nan, "spend": np.nan, "feasible": False,
                  "state": "failed", "error": None}
        if inputs.target is not None:
            record[inputs.target.metric] = np.nan
        try:
            load_config(inputs.config, plan)
            valid.append((trial, record))
            plans.append(plan)
        except ConfigError as err:
            record["error"] = str(err)
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            if bar is not None:
                bar.skip(inputs.runner.replicates)  # evaluated, not run
        records.append(record)
    if not plans:
        return records, None
    runs = inputs.runner.run(plans, base=inputs.config, keep_timeseries=False,
                             progress=False if bar is None else bar).runs
    runs = runs.assign(trial=[valid[p][0].number for p in runs["point"]])
    for point, (trial, record) in enumerate(valid):
        _tell(study, trial, record, runs[runs["point"] == point], inputs)
    return records, runs


def _tell(study: Any, trial: Any, record: dict[str, Any], runs: pd.DataFrame,
          inputs: _Inputs) -> None:
    """Score one trial's runs into its record, set its constraints, tell the study.

    Failed runs or an undefined objective fail the trial; otherwise the record
    gets the mean objective, the mean spend, the target metric's mean and
    whether the budget and the target are met.
    """
    import optuna

    failed = runs[runs["status"] != "ok"]
    values = inputs.score(runs) if failed.empty else pd.Series(dtype=float)
    if not failed.empty or values.isna().any():
        record["error"] = (str(failed["error"].iloc[0]) if not failed.empty
                           else f"{inputs.objective_name} is undefined in some runs")
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
        return
    spend = float(runs[f"{inputs.platform}.total_spend"].mean())
    constraints = [spend - inputs.budget if inputs.budget is not None else -1.0]
    if inputs.target is not None:
        reached = float(runs[f"{inputs.platform}.{inputs.target.metric}"].mean())
        record[inputs.target.metric] = reached
        constraints.append(inputs.target.violation(reached))
    for name, violation in zip(("budget", "target"), constraints, strict=False):
        trial.set_constraint(name, min(violation, 1e300))  # <= 0: feasible
    record.update(objective=float(values.mean()), spend=spend, state="complete",
                  feasible=all(c <= 0 for c in constraints))
    study.tell(trial, record["objective"])


def _winner(history: pd.DataFrame, inputs: _Inputs) -> pd.Series:
    """The best feasible trial's row of the history (the first on ties).

    Raises:
        RuntimeError: no trial was feasible.
    """
    feasible = history[history["feasible"]]
    if feasible.empty:
        errors = history["error"].dropna()
        raise RuntimeError(
            f"optimise: none of {len(history)} plans was feasible (budget={inputs.budget}, "
            f"target={inputs.target}); "
            + (f"first error: {errors.iloc[0]}; " if len(errors) else "")
            + "widen the levers, raise the budget or lower the target")
    order = feasible["objective"] if inputs.direction == "maximize" else -feasible["objective"]
    return feasible.loc[order.idxmax()]  # the first trial on ties


def _fresh_check(inputs: _Inputs, best: dict[str, Any], bar: Progress | None = None
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Re-run the start and the winner on fresh seeds, paired replicate by replicate.

    Returns:
        The paired table of ``best`` against ``start`` (every summary key and
        ``objective``) and the fresh runs (``scenario``: start or best).

    Raises:
        RuntimeError: a fresh-seed run failed.
    """
    fresh_runner = replace(inputs.runner, replicates=inputs.fresh_replicates,
                           seed=run_seed(inputs.runner.seed, 0, point=FRESH_KEY))
    known = {k: v for k, v in inputs.start.items() if v is not None}  # lever columns for a callable
    fresh = fresh_runner.run([known, best], base=inputs.config, keep_timeseries=False,
                             progress=False if bar is None else bar).check(
        "optimise (fresh seeds)", ["start", "best"]).runs
    fresh = fresh.assign(scenario=np.array(["start", "best"], dtype=object)[fresh["point"]])
    fresh[f"{inputs.platform}.objective"] = inputs.score(fresh).to_numpy()
    return paired_table(fresh, "start", platform=inputs.platform), fresh


# --- checking the inputs ------------------------------------------------------


def _metric(text: str, what: str, config: Config, platform: str) -> tuple[str, str]:
    """(platform, summary key) of ``key`` or ``platform.key``; else a ConfigError."""
    names = [p.name for p in config.platforms]
    owner, _, key = text.rpartition(".")
    if key in summary_keys() and (owner == "" or owner in names):
        return owner or platform, key
    raise ConfigError(f"{what} = {text!r}: unknown metric; allowed: a summary key "
                      f"({', '.join(summary_keys())}), optionally as '<platform>.<key>' with "
                      f"platform in {names}" + (", or a callable(runs_row) -> float"
                                                if what == "objective" else ""))


def _objective(objective: Objective, direction: str | None, config: Config,
               platform: str) -> tuple[str, str | None, str]:
    """The objective's name, its runs-table column (None for a callable), the direction."""
    if callable(objective):
        name, column, default = getattr(objective, "__name__", "objective"), None, "maximize"
    elif isinstance(objective, str):
        owner, key = _metric(objective, "objective", config, platform)
        if owner != platform:
            raise ConfigError(f"objective = {objective!r}: on platform {owner!r}, but platform "
                              f"= {platform!r}; allowed: pass platform={owner!r}")
        name, column = key, f"{platform}.{key}"
        default = default_direction(key)
    else:
        raise ConfigError(f"objective = {objective!r}: unknown; allowed: a summary key "
                          f"({', '.join(summary_keys())}) or a callable(runs_row) -> float")
    words = {"maximize": "maximize", "maximise": "maximize", "minimize": "minimize",
             "minimise": "minimize"}
    if direction is None:
        if default is None:
            raise ConfigError(f"objective = {objective!r}: no natural direction; pass "
                              "direction='maximize' or 'minimize'")
        return name, column, default
    if direction not in words:
        raise ConfigError(f"direction = {direction!r}: unknown; allowed: 'maximize', "
                          "'minimize'")
    return name, column, words[direction]


def _target(target: Any, config: Config, platform: str) -> Target | None:
    if target is None:
        return None
    allowed = "a string like 'active_users_end >= 3000' or a tuple (metric, '>=' or '<=', value)"
    if isinstance(target, str):
        match = re.fullmatch(r"\s*([\w.]+)\s*(>=|<=)\s*([-+0-9.eE_]+)\s*", target)
        if match is None:
            raise ConfigError(f"target = {target!r}: not understood; allowed: {allowed}")
        metric, operator, text = match.groups()
        try:
            value = float(text)
        except ValueError:
            raise ConfigError(f"target = {target!r}: {text!r} is not a number; "
                              f"allowed: {allowed}") from None
    elif isinstance(target, tuple | list) and len(target) == 3:
        metric, operator, value = target
        if operator not in OPERATORS or not isinstance(value, int | float):
            raise ConfigError(f"target = {target!r}: not understood; allowed: {allowed}")
    else:
        raise ConfigError(f"target = {target!r}: not understood; allowed: {allowed}")
    owner, key = _metric(str(metric), "target", config, platform)
    if owner != platform:
        raise ConfigError(f"target = {target!r}: on platform {owner!r}, but platform = "
                          f"{platform!r}; allowed: pass platform={owner!r}")
    if not math.isfinite(float(value)):
        raise ConfigError(f"target = {target!r}: the value must be finite")
    return Target(key, operator, float(value))


def _levers(levers: Mapping[str, Any], config: Config) -> list[Lever]:
    """Checked levers; each bound or choice is validated as an override of the config."""
    if not isinstance(levers, Mapping) or not levers:
        raise ConfigError(f"levers = {levers!r}: give at least one, as {{dotted key: "
                          "(low, high) or [choice, ...]}")
    raw = plain(config)
    specs = []
    for key, spec in levers.items():
        where = f"levers[{key!r}] = {spec!r}"
        if isinstance(spec, list):
            if not spec:
                raise ConfigError(f"{where}: no choices; allowed: a non-empty list of values")
            lever, values = Lever(key, choices=tuple(spec)), spec
        elif isinstance(spec, tuple) and len(spec) == 2 and all(
                isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                for v in spec):
            low, high = spec
            if not low < high:
                raise ConfigError(f"{where}: low must be below high; allowed: (low, high) "
                                  "with low < high")
            current = get_dotted(raw, key)
            integer = (isinstance(current, int) and not isinstance(current, bool)) or (
                current is None and all(isinstance(v, int) for v in spec))
            if integer:
                low, high = math.ceil(low), math.floor(high)
                if low > high:
                    raise ConfigError(f"{where}: an integer lever needs an integer in range")
            lever, values = Lever(key, low, high, integer), [low, high]
        else:
            raise ConfigError(f"{where}: allowed: a tuple (low, high) of numbers or a list of "
                              "choices")
        for value in values:
            try:
                load_config(config, {key: value})
            except ConfigError as err:
                raise ConfigError(f"{where}: {err}") from None
        specs.append(lever)
    return specs


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _history(records: Sequence[Mapping[str, Any]], direction: str) -> pd.DataFrame:
    history = pd.DataFrame(list(records)).sort_values("trial", ignore_index=True)
    history["feasible"] = history["feasible"].astype(bool)
    kept = history["objective"].where(history["feasible"])
    best = kept.cummax() if direction == "maximize" else kept.cummin()
    history["best_so_far"] = best.ffill()  # the best feasible objective up to each trial
    return history
