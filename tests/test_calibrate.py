"""calibrate: fitting config parameters and the population scale to an observed series.

Recovery: a series simulated from known parameters at one seed (the Bass
reduction, configs/bass.toml at 5 000 people) is fitted from other seeds;
the estimates must be near the truth and the truth inside the intervals.
Then determinism, the input contract, and the CLI end to end.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

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
    assert observed.idxmax() == 14 and observed.iloc[-1] < observed.max() / 10  # up, then down
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
    monkeypatch.setattr(sys.modules["simulation.analysis.calibrate"], "run_many",
                        lambda *a, **k: pytest.fail("ran"))
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


def _validate_only(series: pd.Series, **settings):
    from simulation.analysis.calibrate import _validate

    arguments = {"target": "adopters", "cumulative": False, "days_per_period": None,
                 "launch": None, "holdout": 0, "scale": None, "platform": None,
                 "replicates": 2, "trials": 8, "seed": 0, "workers": 1, "client": None,
                 "bootstrap": 10, "level": 0.95, **settings}
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
