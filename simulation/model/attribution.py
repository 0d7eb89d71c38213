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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .sections import RegistryError, check_key, register


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
