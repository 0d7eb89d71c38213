"""The Bass model's closed form, and fitting it to an observed adoption series.

``bass_share(p, q, t)`` is the share of the eventual market that has adopted by
time ``t`` (Bass 1969). ``fit_bass(series)`` estimates the innovation rate
``p``, the imitation rate ``q`` and the market potential ``m`` of a series of
adoption counts by nonlinear least squares, with standard errors, following
Srinivasan & Mason (1986): the count in period t (the interval (t-1, t], time
measured in periods from the launch at t = 0) is m [F(t) - F(t-1)] plus an
error.

Time is counted in the series' own period: p and q are rates per year for a
yearly series, per day for a daily one, and ``m`` is in the series' units.

References:
    Bass, F. M. (1969). A new product growth model for consumer durables.
    Management Science 15(5), 215-227.
    Srinivasan, V. & Mason, C. H. (1986). Nonlinear least squares estimation
    of new product diffusion models. Marketing Science 5(2), 169-178.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import ConfigError
from .series import check_enough, check_not_all_zero, preview, read_series

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MIN_PERIODS = 4
"""Fewest periods ``fit_bass`` accepts: three parameters leave at least one
degree of freedom for the residual variance behind the standard errors."""

METHODS = ("increments", "density")
"""What ``fit_bass`` fits to each period's count: ``increments`` is m [F(t) - F(t-1)]
(Srinivasan & Mason 1986, the default); ``density`` is m f(t), the adoption rate
at the end of the period (Bass 1969's continuous form, as fitted with R's ``nls``
in Cowpertwait & Metcalfe 2009, ch. 3)."""

P_FLOOR = 1e-12
"""Lower bound on p (per period) while fitting: F has q/p in it."""

_GRID_P = np.logspace(-6, 0, 25)
_GRID_Q = np.logspace(-4, 1, 21)
"""Starting-value grid (per period) used when Bass's regression gives no valid start."""

_FREQ_UNITS = {
    "D": "day", "B": "business day", "W": "week", "M": "month", "ME": "month", "MS": "month",
    "Q": "quarter", "QE": "quarter", "QS": "quarter", "A": "year", "AS": "year", "Y": "year",
    "YE": "year", "YS": "year", "H": "hour", "h": "hour",
}


def bass_share(p: float, q: float, t: Any) -> np.ndarray:
    """F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t}): the share adopted by time t.

    Bass (1969): the solution of dF/dt = (p + q F)(1 - F), F(0) = 0.

    Args:
        p: innovation rate (per unit of t), > 0.
        q: imitation rate (per unit of t), >= 0.
        t: time(s) since launch, in the unit p and q are rates of.

    Returns:
        F(t), an array shaped like ``t`` (a 0-d array for a scalar).
    """
    if not (np.isfinite(p) and p > 0):
        raise ValueError(f"bass_share: p must be a finite rate > 0 (given: {p!r})")
    if not (np.isfinite(q) and q >= 0):
        raise ValueError(f"bass_share: q must be a finite rate >= 0 (given: {q!r})")
    return _share(float(p), float(q), np.asarray(t, dtype=float))


def _share(p: float, q: float, t: np.ndarray) -> np.ndarray:
    decay = np.exp(-(p + q) * t)
    return (1 - decay) / (1 + q / p * decay)


def _share_grad(p: float, q: float, t: np.ndarray) -> tuple[np.ndarray, ...]:
    """F(t) and its partial derivatives in p and q (analytic)."""
    decay = np.exp(-(p + q) * t)
    denom = 1 + q / p * decay
    share = (1 - decay) / denom
    d_p = (t * decay * denom + (1 - decay) * decay * (q / p**2 + q * t / p)) / denom**2
    d_q = (t * decay * denom - (1 - decay) * decay * (1 / p - q * t / p)) / denom**2
    return share, d_p, d_q


def _shape_grad(p: float, q: float, t: np.ndarray, method: str) -> tuple[np.ndarray, ...]:
    """Per-period model for m = 1 at periods t, and its derivatives in p and q."""
    share, d_p, d_q = _share_grad(p, q, t)
    if method == "increments":
        before, b_p, b_q = _share_grad(p, q, t - 1)
        return share - before, d_p - b_p, d_q - b_q
    # density f = (p + q F)(1 - F); d f = (1 - F) dp + F (1 - F) dq + (q - p - 2qF) dF
    slope = q - p - 2 * q * share
    return ((p + q * share) * (1 - share), (1 - share) + slope * d_p,
            share * (1 - share) + slope * d_q)


def _shape(p: np.ndarray, q: np.ndarray, t: np.ndarray, method: str) -> np.ndarray:
    """Per-period model for m = 1; p, q broadcast against t (used by the grid)."""
    share = _share(p, q, t)
    if method == "increments":
        return share - _share(p, q, t - 1)
    return (p + q * share) * (1 - share)


def closing(lines: list[str], converged: bool, stopped: str, notes: list[str]) -> str:
    """A fit's summary: its lines, ``stopped`` if the search did not converge, its notes."""
    return "\n".join([*lines, *([] if converged else [f"  {stopped}"]),
                      *(f"  note: {note}" for note in notes)])


@dataclass(frozen=True, eq=False)
class BassFit:
    """A Bass model fitted to a series of adoption counts (see :func:`fit_bass`).

    Rates are per period of the series (``unit``); ``m`` and the counts are in
    the series' units. Standard errors are the square roots of the diagonal of
    the NLS covariance s^2 (J'J)^-1, s^2 = RSS / (n - 3), as R's ``nls`` reports.
    """

    p: float
    """innovation rate, per period"""
    q: float
    """imitation rate, per period"""
    m: float
    """market potential (eventual adopters), in the series' units"""
    p_se: float
    q_se: float
    m_se: float
    covariance: np.ndarray
    """3 x 3 covariance of (p, q, m)"""
    observed: np.ndarray
    """per-period counts, periods 1..n"""
    fitted: np.ndarray
    """the model's per-period counts at the estimates"""
    labels: pd.Index
    """the series' own index (dates, years, ...) for periods 1..n"""
    name: str
    unit: str
    method: str
    converged: bool
    message: str
    notes: tuple[str, ...] = field(default=())

    @property
    def n(self) -> int:
        """Number of periods fitted."""
        return len(self.observed)

    @property
    def periods(self) -> np.ndarray:
        """Period numbers 1..n (period t is the interval (t-1, t] since launch)."""
        return np.arange(1, self.n + 1)

    @property
    def residuals(self) -> np.ndarray:
        """Observed minus fitted, per period."""
        return self.observed - self.fitted

    @property
    def rss(self) -> float:
        """Residual sum of squares."""
        return float(self.residuals @ self.residuals)

    @property
    def r2(self) -> float:
        """R^2 = 1 - RSS / TSS of the per-period counts (NaN if they are all equal)."""
        centred = self.observed - self.observed.mean()
        tss = float(centred @ centred)
        return 1 - self.rss / tss if tss > 0 else float("nan")

    @property
    def rmse(self) -> float:
        """Root mean squared error per period, sqrt(RSS / n), in the series' units."""
        return float(np.sqrt(self.rss / self.n))

    @property
    def sigma(self) -> float:
        """Residual standard error sqrt(RSS / (n - 3)), as R's ``nls`` prints it."""
        return float(np.sqrt(self.rss / (self.n - 3)))

    @property
    def peak_time(self) -> float:
        """t* = ln(q/p) / (p + q): when adoption is fastest, in periods since launch.

        Bass (1969). 0 when q <= p (adoption falls from the launch).
        """
        if self.q <= self.p:
            return 0.0
        return math.log(self.q / self.p) / (self.p + self.q)

    @property
    def peak_period(self) -> int:
        """The period (1..) that contains t*; with increments it has the most adoptions."""
        return int(np.floor(self.peak_time)) + 1

    def peak_label(self) -> Any:
        """The series' label of the peak period, or None if it is beyond the data."""
        k = self.peak_period
        return self.labels[k - 1] if k <= self.n else None

    def cumulative(self, periods: Any) -> np.ndarray:
        """The model's cumulative count m F(t) at the end of the given periods."""
        return self.m * _share(self.p, self.q, np.asarray(periods, dtype=float))

    def summary(self) -> str:
        """A few readable lines: estimates with standard errors, fit quality, peak."""
        source = ("Srinivasan & Mason (1986) NLS on per-period counts m[F(t) - F(t-1)]"
                  if self.method == "increments" else "NLS on the adoption rate m f(t)")
        peak_label = self.peak_label()
        if isinstance(peak_label, pd.Timestamp):
            peak_label = peak_label.strftime("%Y-%m-%d %H:%M" if peak_label.hour
                                             or peak_label.minute else "%Y-%m-%d")
        where = f"period {self.peak_period}" + (
            f", {peak_label}" if peak_label is not None and not _is_period_number(
                peak_label, self.peak_period) else "")
        lines = [
            f"Bass fit of {self.name!r}: {self.n} {self.unit}s; {source}",
            f"  p = {_num(self.p)} ± {_num(self.p_se, 3)} per {self.unit}  (innovation)",
            f"  q = {_num(self.q)} ± {_num(self.q_se, 3)} per {self.unit}  (imitation)",
            f"  m = {_num(self.m)} ± {_num(self.m_se, 3)}  (market potential, in the series' "
            f"units; observed so far: {_num(self.observed.sum())})",
            f"  R² = {self.r2:.4f}, RMSE = {_num(self.rmse)} per {self.unit}, "
            f"residual SE = {_num(self.sigma)} on {self.n - 3} df",
            f"  peak t* = {self.peak_time:.2f} {self.unit}s after launch ({where})",
        ]
        return closing(lines, self.converged, f"NOT CONVERGED: {self.message}", self.notes)

    __str__ = summary

    def figure(self, title: str | None = None) -> Figure:
        """Data against fit, per period and cumulative: :func:`simulation.plots.bass_fit_figure`."""
        from ..plots import bass_fit_figure

        return bass_fit_figure(self, title)


def _num(x: float, digits: int = 4) -> str:
    """Format x to ``digits`` significant digits, with no exponent from 1e-4 to 1e9."""
    if not np.isfinite(x) or x == 0 or not 1e-4 <= abs(x) < 1e9:
        return f"{x:.{digits}g}"
    if abs(x) >= 10 ** (digits - 1):
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def _is_period_number(label: Any, period: int) -> bool:
    return isinstance(label, (int, np.integer)) and int(label) == period


def fit_bass(
    series: Any,
    *,
    cumulative: bool = False,
    start: tuple[float, float, float] | None = None,
    unit: str | None = None,
    method: str = "increments",
) -> BassFit:
    """Fit the Bass model to adoption counts by nonlinear least squares.

    The first value is taken as the first period after the launch (period 1
    covers times (0, 1]); periods must be consecutive and equally long. Each
    period's count is fitted by least squares with equal weights; the
    standard errors assume independent errors of equal variance.

    Args:
        series: counts per period (or cumulative counts with ``cumulative=True``)
            as a pandas Series (its index, period numbers or dates, labels the
            periods), a DataFrame with one numeric column, a 1-D array, or a CSV
            path (a time column and a value column), read and checked as
            :func:`simulation.calibrate` reads its data (:mod:`.series`).
        cumulative: the values are cumulative counts (non-decreasing), not
            counts per period.
        start: starting values (p, q, m) for the optimiser, as R's ``nls``
            takes them (an m below the total observed is raised to it). By
            default, the better of Bass's (1969) regression
            S_t = a + b Y_{t-1} + c Y_{t-1}^2 and a grid over p and q (with m
            solved by linear least squares at each point).
        unit: the length of one period (``"year"``, ``"day"``): labels only.
            Default: from a date index's frequency, else ``"period"``.
        method: ``"increments"`` (Srinivasan & Mason 1986) or ``"density"``
            (m f(t) at the end of each period; see ``METHODS``).

    Returns:
        A :class:`BassFit` (print it for a summary; ``.figure()`` plots it).

    Raises:
        ConfigError: (a ValueError) the series is not 1-D numeric, has fewer than
            ``MIN_PERIODS`` values, NaN, infinities, negative or too large counts, a
            falling cumulative count, no adoptions, time labels out of order, or
            unequal periods (the same message :func:`simulation.calibrate` gives for
            the same series); or ``start``, ``unit`` or ``method`` are not valid.
    """
    if method not in METHODS:
        raise ConfigError(f"fit_bass: method must be one of {METHODS} (given: {method!r})")
    if unit is not None and (not isinstance(unit, str) or not unit.strip()):
        raise ConfigError(f"fit_bass: unit must be a non-empty string such as 'year' "
                          f"(given: {unit!r})")
    counts, labels, name, inferred_unit = _read_series(series, cumulative)
    unit = unit or inferred_unit
    t = np.arange(1, len(counts) + 1, dtype=float)
    m_floor = float(counts.sum())  # m is at least everyone who has adopted so far
    if start is None:
        x0 = _starting_values(counts, t, method)
    else:
        x0 = _check_start(start)
    x0[2] = max(x0[2], m_floor * (1 + 1e-6))

    def residuals(x: np.ndarray) -> np.ndarray:
        return x[2] * _shape(x[0], x[1], t, method) - counts

    def jacobian(x: np.ndarray) -> np.ndarray:
        shape, d_p, d_q = _shape_grad(x[0], x[1], t, method)
        return np.column_stack([x[2] * d_p, x[2] * d_q, shape])

    from scipy.optimize import least_squares  # SciPy's optimisers only when fitting (import time)

    result = least_squares(
        residuals, x0, jac=jacobian, bounds=([P_FLOOR, 0.0, m_floor], [np.inf, np.inf, np.inf]),
        method="trf", x_scale="jac", ftol=1e-12, xtol=1e-12, gtol=1e-12, max_nfev=500)
    p, q, m = (float(v) for v in result.x)
    jac = jacobian(result.x)
    dof = len(counts) - 3
    rss = float(result.fun @ result.fun)
    covariance = _covariance(jac, rss / dof)
    ses = np.sqrt(np.diag(covariance))
    notes = []
    if result.active_mask[2] == -1:
        notes.append("m is at its lower bound, the total observed (unconstrained least "
                     "squares would put it lower): the series looks complete; the standard "
                     "errors ignore the bound")
    if result.active_mask[0] == -1:
        notes.append("p is at its floor (about 0): the fit starts adoption by imitation "
                     "alone")
    if result.active_mask[1] == -1:
        notes.append("q is at its bound 0: no imitation effect in these data")
    if not np.all(np.isfinite(ses)):
        notes.append("the data do not identify p, q and m separately (infinite standard "
                     "errors): has adoption started to slow yet?")
    return BassFit(
        p=p, q=q, m=m, p_se=float(ses[0]), q_se=float(ses[1]), m_se=float(ses[2]),
        covariance=covariance, observed=counts, fitted=m * _shape(p, q, t, method),
        labels=labels, name=name, unit=unit, method=method,
        converged=bool(result.status > 0), message=str(result.message), notes=tuple(notes))


def _covariance(jac: np.ndarray, variance: float) -> np.ndarray:
    """s^2 (J'J)^-1 through the SVD of J (inf where J is rank-deficient)."""
    _, singular, vt = np.linalg.svd(jac, full_matrices=False)
    tiny = np.finfo(float).eps * max(jac.shape) * singular[0]
    if singular[-1] <= tiny:
        return np.full((3, 3), np.inf)
    return variance * (vt.T / singular**2) @ vt


def _check_start(start: Any) -> np.ndarray:
    try:
        x0 = np.asarray(start, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        x0 = np.array([])
    if x0.size != 3 or not np.all(np.isfinite(x0)) or np.any(x0 <= 0):
        raise ConfigError(f"fit_bass: start must be three positive numbers (p, q, m) "
                          f"(given: {start!r})")
    return x0


def _starting_values(counts: np.ndarray, t: np.ndarray, method: str) -> np.ndarray:
    """The better (by RSS with m profiled out) of Bass's regression and a (p, q) grid."""
    candidates = [_grid_start(counts, t, method)]
    ols = _ols_start(counts)
    if ols is not None:
        candidates.append(ols)
    best, best_rss = None, np.inf
    for p, q, _ in candidates:
        shape = _shape(p, q, t, method)
        m = max(float(shape @ counts) / float(shape @ shape), counts.sum())
        rss = float(np.sum((m * shape - counts) ** 2))
        if rss < best_rss:
            best, best_rss = np.array([p, q, m]), rss
    return best


def _ols_start(counts: np.ndarray) -> tuple[float, float, float] | None:
    """Bass (1969): regress S_t on Y_{t-1}, Y_{t-1}^2 (Y cumulative); None if not a Bass curve."""
    before = np.concatenate([[0.0], np.cumsum(counts)[:-1]])
    design = np.column_stack([np.ones_like(before), before, before**2])
    (a, b, c), *_ = np.linalg.lstsq(design, counts, rcond=None)
    disc = b * b - 4 * a * c
    if not (a > 0 and c < 0 and disc > 0):
        return None
    m = (-b - np.sqrt(disc)) / (2 * c)
    if not m > 0:
        return None
    p, q = a / m, -c * m
    return (float(p), float(q), float(m)) if p > P_FLOOR and q > 0 else None


def _grid_start(counts: np.ndarray, t: np.ndarray, method: str) -> tuple[float, float, float]:
    """Least RSS over a log grid of (p, q), m solved in closed form (it enters linearly)."""
    p, q = np.meshgrid(_GRID_P, _GRID_Q, indexing="ij")
    p, q = p.reshape(-1, 1), q.reshape(-1, 1)
    shape = _shape(p, q, t[None, :], method)
    m = np.maximum((shape @ counts) / np.einsum("ij,ij->i", shape, shape), counts.sum())
    rss = np.sum((m[:, None] * shape - counts) ** 2, axis=1)
    k = int(np.argmin(rss))
    return float(p[k, 0]), float(q[k, 0]), float(m[k])


def _read_series(series: Any, cumulative: bool) -> tuple[np.ndarray, pd.Index, str, str]:
    """Per-period counts, the period labels, a name and a unit; or a ConfigError.

    Read and checked by :func:`.series.read_series`, as :func:`calibrate` reads its data.
    """
    observed, where = read_series(series, cumulative=cumulative)
    values, labels = observed.to_numpy(), observed.index
    name = observed.name if observed.name is not None else "adoptions"
    if labels.equals(pd.RangeIndex(len(labels))) and labels.name is None:
        labels = pd.RangeIndex(1, len(labels) + 1)  # pandas' default 0..n-1: number 1..n
    if cumulative:
        values = np.diff(values, prepend=0.0)
    check_not_all_zero(values, where, observed.name, cumulative=cumulative)
    check_enough(len(values), ("p", "q", "m"), where)
    return values, labels, name, _unit_of(labels, where)


def _unit_of(labels: pd.Index, where: str) -> str:
    """The period's name from a date index ('year', 'day', ...); 'period' otherwise.

    A ConfigError if the index shows periods of unequal length (the labels increase,
    each once: :func:`.series.check_labels`).
    """
    if isinstance(labels, pd.PeriodIndex):
        steps = np.diff(labels.asi8)
        if np.any(steps != 1):
            raise ConfigError(f"{where}: the periods must be consecutive (given a "
                              f"{labels.freqstr} PeriodIndex with gaps: {preview(labels)}); "
                              "reindex and fill missing periods with 0")
        return _freq_unit(labels.freqstr)
    if isinstance(labels, pd.DatetimeIndex):
        with warnings.catch_warnings():  # pandas 3 warns that a future version returns an offset
            warnings.simplefilter("ignore")
            freq = pd.infer_freq(labels)
        freq = getattr(freq, "freqstr", freq)
        if freq is None:
            raise ConfigError(f"{where}: dates must be equally spaced, one per period "
                              f"(given: {preview(labels)}, no regular frequency); resample the "
                              "counts per day, month or year and fill missing periods with 0")
        return _freq_unit(freq)
    if pd.api.types.is_numeric_dtype(labels) and not pd.api.types.is_bool_dtype(labels):
        steps = np.diff(labels.to_numpy(dtype=float))
        if np.any(steps <= 0) or not np.allclose(steps, steps[0]):
            raise ConfigError(f"{where}: a numeric index must be period numbers in equal, "
                              f"increasing steps (given: {preview(labels)}); reindex and fill "
                              "missing periods with 0")
    return "period"


def _freq_unit(freq: str) -> str:
    match = re.fullmatch(r"(\d*)([A-Za-z]+)(-\w+)?", freq)
    if match is None:
        return freq
    multiple, code = match.group(1), match.group(2)
    unit = _FREQ_UNITS.get(code, code)
    return f"{multiple}-{unit} period" if multiple and multiple != "1" else unit
