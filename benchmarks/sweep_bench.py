"""Sweep throughput: the durable sweep on N local workers against a plain serial loop.

Runs the baseline at 10 000 people (1 000 influencers, 365 days) ``--runs`` times
(default 200), first as a plain loop of ``simulation.run`` in this process, then
as a sweep (``simulation.sweep``: worker processes, journal, per-run Parquet)
with the same seeds. Reports runs per minute for each, the sweep's overhead per
worker (1 − sweep rate / (workers × serial rate)), and each worker's memory
(RSS) sampled through the sweep: after its first tenth and at the end.

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


def serial(runs: int) -> float:
    """Seconds for a plain loop of ``simulation.run`` over the sweep's seeds."""
    import simulation
    from simulation.executors import run_seed

    config = simulation.load_config(ROOT / "configs" / "baseline.toml", SIZE)
    started = time.perf_counter()
    for replicate in range(runs):
        simulation.run(config, seed=run_seed(SEED, replicate))
    return time.perf_counter() - started


class WorkerMemory:
    """Samples the RSS of this process's children every half second."""

    def __init__(self) -> None:
        self.samples: dict[int, list[tuple[float, float]]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> WorkerMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(0.5):
            for child in me.children(recursive=True):
                try:
                    if "spawn_main" not in " ".join(child.cmdline()):
                        continue  # not a worker (e.g. multiprocessing's resource tracker)
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
    sys.path.insert(0, str(ROOT))

    serial_s = serial(args.runs)
    sweep_s, memory = swept(args.runs, args.workers)
    serial_rate, sweep_rate = 60 * args.runs / serial_s, 60 * args.runs / sweep_s
    overhead = 1 - sweep_rate / (args.workers * serial_rate)
    lines = [
        f"sweep throughput: {args.runs} runs of the baseline at 10,000 people x 1,000 "
        f"influencers x 365 d",
        f"  serial loop of simulation.run:     {serial_s:7.1f} s  {serial_rate:6.1f} runs/min",
        f"  sweep on {args.workers} local workers:         {sweep_s:7.1f} s  "
        f"{sweep_rate:6.1f} runs/min",
        f"  overhead per worker: {overhead:.1%} (1 - sweep rate / ({args.workers} x serial rate);"
        " includes starting the workers)",
    ]
    workers = {pid: s for pid, s in memory.samples.items() if len(s) >= 10}
    for k, samples in enumerate(workers.values()):
        early = samples[len(samples) // 10][1]
        peak = max(rss for _, rss in samples)
        lines.append(f"  worker {k}: RSS {early:.0f} MB after a tenth of the sweep, "
                     f"{samples[-1][1]:.0f} MB at the end (peak {peak:.0f} MB)")
    text = "\n".join(lines)
    print(text)
    (ROOT / "results").mkdir(exist_ok=True)
    (ROOT / "results" / "sweep_bench.txt").write_text(text + "\n")


if __name__ == "__main__":
    main()
