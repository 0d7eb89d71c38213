"""The Day: the one channel between a day's stages.

A stage reads what earlier stages wrote today from the :class:`Day` and writes
what it made there; nothing a stage makes for another passes through the
model. Arrays are simulated creators × platforms (I × K) unless noted; money is in
dollars and people, views and orders are in market units (real people). A row may
stand for a group of real creators (``model.influencers.weight``): its posts are each
creator's, and its views, sales, credited adopters and pay are the group's totals.

Owns: :class:`Day`.
"""

from __future__ import annotations

import numpy as np

from .payouts import Scheme, spend_columns
from .population import Transitions


class Day:
    """What one day's stages hand each other, filled in stage order.

    Schedule (platforms): ``eligible`` who may join (I × K); ``schemes`` the schemes in
    force on each platform and ``upcoming`` an announced phase's schemes and the days
    until it takes effect (None: nothing announced).
    Contracts (a scheme's state module, e.g. the flat fee's slots): ``offers`` scheme
    key → who holds or is offered its contract before deciding (I × K bool);
    ``contracts`` scheme key → who holds it once the day's posts are in (I × K bool).
    Decide (influencers): ``posts`` today's posts; ``joined_today`` who joined.
    Expose: ``promo`` promotional posts on the incumbents; ``seen_promo`` and
    ``feed_posts`` (platforms × people) the promotion each person saw and the posts in
    their feeds (None: nobody posted).
    Move people: ``moves`` each platform's :class:`Transitions` (sampled people).
    Attribute: ``attributed`` new adopters credited to each influencer; ``influenced``
    adopters promotion caused, per platform.
    Sell: ``active_audience`` each influencer's active audience; ``views`` and ``gmv``
    ($) of each influencer's posts; ``organic_orders`` per platform.
    Pay: ``payments`` per platform, spend column → $ per influencer; ``paid`` each
    influencer's pay ($); ``spend`` per platform, spend column → $.
    Learn: ``joined_during_day`` influencers joined per platform before the day's quits.
    """

    def __init__(self, day: int, n_influencers: int, n_platforms: int):
        shape = (n_influencers, n_platforms)
        self.day = day
        self.eligible = np.zeros(shape, dtype=bool)
        self.schemes: list[list[Scheme]] = [[] for _ in range(n_platforms)]
        self.upcoming: list[tuple[list[Scheme], int] | None] = [None] * n_platforms
        self.offers: dict[str, np.ndarray] = {}
        self.contracts: dict[str, np.ndarray] = {}
        self.posts = np.zeros(shape, dtype=np.int32)
        self.joined_today = np.zeros(shape, dtype=bool)
        self.promo = np.zeros(shape)
        self.seen_promo: np.ndarray | None = None
        self.feed_posts: np.ndarray | None = None
        self.moves: list[Transitions] = []
        self.attributed = np.zeros(shape)
        self.influenced = np.zeros(n_platforms)
        self.active_audience = np.zeros(shape)
        self.views = np.zeros(shape)
        self.gmv = np.zeros(shape)
        self.organic_orders = np.zeros(n_platforms)
        self.payments: list[dict[str, np.ndarray]] = [{} for _ in range(n_platforms)]
        self.paid = np.zeros(shape)
        self.spend = [dict.fromkeys(spend_columns(), 0.0) for _ in range(n_platforms)]
        self.joined_during_day = np.zeros(n_platforms, dtype=np.int64)
