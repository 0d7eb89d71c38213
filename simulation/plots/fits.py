"""Figures of fits to observed data: the Bass fit, and a calibration's simulated band.

Each takes the result it draws, read by its attributes (the analyses sit above the
figures and are never imported here): a :class:`simulation.BassFit` from
:func:`simulation.fit_bass`, a :class:`simulation.Calibration` from
:func:`simulation.calibrate`.
"""

from __future__ import annotations

import textwrap
from typing import Any

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .labels import number, words
from .style import display, finish, styled, suptitle


@styled
def bass_fit_figure(fit: Any, title: str | None = None) -> Figure:
    """Data against fit: per-period counts and cumulative counts, side by side.

    Args:
        fit: a :class:`simulation.BassFit`; read: ``labels`` (the series' index),
            ``unit`` (the period, e.g. ``"year"``), ``name``, ``observed`` and
            ``fitted`` (counts per period, the series' units), ``periods`` (1..n),
            ``cumulative(periods)`` (m F(t)), ``m``, ``p``, ``q`` (per period), ``r2``.
        title: the figure's title (default: the estimates and R²).
    """
    x, xlabel = _bass_axis(fit.labels, fit.unit, fit.periods)
    figure, (per_period, cumulative) = plt.subplots(1, 2, figsize=(11, 4.2),
                                                    layout="constrained")
    size = 5 if len(fit.observed) <= 40 else 3
    per_period.plot(x, fit.observed, "o", ms=size, color="k", label="observed")
    per_period.plot(x, fit.fitted, "-", color="C0", label="Bass fit")
    for ax in (per_period, cumulative):
        _concise_dates(ax, x)
    finish(per_period, f"Adoptions per {fit.unit}", xlabel, f"{fit.name} per {fit.unit}")
    cumulative.plot(x, np.cumsum(fit.observed), "o", ms=size, color="k", label="observed")
    cumulative.plot(x, fit.cumulative(fit.periods), "-", color="C0", label="Bass fit m F(t)")
    cumulative.axhline(fit.m, color="C0", ls=":", lw=1,
                       label=f"market potential m = {number(fit.m, 4)}")
    finish(cumulative, "Cumulative adoptions", xlabel, f"cumulative {fit.name}")
    suptitle(figure, title or (
        f"Bass fit of {fit.name}: p = {fit.p:.3g}, q = {fit.q:.3g} per {fit.unit}, "
        f"m = {number(fit.m, 4)}, R² = {fit.r2:.3f}"))
    return figure


def _concise_dates(ax: Axes, x: Any) -> None:
    """Dates on the x axis written briefly (month ticks under their year), if x is dates."""
    if isinstance(x, pd.DatetimeIndex):
        locator = mdates.AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _bass_axis(labels: pd.Index, unit: str, periods: np.ndarray) -> tuple[Any, str]:
    """The x of each period (dates, the index's numbers, or period numbers) and its label."""
    if isinstance(labels, pd.PeriodIndex):
        return labels.to_timestamp(), "date"
    if isinstance(labels, pd.DatetimeIndex):
        return labels, "date"
    if pd.api.types.is_numeric_dtype(labels) and labels.name:
        return labels.to_numpy(), f"{labels.name} (one point per {unit})"
    return periods, f"{unit}s since launch (period number)"


@styled
def calibration_figure(result: Any, title: str | None = None) -> Figure:
    """Data against the simulated band (median, 5-95%) at the best parameters.

    New adopters are drawn per day (the interval's mean) when the observations are
    placed on days, per period otherwise, and cumulated in a second panel; active
    users are one panel. Held-out points are open red circles with their forecast's
    interval.

    Args:
        result: a :class:`simulation.Calibration`; read: ``band`` and ``forecast``
            (its tables), ``observed`` (the fitted values, labelled as in the data),
            ``target``, ``cumulative``, ``baseline``, ``days_per_period``,
            ``replicates``, ``forecast_level``, ``best``, ``scale``, ``r2`` and
            ``config.name``.
        title: the figure's title (default: the config, the best values, scale and R²).
    """
    band, forecast = result.band, result.forecast
    adopters = result.target == "adopters"
    x, x_held, xlabel = _calibration_axis(result)
    series = result.observed.name or result.target
    by_day = result.days_per_period is None
    # per interval: new adopters per day when intervals differ in length
    days = np.concatenate([band["day"].to_numpy(float), forecast["day"].to_numpy(float)])
    lengths = np.diff(days, prepend=0.0) if by_day else np.ones(len(days))
    lengths = np.where(lengths > 0, lengths, 1.0)
    fit_len, held_len = lengths[:len(band)], lengths[len(band):]
    first = band[["observed", "fitted", "median", "low", "high"]].copy()
    if adopters:
        first = first.div(fit_len, axis=0)
    panels = [("per day (interval mean)" if by_day else "per period", first,
               not adopters or not result.cumulative)]
    if adopters:
        base = result.baseline
        cumulative = pd.DataFrame({
            "observed": base + band["observed"].cumsum(), "fitted": base + band["fitted"].cumsum(),
            "median": base + band["cum_median"], "low": base + band["cum_low"],
            "high": base + band["cum_high"]})
        panels.append(("cumulative", cumulative, result.cumulative))
    figure, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4.2),
                                layout="constrained", squeeze=False)
    what = ("new adopters" if adopters
            else "active users (on the day)" if by_day else "active users (end of period)")
    for ax, (panel, frame, holds) in zip(axes[0], panels, strict=True):
        ax.fill_between(x, frame["low"], frame["high"], color="C0", alpha=0.25,
                        label="simulated 5-95%")
        ax.plot(x, frame["median"], "-", color="C0", label="simulated median")
        ax.plot(x, frame["fitted"], "--", color="C1", lw=1,
                label=f"replicate mean (fitted, {result.replicates} runs)")
        ax.plot(x, frame["observed"], "o", color="k", ms=4, label="observed")
        if len(forecast):
            ax.axvline(x_held[0], color="0.5", lw=0.8, ls=":")
            if holds:
                divisor = held_len if adopters and not result.cumulative else 1.0
                _held_out(ax, x_held, forecast, divisor, result.forecast_level)
        _concise_dates(ax, x)
        finish(ax, f"{what}, {panel}" if adopters else what, xlabel, f"{series} (data units)")
    fitted = ", ".join(f"{words(k)[0]} = {v:.3g}" for k, v in result.best.items())
    text = (f"{display(result.config.name)}: {fitted}, scale = {result.scale:.3g}, "
            f"R² = {result.r2:.3f}")
    width = 65 if len(panels) == 1 else 130  # characters a line holds at this size
    suptitle(figure, title or textwrap.fill(text, width), fontsize=12)
    return figure


def _calibration_axis(result: Any) -> tuple[Any, Any, str]:
    """The x of the fitted points, of the held-out ones, and the axis label."""
    labels = result.observed.index
    held = pd.Index(result.forecast["label"])
    dpp = result.days_per_period
    if dpp is None and not isinstance(labels, pd.DatetimeIndex):
        return (result.band["day"].to_numpy(), result.forecast["day"].to_numpy(),
                "day since launch")
    if isinstance(labels, pd.DatetimeIndex):
        return labels, pd.DatetimeIndex(held), (
            "date" if dpp is None else f"{labels.name or 'date'} ({dpp:g} simulated days each)")
    numeric = pd.api.types.is_numeric_dtype(labels) and not isinstance(labels, pd.RangeIndex)
    name = labels.name if numeric else "period"
    x = labels.to_numpy() if numeric else np.arange(1, len(labels) + 1)
    x_held = held.to_numpy() if numeric else result.forecast["period"].to_numpy()
    return x, x_held, f"{name or 'period'} ({dpp:g} simulated days each)"


def _held_out(ax: Axes, x: Any, forecast: pd.DataFrame, divisor: Any, level: float) -> None:
    """Held-out points (open red circles) and their forecasts with their intervals."""
    centre = forecast["forecast"] / divisor
    low, high = forecast["low"] / divisor, forecast["high"] / divisor
    ax.errorbar(x, centre, yerr=[np.maximum(centre - low, 0), np.maximum(high - centre, 0)],
                fmt="_", color="C3", ms=10, capsize=3, lw=1,
                label=f"forecast, {level:.0%} interval")
    ax.plot(x, forecast["observed"] / divisor, "o", mfc="none", mec="C3", ms=6, mew=1.5,
            label="held out (observed)")
