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
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ConfigError
from ..model.config import Config, check_seed, load_config, plain
from ..model.observers import make_observers
from .executors import (
    MAX_REPLICATES,
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


ProgressOption = Any
"""What ``progress=`` takes: None (the default: shown when it has somewhere to show, a
terminal or a notebook), True (shown), False (quiet), a file such as ``sys.stderr`` (shown
there: a pseudo-terminal, or a test's ``io.StringIO``), or a :class:`Progress` already open
(its bar goes on counting; a caller's stage)."""


def in_notebook() -> bool:
    """Whether this is a Jupyter kernel (its bars are widgets, not terminal text)."""
    shell = sys.modules.get("IPython")
    if shell is None or "ipykernel" not in sys.modules:
        return False
    try:
        ipython = shell.get_ipython()
    except Exception:  # an IPython without get_ipython: not a kernel we can draw in
        return False
    return type(ipython).__name__ == "ZMQInteractiveShell"


def progress_shown(progress: ProgressOption) -> bool:
    """Whether ``progress=`` asks for a bar.

    Yes for True or a file; for None, when stderr is a terminal or this is a
    notebook (quiet in pipes, logs, CI and tests unless asked).
    """
    if progress is None:
        stream = sys.stderr
        try:
            return bool(stream is not None and stream.isatty()) or in_notebook()
        except (AttributeError, ValueError):  # a closed or odd stream: stay quiet
            return in_notebook()
    return progress is not False


class Progress:
    """A progress bar (tqdm: terminal or notebook): ``n of N`` runs, failures and time left.

    ``enabled`` is a ``progress=`` value (see :data:`ProgressOption`): None shows the bar
    only on a terminal or in a notebook; a file writes it there (tqdm's ``file``). A bar
    counts runs; :meth:`skip` takes back planned runs that will not be made (a search
    that settled early, a plan refused before running), so it ends at ``n of n``.
    """

    def __init__(self, total: int, done: int = 0, label: str = "runs",
                 enabled: ProgressOption = None, unit: str = "run"):
        self.failed = 0
        self.count = done
        shown = progress_shown(enabled)
        file = enabled if enabled not in (None, True, False) else None
        if file is not None or not in_notebook():
            from tqdm import tqdm  # text: a terminal, a pseudo-terminal or a file
        else:
            from tqdm.auto import tqdm  # a widget in a notebook
        self.bar = tqdm(total=total, initial=done, desc=label, unit=unit, disable=not shown,
                        dynamic_ncols=True, smoothing=0.1,
                        **({"file": file} if file is not None else {}))

    def update(self, outcome: Outcome | None = None, n: int = 1) -> None:
        """Count one finished run (``outcome``), or ``n`` runs."""
        if outcome is not None and outcome.error is not None:
            self.failed += 1
            self.bar.set_postfix(failed=self.failed, refresh=False)
        self.count += n
        self.bar.update(n)

    def skip(self, n: int) -> None:
        """Planned runs that will not be made: the total shrinks by ``n``."""
        if n > 0 and self.bar.total is not None:
            self.bar.total = max(self.bar.n, self.bar.total - n)
            self.bar.refresh()

    def grow(self, n: int) -> None:
        """More runs planned than at the start: the total grows by ``n``."""
        if n > 0 and self.bar.total is not None:
            self.bar.total += n
            self.bar.refresh()

    def describe(self, label: str) -> None:
        """Say what the bar counts now (a stage of a longer task)."""
        self.bar.set_description_str(label)

    def close(self, finished: bool = True) -> None:
        """Finish the bar.

        ``finished``: at ``n of n`` when fewer runs were needed than planned (left as
        it stands when the task was stopped).
        """
        if finished and self.bar.total is not None and self.bar.n < self.bar.total:
            self.bar.total = self.bar.n
            self.bar.refresh()
        self.bar.close()


@contextmanager
def progress_bar(progress: ProgressOption, total: int, label: str) -> Iterator[Progress]:
    """A bar for a task of ``total`` runs, closed when it ends.

    Or the caller's own :class:`Progress`, left open (the caller planned its total
    and names its stages).
    """
    if isinstance(progress, Progress):
        yield progress
        return
    bar = Progress(total, label=label, enabled=progress)
    try:
        yield bar
    except BaseException:
        bar.close(finished=False)
        raise
    bar.close()


@dataclass
class Runs:
    """The results of :meth:`Runner.run`: the runs table and, if kept, the daily tables."""

    runs: pd.DataFrame
    timeseries: pd.DataFrame | None
    observed: dict[str, pd.DataFrame] = field(default_factory=dict)
    """Each observer's tables of every run (``run_id, point, replicate`` added), by key."""

    @staticmethod
    def concat(batches: Sequence[Runs]) -> Runs:
        """Batches of the same scenarios (later replicates: ``first_replicate``) as one.

        Run ids are renumbered ``point * replicates + replicate`` (replicates in all),
        so the result is what one :meth:`Runner.run` of every replicate returns.
        """
        if len(batches) == 1:
            return batches[0]
        runs = pd.concat([b.runs for b in batches], ignore_index=True)
        replicates = int(runs["replicate"].max()) + 1

        def renumbered(frame: pd.DataFrame) -> pd.DataFrame:
            frame = frame.assign(run_id=frame["point"].astype("int64") * replicates
                                 + frame["replicate"].astype("int64"))
            order = ["run_id", "day"] if "day" in frame.columns else ["run_id"]
            return frame.sort_values(order, kind="stable", ignore_index=True)

        tables = [b.timeseries for b in batches]
        timeseries = None if any(t is None for t in tables) else (
            renumbered(pd.concat(tables, ignore_index=True))
            if any(not t.empty for t in tables) else pd.DataFrame())
        keys = dict.fromkeys(k for b in batches for k in b.observed)
        observed = {key: renumbered(pd.concat([b.observed[key] for b in batches
                                               if key in b.observed], ignore_index=True))
                    for key in keys}
        return Runs(renumbered(runs), timeseries, observed)

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
        progress: ProgressOption = None,
        first_replicate: int = 0,
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
            progress: a progress bar: None (the default) on a terminal or in a
                notebook only, True, False, a file to write it to, or a
                :class:`Progress` to go on counting in (see :data:`ProgressOption`).
            first_replicate: run replicates ``first_replicate`` ..
                ``first_replicate + replicates - 1`` (seeds ``run_seed(seed, r)``):
                a later batch of the same comparison (:meth:`Runs.concat` joins them,
                as if all had run at once).

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
        if (isinstance(first_replicate, bool) or not isinstance(first_replicate, int)
                or not 0 <= first_replicate <= MAX_REPLICATES - replicates):
            raise ConfigError(f"first_replicate = {first_replicate!r}: must be a whole number "
                              f"from 0 to {MAX_REPLICATES - replicates:,} (replicates end at "
                              f"executors.MAX_REPLICATES = {MAX_REPLICATES:,})")
        tasks, parameters = self._tasks(scenarios, base, keep_timeseries, first_replicate)
        rows, tables, observed = [], [], {}

        def collect(outcome: Outcome) -> None:
            rows.append(outcome.row())
            if outcome.timeseries is not None:
                tables.append(outcome.timeseries)
            for key, table in outcome.observed.items():
                observed.setdefault(key, []).append(table)
            bar.update(outcome)

        with progress_bar(progress, len(tasks), "runs") as bar, \
                open_pool(self.workers, self.client) as pool:
            dispatch(tasks, pool, collect)
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
               keep_timeseries: bool, first: int = 0) -> tuple[list[Task], list[str]]:
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
            tasks += [Task(point * self.replicates + r - first, point, r,
                           run_seed(self.seed, r), overrides, raw,
                           keep_timeseries=keep_timeseries, observers=self.observers)
                      for r in range(first, first + self.replicates)]
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
