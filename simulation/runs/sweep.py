"""Batches of runs: ``run_many`` in memory; ``sweep``, the durable sweep (``sparksim sweep``).

A sweep folder holds:

- ``manifest.json``: the sweep file, the resolved base config, package
  versions, git commit, start and end times, runs planned / done / failed,
  and a fingerprint of the plan (every run's parameters and seed);
- ``journal.jsonl``: one line per finished run, appended the moment it
  finishes, carrying the plan's fingerprint (``plan``: the first 16 hex
  digits of ``plan_sha256``);
- ``timeseries/run-NNNNNN.parquet``: each run's daily table, written to a
  temporary name and renamed before the run's journal line is written;
- ``runs.parquet``: one row per run (run id, design point, replicate, seed,
  each parameter, each platform's summary metrics as ``<platform>.<key>``,
  status, error), rebuilt from the journal as the sweep goes and at its end.

Rerunning an interrupted sweep (Ctrl-C, ``kill -9``, a lost worker) skips
the runs already done and retries failed ones; the result is the same as an
uninterrupted sweep because every run's seed is fixed by the plan. A run is
*done* when its journal line names this plan, its run id, point, replicate and
seed are the plan's, and its daily table opens (its Parquet footer is read).
A folder whose journal names another plan is refused (``--force`` clears it),
even when its manifest is gone. The daily table, the journal line, the
manifest and the final runs table are fsynced with their folder, so a run
recorded survives a power cut as well as a kill (a few milliseconds per run:
``benchmarks/sweep_bench.py --store``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from ..errors import WorkersLost, first_line
from ..model.config import Config, ConfigError, plain
from .executors import WORKER_TIMEOUT, Outcome, RunFunction, Task, dispatch, open_pool
from .folders import (
    LOCK,
    OWNER,
    FolderLock,
    check_output_folder,
    fsync_path,
    out_option,
    read_marker,
    remove_stale_temporaries,
    replace_durably,
    temporary_name,
    write_atomic,
    write_marker,
)
from .runner import (
    DEFAULT,
    Progress,
    ProgressOption,
    Runner,
    Runs,
    Scenario,
    runner_of,
    runs_table,
)
from .sweep_file import SweepSpec, load_sweep_spec

SWEEP_FILES = ("manifest.json", "journal.jsonl", "runs.parquet", "timeseries", "observed",
               "report")
"""What a sweep folder holds (besides its marker and lock); ``--force`` clears these only."""
REFRESH_SECONDS = 30.0  # how often runs.parquet is rebuilt while a sweep runs
PLAN_KEY = "plan"
"""The journal line's key holding the plan's fingerprint (kept out of the runs table)."""
PLAN_DIGITS = 16
"""Hex digits of ``plan_sha256`` on each journal line: 64 bits, so two different plans
share a tag with chance 2^-64, in 24 bytes a line."""


# --- in memory ---------------------------------------------------------------


RUN_MANY_RUNNER = Runner()
"""What :func:`run_many` runs with when given no runner: 1 replicate, seed 0, this process."""


def run_many(
    scenarios: Sequence[Scenario],
    replicates: int = DEFAULT,
    seed: int = DEFAULT,
    *,
    base: Scenario | None = None,
    workers: int | None = DEFAULT,
    client: Any = DEFAULT,
    progress: ProgressOption = None,
    keep_timeseries: bool = True,
    observers: Sequence[str] = DEFAULT,
    runner: Runner | None = None,
) -> Runs:
    """Run every scenario ``replicates`` times on common random numbers; keep results in memory.

    The same as ``runner.run(scenarios, base=base, ...)`` (:meth:`Runner.run`);
    the keywords make the runner when none is given.

    Args:
        scenarios: each a Config, a TOML path, or a mapping of dotted-key
            overrides (as ``--set`` takes them) applied to ``base``.
        replicates: runs per scenario (default 1); replicate r uses seed
            ``run_seed(seed, r)`` in every scenario, so differences between
            scenarios are paired.
        seed: the root seed (default 0).
        base: the config that override mappings apply to.
        workers: 1 (the default) runs here; N > 1 uses N local processes; None, every core.
        client: a ``dask.distributed.Client`` to run on instead.
        progress: a progress bar: None (the default) on a terminal or in a notebook
            only; True, False, or a file to write it to.
        keep_timeseries: also return every run's daily table.
        observers: observer keys (``simulation.model.observers.OBSERVERS``, e.g.
            ``"tiers"``) run beside the daily table; their tables are in ``.observed``.
        runner: a :class:`Runner` holding replicates, seed, workers, client and
            observers (then give none of those keywords).

    Raises:
        ConfigError: a scenario is not a valid config, an observer unknown, a
            bad setting, or a runner beside its keywords (checked before any run).
    """
    runner = runner_of(runner, RUN_MANY_RUNNER, replicates=replicates, seed=seed,
                       workers=workers, client=client, observers=observers)
    return runner.run(scenarios, base=base, keep_timeseries=keep_timeseries, progress=progress)


# --- the durable sweep -------------------------------------------------------

SWEEP_RUNNER = Runner(workers=None)
"""Where :func:`sweep` runs with no runner: every core (replicates, seed: the sweep file's)."""


@dataclass
class SweepResult:
    """A sweep folder, read back: the manifest, the runs table, and daily tables on demand."""

    path: Path
    manifest: dict[str, Any]
    runs: pd.DataFrame

    @property
    def spec(self) -> SweepSpec:
        """The sweep file, parsed."""
        return SweepSpec.model_validate(self.manifest["sweep"])

    @property
    def parameters(self) -> list[str]:
        """The swept parameters (dotted config keys), in sweep-file order."""
        return list(self.manifest["sweep"]["parameters"])

    @property
    def failed(self) -> pd.DataFrame:
        """The runs that failed, with their errors."""
        return self.runs[self.runs["status"] != "ok"]

    def observed(self, key: str, run_ids: Sequence[int] | None = None) -> pd.DataFrame:
        """An observer's tables of the given runs (default: all), with the run's labels.

        The observers are the sweep file's ``observers``; ``run_id, point, replicate``
        are columns of each table.
        """
        if key not in self.spec.observers:
            allowed = (", ".join(self.spec.observers) if self.spec.observers
                       else "none (add observers = [...] to the sweep file)")
            raise ConfigError(f"observer {key!r}: this sweep did not run it; allowed: {allowed}")
        return self.timeseries(run_ids, folder=self.path / "observed" / key)

    def timeseries(
        self, run_ids: Sequence[int] | None = None, columns: Sequence[str] | None = None,
        folder: Path | None = None,
    ) -> pd.DataFrame:
        """Daily tables of the given runs (default: all) with ``run_id, point, replicate``."""
        folder = self.path / "timeseries" if folder is None else folder
        ids = self.runs.loc[self.runs["status"] == "ok", "run_id"] if run_ids is None else run_ids
        files = [folder / _timeseries_name(int(i)) for i in ids]
        files = [f for f in files if f.exists()]
        if not files:
            return pd.DataFrame()
        import pyarrow.parquet as pq
        from pyarrow.lib import ArrowException

        wanted = None if columns is None else list(dict.fromkeys(
            ["run_id", "point", "replicate", "day", "platform", *columns]))
        tables = []
        for file in files:
            try:
                tables.append(pq.read_table(file, columns=wanted).to_pandas())
            except (OSError, ValueError, ArrowException) as err:  # junk, cut short, wrong schema
                raise ConfigError(
                    f"{str(file)!r}: the daily table cannot be read ({first_line(err)}); "
                    "rerun the same sweep command to run it again") from None
        return pd.concat(tables, ignore_index=True)


def sweep(
    spec: SweepSpec | str | Path,
    out: str | Path | None = None,
    *,
    workers: int | None = DEFAULT,
    client: Any = DEFAULT,
    scheduler: str | None = None,
    force: bool = False,
    progress: ProgressOption = None,
    function: RunFunction | None = None,
    worker_timeout: float = WORKER_TIMEOUT,
    announce: Callable[[str], None] | None = None,
    runner: Runner | None = None,
) -> SweepResult:
    """Run a sweep into a folder, resuming whatever an earlier attempt finished.

    Replicates, seed and observers are the sweep file's (they fix the plan);
    the runner, or ``workers``, ``client`` or ``scheduler``, says where the
    runs execute.

    Args:
        spec: a sweep file (TOML path) or a parsed :class:`SweepSpec`.
        out: the folder (default ``results/sweeps/<sweep name>``).
        workers: local worker processes (default: every core; 1 runs in this process).
        client: a ``dask.distributed.Client`` to run on.
        scheduler: a Dask scheduler address (``tcp://HOST:PORT``) to connect to.
        force: discard results in ``out`` that belong to a different sweep.
        progress: a progress bar: None (the default) on a terminal or in a notebook
            only; True, False, or a file to write it to.
        function: run this ``function(parameters, seed) -> {metric: value}``
            instead of the model (to check the machinery on known answers).
        worker_timeout: seconds a Dask cluster may have no worker before the
            sweep stops (what finished is kept).
        announce: called once the runs start with a line saying where they run
            (and the Dask dashboard's address); the command line prints it.
        runner: a :class:`Runner` whose ``workers`` or ``client`` run the sweep
            (then give none of ``workers``, ``client``, ``scheduler``); its
            replicates, seed and observers, if set, must be the sweep file's.

    Raises:
        ConfigError: a bad sweep file or setting; ``out`` holds another sweep's
            results, a user's files, or is locked by a sweep still running.
        KeyboardInterrupt: after recording what finished (rerun to resume).
        WorkersLost: the cluster had no worker for ``worker_timeout`` seconds.
    """
    spec = spec if isinstance(spec, SweepSpec) else load_sweep_spec(spec)
    if runner is not None and scheduler is not None:
        raise ConfigError(f"runner and scheduler = {scheduler!r} both given; allowed: one of "
                          "them (Runner(client=distributed.Client(scheduler)) runs there)")
    runner = runner_of(runner, SWEEP_RUNNER, workers=workers, client=client)
    _check_runner_fits(runner, spec)
    base = None if function is not None else spec.base_config()
    raw_base = None if base is None else plain(base)
    points = spec.points()
    observers = tuple(spec.observers) if function is None else ()
    tasks = [Task(p * spec.replicates + r, p, r, spec.seed_of(p, r), point, raw_base, function,
                  keep_timeseries=function is None, observers=observers)
             for p, point in enumerate(points) for r in range(spec.replicates)]
    plan = _fingerprint(spec, raw_base, tasks)
    folder = out_option(out, Path("results") / "sweeps" / spec.name)
    store = SweepStore(folder, plan, len(tasks))
    store.check(inputs=spec.inputs)
    status = "interrupted"
    # workers and scheduler are checked before anything is written
    with (open_pool(runner.workers, runner.client, scheduler, worker_timeout) as pool,
          FolderLock(folder)):
        store.prepare(plan, force)
        done = store.finished(tasks)
        todo = [t for t in tasks if t.run_id not in done]
        manifest = store.manifest_for(spec, base, plan, len(tasks))
        manifest["executor"] = pool.describe()
        manifest["dashboard"] = pool.dashboard
        store.write_manifest(manifest)
        if announce is not None:
            announce(f"{spec.name}: {len(todo)} of {len(tasks)} runs to do on {pool.describe()}"
                     + (f"; Dask dashboard: {pool.dashboard}" if pool.dashboard else ""))
        bar = Progress(len(tasks), len(tasks) - len(todo), spec.name, progress)

        def record(outcome: Outcome) -> None:
            store.record(outcome)
            bar.update(outcome)

        try:
            dispatch(todo, pool, record)
            status = "complete"
        except WorkersLost:
            status = "workers lost"
            raise
        finally:
            bar.close(finished=status == "complete")
            store.finish(manifest, status)
    return load_sweep(folder)


def _check_runner_fits(runner: Runner, spec: SweepSpec) -> None:
    """A ConfigError if the runner sets replicates, seed or observers other than the file's."""
    for name, planned in (("replicates", spec.replicates), ("seed", spec.seed),
                          ("observers", tuple(spec.observers))):
        value = getattr(runner, name)
        unset = getattr(SWEEP_RUNNER, name)
        if value not in (planned, unset):
            raise ConfigError(f"runner.{name} = {value!r}: this sweep's {name} = {planned!r} "
                              f"(its sweep file's); allowed: {planned!r} or the default "
                              f"{unset!r} (set {name} in the sweep file)")


def load_sweep(path: str | Path) -> SweepResult:
    """Read a sweep folder (finished or not): manifest and runs table."""
    store = SweepStore(Path(path))
    if Path(path).is_file():
        raise ConfigError(f"{str(path)!r} is a file, not a sweep folder")
    manifest = store.read_manifest()
    if manifest is None:
        raise ConfigError(f"{str(path)!r} is not a sweep folder (no manifest.json)")
    result = SweepResult(store.folder, manifest, store.runs())
    try:
        result.spec  # noqa: B018 - the sweep file kept in the manifest must still parse
    except ValidationError:
        raise ConfigError(f"{str(Path(path) / 'manifest.json')!r}: its 'sweep' section is not "
                          "a valid sweep file; the sweep folder is damaged: rerun the sweep "
                          "into a new folder") from None
    return result


def _write_table(table: pd.DataFrame, target: Path) -> None:
    """Write a table as Parquet under a temporary name, then rename it durably into place."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    staging = temporary_name(target)
    try:
        pq.write_table(pa.Table.from_pandas(table, preserve_index=False), staging)
        replace_durably(staging, target)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise


def _timeseries_name(run_id: int) -> str:
    return f"run-{run_id:06d}.parquet"


def _fingerprint(spec: SweepSpec, raw_base: Any, tasks: Sequence[Task]) -> str:
    """A hash of everything that fixes the results: base config, parameters, seeds."""
    plan = {"base": raw_base, "function": _function_name(tasks),
            "runs": [[t.run_id, t.seed, t.overrides] for t in tasks]}
    if spec.observers:  # what is stored; absent when none, so older plans keep their hash
        plan["observers"] = list(spec.observers)
    text = json.dumps(plan, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _function_name(tasks: Sequence[Task]) -> str | None:
    function = tasks[0].function if tasks else None
    return None if function is None else f"{function.__module__}.{function.__qualname__}"


class SweepStore:
    """The files of one sweep folder. Every write is atomic (temporary name, then rename).

    ``plan`` and ``planned`` (the fingerprint and number of runs of the sweep
    writing here) decide which journal lines are this sweep's; a store opened
    to read takes both from the manifest.
    """

    def __init__(self, folder: Path, plan: str | None = None, planned: int | None = None):
        self.folder = folder
        self.journal = folder / "journal.jsonl"
        self.series = folder / "timeseries"
        self.observed = folder / "observed"
        self.plan = plan
        self.planned = planned
        self._parameters: list[str] = []
        self._last_refresh = time.monotonic()

    # reading
    def read_manifest(self) -> dict[str, Any] | None:
        """The manifest, or None if there is none; a damaged one is a ConfigError."""
        path = self.folder / "manifest.json"
        if not path.is_file():
            return None
        try:
            manifest = json.loads(path.read_text())
        except (ValueError, UnicodeDecodeError) as err:
            raise ConfigError(f"{str(path)!r} is not valid JSON ({first_line(err)}); the sweep "
                              "folder is damaged: rerun the sweep into a new folder") from None
        if not isinstance(manifest, dict) or not isinstance(manifest.get("sweep"), dict):
            raise ConfigError(f"{str(path)!r} is not a sweep manifest (no 'sweep' section); "
                              "the sweep folder is damaged: rerun the sweep into a new folder")
        return manifest

    def lines(self) -> list[dict[str, Any]]:
        """Every run record in the journal, in order, whoever wrote it.

        A last line without its newline was cut short by a kill mid-write and
        is ignored (its run is run again); any other line that is not a run
        record is a ConfigError naming it.
        """
        rows = []
        complete, torn = self._journal_lines()
        for number, line in enumerate(complete, start=1):
            if not line.strip():
                continue
            row = _run_record(line)
            if row is None:
                raise ConfigError(
                    f"{str(self.journal)!r}: line {number} is not a run record; the sweep "
                    "folder is damaged: delete that line to rerun its run, or rerun the sweep "
                    "into a new folder")
            rows.append(row)
        if torn and (row := _run_record(torn)) is not None:  # whole, only its newline lost
            rows.append(row)
        return rows

    def _plan(self) -> tuple[str | None, int | None, str | None]:
        """(this sweep's plan, its number of runs, the manifest's plan) for reading lines."""
        manifest = self.read_manifest() or {}
        written = manifest.get("plan_sha256")
        planned = manifest.get("runs_planned")
        return (self.plan or written, self.planned if self.planned is not None else
                planned if isinstance(planned, int) else None, written)

    def records(self) -> dict[int, dict[str, Any]]:
        """The last journal line of each run of this plan (without its plan tag).

        Lines of another plan, and run ids outside the plan, are left out. A
        line without a plan tag (written before lines carried one) counts when
        the manifest names this plan.
        """
        plan, planned, written = self._plan()
        records: dict[int, dict[str, Any]] = {}
        for row in self.lines():
            tag = row.pop(PLAN_KEY, None)
            if plan is not None and (tag != plan[:PLAN_DIGITS] if tag is not None
                                     else written != plan):
                continue
            if planned is not None and not 0 <= row["run_id"] < planned:
                continue
            records[row["run_id"]] = row
        return records

    def _journal_lines(self) -> tuple[list[str], str]:
        """The journal's complete lines and its torn last line ('' if none)."""
        if not self.journal.is_file():
            return [], ""
        try:
            text = self.journal.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ConfigError(f"{str(self.journal)!r} is not a text file; the sweep folder "
                              "is damaged: rerun the sweep into a new folder") from None
        lines = text.split("\n")
        return lines[:-1], lines[-1]

    def finished(self, tasks: Sequence[Task] | None = None) -> set[int]:
        """Runs done, skipped on resume.

        Done: status ok, the task's point, replicate and seed (when ``tasks``
        are given), and a daily table that opens (when daily tables are kept).
        """
        keep = (self.read_manifest() or {}).get("keep_timeseries", True)
        by_id = None if tasks is None else {t.run_id: t for t in tasks}
        done = set()
        for i, row in self.records().items():
            if row["status"] != "ok":
                continue
            if by_id is not None:
                task = by_id.get(i)
                if task is None or [row.get("point"), row.get("replicate"), row.get("seed")] != [
                        task.point, task.replicate, task.seed]:
                    continue
            if keep and not _readable_table(self.series / _timeseries_name(i)):
                continue
            if by_id is not None and not all(
                    _readable_table(self.observed / key / _timeseries_name(i))
                    for key in by_id[i].observers):
                continue
            done.add(i)
        return done

    def runs(self) -> pd.DataFrame:
        """The runs table, from the journal (the ground truth)."""
        manifest = self.read_manifest() or {}
        parameters = list(manifest.get("sweep", {}).get("parameters", {}))
        return runs_table(list(self.records().values()), parameters)

    # writing
    def check(self, inputs: Sequence[str | Path] = ()) -> None:
        """A ConfigError unless the folder is new, empty or a sweep's (nothing is written)."""
        if (self.folder / "manifest.json").is_file() and read_marker(self.folder) is None:
            self.read_manifest()  # a sweep folder from before markers: its manifest marks it
            return
        check_output_folder(self.folder, "sweep", inputs=inputs,
                            allowed_extra=(*SWEEP_FILES, LOCK, OWNER))

    def prepare(self, plan: str, force: bool) -> None:
        """Under the lock: make the folder ready, then mark it.

        Ready means new, resumable (the same plan) or cleared with ``force``;
        the plan is the manifest's, or when the manifest is gone, the one every
        journal line names. A torn journal line and temporary files left by a
        killed writer are dropped. Nothing is written before a refusal.
        """
        manifest = self.read_manifest()
        other = None
        if manifest is not None and manifest.get("plan_sha256") != plan:
            other = (f"holds results of a different sweep "
                     f"({manifest['sweep'].get('name', '?')!r}: other parameters, base config "
                     "or seeds)")
        elif manifest is None:
            tags = {row.get(PLAN_KEY) for row in self.lines()}
            if tags - {plan[:PLAN_DIGITS]}:
                named = sorted(str(t) for t in tags - {plan[:PLAN_DIGITS]} if t is not None)
                who = (f"of another sweep (plan {', '.join(named)}; this sweep is plan "
                       f"{plan[:PLAN_DIGITS]})" if named else "that name no plan")
                other = (f"has no manifest.json, and its journal.jsonl holds runs {who}, "
                         "so its results cannot be this sweep's")
        if other is not None:
            if not force:
                raise ConfigError(f"--out {str(self.folder)!r}: {other}; rerun with --force "
                                  "to discard them, or choose another --out")
            for name in SWEEP_FILES:
                target = self.folder / name
                shutil.rmtree(target) if target.is_dir() else target.unlink(missing_ok=True)
        write_marker(self.folder, "sweep", SWEEP_FILES)
        self.series.mkdir(parents=True, exist_ok=True)
        observed = ([f for f in self.observed.iterdir() if f.is_dir()]
                    if self.observed.is_dir() else [])
        for folder in (self.folder, self.series, *observed):  # left by a writer that was killed
            remove_stale_temporaries(folder, locked=True)
        complete, torn = self._journal_lines()
        if torn:
            whole = _run_record(torn) is not None
            text = "".join(f"{line}\n" for line in [*complete, *([torn] if whole else [])])
            write_atomic(self.journal, text.encode())

    def manifest_for(
        self, spec: SweepSpec, base: Config | None, plan: str, planned: int
    ) -> dict[str, Any]:
        """A new manifest (keeps the first start time of a resumed sweep)."""
        previous = self.read_manifest() or {}
        self._parameters = list(spec.parameters)
        return {
            "sweep": spec.model_dump(mode="json"),
            "sweep_file": spec.source_text,
            "base_config": None if base is None else base.to_toml(),
            "plan_sha256": plan,
            "keep_timeseries": base is not None,
            "versions": _versions(),
            "git_commit": _git_commit(),
            "started": previous.get("started") or _now(),
            "resumed": ([*previous.get("resumed", []), _now()] if previous else []),
            "finished": None,
            "status": "running",
            "runs_planned": planned,
            "runs_done": 0,
            "runs_failed": 0,
        }

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        """Write manifest.json atomically and durably (fsynced with its folder)."""
        write_atomic(self.folder / "manifest.json",
                     (json.dumps(manifest, indent=2) + "\n").encode())

    def record(self, outcome: Outcome) -> None:
        """Store one finished run: its daily table first, then its journal line, each fsynced.

        The table is on disk (file and folder entry) before the line is
        written, and the line before the next run is stored.
        """
        name = _timeseries_name(outcome.task.run_id)
        for key, table in outcome.observed.items():
            folder = self.observed / key
            if not folder.is_dir():
                folder.mkdir(parents=True, exist_ok=True)
                fsync_path(folder.parent)
            _write_table(table, folder / name)
        if outcome.timeseries is not None:
            _write_table(outcome.timeseries, self.series / name)
        row = outcome.row()
        if self.plan is not None:
            row[PLAN_KEY] = self.plan[:PLAN_DIGITS]
        line = json.dumps(row, default=str, allow_nan=True) + "\n"
        new = not self.journal.exists()
        with open(self.journal, "a", encoding="utf-8") as journal:
            journal.write(line)  # one write of one line: a kill leaves it whole or cut (ignored)
            journal.flush()
            os.fsync(journal.fileno())
        if new:
            fsync_path(self.folder)
        if time.monotonic() - self._last_refresh > REFRESH_SECONDS:
            self.write_runs()

    def write_runs(self, durable: bool = False) -> pd.DataFrame:
        """Rebuild runs.parquet from the journal, atomically (``durable``: fsynced too)."""
        table = self.runs()
        target = self.folder / "runs.parquet"
        staging = temporary_name(target)
        try:
            table.to_parquet(staging, index=False)
            if durable:
                replace_durably(staging, target)
            else:
                os.replace(staging, target)
        except BaseException:
            staging.unlink(missing_ok=True)
            raise
        self._last_refresh = time.monotonic()
        return table

    def finish(self, manifest: dict[str, Any], status: str) -> None:
        """Final runs.parquet and manifest (also after an interrupt)."""
        table = self.write_runs(durable=True)
        failed = int((table["status"] != "ok").sum())
        done = int(len(table)) - failed
        if status == "complete" and done < manifest["runs_planned"]:
            status = "incomplete"
        manifest.update(status=status, finished=_now(), runs_done=done, runs_failed=failed)
        self.write_manifest(manifest)


def _readable_table(path: Path) -> bool:
    """Whether a daily table opens as Parquet with rows (only its footer is read)."""
    import pyarrow.parquet as pq
    from pyarrow.lib import ArrowException

    try:
        return pq.read_metadata(path).num_rows > 0
    except (OSError, ValueError, ArrowException):
        return False


def _run_record(line: str) -> dict[str, Any] | None:
    """A journal line as a run record, or None if it is not one."""
    try:
        row = json.loads(line)
    except ValueError:
        return None
    if (not isinstance(row, dict) or not isinstance(row.get("run_id"), int)
            or row.get("status") not in ("ok", "failed")):
        return None
    return row


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": sys.version.split()[0]}
    for name in ("sparksim", "numpy", "scipy", "pandas", "pyarrow", "mesa", "networkx",
                 "pydantic", "dask", "distributed", "SALib"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            pass
    return found


def _git_commit() -> str | None:
    here = Path(__file__).resolve().parent
    try:
        result = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"],
                                capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None
