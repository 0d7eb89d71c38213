"""Observers: what watches a run, after Mesa's ``DataCollector``, as plug-ins.

An observer is called once when the model is set up (day 0) and after every
day's stages, with the model (``model.today`` holds the day's :class:`Day`),
and hands back one long table with a ``day`` column. The daily table itself
is recorded by the default observer, :class:`DailyTable`; others are added by
key or instance: ``simulation.run(config, observers=["tiers"])`` puts each
one's table in ``RunResult.observed[key]``, and ``run_many`` and ``compare``
take the same argument (by key, so it crosses to worker processes).

Observers read the model; they never change it, so adding one changes no
number of the run.

Owns: the registry :data:`OBSERVERS` and :func:`register_observer`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from ..errors import ConfigError
from .metrics import Recorder
from .payouts import TIERS
from .sections import RegistryError, check_key, register

if TYPE_CHECKING:
    from .spark_model import SparkModel

RESERVED = frozenset({"timeseries", "agents", "summary", "runs", "config"})
"""Output names a run already has: an observer's key may not take them."""


class Observer:
    """Watches a run. Subclass it, set ``key`` and ``words``, and write ``observe`` and ``result``.

    ``start(model)`` runs once after set-up (day 0), ``observe(model)`` after
    each day, ``result(model)`` returns the table (one row per day and
    whatever else, with a ``day`` column).
    """

    key: ClassVar[str] = ""
    """Registry key and the name of the output (``RunResult.observed[key]``)."""
    words: ClassVar[str] = ""
    """What the table holds, in words (for ``model.plan()`` and the docs)."""

    def start(self, model: SparkModel) -> None:
        """Day 0, after set-up and before the first day."""

    def observe(self, model: SparkModel) -> None:
        """After each day's stages."""
        raise NotImplementedError

    def result(self, model: SparkModel) -> pd.DataFrame:
        """The table this observer made of the run."""
        raise NotImplementedError


OBSERVERS: dict[str, type[Observer]] = {}
"""Observers by key, for runs in other processes (``observers=["tiers"]``)."""


def register_observer(cls: type[Observer], *, replace: bool = False) -> type[Observer]:
    """Add an observer class to :data:`OBSERVERS` (a class decorator), checked here.

    Raises:
        RegistryError: not an Observer subclass; a key that is not an identifier,
            reserved, or taken (unless ``replace``); no ``observe``, ``result`` or ``words``.
    """
    what = f"observer {getattr(cls, '__name__', cls)!r}"
    if not (isinstance(cls, type) and issubclass(cls, Observer)):
        raise RegistryError(f"{what}: not a subclass of simulation.model.observers.Observer")
    check_key(cls.key, what)
    if cls.key in RESERVED:
        raise RegistryError(f"{what}: key {cls.key!r} is a run's own output; reserved: "
                            f"{', '.join(sorted(RESERVED))}; choose another key")
    missing = [name for name in ("observe", "result")
               if getattr(cls, name) is getattr(Observer, name)]
    if missing or not cls.words:
        raise RegistryError(f"{what}: needs {' and '.join(missing or ['words'])} "
                            "(see simulation.model.observers.Observer)")
    register(OBSERVERS, cls.key, cls, what, replace=replace)
    return cls


def make_observers(specs: Iterable[str | Observer]) -> list[Observer]:
    """Observer instances from keys or instances; a ConfigError names an unknown key."""
    from . import tiers  # noqa: F401 (the package's own observers register on import)

    made: list[Observer] = []
    for spec in specs:
        if isinstance(spec, Observer):
            made.append(spec)
        elif isinstance(spec, str) and spec in OBSERVERS:
            made.append(OBSERVERS[spec]())
        else:
            raise ConfigError(f"observers: {spec!r} is not an observer; allowed: "
                              f"{', '.join(sorted(OBSERVERS)) or 'none registered'}, "
                              "or an Observer instance")
    keys = [observer.key for observer in made]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ConfigError(f"observers: {', '.join(repeated)} given twice; allowed: each once")
    return made


class DailyTable(Observer):
    """The default observer: the daily long table (``simulation.COLUMNS``), one row per platform."""

    key = "timeseries"
    words = "the daily table: people, influencers, posts, views, sales and spend per platform"

    def __init__(self, n_days: int, platforms: list[str]):
        self.recorder = Recorder(n_days, platforms)

    def observe(self, model: SparkModel) -> None:
        """The day's row per platform, in market units: each module's own columns.

        The columns of a module the model does not have stay 0; ``spend_total`` and
        ``net`` are derived (:class:`~simulation.model.metrics.Recorder`).
        """
        today, modules = model.today, model.modules.values()
        for k in range(len(model.platforms)):
            row: dict[str, float] = {}
            for module in modules:
                row.update(module.record(today, k))
            self.recorder.record(model.day, k, **row)

    def result(self, model: SparkModel) -> pd.DataFrame:
        """Days 0..today."""
        return self.recorder.to_frame(model.day)


class InfluencerTotals(Observer):
    """The second default observer: each simulated creator's totals on each platform over the run.

    The per-agent results (``RunResult.agents``) and what metrics of the creators
    read (``PlatformRun.influencers``): a few array additions a day. A row is an agent
    and its numbers are those of each real creator it stands for (its group's ÷ its
    ``weight``), so the market's totals are the ``weight``-weighted sums: Σ weight ×
    posts is the daily table's posts summed over the run, Σ weight × paid its spend.
    """

    key = "agents"
    words = ("per simulated creator and platform (each of its creators; weight: how many "
             "it stands for): posts, days posted, views, sales and pay over the run")

    def start(self, model: SparkModel) -> None:
        """Zero totals, influencers × platforms."""
        shape = (len(model.influencers.audience), len(model.platforms))
        self.totals = {name: np.zeros(shape) for name in ("posts", "days_posted", "views",
                                                           "gmv", "paid")}

    def observe(self, model: SparkModel) -> None:
        """Add the day's posts, views, sales ($) and pay ($) of each of a row's creators."""
        today, posts, totals = model.today, model.influencers.posts, self.totals
        per_creator = model.influencers.weight[:, None]
        totals["posts"] += posts
        totals["days_posted"] += posts > 0
        totals["views"] += today.views / per_creator
        totals["gmv"] += today.gmv / per_creator
        totals["paid"] += today.paid / per_creator

    def result(self, model: SparkModel) -> pd.DataFrame:
        """One row per influencer and platform (influencer ids 0..I−1, platforms in order)."""
        table = model.influencers
        n, names = len(table.audience), list(model.platform_names)
        k = len(names)
        return pd.DataFrame({
            "influencer": np.repeat(np.arange(n), k),
            "platform": np.tile(np.array(names, dtype=object), n),
            "tier": np.repeat(np.asarray(TIERS, dtype=object)[table.tier.astype(np.intp)], k),
            "audience": np.repeat(table.audience, k),
            "weight": np.repeat(table.weight, k),
            "joined": (table.joined | table.quit).ravel(),
            "quit": table.quit.ravel(),
            "posts": self.totals["posts"].ravel().astype(np.int64),
            "days_posted": self.totals["days_posted"].ravel().astype(np.int64),
            **{name: self.totals[name].ravel() for name in ("views", "gmv", "paid")},
        })


DEFAULTS = (DailyTable, InfluencerTotals)
"""The observers every model has (the daily table and the per-agent totals)."""


def observed_tables(model: SparkModel, **labels: Any) -> dict[str, pd.DataFrame]:
    """Each added observer's table (not the defaults'), with ``labels`` as columns."""
    return {observer.key: observer.result(model).assign(**labels)
            for observer in model.observers if not isinstance(observer, DEFAULTS)}
