"""Config loading, overrides, validation messages and parameter documentation."""

from __future__ import annotations

import os
import tomllib
import typing

import pytest
from pydantic import BaseModel

import simulation
from simulation import Config, ConfigError, load_config
from simulation.model.config import Adoption, Platform, parse_override, parse_value
from tests.conftest import CONFIGS, SHIPPED

BASS = CONFIGS / "bass.toml"
BASELINE = CONFIGS / "baseline.toml"
RIVAL = CONFIGS / "schemes" / "rival.toml"


def error_of(source, overrides=None) -> str:
    """The ConfigError message of loading ``source`` (fails if it loads)."""
    with pytest.raises(ConfigError) as info:
        load_config(source, overrides)
    message = str(info.value)
    assert message and "\n" not in message, message
    return message


# --- loading --------------------------------------------------------------------


def test_load_from_path():
    config = load_config(BASS)
    assert isinstance(config, Config)
    raw = tomllib.loads(BASS.read_text())
    assert config.name == raw["name"] and config.horizon_days == raw["horizon_days"]
    assert config.population.influencers == raw["population"]["influencers"] == 0
    assert config.network.social.kind == raw["network"]["social"]["kind"]
    assert config.adoption.innovation == raw["adoption"]["innovation"]
    assert config.retention.content_half == Config().retention.content_half  # unset: default
    assert load_config(str(BASS)) == config


def test_name_defaults_to_file_stem(tmp_path):
    (tmp_path / "my_run.toml").write_text("horizon_days = 10\n")
    assert load_config(tmp_path / "my_run.toml").name == "my_run"
    (tmp_path / "other.toml").write_text('name = "given"\n')
    assert load_config(tmp_path / "other.toml").name == "given"


def test_load_from_mapping_leaves_it_unchanged():
    raw = {"horizon_days": 10, "population": {"followers": 500}, "platforms": [{"name": "a"}]}
    config = load_config(raw, {"population.followers": 700, "platforms.0.budget": 9})
    assert config.horizon_days == 10 and config.population.followers == 700
    assert config.population.influencers == Config().population.influencers
    assert config.platforms[0].budget == 9
    assert raw == {"horizon_days": 10, "population": {"followers": 500},
                   "platforms": [{"name": "a"}]}
    assert config.name == Config().name


def test_load_from_config_with_overrides():
    base = load_config(BASELINE)
    changed = load_config(base, {"adoption.imitation": 0.05})
    assert changed.adoption.imitation == 0.05
    assert base.adoption.imitation == Config().adoption.imitation  # not mutated
    assert changed.model_copy(update={"adoption": base.adoption}) == base
    assert load_config(base) == base


def test_overrides_reach_nested_sections_and_list_items():
    config = load_config(BASELINE, {
        "network.social.mean_degree": 6,
        "platforms.0.budget": 5e5,
        "platforms.0.invitation.top_k": 50,
        "platforms.0.phases.1.commission.rate": 0.1,
        "platforms.0.phases.1.start.notice_days": 0,
    })
    assert config.network.social.mean_degree == 6
    assert config.network.social.kind == "watts_strogatz"  # siblings kept
    spark = config.platforms[0]
    assert spark.budget == 5e5 and spark.invitation.top_k == 50
    assert spark.invitation.policy == "top_k"
    assert spark.phases[1].commission.rate == 0.1
    assert spark.phases[1].start.notice_days == 0 and spark.phases[1].start.adoption_share == 0.05
    assert spark.phases[0].flat_fee.fee == load_config(BASELINE).platforms[0].phases[0].flat_fee.fee
    assert config.platforms[0].take_rate == load_config(BASELINE).platforms[0].take_rate


def test_overrides_into_second_platform():
    config = load_config(RIVAL, {"platforms.1.budget": 1, "platforms.1.phases.1.per_view."
                                 "rate_per_1000": 2.5})
    assert [p.name for p in config.platforms] == ["spark", "vidsy"]
    assert config.platforms[1].budget == 1 and config.platforms[0].budget == 10_000_000
    assert config.platforms[1].phases[1].per_view.rate_per_1000 == 2.5


def test_platform_override_without_platforms_uses_the_default_platform():
    config = load_config({}, {"platforms.0.budget": 1})
    assert len(config.platforms) == 1
    assert config.platforms[0].budget == 1
    assert config.platforms[0].name == Platform().name


@pytest.mark.parametrize("key, text, value", [
    ("adoption.imitation", "0.3", 0.3),
    ("population.followers", "5000", 5000),
    ("network.social.kind", "complete", "complete"),
    ("network.social.kind", '"complete"', "complete"),
    ("platforms.0.invitation.open_day", "7", 7),
    ("name", "my_run", "my_run"),
])
def test_string_override_values_are_parsed_as_toml(key, text, value):
    config = load_config(BASS, {key: text})
    node = config
    for part in key.split("."):
        node = node[int(part)] if part.isdigit() else getattr(node, part)
    assert node == value and type(node) is type(value)


@pytest.mark.parametrize("text, value", [
    ("0.3", 0.3), ("3", 3), ("true", True), ("[1, 2]", [1, 2]), ('"x y"', "x y"),
    ("complete", "complete"), ("1e5", 1e5), ("", ""),
])
def test_parse_value(text, value):
    parsed = parse_value(text)
    assert parsed == value and type(parsed) is type(value)


def test_parse_override():
    assert parse_override("adoption.imitation=0.3") == ("adoption.imitation", 0.3)
    assert parse_override(" network.social.kind = complete ") == ("network.social.kind",
                                                                  "complete")
    assert parse_override("name=a=b") == ("name", "a=b")


@pytest.mark.parametrize("text", ["adoption.imitation", "=0.3", " =1", ""])
def test_parse_override_needs_key_and_equals(text):
    with pytest.raises(ConfigError) as info:
        parse_override(text)
    message = str(info.value)
    assert repr(text) in message and "key=value" in message and "\n" not in message


# --- messages: key, value given, what is allowed -------------------------------------


def test_unknown_key_lists_allowed_keys():
    message = error_of(BASS, {"adoption.imitaton": 0.3})
    assert "adoption.imitaton" in message and "0.3" in message
    for allowed in Adoption.model_fields:
        assert allowed in message


def test_unknown_key_in_file_lists_allowed_keys(tmp_path):
    path = tmp_path / "typo.toml"
    path.write_text("[adoption]\nimitaton = 0.3\n")
    message = error_of(path)
    assert "adoption.imitaton" in message and "0.3" in message
    assert all(allowed in message for allowed in Adoption.model_fields)


@pytest.mark.parametrize("key, allowed", [
    ("horizon", ["horizon_days", "population", "platforms", "metrics"]),
    ("platforms.0.budgett", ["budget", "take_rate", "invitation", "phases"]),
    ("platforms.0.phases.0.flat_fe", ["flat_fee", "commission", "per_view", "per_adopter"]),
    ("platforms.0.phases.0.flat_fee.feee", ["fee", "posts_per_day", "tier_fees"]),
    ("platforms.0.phases.0.start.dya", ["day", "adoption_share", "spend", "notice_days"]),
    ("network.social.meandegree", ["mean_degree", "kind", "rewire_prob"]),
])
def test_unknown_key_anywhere_lists_allowed_keys(key, allowed):
    message = error_of(BASELINE, {key: 1})
    assert key in message and "unknown key" in message
    allowed_part = message.split(key, 1)[1]
    for name in allowed:
        assert name in allowed_part, (name, message)


@pytest.mark.parametrize("key, value, words", [
    ("population.followers", "abc", ["population.followers", "'abc'", "integer"]),
    ("horizon_days", 1.5, ["horizon_days", "1.5", "integer"]),
    ("network.social.kind", "grid",
     ["network.social.kind", "'grid'", "complete", "watts_strogatz", "edgelist"]),
    ("adoption.innovation", -1, ["adoption.innovation", "-1", "greater than or equal to 0"]),
    ("influencers.engagement_mean", 1, ["influencers.engagement_mean", "1", "less than 1"]),
    ("platforms.0.take_rate", 1.5, ["platforms.0.take_rate", "1.5", "less than or equal to 1"]),
    ("population.followers", 0, ["population.followers", "0", "greater than or equal to 1"]),
])
def test_wrong_type_and_out_of_range_name_key_value_and_limit(key, value, words):
    message = error_of(BASELINE, {key: value})
    for word in words:
        assert word in message, (word, message)


def test_start_with_two_triggers():
    message = error_of(BASELINE, {"platforms.0.phases.0.start": {"day": 0, "spend": 100}})
    assert "platforms.0.phases.0.start" in message
    assert "day" in message and "spend" in message and "100" in message
    assert "exactly one" in message and "adoption_share" in message


def test_start_with_no_trigger():
    message = error_of(BASELINE, {"platforms.0.phases.0.start": {"notice_days": 3}})
    assert "platforms.0.phases.0.start" in message and "exactly one" in message


def test_duplicate_platform_names():
    message = error_of(RIVAL, {"platforms.1.name": "spark"})
    assert "unique" in message
    assert "['spark', 'spark']" in message
    # the key is `platforms`, not the whole config dumped as "(top level) = {...}"
    assert "(top level)" not in message
    assert "platforms" in message.split("=", 1)[0]


def test_edgelist_without_path():
    message = error_of(BASS, {"network.social.kind": "edgelist"})
    assert "network.social" in message and "edgelist" in message and "path" in message


def test_index_past_end_of_list():
    message = error_of(BASS, {"platforms.3.budget": 1})
    assert "platforms.3.budget" in message and "0..0" in message


def test_override_through_a_value():
    message = error_of(BASS, {"population.followers.x": 1})
    assert "population.followers.x" in message and "not a section" in message


def test_missing_file(tmp_path):
    message = error_of(tmp_path / "nope.toml")
    assert "nope.toml" in message and "not found" in message


def test_broken_toml(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("horizon_days = \n[population\n")
    message = error_of(path)
    assert "broken.toml" in message and "TOML" in message and "line" in message


def test_binary_file(tmp_path):
    path = tmp_path / "binary.toml"
    path.write_bytes(b"\xff\xfe\x00name")
    message = error_of(path)
    assert "binary.toml" in message


def test_config_error_is_a_value_error():
    assert issubclass(ConfigError, ValueError)
    assert simulation.ConfigError is ConfigError


# --- shipped configs and round trips ---------------------------------------------------


def test_shipped_configs_are_all_found():
    names = {p.relative_to(CONFIGS).as_posix() for p in SHIPPED}
    assert {"baseline.toml", "bass.toml", "schemes/rival.toml"} <= names
    assert len([n for n in names if n.startswith("schemes/")]) >= 7


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.relative_to(CONFIGS).as_posix())
def test_shipped_config_validates_and_round_trips(path, tmp_path):
    config = load_config(path)
    raw = tomllib.loads(path.read_text())
    assert config.name == raw.get("name", path.stem)
    text = config.to_toml()
    assert load_config(tomllib.loads(text)) == config
    written = tmp_path / "resolved.toml"
    written.write_text(text)
    assert load_config(written) == config


def test_default_config_round_trips(tmp_path):
    config = Config()
    text = config.to_toml()
    parsed = tomllib.loads(text)
    assert set(parsed) >= {"name", "seed", "horizon_days", "population", "platforms"}
    assert load_config(parsed) == config
    (tmp_path / "x.toml").write_text(text)
    assert load_config(tmp_path / "x.toml") == config
    assert load_config({}) == config


# --- every parameter documented ----------------------------------------------------------


def _models_in(annotation) -> list[type[BaseModel]]:
    """Pydantic models inside an annotation (X, list[X], X | None, dict[K, X], ...)."""
    found = []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        found.append(annotation)
    for arg in typing.get_args(annotation):
        found.extend(_models_in(arg))
    return found


def _reachable_models() -> list[type[BaseModel]]:
    seen: list[type[BaseModel]] = []
    todo = [Config]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.append(model)
        for field in model.config_keys().values():  # with the registries' kinds and schemes
            todo.extend(_models_in(field.annotation))
    return seen


def test_walk_reaches_every_section():
    names = {model.__name__ for model in _reachable_models()}
    assert names >= {
        "Config", "Population", "Network", "WattsStrogatz", "EdgeList", "Complete", "Adoption",
        "Retention",
        "InfluencerParams", "Commerce", "Platform", "Invitation", "Phase", "Start", "FlatFee",
        "Commission", "PerView", "PerAdopter", "Metrics",
    }


REQUIRED_ON_PURPOSE = {"Event.day", "Event.strength"}
"""Keys with no sensible default: an event left without its day or size is an error, not a
silent no-op."""


def test_every_parameter_has_a_description_and_a_default():
    missing, required = [], []
    for model in _reachable_models():
        for name, field in model.config_keys().items():
            if _models_in(field.annotation):
                continue  # a nested section: its own fields are checked
            if not (field.description or "").strip():
                missing.append(f"{model.__name__}.{name}")
            if field.is_required() and f"{model.__name__}.{name}" not in REQUIRED_ON_PURPOSE:
                required.append(f"{model.__name__}.{name}")
    assert not missing, f"fields without a description: {missing}"
    assert not required, f"fields without a default: {required}"


def test_every_section_has_a_docstring():
    undocumented = [m.__name__ for m in _reachable_models() if not (m.__doc__ or "").strip()]
    assert not undocumented


@pytest.mark.parametrize("name", ["", "../escape", "a/b", ".hidden", "my run"])
def test_config_name_must_be_a_safe_folder_name(name):
    with pytest.raises(ConfigError, match=r"^invalid config: name = "):
        load_config({"name": name})


def test_infinite_values_are_rejected():
    with pytest.raises(ConfigError, match="adoption.innovation = inf"):
        load_config({}, {"adoption.innovation": "inf"})


def test_quota_above_the_posting_limit_is_refused():
    with pytest.raises(ConfigError, match=r"flat_fee.posts_per_day = 8.*max_posts_per_day = 6"):
        load_config(CONFIGS / "baseline.toml", {"platforms.0.phases.0.flat_fee.posts_per_day": 8})


def test_too_many_post_allocations_are_refused():
    four = [{"name": f"p{i}"} for i in range(4)]
    with pytest.raises(ConfigError, match=r"max_posts_per_day = 20 with 4 platforms"):
        load_config({"platforms": four, "influencers": {"max_posts_per_day": 20}})


# --- every value the schema allows runs finite, or is refused in one line ------------------

EXTREMES_BASE = {
    "name": "extremes", "horizon_days": 12, "seed": 5,
    "population": {"followers": 400, "influencers": 30, "market_size": 1e6},
    "network": {"social": {"kind": "watts_strogatz", "mean_degree": 6}},
    "platforms": [
        {"name": "spark", "budget": 1e6,
         "invitation": {"policy": "tiers", "tiers": {"nano": 5, "micro": 5}, "open_day": 3},
         "phases": [
             {"start": {"day": 0}, "per_view": {}, "per_adopter": {},
              "flat_fee": {"max_enrolled": 10, "contract_days": 4, "tier_fees": {"micro": 60.0}}},
             {"start": {"adoption_share": 0.01, "notice_days": 2}, "commission": {}},
             {"start": {"spend": 5e5}, "commission": {}}]},
        {"name": "vidsy", "invitation": {"policy": "top_k", "top_k": 10},
         "phases": [{"start": {"day": 2}, "flat_fee": {"posts_per_day": 1}}]},
    ],
    "events": [{"day": 4, "strength": 3.0, "platform": "spark"},
               {"day": 6, "strength": 2.0, "kind": "exodus"}],
}
"""A small run that holds every section and scheme, for the extreme-value test."""
SIZES = {"horizon_days", "population.followers", "population.influencers"}
"""Keys set to their bounds in test_largest_sizes_are_allowed, not run at them here."""


def _bounded_numbers(section, prefix=""):
    """(dotted key, bound) for each numeric field of ``section`` and the sections in it."""
    from annotated_types import Ge, Gt, Le, Lt
    from pydantic import BaseModel

    found = []
    for name, field in type(section).config_keys().items():
        value, key = getattr(section, name), f"{prefix}{name}"
        if isinstance(value, BaseModel):
            found += _bounded_numbers(value, key + ".")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    found += _bounded_numbers(item, f"{key}.{index}.")
        elif isinstance(value, (int, float)) and not isinstance(value, bool) or (
                value is None and name in ("follows_per_person", "rejoin_posts")):
            for rule in field.metadata:
                for kind, attribute in ((Ge, "ge"), (Gt, "gt"), (Le, "le"), (Lt, "lt")):
                    if isinstance(rule, kind):
                        whole = field.annotation is int or isinstance(value, int)
                        found.append((key, getattr(rule, attribute), attribute, whole))
    return found


EXTREMES = [(key, bound, kind, whole) for key, bound, kind, whole in
            _bounded_numbers(load_config(EXTREMES_BASE)) if key not in SIZES and key != "seed"]


def test_the_extremes_cover_every_section_and_every_upper_bound():
    keys = {key for key, *_ in EXTREMES}
    assert len(keys) > 80
    for key in ("adoption.innovation", "influencers.patience", "commerce.basket_value",
                "events.0.strength", "platforms.0.phases.0.flat_fee.offer_days",
                "platforms.0.phases.0.per_view.rate_per_1000", "network.social.mean_degree",
                "population.market_size", "platforms.1.budget", "network.follows_per_person",
                "platforms.0.phases.2.start.spend", "platforms.0.invitation.top_k",
                "platforms.0.phases.0.per_adopter.bounty"):
        assert key in keys, key
    unbounded = keys - {key for key, _, kind, _ in EXTREMES if kind in ("le", "lt")}
    assert not unbounded, f"numbers with no upper bound: {sorted(unbounded)}"


def _inside(bound, kind: str, whole: bool):
    """The value at a bound, or just inside it when the bound is open (gt, lt)."""
    step = 1 if whole else 1e-9
    return bound + step if kind == "gt" else bound - step if kind == "lt" else bound


def _all_finite(result) -> list[str]:
    """Names of the outputs of a run that are not finite numbers."""
    import math

    import numpy as np

    bad = [f"{platform}.{key}" for platform, summary in result.summary.items()
           for key, value in summary.items()
           if isinstance(value, (int, float)) and not math.isfinite(value)]
    numbers = result.timeseries.select_dtypes("number")
    bad += [column for column in numbers if not np.isfinite(numbers[column].to_numpy(float)).all()]
    return bad


@pytest.mark.parametrize("key, bound, kind, whole", EXTREMES,
                         ids=[f"{key}={kind}" for key, _, kind, _ in EXTREMES])
def test_every_bound_the_schema_allows_runs_finite_or_is_refused_in_one_line(
        key, bound, kind, whole):
    """Each numeric key at its bound (just inside an open one): a run with finite outputs."""
    import warnings

    value = _inside(bound, kind, whole)
    try:
        config = load_config(EXTREMES_BASE, {key: value})
    except ConfigError as err:  # a rule tying keys together: refused, in one line
        assert "\n" not in str(err) and key.rsplit(".", 1)[-1] in str(err), str(err)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow warning is a failure too
        result = simulation.run(config)
    assert not _all_finite(result), (key, value, _all_finite(result))


BIG_MARKET = {"population.creators.nano": 2_000_000}
"""A creator market with room for the most simulated creators (10^6 of them)."""


def test_largest_sizes_are_allowed_and_one_past_is_refused():
    from simulation.model.sections import MAX_HORIZON_DAYS, MAX_INFLUENCERS

    largest = {"horizon_days": MAX_HORIZON_DAYS, "population.influencers": MAX_INFLUENCERS}
    assert load_config({}, {**BIG_MARKET, **largest}).horizon_days == 36_500
    for key, value in largest.items():
        message = error_of({}, {**BIG_MARKET, key: value + 1})
        assert key in message and f"{value + 1}" in message and f"{value}" in message


def test_a_sample_must_fit_its_creator_market():
    """More simulated creators than real ones, too few to tell the config's parts apart, or a
    market with no creators: each refused in one line naming population.influencers."""
    total = load_config(BASELINE).population.creators.total
    message = error_of(BASELINE, {"population.influencers": total + 1})
    assert f"population.influencers = {total + 1:,}" in message and f"at most {total:,}" in message
    assert load_config(BASELINE, {"population.influencers": total}).population.influencers == total
    # the baseline tells apart 5 tiers and the 200 largest: 6 parts
    message = error_of(BASELINE, {"population.influencers": 5})
    assert "population.influencers = 5" in message and "at least 6" in message
    assert load_config(BASELINE, {"population.influencers": 6}).population.influencers == 6
    empty = {f"population.creators.{tier}": 0 for tier in ("nano", "micro", "mid", "macro",
                                                           "mega")}
    message = error_of(BASELINE, empty)
    assert "population.influencers = 1,000" in message and "allowed: 0" in message
    assert load_config(BASELINE, {**empty, "population.influencers": 0})


def test_a_creator_market_no_one_could_follow_is_refused():
    message = error_of(BASELINE, {"population.creators.micro": 10**9})
    assert "micro 1,000,000,000" in message and "at most 7,500" in message
    message = error_of(BASELINE, {"population.creators.largest_audience": 500_000})
    assert message == ("invalid config: population.creators.largest_audience = 500,000: the "
                       "largest creator is in the top tier with creators, mega (allowed: more "
                       "than 1,000,000 and at most 1,000,000,000 followers)")


def test_the_largest_surge_runs_finite():
    from simulation.model.config import MAX_SURGE

    config = load_config(EXTREMES_BASE, {"events": [{"day": 4, "strength": MAX_SURGE - 1}],
                                         "adoption.innovation": 10.0, "adoption.imitation": 10.0,
                                         "adoption.influence": 10.0, "adoption.return_rel": 100,
                                         "retention.network_effect": 1000,
                                         "adoption.persuadability_cv": 10.0,
                                         "adoption.loyalty_cv": 10.0})
    assert not _all_finite(simulation.run(config))
    message = error_of(EXTREMES_BASE, {"events": [{"day": 4, "strength": 1e6},
                                                  {"day": 9, "strength": 1e6}]})
    assert "events.0.strength = 1e+06" in message and "at most 1e+12" in message


# --- a config changed after validation is checked again ---------------------------------


def _run_error(config) -> str:
    """The one-line ConfigError a run of ``config`` raises (fails if it runs)."""
    with pytest.raises(ConfigError) as info:
        simulation.run(config)
    message = str(info.value)
    assert message and "\n" not in message, message
    return message


TINY = {"population.followers": 500, "population.influencers": 10, "horizon_days": 5}


def test_a_platform_appended_after_validation_is_checked_before_the_run():
    config = load_config(BASELINE, TINY)
    config.platforms.append(Platform(name="spark"))
    message = _run_error(config)
    assert "unique" in message and "['spark', 'spark']" in message
    config.platforms[-1] = 42  # not a platform at all: was an AttributeError in the model
    message = _run_error(config)
    assert "platforms.1 = 42" in message and "Platform" in message


def test_a_quota_above_a_lowered_posting_limit_is_checked_before_the_run():
    config = load_config(BASELINE, TINY)
    config.influencers.max_posts_per_day = 2  # fine on its own; the quota is 3
    message = _run_error(config)
    assert "platforms.0.phases.0.flat_fee.posts_per_day = 3" in message
    assert "max_posts_per_day = 2" in message
    with pytest.raises(ConfigError, match="max_posts_per_day = 2"):
        simulation.SparkModel(config)  # the model checks too, not only run()


def test_an_event_and_phases_appended_after_validation_are_checked_before_the_run():
    from simulation.model.config import Event
    from simulation.model.payouts import Phase, Start

    config = load_config(BASELINE, TINY)
    config.events.append(Event(day=1, strength=1.0, platform="nowhere"))
    assert "events.0.platform = 'nowhere'" in _run_error(config)
    config = load_config(BASELINE, TINY)
    config.platforms[0].phases.append(Phase(start=Start(day=3)))
    assert "platforms.0.phases.2.start.day = 3" in _run_error(config)


@pytest.mark.parametrize("section, key, value, words", [
    ("", "horizon_days", 0, ["horizon_days = 0", "greater than or equal to 1"]),
    ("", "horizon_days", True, ["horizon_days = True", "not true/false"]),
    ("", "horizon_days", 10**9, ["horizon_days = 1000000000", "36500"]),
    ("", "platforms", [], ["platforms = []", "at least 1 item"]),
    ("", "horizon", 3, ["unknown key 'horizon'", "3", "horizon_days"]),
    ("influencers", "max_posts_per_day", 99, ["max_posts_per_day = 99", "20"]),
    ("adoption", "imitation", "0.3", ["imitation = '0.3'", "not text"]),
    ("population", "followers", -5, ["followers = -5", "greater than or equal to 1"]),
])
def test_setting_a_bad_value_is_a_one_line_config_error(section, key, value, words):
    config = load_config(BASELINE, TINY)
    target = getattr(config, section) if section else config
    with pytest.raises(ConfigError) as info:
        setattr(target, key, value)
    message = str(info.value)
    assert "\n" not in message
    for word in words:
        assert word in message, (word, message)


def test_a_config_changed_validly_runs_as_changed():
    config = load_config(BASS)
    config.horizon_days = 7
    config.platforms[0].budget = 5.0
    result = simulation.run(config)
    assert result.timeseries["day"].max() == 7


def test_none_survives_revalidation():
    """rejoin_posts = none (quitters never return) is kept, not replaced by its default."""
    from simulation.model.config import revalidated

    config = load_config(BASELINE, {"influencers.rejoin_posts": None})
    assert config.influencers.rejoin_posts is None
    assert revalidated(config).influencers.rejoin_posts is None
    assert load_config(config, {"horizon_days": 9}).influencers.rejoin_posts is None


# --- memory: the influencers count ----------------------------------------------------------


def test_the_memory_estimate_counts_influencers():
    from simulation.model.spark_model import memory_needed

    few = load_config(BASELINE, {"population.followers": 1000, "population.influencers": 0})
    many = load_config(BASELINE, {"population.followers": 1000,
                                  "population.influencers": 1_000_000,
                                  "network.follows_per_person": 3, **BIG_MARKET})
    # measured: 1.25 GB more at 10^6 influencers (one platform, 7 posting options)
    assert 1.0e9 < memory_needed(many) - memory_needed(few) < 2.0e9


def test_a_run_too_big_for_memory_blames_the_influencers_when_they_are_the_cause(monkeypatch):
    import psutil

    class Little:
        available = 1.0e9

    monkeypatch.setattr(psutil, "virtual_memory", lambda: Little())
    config = load_config(BASELINE, {"population.followers": 1000,
                                    "population.influencers": 1_000_000,
                                    "network.follows_per_person": 3, **BIG_MARKET})
    with pytest.raises(ConfigError) as info:
        simulation.SparkModel(config)
    message = str(info.value)
    assert message.startswith("population.influencers = 1,000,000: needs about 1.")
    assert "allowed here: up to about" in message and "influencers" in message.split("about")[-1]


# --- input files: refused with their real reason --------------------------------------------


def test_an_edge_list_past_its_size_bound_is_refused_before_it_is_read(tmp_path, monkeypatch):
    from simulation.model import networks

    edges = tmp_path / "edges.txt"
    edges.write_text("0 1\n1 2\n2 3\n")
    monkeypatch.setattr(networks, "MAX_EDGELIST_BYTES", 8)
    config = load_config(BASS, {"network.social.kind": "edgelist",
                                "network.social.path": str(edges), "horizon_days": 2})
    message = _run_error(config)
    assert "network.social.path" in message and "12 bytes" in message
    assert "at most 8 bytes" in message


@pytest.mark.parametrize("make, words", [
    (lambda p: p.symlink_to(p), ["symlink loop"]),
    (lambda p: os.mkfifo(p), ["named pipe (FIFO)", "not a regular file"]),
    (lambda p: p.mkdir(), ["is a folder"]),
    (lambda p: None, ["not found"]),
])
def test_a_config_that_is_not_a_regular_file_is_refused_with_its_reason(tmp_path, make, words):
    path = tmp_path / "c.toml"
    make(path)
    message = error_of(path)
    assert "c.toml" in message
    for word in words:
        assert word in message, (word, message)


def test_a_config_past_its_size_bound_is_refused_before_it_is_read(tmp_path):
    from simulation.model.config import MAX_CONFIG_BYTES

    path = tmp_path / "big.toml"
    with open(path, "wb") as big:
        big.truncate(10**9)  # sparse: a 1 GB file took 22 s and 2.2 GB before failing
    message = error_of(path)
    assert "big.toml" in message and "1.0 GB" in message
    assert f"at most {MAX_CONFIG_BYTES / 1e6:.1f} MB" in message


@pytest.mark.parametrize("side", ["upper", "lower"])
def test_every_number_at_its_bound_at_once_runs_finite(side):
    """All keys at their upper (or lower) bounds together; keys a rule tying keys together
    refuses at that value (named in its one-line message) keep their base value."""
    import warnings

    kinds = ("le", "lt") if side == "upper" else ("ge", "gt")
    overrides = {}
    for key, bound, kind, whole in EXTREMES:
        if kind in kinds:
            overrides[key] = _inside(bound, kind, whole)
    for _ in range(len(overrides)):
        try:
            config = load_config(EXTREMES_BASE, overrides)
            break
        except ConfigError as err:
            named = [key for key in overrides if key in str(err)]
            assert named, str(err)
            del overrides[max(named, key=len)]
    assert len(overrides) > 60
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = simulation.run(config)
    assert not _all_finite(result)


def test_the_memory_estimate_reads_an_edge_lists_size(tmp_path):
    from simulation.model.spark_model import memory_needed

    edges = tmp_path / "edges.txt"
    with open(edges, "wb") as big:
        big.truncate(10**9)  # 1 GB of 'a b' lines: about 8 * 10^7 friendships
    config = load_config(BASS, {"network.social.kind": "edgelist",
                                "network.social.path": str(edges)})
    assert config.network.social.friends_of(100_000) > 1_000
    assert memory_needed(config) > 2e9  # not the 10 friends a person of an unread file


def test_none_is_written_and_read_as_text_where_toml_has_no_null(tmp_path):
    config = load_config(BASELINE, {"influencers.rejoin_posts": "none"})
    assert config.influencers.rejoin_posts is None
    assert 'rejoin_posts = "none"' in config.to_toml()
    (tmp_path / "c.toml").write_text(config.to_toml())
    assert load_config(tmp_path / "c.toml") == config
    message = error_of(BASELINE, {"influencers.patience": "none"})  # not optional: refused
    assert "influencers.patience = 'none'" in message and "not text" in message
