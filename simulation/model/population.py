"""The follower population: one state per person and platform, as arrays.

States: ``NEVER`` (never adopted), ``ACTIVE``, ``LAPSED`` (adopted, then
left). Each day, for each platform k and person j (all platforms from the
same start-of-day state, so the order of platforms does not matter):

- a never-adopter adopts with probability ``1 - exp(-h)``, where
  ``h = p_k + q * s_kj + r * g(x_kj)``: ``p_k`` innovation (marketing),
  ``s_kj`` the share of j's friends active on k, ``x_kj`` the promotional
  posts about k that j saw today, ``g(x) = 1 - exp(-x / promo_saturation)``;
- a lapsed user returns with probability ``1 - exp(-return_rel * h)``;
- an active user lapses with probability ``1 - exp(-c)``, where
  ``c = base_churn * content_half / (content_half + content_kj)
  * (1 + attention_cost * other new platforms j is active on)``.

One standard exponential draw E per person and platform per day decides
whichever of these applies (a person is in exactly one state): the event
happens when E < hazard, which has probability 1 - exp(-hazard). So the
random numbers a person meets do not depend on the payout scheme (common
random numbers), and no probability is ever computed with exp().
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import Adoption, Retention

NEVER, ACTIVE, LAPSED = np.uint8(0), np.uint8(1), np.uint8(2)


@dataclass
class Transitions:
    """Who changed state on one platform today (person indices)."""

    adopted: np.ndarray  # never → active
    returned: np.ndarray  # lapsed → active
    lapsed: np.ndarray  # active → lapsed
    adoption_hazard: np.ndarray | float  # h of the adopters' day, for attribution


class People:
    """States of every person on every platform (platforms × people, uint8)."""

    def __init__(self, n_people: int, n_platforms: int):
        self.n = n_people
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
    ) -> Transitions:
        """Draw today's moves on platform ``k`` without applying them.

        ``exposure`` holds one standard exponential draw per person.
        """
        state = self.state[k]
        hazard = innovation + adoption.imitation * friend_share + influence
        adopted = np.flatnonzero((exposure < hazard) & (state == NEVER))
        returned = lapsed = np.empty(0, dtype=np.intp)
        if adoption.return_rel > 0 and self.n_lapsed[k]:
            returned = np.flatnonzero((exposure < adoption.return_rel * hazard) & (state == LAPSED))
        if retention.base_churn > 0 and self.n_active[k]:
            churn = (retention.base_churn * retention.content_half
                     / (retention.content_half + content)
                     * (1.0 + retention.attention_cost * others_active))
            lapsed = np.flatnonzero((exposure < churn) & (state == ACTIVE))
        h_adopters = hazard[adopted] if np.ndim(hazard) else hazard
        return Transitions(adopted, returned, lapsed, h_adopters)

    def apply(self, k: int, moves: Transitions) -> None:
        """Apply one platform's moves."""
        state = self.state[k]
        state[moves.adopted] = ACTIVE
        state[moves.returned] = ACTIVE
        state[moves.lapsed] = LAPSED
        self.ever[k] += len(moves.adopted)
        self.n_active[k] += len(moves.adopted) + len(moves.returned) - len(moves.lapsed)
        self.n_lapsed[k] += len(moves.lapsed) - len(moves.returned)
