"""Platforms: invitations, the payout schedule, flat-fee slots and the budget cap.

A :class:`PlatformState` wraps one ``Platform`` config section with what
changes during a run: which phase of the payout schedule is in force, who
holds a flat-fee offer or slot, and how much of the budget is spent.

**Flat-fee slots** exist: ``max_enrolled`` of them. Each day, before the
influencers decide, the slots that are neither held nor on offer are offered
to the next in line: invitees in invitation order (by audience for ``top_k``
and ``tiers``; a waiting list in random order, drawn once, for ``open`` and
``random_share``), then, once the platform opens to all, everyone else in
random order. The line is a circle: after its end the offers start again
from its top, so invitees who declined before are asked again. An offer
lasts ``offer_days``; an influencer takes the slot by publishing the quota
while holding it. Only a holder of an offer or a slot expects the fee; an
invitee without one may still join for the other schemes in force. Contracts
that end (``contract_days``) and quitters free their slots for the next in
line; an influencer whose contract ended is not asked again in that phase.

Payments are capped so that cumulative spend never exceeds the budget: when
a day's bill is larger than what is left, every payment that day is scaled
down by the same factor (pro rata), and from then on nothing more is paid.
"""

from __future__ import annotations

import numpy as np

from .config import Platform
from .payouts import SCHEMES, TIERS, Activity, FlatFee, Phase, Scheme


class PlatformState:
    """One new platform during a run."""

    def __init__(self, spec: Platform, audience: np.ndarray, tier: np.ndarray,
                 rng: np.random.Generator):
        self.spec = spec
        self.name = spec.name
        n = len(audience)
        self.invited, self.line = invited(spec, audience, tier, rng)
        self.phase_index = -1  # the phase in force; -1 = none yet
        self.pending: tuple[int, int] | None = None  # (phase index, day it takes effect)
        self.switch_day: int | None = None  # first day a later phase replaced the first
        self.spent = 0.0
        self.enrolled = np.zeros(n, dtype=bool)  # holds a flat-fee slot
        self.ti_enrolled = np.full(n, -1, dtype=np.int32)
        self.offered_until = np.full(n, -1, dtype=np.int32)  # last day an offer is open
        self.contract_over = np.zeros(n, dtype=bool)
        self.next_in_line = 0  # where the next offer starts, in ``line``

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
            self.enrolled[:] = False  # slots and offers belong to a phase
            self.offered_until[:] = -1
            self.contract_over[:] = False
            self.next_in_line = 0
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

    # --- flat-fee slots -----------------------------------------------------

    @property
    def flat_fee(self) -> FlatFee | None:
        """The flat fee in force, if any."""
        return self.phase.flat_fee if self.phase is not None else None

    def eligible(self, day: int) -> np.ndarray:
        """Who may join today: the invited, and everyone once the platform opens."""
        open_day = self.spec.invitation.open_day
        if open_day is not None and day >= open_day:
            return np.ones_like(self.invited)
        return self.invited

    def offered(self, day: int) -> np.ndarray:
        """Who holds an open flat-fee offer today."""
        return self.offered_until >= day

    def fee_available(self, day: int) -> np.ndarray:
        """Holds a flat-fee slot or an offer of one: only these expect the fee."""
        if self.flat_fee is None:
            return np.zeros_like(self.enrolled)
        return self.enrolled | self.offered(day)

    def release_slots(self, day: int, joined: np.ndarray, quit: np.ndarray) -> None:
        """Before the day's decisions: end contracts, free quitters' slots, offer the rest.

        Slots neither held nor on offer go to the next in line (see the module).
        """
        fee = self.flat_fee
        if fee is None:
            return
        if fee.contract_days is not None:
            ended = self.enrolled & (day - self.ti_enrolled >= fee.contract_days)
            self.enrolled &= ~ended
            self.contract_over |= ended
        self.enrolled &= joined
        self.offered_until[quit] = -1
        takers = self.eligible(day) & ~self.enrolled & ~self.contract_over & ~quit
        if fee.max_enrolled is None:  # no scarcity: every eligible influencer holds an offer
            self.offered_until[takers] = day
            return
        offered = self.offered(day)
        free = fee.max_enrolled - int(self.enrolled.sum()) - int(offered.sum())
        if free <= 0:
            return
        circle = np.roll(self.line, -self.next_in_line)
        waiting = circle[(takers & ~offered)[circle]]
        chosen = waiting[:free]
        if len(chosen):
            self.offered_until[chosen] = day + fee.offer_days - 1
            position = np.flatnonzero(self.line == chosen[-1])[0]
            self.next_in_line = (position + 1) % len(self.line)

    def enrol(self, day: int, posts: np.ndarray) -> None:
        """After the day's decisions: offer holders who published the quota take their slot."""
        fee = self.flat_fee
        if fee is None:
            return
        takes = self.offered(day) & ~self.enrolled & (posts >= fee.posts_per_day)
        self.enrolled[takes] = True
        self.ti_enrolled[takes] = day
        self.offered_until[takes] = -1

    # --- payments -----------------------------------------------------------

    def pay(self, activity: Activity) -> dict[str, np.ndarray]:
        """Dollars paid to each influencer today, by spend column, within the budget."""
        owed = {cls.column(): np.zeros(len(activity.posts)) for cls in SCHEMES.values()}
        for scheme in self.schemes():
            owed[scheme.column()] = scheme.owed(activity)
        bill = sum(float(v.sum()) for v in owed.values())
        if bill > self.budget_left:
            scale = self.budget_left / bill * (1 - 1e-12)  # float sums stay under the cap
            owed = {column: amounts * scale for column, amounts in owed.items()}
            self.spent = self.spec.budget  # spent to the last cent, and no further
        else:
            self.spent += bill
        return owed


def invited(spec: Platform, audience: np.ndarray, tier: np.ndarray,
            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Who the invitation policy lets in from day 0, and the line flat-fee offers go down.

    The line holds every influencer once: invitees first, in invitation order.
    """
    policy = spec.invitation
    n = len(audience)
    by_audience = np.argsort(-audience, kind="stable")
    waiting_list = rng.permutation(n)  # drawn whatever the policy: the same stream use
    chosen = np.zeros(n, dtype=bool)
    order = waiting_list
    if policy.policy == "open":
        chosen[:] = True
    elif policy.policy == "top_k":  # the hubs
        order = by_audience[: policy.top_k]
    elif policy.policy == "bottom_k":  # the fringe
        order = by_audience[::-1][: policy.top_k]
    elif policy.policy == "random_k":
        order = waiting_list[: policy.top_k]
    elif policy.policy == "tiers":
        order = np.concatenate([np.zeros(0, dtype=np.intp), *(
            (members := np.flatnonzero(tier == TIERS.index(name)))[
                np.argsort(-audience[members], kind="stable")][:count]
            for name, count in policy.tiers.items())])
    elif policy.policy == "random_share":
        chosen = rng.random(n) < policy.share
        order = waiting_list[chosen[waiting_list]]
    chosen[order] = True
    rest = waiting_list[~chosen[waiting_list]]
    return chosen, np.concatenate([order, rest]).astype(np.intp)
