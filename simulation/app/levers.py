"""The levers' widgets: one per field of :class:`~simulation.app.plan.Levers`.

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

from ..model.payouts import SCHEMES
from . import scenarios
from .plan import LABELS, NO_PAYOUTS, POLICIES, SCHEME_KEYS, TRIGGERS, Levers, levers_from

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
        schemes = {SCHEMES[key].label: key for key in SCHEME_KEYS}
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
        self.after_label = pn.pane.Markdown("Pay after the switch")
        for name, widget in self.widgets.items():
            widget.css_classes = [f"lever-{name}"]
        self.show(levers_from(scenarios.load(names[0]), Levers(scenario=names[0])))
        self.widgets["scenario"].param.watch(self._load_scenario, "value")
        for name in ("launch", "after", "policy", "switch"):
            self.widgets[name].param.watch(self._refresh, "value")

    def levers(self) -> Levers:
        """The levers as set now (a cleared number is None; a whole one of WHOLE an int)."""
        values = {f.name: self.widgets[f.name].value for f in fields(Levers)}
        for name in WHOLE:
            value = values[name]
            if isinstance(value, float) and value.is_integer():
                values[name] = int(value)
        return Levers(**values)

    def show(self, levers: Levers) -> None:
        """Set every widget to ``levers``."""
        for f in fields(Levers):
            self.widgets[f.name].value = getattr(levers, f.name)
        self._refresh()

    def layout(self) -> pn.Column:
        """The levers, grouped as a strategist reads them."""
        w = self.widgets
        return pn.Column(
            w["scenario"], w["reference"],
            pn.pane.Markdown("**Pay at launch**"), w["launch"], w["fee"], w["quota"],
            w["commission"], w["per_view"], w["bounty"],
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
        for name, scheme in (("fee", "flat_fee"), ("quota", "flat_fee"),
                             ("commission", "commission"), ("per_view", "per_view"),
                             ("bounty", "per_adopter")):
            w[name].visible = scheme in paid
        w["invited"].visible = w["policy"].value in K_POLICIES
        for widget in (w["switch_at"], w["notice_days"], w["after"], self.after_label):
            widget.visible = trigger != "none"
        if trigger in SWITCH_UNITS:
            w["switch_at"].name = f"{LABELS['switch_at']} ({SWITCH_UNITS[trigger]})"
