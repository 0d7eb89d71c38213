"""Running many simulations: run seeds, one run as a task, and the executors that run tasks.

Every batch of runs (a sweep, a comparison, a decomposition) goes through
:func:`dispatch` over a ``concurrent.futures.Executor``: this process
(``workers=1``), local worker processes (``workers=N``), or a Dask cluster
(``client.get_executor(pure=False)``: each task is a distinct run even when
its arguments repeat). Seeds are fixed before dispatch, so results never
depend on the executor, the number of workers or the order runs finish in.
"""

from __future__ import annotations

import atexit
import concurrent.futures as cf
import contextlib
import logging
import multiprocessing
import numbers
import os
import signal
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError, WorkersLost, first_line

WORKER_TIMEOUT = 120.0
"""Seconds a Dask cluster may have no worker at all before a batch stops (exit 1, what
finished kept). Long enough for a worker to restart; short enough that nobody waits
forever on a cluster that is gone."""
POLL_SECONDS = 2.0
"""How often a batch waiting on a Dask cluster checks that it still has workers."""

MAX_REPLICATES = 10_000
"""Replicates per design point or scenario. The Monte Carlo error of a mean over n
replicates is σ/√n: 10 000 puts it at 1% of the run-to-run spread σ, finer than any
metric is reported; past that, more design points say more than more replicates."""
MAX_RUNS = 100_000
"""Runs in one sweep or one ``run_many`` batch. A sweep folder holds one daily table per
run, and resuming opens every table's footer (about 0.13 ms each, 13 s at this size);
the plan, the journal and the runs table are held in memory; at about a second per
run on 2 cores it is already more than a day. Split a larger study into several sweeps."""

RunFunction = Callable[[Mapping[str, Any], int], Mapping[str, float]]
"""A stand-in for the model, ``function(parameters, seed) -> {metric: value}``, used
to check the machinery on functions with known answers (e.g. Ishigami)."""


def run_seed(root: int, replicate: int, point: int | None = None) -> int:
    """The seed of one run, derived from the root seed by ``numpy.random.SeedSequence``.

    With common random numbers (``point=None``, the default everywhere) the
    seed depends on the replicate only: replicate r draws the same random
    streams at every design point, so differences between points are paired.
    Pass ``point`` for independent streams at every (point, replicate).
    """
    key = (int(replicate),) if point is None else (int(point), int(replicate))
    state = np.random.SeedSequence(int(root), spawn_key=key).generate_state(1, np.uint64)
    return int(state[0] >> np.uint64(1))  # 63 bits: a non-negative int64


@dataclass(frozen=True)
class Task:
    """One run: a base config (as a mapping) with a design point's overrides, and its seed."""

    run_id: int
    point: int
    replicate: int
    seed: int
    overrides: Mapping[str, Any]
    base: Mapping[str, Any] | None = None
    function: RunFunction | None = None
    keep_timeseries: bool = True
    observers: tuple[str, ...] = ()
    """observer keys (``OBSERVERS``): by name, so the task crosses to other processes"""


@dataclass
class Outcome:
    """What a task produced: summary metrics (``<platform>.<key>``) or the error."""

    task: Task
    metrics: dict[str, Any] = field(default_factory=dict)
    timeseries: pd.DataFrame | None = None
    observed: dict[str, pd.DataFrame] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0

    @property
    def status(self) -> str:
        """``"ok"`` or ``"failed"``."""
        return "failed" if self.error is not None else "ok"

    def row(self) -> dict[str, Any]:
        """The run's row of the runs table."""
        task = self.task
        return {"run_id": task.run_id, "point": task.point, "replicate": task.replicate,
                "seed": task.seed, **task.overrides, **self.metrics,
                "status": self.status, "error": self.error}


def execute(task: Task) -> Outcome:
    """Run one task; an exception becomes a failed outcome (the batch goes on)."""
    started = time.perf_counter()
    try:
        if task.function is not None:
            metrics = {k: _plain(v) for k, v in task.function(task.overrides, task.seed).items()}
            outcome = Outcome(task, metrics)
        else:
            from .run import check_finite, run

            result = run(task.base or {}, seed=task.seed, overrides=task.overrides,
                         observers=task.observers)
            check_finite(result, str(task.run_id))  # an overflow fails the run, in one line
            metrics = {f"{platform}.{key}": _plain(value)
                       for platform, summary in result.summary.items()
                       for key, value in summary.items()}
            table = result.timeseries if task.keep_timeseries else None
            if table is not None:
                table = table.assign(run_id=task.run_id, point=task.point,
                                     replicate=task.replicate)
            labels = {"run_id": task.run_id, "point": task.point, "replicate": task.replicate}
            outcome = Outcome(task, metrics, table,
                              {key: observed.assign(**labels)
                               for key, observed in result.observed.items()})
    except Exception as err:  # recorded, not raised: one bad run must not stop a sweep
        outcome = Outcome(task, error=failure_message(err))
    outcome.seconds = time.perf_counter() - started
    return outcome


def _plain(value: Any) -> Any:
    """Numpy scalars → Python numbers (for JSON and Parquet)."""
    return value.item() if isinstance(value, np.generic) else value


def failure_message(err: BaseException) -> str:
    """A run's error in one line: a user error as it is, else its type, message and place."""
    if isinstance(err, ConfigError):
        return str(err)
    where = traceback.extract_tb(err.__traceback__)[-1] if err.__traceback__ else None
    at = f" (at {os.path.basename(where.filename)}:{where.lineno})" if where else ""
    return f"{type(err).__name__}: {err}{at}"


# --- executors ---------------------------------------------------------------


class InProcessExecutor(cf.Executor):
    """Runs each task at once, in this process (``workers=1``): no pickling, easy to debug."""

    def submit(self, fn, /, *args, **kwargs) -> cf.Future:  # noqa: D102
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as err:
            future.set_exception(err)
        return future


def _worker_init(parent_pid: int) -> None:
    """In each local worker: Ctrl-C is the parent's business; exit if the parent dies."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def exit_when_orphaned() -> None:
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        os._exit(1)  # the sweep was killed (e.g. kill -9): do not linger

    threading.Thread(target=exit_when_orphaned, daemon=True).start()


_LOCAL_POOLS: dict[int, cf.ProcessPoolExecutor] = {}
"""Live local process pools by size, kept between batches: starting spawned workers takes
seconds, and calibration or optimisation dispatch one batch per step."""


def local_executor(workers: int) -> cf.Executor:
    """``workers`` local processes (spawned: safe beside threads), or this process for 1.

    The pool is kept for the next batch of the same size and shut down at exit.
    """
    if workers <= 1:
        return InProcessExecutor()
    if workers not in _LOCAL_POOLS:
        _LOCAL_POOLS[workers] = cf.ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_init, initargs=(os.getpid(),),
        )
    return _LOCAL_POOLS[workers]


def _discard(executor: cf.Executor) -> None:
    """Forget a local pool that is broken or being stopped."""
    for size, pool in list(_LOCAL_POOLS.items()):
        if pool is executor:
            del _LOCAL_POOLS[size]


@atexit.register
def _shut_local_pools() -> None:
    for pool in list(_LOCAL_POOLS.values()):
        pool.shutdown(wait=True, cancel_futures=True)
    _LOCAL_POOLS.clear()


def default_workers() -> int:
    """The number of cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass
class Pool:
    """Where tasks run: makes (and remakes, if a local worker dies) the executor."""

    workers: int = 1
    client: Any = None  # a dask.distributed.Client
    worker_timeout: float = WORKER_TIMEOUT
    _no_workers_since: float | None = None

    def check_workers(self) -> None:
        """Raise WorkersLost once a Dask cluster has had no worker for ``worker_timeout`` s."""
        if self.client is None:
            return
        try:
            alive = len(self.client.nthreads()) > 0
        except Exception:  # the scheduler itself is gone: no worker can come back
            alive = False
        now = time.monotonic()
        if alive:
            self._no_workers_since = None
        elif self._no_workers_since is None:
            self._no_workers_since = now
        elif now - self._no_workers_since >= self.worker_timeout:
            raise WorkersLost(
                f"the Dask cluster at {self.client.scheduler.address} has had no worker for "
                f"{self.worker_timeout:g} s")

    def make(self) -> cf.Executor:
        """A fresh executor."""
        if self.client is not None:
            return self.client.get_executor(pure=False)
        return local_executor(self.workers)

    @property
    def slots(self) -> int:
        """Tasks kept in flight: two per worker, so no worker waits for the next."""
        if self.client is not None:
            return max(2, 2 * sum(self.client.nthreads().values()))
        return max(1, 2 * self.workers) if self.workers > 1 else 1

    @property
    def dashboard(self) -> str | None:
        """The address of the Dask dashboard (bokeh), when running on a cluster."""
        if self.client is None:
            return None
        try:
            return self.client.dashboard_link
        except Exception:  # noqa: BLE001 - no dashboard (bokeh missing, or switched off)
            return None

    def describe(self) -> str:
        """For messages and the manifest."""
        if self.client is not None:
            return f"dask {self.client.scheduler.address} ({len(self.client.nthreads())} workers)"
        return f"{self.workers} local worker{'s' if self.workers > 1 else ''}"


MAX_LOCAL_WORKERS = 256
"""Most local worker processes (``--workers``): each is a Python process with its own imports
and model (about 100 MB before the first run), so past a large machine's cores more only
queue; without a bound a typo such as ``--workers 1000000`` starts processes until memory
runs out."""


def check_workers_option(workers: object, option: str = "--workers") -> None:
    """A ConfigError unless ``workers`` is None (every core) or 1..MAX_LOCAL_WORKERS."""
    if workers is not None and (not isinstance(workers, int) or isinstance(workers, bool)
                                or workers < 1):
        raise ConfigError(f"{option} = {workers!r}: must be a whole number of at least 1 "
                          "(1 runs in this process)")
    if workers is not None and workers > MAX_LOCAL_WORKERS:
        raise ConfigError(f"{option} {workers}: more local processes than allowed; allowed: "
                          f"1..{MAX_LOCAL_WORKERS} (each is a Python process of about 100 MB)")


def check_replicates(replicates: object) -> int:
    """Replicates as an int, or a ConfigError: a whole number from 1 to MAX_REPLICATES."""
    if (not isinstance(replicates, numbers.Integral) or isinstance(replicates, bool)
            or not 1 <= replicates <= MAX_REPLICATES):
        raise ConfigError(f"replicates = {replicates!r}: must be a whole number from 1 to "
                          f"{MAX_REPLICATES:,} (executors.MAX_REPLICATES: the mean's Monte "
                          "Carlo error is then 1% of the run-to-run spread)")
    return int(replicates)


@contextmanager
def open_pool(
    workers: int | None = None, client: Any = None, scheduler: str | None = None,
    worker_timeout: float = WORKER_TIMEOUT,
) -> Iterator[Pool]:
    """A :class:`Pool` for local workers, a given Dask client, or a scheduler address.

    Everything is checked before the pool is handed out, so a caller can check
    its arguments before writing anything. A client this function opens (from
    ``scheduler``) is closed on exit; a client passed in is left open.
    """
    check_workers_option(workers)
    if not worker_timeout > 0:
        raise ConfigError(f"--worker-timeout = {worker_timeout!r}: must be above 0 seconds")
    if client is None and scheduler is None:
        yield Pool(workers=workers or default_workers())
        return
    if client is not None:
        yield Pool(client=client, worker_timeout=worker_timeout)
        return
    opened = connect(scheduler)
    with _dask_logs_quiet():
        try:
            yield Pool(client=opened, worker_timeout=worker_timeout)
        finally:
            with contextlib.suppress(Exception):  # closing a dead cluster's client may fail
                opened.close(timeout=10)


@contextmanager
def _dask_logs_quiet() -> Iterator[None]:
    """Keep Dask's and Tornado's log lines off the terminal while sparksim holds its client.

    They report lost keys rescheduled and futures cancelled, with tracebacks; sparksim's
    own one-line messages say what happened and what to do.
    """
    names = [name for name in [*logging.root.manager.loggerDict, "distributed", "tornado"]
             if name.split(".")[0] in ("distributed", "tornado")]  # children set their own
    loggers = [logging.getLogger(name) for name in dict.fromkeys(names)]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def connect(scheduler: str) -> Any:
    """A Dask client of the scheduler at ``scheduler``, or a ConfigError saying why not."""
    from distributed import Client

    allowed = ("allowed: the address a running `dask scheduler` prints, e.g. "
               "tcp://10.0.0.5:8786")
    if not isinstance(scheduler, str) or "://" not in scheduler:
        raise ConfigError(f"--scheduler = {scheduler!r}: not a scheduler address; {allowed}")
    try:
        return Client(scheduler, timeout="20s")
    except Exception as err:  # noqa: BLE001 - any failure to connect is the address's fault
        raise ConfigError(f"--scheduler = {scheduler!r}: cannot reach a Dask scheduler "
                          f"there ({first_line(err)}); {allowed}") from None


def dispatch(
    tasks: Iterable[Task], pool: Pool, on_done: Callable[[Outcome], None]
) -> None:
    """Run every task on the pool, calling ``on_done`` (in this process) as each finishes.

    At most ``pool.slots`` tasks are in flight, so memory stays flat however
    many runs there are and an interrupt cancels quickly. If a local worker
    process dies (killed, out of memory), the runs it held are recorded as
    failed and a fresh pool takes the rest.
    """
    queue = deque(tasks)
    executor = pool.make()
    in_flight: dict[cf.Future, Task] = {}
    try:
        while queue or in_flight:
            while queue and len(in_flight) < pool.slots:
                task = queue.popleft()
                in_flight[executor.submit(execute, task)] = task
            done, _ = cf.wait(in_flight, timeout=POLL_SECONDS, return_when=cf.FIRST_COMPLETED)
            if not done:
                pool.check_workers()
                continue
            broken = False
            for future in sorted(done, key=lambda f: in_flight[f].run_id):
                task = in_flight.pop(future)
                try:
                    outcome = future.result()
                except Exception as err:  # the worker, not the run, failed
                    broken |= isinstance(err, cf.BrokenExecutor)
                    outcome = Outcome(task, error=f"worker lost: {failure_message(err)}")
                on_done(outcome)
            if broken:
                _discard(executor)
                executor.shutdown(wait=False, cancel_futures=True)
                executor = pool.make()
    except BaseException:
        _stop(executor)
        raise
    if not isinstance(executor, cf.ProcessPoolExecutor):  # local pools stay warm for the next
        executor.shutdown(wait=True)


def _stop(executor: cf.Executor) -> None:
    """Cancel what has not started and stop local workers at once (on interrupt)."""
    _discard(executor)
    if not isinstance(executor, cf.ProcessPoolExecutor):  # Dask's cancels all it holds
        with contextlib.suppress(Exception):  # a dead cluster cannot be told anything
            executor.shutdown(wait=False)
        return
    processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
