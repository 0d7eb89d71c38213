"""Outputs: the daily long table and the per-platform summary, each declared once.

**Daily columns** (one row per day and platform; day 0 is the launch, before
anyone has moved) are :func:`daily_columns` entries: name, words, unit and type.
People, views and money are in market units (``population.market_size`` real
people): a simulated person counts ``people_per_agent`` times, so people
columns are multiples of it (not always whole numbers).
The spend columns, one per payout scheme (``spend_<key>``), come from the
scheme registry; ``adopters`` is cumulative (ever adopted); ``spend_total`` is
the sum of the spend columns; ``revenue`` is the platform's take of GMV;
``net`` = revenue − spend_total.

**Summary metrics** are :data:`METRICS` entries, each declared once with
:func:`metric`: its key, words, unit, whether higher is better, and the
function that computes it from one platform's daily table. ``SUMMARY_KEYS``,
the figures' labels and the optimiser's default directions all derive from
it. A new metric is one decorated function.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from .payouts import SCHEMES, spend_columns
from .sections import RegistryError, check_key, register


@dataclass(frozen=True)
class Column:
    """A daily column: its words and unit (for labels) and whether it counts whole things."""

    name: str
    words: str
    unit: str
    integer: bool = False


_BEFORE_SPEND = (
    Column("day", "day", "day", integer=True),
    Column("platform", "platform", ""),
    Column("adopters", "adopters (ever)", "people"),
    Column("new_adopters", "new adopters", "people/day"),
    Column("active_users", "active users", "people"),
    Column("lapsed_users", "lapsed users", "people"),
    Column("joined_influencers", "influencers joined", "influencers", integer=True),
    Column("active_influencers", "influencers posting", "influencers", integer=True),
    Column("posts", "posts", "posts/day", integer=True),
    Column("views", "views", "views/day"),
    Column("gmv", "sales (GMV)", "$/day"),
)
_AFTER_SPEND = (
    Column("spend_total", "payout spend", "$/day"),
    Column("revenue", "revenue", "$/day"),
    Column("net", "net (revenue − spend)", "$/day"),
    Column("attributed_adopters", "adopters credited to influencers", "people/day"),
    Column("influenced_adopters", "adopters promotion caused (expected)", "people/day"),
)


def daily_columns() -> dict[str, Column]:
    """Every daily column in table order (the spend columns follow the scheme registry)."""
    spend = [Column(cls.column(), f"{cls.label} spend", "$/day") for cls in SCHEMES.values()]
    return {c.name: c for c in (*_BEFORE_SPEND, *spend, *_AFTER_SPEND)}


def columns() -> tuple[str, ...]:
    """The daily table's column names, in order."""
    return tuple(daily_columns())


# --- summary metrics ---------------------------------------------------------------


@dataclass
class PlatformRun:
    """What a metric is computed from: one platform's daily table (indexed by day) and more."""

    rows: pd.DataFrame
    market_size: float
    people_per_agent: float
    switch_day: int | None
    influencers_joined: int
    retention_window: int
    influencers: pd.DataFrame | None = None
    """Per simulated creator on this platform over the run (a row each): ``influencer, tier,
    audience, weight, joined, quit, posts, days_posted, views, gmv, paid``, the numbers of
    each real creator the row stands for (``weight`` of them; views and $ in market units),
    for metrics of the creators themselves (a payout Gini, say: weight each row by
    ``weight``)."""
    observed: dict[str, pd.DataFrame] = field(default_factory=dict)
    """The tables of the observers the run was given, by key (this platform's rows where
    a table has a ``platform`` column): a metric may read them, and say it may be None."""

    @property
    def active(self) -> pd.Series:
        """Active users per day."""
        return self.rows["active_users"]

    @property
    def weekly_active(self) -> pd.Series:
        """Active users averaged over the 7 days centred on each day.

        Peaks are read from it: the maximum of a noisy daily series is biased up,
        and more so the fewer people are simulated (at 10 000 simulated people
        the daily peak came out 13% above the one at 100 000; the weekly one
        agrees within sampling noise).
        """
        return self.active.rolling(PEAK_WINDOW, center=True, min_periods=1).mean()

    @property
    def share(self) -> pd.Series:
        """Share of people who ever adopted, per day."""
        return self.rows["adopters"] / self.market_size

    @property
    def end(self) -> pd.Series:
        """The last day's row."""
        return self.rows.iloc[-1]

    @property
    def spend(self) -> float:
        """Total payout spend ($)."""
        return float(self.rows["spend_total"].sum())


Better = Literal["higher", "lower"] | None
PEAK_WINDOW = 7
"""Days in the moving average peaks are read from."""


@dataclass(frozen=True)
class Metric:
    """A summary metric: key, words, unit, which way is better, and how it is computed."""

    key: str
    words: str
    unit: str
    better: Better
    compute: Callable[[PlatformRun], Any] = field(repr=False)
    integer: bool = False
    none: str = ""
    """When the value is None (a run where it does not occur); empty: it is never None."""


METRICS: dict[str, Metric] = {}
"""The registry: summary key → its declaration, in summary order."""


def metric(key: str, words: str, unit: str, better: Better = None, integer: bool = False,
           *, none: str = "", replace: bool = False
           ) -> Callable[[Callable[[PlatformRun], Any]], Callable[[PlatformRun], Any]]:
    """Declare a summary metric computed by the decorated ``function(run) -> value or None``.

    Checked at once (a RegistryError): ``key`` an identifier not yet registered
    (unless ``replace=True``), ``words`` and ``unit`` non-empty text, ``better``
    one of "higher", "lower" or None. ``none`` says when the value may be None
    (empty: never). ``simulation.testing.check_metric`` checks what it computes.
    """
    what = f"metric {key!r}"
    check_key(key, what)
    for part, value in (("words", words), ("unit", unit)):
        if not isinstance(value, str) or not value.strip():
            raise RegistryError(f"{what}: {part} must be non-empty text (given: {value!r})")
    if better not in ("higher", "lower", None):
        raise RegistryError(f"{what}: better = {better!r}; allowed: 'higher', 'lower' or "
                            "None (no better direction)")

    def add(function: Callable[[PlatformRun], Any]) -> Callable[[PlatformRun], Any]:
        if not callable(function):
            raise RegistryError(f"{what}: @metric decorates a function(run) -> value")
        register(METRICS, key, Metric(key, words, unit, better, function, integer, none),
                 what,
                 replace=replace)
        return function
    return add


def summary_keys() -> tuple[str, ...]:
    """Every summary key, in order."""
    return tuple(METRICS)


def _first_day(share: pd.Series, level: float) -> int | None:
    reached = share.index[share.to_numpy() >= level]
    return int(reached[0]) if len(reached) else None


def _ratio(numerator: float, denominator: float) -> float | None:
    return float(numerator / denominator) if denominator > 0 and math.isfinite(numerator) else None


@metric("peak_active_users", "peak active users (weekly average)", "people", "higher")
def _peak_active_users(run: PlatformRun) -> float:
    return float(run.weekly_active.max())


@metric("peak_day", "day of peak", "day", integer=True)
def _peak_day(run: PlatformRun) -> int:
    return int(run.weekly_active.idxmax())


@metric("active_users_end", "active users at the end", "people", "higher")
def _active_users_end(run: PlatformRun) -> float:
    return float(run.end["active_users"])


@metric("adopters_end", "adopters at the end (ever adopted)", "people", "higher")
def _adopters_end(run: PlatformRun) -> float:
    return float(run.end["adopters"])


@metric("adoption_share_end", "adoption share at the end", "share of people", "higher")
def _adoption_share_end(run: PlatformRun) -> float:
    return float(run.share.iloc[-1])


@metric("days_to_10pct", "days to 10% adoption", "days", "lower", integer=True,
        none="10% of people never adopt")
def _days_to_10pct(run: PlatformRun) -> int | None:
    return _first_day(run.share, 0.10)


@metric("days_to_50pct", "days to 50% adoption", "days", "lower", integer=True,
        none="half the people never adopt")
def _days_to_50pct(run: PlatformRun) -> int | None:
    return _first_day(run.share, 0.50)


@metric("attributed_adopters", "adopters credited to influencers", "people")
def _attributed_adopters(run: PlatformRun) -> float:
    """What the platform credited under ``attribution.rule`` (bounties are paid on it)."""
    return float(run.rows["attributed_adopters"].sum())


@metric("influenced_adopters", "adopters promotion caused (expected)", "people")
def _influenced_adopters(run: PlatformRun) -> float:
    """The causal expectation: adopters whose adoption promotion caused."""
    return float(run.rows["influenced_adopters"].sum())


@metric("people_per_agent", "real people per simulated person", "people")
def _people_per_agent(run: PlatformRun) -> float:
    return run.people_per_agent


@metric("total_spend", "total payout spend", "$", "lower")
def _total_spend(run: PlatformRun) -> float:
    return run.spend


@metric("cost_per_adopter", "cost per adopter (all adopters)", "$ per adopter", "lower",
        none="nobody adopts")
def _cost_per_adopter(run: PlatformRun) -> float | None:
    return _ratio(run.spend, run.end["adopters"])


@metric("cost_per_attributed_adopter", "cost per adopter credited to influencers",
        "$ per adopter", "lower", none="no adopter is credited")
def _cost_per_attributed_adopter(run: PlatformRun) -> float | None:
    return _ratio(run.spend, run.rows["attributed_adopters"].sum())


@metric("cost_per_active_user_end", "cost per active user at the end", "$ per user", "lower",
        none="nobody is active at the end")
def _cost_per_active_user_end(run: PlatformRun) -> float | None:
    return _ratio(run.spend, run.end["active_users"])


@metric("retention_after_switch", "retention 90 days after the switch", "share kept", "higher",
        none="no switch, one within the window of the end, or no active users on it")
def _retention_after_switch(run: PlatformRun) -> float | None:
    """Active users ``retention_window`` days after the first switch ÷ on the switch day."""
    switch, active = run.switch_day, run.active
    later = None if switch is None else switch + run.retention_window
    if later is None or later not in active.index or active[switch] <= 0:
        return None
    return float(active[later] / active[switch])


@metric("influencers_joined", "creators recruited (real creators, ever joined)", "influencers",
        "higher", integer=True)
def _influencers_joined(run: PlatformRun) -> int:
    return int(run.influencers_joined)


@metric("influencers_active_end", "creators posting at the end (real creators)", "influencers",
        "higher", integer=True)
def _influencers_active_end(run: PlatformRun) -> int:
    return int(run.end["active_influencers"])


@metric("gmv_total", "total sales (GMV)", "$", "higher")
def _gmv_total(run: PlatformRun) -> float:
    return float(run.rows["gmv"].sum())


@metric("net_total", "total net (revenue − spend)", "$", "higher")
def _net_total(run: PlatformRun) -> float:
    return float(run.rows["net"].sum())


def summarise(
    table: pd.DataFrame, market_size: float, people_per_agent: float,
    switch_days: dict[str, int | None], influencers_joined: dict[str, int],
    retention_window: int, influencers: pd.DataFrame | None = None,
    observed: dict[str, pd.DataFrame] | None = None,
) -> dict[str, dict[str, Any]]:
    """Per-platform summary (every registered metric); events that never happen are None."""
    runs = platform_runs(table, market_size, people_per_agent, switch_days,
                         influencers_joined, retention_window, influencers, observed)
    return {name: {key: entry.compute(run) for key, entry in METRICS.items()}
            for name, run in runs.items()}


def platform_runs(
    table: pd.DataFrame, market_size: float, people_per_agent: float,
    switch_days: dict[str, int | None], influencers_joined: dict[str, int],
    retention_window: int, influencers: pd.DataFrame | None = None,
    observed: dict[str, pd.DataFrame] | None = None,
) -> dict[str, PlatformRun]:
    """What metrics are computed from, per platform of a daily table (and the run's others)."""

    def of(frame: pd.DataFrame | None, name: str) -> pd.DataFrame | None:
        if frame is None or "platform" not in frame.columns:
            return frame
        return frame[frame["platform"] == name].reset_index(drop=True)

    return {name: PlatformRun(rows.set_index("day"), market_size, people_per_agent,
                              switch_days.get(name), influencers_joined.get(name, 0),
                              retention_window, of(influencers, name),
                              {key: of(frame, name) for key, frame in (observed or {}).items()})
            for name, rows in table.groupby("platform", sort=False)}


# --- recording -----------------------------------------------------------------------


@dataclass
class Recorder:
    """Preallocated daily columns: (days + 1) × platforms each."""

    n_days: int
    platforms: list[str]
    data: dict[str, np.ndarray] = field(init=False)

    def __post_init__(self) -> None:
        shape = (self.n_days + 1, len(self.platforms))
        self.columns = daily_columns()
        self.spend = spend_columns()
        self.data = {name: np.zeros(shape) for name in list(self.columns)[2:]}

    def record(self, day: int, k: int, **values: float) -> None:
        """Store one platform's numbers for one day; derived columns are filled here."""
        row = self.data
        for name, value in values.items():
            row[name][day, k] = value
        row["spend_total"][day, k] = sum(row[c][day, k] for c in self.spend)
        row["net"][day, k] = row["revenue"][day, k] - row["spend_total"][day, k]

    def to_frame(self, upto_day: int) -> pd.DataFrame:
        """The long table for days 0..upto_day, sorted by day then platform order."""
        n_days, n_platforms = upto_day + 1, len(self.platforms)
        table: dict[str, np.ndarray] = {
            "day": np.repeat(np.arange(n_days), n_platforms),
            "platform": np.tile(np.array(self.platforms, dtype=object), n_days),
        }
        for name, values in self.data.items():
            flat = values[:n_days].ravel()
            table[name] = flat.astype(np.int64) if self.columns[name].integer else flat
        return pd.DataFrame(table, columns=list(self.columns))


def __getattr__(name: str) -> Any:
    """``COLUMNS`` and ``SUMMARY_KEYS``, read from the registries when asked for."""
    if name == "COLUMNS":
        return columns()
    if name == "SUMMARY_KEYS":
        return summary_keys()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
