"""Determinism, direction of effects, and the model as a Mesa model."""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
import pytest

import simulation
from simulation.model.influencers import Influencer
from simulation.model.population import ACTIVE
from tests.conftest import CONFIGS, small

BASELINE = CONFIGS / "baseline.toml"


def test_same_seed_same_table_other_seed_other_table():
    config = small(BASELINE)
    first = simulation.run(config, seed=11).timeseries
    again = simulation.run(config, seed=11).timeseries
    other = simulation.run(config, seed=12).timeseries
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other)


def test_seed_comes_from_config_when_not_given():
    config = small(BASELINE, seed=5)
    pd.testing.assert_frame_equal(simulation.run(config).timeseries,
                                  simulation.run(config, seed=5).timeseries)


def test_stepping_by_hand_equals_run():
    config = small(BASELINE)
    model = simulation.SparkModel(config, seed=3)
    for _ in range(config.horizon_days):
        model.step()
    assert not model.running
    model.step()  # past the horizon: nothing happens
    pd.testing.assert_frame_equal(model.timeseries, simulation.run(config, seed=3).timeseries)


def test_is_a_mesa_model_with_influencer_agents():
    config = small(BASELINE)
    model = simulation.SparkModel(config).run()
    assert isinstance(model, mesa.Model)
    assert len(model.agents) == config.population.influencers
    agents = model.agents_by_type[Influencer]
    mega = agents.select(lambda a: a.tier == "mega")
    assert all(a.audience > 1_000_000 for a in mega)
    joined = agents.select(lambda a: any(a.joined.values()) or a.followers_in_sample >= 0)
    assert len(joined) == config.population.influencers
    assert agents.agg("cost_per_post", max) >= agents.agg("cost_per_post", min)


def test_common_random_numbers_between_schemes():
    """With no influencer posting, two schemes see exactly the same people's draws."""
    none = small(CONFIGS / "schemes" / "none.toml", population__influencers=0)
    paid = small(CONFIGS / "schemes" / "commission.toml", population__influencers=0)
    a, b = simulation.run(none, seed=4).timeseries, simulation.run(paid, seed=4).timeseries
    assert a["adopters"].equals(b["adopters"])


def test_flat_fee_recruits_more_than_no_payout():
    results = {}
    for name in ("none", "flat_fee"):
        config = small(CONFIGS / "schemes" / f"{name}.toml")
        results[name] = simulation.run(config, seed=2).summary["spark"]
    assert results["flat_fee"]["influencers_joined"] > results["none"]["influencers_joined"]
    assert results["flat_fee"]["adoption_share_end"] > results["none"]["adoption_share_end"]
    assert results["flat_fee"]["total_spend"] > 0 == results["none"]["total_spend"]


def test_influence_raises_adoption_and_is_attributed():
    """Turning influence off (r = 0) lowers adoption. Then nothing is caused by promotion:
    the causal rule pays no bounty, while last touch still credits (and pays for)
    adopters who merely saw a post: the over-crediting of real programmes."""
    config = small(CONFIGS / "schemes" / "hybrid.toml")
    with_pull = simulation.run(config, seed=1)
    without = {rule: simulation.run(small(CONFIGS / "schemes" / "hybrid.toml",
                                          adoption__influence=0.0, attribution__rule=rule),
                                    seed=1) for rule in ("causal", "last_touch")}
    assert (with_pull.summary["spark"]["adoption_share_end"]
            > without["causal"].summary["spark"]["adoption_share_end"])
    assert with_pull.timeseries["spend_per_adopter"].sum() > 0
    assert without["causal"].timeseries["spend_per_adopter"].sum() == 0
    assert without["causal"].summary["spark"]["influenced_adopters"] == 0
    assert without["last_touch"].timeseries["spend_per_adopter"].sum() > 0


def test_churn_rises_when_content_dries_up():
    """More feed content, less churn: lapsed share falls as the feed baseline rises."""
    lapsed = []
    for feed in (0.0, 10.0):
        config = small(CONFIGS / "schemes" / "none.toml",
                       **{"platforms__0__feed_baseline": feed})
        end = simulation.run(config, seed=1).timeseries.iloc[-1]
        lapsed.append(end["lapsed_users"] / max(end["adopters"], 1))
    assert lapsed[1] < lapsed[0] / 2


def test_rival_platforms_compete():
    config = small(CONFIGS / "schemes" / "rival.toml")
    result = simulation.run(config, seed=1)
    assert set(result.timeseries["platform"]) == {"spark", "vidsy"}
    # attention is shared: people active on both leave sooner, so fewer multi-home
    both = []
    for cost in (0.0, 2.0):
        model = simulation.SparkModel(simulation.load_config(
            config, {"retention.attention_cost": cost}), seed=1)
        days = []
        while model.running:
            model.step()
            days.append(int((model.people.state == ACTIVE).all(axis=0).sum()))
        both.append(np.mean(days))
    assert both[1] < 0.8 * both[0], both


def test_invitation_policies():
    """Invitations count real creators: the 200 largest are 200, whatever the sample."""
    config = small(CONFIGS / "schemes" / "none.toml")
    model = simulation.SparkModel(config)
    audience, weight = model.influencers.audience, model.influencers.weight
    invited = model.platforms[0].invited
    tiers = model.influencers.tier
    assert weight[invited].sum() == 200
    assert audience[invited].min() >= audience[~invited].max()
    for policy, check in (
        ({"policy": "open"}, lambda inv, w: inv.all()),
        ({"policy": "random_share", "share": 0.5},
         lambda inv, w: 0.35 < w[inv].sum() / w.sum() < 0.65),
        ({"policy": "tiers", "tiers": {"macro": 1, "micro": 10}},
         lambda inv, w: w[inv].sum() == 11 and set(tiers[inv]) <= {1, 3}),
        ({"policy": "bottom_k", "top_k": 5000},
         lambda inv, w: w[inv].sum() == 5000 and audience[inv].max() <= audience[~inv].min()),
        ({"policy": "random_k", "top_k": 5000}, lambda inv, w: 0 < w[inv].sum() <= 5000),
    ):
        cfg = small(CONFIGS / "schemes" / "none.toml", platforms__0__invitation=policy)
        model = simulation.SparkModel(cfg)
        assert check(model.platforms[0].invited, model.influencers.weight), policy


def test_quitters_do_not_come_back():
    config = small(BASELINE)
    model = simulation.SparkModel(config)
    quit_before = np.zeros_like(model.influencers.quit)
    while model.running:
        model.step()
        assert not (quit_before & model.influencers.joined).any()
        quit_before = model.influencers.quit.copy()
    assert quit_before.any()


@pytest.mark.parametrize("kind", ["erdos_renyi", "watts_strogatz", "barabasi_albert",
                                  "powerlaw_cluster"])
def test_every_social_graph_kind_runs(kind):
    config = small(BASELINE, network__social__kind=kind, population__followers=3000,
                   horizon_days=60)
    summary = simulation.run(config, seed=1).summary["spark"]
    assert summary["adoption_share_end"] > 0


def test_finished_runs_are_freed():
    """Mesa < 3.4.2 keeps every model in a class-level dict; run() releases it."""
    import gc
    import weakref

    config = small(BASELINE, population__followers=2000, population__influencers=20,
                   horizon_days=5)
    model = simulation.SparkModel(config).run()
    model.release()
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None
    held = len(getattr(mesa.Agent, "_ids", {}))
    for _ in range(3):
        simulation.run(config)
    assert len(getattr(mesa.Agent, "_ids", {})) == held
