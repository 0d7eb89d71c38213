"""Observers and the day's plan: what watches a run, and the stages a config assembles.

Observers read the model and change nothing; the tier table is one, so it works in
``run``, ``run_many`` (in worker processes, by key) and ``compare``; a user's observer
is one class; ``model.plan()`` lists the stages a config has, and a model with no
influencers has no influencer stages at all.
"""

from __future__ import annotations

import importlib
import sys
import textwrap

import pandas as pd
import pytest

import simulation
from simulation.model.modules import MODULES
from simulation.model.observers import OBSERVERS, Observer, register_observer
from simulation.model.spark_model import SparkModel
from simulation.model.tiers import tier_timeseries
from tests.conftest import CONFIGS

SMALL = {"population.followers": 3000, "population.influencers": 120, "horizon_days": 45}
LABELS = ["run_id", "point", "replicate"]


@pytest.fixture(scope="module")
def baseline():
    return simulation.load_config(CONFIGS / "baseline.toml", SMALL)


def test_an_observer_changes_no_number(baseline):
    plain = simulation.run(baseline, seed=4)
    watched = simulation.run(baseline, seed=4, observers=["tiers"])
    pd.testing.assert_frame_equal(plain.timeseries, watched.timeseries)
    assert plain.summary == watched.summary
    assert plain.observed == {} and set(watched.observed) == {"tiers"}


def test_the_tier_table_is_the_same_in_run_run_many_processes_and_compare(baseline):
    """Same config and seed: one table, whether stepped here, in 2 worker processes or compared."""
    from simulation.runs.executors import run_seed

    seed = run_seed(7, 1)  # replicate 1 of root seed 7
    alone = tier_timeseries(baseline, seed=seed)
    assert alone["joined"].sum() > 0  # influencers joined: the table is not empty of events
    many = simulation.run_many([baseline], replicates=2, seed=7, workers=2,
                               observers=["tiers"], keep_timeseries=False)
    mine = many.observed["tiers"].query("replicate == 1").drop(columns=LABELS)
    pd.testing.assert_frame_equal(mine.reset_index(drop=True), alone)
    compared = simulation.compare({"plan": baseline, "none": CONFIGS / "schemes" / "none.toml"},
                                  replicates=2, seed=7, reference="none",
                                  base=None, observers=["tiers"], keep_timeseries=False)
    plan = compared.observed["tiers"].query("scenario == 'plan' and replicate == 1")
    pd.testing.assert_frame_equal(plan.drop(columns=[*LABELS, "scenario"])
                                  .reset_index(drop=True), alone)


USER_OBSERVER = '''
    import pandas as pd
    from simulation.model.observers import Observer, register_observer

    @register_observer
    class PeakFeed(Observer):
        """The busiest feed each day: most posts any person saw, per platform."""
        key = "peak_feed"
        words = "most posts in any one feed per day and platform"

        def start(self, model):
            self.rows = []

        def observe(self, model):
            feeds = model.today.feed_posts  # None: nobody posted today
            for k, name in enumerate(model.platform_names):
                self.rows.append((model.day, name, 0 if feeds is None else int(feeds[k].max())))

        def result(self, model):
            return pd.DataFrame(self.rows, columns=["day", "platform", "peak_posts"])
'''


def test_a_users_observer_is_one_class_and_runs_in_run_many(baseline, tmp_path, monkeypatch):
    (tmp_path / "my_observer.py").write_text(textwrap.dedent(USER_OBSERVER))
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("my_observer")
    try:
        many = simulation.run_many([baseline], replicates=2, seed=1,
                                   observers=["peak_feed"], keep_timeseries=False)
        table = many.observed["peak_feed"]
        assert len(table) == 2 * SMALL["horizon_days"]
        assert table["peak_posts"].max() > 0  # influencers posted into feeds
        none = simulation.run(CONFIGS / "bass.toml", observers=["peak_feed"])
        assert none.observed["peak_feed"]["peak_posts"].max() == 0  # no influencers, no posts
    finally:
        OBSERVERS.pop(module.PeakFeed.key, None)
        sys.modules.pop("my_observer", None)


@pytest.mark.parametrize("body, words", [
    ('key = "tiers"\n    words = "x"', "already registered"),
    ('key = "timeseries"\n    words = "x"', "reserved"),
    ('key = "two words"\n    words = "x"', "must be a Python identifier"),
    ('key = "no_words"', "needs words"),
])
def test_registration_is_checked_when_the_observer_is_defined(body, words):
    source = (f"class Bad(Observer):\n    {body}\n"
              "    def observe(self, model): pass\n"
              "    def result(self, model): return None\n")
    namespace = {"Observer": Observer}
    exec(source, namespace)
    before = dict(OBSERVERS)
    with pytest.raises(TypeError, match=words):
        register_observer(namespace["Bad"])
    assert OBSERVERS == before  # a refused registration changes nothing


def test_an_observer_without_observe_is_refused():
    class Silent(Observer):
        key, words = "silent", "nothing"

        def result(self, model):
            return pd.DataFrame()

    with pytest.raises(TypeError, match="needs observe"):
        register_observer(Silent)


def test_an_unknown_observer_is_one_message_before_any_run(baseline):
    with pytest.raises(simulation.ConfigError, match="'nope' is not an observer; allowed: "
                                                     ".*tiers"):
        simulation.run_many([baseline], observers=["nope"])


def test_the_plan_lists_the_stages_a_config_assembles(baseline):
    plan = SparkModel(baseline).plan()
    assert plan.names == ["schedule", "offer_slots", "decide", "enrol", "expose",
                          "move_people", "attribute", "follow_audiences", "sell", "pay", "learn"]
    owners = [owner for _, owner, _ in plan.stages]
    assert owners == ["platforms", "flat_fee_slots", "influencers", "flat_fee_slots",
                      "influencers", "people", "attribution", "influencers", "commerce",
                      "payouts", "influencers"]
    text = str(plan)
    assert text.splitlines()[0] == "the day of 'baseline':"
    assert "then observe: timeseries" in text
    bass = SparkModel(simulation.load_config(CONFIGS / "bass.toml")).plan()
    assert bass.names == ["schedule", "move_people", "sell"]


def test_a_model_without_influencers_never_runs_their_stages(monkeypatch):
    """The stages are left out, not skipped inside: calling one would fail here."""
    def refuse(self, today):
        raise AssertionError("an influencer stage ran in a model with no influencers")

    for key in ("influencers", "flat_fee_slots", "attribution", "payouts"):
        for name in MODULES[key].stages:
            monkeypatch.setattr(MODULES[key], name, refuse)
    result = simulation.run(CONFIGS / "bass.toml")
    assert result.timeseries["adopters"].iloc[-1] > 0
    with pytest.raises(AssertionError, match="an influencer stage ran"):
        simulation.run(CONFIGS / "baseline.toml", overrides=SMALL)


# --- per-agent results and metrics that read them ---------------------------------------


def test_the_per_influencer_totals_add_up_to_the_daily_table(baseline):
    """Money and posts are conserved: each simulated creator's pay, times the creators it
    stands for, sums to the platform's spend."""
    result = simulation.run(baseline, seed=2)
    agents, daily = result.agents, result.timeseries
    weight = agents["weight"]
    assert len(agents) == SMALL["population.influencers"] * len(baseline.platforms)
    assert (weight * agents["paid"]).sum() > 0  # the flat fee paid someone: can fail
    assert (weight * agents["paid"]).sum() == pytest.approx(daily["spend_total"].sum(),
                                                            rel=1e-9)
    assert (weight * agents["posts"]).sum() == daily["posts"].sum()
    assert (weight * agents["views"]).sum() == pytest.approx(daily["views"].sum(), rel=1e-9)
    assert (agents.loc[agents["posts"] > 0, "joined"]).all()  # posting is joining
    assert set(agents["tier"]) <= {"nano", "micro", "mid", "macro", "mega"}


USER_METRICS = '''
    import numpy as np
    from simulation.model.metrics import metric

    @metric("payout_gini", "Gini coefficient of the pay among influencers paid", "share",
            better="lower", none="when nobody was paid")
    def payout_gini(run):
        table = run.influencers  # a row per simulated creator: repeat it per real creator
        paid = np.sort(np.repeat(table["paid"].to_numpy(), table["weight"].astype(int)))
        paid = paid[paid > 0]
        if len(paid) == 0:
            return None
        n = len(paid)
        return float((2 * np.arange(1, n + 1) - n - 1) @ paid / (n * paid.sum()))

    @metric("peak_feed_max", "most posts in one feed on any day", "posts/day",
            none="without the peak_feed observer")
    def peak_feed_max(run):
        table = run.observed.get("peak_feed")
        return None if table is None else int(table["peak_posts"].max())
'''


def test_a_per_influencer_metric_and_an_observers_output_reach_the_summary(
        baseline, tmp_path, monkeypatch):
    """A payout Gini is one function of the per-agent totals; an observer's table feeds another."""
    from simulation.model.metrics import METRICS

    (tmp_path / "my_metrics.py").write_text(textwrap.dedent(USER_METRICS))
    (tmp_path / "my_observer.py").write_text(textwrap.dedent(USER_OBSERVER))
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        importlib.import_module("my_metrics")
        importlib.import_module("my_observer")
        plain = simulation.run(baseline, seed=2).summary["spark"]
        watched = simulation.run(baseline, seed=2, observers=["peak_feed"]).summary["spark"]
        assert 0 < plain["payout_gini"] < 1  # audiences differ: pay is unequal, not all equal
        assert plain["peak_feed_max"] is None and watched["peak_feed_max"] > 0
        flat_pay = simulation.load_config(CONFIGS / "baseline.toml", {
            **SMALL, "platforms.0.phases.0.flat_fee.fee": 300.0,
            "platforms.0.phases.0.flat_fee.tier_fees": {}})
        equal = simulation.run(flat_pay, seed=2).summary["spark"]["payout_gini"]
        assert equal < plain["payout_gini"]  # one fee for every tier: pay more equal
        nobody = simulation.run(CONFIGS / "schemes" / "none.toml", overrides=SMALL)
        assert nobody.summary["spark"]["payout_gini"] is None
    finally:
        for key in ("payout_gini", "peak_feed_max"):
            METRICS.pop(key, None)
        OBSERVERS.pop("peak_feed", None)
        for name in ("my_metrics", "my_observer"):
            sys.modules.pop(name, None)


def test_an_observer_inside_a_durable_sweep_is_stored_resumed_and_read_back(tmp_path):
    """The sweep file's observers: one table per run, kept like the daily tables."""
    sweep_file = tmp_path / "tiers.toml"
    sweep_file.write_text(textwrap.dedent(f"""
        name = "tiers"
        base = "{CONFIGS / 'baseline.toml'}"
        replicates = 2
        seed = 3
        observers = ["tiers"]
        [set]
        "population.followers" = 2000
        "population.influencers" = 60
        "horizon_days" = 20
        [parameters]
        "platforms.0.phases.0.flat_fee.fee" = [20.0, 80.0]
    """))
    out = tmp_path / "out"
    result = simulation.sweep(sweep_file, out, workers=1, progress=False)
    tiers = result.observed("tiers")
    assert sorted(tiers["run_id"].unique()) == [0, 1, 2, 3]
    assert len(list((out / "observed" / "tiers").glob("run-*.parquet"))) == 4
    one = tiers[tiers["run_id"] == 3].drop(columns=LABELS).reset_index(drop=True)
    config = simulation.load_config(CONFIGS / "baseline.toml", {
        "population.followers": 2000, "population.influencers": 60, "horizon_days": 20,
        "platforms.0.phases.0.flat_fee.fee": 80.0})
    seed = int(result.runs.set_index("run_id").loc[3, "seed"])
    pd.testing.assert_frame_equal(one, tier_timeseries(config, seed=seed))
    (out / "observed" / "tiers" / "run-000002.parquet").write_text("junk")  # damaged
    again = simulation.sweep(sweep_file, out, workers=1, progress=False)  # resumes
    pd.testing.assert_frame_equal(again.observed("tiers"), tiers)  # run 2 was run again
    with pytest.raises(simulation.ConfigError, match="did not run it; allowed: tiers"):
        again.observed("peak_feed")


def test_a_sweep_file_with_an_unknown_observer_is_refused(tmp_path):
    from simulation.runs.sweep_file import load_sweep_spec

    path = tmp_path / "bad.toml"
    path.write_text(f'base = "{CONFIGS / "bass.toml"}"\nobservers = ["nope"]\n'
                    '[parameters]\n"adoption.imitation" = [0.1, 0.2]\n')
    with pytest.raises(simulation.ConfigError, match="observers.*'nope' is not an observer"):
        load_sweep_spec(path)


def test_the_model_keeps_mesas_agent_set(baseline):
    """Per-agent results have their own name: ``model.agents`` is still Mesa's AgentSet."""
    model = SparkModel(baseline)
    model.step()
    megas = model.agents.select(lambda agent: agent.tier == "mega")
    assert len(megas) == (model.influencers.tier == 4).sum()
    assert len(model.influencer_totals) == SMALL["population.influencers"]
