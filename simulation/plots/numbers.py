"""Numbers as people read them, rounded to what they are known to: one set of rules for all.

The command line, the figures and the web app write every number through
:func:`format_estimate` (a value with its interval) or :func:`format_quantity`
(one value), and every axis through :class:`EngineeringFormatter`:

- **Rounding.** A value with an interval is rounded at the place of its
  interval's first significant digit (the half-width's; the second when the
  first is 1, as the Particle Data Group rounds errors): 120 195 with the
  interval [-581 638, 822 028] is +100k (95% -600k to +800k); more digits
  would be noise. Never more than three significant figures
  (:data:`DIGITS`): 6 559 167 people is 6.56M people. A value with no interval
  (one run) gets three significant figures.
- **Engineering suffixes** from ten thousand up: k, M, B, T (4,800 stays as it
  is, 48 200 is 48.2k, 4 806 166 is 4.81M); one suffix for a value and its
  interval, so they read together.
- **Units** from the registries' unit words: money is written with its dollar
  sign (``$4.81M``, ``$1,500/day``, ``$0.642 per adopter``); shares as percent
  (``8.81%``; a difference of shares in percentage points, ``+0.52 pp``); any
  other unit follows the number (``1.2M people``, ``142 influencers``).
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib import ticker

DIGITS = 3
"""Most significant figures a number is shown with."""
SUFFIXES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e4, "k"))
"""Engineering suffixes, largest first: the magnitude a suffix starts from and its letter (k
from ten thousand, so four-digit numbers stay whole: 4,800)."""
_SCALE = {"T": 1e12, "B": 1e9, "M": 1e6, "k": 1e3, "": 1.0}


def is_share(unit: str) -> bool:
    """Whether a unit is a share (0 to 1), shown as percent: ``share of people``, ``share``."""
    return unit.split(" ")[0] in ("share", "probability") and "per" not in unit


def is_money(unit: str) -> bool:
    """Whether a unit is dollars (``$``, ``$/day``, ``$ per adopter``)."""
    return unit.startswith("$")


def rounding_step(value: float, low: float = math.nan, high: float = math.nan,
                  digits: int = DIGITS) -> float:
    """The power of ten a value (and its interval) is rounded to.

    The place of the interval's half-width's first significant digit, but no
    finer than ``digits`` significant figures of the largest of the three
    numbers. NaN when there is nothing finite to round.
    """
    shown = [abs(v) for v in (value, low, high) if _finite(v)]
    if not shown:
        return math.nan
    largest = max(shown)
    finest = 10.0 ** (math.floor(math.log10(largest)) - digits + 1) if largest > 0 else 1.0
    if _finite(low) and _finite(high) and high > low:
        half = (high - low) / 2
        place = math.floor(math.log10(half))
        if half / 10.0 ** place < 2:  # 1.x: one digit would round half the width away
            place -= 1
        return max(10.0 ** place, finest)
    return finest


def round_estimate(value: float, low: float = math.nan, high: float = math.nan,
                   digits: int = DIGITS) -> tuple[float, float, float]:
    """The value and its interval rounded as :func:`format_estimate` shows them."""
    step = rounding_step(value, low, high, digits)
    return tuple(_round(v, step) for v in (value, low, high))  # type: ignore[return-value]


def format_quantity(value: float, unit: str = "", *, step: float | None = None,
                    sign: bool = False, suffix: str | None = None, unit_text: bool = True,
                    trim: bool | None = None) -> str:
    """One number with its unit, e.g. ``$4.81M``, ``1.2M people``, ``8.81%``.

    Args:
        value: the number, in the unit's own terms (a share as 0.0881).
        unit: the unit words of the registries (``people``, ``$``, ``share of people``).
        step: the place to round to (default: three significant figures, with no
            trailing zeros: 4, 25, 0.642, 2M).
        sign: write ``+`` before positive numbers (a difference); shares then
            read in percentage points (``pp``).
        suffix: the engineering suffix to use (default: the value's own).
        unit_text: write the unit's words (ticks leave them to the axis label).
        trim: drop trailing zeros after the point (default: when no step is given).
    """
    if not _finite(value):
        return "–"
    scale = 100.0 if is_share(unit) else 1.0
    value = value * scale
    alone = step is None or not _finite(step)  # no interval: trailing zeros say nothing
    step = rounding_step(value) if alone else step * scale
    rounded = _round(value, step)
    suffix = _suffix(abs(rounded)) if suffix is None or rounded == 0 else suffix
    text = _digits(rounded, step, suffix)
    if alone if trim is None else trim:
        text = trimmed(text)
    plus = "+" if sign and rounded > 0 else ""
    minus = "-" if text.startswith("-") else ""
    text = text.lstrip("-")
    if is_share(unit):
        return f"{minus or plus}{text}{(' pp' if sign else '%') if unit_text else ''}"
    if is_money(unit):
        rest = unit[1:]
        tail = rest if rest.startswith("/") else (f" {rest.strip()}" if rest.strip() else "")
        return f"{minus or plus}${text}{tail if unit_text else ''}"
    words = f" {unit}" if unit and unit_text else ""
    return f"{minus or plus}{text}{words}"


def format_estimate(value: float, low: float = math.nan, high: float = math.nan,
                    unit: str = "", *, sign: bool = False, level: float = 0.95) -> str:
    """A value and its interval, rounded to what the interval supports.

    ``format_estimate(120195, -581638, 822028, "people", sign=True)`` is
    ``+100k people (95% -600k to +800k)``; with no interval (NaN), the value
    alone at three significant figures.
    """
    if not _finite(value):
        return "–"
    step = rounding_step(value, low, high)
    if not (_finite(low) and _finite(high)):
        return format_quantity(value, unit, step=step, sign=sign)
    scale = 100.0 if is_share(unit) else 1.0
    largest = max(abs(_round(v * scale, step * scale)) for v in (value, low, high))
    suffix = _suffix(largest)
    parts = [format_quantity(v, unit, step=step, sign=sign, suffix=suffix, unit_text=False)
             for v in (value, low, high)]
    head = format_quantity(value, unit, step=step, sign=sign, suffix=suffix)
    del parts[0]
    return f"{head} ({level:.0%} {parts[0]} to {parts[1]})"


class EngineeringFormatter(ticker.Formatter):
    """Axis ticks as :func:`format_quantity` writes numbers: ``$4.8M``, ``1.2M``, ``40%``.

    The unit's words stay in the axis label; money keeps its ``$`` and shares
    their ``%`` (``share=True``: the data are 0-1 shares; ``percent=True``: the
    data are percent already). Ticks are rounded to the spacing between them,
    so neighbours never read alike. Replaces the "1e6" offset and "thousand $".
    """

    def __init__(self, unit: str = "", *, percent: bool = False):
        self.unit = unit
        self.percent = percent
        self.ticks: np.ndarray = np.array([])

    def set_locs(self, locs: object) -> None:
        """Remember where the ticks are (their spacing sets the rounding)."""
        self.ticks = np.asarray(locs, dtype=float)

    def _step(self) -> float | None:
        """The coarsest power of ten that writes every tick exactly (0.25 needs 0.01)."""
        locs = self.ticks[np.isfinite(self.ticks)]
        spacing = float(np.min(np.diff(np.sort(locs)))) if len(locs) > 1 else math.nan
        if not (_finite(spacing) and spacing > 0):
            return None
        step = 10.0 ** math.floor(math.log10(spacing))
        for _ in range(4):
            if np.allclose(np.round(locs / step) * step, locs, rtol=0, atol=spacing * 1e-6):
                break
            step /= 10
        return step

    def __call__(self, x: float, pos: int | None = None) -> str:
        """The tick label of ``x``."""
        step = self._step()
        if self.percent:
            return format_quantity(x, "", step=step) + "%"
        if abs(x) < (step or 1e-12) / 2:
            x = 0.0
        text = format_quantity(x, self.unit, step=step, unit_text=False)
        return text + "%" if is_share(self.unit) else text


def axis_unit(label: str) -> tuple[str, bool]:
    """The unit a tick formatter needs from an axis label, and whether it is percent already.

    ``"total payout spend ($)"`` → ``("$", False)``; ``"share of people (%)"`` →
    ``("", True)``; ``"... (share of people)"`` → ``("share of people", False)`` (drawn as
    percent); anything else → ``("", False)`` (plain numbers).
    """
    text = label.strip()
    inside = text[text.rfind("(") + 1:-1] if text.endswith(")") and "(" in text else ""
    if inside.startswith("%") or text.endswith("%"):
        return "", True
    if inside.startswith("$") or text.endswith("$"):
        return "$", False
    if is_share(inside):
        return inside, False
    return "", False


def trimmed(text: str) -> str:
    """Digits without trailing zeros after the point: ``4.00`` → ``4``, ``2.50M`` → ``2.5M``.

    For a number shown alone, whose zeros would claim a precision nothing measured.
    """
    if "." not in text:
        return text
    digits, letter = (text[:-1], text[-1]) if text[-1].isalpha() else (text, "")
    return digits.rstrip("0").rstrip(".") + letter


def _finite(value: object) -> bool:
    try:
        return math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _round(value: float, step: float) -> float:
    if not (_finite(value) and _finite(step)) or step <= 0:
        return value
    rounded = round(value / step) * step
    places = max(0, -math.floor(math.log10(step)))
    return round(rounded, places) + 0.0  # no "-0"


def _suffix(magnitude: float) -> str:
    for start, letter in SUFFIXES:
        if magnitude >= start:
            return letter
    return ""


def _digits(value: float, step: float, suffix: str) -> str:
    """The rounded value's digits with the suffix: decimals down to the step, no further."""
    if value == 0:
        return "0"
    scale = _SCALE[suffix]
    decimals = max(0, -math.floor(math.log10(step / scale) + 1e-9)) if step > 0 else 0
    return f"{value / scale:,.{decimals}f}{suffix}"
