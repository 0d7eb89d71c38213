"""Nothing is lost: output folders, concurrent sweeps, torn journals, signals, Dask failures.

Each test guards a defect of the reliability audit (issue "Lose nothing, ever"):
real processes, real signals, a real Dask cluster on 127.0.0.1. The table of bad
inputs is in test_bad_input.py.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest

import simulation
from simulation.errors import ConfigError
from tests.conftest import CONFIGS, ROOT

SPARKSIM = [sys.executable, "-m", "simulation"]
BASELINE = CONFIGS / "baseline.toml"


def sweep_text(name: str, followers: int, days: int, fees: list[float], replicates: int = 1,
               seed: int = 3, influencers: int = 50) -> str:
    return f"""
name = "{name}"
base = "{BASELINE}"
replicates = {replicates}
seed = {seed}
[set]
"population.followers" = {followers}
"population.influencers" = {influencers}
"horizon_days" = {days}
[parameters]
"platforms.0.phases.0.flat_fee.fee" = {fees}
"""


def long_sweep(name: str, runs: int) -> str:
    """A sweep of ``runs`` baseline runs of about 2 s each: long enough to act on while it runs."""
    return sweep_text(name, 100_000, 365, [5.0 * (k + 1) for k in range(runs)], influencers=1000)


def start(*args: str, cwd: Path = ROOT, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([*SPARKSIM, *map(str, args)], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def sparksim(*args: str, cwd: Path = ROOT, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([*SPARKSIM, *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def snapshot(folder: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


def runs_of(folder: Path) -> pd.DataFrame:
    return pd.read_parquet(folder / "runs.parquet").sort_values("run_id", ignore_index=True)


def journal_lines(folder: Path) -> int:
    path = folder / "journal.jsonl"
    return path.read_text().count("\n") if path.exists() else 0


def wait_for(condition, timeout: float = 120, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        if process is not None and process.poll() is not None:
            raise AssertionError(f"exited early: {process.communicate()}")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    """A finished 4-run sweep (reference results) and its sweep file beside it."""
    root = tmp_path_factory.mktemp("tiny")
    (root / "tiny.toml").write_text(sweep_text("tiny", 2000, 30, [5.0, 10.0, 15.0, 20.0]))
    done = sparksim("sweep", root / "tiny.toml", "--out", root / "sweep", "--workers", "1",
                    "--no-progress")
    assert done.returncode == 0, done.stderr
    return root


# --- 1. report output never deletes a user's files ------------------------------------


def test_report_refuses_every_folder_that_is_not_its_own(tiny, tmp_path):
    """`report SWEEP --out DIR` deleted DIR's files, the sweep, the cwd or the parent."""
    parent = tmp_path / "parent"
    work = parent / "work"
    shutil.copytree(tiny / "sweep", work / "sweep")
    (work / "v").mkdir()
    (work / "v" / "thesis.tex").write_text("x")
    before = snapshot(tmp_path)
    for out in ["v", "sweep", str(work), str(parent), ".", str(tmp_path)]:
        done = sparksim("report", "sweep", "--out", out, cwd=work)
        assert done.returncode == 2, (out, done.stderr)
        assert "--out" in one_line(done.stderr)
        assert snapshot(tmp_path) == before, out
    fine = sparksim("report", "sweep", "--out", "r", cwd=work)
    assert fine.returncode == 0, fine.stderr
    again = sparksim("report", "sweep", "--out", "r", cwd=work)  # its own folder: replaced
    assert again.returncode == 0, again.stderr
    assert (work / "v" / "thesis.tex").read_text() == "x"


def test_run_out_never_replaces_the_folder_holding_its_config(tmp_path):
    """`sparksim run exp/config.toml --out exp` overwrote the user's commented config."""
    exp = tmp_path / "exp"
    exp.mkdir()
    text = "# my notes on this experiment\n" + (CONFIGS / "bass.toml").read_text()
    (exp / "config.toml").write_text(text)
    done = sparksim("run", "exp/config.toml", "--out", "exp", cwd=tmp_path)
    assert done.returncode == 2 and "input" in one_line(done.stderr)
    assert (exp / "config.toml").read_text() == text and len(list(exp.iterdir())) == 1


def test_output_folders_keep_the_permissions_of_the_folder_they_replace(tmp_path):
    """Output folders were created 0700 even when they replaced a shared one."""
    result = simulation.run(CONFIGS / "bass.toml", overrides={"horizon_days": 5,
                                                              "population.followers": 100})
    umask = os.umask(0o022)
    try:
        fresh = result.write(tmp_path / "fresh")
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o755
        shared = result.write(tmp_path / "shared")
        os.chmod(shared, 0o2775)
        result.write(shared)
        assert stat.S_IMODE(shared.stat().st_mode) == 0o2775
    finally:
        os.umask(umask)


@pytest.mark.parametrize("seed", [-1, 2.7, True, 2**70, "3"])
def test_run_from_python_rejects_a_bad_seed_in_one_message(seed):
    with pytest.raises(ConfigError, match="seed = .*must be a whole number"):
        simulation.run(CONFIGS / "bass.toml", seed=seed)


# --- 2. one sweep per folder ----------------------------------------------------------


@pytest.mark.slow
def test_two_sweeps_started_together_one_runs_and_the_other_exits_2(tmp_path):
    path = tmp_path / "long.toml"
    path.write_text(long_sweep("long", 6))
    out = tmp_path / "out"
    first = start("sweep", path, "--out", out, "--workers", "1", "--no-progress")
    time.sleep(0.5)
    second = start("sweep", path, "--out", out, "--workers", "1", "--no-progress")
    results = {p.pid: (p, *p.communicate(timeout=600)) for p in (first, second)}
    codes = sorted(p.returncode for p, _, _ in results.values())
    assert codes == [0, 2], [(p.returncode, err) for p, _, err in results.values()]
    (winner, _, _), (loser, _, lost) = sorted(results.values(), key=lambda r: r[0].returncode)
    assert f"process {winner.pid}" in one_line(lost) and "another sweep" in lost
    runs = runs_of(out)
    assert runs["run_id"].tolist() == list(range(6)) and (runs["status"] == "ok").all()
    assert journal_lines(out) == 6  # every run exactly once


@pytest.mark.slow
def test_force_never_takes_the_folder_of_a_running_sweep(tmp_path):
    """`--force` started while a sweep ran wiped its files while it kept appending."""
    path = tmp_path / "long.toml"
    path.write_text(long_sweep("long", 4))
    other = tmp_path / "other.toml"
    other.write_text(sweep_text("other", 2000, 20, [1.0, 2.0]))
    out = tmp_path / "out"
    first = start("sweep", path, "--out", out, "--workers", "1", "--no-progress")
    wait_for(lambda: (out / ".lock.owner").exists(), process=first)
    forced = sparksim("sweep", other, "--out", out, "--force", "--no-progress")
    assert forced.returncode == 2 and f"process {first.pid}" in one_line(forced.stderr)
    _, err = first.communicate(timeout=600)
    assert first.returncode == 0, err
    assert runs_of(out)["run_id"].tolist() == list(range(4)) and journal_lines(out) == 4
    assert not (out / ".lock.owner").exists()  # released: the next sweep may take it
    assert sparksim("sweep", other, "--out", out, "--force", "--no-progress",
                    "--workers", "1").returncode == 0


# --- 3. a torn journal line ------------------------------------------------------------


def test_a_torn_last_journal_line_is_run_again_and_swallows_nothing(tiny, tmp_path):
    out = tmp_path / "torn"
    shutil.copytree(tiny / "sweep", out)
    journal = out / "journal.jsonl"
    lines = journal.read_text().splitlines()
    journal.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][: len(lines[-1]) // 2])
    (out / "runs.parquet").unlink()
    done = sparksim("sweep", tiny / "tiny.toml", "--out", out, "--workers", "1",
                    "--no-progress")
    assert done.returncode == 0, done.stderr
    assert "4 of 4 runs done (0 failed)" in done.stdout
    records = [json.loads(line) for line in journal.read_text().splitlines()]
    assert sorted(r["run_id"] for r in records) == [0, 1, 2, 3]
    assert journal.read_text().endswith("\n")
    pd.testing.assert_frame_equal(runs_of(out), runs_of(tiny / "sweep"))
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"


def test_a_journal_line_that_lost_only_its_newline_is_kept(tiny, tmp_path):
    out = tmp_path / "newline"
    shutil.copytree(tiny / "sweep", out)
    journal = out / "journal.jsonl"
    journal.write_text(journal.read_text().rstrip("\n"))
    done = sparksim("sweep", tiny / "tiny.toml", "--out", out, "--workers", "1",
                    "--no-progress")
    assert done.returncode == 0, done.stderr
    assert journal_lines(out) == 4  # nothing run again


def test_a_sweep_with_runs_missing_at_the_end_exits_3(tiny, tmp_path, monkeypatch, capsys):
    """A sweep that ended with fewer runs done than planned exited 0."""
    from simulation import cli
    from simulation.runs.sweep import SweepStore

    out = tmp_path / "missing"
    shutil.copytree(tiny / "sweep", out)
    real = SweepStore.records
    monkeypatch.setattr(SweepStore, "records",  # a store that loses a record
                        lambda self: {k: v for k, v in real(self).items() if k != 2})
    monkeypatch.setattr(SweepStore, "finished", lambda self: {0, 1, 2, 3})
    code = cli.main(["sweep", str(tiny / "tiny.toml"), "--out", str(out), "--workers", "1",
                     "--no-progress"])
    assert code == 3
    assert "1 of 4 runs are missing" in capsys.readouterr().err


# --- 4. signals ----------------------------------------------------------------------


def test_sigterm_marks_the_sweep_interrupted_and_exits_143(tmp_path):
    path = tmp_path / "long.toml"
    path.write_text(long_sweep("long", 4))
    out = tmp_path / "out"
    sweep = start("sweep", path, "--out", out, "--workers", "1", "--no-progress")
    wait_for(lambda: journal_lines(out) >= 1, process=sweep)
    sweep.terminate()
    _, err = sweep.communicate(timeout=60)
    assert sweep.returncode == 143, err
    assert "terminated" in one_line(err) and "rerun the same command" in err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "interrupted" and manifest["runs_done"] >= 1


@pytest.mark.parametrize("delay", [0.05, 0.2, 0.5, 1.0])
def test_ctrl_c_during_start_up_is_one_line(delay, tmp_path):
    run = start("run", CONFIGS / "baseline.toml", "--out", tmp_path / "out", cwd=tmp_path)
    time.sleep(delay)
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=60)
    # 130, or killed by SIGINT when the interrupt landed inside a compiled extension that
    # marks it unhandled: a shell reports both as 130
    assert run.returncode in (130, -signal.SIGINT), err
    assert "interrupted" in one_line(err)
    assert not (tmp_path / "out").exists() and os.listdir(tmp_path) == []


# --- 5. Dask ---------------------------------------------------------------------------


def start_dask_sweep(address: str, folder: Path, *extra: str) -> tuple[subprocess.Popen, Path]:
    """A 6-run sweep on the cluster, once its first run is stored: (process, sweep file)."""
    path = folder / "long.toml"
    path.write_text(long_sweep("long", 6))
    out = folder / "out"
    sweep = start("sweep", path, "--out", out, "--scheduler", address, "--no-progress", *extra)
    wait_for(lambda: journal_lines(out) >= 1, process=sweep)
    return sweep, path


@pytest.mark.slow
def test_ctrl_c_on_a_dask_sweep_exits_130_with_one_line(dask_cluster, tmp_path):
    sweep, _ = start_dask_sweep(dask_cluster.address, tmp_path)
    out = tmp_path / "out"
    sweep.send_signal(signal.SIGINT)
    _, err = sweep.communicate(timeout=120)
    assert sweep.returncode == 130, err
    assert "rerun the same command to resume" in one_line(err)
    assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"


@pytest.mark.slow
def test_losing_every_dask_worker_ends_within_the_timeout_and_resumes(dask_cluster, tmp_path):
    sweep, path = start_dask_sweep(dask_cluster.address, tmp_path, "--worker-timeout", "5")
    out = tmp_path / "out"
    for worker in dask_cluster.workers:
        worker.kill()
    killed = time.monotonic()
    _, err = sweep.communicate(timeout=120)
    assert time.monotonic() - killed < 5 + 30  # the timeout, a poll and closing the client
    assert sweep.returncode == 1, err
    line = one_line(err)
    assert "no worker for 5 s" in line and "rerun the same command" in line
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "workers lost" and manifest["runs_done"] >= 1
    saved = journal_lines(out)
    resumed = sparksim("sweep", path, "--out", out, "--workers", "2", "--no-progress")
    assert resumed.returncode == 0, resumed.stderr
    assert runs_of(out)["run_id"].tolist() == list(range(6))
    assert journal_lines(out) == 6 and saved <= 6


# --- 6. kill -9 at random moments --------------------------------------------------------


@pytest.mark.slow
def test_random_sigkills_of_a_30_run_sweep_each_resume_to_the_same_result(tmp_path):
    """SPARKSIM_KILLS (default 2) sweeps, each killed at a random moment and resumed."""
    path = tmp_path / "thirty.toml"
    path.write_text(sweep_text("thirty", 3000, 60, [float(f) for f in range(1, 16)],
                               replicates=2))
    reference = tmp_path / "reference"
    assert sparksim("sweep", path, "--out", reference, "--workers", "2",
                    "--no-progress").returncode == 0
    expected = runs_of(reference)
    assert len(expected) == 30
    moments = random.Random(int(os.environ.get("SPARKSIM_KILL_SEED", "0")))
    for attempt in range(int(os.environ.get("SPARKSIM_KILLS", "2"))):
        out = tmp_path / f"killed-{attempt}"
        sweep = start("sweep", path, "--out", out, "--workers", "2", "--no-progress")
        wait_for(lambda out=out: (out / "manifest.json").exists(), process=sweep)
        time.sleep(moments.uniform(0.0, 4.0))
        children = psutil.Process(sweep.pid).children(recursive=True)
        sweep.kill()
        sweep.communicate()
        psutil.wait_procs(children, timeout=15)
        done = sparksim("sweep", path, "--out", out, "--workers", "2", "--no-progress")
        assert done.returncode == 0, done.stderr
        pd.testing.assert_frame_equal(runs_of(out), expected)
        assert journal_lines(out) == 30
