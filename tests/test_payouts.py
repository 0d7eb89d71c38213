"""One suite run over every payout scheme class (what each must satisfy), and the schedule."""

from __future__ import annotations

import numpy as np
import pytest

import simulation
from simulation.model.config import ConfigError, Platform
from simulation.model.payouts import (
    SCHEMES,
    TIERS,
    Activity,
    Outlook,
    Phase,
    Start,
    spend_columns,
)
from simulation.model.platforms import PlatformState
from simulation.model.spark_model import Day
from tests.conftest import CONFIGS, small

N = 50
RNG = np.random.default_rng(7)


def random_outlook(fee_available=True) -> Outlook:
    return Outlook(
        views_per_post=RNG.uniform(0, 100, N), gmv_per_post=RNG.uniform(0, 50, N),
        adopters_per_post=RNG.uniform(0, 2, N), tier=RNG.integers(0, len(TIERS), N),
        contracts={"flat_fee": np.full(N, fee_available)},
    )


def activity_from(outlook: Outlook, posts: np.ndarray) -> Activity:
    return Activity(posts=posts, views=posts * outlook.views_per_post,
                    gmv=posts * outlook.gmv_per_post,
                    new_adopters=posts * outlook.adopters_per_post,
                    tier=outlook.tier, contracts=outlook.contracts)


@pytest.fixture(params=list(SCHEMES), ids=str)
def scheme(request):
    return SCHEMES[request.param]()


def test_each_scheme_fills_its_own_spend_column(scheme):
    assert scheme.column() == f"spend_{scheme.key}" and scheme.column() in spend_columns()
    assert len({cls.column() for cls in SCHEMES.values()}) == len(SCHEMES)


def test_nothing_owed_for_nothing_done(scheme):
    outlook = random_outlook()
    owed = scheme.owed(activity_from(outlook, np.zeros(N, dtype=int)))
    assert owed.shape == (N,)
    assert (owed == 0).all()


def test_owed_is_non_negative_and_grows_with_work(scheme):
    outlook = random_outlook()
    previous = np.zeros(N)
    for posts in range(0, 8):
        owed = scheme.owed(activity_from(outlook, np.full(N, posts)))
        assert (owed >= 0).all()
        assert (owed >= previous - 1e-12).all()
        previous = owed


def test_expected_equals_owed_when_expectations_come_true(scheme):
    """What an influencer expects for n posts is what it is paid if the outcome matches."""
    outlook = random_outlook()
    options = np.tile(np.arange(8), (N, 1))
    expected = scheme.expected(options, outlook)
    assert expected.shape == options.shape
    for n in range(8):
        owed = scheme.owed(activity_from(outlook, np.full(N, n)))
        np.testing.assert_allclose(expected[:, n], owed)


def test_config_round_trip_and_unknown_keys(scheme):
    again = type(scheme).model_validate(scheme.model_dump())
    assert again == scheme
    with pytest.raises(ValueError):
        type(scheme).model_validate({**scheme.model_dump(), "surprise": 1})


def test_a_default_scheme_pays_something_for_some_work(scheme):
    outlook = random_outlook()
    owed = scheme.owed(activity_from(outlook, np.full(N, 6)))
    assert owed.sum() > 0


def test_flat_fee_quota_is_a_step():
    fee = SCHEMES["flat_fee"](fee=30.0, posts_per_day=3, tier_fees={"mega": 500.0})
    outlook = random_outlook()
    for posts, paid in ((2, False), (3, True), (5, True)):
        owed = fee.owed(activity_from(outlook, np.full(N, posts)))
        assert (owed > 0).all() == paid
    owed = fee.owed(activity_from(outlook, np.full(N, 3)))
    assert (owed[outlook.tier == TIERS.index("mega")] == 500.0).all()
    assert (owed[outlook.tier != TIERS.index("mega")] == 30.0).all()
    not_enrolled = activity_from(random_outlook(fee_available=False), np.full(N, 3))
    assert (fee.owed(not_enrolled) == 0).all()


def test_hybrid_phase_pays_each_scheme_into_its_column():
    phase = Phase(flat_fee={"fee": 10.0, "posts_per_day": 1}, commission={"rate": 0.1},
                  per_view={"rate_per_1000": 2.0}, per_adopter={"bounty": 1.0})
    state = PlatformState(Platform(phases=[phase], budget=1e9), np.ones(N), np.zeros(N, int),
                          np.random.default_rng(0))
    state.update_schedule(0, 0.0)
    outlook = random_outlook()  # every influencer holds a flat-fee slot
    paid = state.pay(activity_from(outlook, np.full(N, 2)))
    assert all(paid[column].sum() > 0 for column in spend_columns())


def test_budget_is_shared_pro_rata_when_short():
    phase = Phase(commission={"rate": 0.5})
    state = PlatformState(Platform(phases=[phase], budget=100.0), np.ones(N), np.zeros(N, int),
                          np.random.default_rng(0))
    state.update_schedule(0, 0.0)
    outlook = random_outlook()
    day = activity_from(outlook, np.full(N, 3))
    owed = 0.5 * day.gmv
    paid = state.pay(day)["spend_commission"]
    assert paid.sum() == pytest.approx(100.0)
    np.testing.assert_allclose(paid / paid.sum(), owed / owed.sum())
    assert state.budget_left == 0
    assert state.schemes() == []
    assert state.pay(day)["spend_commission"].sum() == 0


@pytest.mark.parametrize(("start", "fires_on"), [
    ({"day": 5}, 5), ({"day": 5, "notice_days": 3}, 8),
    ({"adoption_share": 0.2}, 4), ({"adoption_share": 0.2, "notice_days": 2}, 6),
    ({"spend": 150.0}, 3),
])
def test_schedule_triggers(start, fires_on):
    phases = [Phase(name="first", flat_fee={"fee": 1.0}), Phase(name="second", start=start,
                                                                commission={"rate": 0.1})]
    state = PlatformState(Platform(phases=phases), np.ones(N), np.zeros(N, int),
                          np.random.default_rng(0))
    for day in range(12):
        state.spent = 50.0 * day  # spend reaches 150 on day 3
        state.update_schedule(day, adoption_share=0.05 * day)  # share reaches 0.2 on day 4
        assert state.phase.name == ("second" if day >= fires_on else "first"), day
    assert state.switch_day == fires_on


def test_start_needs_exactly_one_trigger():
    with pytest.raises(ValueError, match="exactly one"):
        Start(day=1, spend=10.0)
    with pytest.raises(ValueError, match="exactly one"):
        Start()


def test_flat_fees_stop_when_commission_starts():
    """At the shipped 4% almost nobody posts for commission after the switch (the cliff of
    issue 21: the invited are the market's 200 largest, whose posts cost more than 4% of
    their sales), so the commission here is 20%, at which some keep posting."""
    config = small(CONFIGS / "schemes" / "flat_then_commission.toml",
                   platforms__0__budget=1e9, horizon_days=260,
                   platforms__0__phases__1__commission__rate=0.2)
    model = simulation.SparkModel(config).run()
    table = model.timeseries
    switch = model.platforms[0].switch_day
    assert switch == 150
    before, after = table[table.day < switch], table[table.day >= switch]
    assert before["spend_flat_fee"].sum() > 0
    assert after["spend_flat_fee"].sum() == 0
    assert before["spend_commission"].sum() == 0
    assert after["spend_commission"].sum() > 0  # some posts still earn commission
    assert model.summary["spark"]["retention_after_switch"] is not None


def test_max_enrolled_and_contracts():
    config = small(CONFIGS / "schemes" / "flat_fee.toml", platforms__0__budget=1e9,
                   **{"platforms__0__phases__0__flat_fee__max_enrolled": 7,
                      "platforms__0__phases__0__flat_fee__contract_days": 20})
    model = simulation.SparkModel(config)
    paid_days = np.zeros(config.population.influencers, dtype=int)
    slots = model.modules["flat_fee_slots"].books[0]
    weight = model.influencers.weight
    while model.running:
        model.step()
        assert weight @ slots.enrolled <= 7  # real creators
        paid_days += model.today.payments[0]["spend_flat_fee"] > 0
    assert paid_days.max() <= 20
    assert paid_days.sum() > 0


def test_bad_scheme_values_are_config_errors():
    with pytest.raises(ConfigError, match="rate"):
        simulation.load_config(CONFIGS / "schemes" / "commission.toml",
                               {"platforms.0.phases.0.commission.rate": 1.5})


# --- flat-fee slots that exist ---------------------------------------------------------


@pytest.fixture(scope="module")
def slotted():
    """200 invited, 50 slots of 30-day contracts, a week to answer an offer; nothing but the
    fee to post for (no organic value, no look-ahead), stepped stage by stage."""
    config = small(CONFIGS / "schemes" / "flat_fee.toml", platforms__0__budget=1e9,
                   horizon_days=150, influencers__organic_value_per_view=0.0,
                   influencers__foresight=0.0,
                   **{"platforms__0__phases__0__flat_fee__max_enrolled": 50,
                      "platforms__0__phases__0__flat_fee__contract_days": 30})
    assert config.platforms[0].invitation.top_k == 200
    model = simulation.SparkModel(config, seed=2)
    names = [name for name, _ in model.stages]
    assert names[:2] == ["schedule", "offer_slots"]
    slots = model.modules["flat_fee_slots"].books[0]
    days = []
    while model.day < config.horizon_days:
        model.day += 1
        today = model.today = Day(model.day, config.population.influencers, 1)
        for _name, stage in model.stages[:2]:  # contracts end, quitters free slots, offers
            stage(today)
        platform, table = model.platforms[0], model.influencers
        weight = table.weight  # slots count real creators; a group takes one per creator
        holders = slots.enrolled | slots.offered(model.day)
        takers = (platform.eligible(model.day) & ~holders & ~slots.contract_over
                  & ~table.quit[:, 0])
        free = 50 - weight @ holders
        fee_available = today.offers["flat_fee"][:, 0].copy()
        for _name, stage in model.stages[2:]:  # the rest of the day
            stage(today)
        days.append({"holders": round(weight @ holders),
                     "takers": int((takers & (weight <= free)).sum()),  # who would fit
                     "enrolled": round(weight @ slots.enrolled),
                     "joined_without_offer": int((today.joined_today[:, 0]
                                                  & ~fee_available).sum()),
                     "paid_without_slot": int(((today.payments[0]["spend_flat_fee"] > 0)
                                               & ~slots.enrolled).sum()),
                     "contracts_over": int(slots.contract_over.sum())})
    return days


def test_at_most_max_enrolled_hold_a_slot_or_an_offer(slotted):
    assert max(d["holders"] for d in slotted) == 50
    assert max(d["enrolled"] for d in slotted) <= 50


def test_freed_slots_are_offered_again_while_there_are_takers(slotted):
    """While a slot is free, no taker that fits in the free slots is left waiting."""
    assert all(d["holders"] == 50 or d["takers"] == 0 for d in slotted)
    assert max(d["contracts_over"] for d in slotted) > 50  # contracts ended and slots passed on
    assert sum(d["enrolled"] for d in slotted[90:]) > 0  # still filled after the first wave


def test_no_fee_without_a_slot_and_no_joining_for_the_fee_without_an_offer(slotted):
    assert all(d["paid_without_slot"] == 0 for d in slotted)
    assert all(d["joined_without_offer"] == 0 for d in slotted)
