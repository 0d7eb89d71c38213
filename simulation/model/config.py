"""Configuration: every parameter declared once, with its unit, default and source.

A config is a TOML file validated by the pydantic models below. Unknown keys
are errors. ``load_config(path_or_mapping, overrides={"dotted.key": value})``
applies overrides (the same as ``--set dotted.key=value`` on the CLI) before
validation, so an override is checked like any other value. Any problem
raises :class:`ConfigError` with one message that names the key, the value
given and what is allowed.

Money is in dollars of the simulated world: all people and follow edges are
those of the simulated population, so fees, costs and budgets are on the
scale of ``population.followers`` people.
"""

from __future__ import annotations

import copy
import math
import numbers
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import tomli_w
from pydantic import Discriminator, Field, Tag, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo

from ..errors import ConfigError, check_input_file
from .networks import SOCIAL_KINDS
from .payouts import Phase, Tier
from .sections import Section, describe_error, on_registry_change

MAX_SEED = 2**63 - 1
"""The largest run seed: TOML integers are signed 64-bit, and the resolved config stores it."""
MAX_PEOPLE = 2**31 - 1
"""Person ids are int32 (half the memory of int64 in every graph index)."""
MAX_POST_ALLOCATIONS = 3_000
"""Most (posts per platform) combinations an influencer weighs each day: the
decision table is influencers × combinations, so this bounds its memory."""


class Population(Section):
    """Who is simulated."""

    followers: int = Field(
        100_000, ge=1, le=MAX_PEOPLE,
        description="people simulated (followers); vectorised, so millions are fine; "
        "person ids are int32"
    )
    influencers: int = Field(
        1_000, ge=0, description="influencers (mesa agents); 0 gives the Bass model"
    )


DEFAULT_SOCIAL_KIND = "watts_strogatz"
"""The social graph when a config names none: a small world."""


def social_graph_type() -> Any:
    """A social graph section: one of the registered kinds, chosen by its ``kind`` key."""
    members = tuple(Annotated[cls, Tag(kind)] for kind, cls in SOCIAL_KINDS.items())
    return Annotated[Union[members], Discriminator(_kind_of)]  # noqa: UP007


def _kind_of(value: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("kind", DEFAULT_SOCIAL_KIND)
    return getattr(value, "kind", None)


def social_graph_field() -> Any:
    """The ``network.social`` field: its default and description."""
    return Field(default_factory=lambda: SOCIAL_KINDS[DEFAULT_SOCIAL_KIND](),
                 description="the friendship graph that carries imitation; `kind` picks the "
                 "generator and its parameters (simulation/model/networks.py)")


SocialGraph = social_graph_type()


class Network(Section):
    """Who follows whom."""

    follows_per_person: float = Field(
        3.0, ge=0, description="influencers a person follows in the sample (mean, Poisson); "
        "chosen in proportion to audience so the heavy tail survives sampling"
    )
    social: SocialGraph = social_graph_field()


class Adoption(Section):
    """Daily adoption hazard h = p + q * (share of friends active) + r * g(promo posts seen)."""

    innovation: float = Field(
        0.0002, ge=0, description="p, per day: marketing pull; the Bass meta-analysis p = 0.03/yr "
        "(Sultan, Farley & Lehmann 1990) is ~0.0001/day, apps spread faster"
    )
    imitation: float = Field(
        0.02, ge=0, description="q, per day at full friend share: word of mouth; with "
        "p = 0.0002 an unpaid launch reaches about a quarter of people in a year"
    )
    influence: float = Field(
        0.05, ge=0, description="r, per day at saturating exposure to promotional posts"
    )
    promo_saturation: float = Field(
        1.0, gt=0, description="promo posts seen per day at which g = 1 - 1/e; "
        "g(x) = 1 - exp(-x / promo_saturation)"
    )
    return_rel: float = Field(
        0.3, ge=0, description="lapsed users return at this multiple of the adoption hazard"
    )


class Retention(Section):
    """Churn hazard base_churn * content_half / (content_half + content) * attention."""

    base_churn: float = Field(
        0.02, ge=0, description="per day with no content at all; social apps lose most "
        "new users within 1–3 months without content"
    )
    content_half: float = Field(
        2.0, gt=0, description="posts/day in a user's feed at which churn halves"
    )
    attention_cost: float = Field(
        0.5, ge=0, description="extra churn per other new platform a user is active on (relative)"
    )


class InfluencerParams(Section):
    """Influencer attributes and behaviour."""

    audience_median: float = Field(
        20_000, gt=0, description="followers on incumbent networks (lognormal median); most "
        "paid creators are nano/micro"
    )
    audience_sigma: float = Field(1.5, ge=0, description="lognormal log-sd of audience")
    engagement_mean: float = Field(
        0.25, gt=0, lt=1, description="share of an influencer's active followers who view a "
        "post (Beta mean); small new feeds show most posts"
    )
    incumbent_reach: float = Field(
        0.1, ge=0, le=1, description="share of followers who see a post on the incumbents "
        "(organic reach 5–10%)"
    )
    product_fit_sigma: float = Field(
        0.5, ge=0,
        description="lognormal log-sd of product fit (multiplier on conversion, median 1)",
    )
    cost_per_post: float = Field(
        1.0, ge=0, description="$ per post, the effort part (a nano creator's hour is cheap)"
    )
    cost_per_follower: float = Field(
        0.002, ge=0, description="$ per post per follower in the sample: the opportunity cost "
        "of the audience ($200 a post at 100k, a fraction of a sponsored post's price)"
    )
    cost_exponent: float = Field(
        1.5, ge=1, description="convexity: cost(n) = cost_per_post_i * n ** cost_exponent"
    )
    max_posts_per_day: int = Field(6, ge=1, le=20, description="posts/day across new platforms")
    patience: float = Field(
        14, ge=1, description="mean days in a row without positive payoff before quitting"
    )
    learning_rate: float = Field(
        0.2, gt=0, le=1, description="exponential smoothing weight of a new day's outcome"
    )
    decision_noise: float = Field(
        0.1, ge=0, description="logit temperature as a share of the influencer's cost per post"
    )
    onboarding_posts: float = Field(
        10, ge=0, description="one-off cost of joining, in posts' worth of the influencer's cost"
    )
    planning_days: float = Field(
        30, gt=0, description="days over which joining must pay back its onboarding cost"
    )
    promo_share: float = Field(
        0.3, ge=0, le=1, description="share of new-platform posts cross-promoted on incumbents"
    )
    join_burst_posts: float = Field(
        3, ge=0, description="promo posts on incumbents on the day an influencer joins"
    )
    organic_value_per_view: float = Field(
        0.002, ge=0, description="$ per view of own audience value (sponsorships; $2 CPM)"
    )


class Commerce(Section):
    """Purchases by active users."""

    basket_value: float = Field(35.0, gt=0, description="$ per order (online retail AOV)")
    conversion: float = Field(
        0.005, ge=0, le=1, description="orders per product-post view at product fit 1"
    )
    organic_orders_per_user: float = Field(
        0.002, ge=0, description="orders per active user per day not tied to influencers"
    )


class Invitation(Section):
    """Who may join a platform."""

    policy: Literal["open", "top_k", "tiers", "random_share"] = Field(
        "open",
        description="open to all, top-k by audience, top by audience per tier, or a random share",
    )
    top_k: int = Field(100, ge=0, description="top_k: number invited, largest audience first")
    tiers: dict[Tier, int] = Field(
        default_factory=dict, description="tiers: number invited per tier, largest first"
    )
    share: float = Field(0.1, ge=0, le=1, description="random_share: share invited")
    open_day: int | None = Field(
        None, ge=0, description="day from which anyone may join; none = never"
    )


class Platform(Section):
    """A new platform competing for posts and attention. The incumbents are the outside option."""

    name: str = Field("spark", min_length=1, description="label in outputs")
    rel_marketing: float = Field(1.0, ge=0, description="multiplier on adoption.innovation")
    feed_baseline: float = Field(
        1.0, ge=0, description="posts/day of non-influencer content in each active user's feed"
    )
    take_rate: float = Field(
        0.15, ge=0, le=1, description="platform revenue share of GMV (marketplaces take 10–20%)"
    )
    budget: float = Field(
        1_000_000.0, ge=0, description="$ cap on all payouts over the run; never exceeded"
    )
    invitation: Invitation = Field(default_factory=Invitation)
    phases: list[Phase] = Field(
        default_factory=list, description="payout schedule; no phases = no payouts"
    )


class Metrics(Section):
    """How outputs are summarised."""

    retention_window_days: int = Field(
        90, ge=1, description="retention_after_switch compares active users this many days "
        "after the first schedule switch to the switch day"
    )


class Config(Section):
    """A whole run."""

    name: str = Field(
        "run", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=100,
        description="names the output folder results/<name>/: letters, digits, '.', '_', '-'",
    )
    seed: int = Field(0, ge=0, le=MAX_SEED,
                      description="run seed; every random stream derives from it")
    horizon_days: int = Field(365, ge=1, description="days simulated; platforms launch at day 0")
    population: Population = Field(default_factory=Population)
    network: Network = Field(default_factory=Network)
    adoption: Adoption = Field(default_factory=Adoption)
    retention: Retention = Field(default_factory=Retention)
    influencers: InfluencerParams = Field(default_factory=InfluencerParams)
    commerce: Commerce = Field(default_factory=Commerce)
    platforms: list[Platform] = Field(
        default_factory=lambda: [Platform()], min_length=1, description="one or more new platforms"
    )
    metrics: Metrics = Field(default_factory=Metrics)

    @field_validator("platforms")
    @classmethod
    def _unique_platform_names(cls, platforms: list[Platform]) -> list[Platform]:
        names = [p.name for p in platforms]
        if len(set(names)) != len(names):
            raise ValueError(f"platform names must be unique (given: {names})")
        return platforms

    @model_validator(mode="after")
    def _quotas_fit_the_posting_limit(self) -> Config:
        limit = self.influencers.max_posts_per_day
        for k, platform in enumerate(self.platforms):
            for j, phase in enumerate(platform.phases):
                if phase.flat_fee is not None and phase.flat_fee.posts_per_day > limit:
                    raise ValueError(
                        f"platforms.{k}.phases.{j}.flat_fee.posts_per_day = "
                        f"{phase.flat_fee.posts_per_day}: a quota above "
                        f"influencers.max_posts_per_day = {limit} can never be met"
                    )
        options = math.comb(limit + len(self.platforms), len(self.platforms))
        if options > MAX_POST_ALLOCATIONS:
            raise ValueError(
                f"influencers.max_posts_per_day = {limit} with {len(self.platforms)} platforms "
                f"gives {options:,} ways to spread posts (allowed: at most "
                f"{MAX_POST_ALLOCATIONS:,}); lower one of them"
            )
        return self

    def platform_name(self, platform: str | None) -> str:
        """``platform`` if the config has it (None: the first platform); else a ConfigError."""
        names = [p.name for p in self.platforms]
        if platform is None:
            return names[0]
        if platform not in names:
            raise ConfigError(f"platform = {platform!r}: not in the config; allowed: "
                              f"{', '.join(names)}")
        return platform

    def to_toml(self) -> str:
        """The resolved config as TOML (every value, defaults included)."""
        return tomli_w.dumps(self.model_dump(mode="json", exclude_none=True))


def check_seed(seed: object) -> int:
    """A run seed as an int, or a ConfigError: a whole number in 0..2**63-1 (TOML's range)."""
    whole = isinstance(seed, numbers.Integral) and not isinstance(seed, bool)
    if not whole or not 0 <= int(seed) <= MAX_SEED:
        raise ConfigError(f"seed = {seed!r}: must be a whole number in 0..{MAX_SEED} "
                          "(2**63 - 1, the largest TOML integer)")
    return int(seed)


@on_registry_change
def _rebuild_sections() -> None:
    """A scheme or social-graph kind was registered: the sections that hold them learn it."""
    Network.model_fields["social"] = FieldInfo.from_annotated_attribute(
        social_graph_type(), social_graph_field())
    for section in (Network, Platform, Config):
        section.model_rebuild(force=True)


# --- loading ---------------------------------------------------------------


def load_config(
    source: str | Path | Mapping[str, Any] | Config, overrides: Mapping[str, Any] | None = None
) -> Config:
    """Read and validate a config.

    Args:
        source: a TOML file path, a mapping of the same shape, or a Config.
        overrides: dotted key → value, e.g. ``{"adoption.imitation": 0.3,
            "platforms.0.budget": 5e5}``; string values are parsed as TOML
            values when they can be (``"0.3"`` → 0.3), else kept as strings.

    Raises:
        ConfigError: one message naming the key, the value and what is allowed.
    """
    if isinstance(source, Config):
        raw = source.model_dump(mode="json", exclude_none=True)
    elif isinstance(source, Mapping):
        raw = copy.deepcopy(dict(source))
    else:
        raw = _read_toml(Path(source))
    for key, value in (overrides or {}).items():
        _set_dotted(raw, key, parse_value(value) if isinstance(value, str) else value)
    try:
        return Config.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(describe_error(err, Config)) from None


def parse_override(text: str) -> tuple[str, Any]:
    """Split a CLI ``dotted.key=value`` into key and parsed value."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(
            f"--set {text!r}: expected dotted.key=value, e.g. adoption.imitation=0.3"
        )
    return key.strip(), parse_value(value.strip())


def parse_value(text: str) -> Any:
    """A TOML value if ``text`` is one (``3``, ``0.1``, ``true``, ``[1, 2]``), else the string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _read_toml(path: Path) -> dict[str, Any]:
    check_input_file(path, "config file", "a .toml file")
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"config file {str(path)!r} is not valid TOML: {err}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config file {str(path)!r} is not a UTF-8 text file") from None
    except OSError as err:
        raise ConfigError(f"config file {str(path)!r} cannot be read: {err.strerror}") from None
    raw.setdefault("name", path.stem)
    return raw


def get_dotted(raw: Any, key: str) -> Any:
    """The value at ``a.b.0.c`` in nested mappings/lists (a dumped config), or None if absent."""
    node = raw
    for part in key.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, Mapping) and part in node:
            node = node[part]
        else:
            return None
    return node


def _set_dotted(raw: dict[str, Any], key: str, value: Any) -> None:
    """Set ``a.b.0.c`` in nested dicts/lists, creating sections that are absent."""
    parts = key.split(".")
    node: Any = raw
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        where = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ConfigError(
                    f"override {key!r}: {where!r} indexes a list of {len(node)} "
                    f"(allowed: 0..{len(node) - 1})"
                )
            index = int(part)
            if last:
                node[index] = value
            else:
                node = node[index]
            continue
        if not isinstance(node, dict):
            raise ConfigError(f"override {key!r}: {'.'.join(parts[:depth])!r} is not a section")
        if last:
            node[part] = value
        else:
            if part == "platforms" and part not in node:
                node[part] = [{}]  # the default: one platform
            node = node.setdefault(part, {})
