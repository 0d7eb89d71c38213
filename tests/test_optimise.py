"""optimise: a seeded, constrained search whose winner is judged on fresh seeds."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import simulation  # noqa: E402
from simulation.analysis.optimise import FRESH_KEY  # noqa: E402
from simulation.runs.executors import run_seed  # noqa: E402
from tests.conftest import CONFIGS  # noqa: E402

TINY = {"population.followers": 2000, "population.influencers": 50, "horizon_days": 40,
        "population.market_size": 2_500_000}  # 50 influencers reach most of a small market
TOP_K = "platforms.0.invitation.top_k"
FEE = "platforms.0.phases.0.flat_fee.fee"
BUDGET = "platforms.0.budget"


@pytest.fixture(scope="module")
def baseline():
    return simulation.load_config(CONFIGS / "baseline.toml", TINY)


@pytest.fixture(scope="module")
def rescued(baseline):
    """A deliberately bad start (nobody invited) and the number invited as the lever."""
    start = simulation.load_config(baseline, {TOP_K: 0})
    return simulation.optimise(start, {TOP_K: (0, 50)}, "active_users_end", n_trials=8,
                               replicates=2, seed=3, fresh_replicates=4)


def test_winner_beats_a_bad_start_on_fresh_seeds(rescued):
    assert rescued.start == {TOP_K: 0}
    assert rescued.history["trial"].iloc[0] == 0 and rescued.history[TOP_K].iloc[0] == 0
    assert rescued.best[TOP_K] > 0
    assert rescued.value("objective", "diff_low") > 0
    assert rescued.value("active_users_end", "diff") == rescued.value("objective", "diff")
    assert rescued.best_config.platforms[0].invitation.top_k == rescued.best[TOP_K]


def test_integer_levers_are_integers(rescued):
    values = rescued.history[TOP_K]
    assert all(isinstance(v, int) for v in rescued.best.values())
    assert pd.api.types.is_integer_dtype(values) and values.between(0, 50).all()


def test_fresh_seeds_differ_from_the_search_seeds(rescued):
    search = set(rescued.search_runs["seed"])
    fresh = set(rescued.fresh_runs["seed"])
    assert search == {run_seed(3, r) for r in range(2)}
    assert fresh == {run_seed(run_seed(3, 0, point=FRESH_KEY), r) for r in range(4)}
    assert not search & fresh
    # paired: start and best share each fresh seed
    by = rescued.fresh_runs.groupby("scenario")["seed"].apply(sorted)
    assert by["start"] == by["best"]


def test_budget_binds_and_over_budget_plans_are_never_chosen(baseline):
    # spend is capped by the platform budget (the lever), so the most spend within a
    # $20 000 budget is found by setting the platform budget near $20 000
    found = simulation.optimise(baseline, {BUDGET: (0.0, 60_000.0)}, "total_spend",
                                budget=20_000, n_trials=16, replicates=1, seed=0,
                                direction="maximize", fresh_replicates=2)
    history = found.history
    assert (~history["feasible"]).any()  # the search met infeasible plans ...
    assert (history.loc[history["feasible"], "spend"] <= 20_000).all()
    assert (history.loc[~history["feasible"], "spend"] > 20_000).all()
    chosen = history.loc[history[BUDGET] == found.best[BUDGET]].iloc[0]
    assert chosen["feasible"] and chosen["spend"] <= 20_000  # ... and chose none of them
    assert found.best_value == history.loc[history["feasible"], "spend"].max()
    assert 16_000 <= found.best[BUDGET] and found.best_value >= 16_000
    plt.close(found.figure())


def test_cheapest_plan_reaching_a_target(baseline):
    start = simulation.load_config(baseline, {TOP_K: 0})
    found = simulation.optimise(start, {TOP_K: (0, 50)}, target="active_users_end >= 600",
                                n_trials=8, replicates=1, seed=2, fresh_replicates=2)
    assert found.objective == "total_spend" and found.direction == "minimize"
    history = found.history
    met = history[history["active_users_end"] >= 600]
    assert history["feasible"].equals(history["active_users_end"] >= 600)
    assert found.best_value == met["spend"].min()
    figure = found.figure()
    assert len(figure.axes) == 3
    plt.close(figure)


def test_known_optimum_of_a_callable_objective(baseline):
    fees = [5.0, 10.0, 20.0, 40.0]

    def near_twenty(row):
        return -abs(row[FEE] - 20.0)

    found = simulation.optimise(baseline, {FEE: fees}, near_twenty, n_trials=8,
                                replicates=1, seed=5, fresh_replicates=2)
    assert found.best == {FEE: 20.0} and found.best_value == 0.0
    assert found.value("objective", scenario="best") == 0.0


def test_same_seed_same_search(baseline):
    def search():
        return simulation.optimise(baseline, {FEE: (5.0, 60.0), TOP_K: (5, 50)}, n_trials=5,
                                   replicates=1, seed=11, batch=2, fresh_replicates=2)

    first, second = search(), search()
    pd.testing.assert_frame_equal(first.history, second.history)
    pd.testing.assert_frame_equal(first.fresh, second.fresh)
    assert first.best == second.best
    assert first.history["batch"].tolist() == [0, 0, 1, 1, 2]


@pytest.mark.parametrize("levers, kwargs, words", [
    ({"platforms.0.phases.0.flat_fee.fe": (1.0, 2.0)}, {}, "unknown key"),
    ({FEE: (30.0, 30.0)}, {}, "low must be below high"),
    ({FEE: (30.0, 10.0)}, {}, "low must be below high"),
    ({FEE: []}, {}, "no choices"),
    ({FEE: "cheap"}, {}, "allowed: a tuple"),
    ({FEE: (-5.0, 10.0)}, {}, "greater than or equal to 0"),
    ({FEE: (5.0, 10.0)}, {"objective": "active_users"}, "unknown metric"),
    ({FEE: (5.0, 10.0)}, {"objective": "peak_day"}, "no natural direction"),
    ({FEE: (5.0, 10.0)}, {"target": "active_users_end > 5"}, "not understood"),
    ({FEE: (5.0, 10.0)}, {"direction": "up"}, "unknown"),
    ({FEE: (5.0, 10.0)}, {"budget": -1}, "budget = -1"),
    ({FEE: (5.0, 10.0)}, {"n_trials": 0}, "n_trials = 0"),
    ({FEE: (5.0, 10.0)}, {"n_trials": 10**9}, "n_trials = 1000000000: must be an integer "
                                              "from 1 to 10,000"),
    ({FEE: (5.0, 10.0)}, {"replicates": 10**9}, "replicates = 1000000000"),
    ({FEE: (5.0, 10.0)}, {"batch": 10**6}, "batch = 1000000"),
    ({FEE: (5.0, 10.0)}, {"fresh_replicates": 10**6}, "fresh_replicates = 1000000"),
    ({FEE: (5.0, 10.0)}, {"n_trials": True}, "n_trials = True"),
])
def test_bad_input_is_a_config_error(baseline, levers, kwargs, words):
    with pytest.raises(simulation.ConfigError) as caught:
        simulation.optimise(baseline, levers, **kwargs)
    assert words in str(caught.value)


def test_no_feasible_plan_says_so(baseline):
    with pytest.raises(RuntimeError, match="none of 2 plans was feasible"):
        simulation.optimise(baseline, {FEE: (5.0, 10.0)}, budget=1.0, n_trials=2,
                            replicates=1, fresh_replicates=2)
