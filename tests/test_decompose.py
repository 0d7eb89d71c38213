"""decompose: expansion + acceleration = adopter-days gained, per replicate, exactly."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import simulation  # noqa: E402
from simulation.analysis.decompose import PARTS, _counterfactual, parts_of  # noqa: E402
from tests.conftest import CONFIGS  # noqa: E402

TINY = {"population.followers": 3000, "population.influencers": 80, "horizon_days": 60,
        "population.market_size": 4_000_000}  # 80 influencers reach most of a small market


@pytest.fixture(scope="module")
def flat_fee():
    return simulation.load_config(CONFIGS / "schemes" / "flat_fee.toml", TINY)


@pytest.fixture(scope="module")
def paid(flat_fee):
    return simulation.decompose(flat_fee, "none", replicates=5, seed=4)


def test_parts_of_hand_computed_curves():
    # adopters 1-2 come one and two days earlier (3 adopter-days), adopters 3-4 are
    # extra from day 2 to day 3 (2 + 2 = 4 adopter-days); 7 in all
    parts = parts_of(np.array([[0, 2, 4, 4]]), np.array([[0, 0, 1, 2]]))
    assert parts["acceleration"][0] == 3 and parts["expansion"][0] == 4
    assert parts["adopter_days_gained"][0] == 7 and parts["extra_adopters"][0] == 2
    assert parts["days_earlier"][0] == 1.5
    # a plan that loses and delays adopters: both parts negative, still adding up
    slow = parts_of(np.array([[0, 0, 1, 2]]), np.array([[0, 2, 4, 4]]))
    assert slow["acceleration"][0] == -3 and slow["expansion"][0] == -4


def test_parts_add_up_to_the_paired_difference_per_replicate(paid):
    parts = paid.parts
    assert len(parts) == 5 and parts["seed"].nunique() == 5
    np.testing.assert_allclose(parts["expansion"] + parts["acceleration"],
                               parts["adopter_days_gained"], rtol=1e-12)
    # the paired difference in total adopter-days, computed from the daily tables
    totals = paid.timeseries.groupby(["world", "replicate"])["adopters"].sum()
    paired = (totals["plan"] - totals["counterfactual"]).sort_index()
    np.testing.assert_allclose(parts.set_index("replicate")["adopter_days_gained"], paired,
                               rtol=1e-12)
    horizon = paid.timeseries[paid.timeseries["day"] == TINY["horizon_days"]]
    ends = horizon.set_index(["world", "replicate"])["adopters"]
    np.testing.assert_allclose(parts["extra_adopters"],
                               (ends["plan"] - ends["counterfactual"]).sort_index(), rtol=1e-12)


def test_flat_fee_against_no_payouts_expands(paid):
    assert paid.value("expansion", "low") > 0
    assert paid.value("extra_adopters", "low") > 0
    assert paid.value("adopter_days_gained") > paid.value("expansion") > 0
    assert set(paid.table["metric"]) == set(PARTS)
    row = paid.table[paid.table["metric"] == "expansion"].iloc[0]
    assert row["low"] <= row["mean"] <= row["high"] and row["n"] == 5


def test_cost_per_incremental_adopter_is_spend_over_extra_adopters(paid):
    parts = paid.parts
    plan = paid.runs[paid.runs["world"] == "plan"].set_index("replicate")
    np.testing.assert_allclose(parts["spend"], plan["spark.total_spend"].sort_index())
    assert (parts["spend"] > 0).all()
    np.testing.assert_allclose(parts["cost_per_incremental_adopter"],
                               parts["spend"] / parts["extra_adopters"])
    np.testing.assert_allclose(parts["cost_per_adopter_day"],
                               parts["spend"] / parts["adopter_days_gained"])
    assert paid.value("cost_per_incremental_adopter") == pytest.approx(
        parts["cost_per_incremental_adopter"].mean())


def test_a_plan_against_itself_gains_nothing(flat_fee):
    same = simulation.decompose(flat_fee, flat_fee, replicates=2, seed=1)
    for metric in ("extra_adopters", "adopter_days_gained", "expansion", "acceleration",
                   "spend", "extra_active_users_end"):
        assert (same.parts[metric] == 0).all(), metric
    assert same.table.set_index("metric").loc["cost_per_incremental_adopter", "n"] == 0


def test_figure_shades_both_areas(paid):
    figure = paid.figure()
    left = figure.axes[0]
    assert [c.get_label() for c in left.collections] == ["acceleration", "expansion"]
    plt.close(figure)


def test_named_counterfactuals_remove_one_scheme():
    baseline = simulation.load_config(CONFIGS / "baseline.toml", TINY)
    without_fee, words = _counterfactual(baseline, "flat_fee")
    assert words == "no flat fee"
    assert [p.flat_fee for p in without_fee.platforms[0].phases] == [None, None]
    assert without_fee.platforms[0].phases[1].commission.rate == 0.04
    nothing, _ = _counterfactual(baseline, "none")
    assert nothing.platforms[0].phases == []
    assert nothing.platforms[0].invitation == baseline.platforms[0].invitation
    cheaper, _ = _counterfactual(baseline, {"platforms.0.phases.0.flat_fee.fee": 5.0})
    assert cheaper.platforms[0].phases[0].flat_fee.fee == 5.0


@pytest.mark.parametrize("without, words", [
    ("nothing", "unknown counterfactual"),
    ("per_view", "the plan pays no per_view"),
    ({"adoption.imitaton": 0.1}, "unknown key 'adoption.imitaton'"),
    (3, "unknown counterfactual"),
])
def test_bad_counterfactual_is_a_config_error(flat_fee, without, words):
    with pytest.raises(simulation.ConfigError, match="without|imitaton") as caught:
        simulation.decompose(flat_fee, without, replicates=1)
    assert words in str(caught.value)


def test_unknown_platform_is_a_config_error(flat_fee):
    with pytest.raises(simulation.ConfigError, match="platform = 'vidsy'.*allowed: spark"):
        simulation.decompose(flat_fee, platform="vidsy", replicates=1)
