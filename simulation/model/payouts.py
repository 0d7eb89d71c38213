"""Payout schemes: what a platform pays an influencer for a day's work.

Every scheme is a small pydantic model (its parameters, declared once, are
also its config section) with the same two methods, vectorised over
influencers of one platform:

- ``owed(activity)``: dollars owed today for what each influencer actually
  did (an :class:`Activity`);
- ``expected(n_posts, outlook)``: dollars an influencer expects for posting
  ``n_posts`` today, from its learnt per-post expectations (an
  :class:`Outlook`). Influencers choose how much to post from this.

**The registry.** A scheme is one class: a subclass of :class:`Scheme` that
sets ``key`` (its config key in a phase), ``label``, ``color`` and
``linestyle`` registers itself in :data:`SCHEMES` when it is defined. From
the registry come a phase's keys (``platforms.N.phases.M.<key>``), the spend
columns (``spend_<key>``) and the styles of every figure. A scheme is checked
as it is defined (:func:`scheme_problem`): a key already taken (unless the class
is defined with ``replace=True``), a key that is already a phase's (``name``,
``start``), or a missing label, colour, ``owed`` or ``expected`` is a
:class:`~simulation.model.sections.RegistryError`, and changes nothing.
``simulation.testing.check_scheme`` checks what it pays.

A :class:`Phase` holds one or more schemes at once (a hybrid) and a
:class:`Start` trigger; a platform's payout schedule is a list of phases.
The budget cap is applied by the platform, not by the schemes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from .sections import (
    MAX_DOLLARS,
    MAX_HORIZON_DAYS,
    MAX_INFLUENCERS,
    MAX_PRICE,
    RegistryKeys,
    Section,
    register_class,
)

TIERS: tuple[str, ...] = ("nano", "micro", "mid", "macro", "mega")
"""Industry audience tiers (followers): nano <10k, micro 10k–100k,
mid 100k–500k, macro 500k–1M, mega >1M."""
TIER_BOUNDS: tuple[float, ...] = (10_000, 100_000, 500_000, 1_000_000)
Tier = Literal["nano", "micro", "mid", "macro", "mega"]


@dataclass
class Activity:
    """What the influencers of one platform did today (arrays of length I), read from the day."""

    posts: np.ndarray  # posts published on the platform today
    views: np.ndarray  # views of those posts by active users
    gmv: np.ndarray  # dollars of sales attributed to the influencer's posts
    new_adopters: np.ndarray  # new users attributed to the influencer's promotion
    tier: np.ndarray  # tier index into TIERS
    active_followers: np.ndarray | None = None
    """real followers active on the platform today: the audience a post reaches"""
    contracts: Mapping[str, np.ndarray] = field(default_factory=dict)
    """scheme key → who holds that scheme's contract today (bool), for schemes with state"""

    def holds(self, key: str) -> np.ndarray:
        """Who holds the contract of scheme ``key`` today (all False when it has none)."""
        return _holders(self.contracts, key, len(self.posts))


@dataclass
class Outlook:
    """What each influencer expects per post on one platform (arrays of length I)."""

    views_per_post: np.ndarray
    gmv_per_post: np.ndarray
    adopters_per_post: np.ndarray
    tier: np.ndarray
    active_followers: np.ndarray | None = None
    """real followers active on the platform, as last seen"""
    contracts: Mapping[str, np.ndarray] = field(default_factory=dict)
    """scheme key → who holds or is offered that scheme's contract (bool), for schemes
    with state"""

    def holds(self, key: str) -> np.ndarray:
        """Who holds or is offered the contract of scheme ``key`` (all False when none)."""
        return _holders(self.contracts, key, len(self.views_per_post))


def _holders(contracts: Mapping[str, np.ndarray], key: str, n: int) -> np.ndarray:
    holders = contracts.get(key)
    return np.zeros(n, dtype=bool) if holders is None else holders


class Scheme(Section):
    """A payout scheme. A subclass that sets ``key`` registers itself in :data:`SCHEMES`.

    It is checked as it is defined (:func:`scheme_problem`); a key already taken is
    an error unless the class is defined with ``replace=True``.
    """

    key: ClassVar[str]
    """Config key inside a phase, e.g. ``flat_fee``; the spend column is ``spend_<key>``."""
    label: ClassVar[str]
    """Name in legends and tables, e.g. ``flat fee``."""
    color: ClassVar[str]
    """Fill colour in spend figures (a matplotlib colour)."""
    linestyle: ClassVar[str | tuple] = "-"
    """Line style in spend figures (a matplotlib line style)."""
    levers: ClassVar[dict[str, str]] = {}
    """The web app's levers for this scheme: lever name → the field it sets (none: the
    scheme is paid at its scenario's or default settings)."""
    state: ClassVar[str | None] = None
    """Key of the module (:mod:`simulation.model.modules`) that keeps this scheme's
    contracts, if it has any: a run whose phases use the scheme builds that module, which
    fills ``Activity.contracts[key]`` and ``Outlook.contracts[key]``."""

    @classmethod
    def __pydantic_init_subclass__(cls, replace: bool = False, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "key" in cls.__dict__:
            register_scheme(cls, replace=replace)

    def __init_subclass__(cls, replace: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)

    @classmethod
    def column(cls) -> str:
        """The spend column this scheme fills."""
        return f"spend_{cls.key}"

    def owed(self, activity: Activity) -> np.ndarray:
        """Dollars owed to each influencer for today's activity."""
        raise NotImplementedError

    def expected(self, n_posts: np.ndarray, outlook: Outlook) -> np.ndarray:
        """Dollars each influencer (rows) expects for ``n_posts`` (I × options)."""
        raise NotImplementedError


SCHEMES: dict[str, type[Scheme]] = {}
"""The registry: config key of each scheme → its class, in the order defined."""


def scheme_problem(cls: type[Scheme]) -> str | None:
    """What a scheme class lacks to be registered (None if nothing).

    A scheme must set ``key`` (an identifier that is no other key of a phase, and not
    ``total``: ``spend_total`` is the sum column), ``label`` and ``color`` (non-empty
    strings) and a ``linestyle``, and write both ``owed`` and ``expected``.
    """
    key = cls.__dict__.get("key")
    if key in Phase.model_fields or hasattr(Phase, key):
        return (f"key {key!r} is already a key of a phase ({', '.join(Phase.model_fields)}) "
                "or one of its methods; choose another key")
    if key == "total":
        return "key 'total' would make the column spend_total, the sum of every scheme's"
    for part in ("label", "color"):
        value = getattr(cls, part, None)
        if not isinstance(value, str) or not value.strip():
            return f"it must set {part!r}, a non-empty string (given: {value!r})"
    if not isinstance(getattr(cls, "linestyle", None), str | tuple):
        return f"its 'linestyle' must be a matplotlib line style (given: {cls.linestyle!r})"
    unknown = [f for f in getattr(cls, "levers", {}).values() if f not in cls.model_fields]
    if unknown:
        return f"its levers name fields it does not have: {unknown}"
    for method in ("owed", "expected"):
        if getattr(cls, method) is getattr(Scheme, method):
            return (f"it must write {method}() (see simulation.model.payouts.Scheme): "
                    "what it pays")
    return None


def register_scheme(cls: type[Scheme], replace: bool = False) -> None:
    """Add a scheme to the registry, and so to every phase's keys (done on class definition).

    Checked first, all or nothing (:func:`~simulation.model.sections.register`): a
    refused scheme is a RegistryError and leaves the registry as it was. No model
    changes: a :class:`Phase` reads :data:`SCHEMES` when it is validated.
    ``replace=True`` (``class MyCommission(Scheme, replace=True)``) replaces the
    scheme registered under the same key.
    """
    register_class(SCHEMES, cls, "scheme", scheme_problem, replace=replace)


def schemes_used(config: Any) -> set[str]:
    """The keys of the schemes some phase of some platform of ``config`` pays."""
    return {scheme.key for platform in config.platforms for phase in platform.phases
            for scheme in phase.schemes()}


def spend_columns() -> tuple[str, ...]:
    """The spend column of every registered scheme, in registry order."""
    return tuple(cls.column() for cls in SCHEMES.values())


class Start(Section):
    """When a phase starts: exactly one trigger, then optional notice days."""

    day: int | None = Field(None, ge=0, le=MAX_HORIZON_DAYS,
                            description="day the trigger fires")
    adoption_share: float | None = Field(
        None, gt=0, le=1, description="fires when adopters / people reaches this share"
    )
    spend: float | None = Field(
        None, ge=0, le=MAX_DOLLARS, description="fires when cumulative spend ($) reaches this"
    )
    notice_days: int = Field(
        0, ge=0, le=MAX_HORIZON_DAYS,
        description="days between the trigger and the phase taking effect"
    )

    @model_validator(mode="after")
    def _one_trigger(self) -> Start:
        given = [k for k in ("day", "adoption_share", "spend") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one of day, adoption_share, spend (given: {given or 'none'})"
            )
        return self

    def fired(self, day: int, adoption_share: float, spend: float) -> bool:
        """Whether the trigger condition holds on ``day``."""
        if self.day is not None:
            return day >= self.day
        if self.adoption_share is not None:
            return adoption_share >= self.adoption_share
        return spend >= self.spend


class Phase(RegistryKeys):
    """One stretch of a payout schedule: a trigger and the schemes it pays.

    Besides ``name`` and ``start`` it has one optional key per registered
    scheme (``phase.flat_fee``, None when not paid), read from :data:`SCHEMES`
    when the phase is validated (:class:`~simulation.model.sections.RegistryKeys`):
    a scheme defined later is a key at once, and the class never changes.
    """

    key_registry: ClassVar[dict[str, type[Scheme]]] = SCHEMES

    name: str = Field("phase", max_length=100, description="label used in outputs and plots")
    start: Start = Field(default_factory=lambda: Start(day=0), description="when it takes effect")

    def schemes(self) -> list[Scheme]:
        """The schemes this phase pays, in registry order."""
        return [s for key in SCHEMES if (s := getattr(self, key, None)) is not None]


class FlatFee(Scheme):
    """A fee per day to an enrolled influencer who publishes at least a quota."""

    key: ClassVar[str] = "flat_fee"
    label: ClassVar[str] = "flat fee"
    color: ClassVar[str] = "#4C72B0"
    linestyle: ClassVar[str | tuple] = "--"
    levers: ClassVar[dict[str, str]] = {"fee": "fee", "quota": "posts_per_day"}
    state: ClassVar[str | None] = "flat_fee_slots"  # its slots: simulation.model.slots
    fee: float = Field(
        40.0, ge=0, le=MAX_PRICE,
        description="$/day to an enrolled influencer at or above quota: above the "
        "median influencer's cost of 3 posts and its outside option (about $37; see "
        "influencers.cost_*), a nano sponsored post's price (Influencer Marketing Hub)"
    )
    posts_per_day: int = Field(
        3, ge=1, le=20, description="posts/day quota; the story's contract asked for a set "
        "number a day; at most 20 (influencers.max_posts_per_day's bound)"
    )
    tier_fees: dict[Tier, Annotated[float, Field(ge=0, le=MAX_PRICE)]] = Field(
        default_factory=dict, description="$/day by tier, overriding `fee` for the tiers named"
    )
    max_enrolled: int | None = Field(
        None, ge=0, le=MAX_INFLUENCERS,
        description="most influencers holding a fee slot at once; none = no limit"
    )
    contract_days: int | None = Field(
        None, ge=1, le=MAX_HORIZON_DAYS,
        description="days a slot lasts from enrolment; none = while the phase lasts"
    )
    offer_days: int = Field(
        7, ge=1, le=MAX_HORIZON_DAYS,
        description="days an offer of a free slot stays open before it passes to the "
        "next in line: a week to answer, as invitations to paid programmes run"
    )

    def fee_by_tier(self, tier: np.ndarray) -> np.ndarray:
        """The daily fee of each influencer, by its tier index ($/day)."""
        table = np.array([self.tier_fees.get(name, self.fee) for name in TIERS])
        return table[tier]

    def owed(self, activity: Activity) -> np.ndarray:  # noqa: D102 - see Scheme
        return np.where(activity.holds(self.key) & (activity.posts >= self.posts_per_day),
                        self.fee_by_tier(activity.tier), 0.0)

    def expected(self, n_posts: np.ndarray, outlook: Outlook) -> np.ndarray:  # noqa: D102
        fee = np.where(outlook.holds(self.key), self.fee_by_tier(outlook.tier), 0.0)
        return np.where(n_posts >= self.posts_per_day, fee[:, None], 0.0)


class Commission(Scheme):
    """A share of the sales (GMV) attributed to the influencer's posts."""

    key: ClassVar[str] = "commission"
    label: ClassVar[str] = "commission"
    color: ClassVar[str] = "#DD8452"
    linestyle: ClassVar[str | tuple] = ":"
    levers: ClassVar[dict[str, str]] = {"commission": "rate"}
    rate: float = Field(
        0.04, ge=0, le=1, description="share of attributed GMV: Amazon Associates paid 1–10% by "
        "category from March 2017, 4% for all other categories"
    )

    def owed(self, activity: Activity) -> np.ndarray:  # noqa: D102 - see Scheme
        return self.rate * activity.gmv

    def expected(self, n_posts: np.ndarray, outlook: Outlook) -> np.ndarray:  # noqa: D102
        return n_posts * (self.rate * outlook.gmv_per_post)[:, None]


class PerView(Scheme):
    """A rate per thousand views (the video-service and creator-fund model)."""

    key: ClassVar[str] = "per_view"
    label: ClassVar[str] = "per view"
    color: ClassVar[str] = "#55A868"
    linestyle: ClassVar[str | tuple] = "-."
    levers: ClassVar[dict[str, str]] = {"per_view": "rate_per_1000"}
    rate_per_1000: float = Field(
        0.03, ge=0, le=1_000,
        description="$ per 1 000 real views: TikTok's Creator Fund paid $0.02–0.04 "
        "(2020); YouTube's ad-revenue share pays creators $1.6–29 (Insider 2022); at most "
        "$1 000 ($1 a view)"
    )

    def owed(self, activity: Activity) -> np.ndarray:  # noqa: D102 - see Scheme
        return self.rate_per_1000 * activity.views / 1000.0

    def expected(self, n_posts: np.ndarray, outlook: Outlook) -> np.ndarray:  # noqa: D102
        return n_posts * (self.rate_per_1000 * outlook.views_per_post / 1000.0)[:, None]


class PerAdopter(Scheme):
    """A bounty per new user attributed to the influencer's promotion."""

    key: ClassVar[str] = "per_adopter"
    label: ClassVar[str] = "per adopter"
    color: ClassVar[str] = "#C44E52"
    linestyle: ClassVar[str | tuple] = (0, (5, 1, 1, 1, 1, 1))
    levers: ClassVar[dict[str, str]] = {"bounty": "bounty"}
    bounty: float = Field(
        3.0, ge=0, le=MAX_PRICE,
        description="$ per new user credited to the influencer (attribution.rule): "
        "Amazon's 2017 bounties paid $3 per Prime gift membership or trial sign-up"
    )

    def owed(self, activity: Activity) -> np.ndarray:  # noqa: D102 - see Scheme
        return self.bounty * activity.new_adopters

    def expected(self, n_posts: np.ndarray, outlook: Outlook) -> np.ndarray:  # noqa: D102
        return n_posts * (self.bounty * outlook.adopters_per_post)[:, None]


