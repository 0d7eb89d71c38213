"""Sweep throughput: the durable sweep on N local workers against a plain serial loop.

Runs the baseline at 10 000 people (1 000 influencers, 365 days) ``--runs`` times
(default 200), first as a plain loop of ``simulation.run`` in this process, then
as ``--workers`` plain loops side by side in spawned processes (what the machine
itself gives: on a small machine two busy cores run slower than one), then as
a sweep (``simulation.sweep``: worker processes, journal, per-run Parquet)
with the same seeds. Reports runs per minute for each, the overhead per worker
against the serial loop (1 − sweep rate / (workers × serial rate)), the
sweep's own overhead against the plain loops, and each worker's memory (RSS)
sampled through the sweep.

Usage: ``python benchmarks/sweep_bench.py [--runs 200] [--workers 2]``; the
table is also written to ``results/sweep_bench.txt``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
SIZE = {"population.followers": 10_000, "population.influencers": 1_000}
SEED = 2026


def serial(runs: int, first: int = 0, step: int = 1) -> float:
    """Seconds for a plain loop of ``simulation.run`` over the sweep's seeds."""
    sys.path.insert(0, str(ROOT))
    import simulation
    from simulation.executors import run_seed

    config = simulation.load_config(ROOT / "configs" / "baseline.toml", SIZE)
    started = time.perf_counter()
    for replicate in range(first, runs, step):
        simulation.run(config, seed=run_seed(SEED, replicate))
    return time.perf_counter() - started


def plain_parallel(runs: int, workers: int) -> float:
    """Seconds for ``workers`` plain loops side by side (the machine's own scaling, no sweep)."""
    import multiprocessing

    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        pool.starmap(serial, [(runs, k, workers) for k in range(workers)])
    return time.perf_counter() - started


class WorkerMemory:
    """Samples the RSS of this process's worker processes every two seconds.

    Sparse on purpose: the sampling thread shares the cores with the sweep.
    """

    def __init__(self) -> None:
        self.samples: dict[int, list[tuple[float, float]]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._kind: dict[int, bool] = {}

    def __enter__(self) -> WorkerMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _is_worker(self, child: psutil.Process) -> bool:
        if child.pid not in self._kind:  # not e.g. multiprocessing's resource tracker
            self._kind[child.pid] = "spawn_main" in " ".join(child.cmdline())
        return self._kind[child.pid]

    def _watch(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(2.0):
            for child in me.children():
                try:
                    if not self._is_worker(child):
                        continue
                    rss = child.memory_info().rss / 2**20
                except psutil.Error:
                    continue
                self.samples.setdefault(child.pid, []).append((time.perf_counter(), rss))


def swept(runs: int, workers: int) -> tuple[float, WorkerMemory]:
    """Seconds for the same runs as a durable sweep on ``workers`` processes."""
    from simulation.designs import SweepSpec
    from simulation.sweep import sweep

    spec = SweepSpec.model_validate({
        "name": "bench", "base": str(ROOT / "configs" / "baseline.toml"), "seed": SEED,
        "replicates": runs, "set": SIZE, "parameters": {"horizon_days": [365]}})
    with tempfile.TemporaryDirectory() as folder, WorkerMemory() as memory:
        started = time.perf_counter()
        result = sweep(spec, Path(folder) / "sweep", workers=workers, progress=False)
        seconds = time.perf_counter() - started
        assert (result.runs["status"] == "ok").all() and len(result.runs) == runs
    return seconds, memory


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    serial_s = serial(args.runs)
    plain_s = plain_parallel(args.runs, args.workers)
    sweep_s, memory = swept(args.runs, args.workers)
    serial_rate, sweep_rate = 60 * args.runs / serial_s, 60 * args.runs / sweep_s
    plain_rate = 60 * args.runs / plain_s
    overhead = 1 - sweep_rate / (args.workers * serial_rate)
    own = 1 - sweep_rate / plain_rate
    lines = [
        f"sweep throughput: {args.runs} runs of the baseline at 10,000 people x 1,000 "
        f"influencers x 365 d",
        f"  serial loop of simulation.run:     {serial_s:7.1f} s  {serial_rate:6.1f} runs/min",
        f"  {args.workers} plain loops side by side:        {plain_s:7.1f} s  "
        f"{plain_rate:6.1f} runs/min  (the machine's own scaling)",
        f"  sweep on {args.workers} local workers:         {sweep_s:7.1f} s  "
        f"{sweep_rate:6.1f} runs/min",
        f"  overhead per worker against the serial loop: {overhead:.1%} "
        f"(1 - sweep rate / ({args.workers} x serial rate))",
        f"  the sweep's own overhead (against {args.workers} plain loops): {own:.1%} "
        "(seeds, dispatch, journal, Parquet, manifest; both include starting the workers)",
    ]
    workers = {pid: s for pid, s in memory.samples.items() if len(s) >= 5}
    for k, samples in enumerate(workers.values()):
        tenth, half = samples[len(samples) // 10][1], samples[len(samples) // 2][1]
        peak = max(rss for _, rss in samples)
        lines.append(f"  worker {k}: RSS {tenth:.0f} MB after a tenth of the sweep, {half:.0f} MB "
                     f"at half, {samples[-1][1]:.0f} MB at the end (peak {peak:.0f} MB)")
    text = "\n".join(lines)
    print(text)
    (ROOT / "results").mkdir(exist_ok=True)
    (ROOT / "results" / "sweep_bench.txt").write_text(text + "\n")


if __name__ == "__main__":
    main()
