"""Config loading, overrides, validation messages and parameter documentation."""

from __future__ import annotations

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
        for field in model.model_fields.values():
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
        for name, field in model.model_fields.items():
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
