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

One uniform number per person and platform per day decides whichever of
these applies (a person is in exactly one state), so the random numbers a
person meets do not depend on the payout scheme: common random numbers.
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

    def n_active_new(self) -> np.ndarray:
        """Number of new platforms each person is active on (start of day)."""
        return (self.state == ACTIVE).sum(axis=0, dtype=np.uint8)

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
        uniform: np.ndarray,
    ) -> Transitions:
        """Draw today's moves on platform ``k`` without applying them."""
        state = self.state[k]
        hazard = innovation + adoption.imitation * friend_share + influence
        p_adopt = -np.expm1(-np.broadcast_to(hazard, state.shape))
        never = state == NEVER
        adopted = np.flatnonzero(never & (uniform < p_adopt))
        returned = np.empty(0, dtype=np.intp)
        lapsed = np.empty(0, dtype=np.intp)
        if adoption.return_rel > 0:
            p_return = -np.expm1(-adoption.return_rel * np.broadcast_to(hazard, state.shape))
            returned = np.flatnonzero((state == LAPSED) & (uniform < p_return))
        if retention.base_churn > 0:
            churn = (retention.base_churn * retention.content_half
                     / (retention.content_half + content)
                     * (1.0 + retention.attention_cost * others_active))
            p_churn = -np.expm1(-np.broadcast_to(churn, state.shape))
            lapsed = np.flatnonzero((state == ACTIVE) & (uniform < p_churn))
        h_adopters = hazard[adopted] if np.ndim(hazard) else hazard
        return Transitions(adopted, returned, lapsed, h_adopters)

    def apply(self, k: int, moves: Transitions) -> None:
        """Apply one platform's moves."""
        state = self.state[k]
        state[moves.adopted] = ACTIVE
        state[moves.returned] = ACTIVE
        state[moves.lapsed] = LAPSED
        self.ever[k] += len(moves.adopted)

    def counts(self, k: int) -> tuple[int, int]:
        """Active and lapsed users on platform ``k``."""
        counts = np.bincount(self.state[k], minlength=3)
        return int(counts[ACTIVE]), int(counts[LAPSED])
