"""The follower population: one state per person and platform, as arrays.

States: ``NEVER`` (never adopted), ``ACTIVE``, ``LAPSED`` (adopted, then
left). Each day, for each platform k and person j (all platforms from the
same start-of-day state, so the order of platforms does not matter):

- a never-adopter adopts with probability ``1 - exp(-h)``, where
  ``h = π_j * (p_k(t) + q * s_kj + r * λ_j * w_kj * g(x_kj))``: ``p_k(t)``
  innovation (the platform's own marketing), fading after launch with
  ``innovation_half_life_days``, ``s_kj`` the share of j's friends active on k,
  ``x_kj`` the promotional posts about k that j saw today,
  ``g(x) = 1 - exp(-x / promo_saturation)``; ``π_j`` j's persuadability and
  ``λ_j`` its heed of influencers (gamma multipliers of mean 1, fixed per
  person), ``w_kj = exp(-wear_out * promotion j has seen about k so far)``
  (repeated promotion wears off);
- a lapsed user returns with probability ``1 - exp(-return_rel * h * v_kj)``;
- an active user lapses with probability ``1 - exp(-c / v_kj)``, where
  ``c = base_churn * content_half / (content_half + content_kj)
  * (1 + attention_cost * other new platforms j is active on)``,
  ``content_kj`` = posts/day from the influencers j follows on k
  + ``user_content * a_k`` (ordinary users' posts: ``a_k`` the share of the
  market active on k at the start of the day, so an emptying platform's feeds
  empty) + the platform's feed baseline;
- ``v_kj = 1 + network_effect * s_kj²`` is the pull of friends (network
  effects): staying, and coming back, are worth more the more of one's
  friends are there. With users' content, a platform past a critical mass
  keeps itself going, and one left below it dies out.

One standard exponential draw E per person and platform per day decides
whichever of these applies (a person is in exactly one state): the event
happens when E < hazard, which has probability 1 - exp(-hazard). So the
random numbers a person meets do not depend on the payout scheme (common
random numbers), and no probability is ever computed with exp().

Owns: :class:`People` (the states, as arrays) and the module :class:`PeopleMoves`,
whose ``move_people`` stage draws and applies the day's moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from .config import Adoption, Retention
from .modules import Module
from .networks import FriendCounts

if TYPE_CHECKING:
    from .day import Day

NEVER, ACTIVE, LAPSED = np.uint8(0), np.uint8(1), np.uint8(2)


@dataclass
class Transitions:
    """Who changed state on one platform today (person indices)."""

    adopted: np.ndarray  # never → active
    returned: np.ndarray  # lapsed → active
    lapsed: np.ndarray  # active → lapsed
    adoption_hazard: np.ndarray | float  # h of the adopters' day, for attribution
    promotion_hazard: np.ndarray | float  # the part of it promotion made


class People:
    """States of every person on every platform (platforms × people, uint8)."""

    def __init__(self, n_people: int, n_platforms: int, adoption: Adoption,
                 rng: np.random.Generator):
        self.n = n_people
        self.persuadability = gamma_multiplier(adoption.persuadability_cv, n_people, rng)
        self.heed = gamma_multiplier(adoption.loyalty_cv, n_people, rng)
        self.promotion_seen = np.zeros((n_platforms, n_people), dtype=np.float32)
        self.state = np.zeros((n_platforms, n_people), dtype=np.uint8)
        self.ever = np.zeros(n_platforms, dtype=np.int64)  # cumulative adopters
        self.n_active = np.zeros(n_platforms, dtype=np.int64)
        self.n_lapsed = np.zeros(n_platforms, dtype=np.int64)

    def transitions(
        self,
        k: int,
        innovation: float,
        friend_share: float | np.ndarray,
        influence: np.ndarray | float,
        content: np.ndarray | float,
        others_active: np.ndarray | int,
        adoption: Adoption,
        retention: Retention,
        exposure: np.ndarray,
        attention: float = 1.0,
        staying: float = 1.0,
    ) -> Transitions:
        """Draw today's moves on platform ``k`` without applying them.

        ``influence`` is ``r * g(x)`` per person (0 without promotion); ``exposure``
        holds one standard exponential draw per person. Outside events multiply
        the adoption and return hazards by ``attention`` and divide churn by
        ``staying``.
        """
        state = self.state[k]
        promotion = influence
        if np.ndim(influence) and (adoption.loyalty_cv > 0 or adoption.wear_out > 0):
            promotion = influence * self.heed * np.exp(-adoption.wear_out
                                                        * self.promotion_seen[k])
        hazard = innovation + adoption.imitation * friend_share + promotion
        if adoption.persuadability_cv > 0:
            hazard = hazard * self.persuadability
            promotion = promotion * self.persuadability
        if attention != 1.0:
            hazard, promotion = hazard * attention, promotion * attention
        adopted = np.flatnonzero((exposure < hazard) & (state == NEVER))
        returned = lapsed = np.empty(0, dtype=np.intp)
        pull_of_friends = (1.0 + retention.network_effect * friend_share**2  # network effect
                           if retention.network_effect else 1.0)
        if adoption.return_rel > 0 and self.n_lapsed[k]:
            back = adoption.return_rel * hazard * pull_of_friends
            returned = np.flatnonzero((exposure < back) & (state == LAPSED))
        if retention.base_churn > 0 and self.n_active[k]:
            churn = (retention.base_churn * retention.content_half
                     / (retention.content_half + content)
                     * (1.0 + retention.attention_cost * others_active)
                     / (pull_of_friends * staying))
            lapsed = np.flatnonzero((exposure < churn) & (state == ACTIVE))
        h_adopters = hazard[adopted] if np.ndim(hazard) else hazard
        p_adopters = promotion[adopted] if np.ndim(promotion) else promotion
        return Transitions(adopted, returned, lapsed, h_adopters, p_adopters)

    def user_content(self, k: int, retention: Retention) -> float:
        """Posts/day ordinary users put in each active user's feed on platform ``k``.

        ``user_content`` × the share of the market active there (start of day): the
        same in every feed, since a feed draws on all of a platform's users.
        """
        return retention.user_content * float(self.n_active[k]) / self.n

    def see_promotion(self, k: int, seen: np.ndarray) -> None:
        """Add today's promotional posts seen about platform ``k`` (for wear-out)."""
        self.promotion_seen[k] += seen

    def apply(self, k: int, moves: Transitions) -> None:
        """Apply one platform's moves."""
        state = self.state[k]
        state[moves.adopted] = ACTIVE
        state[moves.returned] = ACTIVE
        state[moves.lapsed] = LAPSED
        self.ever[k] += len(moves.adopted)
        self.n_active[k] += len(moves.adopted) + len(moves.returned) - len(moves.lapsed)
        self.n_lapsed[k] += len(moves.lapsed) - len(moves.returned)


def gamma_multiplier(cv: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` gamma draws of mean 1 and coefficient of variation ``cv`` (all 1 when cv = 0).

    Shape 1/cv²: cv = 1 is the exponential mixing under which a population of
    shifted-Gompertz adopters is the Bass model (Bemmaor 1994).
    """
    if cv <= 0:
        return np.ones(n, dtype=np.float32)
    shape = 1.0 / cv**2
    return rng.gamma(shape, 1.0 / shape, size=n).astype(np.float32)


def launch_left(half_life: float | None, day: int) -> float:
    """The share of the platform's own promotion left on ``day`` (1 on day 1).

    It halves every ``half_life`` days; None: 1 forever (marketing that never fades).
    """
    if half_life is None:
        return 1.0
    return 0.5 ** ((day - 1) / half_life)


class PeopleMoves(Module):
    """The people: adoption, return and churn on every platform, each day."""

    key: ClassVar[str] = "people"
    words: ClassVar[str] = ("each person's state on each platform, promotion seen, and the "
                            "share of friends active there")
    reads: ClassVar[tuple[str, ...]] = ("population", "network.social", "adoption",
                                        "retention", "events")
    stages: ClassVar[dict[str, float]] = {"move_people": 50}
    columns: ClassVar[tuple[str, ...]] = ("adopters", "new_adopters", "active_users",
                                          "lapsed_users")
    metrics: ClassVar[tuple[str, ...]] = (
        "peak_active_users", "peak_day", "active_users_end", "adopters_end",
        "adoption_share_end", "days_to_10pct", "days_to_50pct", "people_per_agent")

    def __init__(self, model):
        super().__init__(model)
        self.friend_counts = [FriendCounts(model.friends) for _ in model.platforms]

    def move_people(self, today: Day) -> None:
        """Adoption, return and churn from the start-of-day states of every platform; apply."""
        model = self.model
        cfg, people = model.config, model.people
        n_platforms = len(model.platforms)
        shared_attention = n_platforms > 1 and cfg.retention.attention_cost > 0
        if shared_attention:
            active_now = people.state == ACTIVE
            others = active_now.sum(axis=0, dtype=np.int16)
        for k, platform in enumerate(model.platforms):
            exposure = model.draws(f"people.{platform.name}").standard_exponential(
                people.n, dtype=np.float32)
            influence, content = 0.0, 0.0
            if today.seen_promo is not None:
                influence = (cfg.adoption.influence
                             * -np.expm1(-today.seen_promo[k] / cfg.adoption.promo_saturation))
                content = today.feed_posts[k]
            surge, staying = self.events(platform.name, today.day)
            today.moves.append(people.transitions(
                k,
                attention=surge,
                staying=staying,
                innovation=(cfg.adoption.innovation * platform.spec.rel_marketing
                            * launch_left(cfg.adoption.innovation_half_life_days, today.day)),
                friend_share=self.friend_counts[k].share(),
                influence=influence,
                content=content + (platform.spec.feed_baseline  # scalars first: one array sum
                                   + people.user_content(k, cfg.retention)),
                others_active=others - active_now[k] if shared_attention else 0,
                adoption=cfg.adoption,
                retention=cfg.retention,
                exposure=exposure,
            ))
        if today.seen_promo is not None and cfg.adoption.wear_out > 0:
            for k in range(n_platforms):  # after today's moves: wear-out of what came before
                people.see_promotion(k, today.seen_promo[k])
        for k, moves in enumerate(today.moves):
            people.apply(k, moves)
            self.friend_counts[k].update(np.concatenate([moves.adopted, moves.returned]),
                                         moves.lapsed)

    def events(self, platform: str, day: int) -> tuple[float, float]:
        """Today's outside-event multipliers on a platform: (attention, staying)."""
        attention = staying = 1.0
        for event in self.model.config.events:
            if event.platform in (None, platform):
                factor = event.multiplier(day)
                attention *= factor
                if event.kind == "exodus":
                    staying *= factor
        return attention, staying

    def record(self, today: Day, k: int) -> dict[str, float]:
        """Adopters (ever), new adopters, active and lapsed users on platform ``k``."""
        people, scale = self.model.people, self.model.scale
        return {"adopters": people.ever[k] * scale,
                "new_adopters": len(today.moves[k].adopted) * scale,
                "active_users": people.n_active[k] * scale,
                "lapsed_users": people.n_lapsed[k] * scale}
