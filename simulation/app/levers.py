"""The levers' widgets: one per field of :class:`~simulation.app.plan.Levers`, in people's units.

Each number lever is shown and entered in its page unit (:data:`~simulation.app.explain.UNITS`:
commission 4 %, budget $10 million, market 85 million people) and read back
in config units exactly; each has a tooltip read from the config schema
(:func:`~simulation.app.explain.tooltip`); a lever the page cannot run with
is outlined in red with what is wrong under it, in words (:meth:`LeverWidgets.mark`).
The schemes to pay are read from the scheme registry (their labels and keys),
and a scheme without page levers of its own (a user's) gets one number widget
per number field (:func:`~simulation.app.plan.scheme_settings`).

The levers also live in the page's address (:meth:`LeverWidgets.query`,
:meth:`LeverWidgets.read_query`), so a link reopens the same plan.

Number fields take any value, so a bad one reaches the checks and is named
on the page rather than silently clamped by the browser. Whole-number fields
are number fields too (read back as int when whole): the browser's integer
field turns a long one such as 10²³ into ``1e+23``, which Panel's integer
widget refuses in the server log while the run silently keeps the old value.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import fields
from typing import Any

import panel as pn

from ..model.config import Config, plain
from ..model.payouts import SCHEMES
from . import explain, scenarios
from .plan import (
    K_POLICIES,
    LABELS,
    NO_PAYOUTS,
    POLICIES,
    TRIGGERS,
    Levers,
    levers_from,
    scheme_levers,
    scheme_options,
    scheme_settings,
    tier_fees,
)

STEPS = {"fee": 5.0, "commission": 0.5, "per_view": 0.1, "bounty": 0.5, "switch_at": 1.0,
         "budget": 1.0, "market_size": 1.0}
"""The arrows' step of each number lever, in its page unit (whole-number levers step by 1)."""
NUMBERS = ("fee", "quota", "commission", "per_view", "bounty", "invited", "switch_at",
           "notice_days", "budget", "market_size", "people", "replicates", "seed")
"""The levers entered as numbers."""
LISTS = ("launch", "after")
"""The levers that are lists of schemes."""
BAD = """
:host(.bad) input, :host(.bad) select { border: 2px solid #b3261e; background: #fff4f3; }
:host(.bad) label { color: #b3261e; font-weight: 600; }
"""
"""How a lever with a problem is outlined (in the widget's own shadow root)."""
NOTE = "color: #b3261e; font-size: 12px; margin: -4px 10px 6px 10px;"


class LeverWidgets:
    """The widgets of one browser session; ``levers`` reads them, ``show`` sets them."""

    def __init__(self, names: list[str]) -> None:
        """Widgets set to the first of the scenarios ``names``."""
        schemes = scheme_options()  # read from the scheme registry
        self.bases: dict[str, Config] = {}
        """Configs this session uploaded, by the name offered as a scenario."""
        self.descriptions: dict[str, str] = {}
        self.widgets: dict[str, Any] = {
            "scenario": pn.widgets.Select(name=LABELS["scenario"], options=list(names)),
            "reference": pn.widgets.Select(name=LABELS["reference"],
                                           options=[NO_PAYOUTS, *names]),
            "launch": pn.widgets.CheckButtonGroup(name=LABELS["launch"], options=schemes,
                                                  width=330),
            "policy": pn.widgets.Select(name=LABELS["policy"],
                                        options={v: k for k, v in POLICIES.items()}),
            "switch": pn.widgets.Select(name=LABELS["switch"],
                                        options={v: k for k, v in TRIGGERS.items()}),
            "after": pn.widgets.CheckButtonGroup(name=LABELS["after"], options=schemes,
                                                 width=330),
            **{k: pn.widgets.FloatInput(name=explain.label(k), step=STEPS.get(k, 1.0))
               for k in NUMBERS},
        }
        self.settings = {  # a user's scheme's number fields: key → field → widget
            key: {name: pn.widgets.FloatInput(name=explain.label(f"{key}.{name}"), step=step)
                  for name, (_, _, step) in names.items()}
            for key, names in scheme_settings().items()}
        for name, widget in self._all().items():
            widget.css_classes = [f"lever-{name.replace('.', '-')}"]
            widget.stylesheets = [BAD]
            if name not in LISTS:
                widget.description = explain.tooltip(name)
        self.tips = {name: pn.widgets.TooltipIcon(value=explain.tooltip(name),
                                                  css_classes=[f"tip-{name}"])
                     for name in LISTS}
        self.notes = {name: pn.pane.HTML("", visible=False, styles={"color": "#b3261e"},
                                         css_classes=["lever-note", f"note-{name}"],
                                         stylesheets=[f":host {{ {NOTE} }}"])
                      for name in self._all()}
        self.scenario_text = pn.pane.HTML("", css_classes=["scenario-description"],
                                          sizing_mode="stretch_width")
        self.reference_text = pn.pane.HTML("", css_classes=["reference-description"],
                                           sizing_mode="stretch_width")
        self.tiers_text = pn.pane.HTML("", css_classes=["tier-fees"],
                                       sizing_mode="stretch_width")
        self.after_label = pn.Row(pn.pane.Markdown("**Pay after the switch**"),
                                  self.tips["after"])
        self._quiet = False
        self._listeners: list[Callable[[], None]] = []
        self.show(levers_from(scenarios.load(names[0]), Levers(scenario=names[0])))
        self.widgets["scenario"].param.watch(self._load_scenario, "value")
        for name in ("launch", "after", "policy", "switch", "reference", "fee"):
            self.widgets[name].param.watch(self._refresh, "value")
        for name, widget in self._all().items():
            widget.param.watch(lambda _e, name=name: self._changed(name), "value")

    # --- reading and setting --------------------------------------------------------

    def levers(self) -> Levers:
        """The levers as set now, in config units (a cleared number is None)."""
        trigger = self.widgets["switch"].value
        values = {f.name: self.widgets[f.name].value for f in fields(Levers)
                  if f.name != "settings"}
        for name in NUMBERS:
            values[name] = explain.from_page(name, values[name], trigger)
        for name in LISTS:
            values[name] = list(values[name])
        values["settings"] = {
            key: {name: explain.from_page(f"{key}.{name}", widget.value)
                  for name, widget in widgets.items()}
            for key, widgets in self.settings.items()}
        return Levers(**values)

    def show(self, levers: Levers) -> None:
        """Set every widget to ``levers`` (given in config units)."""
        self._quiet = True
        try:
            for f in fields(Levers):
                if f.name == "settings":
                    continue
                value = getattr(levers, f.name)
                if f.name in NUMBERS:
                    value = explain.to_page(f.name, value, levers.switch)
                self.widgets[f.name].value = list(value) if f.name in LISTS else value
            for key, widgets in self.settings.items():
                for name, widget in widgets.items():
                    widget.value = explain.to_page(f"{key}.{name}",
                                                   levers.settings.get(key, {}).get(name))
        finally:
            self._quiet = False
        self._refresh()
        self._notify()

    def base(self, name: str) -> Config:
        """The config a scenario name stands for: an uploaded one, else a shipped one."""
        return self.bases[name] if name in self.bases else scenarios.load(name)

    def add_base(self, name: str, config: Config, description: str) -> None:
        """Offer an uploaded config as a scenario to start from."""
        self.bases[name] = config
        self.descriptions[name] = description
        options = list(self.widgets["scenario"].options)
        if name not in options:
            self.widgets["scenario"].options = [*options, name]

    def description(self, name: str) -> str:
        """A scenario's description in words."""
        if name in self.descriptions:
            return self.descriptions[name]
        return scenarios.description(name)

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after the levers change (once per :meth:`show`)."""
        self._listeners.append(listener)

    # --- the page's address -----------------------------------------------------------

    def query(self) -> dict[str, str]:
        """The levers as the page's query parameters, in page units (``fee=40&commission=4``)."""
        found = {}
        for name, widget in self._all().items():
            value = widget.value
            if name in LISTS:
                found[name] = ",".join(value)
            elif value is None:
                found[name] = ""
            elif isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
                found[name] = str(int(value))
            else:
                found[name] = str(value)
        return found

    def read_query(self, query: Mapping[str, str]) -> list[str]:
        """Set the levers from query parameters (as :meth:`query` writes them).

        The scenario is set first, then the others; a parameter that cannot be
        read is left at the scenario's value and named in the returned list.
        """
        unread = []
        scenario = query.get("scenario")
        if scenario is not None:
            if scenario in self.widgets["scenario"].options:
                self.widgets["scenario"].value = scenario  # loads its levers
            else:
                unread.append("scenario")
        self._quiet = True
        try:
            for name, widget in self._all().items():
                if name == "scenario" or name not in query:
                    continue
                text = query[name]
                try:
                    widget.value = _parsed(widget, name, text)
                except (ValueError, TypeError):
                    unread.append(name)
        finally:
            self._quiet = False
        self._refresh()
        self._notify()
        return [explain.label(n, self.widgets["switch"].value).split(" (")[0] for n in unread]

    # --- problems, in place ------------------------------------------------------------

    def mark(self, problems: Mapping[str, str]) -> None:
        """Outline each lever with a problem and say what is wrong under it, in words."""
        self.clear_marks()
        for name, words in problems.items():
            widget = self._all().get(name)
            if widget is None:
                continue
            widget.css_classes = [*widget.css_classes, "bad"]
            note = self.notes[name]
            note.object = f"<span>{html.escape(words[0].upper() + words[1:])}</span>"
            note.visible = True

    def clear_marks(self) -> None:
        """Take every outline and note away."""
        for name, widget in self._all().items():
            if "bad" in widget.css_classes:
                widget.css_classes = [c for c in widget.css_classes if c != "bad"]
            self.notes[name].visible = False

    # --- layout ------------------------------------------------------------------------

    def layout(self) -> pn.Column:
        """The levers, grouped as a strategist reads them, each with its note below."""

        def lever(name: str) -> list[Any]:
            return [self._all()[name], self.notes[name]]

        scheme_widgets = [item for key, widgets in self.settings.items()
                          for name in widgets for item in lever(f"{key}.{name}")]
        return pn.Column(
            *lever("scenario"), self.scenario_text,
            *lever("reference"), self.reference_text,
            pn.Row(pn.pane.Markdown("**Pay at launch**"), self.tips["launch"]),
            *lever("launch"), *lever("fee"), self.tiers_text, *lever("quota"),
            *lever("commission"), *lever("per_view"), *lever("bounty"), *scheme_widgets,
            pn.pane.Markdown("**Whom to invite**"), *lever("policy"), *lever("invited"),
            pn.pane.Markdown("**Switch**"), *lever("switch"), *lever("switch_at"),
            *lever("notice_days"), self.after_label, *lever("after"),
            pn.pane.Markdown("**Budget and market**"), *lever("budget"),
            *lever("market_size"),
            pn.pane.Markdown("**Runs**"), *lever("people"), *lever("replicates"),
            *lever("seed"),
            width=340,
        )

    # --- internals ---------------------------------------------------------------------

    def _all(self) -> dict[str, Any]:
        """Every lever's widget by lever name (a user's scheme's fields as ``key.field``)."""
        found = dict(self.widgets)
        for key, widgets in self.settings.items():
            found.update({f"{key}.{name}": widget for name, widget in widgets.items()})
        return found

    def _load_scenario(self, event: Any) -> None:
        if self._quiet:
            return
        self.show(levers_from(self.base(event.new), self.levers()))

    def _changed(self, name: str) -> None:
        if self._quiet:
            return
        if name in self.notes and self.notes[name].visible:
            widget = self._all()[name]
            widget.css_classes = [c for c in widget.css_classes if c != "bad"]
            self.notes[name].visible = False
        self._notify()

    def _notify(self) -> None:
        for listener in self._listeners:
            listener()

    def _refresh(self, *_: Any) -> None:
        """Show only the levers that matter; units, tooltips and descriptions to match."""
        if self._quiet:
            return
        w = self.widgets
        trigger = w["switch"].value
        paid = set(w["launch"].value) | (set(w["after"].value) if trigger != "none" else set())
        for name, (scheme, _) in scheme_levers().items():
            if name in w:
                w[name].visible = scheme in paid
        for scheme, widgets in self.settings.items():
            for widget in widgets.values():
                widget.visible = scheme in paid
        w["invited"].visible = w["policy"].value in K_POLICIES
        for widget in (w["switch_at"], w["notice_days"], w["after"], self.after_label):
            widget.visible = trigger != "none"
        if trigger != "none":
            w["switch_at"].name = explain.label("switch_at", trigger)
            w["switch_at"].description = explain.tooltip("switch_at", trigger)
        self.scenario_text.object = _description(self.description(w["scenario"].value))
        reference = w["reference"].value
        self.reference_text.object = _description(
            "Each plan's own scenario, market and invited influencers with nobody paid, on "
            "the same random numbers." if reference == NO_PAYOUTS
            else self.description(reference) + " (In the plans' market.)")
        self.tiers_text.object = self._tiers()
        self.tiers_text.visible = w["fee"].visible and bool(self.tiers_text.object)

    def _tiers(self) -> str:
        """What larger tiers are paid at the fee set (the scenario's multiples of its fee)."""
        try:
            raw = plain(self.base(self.widgets["scenario"].value))["platforms"][0]
        except (KeyError, IndexError):
            return ""
        fee = explain.from_page("fee", self.widgets["fee"].value)
        tiers = tier_fees(raw, fee)
        if not tiers or not isinstance(fee, int | float):
            return ""
        paid = ", ".join(f"{tier} {explain.say(value, '$')}" for tier, value in tiers.items())
        return (f'<div style="font-size: 12px; color: #444; margin: -6px 10px 4px 10px">'
                f"Larger tiers get the scenario's multiples of the fee: "
                f"{html.escape(paid)} a day.</div>")


def _description(text: str) -> str:
    return (f'<div style="font-size: 12px; color: #444; margin: -6px 10px 6px 10px">'
            f"{html.escape(text)}</div>")


def _parsed(widget: Any, name: str, text: str) -> Any:
    """A query parameter's text as the widget's value (a ValueError if it cannot be)."""
    if name in LISTS:
        chosen = [key for key in text.split(",") if key]
        if any(key not in SCHEMES for key in chosen):
            raise ValueError(text)
        return chosen
    if isinstance(widget, pn.widgets.FloatInput):
        if text == "":
            return None
        value = float(text)
        return int(value) if value.is_integer() and abs(value) < 1e15 else value
    options = widget.options
    values = list(options.values()) if isinstance(options, dict) else list(options)
    if text not in values:
        raise ValueError(text)
    return text
