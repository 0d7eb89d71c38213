"""Platforms: invitations, the payout schedule and the budget cap, and the modules that run them.

A :class:`PlatformState` wraps one ``Platform`` config section with what
changes during a run: which phase of the payout schedule is in force and how
much of the budget is spent. Who is invited, and the line flat-fee offers go
down, are drawn once (:func:`invited`); the flat fee's slots are the
:mod:`~simulation.model.slots` module's.

Two modules: :class:`Platforms` fires the phases (``schedule``, always present)
and :class:`Payouts` pays the schemes in force (``pay``, present when there are
influencers).

Payments are capped so that cumulative spend never exceeds the budget: when
a day's bill is larger than what is left, every payment that day is scaled
down by the same factor (pro rata), and from then on nothing more is paid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from .config import Config, Platform
from .modules import Module
from .payouts import SCHEMES, TIERS, Activity, Phase, Scheme

if TYPE_CHECKING:
    from .day import Day


class PlatformState:
    """One new platform during a run."""

    def __init__(self, spec: Platform, audience: np.ndarray, tier: np.ndarray,
                 rng: np.random.Generator, weight: np.ndarray | None = None):
        self.spec = spec
        self.name = spec.name
        self.weight = np.ones(len(audience)) if weight is None else weight  # creators per row
        self.invited, self.line = invited(spec, audience, tier, rng, self.weight)
        self.phase_index = -1  # the phase in force; -1 = none yet
        self.pending: tuple[int, int] | None = None  # (phase index, day it takes effect)
        self.switch_day: int | None = None  # first day a later phase replaced the first
        self.spent = 0.0

    # --- schedule -----------------------------------------------------------

    @property
    def phase(self) -> Phase | None:
        """The phase in force, if any."""
        return self.spec.phases[self.phase_index] if self.phase_index >= 0 else None

    def update_schedule(self, day: int, adoption_share: float) -> None:
        """Fire the next phase's trigger if it holds; apply it after its notice days."""
        phases = self.spec.phases
        if self.pending is None:
            following = self.phase_index + 1
            if following < len(phases) and phases[following].start.fired(
                day, adoption_share, self.spent
            ):
                self.pending = (following, day + phases[following].start.notice_days)
        if self.pending is not None and day >= self.pending[1]:
            if self.phase_index >= 0 and self.switch_day is None:
                self.switch_day = day
            self.phase_index = self.pending[0]
            self.pending = None
            self.update_schedule(day, adoption_share)  # a later phase may fire the same day

    @property
    def budget_left(self) -> float:
        """$ still available for payouts."""
        return max(self.spec.budget - self.spent, 0.0)

    def schemes(self) -> list[Scheme]:
        """The schemes in force today; none once the budget is spent."""
        if self.phase is None or self.budget_left <= 0:
            return []
        return self.phase.schemes()

    def upcoming(self, day: int) -> tuple[list[Scheme], int] | None:
        """The schemes of an announced phase and the days until it takes effect, if any."""
        if self.pending is None or self.budget_left <= 0:
            return None
        index, effective = self.pending
        return self.spec.phases[index].schemes(), effective - day

    def eligible(self, day: int) -> np.ndarray:
        """Who may join today: the invited, and everyone once the platform opens."""
        open_day = self.spec.invitation.open_day
        if open_day is not None and day >= open_day:
            return np.ones_like(self.invited)
        return self.invited

    # --- payments -----------------------------------------------------------

    def pay(self, activity: Activity) -> dict[str, np.ndarray]:
        """Dollars paid to each row's creators together today, by spend column, within the budget.

        A scheme says what it owes each creator (``activity`` is per creator); a row is
        paid that times its weight, the creators it stands for.
        """
        owed = {cls.column(): np.zeros(len(activity.posts)) for cls in SCHEMES.values()}
        for scheme in self.schemes():
            owed[scheme.column()] = scheme.owed(activity) * self.weight
        bill = sum(float(v.sum()) for v in owed.values())
        if bill > self.budget_left:
            scale = self.budget_left / bill * (1 - 1e-12)  # float sums stay under the cap
            owed = {column: amounts * scale for column, amounts in owed.items()}
            self.spent = self.spec.budget  # spent to the last cent, and no further
        else:
            self.spent += bill
        return owed


class Platforms(Module):
    """The new platforms: invitations, the payout schedule and the budget spent."""

    key: ClassVar[str] = "platforms"
    words: ClassVar[str] = "each platform's phase in force, announced phase, switch day and spend"
    reads: ClassVar[tuple[str, ...]] = ("platforms",)
    stages: ClassVar[dict[str, float]] = {"schedule": 10}
    metrics: ClassVar[tuple[str, ...]] = ("retention_after_switch",)

    def schedule(self, today: Day) -> None:
        """Phases fire and take effect; today's schemes, announced phases and invitees."""
        model = self.model
        people, day = model.people, today.day
        for k, platform in enumerate(model.platforms):
            platform.update_schedule(day, people.ever[k] / people.n)
            today.schemes[k] = platform.schemes()
            today.upcoming[k] = platform.upcoming(day)
            today.eligible[:, k] = platform.eligible(day)


class Payouts(Module):
    """What the platforms pay: each scheme in force, within each platform's budget."""

    key: ClassVar[str] = "payouts"
    words: ClassVar[str] = "the payout schemes' bills, paid within each platform's budget"
    reads: ClassVar[tuple[str, ...]] = ("platforms.N.budget", "platforms.N.phases")
    stages: ClassVar[dict[str, float]] = {"pay": 70}

    @classmethod
    def present(cls, config: Config) -> bool:
        """Only with influencers to pay."""
        return config.population.influencers > 0

    metrics: ClassVar[tuple[str, ...]] = ("total_spend", "cost_per_adopter",
                                          "cost_per_active_user_end")

    @classmethod
    def column_names(cls) -> tuple[str, ...]:
        """``spend_<key>`` of every registered scheme (the registry's, in its order)."""
        return tuple(scheme.column() for scheme in SCHEMES.values())

    def pay(self, today: Day) -> None:
        """Each scheme in force says what it owes; each platform pays within its budget.

        Schemes see each creator's own day (a group's views, sales and credited adopters
        ÷ its weight); a row is paid for all the creators it stands for.
        """
        table = self.model.influencers
        tier, weight = table.tier, table.weight
        for k, platform in enumerate(self.model.platforms):
            payments = platform.pay(Activity(
                posts=today.posts[:, k], views=today.views[:, k] / weight,
                gmv=today.gmv[:, k] / weight, new_adopters=today.attributed[:, k] / weight,
                tier=tier, active_followers=today.active_audience[:, k],
                contracts={key: holders[:, k] for key, holders in today.contracts.items()},
            ))
            today.payments[k] = payments
            today.paid[:, k] = sum(payments.values())
            today.spend[k] = {c: float(v.sum()) for c, v in payments.items()}

    def record(self, today: Day, k: int) -> dict[str, float]:
        """The day's spend by scheme on platform ``k`` ($)."""
        return today.spend[k]


def invited(spec: Platform, audience: np.ndarray, tier: np.ndarray,
            rng: np.random.Generator, weight: np.ndarray | None = None
            ) -> tuple[np.ndarray, np.ndarray]:
    """Who the invitation policy lets in from day 0, and the line flat-fee offers go down.

    Counts are of real creators: a row stands for ``weight`` of them (all 1 when not
    given) and is invited whole. ``top_k`` invites the rows whose creators are all among
    the k largest, ``bottom_k`` among the k smallest, ``tiers`` among the largest of
    each tier named (the creator sample cuts its strata at those ranks, so the counts
    are exact); ``random_k`` rows in a random order of creators (each row's place that of
    the first of its creators: an exponential clock of rate ``weight``), as long as they
    fit in k, passing over a group larger than what is left; ``random_share`` each row
    with probability ``share``. The line holds every row once: invitees first, in
    invitation order, then the rest in that random order of creators.
    """
    policy = spec.invitation
    n = len(audience)
    weight = np.ones(n) if weight is None else np.asarray(weight, dtype=float)
    by_audience = np.argsort(-audience, kind="stable")  # rank order
    clock = rng.standard_exponential(n) / np.maximum(weight, 1e-300)  # drawn for every policy
    waiting_list = np.argsort(clock, kind="stable")
    chosen = np.zeros(n, dtype=bool)
    order = waiting_list
    if policy.policy == "open":
        chosen[:] = True
    elif policy.policy == "top_k":  # the hubs
        order = by_audience[np.cumsum(weight[by_audience]) <= policy.top_k + 0.5]
    elif policy.policy == "bottom_k":  # the fringe
        smallest = by_audience[::-1]
        order = smallest[np.cumsum(weight[smallest]) <= policy.top_k + 0.5]
    elif policy.policy == "random_k":
        order = waiting_list[fitting(weight[waiting_list], policy.top_k)]
    elif policy.policy == "tiers":
        order = np.concatenate([np.zeros(0, dtype=np.intp), *(
            (members := by_audience[tier[by_audience] == TIERS.index(name)])[
                np.cumsum(weight[members]) <= count + 0.5]
            for name, count in policy.tiers.items())])
    elif policy.policy == "random_share":
        chosen = rng.random(n) < policy.share
        order = waiting_list[chosen[waiting_list]]
    chosen[order] = True
    rest = waiting_list[~chosen[waiting_list]]
    return chosen, np.concatenate([order, rest]).astype(np.intp)


def fitting(sizes: np.ndarray, room: float) -> np.ndarray:
    """Which of ``sizes``, taken in order, fit in ``room``: first fit, passing over the too large.

    Vectorised in rounds: take the longest prefix that fits, pass over the one that does
    not and every later one larger than the room still left, and go on (rounds ≤ the
    distinct sizes, not the items).
    """
    taken = np.zeros(len(sizes), dtype=bool)
    left = float(room) + 0.5  # sizes are whole numbers of creators
    start = 0
    while start < len(sizes) and left >= 1:
        rest = np.flatnonzero(sizes[start:] <= left) + start
        if len(rest) == 0:
            break
        fits = np.cumsum(sizes[rest]) <= left
        count = len(fits) if fits.all() else int(np.argmin(fits))
        taken[rest[:count]] = True
        left -= float(sizes[rest[:count]].sum())
        if count == len(rest):
            break
        start = int(rest[count]) + 1
    return taken
