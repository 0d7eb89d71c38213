"""The creator market and its simulated sample: creators sampled like the people.

**The market.** ``population.creators`` declares the real creators of the launch
market in market units: how many there are in each audience tier (nano, micro,
mid, macro, mega; :data:`~simulation.model.payouts.TIERS`), the smallest audience
counted as a creator and the largest audience in the market. Between the tier
bounds the number of creators with more than x followers, G(x), is a power law
through the declared counts (a Pareto segment per tier, the shape of audience
tails: log-log linear), and the top tier runs up to ``largest_audience``, the
first creator. Ranked from the largest (rank 1) to the smallest (rank N), the
creator at rank r has the audience x with G(x) = r, so the market is a function
of rank, and every number below is computed from it, never by listing its
creators.

**The sample.** ``population.influencers`` agents stand for the N real creators,
as ``population.followers`` people stand for ``market_size`` people. The design
is the survey statistician's sampling with probability proportional to size,
with a take-all stratum:

1. *One to one.* Every creator whose audience is at least a tail agent's share
   of the tail's audience is simulated by an agent of its own (weight 1): the
   largest creators, whose single choices move the market. With M of them and
   I agents, a tail agent's share is (audience of ranks M+1..N) / (I − M); M is
   the smallest number for which no creator below rank M reaches it. The
   threshold is that share: it falls as ``population.influencers`` grows (at the
   defaults, 70 000 followers at 1 000 agents, the 148 largest creators, and
   13 000 at 4 000, the 843 largest).
2. *The tail, stratified.* Ranks M+1..N are cut at the ranks the config tells
   apart (the tier bounds, and the k largest or smallest creators or the largest
   of a tier that an invitation names), and each part gets agents in proportion
   to its audience (at least one each). Within a part, the strata hold equal
   audience: a stratum of nano creators holds thousands, one of mid creators a
   handful. Each stratum is one agent that stands for its ``weight`` creators
   (``creators_per_agent``, a whole number): its audience is that of a creator
   drawn at random within the stratum (a uniform rank in it), and every creator
   of the stratum shares that agent's attributes and choices.

Equal audience per stratum means every tail agent holds about the same expected
follows per person (w × audience × in-market share ÷ market), so a person's
follows of the tail fall on different agents, whose choices are independent, as
those of different real creators are. Weighted, every total is an unbiased
estimate of the market's (stratified sampling), and the strata cut at the
config's ranks make invitation counts exact: the 200 largest are 200 creators,
whatever the sample size. A sample with fewer agents than the parts it must tell
apart is refused (:func:`smallest_sample`).

The sample is drawn in rank order from named streams (``creators.rank`` for the
place within each stratum, one stream per attribute in
:class:`~simulation.model.influencers.InfluencerTable`), so the creators simulated
one to one get the same draws at every sample size: a comparison of sample sizes
is paired.

Owns: the config section :class:`CreatorMarket`, :func:`sample_creators` and the
:class:`CreatorSample` it returns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import Field

from .payouts import TIER_BOUNDS, TIERS
from .sections import MAX_CREATORS, Section

MAX_AUDIENCE = 1e9
"""The largest audience: the most followed account has about 650 million followers
(Instagram, 2024); 10^9 leaves room for a creator across platforms."""


class CreatorMarket(Section):
    """The real creators of the launch market, by audience tier (market units).

    Default: the creators a paid programme competes for, in Spark's market in July 2017:
    US creators (1 000 or more followers on the incumbent networks) who were Prime members,
    so could post, and who made paid product posts. Their number: Instagram carried about
    2.8 million sponsored posts in 2017 (Mediakix, 2017: 4.8 million tagged #ad, #sponsored,
    #sp or #spon, 58% of them real sponsorships; Klear counted #ad posts nearly doubling in
    2017, to 171 000 in December); at one or two a month each (judgement: no vendor counts
    the creators), 120 000–230 000 creators worldwide; a third of them in the US (80% of
    Instagram's users were outside the US, Mediakix 2017, and US creators take more of the
    deals), and a third of those Prime members (85 of about 260 million Americans aged 13
    or more): about 17 000. Split by the tier shares of US creators (Influencity, reported
    by MediaPost, 2023: 8.3 million US Instagram creators with 1 000+ followers, 93.7% nano,
    16 860 at 200 000–1 million; HypeAuditor's State of Influencer Marketing 2026: 0.1%
    above 1 million; micro and mid split by the power law between those counts): 93.7%
    nano, 5.7% micro, 0.45% mid, 0.06% macro, 0.1% mega. Soft: the count of creators rests
    on a judged rate of sponsored posts per creator, and the tier shares are of all US
    creators in 2023, not of those paid in 2017 (paid creators are larger, so the upper
    tiers may be undercounted); a plausible range is a third to three times each count (the
    prior). At these defaults a person in the market follows 0.47 of them.
    """

    nano: int = Field(
        16_000, ge=0, le=MAX_CREATORS,
        description="real creators with min_audience–10 000 followers (nano), in the "
        "market: 93.7% of the 17 000 (see the section); prior 5 000–50 000"
    )
    micro: int = Field(
        1_000, ge=0, le=MAX_CREATORS,
        description="real creators with 10 000–100 000 followers (micro): 5.7% of the "
        "17 000; prior 300–3 000"
    )
    mid: int = Field(
        75, ge=0, le=MAX_CREATORS,
        description="real creators with 100 000–500 000 followers (mid): 0.45% of the "
        "17 000; prior 25–250"
    )
    macro: int = Field(
        10, ge=0, le=MAX_CREATORS,
        description="real creators with 500 000–1 million followers (macro): 0.06% of the "
        "17 000; prior 3–30"
    )
    mega: int = Field(
        17, ge=0, le=MAX_CREATORS,
        description="real creators with more than 1 million followers (mega): 0.1% of the "
        "17 000 (HypeAuditor 2026); prior 5–50"
    )
    min_audience: float = Field(
        1_000.0, ge=1, lt=TIER_BOUNDS[0],
        description="followers of the smallest creator counted: the industry's lower bound "
        "of a nano creator (HypeAuditor, Influencity and Mediakix count from 1 000); below "
        "10 000, the top of the nano tier"
    )
    largest_audience: float = Field(
        20_000_000.0, gt=1, le=MAX_AUDIENCE,
        description="followers of the market's largest creator (rank 1), the top of the "
        "power law: the most followed beauty creator had 18 million Instagram followers in "
        "2017 (Huda Kattan; Forbes' Top Influencers, reported by The National), the largest "
        "US one about 2 million (Michelle Phan); prior 2–70 million (70: a celebrity with "
        "a product line, Kim Kardashian had 68 million); it must lie in the top tier with "
        "creators; at most 10^9"
    )

    def largest_problem(self) -> str | None:
        """Why ``largest_audience`` cannot be the first creator's (None if it can).

        It must lie in the top tier with creators (checked with the config, whose message
        names the key: a section alone cannot know its full key).
        """
        counts = self.counts
        if not counts.any():
            return None
        top = int(np.flatnonzero(counts)[-1])
        low = self.min_audience if top == 0 else TIER_BOUNDS[top - 1]
        high = TIER_BOUNDS[top] if top < len(TIER_BOUNDS) else MAX_AUDIENCE
        if low < self.largest_audience <= high:
            return None
        empty = [f"population.creators.{tier}" for tier in TIERS[top + 1:]]
        above = (f"; {', '.join(empty)} {'is' if len(empty) == 1 else 'are'} 0"
                 if empty else "")
        return (f"population.creators.largest_audience = {self.largest_audience:,.0f}: the "
                f"largest creator is in the top tier with creators, {TIERS[top]}{above} "
                f"(allowed: more than {low:,.0f} and at most {high:,.0f} followers)")

    # --- the market as a function of rank ------------------------------------------------

    @property
    def counts(self) -> np.ndarray:
        """Real creators per tier, in the order of TIERS (int64)."""
        return np.array([getattr(self, tier) for tier in TIERS], dtype=np.int64)

    @property
    def total(self) -> int:
        """Real creators in the market (N)."""
        return int(self.counts.sum())

    @property
    def tier_starts(self) -> np.ndarray:
        """For each tier, the creators in the tiers above it (its first rank − 1)."""
        counts = self.counts
        return np.concatenate([np.cumsum(counts[::-1])[::-1][1:], [0]])

    def _segments(self) -> list[tuple[float, float, float, float, int]]:
        """One power-law segment per tier with creators, from the top.

        (audience at the segment's bottom, audience at its top, G at the bottom,
        G at the top, tier index): G is the creators with more followers, from the
        tier's count plus those above down to those above only (1 at the largest).
        """
        counts = self.counts
        lows = (self.min_audience, *TIER_BOUNDS)
        above = self.tier_starts
        segments = []
        top = int(np.flatnonzero(counts)[-1]) if counts.any() else -1
        for t in range(top, -1, -1):
            if counts[t] == 0:
                continue
            high = self.largest_audience if t == top else TIER_BOUNDS[t]
            g_top = 1.0 if t == top else float(above[t])
            segments.append((float(lows[t]), float(high), float(above[t] + counts[t]),
                             g_top, t))
        return segments

    def audience_at(self, position: np.ndarray) -> np.ndarray:
        """Followers of the creator at (continuous) rank ``position`` in (0, N].

        The power law of the position's tier; positions up to 1 (the first creator)
        are the largest audience.
        """
        position = np.asarray(position, dtype=float)
        out = np.full(position.shape, float(self.largest_audience))
        for low, high, g_low, g_high, _ in self._segments():
            inside = (position > g_high) & (position <= g_low)
            if g_low == g_high:  # a tier of one creator at the top: the largest audience
                continue
            share = (np.log(g_low) - np.log(position[inside])) / (np.log(g_low) - np.log(g_high))
            out[inside] = np.exp(np.log(low) + share * (np.log(high) - np.log(low)))
        return out

    def cumulative_audience(self, position: np.ndarray) -> np.ndarray:
        """Followers of all creators ranked up to ``position`` (the integral of audience_at)."""
        position = np.asarray(position, dtype=float)
        out = np.minimum(position, 1.0) * self.largest_audience  # the first creator
        for low, high, g_low, g_high, _ in self._segments():
            start = max(g_high, 1.0)
            if g_low <= start:
                continue
            end = np.clip(position, start, g_low)
            out = out + _power_integral(low, high, g_low, g_high, start, end)
        return out

    @property
    def total_audience(self) -> float:
        """Followers of all the market's creators together (the sum of audiences)."""
        return float(self.cumulative_audience(np.array([float(self.total)]))[0])

    def creators_above(self, audience: float) -> float:
        """G(audience): creators with more followers than ``audience`` (continuous)."""
        if audience >= self.largest_audience:
            return 0.0
        for low, high, g_low, g_high, _ in self._segments():  # from the top
            if audience > high:  # between this tier's top and the next tier with creators
                return g_high
            if audience >= low:
                if g_low == g_high:
                    return g_low
                share = (math.log(audience) - math.log(low)) / (math.log(high) - math.log(low))
                return float(math.exp(math.log(g_low) - share * (math.log(g_low)
                                                                  - math.log(g_high))))
        return float(self.total)

    def follows_per_person(self, in_market: float, market_size: float) -> float:
        """Creators a person in the market follows, on average: in-market audiences ÷ market."""
        return self.total_audience * in_market / market_size


def _power_integral(low: float, high: float, g_low: float, g_high: float, start: float,
                    end: np.ndarray) -> np.ndarray:
    """∫ audience du from ``start`` to ``end`` within one power-law segment (0 where end ≤ start).

    audience(u) = low × (u / g_low) ** −β, β = ln(high/low) / ln(g_low/g_high); written in
    v = u / g_low (between g_high/g_low and 1), so that no power overflows however steep.
    """
    if g_low == g_high:
        return np.zeros_like(end)
    beta = (math.log(high) - math.log(low)) / (math.log(g_low) - math.log(g_high))
    v0, v1 = math.log(start / g_low), np.log(end / g_low)  # logs of v, at most 0
    if abs(1.0 - beta) < 1e-9:
        return low * g_low * (v1 - v0)
    power = 1.0 - beta
    return low * g_low * (np.exp(power * v1) - math.exp(power * v0)) / power


# --- the sample ------------------------------------------------------------------------------


def creator_cuts(config: Any) -> np.ndarray:
    """The ranks a config's sample must cut at, so its counts of real creators are exact.

    The tier bounds, and per platform the ranks its invitation names: the k largest
    (``top_k``), the k smallest (``bottom_k``) and the largest k of each tier named
    (``tiers``). Whole ranks strictly inside 1..N−1 (a cut at rank c separates ranks
    ≤ c from ranks > c).
    """
    market = config.population.creators
    total = market.total
    starts, counts = market.tier_starts, market.counts
    cuts = [*starts.tolist()]
    for platform in config.platforms:
        policy = platform.invitation
        if policy.policy == "top_k":
            cuts.append(policy.top_k)
        elif policy.policy == "bottom_k":
            cuts.append(total - policy.top_k)
        elif policy.policy == "tiers":
            for name, count in policy.tiers.items():
                index = TIERS.index(name)
                cuts.append(int(starts[index]) + min(count, int(counts[index])))
    cuts = np.unique(np.asarray(cuts, dtype=np.int64))
    return cuts[(cuts > 0) & (cuts < total)]


def smallest_sample(config: Any) -> int:
    """The fewest agents that can hold a config's creator market: one per part it tells apart."""
    total = config.population.creators.total
    return min(len(creator_cuts(config)) + 1, total)


@dataclass
class CreatorSample:
    """The simulated creators, in rank order (agent 0 is the largest creator).

    ``audience`` followers of each agent's creators; ``weight`` the real creators each
    agent stands for; ``first_rank`` and ``last_rank`` the ranks it covers (1-based,
    inclusive); ``one_to_one`` how many agents, from the top, stand for one creator
    each because of their size (the take-all stratum); ``threshold`` the audience from
    which a creator is simulated one to one (a tail agent's share of the tail's
    audience); ``total`` the creators of the market.
    """

    audience: np.ndarray
    weight: np.ndarray
    first_rank: np.ndarray
    last_rank: np.ndarray
    one_to_one: int
    threshold: float
    total: int


def sample_creators(market: CreatorMarket, n_agents: int, cuts: np.ndarray,
                    rng: np.random.Generator) -> CreatorSample:
    """Draw ``n_agents`` agents standing for the market's creators (see the module).

    Args:
        market: the real creators.
        n_agents: the agents to simulate (``population.influencers``), at least
            ``len(cuts) + 1`` (checked by the config) and at most the market's creators.
        cuts: ranks the strata must not straddle (:func:`creator_cuts`).
        rng: the stream that places each agent within its stratum.
    """
    total = market.total
    if n_agents <= 0 or total == 0:
        empty = np.zeros(0)
        return CreatorSample(empty, empty, empty.astype(np.int64), empty.astype(np.int64),
                             0, math.inf, total)
    cuts = np.asarray(cuts, dtype=np.int64)
    if n_agents >= total:  # every creator one to one
        bounds = np.arange(total + 1, dtype=np.int64)
        one_to_one, threshold = total, 0.0
    else:
        one_to_one, threshold = _take_all(market, n_agents, cuts)
        bounds = _strata(market, n_agents, one_to_one, cuts)
    weight = np.diff(bounds)
    place = rng.random(len(weight))  # where in its stratum each agent's creator sits
    audience = market.audience_at(bounds[:-1] + place * weight)
    return CreatorSample(audience=audience, weight=weight.astype(float),
                         first_rank=bounds[:-1] + 1, last_rank=bounds[1:],
                         one_to_one=one_to_one, threshold=threshold, total=total)


def _parts_below(rank: int, cuts: np.ndarray, total: int) -> int:
    """The parts ranks rank+1..total fall into between the cuts."""
    return int(np.sum(cuts > rank)) + (1 if rank < total else 0)


def _take_all(market: CreatorMarket, n_agents: int, cuts: np.ndarray) -> tuple[int, float]:
    """How many of the largest creators are simulated one to one, and the audience threshold.

    The creators whose audience reaches a tail agent's share of the tail's audience,
    found by iterating to the fixed point (the share falls as the largest leave the
    tail), and never so many that the tail's parts lack an agent each.
    """
    total = market.total
    ranks = 0
    share = math.inf
    for _ in range(100):
        tail_agents = n_agents - ranks
        tail = market.total_audience - float(market.cumulative_audience(
            np.array([float(ranks)]))[0])
        share = tail / tail_agents
        above = min(int(math.floor(market.creators_above(share))), total, n_agents - 1)
        if above <= ranks:
            break
        ranks = above
    while ranks > 0 and n_agents - ranks < _parts_below(ranks, cuts, total):
        ranks -= 1
    return ranks, share


def _strata(market: CreatorMarket, n_agents: int, one_to_one: int,
            cuts: np.ndarray) -> np.ndarray:
    """Stratum bounds (ranks, 0..N, n_agents + 1 of them): one to one, then equal audience.

    The tail (ranks after ``one_to_one``) is cut at ``cuts`` into parts; each part gets
    agents in proportion to its audience (at least one, at most one per creator), and
    its strata hold equal audience, rounded to whole ranks.
    """
    total = market.total
    edges = np.unique(np.concatenate([[one_to_one], cuts[cuts > one_to_one], [total]]))
    parts = list(zip(edges[:-1], edges[1:], strict=True))
    sizes = np.array([high - low for low, high in parts], dtype=np.int64)
    cumulative = market.cumulative_audience(edges.astype(float))
    mass = np.diff(cumulative)
    agents = _allocate(n_agents - one_to_one, mass, sizes)
    bounds = [np.arange(one_to_one + 1, dtype=np.int64)]
    for (low, high), count, start, end in zip(parts, agents, cumulative[:-1], cumulative[1:],
                                              strict=True):
        inner = np.arange(1, count)
        targets = start + (end - start) * inner / count
        positions = _invert(market, targets, float(low), float(high))
        cut = np.clip(np.rint(positions).astype(np.int64), low + inner, high - count + inner)
        cut = np.maximum.accumulate(cut - inner) + inner  # strictly increasing
        bounds.append(np.concatenate([cut, [high]]))
    return np.concatenate(bounds)


def _allocate(agents: int, mass: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Agents per part: in proportion to its audience, at least 1, at most its creators.

    Water-filling: parts whose share is above their creators get one agent each per
    creator, parts whose share is below one agent get one, and the rest share what is
    left in proportion to their audience, rounded by largest remainder.
    """
    counts = np.zeros(len(mass), dtype=np.int64)
    fixed = np.zeros(len(mass), dtype=bool)
    while True:
        free = ~fixed
        left = agents - counts[fixed].sum()
        ideal = np.zeros(len(mass))
        ideal[free] = left * mass[free] / mass[free].sum()
        capped, floored = free & (ideal >= sizes), free & (ideal < 1)
        if not (capped.any() or floored.any()):
            break
        counts[capped], counts[floored] = sizes[capped], 1
        fixed |= capped | floored
        if fixed.all():
            return counts
    base = np.floor(ideal[free]).astype(np.int64)
    extra = int(left - base.sum())
    order = np.argsort(-(ideal[free] - base), kind="stable")[:extra]
    base[order] += 1
    counts[free] = base
    return counts


def _invert(market: CreatorMarket, targets: np.ndarray, low: float, high: float) -> np.ndarray:
    """Positions in [low, high] where the cumulative audience reaches ``targets`` (bisection)."""
    lo = np.full(targets.shape, low)
    hi = np.full(targets.shape, high)
    for _ in range(64):
        mid = (lo + hi) / 2
        below = market.cumulative_audience(mid) < targets
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    return (lo + hi) / 2
