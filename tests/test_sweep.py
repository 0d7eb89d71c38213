"""Sweeps: seeds, worker-count independence, Dask, resume after kill -9, failures, sensitivity."""

from __future__ import annotations

import gc
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest

import simulation
from simulation.analysis.sensitivity import analyse, ishigami, ishigami_indices
from simulation.runs.executors import run_seed
from simulation.runs.sweep_file import SweepSpec, load_sweep_spec
from tests.conftest import CONFIGS, ROOT

QUICK = CONFIGS / "sweeps" / "quick.toml"
SPARKSIM = [sys.executable, "-m", "simulation"]
BIN = Path(sys.executable).parent


def cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*SPARKSIM, *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=600, **kwargs)


def runs_of(folder: Path) -> pd.DataFrame:
    return pd.read_parquet(folder / "runs.parquet").sort_values("run_id", ignore_index=True)


@pytest.fixture(scope="module")
def quick_local(tmp_path_factory) -> Path:
    """The quick sweep, uninterrupted, on 2 local workers: the reference result."""
    out = tmp_path_factory.mktemp("quick") / "two_workers"
    done = cli("sweep", str(QUICK), "--out", str(out), "--workers", "2", "--no-progress")
    assert done.returncode == 0, done.stderr
    return out


def write_sweep(folder: Path, text: str) -> Path:
    path = folder / "sweep.toml"
    path.write_text(text.replace("BASE", str(CONFIGS / "baseline.toml")))
    return path


SMALL_SWEEP = """
name = "small"
base = "BASE"
replicates = 2
seed = 7
[set]
"population.followers" = 3000
"population.influencers" = 100
"horizon_days" = 60
[parameters]
"platforms.0.phases.0.flat_fee.posts_per_day" = [1, 3, 9]
"""


# --- seeds and designs ---------------------------------------------------------


def test_run_seeds_are_common_across_points_and_distinct_across_replicates():
    spec = load_sweep_spec(QUICK)
    seeds = {(p, r): spec.seed_of(p, r) for p in range(6) for r in range(2)}
    assert all(seeds[p, 0] == seeds[0, 0] and seeds[p, 1] == seeds[0, 1] for p in range(6))
    assert seeds[0, 0] != seeds[0, 1]
    independent = spec.model_copy(update={"common_random_numbers": False})
    assert len({independent.seed_of(p, 0) for p in range(6)}) == 6
    assert run_seed(1, 0) != run_seed(2, 0) and 0 <= run_seed(1, 0) < 2**63


@pytest.mark.parametrize("kind, samples, expected", [
    ("grid", 0, 6), ("random", 10, 10), ("lhs", 10, 10), ("sobol", 8, 8 * 4),
    ("morris", 5, 5 * 3),
])
def test_designs_make_the_documented_number_of_points(kind, samples, expected):
    if kind == "grid":
        parameters = {"a": [1, 2, 3], "b": [0.1, 0.2]}
        design = {"kind": "grid"}
    else:
        parameters = {"a": {"low": 1, "high": 5, "integer": True},
                      "b": {"low": 0.01, "high": 1.0, "log": True}}
        design = {"kind": kind, "samples": samples}
    spec = SweepSpec.model_validate({"design": design, "parameters": parameters})
    points = spec.points()
    assert len(points) == expected
    assert spec.design.n_points(spec.parameters) == expected  # the count the size bound uses
    assert points == spec.points()  # deterministic
    if kind != "grid":
        a = [p["a"] for p in points]
        b = [p["b"] for p in points]
        assert all(isinstance(v, int) and 1 <= v <= 5 for v in a)
        assert all(0.01 <= v <= 1.0 for v in b)
    if kind == "lhs":  # one sample per stratum in each dimension
        strata = sorted(int(math.log10(v / 0.01) / 2 * 10) for v in b)
        assert strata == list(range(10))


@pytest.mark.parametrize("text, message", [
    ('[parameters]\n"adoption.imitaton" = [0.1]', "'adoption.imitaton' is not a config key"),
    ('[parameters]\n"adoption.imitation" = {low = 0.1, high = 0.2}', "a grid needs a list"),
    ('[design]\nkind = "lhs"\n[parameters]\n"adoption.imitation" = [0.1]', "needs a range"),
    ('[design]\nkind = "sobol"\nsamples = 10\n[parameters]\n'
     '"adoption.imitation" = {low = 0.1, high = 0.2}', "power of two"),
    ('replicate = 3\n[parameters]\n"adoption.imitation" = [0.1]', "unknown key 'replicate'"),
    ('[parameters]\n"adoption.imitation" = {low = 0.3, high = 0.2}', "must be below high"),
    # sizes: refused at once (replicates = 100000 used to give no output in 90 s)
    ('replicates = 100000\n[parameters]\n"adoption.imitation" = [0.1]',
     "replicates = 100000: Input should be less than or equal to 10000"),
    ('replicates = 10000\n[parameters]\n"adoption.imitation" = '
     '[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1]',
     "11 points x 10,000 replicates = 110,000 runs; allowed: at most 100,000 runs"),
    ('[design]\nkind = "lhs"\nsamples = 1000000\n[parameters]\n'
     '"adoption.imitation" = {low = 0.1, high = 0.2}',
     "design.samples = 1000000: Input should be less than or equal to 100000"),
    ('[design]\nkind = "sobol"\nsamples = 65536\n[parameters]\n'
     '"adoption.imitation" = {low = 0.1, high = 0.2}\n"adoption.influence" = {low = 0.1, '
     'high = 0.2}', "262,144 points x 1 replicates = 262,144 runs"),
    ("[parameters]\n" + "".join(f'"p{k}" = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n'
                                for k in range(20)), "= 100,000,000,000,000,000,000 runs"),
])
def test_bad_sweep_files_exit_2_with_one_message(tmp_path, text, message):
    path = write_sweep(tmp_path, f'base = "BASE"\n{text}\n')
    done = cli("sweep", str(path), "--out", str(tmp_path / "out"))
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("path", sorted((CONFIGS / "sweeps").glob("*.toml")), ids=lambda p: p.stem)
def test_shipped_sweep_files_are_valid(path):
    spec = load_sweep_spec(path)
    config = spec.base_config()
    runs = len(spec.points()) * spec.replicates
    assert runs >= 1 and config.name == "baseline"
    for point in spec.points()[:3]:
        simulation.load_config(config, point)
    if path.stem == "quick":
        assert runs <= 16


# --- the contract: same results whoever runs them ----------------------------------


def test_quick_sweep_with_1_and_2_workers_gives_identical_runs(quick_local, tmp_path):
    one = tmp_path / "one_worker"
    done = cli("sweep", str(QUICK), "--out", str(one), "--workers", "1", "--no-progress")
    assert done.returncode == 0, done.stderr
    two = runs_of(quick_local)
    pd.testing.assert_frame_equal(runs_of(one), two)
    assert len(two) == 12 and (two["status"] == "ok").all()
    # common random numbers: replicate r's seed is the same at every design point
    assert two.groupby("replicate")["seed"].nunique().eq(1).all()
    manifest = json.loads((quick_local / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["runs_done"] == 12
    assert manifest["versions"]["sparksim"] and manifest["sweep"]["name"] == "quick"
    assert "flat_fee.fee" in manifest["sweep_file"] and "[population]" in manifest["base_config"]
    series = simulation.load_sweep(quick_local).timeseries()
    assert series["run_id"].nunique() == 12 and set(series.columns) >= set(simulation.COLUMNS)


def test_sweep_runs_match_single_runs(quick_local):
    result = simulation.load_sweep(quick_local)
    row = result.runs.iloc[7]
    overrides = {**result.spec.set, **{k: row[k] for k in result.parameters}}
    single = simulation.run(CONFIGS / "baseline.toml", seed=int(row["seed"]),
                            overrides=overrides)
    assert row["spark.active_users_end"] == single.summary["spark"]["active_users_end"]
    daily = result.timeseries([int(row["run_id"])])
    assert daily["adopters"].tolist() == single.timeseries["adopters"].tolist()


@pytest.mark.slow
def test_quick_sweep_on_a_dask_cluster_matches_local(quick_local, dask_cluster, tmp_path):
    out = tmp_path / "dask"
    done = cli("sweep", str(QUICK), "--out", str(out), "--scheduler", dask_cluster.address,
               "--no-progress")
    assert done.returncode == 0, done.stderr
    assert "dask tcp://127.0.0.1" in done.stdout and "2 workers" in done.stdout
    assert "Dask dashboard: http://" in done.stdout  # bokeh is installed: the dashboard runs
    pd.testing.assert_frame_equal(runs_of(out), runs_of(quick_local))


def test_report_summarises_each_design_point(quick_local, tmp_path):
    out = tmp_path / "report"
    done = cli("report", str(quick_local), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert {p.name for p in out.iterdir()} == {
        ".sparksim.json", "summary.csv", "fan_adoption.png", "fan_active_users.png", "heatmap.png"}
    summary = pd.read_csv(out / "summary.csv")
    runs = runs_of(quick_local)
    for point in (0, 5):
        values = runs.loc[runs["point"] == point, "spark.active_users_end"]
        row = summary[(summary["point"] == point)
                      & (summary["metric"] == "spark.active_users_end")].iloc[0]
        assert row["n"] == 2 and row["mean"] == pytest.approx(values.mean())
        assert row["p5"] == pytest.approx(values.quantile(0.05))
        assert row["p95"] == pytest.approx(values.quantile(0.95))
    assert len(summary) == 6 * summary["metric"].nunique()
    missing = cli("report", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "not a sweep folder" in missing.stderr


# --- nothing lost --------------------------------------------------------------


def journal_lines(folder: Path) -> int:
    path = folder / "journal.jsonl"
    return len(path.read_text().splitlines()) if path.exists() else 0


@pytest.mark.slow
def test_sweep_killed_with_sigkill_resumes_to_the_same_result(quick_local, tmp_path):
    out = tmp_path / "killed"
    sweep = subprocess.Popen([*SPARKSIM, "sweep", str(QUICK), "--out", str(out), "--workers",
                              "2", "--no-progress"], cwd=ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while journal_lines(out) < 3 and time.monotonic() < deadline and sweep.poll() is None:
        time.sleep(0.05)
    workers = psutil.Process(sweep.pid).children(recursive=True)
    os.kill(sweep.pid, signal.SIGKILL)  # the driver only: its workers must notice and exit
    sweep.wait()
    finished = journal_lines(out)
    assert 3 <= finished < 12, "the sweep should be killed part-way"
    gone, alive = psutil.wait_procs(workers, timeout=15)
    assert not alive, "worker processes outlived the killed sweep"
    assert not (out / "runs.parquet").exists() or len(runs_of(out)) < 12

    done = cli("sweep", str(QUICK), "--out", str(out), "--workers", "2", "--no-progress")
    assert done.returncode == 0, done.stderr
    resumed = runs_of(out)
    assert resumed["run_id"].tolist() == list(range(12))  # every run exactly once
    pd.testing.assert_frame_equal(resumed, runs_of(quick_local))
    records = [json.loads(line) for line in (out / "journal.jsonl").read_text().splitlines()]
    assert len(records) == 12, "finished runs must not be run again"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and len(manifest["resumed"]) == 1


def test_ctrl_c_keeps_finished_runs_and_exits_130(tmp_path):
    out = tmp_path / "interrupted"
    sweep = subprocess.Popen([*SPARKSIM, "sweep", str(QUICK), "--out", str(out), "--workers",
                              "1", "--no-progress"], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while journal_lines(out) < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    sweep.send_signal(signal.SIGINT)
    _, stderr = sweep.communicate(timeout=60)
    assert sweep.returncode == 130, stderr
    assert "rerun the same command to resume" in stderr and "Traceback" not in stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "interrupted"
    assert 1 <= len(runs_of(out)) == manifest["runs_done"] < 12


def test_a_failing_run_is_recorded_and_the_rest_complete(tmp_path):
    path = write_sweep(tmp_path, SMALL_SWEEP)
    out = tmp_path / "out"
    done = cli("sweep", str(path), "--out", str(out), "--workers", "1", "--no-progress")
    assert done.returncode == 3, done.stderr
    assert "2 runs failed" in done.stderr and "can never be met" in done.stderr
    runs = runs_of(out)
    failed = runs[runs["status"] == "failed"]
    assert len(runs) == 6 and failed["run_id"].tolist() == [4, 5]
    assert failed["error"].str.contains("posts_per_day = 9").all()
    assert failed["spark.active_users_end"].isna().all()
    assert runs.loc[runs["status"] == "ok", "spark.active_users_end"].notna().all()
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["runs_done"], manifest["runs_failed"]) == (4, 2)
    again = cli("sweep", str(path), "--out", str(out), "--workers", "1", "--no-progress")
    assert again.returncode == 3  # failed runs are retried (and fail again), not duplicated
    assert len(runs_of(out)) == 6


def raise_for_large_x(parameters, seed):
    if parameters["x"] > 2:
        raise RuntimeError("x too large")
    return {"y": parameters["x"] * 2.0}


def test_a_run_that_raises_inside_a_worker_is_recorded(tmp_path):
    spec = SweepSpec.model_validate({"parameters": {"x": [1, 2, 3, 4]}, "replicates": 1})
    result = simulation.sweep(spec, tmp_path / "out", workers=2, function=raise_for_large_x,
                              progress=False)
    assert result.runs["status"].tolist() == ["ok", "ok", "failed", "failed"]
    assert result.runs["y"].tolist()[:2] == [2.0, 4.0]
    assert result.failed["error"].str.startswith("RuntimeError: x too large").all()


def test_a_different_sweep_in_the_same_folder_is_refused_unless_forced(quick_local, tmp_path):
    out = tmp_path / "reuse"
    path = write_sweep(tmp_path, SMALL_SWEEP.replace("9]", "2]"))
    assert cli("sweep", str(path), "--out", str(out), "--workers", "1",
               "--no-progress").returncode == 0
    other = write_sweep(tmp_path, SMALL_SWEEP.replace("9]", "2]").replace("seed = 7", "seed = 8"))
    refused = cli("sweep", str(other), "--out", str(out), "--workers", "1", "--no-progress")
    assert refused.returncode == 2 and "different sweep" in refused.stderr
    assert "--force" in refused.stderr and len(runs_of(out)) == 6
    forced = cli("sweep", str(other), "--out", str(out), "--workers", "1", "--no-progress",
                 "--force")
    assert forced.returncode == 0, forced.stderr
    assert json.loads((out / "manifest.json").read_text())["sweep"]["seed"] == 8
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "mine.txt").write_text("keep me")
    mine = cli("sweep", str(other), "--out", str(tmp_path / "notes"), "--force")
    assert mine.returncode == 2 and (tmp_path / "notes" / "mine.txt").exists()


@pytest.mark.parametrize("scenarios, replicates, message", [
    (1, 10**9, "replicates = 1000000000: must be a whole number from 1 to 10,000"),
    (1, 0, "replicates = 0: must be a whole number from 1 to 10,000"),
    (1, 2.5, "replicates = 2.5: must be a whole number"),
    (11, 10_000, "11 scenarios x 10,000 replicates = 110,000 runs: allowed: at most 100,000"),
])
def test_run_many_refuses_sizes_beyond_its_bounds_at_once(scenarios, replicates, message):
    """A batch too large is refused before any run (it used to start, and never end)."""
    import re
    import time

    started = time.perf_counter()
    with pytest.raises(simulation.ConfigError, match=re.escape(message)):
        simulation.run_many([{"horizon_days": 5}] * scenarios, replicates=replicates,
                            base=CONFIGS / "bass.toml")
    assert time.perf_counter() - started < 5


def test_fifty_runs_in_one_process_do_not_grow_memory():
    config = simulation.load_config(CONFIGS / "baseline.toml", {
        "population.followers": 4000, "population.influencers": 100, "horizon_days": 60})
    process = psutil.Process()
    earlier = {id(o) for o in gc.get_objects() if isinstance(o, simulation.SparkModel)}
    result = simulation.run_many([config], replicates=10, keep_timeseries=False)
    gc.collect()
    before = process.memory_info().rss
    result = simulation.run_many([config], replicates=50, keep_timeseries=False)
    gc.collect()
    grown = (process.memory_info().rss - before) / 2**20
    assert (result.runs["status"] == "ok").all()
    alive = [o for o in gc.get_objects()
             if isinstance(o, simulation.SparkModel) and id(o) not in earlier]
    assert not alive, f"{len(alive)} finished models are still referenced"
    assert grown < 40, f"memory grew by {grown:.0f} MB over 50 runs"


# --- sensitivity -----------------------------------------------------------------


@pytest.mark.slow
def test_sobol_indices_of_ishigami_through_the_sweep_machinery(tmp_path):
    bounds = {"low": -math.pi, "high": math.pi}
    spec = SweepSpec.model_validate({
        "name": "ishigami", "design": {"kind": "sobol", "samples": 512},
        "parameters": {"x1": bounds, "x2": bounds, "x3": bounds}})
    result = simulation.sweep(spec, tmp_path / "ishigami", workers=2, function=ishigami,
                              progress=False)
    assert len(result.runs) == 512 * 5
    indices = analyse(result, "y").set_index("parameter")
    truth = ishigami_indices().set_index("parameter")
    for name in ("S1", "ST"):
        error = (indices[name] - truth[name]).abs()
        assert (error < 0.1).all(), (name, indices, truth)
        assert (error < 3 * indices[f"{name}_conf"] + 0.02).all(), (name, indices, truth)
    assert indices.loc["x2", "S1"] > indices.loc["x1", "S1"] > indices.loc["x3", "S1"]

    done = cli("report", str(tmp_path / "ishigami"), "--metric", "y")
    assert done.returncode == 0, done.stderr
    written = pd.read_csv(tmp_path / "ishigami" / "report" / "sensitivity.csv")
    pd.testing.assert_frame_equal(written, indices.reset_index(), check_exact=False)
    assert {"sensitivity.png", "heatmap.png", "summary.csv"} <= {
        p.name for p in (tmp_path / "ishigami" / "report").iterdir()}
    assert "sensitivity of y" in done.stdout


def test_morris_ranks_ishigami_inputs(tmp_path):
    bounds = {"low": -math.pi, "high": math.pi}
    spec = SweepSpec.model_validate({
        "design": {"kind": "morris", "samples": 40, "levels": 4},
        "parameters": {"x1": bounds, "x2": bounds, "x3": bounds}})
    result = simulation.sweep(spec, tmp_path / "m", workers=1, function=ishigami,
                              progress=False)
    indices = analyse(result, "y").set_index("parameter")
    assert set(indices.columns) >= {"mu_star", "mu_star_conf", "sigma"}
    assert (indices["mu_star"] > 0).all()
    # x3 acts only through its interaction with x1: its mean effect mu is near 0
    assert abs(indices.loc["x3", "mu"]) < indices.loc["x3", "mu_star"] / 2
