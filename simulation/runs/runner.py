"""One runner for many runs: replicates, the root seed and where runs execute, checked once.

A :class:`Runner` holds what every batch of runs needs besides the configs
themselves, as SALib's ``ProblemSpec`` holds a problem and runs it here or
on other machines (``evaluate_parallel``, ``evaluate_distributed``): how
many replicates of each config, the root seed, the executor (local worker
processes, or a Dask client) and the observers. ``compare``, ``decompose``,
``calibrate``, ``optimise``, ``run_many`` and ``sweep`` take one as
``runner=``; without it their keywords ``replicates``, ``seed``, ``workers``,
``client`` (and ``observers``) make one.

:meth:`Runner.run` runs configs × replicates on common random numbers:
replicate r of every config has seed ``run_seed(seed, r)``, fixed before
anything is dispatched, so its tables are the same with any executor and
any number of workers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ConfigError
from ..model.config import Config, check_seed, load_config, plain
from ..model.observers import make_observers
from .executors import (
    MAX_RUNS,
    Outcome,
    Task,
    check_replicates,
    check_workers_option,
    dispatch,
    open_pool,
    run_seed,
)

Scenario = Config | str | Path | Mapping[str, Any]
"""A config to run: a Config, a TOML path, or a mapping of dotted-key overrides of a base."""
FIXED_COLUMNS = ("run_id", "point", "replicate", "seed")
STATUS_COLUMNS = ("status", "error")


class _Default:
    """The value of a keyword left out: the function's own default applies (its docstring)."""

    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT: Any = _Default()
"""A keyword not given (``replicates=DEFAULT``): told apart from one given with any value,
so a keyword given beside ``runner=`` is refused even when it equals the default."""


# --- tables ------------------------------------------------------------------


def runs_table(rows: Sequence[Mapping[str, Any]], parameters: Sequence[str]) -> pd.DataFrame:
    """One row per run, sorted by run id: fixed columns, parameters, metrics, status.

    Metric columns are float (null → NaN) in order of first appearance by run
    id, so the table does not depend on the order runs finished in.
    """
    rows = sorted(rows, key=lambda row: row["run_id"])
    known = {*FIXED_COLUMNS, *parameters, *STATUS_COLUMNS}
    metrics = list(dict.fromkeys(k for row in rows for k in row if k not in known))
    table = pd.DataFrame(list(rows), columns=[*FIXED_COLUMNS, *parameters, *metrics,
                                              *STATUS_COLUMNS])
    for column in FIXED_COLUMNS:
        table[column] = table[column].astype("int64")
    for column in metrics:
        table[column] = pd.to_numeric(table[column], errors="coerce").astype("float64")
    table["error"] = table["error"].astype(object).where(table["error"].notna(), None)
    return table.reset_index(drop=True)


class Progress:
    """A progress bar (tqdm: terminal or notebook) with runs done, failures and time left."""

    def __init__(self, total: int, done: int = 0, label: str = "runs", enabled: bool = True):
        from tqdm.auto import tqdm

        self.failed = 0
        self.bar = tqdm(total=total, initial=done, desc=label, unit="run", disable=not enabled,
                        dynamic_ncols=True, smoothing=0.1)

    def update(self, outcome: Outcome) -> None:
        """Count one finished run."""
        if outcome.error is not None:
            self.failed += 1
            self.bar.set_postfix(failed=self.failed, refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        """Finish the bar."""
        self.bar.close()


@dataclass
class Runs:
    """The results of :meth:`Runner.run`: the runs table and, if kept, the daily tables."""

    runs: pd.DataFrame
    timeseries: pd.DataFrame | None
    observed: dict[str, pd.DataFrame] = field(default_factory=dict)
    """Each observer's tables of every run (``run_id, point, replicate`` added), by key."""

    def check(self, what: str, names: Sequence[str] | None = None) -> Runs:
        """Self, or a RuntimeError naming the first failed run (``what`` is the caller).

        ``names`` are the scenarios' names by design point, for the message.
        """
        failed = self.runs[self.runs["status"] != "ok"]
        if len(failed):
            first = failed.iloc[0]
            point = int(first["point"])
            scenario = repr(names[point]) if names is not None else f"point {point}"
            raise RuntimeError(f"{what}: {len(failed)} of {len(self.runs)} runs failed; first: "
                               f"scenario {scenario}, replicate {first['replicate']}: "
                               f"{first['error']}")
        return self


# --- the runner --------------------------------------------------------------


@dataclass(frozen=True)
class Runner:
    """Replicates, root seed, executor and observers of a batch of runs, checked once.

    ``Runner(replicates=10, seed=0, workers=2)`` runs each config 10 times in
    2 local processes; ``Runner(client=Client(...))`` on a Dask cluster. Pass
    it as ``runner=`` to ``compare``, ``decompose``, ``calibrate``,
    ``optimise``, ``run_many`` or ``sweep``, or call :meth:`run`. A frozen
    dataclass: ``dataclasses.replace(runner, replicates=20)`` is another,
    checked again.

    Attributes:
        replicates: runs per config, 1 to ``executors.MAX_REPLICATES`` (10 000).
        seed: the root seed (0 to 2**63 - 1); replicate r runs with seed
            ``run_seed(seed, r)`` at every config (common random numbers).
        workers: local processes: 1 runs in this process, N > 1 in N processes,
            None on every core (at most ``executors.MAX_LOCAL_WORKERS``).
        client: a ``dask.distributed.Client`` to run on instead of local
            processes (``workers`` is then unused); left open.
        observers: observer keys (``simulation.model.observers.OBSERVERS``,
            e.g. ``"tiers"``) run beside each daily table.

    Raises:
        ConfigError: a bad value, in one line naming it and what is allowed.
    """

    replicates: int = 1
    seed: int = 0
    workers: int | None = 1
    client: Any = None
    observers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "replicates", check_replicates(self.replicates))
        object.__setattr__(self, "seed", check_seed(self.seed))
        check_workers_option(self.workers, "workers")
        object.__setattr__(self, "observers", tuple(self.observers))
        make_observers(self.observers)  # an unknown key fails here, before any run

    def run(
        self,
        scenarios: Sequence[Scenario],
        *,
        base: Scenario | None = None,
        keep_timeseries: bool = True,
        progress: bool = False,
    ) -> Runs:
        """Run every scenario ``replicates`` times on common random numbers; results in memory.

        Scenario p, replicate r is run ``p * replicates + r`` (``point`` p in the
        runs table) with seed ``run_seed(seed, r)``, so differences between
        scenarios are paired replicate by replicate.

        Args:
            scenarios: each a Config, a TOML path, or a mapping of dotted-key
                overrides (as ``--set`` takes them) applied to ``base``.
            base: the config that override mappings apply to.
            keep_timeseries: also return every run's daily table.
            progress: show a progress bar.

        Raises:
            ConfigError: a scenario is not a valid config, or too many runs
                (checked before any run).
        """
        scenarios = list(scenarios)
        replicates = self.replicates
        if len(scenarios) * replicates > MAX_RUNS:
            raise ConfigError(f"{len(scenarios):,} scenarios x {replicates:,} replicates = "
                              f"{len(scenarios) * replicates:,} runs: allowed: at most "
                              f"{MAX_RUNS:,} runs in one batch (executors.MAX_RUNS); split them")
        tasks, parameters = self._tasks(scenarios, base, keep_timeseries)
        rows, tables, observed = [], [], {}

        def collect(outcome: Outcome) -> None:
            rows.append(outcome.row())
            if outcome.timeseries is not None:
                tables.append(outcome.timeseries)
            for key, table in outcome.observed.items():
                observed.setdefault(key, []).append(table)
            bar.update(outcome)

        bar = Progress(len(tasks), enabled=progress)
        try:
            with open_pool(self.workers, self.client) as pool:
                dispatch(tasks, pool, collect)
        finally:
            bar.close()
        timeseries = None
        if keep_timeseries:
            timeseries = (pd.concat(tables, ignore_index=True) if tables else pd.DataFrame())
            if not timeseries.empty:
                timeseries = timeseries.sort_values(["run_id", "day"], kind="stable",
                                                    ignore_index=True)
        return Runs(runs_table(rows, parameters), timeseries,
                    {key: pd.concat(parts, ignore_index=True).sort_values(
                        ["run_id", "day"], kind="stable", ignore_index=True)
                     for key, parts in observed.items()})

    def _tasks(self, scenarios: list[Scenario], base: Scenario | None,
               keep_timeseries: bool) -> tuple[list[Task], list[str]]:
        """Every run's task, in run-id order, and the override keys (parameters) seen."""
        resolved_base = None if base is None else load_config(base)
        base_raw = None if resolved_base is None else plain(resolved_base)
        tasks, parameters = [], []
        for point, scenario in enumerate(scenarios):
            if isinstance(scenario, Mapping) and not isinstance(scenario, Config):
                if resolved_base is None:
                    raise ConfigError(f"scenario {point} is a mapping of overrides; pass base=")
                overrides = dict(scenario)
                load_config(resolved_base, overrides)  # fail fast on a bad scenario
                raw = base_raw
                parameters.extend(k for k in overrides if k not in parameters)
            else:
                config, overrides = load_config(scenario), {}
                raw = plain(config)
            tasks += [Task(point * self.replicates + r, point, r, run_seed(self.seed, r),
                           overrides, raw, keep_timeseries=keep_timeseries,
                           observers=self.observers)
                      for r in range(self.replicates)]
        return tasks, parameters


def runner_of(runner: Runner | None, default: Runner, **keywords: Any) -> Runner:
    """The runner a function uses: ``runner``, or ``default`` with the keywords given.

    ``keywords`` are the function's ``replicates``, ``seed``, ``workers``,
    ``client`` (and ``observers``) as called, :data:`DEFAULT` where left out.

    Raises:
        ConfigError: ``runner`` and one of the keywords were both given, or a
            keyword's value is bad.
    """
    given = {name: value for name, value in keywords.items() if value is not DEFAULT}
    if runner is None:
        return dataclasses.replace(default, **given)
    if not isinstance(runner, Runner):
        raise ConfigError(f"runner = {runner!r}: not a Runner; allowed: "
                          "simulation.Runner(replicates=..., seed=..., workers=...) or None")
    if given:
        name, value = next(iter(given.items()))
        raise ConfigError(f"runner and {name} = {value!r} both given; allowed: one of them "
                          f"(the runner holds {', '.join(keywords)}: "
                          f"dataclasses.replace(runner, {name}=...))")
    return runner
