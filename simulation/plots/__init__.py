"""Figures (matplotlib): every figure titled, every axis labelled with its unit.

Every function returns a :class:`matplotlib.figure.Figure` (the one holding
``ax`` when an existing axes is passed). Inputs are the package's tables:

- daily tables (``simulation.COLUMNS``), of one run or of many runs with
  ``replicate`` and a grouping column (``scenario`` from
  :func:`simulation.compare`, ``point`` from ``run_many`` and sweeps);
- runs tables (one row per run, metrics as ``<platform>.<summary key>``);
- the tidy table of :func:`simulation.compare` (``scenario, platform,
  metric, mean, low, high, diff, diff_low, diff_high, reference``);
- the per-tier table of ``simulation.model.tiers.tier_timeseries``;
- the results of the analyses, read by their attributes (never imported here):
  :class:`simulation.BassFit` and :class:`simulation.Calibration` (:mod:`.fits`),
  :class:`simulation.Decomposition` and :class:`simulation.Optimum` (:mod:`.decisions`).
  Their ``.figure()`` methods call these functions.

Numbers are written by :func:`format_estimate` and :func:`format_quantity`
(:mod:`.numbers`: rounded to what their interval supports, at most three
significant figures, $4.8M and 1.2M people), axes by :class:`EngineeringFormatter`;
the command line and the web app use the same functions.

Axis labels come from :func:`label`: daily columns and summary metrics from
their declarations, config leaves from ``LABELS`` (add your own metrics there).
Scheme colours and line styles come from the scheme registry; groups take the
Okabe-Ito colours and a line style each (:mod:`.style`). Figures over time take
``marks=`` (:func:`schedule_marks`: the switch, events, the budget spent),
drawn and labelled.
"""

from .comparisons import comparison_figure, frontier_figure, pareto_front
from .decisions import decomposition_figure, search_figure
from .fits import bass_fit_figure, calibration_figure
from .labels import LABELS, label, label_text, label_words, number, unit_of
from .marks import Mark, draw_marks, schedule_marks
from .numbers import EngineeringFormatter, format_estimate, format_quantity, round_estimate
from .style import PLATFORM_STYLES, TIER_COLORS
from .sweeps import heatmap_figure, sensitivity_figure
from .timeseries import adoption_figure, band_figure, band_quantiles, spend_figure, tier_figure

__all__ = [
    "LABELS", "PLATFORM_STYLES", "TIER_COLORS", "EngineeringFormatter", "Mark",
    "adoption_figure", "draw_marks", "schedule_marks",
    "band_figure", "band_quantiles", "bass_fit_figure", "calibration_figure",
    "comparison_figure", "decomposition_figure", "format_estimate", "format_quantity",
    "frontier_figure", "heatmap_figure", "label", "label_text", "label_words", "number",
    "pareto_front", "round_estimate", "search_figure", "sensitivity_figure", "spend_figure",
    "tier_figure", "unit_of",
]
