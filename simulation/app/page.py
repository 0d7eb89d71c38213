"""One visitor's page: the levers, the session's plans, Run with its progress, and the comparison.

The server builds a new :class:`Page` for each browser session, so visitors
never share settings or results. **Run** keeps the levers as a named plan
(:mod:`~simulation.app.plans`) and pins it; the pinned plans (at most six)
are compared with the reference in one :func:`simulation.compare` call, on
common random numbers, with a runner that reuses every config's runs made
before (:mod:`~simulation.app.cache`), so only the new plan is run. Pinning
or unpinning compares again. A plan can be saved as TOML and loaded back
(upload), and the levers live in the page's address, so a link reopens the
same plan.

A comparison runs on one of the server's few worker threads (:data:`RUNNER`),
never on the event loop, so every visitor's page stays responsive while it
runs; a page runs one comparison at a time and ignores Run while one is going
(its button is disabled too, but clicks sent before the browser knows arrive
anyway), and a click's size is capped (:func:`~simulation.app.explain.check`,
:func:`~simulation.app.explain.check_work`).
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pandas as pd
import panel as pn
import param
from bokeh.models.widgets.tables import NumberFormatter

from ..analysis.compare import compare
from ..errors import ConfigError
from ..model.config import Config
from . import cache, explain, scenarios
from .charts import ChartData, Charts
from .explain import LeverError
from .levers import LeverWidgets
from .plan import (
    MAX_PINNED,
    NO_PAYOUTS,
    Levers,
    check_runs,
    levers_from,
    plan_config,
    reference_config,
)
from .plans import Plan, Plans, check_name, plan_toml, read_plan
from .results import REFERENCE, Results

log = logging.getLogger(__name__)
DOWNLOADS = {"runs": "runs (CSV)", "timeseries": "daily tables (CSV)",
             "table": "summary table (CSV)", "costs": "cost and payback (CSV)",
             "figure": "figure (PNG)", "plan": "plan (TOML)"}
"""What can be downloaded after a comparison → its button's label."""
MAX_RUNNING = 2
"""Comparisons the server runs at once, each on one worker thread (its runs on the server's
worker processes, :data:`simulation.app.cache.WORKERS`), so the event loop (every visitor's
page) keeps a share of the machine."""
MAX_WAITING = 8
"""Comparisons that wait for a free worker at most; a click beyond is refused (in words)."""
TABLE_STYLE = """
.tabulator-col-title { white-space: normal !important; }
.tabulator-cell { white-space: normal !important; }
"""
"""Headings and notes wrap, so every column fits the page's width."""
MONEY = NumberFormatter(format="$0,0", nan_format="see the note")
COUNT = NumberFormatter(format="0,0", nan_format="see the note")
RATIO = NumberFormatter(format="0,0.[00]", nan_format="see the note")
COST_FORMATS = {"Spend ($)": MONEY, "Extra spend ($)": MONEY, "Extra adopters": COUNT,
                "Extra active users (end)": COUNT,
                "Extra adopters per $1 000": RATIO, "Extra active users per $1 000": RATIO,
                "Cost per extra adopter ($)": NumberFormatter(format="$0,0.00",
                                                              nan_format="see the note"),
                "Return on extra spend (%)": NumberFormatter(format="0,0.[0]",
                                                             nan_format="see the note"),
                "Payback day": NumberFormatter(format="0", nan_format="see the note")}
"""How the cost table's numbers are written (they stay numbers, so the table sorts)."""
COST_WIDTHS = {"Plan": 90, "Spend ($)": 100, "Extra spend ($)": 100, "Extra adopters": 95,
               "Extra active users (end)": 90, "Extra adopters per $1 000": 85,
               "Extra active users per $1 000": 85, "Cost per extra adopter ($)": 85,
               "Return on extra spend (%)": 75, "Payback day": 70}
"""The cost table's columns' widths (px): the note takes the rest."""
TABLE_FORMATS = {column: NumberFormatter(format="0,0.[00]", nan_format="–")
                 for column in ("Mean", "Plan − reference")}


class Runner:
    """The server's worker threads for comparisons: a few at once, the rest wait in turn.

    Daemon threads, so Ctrl-C stops the server at once (a comparison writes nothing).
    """

    def __init__(self, running: int = MAX_RUNNING, waiting: int = MAX_WAITING) -> None:
        self.running, self.waiting = running, waiting
        self._slots = threading.Semaphore(running)
        self._lock = threading.Lock()
        self._pending = 0  # submitted and not finished
        self._submitted = 0

    def submit(self, work: Callable[[], Any], started: threading.Event) -> Future | None:
        """``work`` on a worker thread (``started`` is set when it begins); None if full."""
        with self._lock:
            if self._pending >= self.running + self.waiting:
                return None
            self._pending += 1
            self._submitted += 1
            name = f"sparksim-run-{self._submitted}"
        future: Future = Future()

        def job() -> None:
            result, error = None, None
            with self._slots:
                started.set()
                try:
                    result = work()
                except BaseException as err:  # handed to the page, which says so
                    error = err
            with self._lock:
                self._pending -= 1
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)

        threading.Thread(target=job, name=name, daemon=True).start()
        return future

    def pending(self) -> int:
        """Comparisons running or waiting now."""
        with self._lock:
            return self._pending


RUNNER = Runner()
"""The one runner every page of this server shares."""
BUILDER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sparksim-charts")
"""Builds a page's charts (once) while its first comparison's runs run in the worker
processes, so the page loads at once and the first figures wait for nothing."""


@dataclass
class Job:
    """One comparison to make: the scenarios (plans, then the reference) and the runs."""

    scenarios: dict[str, Config]
    replicates: int
    seed: int
    platform: str
    plans: list[str]
    started: float
    charts: Future | None = None
    """The page's charts being built (waited for here, not on the event loop)."""


class Page:
    """The page of one browser session."""

    def __init__(self) -> None:
        self.levers = LeverWidgets(scenarios.names())
        self.plans = Plans()
        self.name = pn.widgets.TextInput(
            name="Plan name", value=self.plans.next_name(), width=170,
            css_classes=["plan-name"],
            description="Run keeps the levers as a plan of this name (the same name replaces "
                        "it) and pins it, so it is compared with the reference and the other "
                        "pinned plans.")
        self.run_button = pn.widgets.Button(name="Run", button_type="primary", width=120,
                                            css_classes=["run"], align="end")
        self.run_button.on_click(self.run)
        self.pinned = pn.widgets.CheckButtonGroup(
            name="Pinned", options=[], value=[], css_classes=["pinned"],
            description=f"The plans compared with the reference, at most {MAX_PINNED}.")
        self.pinned.param.watch(self._pins_changed, "value")
        self.pick = pn.widgets.Select(name="Plans in this session", options=[], width=200,
                                      css_classes=["plan-pick"])
        self.recall = pn.widgets.Button(name="Set the levers to it", width=150, align="end",
                                        css_classes=["recall"], disabled=True)
        self.recall.on_click(self._recall)
        self.upload = pn.widgets.FileInput(accept=".toml", multiple=False, css_classes=["upload"],
                                           description="A plan saved by this page (plan, TOML), "
                                                       "or any sparksim config.")
        self.upload.param.watch(self._uploaded, "value")
        self.progress = pn.indicators.Progress(active=False, value=0,
                                               sizing_mode="stretch_width")
        self.status = pn.pane.Markdown("Set the levers and press **Run**.",
                                       css_classes=["status"])
        self.message = pn.pane.Alert("", alert_type="danger", visible=False,
                                     css_classes=["message"])
        self.key_numbers = pn.pane.HTML("", css_classes=["key-numbers-pane"],
                                        sizing_mode="stretch_width")
        self.done = pn.pane.HTML("", css_classes=["done-marker"], width=0, height=0,
                                 margin=0)
        self._said = ""
        self._charts: Future | None = None  # built with the first comparison's runs
        self.charts: Charts | None = None
        self.charts_pane = pn.Column(css_classes=["charts"], visible=False,
                                     sizing_mode="stretch_width")
        self.costs = pn.widgets.Tabulator(
            pd.DataFrame(), show_index=False, disabled=True,
            formatters=COST_FORMATS, layout="fit_columns", css_classes=["costs"],
            widths=COST_WIDTHS, stylesheets=[TABLE_STYLE],
            sizing_mode="stretch_width", visible=False)
        self.table = pn.widgets.Tabulator(
            pd.DataFrame(), show_index=False, disabled=True, header_filters=True,
            formatters=TABLE_FORMATS, layout="fit_columns", pagination="local",
            widths={"Metric": 260}, stylesheets=[TABLE_STYLE],
            page_size=20, css_classes=["summary-table"], sizing_mode="stretch_width",
            visible=False)
        self.downloads = {what: pn.widgets.FileDownload(
            callback=lambda what=what: self._download(what), label=label, disabled=True,
            filename=f"sparksim_{what}.{_extension(what)}", css_classes=[f"download-{what}"])
            for what, label in DOWNLOADS.items()}
        self.downloads["plan"].disabled = True
        self.pick.param.watch(self._picked, "value")
        self.results: Results | None = None
        self.setting: tuple[Config, int, int] | None = None
        """The reference, replicates and seed of the comparison (set by each Run)."""
        self.compared = 0  # comparisons shown
        self.running = False  # a comparison of this page's is running or waiting
        self.again = False  # the pins changed while one was
        self.clicks_ignored = 0  # Run pressed while one was
        self._syncing = False
        self._from_address()
        self.levers.on_change(self._to_address)
        self.name.param.watch(lambda _e: self._to_address(), "value")

    def view(self) -> pn.viewable.Viewable:
        """The whole page."""
        plans = pn.Column(
            pn.Row(self.name, self.run_button, self.upload),
            pn.Row(pn.pane.Markdown("**Pinned** (compared; at most six):", margin=(12, 5)),
                   self.pinned),
            pn.Row(self.pick, self.recall, *(self.downloads[w] for w in ("plan",))),
            sizing_mode="stretch_width",
        )
        results = pn.Column(
            plans, self.status, self.progress, self.message, self.done,
            pn.pane.Markdown("### Key numbers"), self.key_numbers,
            self.charts_pane,
            pn.pane.Markdown("### Cost and payback against the reference"), self.costs,
            pn.Row(*(self.downloads[w] for w in DOWNLOADS if w != "plan")),
            pn.pane.Markdown("### Every number (sort by a column; filter under its name)"),
            self.table,
            sizing_mode="stretch_width",
        )
        return pn.Column(
            pn.pane.Markdown("## sparksim: pay influencers, grow a network\n"
                             "Set a plan and run it; every run is kept as a named plan. Pin up "
                             "to six to compare them with the reference on common random "
                             "numbers."),
            pn.Row(self.levers.layout(), results, sizing_mode="stretch_width"),
            sizing_mode="stretch_width",
        )

    # --- Run -------------------------------------------------------------------------

    async def run(self, _event: Any = None) -> None:
        """Keep the levers as a plan, pin it, and compare the pinned plans with the reference.

        A click while this page's comparison is running (or waiting) is ignored.
        """
        if self.running:
            self.clicks_ignored += 1
            return
        self.running = True
        try:
            if await self._run():
                await self._compare()
            while self.again:
                self.again = False
                await self._compare()
        finally:
            self.running = False

    async def _run(self) -> bool:
        """Check the levers and keep them as a plan; False (and a message) if they cannot run."""
        levers = self.levers.levers()
        self._clear()
        try:
            explain.check(levers)
            check_runs(levers)
            plan, reference = self.configs(levers)
        except ConfigError as err:
            self._fail(explain.translate(err, levers.switch))
            return False
        try:
            name = check_name(self.name.value)
        except ConfigError as err:
            self._fail(err, prefix="Check: Plan name")
            return False
        kept = [p.config for p in self.plans.compared() if p.name != name][-(MAX_PINNED - 1):]
        try:
            _check_work([*kept, plan, reference], levers.replicates, levers.seed)
        except LeverError as err:
            self._fail(err)
            return False
        unpinned = self.plans.add(Plan(name, levers, plan))
        self.setting = (reference, levers.replicates, levers.seed)
        self._show_plans(select=name)
        self._said = (f" {', '.join(unpinned)} unpinned: at most {MAX_PINNED} plans are "
                      "compared at once." if unpinned else "")
        return True

    def configs(self, levers: Levers) -> tuple[Config, Config]:
        """The plan and its reference from the levers (a ConfigError names a bad value)."""
        plan = plan_config(self.levers.base(levers.scenario), levers)
        other = None if levers.reference == NO_PAYOUTS else scenarios.load(levers.reference)
        return plan, reference_config(plan, levers, other)

    async def _compare(self) -> None:
        """Compare the pinned plans with the reference on a worker thread; show it or say why."""
        compared = self.plans.compared()
        if self.setting is None:
            return
        if not compared:
            self._clear_results("No plan is pinned: pin one to compare it with the reference.")
            return
        reference, replicates, seed = self.setting
        job = Job({**{p.name: p.config for p in compared}, REFERENCE: reference},
                  replicates, seed, compared[0].config.platforms[0].name,
                  [p.name for p in compared], time.perf_counter())
        try:
            new = _check_work(list(job.scenarios.values()), replicates, seed)
        except LeverError as err:
            self._fail(err)
            return
        runs = len(job.scenarios) * replicates
        if self._charts is None:  # built while the first runs run, in their worker processes
            self._charts = spare_charts()
        job.charts = self._charts
        started, begun = time.perf_counter(), threading.Event()
        future = RUNNER.submit(lambda: self._compute(job), begun)
        if future is None:
            self._fail(RuntimeError(f"the server is busy with {RUNNER.pending()} comparisons; "
                                    "press Run again in a minute"), prefix="Not run")
            return
        self._busy(True)
        work = asyncio.wrap_future(future)
        try:
            while not work.done():
                await asyncio.wait({work}, timeout=0.25)
                waited = time.perf_counter() - started
                making = new * replicates
                said = (
                    f"Running {making} new run{'s' if making != 1 else ''}"
                    f"{f' ({runs - making} kept from before)' if runs > making else ''}… "
                    f"{waited:.0f} s" if begun.is_set() else
                    f"Waiting for a free worker (other visitors' comparisons are running)… "
                    f"{waited:.0f} s")
                if not work.done() and said != self.status.object:  # a change redraws it
                    self.status.object = said
            results, charts = work.result()
        except ConfigError as err:
            self._fail(explain.translate(err))
            return
        except Exception as err:  # a failed run: say so, keep the page usable
            log.exception("comparison failed")
            self._fail(err, prefix="The run failed")
            return
        finally:
            self._busy(False)
        self._show(results, charts)

    @staticmethod
    def _compute(job: Job) -> tuple[Results, ChartData]:
        """In a worker thread: the comparison (one ``simulation.compare`` call), charts' data."""
        runner = cache.runner(job.replicates, job.seed)
        made = runner.missing(list(job.scenarios.values())) * job.replicates
        comparison = compare(job.scenarios, reference=REFERENCE, runner=runner)
        results = Results(comparison, job.platform, job.plans, job.scenarios,
                          time.perf_counter() - job.started, made)
        data = results.chart_data()
        if job.charts is not None:
            job.charts.result()
        return results, data

    def _show(self, results: Results, charts: ChartData) -> None:
        self.results = results
        self.compared += 1
        n = len(results.comparison.runs)
        kept = n - results.made
        with pn.io.hold():
            first = self.charts is None
            if first:
                self.charts = self._charts.result()
                self.charts_pane.objects = [pn.pane.Bokeh(self.charts.layout)]
            self.charts.show(charts)
            self.charts_pane.visible = True
            self.key_numbers.object = results.key_numbers_html()
            self.costs.value = results.cost_frame()
            self.table.value = results.table()
            self.costs.visible = self.table.visible = True
            plans = len(results.plans)
            self.status.object = (
                f"Comparison {self.compared} done: {plans} plan{'s' if plans > 1 else ''} and "
                f"the reference, {n} runs ({results.made} run now"
                f"{f', {kept} kept from before' if kept else ''}) in {results.seconds:.1f} s."
                + self._said)
            self._said = ""
            self.done.object = f'<span data-comparison="{self.compared}"></span>'
            for button in self.downloads.values():
                button.disabled = False
        if first:
            spare_charts(take=False)  # for the next visitor, now that these are shown

    # --- plans: pins, recall, upload ---------------------------------------------------

    def _pins_changed(self, event: Any) -> None:
        if self._syncing:
            return
        try:
            self.plans.pin(list(event.new))
        except ConfigError as err:
            self._show_plans()
            self._fail(err, prefix="Not pinned")
            return
        if self.running:
            self.again = True
            return
        self.message.visible = False
        pn.state.execute(self._compare_pins)

    async def _compare_pins(self) -> None:
        if self.running:
            self.again = True
            return
        self.running = True
        try:
            await self._compare()
            while self.again:
                self.again = False
                await self._compare()
        finally:
            self.running = False

    def _show_plans(self, select: str | None = None) -> None:
        """The pins and the plan list as the session's plans now are."""
        self._syncing = True
        try:
            names = list(self.plans.plans)
            self.pinned.options = names
            self.pinned.value = list(self.plans.pinned)
            self.pick.options = names
            if select is not None or self.pick.value not in names:
                self.pick.value = select or (names[-1] if names else None)
            self.recall.disabled = not names
            self.downloads["plan"].disabled = not names
            self.name.value = self.plans.next_name()
        finally:
            self._syncing = False

    def _picked(self, _event: Any = None) -> None:
        name = self.pick.value
        if name:
            self.downloads["plan"].filename = f"{_slug(name)}.toml"

    def _recall(self, _event: Any = None) -> None:
        plan = self.plans.plans.get(self.pick.value)
        if plan is None:
            return
        self.levers.show(plan.levers)
        self.name.value = plan.name
        self.status.object = (f"The levers are {plan.name}'s: change them and press **Run** "
                              "(keep the name to replace it, or give a new one).")

    def _uploaded(self, _event: Any = None) -> None:
        data, filename = self.upload.value, self.upload.filename or "the file"
        if not data:
            return
        with param.discard_events(self.upload):  # the same file chosen again is read again
            self.upload.param.update(value=None, filename=None)
        if pn.state.curdoc is not None:
            self.upload.clear()
        self._clear()
        try:
            loaded = read_plan(data, filename, self.levers.levers())
        except ConfigError as err:
            self._fail(err, prefix="Not loaded")
            return
        levers = loaded.levers
        if loaded.uploaded:
            scenario = f"uploaded: {filename}"
            self.levers.add_base(scenario, loaded.base, loaded.description)
            levers = replace(levers, scenario=scenario)
        self.levers.show(levers)
        self.name.value = loaded.name
        self.status.object = (f"Loaded {loaded.name} from {filename}: press **Run** to run "
                              "it.")

    # --- the page's address -------------------------------------------------------------

    def _from_address(self) -> None:
        """Set the levers from the address the page was opened at (a shared link)."""
        location = pn.state.location
        query = dict(parse_qsl(location.search.lstrip("?"), keep_blank_values=True)) if (
            location is not None and location.search) else {}
        if not query:
            return
        unread = self.levers.read_query(query)
        if query.get("plan"):
            self.name.value = query["plan"][:40]
        if unread:
            self.message.object = (f"**The link's {', '.join(unread)} could not be read**: "
                                   "they are the scenario's.")
            self.message.visible = True
        else:
            self.status.object = "The levers are the link's: press **Run**."

    def _to_address(self) -> None:
        location = pn.state.location
        if location is None or self._syncing:
            return
        location.search = "?" + urlencode({**self.levers.query(), "plan": self.name.value})

    # --- messages ---------------------------------------------------------------------

    def _fail(self, err: Exception, prefix: str = "Check") -> None:
        """Say what is wrong in words, outlining the levers it is about; no traceback."""
        text = str(err).removeprefix("invalid config: ")
        if isinstance(err, LeverError):
            self.levers.mark(err.problems)
            labels = err.labels()
            prefix = f"{prefix}: {', '.join(labels)}" if labels else prefix
            if len(err.problems) == 1:  # the label is in the prefix already
                text = next(iter(err.problems.values()))
        plain = re.sub(r"([\\`*_{}\[\]<>#|~$])", r"\\\1", text)  # shown as written
        self.message.object = f"**{prefix}**: {plain}"
        self.message.visible = True
        what = "The run failed." if prefix == "The run failed" else "Nothing was run."
        shown = (f" The results shown are comparison {self.compared}'s." if self.compared
                 else "")
        self.status.object = what + shown

    def _clear(self) -> None:
        self.message.visible = False
        self.levers.clear_marks()

    def _clear_results(self, words: str) -> None:
        self.status.object = words
        self.charts_pane.visible = False
        self.key_numbers.object = ""
        self.costs.visible = self.table.visible = False

    def _busy(self, busy: bool) -> None:
        """The Run button off and the bar moving while a comparison runs.

        The bar stays in place (shown and hidden, it would lay the page out again: a
        tenth of a second each time).
        """
        self.run_button.disabled = busy
        self.progress.param.update(active=busy, value=-1 if busy else 0)

    def _download(self, what: str) -> io.BytesIO:
        if what == "plan":
            plan = self.plans.plans.get(self.pick.value)
            return io.BytesIO(plan_toml(plan).encode() if plan else b"")
        if self.results is None:
            return io.BytesIO(b"")
        if what == "figure":
            return io.BytesIO(self.results.figure_png())
        return io.BytesIO(self.results.csv(what).encode())


def _extension(what: str) -> str:
    return {"figure": "png", "plan": "toml"}.get(what, "csv")


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "plan"


_SPARE: list[Future] = []
_SPARE_LOCK = threading.Lock()


def spare_charts(take: bool = True) -> Future:
    """Charts for a page's first comparison: one built ahead (at start-up), the next begun.

    Building a page's charts takes about half a second of the server's time; a spare one
    makes the first comparison's figures wait for nothing. ``take=False`` only makes sure
    a spare is being built (and returns it): a page asks for the next once its first
    figures are shown, so that building it slows no comparison.
    """
    with _SPARE_LOCK:
        if not take:
            if not _SPARE:
                _SPARE.append(BUILDER.submit(Charts))
            return _SPARE[0]
        return _SPARE.pop() if _SPARE else BUILDER.submit(Charts)


def _check_work(configs: list[Config], replicates: int, seed: int) -> int:
    """How many of these configs must be run (the others are kept); a LeverError if too much."""
    runner = cache.runner(replicates, seed)
    new = [c for c in configs if runner.missing([c])]
    if new:
        explain.check_work(max(c.population.followers for c in new),
                           max(c.horizon_days for c in new), replicates, len(new))
    return len(new)


def warm_up() -> Future:
    """At start-up: run (and keep) the default page's reference, starting the worker processes.

    The first comparison then runs only its plan. Runs on a worker thread of its own.
    """
    name = scenarios.names()[0]
    levers = levers_from(scenarios.load(name), Levers(scenario=name))
    plan = plan_config(scenarios.load(name), levers)
    reference = reference_config(plan, levers)

    def warm() -> None:
        cache.warm([reference], levers.replicates, levers.seed)
        cache.lower_workers()
        job = Job({"plan": reference, REFERENCE: reference}, levers.replicates, levers.seed,
                  reference.platforms[0].name, ["plan"], time.perf_counter())
        Page._compute(job)  # every step of a comparison once (no run: all kept)
        spare_charts(take=False).result()

    future: Future = Future()

    def work() -> None:
        try:
            future.set_result(warm())
        except BaseException as err:  # handed to the caller
            future.set_exception(err)

    threading.Thread(target=work, name="sparksim-warm-up", daemon=True).start()
    return future
