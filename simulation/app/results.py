"""What the page shows of a comparison: key numbers, tables, cost and payback, charts, downloads.

A :class:`Results` is one comparison of the pinned plans with the
reference (``simulation.compare``'s :class:`~simulation.analysis.compare.Comparison`)
turned into plain data: HTML, tables, a Bokeh grid, PNG bytes and CSV text.
No widgets, so it is tested without a browser and each session's results are
its own objects; it is built in a worker thread.

Every number the page shows with its interval goes through :func:`present`:
the one place where a comparison's numbers and intervals are written out
(rounding, bounds, "can't tell yet" belong there).
"""

from __future__ import annotations

import html
import io
import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..analysis.compare import INCREMENTAL, TABLE_COLUMNS, Comparison
from ..model.config import Config
from ..plots import band_figure, frontier_figure, label_words, number, unit_of
from ..plots.labels import LABELS as PLOT_LABELS
from . import charts, costs

REFERENCE = "reference"
"""The reference's name in every comparison the page runs (no plan may take it)."""
KEY_METRICS = ("adopters_end", "active_users_end", "influencers_joined", "total_spend",
               INCREMENTAL, "net_total")
"""The numbers shown first, of the plans' first platform."""
DRAWING = threading.Lock()
"""Figures are drawn in the sessions' worker threads, one at a time (matplotlib's state
is shared)."""
EXTRA_USERS = "extra_active_users_end"
PLOT_LABELS.setdefault(EXTRA_USERS, ("extra active users at the end", "people"))


class Shown(NamedTuple):
    """A number as the page shows it: its text, its interval's text, the value and its unit."""

    text: str
    interval: str
    value: float
    unit: str


def present(metric: str, value: float, low: float = np.nan, high: float = np.nan, *,
            difference: bool = False) -> Shown:
    """How the page writes one of a comparison's numbers with its 95% interval.

    The single place where the comparison's numbers and intervals are formatted
    (the key numbers, the table, the cost table and the hover texts use it):
    shares as per cent, dollars with ``$``, differences signed, the interval in
    brackets ('' when there is none).
    """
    unit = unit_of(metric)
    scale, shown_unit = (100.0, "%") if "share" in unit else (1.0, unit)

    def write(x: float, signed: bool) -> str:
        if not np.isfinite(x):
            return "–"
        sign = ("+" if x > 0 else "−" if x < 0 else "") if signed else ("−" if x < 0 else "")
        body = number(abs(x) * scale)
        if shown_unit == "%":
            return f"{sign}{body}%"
        if shown_unit.startswith("$"):
            return f"{sign}${body}"
        return f"{sign}{body}"

    interval = ("" if not (np.isfinite(low) and np.isfinite(high))
                else f"[{write(low, difference)}, {write(high, difference)}]")
    return Shown(write(value, difference), interval, value * scale, shown_unit)


@dataclass
class Results:
    """One comparison of the pinned plans with the reference, ready to show."""

    comparison: Comparison
    platform: str
    plans: list[str]
    """The pinned plans, in the order made (the reference is ``comparison.reference``)."""
    configs: dict[str, Config]
    """Each scenario's config (plans and reference)."""
    seconds: float
    made: int = 0
    """Runs made for this comparison (the others were kept from before)."""
    png: bytes = field(default=b"", repr=False)

    @property
    def reference(self) -> str:
        """The reference's name."""
        return self.comparison.reference

    @property
    def names(self) -> list[str]:
        """Plans first, then the reference."""
        return [*self.plans, self.reference]

    @property
    def horizon(self) -> int:
        """Days simulated (the reference's)."""
        return self.configs[self.reference].horizon_days

    # --- derived tables ---------------------------------------------------------

    @cached_property
    def costs(self) -> pd.DataFrame:
        """Cost and payback per plan (:func:`~simulation.app.costs.cost_table`)."""
        return costs.cost_table(self.comparison, self.platform, self.plans, self.horizon)

    @cached_property
    def events(self) -> pd.DataFrame:
        """Switch and budget days per run (:func:`~simulation.app.costs.events`)."""
        return costs.events(self.comparison, self.configs, self.platform)

    @cached_property
    def curves(self) -> dict[str, pd.DataFrame]:
        """Cumulative net gap to the reference per plan (:func:`~simulation.app.costs.payback`)."""
        return costs.payback(self.comparison, self.platform, self.plans)

    def frontier(self) -> pd.DataFrame:
        """Per scenario: spend and extra active users at the end, with 95% intervals."""
        rows = []
        for name in self.names:
            spend = self._row(name, "total_spend")
            gain = self._row(name, "active_users_end")
            if spend is None or gain is None:
                continue
            rows.append({"name": name, "spend": spend["mean"],
                         "spend_low": _or(spend["low"], spend["mean"]),
                         "spend_high": _or(spend["high"], spend["mean"]),
                         "gain": gain["diff"], "gain_low": _or(gain["diff_low"], gain["diff"]),
                         "gain_high": _or(gain["diff_high"], gain["diff"])})
        return pd.DataFrame(rows, columns=["name", "spend", "spend_low", "spend_high", "gain",
                                           "gain_low", "gain_high"])

    def notes(self) -> list[str]:
        """What a reader should know about this comparison, in words."""
        found = []
        reference = self.configs[self.reference]
        for name in self.plans:
            mine = self.configs[name]
            if (mine.population.followers, mine.population.market_size, mine.horizon_days) != (
                    reference.population.followers, reference.population.market_size,
                    reference.horizon_days):
                found.append(f"{name} simulates another market, number of people or horizon "
                             "than the reference: its differences mix the plan with that")
        return found

    # --- what the page shows -------------------------------------------------------

    def key_numbers_html(self) -> str:
        """The key numbers: each scenario's mean and each plan's paired difference, 95% intervals.

        One row per scenario (plans, then the reference), one column per key
        metric. Each number is a ``span`` with ``data-scenario``, ``data-metric``,
        ``data-column`` (``mean`` or ``diff``) and ``data-value``, for tests and
        scripts to read.
        """
        metrics = [m for m in KEY_METRICS if self._row(self.reference, m) is not None
                   or m == INCREMENTAL]
        head = "".join(f"<th>{html.escape(label_words(m))}"
                       f"<br><small>{html.escape(present(m, 0).unit)}</small></th>"
                       for m in metrics)
        notes = self.costs.set_index("plan")["note"]
        rows = []
        for name in self.names:
            cells = [f"<th>{html.escape(name)}</th>"]
            for metric in metrics:
                row = self._row(name, metric)
                if row is None:
                    cells.append("<td></td>")
                    continue
                parts = [_number(name, metric, "mean", row["mean"], row["low"], row["high"])]
                if metric == INCREMENTAL and not np.isfinite(row["mean"]):
                    why = ("the reference" if name == self.reference
                           else notes.get(name, "") or "no extra adopters")
                    parts = [f'<span class="reason" data-scenario="{html.escape(name)}" '
                             f'data-metric="{metric}" data-column="mean" data-value="nan">'
                             f"{html.escape(_first_reason(why))}</span>"]
                elif name != self.reference and metric != INCREMENTAL:
                    parts.append("<br><small>vs reference: </small>" + _number(
                        name, metric, "diff", row["diff"], row["diff_low"], row["diff_high"],
                        difference=True))
                cells.append(f"<td>{''.join(parts)}</td>")
            rows.append(f"<tr>{''.join(cells)}</tr>")
        notes_html = "".join(f"<p><small>⚠ {html.escape(n)}</small></p>" for n in self.notes())
        return (f'<table class="key-numbers"><thead><tr><th></th>{head}</tr></thead>'
                f"<tbody>{''.join(rows)}</tbody></table>{notes_html}"
                "<p><small>Means over replicates with 95% intervals; differences from the "
                "reference are paired replicate by replicate (common random numbers). People "
                "and dollars are for the whole market.</small></p>")

    def table(self) -> pd.DataFrame:
        """Every metric of every scenario (``simulation.compare``'s table), as the page shows it.

        Numbers are in the units shown (shares as %), so the table sorts by value;
        intervals are text.
        """
        table = self.comparison.table
        table = table[table["platform"] == self.platform]
        rows = []
        for _, row in table.iterrows():
            mean = present(row["metric"], row["mean"], row["low"], row["high"])
            diff = present(row["metric"], row["diff"], row["diff_low"], row["diff_high"],
                           difference=True)
            rows.append({"Plan": row["scenario"], "Metric": label_words(row["metric"]),
                         "Unit": mean.unit, "Mean": mean.value, "95% interval": mean.interval,
                         "Plan − reference": diff.value, "Its 95% interval": diff.interval,
                         "Replicates": int(row["n"])})
        return pd.DataFrame(rows, columns=["Plan", "Metric", "Unit", "Mean", "95% interval",
                                           "Plan − reference", "Its 95% interval",
                                           "Replicates"])

    def cost_frame(self) -> pd.DataFrame:
        """The cost and payback table with the page's headings."""
        return self.costs.rename(columns=costs.COLUMNS)

    def chart_data(self) -> charts.ChartData:
        """What the interactive charts show (:func:`~simulation.app.charts.chart_data`)."""
        budgets = {name: next((p.budget for p in config.platforms
                               if p.name == self.platform), np.nan)
                   for name, config in self.configs.items()}
        return charts.chart_data(self.comparison.timeseries, self.platform, self.names,
                                 self.reference, self.events, self.curves, self.frontier(),
                                 budgets)

    # --- downloads ------------------------------------------------------------------

    def figure(self) -> Figure:
        """For the PNG download: adopters and active users (bands), net gap and the frontier."""
        figure = Figure(figsize=(14, 8.6), layout="constrained")
        (adopters, users), (net, front) = figure.subplots(2, 2)
        timeseries = self.comparison.timeseries
        band_figure(timeseries, "adopters", by="scenario", platform=self.platform,
                    ax=adopters)
        band_figure(timeseries, "active_users", by="scenario", platform=self.platform,
                    ax=users)
        for name, curve in self.curves.items():
            net.plot(curve.index, curve["mean"] / 1e6, label=name)
        net.axhline(0, color="black", lw=0.8)
        net.set(title="Cumulative net, plan − reference (payback where it crosses 0)",
                xlabel="day", ylabel="$ million")
        net.grid(alpha=0.3)
        if self.curves:
            net.legend(fontsize=8, frameon=False)
        tidy = self.frontier()
        tidy = pd.concat([
            tidy.assign(metric="total_spend", mean=tidy["spend"], low=tidy["spend_low"],
                        high=tidy["spend_high"]),
            tidy.assign(metric=EXTRA_USERS, mean=tidy["gain"], low=tidy["gain_low"],
                        high=tidy["gain_high"])]).rename(columns={"name": "scenario"})
        frontier_figure(tidy.assign(platform=self.platform), "total_spend", EXTRA_USERS,
                        ax=front, title="Spend against extra active users")
        return figure

    def figure_png(self) -> bytes:
        """The download figure as PNG (drawn once, on first asking)."""
        if not self.png:
            buffer = io.BytesIO()
            with DRAWING:
                self.figure().savefig(buffer, format="png", dpi=90)
            self.png = buffer.getvalue()
        return self.png

    def csv(self, what: str) -> str:
        """``runs``, ``timeseries`` (every run's days), ``table`` or ``costs``, as CSV."""
        frame = {"runs": self.comparison.runs, "timeseries": self.comparison.timeseries,
                 "table": self.comparison.table[list(TABLE_COLUMNS)],
                 "costs": self.costs}[what]
        return frame.to_csv(index=False)

    def _row(self, scenario: str, metric: str) -> pd.Series | None:
        table = self.comparison.table
        rows = table[(table["scenario"] == scenario) & (table["metric"] == metric)
                     & (table["platform"] == self.platform)]
        return rows.iloc[0] if len(rows) else None


def _number(scenario: str, metric: str, column: str, value: float, low: float, high: float,
            difference: bool = False) -> str:
    """A number with its interval, tagged for reading back."""
    shown = present(metric, value, low, high, difference=difference)
    interval = f" <small>{html.escape(shown.interval)}</small>" if shown.interval else ""
    return (f'<span data-scenario="{html.escape(scenario)}" data-metric="{metric}" '
            f'data-column="{column}" data-value="{float(value)!r}">'
            f"{html.escape(shown.text)}</span>{interval}")


def _first_reason(note: str) -> str:
    """The reason a cost per extra adopter is missing: the first clause of a plan's note."""
    first = note.split(";")[0].strip()
    return first[0].upper() + first[1:] if first else first


def _or(value: float, fallback: float) -> float:
    return float(value) if np.isfinite(value) else float(fallback)
