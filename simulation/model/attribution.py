"""Attribution: which influencer a platform credits with a new adopter (a registry of rules).

Bounties and commission are paid on the credit the rule in force
(``attribution.rule``) gives. Each new adopter's *touches* are the influencers
it follows whose promotion reached it within ``attribution.window_days``: a
follower sees an influencer's promotion with probability 1 − exp(−reach ×
promotional posts in the window), and an adopter whom promotion made adopt
(the causal draw: probability r·g(x)/h, the part of its hazard promotion
caused, credited to one influencer in proportion to today's promotion)
certainly saw that influencer. The rules:

- ``last_touch`` (default): the seen influencer that promoted most recently
  (ties: the causal one, else at random), as referral links and codes do;
- ``even_split``: one adopter split evenly among the seen influencers;
- ``causal``: the causal draw only, a research oracle no platform observes.

Every adopter the causal rule credits is seen by its influencer, so
``last_touch`` credits at least as many adopters as ``causal``, run by run:
the difference is the over-crediting a strategist should know about. Credit
never exceeds the new adopters who saw promotion. A new rule is one function
decorated with :func:`rule`.

Owns: the registry :data:`ATTRIBUTION_RULES` and the module :class:`Attribution`
(the window of recent promotion, and the ``attribute`` stage).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from .modules import Module
from .networks import gather_rows
from .sections import RegistryError, check_key, register

if TYPE_CHECKING:
    from .config import Config
    from .day import Day
    from .population import Transitions


@dataclass
class Touches:
    """The promotion today's new adopters saw: one entry per (adopter, followed influencer)."""

    adopter: np.ndarray  # which adopter (0..n_adopters-1)
    influencer: np.ndarray  # which influencer
    seen: np.ndarray  # bool: the adopter saw its promotion within the window
    last_day: np.ndarray  # the influencer's latest day of promotion (-1: none in the window)
    tiebreak: np.ndarray  # uniform draws, to break ties at random
    culprit: np.ndarray  # bool: the causal draw credits this influencer with this adopter
    n_adopters: int
    n_influencers: int


ATTRIBUTION_RULES: dict[str, Callable[[Touches], np.ndarray]] = {}
"""The registry: ``attribution.rule`` → function(touches) → adopters credited per influencer."""


def rule(name: str, *, replace: bool = False
         ) -> Callable[[Callable[[Touches], np.ndarray]], Callable[[Touches], np.ndarray]]:
    """Register an attribution rule under ``name`` (an identifier not taken, or ``replace``)."""
    what = f"attribution rule {name!r}"
    check_key(name, what)

    def add(function: Callable[[Touches], np.ndarray]) -> Callable[[Touches], np.ndarray]:
        if not callable(function):
            raise RegistryError(f"{what}: @rule decorates a function(touches) -> credit")
        register(ATTRIBUTION_RULES, name, function, what, replace=replace)
        return function
    return add


@rule("last_touch")
def last_touch(touches: Touches) -> np.ndarray:
    """One credit per adopter that saw promotion, to the seen influencer most recent."""
    seen = np.flatnonzero(touches.seen)
    if len(seen) == 0:
        return np.zeros(touches.n_influencers)
    # order the seen touches so each adopter's winner comes last: by adopter, then day,
    # then the causal one, then at random
    order = np.lexsort((touches.tiebreak[seen], touches.culprit[seen],
                        touches.last_day[seen], touches.adopter[seen]))
    ranked = seen[order]
    adopters = touches.adopter[ranked]
    winners = ranked[np.r_[adopters[1:] != adopters[:-1], True]]
    return np.bincount(touches.influencer[winners],
                       minlength=touches.n_influencers).astype(float)


@rule("even_split")
def even_split(touches: Touches) -> np.ndarray:
    """One credit per adopter that saw promotion, split evenly among those it saw."""
    seen = np.flatnonzero(touches.seen)
    per_adopter = np.bincount(touches.adopter[seen], minlength=touches.n_adopters)
    share = 1.0 / per_adopter[touches.adopter[seen]]
    return np.bincount(touches.influencer[seen], weights=share,
                       minlength=touches.n_influencers)


@rule("causal")
def causal(touches: Touches) -> np.ndarray:
    """The causal draw: credit where promotion made the adopter adopt."""
    return np.bincount(touches.influencer[touches.culprit],
                       minlength=touches.n_influencers).astype(float)


class Attribution(Module):
    """Who gets the credit for each new adopter, under ``attribution.rule``."""

    key: ClassVar[str] = "attribution"
    words: ClassVar[str] = ("promotional posts of each influencer on each recent day (the "
                            "attribution window) and its last day of promotion")
    reads: ClassVar[tuple[str, ...]] = ("attribution", "influencers.incumbent_reach")
    stages: ClassVar[dict[str, float]] = {"attribute": 55}
    columns: ClassVar[tuple[str, ...]] = ("attributed_adopters", "influenced_adopters")
    metrics: ClassVar[tuple[str, ...]] = ("attributed_adopters", "influenced_adopters",
                                          "cost_per_attributed_adopter")

    @classmethod
    def present(cls, config: Config) -> bool:
        """Only with influencers to credit."""
        return config.population.influencers > 0

    def __init__(self, model):
        super().__init__(model)
        window = model.config.attribution.window_days
        shape = (len(model.influencers.audience), len(model.platforms))
        self.promo_history = np.zeros((window, *shape))  # promotional posts, each recent day
        self.last_promo_day = np.full(shape, -window - 1, dtype=np.int32)

    def attribute(self, today: Day) -> None:
        """New adopters credited to influencers, and those promotion caused (real people)."""
        slot = today.day % len(self.promo_history)  # the attribution window, a ring of days
        self.promo_history[slot] = today.promo
        self.last_promo_day[today.promo > 0] = today.day
        scale = self.model.scale
        for k, moves in enumerate(today.moves):
            credited, influenced = self.credit(k, moves, today)
            today.attributed[:, k] = credited * scale  # real adopters
            today.influenced[k] = influenced * scale

    def credit(self, k: int, moves: Transitions, today: Day) -> tuple[np.ndarray, float]:
        """Credited adopters per influencer (sampled people), and those promotion caused.

        Today's new adopters on platform ``k``, credited under ``attribution.rule``;
        the second value is the causal expectation. Each adopter's touches are the
        influencers it follows that promoted within the window; it saw each with
        probability 1 − exp(−reach × promotional posts in the window), and
        certainly the one the causal draw (probability r·g(x)/h) credits.
        """
        model = self.model
        n_influencers = len(model.influencers.audience)
        adopters = moves.adopted
        recent = self.last_promo_day[:, k] > today.day - len(self.promo_history)  # in window
        if len(adopters) == 0 or not recent.any():
            return np.zeros(n_influencers), 0.0
        window = self.promo_history[:, :, k].sum(axis=0)  # promotional posts in the window
        cfg = model.config
        caused = np.broadcast_to(moves.promotion_hazard / moves.adoption_hazard, adopters.shape)
        rng = model.draws(f"attribution.{model.platform_names[k]}")
        draws = rng.random((2, len(adopters)))
        followed, row_of = gather_rows(model.follows.indptr, model.follows.indices, adopters)
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

    def record(self, today: Day, k: int) -> dict[str, float]:
        """Adopters credited to influencers, and those promotion caused, on platform ``k``."""
        return {"attributed_adopters": float(today.attributed[:, k].sum()),
                "influenced_adopters": float(today.influenced[k])}
