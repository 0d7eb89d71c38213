"""The public conformance suite on a user's entries, and registration that checks.

A user module, written to tmp_path and imported, defines a good scheme, a
scheme whose spend does not add up (it bills the day as one number, not one
amount per influencer) and a graph kind that gives 1 edge per person when 10
friends were asked for. ``simulation.testing`` passes the first and fails the
others, naming the check and what it saw. Bad registrations (a key taken, a
key that is already a phase's field, a scheme without its parts) are one clear
RegistryError when the class is defined, and leave every registry and shipped
config as they were.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import textwrap
from typing import ClassVar

import numpy as np
import pytest

import simulation
from simulation.model.attribution import ATTRIBUTION_RULES
from simulation.model.config import Attribution, Config, Network, Platform, plain
from simulation.model.networks import SOCIAL_KINDS
from simulation.model.payouts import SCHEMES, Commission, Phase, Scheme, Start
from simulation.model.sections import RegistryError
from simulation.testing import check_scheme, check_social_kind
from tests.conftest import CONFIGS, ROOT

USER_MODULE = '''
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from simulation.model.networks import Generated
from simulation.model.payouts import Scheme


class UserPerView(Scheme):
    """A rate per thousand views: a good scheme of the user's own."""

    key: ClassVar[str] = "user_per_view"
    label: ClassVar[str] = "user per view"
    color: ClassVar[str] = "#8172B3"
    rate_per_1000: float = Field(0.5, ge=0, description="$ per 1 000 views")

    def owed(self, activity):
        return self.rate_per_1000 * activity.views / 1000.0

    def expected(self, n_posts, outlook):
        return n_posts * (self.rate_per_1000 * outlook.views_per_post / 1000.0)[:, None]


class PerActiveFollower(Scheme):
    """A rate per thousand active followers, for each day the influencer posts."""

    key: ClassVar[str] = "user_per_active_follower"
    label: ClassVar[str] = "per active follower"
    color: ClassVar[str] = "#DA8BC3"
    rate_per_1000: float = Field(
        2.0, ge=0, description="$ per 1 000 active followers a day posted")

    def owed(self, activity):
        return (activity.posts > 0) * self.rate_per_1000 * activity.active_followers / 1000.0

    def expected(self, n_posts, outlook):
        return (n_posts > 0) * (self.rate_per_1000 * outlook.active_followers / 1000.0)[:, None]


class DayBill(Scheme):
    """Broken: the day's bill as one number, not one amount per influencer."""

    key: ClassVar[str] = "user_day_bill"
    label: ClassVar[str] = "day bill"
    color: ClassVar[str] = "#937860"
    tip: float = Field(1.0, ge=0, description="$ per post")

    def owed(self, activity):
        return np.float64(self.tip * activity.posts.sum())

    def expected(self, n_posts, outlook):
        return self.tip * n_posts.astype(float)


class OneEdge(Generated):
    """Broken: one edge per person, whatever mean_degree asks."""

    kind: Literal["user_one_edge"] = "user_one_edge"

    def edges(self, n, rng):
        src = np.arange(n, dtype=np.int32)
        return src, ((src + 1) % n).astype(np.int32)
'''


def shipped_configs_load() -> None:
    for path in sorted(CONFIGS.glob("*.toml")) + sorted((CONFIGS / "schemes").glob("*.toml")):
        simulation.load_config(path)


@pytest.fixture
def restored():
    """Put the registries back as they were after the test (no section changed with them)."""
    schemes, kinds, rules = dict(SCHEMES), dict(SOCIAL_KINDS), dict(ATTRIBUTION_RULES)
    fields = dict(Phase.model_fields)
    yield
    for registry, entries in ((SCHEMES, schemes), (SOCIAL_KINDS, kinds),
                              (ATTRIBUTION_RULES, rules)):
        registry.clear()
        registry.update(entries)
    assert dict(Phase.model_fields) == fields


@pytest.fixture
def import_user(tmp_path, monkeypatch, restored):
    """A function that imports the user module from tmp_path (the registries restored after)."""
    (tmp_path / "user_entries.py").write_text(USER_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("user_entries", None)
    yield lambda: importlib.import_module("user_entries")
    sys.modules.pop("user_entries", None)


@pytest.fixture
def user(import_user):
    """The user module, imported from tmp_path."""
    return import_user()


def test_a_good_user_scheme_passes_check_scheme(user):
    check_scheme(user.PerActiveFollower)
    check_scheme("user_per_view")
    check_scheme(user.PerActiveFollower(rate_per_1000=2.0))


def test_a_graph_kind_that_misses_its_mean_degree_fails_naming_it(user):
    with pytest.raises(AssertionError) as caught:
        check_social_kind(user.OneEdge)
    message = str(caught.value)
    assert "check_social_kind_gives_its_mean_degree" in message
    assert "mean degree 2.00" in message and "mean_degree = 10" in message
    check_social_kind(SOCIAL_KINDS["erdos_renyi"](mean_degree=10))  # a good one passes


def test_a_scheme_whose_spend_does_not_add_up_fails_check_scheme(user):
    with pytest.raises(AssertionError) as caught:
        check_scheme(user.DayBill)
    assert "does not add up" in str(caught.value)
    assert "returned shape ()" in str(caught.value)


def test_parametrize_with_checks_runs_in_a_users_own_tests(tmp_path):
    """A user's test file, run by pytest: the good scheme passes, the broken graph fails."""
    (tmp_path / "user_entries.py").write_text(USER_MODULE)
    (tmp_path / "test_mine.py").write_text(textwrap.dedent('''
        from user_entries import OneEdge, PerActiveFollower
        from simulation.testing import parametrize_with_checks

        @parametrize_with_checks([PerActiveFollower, OneEdge])
        def test_conformance(entry, check):
            check(entry)
    '''))
    env = {**os.environ, "MPLBACKEND": "Agg",
           "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:xdist", "-q", "-rf",
                           "-p", "no:cacheprovider", "test_mine.py"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    failed = [line for line in done.stdout.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1 and "user_one_edge-check_social_kind_gives_its_mean_degree" \
        in failed[0], done.stdout
    assert "10 passed, 1 failed" in done.stdout or "1 failed, 9 passed" in done.stdout, \
        done.stdout


# --- registration that checks -----------------------------------------------------------


def define(key: str, **parts):
    """Define a scheme class with ``key`` (the registration is what is tested)."""
    namespace = {"__annotations__": {"key": ClassVar[str], "label": ClassVar[str],
                                     "color": ClassVar[str]},
                 "key": key, "label": "a label", "color": "#000000",
                 "owed": lambda self, activity: np.zeros(len(activity.posts)),
                 "expected": lambda self, n_posts, outlook: np.zeros(n_posts.shape),
                 "__module__": __name__}
    for name, value in parts.items():
        if value is None:
            namespace.pop(name)
            namespace["__annotations__"].pop(name, None)
        else:
            namespace[name] = value
    return type(Scheme)(f"Scheme_{key}", (Scheme,), namespace)


@pytest.mark.parametrize(("key", "parts", "words"), [
    ("commission", {}, "key 'commission' is already registered (by "
                       "simulation.model.payouts.Commission); choose another key, or pass "
                       "replace=True"),
    ("start", {}, "key 'start' is already a key of a phase (name, start)"),
    ("name", {}, "key 'name' is already a key of a phase"),
    ("schemes", {}, "is already a key of a phase (name, start) or one of its methods"),
    ("total", {}, "spend_total"),
    ("tip-jar", {}, "must be a Python identifier"),
    ("tip_jar", {"label": None}, "it must set 'label'"),
    ("tip_jar", {"owed": None}, "it must write owed()"),
])
def test_a_bad_registration_is_one_clear_error_and_changes_nothing(key, parts, words, restored):
    before, fields = dict(SCHEMES), dict(Phase.model_fields)
    with pytest.raises(RegistryError) as caught:
        define(key, **parts)
    message = str(caught.value)
    assert words in message and "\n" not in message, message
    assert isinstance(caught.value, TypeError)  # a programming error, not a ConfigError
    assert SCHEMES == before and dict(Phase.model_fields) == fields
    assert Phase.model_fields["start"].annotation is Start
    assert SCHEMES["commission"] is Commission
    shipped_configs_load()
    config = simulation.load_config(CONFIGS / "baseline.toml")
    assert type(config.platforms[0].phases[1].commission) is Commission


def test_a_scheme_whose_types_are_not_all_defined_is_refused(restored):
    """A field annotated with a name defined nowhere: the scheme could never validate."""
    before, fields = dict(SCHEMES), dict(Phase.model_fields)
    with pytest.raises(RegistryError) as caught:
        define("forward", __annotations__={"key": ClassVar[str], "label": ClassVar[str],
                                            "color": ClassVar[str], "x": "NotDefinedAnywhere"},
               x=0)
    message = str(caught.value)
    assert "key 'forward' could not be added, nothing changed" in message
    assert "NotDefinedAnywhere" in message and "\n" not in message
    assert SCHEMES == before and dict(Phase.model_fields) == fields
    shipped_configs_load()


def test_replace_true_replaces_on_purpose_and_keeps_the_order(restored):
    class Doubled(Commission, replace=True):
        """Commission at twice the rate."""

        key: ClassVar[str] = "commission"

        def owed(self, activity):
            return 2 * self.rate * activity.gmv

    assert SCHEMES["commission"] is Doubled and list(SCHEMES).index("commission") == 1
    config = simulation.load_config(CONFIGS / "baseline.toml")
    assert type(config.platforms[0].phases[1].commission) is Doubled
    shipped_configs_load()


SHARED = (Phase, Network, Attribution, Platform, Config)
"""The sections that hold registry entries: registering one must not rebuild them."""


def test_registering_entries_rebuilds_no_shared_section(import_user):
    """Schemes and a graph kind (the user module) and a rule: each section is as it was.

    The same ``model_fields`` dict, holding the same field infos, and the same
    validator: the sections read the registries when they validate.
    """
    from simulation.model.attribution import rule

    before = {s: (s.model_fields, dict(s.model_fields), s.__pydantic_validator__)
              for s in SHARED}
    user = import_user()
    rule("user_first")(lambda touches: np.zeros(touches.n_influencers))
    assert "user_per_view" in SCHEMES and "user_one_edge" in SOCIAL_KINDS
    for section, (fields, copied, validator) in before.items():
        assert section.model_fields is fields, section
        assert list(fields) == list(copied) and all(
            fields[name] is info for name, info in copied.items()), section
        assert section.__pydantic_validator__ is validator, section
    assert list(Phase.model_fields) == ["name", "start"]
    assert "user_per_view" in Phase.config_keys()
    config = simulation.load_config(CONFIGS / "baseline.toml", {
        "platforms.0.phases.0.user_per_view": {}, "attribution.rule": "user_first",
        "network.social": {"kind": "user_one_edge", "mean_degree": 4}})
    assert type(config.platforms[0].phases[0].user_per_view) is user.UserPerView
    assert type(config.network.social) is user.OneEdge
    assert config.network.social.mean_degree == 4
    assert config.attribution.rule == "user_first"


def test_a_users_scheme_is_a_config_key_in_plain_output_and_overrides_at_once(user):
    """Defined in a user's module, it is a phase's key: read, dumped, overridden, checked."""
    config = simulation.load_config(CONFIGS / "baseline.toml", {
        "platforms.0.phases.1.user_per_view.rate_per_1000": 2.5})  # a section not given
    phase = config.platforms[0].phases[1]
    assert type(phase.user_per_view) is user.UserPerView
    assert phase.user_per_view.rate_per_1000 == 2.5 and phase.commission.rate == 0.04
    assert phase.schemes() == [phase.commission, phase.user_per_view]  # registry order
    assert config.platforms[0].phases[0].user_per_view is None  # not paid there
    dumped = plain(config)["platforms"][0]["phases"]
    assert dumped[1]["user_per_view"] == {"rate_per_1000": 2.5}
    assert "user_per_view" not in dumped[0]
    assert config.model_dump()["platforms"][0]["phases"][1]["user_per_view"] == {
        "rate_per_1000": 2.5}
    assert "[platforms.phases.user_per_view]" in config.to_toml()
    assert simulation.load_config(plain(config)) == config
    again = simulation.load_config(config, {"platforms.0.phases.1.user_per_view.rate_per_1000": 4})
    assert again.platforms[0].phases[1].user_per_view.rate_per_1000 == 4
    with pytest.raises(simulation.ConfigError) as caught:
        simulation.load_config(config, {"platforms.0.phases.1.user_per_view.rate_per_1000": -1})
    assert "platforms.0.phases.1.user_per_view.rate_per_1000 = -1" in str(caught.value)
    assert "greater than or equal to 0" in str(caught.value)
    with pytest.raises(simulation.ConfigError) as caught:
        simulation.load_config(config, {"platforms.0.phases.1.user_per_vieww": {}})
    assert "unknown key 'platforms.0.phases.1.user_per_vieww'" in str(caught.value)
    assert str(caught.value).endswith("commission, per_view, per_adopter, user_per_view, "
                                      "user_per_active_follower, user_day_bill")
    phase.user_per_view = {"rate_per_1000": 1.0}  # checked as it is set
    assert type(phase.user_per_view) is user.UserPerView
    with pytest.raises(simulation.ConfigError, match=r"user_per_view.rate_per_1000 = -2"):
        phase.user_per_view = {"rate_per_1000": -2}
    phase.user_per_view = None
    assert phase.user_per_view is None and phase.schemes() == [phase.commission]


def test_a_graph_kind_taken_is_refused_and_changes_nothing(restored):
    from typing import Literal

    from simulation.model.networks import Generated

    before = dict(SOCIAL_KINDS)
    with pytest.raises(RegistryError, match="key 'erdos_renyi' is already registered"):
        class Mine(Generated):
            kind: Literal["erdos_renyi"] = "erdos_renyi"

            def edges(self, n, rng):
                return np.zeros(0, np.int32), np.zeros(0, np.int32)
    with pytest.raises(RegistryError, match="it must write edges"):
        class NoEdges(Generated):
            kind: Literal["no_edges"] = "no_edges"
    assert SOCIAL_KINDS == before
    shipped_configs_load()


def test_a_metric_or_rule_taken_is_refused():
    from simulation.model.attribution import ATTRIBUTION_RULES, rule
    from simulation.model.metrics import METRICS, metric

    before = dict(METRICS)
    with pytest.raises(RegistryError, match="key 'total_spend' is already registered"):
        metric("total_spend", "spend", "$")(lambda run: 0.0)
    with pytest.raises(RegistryError, match="better = 'up'"):
        metric("my_metric", "mine", "$", better="up")
    with pytest.raises(RegistryError, match="key 'causal' is already registered"):
        rule("causal")(lambda touches: None)
    assert METRICS == before and list(ATTRIBUTION_RULES) == ["last_touch", "even_split",
                                                              "causal"]


# --- the app reads the registries ---------------------------------------------------------


def test_a_users_scheme_shows_in_the_apps_plan_with_its_label_and_key(user):
    from simulation.app import plan, scenarios
    from simulation.app.levers import LeverWidgets

    assert plan.scheme_options()["user per view"] == "user_per_view"
    assert plan.scheme_keys() == tuple(SCHEMES) and "user_per_view" in plan.scheme_keys()
    widgets = LeverWidgets(scenarios.names())
    assert widgets.widgets["launch"].options["user per view"] == "user_per_view"
    base = scenarios.load("baseline")
    levers = plan.levers_from(base, plan.Levers())
    levers.launch = ["flat_fee", "user_per_view"]
    config = plan.plan_config(base, levers)
    launch = config.platforms[0].phases[0]
    assert launch.name == "flat fee + user per view"
    assert type(launch.user_per_view) is user.UserPerView
    read = plan.levers_from(config, plan.Levers())
    assert read.launch == ["flat_fee", "user_per_view"]
    assert read.settings["user_per_view"] == {"rate_per_1000": 0.5}  # its default


def test_a_users_scheme_has_its_own_levers_on_the_page(user):
    """Its number fields become widgets, labelled from the registry, that set the plan."""
    from simulation.app import plan, scenarios
    from simulation.app.levers import LeverWidgets

    widgets = LeverWidgets(scenarios.names())
    rate = widgets.settings["user_per_view"]["rate_per_1000"]
    assert rate.name == "User per view: $ per 1 000 views" and rate.value == 0.5
    assert not rate.visible  # the baseline does not pay it
    widgets.widgets["launch"].value = ["flat_fee", "user_per_view"]
    assert rate.visible
    rate.value = 2.5
    levers = widgets.levers()
    config = plan.plan_config(scenarios.load(levers.scenario), levers)
    assert config.platforms[0].phases[0].user_per_view.rate_per_1000 == 2.5
    rate.value = -1.0
    with pytest.raises(simulation.ConfigError) as err:
        plan.plan_config(scenarios.load("baseline"), widgets.levers())
    assert plan.fields_named(str(err.value)) == ["User per view: $ per 1 000 views"]


def test_a_per_active_follower_scheme_is_one_class(user):
    """It reads the audience from the day (Activity, Outlook): it passes the suite, pays into
    its own column, and a higher rate gets more influencers posting than a rate of 0. (At
    launch nobody's followers are there yet, so it pays nothing: people arrive here by
    themselves, at a high innovation rate.)"""
    check_scheme(user.PerActiveFollower)

    def run(rate):
        config = simulation.load_config(CONFIGS / "schemes" / "none.toml", {
            "population.followers": 3000, "population.influencers": 80, "horizon_days": 40,
            "platforms.0.invitation": {"policy": "open"},
            "adoption.innovation": 0.01,  # people arrive by themselves: an audience to pay for
            "platforms.0.phases": [{"user_per_active_follower": {"rate_per_1000": rate}}]})
        return simulation.run(config, seed=5)

    paid, unpaid = run(40.0), run(0.0)
    spend = paid.timeseries["spend_user_per_active_follower"]
    assert spend.sum() > 0 and spend.sum() == pytest.approx(
        paid.timeseries["spend_total"].sum())  # all of it in its own column
    assert paid.timeseries["posts"].sum() > unpaid.timeseries["posts"].sum()
    assert unpaid.timeseries["spend_total"].sum() == 0
    posters = paid.agents[paid.agents["days_posted"] > 0]
    big = posters["audience"] > posters["audience"].median()
    per_day = posters["paid"] / posters["days_posted"]
    assert per_day[big].mean() > per_day[~big].mean()  # pay follows the audience
