"""Platforms: invitations, the payout schedule, flat-fee slots and the budget cap.

A :class:`PlatformState` wraps one ``Platform`` config section with what
changes during a run: which phase of the payout schedule is in force, who
holds a flat-fee slot, and how much of the budget is spent. Payments are
capped so that cumulative spend never exceeds the budget: when a day's
bill is larger than what is left, every payment that day is scaled down by
the same factor (pro rata), and from then on nothing more is paid.
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
        self.invited = invited(spec, audience, tier, rng)
        self.phase_index = -1  # the phase in force; -1 = none yet
        self.pending: tuple[int, int] | None = None  # (phase index, day it takes effect)
        self.switch_day: int | None = None  # first day a later phase replaced the first
        self.spent = 0.0
        self.enrolled = np.zeros(n, dtype=bool)
        self.ti_enrolled = np.full(n, -1, dtype=np.int32)
        self.contract_over = np.zeros(n, dtype=bool)

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
            self.enrolled[:] = False  # slots belong to a phase
            self.contract_over[:] = False
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

    def fee_available(self) -> np.ndarray:
        """Holds a flat-fee slot, or one is free and the influencer could take it."""
        fee = self.flat_fee
        if fee is None:
            return np.zeros_like(self.enrolled)
        free = fee.max_enrolled is None or self.enrolled.sum() < fee.max_enrolled
        return self.enrolled | (free & ~self.contract_over & self.invited)

    def release_slots(self, day: int, joined: np.ndarray) -> None:
        """Before the day's decisions: end finished contracts; quitters give their slot back."""
        fee = self.flat_fee
        if fee is None:
            return
        if fee.contract_days is not None:
            ended = self.enrolled & (day - self.ti_enrolled >= fee.contract_days)
            self.enrolled &= ~ended
            self.contract_over |= ended
        self.enrolled &= joined

    def enrol(self, day: int, joined: np.ndarray, rng: np.random.Generator) -> None:
        """After the day's decisions: give free slots to joined invitees in random order."""
        fee = self.flat_fee
        if fee is None:
            return
        candidates = np.flatnonzero(joined & self.invited & ~self.enrolled & ~self.contract_over)
        if len(candidates) == 0:
            return
        candidates = rng.permutation(candidates)  # the mesa "shuffled" order, as one draw
        if fee.max_enrolled is not None:
            candidates = candidates[: max(fee.max_enrolled - int(self.enrolled.sum()), 0)]
        self.enrolled[candidates] = True
        self.ti_enrolled[candidates] = day

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
            rng: np.random.Generator) -> np.ndarray:
    """Who the invitation policy lets in from day 0 (bool per influencer)."""
    policy = spec.invitation
    n = len(audience)
    chosen = np.zeros(n, dtype=bool)
    if policy.policy == "open":
        chosen[:] = True
    elif policy.policy == "top_k":
        chosen[np.argsort(-audience, kind="stable")[: policy.top_k]] = True
    elif policy.policy == "tiers":
        for name, count in policy.tiers.items():
            members = np.flatnonzero(tier == TIERS.index(name))
            chosen[members[np.argsort(-audience[members], kind="stable")][:count]] = True
    elif policy.policy == "random_share":
        chosen = rng.random(n) < policy.share
    return chosen
