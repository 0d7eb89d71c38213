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
from .attribution import ATTRIBUTION_RULES
from .networks import SOCIAL_KINDS
from .payouts import Phase, Tier
from .sections import Section, describe_error, on_registry_change

MAX_SEED = 2**63 - 1
"""The largest run seed: TOML integers are signed 64-bit, and the resolved config stores it."""
MAX_PEOPLE = 2**31 - 1
"""Person ids are int32 (half the memory of int64 in every graph index)."""
AttributionRule = Literal[tuple(ATTRIBUTION_RULES)]  # type: ignore[valid-type]
WINDOW_LIMIT = 90
"""The longest attribution window (days): the model keeps each day's promotion for it."""
MARKET_SIZE = 85_000_000
"""US Amazon Prime members in June 2017, just before Spark's launch (Consumer Intelligence
Research Partners: 80 million in March, 85 million in June, 90 million in September)."""
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
        1_000, ge=0, description="influencers (mesa agents), real accounts with real "
        "audiences, one agent each; 0 gives the Bass model"
    )
    market_size: float = Field(
        MARKET_SIZE, gt=0, description="real people the simulated followers stand for: the "
        "market. Every person count, view and dollar is reported for it, so answers do not "
        "depend on how many are simulated. Default: US Amazon Prime members in 2017, the "
        "story's launch market (Spark, July 2017: US only, and only Prime members could post), "
        "85 million in June 2017 (CIRP)"
    )

    @model_validator(mode="after")
    def _sample_fits_the_market(self) -> Population:
        if self.followers > self.market_size:
            raise ValueError(f"population.followers = {self.followers:,} is more than "
                             f"population.market_size = {self.market_size:,.0f}: the simulated "
                             "people are a sample of the market (allowed: followers <= "
                             "market_size)")
        return self

    @property
    def people_per_agent(self) -> float:
        """Real people one simulated person stands for (market_size / followers)."""
        return self.market_size / self.followers


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

    follows_per_person: float | None = Field(
        None, ge=0, description="influencers (of those simulated) a person follows, on "
        "average; none = from their real audiences (sum of in-market audiences / "
        "market_size); set it to fix the follow graph's density, and the in-market "
        "audiences scale to match; 0 = nobody follows anyone"
    )
    social: SocialGraph = social_graph_field()


class Adoption(Section):
    """Daily adoption hazard h = π (p + q * friends active + r * λ * w * g(promo posts seen)).

    π (persuadability) and λ (heed of influencers) are gamma multipliers of mean 1
    per person; w = exp(-wear_out * promotion seen so far) makes promotion wear off.
    """

    innovation: float = Field(
        0.00005, ge=0, description="p, per day: the platform's own marketing (Spark was "
        "promoted inside Amazon's app), 1.8% of people a year; the Bass meta-analysis average "
        "p = 0.03 a year (Sultan, Farley & Lehmann 1990) is 0.00008 a day"
    )
    imitation: float = Field(
        0.015, ge=0, description="q, per day at full friend share: word of mouth. 5.5 a year, "
        "above the durables' q = 0.38 a year (Sultan, Farley & Lehmann 1990) because friends "
        "invite friends to a social app, below the base churn so that an unpaid launch does "
        "not take off by itself"
    )
    influence: float = Field(
        0.02, ge=0, description="r, per day at saturating exposure to promotional posts: a "
        "follower who sees one a day adopts within about 80 days on average (before "
        "persuadability, heed and wear-out)"
    )
    promo_saturation: float = Field(
        1.0, gt=0, description="promo posts seen per day at which g = 1 - 1/e; "
        "g(x) = 1 - exp(-x / promo_saturation)"
    )
    return_rel: float = Field(
        0.3, ge=0, description="lapsed users return at this multiple of the adoption hazard"
    )
    persuadability_cv: float = Field(
        1.0, ge=0, description="spread (coefficient of variation) of a gamma multiplier of "
        "mean 1 on each person's adoption hazard: people differ in how readily they adopt; "
        "1 is the exponential mixing under which shifted-Gompertz adopters aggregate to the "
        "Bass model (Bemmaor 1994); 0 = everyone alike (off)"
    )
    loyalty_cv: float = Field(
        0.5, ge=0, description="spread (coefficient of variation) of a gamma multiplier of "
        "mean 1 on how much each person heeds the influencers it follows; 0 = alike (off)"
    )
    wear_out: float = Field(
        0.07, ge=0, description="per promotional post seen about a platform: the response to "
        "further promotion is exp(-wear_out × posts seen so far), halving after about 10 "
        "(the effect of repetition peaks near 10 exposures: Schmidt & Eisend 2015; it wears "
        "out sooner for unfamiliar brands: Campbell & Keller 2003); 0 = never tires (off)"
    )


class Retention(Section):
    """Churn base_churn * content_half / (content_half + content) * attention / pull.

    pull = 1 + network_effect * s², s the share of one's friends active; lapsed
    users return at return_rel × the adoption hazard × pull.
    """

    base_churn: float = Field(
        0.05, ge=0, description="per day with no content at all and no friends there: the "
        "average app loses 90% of its daily users within 30 days (Quettra, 2015), a daily "
        "hazard of about 0.08; content and friends keep people longer"
    )
    content_half: float = Field(
        2.0, gt=0, description="posts/day in a user's feed at which churn halves"
    )
    attention_cost: float = Field(
        0.5, ge=0, description="extra churn per other new platform a user is active on (relative)"
    )
    network_effect: float = Field(
        25.0, ge=0, description="strength of network effects: churn is divided, and returning "
        "multiplied, by 1 + network_effect × s², s the share of one's friends active (their "
        "posts, messages and tags make staying worth more, and matter once enough are there). "
        "A platform past a critical mass then keeps itself going and one below it decays "
        "(critical mass: Rohlfs 1974; network externalities slow early growth and make it "
        "hinge on a mass of adopters: Goldenberg, Libai & Muller 2010); 25 puts the critical "
        "mass near 10% of people active; 0 = off"
    )


class InfluencerParams(Section):
    """Influencer attributes and behaviour."""

    audience_median: float = Field(
        20_000, gt=0, description="followers on incumbent networks (lognormal median); most "
        "paid creators are nano/micro"
    )
    audience_sigma: float = Field(1.5, ge=0, description="lognormal log-sd of audience")
    audience_in_market: float = Field(
        0.5, gt=0, le=1, description="share of an influencer's followers who are in the "
        "market (US Prime members): most of a US creator's audience is in the US, and about "
        "two thirds of US households had Prime in 2017 (CIRP); followers abroad and "
        "non-members are out"
    )
    shrinkage_followers: float = Field(
        2.0, ge=0, description="pseudo-followers at the platform's active share added to "
        "each influencer's sampled followers when its active audience is estimated "
        "(empirical-Bayes shrinkage): keeps influencers with few or no sampled followers "
        "honest; 0 = the raw sample share"
    )
    engagement_mean: float = Field(
        0.25, gt=0, lt=1, description="share of an influencer's active followers who view a "
        "post, at the median audience (Beta mean); small new feeds show most posts"
    )
    engagement_elasticity: float = Field(
        0.14, ge=0, description="engagement falls with audience as audience ** -elasticity: "
        "Instagram like rates fall from 4% at 1k–10k followers to 1.7% at 100k–1M and 1.66% "
        "at 1M–10M (Markerly 2016, reported by Marketing Dive): log(4/1.66)/log(1000) ≈ 0.14; "
        "0 = the same for every size (off)"
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
        5.0, ge=0, description="$ per post, the effort part: a few minutes of a creator's "
        "time to adapt and cross-post content it has already made"
    )
    cost_per_follower: float = Field(
        0.0001, ge=0, description="$ per post per follower (real audience): the attention a "
        "post asks of one's audience, a hundredth of the sponsored-post rate card of $10 per "
        "1 000 followers (USA Today 2019; Influencer Marketing Hub tiers: nano $10–100, micro "
        "$100–500, mid $500–5 000, macro $5 000–10 000 a post), since a cross-post of content "
        "already made sells no advertising slot: $15 a post at 100k followers"
    )
    cost_sigma: float = Field(
        0.5, ge=0, description="lognormal log-sd of a per-influencer multiplier (median 1) on "
        "its cost per post: creators' time and alternatives differ; 0 = all alike (off)"
    )
    outside_option_posts: float = Field(
        0.5, ge=0, description="a day on new platforms must also beat the influencer's outside "
        "option, worth this many of its own posts' cost (varied like its cost): what the time "
        "earns elsewhere; 0 = off"
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
    rejoin_posts: float | None = Field(
        20, ge=0, description="one-off cost of coming back after quitting, in posts' worth "
        "(re-onboarding: the audience must be told again); none = a quitter never returns (off)"
    )
    planning_days: float = Field(
        30, gt=0, description="days over which joining must pay back its onboarding cost: the "
        "influencer's planning horizon"
    )
    foresight: float = Field(
        1.0, ge=0, le=1, description="how far an influencer deciding to join looks ahead over "
        "planning_days: 1 = it weighs an announced phase (during its notice) by the share of "
        "the horizon it will cover, and values the audience its promotion builds on the "
        "platform (an early audience earns more later); 0 = it sees only today (off)"
    )
    promo_share: float = Field(
        0.3, ge=0, le=1, description="share of new-platform posts cross-promoted on incumbents"
    )
    join_burst_posts: float = Field(
        3, ge=0, description="promo posts on incumbents on the day an influencer joins"
    )
    organic_value_per_view: float = Field(
        0.005, ge=0, description="$ per view: what an audience seen is worth to the creator "
        "beyond any payout (sponsorships it can sell, reach): $5 per 1 000 views, in the "
        "range YouTube creators earn, $1.6–29 per 1 000 (Insider 2022)"
    )


class Commerce(Section):
    """Purchases by active users."""

    basket_value: float = Field(
        52.0, gt=0, description="$ per order: Prime members spent $1 300 a year in 25 orders "
        "in 2017 (CIRP), about $52 an order"
    )
    conversion: float = Field(
        0.001, ge=0, le=1, description="orders per view of a product post at product fit 1: "
        "influencer posts are clicked 1–5% of the time and affiliate clicks buy 2.5–3.5% of "
        "the time (amnavigator), so about 3% × 3%"
    )
    organic_orders_per_user: float = Field(
        0.002, ge=0, description="orders per active user per day from browsing the network, "
        "not tied to an influencer's post: about 3% of a Prime member's 25 orders a year "
        "(CIRP 2017)"
    )


class Attribution(Section):
    """Who a platform credits with a new adopter: what bounties and commission are paid on."""

    rule: AttributionRule = Field(
        "last_touch", description="last_touch: the influencer whose promotion the adopter saw "
        "most recently within the window (referral links and codes, what real programmes "
        "run); even_split: split among all seen within the window; causal: the share of the "
        "adoption hazard promotion caused (a research oracle no platform can observe)"
    )
    window_days: int = Field(
        7, ge=1, le=WINDOW_LIMIT, description="days a seen promotion can be credited with an "
        "adoption: Meta's default attribution window is 7 days after a click (2021)"
    )


class Event(Section):
    """An outside event that sends people looking: a rival bought, banned or changing course.

    From ``day`` on, the adoption and return hazards on its platform are multiplied by
    1 + strength × 0.5 ** ((t − day) / half_life_days): 1 + strength at its height,
    fading by half every ``half_life_days``.
    """

    day: int = Field(..., ge=0, description="day the event happens (days since launch)")
    strength: float = Field(
        ..., ge=0, description="extra attention at the height: the adoption and return "
        "hazards are multiplied by 1 + strength on the event's day"
    )
    half_life_days: float = Field(
        7.0, gt=0, description="days over which the extra attention halves (a news cycle: "
        "sign-ups after Bluesky's opening and the X ban in Brazil fell by about half "
        "within a week)"
    )
    platform: str | None = Field(
        None, description="the platform it helps (none = every new platform)"
    )
    kind: Literal["attention", "exodus"] = Field(
        "attention", description="attention: people come to look (adoption and return rise); "
        "exodus: people leave an incumbent (a ban, a takeover), so those who come also stay: "
        "churn falls by the same factor"
    )

    def multiplier(self, day: int) -> float:
        """1 + strength × the event's fading on ``day`` (1 before the event)."""
        if day < self.day:
            return 1.0
        return 1.0 + self.strength * 0.5 ** ((day - self.day) / self.half_life_days)


class Invitation(Section):
    """Who may join a platform."""

    policy: Literal["open", "top_k", "bottom_k", "random_k", "tiers", "random_share"] = Field(
        "open",
        description="whom to invite: open to all; the k largest audiences (hubs); the k "
        "smallest (the fringe); k at random; the largest per tier; or a random share",
    )
    top_k: int = Field(100, ge=0, description="top_k, bottom_k, random_k: number invited (k)")
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
    attribution: Attribution = Field(default_factory=Attribution)
    events: list[Event] = Field(
        default_factory=list, description="outside events ([[events]]): surges of attention "
        "to a platform on given days (dotted keys events.0.strength and so on)"
    )

    @field_validator("platforms")
    @classmethod
    def _unique_platform_names(cls, platforms: list[Platform]) -> list[Platform]:
        names = [p.name for p in platforms]
        if len(set(names)) != len(names):
            raise ValueError(f"platform names must be unique (given: {names})")
        return platforms

    @model_validator(mode="after")
    def _events_name_platforms(self) -> Config:
        names = [p.name for p in self.platforms]
        for k, event in enumerate(self.events):
            if event.platform is not None and event.platform not in names:
                raise ValueError(f"events.{k}.platform = {event.platform!r}: not a platform "
                                 f"(allowed: {', '.join(names)}, or none for all)")
        return self

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
                allowed = (f"0..{len(node) - 1}" if node else
                           f"none yet: give the whole list, e.g. {parts[0]}=[{{...}}]")
                raise ConfigError(
                    f"override {key!r}: {where!r} indexes a list of {len(node)} "
                    f"(allowed: {allowed})"
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
            if part == "events" and part not in node:
                node[part] = []  # the default: no events
            node = node.setdefault(part, {})
