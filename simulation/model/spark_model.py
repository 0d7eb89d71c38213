"""SparkModel: the world, and the day assembled from modules.

The model builds the world (people, creators, their graphs, the platforms),
then the modules its config needs (:mod:`simulation.model.modules`), and runs
their stages in the order they declare. The full day, for every new
platform k (``model.plan()`` prints the day a config assembles):

1. **schedule** (platforms): each platform fires the next phase of its payout
   schedule when its trigger holds (day, adoption share or spend reached), and
   applies it after its notice days.
2. **offer_slots** (flat-fee slots, where a phase pays a flat fee): finished
   contracts end, quitters' slots are freed, and free slots are offered to the
   next in line, so today's decisions see the offers as they are.
3. **decide** (influencers; mesa agents, decided as one array expression): each
   sees the schemes in force, what it expects to earn per post, and whether it
   holds a contract (a flat-fee slot) or an offer of one, and chooses its posts
   per platform. Posting on a platform not yet joined is joining it.
4. **enrol** (flat-fee slots): holders of an offer who published the quota take
   their slot.
5. **expose** (influencers): promotional cross-posts on the incumbents
   (``promo_share`` of posts, plus a burst on the join day) reach followers; the
   content in each active user's feed is the posts of the influencers they
   follow plus the platform's own baseline.
6. **move_people** (people): adoption, return and churn are drawn from the
   start-of-day states of all platforms, then applied; friend counts follow.
7. **attribute** (attribution): new adopters are credited to influencers under
   ``attribution.rule``, and those promotion caused are counted.
8. **follow_audiences** (influencers): each influencer's active followers follow
   the moves; its active audience (real people).
9. **sell** (commerce): views of each influencer's posts by its active followers
   (Poisson), orders from views (at the influencer's product fit), plus organic
   orders by active users.
10. **pay** (payouts): each scheme in force says what it owes; the platform pays
    it within its budget.
11. **learn** (influencers): expectations move toward what was earned; those out
    of patience quit.

Then the **observers** watch the day: the default one records the day's row per
platform (the daily table, each module giving its own columns), others are
added with ``observers=`` (:mod:`simulation.model.observers`). A model with no
influencers has no influencer, flat-fee, attribution or payout module, so its
day is schedule, move_people, sell. Stages hand each other the day's numbers
through the :class:`~simulation.model.day.Day` only.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable

import mesa
import numpy as np
import pandas as pd

from ..errors import ConfigError
from .config import Config, check_seed, revalidated
from .creators import creator_cuts, sample_creators
from .day import Day
from .influencers import Influencer, InfluencerTable
from .metrics import summarise
from .modules import DayPlan, assemble, first_line
from .networks import Friends, follow_graph
from .observers import DailyTable, InfluencerTotals, Observer, make_observers, observed_tables
from .platforms import PlatformState
from .population import People
from .streams import Streams

__all__ = ["Day", "DayPlan", "SparkModel", "check_memory", "memory_needed"]


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
    if follows is None:  # from the audiences: their sum over the market
        follows = config.population.creators.follows_per_person(
            params.audience_in_market, config.population.market_size)
    if n_influencers == 0:
        follows = 0.0
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

    The model builds the world every module reads: ``people`` (each person's state,
    :class:`~simulation.model.population.People`), ``creators`` (the sample of the creator
    market, :class:`~simulation.model.creators.CreatorSample`: who is simulated one to
    one, and how many real creators each agent stands for), ``influencers`` (the simulated
    creators' attributes and state, :class:`~simulation.model.influencers.InfluencerTable`,
    whose rows are also the mesa agents), their graphs (``friends``; ``follows``, people ×
    simulated creators, an entry per real creator followed, and ``followed_by``) and
    ``platforms`` (each one's schedule and budget).
    Then ``modules`` (key → :class:`~simulation.model.modules.Module`) are the parts the
    config needs, and ``stages`` their day, in order.
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

        creators = config.population.creators
        self.creators = sample_creators(creators, n_influencers, creator_cuts(config),
                                        self.streams("creators.rank"))
        self.influencers = InfluencerTable(config.influencers, self.creators, n_platforms,
                                           self.streams)
        market = config.population.market_size
        self.scale = config.population.people_per_agent  # real people per simulated person
        self.follows = follow_graph(
            n_people, self.influencers.follow_rate(
                creators, market, config.network.follows_per_person),
            self.streams("network.follows"), self.influencers.weight,
        )
        self.followed_by = self.follows.T.tocsr()  # influencers × people
        self.influencers.set_followers(self.follows)
        self.friends = Friends(config.network.social, n_people, self.streams("network.social"))
        self.people = People(n_people, n_platforms, config.adoption,
                             self.streams("people.attributes"))
        self.platforms = [
            PlatformState(spec, self.influencers.audience, self.influencers.tier,
                          self.streams(f"invitation.{spec.name}"), self.influencers.weight)
            for spec in config.platforms
        ]
        for index in range(n_influencers):
            Influencer(self, index)

        self.modules, ordered = assemble(self)
        self.stages = [(name, getattr(module, name)) for name, module in ordered]  # bound
        self.daily = DailyTable(config.horizon_days, self.platform_names)
        self.recorder = self.daily.recorder
        self.agent_totals = InfluencerTotals()
        self.observers: list[Observer] = [self.daily, self.agent_totals,
                                          *make_observers(observers)]
        self.stage_seconds: dict[str, float] | None = (
            dict.fromkeys([*(name for name, _ in self.stages), "observe"], 0.0)
            if time_stages else None)
        self.today: Day | None = None
        self.running = True
        for observer in self.observers:
            observer.start(self)

    # --- the day ------------------------------------------------------------

    def plan(self) -> DayPlan:
        """The day as assembled for this config: its stages in order, then its observers."""
        return DayPlan(self.config.name,
                       [(name, stage.__self__.key, first_line(stage))
                        for name, stage in self.stages],
                       [(observer.key, observer.words) for observer in self.observers])

    def step(self) -> None:
        """Advance one day: run the assembled stages in order, then each observer."""
        if self.day >= self.config.horizon_days:
            self.running = False
            return
        self.day += 1
        today = self.today = Day(self.day, len(self.influencers.audience), len(self.platforms))
        if self.stage_seconds is None:
            for _, stage in self.stages:
                stage(today)
            for observer in self.observers:
                observer.observe(self)
        else:
            for name, stage in self.stages:
                started = time.perf_counter()
                stage(today)
                self.stage_seconds[name] += time.perf_counter() - started
            started = time.perf_counter()
            for observer in self.observers:
                observer.observe(self)
            self.stage_seconds["observe"] += time.perf_counter() - started
        if self.day >= self.config.horizon_days:
            self.running = False

    def run(self) -> SparkModel:
        """Step to the horizon; returns self so calls chain."""
        while self.running:
            self.step()
        return self

    def draws(self, name: str) -> np.random.Generator:
        """Today's stream called ``name``, anchored at (seed, name, day)."""
        return self.streams.daily(name, self.day)

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
                round(float(v)) for v in (self.influencers.weight[:, None] * (
                    self.influencers.joined | self.influencers.quit)).sum(axis=0)),
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
