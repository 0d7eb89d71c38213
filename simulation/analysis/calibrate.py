"""Calibration: fit config parameters to an observed adoption or usage series.

``calibrate(observed, config, parameters={"adoption.imitation": (0.1, 0.6)})``
finds the values of the chosen dotted config keys (and the scale between the
simulated population and the real market) whose simulations best match an
observed series, with an interval for each.

**What is compared.** The observed series has one value per period; period k
(k = 1..n) is the interval ((k-1) d, k d] in simulated days since launch,
d = ``days_per_period`` (fixed, inferred from a date index, or fitted like a
parameter under the key ``days_per_period``). The simulated counterpart, from
the daily table of the first platform (or ``platform``), is

- ``target="adopters"``: new adopters in each period, C(k d) - C((k-1) d),
  C the cumulative ``adopters`` column (linear between days when d is not a
  whole number). Observed cumulative counts (``cumulative=True``) are
  differenced first and fitted per period, as ``fit_bass`` does: residuals
  of a cumulative series are strongly autocorrelated, so least squares on
  them would overstate the precision;
- ``target="active_users"``: active users at the end of each period, a stock.

The horizon is set to ceil(n d) days (the largest d when d is fitted).

**Units.** Simulated values are people of the simulated population; observed
values are in the data's own units (people, thousands of units sold, ...).
``scale`` is observed units per simulated person: for each candidate it is
solved in closed form by least squares, s = <y, m> / <m, m> (m the candidate's
replicate-mean simulated series, y the observed one), since the model is
linear in it. For adopters with everyone eventually adopting,
``scale * population.followers`` is the market potential (Bass's m).

**Objective.** SSE(theta) = sum_k (y_k - s m_k(theta))^2 with m the mean over
``replicates`` runs. Replicate r runs with seed ``run_seed(seed, r)`` at every
candidate (common random numbers, through :func:`simulation.sweep.run_many`),
so the objective is a fixed function of theta: comparisons between candidates
are not blurred by fresh noise, and the optimiser sees a surface with small
steps rather than a noisy cloud.

**Optimiser.** scipy's differential evolution (Storn & Price 1997): global,
derivative-free, bounded, needs no new dependency, and evaluates a whole
population per generation, which is one ``run_many`` batch (parallel over
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

References:
    Storn, R. & Price, K. (1997). Differential evolution. J. Global
    Optimization 11, 341-359.
    Efron, B. & Tibshirani, R. J. (1993). An Introduction to the Bootstrap.
    Chapman & Hall, ch. 6 and 13.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..model.config import (
    Config,
    ConfigError,
    check_input_file,
    check_seed,
    get_dotted,
    load_config,
)
from ..runs.executors import check_workers_option
from ..runs.folders import check_output_folder, staged_folder
from ..runs.sweep import run_many

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TARGETS = ("adopters", "active_users")
"""What can be fitted: per-period new adopters (or cumulative counts, differenced) and
active users at the end of each period."""
DAYS_PER_PERIOD = "days_per_period"
"""The pseudo-key that fits the time mapping (simulated days per observed period)."""
CALIBRATION_FILES = ("calibration.json", "history.csv", "fit.png")
"""What :meth:`Calibration.write` writes."""
POPULATION_PER_DIM = 8
"""Differential-evolution population per fitted parameter (scipy's default is 15;
fewer candidates, more generations, suit a small budget in 1-4 dimensions)."""
_FREQ_DAYS = {"D": 1.0, "B": 1.0, "W": 7.0, "M": 365.25 / 12, "ME": 365.25 / 12,
              "MS": 365.25 / 12, "Q": 365.25 / 4, "QE": 365.25 / 4, "QS": 365.25 / 4,
              "Y": 365.25, "YE": 365.25, "YS": 365.25, "A": 365.25, "AS": 365.25}
"""Days per period of a date index's frequency (mean calendar lengths)."""


# --- the result ----------------------------------------------------------------


@dataclass(eq=False)
class Calibration:
    """A calibration's result (see :func:`calibrate`); print it for a summary.

    Values of ``observed``, ``fitted`` and ``band`` are in the data's units per
    period; ``scale`` is data units per simulated person.
    """

    best: dict[str, float]
    """best value of each fitted key (``days_per_period`` included if fitted)"""
    intervals: dict[str, tuple[float, float]]
    """parametric-bootstrap percentile interval of each fitted key, at ``level``"""
    scale: float
    """observed units per simulated person at the best parameters"""
    scale_interval: tuple[float, float]
    level: float
    observed: pd.Series
    """the per-period values fitted (cumulative input differenced), labelled by period"""
    fitted: np.ndarray
    """scale x the replicate-mean simulated series at the best parameters"""
    band: pd.DataFrame
    """per period: observed, fitted, median, low (5%), high (95%) over every run at the best"""
    history: pd.DataFrame
    """every candidate evaluated: stage (search, box1, box2), parameters, scale, sse, rmse"""
    samples: pd.DataFrame
    """the bootstrap refits: one row per fresh run, each fitted key and the scale"""
    target: str
    cumulative: bool
    days_per_period: float
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

    @property
    def n(self) -> int:
        """Periods fitted."""
        return len(self.observed)

    @property
    def sse(self) -> float:
        """Residual sum of squares at the best parameters, in squared data units."""
        residuals = self.observed.to_numpy() - self.fitted
        return float(residuals @ residuals)

    @property
    def rmse(self) -> float:
        """Root mean squared error per period, sqrt(SSE / n), in data units."""
        return math.sqrt(self.sse / self.n)

    @property
    def r2(self) -> float:
        """1 - SSE / TSS of the per-period values (NaN if they are all equal)."""
        values = self.observed.to_numpy()
        tss = float(((values - values.mean()) ** 2).sum())
        return 1 - self.sse / tss if tss > 0 else float("nan")

    @property
    def population(self) -> int:
        """Simulated people (``population.followers``)."""
        return self.config.population.followers

    @property
    def market(self) -> float:
        """``scale x population.followers``: the simulated population in data units."""
        return self.scale * self.population

    def to_dict(self) -> dict[str, Any]:
        """The JSON summary: best values, intervals, scale, fit quality and settings."""
        return {
            "target": self.target, "cumulative_input": self.cumulative,
            "platform": self.platform, "periods": self.n,
            "days_per_period": self.days_per_period,
            "best": self.best,
            "intervals": {k: list(v) for k, v in self.intervals.items()},
            "level": self.level,
            "interval_method": "parametric bootstrap (percentile), refits on a local "
                               "emulator of the simulations",
            "scale": self.scale, "scale_interval": list(self.scale_interval),
            "scale_unit": "observed units per simulated person",
            "population": self.population, "market": self.market,
            "rmse": self.rmse, "r2": self.r2, "sse": self.sse,
            "bounds": {k: list(v) for k, v in self.bounds.items()},
            "optimiser": "scipy.optimize.differential_evolution (CRN, replicate mean)",
            "replicates": self.replicates, "seed": self.seed,
            "evaluations": int(len(self.history)), "runs": self.runs,
            "seconds": round(self.seconds, 2), "converged": self.converged,
            "message": self.message, "notes": self.notes,
            "bootstrap_samples": self.samples.to_dict(orient="list"),
            "config": self.config.model_dump(mode="json", exclude_none=True),
        }

    def summary(self) -> str:
        """A few readable lines."""
        unit = f"{self.days_per_period:g} simulated days per period"
        lines = [f"calibration of {self.config.name!r} to {self.n} periods of {self.target} "
                 f"({unit}; {self.replicates} replicates per candidate)"]
        pct = f"{self.level:.0%}"
        for key, value in self.best.items():
            low, high = self.intervals[key]
            lines.append(f"  {key} = {value:.4g}  [{pct}: {low:.4g} .. {high:.4g}]  "
                         f"(searched {self.bounds[key][0]:g} .. {self.bounds[key][1]:g})")
        low, high = self.scale_interval
        lines.append(f"  scale = {self.scale:.4g} data units per simulated person  "
                     f"[{pct}: {low:.4g} .. {high:.4g}]; x {self.population:,} people = "
                     f"{self.market:.4g}")
        lines.append(f"  RMSE = {self.rmse:.4g} per period, R² = {self.r2:.4f}; "
                     f"{len(self.history)} candidates, {self.runs} runs, {self.seconds:.1f} s")
        if not self.converged:
            lines.append(f"  search stopped: {self.message}")
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def figure(self, title: str | None = None) -> Figure:
        """Data against the simulated band (median, 5-95%) at the best parameters."""
        import matplotlib.pyplot as plt

        band = self.band
        labels = self.observed.index
        numeric = pd.api.types.is_numeric_dtype(labels) and not isinstance(labels, pd.RangeIndex)
        x = (labels.to_numpy() if numeric or isinstance(labels, pd.DatetimeIndex)
             else np.arange(1, self.n + 1))
        xlabel = (f"{labels.name or 'period'} ({self.days_per_period:g} simulated days each)"
                  if numeric or isinstance(labels, pd.DatetimeIndex)
                  else f"period ({self.days_per_period:g} simulated days each)")
        series = self.observed.name or self.target
        panels = [("per period", band)]
        if self.target == "adopters":
            cumulative = band[["observed", "fitted", "median", "low", "high"]].copy()
            cumulative["observed"] = band["observed"].cumsum()
            cumulative["fitted"] = band["fitted"].cumsum()
            for column, source in (("median", "cum_median"), ("low", "cum_low"),
                                   ("high", "cum_high")):
                cumulative[column] = band[source]
            panels.append(("cumulative", cumulative))
        figure, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4.2),
                                    layout="constrained", squeeze=False)
        what = "new adopters" if self.target == "adopters" else "active users (end of period)"
        for ax, (panel, frame) in zip(axes[0], panels, strict=True):
            ax.fill_between(x, frame["low"], frame["high"], color="C0", alpha=0.25,
                            label="simulated 5-95%")
            ax.plot(x, frame["median"], "-", color="C0", label="simulated median")
            ax.plot(x, frame["fitted"], "--", color="C1", lw=1,
                    label=f"replicate mean (fitted, {self.replicates} runs)")
            ax.plot(x, frame["observed"], "o", color="k", ms=4, label="observed")
            ax.set(title=f"{what}, {panel}" if self.target == "adopters" else what,
                   xlabel=xlabel, ylabel=f"{series} (data units)")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8, loc="best")
        fitted = ", ".join(f"{k} = {v:.3g}" for k, v in self.best.items())
        figure.suptitle(title or f"{self.config.name}: {fitted}, scale = {self.scale:.3g}, "
                        f"R² = {self.r2:.3f}", fontsize=10)
        return figure

    def write(self, out_dir: str | Path, inputs: Sequence[str | Path] = ()) -> Path:
        """Write calibration.json, history.csv and fit.png atomically; returns the folder.

        The folder must be new, empty or an earlier calibration's, and may not hold
        ``inputs`` (the data file, the config).
        """
        import matplotlib.pyplot as plt

        out = check_output_folder(out_dir, "calibration", inputs=inputs)
        with staged_folder(out, "calibration") as staging:
            (staging / "calibration.json").write_text(
                json.dumps(self.to_dict(), indent=2, default=float) + "\n")
            self.history.to_csv(staging / "history.csv", index=False)
            figure = self.figure()
            figure.savefig(staging / "fit.png", dpi=110)
            plt.close(figure)
        return out


# --- observed data -------------------------------------------------------------


def read_observed(source: Any, *, cumulative: bool = False, target: str = "adopters"
                  ) -> pd.Series:
    """The observed per-period series from a CSV path, a Series or a one-column DataFrame.

    A CSV has a time column (period numbers or dates; one row per period, in
    order) and one value column. Cumulative counts are differenced.

    Raises:
        ConfigError: missing or unreadable file, not two columns, non-numeric,
            missing or negative values, a falling cumulative count.
    """
    where = "observed series"
    if isinstance(source, (str, Path)):
        path = Path(source)
        where = f"data file {str(path)!r}"
        check_input_file(path, "data file", "a CSV with a time column and one value column")
        try:
            frame = pd.read_csv(path)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
            reason = str(err).strip().splitlines()[0] if str(err).strip() else "empty"
            raise ConfigError(f"{where} is not a readable CSV ({reason}); allowed: a time "
                              "column and one value column, with a header row") from None
        if frame.shape[1] != 2:
            raise ConfigError(f"{where} has {frame.shape[1]} columns "
                              f"({', '.join(map(str, frame.columns[:6]))}); allowed: "
                              "exactly two, time and value")
        series = frame.set_index(frame.columns[0])[frame.columns[1]]
        if not pd.api.types.is_numeric_dtype(series.index):
            try:
                series.index = pd.DatetimeIndex(pd.to_datetime(series.index, format="mixed"),
                                                name=frame.columns[0])
            except (ValueError, TypeError):
                raise ConfigError(f"{where}: time column {frame.columns[0]!r} holds neither "
                                  f"numbers nor dates (given: {list(series.index[:3])})"
                                  ) from None
    elif isinstance(source, pd.DataFrame):
        if source.shape[1] != 1:
            raise ConfigError(f"{where}: a DataFrame must have one value column (given "
                              f"{source.shape[1]}: {list(source.columns[:6])})")
        series = source.iloc[:, 0]
    elif isinstance(source, pd.Series):
        series = source
    else:
        series = pd.Series(np.asarray(source, dtype=float))
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        raise ConfigError(f"{where}: column {series.name!r} is not numeric (given: "
                          f"{list(series.head(3))}); allowed: numbers, one per period")
    values = series.to_numpy(dtype=float, na_value=np.nan)
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if bad.size:
        raise ConfigError(f"{where}: values must be finite and >= 0; row {int(bad[0]) + 1} "
                          f"of {series.name!r} is {values[bad[0]]!r}")
    if cumulative:
        if target != "adopters":
            raise ConfigError(f"cumulative = true with target = {target!r}: cumulative input "
                              "applies to target 'adopters' only (active users are a stock)")
        falls = np.flatnonzero(np.diff(values) < 0)
        if falls.size:
            k = int(falls[0]) + 1
            raise ConfigError(f"{where}: cumulative counts must never fall; row {k + 1} of "
                              f"{series.name!r} is {values[k]:g} after {values[k - 1]:g}")
        values = np.diff(values, prepend=0.0)
    name = str(series.name) if series.name is not None else target
    return pd.Series(values, index=series.index, name=name)


def _days_of_index(index: pd.Index) -> float | None:
    """Days per period from a date index's frequency, or None if it is not dates."""
    if not isinstance(index, pd.DatetimeIndex) or len(index) < 3:
        return None
    freq = pd.infer_freq(index)
    code = None if freq is None else "".join(c for c in freq.split("-")[0] if c.isalpha())
    if code not in _FREQ_DAYS:
        raise ConfigError(f"days_per_period: the dates ({index[0].date()}, {index[1].date()}, "
                          "...) have no regular daily, weekly, monthly, quarterly or yearly "
                          "step; give days_per_period (simulated days per observed period)")
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
    keys: list[str]
    bounds: dict[str, tuple[float, float]]
    integer: list[bool]
    dpp_index: int | None
    dpp_fixed: float | None
    column: str
    platform: str
    horizon: int
    base: Config
    replicates: int
    seed: int
    workers: int | None
    client: Any
    fixed_scale: float | None
    runs: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)
    means: list[np.ndarray] = field(default_factory=list)

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

    def dpp(self, x: np.ndarray) -> float:
        """Simulated days per observed period at a candidate (fitted or fixed)."""
        return float(x[self.dpp_index]) if self.dpp_index is not None else float(self.dpp_fixed)

    def simulate(self, xs: np.ndarray, replicates: int | None = None) -> list[np.ndarray]:
        """Per candidate: (replicates x n) simulated per-period series, simulated people."""
        replicates = replicates or self.replicates
        scenarios: list[dict[str, Any]] = []
        slot = []
        for x in xs:
            overrides = self.overrides(x)
            if overrides not in scenarios:
                scenarios.append(overrides)
            slot.append(scenarios.index(overrides))

        result = run_many(scenarios, replicates, self.seed, base=self.base,
                          workers=self.workers, client=self.client, keep_timeseries=True)
        self.runs += len(result.runs)
        result.check("calibrate", [str(s) for s in scenarios])
        table = result.timeseries
        table = table[table["platform"] == self.platform]
        days = self.horizon + 1
        daily = table[self.column].to_numpy(dtype=float).reshape(len(scenarios), replicates, days)
        n = len(self.y)
        out = []
        for x, s in zip(xs, slot, strict=True):
            ends = self.dpp(x) * np.arange(n + 1)
            grid = np.arange(days)
            level = np.stack([np.interp(ends, grid, row) for row in daily[s]])
            out.append(np.diff(level, axis=1) if self.column == "adopters" else level[:, 1:])
        return out

    def scale_and_sse(self, mean: np.ndarray, data: np.ndarray | None = None
                      ) -> tuple[float, float]:
        """The least-squares scale <m, y> / <m, m> (or the fixed one) and the SSE."""
        y = self.y if data is None else data
        mm = float(mean @ mean)
        if self.fixed_scale is not None:
            scale = self.fixed_scale
        else:
            scale = max(float(mean @ y) / mm, 0.0) if mm > 0 else 0.0
        residual = y - scale * mean
        return scale, float(residual @ residual)

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
    scale: float | None = None,
    platform: str | None = None,
    replicates: int = 4,
    trials: int = 200,
    seed: int = 0,
    workers: int | None = 1,
    client: Any = None,
    bootstrap: int = 60,
    profile_points: int | None = None,
    level: float = 0.95,
) -> Calibration:
    """Fit config parameters (and the population scale) to an observed series.

    See the module docstring for the time mapping, units, objective and
    intervals.

    Args:
        observed: a CSV path (time column, value column), a pandas Series
            (index: period numbers or dates) or a one-column DataFrame, one
            value per period from the launch on.
        config: the base config (Config, TOML path or mapping).
        parameters: dotted config key → (low, high) search bounds; the key
            ``days_per_period`` fits the time mapping. Integer config fields
            are searched over integers.
        target: ``"adopters"`` (new adopters per period) or ``"active_users"``
            (active users at the end of each period).
        cumulative: the observed values are cumulative adopters (differenced).
        days_per_period: simulated days per observed period; default: from a
            date index (a year = 365.25 days), else required unless fitted.
        scale: fix the observed units per simulated person instead of fitting it.
        platform: the platform compared (default: the first).
        replicates: runs per candidate (replicate r has seed ``run_seed(seed, r)``
            at every candidate: common random numbers); the objective uses their mean.
        trials: candidates the differential-evolution search may evaluate.
        seed: root seed of the simulations and of the search.
        workers: 1 runs here; N > 1 uses N local processes per generation
            (worth it when one run takes about a second or more); None, every core.
        client: a ``dask.distributed.Client`` to run on instead.
        bootstrap: fresh runs at the best parameters, one per bootstrap refit
            (seeds ``run_seed(seed, r)``, r = replicates ..); with the fitting
            replicates they also make the figure's band.
        profile_points: candidates per round of the sampling around the best
            that the bootstrap's emulator is fitted to (two rounds; default 32
            per fitted parameter; rounded up to a power of 2 for Sobol points).
        level: confidence level of the intervals.

    Returns:
        A :class:`Calibration`.

    Raises:
        ConfigError: bad data, bounds, key, target or settings (before any run).
        RuntimeError: a simulation failed.
    """
    started = time.perf_counter()
    problem, y_series = _validate(
        observed, config, parameters, target, cumulative=cumulative,
        days_per_period=days_per_period, scale=scale, platform=platform, replicates=replicates,
        trials=trials, seed=seed, workers=workers, client=client, bootstrap=bootstrap,
        level=level)
    search = _search(problem, trials)
    boot = _bootstrap(problem, bootstrap, profile_points, level)
    band, fitted, best_scale = _band(problem, boot, y_series.index, bootstrap)
    return Calibration(
        best=problem.values(boot.best_x), intervals=boot.intervals, scale=best_scale,
        scale_interval=boot.scale_interval, level=level, observed=y_series, fitted=fitted,
        band=band, history=pd.DataFrame(problem.rows),
        samples=pd.DataFrame(boot.samples, columns=[*problem.keys, "scale"]),
        target=target, cumulative=cumulative, days_per_period=problem.dpp(boot.best_x),
        bounds=problem.bounds, config=load_config(problem.base, problem.overrides(boot.best_x)),
        platform=problem.platform, replicates=problem.replicates, seed=problem.seed,
        runs=problem.runs, seconds=time.perf_counter() - started,
        converged=bool(search.success), message=str(search.message), notes=boot.notes)


# --- the steps of calibrate ----------------------------------------------------


def _validate(
    observed: Any,
    config: Config | str | Path | Mapping[str, Any],
    parameters: Mapping[str, tuple[float, float]],
    target: str,
    *,
    cumulative: bool,
    days_per_period: float | None,
    scale: float | None,
    platform: str | None,
    replicates: int,
    trials: int,
    seed: int,
    workers: int | None,
    client: Any,
    bootstrap: int,
    level: float,
) -> tuple[_Problem, pd.Series]:
    """Check calibrate's arguments and data before any run; build the problem to fit.

    Returns:
        The :class:`_Problem` (its base config has the horizon, ceil(n d) days) and
        the observed per-period series.

    Raises:
        ConfigError: bad data, bounds, key, target or settings.
    """
    _check_settings(target, replicates=replicates, trials=trials, bootstrap=bootstrap,
                    level=level, seed=seed, workers=workers, scale=scale)
    y_series = read_observed(observed, cumulative=cumulative, target=target)
    base = load_config(config)
    platform = base.platform_name(platform)
    keys, bounds, integer = _check_parameters(parameters, base)
    dpp_index, days_per_period = _time_mapping(keys, days_per_period, y_series.index)
    n = len(y_series)
    fitted_count = len(keys) + (scale is None)
    if n <= fitted_count:
        raise ConfigError(f"observed series: {n} periods for {fitted_count} fitted quantities "
                          f"({', '.join(keys)}{', scale' if scale is None else ''}); allowed: "
                          "more periods than fitted quantities")
    longest = bounds[DAYS_PER_PERIOD][1] if dpp_index is not None else days_per_period
    horizon = max(1, math.ceil(n * longest - 1e-9))
    base = load_config(base, {"horizon_days": horizon})
    problem = _Problem(
        y=y_series.to_numpy(dtype=float), keys=keys, bounds=bounds, integer=integer,
        dpp_index=dpp_index, dpp_fixed=days_per_period,
        column="adopters" if target == "adopters" else "active_users", platform=platform,
        horizon=horizon, base=base, replicates=int(replicates), seed=int(seed),
        workers=workers, client=client, fixed_scale=scale)
    return problem, y_series


def _check_settings(target: str, *, replicates: int, trials: int, bootstrap: int,
                    level: float, seed: int, workers: int | None, scale: float | None) -> None:
    """Check the target and the numeric settings; a ConfigError for the first bad one."""
    if target not in TARGETS:
        raise ConfigError(f"target = {target!r}: unknown; allowed: {', '.join(TARGETS)}")
    for name, value, least in (("replicates", replicates, 1), ("trials", trials, 4),
                               ("bootstrap", bootstrap, 10)):
        if not isinstance(value, (int, np.integer)) or value < least:
            raise ConfigError(f"{name} = {value!r}: must be an integer >= {least}")
    if not 0 < level < 1:
        raise ConfigError(f"level = {level!r}: must be between 0 and 1")
    check_seed(seed)
    check_workers_option(workers, "workers")
    if scale is not None and not (np.isfinite(scale) and scale > 0):
        raise ConfigError(f"scale = {scale!r}: must be a positive number (data units per "
                          "simulated person), or None to fit it")


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
    raw = base.model_dump(mode="json")
    for key in keys:
        bounds[key] = _check_bounds(key, parameters[key])
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


def _time_mapping(keys: list[str], days_per_period: float | None, index: pd.Index
                  ) -> tuple[int | None, float | None]:
    """Where ``days_per_period`` is among the fitted keys (None: fixed), and its fixed value.

    A fixed value is the one given, else inferred from a date index.
    """
    dpp_index = keys.index(DAYS_PER_PERIOD) if DAYS_PER_PERIOD in keys else None
    if dpp_index is None:
        if days_per_period is None:
            days_per_period = _days_of_index(index)
        if days_per_period is None:
            raise ConfigError("days_per_period: not given and the time column holds period "
                              "numbers, not dates; allowed: simulated days per observed "
                              "period (--days-per-period N), or fit it (--fit "
                              "days_per_period=LOW:HIGH)")
        if not (np.isfinite(days_per_period) and days_per_period > 0):
            raise ConfigError(f"days_per_period = {days_per_period!r}: must be a positive "
                              "number of simulated days")
    elif days_per_period is not None:
        raise ConfigError("days_per_period: both fixed and fitted; allowed: one of the two")
    return dpp_index, days_per_period


def _search(problem: _Problem, trials: int) -> Any:
    """Differential evolution over the bounds, one run_many batch per generation.

    Every candidate is recorded in ``problem.rows`` (stage ``search``).

    Returns:
        scipy's ``OptimizeResult`` (for ``success`` and ``message``).
    """
    from scipy import optimize

    k = len(problem.keys)
    population = max(POPULATION_PER_DIM * k, 8)
    generations = max(1, trials // population - 1)
    integer = problem.integer
    return optimize.differential_evolution(
        lambda xs: problem.evaluate(np.atleast_2d(xs.T), "search"),
        list(zip(problem.lows, problem.highs, strict=True)), popsize=math.ceil(population / k),
        maxiter=generations, polish=False, vectorized=True, updating="deferred",
        init="latinhypercube", rng=np.random.default_rng([problem.seed, 1]),
        integrality=np.array(integer) if any(integer) else None, tol=1e-3)


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
    runs: np.ndarray
    """(replicates + bootstrap) x n simulated series at ``runs_at``: fitting seeds, then fresh"""
    runs_at: np.ndarray
    """the candidate ``runs`` were simulated at (the best of the search)"""


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
    runs_at_best = problem.simulate(best_x[None, :], replicates + bootstrap)[0]
    rng = np.random.default_rng([problem.seed, 2])
    per_round = 2 ** math.ceil(math.log2(max(profile_points or 32 * k, 2)))  # Sobol: 2^m
    dof = len(problem.y) - (k + (problem.fixed_scale is None))
    factor = 1 + stats.f.ppf(level, 1, dof) / dof
    box = _region_box(pd.DataFrame(problem.rows), keys, factor, lows, highs)
    for round_ in (1, 2):
        points = qmc.scale(qmc.Sobol(d=k, scramble=True, rng=rng).random(per_round), *box)
        if any(integer):
            points[:, integer] = np.round(points[:, integer])
        problem.evaluate(points, f"box{round_}")
        history = pd.DataFrame(problem.rows)
        best_x = _best_x(history, keys)
        samples, noise_factor, emulated = _emulator_refits(
            problem, history, best_x, box, runs_at_best[replicates:], lows, highs)
        spread_low, spread_high = samples[:, :k].min(axis=0), samples[:, :k].max(axis=0)
        width = np.maximum(spread_high - spread_low, 0.02 * (highs - lows))
        box = (np.maximum(lows, np.minimum(spread_low, best_x) - 0.25 * width),
               np.minimum(highs, np.maximum(spread_high, best_x) + 0.25 * width))
    tails = [(1 - level) / 2, (1 + level) / 2]
    intervals = {key: tuple(float(v) for v in np.quantile(samples[:, j], tails))
                 for j, key in enumerate(keys)}
    scale_interval = tuple(float(v) for v in np.quantile(samples[:, k], tails))
    notes = _notes(problem, intervals, lows, highs, noise_factor, emulated)
    return _Bootstrap(best_x=best_x, samples=samples, intervals=intervals,
                      scale_interval=scale_interval, notes=notes, runs=runs_at_best,
                      runs_at=noise_x)


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
          ) -> tuple[pd.DataFrame, np.ndarray, float]:
    """The simulated band at the best parameters, over every run there (fitting and fresh).

    The bootstrap's runs are reused when the best has not moved since they were run.

    Returns:
        The band (per period: observed, fitted, median, low 5%, high 95%; for
        adopters also of the running totals), the fitted series (scale x the
        replicate mean) and the best scale.
    """
    replicates, best_x, n = problem.replicates, boot.best_x, len(problem.y)
    history = pd.DataFrame(problem.rows)
    best_row = history.loc[history["sse"].idxmin()]
    series = (boot.runs if np.array_equal(best_x, boot.runs_at)
              else problem.simulate(best_x[None, :], replicates + bootstrap)[0])
    best_scale = float(best_row["scale"])
    fit_mean = series[:replicates].mean(axis=0) * best_scale
    scaled = series * best_scale
    band = pd.DataFrame({
        "period": np.arange(1, n + 1), "label": labels,
        "observed": problem.y, "fitted": fit_mean,
        "median": np.median(scaled, axis=0), "low": np.quantile(scaled, 0.05, axis=0),
        "high": np.quantile(scaled, 0.95, axis=0)})
    if problem.column == "adopters":
        running = np.cumsum(scaled, axis=1)
        band["cum_median"] = np.median(running, axis=0)
        band["cum_low"] = np.quantile(running, 0.05, axis=0)
        band["cum_high"] = np.quantile(running, 0.95, axis=0)
    return band, fit_mean, best_scale


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
    rms = float(np.sqrt(np.mean(deviations**2)))
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
    if key == DAYS_PER_PERIOD and low <= 0:
        raise ConfigError(f"--fit {key}={low:g}:{high:g}: days per period must be > 0")
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
