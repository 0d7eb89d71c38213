"""calibrate: fitting config parameters and the population scale to an observed series.

Recovery: a series simulated from known parameters at one seed (the Bass
reduction, configs/bass.toml at 5 000 people) is fitted from other seeds;
the estimates must be near the truth and the truth inside the intervals.
Then determinism, the input contract, and the CLI end to end.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simulation
from simulation import cli
from simulation.analysis.calibrate import (
    MAX_BOOTSTRAP,
    MAX_DATA_BYTES,
    MAX_HORIZON_DAYS,
    MAX_OBSERVATIONS,
    MAX_REPLICATES,
    MAX_TRIALS,
    MAX_VALUE,
    Calibration,
    calibrate,
    check_data_file,
    parse_fit,
    read_observed,
)
from simulation.model.config import ConfigError
from simulation.runs.executors import MAX_LOCAL_WORKERS, run_seed
from simulation.runs.runner import Runner
from simulation.runs.sweep import run_many
from tests.conftest import CONFIGS, ROOT
from tests.test_cli import sparksim

BASS = CONFIGS / "bass.toml"
VCR = ROOT / "data" / "vcr_sales.csv"
SMALL = {"population.followers": 5_000, "horizon_days": 40}
TRUTH = {"adoption.innovation": 0.02, "adoption.imitation": 0.4}  # per day
BOUNDS = {"adoption.innovation": (0.005, 0.08), "adoption.imitation": (0.1, 1.0)}
TRUE_SCALE = 50.0  # data units per market person: x 100 000 people = 5 million data units
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


def assert_refused(code: int, captured, words, out: Path) -> None:
    """Exit 2, one line naming ``words``, no traceback, nothing on stdout, ``out`` not made."""
    assert code == 2, (code, captured.err)
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert captured.out == ""
    assert not out.exists()


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
    assert recovered.market == pytest.approx(recovered.scale * 100_000)  # bass.toml's market
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


def refused_before_any_run(monkeypatch, changes: dict, words: list[str]) -> None:
    """calibrate with ``changes``: one one-line ConfigError holding ``words``; nothing run."""
    monkeypatch.setattr(Runner, "run", lambda *a, **k: pytest.fail("ran"))
    arguments = {"observed": pd.Series(np.arange(1.0, 11.0)), "days_per_period": 2, **changes}
    observed, parameters = arguments.pop("observed"), arguments.pop("parameters", BOUNDS)
    with pytest.raises(ConfigError) as caught:
        calibrate(observed, simulation.load_config(BASS, SMALL), parameters, **arguments)
    message = str(caught.value)
    assert "\n" not in message
    for word in words:
        assert word in message, (word, message)


@pytest.mark.parametrize("case", list(BAD_API))
def test_bad_input_is_one_config_error_before_any_run(case, monkeypatch):
    refused_before_any_run(monkeypatch, *BAD_API[case])


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
    monkeypatch.setattr(Runner, "run", lambda *a, **k: pytest.fail("ran"))
    (tmp_path / "three.csv").write_text("year,a,b\n1,2,3\n2,3,4\n")
    arguments, words = BAD_CLI[case]
    fits = [] if "--fit" in arguments else FITS
    code = cli.main(["calibrate", *map(str, arguments), "--config", str(BASS), *fits, *TINY,
                     "--out", "out"])
    assert_refused(code, capsys.readouterr(), words, tmp_path / "out")


# --- sparse, irregular observations; held-out points -----------------------------

EVENT_BASE = {"population.followers": 4_000, "horizon_days": 55, "adoption.innovation": 0.002,
              "adoption.imitation": 0.1,
              "events": [{"day": 20, "strength": 1.0, "half_life_days": 5.0}]}
EVENT_TRUTH = {"events.0.strength": 6.0, "events.0.day": 25, "adoption.imitation": 0.1}
EVENT_BOUNDS = {"events.0.strength": (1.0, 15.0), "events.0.day": (10, 40),
                "adoption.imitation": (0.03, 0.3)}
EVENT_DAYS = [5, 12, 18, 23, 26, 30, 38, 55]  # irregular; two bracket the event's day
THOUSANDS = 1e-3  # data units (thousands of accounts) per market person
# Tolerance: fitting data from 8 data seeds (root 1001..1008, each the mean of 3 runs; these
# settings) gave strength 5.3 .. 7.6, standard deviation 0.8: 3 standard deviations is 2.4
# (40%). The day was 25 in 8 of 8 (observations on days 23 and 26 bracket it): 1 day. The
# 95% intervals held the true strength 8 times in 8, the day 8 in 8, imitation 7 in 8.
EVENT_TOLERANCE = {"events.0.strength": 2.4, "events.0.day": 1}


def event_config() -> simulation.Config:
    return simulation.load_config(BASS, EVENT_BASE)


def accounts(config, truth, days, root, runs=3, column="adopters") -> pd.Series:
    """A column on the given days x 1e-3 (the mean of ``runs`` runs at a data root seed)."""
    table = run_many([truth], runs, root, base=config).timeseries
    mean = table.groupby("day")[column].mean()
    return pd.Series(mean.loc[days].to_numpy() * THOUSANDS, index=pd.Index(days, name="day"),
                     name="accounts_thousands")


@pytest.mark.slow
def test_recovers_an_event_from_sparse_irregular_cumulative_counts():
    """Registered accounts (cumulative, thousands) on 8 irregular days, an event on day 25."""
    observed = accounts(event_config(), EVENT_TRUTH, EVENT_DAYS, root=1_004)
    fit = calibrate(observed, event_config(), EVENT_BOUNDS, cumulative=True, replicates=3,
                    trials=240, bootstrap=30, profile_points=32, seed=FIT_SEED)
    for key, tolerance in EVENT_TOLERANCE.items():
        truth = EVENT_TRUTH[key]
        assert abs(fit.best[key] - truth) <= tolerance, (key, fit.best[key])
        low, high = fit.intervals[key]
        assert low <= truth <= high, (key, low, high)
    assert fit.scale == pytest.approx(THOUSANDS, rel=0.05)  # everyone joins by day 55
    assert fit.r2 > 0.99
    assert fit.days_per_period is None and fit.n == 8
    assert fit.band["day"].tolist() == EVENT_DAYS
    increments = np.diff(observed.to_numpy(), prepend=0.0)
    np.testing.assert_allclose(fit.observed.to_numpy(), increments)
    lengths = np.diff(EVENT_DAYS, prepend=0)
    np.testing.assert_allclose(fit.weights, (1 / lengths) / np.mean(1 / lengths))
    assert fit.config.horizon_days == 55
    assert "days since launch" in fit.summary() and "1 / interval days" in fit.summary()


DECAY_BASE = {"population.followers": 3_000, "horizon_days": 100, "adoption.innovation": 0.001,
              "adoption.imitation": 0.02,
              "events": [{"day": 0, "strength": 10.0, "half_life_days": 7.0}]}
DECAY_TRUTH = {"retention.base_churn": 0.05, "events.0.strength": 40.0}


def test_fits_a_launch_then_decay_of_active_users():
    """A strong attention event at launch, then people leave: monthly actives on 10 days.

    The fit is good (R² 0.98 with these settings), but a decay curve alone hardly
    separates churn, the event's strength and the scale: with the scale fixed at the
    truth (1e-3) the same fit recovers churn 0.048 and strength 41 (R² 0.999).
    """
    config = simulation.load_config(BASS, DECAY_BASE)
    days = [2, 5, 9, 14, 21, 30, 45, 60, 80, 100]
    observed = accounts(config, DECAY_TRUTH, days, root=3_000, runs=1, column="active_users")
    peak = observed.idxmax()  # day 9 (day 14 while feeds held a fixed post a day: issue 21)
    assert 2 < peak < 30 and observed.iloc[-1] < observed.max() / 10  # up, then down
    fit = calibrate(observed, config, {"retention.base_churn": (0.01, 0.2),
                                       "events.0.strength": (5.0, 120.0)},
                    target="active_users", replicates=2, trials=48, bootstrap=20,
                    profile_points=16, seed=FIT_SEED)
    assert fit.r2 >= 0.9, fit.summary()
    assert (fit.weights == 1).all()  # active users are a stock: equal weights
    assert fit.band["day"].tolist() == days


HOLD_CONFIG = {"population.followers": 2_000, "horizon_days": 72, "adoption.innovation": 0.003}
HOLD_TRUTH = {"adoption.innovation": 0.003, "adoption.imitation": 0.12}
HOLD_DAYS = [3, 6, 10, 15, 20, 26, 33, 40, 47, 55, 63, 72]  # the last 4 held out


def hold_fit(observed: pd.Series, **settings) -> Calibration:
    return calibrate(observed, simulation.load_config(BASS, HOLD_CONFIG),
                     {"adoption.imitation": (0.03, 0.4)}, cumulative=True, holdout=4,
                     **{"replicates": 2, "trials": 24, "bootstrap": 20, "profile_points": 8,
                        "seed": FIT_SEED, **settings})


def test_held_out_points_do_not_touch_the_fit():
    observed = accounts(simulation.load_config(BASS, HOLD_CONFIG), HOLD_TRUTH, HOLD_DAYS,
                        root=2_000, runs=1)
    changed = observed.copy()
    changed.iloc[-4:] = changed.iloc[-4:] * [1.5, 2, 3, 4]  # still never falling
    first, second = hold_fit(observed, trials=16, bootstrap=10), hold_fit(changed, trials=16,
                                                                         bootstrap=10)
    pd.testing.assert_frame_equal(first.history, second.history)
    assert first.best == second.best and first.intervals == second.intervals
    assert first.scale == second.scale
    pd.testing.assert_frame_equal(first.samples, second.samples)
    for column in ("day", "forecast", "low", "high"):
        np.testing.assert_array_equal(first.forecast[column], second.forecast[column])
    np.testing.assert_allclose(second.forecast["observed"], changed.iloc[-4:].to_numpy())
    # the table: cumulative input is forecast as cumulative counts, on the held-out days
    table = first.forecast
    assert list(table.columns) == ["period", "label", "day", "observed", "forecast", "low",
                                   "high", "error"]
    assert table["day"].tolist() == HOLD_DAYS[-4:] and first.n == 8
    assert (table["low"] <= table["forecast"]).all() and (table["forecast"] <= table["high"]).all()
    np.testing.assert_allclose(table["error"], table["observed"] - table["forecast"])
    assert table["forecast"].is_monotonic_increasing
    assert first.config.horizon_days == 72  # the horizon covers the held-out days
    summary = first.to_dict()
    assert summary["holdout"] == 4 and len(summary["forecast"]) == 4
    assert {"observed", "forecast", "low", "high", "error"} <= set(summary["forecast"][0])
    json.dumps(summary, default=float)
    assert "held out: the last 4" in first.summary() and "day 72" in first.summary()
    import matplotlib.pyplot as plt

    plt.close(first.figure())


@pytest.mark.slow
def test_held_out_forecast_intervals_cover_at_about_the_nominal_rate():
    """8 data sets (one run each), 4 held-out days each: 32 forecasts with 90% intervals.

    Measured with these settings (cumulative forecasts anchored at the last fitted
    observation): 32 of 32 inside for data roots 2000 (this test), 3000 and 4000 on the
    current random streams (92 of 96 without anchoring); 28, 20 and 24 of 32 (75%) on
    the streams before the daily seeds were condensed. So the rate lies somewhere between
    75% and 100% for a nominal 90%: 24 data sets cannot pin it closer. On the earlier
    streams the misses were the last days of the data sets whose imitation came out
    furthest from the truth, and the bootstrap's parameter spread was narrower than the
    estimates' spread across data sets (root 3000: the 95% intervals of imitation held
    it 4 times in 8; 6 in 8, still about 35% narrow, with 4 replicates and 64 trials),
    and the forecast intervals inherited that. Reflecting the draws about the forecast
    (a basic bootstrap) or pairing them with another run's noise covered less (68 and 70
    of 96). The points of one
    data set are correlated (a run ahead stays ahead), so 32 points are worth fewer: the
    bar is 20.
    """
    config = simulation.load_config(BASS, HOLD_CONFIG)
    table = run_many([HOLD_TRUTH], 8, 2_000, base=config).timeseries
    runs = table.pivot(index="day", columns="run_id", values="adopters").loc[HOLD_DAYS]
    inside = 0
    for run in runs.columns:
        observed = pd.Series(runs[run].to_numpy() * THOUSANDS, index=pd.Index(HOLD_DAYS,
                                                                             name="day"))
        inside += hold_fit(observed).covered
    assert inside >= 20, inside  # 62%


# bad sparse or dated input: file name → CSV text, extra arguments, words in the message
DAY_FITS = ["--fit", "adoption.imitation=0.02:0.4", "--set", "population.followers=2000",
            "--replicates", "2", "--trials", "8"]
BAD_SPARSE = {
    "duplicate_day": ("day,accounts\n3,1\n7,2\n7,3\n12,4\n20,5\n", [],
                      ["day 7", "twice", "rows 2 and 3"]),
    "day_out_of_order": ("day,accounts\n3,1\n9,2\n7,3\n12,4\n20,5\n", [],
                         ["day 7", "comes after day 9", "increasing"]),
    "fractional_day": ("day,accounts\n3,1\n7.5,2\n9,3\n12,4\n20,5\n", [],
                       ["'day'", "7.5", "whole numbers"]),
    "negative_day": ("day,accounts\n-3,1\n7,2\n9,3\n12,4\n20,5\n", [],
                     ["'day'", "-3", "whole numbers", ">= 0"]),
    "text_day": ("day,accounts\n3,1\nsoon,2\n9,3\n12,4\n20,5\n", [],
                 ["'day'", "soon", "whole numbers"]),
    "falling_cumulative": ("day,accounts\n3,1\n7,5\n9,4\n12,6\n20,8\n", ["--cumulative"],
                           ["never fall", "row 3", "4 after 5"]),
    "new_adopters_on_day_0": ("day,accounts\n0,1\n7,5\n9,4\n12,6\n20,8\n", [],
                              ["day 0", "launch", "no length"]),
    "too_few_after_holdout": ("day,accounts\n3,1\n7,2\n9,3\n12,4\n20,5\n",
                              ["--holdout", "3"],
                              ["2 observations", "5 given, 3 held out", "2 fitted",
                               "hold out fewer"]),
    "holdout_everything": ("day,accounts\n3,1\n7,2\n9,3\n", ["--holdout", "3"],
                           ["holdout = 3", "3 observations"]),
    "negative_holdout": ("day,accounts\n3,1\n7,2\n9,3\n12,4\n20,5\n", ["--holdout", "-1"],
                         ["holdout = -1", ">= 0"]),
    "day_and_days_per_period": ("day,accounts\n3,1\n7,2\n9,3\n12,4\n20,5\n",
                                ["--days-per-period", "7"],
                                ["days_per_period = 7", "day column", "one of the two"]),
    "date_before_launch": ("date,accounts\n2023-01-05,1\n2023-02-01,2\n2023-02-20,3\n"
                           "2023-04-01,4\n", ["--launch", "2023-01-10"],
                           ["2023-01-05", "row 1", "before the launch on 2023-01-10"]),
    "duplicate_date": ("date,accounts\n2023-01-15,1\n2023-02-01,2\n2023-02-01,3\n"
                       "2023-04-01,4\n", ["--launch", "2023-01-10"],
                       ["date 2023-02-01", "twice"]),
    "irregular_dates_without_launch": ("date,accounts\n2023-01-15,1\n2023-02-01,2\n"
                                       "2023-02-20,3\n2023-04-01,4\n", [],
                                       ["no regular", "--launch DATE"]),
    "bad_launch": ("date,accounts\n2023-01-15,1\n2023-02-01,2\n2023-02-20,3\n", ["--launch",
                   "2023-13-45"], ["launch = '2023-13-45'", "not a date", "YYYY-MM-DD"]),
    "launch_with_periods": ("year,sales\n1,1\n2,2\n3,3\n4,4\n", ["--launch", "2023-01-10"],
                            ["launch = 2023-01-10", "period numbers", "not dates"]),
}


@pytest.mark.parametrize("case", list(BAD_SPARSE))
def test_cli_bad_sparse_input_exits_2_with_one_line_and_writes_nothing(case, tmp_path,
                                                                        monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(Runner, "run", lambda *a, **k: pytest.fail("ran"))
    text, arguments, words = BAD_SPARSE[case]
    (tmp_path / "data.csv").write_text(text)
    code = cli.main(["calibrate", "data.csv", "--config", str(BASS), *DAY_FITS, *arguments,
                     "--out", "out"])
    assert_refused(code, capsys.readouterr(), words, tmp_path / "out")


def test_a_day_0_cumulative_count_is_the_starting_level():
    series = pd.Series([5.0, 7, 12, 20], index=pd.Index([0, 4, 9, 15], name="day"))
    problem, data = _validate_only(series, cumulative=True)
    assert data.baseline == 5 and data.fitted.tolist() == [2, 5, 8]
    np.testing.assert_allclose(problem.days, [4, 9, 15])


def test_launch_maps_irregular_dates_to_days():
    dates = pd.DatetimeIndex(["2023-01-11", "2023-01-20", "2023-03-01", "2023-03-02"],
                             name="date")
    series = pd.Series([1.0, 2, 3, 4], index=dates)
    problem, data = _validate_only(series, launch="2023-01-10", target="active_users")
    np.testing.assert_allclose(problem.days, [1, 10, 50, 51])
    assert problem.horizon == 51 and data.launch == pd.Timestamp("2023-01-10")
    _, regular = _validate_only(pd.Series([1.0, 2, 3, 4], index=pd.date_range(
        "2023-01-01", periods=4, freq="MS")))  # regular dates, no launch: periods as before
    assert regular.days is None


def _validate_only(series: pd.Series | Path, **settings):
    from simulation.analysis.calibrate import _validate

    arguments = {"target": "adopters", "cumulative": False, "days_per_period": None,
                 "launch": None, "holdout": 0, "scale": None, "platform": None,
                 "runner": Runner(replicates=2), "trials": 8, "bootstrap": 10, "level": 0.95,
                 **settings}
    target = arguments.pop("target")
    return _validate(series, simulation.load_config(BASS, SMALL),
                     {"adoption.imitation": (0.1, 0.5)}, target, **arguments)


def test_cli_fits_irregular_dates_with_launch_and_holdout(tmp_path):
    """Registered accounts on irregular dates, the last 2 held out, end to end."""
    config = simulation.load_config(BASS, {"population.followers": 2_000, "horizon_days": 60,
                                           "adoption.innovation": 0.003})
    days = [4, 9, 17, 22, 30, 41, 52, 60]
    observed = accounts(config, HOLD_TRUTH, days, root=2_001, runs=1)
    dates = pd.Timestamp("2023-07-01") + pd.to_timedelta(days, unit="D")
    (tmp_path / "accounts.csv").write_text(pd.DataFrame(
        {"date": dates.strftime("%Y-%m-%d"), "accounts": observed.to_numpy()}
    ).to_csv(index=False))
    out = tmp_path / "fit"
    proc = sparksim("calibrate", "accounts.csv", "--config", BASS, "--set",
                    "population.followers=2000", "--set", "adoption.innovation=0.003",
                    "--fit", "adoption.imitation=0.03:0.4", "--cumulative", "--launch",
                    "2023-07-01", "--holdout", "2", "--replicates", "2", "--trials", "16",
                    "--out", out, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((out / "calibration.json").read_text())
    assert summary["launch"] == "2023-07-01" and summary["holdout"] == 2
    assert summary["observation_days"] == days[:-2] and summary["periods"] == 6
    assert [row["label"] for row in summary["forecast"]] == ["2023-08-22", "2023-08-30"]
    assert summary["config"]["horizon_days"] == 60
    assert (out / "fit.png").stat().st_size > 0
    assert "held out: the last 2" in proc.stdout and "2023-08-30 (day 60)" in proc.stdout


# --- limits, dates, signal and special files (issue 19) ---------------------------

MONTHLY_VALUES = [10, 30, 60, 80, 70, 50, 40, 30, 20, 10, 5, 3]
MONTHS_DMY = "date,sales\n" + "".join(f"01/{m:02d}/2020,{v}\n"
                                      for m, v in enumerate(MONTHLY_VALUES, start=1))
MONTHS_ISO = "date,sales\n" + "".join(f"2020-{m:02d}-01,{v}\n"
                                      for m, v in enumerate(MONTHLY_VALUES, start=1))
PERIODS = "year,sales\n1,10\n2,30\n3,60\n4,80\n5,70\n6,50\n"
DAYS = "day,accounts\n3,1\n7,2\n9,3\n12,4\n20,5\n"
LIMIT_FITS = ["--fit", "adoption.imitation=0.02:0.4", "--set", "population.followers=2000",
              "--replicates", "2", "--trials", "8"]


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _loop(path: Path) -> None:
    (path.parent / "other.csv").symlink_to(path.name)
    path.symlink_to("other.csv")


def _dangling(path: Path) -> None:
    path.symlink_to("nothing.csv")


def _too_large(path: Path) -> None:
    with path.open("w") as file:
        file.write("year,sales\n1,")
        file.write("1" * (MAX_DATA_BYTES + 1))


# case → (data: CSV text, a function making the file, or an existing path; arguments; words)
BAD_LIMITS = {
    # sizes: rows, days per period, the horizon they imply, replicates, trials, holdout
    "rows_past_the_limit": (
        "year,sales\n" + "".join(f"{i},{i % 7 + 1}\n" for i in range(1, MAX_OBSERVATIONS + 2)),
        ["--days-per-period", "1"], [f"more than {MAX_OBSERVATIONS:,} rows"]),
    "days_per_period_1e7": (PERIODS, ["--days-per-period", "1e7"],
                            ["days_per_period = 1e+07", "6 periods", f"{MAX_HORIZON_DAYS:,}"]),
    "days_per_period_1e300": (PERIODS, ["--days-per-period", "1e300"],
                              ["days_per_period = 1e+300", f"{MAX_HORIZON_DAYS:,}"]),
    "days_per_period_inf": (PERIODS, ["--days-per-period", "inf"],
                            ["days_per_period = inf", ">= 1"]),
    "days_per_period_below_a_day": (PERIODS, ["--days-per-period", "1e-300"],
                                    ["days_per_period = 1e-300", ">= 1", "steps in days"]),
    "fitted_days_per_period_past_horizon": (
        PERIODS, ["--fit", "days_per_period=1:1e7"],
        ["days_per_period=1:1e+07", "6 periods", f"{MAX_HORIZON_DAYS:,}"]),
    "fitted_days_per_period_below_a_day": (PERIODS, ["--fit", "days_per_period=0.001:5"],
                                           ["days_per_period=0.001:5", ">= 1"]),
    "last_day_past_horizon": ("day,accounts\n3,1\n40000,5\n50000,9\n60000,12\n", [],
                              ["day 60,000", "day column", f"{MAX_HORIZON_DAYS:,}"]),
    "dates_past_horizon": ("date,a\n1900-01-01,1\n1950-01-01,5\n2000-01-01,9\n2020-01-01,12\n",
                           ["--launch", "1899-12-01"],
                           ["day 43,860", "since --launch", f"{MAX_HORIZON_DAYS:,}"]),
    "replicates_1e9": (PERIODS, ["--days-per-period", "6", "--replicates", "1000000000"],
                       ["replicates = 1000000000", f"{MAX_REPLICATES:,}"]),
    "trials_1e9": (PERIODS, ["--days-per-period", "6", "--trials", "1000000000"],
                   ["trials = 1000000000", f"{MAX_TRIALS:,}"]),
    "holdout_1e9": (PERIODS, ["--days-per-period", "6", "--holdout", "1000000000"],
                    ["holdout = 1000000000", f"{MAX_OBSERVATIONS - 1:,}"]),
    "workers_1e5": (PERIODS, ["--days-per-period", "6", "--workers", "100000"],
                    ["--workers 100000", f"{MAX_LOCAL_WORKERS}"]),
    # values
    "value_1e308": ("year,sales\n1,10\n2,1e308\n3,60\n4,80\n5,70\n6,50\n",
                    ["--days-per-period", "6"], ["row 2", "1e+308", f"{MAX_VALUE:g}"]),
    "value_1e16": ("year,sales\n1,10\n2,1e16\n3,60\n4,80\n5,70\n6,50\n",
                   ["--days-per-period", "6"], ["row 2", "1e+16", f"{MAX_VALUE:g}"]),
    # dates: explicit formats, ambiguity refused
    "ambiguous_slashes": (MONTHS_DMY, [], ["'date'", "'01/01/2020'", "row 1", "ambiguous",
                                           "--date-format %d/%m/%Y", "%m/%d/%Y"]),
    "day_first_without_format": (MONTHS_DMY.replace("\n01/", "\n13/"), [],
                                 ["'13/01/2020'", "not an ISO date", "--date-format %d/%m/%Y"]),
    "month_names_without_format": ("date,a\nMarch 2020,1\nApril 2020,5\nMay 2020,9\n"
                                   "June 2020,12\n", [],
                                   ["'March 2020'", "not an ISO date", "--date-format"]),
    "not_in_the_given_format": (MONTHS_ISO, ["--date-format", "%d/%m/%Y"],
                                ["'2020-01-01'", "row 1", "--date-format '%d/%m/%Y'"]),
    "date_format_not_strptime": (MONTHS_DMY, ["--date-format", "dd/mm/yyyy"],
                                 ["--date-format 'dd/mm/yyyy'", "strptime", "%d/%m/%Y"]),
    "date_format_bad_directive": (MONTHS_DMY, ["--date-format", "%Q"],
                                  ["--date-format '%Q'", "bad directive"]),
    "date_format_with_days": (DAYS, ["--date-format", "%Y"],
                              ["--date-format '%Y'", "'day'", "days since launch"]),
    "mixed_offsets": ("date,a\n2020-01-01T00:00+01:00,1\n2020-02-01T00:00+02:00,5\n"
                      "2020-03-01T00:00+01:00,9\n", ["--launch", "2019-12-01"],
                      ["'date'", "time-zone offsets"]),
    "blank_date": ("date,a\n2020-01-01,1\n2020-02-01,5\n,9\n2020-04-01,12\n", [],
                   ["'date'", "''", "row 3"]),
    "launch_not_iso": (MONTHS_ISO, ["--launch", "01/12/2019"],
                       ["launch = '01/12/2019'", "YYYY-MM-DD"]),
    # no signal
    "all_zero": ("year,sales\n1,0\n2,0\n3,0\n4,0\n5,0\n6,0\n", ["--days-per-period", "6"],
                 ["no signal", "'sales'", "every value is 0"]),
    "cumulative_never_rises": ("day,total\n0,7\n3,7\n5,7\n9,7\n12,7\n", ["--cumulative"],
                               ["no signal", "never rises"]),  # 7 at the launch, then none
    "all_equal": ("year,sales\n1,5\n2,5\n3,5\n4,5\n5,5\n", ["--days-per-period", "6"],
                  ["no signal", "5 new adopters in every fitted observation", "flat"]),
    "one_rate_per_day": ("day,accounts\n1,5\n3,10\n4,5\n8,20\n", [],
                         ["no signal", "5 new adopters per day"]),
    "held_out_signal_only": ("year,sales\n1,0\n2,0\n3,0\n4,0\n5,40\n6,50\n",
                             ["--days-per-period", "6", "--holdout", "2"],
                             ["no signal", "every value is 0"]),
    # special files: the real reason, not "not found"
    "fifo": (_fifo, ["--days-per-period", "6"], ["'data.csv'", "named pipe (FIFO)",
                                                 "regular file"]),
    "symlink_loop": (_loop, ["--days-per-period", "6"], ["'data.csv'", "symlink loop"]),
    "dangling_link": (_dangling, ["--days-per-period", "6"],
                      ["'data.csv'", "symbolic link to", "does not exist"]),
    "device": (Path("/dev/null"), ["--days-per-period", "6"], ["'/dev/null'", "device"]),
    "too_large": (_too_large, ["--days-per-period", "6"],
                  ["'data.csv'", f"{MAX_DATA_BYTES + 14:,} bytes", "at most",
                   f"{MAX_DATA_BYTES:,} bytes"]),
    # keys calibrate sets itself
    "fit_horizon": (PERIODS, ["--days-per-period", "6", "--fit", "horizon_days=10:50"],
                    ["--fit horizon_days", "cannot be fitted"]),
    "fit_seed": (PERIODS, ["--days-per-period", "6", "--fit", "seed=1:100"],
                 ["--fit seed", "cannot be fitted"]),
}


def everything_under(folder: Path) -> dict[str, object]:
    """Every path under ``folder``: a regular file's bytes, else what it is (never read)."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            found[str(path.relative_to(folder))] = ("link", os.readlink(path))
        elif path.is_file():
            found[str(path.relative_to(folder))] = path.read_bytes()
        else:
            found[str(path.relative_to(folder))] = stat.S_IFMT(path.lstat().st_mode)
    return found


@pytest.mark.parametrize("case", list(BAD_LIMITS))
def test_cli_limits_dates_signal_and_special_files_exit_2_with_one_line(case, tmp_path,
                                                                        monkeypatch, capsys):
    """Each case from issue 19: one line naming the value and what is allowed, nothing run
    or written. Before: 10^6 rows, 1e7 days per period and 10^9 replicates hung; 1e300 days
    and values of 1e308 gave tracebacks; monthly 01/MM/2020 dates were read as 12 days; all-0
    data was "fitted" at scale 0; a FIFO, /dev/stdin or a link loop was "not found"."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(Runner, "run", lambda *a, **k: pytest.fail("ran"))
    data, arguments, words = BAD_LIMITS[case]
    name = "data.csv"
    if isinstance(data, Path):
        name = str(data)
    elif callable(data):
        data(tmp_path / name)
    else:
        (tmp_path / name).write_text(data)
    before = everything_under(tmp_path)
    code = cli.main(["calibrate", name, "--config", str(BASS), *LIMIT_FITS, *arguments,
                     "--out", "out"])
    assert_refused(code, capsys.readouterr(), words, tmp_path / "out")
    assert everything_under(tmp_path) == before


BAD_API_LIMITS = {
    "bootstrap": ({"bootstrap": 10**9}, ["bootstrap = 1000000000", f"{MAX_BOOTSTRAP:,}"]),
    "profile_points": ({"profile_points": 10**9}, ["profile_points = 1000000000"]),
    "replicates_float": ({"replicates": 2.5}, ["replicates = 2.5", "integer"]),
    "level_text": ({"level": "high"}, ["level = 'high'", "between 0 and 1"]),
    "scale_text": ({"scale": "big"}, ["scale = 'big'", "positive"]),
    "scale_1e308": ({"scale": 1e308}, ["scale = 1e+308", f"{MAX_VALUE:g}"]),
    "days_per_period_text": ({"days_per_period": "6"}, ["days_per_period = '6'"]),
    "too_many_observations": ({"observed": pd.Series(np.arange(1.0, MAX_OBSERVATIONS + 2))},
                              [f"more than {MAX_OBSERVATIONS:,} rows"]),
    "too_many_keys": ({"parameters": {f"events.{i}.strength": (1.0, 2.0) for i in range(9)}},
                      ["9 keys", "at most 8"]),
    "not_numbers": ({"observed": ["a", "b", "c", "d"]}, ["list", "not a sequence of numbers"]),
    "date_format_on_a_series": ({"observed": pd.Series([1.0, 2, 3, 4, 5],
                                                       index=["01/01/2020", "01/02/2020",
                                                              "01/03/2020", "01/04/2020",
                                                              "2020-05-01"]),
                                 "days_per_period": None, "date_format": "%d/%m/%Y"},
                                ["'2020-05-01'", "row 5", "--date-format '%d/%m/%Y'"]),
}


@pytest.mark.parametrize("case", list(BAD_API_LIMITS))
def test_api_limits_are_one_config_error_before_any_run(case, monkeypatch):
    refused_before_any_run(monkeypatch, *BAD_API_LIMITS[case])


DAYS_6 = pd.date_range("2024-01-01", periods=6, freq="D")
SAME_BAD_SERIES = {  # one reader (simulation.analysis.series): each defect, one message
    "nan": ([5.0, 9, np.nan, 12, 7, 3], {}),
    "infinite": (pd.Series([5.0, 9, np.inf, 12, 7, 3], name="sales"), {}),
    "negative": ([5.0, 9, -3, 12, 7, 3], {}),
    "too_large": ([5.0, 9, 1e308, 12, 7, 3], {}),
    "too_many_rows": (np.ones(MAX_OBSERVATIONS + 1), {}),
    "not_numbers": (["a", "b", "c", "d", "e", "f"], {}),
    "text_column": (pd.Series(list("abcdef"), name="sales"), {}),
    "two_dimensional": (np.ones((6, 2)), {}),
    "two_numeric_columns": (pd.DataFrame({"year": range(1, 7), "sales": [1.0, 2, 3, 4, 3, 2]}),
                            {}),
    "gap_in_periods": (pd.Series([1.0, 3, 4, 2, 1, 1], index=pd.Index([1, 2, 4, 5, 6, 7],
                                                                       name="year")), {}),
    "periods_out_of_order": (pd.Series([1.0, 3, 4, 2, 1, 1], index=[2, 1, 3, 4, 5, 6]), {}),
    "date_twice": (pd.Series([1.0, 3, 4, 2, 1, 1], index=DAYS_6[[0, 1, 1, 2, 3, 4]]), {}),
    "dates_out_of_order": (pd.Series([1.0, 3, 4, 2, 1, 1], index=DAYS_6[[0, 2, 1, 3, 4, 5]]),
                           {}),
    "falling_cumulative": (pd.Series([1.0, 5, 4, 6, 8, 9], name="accounts"),
                           {"cumulative": True}),
    "all_zero": ([0.0] * 6, {}),
    "all_zero_named": (pd.Series([0.0] * 6, name="sales"), {}),
}


@pytest.mark.parametrize("case", list(SAME_BAD_SERIES))
def test_fit_bass_and_calibrate_refuse_a_bad_series_with_the_same_message(case, monkeypatch):
    """Before one reader, NaN was "finite numbers; NaN or infinite at position(s) 2" from
    fit_bass and "values must be finite ... row 3" from calibrate; gaps and disorder in the
    periods passed calibrate silently."""
    monkeypatch.setattr(Runner, "run", lambda *a, **k: pytest.fail("ran"))
    series, settings = SAME_BAD_SERIES[case]
    with pytest.raises(ConfigError) as from_bass:
        simulation.fit_bass(series, **settings)
    with pytest.raises(ConfigError) as from_calibrate:
        calibrate(series, simulation.load_config(BASS, SMALL), BOUNDS, days_per_period=2,
                  **settings)
    message = str(from_bass.value)
    assert message == str(from_calibrate.value)
    assert message.startswith("observed series") and "\n" not in message
    print(case, "→", message)


def test_fit_bass_reads_a_data_file_as_calibrate_does(tmp_path):
    """The same CSV: read alike, and refused alike (naming the file)."""
    path = tmp_path / "sales.csv"
    path.write_text("year,sales\n1,10\n2,30\n3,-2\n4,80\n5,70\n6,50\n")
    with pytest.raises(ConfigError) as from_bass:
        simulation.fit_bass(path)
    with pytest.raises(ConfigError) as from_calibrate:
        calibrate(path, simulation.load_config(BASS, SMALL), BOUNDS, days_per_period=2)
    assert str(from_bass.value) == str(from_calibrate.value)
    assert str(from_bass.value).startswith(f"data file {str(path)!r}: ")
    assert "row 3 of 'sales' is -2.0" in str(from_bass.value)


def test_monthly_dates_are_read_as_months_iso_or_with_a_date_format(tmp_path):
    """ISO dates and day-first dates with --date-format are one month apart, not one day."""
    (tmp_path / "iso.csv").write_text(MONTHS_ISO)
    (tmp_path / "dmy.csv").write_text(MONTHS_DMY)
    months = pd.date_range("2020-01-01", periods=12, freq="MS")
    for path, date_format in ((tmp_path / "iso.csv", None), (tmp_path / "dmy.csv", "%d/%m/%Y")):
        problem, data = _validate_only(path, date_format=date_format)
        assert list(data.index) == list(months)
        steps = np.diff(problem.observation_days(np.array([0.3])))
        np.testing.assert_allclose(steps, 365.25 / 12)  # a regular monthly step: periods
        problem, data = _validate_only(path, date_format=date_format, launch="2019-12-01")
        days = np.diff(data.days)  # placed on their days since the launch
        assert days.min() >= 29 and days.max() <= 31, days
        assert data.days[0] == 31
    # the same file read month-first is 12 consecutive days in January: that is what was
    # read silently before; now only an explicit --date-format %m/%d/%Y reads it so
    problem, data = _validate_only(tmp_path / "dmy.csv", date_format="%m/%d/%Y")
    np.testing.assert_allclose(np.diff(problem.observation_days(np.array([0.3]))), 1.0)
    with pytest.raises(ConfigError, match="ambiguous"):
        _validate_only(tmp_path / "dmy.csv")


def test_a_launch_is_read_in_the_date_format():
    from simulation.analysis.calibrate import _check_launch

    assert _check_launch("01/12/2019", "%d/%m/%Y") == pd.Timestamp("2019-12-01")
    assert _check_launch("2019-12-01", "%d/%m/%Y") == pd.Timestamp("2019-12-01")  # ISO too
    with pytest.raises(ConfigError, match="YYYY-MM-DD"):
        _check_launch("01/12/2019")


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc (Linux)")
def test_stdin_is_read_from_a_file_and_refused_from_a_pipe(tmp_path):
    """/dev/stdin is /proc/self/fd/0: a file redirected there (< data.csv) is read; a pipe is
    refused with its reason (it can be read once, and with no writer it waits forever)."""
    (tmp_path / "data.csv").write_text(PERIODS)
    with (tmp_path / "data.csv").open() as file:
        assert check_data_file(f"/proc/self/fd/{file.fileno()}").is_file()
    read, write = os.pipe()
    try:
        with pytest.raises(ConfigError, match="named pipe"):
            check_data_file(f"/proc/self/fd/{read}")
    finally:
        os.close(read)
        os.close(write)


def test_piped_stdin_is_refused_end_to_end(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "simulation", "calibrate", "/dev/stdin", "--config", str(BASS),
         *LIMIT_FITS, "--days-per-period", "6", "--out", "out"], input=PERIODS, text=True,
        capture_output=True, cwd=tmp_path, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "'/dev/stdin'" in lines[0] and "named pipe" in lines[0]
    assert not (tmp_path / "out").exists()


def test_failed_simulations_are_one_line_and_exit_1(tmp_path, monkeypatch, capsys):
    """Runs that fail (here: every one, as when memory runs short) end in one line, not a
    RuntimeError traceback, and nothing is written."""
    def failing(*args, **kwargs):
        raise RuntimeError("calibrate: 16 of 16 runs failed; first: replicate 0: MemoryError")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(Runner, "run", failing)
    (tmp_path / "data.csv").write_text(PERIODS)
    code = cli.main(["calibrate", "data.csv", "--config", str(BASS), *LIMIT_FITS,
                     "--days-per-period", "6", "--out", "out"])
    captured = capsys.readouterr()
    assert code == 1, captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "16 of 16 runs failed" in lines[0] and "nothing was written" in (
        lines[0])
    assert sorted(os.listdir(tmp_path)) == ["data.csv"]
