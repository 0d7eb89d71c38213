"""Say what is known: a verdict per plan, and replicates grown until there is one.

A comparison at a few replicates often cannot tell two plans apart: at 3
replicates the net difference of a near-tie was 120 195 with the interval
[-581 638, 822 028]. Printing that number as an answer misleads; this module
says instead what the runs support.

**The verdict** of a plan against the reference, on one metric and platform,
reads its paired 95% t-interval (the mean of the per-replicate differences,
replicate r against replicate r on common random numbers,
:func:`simulation.analysis.compare.paired_table`):

- ``higher`` / ``lower``: the interval excludes zero;
- ``same``: every replicate's difference is exactly zero (the plans make the
  same runs: e.g. a switch that never fires within the horizon);
- ``within``: the interval includes zero but reaches no further than
  ``precision`` either side: there is no difference that matters;
- ``can't tell yet``: otherwise. Then ``replicates_needed`` estimates how many
  paired replicates would settle it: the fewest n with
  ``t(n - 1) * s / sqrt(n)`` below the larger of ``|diff|`` (so the interval
  excludes zero, if the difference holds) and ``precision``, with s the spread
  of the differences so far (:func:`simulation.stats.replicates_needed`). It
  is an estimate from noisy replicates: a guide to the next run, not a promise.

**The rule** (``simulation.compare(..., until=Until(...))``,
:func:`compare_until`): run the first batch (the runner's replicates), judge,
and while some plan cannot be told and the budget allows, run more replicates
of every scenario in a new batch: up to the largest estimate of
``replicates_needed``, at least one more batch's worth and at most twice the
replicates so far (an estimate from 3 replicates can be far off either way).
Each batch goes through the same :class:`~simulation.runs.runner.Runner` with
``first_replicate`` set, so replicate r has seed ``run_seed(seed, r)`` whatever
the batch, and the final result equals ``compare(replicates=n)`` with the n the
rule stopped at. Stopping when an interval first excludes zero makes a
sequential test (looks at the data repeatedly), so the nominal 95% is a little
optimistic; the doubling cap keeps the number of looks small (about log2 of
the budget over the first batch), and ``precision`` gives a stop that does not
depend on the sign at all.

Numbers in the verdicts' words are rounded to what their interval supports
(:func:`simulation.plots.format_estimate`): the command line, the figures and
the web app share that one rule.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from ..model.config import ConfigError
from ..model.metrics import METRICS, summary_keys
from ..plots.labels import words
from ..plots.numbers import format_estimate, format_quantity
from ..runs.executors import MAX_REPLICATES, MAX_RUNS
from ..runs.runner import Runner, Runs, Scenario, progress_bar
from ..stats import replicates_needed

LEVEL = 0.95
"""Confidence level of the paired intervals the verdicts read."""
DEFAULT_METRIC = "active_users_end"
"""The metric judged when none is named: active users at the end, what a platform keeps."""
DEFAULT_MAX_RUNS = 200
"""The run budget when none is given: about 3 minutes of the default-size world on 2 cores
for two scenarios, enough to settle a difference of a tenth of the run-to-run spread."""
VERDICT_COLUMNS = ("scenario", "platform", "metric", "n", "diff", "diff_low", "diff_high",
                   "verdict", "settled", "replicates_needed", "text")
SETTLED = ("higher", "lower", "same", "within")
"""The verdicts that need no more replicates."""


@dataclass(frozen=True)
class Until:
    """When ``simulation.compare(..., until=...)`` stops adding replicates.

    Attributes:
        metric: the summary key judged (default ``active_users_end``).
        precision: precise enough: the paired interval's half-width at which a
            plan with no clear difference is settled as "no difference beyond
            ±precision", in the metric's unit (e.g. ``50_000`` people), or a text
            like ``"5%"`` (of the reference's mean). None: only an interval that
            excludes zero settles a plan.
        max_runs: the run budget, every scenario's runs together (default 200).
        platform: the platform judged (default: the first in the table).

    Raises:
        ConfigError: a bad value, in one line naming it and what is allowed.
    """

    metric: str = DEFAULT_METRIC
    precision: float | str | None = None
    max_runs: int = DEFAULT_MAX_RUNS
    platform: str | None = None

    def __post_init__(self) -> None:
        check_metric(self.metric)
        check_precision(self.precision)
        check_max_runs(self.max_runs)

    @classmethod
    def of(cls, until: Any) -> Until:
        """An :class:`Until` from ``until=``: one already, a metric's key, or a mapping."""
        if isinstance(until, Until):
            return until
        if isinstance(until, str):
            return cls(until)
        if isinstance(until, dict):
            unknown = sorted(set(until) - {"metric", "precision", "max_runs", "platform"})
            if unknown:
                raise ConfigError(f"until: unknown keys {unknown}; allowed: metric, precision, "
                                  "max_runs, platform")
            return cls(**until)
        raise ConfigError(f"until = {until!r}: allowed: simulation.Until(metric=..., "
                          "precision=..., max_runs=...), a summary key, or None")


def check_metric(metric: object, name: str = "metric") -> str:
    """A summary key that has a paired difference (a ConfigError otherwise)."""
    if not isinstance(metric, str) or metric not in summary_keys():
        raise ConfigError(f"{name} = {metric!r}: not a summary metric; allowed: "
                          f"{', '.join(summary_keys())}")
    return metric


def check_precision(precision: object, name: str = "precision") -> float | str | None:
    """None, a positive number, or a text ``"N%"`` with 0 < N (a ConfigError otherwise)."""
    if precision is None:
        return None
    given = precision
    if isinstance(precision, str):
        match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*%\s*", precision)
        if match and 0 < float(match.group(1)) <= 1000:
            return precision.strip()
        try:
            precision = float(precision)
        except ValueError:
            raise ConfigError(f"{name} = {precision!r}: allowed: a positive number in the "
                              "metric's unit (e.g. 50000) or a percent of the reference's "
                              "mean (e.g. 5%)") from None
    if (isinstance(precision, bool) or not isinstance(precision, int | float)
            or not math.isfinite(precision) or precision <= 0):
        raise ConfigError(f"{name} = {given!r}: allowed: a positive number in the "
                          "metric's unit (e.g. 50000) or a percent of the reference's mean "
                          "(e.g. 5%)")
    return float(precision)


def check_max_runs(max_runs: object, name: str = "max_runs") -> int:
    """A whole number of runs from 2 to ``executors.MAX_RUNS`` (a ConfigError otherwise)."""
    if (isinstance(max_runs, bool) or not isinstance(max_runs, int)
            or not 2 <= max_runs <= MAX_RUNS):
        raise ConfigError(f"{name} = {max_runs!r}: must be a whole number of runs from 2 to "
                          f"{MAX_RUNS:,} (every scenario's runs together)")
    return int(max_runs)


def precision_value(precision: float | str | None, reference_mean: float) -> float | None:
    """The precision in the metric's unit: a number as it is, ``"5%"`` of |reference mean|."""
    if precision is None:
        return None
    if isinstance(precision, str):
        share = float(precision.strip().rstrip("%")) / 100
        value = share * abs(reference_mean)
        return value if math.isfinite(value) and value > 0 else None
    return float(precision)


def verdicts(table: pd.DataFrame, reference: str, metric: str = DEFAULT_METRIC,
             precision: float | str | None = None, platform: str | None = None,
             *, scenarios: int | None = None) -> pd.DataFrame:
    """Each plan's verdict against the reference (see the module docstring).

    Args:
        table: the tidy table of :func:`simulation.compare`.
        reference: the reference scenario.
        metric: the summary key judged.
        precision: precise enough (see :class:`Until`), or None.
        platform: the platform judged (default: the first in the table).
        scenarios: scenarios in the comparison, to say how many runs more
            replicates cost (default: those in the table).

    Returns:
        One row per plan: ``scenario, platform, metric, n, diff, diff_low,
        diff_high, verdict, settled, replicates_needed, text``.
    """
    check_metric(metric)
    check_precision(precision)
    rows = table[table["metric"] == metric]
    platforms = list(dict.fromkeys(rows["platform"]))
    if not platforms:
        raise ConfigError(f"metric = {metric!r}: not in this comparison's table")
    platform = platforms[0] if platform is None else platform
    if platform not in platforms:
        raise ConfigError(f"platform = {platform!r}: not in this comparison; allowed: "
                          f"{', '.join(platforms)}")
    rows = rows[rows["platform"] == platform]
    scenarios = scenarios or rows["scenario"].nunique()
    ref = rows[rows["scenario"] == reference]
    ref_mean = float(ref["mean"].iloc[0]) if len(ref) else math.nan
    wanted = precision_value(precision, ref_mean)
    out = []
    for row in rows[rows["scenario"] != reference].itertuples():
        verdict, needed = judge(row.n, row.diff, row.diff_low, row.diff_high, wanted)
        out.append((row.scenario, platform, metric, int(row.n), row.diff, row.diff_low,
                    row.diff_high, verdict, verdict in SETTLED, needed,
                    describe(metric, verdict, needed, row.n, row.diff, row.diff_low,
                             row.diff_high, wanted, reference, scenarios)))
    frame = pd.DataFrame(out, columns=list(VERDICT_COLUMNS))
    frame["replicates_needed"] = frame["replicates_needed"].astype("Int64")
    return frame


def judge(n: int, diff: float, low: float, high: float, precision: float | None,
          level: float = LEVEL) -> tuple[str, int | None]:
    """The verdict on one paired interval and, when it can't tell, replicates that would.

    Returns:
        (verdict, replicates needed or None): the verdict one of
        :data:`SETTLED` or ``"can't tell yet"``.
    """
    if n < 2 or not all(np.isfinite([diff, low, high])):
        return "can't tell yet", (3 if n < 2 and np.isfinite(diff) else None)
    if low > 0:
        return "higher", None
    if high < 0:
        return "lower", None
    if low == high == 0:
        return "same", None
    half = (high - low) / 2
    if precision is not None and half <= precision:
        return "within", None
    from scipy import stats

    spread = half * math.sqrt(n) / float(stats.t.ppf(0.5 + level / 2, n - 1))
    target = max(abs(diff), precision or 0.0)
    return "can't tell yet", replicates_needed(spread, target, level, MAX_REPLICATES)


def describe(metric: str, verdict: str, needed: int | None, n: int, diff: float, low: float,
             high: float, precision: float | None, reference: str,
             scenarios: int) -> str:
    """The verdict in words, with the estimate rounded to what its interval supports."""
    text, unit = words(metric)
    estimate = format_estimate(diff, low, high, unit, sign=True)
    better = METRICS[metric].better if metric in METRICS else None
    if verdict in ("higher", "lower"):
        judged = "" if better is None else (
            " (better)" if (verdict == "higher") == (better == "higher") else " (worse)")
        return f"{text} {estimate}: {verdict} than {reference}{judged}"
    if verdict == "same":
        return (f"{text}: the same as {reference} in all {n} replicates (the plans do not "
                "differ here)")
    if verdict == "within":
        return (f"{text} {estimate}: no difference beyond "
                f"±{format_quantity(precision, unit)} from {reference}")
    if n < 2:
        return f"{text}: can't tell yet: one replicate has no interval; run at least 3"
    if needed is None:
        if not math.isfinite(diff):
            return f"{text}: can't tell: it is undefined in some runs"
        return (f"{text} {estimate}: can't tell yet: a difference this small needs more than "
                f"{MAX_REPLICATES:,} replicates; set a precision to settle it as no "
                "difference that matters")
    return (f"{text} {estimate}: can't tell yet: about {needed:,} replicates "
            f"({needed * scenarios:,} runs) would settle it")


def compare_until(
    names: Sequence[str],
    items: Sequence[Scenario],
    runner: Runner,
    until: Any,
    *,
    reference: str | None = None,
    base: Any = None,
    metrics: Sequence[str] | None = None,
    platform: str | None = None,
    keep_timeseries: bool = True,
    progress: Any = None,
) -> Any:
    """``simulation.compare(..., until=...)``: replicates grown until every plan is settled.

    See the module docstring for the rule. ``runner.replicates`` is the first
    batch. Returns the :class:`~simulation.analysis.compare.Comparison` of all
    the runs made (``.until`` and ``.stopped`` say how it ended).

    Raises:
        ConfigError: a bad rule, or a budget below the first batch (before any run).
    """
    from .compare import compare_runs

    until = Until.of(until)
    names = list(names)
    reference = names[0] if reference is None else reference
    if metrics is not None and until.metric not in metrics:
        metrics = [*metrics, until.metric]
    count = len(items)
    first = runner.replicates
    if count < 2:
        raise ConfigError("until: needs a plan and a reference (two scenarios or more)")
    if count * first > until.max_runs:
        raise ConfigError(f"max_runs = {until.max_runs:,}: below the first batch, {count} "
                          f"scenarios x {first} replicates = {count * first:,} runs; allowed: "
                          f"at least {count * first:,}")
    most = min(until.max_runs // count, MAX_REPLICATES)
    batches: list[Runs] = []
    done = 0
    size = first
    with progress_bar(progress, count * most, "compare (until settled)") as bar:
        while True:
            batch = replace(runner, replicates=size).run(
                items, base=base, keep_timeseries=keep_timeseries, progress=bar,
                first_replicate=done)
            batches.append(batch.check("compare", names))
            done += size
            result = compare_runs(Runs.concat(batches), names, reference, metrics=metrics,
                                  platform=platform)
            result.until = until
            judged = result.verdicts()
            open_ = judged[~judged["settled"]]
            if open_.empty:
                result.stopped = (f"settled after {done} replicates ({done * count:,} runs of "
                                  f"a budget of {until.max_runs:,})")
                return result
            if done >= most:
                result.stopped = (f"stopped at the run budget: {done} replicates "
                                  f"({done * count:,} runs, max_runs {until.max_runs:,}); "
                                  f"{len(open_)} plan(s) can't be told yet")
                return result
            estimates = open_["replicates_needed"].dropna()
            wanted = int(estimates.max()) if len(estimates) else most
            target = min(most, max(done + first, min(wanted, 2 * done)))
            size = target - done
