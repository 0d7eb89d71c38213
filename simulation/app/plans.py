"""A visitor's plans: every run kept by name, up to six pinned, saved and loaded as TOML.

A :class:`Plan` is the levers a strategist ran and the config they made.
:class:`Plans` holds one browser session's, in the order made, and which are
pinned (compared together against the reference, at most
:data:`~simulation.app.plan.MAX_PINNED`). A plan saved as TOML
(:func:`plan_toml`) is its config, which ``sparksim run`` takes as it is,
headed by a comment line the page reads back (:func:`read_plan`): the
plan's name, the scenario it started from, the reference and the runs.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace

from ..errors import ConfigError
from ..model.config import Config, load_config
from . import scenarios
from .plan import MAX_PINNED, NO_PAYOUTS, Levers, levers_from, plan_config

RESERVED = "reference"
"""The reference's name in every comparison: no plan may take it."""
MAX_NAME = 40
"""Characters of a plan's name at most (it labels a legend and a table row)."""
MAX_PLANS = 50
"""Plans a session keeps at most; the oldest unpinned go first."""
MAX_FILE_BYTES = 1_000_000
"""The largest plan file the page reads (a plan is a few kilobytes)."""
HEADER = "# sparksim app: "
"""The comment line that opens a saved plan, with its page settings as JSON."""


@dataclass
class Plan:
    """A plan: its name, the levers it was run with, and its config."""

    name: str
    levers: Levers
    config: Config


@dataclass
class Plans:
    """One session's plans, in the order made, and the pinned ones' names."""

    plans: dict[str, Plan] = field(default_factory=dict)
    pinned: list[str] = field(default_factory=list)
    made: int = 0

    def next_name(self) -> str:
        """A free default name: ``Plan N``."""
        n = self.made + 1
        while f"Plan {n}" in self.plans:
            n += 1
        return f"Plan {n}"

    def add(self, plan: Plan) -> list[str]:
        """Keep a plan (replacing one of its name) and pin it; the names it unpinned.

        Past :data:`~simulation.app.plan.MAX_PINNED` pinned, the oldest pinned is unpinned.
        """
        self.made += 1
        self.plans.pop(plan.name, None)
        self.plans[plan.name] = plan
        if plan.name in self.pinned:
            self.pinned.remove(plan.name)
        self.pinned.append(plan.name)
        unpinned = self.pinned[:-MAX_PINNED] if len(self.pinned) > MAX_PINNED else []
        self.pinned = self.pinned[-MAX_PINNED:]
        for name in [n for n in self.plans if n not in self.pinned][
                :max(0, len(self.plans) - MAX_PLANS)]:
            del self.plans[name]
        return unpinned

    def pin(self, names: list[str]) -> None:
        """Pin these plans (in the order made); a ConfigError past the limit, in words."""
        if len(names) > MAX_PINNED:
            raise ConfigError(f"{len(names)} plans pinned: at most {MAX_PINNED} are compared at "
                              "once; unpin one first")
        self.pinned = [name for name in self.plans if name in names]

    def compared(self) -> list[Plan]:
        """The pinned plans, in the order made."""
        return [self.plans[name] for name in self.plans if name in self.pinned]


def check_name(name: str, taken: dict[str, Plan] | None = None) -> str:
    """A plan's name, trimmed; a ConfigError in words if it cannot name a plan."""
    name = " ".join(str(name).split())
    if not name:
        raise ConfigError("the plan's name is empty: give it a name, such as Plan 2")
    if name.lower() == RESERVED:
        raise ConfigError(f"a plan cannot be called {RESERVED!r}: that is what plans are "
                          "compared with; choose another name")
    if len(name) > MAX_NAME:
        raise ConfigError(f"the plan's name has {len(name)} characters: at most {MAX_NAME}")
    return name


def plan_toml(plan: Plan) -> str:
    """A plan as TOML: its config (``sparksim run`` takes it), headed by the page's settings."""
    settings = {"plan": plan.name, "levers": asdict(plan.levers)}
    return (f"# The plan {plan.name!r}, saved by the sparksim web app. Run it with "
            "`sparksim run`, or load it in the app.\n"
            f"{HEADER}{json.dumps(settings, ensure_ascii=False)}\n" + plan.config.to_toml())


@dataclass
class Loaded:
    """A plan file read back: its name, levers and the scenario they apply to."""

    name: str
    levers: Levers
    base: Config
    """The config the levers apply to: the shipped scenario named, or the file's own."""
    uploaded: bool
    """Whether ``base`` is the file's own config (not a shipped scenario)."""
    description: str


def read_plan(data: bytes, filename: str, current: Levers) -> Loaded:
    """A plan (or any config) file read into levers; a ConfigError in words if it cannot be.

    A plan the page saved carries its levers in its header: they are taken
    as they were (hidden ones too) when, applied to the shipped scenario they
    name, they make the file's config; the levers then apply to that
    scenario. Any other config file is read into levers (its first platform,
    people simulated and market; ``current``'s replicates and seed) that
    apply to the file's own config.
    """
    name = filename or "the file"
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError(f"{name} is {len(data):,} bytes; a plan file is at most "
                          f"{MAX_FILE_BYTES:,}: is it the right file?")
    try:
        text = data.decode("utf-8")
        raw = tomllib.loads(text)
    except UnicodeDecodeError:
        raise ConfigError(f"{name} is not a text file: choose a plan saved as TOML by this "
                          "page or a sparksim config") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{name} is not a TOML file the page can read ({err}): choose a "
                          "plan saved by this page or a sparksim config") from None
    try:
        config = load_config(raw)
    except ConfigError as err:
        raise ConfigError(f"{name} is not a config the model can run: "
                          f"{str(err).removeprefix('invalid config: ')}") from None
    settings = _header(text)
    plan_name = str(settings.get("plan") or re.sub(r"\.toml$", "", name))[:MAX_NAME]
    saved = _levers(settings.get("levers"))
    comment = "\n".join(line for line in text.splitlines() if not line.startswith(HEADER))
    description = scenarios.opening_comment(comment) or f"The config in {name}."
    if saved is not None and saved.scenario in scenarios.shipped():
        shipped = scenarios.load(saved.scenario)
        if _makes(shipped, saved, config):  # the page's own plan: its levers, exactly
            return Loaded(plan_name, saved, shipped, False, scenarios.description(saved.scenario))
    if saved is not None and _makes(config, saved, config):
        return Loaded(plan_name, saved, config, True, description)
    levers = replace(levers_from(config, current), people=config.population.followers)
    return Loaded(plan_name, levers, config, True, description)


def _levers(saved: object) -> Levers | None:
    """The levers a saved plan's header holds (None if it holds none the page can use)."""
    if not isinstance(saved, dict) or set(saved) != {f.name for f in fields(Levers)}:
        return None
    levers = Levers(**saved)
    if levers.reference not in (NO_PAYOUTS, *scenarios.names()):
        levers.reference = NO_PAYOUTS
    return levers


def _makes(base: Config, levers: Levers, config: Config) -> bool:
    """Whether the levers applied to ``base`` make ``config``."""
    try:
        return _same(plan_config(base, levers), config)
    except (ConfigError, TypeError, ValueError):
        return False


def _header(text: str) -> dict:
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        if line.startswith(HEADER):
            try:
                found = json.loads(line[len(HEADER):])
            except json.JSONDecodeError:
                return {}
            return found if isinstance(found, dict) else {}
    return {}


def _same(a: Config, b: Config) -> bool:
    """Whether two configs run the same (phase and config names aside)."""
    first, second = a.model_dump(), b.model_dump()
    for dump in (first, second):
        dump.pop("name")
        for platform in dump["platforms"]:
            for phase in platform["phases"]:
                phase.pop("name")
    return first == second
