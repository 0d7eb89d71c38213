"""Cost and payback of each pinned plan against the reference, and the days things happened.

From one comparison (:class:`~simulation.analysis.compare.Comparison`):

- :func:`cost_table`: per plan, the extra spend, adopters and active users
  against the reference (paired by replicate), incremental adopters and active
  users per $1 000 of extra spend, the return on the extra spend (extra
  revenue, i.e. GMV × the take rate, less the extra spend, over the extra
  spend) and the payback day, with a reason in words wherever a number cannot
  be given (the plan does worse, or spends no more); the reference's own spend
  is its row.
- :func:`payback`: the mean over replicates of the cumulative net (revenue −
  spend) of the plan minus the reference's, by day (paired by replicate); the
  payback day is the first day it is back at or above zero after falling
  below, "not within the horizon" when it never is.
- :func:`events`: the day each run's payout schedule switched (its second
  phase took effect) and the day its budget ran out, read from its daily
  table the way the model's schedule reads the day before (the trigger's
  share of the market adopted or spend so far, then the notice days).

Ratios are ratios of the mean differences over replicates (a mean of
per-replicate ratios blows up where a replicate gained almost nobody).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..analysis.compare import INCREMENTAL, Comparison
from ..model.config import Config

PER = 1000.0
"""Dollars of extra spend the "per $1 000" figures are for."""
SPENT = 1 - 1e-9
"""A budget counts as run out once cumulative spend reaches this share of it (the model pays
the last day pro rata, to within float rounding of the budget)."""
COLUMNS = {
    "plan": "Plan",
    "spend": "Spend ($)",
    "extra_spend": "Extra spend ($)",
    "extra_adopters": "Extra adopters",
    "extra_active_users": "Extra active users (end)",
    "adopters_per_1000": "Extra adopters per $1 000",
    "active_users_per_1000": "Extra active users per $1 000",
    "cost_per_incremental_adopter": "Cost per extra adopter ($)",
    "roi": "Return on extra spend (%)",
    "payback_day": "Payback day",
    "note": "Why a number is missing",
}
"""The cost table's columns → their headings on the page."""


def cost_table(comparison: Comparison, platform: str, plans: Sequence[str],
               horizon: int) -> pd.DataFrame:
    """The cost and payback of each plan against the reference (see the module docstring).

    One row for the reference (its spend; its differences are zero by
    definition and left empty), then one per plan, in ``plans`` order.
    """
    reference = comparison.reference
    curves = payback(comparison, platform, plans)
    rows = [{"plan": reference, "spend": _value(comparison, reference, platform,
                                                "total_spend"),
             "note": "the reference: what every plan is compared with"}]
    for name in plans:
        diff = {metric: _value(comparison, name, platform, metric, "diff")
                for metric in ("total_spend", "adopters_end", "active_users_end", "net_total")}
        spend, adopters, users, net = (diff[m] for m in ("total_spend", "adopters_end",
                                                         "active_users_end", "net_total"))
        notes = []
        pays = spend > 0
        per_adopter = _value(comparison, name, platform, INCREMENTAL)
        if adopters <= 0:
            notes.append(f"adds no adopters ({_signed(adopters)} against the reference), so "
                         "there is no cost per extra adopter")
            per_adopter = np.nan
        elif not pays:
            notes.append(f"spends no more than the reference ({_signed(spend, '$')}) and adds "
                         f"{_signed(adopters)} adopters: they cost nothing extra")
        if not pays:
            notes.append("no per-$1 000 figures or return: it spends no more than the reference")
        day, reached = payback_day(curves.get(name))
        if day is None:
            notes.append(f"does not pay back within the horizon ({horizon} days)"
                         if reached is False else "never behind the reference: no payback "
                         "needed")
        rows.append({
            "plan": name, "spend": _value(comparison, name, platform, "total_spend"),
            "extra_spend": spend, "extra_adopters": adopters, "extra_active_users": users,
            "adopters_per_1000": adopters / spend * PER if pays else np.nan,
            "active_users_per_1000": users / spend * PER if pays else np.nan,
            "cost_per_incremental_adopter": per_adopter,
            "roi": net / spend * 100 if pays else np.nan,
            "payback_day": np.nan if day is None else day,
            "note": "; ".join(notes),
        })
    return pd.DataFrame(rows, columns=list(COLUMNS))


def payback(comparison: Comparison, platform: str,
            plans: Sequence[str]) -> dict[str, pd.DataFrame]:
    """Per plan, by day: the cumulative net of the plan minus the reference's.

    Columns ``mean`` (over replicates, paired by replicate), ``low`` and
    ``high`` (5% and 95% over replicates).
    """
    daily = comparison.timeseries
    rows = daily[daily["platform"] == platform]
    wide = rows.pivot_table(index="day", columns=["scenario", "replicate"], values="net",
                            aggfunc="first").cumsum()
    reference = comparison.reference
    if reference not in wide.columns.get_level_values(0):
        return {}
    curves = {}
    for name in plans:
        if name not in wide.columns.get_level_values(0):
            continue
        gap = (wide[name] - wide[reference]).dropna(axis=1, how="all")
        curves[name] = pd.DataFrame({"mean": gap.mean(axis=1),
                                     "low": gap.quantile(0.05, axis=1),
                                     "high": gap.quantile(0.95, axis=1)})
    return curves


def payback_day(curve: pd.DataFrame | None) -> tuple[int | None, bool | None]:
    """(The payback day, True) or (None, False) if it is not reached; (None, None) if never behind.

    The first day the mean cumulative net gap is at or above zero again after
    first falling below it.
    """
    if curve is None or curve.empty:
        return None, None
    gap = curve["mean"].to_numpy()
    behind = np.flatnonzero(gap < 0)
    if not len(behind):
        return None, None
    later = np.flatnonzero((np.arange(len(gap)) > behind[0]) & (gap >= 0))
    if not len(later):
        return None, False
    return int(curve.index[later[0]]), True


def events(comparison: Comparison, configs: dict[str, Config],
           platform: str) -> pd.DataFrame:
    """Per scenario and replicate: the switch day and the day the budget ran out (None if not).

    Columns ``scenario, replicate, switch_day, budget_day``.
    """
    daily = comparison.timeseries
    rows = []
    for (name, replicate), run in daily[daily["platform"] == platform].groupby(
            ["scenario", "replicate"], sort=False):
        config = configs.get(name)
        spec = next((p for p in config.platforms if p.name == platform), None) if config else None
        if spec is None:
            continue
        run = run.sort_values("day")
        spend = run["spend_total"].cumsum().to_numpy()
        share = run["adopters"].to_numpy() / config.population.market_size
        ran_out = np.flatnonzero(spend >= spec.budget * SPENT) if spec.phases else []
        rows.append({"scenario": name, "replicate": replicate,
                     "switch_day": switch_day(spec.phases, run["day"].to_numpy(), share,
                                              spend),
                     "budget_day": int(run["day"].iloc[ran_out[0]]) if len(ran_out) else None})
    return pd.DataFrame(rows, columns=["scenario", "replicate", "switch_day", "budget_day"])


def switch_day(phases: Sequence, days: np.ndarray, share: np.ndarray,
               spend: np.ndarray) -> int | None:
    """The first day a later phase replaced the first, walking the schedule as the model does.

    Each day the next phase's trigger is checked against the day before's
    totals (share of the market adopted, spend so far); it takes effect after
    its notice days. ``share`` and ``spend`` are cumulative by day.
    """
    index, pending = -1, None
    before_share = np.concatenate([[0.0], share[:-1]])
    before_spend = np.concatenate([[0.0], spend[:-1]])
    for i, day in enumerate(days):
        while True:
            if pending is None and index + 1 < len(phases):
                start = phases[index + 1].start
                if start.fired(int(day), float(before_share[i]), float(before_spend[i])):
                    pending = (index + 1, int(day) + start.notice_days)
            if pending is None or day < pending[1]:
                break
            if index >= 0:
                return int(day)
            index, pending = pending[0], None
    return None


def _value(comparison: Comparison, scenario: str, platform: str, metric: str,
           column: str = "mean") -> float:
    try:
        return comparison.value(scenario, metric, column, platform=platform)
    except KeyError:
        return np.nan


def _signed(value: float, unit: str = "") -> str:
    from ..plots import number

    sign = "+" if value > 0 else "−" if value < 0 else ""
    return f"{sign}{unit}{number(abs(value))}"
