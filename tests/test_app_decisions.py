"""The web app as a decision studio (issue 23), without a browser: units, words, plans, costs.

The page's levers in people's units and back exactly; every lever's tooltip
from the config schema; a bad value said in words with no config key; plans
kept, pinned, saved and read back; runs reused from the cache with the same
numbers as ``simulation.compare``; the cost, payback and switch days read
from the daily tables. The browser tests are in ``tests/test_app.py``.
"""

from __future__ import annotations

import html
import re
from dataclasses import fields, replace

import numpy as np
import pandas as pd
import pytest

import simulation
from simulation.analysis.compare import Comparison, paired_table
from simulation.app import cache, costs, explain, plan, plans, scenarios

CONFIG_KEY = re.compile(r"\b[a-z]+(?:_[a-z]+)*\.[a-z_]+\b|\bNone\b|\b[a-z]+_[a-z_]+\b")
"""A config key (``population.followers``, ``flat_fee``) or a Python value in words."""
LEVERS = [f.name for f in fields(plan.Levers) if f.name != "settings"]


def default_levers(**values) -> plan.Levers:
    base = scenarios.load("baseline")
    return replace(plan.levers_from(base, plan.Levers()), **values)


# --- units, tooltips and words -------------------------------------------------------


@pytest.mark.parametrize(("lever", "config", "page", "trigger"), [
    ("commission", 0.04, 4, "day"),
    ("commission", 0.07, 7, "day"),
    ("commission", 0.065, 6.5, "day"),
    ("budget", 10_000_000.0, 10, "day"),
    ("budget", 12_500_000.0, 12.5, "day"),
    ("market_size", 85_000_000.0, 85, "day"),
    ("market_size", 1_234_567.0, 1.234567, "day"),
    ("switch_at", 0.05, 5, "adoption_share"),
    ("switch_at", 0.033, 3.3, "adoption_share"),
    ("switch_at", 2_500_000.0, 2.5, "spend"),
    ("switch_at", 120, 120, "day"),
    ("fee", 40.0, 40, "day"),
    ("people", 10_000, 10_000, "day"),
])
def test_levers_are_shown_in_peoples_units_and_read_back_exactly(lever, config, page, trigger):
    shown = explain.to_page(lever, config, trigger)
    assert shown == page
    back = explain.from_page(lever, shown, trigger)
    assert back == config and type(back) is type(config)


def test_labels_carry_the_page_units():
    assert explain.label("commission") == "Commission (% of the sales credited)"
    assert explain.label("budget") == "Budget ($ million)"
    assert explain.label("market_size") == "Market (million people)"
    assert explain.label("switch_at", "adoption_share") == "Switch at (% of the market adopted)"
    assert explain.say(10, "$ million") == "$10 million" and explain.say(4, "%") == "4%"
    assert explain.say(-5, "$ a day") == "−$5 a day"


@pytest.mark.parametrize("lever", [*LEVERS, "switch_at:adoption_share", "switch_at:spend"])
def test_every_lever_has_a_tooltip_read_from_the_config_schema(lever):
    lever, _, trigger = lever.partition(":")
    trigger = trigger or "day"
    tip = html.unescape(re.sub(r"<[^>]+>", " ", explain.tooltip(lever, trigger)))
    assert len(tip.split()) >= 5, lever
    field = explain.config_field(lever, trigger)
    if field is not None and lever != "switch":
        assert " ".join(field.description.split())[1:] in " ".join(tip.split()), lever
    elif lever in ("launch", "after"):
        for cls in simulation.model.payouts.SCHEMES.values():
            assert cls.__doc__.strip().splitlines()[0] in tip
    else:
        assert lever in (*explain.NOT_IN_CONFIG, "switch"), f"{lever}: no source"


def cases() -> list[tuple[str, object]]:
    """Every number lever the page shows with the defaults: empty, too low and too high."""
    found = []
    levers = default_levers(launch=["flat_fee", "commission", "per_view", "per_adopter"])
    for lever in explain.relevant(levers):
        low, high = explain._bounds(lever, levers.switch)
        found.append((lever, None))
        if low is not None:
            found.append((lever, low[0] - 1))
        if high is not None:
            found.append((lever, high[0] * 10 + 1))
    return found


@pytest.mark.parametrize(("lever", "value"), cases())
def test_a_bad_lever_is_said_in_words_with_no_config_key(lever, value):
    levers = default_levers(launch=["flat_fee", "commission", "per_view", "per_adopter"],
                            **{lever: value})
    with pytest.raises(explain.LeverError) as err:
        explain.check(levers)
    problems = err.value.problems
    assert lever in problems, problems
    words = problems[lever]
    assert not CONFIG_KEY.search(words), words
    assert ("empty" if value is None else "too") in words
    assert err.value.labels()[0] == plan.LABELS[lever]


def test_the_page_checks_what_the_config_checks():
    """Every lever the page passes as good, the config takes (one set of bounds)."""
    levers = default_levers(launch=["flat_fee", "commission", "per_view", "per_adopter"])
    explain.check(levers)
    plan.plan_config(scenarios.load("baseline"), levers)
    with pytest.raises(explain.LeverError) as err:  # and a cross-field rule, in words
        explain.check(replace(levers, people=10_000, market_size=5_000.0))
    assert "more than the whole market" in err.value.problems["people"]


def test_a_config_error_the_page_did_not_foresee_is_put_in_words():
    err = simulation.ConfigError("invalid config: platforms.0.phases.0.flat_fee.fee = None: "
                                 "Input should be a valid number")
    words = explain.translate(err)
    assert list(words.problems) == ["fee"]
    assert not CONFIG_KEY.search(str(words)), str(words)


def test_work_past_the_apps_limit_is_said_in_words():
    with pytest.raises(explain.LeverError) as err:
        explain.check_work(1_000_000, 365, 6, 2)
    assert "4,380,000,000 person-days" in str(err.value)
    assert err.value.labels() == ["Replicates", "People simulated"]
    explain.check_work(10_000, 365, 3, 7)  # six plans and the reference at the defaults


@pytest.mark.parametrize("name", list(scenarios.shipped()))
def test_every_shipped_scenario_says_what_it_is(name):
    words = scenarios.description(name)
    assert len(words.split()) >= 10 and "simulation/" not in words


# --- plans ------------------------------------------------------------------------------


def test_at_most_six_plans_are_pinned_and_the_oldest_gives_way():
    kept = plans.Plans()
    config = scenarios.load("baseline")
    for _ in range(7):
        unpinned = kept.add(plans.Plan(kept.next_name(), default_levers(), config))
    assert unpinned == ["Plan 1"] and kept.pinned == [f"Plan {n}" for n in range(2, 8)]
    assert len(kept.plans) == 7 and kept.next_name() == "Plan 8"
    with pytest.raises(simulation.ConfigError, match="at most 6"):
        kept.pin(list(kept.plans))
    kept.pin(["Plan 7", "Plan 1"])
    assert [p.name for p in kept.compared()] == ["Plan 1", "Plan 7"]
    with pytest.raises(simulation.ConfigError, match="cannot be called 'reference'"):
        plans.check_name("Reference")
    assert plans.check_name("  my   plan ") == "my plan"


@pytest.mark.parametrize("values", [
    {},
    {"fee": 55.0, "commission": 0.065, "launch": ["flat_fee", "commission"],
     "switch": "day", "switch_at": 100, "budget": 12_500_000.0, "replicates": 5, "seed": 7},
    {"scenario": "per_view", "policy": "bottom_k", "invited": 150, "people": 3_000},
    {"switch": "none", "launch": ["per_adopter"], "bounty": 4.5, "market_size": 20e6},
])
def test_a_plan_saved_as_toml_reads_back_as_the_same_levers(values):
    base = default_levers()
    if "scenario" in values:
        base = plan.levers_from(scenarios.load(values["scenario"]), base)
    levers = replace(base, **values)
    config = plan.plan_config(scenarios.load(levers.scenario), levers)
    text = plans.plan_toml(plans.Plan("My plan", levers, config))
    assert simulation.load_config(__import__("tomllib").loads(text)) == config
    loaded = plans.read_plan(text.encode(), "my.toml", default_levers(fee=1.0, replicates=9))
    assert loaded.name == "My plan" and not loaded.uploaded
    assert loaded.levers == levers


def test_a_config_that_is_not_a_shipped_scenario_is_read_as_its_own_base():
    text = (scenarios.CONFIGS / "schemes" / "rival.toml").read_text()
    text = text.replace('name = "rival"', 'name = "rival2"\nhorizon_days = 200')
    loaded = plans.read_plan(text.encode(), "rival2.toml", default_levers())
    assert loaded.uploaded and loaded.base.horizon_days == 200
    assert loaded.description.startswith("Two new platforms compete")
    assert plan.plan_config(loaded.base, loaded.levers).horizon_days == 200


@pytest.mark.parametrize(("data", "words"), [
    (b"\xff\xfe\x00binary", "is not a text file"),
    (b"fee = [", "is not a TOML file the page can read"),
    (b"horizon_days = -3", "is not a config the model can run"),
    (b"x" * 1_000_001, "a plan file is at most 1,000,000"),
])
def test_a_bad_plan_file_is_refused_in_words(data, words):
    with pytest.raises(simulation.ConfigError, match=words):
        plans.read_plan(data, "plan.toml", default_levers())


# --- runs reused, numbers unchanged ---------------------------------------------------


def test_runs_kept_from_before_give_compares_own_numbers():
    small = simulation.load_config(scenarios.CONFIGS / "baseline.toml",
                                   {"population.followers": 1_500, "horizon_days": 60})
    other = simulation.load_config(small, {"platforms.0.phases.0.flat_fee.fee": 70.0})
    reference = simulation.load_config(small, {"platforms.0.phases": []})
    kept = cache.RunCache()
    runner = cache.CachedRunner(replicates=2, seed=3, cache=kept)
    simulation.compare({"a": small, "reference": reference}, reference="reference",
                       runner=runner)
    assert (kept.hits, kept.misses) == (0, 2) and runner.missing([other]) == 1
    got = simulation.compare({"b": other, "a": small, "reference": reference},
                             reference="reference", runner=runner)
    assert (kept.hits, kept.misses) == (2, 3)
    want = simulation.compare({"b": other, "a": small, "reference": reference},
                              reference="reference", replicates=2, seed=3, workers=1)
    pd.testing.assert_frame_equal(got.table, want.table)
    pd.testing.assert_frame_equal(got.runs, want.runs)
    pd.testing.assert_frame_equal(got.timeseries, want.timeseries)


# --- cost, payback and the days things happened ---------------------------------------


def test_the_switch_day_read_from_the_daily_table_is_the_models():
    config = simulation.load_config(scenarios.CONFIGS / "baseline.toml",
                                    {"population.followers": 3_000,
                                     "metrics.retention_window_days": 20})
    result = simulation.run(config, seed=1)
    table = result.timeseries
    day = costs.switch_day(config.platforms[0].phases, table["day"].to_numpy(),
                           table["adopters"].to_numpy() / config.population.market_size,
                           table["spend_total"].cumsum().to_numpy())
    assert day is not None
    active = table.set_index("day")["active_users"]
    window = config.metrics.retention_window_days
    assert active[day + window] / active[day] == pytest.approx(
        result.summary["spark"]["retention_after_switch"])
    on_day = simulation.load_config(config, {"platforms.0.phases.1.start": {
        "day": 40, "notice_days": 10}})
    assert costs.switch_day(on_day.platforms[0].phases, np.arange(366), np.zeros(366),
                            np.zeros(366)) == 50


@pytest.mark.parametrize(("gap", "day", "reached"), [
    ([0, -5, -3, 1, 2], 3, True),
    ([-1, -2, -3, -1], None, False),
    ([0, 1, 2], None, None),
    ([-1, 0, -1, 2], 1, True),
])
def test_the_payback_day_is_the_first_day_back_at_zero(gap, day, reached):
    curve = pd.DataFrame({"mean": gap}, index=range(len(gap)))
    assert costs.payback_day(curve) == (day, reached)


def synthetic(plan_gain: float, plan_spend: float) -> Comparison:
    """A comparison of one plan with a reference, 3 replicates, from made-up runs."""
    rows, days = [], []
    for scenario, gain, spend in (("plan", plan_gain, plan_spend), ("reference", 0.0, 0.0)):
        for replicate in range(3):
            rows.append({"scenario": scenario, "replicate": replicate,
                         "spark.adopters_end": 1000 + gain + replicate,
                         "spark.active_users_end": 500 + gain / 2,
                         "spark.total_spend": spend + replicate,
                         "spark.net_total": 100 - spend})
            days += [{"scenario": scenario, "replicate": replicate, "platform": "spark",
                      "day": d, "net": (100 - spend) / 10} for d in range(10)]
    runs = pd.DataFrame(rows)
    return Comparison(paired_table(runs, "reference"), runs, pd.DataFrame(days), "reference",
                      ["plan", "reference"])


def test_a_plan_that_does_worse_gets_a_reason_not_a_dash():
    table = costs.cost_table(synthetic(-200.0, 5_000.0), "spark", ["plan"], 10)
    row = table.set_index("plan").loc["plan"]
    assert np.isnan(row["cost_per_incremental_adopter"])
    assert row["note"].startswith("adds no adopters (−200 against the reference)")
    assert "does not pay back within the horizon (10 days)" in row["note"]
    assert row["adopters_per_1000"] == pytest.approx(-200 / 5000 * 1000)
    assert table.set_index("plan").loc["reference", "spend"] == 1


def test_a_plan_that_spends_less_than_the_reference_says_so():
    table = costs.cost_table(synthetic(50.0, -3.0), "spark", ["plan"], 10)
    row = table.set_index("plan").loc["plan"]
    assert np.isnan(row["adopters_per_1000"]) and np.isnan(row["roi"])
    assert "spends no more than the reference" in row["note"]


def test_the_return_and_the_gains_per_thousand_dollars():
    table = costs.cost_table(synthetic(400.0, 2_000.0), "spark", ["plan"], 10)
    row = table.set_index("plan").loc["plan"]
    assert row["extra_spend"] == 2_000 and row["extra_adopters"] == 400
    assert row["adopters_per_1000"] == pytest.approx(200)
    assert row["active_users_per_1000"] == pytest.approx(100)
    assert row["roi"] == pytest.approx(-100)  # net fell by the whole extra spend
    assert row["cost_per_incremental_adopter"] == pytest.approx(5)
