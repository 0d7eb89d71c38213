"""Axis labels with units, for daily columns, summary metrics and dotted config keys.

Daily columns and summary metrics take their words and units from their
declarations (:mod:`simulation.model.metrics`); config leaves from
:data:`LABELS`, to which you can add metrics you derive yourself.
"""

from __future__ import annotations

import numpy as np

from ..model.metrics import METRICS, daily_columns
from ..model.payouts import SCHEMES

LABELS: dict[str, tuple[str, str]] = {
    # config leaves (last part of a dotted key)
    "fee": ("fee", "$/day"),
    "posts_per_day": ("quota", "posts/day"),
    "max_enrolled": ("fee slots", "influencers"),
    "contract_days": ("contract length", "days"),
    "rate": ("rate", "share of GMV"),
    "rate_per_1000": ("rate", "$ per 1 000 views"),
    "bounty": ("bounty", "$ per adopter"),
    "budget": ("budget", "$"),
    "top_k": ("invited", "influencers"),
    "share": ("share invited", "share"),
    "open_day": ("open to all from", "day"),
    "day": ("day", "day"),
    "adoption_share": ("at adoption share", "share of people"),
    "spend": ("at spend", "$"),
    "notice_days": ("notice", "days"),
    "followers": ("people simulated", "people"),
    "influencers": ("influencers", "influencers"),
    "horizon_days": ("horizon", "days"),
    "innovation": ("innovation p", "per day"),
    "imitation": ("imitation q", "per day"),
    "influence": ("influencer pull r", "per day"),
    "promo_saturation": ("promo saturation", "posts/day"),
    "return_rel": ("return hazard", "× adoption hazard"),
    "base_churn": ("base churn", "per day"),
    "content_half": ("content half-point", "posts/day"),
    "attention_cost": ("attention cost", "relative churn"),
    "follows_per_person": ("creators followed", "per person"),
    "mean_degree": ("friends", "per person"),
    "rewire_prob": ("rewiring", "probability"),
    "rel_marketing": ("marketing", "× innovation"),
    "feed_baseline": ("feed baseline", "posts/day"),
    "take_rate": ("take rate", "share of GMV"),
    "nano": ("nano creators", "creators"),
    "micro": ("micro creators", "creators"),
    "mid": ("mid-tier creators", "creators"),
    "macro": ("macro creators", "creators"),
    "mega": ("mega creators", "creators"),
    "min_audience": ("smallest creator", "followers"),
    "largest_audience": ("largest creator", "followers"),
    "engagement_mean": ("engagement", "share viewing"),
    "incumbent_reach": ("incumbent reach", "share"),
    "cost_per_post": ("cost per post", "$ per post"),
    "cost_per_follower": ("cost per follower", "$ per post per follower"),
    "cost_exponent": ("cost exponent", "exponent"),
    "max_posts_per_day": ("posting limit", "posts/day"),
    "patience": ("patience", "days"),
    "learning_rate": ("learning rate", "weight per day"),
    "decision_noise": ("decision noise", "× cost per post"),
    "onboarding_posts": ("onboarding cost", "posts"),
    "planning_days": ("payback horizon", "days"),
    "promo_share": ("cross-promoted share", "share of posts"),
    "join_burst_posts": ("join burst", "posts"),
    "organic_value_per_view": ("organic value", "$ per view"),
    "basket_value": ("basket value", "$ per order"),
    "conversion": ("conversion", "orders per view"),
    "organic_orders_per_user": ("organic orders", "per user per day"),
    "retention_window_days": ("retention window", "days"),
    "market_size": ("market", "people"),
    "persuadability_cv": ("persuadability spread", "coefficient of variation"),
    "loyalty_cv": ("loyalty spread", "coefficient of variation"),
    "wear_out": ("promotion wear-out", "per post seen"),
    "network_effect": ("network effect", "× squared active share"),
    "window_days": ("attribution window", "days"),
    "strength": ("strength", "× hazards at its height"),
    "half_life_days": ("half-life", "days"),
    "audience_in_market": ("audience in the market", "share"),
    "shrinkage_followers": ("audience shrinkage", "followers"),
    "cost_sigma": ("cost spread", "log-sd"),
    "engagement_elasticity": ("engagement elasticity", "per log audience"),
    "foresight": ("foresight", "weight on announced phases"),
    "outside_option_posts": ("outside option", "posts"),
    "rejoin_posts": ("rejoining cost", "posts"),
    "product_fit_sigma": ("product-fit spread", "log-sd"),
    "offer_days": ("offer open", "days"),
    "triangle_prob": ("triangle probability", "probability"),
    "cost_per_incremental_adopter": ("cost per incremental adopter", "$ per adopter"),
}
"""Name → (words, unit) of config leaves (the last part of a dotted key) and of any metric
you derive yourself; daily columns and summary metrics take theirs from the registries."""

PEOPLE_UNITS = ("people",)
"""Units drawn as a share of people when a figure is given the population size."""


def label(key: str, *, unit: bool = True) -> str:
    """A readable axis label with its unit, for a column, summary key or dotted config key.

    ``"spark.active_users_end"`` → ``"spark: active users at the end (people)"``;
    ``"platforms.0.phases.1.start.day"`` → ``"phase 1 start: day (day)"``.
    """
    text, units = words(key)
    return f"{text} ({units})" if unit and units else text


def unit_of(key: str) -> str:
    """The unit of a column, summary key or dotted config key ('' when unknown)."""
    return words(key)[1]


def words(key: str) -> tuple[str, str]:
    """The (words, unit) of a column, summary key or dotted config key."""
    if key in LABELS:
        return LABELS[key]
    if key in METRICS:
        return METRICS[key].words, METRICS[key].unit
    columns = daily_columns()
    if key in columns:
        return columns[key].words, columns[key].unit
    parts = key.split(".")
    leaf = parts[-1]
    if leaf in METRICS:
        text, units = METRICS[leaf].words, METRICS[leaf].unit
    elif leaf in columns:
        text, units = columns[leaf].words, columns[leaf].unit
    else:
        text, units = LABELS.get(leaf, (leaf.replace("_", " "), ""))
    if len(parts) == 2 and not parts[0].isdigit() and parts[0] not in {
            "population", "network", "adoption", "retention", "influencers", "commerce",
            "metrics", "invitation"}:
        return f"{parts[0]}: {text}", units  # <platform>.<metric>
    context: list[str] = []
    index = 0
    while index < len(parts) - 1:
        part = parts[index]
        following = parts[index + 1]
        if part in {"platforms", "phases", "events"} and following.isdigit():
            scheme_next = part == "phases" and index + 2 < len(parts) - 1 and parts[
                index + 2] in SCHEMES  # "flat fee: fee" says enough
            if (part in {"phases", "events"} and not scheme_next) or (
                    part == "platforms" and following != "0"):
                context.append(f"{part[:-1]} {following}")
            index += 2
            continue
        if part not in {"platforms", "population", "network", "influencers", "creators"} or (
                part == "influencers" and index < len(parts) - 2):
            context.append(part.replace("_", " "))
        index += 1
    prefix = " ".join(context)
    return (f"{prefix}: {text}" if prefix else text), units


def label_words(key: str) -> str:
    """The words of a label, capitalised, without the unit."""
    text = words(key)[0]
    return text[0].upper() + text[1:] if text else text


def label_text(key: str) -> str:
    """Words and unit, for an axis: ``active users (people)``."""
    text, units = words(key)
    return f"{text} ({units or 'value'})"


def number(value: float, digits: int = 3) -> str:
    """A number as people read it: 12,345 · 123 · 12.3 · 0.123 (``digits`` significant).

    Whole from ``10**(digits - 1)`` up, with thousands separators from 1 000.
    """
    if not np.isfinite(value):
        return "–"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 10 ** (digits - 1):
        return f"{value:.0f}"
    return f"{value:.{digits}g}"
