"""One runner for many runs: simulation.Runner, and every batch function taking ``runner=``.

A Runner holds replicates, the root seed, the executor and the observers, checks them
once (one-line messages), and gives the same numbers as the keywords it replaces, with
any number of workers.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

import simulation
from simulation import ConfigError, Runner
from simulation.analysis.decompose import _counterfactual
from simulation.runs.executors import MAX_LOCAL_WORKERS, MAX_REPLICATES
from simulation.runs.sweep_file import SweepSpec
from tests.conftest import CONFIGS

TINY = {"population.followers": 3000, "population.influencers": 80, "horizon_days": 40,
        "population.market_size": 4_000_000}
FEE = "platforms.0.phases.0.flat_fee.fee"


def tiny(name: str):
    return simulation.load_config(CONFIGS / "schemes" / f"{name}.toml", TINY)


@pytest.fixture(scope="module")
def plans():
    return {"none": tiny("none"), "flat fee": tiny("flat_fee")}


BAD = {
    "replicates_zero": ({"replicates": 0}, ["replicates = 0", f"1 to {MAX_REPLICATES:,}"]),
    "replicates_float": ({"replicates": 2.5}, ["replicates = 2.5", "whole number"]),
    "replicates_bool": ({"replicates": True}, ["replicates = True", "whole number"]),
    "replicates_huge": ({"replicates": 10**9}, ["replicates = 1000000000", f"{MAX_REPLICATES:,}"]),
    "seed_negative": ({"seed": -1}, ["seed = -1", "0..9223372036854775807"]),
    "seed_text": ({"seed": "7"}, ["seed = '7'", "whole number"]),
    "seed_huge": ({"seed": 2**64}, [f"seed = {2**64}", "2**63 - 1"]),
    "workers_zero": ({"workers": 0}, ["workers = 0", "at least 1"]),
    "workers_float": ({"workers": 1.5}, ["workers = 1.5", "whole number"]),
    "workers_huge": ({"workers": 10**6}, ["workers 1000000", f"1..{MAX_LOCAL_WORKERS}"]),
    "observer_unknown": ({"observers": ["nope"]}, ["'nope' is not an observer", "tiers"]),
}


def one_line(caught: pytest.ExceptionInfo, words: list[str]) -> None:
    message = str(caught.value)
    assert "\n" not in message, message
    for word in words:
        assert word in message, (word, message)


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_value_is_one_config_error_when_the_runner_is_made(case):
    settings, words = BAD[case]
    with pytest.raises(ConfigError) as caught:
        Runner(**settings)
    one_line(caught, words)


@pytest.mark.parametrize("case", ["replicates_zero", "seed_negative", "workers_zero"])
def test_the_keywords_give_the_same_message_as_the_runner(case, plans):
    settings, words = BAD[case]
    with pytest.raises(ConfigError) as caught:
        simulation.compare(plans, **settings)
    one_line(caught, words)


def test_a_runner_is_frozen_and_a_changed_copy_is_checked_again():
    runner = Runner(replicates=3, seed=5, workers=1, observers=["tiers"])
    assert runner.observers == ("tiers",)
    with pytest.raises(dataclasses.FrozenInstanceError):
        runner.replicates = 4  # type: ignore[misc]
    assert dataclasses.replace(runner, replicates=4).replicates == 4
    with pytest.raises(ConfigError, match="replicates = 0"):
        dataclasses.replace(runner, replicates=0)


# --- the same numbers -------------------------------------------------------------------


@pytest.fixture(scope="module")
def runner():
    return Runner(replicates=3, seed=7)


@pytest.fixture(scope="module")
def compared(plans, runner):
    return (simulation.compare(plans, replicates=3, seed=7),
            simulation.compare(plans, runner=runner))


@pytest.fixture(scope="module")
def decomposed(runner):
    return (simulation.decompose(tiny("flat_fee"), "none", replicates=3, seed=7),
            simulation.decompose(tiny("flat_fee"), "none", runner=runner))


def test_compare_with_a_runner_is_compare_with_its_keywords(compared):
    by_keywords, by_runner = compared
    pd.testing.assert_frame_equal(by_runner.table, by_keywords.table, check_exact=True)
    pd.testing.assert_frame_equal(by_runner.runs, by_keywords.runs, check_exact=True)
    pd.testing.assert_frame_equal(by_runner.timeseries, by_keywords.timeseries,
                                  check_exact=True)


def test_decompose_with_the_same_runner_is_decompose_with_its_keywords(decomposed):
    by_keywords, by_runner = decomposed
    pd.testing.assert_frame_equal(by_runner.table, by_keywords.table, check_exact=True)
    pd.testing.assert_frame_equal(by_runner.parts, by_keywords.parts, check_exact=True)


def test_the_analyses_are_functions_of_the_runs(plans, runner, compared, decomposed):
    runs = runner.run(list(plans.values()))
    comparison = simulation.compare_runs(runs, list(plans), "none")
    pd.testing.assert_frame_equal(comparison.table, compared[1].table, check_exact=True)
    plan = tiny("flat_fee")
    counterfactual, words = _counterfactual(plan, "none")
    worlds = runner.run([plan, counterfactual])
    parts = simulation.decompose_runs(worlds, plan=plan.name, counterfactual=words)
    pd.testing.assert_frame_equal(parts.table, decomposed[1].table, check_exact=True)
    assert parts.counterfactual == decomposed[1].counterfactual == "no payouts"


def test_one_and_two_workers_give_identical_tables(plans, compared, decomposed):
    two = Runner(replicates=3, seed=7, workers=2)
    pd.testing.assert_frame_equal(simulation.compare(plans, runner=two).table,
                                  compared[0].table, check_exact=True)
    pd.testing.assert_frame_equal(
        simulation.decompose(tiny("flat_fee"), "none", runner=two).table,
        decomposed[0].table, check_exact=True)


# --- a runner and its keywords together ---------------------------------------------------


def calls(plans):
    """Each batch function, called with a runner and one more keyword."""
    base = tiny("flat_fee")
    observed = pd.Series(range(1, 11), dtype=float)
    spec = SweepSpec.model_validate({"design": {"kind": "grid"}, "parameters": {"x": [1, 2]}})
    return {
        "compare": lambda **k: simulation.compare(plans, **k),
        "decompose": lambda **k: simulation.decompose(base, "none", **k),
        "calibrate": lambda **k: simulation.calibrate(
            observed, base, {"adoption.imitation": (0.1, 0.5)}, days_per_period=2, **k),
        "optimise": lambda **k: simulation.optimise(base, {FEE: (5.0, 10.0)}, **k),
        "run_many": lambda **k: simulation.run_many([base], **k),
        "sweep": lambda **k: simulation.sweep(spec, "never-written", function=lambda p, s: {},
                                              **k),
    }


KEYWORDS = [("replicates", 4), ("seed", 0), ("workers", 1), ("client", None)]
TOGETHER = [(function, *given) for function in ("compare", "decompose", "calibrate", "optimise",
                                                "run_many") for given in KEYWORDS]
TOGETHER += [("compare", "observers", ()), ("run_many", "observers", ["tiers"]),
             ("sweep", "workers", None), ("sweep", "client", None),
             ("sweep", "scheduler", "tcp://127.0.0.1:1")]  # a sweep's plan is its file's


@pytest.mark.parametrize("function, keyword, value", TOGETHER)
def test_a_runner_beside_one_of_its_keywords_is_refused(function, keyword, value, plans,
                                                        monkeypatch, tmp_path):
    """Even when the keyword's value is the function's default: the two would disagree."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(Runner, "run", lambda *a, **k: pytest.fail("ran"))
    with pytest.raises(ConfigError) as caught:
        calls(plans)[function](runner=Runner(), **{keyword: value})
    one_line(caught, ["runner", f"{keyword} = {value!r}", "both given"])
    assert not (tmp_path / "never-written").exists()


def test_a_runner_must_be_a_runner(plans):
    with pytest.raises(ConfigError) as caught:
        simulation.compare(plans, runner={"replicates": 3})
    one_line(caught, ["runner = {'replicates': 3}", "not a Runner"])


def test_a_sweep_takes_its_executor_from_the_runner_and_its_plan_from_the_file(tmp_path):
    spec = SweepSpec.model_validate({"design": {"kind": "grid"}, "replicates": 2, "seed": 3,
                                     "parameters": {"x": [1.0, 2.0]}})

    def square(parameters, seed):
        return {"y": parameters["x"] ** 2 + seed % 7}

    by_runner = simulation.sweep(spec, tmp_path / "a", runner=Runner(workers=1),
                                 function=square, progress=False)
    by_keyword = simulation.sweep(spec, tmp_path / "b", workers=1, function=square,
                                  progress=False)
    pd.testing.assert_frame_equal(by_runner.runs, by_keyword.runs)
    assert len(by_runner.runs) == 4
    with pytest.raises(ConfigError) as caught:
        simulation.sweep(spec, tmp_path / "c", runner=Runner(replicates=5), function=square)
    one_line(caught, ["runner.replicates = 5", "replicates = 2", "sweep file"])
    assert not (tmp_path / "c").exists()
