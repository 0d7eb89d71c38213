"""Runs kept for reuse, so that a comparison runs only the configs it has not run before.

A comparison is :func:`simulation.compare` over the pinned plans and the
reference, called with a :class:`CachedRunner`: a
:class:`~simulation.runs.runner.Runner` that looks each config up in the
server's :data:`CACHE` (keyed by the config, the root seed and the
replicates) and runs only the missing ones, in one batch. Runs are the same
for the same config and seed whatever else is in the batch (common random
numbers: replicate r has seed ``run_seed(seed, r)``), so the comparison is
exactly the one ``simulation.compare`` gives for the same inputs and seed;
only the reference's runs, or an unchanged plan's, are not made again.

A config being run by one visitor's comparison is waited for, not run twice,
by another's (each entry is a future). The cache holds :data:`SIZE` configs'
runs at most (the least recently used go first): at the page's default size
one config's runs and daily tables take about 0.3 MB.
"""

from __future__ import annotations

import concurrent.futures as cf
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..model.config import Config, load_config
from ..runs.runner import FIXED_COLUMNS, STATUS_COLUMNS, Runner, Runs, Scenario

SIZE = 256
"""Configs whose runs the server keeps at most."""
WORKERS = 1
"""Local worker processes a comparison's runs use: ``python -m simulation.app --workers``
sets it (default 2). They are started once and kept warm (``executors.local_executor``)."""
NICE = 5
"""How much lower the worker processes' priority is than the server's: the server (every
visitor's page, its status lines and figures) goes first, the runs take the rest."""


class RunCache:
    """Each config's runs (a future) by config, root seed and replicates; least recent go first."""

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[str, cf.Future] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(config: Config, seed: int, replicates: int) -> str:
        """The key of a config's runs: the whole resolved config, the root seed, the replicates."""
        return f"{seed}|{replicates}|{config.model_dump_json()}"

    def has(self, key: str) -> bool:
        """Whether these runs are kept (or being made)."""
        with self._lock:
            return key in self._entries

    def claim(self, keys: Sequence[str]) -> tuple[dict[str, cf.Future], list[str]]:
        """Every key's future, and the keys the caller must run (new futures it must settle)."""
        futures, mine = {}, []
        with self._lock:
            for key in dict.fromkeys(keys):
                if key in self._entries:
                    self._entries.move_to_end(key)
                    self.hits += 1
                else:
                    self._entries[key] = cf.Future()
                    mine.append(key)
                    self.misses += 1
                futures[key] = self._entries[key]
            self._trim()
        return futures, mine

    def forget(self, key: str) -> None:
        """Drop one entry (failed runs are not kept)."""
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._entries.clear()

    def _trim(self) -> None:
        done = [key for key, future in self._entries.items() if future.done()]
        while len(self._entries) > self.size and done:
            self._entries.pop(done.pop(0), None)


CACHE = RunCache()
"""The server's runs, shared by every visitor's page (the same config and seed give the same
runs, so nothing of one visitor's choices shows in another's page)."""


@dataclass(frozen=True)
class CachedRunner(Runner):
    """A :class:`~simulation.runs.runner.Runner` that runs only the configs its cache lacks.

    Pass it to :func:`simulation.compare` as ``runner=``: the comparison is the same as
    without the cache. Configs only (a mapping of overrides is run as a Runner runs it).
    """

    cache: RunCache | None = field(default=None, compare=False, repr=False)

    def run(self, scenarios: Sequence[Scenario], *, base: Scenario | None = None,
            keep_timeseries: bool = True, progress: bool = False) -> Runs:
        """Every scenario's runs, made now only where the cache lacks them (see the class)."""
        scenarios = list(scenarios)
        if (self.cache is None or not keep_timeseries or self.observers
                or any(not isinstance(s, Config) for s in scenarios)):
            return super().run(scenarios, base=base, keep_timeseries=keep_timeseries,
                               progress=progress)
        configs = [load_config(s) for s in scenarios]
        keys = [self.cache.key(c, self.seed, self.replicates) for c in configs]
        futures, mine = self.cache.claim(keys)
        if mine:
            self._make(mine, {k: c for k, c in zip(keys, configs, strict=True)}, futures,
                       progress)
        pieces = [futures[key].result() for key in keys]
        return _together(pieces, self.replicates)

    def missing(self, configs: Sequence[Config]) -> int:
        """How many of these configs' runs are not kept yet."""
        if self.cache is None:
            return len(configs)
        keys = {self.cache.key(c, self.seed, self.replicates) for c in configs}
        return sum(not self.cache.has(key) for key in keys)

    def _make(self, mine: list[str], config_of: dict[str, Config],
              futures: dict[str, cf.Future], progress: bool) -> None:
        """Run the claimed configs in one batch and settle their futures (failed ones dropped)."""
        plain = Runner(replicates=self.replicates, seed=self.seed, workers=self.workers,
                       client=self.client)
        try:
            runs = plain.run([config_of[key] for key in mine], progress=progress)
            if self.client is None and self.workers != 1:
                lower_workers()  # a pool started (or restarted) by this batch
        except BaseException as err:
            for key in mine:
                self.cache.forget(key)
                futures[key].set_exception(err)
            raise
        for point, key in enumerate(mine):
            piece = _piece(runs, point)
            if (piece.runs["status"] != "ok").any():
                self.cache.forget(key)
            futures[key].set_result(piece)


def _piece(runs: Runs, point: int) -> Runs:
    """One config's runs out of a batch, as if it had been run alone (point 0)."""
    table = runs.runs[runs.runs["point"] == point].assign(point=0)
    table["run_id"] = table["replicate"]
    timeseries = runs.timeseries
    if timeseries is not None and not timeseries.empty:
        timeseries = timeseries[timeseries["point"] == point].assign(point=0)
        timeseries["run_id"] = timeseries["replicate"]
    return Runs(table.reset_index(drop=True), timeseries)


def _together(pieces: list[Runs], replicates: int) -> Runs:
    """Configs' runs as one batch: config p is point p, its replicate r run p × replicates + r."""
    tables, daily = [], []
    for point, piece in enumerate(pieces):
        tables.append(piece.runs.assign(point=point,
                                        run_id=point * replicates + piece.runs["replicate"]))
        if piece.timeseries is not None and not piece.timeseries.empty:
            daily.append(piece.timeseries.assign(
                point=point, run_id=point * replicates + piece.timeseries["replicate"]))
    table = pd.concat(tables, ignore_index=True)
    metrics = [c for c in table.columns if c not in (*FIXED_COLUMNS, *STATUS_COLUMNS)]
    table = table[[*FIXED_COLUMNS, *metrics, *STATUS_COLUMNS]]
    timeseries = (pd.concat(daily, ignore_index=True).sort_values(
        ["run_id", "day"], kind="stable", ignore_index=True) if daily else pd.DataFrame())
    return Runs(table.sort_values("run_id", kind="stable", ignore_index=True), timeseries)


def lower_workers(nice: int = NICE) -> None:
    """Give this process's child processes (the run workers) a lower priority than it has."""
    import psutil

    own = psutil.Process()
    for child in own.children():
        try:
            if child.nice() < own.nice() + nice:
                child.nice(own.nice() + nice)
        except psutil.Error:  # gone, or not ours to change
            continue


def runner(replicates: int, seed: int, workers: int | None = None) -> CachedRunner:
    """The page's runner: the server's cache and worker processes."""
    return CachedRunner(replicates=replicates, seed=seed,
                        workers=WORKERS if workers is None else workers, cache=CACHE)


def warm(configs: Sequence[Config], replicates: int, seed: int) -> Any:
    """Run (and keep) these configs' runs now, and start the worker processes: at start-up."""
    return runner(replicates, seed).run(list(configs))
