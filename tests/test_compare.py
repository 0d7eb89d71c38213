"""Paired comparison on common random numbers: simulation.compare and its helpers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import simulation
from simulation.analysis.compare import Comparison, paired_table
from simulation.model.tiers import tier_timeseries
from simulation.runs.runner import Runner, Runs
from simulation.stats import t_interval
from tests.conftest import CONFIGS

TINY = {"population.followers": 10_000, "population.influencers": 150, "horizon_days": 60}
REPLICATES = 3


def tiny(name, **extra):
    return simulation.load_config(CONFIGS / "schemes" / f"{name}.toml", {**TINY, **extra})


@pytest.fixture(scope="module")
def result() -> Comparison:
    none = tiny("none")
    return simulation.compare({"none": none, "none again": none, "flat fee": tiny("flat_fee")},
                              replicates=REPLICATES, seed=7)


def rows(table, scenario):
    return table[(table["scenario"] == scenario) & (table["n"] > 0)
                 & (table["metric"] != "cost_per_incremental_adopter")]  # a ratio: no diff


def test_table_shape_and_columns(result):
    table = result.table
    assert list(table.columns) == ["scenario", "platform", "metric", "n", "mean", "low", "high",
                                   "diff", "diff_low", "diff_high", "reference"]
    assert set(table["metric"]) == {*simulation.SUMMARY_KEYS, "cost_per_incremental_adopter"}
    assert len(table) == 3 * (len(simulation.SUMMARY_KEYS) + 1)  # one platform
    assert (table["reference"] == "none").all()
    assert len(result.runs) == 3 * REPLICATES and (result.runs["status"] == "ok").all()
    assert list(result.runs["scenario"].unique()) == ["none", "none again", "flat fee"]
    assert set(result.timeseries["scenario"]) == {"none", "none again", "flat fee"}
    assert len(result.timeseries) == 3 * REPLICATES * (TINY["horizon_days"] + 1)


def test_reference_difference_is_zero(result):
    own = rows(result.table, "none")
    assert (own["diff"] == 0).all() and (own["diff_low"] == 0).all()
    assert (own["diff_high"] == 0).all()


def test_same_scenario_under_another_name_differs_by_exactly_zero(result):
    again = rows(result.table, "none again").set_index("metric")
    assert len(again) > 5
    assert (again["diff"] == 0).all()
    assert (again["diff_low"] == again["diff_high"]).all()  # zero width
    assert (again["diff_high"] == 0).all()
    reference = rows(result.table, "none").set_index("metric")
    pd.testing.assert_series_equal(again["mean"], reference["mean"])


def test_paired_difference_is_the_mean_of_per_replicate_differences(result):
    runs = result.runs
    flat = runs[runs["scenario"] == "flat fee"].set_index("replicate")
    none = runs[runs["scenario"] == "none"].set_index("replicate")
    table = result.table.set_index(["scenario", "metric"])
    for metric in ("adoption_share_end", "active_users_end", "peak_active_users", "gmv_total"):
        column = f"spark.{metric}"
        differences = (flat[column] - none[column]).to_numpy()
        row = table.loc[("flat fee", metric)]
        half = (stats.t.ppf(0.975, REPLICATES - 1) * differences.std(ddof=1)
                / np.sqrt(REPLICATES))
        assert row["diff"] == pytest.approx(differences.mean())
        assert row["diff_low"] == pytest.approx(differences.mean() - half)
        assert row["diff_high"] == pytest.approx(differences.mean() + half)
        values = flat[column].to_numpy()
        assert row["mean"] == pytest.approx(values.mean())
        spread = stats.t.ppf(0.975, REPLICATES - 1) * values.std(ddof=1) / np.sqrt(REPLICATES)
        assert row["high"] - row["low"] == pytest.approx(2 * spread)


def test_flat_fee_recruits_more_influencers_than_none(result):
    row = result.table.set_index(["scenario", "metric"]).loc[("flat fee", "influencers_joined")]
    assert row["diff"] > 0 and row["diff_low"] > 0
    assert result.value("flat fee", "influencers_joined", "diff") == row["diff"]


def test_wide_view(result):
    wide = result.wide("diff")
    assert list(wide.index) == ["none", "none again", "flat fee"]
    assert wide.loc["flat fee", "influencers_joined"] > 0


def test_overrides_and_list_scenarios():
    # one fee for every tier: the 200 invited are the market's largest, none of them nano
    base = tiny("flat_fee", horizon_days=30, **{"platforms.0.phases.0.flat_fee.tier_fees": {}})
    fee = "platforms.0.phases.0.flat_fee.fee"
    result = simulation.compare([{fee: 5.0}, {fee: 40.0}], replicates=2, base=base,
                                metrics=["total_spend", "influencers_joined"])
    assert result.scenarios == [f"{fee}=5.0", f"{fee}=40.0"]
    assert set(result.table["metric"]) == {"total_spend", "influencers_joined"}
    assert fee in result.runs.columns  # the override is a column of the runs table
    spend = result.table.set_index(["scenario", "metric"])["diff"]
    assert spend[(f"{fee}=40.0", "total_spend")] > 0


def test_errors():
    none = tiny("none")
    with pytest.raises(simulation.ConfigError, match="reference"):
        simulation.compare({"a": none}, replicates=1, reference="b")
    with pytest.raises(simulation.ConfigError, match="unique"):
        simulation.compare([none, none], replicates=1)
    with pytest.raises(simulation.ConfigError, match="unknown"):
        simulation.compare({"a": none}, replicates=1, metrics=["adopters_typo"])


def test_a_failed_run_is_an_error(monkeypatch):
    def failing(runner, scenarios, **_):
        runs = pd.DataFrame({"run_id": [0, 1], "point": [0, 1], "replicate": [0, 0],
                             "seed": [1, 1], "spark.total_spend": [1.0, np.nan],
                             "status": ["ok", "failed"], "error": [None, "boom"]})
        return Runs(runs, None)

    monkeypatch.setattr(Runner, "run", failing)
    none = tiny("none")
    with pytest.raises(RuntimeError, match="1 of 2 runs failed.*'b'.*boom"):
        simulation.compare({"a": none, "b": none}, replicates=1)


def test_paired_table_on_derived_metrics_and_absent_platforms():
    runs = pd.DataFrame({
        "scenario": ["both", "both", "a alone", "a alone"],
        "replicate": [0, 1, 0, 1],
        "adoption.imitation": [0.1, 0.1, 0.2, 0.2],  # an override column: not a metric
        "a.total_spend": [1.0, 3.0, 2.0, 5.0],
        "b.total_spend": [4.0, 4.0, np.nan, np.nan],  # b is absent when a is alone
        "a.per_dollar": [10.0, 20.0, 12.0, 21.0],  # a derived metric
    })
    table = paired_table(runs, "both")
    assert set(table["platform"]) == {"a", "b"}
    assert not (table["platform"] == "adoption").any()
    assert set(zip(table["scenario"], table["platform"], strict=True)) == {
        ("both", "a"), ("a alone", "a"), ("both", "b")}
    derived = table.set_index(["scenario", "metric"]).loc[("a alone", "per_dollar")]
    assert derived["diff"] == pytest.approx(1.5)  # (12 - 10 + 21 - 20) / 2
    assert derived["mean"] == pytest.approx(16.5)


def test_t_interval():
    mean, low, high = t_interval([1.0, 2.0, 3.0])
    assert mean == 2.0
    assert high - mean == pytest.approx(stats.t.ppf(0.975, 2) * 1.0 / np.sqrt(3))
    assert t_interval([4.0, 4.0]) == (4.0, 4.0, 4.0)
    single = t_interval([5.0])
    assert single[0] == 5.0 and np.isnan(single[1]) and np.isnan(single[2])
    assert all(np.isnan(v) for v in t_interval([]))


def test_tier_timeseries_adds_up_to_the_daily_table():
    config = tiny("rival")
    tiers = tier_timeseries(config, seed=3)
    assert list(tiers.columns) == ["day", "platform", "tier", "invited", "joined", "active"]
    daily = simulation.run(config, seed=3).timeseries
    totals = tiers.groupby(["day", "platform"], sort=False)[["joined", "active"]].sum()
    totals = totals.reset_index()
    assert (totals["platform"].to_numpy() == daily["platform"].to_numpy()).all()
    assert (totals["joined"].to_numpy() == daily["joined_influencers"].to_numpy()).all()
    assert (totals["active"].to_numpy() == daily["active_influencers"].to_numpy()).all()
    invited = tiers[(tiers["day"] == 0) & (tiers["platform"] == "spark")]["invited"].sum()
    assert invited == config.platforms[0].invitation.top_k  # real creators, whatever the sample


def test_cost_per_incremental_adopter_is_extra_spend_over_extra_adopters(result):
    """Against the reference: the mean paired extra spend ÷ the mean paired extra adopters,
    not spend ÷ all adopters (which counts those who would have come anyway)."""
    runs = result.runs.set_index(["scenario", "replicate"])
    extra = {key: (runs.loc["flat fee", f"spark.{key}"] - runs.loc["none", f"spark.{key}"])
             for key in ("total_spend", "adopters_end")}
    row = result.table[(result.table["scenario"] == "flat fee")
                       & (result.table["metric"] == "cost_per_incremental_adopter")].iloc[0]
    assert row["mean"] == pytest.approx(extra["total_spend"].mean()
                                        / extra["adopters_end"].mean())
    assert row["low"] <= row["mean"] <= row["high"]
    assert row["mean"] > result.value("flat fee", "cost_per_adopter")  # fewer adopters
    assert np.isnan(result.value("none again", "cost_per_incremental_adopter"))  # none extra
