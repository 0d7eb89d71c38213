"""Sweep throughput: the durable sweep on N local workers against plain loops of ``simulation.run``.

Runs the baseline at 10 000 people (1 000 influencers, 365 days) ``--runs``
times (default 200) in each of three ways, in ``--rounds`` interleaved rounds
(default 10) so that the machine's drift over minutes falls on all three alike:

- **serial**: a plain loop of ``simulation.run`` in this process;
- **plain**: ``--workers`` plain loops side by side in spawned processes,
  which is what the machine itself gives (on a small shared machine two busy
  cores each run slower than one);
- **sweep**: ``simulation.sweep`` (seeds, dispatch, journal, per-run Parquet,
  manifest) on ``--workers`` local worker processes.

Both pools are started and warmed before the first round; their start-up is
reported apart (it is paid once per session, not per run). Reports runs per
minute, the overhead per worker against the serial loop
(1 − sweep rate / (workers × serial rate)), split into the machine's own
scaling (plain loops against serial) and the sweep's own overhead (sweep
against plain loops), the CPU seconds per run of each (which, unlike wall
time, show the sweep's extra work directly), and each sweep worker's memory
(RSS) after every round, beside the plain loops' workers.

Usage: ``python benchmarks/sweep_bench.py [--runs 200] [--workers 2] [--rounds 10]``;
the table is also written to ``results/sweep_bench.txt``.

``--store`` times only what the sweep folder adds per run (the daily table's
Parquet file, the journal line and their fsyncs) by storing one real run's
outcome ``--runs`` times: milliseconds per run, against the run itself.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
SIZE = {"population.followers": 10_000, "population.influencers": 1_000}
SEED = 2026


def serial(runs: int, first: int = 0, step: int = 1) -> float:
    """Seconds for a plain loop of ``simulation.run`` from replicate ``first`` by ``step``."""
    sys.path.insert(0, str(ROOT))
    import simulation
    from simulation.runs.executors import run_seed

    config = simulation.load_config(ROOT / "configs" / "baseline.toml", SIZE)
    started = time.perf_counter()
    for replicate in range(first, runs, step):
        simulation.run(config, seed=run_seed(SEED, replicate))
    return time.perf_counter() - started


def cpu_seconds(processes: list[psutil.Process]) -> float:
    """User + system CPU seconds used so far by ``processes``."""
    return sum(sum(p.cpu_times()[:2]) for p in processes)


def own_cpu() -> float:
    """User + system CPU seconds used so far by this process."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Plain:
    """``workers`` spawned processes that each run a plain loop (no sweep machinery)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.pool = cf.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))

    def __call__(self, runs: int) -> float:
        """Seconds for ``runs`` runs split over the workers."""
        started = time.perf_counter()
        list(self.pool.map(serial, [runs] * self.workers, range(self.workers),
                           [self.workers] * self.workers))
        return time.perf_counter() - started

    def processes(self) -> list[psutil.Process]:
        """The worker processes."""
        return [psutil.Process(pid) for pid in self.pool._processes]


class Swept:
    """Durable sweeps of the same runs on ``workers`` local processes (the pool stays warm)."""

    def __init__(self, workers: int, folder: Path) -> None:
        self.workers, self.folder, self.count = workers, folder, 0

    def __call__(self, runs: int) -> float:
        """Seconds for a sweep of ``runs`` replicates into a new folder."""
        from simulation.runs.sweep import sweep
        from simulation.runs.sweep_file import SweepSpec

        spec = SweepSpec.model_validate({
            "name": "bench", "base": str(ROOT / "configs" / "baseline.toml"), "seed": SEED,
            "replicates": runs, "set": SIZE, "parameters": {"horizon_days": [365]}})
        self.count += 1
        started = time.perf_counter()
        result = sweep(spec, self.folder / f"sweep-{self.count}", workers=self.workers,
                       progress=False)
        seconds = time.perf_counter() - started
        assert (result.runs["status"] == "ok").all() and len(result.runs) == runs
        return seconds

    def processes(self) -> list[psutil.Process]:
        """The worker processes of the kept local pool."""
        from simulation.runs.executors import _LOCAL_POOLS

        return [psutil.Process(pid) for pid in _LOCAL_POOLS[self.workers]._processes]


def store_cost(runs: int) -> str:
    """Milliseconds per run that storing a finished run costs (Parquet, journal, fsync)."""
    sys.path.insert(0, str(ROOT))
    import dataclasses

    import simulation
    from simulation.runs.executors import Task, execute
    from simulation.runs.sweep import SweepStore

    config = simulation.load_config(ROOT / "configs" / "baseline.toml", SIZE)
    raw = config.model_dump(mode="json", exclude_none=True)
    started = time.perf_counter()
    outcome = execute(Task(0, 0, 0, SEED, {}, raw))
    run_seconds = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        store = SweepStore(Path(folder) / "sweep")
        store.series.mkdir(parents=True)
        timings = []
        for run_id in range(runs):
            task = dataclasses.replace(outcome.task, run_id=run_id)
            one = dataclasses.replace(outcome, task=task)
            started = time.perf_counter()
            store.record(one)
            timings.append(time.perf_counter() - started)
    timings.sort()
    mean = sum(timings) / runs
    return (f"storing a run ({len(outcome.timeseries)} daily rows; Parquet, journal line, "
            f"fsyncs), {runs} times: mean {1000 * mean:.1f} ms, median "
            f"{1000 * timings[runs // 2]:.1f} ms, 95th percentile "
            f"{1000 * timings[int(runs * 0.95)]:.1f} ms; the run itself {run_seconds:.2f} s "
            f"({mean / run_seconds:.2%} of it)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--store", action="store_true",
                        help="time only storing a run in the sweep folder (see above)")
    args = parser.parse_args(argv)
    if args.store:
        if args.runs < 1:
            parser.error(f"--runs {args.runs}: allowed: 1 or more")
        print(store_cost(args.runs))
        return
    if args.workers < 1 or args.rounds < 1 or args.runs < args.rounds * args.workers:
        parser.error(f"--runs {args.runs} --workers {args.workers} --rounds {args.rounds}: "
                     "allowed: workers >= 1, rounds >= 1, runs >= rounds x workers")
    per_round = args.runs // args.rounds
    runs = per_round * args.rounds

    folder = tempfile.TemporaryDirectory()
    plain, swept = Plain(args.workers), Swept(args.workers, Path(folder.name))
    started = time.perf_counter()
    plain(args.workers)  # start and warm: one run per worker
    plain_start = time.perf_counter() - started
    started = time.perf_counter()
    swept(args.workers)
    sweep_start = time.perf_counter() - started
    plain_procs, sweep_procs = plain.processes(), swept.processes()

    wall = {"serial": 0.0, "plain": 0.0, "sweep": 0.0}
    cpu = {"serial": 0.0, "plain": 0.0, "sweep workers": 0.0, "sweep driver": 0.0}
    own_by_round, cpu_by_round = [], []
    rss = {(kind, k): [p.memory_info().rss / 2**20]
           for kind, procs in (("sweep", sweep_procs), ("plain", plain_procs))
           for k, p in enumerate(procs)}
    for _ in range(args.rounds):
        before = own_cpu()
        seconds = {"serial": serial(per_round)}
        cpu["serial"] += own_cpu() - before
        before = cpu_seconds(plain_procs)
        seconds["plain"] = plain(per_round)
        plain_cpu = cpu_seconds(plain_procs) - before
        before, before_driver = cpu_seconds(sweep_procs), own_cpu()
        seconds["sweep"] = swept(per_round)
        workers_cpu, driver_cpu = cpu_seconds(sweep_procs) - before, own_cpu() - before_driver
        cpu["plain"] += plain_cpu
        cpu["sweep workers"] += workers_cpu
        cpu["sweep driver"] += driver_cpu
        cpu_by_round.append((workers_cpu + driver_cpu) / plain_cpu - 1)
        for key, value in seconds.items():
            wall[key] += value
        own_by_round.append(1 - seconds["plain"] / seconds["sweep"])
        for kind, procs in (("sweep", sweep_procs), ("plain", plain_procs)):
            for k, p in enumerate(procs):
                rss[kind, k].append(p.memory_info().rss / 2**20)
    plain.pool.shutdown()
    folder.cleanup()

    rate = {key: 60 * runs / seconds for key, seconds in wall.items()}
    overhead = 1 - rate["sweep"] / (args.workers * rate["serial"])
    machine = 1 - rate["plain"] / (args.workers * rate["serial"])
    own = 1 - rate["sweep"] / rate["plain"]
    per_run = {key: seconds / runs for key, seconds in cpu.items()}
    sweep_cpu = per_run["sweep workers"] + per_run["sweep driver"]
    lines = [
        f"sweep throughput: {runs} runs of the baseline at 10,000 people x 1,000 influencers "
        f"x 365 d, {args.workers} workers, {args.rounds} interleaved rounds of {per_round}",
        f"  serial loop of simulation.run:  {wall['serial']:7.1f} s  {rate['serial']:6.1f} runs/min"
        f"  {per_run['serial']:.3f} CPU s/run",
        f"  {args.workers} plain loops side by side:     {wall['plain']:7.1f} s  "
        f"{rate['plain']:6.1f} runs/min  {per_run['plain']:.3f} CPU s/run",
        f"  sweep on {args.workers} local workers:      {wall['sweep']:7.1f} s  "
        f"{rate['sweep']:6.1f} runs/min  {per_run['sweep workers']:.3f} CPU s/run in workers"
        f" + {per_run['sweep driver']:.3f} in the driver",
        f"  overhead per worker against the serial loop: {overhead:.1%} "
        f"(1 - sweep rate / ({args.workers} x serial rate)), of which",
        f"    the machine's own scaling ({args.workers} plain loops against serial): {machine:.1%}",
        f"    the sweep's own overhead (sweep against {args.workers} plain loops): {own:.1%} "
        f"(by round: {', '.join(f'{x:.1%}' for x in own_by_round)})",
        f"    the sweep's extra CPU per run against the plain loops: "
        f"{sweep_cpu / per_run['plain'] - 1:.1%} "
        f"(by round: {', '.join(f'{x:.1%}' for x in cpu_by_round)})",
        f"  starting the workers (once, not in the rates): plain {plain_start:.1f} s, "
        f"sweep {sweep_start:.1f} s (with its first {args.workers} runs)",
    ]
    for (kind, k), samples in rss.items():
        lines.append(f"  {kind} worker {k}: RSS after each round (MB): "
                     + " ".join(f"{x:.0f}" for x in samples[1:])
                     + f" (after warm-up {samples[0]:.0f})")
    text = "\n".join(lines)
    print(text)
    (ROOT / "results").mkdir(exist_ok=True)
    (ROOT / "results" / "sweep_bench.txt").write_text(text + "\n")


if __name__ == "__main__":
    main()
