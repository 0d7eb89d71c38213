"""The creator market and its sample: creators sampled like the people (issue 21, item 1).

The market is a function of rank (tier counts, a power law between them); the sample holds
the largest creators one to one and the tail in strata of equal audience, each agent
standing for its weight of real creators. Everything an agent does counts its weight, so
answers do not depend on how many creators are simulated: the invariance test runs the
baseline and a year of paying the 200 largest at 1 000 and 4 000 simulated creators.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

import simulation
from simulation.model.creators import CreatorMarket, creator_cuts, sample_creators
from simulation.model.payouts import TIER_BOUNDS
from tests.conftest import CONFIGS

BASELINE = CONFIGS / "baseline.toml"
MARKET = CreatorMarket()


# --- the market as a function of rank ----------------------------------------------------


def test_the_market_holds_its_declared_counts_and_falls_with_rank():
    positions = np.linspace(0.5, MARKET.total, 20_001)
    audience = MARKET.audience_at(positions)
    assert (np.diff(audience) <= 0).all()  # larger creators first
    assert audience[0] == MARKET.largest_audience
    assert audience[-1] == pytest.approx(MARKET.min_audience)
    # G(x), the creators above x, is each tier's count plus those above at its bounds
    above = np.cumsum(MARKET.counts[::-1])[::-1]
    for bound, count in zip(TIER_BOUNDS, above[1:], strict=True):
        assert MARKET.creators_above(bound) == pytest.approx(count)
        assert MARKET.audience_at(np.array([float(count)]))[0] == pytest.approx(bound)


def test_the_cumulative_audience_is_the_integral_of_the_audience():
    for end in (0.5, 1.0, 3.0, 17.0, 100.0, 1_102.0, 5_000.0, float(MARKET.total)):
        points = np.concatenate([[0.0, 1.0], np.cumsum(MARKET.counts[::-1]).astype(float)])
        points = np.unique(np.clip(points, 0, end))
        exact = sum(integrate.quad(lambda u: MARKET.audience_at(np.array([u]))[0], a, b,
                                   limit=200)[0] for a, b in zip(points[:-1], points[1:],
                                                                  strict=True))
        got = MARKET.cumulative_audience(np.array([end]))[0]
        assert got == pytest.approx(exact, rel=1e-6), end


def test_a_steep_tier_integrates_without_overflow():
    """A tier that is a sliver of those above (a power near 10^6) stays finite."""
    market = CreatorMarket(nano=16_000, micro=10**9, mid=0, macro=0, mega=0,
                           largest_audience=99_000)
    total = market.total_audience
    assert math.isfinite(total) and total > 10**9 * 10_000


# --- the sample ------------------------------------------------------------------------------


def sample(agents: int, seed: int = 0, overrides: dict | None = None):
    config = simulation.load_config(BASELINE, {"population.influencers": agents,
                                               **(overrides or {})})
    market = config.population.creators
    return market, sample_creators(market, agents, creator_cuts(config),
                                   np.random.default_rng(seed))


@pytest.mark.parametrize("agents", [6, 50, 1000, 4000, 17_102])
def test_the_sample_stands_for_every_creator_and_keeps_tiers_and_invitations_exact(agents):
    market, drawn = sample(agents)
    assert len(drawn.weight) == agents
    assert drawn.weight.sum() == market.total  # every real creator, once
    assert (drawn.weight >= 1).all() and (drawn.weight == np.round(drawn.weight)).all()
    assert (drawn.last_rank - drawn.first_rank + 1 == drawn.weight).all()
    tiers = np.searchsorted(TIER_BOUNDS, drawn.audience, side="right")
    assert np.bincount(tiers, weights=drawn.weight, minlength=5).tolist() == \
        market.counts.tolist()  # the tier counts are exact, not estimated
    top = drawn.last_rank <= 200
    assert drawn.weight[top].sum() == 200  # the baseline invites the 200 largest: exact
    assert (np.diff(drawn.audience) <= 0).all()  # rank order


def test_the_largest_are_one_to_one_and_the_threshold_falls_as_the_sample_grows():
    thresholds = []
    for agents in (300, 1000, 4000):
        _, drawn = sample(agents)
        assert (drawn.weight[:drawn.one_to_one] == 1).all()
        # every creator at or above the threshold is its own agent
        assert (drawn.audience[drawn.weight > 1] < drawn.threshold).all()
        thresholds.append(drawn.threshold)
    assert thresholds[0] > thresholds[1] > thresholds[2]
    # the tail's strata hold about equal audience: a tail agent's share of it
    _, drawn = sample(1000)
    tail = drawn.weight > 1
    mass = drawn.weight[tail] * drawn.audience[tail]
    assert np.median(mass) == pytest.approx(drawn.threshold, rel=0.25)


def test_the_creators_simulated_one_to_one_get_the_same_draws_at_every_sample_size():
    """Paired comparisons of sample sizes: the 100 largest are the same creators."""
    small = simulation.SparkModel(simulation.load_config(BASELINE, {
        "population.followers": 2000, "population.influencers": 1000}), seed=5)
    large = simulation.SparkModel(simulation.load_config(BASELINE, {
        "population.followers": 2000, "population.influencers": 4000}), seed=5)
    for name in ("audience", "engagement", "product_fit", "patience", "cost_per_post"):
        a, b = getattr(small.influencers, name)[:100], getattr(large.influencers, name)[:100]
        assert np.array_equal(a, b), name
    for model in (small, large):
        model.release()


def test_a_stratified_sample_estimates_the_markets_audience_without_bias():
    """Over seeds the weighted audience of the sample averages to the market's, within 4
    standard errors of the seeds' spread, at a small and a large sample."""
    for agents in (100, 1000):
        totals = np.array([(s.weight * s.audience).sum() for s in
                           (sample(agents, seed)[1] for seed in range(60))])
        error = totals.std(ddof=1) / np.sqrt(len(totals))
        assert abs(totals.mean() - MARKET.total_audience) < 4 * error + 1e-9, agents
        assert totals.std(ddof=1) / totals.mean() < 0.05  # and the noise is small


def test_a_persons_follows_of_real_creators_do_not_depend_on_the_sample():
    """An entry of the follow graph is one creator followed: per person, the market's
    in-market audiences ÷ its size (0.47 at the defaults), at 300 and 4 000 agents."""
    expected = MARKET.follows_per_person(0.25, 85e6)
    for agents in (300, 4000):
        follows = []
        for seed in range(8):
            model = simulation.SparkModel(simulation.load_config(BASELINE, {
                "population.followers": 20_000, "population.influencers": agents}), seed=seed)
            follows.append(model.follows.nnz / model.people.n)
            model.release()
        follows = np.array(follows)
        error = follows.std(ddof=1) / np.sqrt(len(follows))
        assert abs(follows.mean() - expected) < 4 * error + 0.01 * expected, (agents, follows)


# --- everything an agent does counts its weight ------------------------------------------


@pytest.fixture(scope="module")
def crowded():
    """An open platform with fewer slots than a tail group's creators, and a budget that
    never binds: 300 simulated creators for 17 102, stepped day by day."""
    config = simulation.load_config(CONFIGS / "schemes" / "rival.toml", {
        "population.followers": 5000, "population.influencers": 300, "horizon_days": 120,
        "platforms.1.phases.0.flat_fee.max_enrolled": 120,
        "platforms.0.budget": 1e12, "platforms.1.budget": 1e12})
    model = simulation.SparkModel(config, seed=3)
    weight = model.influencers.weight
    held = []
    while model.running:
        model.step()
        books = model.modules["flat_fee_slots"].books
        held.append([float(weight @ (book.enrolled | book.offered(model.day)))
                     for book in books])
    return model, np.array(held)


def test_slots_counted_in_real_creators_are_never_exceeded(crowded):
    model, held = crowded
    assert model.influencers.weight.max() > 120  # groups larger than all the slots exist
    limits = [p.spec.phases[0].flat_fee.max_enrolled for p in model.platforms]  # 200, 120
    assert (held <= np.array(limits)[None, :]).all()
    assert held[:, 1].max() >= 110  # and the slots do fill (groups that fit, one to one)


def test_weighted_counts_add_up_to_the_daily_table(crowded):
    """Posts, pay and spend: the daily columns are the weight-weighted per-agent totals."""
    model, _ = crowded
    agents, daily = model.influencer_totals, model.timeseries
    for name in model.platform_names:
        mine = agents[agents["platform"] == name]
        rows = daily[daily["platform"] == name]
        weight = mine["weight"].to_numpy()
        assert weight @ mine["posts"].to_numpy() == rows["posts"].sum()
        assert weight @ mine["paid"].to_numpy() == pytest.approx(rows["spend_total"].sum(),
                                                                   rel=1e-9)
        assert weight @ mine["gmv"].to_numpy() <= rows["gmv"].sum() + 1e-6  # + organic
        assert rows["spend_total"].sum() > 0
    summary = model.summary
    joined = model.influencers.weight @ (model.influencers.joined | model.influencers.quit)
    assert [summary[n]["influencers_joined"] for n in model.platform_names] == \
        np.round(joined).tolist()
    end = daily.groupby("platform", sort=False).tail(1)
    assert end["active_influencers"].tolist() == [
        summary[n]["influencers_active_end"] for n in model.platform_names]


def test_invitations_count_real_creators_at_every_sample_size():
    for agents in (50, 1000, 4000):
        for policy in ({"policy": "top_k", "top_k": 200}, {"policy": "bottom_k", "top_k": 5000},
                       {"policy": "tiers", "tiers": {"mega": 5, "mid": 30, "nano": 1000}},
                       {"policy": "random_k", "top_k": 300}):
            model = simulation.SparkModel(simulation.load_config(BASELINE, {
                "population.followers": 1000, "population.influencers": agents,
                "platforms.0.invitation": policy}), seed=1)
            invited = model.platforms[0].invited
            count = model.influencers.weight[invited].sum()
            wanted = policy.get("top_k") or sum(policy["tiers"].values())
            if policy["policy"] == "random_k":
                assert 0 < count <= wanted, (agents, policy, count)
            else:
                assert count == wanted, (agents, policy, count)
            model.release()


def test_pay_per_credited_adopter_is_the_groups_credit():
    """A bounty is paid on each group's credited adopters: the spend is the bounty times
    the adopters credited, and the per-agent pay (× weight) adds up to it."""
    config = simulation.load_config(CONFIGS / "schemes" / "per_adopter.toml", {
        "population.followers": 10_000, "population.influencers": 200, "horizon_days": 40,
        "platforms.0.budget": 1e12})
    result = simulation.run(config, seed=2)
    daily, agents = result.timeseries, result.agents
    bounty = config.platforms[0].phases[0].per_adopter.bounty
    np.testing.assert_allclose(daily["spend_per_adopter"], bounty * daily["attributed_adopters"])
    assert (agents["weight"] * agents["paid"]).sum() == pytest.approx(
        daily["spend_total"].sum(), rel=1e-9)
    assert (agents["weight"] > 1).any() and daily["spend_per_adopter"].sum() > 0


# --- answers do not depend on how many creators are simulated ----------------------------

INVARIANT = ("adoption_share_end", "active_users_end", "total_spend", "influencers_joined")
SEEDS = range(1, 7)
SIZES = (1000, 4000)


def summaries(path, agents: int) -> np.ndarray:
    """The invariant metrics (columns) of one plan's replicates (rows) at a sample size."""
    config = simulation.load_config(path, {"population.followers": 20_000,
                                           "population.influencers": agents})
    return np.array([[simulation.run(config, seed=s).summary["spark"][k] for k in INVARIANT]
                     for s in SEEDS], dtype=float)


@pytest.mark.slow
@pytest.mark.parametrize("plan", ["baseline.toml", "schemes/flat_fee.toml"],
                         ids=["baseline", "pay_the_top_200_for_a_year"])
def test_answers_do_not_depend_on_how_many_creators_are_simulated(plan):
    """The same real market simulated by 1 000 and by 4 000 creators: adoption, active users
    at the end, spend and creators joined agree within 4 standard errors of the difference
    (from the spread of 6 replicates each; 20 000 people, a year). Measured: every
    difference within 0.41 standard errors (baseline adoption 0.0717 and 0.0725, creators
    joined 119.2 and 120.2; paying the 200 largest: 0.0790 and 0.0796, 121.5 and 121.5).
    Before the creators were a sample (each agent one real creator, so 4 000 agents were a
    market four times larger), the same check failed 6 of its 8 comparisons: baseline
    adoption 0.083 against 0.109 (5.7 standard errors) and creators joined 136 against
    123 (5.9); paying the 200 largest, adoption 0.105 against 0.194 (10.5), active users
    at the end 1.8M against 4.6M (11.6) and spend $11.3M against $19.5M (15.2)."""
    small, large = (summaries(CONFIGS / plan, agents) for agents in SIZES)
    for column, key in enumerate(INVARIANT):
        a, b = small[:, column], large[:, column]
        error = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
        allowed = 4 * error + 1e-9 * max(abs(a.mean()), 1.0)
        assert abs(a.mean() - b.mean()) <= allowed, (
            f"{key}: {a.mean():,.4g} at {SIZES[0]} creators, {b.mean():,.4g} at {SIZES[1]} "
            f"(difference {a.mean() - b.mean():,.4g}, allowed {allowed:,.4g})")
