"""SparkModel: the daily loop, written once.

Order of one day (``SparkModel.step`` runs the stages of ``SparkModel.STAGES``, one
method each, in this order), for every new platform k:

1. **Schedule**: each platform fires the next phase of its payout schedule
   when its trigger holds (day, adoption share or spend reached), and applies
   it after its notice days; finished flat-fee contracts end, quitters'
   slots are freed, and free slots are offered to the next in line, so
   today's decisions see the offers as they are.
2. **Decide**: influencers (mesa agents, decided as one array expression)
   see the schemes in force, what they expect to earn per post, and whether
   a flat-fee slot is open; each chooses posts per platform. Posting on a
   platform not yet joined is joining it.
3. **Enrol**: holders of a flat-fee offer who published the quota take their
   slot (offers go down the invitation line as slots free up: see
   ``platforms.py``).
4. **Expose**: promotional cross-posts on the incumbents (``promo_share``
   of posts, plus a burst on the join day) reach followers; the content in
   each active user's feed is the posts of the influencers they follow plus
   the platform's own baseline.
5. **People move**: adoption, return and churn are drawn from the
   start-of-day states of all platforms; new adopters are attributed to an
   influencer with the probability that influence made them adopt; then the
   moves are applied and friend counts updated along the changed edges.
6. **Sell**: views of each influencer's posts by its active
   followers (binomial), orders from views (Poisson, at the influencer's
   product fit), plus organic orders by active users.
7. **Pay**: each scheme in force says what it owes; the platform pays it
   within its budget.
8. **Learn**: influencers move their expectations toward what they earned;
   those out of patience quit.
Then the **observers** watch the day: the default one records the day's row per
platform (the daily table), others are added with ``observers=``
(:mod:`simulation.model.observers`). ``model.plan()`` prints the day as
assembled for a config: a model with no influencers has no influencer stages.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable

import mesa
import numpy as np
import pandas as pd

from ..errors import ConfigError
from .attribution import ATTRIBUTION_RULES, Touches
from .config import Config, check_seed, revalidated
from .influencers import Influencer, InfluencerTable
from .metrics import summarise
from .networks import FriendCounts, Friends, add_rows, follow_graph, gather_rows
from .observers import DailyTable, InfluencerTotals, Observer, make_observers, observed_tables
from .payouts import Activity, spend_columns
from .platforms import PlatformState
from .population import ACTIVE, People, Transitions
from .streams import Streams


class Day:
    """What one day's stages hand each other (arrays are influencers × platforms unless noted).

    ``joined_today`` who joined a platform today; ``promo`` promotional posts on the
    incumbents; ``seen_promo`` and ``feed_posts`` (platforms × people) the promotion
    each person saw and the posts in their feeds; ``moves`` each platform's
    :class:`Transitions`; ``attributed`` new adopters credited to each influencer;
    ``views``, ``gmv`` and ``paid`` each influencer's views, sales ($) and pay ($);
    ``organic_orders`` per platform; ``spend`` per platform, spend column → $;
    ``active_audience`` each influencer's active audience (real people) once sold to;
    ``joined_during_day`` influencers joined per platform before the day's quits.
    """

    def __init__(self, model: SparkModel):
        shape = model.active_followers.shape
        self.joined_today = np.zeros(shape, dtype=bool)
        self.promo = np.zeros(shape)
        self.attributed = np.zeros(shape)
        self.views = np.zeros(shape)
        self.gmv = np.zeros(shape)
        self.paid = np.zeros(shape)
        self.spend = [dict.fromkeys(spend_columns(), 0.0) for _ in model.platforms]
        self.influenced = np.zeros(len(model.platforms))
        self.seen_promo: np.ndarray | None = None
        self.feed_posts: np.ndarray | None = None
        self.moves: list[Transitions] = []
        self.organic_orders = np.zeros(len(model.platforms))
        self.active_audience: np.ndarray | None = None
        self.joined_during_day = np.zeros(len(model.platforms), dtype=np.int64)


BYTES_PER_PERSON = 48
"""Memory per simulated person besides graph edges: states, draws, counts and feeds.
With 16 bytes per friendship end and 24 per follow edge (CSR both ways) this matches
the measured peak of ``make bench`` (about 280 bytes a person at 10 friends and 3 follows)."""
BYTES_FIXED = 300e6
"""Memory of the interpreter, numpy, pandas and Mesa before the first person."""
BYTES_PER_INFLUENCER = 600
"""Memory per influencer besides its platforms and options: its mesa.Agent and attributes.
With 250 bytes per platform, 48 per posting option and 8 per platform and day of the
attribution window this matches the measured peak (1.2 kB at 1 platform and 7 options,
2.3 kB at 2 platforms and 28 options)."""


def memory_parts(config: Config) -> tuple[float, float]:
    """Bytes a run of ``config`` needs at its peak for its people and for its influencers."""
    people, n_influencers = config.population.followers, config.population.influencers
    friends = config.network.social.friends_of(people)
    follows = config.network.follows_per_person
    params = config.influencers
    if follows is None:  # from the audiences: their expected sum over the market
        mean_audience = params.audience_median * math.exp(params.audience_sigma ** 2 / 2)
        follows = (n_influencers * mean_audience * params.audience_in_market
                   / config.population.market_size)
    follows = min(follows, n_influencers)  # nobody follows an influencer twice
    n_platforms = len(config.platforms)
    per_person = (BYTES_PER_PERSON + 16 * friends + 24 * follows + 8 * n_platforms)
    options = math.comb(params.max_posts_per_day + n_platforms, n_platforms)
    per_influencer = (BYTES_PER_INFLUENCER + 48 * options
                      + n_platforms * (250 + 8 * config.attribution.window_days))
    return people * per_person, n_influencers * per_influencer


def memory_needed(config: Config) -> float:
    """Bytes a run of ``config`` needs at its peak, roughly (within a factor of 1.5)."""
    return BYTES_FIXED + sum(memory_parts(config))


def check_memory(config: Config) -> None:
    """A ConfigError before allocating anything if the run cannot fit in this machine's memory.

    It names the larger part: the people (``population.followers``) or the
    influencers (``population.influencers``).
    """
    import psutil

    people, influencers = memory_parts(config)
    needed, available = BYTES_FIXED + people + influencers, psutil.virtual_memory().available
    if needed > available:
        key, count, part, what = (("population.followers", config.population.followers,
                                   people, "people") if people >= influencers else
                                  ("population.influencers", config.population.influencers,
                                   influencers, "influencers"))
        room = available - BYTES_FIXED - (people + influencers - part)
        most = int(max(room, 0) / part * count)
        raise ConfigError(
            f"{key} = {count:,}: needs about {needed / 1e9:,.1f} GB of memory and "
            f"{available / 1e9:,.1f} GB are available; allowed here: up to about "
            f"{most:,} {what}"
        )


class SparkModel(mesa.Model):
    """Influencers migrating followers onto one or more new platforms.

    Args:
        config: a :class:`~simulation.config.Config`, validated again as a whole
            first (it may have been changed since it was made): a ConfigError if
            it no longer holds. ``self.config`` is the copy the run uses.
        seed: the run seed; defaults to ``config.seed``. Every random stream
            is derived from it by name.
        time_stages: add each stage's wall time to ``stage_seconds`` (for ``make bench``).
        observers: more observers (keys of ``OBSERVERS`` or instances) beside the
            daily table; their tables are ``observer.result(model)``.
    """

    def __init__(self, config: Config, seed: int | None = None, time_stages: bool = False,
                 observers: Iterable[str | Observer] = ()):
        config = revalidated(config)
        check_memory(config)
        seed = config.seed if seed is None else check_seed(seed)
        super().__init__(rng=seed)
        self.config = config
        self.seed = seed
        self.day = 0
        self.streams = Streams(seed)
        n_people, n_influencers = config.population.followers, config.population.influencers
        self.platform_names = [p.name for p in config.platforms]
        n_platforms = len(self.platform_names)

        self.influencers = InfluencerTable(
            config.influencers, n_influencers, n_platforms, self.streams("influencers.attributes")
        )
        market = config.population.market_size
        self.scale = config.population.people_per_agent  # real people per simulated person
        self.follows = follow_graph(
            n_people, self.influencers.follow_probability(
                market, config.network.follows_per_person),
            self.streams("network.follows"),
        )
        self.followed_by = self.follows.T.tocsr()  # influencers × people
        self.influencers.set_followers(self.follows)
        self.friends = Friends(config.network.social, n_people, self.streams("network.social"))
        self.people = People(n_people, n_platforms, config.adoption,
                             self.streams("people.attributes"))
        self.friend_counts = [FriendCounts(self.friends) for _ in range(n_platforms)]
        self.platforms = [
            PlatformState(spec, self.influencers.audience, self.influencers.tier,
                          self.streams(f"invitation.{spec.name}"))
            for spec in config.platforms
        ]
        for index in range(n_influencers):
            Influencer(self, index)

        shape = (n_influencers, n_platforms)
        self.active_followers = np.zeros(shape)  # per influencer, on each platform
        self.audience = self.influencers.active_audience(self.active_followers)  # real, I × K
        self.outlook = self._public_outlook(self.audience)  # per-post views, GMV, adopters
        self.posted = np.zeros(shape, dtype=np.int32)  # the posts feed_posts counts
        self.feed_posts = np.zeros((n_platforms, n_people), dtype=np.int32)  # posts/day seen
        window = config.attribution.window_days
        self.promo_history = np.zeros((window, *shape))  # promotional posts, each recent day
        self.last_promo_day = np.full(shape, -window - 1, dtype=np.int32)
        self.daily = DailyTable(config.horizon_days, self.platform_names)
        self.recorder = self.daily.recorder
        self.agent_totals = InfluencerTotals()
        self.observers: list[Observer] = [self.daily, self.agent_totals,
                                          *make_observers(observers)]
        self.payments: list[dict[str, np.ndarray]] = []
        self.with_influencers = n_influencers > 0
        self.stages = [(name, getattr(self, name)) for name in self.STAGES  # bound, in order
                       if self.with_influencers or name not in self.INFLUENCER_STAGES]
        self.stage_seconds: dict[str, float] | None = (
            dict.fromkeys([*self.STAGES, "observe"], 0.0) if time_stages else None)
        self.today: Day | None = None
        self.running = True
        for observer in self.observers:
            observer.start(self)

    # --- the day ------------------------------------------------------------

    STAGES: tuple[str, ...] = ("schedule", "decide", "enrol", "expose", "move_people",
                               "sell", "pay", "learn")
    """The day's stages in order: the steps of the module docstring, one method each."""
    OWNERS: dict[str, str] = {
        "schedule": "platforms", "decide": "influencers", "enrol": "platforms (flat-fee slots)",
        "expose": "influencers", "move_people": "people and attribution", "sell": "commerce",
        "pay": "platforms (payout schemes)", "learn": "influencers"}
    """What each stage works on, for :meth:`plan`."""
    INFLUENCER_STAGES = frozenset({"decide", "enrol", "expose", "pay", "learn"})
    """Stages that act only through influencers: a model with none leaves them out."""

    def plan(self) -> DayPlan:
        """The day as assembled for this config: its stages in order, then its observers."""
        return DayPlan(self.config.name, [(name, self.OWNERS[name], _first_line(stage))
                                          for name, stage in self.stages],
                       [(observer.key, observer.words) for observer in self.observers])

    def step(self) -> None:
        """Advance one day: run the assembled stages in order, then each observer."""
        if self.day >= self.config.horizon_days:
            self.running = False
            return
        self.day += 1
        self.today = Day(self)
        timing = self.stage_seconds is not None
        for name, stage in self.stages:
            if timing:
                started = time.perf_counter()
                stage()
                self.stage_seconds[name] += time.perf_counter() - started
            else:
                stage()
        started = time.perf_counter() if timing else 0.0
        for observer in self.observers:
            observer.observe(self)
        if timing:
            self.stage_seconds["observe"] += time.perf_counter() - started
        if self.day >= self.config.horizon_days:
            self.running = False

    def schedule(self) -> None:
        """1. Phases fire and take effect; finished contracts end, quitters free their slots."""
        people, table = self.people, self.influencers
        for k, platform in enumerate(self.platforms):
            platform.update_schedule(self.day, people.ever[k] / people.n)
            platform.release_slots(self.day, table.joined[:, k], table.quit[:, k])

    def decide(self) -> None:
        """2. Influencers choose today's posts per platform; posting first is joining."""
        table = self.influencers
        joined_today = table.decide(
            eligible=np.column_stack([p.eligible(self.day) for p in self.platforms]),
            public=self.outlook,
            schemes=[p.schemes() for p in self.platforms],
            upcoming=[p.upcoming(self.day) for p in self.platforms],
            fee_available=np.column_stack([p.fee_available(self.day) for p in self.platforms]),
            rng=self.draws("influencers.decisions"),
            active_followers=self.audience,
        )
        self.today.joined_today = joined_today

    def enrol(self) -> None:
        """3. Holders of a flat-fee offer who published the quota take their slot."""
        for k, platform in enumerate(self.platforms):
            platform.enrol(self.day, self.influencers.posts[:, k])

    def expose(self) -> None:
        """4. Promotional cross-posts reach followers; feeds hold the posts of those followed."""
        today, params = self.today, self.config.influencers
        today.promo = (self.influencers.posts * params.promo_share
                       + today.joined_today * params.join_burst_posts)
        slot = self.day % len(self.promo_history)  # the attribution window, a ring of days
        self.promo_history[slot] = today.promo
        self.last_promo_day[today.promo > 0] = self.day
        posts = self.influencers.posts
        self._update_feeds(posts)
        if not (posts.any() or today.joined_today.any()):
            return  # nobody posted: no promotion, no feed posts
        seen_promo = (params.incumbent_reach * params.promo_share) * self.feed_posts.astype(
            np.float32)
        burst = np.float32(params.incumbent_reach * params.join_burst_posts)
        for k in range(len(self.platforms)):
            add_rows(self.followed_by, np.flatnonzero(today.joined_today[:, k]), burst,
                     seen_promo[k])
        today.seen_promo, today.feed_posts = seen_promo, self.feed_posts

    def move_people(self) -> None:
        """5. Adoption, return and churn from the start-of-day states; attribution; apply."""
        cfg, people, today = self.config, self.people, self.today
        n_platforms = len(self.platforms)
        shared_attention = n_platforms > 1 and cfg.retention.attention_cost > 0
        if shared_attention:
            active_now = people.state == ACTIVE
            others = active_now.sum(axis=0, dtype=np.int16)
        for k, platform in enumerate(self.platforms):
            exposure = self.draws(f"people.{platform.name}").standard_exponential(
                people.n, dtype=np.float32)
            influence, content = 0.0, 0.0
            if today.seen_promo is not None:
                influence = (cfg.adoption.influence
                             * -np.expm1(-today.seen_promo[k] / cfg.adoption.promo_saturation))
                content = today.feed_posts[k]
            surge, staying = self._events(platform.name)
            today.moves.append(people.transitions(
                k,
                attention=surge,
                staying=staying,
                innovation=cfg.adoption.innovation * platform.spec.rel_marketing,
                friend_share=self.friend_counts[k].share(),
                influence=influence,
                content=content + platform.spec.feed_baseline,
                others_active=others - active_now[k] if shared_attention else 0,
                adoption=cfg.adoption,
                retention=cfg.retention,
                exposure=exposure,
            ))
        if today.seen_promo is not None and cfg.adoption.wear_out > 0:
            for k in range(n_platforms):  # after today's moves: wear-out of what came before
                people.see_promotion(k, today.seen_promo[k])
        for k, moves in enumerate(today.moves):
            if self.with_influencers:
                credited, influenced = self._attribute(k, moves)
                today.attributed[:, k] = credited * self.scale  # real adopters
                today.influenced[k] = influenced * self.scale
            people.apply(k, moves)
            joined_in = np.concatenate([moves.adopted, moves.returned])
            self.friend_counts[k].update(joined_in, moves.lapsed)
            if self.with_influencers:
                add_rows(self.follows, joined_in, 1.0, self.active_followers[:, k])
                add_rows(self.follows, moves.lapsed, -1.0, self.active_followers[:, k])

    def sell(self) -> None:
        """6. Views of posts by active followers; orders from views; organic orders."""
        today, table, commerce = self.today, self.influencers, self.config.commerce
        if self.with_influencers:  # on the market's scale: real audiences, views and orders
            audience = today.active_audience = table.active_audience(self.active_followers)
            today.views = self.draws("commerce.views").poisson(
                table.posts * audience * table.engagement[:, None]).astype(float)
            orders = self.draws("commerce.orders").poisson(
                today.views * commerce.conversion * table.product_fit[:, None])
            today.gmv = orders * commerce.basket_value
        # organic orders are their expectation: over a real market's active users the
        # Poisson noise is a fraction of a percent, and a draw would cost a stream a day
        today.organic_orders = (commerce.organic_orders_per_user * self.people.n_active
                                * self.scale)

    def pay(self) -> None:
        """7. Each scheme in force says what it owes; each platform pays within its budget."""
        today, table = self.today, self.influencers
        self.payments = []  # per platform: spend column → $ per influencer, today
        for k, platform in enumerate(self.platforms):
            payments = platform.pay(Activity(
                posts=table.posts[:, k], views=today.views[:, k], gmv=today.gmv[:, k],
                new_adopters=today.attributed[:, k], enrolled=platform.enrolled,
                tier=table.tier, active_followers=today.active_audience[:, k],
            ))
            self.payments.append(payments)
            today.paid[:, k] = sum(payments.values())
            today.spend[k] = {c: float(v.sum()) for c, v in payments.items()}

    def learn(self) -> None:
        """8. Expectations move toward what was earned; those out of patience quit."""
        today = self.today
        today.joined_during_day = self.influencers.joined.sum(axis=0)  # before quits
        # also tomorrow's: nothing moves in between (active followers moved before sell)
        self.audience = today.active_audience
        self.outlook = self._public_outlook(self.audience)
        self.influencers.learn(today.views, today.gmv, today.attributed, today.paid,
                               self.outlook)

    def run(self) -> SparkModel:
        """Step to the horizon; returns self so calls chain."""
        while self.running:
            self.step()
        return self

    # --- helpers ------------------------------------------------------------

    def _events(self, platform: str) -> tuple[float, float]:
        """Today's outside-event multipliers on a platform: (attention, staying)."""
        attention = staying = 1.0
        for event in self.config.events:
            if event.platform in (None, platform):
                factor = event.multiplier(self.day)
                attention *= factor
                if event.kind == "exodus":
                    staying *= factor
        return attention, staying

    def draws(self, name: str) -> np.random.Generator:
        """Today's stream called ``name``, anchored at (seed, name, day)."""
        return self.streams.daily(name, self.day)

    def _update_feeds(self, posts: np.ndarray) -> None:
        """Posts per day in each person's feed, changed only where an influencer's posts did."""
        changed = np.flatnonzero((posts != self.posted).any(axis=1))
        if len(changed) == 0:
            return
        delta = posts[changed] - self.posted[changed]
        for k in range(delta.shape[1]):
            add_rows(self.followed_by, changed, delta[:, k], self.feed_posts[k])
        self.posted = posts.copy()

    def _public_outlook(self, active: np.ndarray | None = None
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per-post views, GMV and adopters an influencer can expect from what it sees.

        On the market's scale. Views: its active audience there × its
        engagement. GMV: views × conversion × product fit × basket. Adopters:
        the marginal adopters one post's promotion brings among its in-market
        followers not yet there.
        """
        cfg, table = self.config, self.influencers
        if active is None:
            active = table.active_audience(self.active_followers)
        views = active * table.engagement[:, None]
        gmv = (views * cfg.commerce.conversion * cfg.commerce.basket_value
               * table.product_fit[:, None])
        waiting = np.maximum(table.market_audience[:, None] - active, 0.0)
        per_promo = (cfg.influencers.incumbent_reach * cfg.adoption.influence
                     / cfg.adoption.promo_saturation)
        adopters = cfg.influencers.promo_share * per_promo * waiting
        return views, gmv, adopters

    def _attribute(self, k: int, moves: Transitions) -> tuple[np.ndarray, float]:
        """Credited adopters per influencer (sampled people), and those promotion caused.

        Today's new adopters on platform ``k``, credited under ``attribution.rule``;
        the second value is the causal expectation. See
        :mod:`simulation.model.attribution`: each adopter's touches are the
        influencers it follows that promoted within the window; it saw each with
        probability 1 − exp(−reach × promotional posts in the window), and
        certainly the one the causal draw (probability r·g(x)/h) credits.
        """
        n_influencers = len(self.influencers.audience)
        adopters = moves.adopted
        recent = self.last_promo_day[:, k] > self.day - len(self.promo_history)  # in window
        if len(adopters) == 0 or not recent.any():
            return np.zeros(n_influencers), 0.0
        window = self.promo_history[:, :, k].sum(axis=0)  # promotional posts in the window
        cfg, today = self.config, self.today
        caused = np.broadcast_to(moves.promotion_hazard / moves.adoption_hazard, adopters.shape)
        rng = self.draws(f"attribution.{self.platform_names[k]}")
        draws = rng.random((2, len(adopters)))
        followed, row_of = gather_rows(self.follows.indptr, self.follows.indices, adopters)
        culprit = np.zeros(len(followed), dtype=bool)
        promo = today.promo[followed, k]
        row_total = np.bincount(row_of, weights=promo, minlength=len(adopters))
        by_promotion = (draws[0] < caused) & (row_total > 0)
        if by_promotion.any():  # one followed influencer, in proportion to today's promotion
            cumulative = np.cumsum(promo)
            row_end = np.cumsum(row_total)
            target = row_end - row_total + draws[1] * row_total
            pick = np.minimum(np.searchsorted(cumulative, target, side="right"),
                              np.searchsorted(cumulative, row_end, side="left"))
            culprit[np.minimum(pick, len(followed) - 1)[by_promotion]] = True
        touches = rng.random((2, len(followed)))
        reach = cfg.influencers.incumbent_reach
        in_window = recent[followed]
        seen = in_window & ((touches[0] < -np.expm1(-reach * window[followed])) | culprit)
        credited = ATTRIBUTION_RULES[cfg.attribution.rule](Touches(
            adopter=row_of, influencer=followed, seen=seen,
            last_day=np.where(in_window, self.last_promo_day[followed, k], -1),
            tiebreak=touches[1], culprit=culprit, n_adopters=len(adopters),
            n_influencers=n_influencers))
        return credited, float(caused.sum())

    # --- results ------------------------------------------------------------

    @property
    def timeseries(self) -> pd.DataFrame:
        """The daily long table so far (days 0..today)."""
        return self.daily.result(self)

    @property
    def summary(self) -> dict[str, dict]:
        """Per-platform summary of the run so far."""
        return self.summarise(self.timeseries)

    def summarise(self, timeseries: pd.DataFrame) -> dict[str, dict]:
        """Per-platform summary of a daily table of this run."""
        return summarise(
            timeseries,
            market_size=self.config.population.market_size,
            people_per_agent=self.scale,
            switch_days={p.name: p.switch_day for p in self.platforms},
            influencers_joined=dict(zip(self.platform_names, (  # ever: still there or quit
                self.influencers.joined | self.influencers.quit).sum(axis=0).tolist(),
                strict=True)),
            retention_window=self.config.metrics.retention_window_days,
            influencers=self.influencer_totals, observed=observed_tables(self),
        )

    @property
    def influencer_totals(self) -> pd.DataFrame:
        """Per influencer and platform, over the run so far (:class:`InfluencerTotals`).

        (``model.agents`` stays Mesa's AgentSet of the influencer agents.)
        """
        return self.agent_totals.result(self)

    def release(self) -> None:
        """Drop Mesa's class-level references to this model (Mesa < 3.4.2 keeps them)."""
        ids = getattr(mesa.Agent, "_ids", None)
        if isinstance(ids, dict):
            ids.pop(self, None)


class DayPlan:
    """The day of one model, printable: one stage a line, then the observers."""

    def __init__(self, name: str, stages: list[tuple[str, str, str]],
                 observers: list[tuple[str, str]]):
        self.name, self.stages, self.observers = name, stages, observers

    @property
    def names(self) -> list[str]:
        """The stages' names, in order."""
        return [name for name, _, _ in self.stages]

    def __str__(self) -> str:
        width = max(len(name) for name, _, _ in self.stages)
        lines = [f"the day of {self.name!r}:"]
        lines += [f"{i}. {name:<{width}}  {owner}: {words}"
                  for i, (name, owner, words) in enumerate(self.stages, start=1)]
        lines += [f"then observe: {key}: {words}" for key, words in self.observers]
        return "\n".join(lines)

    __repr__ = __str__


def _first_line(method: object) -> str:
    """A stage's docstring's first line, without its number."""
    line = (getattr(method, "__doc__", "") or "").strip().splitlines()[0]
    return line.split(". ", 1)[1] if line[:1].isdigit() else line
