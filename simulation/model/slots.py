"""Flat-fee slots: the flat fee's own state, a module present only where a phase pays it.

**Slots** exist: ``max_enrolled`` of them, counted in real creators. Each day,
before the influencers decide, the slots that are neither held nor on offer are
offered to the next in line: invitees in invitation order (by audience for
``top_k`` and ``tiers``; a waiting list in a random order of creators, drawn
once, for ``open`` and ``random_share``), then, once the platform opens to all,
everyone else in that random order (the platform's ``line``). An agent that
stands for a group of creators takes one slot per creator: it is offered slots
only when enough are free for its whole group (the group decides as one, so it
is paid as one), and a group larger than what is free is passed over for the
next in line who fits (the creators simulated one to one, and small groups, fill
the last slots; the group is asked again when the line comes round). So the slots held never exceed
``max_enrolled`` real creators. The line is a circle: after its end
the offers start again from its top, so invitees who declined before are
asked again. An offer lasts ``offer_days``; an influencer takes the slot by
publishing the quota while holding it. Only a holder of an offer or a slot
expects the fee (``Outlook.contracts["flat_fee"]``) and only a holder is paid
it (``Activity.contracts["flat_fee"]``); an invitee without one may still join
for the other schemes in force. Contracts that end (``contract_days``) and
quitters free their slots for the next in line; an influencer whose contract
ended is not asked again in that phase. Slots and offers belong to a phase:
a new phase starts with none.

Owns: :class:`SlotBook` (one platform's slots) and the module :class:`FlatFeeSlots`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from .modules import Module
from .payouts import FlatFee, schemes_used
from .platforms import fitting

if TYPE_CHECKING:
    from .config import Config
    from .day import Day
    from .platforms import PlatformState


class SlotBook:
    """Who holds or is offered a flat-fee slot on one platform (arrays of length I).

    A row holds or is offered slots for all the creators it stands for (``weight``).
    """

    def __init__(self, platform: PlatformState):
        self.platform = platform
        n = len(platform.invited)
        self.phase_index = -1  # the phase these slots belong to
        self.enrolled = np.zeros(n, dtype=bool)  # holds a slot
        self.ti_enrolled = np.full(n, -1, dtype=np.int32)
        self.offered_until = np.full(n, -1, dtype=np.int32)  # last day an offer is open
        self.contract_over = np.zeros(n, dtype=bool)
        self.next_in_line = 0  # where the next offer starts, in the platform's line

    @property
    def flat_fee(self) -> FlatFee | None:
        """The flat fee in force, if any."""
        phase = self.platform.phase
        return phase.flat_fee if phase is not None else None

    def offered(self, day: int) -> np.ndarray:
        """Who holds an open offer today."""
        return self.offered_until >= day

    def fee_available(self, day: int) -> np.ndarray:
        """Holds a slot or an offer of one: only these expect the fee."""
        if self.flat_fee is None:
            return np.zeros_like(self.enrolled)
        return self.enrolled | self.offered(day)

    def follow_phase(self) -> None:
        """A new phase in force: its slots start empty, with no offers out."""
        if self.platform.phase_index != self.phase_index:
            self.phase_index = self.platform.phase_index
            self.enrolled[:] = False
            self.offered_until[:] = -1
            self.contract_over[:] = False
            self.next_in_line = 0

    def release(self, day: int, joined: np.ndarray, quit: np.ndarray) -> None:
        """Before the day's decisions: end contracts, free quitters' slots, offer the rest."""
        fee = self.flat_fee
        if fee is None:
            return
        if fee.contract_days is not None:
            ended = self.enrolled & (day - self.ti_enrolled >= fee.contract_days)
            self.enrolled &= ~ended
            self.contract_over |= ended
        self.enrolled &= joined
        self.offered_until[quit] = -1
        takers = self.platform.eligible(day) & ~self.enrolled & ~self.contract_over & ~quit
        if fee.max_enrolled is None:  # no scarcity: every eligible influencer holds an offer
            self.offered_until[takers] = day
            return
        offered = self.offered(day)
        weight = self.platform.weight
        free = fee.max_enrolled - float(weight[self.enrolled | offered].sum())
        if free < 1:
            return
        line = self.platform.line
        circle = np.roll(line, -self.next_in_line)
        waiting = circle[(takers & ~offered)[circle]]
        chosen = waiting[fitting(weight[waiting], free)]
        if len(chosen):
            self.offered_until[chosen] = day + fee.offer_days - 1
            position = np.flatnonzero(line == chosen[-1])[0]
            self.next_in_line = (position + 1) % len(line)

    def enrol(self, day: int, posts: np.ndarray) -> None:
        """After the day's decisions: offer holders who published the quota take their slot."""
        fee = self.flat_fee
        if fee is None:
            return
        takes = self.offered(day) & ~self.enrolled & (posts >= fee.posts_per_day)
        self.enrolled[takes] = True
        self.ti_enrolled[takes] = day
        self.offered_until[takes] = -1


class FlatFeeSlots(Module):
    """The flat fee's slots on every platform: offers before the decisions, enrolment after."""

    key: ClassVar[str] = "flat_fee_slots"
    words: ClassVar[str] = "flat-fee slots: holders, offers, contracts ended, the next in line"
    reads: ClassVar[tuple[str, ...]] = ("platforms.N.phases.N.flat_fee",)
    stages: ClassVar[dict[str, float]] = {"offer_slots": 15, "enrol": 30}

    @classmethod
    def present(cls, config: Config) -> bool:
        """Only where some phase pays a flat fee (and there are influencers to pay)."""
        return config.population.influencers > 0 and FlatFee.key in schemes_used(config)

    def __init__(self, model):
        super().__init__(model)
        self.books = [SlotBook(platform) for platform in model.platforms]

    def offer_slots(self, today: Day) -> None:
        """Finished contracts end, quitters free their slots, free slots are offered in line."""
        table = self.model.influencers
        for k, book in enumerate(self.books):
            book.follow_phase()
            book.release(today.day, table.joined[:, k], table.quit[:, k])
        today.offers[FlatFee.key] = np.column_stack(
            [book.fee_available(today.day) for book in self.books])

    def enrol(self, today: Day) -> None:
        """Holders of a flat-fee offer who published the quota take their slot."""
        for k, book in enumerate(self.books):
            book.enrol(today.day, today.posts[:, k])
        today.contracts[FlatFee.key] = np.column_stack([book.enrolled for book in self.books])
