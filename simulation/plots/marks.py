"""Days worth marking on a figure over time: the switch, outside events, the budget spent.

:func:`schedule_marks` reads them from a config (and, where they depend on the
run, from the run): a phase that starts on a fixed day, a phase triggered by an
adoption share or by spend (on the day the run reached it: exact from
:attr:`simulation.RunResult.switch_days`, else from the daily table), each
``[[events]]`` entry, and the day a platform's budget ran out. :func:`draw_marks`
draws each as a dotted vertical line labelled in words at the top of the panel
("switch to commission, day 143"), so no line on a figure goes unexplained.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from ..model.payouts import SCHEMES

MARK_STYLES = {"switch": ("0.15", ":"), "event": ("#CC79A7", "--"), "budget": ("#D55E00", "-.")}
"""Colour and line style of each kind of mark (they differ in style as well as colour)."""


@dataclass(frozen=True)
class Mark:
    """A day worth marking: its day, its words and its kind (switch, event or budget)."""

    day: float
    label: str
    kind: str = "switch"


Marks = Sequence[Mark | tuple[float, str]] | None
"""What figures take as ``marks=``: Marks, or (day, label) pairs."""


def schedule_marks(config: Any, timeseries: pd.DataFrame | None = None,
                   switch_days: Mapping[str, int | None] | None = None) -> list[Mark]:
    """The switches, events and budget exhaustion of a config (and its run, if given).

    Args:
        config: a :class:`simulation.Config`.
        timeseries: one run's daily table: places switches triggered by adoption
            or spend when ``switch_days`` lacks them, and finds the day the budget
            ran out (none is marked without it).
        switch_days: platform → the day its first switch took effect
            (:attr:`simulation.RunResult.switch_days`), exact.
    """
    marks: list[Mark] = []
    several = len(config.platforms) > 1
    for platform in config.platforms:
        owner = f"{platform.name}: " if several else ""
        rows = _rows(timeseries, platform.name)
        for index, phase in enumerate(platform.phases[1:], start=1):
            words = _phase_words(phase)
            start = phase.start
            if index == 1 and switch_days and switch_days.get(platform.name) is not None:
                day = switch_days[platform.name]
            elif start.day is not None:
                day = start.day + start.notice_days
            else:
                day = _first_day(rows, start, config.population.market_size)
            if day is not None and (rows is None or day <= rows["day"].max()):
                marks.append(Mark(day, f"{owner}switch to {words}, day {int(day)}"))
        if rows is not None and platform.phases:
            spent = rows["spend_total"].cumsum().to_numpy()
            over = np.flatnonzero(spent >= platform.budget * (1 - 1e-9))
            if len(over) and platform.budget > 0:
                day = int(rows["day"].iloc[over[0]])
                marks.append(Mark(day, f"{owner}budget spent, day {day}", "budget"))
    for event in getattr(config, "events", None) or ():
        where = f"{event.platform}: " if several and event.platform else ""
        words = "people leave a rival" if event.kind == "exodus" else "news sends people looking"
        marks.append(Mark(event.day, f"{where}{words}, day {event.day}", "event"))
    return sorted(marks, key=lambda mark: mark.day)


def draw_marks(ax: Axes, marks: Marks, *, labels: bool = True) -> None:
    """Each mark as a vertical line, labelled at the top of the panel (``labels``)."""
    for raw in marks or ():
        mark = raw if isinstance(raw, Mark) else Mark(float(raw[0]), str(raw[1]))
        colour, style = MARK_STYLES.get(mark.kind, MARK_STYLES["switch"])
        ax.axvline(mark.day, color=colour, ls=style, lw=1.1, zorder=1)
        if labels:
            ax.annotate(mark.label, (mark.day, 1.0), xycoords=("data", "axes fraction"),
                        xytext=(3, -3), textcoords="offset points", rotation=90,
                        ha="left", va="top", fontsize=10, color=colour,
                        annotation_clip=False)


def _phase_words(phase: Any) -> str:
    """A phase in words: its schemes' labels ("commission", "flat fee + bounty")."""
    paid = [SCHEMES[key].label for key in SCHEMES if getattr(phase, key, None) is not None]
    return " + ".join(paid) if paid else "no payouts"


def _rows(timeseries: pd.DataFrame | None, platform: str) -> pd.DataFrame | None:
    if timeseries is None or timeseries.empty:
        return None
    rows = timeseries[timeseries["platform"] == platform]
    return rows.sort_values("day") if len(rows) else None


def _first_day(rows: pd.DataFrame | None, start: Any, market: float) -> float | None:
    """The day a share or spend trigger fired by the daily table, plus the notice days.

    A day's schedule reads the day before's totals, so a level reached on day d
    fires on day d + 1.
    """
    if rows is None:
        return None
    if start.adoption_share is not None:
        held = np.flatnonzero(rows["adopters"].to_numpy() / market >= start.adoption_share)
    else:
        held = np.flatnonzero(rows["spend_total"].cumsum().to_numpy() >= start.spend)
    if not len(held):
        return None
    return float(rows["day"].iloc[held[0]] + 1 + start.notice_days)


def labelled(marks: Iterable[Mark | tuple[float, str]] | None) -> list[Mark]:
    """Marks as :class:`Mark` (pairs become switch marks)."""
    return [m if isinstance(m, Mark) else Mark(float(m[0]), str(m[1])) for m in marks or ()]
