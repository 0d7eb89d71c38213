"""Influencers: mesa agents who decide whether to join, and how much to post where.

Each influencer is a :class:`Influencer` (a ``mesa.Agent``) so the usual Mesa
tools work on them (``model.agents.select``, ``agg``, ``groupby``). Their
attributes live in the arrays of :class:`InfluencerTable`, one row each, and
the daily decision is one array expression over all of them: for 10 000
agents a Python call each per day would cost more than the whole follower
population. Each agent is one of the creator sample (:mod:`simulation.model.creators`):
the largest creators one to one, the tail in groups, an agent standing for its
``weight`` real creators, who share its attributes and its choice. The rule is the
rule of one creator, with that creator's own expectations (a group's outcomes ÷ its
weight), applied to every row at once:

1. For every allocation of 0..``max_posts_per_day`` posts across the new
   platforms, the expected payoff is the scheme payments for those posts
   (quota-aware: 2 posts may pay nothing and 3 the whole fee) plus the
   organic value of the audience held there, minus a convex cost of posting,
   minus the onboarding cost (spread over ``planning_days``) on platforms not
   yet joined. Platforms the influencer is not eligible for, or has quit, are
   not options.
2. The choice is a logit (Gumbel-max) with a temperature of
   ``decision_noise`` × the influencer's cost per post: a little noise, scaled
   to the stakes, so the population does not flip at one knife edge.
3. Posting on a platform not yet joined is joining it. After each day the
   per-post expectations of views, sales and attributed adopters move toward
   what was actually earned (exponential smoothing; idle accounts drift
   toward what the public numbers suggest), and an influencer who has gone
   ``patience`` days in a row without a positive payoff on a platform quits
   it for good.

What the day reports counts real creators: joined, posting and posts are the
rows' weighted sums, and views, sales and pay are each row's group totals.

Owns: :class:`InfluencerTable` (their attributes and state as arrays),
:class:`Influencer` (the mesa agent, a view of its row) and the module
:class:`Influencers` (the ``decide``, ``expose``, ``follow_audiences`` and ``learn``
stages, with the feeds and the audiences they keep).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import mesa
import numpy as np
import scipy.sparse as sp

from .config import Config, InfluencerParams
from .creators import CreatorMarket, CreatorSample
from .modules import Module
from .networks import add_rows
from .payouts import TIER_BOUNDS, TIERS, Outlook, Scheme

if TYPE_CHECKING:
    from .day import Day
    from .spark_model import SparkModel


ENGAGEMENT_AT = 20_000.0
"""Followers at which a creator's engagement has its mean ``engagement_mean``: a micro creator,
the median of the paid creators the engagement figures come from (Markerly 2016)."""


class InfluencerTable:
    """Attributes and state of the simulated creators as arrays (rows: agents, cols: platforms).

    Each row is an agent of the creator sample (:mod:`simulation.model.creators`), in rank
    order, standing for ``weight`` real creators that share its attributes and choices. Its
    attributes are those of each of its creators (audience, cost, in-market audience), and
    so are its decisions and expectations (per post, per creator); the day's outcomes the
    model hands around for a row (views, sales, credited adopters, pay) are its group's
    totals, and the row's own share is the total ÷ ``weight``.
    """

    def __init__(
        self,
        params: InfluencerParams,
        sample: CreatorSample,
        n_platforms: int,
        streams: Callable[[str], np.random.Generator],
    ):
        self.params = params
        n, k = len(sample.weight), n_platforms
        self.sample = sample
        self.audience = sample.audience  # followers of each of its creators
        self.weight = sample.weight  # real creators the row stands for
        self.tier = np.searchsorted(TIER_BOUNDS, self.audience, side="right").astype(np.int8)
        concentration = 20.0
        mean = np.clip(params.engagement_mean * (self.audience / ENGAGEMENT_AT)
                       ** -params.engagement_elasticity, 0.005, 0.95)
        # one stream per attribute, drawn in rank order: the creators simulated one to one
        # get the same attributes at every sample size
        self.engagement = streams("creators.engagement").beta(
            mean * concentration, (1 - mean) * concentration, size=n)
        self.product_fit = np.exp(params.product_fit_sigma
                                  * streams("creators.product_fit").standard_normal(n))
        self.patience = 1 + streams("creators.patience").poisson(params.patience - 1, size=n)
        cost_multiplier = np.exp(params.cost_sigma
                                 * streams("creators.cost").standard_normal(n))
        self.market_audience = self.audience * params.audience_in_market  # real followers
        self.n_followers = np.zeros(n)  # follows in the sample; set once the follow graph exists
        self.cost_per_post = cost_multiplier * (
            params.cost_per_post + params.cost_per_follower * self.audience)
        self.outside_option = params.outside_option_posts * self.cost_per_post  # $ a day
        self.joined = np.zeros((n, k), dtype=bool)
        self.quit = np.zeros((n, k), dtype=bool)
        self.bad_days = np.zeros((n, k), dtype=np.int32)
        self.posts = np.zeros((n, k), dtype=np.int32)
        self.views_per_post = np.zeros((n, k))
        self.gmv_per_post = np.zeros((n, k))
        self.adopters_per_post = np.zeros((n, k))
        self.options = allocations(k, params.max_posts_per_day)  # (options, platforms)
        self.option_cost = self.cost(self.options.sum(axis=1)[None, :])  # I × options, fixed
        self.idle_utility = -self.option_cost - np.outer(  # cost and outside option, fixed
            self.outside_option, self.options.sum(axis=1) > 0)

    def follow_rate(self, market: CreatorMarket, market_size: float,
                    follows_per_person: float | None) -> np.ndarray:
        """Each row's expected follows per person in the market: weight × P(follow a creator).

        A creator is followed with probability its in-market audience ÷ the market.
        ``follows_per_person`` (when set) fixes the market's average follows per person,
        and every creator's in-market audience is rescaled to match (the market's total
        audience is known exactly, not estimated from the sample). No in-market audience
        exceeds the market (whose people it counts).
        """
        if follows_per_person is not None and len(self.audience):
            share = follows_per_person * market_size / market.total_audience
            self.market_audience = self.audience * share
        self.market_audience = np.minimum(self.market_audience, market_size)
        return self.weight * self.market_audience / market_size

    def set_followers(self, follows: sp.csr_matrix) -> None:
        """Record each row's follows in the sample (a group's: one per creator followed)."""
        self.n_followers = np.asarray(follows.sum(axis=0)).ravel()

    def active_audience(self, active_followers: np.ndarray) -> np.ndarray:
        """Real followers active on each platform of each of a row's creators (I × K).

        The in-market audience × the active share among its sampled follows,
        shrunk toward the active share over all follow edges with
        ``shrinkage_followers`` pseudo-followers (empirical Bayes): an influencer
        with hundreds of sampled followers keeps its own share, one with none
        takes the pooled share rather than 0 or 100%.
        """
        strength = self.params.shrinkage_followers
        pooled = active_followers.sum(axis=0) / max(self.n_followers.sum(), 1.0)
        sampled = self.n_followers[:, None]
        share = np.divide(active_followers + strength * pooled, sampled + strength,
                          out=np.broadcast_to(pooled, active_followers.shape).copy(),
                          where=sampled + strength > 0)
        return self.market_audience[:, None] * share

    def cost(self, total_posts: np.ndarray) -> np.ndarray:
        """Convex cost ($) of posting ``total_posts`` (I × options)."""
        return self.cost_per_post[:, None] * np.power(total_posts, self.params.cost_exponent)

    def decide(
        self,
        eligible: np.ndarray,
        public: tuple[np.ndarray, np.ndarray, np.ndarray],
        schemes: list[list[Scheme]],
        upcoming: list[tuple[list[Scheme], int] | None],
        contracts: Mapping[str, np.ndarray],
        rng: np.random.Generator,
        active_followers: np.ndarray | None = None,
    ) -> np.ndarray:
        """Choose today's posts on every platform; returns who joined today (I × K bool).

        Args:
            eligible: may join (I × K).
            public: per-post views, GMV and adopters each influencer would
                expect from what it can see of the platform (I × K each).
            schemes: the schemes in force on each platform (empty when the
                budget is spent).
            upcoming: per platform, the schemes of an announced phase and the
                days until it takes effect (None: nothing announced).
            contracts: scheme key → who holds or is offered that scheme's contract
                (I × K bool; e.g. a flat-fee slot), for schemes with state.
            active_followers: real followers active on each platform, as last seen
                (I × K), for schemes that pay by audience.
            rng: the decision stream.
        """
        p = self.params
        n = len(self.audience)
        if n == 0:
            return self.joined.copy()
        views, gmv, adopters = (np.where(self.joined, mine, pub) for mine, pub in zip(
            (self.views_per_post, self.gmv_per_post, self.adopters_per_post), public, strict=True))
        utility = self.idle_utility  # each option's fixed cost; rebound, never written
        onboarding = p.onboarding_posts * self.cost_per_post / p.planning_days
        may_post = self.joined | (eligible & ~self.quit)
        if p.rejoin_posts is not None:  # quitters may come back, at a re-onboarding cost
            may_post |= eligible & self.quit
        for k, platform_schemes in enumerate(schemes):
            n_posts = np.broadcast_to(self.options[:, k], utility.shape)
            outlook = Outlook(
                views_per_post=views[:, k], gmv_per_post=gmv[:, k],
                adopters_per_post=adopters[:, k], tier=self.tier,
                active_followers=None if active_followers is None else active_followers[:, k],
                contracts={key: holders[:, k] for key, holders in contracts.items()})
            paid = sum((scheme.expected(n_posts, outlook) for scheme in platform_schemes),
                       start=np.zeros(utility.shape))
            newcomer = ~self.joined[:, k]
            if p.foresight > 0:  # a newcomer weighs what its horizon will bring
                paid = np.where(newcomer[:, None], self._horizon_pay(
                    paid, upcoming[k], n_posts, outlook), paid)
                audience_value = (p.foresight * adopters[:, k] * self.engagement
                                  * p.organic_value_per_view * p.planning_days / 2)
                paid = paid + np.where(newcomer, audience_value, 0.0)[:, None] * n_posts
            utility = utility + paid
            utility = utility + n_posts * (p.organic_value_per_view * views[:, k])[:, None]
            posting = self.options[:, k] > 0
            entry = np.where(self.quit[:, k], (p.rejoin_posts or 0) * self.cost_per_post
                             / p.planning_days, onboarding)
            utility = utility - np.outer(newcomer * entry, posting)
            utility[np.outer(~may_post[:, k], posting)] = -np.inf
        temperature = p.decision_noise * self.cost_per_post
        noisy = utility + temperature[:, None] * rng.gumbel(size=utility.shape)
        choice = np.argmax(noisy, axis=1)
        self.posts = self.options[choice].astype(np.int32)
        joined_today = (self.posts > 0) & ~self.joined
        self.joined |= joined_today
        self.quit &= ~joined_today  # a quitter who came back
        self.bad_days[joined_today] = 0
        return joined_today

    def _horizon_pay(self, paid_now: np.ndarray, upcoming: tuple[list[Scheme], int] | None,
                     n_posts: np.ndarray, outlook: Outlook) -> np.ndarray:
        """A day's pay averaged over the planning horizon, announced phases included.

        With ``foresight`` f, the pay expected today is blended with the average
        over the next ``planning_days``: today's schemes until an announced phase
        takes effect, then its schemes (a contract there, a flat-fee slot say, counts as on
        offer).
        """
        p = self.params
        if upcoming is None:
            return paid_now
        later_schemes, days_left = upcoming
        on_offer = np.ones(len(outlook.tier), dtype=bool)  # an announced contract is on offer
        later_outlook = dataclasses.replace(
            outlook, contracts={scheme.key: on_offer for scheme in later_schemes})
        paid_later = sum((scheme.expected(n_posts, later_outlook) for scheme in later_schemes),
                         start=np.zeros(paid_now.shape))
        now_share = min(1.0, days_left / p.planning_days)
        horizon = now_share * paid_now + (1 - now_share) * paid_later
        return (1 - p.foresight) * paid_now + p.foresight * horizon

    def learn(
        self,
        views: np.ndarray,
        gmv: np.ndarray,
        adopters: np.ndarray,
        paid: np.ndarray,
        public: tuple[np.ndarray, np.ndarray, np.ndarray],
    ) -> np.ndarray:
        """Update expectations and patience from today's outcomes (I × K arrays).

        The outcomes are each row's group totals (views, sales, credited adopters, pay):
        a creator learns from its own share, the total ÷ the row's weight. Returns who
        quit today (I × K bool).
        """
        p = self.params
        rate = p.learning_rate
        posted = self.posts > 0
        per_creator = self.weight[:, None]
        views, gmv, adopters, paid = (total / per_creator for total in (views, gmv, adopters,
                                                                         paid))
        safe_posts = np.maximum(self.posts, 1)
        for expectation, outcome, pub in zip(
            (self.views_per_post, self.gmv_per_post, self.adopters_per_post),
            (views, gmv, adopters), public, strict=True,
        ):
            target = np.where(posted, outcome / safe_posts, pub)
            expectation += rate * (target - expectation)
        total = self.posts.sum(axis=1)
        cost = (self.cost_per_post * np.power(total, p.cost_exponent)
                + np.where(total > 0, self.outside_option, 0.0))
        cost_share = np.divide(self.posts, total[:, None], out=np.zeros(self.posts.shape),
                               where=total[:, None] > 0)
        payoff = paid + p.organic_value_per_view * views - cost[:, None] * cost_share
        good = payoff > 0
        self.bad_days = np.where(self.joined & ~good, self.bad_days + 1, 0)
        quits = self.joined & (self.bad_days >= self.patience[:, None])
        self.joined &= ~quits
        self.quit |= quits
        return quits


class Influencers(Module):
    """The influencers' day: decide, promote and fill feeds, follow their audiences, learn."""

    key: ClassVar[str] = "influencers"
    words: ClassVar[str] = ("who joined or quit where, today's posts, per-post expectations, "
                            "each influencer's active followers, the posts in each feed")
    reads: ClassVar[tuple[str, ...]] = ("influencers", "adoption", "commerce")
    stages: ClassVar[dict[str, float]] = {"decide": 20, "expose": 40, "follow_audiences": 57,
                                          "learn": 80}
    columns: ClassVar[tuple[str, ...]] = ("joined_influencers", "active_influencers", "posts")
    metrics: ClassVar[tuple[str, ...]] = ("influencers_joined", "influencers_active_end")
    results: ClassVar[tuple[str, ...]] = ("agents",)

    @classmethod
    def present(cls, config: Config) -> bool:
        """Only where there are influencers: a model with none has no influencer stages."""
        return config.population.influencers > 0

    def __init__(self, model: SparkModel):
        super().__init__(model)
        shape = (len(model.influencers.audience), len(model.platforms))
        self.active_followers = np.zeros(shape)  # sampled, per influencer, on each platform
        self.audience = model.influencers.active_audience(self.active_followers)  # real
        self.outlook = self.public_outlook(self.audience)  # per-post views, GMV, adopters
        self.posted = np.zeros(shape, dtype=np.int32)  # the posts feed_posts counts
        self.feed_posts = np.zeros((len(model.platforms), model.people.n),
                                   dtype=np.int32)  # posts/day in each person's feed

    def decide(self, today: Day) -> None:
        """Influencers choose today's posts per platform; posting first is joining."""
        table = self.model.influencers
        today.joined_today = table.decide(
            eligible=today.eligible, public=self.outlook, schemes=today.schemes,
            upcoming=today.upcoming, contracts=today.offers,
            rng=self.model.draws("influencers.decisions"), active_followers=self.audience)
        today.posts = table.posts

    def expose(self, today: Day) -> None:
        """Promotional cross-posts reach followers; feeds hold the posts of those followed."""
        params, posts = self.model.config.influencers, today.posts
        today.promo = posts * params.promo_share + today.joined_today * params.join_burst_posts
        self.update_feeds(posts)
        if not (posts.any() or today.joined_today.any()):
            return  # nobody posted: no promotion, no feed posts
        seen_promo = (params.incumbent_reach * params.promo_share) * self.feed_posts.astype(
            np.float32)
        burst = np.float32(params.incumbent_reach * params.join_burst_posts)
        for k in range(posts.shape[1]):
            add_rows(self.model.followed_by, np.flatnonzero(today.joined_today[:, k]), burst,
                     seen_promo[k])
        today.seen_promo, today.feed_posts = seen_promo, self.feed_posts

    def follow_audiences(self, today: Day) -> None:
        """Each influencer's active followers follow the day's moves; its active audience."""
        follows = self.model.follows
        for k, moves in enumerate(today.moves):
            add_rows(follows, np.concatenate([moves.adopted, moves.returned]), 1.0,
                     self.active_followers[:, k])
            add_rows(follows, moves.lapsed, -1.0, self.active_followers[:, k])
        today.active_audience = self.model.influencers.active_audience(self.active_followers)

    def learn(self, today: Day) -> None:
        """Expectations move toward what was earned; those out of patience quit."""
        table = self.model.influencers
        today.joined_during_day = (table.weight[:, None] * table.joined).sum(axis=0)  # real
        # also tomorrow's: nothing moves in between (active followers moved before sell)
        self.audience = today.active_audience
        self.outlook = self.public_outlook(self.audience)
        table.learn(today.views, today.gmv, today.attributed, today.paid, self.outlook)

    def update_feeds(self, posts: np.ndarray) -> None:
        """Posts per day in each person's feed, changed only where an influencer's posts did."""
        changed = np.flatnonzero((posts != self.posted).any(axis=1))
        if len(changed) == 0:
            return
        delta = posts[changed] - self.posted[changed]
        for k in range(delta.shape[1]):
            add_rows(self.model.followed_by, changed, delta[:, k], self.feed_posts[k])
        self.posted = posts.copy()

    def public_outlook(self, active: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per-post views, GMV and adopters an influencer can expect from what it sees.

        On the market's scale. Views: its active audience there × its
        engagement. GMV: views × conversion × product fit × basket. Adopters:
        the marginal adopters one post's promotion brings among its in-market
        followers not yet there.
        """
        cfg, table = self.model.config, self.model.influencers
        views = active * table.engagement[:, None]
        gmv = (views * cfg.commerce.conversion * cfg.commerce.basket_value
               * table.product_fit[:, None])
        waiting = np.maximum(table.market_audience[:, None] - active, 0.0)
        per_promo = (cfg.influencers.incumbent_reach * cfg.adoption.influence
                     / cfg.adoption.promo_saturation)
        adopters = cfg.influencers.promo_share * per_promo * waiting
        return views, gmv, adopters

    def record(self, today: Day, k: int) -> dict[str, float]:
        """Creators joined (before the day's quits), posting, and their posts on ``k`` (real)."""
        posts, weight = today.posts[:, k], self.model.influencers.weight
        return {"joined_influencers": round(float(today.joined_during_day[k])),
                "active_influencers": round(float(weight[posts > 0].sum())),
                "posts": round(float((weight * posts).sum()))}


def allocations(n_platforms: int, max_posts: int) -> np.ndarray:
    """Every way to spread 0..max_posts posts over the platforms (options × platforms)."""
    grid = itertools.product(range(max_posts + 1), repeat=n_platforms)
    return np.array([row for row in grid if sum(row) <= max_posts], dtype=np.int32)


class _Column:
    """An agent attribute read from its row of one :class:`InfluencerTable` array."""

    def __init__(self, name: str, kind: type, doc: str):
        self.name, self.kind, self.__doc__ = name, kind, doc

    def __get__(self, agent: Influencer | None, owner: type) -> Any:
        if agent is None:
            return self
        return self.kind(getattr(agent.model.influencers, self.name)[agent.index])


class _PerPlatform(_Column):
    """An agent attribute per platform: platform name → value."""

    def __get__(self, agent: Influencer | None, owner: type) -> Any:
        if agent is None:
            return self
        row = getattr(agent.model.influencers, self.name)[agent.index]
        return {name: self.kind(value) for name, value in
                zip(agent.model.platform_names, row.tolist(), strict=True)}


class Influencer(mesa.Agent):
    """One influencer: a view onto its row of the :class:`InfluencerTable`."""

    def __init__(self, model: SparkModel, index: int):
        super().__init__(model)
        self.index = index

    audience = _Column("audience", float, "Followers on the incumbent networks (each creator's).")
    weight = _Column("weight", float, "Real creators this agent stands for (1: one to one).")
    market_audience = _Column("market_audience", float, "Followers in the market (real people).")
    followers_in_sample = _Column("n_followers", int,
                                  "Follow entries in the sample: simulated people following "
                                  "this agent, once per creator of its group they follow.")
    cost_per_post = _Column("cost_per_post", float, "$ per post (effort plus opportunity cost).")
    product_fit = _Column("product_fit", float,
                          "Multiplier on the conversion of views into orders.")
    joined = _PerPlatform("joined", bool, "Platform name → currently joined.")
    posts_today = _PerPlatform("posts", int, "Platform name → posts published today.")

    @property
    def tier(self) -> str:
        """nano, micro, mid, macro or mega."""
        return TIERS[self.model.influencers.tier[self.index]]

    def step(self) -> None:
        """Nothing per agent: the whole population decides in one vectorised call."""
