"""The page's interactive charts (Bokeh, inside Panel): hover, zoom, legends that hide a series.

A :class:`Charts` is built once per page and shows one comparison at a time
(:meth:`Charts.show`): adopters and active users over time (median and 5–95%
band over replicates per plan and the reference), the cumulative spend with
each plan's budget, the cumulative net of each plan minus the reference
(where it crosses zero is the payback day), and the frontier of spend
against extra active users. The day each plan's payout schedule switched
and the day its budget ran out are marked (median over the runs where it
happened, with how many did), and the legends name them. Clicking a legend
entry hides its series.

Each chart holds a fixed slot per plan (six, :data:`~simulation.app.plan.MAX_PINNED`)
and one for the reference, so a new comparison only replaces the slots'
data (a plan keeps its slot, so its colour, while it stays pinned): no
models are rebuilt, and the browser redraws rather than lays the page out
again. The data are made from plain tables in a worker thread
(:func:`chart_data`); BokehJS comes with Panel, from the app's own server.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from bokeh.layouts import gridplot
from bokeh.models import (
    ColumnDataSource,
    CustomJSTickFormatter,
    HoverTool,
    Legend,
    LegendItem,
    Span,
    Whisker,
)
from bokeh.plotting import figure

from ..plots import pareto_front
from .costs import payback_day
from .plan import MAX_PINNED

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
"""The plans' colours (Okabe and Ito's, safe for colour-blind readers); the reference is grey
and dashed, so it differs in more than colour."""
REFERENCE_COLOUR = "#555555"
WIDTH, HEIGHT = 560, 300
"""Each chart's size at the page's default width (two side by side beside the levers)."""
TOOLS = "pan,box_zoom,wheel_zoom,reset,save"
OVER_TIME = {"adopters": ("Adopters, ever", "people", False),
             "active_users": ("Active users", "people", False),
             "spend_cum": ("Payout spend, cumulative", "$", True)}
"""The charts over time: daily column → title, unit, money?"""
MARKS = {"switch_day": ("switch", "dashed"), "budget_day": ("budget spent", "dotted")}
"""The days marked: events column → words, line dash."""
REFERENCE_SLOT = MAX_PINNED
"""The reference's slot; the plans take slots 0 to MAX_PINNED - 1."""


def tick_formatter(money: bool = False) -> CustomJSTickFormatter:
    """Ticks as people read them: 4.8M, 120k, $1.5M (JavaScript, run in the browser)."""
    prefix = "$" if money else ""
    return CustomJSTickFormatter(code=f"""
        const a = Math.abs(tick), s = tick < 0 ? "−" : "";
        const f = (v) => (Math.round(v * 10) / 10).toString();
        if (a >= 1e9) return s + "{prefix}" + f(a / 1e9) + "B";
        if (a >= 1e6) return s + "{prefix}" + f(a / 1e6) + "M";
        if (a >= 1e3) return s + "{prefix}" + f(a / 1e3) + "k";
        return s + "{prefix}" + f(a);
    """)


def colour(slot: int) -> str:
    """A slot's colour."""
    return REFERENCE_COLOUR if slot == REFERENCE_SLOT else PALETTE[slot % len(PALETTE)]


# --- the data of one comparison (made in a worker thread) -------------------------------


@dataclass
class ChartData:
    """What the charts show of one comparison, as plain arrays."""

    names: list[str]
    """The scenarios, plans first, then the reference."""
    reference: str
    replicates: int
    bands: dict[str, dict[str, tuple[np.ndarray, ...]]] = field(default_factory=dict)
    """Column → scenario → (days, 5%, median, 95%) over replicates."""
    marks: dict[str, dict[str, tuple[int, str]]] = field(default_factory=dict)
    """Scenario → events column → (median day, legend words)."""
    budgets: dict[str, float] = field(default_factory=dict)
    curves: dict[str, tuple[np.ndarray, ...]] = field(default_factory=dict)
    """Plan → (days, mean, 5%, 95%) of the cumulative net minus the reference's."""
    paybacks: dict[str, int] = field(default_factory=dict)
    frontier: pd.DataFrame = field(default_factory=pd.DataFrame)


def chart_data(timeseries: pd.DataFrame, platform: str, names: Sequence[str], reference: str,
               events: pd.DataFrame, curves: dict[str, pd.DataFrame],
               frontier: pd.DataFrame, budgets: dict[str, float]) -> ChartData:
    """The charts' data of one comparison.

    Args:
        timeseries: the comparison's daily tables (``scenario`` and ``replicate``).
        platform: the platform drawn.
        names: the scenarios, plans first, then the reference.
        reference: the reference's name.
        events: :func:`~simulation.app.costs.events`.
        curves: :func:`~simulation.app.costs.payback`.
        frontier: per scenario ``name, spend, spend_low, spend_high, gain, gain_low,
            gain_high`` (spend against extra active users).
        budgets: each scenario's budget ($), drawn on the spend chart.
    """
    rows = timeseries[timeseries["platform"] == platform]
    rows = rows.assign(spend_cum=rows.groupby(["scenario", "replicate"], sort=False)[
        "spend_total"].cumsum())
    data = ChartData(list(names), reference,
                     int(rows["replicate"].nunique()) if len(rows) else 0,
                     budgets={n: b for n, b in budgets.items() if n != reference},
                     frontier=frontier)
    data.bands = {column: bands(rows, column) for column in OVER_TIME}
    for name in names:
        mine = events[events["scenario"] == name] if len(events) else events
        for column, (words, _) in MARKS.items():
            days = pd.to_numeric(mine[column], errors="coerce").dropna() if len(mine) else []
            if len(days):
                day = int(np.median(days))
                of = "" if len(days) == len(mine) else f" ({len(days)} of {len(mine)} runs)"
                data.marks.setdefault(name, {})[column] = (day, f"{name}: {words}, day {day}{of}")
    for name, curve in curves.items():
        data.curves[name] = (curve.index.to_numpy(), curve["mean"].to_numpy(),
                             curve["low"].to_numpy(), curve["high"].to_numpy())
        day, _ = payback_day(curve)
        if day is not None:
            data.paybacks[name] = day
    return data


def bands(rows: pd.DataFrame, column: str,
          quantiles: Sequence[float] = (0.05, 0.5, 0.95)) -> dict[str, tuple[np.ndarray, ...]]:
    """Per scenario: the days and the quantiles of ``column`` over replicates on each day.

    ``rows`` are one platform's daily tables, sorted by run and day (as
    ``simulation.compare`` gives them): each scenario's runs are reshaped to
    replicates × days at once (a pivot per scenario takes ten times as long).
    """
    found = {}
    for name, group in rows.groupby("scenario", sort=False):
        runs = group["replicate"].nunique()
        days = group["day"].to_numpy()[: len(group) // max(runs, 1)]
        if runs * len(days) == len(group) and (group["day"].to_numpy().reshape(
                runs, -1) == days).all():
            values = group[column].to_numpy(dtype=float).reshape(runs, -1)
        else:  # runs of unequal length: pivot
            wide = group.pivot_table(index="day", columns="replicate", values=column,
                                     aggfunc="first")
            days, values = wide.index.to_numpy(), wide.to_numpy(dtype=float).T
        quantile = np.nanquantile if np.isnan(values).any() else np.quantile  # 10× faster
        low, median, high = quantile(values, quantiles, axis=0)
        found[str(name)] = (days, low, median, high)
    return found


# --- the charts (built once per page) ---------------------------------------------------

EMPTY_BAND = {"day": [], "low": [], "median": [], "high": [], "name": []}


class Charts:
    """The page's charts: fixed slots whose data each comparison replaces (:meth:`show`)."""

    def __init__(self) -> None:
        self.slot_of: dict[str, int] = {}
        self._shown: dict[int, object] = {}  # id of a slot's source → what it shows
        self.over_time = {column: self._over_time(column, title, unit, money)
                          for column, (title, unit, money) in OVER_TIME.items()}
        first = self.over_time["adopters"]["figure"]
        for column in ("active_users", "spend_cum"):
            self.over_time[column]["figure"].x_range = first.x_range
        spend = self.over_time["spend_cum"]["figure"]
        self.budget_lines = [Span(location=0, dimension="width", line_color=colour(s),
                                  line_alpha=0.5, line_dash="dotdash", line_width=1,
                                  visible=False) for s in range(MAX_PINNED)]
        for line in self.budget_lines:
            spend.add_layout(line)
        self.net = self._net(first.x_range)
        self.frontier = self._frontier()
        self.layout = gridplot([[first, self.over_time["active_users"]["figure"]],
                                [spend, self.net["figure"]], [self.frontier["figure"], None]],
                               merge_tools=True, toolbar_location="right")

    # --- show one comparison -----------------------------------------------------------

    def show(self, data: ChartData) -> None:
        """Replace every slot's data with one comparison's (call it on the page's event loop)."""
        slots = self._slots(data)
        runs = (f"median, 5–95% of {data.replicates} runs" if data.replicates > 1
                else "one run")
        for column, chart in self.over_time.items():
            chart["figure"].title.text = f"{OVER_TIME[column][0]} ({runs})"
            for slot, parts in enumerate(chart["slots"]):
                name = slots.get(slot)
                band = data.bands[column].get(name) if name is not None else None
                self._set(parts["series"], parts["item"], name,
                     None if band is None else dict(zip(
                         ("day", "low", "median", "high"), band, strict=True)))
                for column_name, (source, item) in parts["marks"].items():
                    mark = data.marks.get(name, {}).get(column_name) if name else None
                    source.data = {"x": [mark[0]] if mark else []}
                    item.label = {"value": mark[1] if mark else ""}
                    item.visible = mark is not None
        for slot, line in enumerate(self.budget_lines):
            budget = data.budgets.get(slots.get(slot, ""), np.nan)
            line.visible = bool(np.isfinite(budget))
            line.location = float(budget) if np.isfinite(budget) else 0.0
        for slot, parts in enumerate(self.net["slots"]):
            name = slots.get(slot)
            curve = data.curves.get(name) if name is not None else None
            self._set(parts["series"], parts["item"], name,
                 None if curve is None else dict(zip(("day", "median", "low", "high"), curve,
                                                     strict=True)))
            day = data.paybacks.get(name) if curve is not None else None
            parts["mark"][0].data = {"x": [day] if day is not None else []}
            parts["mark"][1].label = {"value": f"{name}: pays back, day {day}"
                                      if day is not None else ""}
            parts["mark"][1].visible = day is not None
        self._show_frontier(data.frontier, slots)

    def _set(self, series: tuple[ColumnDataSource, list], item: LegendItem, name: str | None,
             values: dict[str, np.ndarray] | None) -> None:
        """One slot's series: its data, shown and named, or emptied and hidden.

        A slot whose data are those it shows already is left alone, so a new plan
        sends (and the browser redraws) only its own series.
        """
        source, renderers = series
        signature = None if values is None else (name, *(
            hash(np.asarray(v, dtype=float).tobytes()) for v in values.values()))
        if self._shown.get(id(source), "nothing yet") == signature:
            return
        self._shown[id(source)] = signature
        if values is None:
            source.data = dict(EMPTY_BAND)
            item.visible = False
            item.label = {"value": ""}
            return
        # fresh arrays of their own: a view into a larger array sends BokehJS the wrong bytes
        source.data = {**{k: np.array(v, dtype=float) for k, v in values.items()},
                       "name": [name] * len(values["day"])}
        item.label = {"value": name}
        item.visible = True
        for renderer in renderers:
            renderer.visible = True

    def _slots(self, data: ChartData) -> dict[int, str]:
        """Slot → scenario: each pinned plan keeps its slot; a new one takes the first free."""
        plans = [n for n in data.names if n != data.reference]
        self.slot_of = {n: s for n, s in self.slot_of.items() if n in plans}
        for name in plans:
            if name not in self.slot_of:
                self.slot_of[name] = min(set(range(MAX_PINNED)) - set(self.slot_of.values()))
        slots = {s: n for n, s in self.slot_of.items()}
        slots[REFERENCE_SLOT] = data.reference
        return slots

    def _show_frontier(self, points: pd.DataFrame, slots: dict[int, str]) -> None:
        parts = self.frontier
        by_name = points.set_index("name") if len(points) else pd.DataFrame()
        columns = ["spend", "spend_low", "spend_high", "gain", "gain_low", "gain_high"]
        rows = {column: [] for column in [*columns, "name", "colour"]}
        for slot in range(MAX_PINNED + 1):
            name = slots.get(slot)
            here = name is not None and name in by_name.index
            if here:
                for column in columns:
                    rows[column].append(float(by_name.loc[name, column]))
                rows["name"].append(name)
                rows["colour"].append(colour(slot))
            parts["dots"][slot].data = {
                "spend": np.array([by_name.loc[name, "spend"]] if here else [], dtype=float),
                "gain": np.array([by_name.loc[name, "gain"]] if here else [], dtype=float),
                "name": [name] if here else []}
            parts["items"][slot].label = {"value": name if here else ""}
            parts["items"][slot].visible = here
        parts["points"].data = {c: np.array(v, dtype=float) if c in columns else v
                                for c, v in rows.items()}
        shown = points[points["name"].isin(slots.values())] if len(points) else points
        parts["labels"].data = _labels(shown) if len(shown) else {"spend": [], "gain": [],
                                                                  "name": []}
        front = (shown[pareto_front(shown["spend"], shown["gain"])].sort_values("spend")
                 if len(shown) else shown)
        parts["line"].data = {c: front[c].to_numpy(dtype=float).copy() if len(front) > 1
                              else np.zeros(0) for c in ("spend", "gain")}
        parts["line_item"].visible = len(front) > 1

    # --- building ------------------------------------------------------------------------

    def _over_time(self, column: str, title: str, unit: str, money: bool) -> dict:
        chart = _figure(title, unit, money)
        slots, lines = [], []
        for slot in range(MAX_PINNED + 1):
            source = ColumnDataSource(dict(EMPTY_BAND))
            dash = "dashed" if slot == REFERENCE_SLOT else "solid"
            area = chart.varea("day", "low", "high", source=source, color=colour(slot),
                               alpha=0.15)
            line = chart.line("day", "median", source=source, color=colour(slot),
                              line_width=2, line_dash=dash)
            item = LegendItem(label="", renderers=[line, area], visible=False)
            chart.legend[0].items.append(item)
            lines.append(line)
            marks = {}
            if slot != REFERENCE_SLOT:
                for events_column, (_, mark_dash) in MARKS.items():
                    mark_source = ColumnDataSource({"x": []})
                    span = chart.vspan(x="x", source=mark_source, line_color=colour(slot),
                                       line_dash=mark_dash, line_width=2, line_alpha=0.8)
                    mark_item = LegendItem(label="", renderers=[span], visible=False)
                    marks[events_column] = (mark_source, mark_item)
            slots.append({"series": (source, [line, area]), "item": item, "marks": marks})
        for slot in slots:  # the marks' entries after the series'
            chart.legend[0].items.extend(item for _, item in slot["marks"].values())
        value = "$@median{0,0}" if money else "@median{0,0}"
        band = "$@low{0,0} – $@high{0,0}" if money else "@low{0,0} – @high{0,0}"
        chart.add_tools(HoverTool(renderers=lines, mode="vline", tooltips=[
            ("", "@name"), ("day", "@day"), ("median", value), ("5–95%", band)]))
        return {"figure": chart, "slots": slots}

    def _net(self, x_range: object) -> dict:
        chart = _figure("Cumulative net, plan − reference (payback where it crosses 0)", "$",
                        money=True, x_range=x_range)
        chart.add_layout(Span(location=0, dimension="width", line_color="black",
                              line_width=1))
        slots, lines = [], []
        for slot in range(MAX_PINNED):
            source = ColumnDataSource(dict(EMPTY_BAND))
            area = chart.varea("day", "low", "high", source=source, color=colour(slot),
                               alpha=0.12)
            line = chart.line("day", "median", source=source, color=colour(slot),
                              line_width=2)
            item = LegendItem(label="", renderers=[line, area], visible=False)
            mark_source = ColumnDataSource({"x": []})
            span = chart.vspan(x="x", source=mark_source, line_color=colour(slot),
                               line_dash="dashdot", line_width=2)
            mark_item = LegendItem(label="", renderers=[span], visible=False)
            chart.legend[0].items.extend([item, mark_item])
            lines.append(line)
            slots.append({"series": (source, [line, area]), "item": item,
                          "mark": (mark_source, mark_item)})
        chart.add_tools(HoverTool(renderers=lines, mode="vline", tooltips=[
            ("", "@name"), ("day", "@day"), ("net gap", "$@median{0,0}")]))
        return {"figure": chart, "slots": slots}

    def _frontier(self) -> dict:
        chart = _figure("Spend against extra active users at the end",
                        "extra active users at the end (people)",
                        x_label="total payout spend ($)")
        chart.xaxis.formatter = tick_formatter(money=True)
        empty = {c: [] for c in ("spend", "spend_low", "spend_high", "gain", "gain_low",
                                 "gain_high", "name", "colour")}
        points = ColumnDataSource(empty)
        chart.add_layout(Whisker(source=points, base="gain", lower="spend_low",
                                 upper="spend_high", dimension="width", line_color="colour"))
        chart.add_layout(Whisker(source=points, base="spend", lower="gain_low",
                                 upper="gain_high", dimension="height", line_color="colour"))
        dots, items = [], []
        for slot in range(MAX_PINNED + 1):
            source = ColumnDataSource({"spend": [], "gain": [], "name": []})
            dots.append(source)
            renderer = chart.scatter("spend", "gain", source=source, size=11,
                                     color=colour(slot), line_color="black", marker="circle")
            items.append(LegendItem(label="", renderers=[renderer], visible=False))
        labels = ColumnDataSource({"spend": [], "gain": [], "name": []})
        chart.text("spend", "gain", text="name", source=labels, x_offset=8, y_offset=-6,
                   text_font_size="11px")
        line_source = ColumnDataSource({"spend": [], "gain": []})
        line = chart.line("spend", "gain", source=line_source, color="black",
                          line_dash="dashed", line_width=1.2)
        line_item = LegendItem(label="frontier: none cheaper does more", renderers=[line],
                               visible=False)
        chart.legend[0].items.extend([line_item, *items])
        chart.add_tools(HoverTool(renderers=[i.renderers[0] for i in items], tooltips=[
            ("", "@name"), ("spend", "$@spend{0,0}"), ("extra active users", "@gain{0,0}")]))
        return {"figure": chart, "points": points, "dots": dots, "labels": labels,
                "line": line_source, "line_item": line_item, "items": items}


def _figure(title: str, y_unit: str, money: bool = False, **kwargs: object) -> figure:
    chart = figure(title=title, width=WIDTH, height=HEIGHT, tools=TOOLS,
                   active_scroll=None, x_axis_label=kwargs.pop("x_label", "day"),
                   y_axis_label=y_unit, **kwargs)
    chart.yaxis.formatter = tick_formatter(money)
    chart.title.text_font_size = "13px"
    chart.axis.axis_label_text_font_size = "12px"
    chart.axis.major_label_text_font_size = "11px"
    chart.add_layout(Legend(click_policy="hide", label_text_font_size="11px", spacing=0,
                            padding=4, margin=4), "right")
    return chart


def _labels(points: pd.DataFrame) -> dict[str, list]:
    """One label per spot: the names of points within 3% of the axes' ranges of each other."""
    spans = [max(float(np.ptp(points[c])), 1e-9) for c in ("spend", "gain")]
    spots: list[tuple[float, float, list[str]]] = []
    for name, x, y in zip(points["name"], points["spend"], points["gain"], strict=True):
        for spot in spots:
            if abs(spot[0] - x) <= 0.03 * spans[0] and abs(spot[1] - y) <= 0.03 * spans[1]:
                spot[2].append(str(name))
                break
        else:
            spots.append((float(x), float(y), [str(name)]))
    return {"spend": np.array([s[0] for s in spots]), "gain": np.array([s[1] for s in spots]),
            "name": [", ".join(s[2]) for s in spots]}
