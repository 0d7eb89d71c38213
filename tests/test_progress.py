"""Progress everywhere: bars for long work on a terminal (or a file asked for), quiet elsewhere;
and the search budgets mean what they say."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import re
import struct
import subprocess
import sys
import termios

import pandas as pd
import pytest

import simulation
from simulation.analysis.calibrate import search_plan
from simulation.runs.runner import Progress, Runner, progress_shown
from tests.conftest import CONFIGS, ROOT

TINY = {"population.followers": 2_000, "population.influencers": 40, "horizon_days": 40}
BAR = re.compile(r"(\d+)/(\d+) \[")  # tqdm's "n/N [elapsed<left, rate]"


def bars(text: str) -> list[tuple[int, int]]:
    """Every (n, N) a tqdm bar wrote."""
    return [(int(n), int(total)) for n, total in BAR.findall(text)]


def tiny(name):
    return simulation.load_config(CONFIGS / "schemes" / f"{name}.toml", TINY)


def observed_series():
    counts = [3.0, 8, 15, 22, 20, 14, 8, 4]
    return pd.Series(counts, index=pd.RangeIndex(1, 9, name="period"), name="sales")


def test_progress_is_quiet_when_stderr_is_not_a_terminal(capsys):
    assert not progress_shown(None)  # pytest captures stderr: not a terminal
    assert progress_shown(True) and progress_shown(io.StringIO()) and not progress_shown(False)
    simulation.compare({"none": tiny("none"), "flat": tiny("flat_fee")}, replicates=2)
    assert capsys.readouterr().err == ""


def test_a_bar_counts_runs_and_ends_at_n_of_n():
    out = io.StringIO()
    bar = Progress(10, label="work", enabled=out)
    for _ in range(6):
        bar.update()
    bar.skip(4)  # planned, not needed
    bar.close()
    assert bars(out.getvalue())[-1] == (6, 6) and "work" in out.getvalue()


def test_compare_until_shows_runs_against_its_budget():
    out = io.StringIO()
    simulation.compare({"none": tiny("none"), "flat": tiny("flat_fee")}, replicates=2,
                       until=simulation.Until("adopters_end", max_runs=20), progress=out)
    text = out.getvalue()
    assert "compare (until settled)" in text
    assert bars(text)[0][1] == 20 and bars(text)[-1][0] == bars(text)[-1][1]


def test_calibrate_prints_progress_to_a_file_and_keeps_its_trial_budget():
    out = io.StringIO()
    result = simulation.calibrate(observed_series(), CONFIGS / "bass.toml",
                                  {"adoption.imitation": (0.1, 0.6)}, days_per_period=6,
                                  replicates=2, trials=12, bootstrap=10, profile_points=4,
                                  progress=out)
    text = out.getvalue()
    assert "calibrate: search" in text and "calibrate: intervals" in text
    done, total = bars(text)[-1]
    assert done == total == result.runs
    searched = int((result.history["stage"] == "search").sum())
    assert searched <= 12
    assert "trials = 12" in result.message and "candidates" in result.message
    assert "Maximum number of iterations" not in result.summary()
    assert f"{searched} candidates in the search" in result.summary()


@pytest.mark.parametrize("keys", [1, 2, 3, 4, 8])
@pytest.mark.parametrize("trials", [4, 5, 8, 10, 16, 30, 64, 200, 1000])
def test_calibrates_search_plan_stays_within_trials_or_says_why(keys, trials):
    members, generations = search_plan(keys, trials)
    assert members >= 5 and members % keys == 0  # what scipy's differential evolution needs
    assert members * (generations + 1) <= max(trials, members)  # over only at that floor


def test_optimise_prints_progress_and_evaluates_at_most_its_trials(monkeypatch):
    planned = []
    real = Runner.run

    def counting(self, scenarios, **kwargs):
        planned.append(len(list(scenarios)))
        return real(self, scenarios, **kwargs)

    monkeypatch.setattr(Runner, "run", counting)
    out = io.StringIO()
    levers = {"platforms.0.phases.0.flat_fee.fee": (5.0, 40.0),
              "platforms.0.phases.0.flat_fee.posts_per_day": (1, 3)}
    found = simulation.optimise(tiny("flat_fee"), levers, n_trials=7, replicates=2, batch=3,
                                fresh_replicates=2, seed=3, progress=out)
    *search, fresh = planned
    assert sum(search) <= 7 and len(found.history) == 7  # plans evaluated in the search
    assert fresh == 2  # the fresh-seed check: the winner and the start again
    assert found.search_runs["trial"].nunique() <= 7
    text = out.getvalue()
    assert "optimise" in text and bars(text)[-1][0] == bars(text)[-1][1] == 7 * 2 + 2 * 2


def test_decompose_and_sweep_show_progress_when_asked():
    out = io.StringIO()
    simulation.decompose(tiny("flat_fee"), replicates=2, progress=out)
    assert "decompose" in out.getvalue() and bars(out.getvalue())[-1] == (4, 4)
    out = io.StringIO()
    simulation.run_many([tiny("none")], replicates=3, progress=out)
    assert bars(out.getvalue())[-1] == (3, 3)


def run_in_a_terminal(args: list[str], cwd) -> str:
    """``python -m simulation ARGS`` with stderr on a pseudo-terminal; what it wrote there."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # a window
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120"}
    proc = subprocess.Popen([sys.executable, "-m", "simulation", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=follower, stdin=subprocess.DEVNULL)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the follower closed: the process ended
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=300)
    os.close(leader)
    assert proc.returncode == 0, b"".join(chunks).decode(errors="replace")
    return b"".join(chunks).decode(errors="replace")


@pytest.mark.slow
def test_cli_calibrate_shows_progress_on_a_terminal_and_not_in_a_pipe(tmp_path):
    data = tmp_path / "sales.csv"
    observed_series().to_frame().to_csv(data)
    args = ["calibrate", str(data), "--config", str(CONFIGS / "bass.toml"), "--fit",
            "adoption.imitation=0.1:0.6", "--days-per-period", "6", "--replicates", "2",
            "--trials", "8", "--set", "population.followers=2000"]
    text = run_in_a_terminal([*args, "--out", "a"], tmp_path)
    assert "calibrate: search" in text and bars(text)
    piped = subprocess.run([sys.executable, "-m", "simulation", *args, "--out", "b"],
                           cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
                           capture_output=True, text=True, timeout=300)
    assert piped.returncode == 0 and "calibrate: search" not in piped.stderr
