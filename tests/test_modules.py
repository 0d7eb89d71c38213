"""Modules: the day assembled from the parts a config needs, each declaring what it owns.

The package's modules between them declare every daily column and every built-in
metric exactly once; registration refuses a bad module where it is defined; a
user's module is one class, runs in the order it declares, and a module that
only watches changes no number of the run.
"""

from __future__ import annotations

import importlib
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

import simulation
from simulation.model.metrics import METRICS, daily_columns
from simulation.model.modules import MODULES, Module, import_built_in
from simulation.model.sections import RegistryError
from simulation.model.spark_model import SparkModel
from tests.conftest import CONFIGS

SMALL = {"population.followers": 3000, "population.influencers": 60, "horizon_days": 40}
DERIVED = {"day", "platform", "spend_total", "net"}  # the daily table's own columns
BUILT_IN = ("people", "platforms", "flat_fee_slots", "influencers", "attribution", "commerce",
            "payouts")


@pytest.fixture(scope="module")
def baseline():
    return simulation.load_config(CONFIGS / "baseline.toml", SMALL)


def built_in() -> list[type[Module]]:
    import_built_in()
    return [MODULES[key] for key in BUILT_IN]


def test_every_daily_column_is_one_modules():
    declared = [name for cls in built_in() for name in cls.column_names()]
    assert sorted(declared) == sorted(set(daily_columns()) - DERIVED)


def test_every_built_in_metric_is_one_modules():
    declared = [key for cls in built_in() for key in cls.metrics]
    assert len(declared) == len(set(declared))
    built_in_metrics = {key for key, entry in METRICS.items()
                        if entry.compute.__module__ == "simulation.model.metrics"}
    assert set(declared) == built_in_metrics


def test_each_module_says_what_it_owns_and_reads():
    for cls in built_in():
        assert cls.words and cls.stages, cls.key
        assert all(section for section in cls.reads), cls.key
        for name in cls.stages:
            assert (getattr(cls, name).__doc__ or "").strip(), f"{cls.key}.{name} has no words"


def test_the_modules_a_config_needs(baseline):
    assert list(SparkModel(baseline).modules) == ["platforms", "flat_fee_slots", "influencers",
                                                  "people", "attribution", "commerce",
                                                  "payouts"]  # in the order they first act
    bass = SparkModel(simulation.load_config(CONFIGS / "bass.toml"))
    assert sorted(bass.modules) == ["commerce", "people", "platforms"]
    commission = SparkModel(simulation.load_config(CONFIGS / "schemes" / "commission.toml",
                                                   SMALL))
    assert "flat_fee_slots" not in commission.modules  # no phase pays a flat fee


def test_stages_hand_each_other_the_day_not_the_model(baseline):
    model = SparkModel(baseline)
    model.step()
    for name in ("payments", "audience", "outlook", "active_followers", "feed_posts"):
        assert not hasattr(model, name), name
    assert model.today.payments[0]["spend_flat_fee"].shape == (SMALL["population.influencers"],)


# --- registration that checks ------------------------------------------------------------


def test_a_taken_key_is_refused_and_changes_nothing():
    before = dict(MODULES)
    with pytest.raises(RegistryError, match="'people' is already registered"):
        class People(Module):
            key = "people"
            words = "a second people"
    assert MODULES == before


@pytest.mark.parametrize("body, words", [
    ("words = ''", "must set 'words'"),
    ("words = 'x'\n    stages = {'nope': 1}", "stage 'nope' is not a method"),
    ("words = 'x'\n    stages = {'go': 'first'}\n    def go(self, today): pass",
     "order 'first'; allowed: a number"),
    ("words = 'x'\n    stages = {'sell': 99}\n    def sell(self, today): pass",
     "stage 'sell' is already module 'commerce'"),
    ("key = 'start-day'\n    words = 'x'", "must be a Python identifier"),
])
def test_a_module_missing_a_part_is_refused_where_it_is_defined(body, words):
    import_built_in()
    before = dict(MODULES)
    source = f"class Broken(Module):\n    key = 'broken'\n    {body}\n"
    with pytest.raises(RegistryError, match=words):
        exec(source, {"Module": Module})
    assert MODULES == before


def test_two_stages_at_one_order_are_refused_when_the_day_is_assembled(baseline):
    class Twin(Module):
        key = "twin"
        words = "nothing"
        stages = {"twin_sell": 60}

        def twin_sell(self, today):
            """At the order of sell."""

    try:
        with pytest.raises(RegistryError, match="commerce.sell and twin.twin_sell both have "
                                                "order 60"):
            SparkModel(baseline)
    finally:
        MODULES.pop("twin")


# --- a user's module ------------------------------------------------------------------------

USER_MODULES = '''
    import numpy as np
    from simulation.model.modules import Module


    class PostCap(Module):
        """A spam rule: no influencer publishes more than 2 posts a day on any platform."""

        key = "post_cap"
        words = "nothing that lasts: the cap is 2 posts a day"
        stages = {"cap_posts": 25}  # after decide (20), before enrol (30)

        def cap_posts(self, today):
            """Posts above the cap are not published."""
            np.minimum(today.posts, 2, out=today.posts)


    class ViewLog(Module):
        """Watches: the day's views per platform, kept."""

        key = "view_log"
        words = "views per day and platform"
        stages = {"log_views": 65}  # after sell (60)

        def __init__(self, model):
            super().__init__(model)
            self.views = []

        def log_views(self, today):
            """The day's views, per platform."""
            self.views.append(today.views.sum(axis=0).copy())
'''


@pytest.fixture
def user_modules(tmp_path, monkeypatch):
    (tmp_path / "my_modules.py").write_text(textwrap.dedent(USER_MODULES))
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        yield importlib.import_module("my_modules")
    finally:
        MODULES.pop("post_cap", None)
        MODULES.pop("view_log", None)
        sys.modules.pop("my_modules", None)


@pytest.fixture(scope="module")
def without(baseline):
    """The run before any user module is registered."""
    return simulation.run(baseline, seed=3).timeseries


def test_a_users_module_is_one_class_in_its_order_and_changes_the_day(baseline, without,
                                                                      user_modules):
    model = SparkModel(baseline, seed=3)
    names = model.plan().names
    assert names.index("decide") < names.index("cap_posts") < names.index("enrol")
    assert names.index("sell") < names.index("log_views") < names.index("pay")
    model.run()
    capped = model.timeseries
    assert "post_cap" in str(model.plan())
    assert (capped["posts"] <= 2 * capped["active_influencers"]).all()
    assert (without["posts"] > 2 * without["active_influencers"]).any()  # the cap binds
    logged = np.array(model.modules["view_log"].views)[:, 0]
    assert np.allclose(logged, capped["views"].to_numpy()[1:])


def test_a_module_that_only_watches_changes_no_number(baseline, without, user_modules):
    MODULES.pop("post_cap")
    model = SparkModel(baseline, seed=3).run()
    assert len(model.modules["view_log"].views) == SMALL["horizon_days"]
    pd.testing.assert_frame_equal(model.timeseries, without)


def test_a_scheme_whose_state_module_is_missing_is_one_message_before_the_run(baseline):
    from typing import ClassVar

    from simulation.model.payouts import SCHEMES, Scheme

    class CappedFund(Scheme):
        """A fund with places, kept by a module never defined."""

        key: ClassVar[str] = "capped_fund"
        label: ClassVar[str] = "capped fund"
        color: ClassVar[str] = "#8172B3"
        state: ClassVar[str | None] = "fund_places"

        def owed(self, activity):
            return activity.holds(self.key) * 1.0

        def expected(self, n_posts, outlook):
            return (n_posts > 0) * outlook.holds(self.key)[:, None] * 1.0

    try:
        config = simulation.load_config(baseline, {"platforms.0.phases.0.capped_fund": {}})
        with pytest.raises(RegistryError, match="scheme 'capped_fund' keeps its contracts in "
                                                "module 'fund_places', which is not registered"):
            SparkModel(config)
    finally:
        SCHEMES.pop("capped_fund")


@pytest.mark.parametrize("columns, words", [
    (("likes",), "declares column 'likes', which is not a daily column"),
    (("posts",), "modules 'influencers' and 'claimer' both declare column 'posts'"),
])
def test_a_module_claims_only_free_daily_columns(baseline, columns, words):
    class Claimer(Module):
        key = "claimer"
        words = "nothing"
        stages = {"claim": 61}

        def claim(self, today):
            """Nothing."""

    Claimer.columns = columns
    try:
        with pytest.raises(RegistryError, match=words):
            SparkModel(baseline)
    finally:
        MODULES.pop("claimer")
