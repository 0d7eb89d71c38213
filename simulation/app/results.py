"""What the page shows of a comparison: the figure, the key numbers, the table, the downloads.

Plain data (PNG bytes, HTML, tables, CSV text): no widgets, so it is tested
without a browser and each session's results are its own objects.
"""

from __future__ import annotations

import html
import io
import threading
from dataclasses import dataclass

import pandas as pd
from matplotlib.figure import Figure

from ..analysis.compare import TABLE_COLUMNS, Comparison
from ..plots import band_figure, label_words, number, spend_figure, unit_of

PLAN, REFERENCE = "plan", "reference"
"""The two scenarios of every comparison the page runs."""
KEY_METRICS = ("adopters_end", "active_users_end", "influencers_joined", "total_spend",
               "cost_per_incremental_adopter", "net_total")
"""The numbers shown first, of the plan's first platform."""
DRAWING = threading.Lock()
"""Figures are drawn in the sessions' worker threads, one at a time (matplotlib's state
is shared)."""


@dataclass
class Results:
    """One comparison of the plan with its reference, ready to show."""

    comparison: Comparison
    platform: str
    seconds: float

    def figure(self) -> Figure:
        """Adoption and active users (median, 5–95% band over replicates) and the plan's spend."""
        figure = Figure(figsize=(15, 4.3), layout="constrained")
        adopters, users, spend = figure.subplots(1, 3)
        timeseries = self.comparison.timeseries
        band_figure(timeseries, "adopters", by="scenario", ax=adopters)
        band_figure(timeseries, "active_users", by="scenario", ax=users)
        spend_figure(timeseries[timeseries["scenario"] == PLAN], by=None,
                     platform=self.platform, ax=spend)
        spend.set_title(f"Plan: {spend.get_title()}", fontsize=11)
        return figure

    def figure_png(self) -> bytes:
        """The figure as PNG."""
        buffer = io.BytesIO()
        with DRAWING:
            self.figure().savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()

    def key_numbers_html(self) -> str:
        """The key numbers: plan, reference and their paired difference with 95% intervals.

        Each number's cell carries ``data-metric`` and ``data-column`` (plan,
        reference, diff) so that tests and scripts can read it.
        """
        rows = []
        for metric in KEY_METRICS:
            plan, reference = (self._row(s, metric) for s in (PLAN, REFERENCE))
            if plan is None or reference is None:
                continue
            unit = unit_of(metric)
            cells = [f"<th>{html.escape(label_words(metric))}"
                     f"{f' ({html.escape(unit)})' if unit else ''}</th>",
                     _cell(metric, "plan", plan["mean"], plan["low"], plan["high"]),
                     _cell(metric, "reference", reference["mean"], reference["low"],
                           reference["high"]),
                     _cell(metric, "diff", plan["diff"], plan["diff_low"], plan["diff_high"])]
            rows.append(f"<tr>{''.join(cells)}</tr>")
        head = ("<tr><th></th><th>plan</th><th>reference</th>"
                "<th>plan − reference</th></tr>")
        return (f'<table class="key-numbers"><thead>{head}</thead>'
                f"<tbody>{''.join(rows)}</tbody></table>"
                "<p><small>Means over replicates with 95% intervals; differences are paired "
                "replicate by replicate (common random numbers). People and dollars are for "
                "the whole market.</small></p>")

    def table(self) -> pd.DataFrame:
        """The summary table (``simulation.compare``'s), numbers written as people read them."""
        table = self.comparison.table[[c for c in TABLE_COLUMNS if c != "reference"]].copy()
        for column in ("mean", "low", "high", "diff", "diff_low", "diff_high"):
            table[column] = table[column].map(number)
        return table

    def csv(self, what: str) -> str:
        """``runs`` (one row per run), ``timeseries`` (one row per run and day) or ``table``."""
        frame = {"runs": self.comparison.runs, "timeseries": self.comparison.timeseries,
                 "table": self.comparison.table}[what]
        return frame.to_csv(index=False)

    def _row(self, scenario: str, metric: str) -> pd.Series | None:
        table = self.comparison.table
        rows = table[(table["scenario"] == scenario) & (table["metric"] == metric)
                     & (table["platform"] == self.platform)]
        return rows.iloc[0] if len(rows) else None


def _cell(metric: str, column: str, mean: float, low: float, high: float) -> str:
    """A number with its interval, tagged for reading back."""
    interval = "" if pd.isna(low) else f" <small>[{number(low)}, {number(high)}]</small>"
    return (f'<td data-metric="{metric}" data-column="{column}" data-value="{float(mean)!r}">'
            f"{number(mean)}{interval}</td>")
