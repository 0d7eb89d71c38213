"""The levers a strategist sets, and the plan and reference configs they make.

A :class:`Levers` holds the page's values in config units. :func:`plan_config`
applies them to the first platform of a scenario (everything they do not
name is kept), :func:`reference_config` gives what the plan is compared with
(by default the same config without payouts), and :func:`fields_named` turns
a :class:`~simulation.ConfigError` into the labels of the levers it is about.

The schemes come from the scheme registry: their keys and labels
(:func:`scheme_options`), the page levers each declares (``Scheme.levers``:
``fee``, ``quota``, ``commission``, ``per_view``, ``bounty``) and, for a scheme
without page levers (a user's), one lever per number field
(:func:`scheme_settings`, held in ``Levers.settings``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Any

from ..errors import ConfigError
from ..model.config import Config, check_seed, load_config, plain
from ..model.payouts import SCHEMES


def scheme_keys() -> tuple[str, ...]:
    """The schemes the page pays, in the order shown: the scheme registry's."""
    return tuple(SCHEMES)


def scheme_options() -> dict[str, str]:
    """Each scheme's label on the page → its config key (a user's scheme included)."""
    return {cls.label: key for key, cls in SCHEMES.items()}


def scheme_levers() -> dict[str, tuple[str, str]]:
    """Lever → (scheme key, field it sets), from each scheme's ``levers``.

    Only the page's levers (fields of :class:`Levers`); a scheme without them is paid
    at its scenario's settings, else its defaults.
    """
    page = {f.name for f in fields(Levers)}
    return {lever: (key, name) for key, cls in SCHEMES.items()
            for lever, name in cls.levers.items() if lever in page}


def scheme_settings() -> dict[str, dict[str, tuple[str, bool, float]]]:
    """The number fields of each scheme without page levers (a user's): its own levers.

    Scheme key → field → (label on the page, whole number?, widget step); the label
    is the scheme's label and the field's first words (its description up to a ';');
    the step is 1 for whole numbers, else a tenth of the default (0.1 if it is 0).
    """
    with_levers = {key for key, _ in scheme_levers().values()}
    settings: dict[str, dict[str, tuple[str, bool, float]]] = {}
    for key, cls in SCHEMES.items():
        if key in with_levers:
            continue
        numbers = {name: info for name, info in cls.model_fields.items()
                   if info.annotation in (int, float)
                   and isinstance(info.default, int | float)}
        settings[key] = {
            name: (f"{cls.label.capitalize()}: {(info.description or name).split(';')[0]}",
                   info.annotation is int,
                   1.0 if info.annotation is int else abs(info.default) / 10 or 0.1)
            for name, info in numbers.items()}
    return {key: found for key, found in settings.items() if found}


POLICIES = {
    "top_k": "the k largest audiences (hubs)",
    "bottom_k": "the k smallest audiences (fringe)",
    "random_k": "k at random",
    "open": "open to all",
    "tiers": "the largest per tier (as in the scenario)",
    "random_share": "a random share (as in the scenario)",
}
"""Invitation policy → what it means."""
TRIGGERS = {
    "none": "no switch",
    "day": "on a day",
    "adoption_share": "at an adoption share",
    "spend": "when spend reaches ($)",
}
"""How the plan switches to its second payout phase → what it means."""
K_POLICIES = ("top_k", "bottom_k", "random_k")
"""The invitation policies that invite k influencers."""
NO_PAYOUTS = "no payouts"
"""The default reference: the plan's own config with no payout phases."""

LABELS = {
    "scenario": "Start from scenario",
    "reference": "Compare with",
    "launch": "Pay at launch",
    "after": "Pay after the switch",
    "fee": "Flat fee",
    "quota": "Quota for the fee",
    "commission": "Commission",
    "per_view": "Per-view rate",
    "bounty": "Bounty",
    "policy": "Invite",
    "invited": "Number invited",
    "switch": "Switch",
    "switch_at": "Switch at",
    "notice_days": "Notice",
    "budget": "Budget",
    "market_size": "Market",
    "people": "People simulated",
    "replicates": "Replicates",
    "seed": "Seed",
}
"""Lever → its name on the page (its unit is added there: :data:`~simulation.app.explain.UNITS`)."""
KEYS = {
    "fee": r"(?<!\w)flat_fee\.(fee|tier_fees)\b",
    "quota": r"(?<!\w)flat_fee\.posts_per_day\b",
    "commission": r"(?<!\w)commission\.rate\b",
    "per_view": r"(?<!\w)per_view\.rate_per_1000\b",
    "bounty": r"(?<!\w)per_adopter\.bounty\b",
    "policy": r"invitation\.policy\b",
    "invited": r"invitation\.top_k\b",
    "switch_at": r"start\.(day|adoption_share|spend)\b",
    "notice_days": r"start\.notice_days\b",
    "budget": r"platforms\.0\.budget\b",
    "market_size": r"population\.market_size\b",
    "people": r"population\.followers\b",
    "replicates": r"^replicates\b",
    "seed": r"^seed\b",
}
"""Lever → the config keys (a pattern) it sets, to name it in an error message."""
MAX_REPLICATES = 100
"""Replicates a click runs at most: intervals narrow as 1/√replicates, so 100 already give
a tenth of one replicate's spread; bigger comparisons belong in ``sparksim sweep``."""
MAX_PINNED = 6
"""Plans compared at once (pinned): six plans and the reference fit one table and one legend."""
MAX_RUNS_PER_CLICK = (MAX_PINNED + 1) * MAX_REPLICATES
"""Runs a comparison holds at most: the pinned plans and the reference, once per replicate
(a click runs only those not run before, within :data:`MAX_WORK`)."""
MAX_PEOPLE = 1_000_000
"""People a run simulates at most in the app: a comparison of that size takes 10–30 s and
0.6 GB on one core (measured: 2 runs of the baseline, 12–22 s), and the server runs a few
visitors' comparisons at once. ``sparksim run`` takes more, after its memory check."""
MAX_WORK = 4_000_000_000
"""Person-days a click simulates at most (runs × people × horizon days): about a minute or
two on one core (the baseline measured 1.6–3 × 10⁻⁸ s per person-day), so a visitor's
comparison holds one of the server's few run slots for minutes, not hours. The defaults
(6 runs of 10 000 people over 365 days) are 22 000 000."""


@dataclass
class Levers:
    """What a strategist sets on the page, in config units."""

    scenario: str = "baseline"
    reference: str = NO_PAYOUTS
    launch: list[str] = field(default_factory=lambda: ["flat_fee"])
    fee: float | None = 40.0
    quota: int | None = 3
    commission: float | None = 0.04
    per_view: float | None = 1.0
    bounty: float | None = 3.0
    policy: str = "top_k"
    invited: int | None = 200
    switch: str = "adoption_share"
    switch_at: float | None = 0.05
    notice_days: int | None = 14
    after: list[str] = field(default_factory=lambda: ["commission"])
    budget: float | None = 10_000_000.0
    market_size: float | None = 85_000_000.0
    people: int | None = 10_000
    replicates: int | None = 3
    seed: int | None = 0
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The number fields of schemes without page levers (:func:`scheme_settings`):
    scheme key → field → value."""


def levers_from(config: Config, levers: Levers) -> Levers:
    """``levers`` with a scenario's values.

    Its first platform's payouts, invitation and budget, and its market size;
    people simulated, replicates and seed are kept.
    """
    platform = config.platforms[0]
    phases = platform.phases
    values: dict[str, Any] = {
        "launch": _schemes_of(phases[0]) if phases else [],
        "after": _schemes_of(phases[1]) if len(phases) > 1 else [],
        "policy": platform.invitation.policy, "invited": platform.invitation.top_k,
        "budget": platform.budget, "market_size": config.population.market_size,
        "switch": "none", "switch_at": None, "notice_days": 0,
    }
    if len(phases) > 1:
        start = phases[1].start
        values["switch"] = next(k for k in TRIGGERS
                                if k != "none" and getattr(start, k) is not None)
        values["switch_at"] = getattr(start, values["switch"])
        values["notice_days"] = start.notice_days
    sections = _sections(config.model_dump(mode="json", exclude_none=True)["platforms"][0])
    for lever, (key, name) in scheme_levers().items():
        values[lever] = _setting(sections, key, name)
    values["settings"] = {key: {name: _setting(sections, key, name) for name in names}
                          for key, names in scheme_settings().items()}
    return Levers(**{**vars(levers), **values})


def plan_config(base: Config, levers: Levers) -> Config:
    """The plan: ``base`` with the levers applied to its first platform and its population.

    The launch phase pays ``levers.launch`` from day 0; with a switch, a second
    phase pays ``levers.after``. Scheme settings the page does not show
    (slots, contract and offer days) come from the scenario. Larger tiers'
    flat fees keep the scenario's multiples of the flat fee.

    Raises:
        ConfigError: a bad value, naming its config key.
    """
    raw = plain(base)
    platform = raw["platforms"][0]
    sections = _sections(platform)
    for lever, (key, name) in scheme_levers().items():
        sections[key] = {**sections.get(key, {}), name: getattr(levers, lever)}
    for key, values in levers.settings.items():
        sections[key] = {**sections.get(key, {}), **values}
    if "flat_fee" in sections:
        sections["flat_fee"]["tier_fees"] = tier_fees(raw["platforms"][0], levers.fee)
    phases = [_phase(levers.launch, sections, {"day": 0})]
    if levers.switch != "none":
        at = levers.switch_at
        if levers.switch == "day" and isinstance(at, float) and at.is_integer():
            at = int(at)
        phases.append(_phase(levers.after, sections,
                             {levers.switch: at, "notice_days": levers.notice_days}))
    no_payouts = not levers.launch and levers.switch == "none"
    platform["phases"] = [] if no_payouts else phases
    platform["invitation"] |= {"policy": levers.policy, "top_k": levers.invited}
    platform["budget"] = levers.budget
    raw["population"] |= {"followers": levers.people, "market_size": levers.market_size}
    return load_config(raw)


def reference_config(plan: Config, levers: Levers, base: Config | None = None) -> Config:
    """What the plan is compared with.

    ``plan`` with no payouts on its first platform, or the shipped scenario
    ``base`` (named by ``levers.reference``) in the plan's market.
    """
    if levers.reference == NO_PAYOUTS or base is None:
        return load_config(plan, {"platforms.0.phases": []})
    return load_config(base, {"population.followers": plan.population.followers,
                              "population.market_size": plan.population.market_size})


def check_runs(levers: Levers) -> None:
    """A ConfigError unless replicates, seed and people are whole numbers within the app's limits.

    Replicates in 1..:data:`MAX_REPLICATES`, a seed as ``sparksim`` takes it,
    and people at most :data:`MAX_PEOPLE` (the config checks the rest).
    """
    replicates = levers.replicates
    if not _whole(replicates) or not 1 <= replicates <= MAX_REPLICATES:
        raise ConfigError(
            f"replicates = {replicates!r}: must be a whole number in 1..{MAX_REPLICATES} "
            f"in the app ({2 * MAX_REPLICATES} runs a click: plan and reference for each); "
            "use `sparksim sweep` or simulation.compare for more")
    check_seed(levers.seed)
    if _whole(levers.people) and levers.people > MAX_PEOPLE:
        raise ConfigError(
            f"population.followers = {levers.people}: the app simulates at most "
            f"{MAX_PEOPLE:,} people (a comparison of that size takes 10–30 s and 0.6 GB); "
            "use `sparksim run` for more, which checks memory first")


def check_work(plan: Config, replicates: int, scenarios: int = 2) -> None:
    """A ConfigError if a click's runs (``scenarios`` configs × replicates) exceed :data:`MAX_WORK`.

    ``scenarios`` counts the configs the click runs: the plan and its reference by
    default; the page counts those not already run (:mod:`~simulation.app.cache`).
    """
    runs = scenarios * replicates
    work = runs * plan.population.followers * plan.horizon_days
    if work > MAX_WORK:
        raise ConfigError(
            f"replicates = {replicates} with population.followers = "
            f"{plan.population.followers:,}: {runs} runs of {plan.horizon_days} days is "
            f"{work:,} person-days; the app runs at most {MAX_WORK:,} a click (a minute or "
            "two on one core): lower one, or use `sparksim sweep` for more")


def fields_named(message: str) -> list[str]:
    """The labels of the levers an error message is about, in the order it names them."""
    keys, labels = dict(KEYS), dict(LABELS)
    for key, names in scheme_settings().items():  # a user's scheme's own levers
        for name, (label, _, _) in names.items():
            keys[f"{key}.{name}"] = rf"(?<!\w){key}\.{name}\b"
            labels[f"{key}.{name}"] = label
    found = {}
    for lever, pattern in keys.items():
        for token in re.finditer(r"[A-Za-z_][\w.]*", message):
            if re.search(pattern, token.group()):
                found.setdefault(lever, token.start())
    return [labels[lever] for lever in sorted(found, key=found.get)]


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _schemes_of(phase: Any) -> list[str]:
    return [s.key for s in phase.schemes()]


def _setting(sections: dict[str, dict[str, Any]], key: str, name: str) -> Any:
    """A scheme's field as a platform's sections set it, else the scheme's default."""
    defaults = {field_name: info.default for field_name, info in SCHEMES[key].model_fields.items()}
    return sections.get(key, {}).get(name, defaults[name])


def _sections(platform: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each scheme's settings in the first phase that pays it."""
    sections: dict[str, dict[str, Any]] = {}
    for phase in platform.get("phases", []):
        for key in SCHEMES:
            if key in phase:
                sections.setdefault(key, dict(phase[key]))
    return sections


def tier_fees(platform: dict[str, Any], fee: Any) -> dict[str, Any]:
    """The scenario's tier fees, scaled by the new flat fee over the scenario's."""
    section = _sections(platform).get("flat_fee", {})
    tiers, old = section.get("tier_fees", {}), section.get("fee")
    if not isinstance(fee, int | float) or not old or fee == old:
        return dict(tiers)
    return {tier: round(value * fee / old, 2) for tier, value in tiers.items()}


def _phase(keys: list[str], sections: dict[str, dict[str, Any]],
           start: dict[str, Any]) -> dict[str, Any]:
    name = " + ".join(SCHEMES[k].label for k in keys) or NO_PAYOUTS
    return {"name": name, "start": start, **{k: sections.get(k, {}) for k in keys}}
