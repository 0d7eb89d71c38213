"""Saying what is known: rounded numbers, bounded intervals, verdicts and the adaptive rule."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import simulation
from simulation.analysis.compare import RANGES
from simulation.analysis.verdicts import Until, judge, verdicts
from simulation.plots import format_estimate, format_quantity, round_estimate
from simulation.stats import replicates_needed, t_interval
from tests.conftest import CONFIGS

TINY = {"population.followers": 5_000, "population.influencers": 80, "horizon_days": 60}


def tiny(name, **extra):
    return simulation.load_config(CONFIGS / "schemes" / f"{name}.toml", {**TINY, **extra})


# --- numbers rounded to what they are known to ----------------------------------------------


@pytest.mark.parametrize("value, low, high, unit, sign, text", [
    (120195, -581638, 822028, "people", True, "+100k people (95% -600k to +800k)"),
    (6559167, 6500000, 6610000, "people", False, "6.56M people (95% 6.50M to 6.61M)"),
    (6559167, math.nan, math.nan, "people", False, "6.56M people"),
    (4806166, math.nan, math.nan, "$", False, "$4.81M"),
    (200000, 1000, 400000, "$", True, "+$200k (95% $0 to +$400k)"),
    (0.642, math.nan, math.nan, "$ per adopter", False, "$0.642 per adopter"),
    (1500, math.nan, math.nan, "$/day", False, "$1,500/day"),
    (0.0881, math.nan, math.nan, "share of people", False, "8.81%"),
    (0.0052, 0.003, 0.0074, "share of people", True, "+0.5 pp (95% +0.3 to +0.7)"),
    (1.0, 0.0, 5.3, "influencers", False, "1 influencers (95% 0 to 5)"),
    (12.3456, 12.1, 12.6, "days", False, "12.3 days (95% 12.1 to 12.6)"),
    (-1234567.0, math.nan, math.nan, "$", False, "-$1.23M"),
])
def test_format_estimate_rounds_to_what_the_interval_supports(value, low, high, unit, sign,
                                                               text):
    assert format_estimate(value, low, high, unit, sign=sign) == text


def significant_figures(number: float) -> int:
    digits = f"{abs(number):.12e}".split("e")[0].replace(".", "").rstrip("0")
    return max(len(digits), 1)


@pytest.mark.parametrize("seed", range(5))
def test_shown_numbers_never_have_more_than_three_significant_figures(seed):
    rng = np.random.default_rng(seed)
    for _ in range(200):
        value = float(rng.lognormal(rng.uniform(-3, 16), 1)) * rng.choice([-1, 1])
        half = abs(value) * float(rng.uniform(0.0001, 3))
        for rounded in round_estimate(value, value - half, value + half):
            if rounded != 0:
                assert significant_figures(rounded) <= 3, (value, half, rounded)
        assert significant_figures(round_estimate(value)[0]) <= 3


def test_quantity_of_zero_and_of_nothing():
    assert format_quantity(0.0, "people") == "0 people"
    assert format_quantity(math.nan, "people") == "–"
    assert format_estimate(math.nan, 1, 2, "$") == "–"


# --- intervals that respect bounds ----------------------------------------------------------


def test_a_count_interval_is_cut_at_zero_and_a_share_at_one():
    mean, low, high = t_interval([0.0, 0.0, 3.0])
    assert low < 0  # the plain t-interval: "influencers recruited 1 [-3.3, 5.3]"
    assert t_interval([0.0, 0.0, 3.0], bounds=(0, None)) == (mean, 0.0, pytest.approx(high))
    _, low, high = t_interval([0.99, 1.0, 0.9], bounds=(0, 1))
    assert 0 <= low and high == 1.0


def test_the_cut_keeps_the_t_intervals_coverage():
    """Counts near zero (Poisson mean 0.8, 3 replicates): the cut interval covers the mean as
    often as the t-interval, since the part it drops never holds a mean of counts."""
    rng = np.random.default_rng(3)
    draws = rng.poisson(0.8, size=(4000, 3)).astype(float)
    plain = np.array([t_interval(row)[1:] for row in draws])
    cut = np.array([t_interval(row, bounds=(0, None))[1:] for row in draws])
    valid = ~np.isnan(plain[:, 0])
    covers = lambda iv: (iv[valid, 0] <= 0.8) & (0.8 <= iv[valid, 1])  # noqa: E731
    np.testing.assert_array_equal(covers(plain), covers(cut))
    assert (cut[valid, 0] >= 0).all()


def test_comparison_intervals_of_counts_and_money_are_never_negative():
    result = simulation.compare({"none": tiny("none"), "flat": tiny("flat_fee")},
                                replicates=3, seed=4)
    table = result.table
    for metric, (floor, ceiling) in RANGES.items():
        rows = table[(table["metric"] == metric) & table["low"].notna()]
        assert (rows["low"] >= floor).all(), metric
        if ceiling is not None:
            assert (rows["high"] <= ceiling).all(), metric


# --- verdicts -----------------------------------------------------------------------------


def test_judge_says_higher_lower_same_within_or_cant_tell():
    assert judge(5, 3.0, 1.0, 5.0, None) == ("higher", None)
    assert judge(5, -3.0, -5.0, -1.0, None) == ("lower", None)
    assert judge(5, 0.0, 0.0, 0.0, None) == ("same", None)
    assert judge(5, 0.5, -1.0, 2.0, precision=2.0) == ("within", None)
    verdict, needed = judge(5, 0.5, -1.0, 2.0, None)
    assert verdict == "can't tell yet" and needed > 5


def test_replicates_needed_solves_the_t_half_width():
    from scipy import stats

    n = replicates_needed(10.0, 2.0)
    width = lambda k: stats.t.ppf(0.975, k - 1) * 10 / math.sqrt(k)  # noqa: E731
    assert width(n) <= 2.0 < width(n - 1)
    assert replicates_needed(0.0, 1.0) == 2
    assert replicates_needed(1.0, 0.0) is None
    assert replicates_needed(1e9, 1.0, most=100) is None


def test_a_near_tie_at_three_replicates_says_cant_tell_yet_and_what_would_settle_it():
    """A fee 2% higher is a near-tie: at 3 replicates the verdict says so, in words."""
    plans = {"fee 10": tiny("flat_fee"),
             "fee 10.2": tiny("flat_fee", **{"platforms.0.phases.0.flat_fee.fee": 10.2})}
    result = simulation.compare(plans, replicates=3, seed=0)
    judged = result.verdicts("active_users_end").iloc[0]
    assert judged["verdict"] == "can't tell yet" and not judged["settled"]
    assert judged["diff_low"] < 0 < judged["diff_high"]
    assert judged["replicates_needed"] > 3
    assert "can't tell yet: about" in judged["text"] and "replicates" in judged["text"]
    assert "can't tell yet" in result.summary("active_users_end")


def test_identical_plans_are_the_same_in_every_replicate():
    result = simulation.compare({"a": tiny("none"), "b": tiny("none")}, replicates=3, seed=1)
    judged = result.verdicts("adopters_end").iloc[0]
    assert judged["verdict"] == "same" and judged["settled"]


def test_verdicts_name_a_bad_metric_or_platform():
    table = pd.DataFrame({"scenario": ["a", "b"], "platform": "spark",
                          "metric": "active_users_end", "n": 3, "mean": 1.0, "diff": 0.0,
                          "diff_low": 0.0, "diff_high": 0.0})
    with pytest.raises(simulation.ConfigError, match="not a summary metric"):
        verdicts(table, "a", "active_users")
    with pytest.raises(simulation.ConfigError, match="platform = 'myspace'"):
        verdicts(table, "a", "active_users_end", platform="myspace")


# --- the adaptive rule --------------------------------------------------------------------


def test_replicates_grow_until_the_interval_excludes_zero_and_stop_there():
    """From 2 replicates, batches until flat fees' extra adopters exclude zero: the interval
    there excludes zero, the batch before did not, and the numbers are compare's at that n."""
    plans = {"none": tiny("none"), "flat": tiny("flat_fee")}
    result = simulation.compare(plans, replicates=2, seed=11,
                                until=Until("adopters_end", max_runs=60))
    n = result.replicates
    judged = result.verdicts().iloc[0]
    assert judged["verdict"] == "higher" and judged["diff_low"] > 0
    assert result.stopped.startswith(f"settled after {n} replicates")
    again = simulation.compare(plans, replicates=n, seed=11)
    pd.testing.assert_frame_equal(result.table, again.table)
    pd.testing.assert_frame_equal(result.runs, again.runs)
    pd.testing.assert_frame_equal(result.timeseries, again.timeseries)
    if n > 2:  # it stopped at the first batch that settled it
        batches = sorted(set(range(2, n)) & {2, 4, 8, 16})
        earlier = simulation.compare(plans, replicates=batches[-1], seed=11)
        assert earlier.verdicts("adopters_end").iloc[0]["verdict"] == "can't tell yet"


def test_the_run_budget_ends_with_cant_tell_yet_and_how_many_would_settle_it():
    plans = {"fee 10": tiny("flat_fee"),
             "fee 10.2": tiny("flat_fee", **{"platforms.0.phases.0.flat_fee.fee": 10.2})}
    result = simulation.compare(plans, replicates=3, seed=0,
                                until=Until("active_users_end", max_runs=10))
    assert result.replicates == 5  # 10 runs of 2 scenarios
    assert result.stopped.startswith("stopped at the run budget")
    judged = result.verdicts().iloc[0]
    assert judged["verdict"] == "can't tell yet"


def test_a_precision_settles_a_near_tie_as_no_difference_that_matters():
    plans = {"fee 10": tiny("flat_fee"),
             "fee 10.2": tiny("flat_fee", **{"platforms.0.phases.0.flat_fee.fee": 10.2})}
    result = simulation.compare(plans, replicates=3, seed=0,
                                until=Until("active_users_end", precision="50%", max_runs=40))
    judged = result.verdicts().iloc[0]
    assert judged["settled"]
    if judged["verdict"] == "within":
        assert "no difference beyond" in judged["text"]


def test_until_checks_its_values():
    for bad, match in (({"metric": "nope"}, "not a summary metric"),
                       ({"precision": -1}, "positive number"),
                       ({"precision": "five"}, "5%"),
                       ({"max_runs": 1}, "from 2 to"),
                       ({"maxruns": 3}, "unknown keys")):
        with pytest.raises(simulation.ConfigError, match=match):
            Until.of(bad)
    with pytest.raises(simulation.ConfigError, match="below the first batch"):
        simulation.compare({"a": tiny("none"), "b": tiny("none")}, replicates=5,
                           until=Until(max_runs=4))
    assert Until.of("adopters_end") == Until("adopters_end")
