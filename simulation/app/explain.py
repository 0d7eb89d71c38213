"""The levers explained: page units, tooltips from the config schema, and problems in words.

One source: each lever's meaning, unit and source are its config field's
``description`` (the pydantic ``Field`` of :mod:`simulation.model.config` or
of its payout scheme's class), the same text the configs page of the docs
and the ODD tables are generated from; its bounds are that field's bounds.
The page shows and takes money, shares and rates as people read them
(:data:`UNITS`: dollars, per cent, millions), and says what is wrong with a
lever in those words, naming the lever and never a config key or a Python
value (:func:`check`, :func:`translate`).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import annotated_types as at
from pydantic.fields import FieldInfo

from ..errors import ConfigError
from ..model.config import MAX_SEED, Config, Invitation, Platform, Population
from ..model.payouts import SCHEMES, Phase, Start
from ..plots.labels import words as key_words
from .plan import (
    K_POLICIES,
    LABELS,
    MAX_PEOPLE,
    MAX_REPLICATES,
    MAX_WORK,
    Levers,
    fields_named,
    scheme_levers,
    scheme_settings,
)


@dataclass(frozen=True)
class Unit:
    """How a lever is shown on the page: its unit in words and page value = config value × scale."""

    words: str
    scale: str = "1"
    """A decimal string, so that 4 % ↔ 0.04 and $10 million ↔ 10 000 000 convert exactly."""
    whole: bool = False


UNITS: dict[str, Unit] = {
    "fee": Unit("$ a day"),
    "quota": Unit("posts a day", whole=True),
    "commission": Unit("% of the sales credited", "100"),
    "per_view": Unit("$ per 1 000 views"),
    "bounty": Unit("$ per new user"),
    "invited": Unit("influencers", whole=True),
    "notice_days": Unit("days", whole=True),
    "budget": Unit("$ million", "0.000001"),
    "market_size": Unit("million people", "0.000001"),
    "people": Unit("", whole=True),
    "replicates": Unit("runs of each", whole=True),
    "seed": Unit("", whole=True),
}
"""Each number lever's page unit (the switch's depends on its trigger: :data:`SWITCH_UNITS`)."""
SWITCH_UNITS: dict[str, Unit] = {
    "day": Unit("day", whole=True),
    "adoption_share": Unit("% of the market adopted", "100"),
    "spend": Unit("$ million spent", "0.000001"),
}
"""The unit of the switch's value for each trigger."""

SCHEMA: dict[str, tuple[type, str]] = {
    "policy": (Invitation, "policy"),
    "invited": (Invitation, "top_k"),
    "switch": (Phase, "start"),
    "notice_days": (Start, "notice_days"),
    "budget": (Platform, "budget"),
    "market_size": (Population, "market_size"),
    "people": (Population, "followers"),
    "seed": (Config, "seed"),
}
"""Lever → the config field it sets (section class, field name), besides the schemes' levers
(read from the scheme registry) and the switch's value (``Start``'s field of its trigger)."""

NOT_IN_CONFIG = {
    "scenario": "The shipped scenario the plan starts from: every setting the levers do not "
                "show (the people's behaviour, the influencers, the network) is its. Its "
                "description is shown below.",
    "reference": "What every plan is compared with, on the same random numbers (common "
                 "random numbers: replicate r of each plan and of the reference see the same "
                 "chance events). No payouts: the newest plan's own scenario, market and "
                 "invited influencers with nobody paid. Or a shipped scenario in the same "
                 "market.",
    "replicates": "Runs of each plan and of the reference, paired replicate by replicate: "
                  "the intervals narrow as 1/√replicates. At most 100 a click.",
}
"""The tooltips of the levers that are not config fields."""


def config_field(lever: str, trigger: str = "day") -> FieldInfo | None:
    """The config field a lever sets (None for the levers that are not config fields)."""
    if lever == "switch_at":
        return Start.model_fields[trigger if trigger in SWITCH_UNITS else "day"]
    if lever in SCHEMA:
        section, name = SCHEMA[lever]
        return section.model_fields[name]
    found = scheme_levers().get(lever)
    if found:
        return SCHEMES[found[0]].model_fields[found[1]]
    key, _, name = lever.partition(".")
    if key in SCHEMES and name in SCHEMES[key].model_fields:  # a user's scheme's own field
        return SCHEMES[key].model_fields[name]
    return None


def unit(lever: str, trigger: str = "day") -> Unit:
    """A lever's page unit."""
    if lever == "switch_at":
        return SWITCH_UNITS.get(trigger, SWITCH_UNITS["day"])
    if lever in UNITS:
        return UNITS[lever]
    field = config_field(lever)
    return Unit("", whole=field is not None and field.annotation is int)


def label(lever: str, trigger: str = "day") -> str:
    """A lever's label on the page, with its unit: ``Budget ($ million)``."""
    words = unit(lever, trigger).words
    if lever in LABELS:
        name = LABELS[lever]
    else:
        key, _, field = lever.partition(".")
        name = scheme_settings().get(key, {}).get(field, (lever, False, 1))[0]
    return f"{name} ({words})" if words else name


def tooltip(lever: str, trigger: str = "day") -> str:
    """A lever's tooltip (HTML): its meaning, unit and source, from the config schema."""
    if lever in ("launch", "after"):
        when = "from day 0" if lever == "launch" else "once the switch takes effect"
        schemes = "".join(f"<li><b>{html.escape(cls.label)}</b>: "
                          f"{html.escape(_first_line(cls.__doc__))}</li>"
                          for cls in SCHEMES.values())
        return (f"<p>The payout schemes paid {when}; several at once make a hybrid. A "
                f"phase: {html.escape(Phase.model_fields['start'].description or '')}.</p>"
                f"<ul>{schemes}</ul>")
    if lever in NOT_IN_CONFIG:
        return f"<p>{html.escape(NOT_IN_CONFIG[lever])}</p>"
    field = config_field(lever, trigger)
    text = _sentence(field.description if field is not None else "")
    if lever == "switch":
        text = (f"{_sentence(Start.__doc__ or '')} "
                + " ".join(f"{html.escape(_option(name))}: "
                           f"{_sentence(Start.model_fields[name].description or '')}"
                           for name in SWITCH_UNITS))
        return f"<p>{text}</p>"
    words = unit(lever, trigger).words
    shown = (" Entered as a day: days since launch." if words == "day"
             else f" Entered in {words}." if words else "")
    return f"<p>{html.escape(text)}{html.escape(shown)}</p>"


# --- page units ----------------------------------------------------------------------


def to_page(lever: str, value: Any, trigger: str = "day") -> Any:
    """A config value in the lever's page unit (exactly: 0.04 → 4, 10 000 000 → 10)."""
    scale = unit(lever, trigger).scale
    if not isinstance(value, int | float) or isinstance(value, bool) or scale == "1":
        return value
    shown = float(Decimal(repr(float(value))) * Decimal(scale))
    return int(shown) if shown.is_integer() else shown


def from_page(lever: str, value: Any, trigger: str = "day") -> Any:
    """A page value in config units; a whole-number lever's whole value as int."""
    info = unit(lever, trigger)
    if not isinstance(value, int | float) or isinstance(value, bool):
        return value
    if info.scale != "1":
        value = float(Decimal(repr(float(value))) / Decimal(info.scale))
    if info.whole and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def amount(lever: str, page_value: float, trigger: str = "day") -> str:
    """A page value with its unit, as read: ``$40 a day``, ``4%``, ``85 million people``."""
    return say(page_value, unit(lever, trigger).words)


def say(value: float, words: str) -> str:
    """A number with a unit: ``$`` before it, ``%`` right after, ``day`` before it."""
    number = _figure(value)
    sign, number = ("−", number[1:]) if number.startswith("-") else ("", number)
    number = sign + number
    if words.startswith("$"):
        sign, number = ("−", number[1:]) if number.startswith("−") else ("", number)
        rest = words[1:].strip()
        return f"{sign}${number}{' ' + rest if rest else ''}"
    if words.startswith("%"):
        return f"{number}%{words[1:]}"
    if words == "day":
        return f"day {number}"
    return f"{number} {words}".strip()


def _figure(value: float) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.6g}" if abs(value) < 1e15 else f"{value:.3g}"
    if abs(value) >= 1e15:
        return f"{float(value):.3g}"
    return f"{int(value):,}"


# --- problems in words -------------------------------------------------------------


class LeverError(ConfigError):
    """Levers the page cannot run with: lever → what is wrong, in words (no config keys)."""

    def __init__(self, problems: dict[str, str], trigger: str = "day") -> None:
        self.problems = problems
        self.trigger = trigger
        super().__init__("; ".join(f"{label(lever, trigger).split(' (')[0]}: {words}"
                                   if lever else words for lever, words in problems.items()))

    def labels(self) -> list[str]:
        """The labels of the levers the problems are about, in order."""
        return [label(lever, self.trigger).split(" (")[0] for lever in self.problems if lever]


def relevant(levers: Levers) -> list[str]:
    """The number levers that matter for these levers (the others are hidden on the page)."""
    paid = set(levers.launch) | (set(levers.after) if levers.switch != "none" else set())
    found = [lever for lever, (key, _) in scheme_levers().items() if key in paid]
    found += [f"{key}.{name}" for key, names in scheme_settings().items() if key in paid
              for name in names]
    if levers.policy in K_POLICIES:
        found.append("invited")
    if levers.switch != "none":
        found += ["switch_at", "notice_days"]
    return [*found, "budget", "market_size", "people", "replicates", "seed"]


def check(levers: Levers) -> None:
    """A :class:`LeverError` naming every lever shown whose value cannot be run, in words.

    Each lever's bounds are its config field's (with the app's own limits on
    people, replicates and seed); a cleared field is "empty".
    """
    trigger = levers.switch
    problems = {}
    for lever in relevant(levers):
        value = _value(levers, lever)
        low, high = _bounds(lever, trigger)
        problem = _problem(lever, value, low, high, trigger)
        if problem:
            problems[lever] = problem
    people, market = levers.people, levers.market_size
    if not problems.keys() & {"people", "market_size"} and people > market:
        problems["people"] = (
            f"{amount('people', people)} people simulated is more than the whole market "
            f"({amount('market_size', to_page('market_size', market))}): the people "
            "simulated are a sample of the market; lower them or raise the market")
    if problems:
        raise LeverError(problems, trigger)


def check_work(people: int, horizon: int, replicates: int, scenarios: int) -> None:
    """A :class:`LeverError` if a click's new runs exceed :data:`MAX_WORK` person-days."""
    runs = scenarios * replicates
    work = runs * people * horizon
    if work > MAX_WORK:
        raise LeverError({"replicates": (
            f"{runs} runs of {people:,} people over {horizon} days is {work:,} person-days; "
            f"the app runs at most {MAX_WORK:,} a click (a minute or two): lower the "
            "replicates or the people simulated, or use sparksim sweep for more"),
            "people": "too many together with the replicates (see Replicates)"})


def translate(err: ConfigError, trigger: str = "day") -> LeverError:
    """A config's error message in the page's words: each config key becomes its lever's label.

    For the rare problem the page's own checks (:func:`check`) do not foresee.
    """
    if isinstance(err, LeverError):
        return err
    text = str(err).removeprefix("invalid config: ")
    named = fields_named(text)
    levers = [lever for lever, name in LABELS.items() if name in named]

    def plain(match: re.Match[str]) -> str:
        key = match.group()
        for lever, name in LABELS.items():
            if lever in levers and name in fields_named(key):
                return name
        return key_words(key)[0]

    words = re.sub(r"\b[A-Za-z_]\w*(?:\.\w+)+\b", plain, text)
    words = re.sub(r"\bNone\b", "empty", words)
    words = re.sub(r"\bTrue\b", "yes", re.sub(r"\bFalse\b", "no", words))
    words = words.replace("'", "").replace("`", "")
    return LeverError({levers[0] if levers else "": words}, trigger)


def _value(levers: Levers, lever: str) -> Any:
    if "." in lever:
        key, _, name = lever.partition(".")
        return levers.settings.get(key, {}).get(name)
    return getattr(levers, lever)


def _bounds(lever: str, trigger: str) -> tuple[tuple[float, bool] | None,
                                               tuple[float, bool] | None]:
    """(lowest, inclusive?) and (highest, inclusive?) in config units, None where unbounded."""
    if lever == "replicates":
        return (1, True), (MAX_REPLICATES, True)
    if lever == "seed":
        return (0, True), (MAX_SEED, True)
    low = high = None
    field = config_field(lever, trigger)
    for rule in field.metadata if field is not None else ():
        if isinstance(rule, at.Ge):
            low = (rule.ge, True)
        elif isinstance(rule, at.Gt):
            low = (rule.gt, False)
        elif isinstance(rule, at.Le):
            high = (rule.le, True)
        elif isinstance(rule, at.Lt):
            high = (rule.lt, False)
    if lever == "people" and (high is None or high[0] > MAX_PEOPLE):
        high = (MAX_PEOPLE, True)  # the app's limit: a click's runs stay short
    return low, high


def _problem(lever: str, value: Any, low: tuple[float, bool] | None,
             high: tuple[float, bool] | None, trigger: str) -> str | None:
    info = unit(lever, trigger)
    allowed = _allowed(lever, low, high, trigger)
    if value is None:
        return f"empty; enter {allowed}"
    if not isinstance(value, int | float) or isinstance(value, bool):
        return f"not a number; enter {allowed}"
    shown = amount(lever, to_page(lever, value, trigger), trigger)
    if info.whole and not float(value).is_integer():
        return f"{shown} is not a whole number; enter {allowed}"
    if low is not None and (value < low[0] or (value == low[0] and not low[1])):
        return f"{shown} is too low; enter {allowed}"
    if high is not None and (value > high[0] or (value == high[0] and not high[1])):
        limit = (" (the app's limit: a click's runs stay within a minute or two; "
                 "use sparksim sweep for more)" if lever in ("replicates", "people") else "")
        return f"{shown} is too high; enter {allowed}{limit}"
    return None


def _allowed(lever: str, low: tuple[float, bool] | None, high: tuple[float, bool] | None,
             trigger: str) -> str:
    """What a lever takes, in its page unit: ``a number from $0 to $10,000,000 a day``."""
    words = unit(lever, trigger).words
    kind = "a whole number" if unit(lever, trigger).whole else "a number"

    def shown(bound: tuple[float, bool], bare: bool = False) -> str:
        value = to_page(lever, bound[0], trigger)
        if bare and words and words[0] in "$%":  # the unit's words once, after the range
            return say(value, words[0])
        return say(value, words if not bare or words == "day" else "")

    if low and high:
        first = "from" if low[1] else "above"
        last = "to" if low[1] and high[1] else "up to" if high[1] else "below"
        return f"{kind} {first} {shown(low, bare=True)} {last} {shown(high)}"
    if low:
        return f"{kind} of {shown(low)} or more" if low[1] else f"{kind} above {shown(low)}"
    if high:
        return f"{kind} up to {shown(high)}" if high[1] else f"{kind} below {shown(high)}"
    return kind


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        return ""
    if "_" not in text.split()[0]:  # a config key stays as written
        text = text[0].upper() + text[1:]
    return text if text.endswith(".") else f"{text}."


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0] if text else ""


def _option(trigger: str) -> str:
    from .plan import TRIGGERS

    return TRIGGERS[trigger][0].upper() + TRIGGERS[trigger][1:]
