"""calibrate: fitting config parameters and the population scale to an observed series.

Recovery: a series simulated from known parameters at one seed (the Bass
reduction, configs/bass.toml at 5 000 people) is fitted from other seeds;
the estimates must be near the truth and the truth inside the intervals.
Then determinism, the input contract, and the CLI end to end.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest

import simulation
from simulation import cli
from simulation.analysis.calibrate import Calibration, calibrate, parse_fit, read_observed
from simulation.model.config import ConfigError
from simulation.runs.executors import run_seed
from simulation.runs.sweep import run_many
from tests.conftest import CONFIGS, ROOT
from tests.test_cli import sparksim

BASS = CONFIGS / "bass.toml"
VCR = ROOT / "data" / "vcr_sales.csv"
SMALL = {"population.followers": 5_000, "horizon_days": 40}
TRUTH = {"adoption.innovation": 0.02, "adoption.imitation": 0.4}  # per day
BOUNDS = {"adoption.innovation": (0.005, 0.08), "adoption.imitation": (0.1, 1.0)}
TRUE_SCALE = 50.0  # data units per simulated person: a market of 250 000
DAYS_PER_PERIOD = 2
DATA_ROOT, FIT_SEED = 1_000, 7
# Tolerance: fitting 8 series simulated at 8 data seeds (this setting, 100 trials) gave
# estimates with standard deviations 0.0020 (innovation) and 0.012 (imitation) per day:
# a run of 5 000 people that is ahead or behind early stays so. 3 standard deviations:
# 0.006 and 0.04 (30% and 10%). The 95% bootstrap intervals held the truth 7 times in 8
# for each parameter.
TOLERANCE = {"adoption.innovation": 0.006, "adoption.imitation": 0.04}
SCALE_TOLERANCE = 0.03  # relative: everyone adopts by day 40, so the total pins the scale


def observed_series() -> pd.Series:
    """New adopters per 2-day period x 50, from one run at a seed the fit never uses."""
    config = simulation.load_config(BASS, SMALL)
    daily = run_many([TRUTH], 1, DATA_ROOT, base=config).timeseries["adopters"].to_numpy()
    counts = TRUE_SCALE * np.diff(daily[::DAYS_PER_PERIOD])
    return pd.Series(counts, index=pd.RangeIndex(1, len(counts) + 1, name="period"),
                     name="new_adopters")


def test_public_api():
    assert simulation.calibrate is calibrate
    assert simulation.Calibration is Calibration
    assert {"calibrate", "Calibration"} <= set(simulation.__all__)


def test_the_data_seed_is_not_a_fitting_seed():
    fitting = {run_seed(FIT_SEED, r) for r in range(3 + 60)}
    assert run_seed(DATA_ROOT, 0) not in fitting


def test_recovers_known_parameters_from_other_seeds():
    """One fit (the costly part of this file, so every check on its result is here)."""
    recovered = calibrate(observed_series(), simulation.load_config(BASS, SMALL), BOUNDS,
                          days_per_period=DAYS_PER_PERIOD, replicates=3, trials=64,
                          profile_points=32, seed=FIT_SEED)
    for key, truth in TRUTH.items():
        assert abs(recovered.best[key] - truth) <= TOLERANCE[key], (key, recovered.best[key])
        low, high = recovered.intervals[key]
        assert low <= truth <= high, (key, low, high)
        assert high - low < 4 * TOLERANCE[key]  # informative, not the whole search range
    assert recovered.scale == pytest.approx(TRUE_SCALE, rel=SCALE_TOLERANCE)
    low, high = recovered.scale_interval
    assert low <= TRUE_SCALE * 1.005 and high >= TRUE_SCALE * 0.995
    assert recovered.r2 > 0.99
    assert recovered.market == pytest.approx(recovered.scale * 5_000)
    # the result's tables
    history = recovered.history
    assert list(history["stage"].unique()) == ["search", "box1", "box2"]
    assert {"evaluation", "scale", "sse", "rmse", *BOUNDS} <= set(history.columns)
    assert recovered.runs >= 3 * len(history)
    assert history["sse"].min() == pytest.approx(recovered.sse)  # the best of every evaluation
    band = recovered.band
    assert len(band) == recovered.n == 20
    assert (band["low"] <= band["median"]).all() and (band["median"] <= band["high"]).all()
    assert len(recovered.samples) == 60
    assert set(recovered.samples.columns) == {*BOUNDS, "scale"}
    assert recovered.config.adoption.innovation == recovered.best["adoption.innovation"]
    assert recovered.config.horizon_days == 40
    text = recovered.summary()
    assert "adoption.imitation" in text and "RMSE" in text and "scale" in text


def test_same_seed_same_result():
    observed = observed_series()
    config = simulation.load_config(BASS, SMALL)

    def fit(seed: int) -> Calibration:
        return calibrate(observed, config, BOUNDS, days_per_period=DAYS_PER_PERIOD,
                         replicates=2, trials=16, profile_points=8, bootstrap=10, seed=seed)

    first, again, other = fit(3), fit(3), fit(4)  # ~100 runs each
    pd.testing.assert_frame_equal(first.history, again.history)
    assert first.best == again.best and first.intervals == again.intervals
    assert not first.history[list(BOUNDS)].equals(other.history[list(BOUNDS)])


def test_cumulative_input_is_differenced():
    counts = pd.Series([1.0, 3, 5, 2])
    assert read_observed(counts.cumsum(), cumulative=True).tolist() == counts.tolist()


BAD_API = {
    "target": ({"target": "sales"}, ["target", "sales", "adopters", "active_users"]),
    "low_not_below_high": ({"parameters": {"adoption.imitation": (0.5, 0.5)}},
                           ["adoption.imitation", "0.5", "below"]),
    "unknown_key": ({"parameters": {"adoption.imitaton": (0.1, 0.5)}},
                    ["adoption.imitaton", "innovation", "imitation"]),
    "out_of_range": ({"parameters": {"adoption.innovation": (-1, 0.1)}},
                     ["adoption.innovation", "-1", "greater than or equal to 0"]),
    "no_time_mapping": ({"days_per_period": None}, ["days_per_period", "--days-per-period"]),
    "too_few_periods": ({"observed": pd.Series([1.0, 2.0, 3.0])}, ["3 periods", "3 fitted"]),
    "falling_cumulative": ({"observed": pd.Series([1.0, 5, 4, 6, 8]), "cumulative": True},
                           ["never fall", "4"]),
    "cumulative_stock": ({"target": "active_users", "cumulative": True},
                         ["cumulative", "active_users"]),
    "missing_file": ({"observed": "nope.csv"}, ["nope.csv", "not found"]),
}


@pytest.mark.parametrize("case", list(BAD_API))
def test_bad_input_is_one_config_error_before_any_run(case, monkeypatch):
    monkeypatch.setattr(sys.modules["simulation.analysis.calibrate"], "run_many",
                        lambda *a, **k: pytest.fail("ran"))
    changes, words = BAD_API[case]
    arguments = {"observed": pd.Series(np.arange(1.0, 11.0)), "parameters": BOUNDS,
                 "days_per_period": 2, **changes}
    observed, parameters = arguments.pop("observed"), arguments.pop("parameters")
    with pytest.raises(ConfigError) as caught:
        calibrate(observed, simulation.load_config(BASS, SMALL), parameters, **arguments)
    message = str(caught.value)
    assert "\n" not in message
    for word in words:
        assert word in message, (word, message)


@pytest.mark.parametrize("text", ["adoption.imitation", "adoption.imitation=0.1",
                                  "adoption.imitation=a:b", "=0.1:0.2"])
def test_parse_fit_rejects_bad_syntax(text):
    with pytest.raises(ConfigError, match="key=LOW:HIGH"):
        parse_fit(text)


# --- the CLI -------------------------------------------------------------------

TINY = ["--set", "population.followers=2000", "--days-per-period", "6", "--replicates", "2",
        "--trials", "24"]
FITS = ["--fit", "adoption.innovation=0.0002:0.01", "--fit", "adoption.imitation=0.02:0.4"]
BAD_CLI = {
    "missing_data": (["nope.csv"], ["nope.csv", "not found"]),
    "bad_csv": (["three.csv"], ["three.csv", "3 columns", "two"]),
    "fit_syntax": ([str(VCR), "--fit", "adoption.imitation=0.1"], ["adoption.imitation=0.1",
                                                                   "key=LOW:HIGH"]),
    "low_above_high": ([str(VCR), "--fit", "adoption.imitation=0.5:0.1"],
                       ["adoption.imitation", "0.5", "below"]),
    "unknown_key": ([str(VCR), "--fit", "adoption.imitaton=0.1:0.5"],
                    ["adoption.imitaton", "allowed", "imitation"]),
}


def test_cli_calibrates_vcr_sales(tmp_path):
    out = tmp_path / "vcr"
    proc = sparksim("calibrate", VCR, "--config", BASS, *FITS, *TINY, "--out", out, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert {p.name for p in out.iterdir()} == {"calibration.json", "history.csv", "fit.png",
                                               ".sparksim.json"}
    summary = json.loads((out / "calibration.json").read_text())
    assert set(summary["best"]) == set(summary["intervals"]) == {
        "adoption.innovation", "adoption.imitation"}
    assert summary["periods"] == 10 and summary["days_per_period"] == 6
    assert summary["r2"] > 0.8  # the Bass curve fits VCR sales (fit_bass: R² 0.97)
    history = pd.read_csv(out / "history.csv")
    assert len(history) == summary["evaluations"]
    assert "scale" in proc.stdout and "RMSE" in proc.stdout and "wrote" in proc.stdout


@pytest.mark.parametrize("case", list(BAD_CLI))
def test_cli_bad_input_exits_2_with_one_line_and_writes_nothing(case, tmp_path, monkeypatch,
                                                                 capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys.modules["simulation.analysis.calibrate"], "run_many",
                        lambda *a, **k: pytest.fail("ran"))
    (tmp_path / "three.csv").write_text("year,a,b\n1,2,3\n2,3,4\n")
    arguments, words = BAD_CLI[case]
    fits = [] if "--fit" in arguments else FITS
    code = cli.main(["calibrate", *map(str, arguments), "--config", str(BASS), *fits, *TINY,
                     "--out", "out"])
    captured = capsys.readouterr()
    assert code == 2, (code, captured.err)
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert captured.out == ""
    assert not (tmp_path / "out").exists()
