"""Calibration: fit config parameters to an observed adoption or usage series.

``calibrate(observed, config, parameters={"adoption.imitation": (0.1, 0.6)})``
finds the values of the chosen dotted config keys (and the scale between the
simulated market and the data's units) whose simulations best match an
observed series, with an interval for each, and can check the fit's
forecasts on held-out points.

**When the observations are.** Each observation k = 1..n ends on a simulated
day t_k since launch (day 0, before anyone has joined); interval k is
(t_{k-1}, t_k], t_0 = 0. The days come from

- a day index: a pandas index named ``day`` (or a CSV time column ``day``),
  whole days since launch, increasing, as sparse and irregular as the data
  (e.g. registered accounts on the days a company announced them);
- dates and ``launch=`` (a date, ``--launch YYYY-MM-DD``): t_k = date - launch
  in days; the dates need not be evenly spaced;
- numbered periods (or dates with a regular step and no ``launch``): t_k = k d,
  d = ``days_per_period`` (given, inferred from the dates' frequency with a
  year = 365.25 days, or fitted like a parameter under the key
  ``days_per_period``; at least 1, since the model steps in days).

Dates are read as ISO 8601 (YYYY-MM-DD) unless ``date_format`` (strptime codes,
``--date-format %d/%m/%Y``) says how they are written: a date in another form is
refused, never guessed (01/02/2020 is 1 February or 2 January). Every size has a
bound (the ``MAX_`` constants, each with its reason): the last observation's day is
within the model's longest horizon, ``MAX_HORIZON_DAYS``. Data with no signal (all 0,
or one flat value or rate) is refused: it would fit every candidate equally.

**What is compared.** From the daily table of the first platform (or
``platform``), linear between days when t_k is not whole:

- ``target="adopters"``: new adopters in each interval, C(t_k) - C(t_{k-1}),
  C the cumulative ``adopters`` column. Observed cumulative counts
  (``cumulative=True``: registered accounts, units sold to date) are
  differenced first, from 0 at the launch; a cumulative count on day 0 is
  instead the starting level (intervals are counted from it; it is not
  fitted). Without ``cumulative``, each value is the new adopters in the
  interval ending on its day (or in its period). Least squares on the
  increments, as ``fit_bass`` does, because the residuals of a cumulative
  series are strongly autocorrelated and would overstate the precision;
- ``target="active_users"``: active users on day t_k, a stock. The model's
  active state is a person currently using the platform (joined and not
  lapsed), which is closest to a monthly-active-users figure; a
  daily-active series is a roughly constant fraction of it (the DAU/MAU
  ratio), and the fitted scale absorbs that constant.

**Weights.** An increment's squared residual is weighted by 1 / (t_k -
t_{k-1}): new adopters are counts whose variance grows with the interval's
length, so this is inverse-variance weighting, and each day of data weighs the
same (a 30-day gap does not count 30 times as much as a 1-day one). Active
users are stocks: equal weights. The weights are normalised to a mean of 1, so
with evenly spaced observations the objective is the plain sum of squares.

**Units.** A run's people counts are in market units (``population.market_size``
real people); observed values are in the data's own units (people, millions
of accounts, thousands of units sold, ...). ``scale`` is observed units per
market person (1e-6 for data in millions): for each candidate it is solved in
closed form by weighted least squares, s = <y, m>_w / <m, m>_w (m the
candidate's replicate-mean simulated series, y the observed one), since the
model is linear in it. For adopters with everyone eventually adopting,
``scale * population.market_size`` is the market potential (Bass's m).

**Objective.** SSE(theta) = sum_k w_k (y_k - s m_k(theta))^2 with m the mean
over ``replicates`` runs. Replicate r runs with seed ``run_seed(seed, r)`` at
every candidate (common random numbers, through a :class:`~simulation.runs.runner.Runner`),
so the objective is a fixed function of theta: comparisons between candidates
are not blurred by fresh noise, and the optimiser sees a surface with small
steps rather than a noisy cloud. The horizon is ceil(t_n) days, the last
observation's day (held-out ones included; the largest d when d is fitted);
a run's path to day t does not depend on the horizon.

**Optimiser.** scipy's differential evolution (Storn & Price 1997): global,
derivative-free, bounded, needs no new dependency, and evaluates a whole
population per generation, which is one batch of the runner's (parallel over
candidates x replicates, locally or on Dask). CRN makes the objective
deterministic but piecewise constant at fine scale (a run's events move only
when a hazard crosses a random threshold), so gradient polishing is off.

**Uncertainty.** A parametric bootstrap (Efron & Tibshirani 1993, ch. 6):
B fresh runs at the best parameters (seeds not used in the fit) give B
data sets, best fit + c x (scaled run - mean of the runs), each refitted;
the intervals are percentiles of the refits. The noise keeps the
simulation's structure across periods (a run that is ahead early stays
ahead, so errors are autocorrelated: least-squares or profile intervals that
treat periods as independent were too narrow by a factor of about 2.5 in the
recovery test). c = sqrt(1 + 1/R) adds the noise of the R-run mean the fit
compares with; when the residuals are larger than that (model misfit, or a
real market far larger, hence smoother, than the simulated one), c is raised
to match them, and the result says so. The refits do not rerun the model:
they use a local quadratic emulator of the replicate-mean series, fitted by
least squares to candidates sampled (Sobol points, two rounds) in a box
around the best, the second box covering the first round's bootstrap spread.

**Held-out points.** ``holdout=h`` fits on all but the last h observations;
their values are not read by the fit (nor by its intervals). Each held-out
point gets a forecast, in the data's own form (a cumulative count for
cumulative input, new adopters in its interval, or active users), with a 90%
interval and the error, observed - forecast. The forecast is s m(theta) at the
best; a cumulative count's is its last fitted observation plus s m(theta), m the
simulated adopters since that day (the fit is of increments, and a forecaster
knows the last level: a fit that runs a little low before the holdout does not
carry that gap into the forecast). The interval includes the parameters' uncertainty and a run's own
noise: for each bootstrap refit b (parameters theta_b, its own scale s_b), the
draw s_b (m(theta_b) + c (x_b - mean x)), m(theta_b) the replicate mean
simulated at theta_b on the fitting seeds and x_b the b-th fresh run at the
best (the bootstrap's noise, same c); the interval is the 5-95% quantiles of
the B draws. It costs B x ``replicates`` more runs.

References:
    Storn, R. & Price, K. (1997). Differential evolution. J. Global
    Optimization 11, 341-359.
    Efron, B. & Tibshirani, R. J. (1993). An Introduction to the Bootstrap.
    Chapman & Hall, ch. 6 and 13.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..model.config import (
    MAX_HORIZON_DAYS,
    Config,
    ConfigError,
    get_dotted,
    load_config,
)
from ..runs.folders import check_output_folder, staged_folder
from ..runs.runner import DEFAULT, Progress, Runner, progress_bar, runner_of
from .bass import closing
from .series import (  # MAX_DATA_BYTES and check_data_file: the CLI's, from here
    ISO_DATES,
    MAX_DATA_BYTES,  # noqa: F401
    MAX_OBSERVATIONS,
    MAX_VALUE,
    check_data_file,  # noqa: F401
    check_date_format,
    check_enough,
    check_increasing,
    check_not_all_zero,
    is_day_index,
    read_series,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TARGETS = ("adopters", "active_users")
"""What can be fitted: new adopters per interval (or cumulative counts, differenced) and
active users on each observation's day."""
DAYS_PER_PERIOD = "days_per_period"
"""The pseudo-key that fits the time mapping (simulated days per observed period)."""
SET_BY_CALIBRATE = {
    "horizon_days": "calibrate sets the horizon to the last observation's day",
    "seed": "calibrate seeds every run itself (its seed argument, --seed)",
}
"""Config keys calibrate sets itself, and why they cannot be fitted."""
FORECAST_LEVEL = 0.9
"""Coverage of a held-out point's forecast interval (its 5% and 95% quantiles)."""
FORECAST_COLUMNS = ("period", "label", "day", "observed", "forecast", "low", "high", "error")
"""The columns of :attr:`Calibration.forecast`."""
CALIBRATION_FILES = ("calibration.json", "history.csv", "fit.png")
"""What :meth:`Calibration.write` writes."""
POPULATION_PER_DIM = 8
"""Differential-evolution population per fitted parameter (scipy's default is 15;
fewer candidates, more generations, suit a small budget in 1-4 dimensions)."""
INTEGER_ROOM = 2
"""Integer keys (e.g. ``events.0.day``): the sampling boxes around the best reach at least
this many steps either side, so the bootstrap's emulator sees the key vary."""
MIN_DAYS_PER_PERIOD = 1.0
"""Fewest simulated days per observed period: the model steps in days and its table is only
interpolated within one, so shorter periods would compare data with the interpolation (and
at 1e-300 days the simulated increments underflow to 0)."""
MAX_REPLICATES = 1_000
"""Most runs per candidate: the replicate mean's noise falls as 1 / sqrt(R), 30-fold at 1 000,
and each candidate costs R runs (a search of 200 candidates, 200 000 runs)."""
RUNNER = Runner(replicates=4)
"""What :func:`calibrate` runs with when given no runner: 4 replicates, seed 0, this process."""
MAX_TRIALS = 10_000
"""Most candidates the search evaluates: differential evolution over 1-4 keys settles within
a few hundred (50 x the default of 200); each candidate costs ``replicates`` runs."""
MAX_BOOTSTRAP = 10_000
"""Most bootstrap refits: percentile intervals need about 1 000 (Efron & Tibshirani 1993,
ch. 13); each refit costs one fresh run and, with a holdout, ``replicates`` more."""
MAX_PROFILE_POINTS = 4_096
"""Most candidates per round of the sampling around the best (a power of 2 for Sobol points):
a quadratic emulator of 4 keys has 15 coefficients; each candidate costs ``replicates`` runs."""
MAX_FITTED_KEYS = 8
"""Most keys fitted at once: the bootstrap's quadratic emulator of k keys has (k + 1)(k + 2) / 2
coefficients (45 at 8), each sampling round 32 k candidates and the search 8 k per generation;
a series of adoption counts seldom pins down more than a handful of parameters."""
_FREQ_DAYS = {"D": 1.0, "B": 1.0, "W": 7.0, "M": 365.25 / 12, "ME": 365.25 / 12,
              "MS": 365.25 / 12, "Q": 365.25 / 4, "QE": 365.25 / 4, "QS": 365.25 / 4,
              "Y": 365.25, "YE": 365.25, "YS": 365.25, "A": 365.25, "AS": 365.25}
"""Days per period of a date index's frequency (mean calendar lengths)."""


def _empty_forecast() -> pd.DataFrame:
    return pd.DataFrame({column: [] for column in FORECAST_COLUMNS})


# --- the result ----------------------------------------------------------------


@dataclass(eq=False)
class Calibration:
    """A calibration's result (see :func:`calibrate`); print it for a summary.

    Values of ``observed``, ``fitted`` and ``band`` are in the data's units per
    interval (new adopters) or on the day (active users); ``scale`` is data
    units per market person.
    """

    best: dict[str, float]
    """best value of each fitted key (``days_per_period`` included if fitted)"""
    intervals: dict[str, tuple[float, float]]
    """parametric-bootstrap percentile interval of each fitted key, at ``level``"""
    scale: float
    """observed units per market person at the best parameters"""
    scale_interval: tuple[float, float]
    level: float
    observed: pd.Series
    """the values fitted (cumulative input differenced; held-out points excluded), labelled
    as in the data"""
    fitted: np.ndarray
    """scale x the replicate-mean simulated series at the best parameters"""
    band: pd.DataFrame
    """per fitted point: period (1..n), label, day (simulated days since launch), observed,
    fitted, median, low (5%), high (95%) over every run at the best"""
    history: pd.DataFrame
    """every candidate evaluated: stage (search, box1, box2), parameters, scale, sse, rmse"""
    samples: pd.DataFrame
    """the bootstrap refits: one row per fresh run, each fitted key and the scale"""
    target: str
    cumulative: bool
    days_per_period: float | None
    """simulated days per period (None: the data's days or dates place the observations)"""
    bounds: dict[str, tuple[float, float]]
    config: Config
    """the base config with the best parameters and the horizon used"""
    platform: str
    replicates: int
    seed: int
    runs: int
    """simulations run in all"""
    seconds: float
    converged: bool
    message: str
    notes: list[str] = field(default_factory=list)
    weights: np.ndarray | None = None
    """weight of each fitted point's squared residual (mean 1; None: all 1)"""
    launch: pd.Timestamp | None = None
    """the launch date that maps dates to days, if given"""
    baseline: float = 0.0
    """cumulative count at the launch (a day-0 row of cumulative input), data units"""
    holdout: int = 0
    """observations held out of the fit (the last ones)"""
    forecast: pd.DataFrame = field(default_factory=_empty_forecast)
    """per held-out point: period, label, day, observed, forecast, low and high (5% and 95%),
    error = observed - forecast; in the data's form (cumulative for cumulative input)"""

    @property
    def n(self) -> int:
        """Observations fitted (held-out ones excluded)."""
        return len(self.observed)

    @property
    def _w(self) -> np.ndarray:
        return np.ones(self.n) if self.weights is None else np.asarray(self.weights)

    @property
    def sse(self) -> float:
        """Weighted residual sum of squares at the best parameters, squared data units."""
        residuals = self.observed.to_numpy() - self.fitted
        return float((self._w * residuals) @ residuals)

    @property
    def rmse(self) -> float:
        """Root mean (weighted) squared error per observation, sqrt(SSE / n), data units."""
        return math.sqrt(self.sse / self.n)

    @property
    def r2(self) -> float:
        """1 - SSE / TSS (weighted, about the weighted mean; NaN if the values are all equal)."""
        values, w = self.observed.to_numpy(), self._w
        centre = float(w @ values) / float(w.sum())
        tss = float((w * (values - centre)) @ (values - centre))
        return 1 - self.sse / tss if tss > 0 else float("nan")

    @property
    def population(self) -> int:
        """Simulated people (``population.followers``)."""
        return self.config.population.followers

    @property
    def market(self) -> float:
        """``scale x population.market_size``: the whole market in data units."""
        return self.scale * self.config.population.market_size

    @property
    def covered(self) -> int:
        """Held-out points whose observed value lies inside their forecast interval."""
        frame = self.forecast
        return int(((frame["low"] <= frame["observed"])
                    & (frame["observed"] <= frame["high"])).sum())

    def to_dict(self) -> dict[str, Any]:
        """The JSON summary: best values, intervals, scale, fit quality, forecasts, settings."""
        by_day = self.days_per_period is None
        forecast = self.forecast.assign(label=self.forecast["label"].map(_label_text))
        return {
            "target": self.target, "cumulative_input": self.cumulative,
            "platform": self.platform, "periods": self.n,
            "days_per_period": self.days_per_period,
            "launch": None if self.launch is None else str(self.launch.date()),
            "observation_days": [float(d) for d in self.band["day"]],
            "weights": ("1 / interval length in days, normalised to mean 1"
                        if by_day and self.target == "adopters" else "equal"),
            "baseline": self.baseline,
            "best": self.best,
            "intervals": {k: list(v) for k, v in self.intervals.items()},
            "level": self.level,
            "interval_method": "parametric bootstrap (percentile), refits on a local "
                               "emulator of the simulations",
            "scale": self.scale, "scale_interval": list(self.scale_interval),
            "scale_unit": "observed units per market person (population.market_size people)",
            "population": self.population,
            "market_size": self.config.population.market_size, "market": self.market,
            "rmse": self.rmse, "r2": self.r2, "sse": self.sse,
            "holdout": self.holdout,
            "forecast": forecast.to_dict(orient="records"),
            "forecast_level": FORECAST_LEVEL,
            "forecast_interval_method": "5-95% quantiles of s_b (m(theta_b) + c (x_b - mean x))"
                                        " over the bootstrap refits b: replicate mean simulated "
                                        "at each refit's parameters, its scale, plus a fresh "
                                        "run's noise at the best",
            "bounds": {k: list(v) for k, v in self.bounds.items()},
            "optimiser": "scipy.optimize.differential_evolution (CRN, replicate mean)",
            "replicates": self.replicates, "seed": self.seed,
            "evaluations": int(len(self.history)), "runs": self.runs,
            "seconds": round(self.seconds, 2), "converged": self.converged,
            "message": self.message, "notes": self.notes,
            "bootstrap_samples": self.samples.to_dict(orient="list"),
            "config": self.config.model_dump(mode="json", exclude_none=True),
        }

    def _time_words(self) -> str:
        if self.days_per_period is not None:
            return f"{self.days_per_period:g} simulated days per period"
        if self.launch is not None:
            return f"days since the launch on {self.launch.date()}"
        return "days since launch"

    def summary(self) -> str:
        """A few readable lines."""
        what = "periods" if self.days_per_period is not None else "observations"
        weighting = ("; increments weighted by 1 / interval days"
                     if self.days_per_period is None and self.target == "adopters" else "")
        lines = [f"calibration of {self.config.name!r} to {self.n} {what} of {self.target} "
                 f"({self._time_words()}{weighting}; {self.replicates} replicates per "
                 "candidate)"]
        pct = f"{self.level:.0%}"
        for key, value in self.best.items():
            low, high = self.intervals[key]
            lines.append(f"  {key} = {value:.4g}  [{pct}: {low:.4g} .. {high:.4g}]  "
                         f"(searched {self.bounds[key][0]:g} .. {self.bounds[key][1]:g})")
        low, high = self.scale_interval
        market = self.config.population.market_size
        lines.append(f"  scale = {self.scale:.4g} data units per market person  "
                     f"[{pct}: {low:.4g} .. {high:.4g}]; x {market:,.0f} people in the "
                     f"market = {self.market:.4g}")
        searched = int((self.history["stage"] == "search").sum())
        lines.append(f"  RMSE = {self.rmse:.4g} per observation, R² = {self.r2:.4f}; "
                     f"{searched} candidates in the search and {len(self.history) - searched} "
                     f"near the best for the intervals, {self.runs} runs, "
                     f"{self.seconds:.1f} s")
        lines.append(f"  {self.message}")
        if self.holdout:
            lines.append(f"  held out: the last {self.holdout} (not fitted); forecast "
                         f"[{FORECAST_LEVEL:.0%} interval], error = observed - forecast; "
                         f"{self.covered} of {self.holdout} inside:")
            for row in self.forecast.itertuples():
                lines.append(f"    {self._point_text(row.label, row.day, row.period)}: observed "
                             f"{row.observed:.4g}, forecast {row.forecast:.4g} "
                             f"[{row.low:.4g} .. {row.high:.4g}], error {row.error:+.4g}")
        return closing(lines, True, "", self.notes)  # the search's words are above

    __str__ = summary

    def _point_text(self, label: Any, day: float, period: int) -> str:
        """A point for people: ``2024-03-01 (day 45)``, ``day 45``, ``year 1985``, ``period 9``."""
        if isinstance(label, (pd.Timestamp, dt.date)):
            return f"{_label_text(label)} (day {day:g})"
        if self.days_per_period is None:
            return f"day {day:g}"
        if isinstance(self.observed.index, pd.RangeIndex):  # positions, not labels
            return f"period {int(period)}"
        return f"{self.observed.index.name or 'period'} {_label_text(label)}"

    @property
    def forecast_level(self) -> float:
        """Coverage of each held-out point's forecast interval (``FORECAST_LEVEL``)."""
        return FORECAST_LEVEL

    def figure(self, title: str | None = None) -> Figure:
        """Data against the simulated band: :func:`simulation.plots.calibration_figure`."""
        from ..plots import calibration_figure

        return calibration_figure(self, title)

    def write(self, out_dir: str | Path, inputs: Sequence[str | Path] = ()) -> Path:
        """Write calibration.json, history.csv and fit.png atomically; returns the folder.

        The folder must be new, empty or an earlier calibration's, and may not hold
        ``inputs`` (the data file, the config).
        """
        import matplotlib.pyplot as plt

        out = check_output_folder(out_dir, "calibration", inputs=inputs)
        with staged_folder(out, "calibration") as staging:
            (staging / "calibration.json").write_text(
                json.dumps(self.to_dict(), indent=2, default=_json_default) + "\n")
            self.history.to_csv(staging / "history.csv", index=False)
            figure = self.figure()
            figure.savefig(staging / "fit.png", dpi=110)
            plt.close(figure)
        return out


def _label_text(label: Any) -> str:
    """A point's label as text: a date (YYYY-MM-DD), a whole number, or as given."""
    if isinstance(label, (pd.Timestamp, dt.date)):
        return str(pd.Timestamp(label).date())
    if isinstance(label, (int, np.integer)) or (isinstance(label, float) and label.is_integer()):
        return f"{int(label)}"
    return str(label)


def _json_default(value: Any) -> Any:
    if isinstance(value, (pd.Timestamp, dt.date)):
        return str(value)
    if isinstance(value, np.integer):
        return int(value)
    return float(value)


# --- observed data -------------------------------------------------------------


def read_observed(source: Any, *, cumulative: bool = False, target: str = "adopters",
                  date_format: str | None = None) -> pd.Series:
    """The observed series, read and checked (:func:`.series.read_series`); cumulative differenced.

    A CSV has a time column (period numbers, dates, or whole days since launch
    in a column named ``day``; one row per observation, in order) and one value
    column. Dates are read as ISO 8601 (YYYY-MM-DD) unless ``date_format`` (strptime
    codes, e.g. ``%d/%m/%Y``) says otherwise. Cumulative counts are differenced (from 0).

    Raises:
        ConfigError: missing, special or unreadable file, not two columns, more than
            MAX_OBSERVATIONS rows, dates not in the format (or ambiguous), non-numeric,
            missing, negative or too large values, a falling cumulative count.
    """
    if cumulative:
        _check_cumulative_target(target)
    series, _ = read_series(source, cumulative=cumulative, date_format=date_format)
    if cumulative:
        series = pd.Series(np.diff(series.to_numpy(dtype=float), prepend=0.0),
                           index=series.index, name=series.name)
    return series.rename(series.name if series.name is not None else target)


def _check_cumulative_target(target: str) -> None:
    """Cumulative input is counts of adopters (active users are a stock)."""
    if target != "adopters":
        raise ConfigError(f"cumulative = true with target = {target!r}: cumulative input "
                          "applies to target 'adopters' only (active users are a stock)")


def _check_launch(launch: Any, date_format: str | None = None) -> pd.Timestamp | None:
    """The launch as a Timestamp (None stays None); text is read as ISO 8601 or ``date_format``."""
    if launch is None:
        return None
    allowed = ("allowed: a date, e.g. 2023-02-01 (YYYY-MM-DD)" if date_format is None
               else f"allowed: a date in --date-format {date_format!r} or YYYY-MM-DD")
    if isinstance(launch, (bool, int, float, np.number)):
        raise ConfigError(f"launch = {launch!r}: not a date; {allowed}")
    try:
        if isinstance(launch, str):
            formats = [ISO_DATES] if date_format is None else [date_format, ISO_DATES]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                parsed = [pd.to_datetime(pd.Index([launch]), format=f, errors="coerce")[0]
                          for f in formats]
            stamp = next((p for p in parsed if not pd.isna(p)), pd.NaT)
        else:
            stamp = pd.Timestamp(launch)
    except (ValueError, TypeError, OverflowError):
        raise ConfigError(f"launch = {launch!r}: not a date; {allowed}") from None
    if pd.isna(stamp):
        raise ConfigError(f"launch = {launch!r}: not a date; {allowed}")
    return stamp.tz_localize(None) if stamp.tzinfo is not None else stamp


def _observation_days(index: pd.Index, launch: pd.Timestamp | None) -> np.ndarray | None:
    """Each observation's simulated day since launch, or None for numbered periods.

    Days come from a day index (whole, >= 0) or from dates and ``launch``; either
    increases, one observation per day (dates and numbers are checked as they are
    read, :func:`.series.check_labels`; a day index of text here).
    """
    if launch is not None:
        if not isinstance(index, pd.DatetimeIndex):
            held = "whole days" if is_day_index(index) else "period numbers"
            raise ConfigError(f"launch = {launch.date()}: the time column {index.name!r} holds "
                              f"{held}, not dates; allowed: --launch only with dated rows")
        if index.tz is not None:
            index = index.tz_localize(None)
        days = np.asarray((index - launch) / pd.Timedelta(days=1), dtype=float)
        early = np.flatnonzero(days < 0)
        if early.size:
            i = int(early[0])
            raise ConfigError(f"observed series: date {index[i].date()} (row {i + 1}) is before "
                              f"the launch on {launch.date()}; allowed: dates on or after "
                              "--launch")
        return days
    if not is_day_index(index):
        return None
    values = pd.to_numeric(pd.Series(index), errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0) | (values != np.round(values)))
    if bad.size:
        i = int(bad[0])
        raise ConfigError(f"observed series: time column {index.name!r} holds {index[i]!r} "
                          f"(row {i + 1}); allowed: whole numbers of days since launch, "
                          ">= 0 (for dates, name the column 'date' and give --launch)")
    check_increasing(values, [f"{v:g}" for v in values], "day", "observed series")
    return values


def _days_of_index(index: pd.Index) -> float | None:
    """Days per period from a date index's frequency, or None if it is not dates."""
    if not isinstance(index, pd.DatetimeIndex) or len(index) < 3:
        return None
    try:  # pandas >= 3.1 warns unless asked for the offset it will return
        with pd.option_context("future.infer_freq_returns_offset", True):
            freq = pd.infer_freq(index)
    except pd.errors.OptionError:
        freq = pd.infer_freq(index)
    freq = getattr(freq, "freqstr", freq)
    code = None if freq is None else "".join(c for c in freq.split("-")[0] if c.isalpha())
    if code not in _FREQ_DAYS:
        raise ConfigError(f"days_per_period: the dates ({index[0].date()}, {index[1].date()}, "
                          "...) have no regular daily, weekly, monthly, quarterly or yearly "
                          "step; allowed: --launch DATE (each date is then compared with the "
                          "simulation on its day since launch), or --days-per-period N")
    multiple = "".join(c for c in freq.split("-")[0] if c.isdigit())
    return _FREQ_DAYS[code] * (int(multiple) if multiple else 1)


# --- fitting -------------------------------------------------------------------


def parse_fit(text: str) -> tuple[str, tuple[float, float]]:
    """Split a CLI ``dotted.key=LOW:HIGH`` into key and bounds (checked later, by calibrate)."""
    key, sep, rest = text.partition("=")
    low, colon, high = rest.partition(":")
    try:
        if not sep or not colon or not key.strip():
            raise ValueError
        bounds = (float(low), float(high))
    except ValueError:
        raise ConfigError(f"--fit {text!r}: expected dotted.key=LOW:HIGH with numbers, e.g. "
                          "adoption.imitation=0.1:0.6") from None
    return key.strip(), bounds


@dataclass
class _Problem:
    """What one evaluation needs: the data, the keys and their bounds, the time mapping."""

    y: np.ndarray
    """the fitted observations (held-out ones excluded), increments or stocks"""
    weights: np.ndarray
    """weight of each fitted observation's squared residual (mean 1)"""
    keys: list[str]
    bounds: dict[str, tuple[float, float]]
    integer: list[bool]
    dpp_index: int | None
    dpp_fixed: float | None
    days: np.ndarray | None
    """every observation's simulated day (held-out ones included), or None: periods"""
    n_total: int
    """observations, held-out ones included"""
    column: str
    platform: str
    horizon: int
    base: Config
    runner: Runner
    """replicates, root seed (of the runs and of the search) and executor"""
    fixed_scale: float | None
    runs: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)
    means: list[np.ndarray] = field(default_factory=list)
    bar: Progress | None = None
    """the progress bar counting the runs (None: quiet)"""

    @property
    def replicates(self) -> int:
        """Runs per candidate."""
        return self.runner.replicates

    @property
    def seed(self) -> int:
        """The root seed of the runs and of the search."""
        return self.runner.seed

    @property
    def lows(self) -> np.ndarray:
        """The lower search bound of each key, in key order."""
        return np.array([self.bounds[key][0] for key in self.keys])

    @property
    def highs(self) -> np.ndarray:
        """The upper search bound of each key, in key order."""
        return np.array([self.bounds[key][1] for key in self.keys])

    def values(self, x: np.ndarray) -> dict[str, int | float]:
        """Key → value of a candidate (integer keys rounded)."""
        return {key: (int(round(v)) if whole else float(v))
                for key, whole, v in zip(self.keys, self.integer, x, strict=True)}

    def overrides(self, x: np.ndarray) -> dict[str, Any]:
        """The config overrides of a candidate (every key but ``days_per_period``)."""
        return {key: value for i, (key, value) in enumerate(self.values(x).items())
                if i != self.dpp_index}

    def dpp(self, x: np.ndarray) -> float | None:
        """Simulated days per observed period at a candidate (None: the data's days)."""
        if self.dpp_index is not None:
            return float(x[self.dpp_index])
        return None if self.dpp_fixed is None else float(self.dpp_fixed)

    def observation_days(self, x: np.ndarray) -> np.ndarray:
        """The simulated day of every observation (held-out ones included) at a candidate."""
        if self.days is not None:
            return self.days
        return self.dpp(x) * np.arange(1, self.n_total + 1)

    def levels(self, xs: np.ndarray, replicates: int | None = None) -> list[np.ndarray]:
        """Per candidate: (replicates x (1 + n_total)) simulated column, market units.

        Column 0 is day 0 (the launch), then every observation's day (linear
        between days).
        """
        runner = self.runner if replicates is None else replace(self.runner,
                                                                replicates=replicates)
        scenarios: list[dict[str, Any]] = []
        slot = []
        for x in xs:
            overrides = self.overrides(x)
            if overrides not in scenarios:
                scenarios.append(overrides)
            slot.append(scenarios.index(overrides))

        if self.bar is not None:  # candidates that repeat one another run once
            self.bar.skip((len(xs) - len(scenarios)) * runner.replicates)
        result = runner.run(scenarios, base=self.base, keep_timeseries=True,
                            progress=False if self.bar is None else self.bar)
        self.runs += len(result.runs)
        result.check("calibrate", [str(s) for s in scenarios])
        table = result.timeseries
        table = table[table["platform"] == self.platform]
        days = self.horizon + 1
        daily = table[self.column].to_numpy(dtype=float).reshape(len(scenarios),
                                                                 runner.replicates, days)
        grid = np.arange(days)
        out = []
        for x, s in zip(xs, slot, strict=True):
            ends = np.concatenate([[0.0], self.observation_days(x)])
            out.append(np.stack([np.interp(ends, grid, row) for row in daily[s]]))
        return out

    def fitted_part(self, levels: np.ndarray) -> np.ndarray:
        """The fitted observations' simulated counterparts: increments or stocks."""
        n = len(self.y)
        if self.column == "adopters":
            return np.diff(levels, axis=-1)[..., :n]
        return levels[..., 1:n + 1]

    def held_part(self, levels: np.ndarray, cumulative: bool) -> np.ndarray:
        """The held-out observations' counterparts, in the data's form (scale not applied).

        Cumulative input: adopters since the last fitted observation's day (the forecast
        adds them to its observed level); otherwise increments or stocks.
        """
        n = len(self.y)
        if self.column == "adopters":
            if cumulative:
                return levels[..., n + 1:] - levels[..., n:n + 1]
            return np.diff(levels, axis=-1)[..., n:]
        return levels[..., n + 1:]

    def simulate(self, xs: np.ndarray, replicates: int | None = None) -> list[np.ndarray]:
        """Per candidate: (replicates x n) simulated series of the fitted observations."""
        return [self.fitted_part(level) for level in self.levels(xs, replicates)]

    def scale_and_sse(self, mean: np.ndarray, data: np.ndarray | None = None
                      ) -> tuple[float, float]:
        """The weighted least-squares scale <m, y>_w / <m, m>_w (or the fixed one), the SSE."""
        y = self.y if data is None else data
        weighted = self.weights * mean
        mm = float(weighted @ mean)
        if self.fixed_scale is not None:
            scale = self.fixed_scale
        else:
            scale = max(float(weighted @ y) / mm, 0.0) if mm > 0 else 0.0
        residual = y - scale * mean
        return scale, float((self.weights * residual) @ residual)

    def evaluate(self, xs: np.ndarray, stage: str) -> np.ndarray:
        """SSE of each candidate (rows of xs), recorded in the history."""
        sses = []
        for x, series in zip(xs, self.simulate(xs), strict=True):
            mean = series.mean(axis=0)
            scale, sse = self.scale_and_sse(mean)
            row = {"evaluation": len(self.rows), "stage": stage}
            row.update(self.values(x))
            row.update(scale=scale, sse=sse, rmse=math.sqrt(sse / len(self.y)))
            self.rows.append(row)
            self.means.append(mean)
            sses.append(sse)
        return np.asarray(sses)


def calibrate(
    observed: Any,
    config: Config | str | Path | Mapping[str, Any],
    parameters: Mapping[str, tuple[float, float]],
    target: str = "adopters",
    *,
    cumulative: bool = False,
    days_per_period: float | None = None,
    launch: str | dt.date | pd.Timestamp | None = None,
    date_format: str | None = None,
    holdout: int = 0,
    scale: float | None = None,
    platform: str | None = None,
    replicates: int = DEFAULT,
    trials: int = 200,
    seed: int = DEFAULT,
    workers: int | None = DEFAULT,
    client: Any = DEFAULT,
    bootstrap: int = 60,
    profile_points: int | None = None,
    level: float = 0.95,
    runner: Runner | None = None,
    progress: Any = None,
) -> Calibration:
    """Fit config parameters (and the scale) to an observed series; forecast held-out points.

    See the module docstring for the time mapping, weights, units, objective,
    intervals and forecasts.

    Args:
        observed: a CSV path (time column, value column), a pandas Series
            (index: period numbers, dates, or whole days since launch in an
            index named ``day``) or a one-column DataFrame.
        config: the base config (Config, TOML path or mapping).
        parameters: dotted config key → (low, high) search bounds; the key
            ``days_per_period`` fits the time mapping. Integer config fields
            are searched over integers.
        target: ``"adopters"`` (new adopters per interval) or ``"active_users"``
            (active users on each observation's day).
        cumulative: the observed values are cumulative adopters (differenced).
        days_per_period: simulated days per observed period; default: from a
            date index (a year = 365.25 days), else required unless fitted or
            the observations are placed by days or by dates and ``launch``.
        launch: the launch date (``'YYYY-MM-DD'``, a date or Timestamp): dates
            are compared with the simulation on their day since it; needed
            for dates that are not evenly spaced.
        date_format: how a CSV's dates are written, in strptime codes (e.g.
            ``'%d/%m/%Y'``); default ISO 8601 (YYYY-MM-DD). Other forms are refused,
            never guessed (01/02/2020 is a different day in the US).
        holdout: fit on all but the last ``holdout`` observations and forecast
            those (with 90% intervals, in :attr:`Calibration.forecast`).
        scale: fix the observed units per market person instead of fitting it.
        platform: the platform compared (default: the first).
        replicates: runs per candidate (default 4; replicate r has seed
            ``run_seed(seed, r)`` at every candidate: common random numbers); the
            objective uses their mean.
        trials: candidates the differential-evolution search evaluates, at most
            (fewer when it settles early; a generation holds at least 5 candidates
            and a multiple of the fitted keys, so with 3 keys and ``trials=5`` it
            is 6, and ``message`` says so). The intervals then evaluate
            ``2 * profile_points`` candidates more near the best, and
            ``bootstrap`` fresh runs: the summary counts each.
        seed: root seed of the simulations and of the search (default 0).
        workers: 1 (the default) runs here; N > 1 uses N local processes per generation
            (worth it when one run takes about a second or more); None, every core.
        client: a ``dask.distributed.Client`` to run on instead.
        bootstrap: fresh runs at the best parameters, one per bootstrap refit
            (seeds ``run_seed(seed, r)``, r = replicates ..); with the fitting
            replicates they also make the figure's band.
        profile_points: candidates per round of the sampling around the best
            that the bootstrap's emulator is fitted to (two rounds; default 32
            per fitted parameter; rounded up to a power of 2 for Sobol points).
        level: confidence level of the parameters' intervals.
        runner: a :class:`~simulation.runs.runner.Runner` holding replicates
            (at most ``MAX_REPLICATES`` here), seed, workers and client (then
            give none of those keywords).
        progress: a progress bar of the runs (the search, then the intervals):
            None (the default) on a terminal or in a notebook only; True, False,
            or a file to write it to.

    Returns:
        A :class:`Calibration`.

    Raises:
        ConfigError: bad data, bounds, key, target or settings, or a runner
            beside its keywords (before any run).
        RuntimeError: a simulation failed.
    """
    started = time.perf_counter()
    if runner is None and replicates is not DEFAULT:  # calibrate's bound, tighter: said first
        _check_whole("replicates", replicates)
    runner = runner_of(runner, RUNNER, replicates=replicates, seed=seed, workers=workers,
                       client=client)
    problem, data = _validate(
        observed, config, parameters, target, cumulative=cumulative,
        days_per_period=days_per_period, launch=launch, date_format=date_format,
        holdout=holdout, scale=scale, platform=platform, runner=runner, trials=trials,
        bootstrap=bootstrap, profile_points=profile_points, level=level)
    members, generations = search_plan(len(problem.keys), trials)
    replicates_, k = problem.replicates, len(problem.keys)
    per_round = _per_round(profile_points, k)
    planned = (members * (generations + 1) * replicates_ + replicates_ + bootstrap
               + 2 * per_round * replicates_ + (bootstrap * replicates_ if holdout else 0))
    with progress_bar(progress, planned, "calibrate: search") as bar:
        problem.bar = bar
        search = _search(problem, trials)
        bar.skip((members * (generations + 1) - search.evaluated) * replicates_)
        bar.describe("calibrate: intervals")
        boot = _bootstrap(problem, bootstrap, profile_points, level)
        band, fitted, best_scale, best_levels = _band(problem, boot, data.fitted.index,
                                                      bootstrap)
        forecast = _forecast(problem, boot, data, best_levels, best_scale)
        problem.bar = None
    return Calibration(
        best=problem.values(boot.best_x), intervals=boot.intervals, scale=best_scale,
        scale_interval=boot.scale_interval, level=level, observed=data.fitted, fitted=fitted,
        band=band, history=pd.DataFrame(problem.rows),
        samples=pd.DataFrame(boot.samples, columns=[*problem.keys, "scale"]),
        target=target, cumulative=cumulative, days_per_period=problem.dpp(boot.best_x),
        bounds=problem.bounds, config=load_config(problem.base, problem.overrides(boot.best_x)),
        platform=problem.platform, replicates=problem.replicates, seed=problem.seed,
        runs=problem.runs, seconds=time.perf_counter() - started,
        converged=bool(search.success), message=search.words, notes=boot.notes,
        weights=problem.weights, launch=data.launch, baseline=data.baseline,
        holdout=data.holdout, forecast=forecast)


# --- the steps of calibrate ----------------------------------------------------


@dataclass
class _Data:
    """The observations, checked and split into fitted and held-out ones."""

    fitted: pd.Series
    """the fitted observations: increments (adopters) or stocks, labelled as given"""
    held: pd.Series
    """the held-out observations in the data's form (cumulative counts for cumulative input)"""
    index: pd.Index
    """every observation's label (held-out ones included)"""
    days: np.ndarray | None
    """every observation's simulated day, or None for numbered periods"""
    launch: pd.Timestamp | None
    baseline: float
    holdout: int
    cumulative: bool


def _validate(
    observed: Any,
    config: Config | str | Path | Mapping[str, Any],
    parameters: Mapping[str, tuple[float, float]],
    target: str,
    *,
    cumulative: bool,
    days_per_period: float | None,
    launch: Any,
    holdout: int,
    scale: float | None,
    platform: str | None,
    runner: Runner,
    trials: int,
    bootstrap: int,
    level: float,
    date_format: str | None = None,
    profile_points: int | None = None,
) -> tuple[_Problem, _Data]:
    """Check calibrate's arguments and data before any run; build the problem to fit.

    Returns:
        The :class:`_Problem` (its base config has the horizon, the last
        observation's day) and the observations.

    Raises:
        ConfigError: bad data, bounds, key, target or settings.
    """
    _check_settings(target, replicates=runner.replicates, trials=trials, bootstrap=bootstrap,
                    level=level, scale=scale, holdout=holdout, profile_points=profile_points)
    check_date_format(date_format)
    launch = _check_launch(launch, date_format)
    data = _observations(observed, target, cumulative, launch, holdout, date_format)
    base = load_config(config)
    platform = base.platform_name(platform)
    keys, bounds, integer = _check_parameters(parameters, base)
    dpp_index, days_per_period = _time_mapping(keys, days_per_period, data)
    n_total, n = len(data.index), len(data.fitted)
    check_enough(n, [*keys, *(["scale"] if scale is None else [])], "observed series",
                 unit="periods" if data.days is None else "observations",
                 held=f" ({n_total} given, {holdout} held out)" if holdout else "",
                 hint=" (hold out fewer)" if holdout else "")
    if data.days is not None:
        last = float(data.days[-1])
    else:
        last = n_total * (bounds[DAYS_PER_PERIOD][1] if dpp_index is not None
                          else days_per_period)
    _check_horizon(last, data, n_total, days_per_period, bounds.get(DAYS_PER_PERIOD))
    horizon = max(1, math.ceil(last - 1e-9))
    base = load_config(base, {"horizon_days": horizon})
    column = "adopters" if target == "adopters" else "active_users"
    problem = _Problem(
        y=data.fitted.to_numpy(dtype=float), weights=_weights(data.days, n, column),
        keys=keys, bounds=bounds, integer=integer, dpp_index=dpp_index,
        dpp_fixed=days_per_period, days=data.days, n_total=n_total, column=column,
        platform=platform, horizon=horizon, base=base, runner=runner, fixed_scale=scale)
    return problem, data


def _observations(observed: Any, target: str, cumulative: bool, launch: pd.Timestamp | None,
                  holdout: int, date_format: str | None = None) -> _Data:
    """The observations read, placed, checked, differenced and split.

    Cumulative counts are differenced; the held-out ones are kept in the data's
    form, for the forecast table only. Fitted values with no signal are refused.
    """
    if cumulative:
        _check_cumulative_target(target)
    raw, where = read_series(observed, cumulative=cumulative, date_format=date_format)
    days = _observation_days(raw.index, launch)
    baseline = 0.0
    if days is not None and len(days) and days[0] == 0 and target == "adopters":
        if not cumulative:
            raise ConfigError(f"{where}: new adopters on day 0 (row 1), the launch itself: an "
                              "interval ending there has no length; allowed: days after the "
                              "launch (or cumulative counts, whose day-0 value is the starting "
                              "level)")
        baseline, raw, days = float(raw.iloc[0]), raw.iloc[1:], days[1:]
    values = raw.to_numpy(dtype=float)
    increments = np.diff(values, prepend=baseline) if cumulative else values
    n = len(raw) - holdout
    if n < 1:
        raise ConfigError(f"holdout = {holdout}: the series has {len(raw)} observations"
                          f"{' after the day-0 starting level' if baseline else ''}; allowed: "
                          "fewer held out than observations, leaving enough to fit")
    name = raw.name or target
    _check_signal(increments[:n], None if days is None else days[:n], target, cumulative,
                  where, raw.name)
    fitted = pd.Series(increments[:n], index=raw.index[:n], name=name)
    held = pd.Series(values[n:], index=raw.index[n:], name=name)
    return _Data(fitted=fitted, held=held, index=raw.index, days=days, launch=launch,
                 baseline=baseline, holdout=int(holdout), cumulative=cumulative)


def _weights(days: np.ndarray | None, n: int, column: str) -> np.ndarray:
    """1 / interval length (mean 1) for adopters placed by days; 1 otherwise."""
    if days is None or column != "adopters":
        return np.ones(n)
    inverse = 1 / np.diff(days[:n], prepend=0.0)
    return inverse / inverse.mean()


_SETTINGS = {  # name: (least, most, why the most)
    "replicates": (1, MAX_REPLICATES, "runs per candidate"),
    "trials": (4, MAX_TRIALS, "candidates the search evaluates"),
    "bootstrap": (10, MAX_BOOTSTRAP, "refits; percentile intervals need about 1 000"),
    "holdout": (0, MAX_OBSERVATIONS - 1, "rows held out of at most "
                f"{MAX_OBSERVATIONS:,} observations"),
    "profile_points": (1, MAX_PROFILE_POINTS, "candidates per sampling round"),
}
"""The whole-number settings of :func:`calibrate` and their bounds (see the MAX_ constants)."""


def _check_settings(target: str, *, replicates: int, trials: int, bootstrap: int,
                    level: float, scale: float | None, holdout: int,
                    profile_points: int | None = None) -> None:
    """Check the target and the numeric settings; a ConfigError for the first bad one.

    The seed and the executor are the runner's, checked when it is made.
    """
    if target not in TARGETS:
        raise ConfigError(f"target = {target!r}: unknown; allowed: {', '.join(TARGETS)}")
    given = {"replicates": replicates, "trials": trials, "bootstrap": bootstrap,
             "holdout": holdout, "profile_points": profile_points}
    for name, value in given.items():
        if value is None and name == "profile_points":
            continue
        _check_whole(name, value)
    if not _is_number(level) or not 0 < level < 1:
        raise ConfigError(f"level = {level!r}: must be between 0 and 1")
    if scale is not None and not (_is_number(scale) and 0 < scale <= MAX_VALUE):
        raise ConfigError(f"scale = {scale!r}: must be a positive number up to {MAX_VALUE:g} "
                          "(data units per market person), or None to fit it")


def _check_whole(name: str, value: Any) -> None:
    """A ConfigError unless a whole-number setting is within its bounds (``_SETTINGS``)."""
    least, most, what = _SETTINGS[name]
    if (isinstance(value, bool) or not isinstance(value, (int, np.integer))
            or not least <= value <= most):
        raise ConfigError(f"{name} = {value!r}: must be an integer >= {least} and <= "
                          f"{most:,} ({what})")


def _is_number(value: Any) -> bool:
    """A real number (not a bool), finite."""
    return (isinstance(value, (int, float, np.integer, np.floating))
            and not isinstance(value, (bool, np.bool_)) and bool(np.isfinite(value)))


def _check_horizon(last: float, data: _Data, n_total: int, days_per_period: float | None,
                   dpp_bounds: tuple[float, float] | None) -> None:
    """A ConfigError if the last observation's day is past the model's longest horizon."""
    if last <= MAX_HORIZON_DAYS:
        return
    allowed = (f"allowed: at most {MAX_HORIZON_DAYS:,} simulated days, the model's longest "
               "horizon")
    if data.days is not None:
        placed = "since --launch" if data.launch is not None else "in the day column"
        raise ConfigError(f"observed series: the last observation is on day {last:,.0f} "
                          f"{placed}; {allowed}")
    if dpp_bounds is not None:
        low, high = dpp_bounds
        raise ConfigError(f"--fit {DAYS_PER_PERIOD}={low:g}:{high:g}: {n_total} periods x "
                          f"{high:g} days = {last:.4g} simulated days; {allowed} (a high "
                          f"bound of at most {MAX_HORIZON_DAYS / n_total:.4g})")
    raise ConfigError(f"days_per_period = {days_per_period:g}: {n_total} periods x "
                      f"{days_per_period:g} days = {last:.4g} simulated days; {allowed} (at "
                      f"most {MAX_HORIZON_DAYS / n_total:.4g} days per period, or fewer rows)")


def _check_signal(values: np.ndarray, days: np.ndarray | None, target: str, cumulative: bool,
                  where: str, name: str | None) -> None:
    """A ConfigError if the fitted values carry no signal: all 0, or one flat rate.

    All 0 would fit with scale 0, every candidate equally well; a flat series (the
    same value in every period, or for new adopters placed by days the same number
    per day) has no shape for the parameters to match, and R² is undefined.
    """
    what = "new adopters" if target == "adopters" else "active users"
    check_not_all_zero(values, where, name, cumulative=cumulative, what=what)
    by_day = days is not None and target == "adopters"
    rates = values / np.diff(days, prepend=0.0) if by_day else values
    if len(rates) > 1 and np.ptp(rates) <= 1e-12 * np.max(np.abs(rates)):
        per = "per day" if by_day else "in every fitted observation"
        how = "rises by" if cumulative else "is"
        named = f" in {name!r}" if name is not None else ""
        raise ConfigError(f"{where}: no signal to fit{named}: it {how} {rates[0]:g} "
                          f"{what} {per}, a flat series with no shape for the parameters to "
                          "match; allowed: values that vary")


def _check_parameters(parameters: Mapping[str, tuple[float, float]], base: Config
                      ) -> tuple[list[str], dict[str, tuple[float, float]], list[bool]]:
    """The fitted keys, their checked bounds, and which are integer config fields.

    Each bound is tried as an override of ``base``, so an unknown key or a bound
    outside the field's allowed range is a ConfigError.
    """
    if not parameters:
        raise ConfigError("parameters: none given; allowed: dotted config keys with (low, high) "
                          "bounds, e.g. {'adoption.imitation': (0.1, 0.6)}")
    keys, bounds, integer = list(parameters), {}, []
    if len(keys) > MAX_FITTED_KEYS:
        raise ConfigError(f"parameters: {len(keys)} keys fitted ({', '.join(keys[:4])}, ...); "
                          f"allowed: at most {MAX_FITTED_KEYS} (the search and the emulator "
                          "grow with the square of the count)")
    raw = base.model_dump(mode="json")
    for key in keys:
        bounds[key] = _check_bounds(key, parameters[key])
        if key in SET_BY_CALIBRATE:
            raise ConfigError(f"--fit {key}: {SET_BY_CALIBRATE[key]}, so it cannot be fitted; "
                              "allowed: another config key")
        if key == DAYS_PER_PERIOD:
            integer.append(False)
            continue
        low, high = bounds[key]
        default = get_dotted(raw, key)
        whole = isinstance(default, int) and not isinstance(default, bool)
        integer.append(whole)
        for value in (low, high):  # an unknown key or a bound outside the allowed range
            try:
                load_config(base, {key: int(round(value)) if whole else value})
            except ConfigError as err:
                raise ConfigError(f"--fit {key}={low:g}:{high:g}: {err}") from None
    return keys, bounds, integer


def _time_mapping(keys: list[str], days_per_period: float | None, data: _Data
                  ) -> tuple[int | None, float | None]:
    """Where ``days_per_period`` is among the fitted keys (None: fixed), and its fixed value.

    A fixed value is the one given, else inferred from a date index; None when the
    data's days (or dates and launch) place the observations.
    """
    dpp_index = keys.index(DAYS_PER_PERIOD) if DAYS_PER_PERIOD in keys else None
    if data.days is not None:
        if dpp_index is not None or days_per_period is not None:
            placed = "the dates and --launch" if data.launch is not None else "the day column"
            given = ("--fit days_per_period" if dpp_index is not None
                     else f"days_per_period = {days_per_period!r}")
            raise ConfigError(f"{given}: {placed} already place each observation on a "
                              "simulated day; allowed: one of the two")
        return None, None
    if dpp_index is None:
        if days_per_period is None:
            days_per_period = _days_of_index(data.index)
        if days_per_period is None:
            raise ConfigError("days_per_period: not given and the time column holds period "
                              "numbers, not dates or days; allowed: simulated days per "
                              "observed period (--days-per-period N), fit it (--fit "
                              "days_per_period=LOW:HIGH), a time column named 'day' (days "
                              "since launch), or dates with --launch DATE")
        if not (_is_number(days_per_period) and days_per_period >= MIN_DAYS_PER_PERIOD):
            raise ConfigError(f"days_per_period = {days_per_period!r}: must be a number of "
                              f"simulated days >= {MIN_DAYS_PER_PERIOD:g} (the model steps in "
                              f"days), at most {MAX_HORIZON_DAYS:,} in all")
    elif days_per_period is not None:
        raise ConfigError("days_per_period: both fixed and fitted; allowed: one of the two")
    return dpp_index, days_per_period


def search_plan(keys: int, trials: int) -> tuple[int, int]:
    """Candidates per generation and generations after the first, within ``trials``.

    ``POPULATION_PER_DIM`` candidates per fitted key (at least 8) per generation
    when ``trials`` allows two generations of them; otherwise a smaller
    population (half of ``trials``, or all of it below 10). scipy's differential
    evolution needs at least 5 candidates and a multiple of the keys, so the
    plan exceeds ``trials`` only where that floor does (3 keys, ``trials=5``: 6).
    """
    population = max(POPULATION_PER_DIM * keys, 8)
    if trials < 2 * population:
        population = trials // 2 if trials >= 10 else trials
    members = (population // keys) * keys
    if members < 5:
        members = math.ceil(5 / keys) * keys
    return members, max(0, trials // members - 1)


@dataclass
class _Search:
    """What the search did: scipy's verdict, the candidates it evaluated, in words."""

    success: bool
    evaluated: int
    words: str


def _search(problem: _Problem, trials: int) -> _Search:
    """Differential evolution over the bounds, one runner batch per generation.

    Every candidate is recorded in ``problem.rows`` (stage ``search``); at most
    ``trials`` are evaluated (see :func:`search_plan` for the one exception).

    Returns:
        whether it settled (scipy's ``success``), the candidates evaluated, and
        a sentence saying how it stopped (scipy's own message names iterations,
        which a user never set).
    """
    from scipy import optimize

    k = len(problem.keys)
    members, generations = search_plan(k, trials)
    integer = problem.integer
    before = len(problem.rows)
    result = optimize.differential_evolution(
        lambda xs: problem.evaluate(np.atleast_2d(xs.T), "search"),
        list(zip(problem.lows, problem.highs, strict=True)), popsize=members // k,
        maxiter=generations, polish=False, vectorized=True, updating="deferred",
        init="latinhypercube", rng=np.random.default_rng([problem.seed, 1]),
        integrality=np.array(integer) if any(integer) else None, tol=1e-3)
    evaluated = len(problem.rows) - before
    plan = (f"{generations + 1} generation{'s' if generations else ''} of {members} "
            "candidates")
    if result.success:
        words = (f"the search settled after {evaluated} candidates ({plan} at most; "
                 f"trials = {trials})")
    else:
        words = (f"the search evaluated {evaluated} candidates ({plan}; trials = {trials}) "
                 "and was still improving: a larger trials may find a better fit")
    if evaluated > trials:
        words += (f"; {evaluated - trials} more than trials, since differential evolution "
                  f"needs at least 5 candidates per generation and a multiple of the {k} "
                  "fitted keys")
    return _Search(bool(result.success), evaluated, words)


def _per_round(profile_points: int | None, keys: int) -> int:
    """Candidates per sampling round near the best: a power of 2 (Sobol points)."""
    return 2 ** math.ceil(math.log2(max(profile_points or 32 * keys, 2)))


@dataclass
class _Bootstrap:
    """What :func:`_bootstrap` found."""

    best_x: np.ndarray
    """the best candidate of every evaluation (search and both sampling rounds)"""
    samples: np.ndarray
    """the refits: bootstrap x (fitted keys + scale)"""
    intervals: dict[str, tuple[float, float]]
    scale_interval: tuple[float, float]
    notes: list[str]
    levels: np.ndarray
    """(replicates + bootstrap) x (1 + n_total) simulated levels at ``runs_at`` (day 0, then
    every observation's day): fitting seeds, then fresh ones"""
    runs_at: np.ndarray
    """the candidate ``levels`` were simulated at (the best of the search)"""
    noise_factor: float
    """c: the bootstrap noise is c x a fresh run's deviation from the fresh runs' mean"""


def _bootstrap(problem: _Problem, bootstrap: int, profile_points: int | None, level: float
               ) -> _Bootstrap:
    """The parametric-bootstrap percentile intervals, at ``level``.

    ``bootstrap`` fresh runs at the best of the search (replicates R..R+B-1)
    give the noise. Two rounds each evaluate Sobol points in a box around the
    best (first the near-best region of the search, then the first round's
    bootstrap spread) and refit every bootstrap data set on an emulator fitted
    to them (:func:`_emulator_refits`); the intervals are percentiles of the
    second round's refits.
    """
    from scipy import stats  # scipy.stats only when calibrating (import time)
    from scipy.stats import qmc

    keys, integer, replicates = problem.keys, problem.integer, problem.replicates
    lows, highs = problem.lows, problem.highs
    k = len(keys)
    best_x = _best_x(pd.DataFrame(problem.rows), keys)
    noise_x = best_x
    levels_at_best = problem.levels(best_x[None, :], replicates + bootstrap)[0]
    fresh = problem.fitted_part(levels_at_best[replicates:])
    rng = np.random.default_rng([problem.seed, 2])
    per_round = _per_round(profile_points, k)  # Sobol: 2^m
    dof = len(problem.y) - (k + (problem.fixed_scale is None))
    factor = 1 + stats.f.ppf(level, 1, dof) / dof
    box = _integer_room(_region_box(pd.DataFrame(problem.rows), keys, factor, lows, highs),
                        best_x, integer, lows, highs)
    for round_ in (1, 2):
        points = qmc.scale(qmc.Sobol(d=k, scramble=True, rng=rng).random(per_round), *box)
        if any(integer):
            points[:, integer] = np.round(points[:, integer])
        problem.evaluate(points, f"box{round_}")
        history = pd.DataFrame(problem.rows)
        best_x = _best_x(history, keys)
        samples, noise_factor, emulated = _emulator_refits(
            problem, history, best_x, box, fresh, lows, highs)
        spread_low, spread_high = samples[:, :k].min(axis=0), samples[:, :k].max(axis=0)
        width = np.maximum(spread_high - spread_low, 0.02 * (highs - lows))
        box = _integer_room((np.maximum(lows, np.minimum(spread_low, best_x) - 0.25 * width),
                             np.minimum(highs, np.maximum(spread_high, best_x) + 0.25 * width)),
                            best_x, integer, lows, highs)
    tails = [(1 - level) / 2, (1 + level) / 2]
    intervals = {key: tuple(float(v) for v in np.quantile(samples[:, j], tails))
                 for j, key in enumerate(keys)}
    scale_interval = tuple(float(v) for v in np.quantile(samples[:, k], tails))
    notes = _notes(problem, intervals, lows, highs, noise_factor, emulated)
    return _Bootstrap(best_x=best_x, samples=samples, intervals=intervals,
                      scale_interval=scale_interval, notes=notes, levels=levels_at_best,
                      runs_at=noise_x, noise_factor=noise_factor)


def _integer_room(box: tuple[np.ndarray, np.ndarray], best_x: np.ndarray,
                  integer: Sequence[bool], lows: np.ndarray, highs: np.ndarray,
                  room: int = INTEGER_ROOM) -> tuple[np.ndarray, np.ndarray]:
    """The box, reaching at least ``room`` steps either side of the best on integer keys.

    Without it a box narrower than one step rounds to the best alone, and the
    emulator learns nothing about that key.
    """
    whole = np.asarray(integer, dtype=bool)
    low = np.where(whole, np.minimum(box[0], best_x - room), box[0])
    high = np.where(whole, np.maximum(box[1], best_x + room), box[1])
    return np.maximum(lows, low), np.minimum(highs, high)


def _best_x(history: pd.DataFrame, keys: Sequence[str]) -> np.ndarray:
    """The fitted keys of the candidate with the least SSE (the first on ties)."""
    return history.loc[history["sse"].idxmin(), keys].to_numpy(dtype=float)


def _notes(problem: _Problem, intervals: Mapping[str, tuple[float, float]], lows: np.ndarray,
           highs: np.ndarray, noise_factor: float, emulated: float) -> list[str]:
    """Caveats of the intervals: one reaches a search bound, noise scaled up, a rough emulator."""
    notes = []
    for j, key in enumerate(problem.keys):
        low, high = intervals[key]
        room = 1e-3 * (highs[j] - lows[j])
        if low <= lows[j] + room or high >= highs[j] - room:
            notes.append(f"the interval of {key} reaches a search bound: widen "
                         f"{lows[j]:g}:{highs[j]:g} to see its full extent")
    if noise_factor > 1.5 * math.sqrt(1 + 1 / problem.replicates):
        notes.append(f"the residuals are {noise_factor:.1f} x the simulations' own noise "
                     "(model misfit, or a real market less noisy than a scaled-down one): "
                     "the bootstrap noise was scaled up to match them")
    if emulated > 0.05:
        notes.append(f"the local emulator misses the simulated series by {emulated:.0%} near "
                     "the best: the intervals are rough")
    return notes


def _band(problem: _Problem, boot: _Bootstrap, labels: pd.Index, bootstrap: int
          ) -> tuple[pd.DataFrame, np.ndarray, float, np.ndarray]:
    """The simulated band at the best parameters, over every run there (fitting and fresh).

    The bootstrap's runs are reused when the best has not moved since they were run.

    Returns:
        The band (per fitted observation: period, label, day, observed, fitted,
        median, low 5%, high 95%; for adopters also of the running totals), the
        fitted series (scale x the replicate mean), the best scale, and the
        simulated levels at the best (every run, every observation).
    """
    replicates, best_x, n = problem.replicates, boot.best_x, len(problem.y)
    history = pd.DataFrame(problem.rows)
    best_row = history.loc[history["sse"].idxmin()]
    reuse = np.array_equal(best_x, boot.runs_at)
    if not reuse and problem.bar is not None:  # the best moved: its runs are made again
        problem.bar.grow(replicates + bootstrap)
    levels = (boot.levels if reuse
              else problem.levels(best_x[None, :], replicates + bootstrap)[0])
    series = problem.fitted_part(levels)
    best_scale = float(best_row["scale"])
    fit_mean = series[:replicates].mean(axis=0) * best_scale
    scaled = series * best_scale
    band = pd.DataFrame({
        "period": np.arange(1, n + 1), "label": labels,
        "day": problem.observation_days(best_x)[:n],
        "observed": problem.y, "fitted": fit_mean,
        "median": np.median(scaled, axis=0), "low": np.quantile(scaled, 0.05, axis=0),
        "high": np.quantile(scaled, 0.95, axis=0)})
    if problem.column == "adopters":
        running = np.cumsum(scaled, axis=1)
        band["cum_median"] = np.median(running, axis=0)
        band["cum_low"] = np.quantile(running, 0.05, axis=0)
        band["cum_high"] = np.quantile(running, 0.95, axis=0)
    return band, fit_mean, best_scale, levels


def _forecast(problem: _Problem, boot: _Bootstrap, data: _Data, best_levels: np.ndarray,
              best_scale: float) -> pd.DataFrame:
    """Each held-out observation's forecast, 90% interval and error (see the module docstring).

    The interval's draws are s_b (m(theta_b) + c (x_b - mean x)) over the bootstrap
    refits b: m the replicate mean simulated at the refit's parameters on the
    fitting seeds, x_b the b-th fresh run at the best, c the bootstrap's noise factor.
    """
    if data.holdout == 0:
        return _empty_forecast()
    k, replicates, n = len(problem.keys), problem.replicates, len(problem.y)
    cumulative = data.cumulative
    point = best_scale * problem.held_part(best_levels[:replicates], cumulative).mean(axis=0)
    draws = boot.samples[:, :k]
    means = np.stack([problem.held_part(levels, cumulative).mean(axis=0)
                      for levels in problem.levels(draws)])
    fresh = problem.held_part(boot.levels[replicates:], cumulative)
    noise = boot.noise_factor * (fresh - fresh.mean(axis=0))
    simulated = boot.samples[:, k:k + 1] * (means + noise)
    tails = [(1 - FORECAST_LEVEL) / 2, (1 + FORECAST_LEVEL) / 2]
    low, high = np.quantile(simulated, tails, axis=0)
    # a cumulative count is forecast from its last fitted observation (the known level)
    baseline = data.baseline + float(data.fitted.sum()) if cumulative else 0.0
    observed = data.held.to_numpy(dtype=float)
    forecast = baseline + point
    return pd.DataFrame({
        "period": np.arange(n + 1, problem.n_total + 1), "label": list(data.held.index),
        "day": problem.observation_days(boot.best_x)[n:], "observed": observed,
        "forecast": forecast, "low": baseline + low, "high": baseline + high,
        "error": observed - forecast})


def _emulator_refits(problem: _Problem, history: pd.DataFrame, best_x: np.ndarray,
                     box: tuple[np.ndarray, np.ndarray], fresh: np.ndarray, lows: np.ndarray,
                     highs: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Parametric bootstrap refits on a local emulator of the replicate-mean series.

    Each bootstrap data set is s m(best) + c s (x_b - mean x), x_b a fresh
    run at the best (its own seed, not a fitting one), so the noise has the
    simulation's structure across periods (a run ahead early stays ahead).
    c = max(sqrt(1 + 1/R), RMSE / rms noise): the replicate mean's own noise
    adds 1/R of a run's variance, and residuals larger than the simulations'
    noise (misfit) scale it up. m(theta) is a quadratic (linear with few
    points) least-squares fit to the candidates evaluated in ``box``.

    Returns:
        samples (bootstrap x (parameters + scale)), c, and the emulator's
        relative error at the best.
    """
    from scipy import optimize

    keys = problem.keys
    inside = np.all([(history[key] >= lo) & (history[key] <= hi)
                     for key, lo, hi in zip(keys, *box, strict=True)], axis=0)
    xs = history.loc[inside, keys].to_numpy(dtype=float)
    means = np.stack([problem.means[i] for i in history.index[inside]])
    centre, half = best_x, np.maximum((box[1] - box[0]) / 2, 1e-12)
    quadratic = len(xs) >= 3 * (1 + len(keys) + len(keys) * (len(keys) + 1) // 2)

    def features(x: np.ndarray) -> np.ndarray:
        z = (np.atleast_2d(x) - centre) / half
        columns = [np.ones(len(z)), *z.T]
        if quadratic:
            columns += [z[:, a] * z[:, b] for a in range(z.shape[1]) for b in range(a, z.shape[1])]
        return np.column_stack(columns)

    coef, *_ = np.linalg.lstsq(features(xs), means, rcond=None)

    def emulate(x: np.ndarray) -> np.ndarray:
        return (features(x) @ coef)[0]

    best_row = history.loc[history["sse"].idxmin()]
    scale = float(best_row["scale"])
    actual = problem.means[int(best_row.name)]
    centre_series = emulate(best_x)
    emulated = float(np.linalg.norm(centre_series - actual) / max(np.linalg.norm(actual), 1e-12))
    deviations = scale * (fresh - fresh.mean(axis=0))
    rms = float(np.sqrt(np.mean(problem.weights * deviations**2)))  # as the weighted RMSE
    rmse = math.sqrt(float(best_row["sse"]) / len(problem.y))
    factor = max(math.sqrt(1 + 1 / problem.replicates), rmse / rms if rms > 0 else 0.0)
    if rms == 0:  # a deterministic model: resample the residuals instead
        residuals = problem.y - scale * actual
        draws = np.random.default_rng([problem.seed, 3]).choice(
            residuals, size=(len(fresh), len(residuals)))
        deviations, factor = draws, 1.0
    samples = []
    for deviation in deviations:
        data = scale * centre_series + factor * deviation

        def residual(x: np.ndarray, data: np.ndarray = data) -> np.ndarray:
            series = emulate(x)
            return data - problem.scale_and_sse(series, data)[0] * series

        fit = optimize.least_squares(residual, best_x, bounds=(lows, highs), x_scale=half,
                                     method="trf")
        series = emulate(fit.x)
        x = np.where(problem.integer, np.round(fit.x), fit.x)
        samples.append([*x, problem.scale_and_sse(series, data)[0]])
    return np.array(samples), factor, emulated


def _check_bounds(key: str, bounds: Any) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in bounds)
    except (TypeError, ValueError):
        raise ConfigError(f"--fit {key}: bounds {bounds!r} are not two numbers; allowed: "
                          "(low, high), e.g. 0.1:0.6 on the command line") from None
    if not (np.isfinite(low) and np.isfinite(high)) or low >= high:
        raise ConfigError(f"--fit {key}={low:g}:{high:g}: low must be below high, both finite")
    if key == DAYS_PER_PERIOD and low < MIN_DAYS_PER_PERIOD:
        raise ConfigError(f"--fit {key}={low:g}:{high:g}: days per period must be >= "
                          f"{MIN_DAYS_PER_PERIOD:g} (the model steps in days)")
    return low, high


def _region_box(history: pd.DataFrame, keys: Sequence[str], factor: float,
                lows: np.ndarray, highs: np.ndarray, widen: float = 3.0
                ) -> tuple[np.ndarray, np.ndarray]:
    """A box around the candidates with SSE <= factor x the least, ``widen`` x their reach.

    The reach of each key is at least 2% of its search range, so a region of
    one point still gets a box.
    """
    values = history[list(keys)].to_numpy(dtype=float)
    sse = history["sse"].to_numpy()
    best = values[np.argmin(sse)]
    region = values[sse <= sse.min() * factor]
    reach_low = np.maximum(best - region.min(axis=0), 0.02 * (highs - lows))
    reach_high = np.maximum(region.max(axis=0) - best, 0.02 * (highs - lows))
    return (np.maximum(lows, best - widen * reach_low),
            np.minimum(highs, best + widen * reach_high))
