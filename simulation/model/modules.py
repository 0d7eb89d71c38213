"""Modules: the parts a model's day is assembled from, after Starsim's ``Module`` and ``Loop``.

A :class:`Module` declares, as class attributes, what it owns and what it does:

- ``key`` and ``words``: its name and the state it owns, in words;
- ``reads``: the config sections it reads;
- ``stages``: its methods that run in the day, each with an order (a number:
  the day runs every present module's stages sorted by it);
- ``columns``: the daily columns it fills (:meth:`record` gives their values
  for one platform and day);
- ``metrics``: the summary metrics computed from those columns;
- ``results``: the per-agent results it produces (observer keys).

:meth:`Module.present` says whether a config needs the module at all: a model
with no influencers has no influencer module, so no stage asks whether there
are influencers. The model builds the present modules and runs their stages in
the order they declare, one order a stage (:func:`assemble`): a module's
set-up reads only the world the model built (the people, the creators and
their graphs) and the config, never another module, so the order modules are
built in changes nothing;
``model.plan()`` prints that day. Stages hand each other the day's numbers
only through the :class:`~simulation.model.day.Day`; what lasts from day to
day is the state of the module that owns it.

A new module is one subclass: setting ``key`` registers it in :data:`MODULES`,
checked as it is defined (a key taken, a stage that is not a method, an order
that is not a number, a stage name another module has is a
:class:`~simulation.model.sections.RegistryError`).

Owns: :class:`Module`, the registry :data:`MODULES`, :func:`assemble` and
:class:`DayPlan`.
"""

from __future__ import annotations

import itertools
import numbers
from typing import TYPE_CHECKING, Any, ClassVar

from .sections import RegistryError, register_class

if TYPE_CHECKING:
    from .config import Config
    from .day import Day
    from .spark_model import SparkModel


class Module:
    """One part of the model. Subclass it and set ``key`` to register it (see the module)."""

    key: ClassVar[str]
    """Registry key, and the name in ``model.modules`` and ``model.plan()``."""
    words: ClassVar[str] = ""
    """The state it owns, in words (for ``model.plan()`` and the docs)."""
    reads: ClassVar[tuple[str, ...]] = ()
    """Config sections it reads (dotted keys)."""
    stages: ClassVar[dict[str, float]] = {}
    """Its stages: method name → order in the day (lower runs first)."""
    columns: ClassVar[tuple[str, ...]] = ()
    """Daily columns it fills (names of ``simulation.COLUMNS``), with :meth:`record`."""
    metrics: ClassVar[tuple[str, ...]] = ()
    """Summary metrics read from its columns (keys of ``simulation.METRICS``)."""
    results: ClassVar[tuple[str, ...]] = ()
    """Per-agent results it produces (observer keys, e.g. ``agents``)."""

    def __init__(self, model: SparkModel):
        self.model = model

    def __init_subclass__(cls, replace: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "key" in cls.__dict__:
            register_module(cls, replace=replace)

    @classmethod
    def column_names(cls) -> tuple[str, ...]:
        """Its daily columns: ``columns``, or what a registry gives (the spend columns)."""
        return cls.columns

    @classmethod
    def present(cls, config: Config) -> bool:
        """Whether a run of ``config`` needs this module (default: always)."""
        return True

    def record(self, today: Day, k: int) -> dict[str, float]:
        """Its daily columns' values on platform ``k`` today (market units)."""
        return {}


MODULES: dict[str, type[Module]] = {}
"""The registry: key → module class, in the order they are built."""


def module_problem(cls: type[Module]) -> str | None:
    """What a module class lacks to be registered (None if nothing)."""
    if not isinstance(cls.words, str) or not cls.words.strip():
        return f"it must set 'words', what it owns in words (given: {cls.words!r})"
    if not isinstance(cls.stages, dict):
        return f"'stages' must map method names to orders (given: {cls.stages!r})"
    for name, order in cls.stages.items():
        if not callable(getattr(cls, name, None)):
            return f"stage {name!r} is not a method of {cls.__name__}"
        if not isinstance(order, numbers.Real) or isinstance(order, bool):
            return f"stage {name!r} has order {order!r}; allowed: a number"
        for other in MODULES.values():
            if other.key != cls.key and name in other.stages:
                return (f"stage {name!r} is already module {other.key!r}'s; "
                        "give the stage another name")
    return None


def register_module(cls: type[Module], *, replace: bool = False) -> None:
    """Add a module class to :data:`MODULES` (done when a subclass sets ``key``), checked."""
    register_class(MODULES, cls, "module", module_problem, replace=replace)


def assemble(model: SparkModel) -> tuple[dict[str, Module], list[tuple[str, Module]]]:
    """The modules a model's config needs, by key (in the order they first act), and its day.

    Two stages with the same order are a RegistryError: the day has one order.
    """
    import_built_in()
    check_scheme_states(model.config)
    present = sorted((cls for cls in MODULES.values() if cls.present(model.config)),
                     key=lambda cls: min(cls.stages.values(), default=float("inf")))
    check_columns(present)
    modules = {cls.key: cls(model) for cls in present}  # in the order they first act
    ordered = sorted((order, name, module) for module in modules.values()
                     for name, order in module.stages.items())
    for (order, name, module), (after, other_name, other) in itertools.pairwise(ordered):
        if order == after:
            raise RegistryError(
                f"stages {module.key}.{name} and {other.key}.{other_name} both have order "
                f"{order:g}: give one of them another order, so the day has one order")
    return modules, [(name, module) for _, name, module in ordered]


def check_columns(present: list[type[Module]]) -> None:
    """A RegistryError unless each module's columns are daily columns no other module fills."""
    from .metrics import daily_columns

    known, owner = daily_columns(), {}
    for cls in present:
        for column in cls.column_names():
            if column not in known:
                raise RegistryError(
                    f"module {cls.key!r} declares column {column!r}, which is not a daily "
                    f"column; allowed: {', '.join(known)}")
            if column in owner:
                raise RegistryError(f"modules {owner[column]!r} and {cls.key!r} both declare "
                                    f"column {column!r}; a column has one owner")
            owner[column] = cls.key


def check_scheme_states(config: Config) -> None:
    """A RegistryError if a scheme a phase pays keeps its contracts in a module not registered."""
    from .payouts import SCHEMES, schemes_used

    for key in sorted(schemes_used(config)):
        state = SCHEMES[key].state
        if state is not None and state not in MODULES:
            raise RegistryError(
                f"scheme {key!r} keeps its contracts in module {state!r}, which is not "
                f"registered (registered: {', '.join(MODULES)}); define that Module subclass "
                "before running a config that pays the scheme")


BUILT_IN = ("population", "platforms", "slots", "influencers", "attribution", "commerce")
"""The package's files that define modules (each registers its own on import)."""


def import_built_in() -> None:
    """Import the package's own modules, so they are registered."""
    import importlib

    for name in BUILT_IN:
        importlib.import_module(f"{__package__}.{name}")


class DayPlan:
    """The day of one model, printable: one stage a line, then the observers."""

    def __init__(self, name: str, stages: list[tuple[str, str, str]],
                 observers: list[tuple[str, str]]):
        self.name, self.stages, self.observers = name, stages, observers

    @property
    def names(self) -> list[str]:
        """The stages' names, in order."""
        return [name for name, _, _ in self.stages]

    def __str__(self) -> str:
        width = max((len(name) for name, _, _ in self.stages), default=0)
        owner_width = max((len(owner) for _, owner, _ in self.stages), default=0)
        lines = [f"the day of {self.name!r}:"]
        lines += [f"{i:>2}. {name:<{width}}  {owner:<{owner_width}}  {words}"
                  for i, (name, owner, words) in enumerate(self.stages, start=1)]
        lines += [f"then observe: {key}: {words}" for key, words in self.observers]
        return "\n".join(lines)

    __repr__ = __str__


def first_line(method: object) -> str:
    """A stage's docstring's first line."""
    return ((getattr(method, "__doc__", "") or "").strip().splitlines() or [""])[0]
