"""The levers' widgets: one per field of :class:`~simulation.app.plan.Levers`.

The schemes to pay are read from the scheme registry (their labels and keys),
and a scheme without page levers of its own (a user's) gets one number widget
per number field (:func:`~simulation.app.plan.scheme_settings`).

Number fields take any value, so a bad one reaches the config checks and is
named on the page rather than silently clamped by the browser. Whole-number
fields are number fields too (read back as int when whole): the browser's
integer field turns a long one such as 10²³ into ``1e+23``, which Panel's
integer widget refuses in the server log while the run silently keeps the
old value.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import panel as pn

from . import scenarios
from .plan import (
    LABELS,
    NO_PAYOUTS,
    POLICIES,
    TRIGGERS,
    Levers,
    levers_from,
    scheme_levers,
    scheme_options,
    scheme_settings,
)

SWITCH_UNITS = {"day": "day", "adoption_share": "adoption share, 0–1", "spend": "spend, $"}
"""The unit of the switch's value for each trigger."""
K_POLICIES = ("top_k", "bottom_k", "random_k")
"""The invitation policies that invite k influencers."""
WHOLE = ("quota", "invited", "notice_days", "people", "replicates", "seed")
"""The levers that take whole numbers."""


class LeverWidgets:
    """The widgets of one browser session; ``levers`` reads them, ``show`` sets them."""

    def __init__(self, names: list[str]) -> None:
        """Widgets set to the first of the scenarios ``names``."""
        schemes = scheme_options()  # read from the scheme registry
        number = {"fee": 5.0, "commission": 0.01, "per_view": 0.1, "bounty": 0.5,
                  "switch_at": 1.0, "budget": 100_000.0, "market_size": 1_000_000.0}
        self.widgets: dict[str, Any] = {
            "scenario": pn.widgets.Select(name="Start from scenario", options=names),
            "reference": pn.widgets.Select(name="Compare with",
                                           options=[NO_PAYOUTS, *names]),
            "launch": pn.widgets.CheckButtonGroup(name="Pay at launch", options=schemes,
                                                  width=330),
            "policy": pn.widgets.Select(name=LABELS["policy"],
                                        options={v: k for k, v in POLICIES.items()}),
            "switch": pn.widgets.Select(name=LABELS["switch"],
                                        options={v: k for k, v in TRIGGERS.items()}),
            "after": pn.widgets.CheckButtonGroup(name="Pay after the switch", options=schemes,
                                                 width=330),
            **{k: pn.widgets.FloatInput(name=LABELS[k], step=s) for k, s in number.items()},
            **{k: pn.widgets.FloatInput(name=LABELS[k], step=1) for k in WHOLE},
        }
        self.settings = {  # a user's scheme's number fields: key → field → widget
            key: {name: pn.widgets.FloatInput(name=label, step=step,
                                              css_classes=[f"lever-{key}-{name}"])
                  for name, (label, _, step) in names.items()}
            for key, names in scheme_settings().items()}
        self.after_label = pn.pane.Markdown("Pay after the switch")
        for name, widget in self.widgets.items():
            widget.css_classes = [f"lever-{name}"]
        self.show(levers_from(scenarios.load(names[0]), Levers(scenario=names[0])))
        self.widgets["scenario"].param.watch(self._load_scenario, "value")
        for name in ("launch", "after", "policy", "switch"):
            self.widgets[name].param.watch(self._refresh, "value")

    def levers(self) -> Levers:
        """The levers as set now (a cleared number is None; a whole one of WHOLE an int)."""
        values = {f.name: self.widgets[f.name].value for f in fields(Levers)
                  if f.name != "settings"}
        for name in WHOLE:
            value = values[name]
            if isinstance(value, float) and value.is_integer():
                values[name] = int(value)
        wholes = {key: {n for n, (_, whole, _) in names.items() if whole}
                  for key, names in scheme_settings().items()}
        values["settings"] = {
            key: {name: _whole_if(widget.value, name in wholes.get(key, ()))
                  for name, widget in widgets.items()}
            for key, widgets in self.settings.items()}
        return Levers(**values)

    def show(self, levers: Levers) -> None:
        """Set every widget to ``levers``."""
        for f in fields(Levers):
            if f.name != "settings":
                self.widgets[f.name].value = getattr(levers, f.name)
        for key, widgets in self.settings.items():
            for name, widget in widgets.items():
                widget.value = levers.settings.get(key, {}).get(name)
        self._refresh()

    def layout(self) -> pn.Column:
        """The levers, grouped as a strategist reads them."""
        w = self.widgets
        return pn.Column(
            w["scenario"], w["reference"],
            pn.pane.Markdown("**Pay at launch**"), w["launch"], w["fee"], w["quota"],
            w["commission"], w["per_view"], w["bounty"],
            *(widget for widgets in self.settings.values() for widget in widgets.values()),
            pn.pane.Markdown("**Whom to invite**"), w["policy"], w["invited"],
            pn.pane.Markdown("**Switch**"), w["switch"], w["switch_at"], w["notice_days"],
            self.after_label, w["after"],
            pn.pane.Markdown("**Budget and market**"), w["budget"], w["market_size"],
            pn.pane.Markdown("**Runs**"), w["people"], w["replicates"], w["seed"],
            width=340,
        )

    def _load_scenario(self, event: Any) -> None:
        self.show(levers_from(scenarios.load(event.new), self.levers()))

    def _refresh(self, *_: Any) -> None:
        """Show only the levers that matter for the schemes, policy and switch chosen."""
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
        if trigger in SWITCH_UNITS:
            w["switch_at"].name = f"{LABELS['switch_at']} ({SWITCH_UNITS[trigger]})"


def _whole_if(value: Any, whole: bool) -> Any:
    """A whole-number field's value read back as int when it is whole."""
    if whole and isinstance(value, float) and value.is_integer():
        return int(value)
    return value
