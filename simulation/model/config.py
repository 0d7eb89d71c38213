"""Configuration: every parameter declared once, with its unit, default and source.

A config is a TOML file validated by the pydantic models below. Unknown keys
are errors. ``load_config(path_or_mapping, overrides={"dotted.key": value})``
applies overrides (the same as ``--set dotted.key=value`` on the CLI) before
validation, so an override is checked like any other value. Any problem
raises :class:`ConfigError` with one message that names the key, the value
given and what is allowed.

Counts are in market units: ``population.followers`` people stand for
``population.market_size`` real people and ``population.influencers`` agents
for the real creators of ``population.creators``, so fees, costs, budgets and
invitation counts are those of the real market, whatever the sample sizes.
"""

from __future__ import annotations

import copy
import math
import numbers
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import tomli_w
from pydantic import Field, SerializeAsAny, ValidationError, field_validator, model_validator
from pydantic_core import PydanticKnownError

from ..errors import ConfigError, check_input_file
from .attribution import ATTRIBUTION_RULES
from .creators import CreatorMarket, smallest_sample
from .networks import SOCIAL_KINDS, SocialKind
from .payouts import TIERS, Phase, Start, Tier
from .sections import (
    MAX_CREATORS,
    MAX_DOLLARS,
    MAX_HORIZON_DAYS,
    MAX_INFLUENCERS,
    MAX_POSTS,
    MAX_PRICE,
    MAX_RATE_PER_DAY,
    OneKind,
    Section,
    describe_error,
)

MAX_SEED = 2**63 - 1
"""The largest run seed: TOML integers are signed 64-bit, and the resolved config stores it."""
MAX_PEOPLE = 2**31 - 1
"""Person ids are int32 (half the memory of int64 in every graph index)."""
WINDOW_LIMIT = 90
"""The longest attribution window (days): the model keeps each day's promotion for it."""
MARKET_SIZE = 85_000_000
"""US Amazon Prime members in June 2017, just before Spark's launch (Consumer Intelligence
Research Partners: 80 million in March, 85 million in June, 90 million in September)."""
MAX_POST_ALLOCATIONS = 3_000
"""Most (posts per platform) combinations an influencer weighs each day: the
decision table is influencers × combinations, so this bounds its memory."""
MAX_FOLLOWS = 7_500.0
"""Most creators a person follows on average: Instagram's limit on the accounts one may follow
(7 500); the follow graph holds an entry per creator followed, so this also bounds it."""
MAX_MARKET_SIZE = 1e10
"""The largest market (real people): more people than live on Earth (8.1 billion in 2024)."""
MAX_PLATFORMS = 10
"""Most new platforms in one run: each is a state per person and a column of every
influencer array, and MAX_POST_ALLOCATIONS already limits 10 platforms to 4 posts a day."""
MAX_PHASES = 100
"""Most phases in a platform's payout schedule: a phase a week for two years; the
schedule is walked in order each day."""
MAX_EVENTS = 100
"""Most outside events in a run: each is evaluated on every platform every day."""
MAX_SURGE = 1e12
"""The largest product of (1 + strength) over all events, the most the hazards can be
multiplied by at once when every surge overlaps: ten orders of magnitude above the
Bluesky fit's (notebook 09: up to 301 × 201 × 201), and small enough that the model's
float32 hazards stay finite."""
MAX_CV = 10.0
"""The largest coefficient of variation of a gamma multiplier (shape 1/cv² = 0.01): it
already gives 1% of people almost all of the trait; more overflows shape 1/cv²."""
MAX_LOG_SD = 5.0
"""The largest lognormal log-sd of an influencer attribute: ±3 sd spans a factor of
e^30 ≈ 10^13, far wider than real audiences (10 to 10^9 followers: 8 orders of magnitude)."""
SAFE_NAME = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
"""A platform name: it prefixes output columns (``spark.adopters_end``) and names plot
series, so letters, digits, '_' and '-' only (no '.', space or quote)."""


class Population(Section):
    """Who is simulated."""

    followers: int = Field(
        100_000, ge=1, le=MAX_PEOPLE,
        description="people simulated (followers); vectorised, so millions are fine; "
        "person ids are int32"
    )
    influencers: int = Field(
        1_000, ge=0, le=MAX_INFLUENCERS, description="creators simulated (mesa agents): a "
        "sample of the real creators of `creators`, as the followers are of the market; the "
        "largest are simulated one to one, the rest in groups of equal audience, each agent "
        "standing for its weight of real creators (simulation/model/creators.py), so answers do "
        "not depend on it; more agents, less sampling noise; 1 000 holds the 148 largest of "
        "the default 17 102 one to one (70 000 followers or more) and runs as fast as the "
        "people at 100 000; 0 gives the Bass model; at "
        "least one per part of the market the config tells apart (its tiers and invitations) "
        "and at most the creators of the market; at most 10^6 (minutes a year and 1.2 GB of "
        "decision tables)"
    )
    creators: CreatorMarket = Field(
        default_factory=CreatorMarket,
        description="the real creators of the market, by audience tier (market units): "
        "those the simulated influencers stand for")
    market_size: float = Field(
        MARKET_SIZE, gt=0, le=MAX_MARKET_SIZE,
        description="real people the simulated followers stand for: the "
        "market. Every person count, view and dollar is reported for it, so answers do not "
        "depend on how many are simulated. Default: US Amazon Prime members in 2017, the "
        "story's launch market (Spark, July 2017: US only, and only Prime members could post), "
        "85 million in June 2017 (CIRP); at most 10^10, more than live on Earth"
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

    @property
    def creators_per_agent(self) -> float:
        """Real creators one simulated creator stands for, on average (creators / influencers).

        The largest stand for one each and the tail's agents for more
        (:class:`~simulation.model.creators.CreatorSample` has each agent's weight).
        """
        return self.creators.total / self.influencers if self.influencers else math.inf


DEFAULT_SOCIAL_KIND = "watts_strogatz"
"""The social graph when a config names none: a small world."""


SocialGraph = Annotated[SerializeAsAny[SocialKind], OneKind(SocialKind, DEFAULT_SOCIAL_KIND)]
"""A social graph section: the kind registered in SOCIAL_KINDS that its ``kind`` key names,
looked up when the config is validated (a kind defined later is a value at once)."""


class Network(Section):
    """Who follows whom."""

    follows_per_person: float | None = Field(
        None, ge=0, le=MAX_FOLLOWS,
        description="real creators a person follows, on average; none = from their real "
        "audiences (the market's in-market audiences / market_size: 0.47 at the defaults); set "
        "it to fix the follow graph's density, and every creator's in-market audience scales "
        "to match; 0 = nobody follows anyone; at most 7 500, Instagram's limit on accounts "
        "one may follow"
    )
    social: SocialGraph = Field(
        default_factory=lambda: SOCIAL_KINDS[DEFAULT_SOCIAL_KIND](),
        description="the friendship graph that carries imitation; `kind` picks the "
        "generator and its parameters (simulation/model/networks.py)")


class Adoption(Section):
    """Daily adoption hazard h = π (p + q * friends active + r * λ * w * g(promo posts seen)).

    π (persuadability) and λ (heed of influencers) are gamma multipliers of mean 1
    per person; w = exp(-wear_out * promotion seen so far) makes promotion wear off.
    """

    innovation: float = Field(
        0.00005, ge=0, le=MAX_RATE_PER_DAY,
        description="p, per day: the platform's own marketing (Spark was "
        "promoted inside Amazon's app), 1.8% of people a year; the Bass meta-analysis average "
        "p = 0.03 a year (Sultan, Farley & Lehmann 1990) is 0.00008 a day"
    )
    imitation: float = Field(
        0.015, ge=0, le=MAX_RATE_PER_DAY,
        description="q, per day at full friend share: word of mouth. 5.5 a year, "
        "above the durables' q = 0.38 a year (Sultan, Farley & Lehmann 1990) because friends "
        "invite friends to a social app, below the base churn so that an unpaid launch does "
        "not take off by itself"
    )
    influence: float = Field(
        0.02, ge=0, le=MAX_RATE_PER_DAY,
        description="r, per day at saturating exposure to promotional posts: a "
        "follower who sees one a day adopts within about 80 days on average (before "
        "persuadability, heed and wear-out)"
    )
    promo_saturation: float = Field(
        1.0, ge=0.001, le=MAX_POSTS, description="promo posts seen per day at which "
        "g = 1 - 1/e; g(x) = 1 - exp(-x / promo_saturation); from 0.001 (below, g is a step "
        "and r / promo_saturation overflows) to 1 000"
    )
    return_rel: float = Field(
        0.3, ge=0, le=100, description="lapsed users return at this multiple of the adoption "
        "hazard; at most 100"
    )
    persuadability_cv: float = Field(
        1.0, ge=0, le=MAX_CV, description="spread (coefficient of variation) of a gamma "
        "multiplier of mean 1 on each person's adoption hazard: people differ in how readily "
        "they adopt; "
        "1 is the exponential mixing under which shifted-Gompertz adopters aggregate to the "
        "Bass model (Bemmaor 1994); 0 = everyone alike (off); at most 10"
    )
    loyalty_cv: float = Field(
        0.5, ge=0, le=MAX_CV, description="spread (coefficient of variation) of a gamma "
        "multiplier of mean 1 on how much each person heeds the influencers it follows; "
        "0 = alike (off); at most 10"
    )
    wear_out: float = Field(
        0.07, ge=0, le=100,
        description="per promotional post seen about a platform: the response to "
        "further promotion is exp(-wear_out × posts seen so far), halving after about 10 "
        "(the effect of repetition peaks near 10 exposures: Schmidt & Eisend 2015; it wears "
        "out sooner for unfamiliar brands: Campbell & Keller 2003); 0 = never tires (off); "
        "at most 100 (gone after one post)"
    )


class Retention(Section):
    """Churn base_churn * content_half / (content_half + content) * attention / pull.

    pull = 1 + network_effect * s², s the share of one's friends active; lapsed
    users return at return_rel × the adoption hazard × pull.
    """

    base_churn: float = Field(
        0.05, ge=0, le=MAX_RATE_PER_DAY,
        description="per day with no content at all and no friends there: the "
        "average app loses 90% of its daily users within 30 days (Quettra, 2015), a daily "
        "hazard of about 0.08; content and friends keep people longer"
    )
    content_half: float = Field(
        2.0, gt=0, le=MAX_POSTS, description="posts/day in a user's feed at which churn "
        "halves; at most 1 000"
    )
    attention_cost: float = Field(
        0.5, ge=0, le=100, description="extra churn per other new platform a user is active "
        "on (relative); at most 100"
    )
    network_effect: float = Field(
        25.0, ge=0, le=1_000,
        description="strength of network effects: churn is divided, and returning "
        "multiplied, by 1 + network_effect × s², s the share of one's friends active (their "
        "posts, messages and tags make staying worth more, and matter once enough are there). "
        "A platform past a critical mass then keeps itself going and one below it decays "
        "(critical mass: Rohlfs 1974; network externalities slow early growth and make it "
        "hinge on a mass of adopters: Goldenberg, Libai & Muller 2010); 25 puts the critical "
        "mass near 10% of people active; 0 = off; at most 1 000 (a critical mass near 1%)"
    )


class InfluencerParams(Section):
    """Influencer attributes and behaviour."""

    audience_in_market: float = Field(
        0.25, gt=0, le=1, description="share of a creator's followers who are in the market "
        "(US Prime members): about three quarters of a US creator's followers are in the US "
        "(judgement), and a third of Americans aged 13 or more were Prime members in 2017 (85 "
        "of about 260 million: CIRP, US Census); followers abroad and non-members are out. "
        "With the default creators a person in the market follows 0.47 of them; prior "
        "0.15–0.5"
    )
    shrinkage_followers: float = Field(
        2.0, ge=0, le=1e6, description="pseudo-followers at the platform's active share added to "
        "each influencer's sampled followers when its active audience is estimated "
        "(empirical-Bayes shrinkage): keeps influencers with few or no sampled followers "
        "honest; 0 = the raw sample share; at most 10^6"
    )
    engagement_mean: float = Field(
        0.25, gt=0, lt=1, description="share of an influencer's active followers who view a "
        "post, at 20 000 followers (Beta mean; engagement_elasticity scales it to other "
        "audiences); small new feeds show most posts"
    )
    engagement_elasticity: float = Field(
        0.14, ge=0, le=1, description="engagement falls with audience as audience ** -elasticity: "
        "Instagram like rates fall from 4% at 1k–10k followers to 1.7% at 100k–1M and 1.66% "
        "at 1M–10M (Markerly 2016, reported by Marketing Dive): log(4/1.66)/log(1000) ≈ 0.14; "
        "0 = the same for every size (off); at most 1 (in proportion to audience)"
    )
    incumbent_reach: float = Field(
        0.1, ge=0, le=1, description="share of followers who see a post on the incumbents "
        "(organic reach 5–10%)"
    )
    product_fit_sigma: float = Field(
        0.5, ge=0, le=2, description="lognormal log-sd of product fit (multiplier on "
        "conversion, median 1); at most 2 (a fit 7 times the median at 1 sd), which keeps "
        "the orders drawn per influencer within numpy's Poisson range",
    )
    cost_per_post: float = Field(
        5.0, ge=0, le=MAX_PRICE,
        description="$ per post, the effort part: a few minutes of a creator's "
        "time to adapt and cross-post content it has already made"
    )
    cost_per_follower: float = Field(
        0.0001, ge=0, le=1, description="$ per post per follower (real audience): the attention a "
        "post asks of one's audience, a hundredth of the sponsored-post rate card of $10 per "
        "1 000 followers (USA Today 2019; Influencer Marketing Hub tiers: nano $10–100, micro "
        "$100–500, mid $500–5 000, macro $5 000–10 000 a post), since a cross-post of content "
        "already made sells no advertising slot: $15 a post at 100k followers; at most $1"
    )
    cost_sigma: float = Field(
        0.5, ge=0, le=MAX_LOG_SD,
        description="lognormal log-sd of a per-influencer multiplier (median 1) on "
        "its cost per post: creators' time and alternatives differ; 0 = all alike (off); at most 5"
    )
    outside_option_posts: float = Field(
        0.5, ge=0, le=MAX_POSTS,
        description="a day on new platforms must also beat the influencer's outside "
        "option, worth this many of its own posts' cost (varied like its cost): what the time "
        "earns elsewhere; 0 = off"
    )
    cost_exponent: float = Field(
        1.5, ge=1, le=4, description="convexity: cost(n) = cost_per_post_i * n ** "
        "cost_exponent; at most 4 (the 20th post of a day costing 32 000 times the first)"
    )
    max_posts_per_day: int = Field(
        6, ge=1, le=20, description="posts/day across new platforms; at most 20 (the decision "
        "table grows with its power)")
    patience: float = Field(
        14, ge=1, le=MAX_HORIZON_DAYS, description="mean days in a row without positive "
        "payoff before quitting; at most 36 500 (the longest horizon: never quits)"
    )
    learning_rate: float = Field(
        0.2, gt=0, le=1, description="exponential smoothing weight of a new day's outcome"
    )
    decision_noise: float = Field(
        0.1, ge=0, le=100, description="logit temperature as a share of the influencer's "
        "cost per post; at most 100 (choices all but random)"
    )
    onboarding_posts: float = Field(
        10, ge=0, le=MAX_POSTS, description="one-off cost of joining, in posts' worth of the "
        "influencer's cost; at most 1 000"
    )
    rejoin_posts: float | None = Field(
        20, ge=0, le=MAX_POSTS,
        description="one-off cost of coming back after quitting, in posts' worth "
        "(re-onboarding: the audience must be told again); none = a quitter never returns "
        "(off; \"none\" in TOML)"
    )
    planning_days: float = Field(
        30, ge=1, le=MAX_HORIZON_DAYS, description="days over which joining must pay back its "
        "onboarding cost: the influencer's planning horizon; at least a day (decisions are "
        "daily)"
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
        3, ge=0, le=100, description="promo posts on incumbents on the day an influencer "
        "joins; at most 100"
    )
    organic_value_per_view: float = Field(
        0.005, ge=0, le=1, description="$ per view: what an audience seen is worth to the creator "
        "beyond any payout (sponsorships it can sell, reach): $5 per 1 000 views, in the "
        "range YouTube creators earn, $1.6–29 per 1 000 (Insider 2022); at most $1"
    )


class Commerce(Section):
    """Purchases by active users."""

    basket_value: float = Field(
        52.0, gt=0, le=MAX_PRICE,
        description="$ per order: Prime members spent $1 300 a year in 25 orders "
        "in 2017 (CIRP), about $52 an order"
    )
    conversion: float = Field(
        0.001, ge=0, le=1, description="orders per view of a product post at product fit 1: "
        "influencer posts are clicked 1–5% of the time and affiliate clicks buy 2.5–3.5% of "
        "the time (amnavigator), so about 3% × 3%"
    )
    organic_orders_per_user: float = Field(
        0.002, ge=0, le=10, description="orders per active user per day from browsing the network, "
        "not tied to an influencer's post: about 3% of a Prime member's 25 orders a year "
        "(CIRP 2017); at most 10"
    )


class Attribution(Section):
    """Who a platform credits with a new adopter: what bounties and commission are paid on."""

    rule: str = Field(
        "last_touch", description="last_touch: the influencer whose promotion the adopter saw "
        "most recently within the window (referral links and codes, what real programmes "
        "run); even_split: split among all seen within the window; causal: the share of the "
        "adoption hazard promotion caused (a research oracle no platform can observe)"
    )
    window_days: int = Field(
        7, ge=1, le=WINDOW_LIMIT, description="days a seen promotion can be credited with an "
        "adoption: Meta's default attribution window is 7 days after a click (2021)"
    )

    @field_validator("rule", mode="before")
    @classmethod
    def _a_registered_rule(cls, rule: Any) -> Any:
        """One of ATTRIBUTION_RULES as registered now (a rule defined later is a value at once)."""
        if not (isinstance(rule, str) and rule in ATTRIBUTION_RULES):
            names = [repr(name) for name in ATTRIBUTION_RULES]
            expected = " or ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1
                                   else names)
            raise PydanticKnownError("literal_error", {"expected": expected})
        return rule


class Event(Section):
    """An outside event that sends people looking: a rival bought, banned or changing course.

    From ``day`` on, the adoption and return hazards on its platform are multiplied by
    1 + strength × 0.5 ** ((t − day) / half_life_days): 1 + strength at its height,
    fading by half every ``half_life_days``.
    """

    day: int = Field(..., ge=0, le=MAX_HORIZON_DAYS,
                     description="day the event happens (days since launch)")
    strength: float = Field(
        ..., ge=0, le=MAX_SURGE,
        description="extra attention at the height: the adoption and return "
        "hazards are multiplied by 1 + strength on the event's day"
    )
    half_life_days: float = Field(
        7.0, gt=0, le=MAX_HORIZON_DAYS,
        description="days over which the extra attention halves (a news cycle: "
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
    top_k: int = Field(100, ge=0, le=MAX_CREATORS,
                       description="top_k, bottom_k, random_k: real creators invited (k): the "
                       "k largest or smallest are exact, random_k invites whole simulated "
                       "creators as long as their creators fit in k")
    tiers: dict[Tier, Annotated[int, Field(ge=0, le=MAX_CREATORS)]] = Field(
        default_factory=dict, description="tiers: real creators invited per tier, largest first"
    )
    share: float = Field(0.1, ge=0, le=1, description="random_share: share invited (each "
                         "simulated creator with its group, with this probability)")
    open_day: int | None = Field(
        None, ge=0, le=MAX_HORIZON_DAYS, description="day from which anyone may join; "
        "none = never"
    )


class Platform(Section):
    """A new platform competing for posts and attention. The incumbents are the outside option."""

    name: str = Field(
        "spark", pattern=SAFE_NAME, max_length=40, description="label in outputs, and the "
        "prefix of its summary columns (spark.adopters_end): letters, digits, '_', '-'")
    rel_marketing: float = Field(1.0, ge=0, le=1_000,
                                 description="multiplier on adoption.innovation; at most 1 000")
    feed_baseline: float = Field(
        1.0, ge=0, le=MAX_POSTS, description="posts/day of non-influencer content in each "
        "active user's feed; at most 1 000"
    )
    take_rate: float = Field(
        0.15, ge=0, le=1, description="platform revenue share of GMV (marketplaces take 10–20%)"
    )
    budget: float = Field(
        1_000_000.0, ge=0, le=MAX_DOLLARS, description="$ cap on all payouts over the run; "
        "never exceeded; at most $10^12"
    )
    invitation: Invitation = Field(default_factory=Invitation)
    phases: list[Phase] = Field(
        default_factory=list, max_length=MAX_PHASES, description="payout schedule, in "
        "order: each phase starts after the one before; no phases = no payouts"
    )

    @field_validator("name", mode="before")
    @classmethod
    def _safe_name(cls, name: Any) -> Any:
        if isinstance(name, str) and not re.fullmatch(SAFE_NAME, name):
            raise ValueError("allowed: letters, digits, '_' and '-', starting with a letter "
                             "or digit (the name prefixes output columns, as in "
                             "spark.adopters_end)")
        return name


class Metrics(Section):
    """How outputs are summarised."""

    retention_window_days: int = Field(
        90, ge=1, le=MAX_HORIZON_DAYS,
        description="retention_after_switch compares active users this many days "
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
    horizon_days: int = Field(
        365, ge=1, le=MAX_HORIZON_DAYS, description="days simulated; platforms launch at day "
        "0; at most 36 500 (100 years: a minute and a half for the baseline)")
    population: Population = Field(default_factory=Population)
    network: Network = Field(default_factory=Network)
    adoption: Adoption = Field(default_factory=Adoption)
    retention: Retention = Field(default_factory=Retention)
    influencers: InfluencerParams = Field(default_factory=InfluencerParams)
    commerce: Commerce = Field(default_factory=Commerce)
    platforms: list[Platform] = Field(
        default_factory=lambda: [Platform()], min_length=1, max_length=MAX_PLATFORMS,
        description="one or more new platforms; at most 10"
    )
    metrics: Metrics = Field(default_factory=Metrics)
    attribution: Attribution = Field(default_factory=Attribution)
    events: list[Event] = Field(
        default_factory=list, max_length=MAX_EVENTS, description="outside events "
        "([[events]]): surges of attention to a platform on given days (dotted keys "
        "events.0.strength and so on); at most 100"
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
    def _sample_holds_the_creators(self) -> Config:
        """The simulated creators can stand for the market's: not more, not too few."""
        agents, market = self.population.influencers, self.population.creators
        problem = market.largest_problem()
        if problem:
            raise ValueError(problem)
        if agents == 0:
            return self
        total = market.total
        if total == 0:
            tiers = ", ".join(f"population.creators.{tier}" for tier in TIERS)
            raise ValueError(f"population.influencers = {agents:,}: the creator market has no "
                             f"creators to stand for ({tiers} are all 0; allowed: 0 "
                             "influencers, or creators in some tier)")
        if agents > total:
            raise ValueError(f"population.influencers = {agents:,}: more than the {total:,} "
                             "creators of the market population.creators (allowed: at most "
                             f"{total:,}, every creator one to one)")
        follows = self.network.follows_per_person
        if follows is None:
            follows = market.follows_per_person(self.influencers.audience_in_market,
                                                self.population.market_size)
            if follows > MAX_FOLLOWS:
                given = ", ".join(f"{key} {getattr(market, key):,.0f}" for key in
                                  (*TIERS, "min_audience", "largest_audience"))
                raise ValueError(
                    f"population.creators ({given}) with influencers.audience_in_market = "
                    f"{self.influencers.audience_in_market:g} and population.market_size = "
                    f"{self.population.market_size:,.0f}: a person would follow {follows:,.0f} "
                    f"creators on average (allowed: at most {MAX_FOLLOWS:,.0f}, Instagram's "
                    "limit on accounts one may follow); fewer or smaller creators, or a larger "
                    "market")
        least = smallest_sample(self)
        if agents < least:
            raise ValueError(
                f"population.influencers = {agents:,}: too few to hold the creator market; "
                f"every part the config tells apart (each tier with creators, and the ranks its "
                f"invitations name) needs an agent of its own, so that those counts of real "
                f"creators are exact (allowed: at least {least}, or 0)")
        return self

    @model_validator(mode="after")
    def _phases_in_order(self) -> Config:
        for k, platform in enumerate(self.platforms):
            check_phase_order(platform.phases, f"platforms.{k}.phases")
        return self

    @model_validator(mode="after")
    def _surges_stay_finite(self) -> Config:
        for platform in self.platforms:
            applying = [(k, e) for k, e in enumerate(self.events)
                        if e.platform in (None, platform.name)]
            product = math.prod(1.0 + e.strength for _, e in applying)
            if product > MAX_SURGE:
                k, strongest = max(applying, key=lambda pair: pair[1].strength)
                raise ValueError(
                    f"events.{k}.strength = {strongest.strength:g}: the events on platform "
                    f"{platform.name!r} together multiply its hazards by up to {product:.3g} "
                    f"(the product of 1 + strength; allowed: at most {MAX_SURGE:.0e}, where "
                    "everybody adopts in a day anyway); lower the strengths")
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
        """The resolved config as TOML (every value, defaults included).

        A None that is not its key's default (``rejoin_posts``: quitters never
        return) is written as the text "none", which reads back as None.
        """
        return tomli_w.dumps(_none_as_text(plain(self)))


def check_phase_order(phases: list[Phase], key: str) -> None:
    """A ValueError if a payout schedule's phases cannot take effect in the order given.

    A schedule is walked in order: phase j's trigger is watched only once phase j-1
    has taken effect (its trigger, then its notice days). So a later phase whose
    ``start.day`` comes before the earlier one can take effect would start later than it
    says (and a schedule given backwards pays nothing until its first phase fires).
    Thresholds of the same kind (adoption_share, spend) must not fall either. Mixed
    triggers (a share, then a day) are checked against the earliest day the earlier
    phase can take effect. An equal day or threshold is allowed: the later phase then
    replaces the earlier one the day it takes effect (a switch on day 0).
    """
    earliest = 0  # the earliest day the phase before can have taken effect
    before: Start | None = None
    for j, phase in enumerate(phases):
        start, where = phase.start, f"{key}.{j}.start"
        if before is None:
            pass
        elif start.day is not None:
            if start.day < earliest:
                raise ValueError(
                    f"{where}.day = {start.day}: phase {j - 1} takes effect on day {earliest} "
                    f"at the earliest ({key}.{j - 1}.start plus its notice_days), and phases "
                    f"take effect in order, so this one would start later than it says "
                    f"(allowed: day >= {earliest}; put the phases in order)")
        else:
            kind = "adoption_share" if start.adoption_share is not None else "spend"
            mine, theirs = getattr(start, kind), getattr(before, kind)
            if theirs is not None and mine < theirs:
                raise ValueError(
                    f"{where}.{kind} = {mine:g}: phase {j - 1} starts at {kind} = "
                    f"{theirs:g}, so this one would fire the day phase {j - 1} takes effect, "
                    f"not at its own {kind} (allowed: {kind} >= {theirs:g}; put the phases "
                    "in order)")
        fired = start.day if start.day is not None else earliest
        earliest = max(fired, earliest) + start.notice_days
        before = start


def check_seed(seed: object) -> int:
    """A run seed as an int, or a ConfigError: a whole number in 0..2**63-1 (TOML's range)."""
    whole = isinstance(seed, numbers.Integral) and not isinstance(seed, bool)
    if not whole or not 0 <= int(seed) <= MAX_SEED:
        raise ConfigError(f"seed = {seed!r}: must be a whole number in 0..{MAX_SEED} "
                          "(2**63 - 1, the largest TOML integer)")
    return int(seed)


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
        raw = plain(source)
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


def revalidated(config: Config) -> Config:
    """``config`` validated again as a whole, as a new Config (or a ConfigError).

    A Config's fields are checked as they are set, but not the rules that tie
    sections together (a quota within ``max_posts_per_day``, unique platform
    names), nor what is appended to its lists: a run checks it all again first.
    """
    return load_config(config)


def plain(value: Any) -> Any:
    """A section as nested dicts and lists, exactly as set (nothing checked or converted).

    A None is dropped where it is the field's default, so an override can fill in
    the section it stands for (``platforms.0.phases.1.flat_fee.fee``), and kept
    where it means something (``rejoin_posts = none``: quitters never return).
    """
    if isinstance(value, Section):
        fields = type(value).config_keys()  # a phase's scheme keys too
        return {name: plain(getattr(value, name)) for name in fields
                if not (getattr(value, name) is None and fields[name].default is None)}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


def _none_as_text(value: Any) -> Any:
    """``plain`` output with None written "none" (TOML has no null)."""
    if value is None:
        return "none"
    if isinstance(value, list):
        return [_none_as_text(item) for item in value]
    if isinstance(value, dict):
        return {key: _none_as_text(item) for key, item in value.items()}
    return value


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


MAX_CONFIG_BYTES = 1_000_000
"""The largest config file read (1 MB), checked before reading: the shipped ones are under
3 kB, and the most platforms, phases and events allowed fit in about 0.3 MB."""


def _read_toml(path: Path) -> dict[str, Any]:
    check_input_file(path, "config file", "a .toml file", max_bytes=MAX_CONFIG_BYTES)
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
