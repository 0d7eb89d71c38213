"""One visitor's page: the levers, Run with its progress, a message line, and the results.

The server builds a new :class:`Page` for each browser session, so visitors
never share settings or results. A comparison runs on one of the server's
few worker threads (:data:`RUNNER`), never on the event loop, so every
visitor's page stays responsive while it runs; a page runs one comparison at
a time and ignores Run while one is going (its button is disabled too, but
clicks sent before the browser knows arrive anyway), and a click's size is
capped (:func:`~simulation.app.plan.check_runs`, :func:`~simulation.app.plan.check_work`).
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import panel as pn

from ..analysis.compare import compare
from ..errors import ConfigError
from ..model.config import Config
from . import scenarios
from .levers import LeverWidgets
from .plan import (
    NO_PAYOUTS,
    Levers,
    check_runs,
    check_work,
    fields_named,
    plan_config,
    reference_config,
)
from .results import PLAN, REFERENCE, Results

log = logging.getLogger(__name__)
DOWNLOADS = {"runs": "runs (CSV)", "timeseries": "daily tables (CSV)",
             "table": "summary table (CSV)", "figure": "figure (PNG)", "plan": "plan (TOML)"}
"""What can be downloaded after a run → its button's label."""
MAX_RUNNING = 2
"""Comparisons the server runs at once, each on one worker thread: a run uses about one
core, so the event loop (every visitor's page) keeps a share of the machine."""
MAX_WAITING = 8
"""Comparisons that wait for a free worker at most; a click beyond is refused (in words)."""


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


class Page:
    """The page of one browser session."""

    def __init__(self) -> None:
        self.levers = LeverWidgets(scenarios.names())
        self.run_button = pn.widgets.Button(name="Run", button_type="primary", width=120,
                                            css_classes=["run"])
        self.run_button.on_click(self.run)
        self.progress = pn.indicators.Progress(active=True, value=-1, visible=False,
                                               sizing_mode="stretch_width")
        self.status = pn.pane.Markdown("Set the levers and press **Run**.",
                                       css_classes=["status"])
        self.message = pn.pane.Alert("", alert_type="danger", visible=False,
                                     css_classes=["message"])
        self.key_numbers = pn.pane.HTML("", css_classes=["key-numbers-pane"])
        self.figure = pn.pane.PNG(None, sizing_mode="stretch_width", css_classes=["figure"])
        self.table = pn.pane.DataFrame(None, index=False, css_classes=["summary-table"])
        self.downloads = {what: pn.widgets.FileDownload(
            callback=lambda what=what: self._download(what), label=label, disabled=True,
            filename=f"sparksim_{what}.{_extension(what)}", css_classes=[f"download-{what}"])
            for what, label in DOWNLOADS.items()}
        self.results: Results | None = None
        self.plan: Config | None = None
        self.png = b""
        self.runs_done = 0
        self.running = False  # a comparison of this page's is running or waiting
        self.clicks_ignored = 0  # Run pressed while one was

    def view(self) -> pn.viewable.Viewable:
        """The whole page."""
        results = pn.Column(
            pn.Row(self.run_button, self.status), self.progress, self.message,
            pn.pane.Markdown("### Key numbers"), self.key_numbers,
            self.figure, pn.Row(*self.downloads.values()),
            pn.pane.Markdown("### Summary table"), self.table,
            sizing_mode="stretch_width",
        )
        return pn.Column(
            pn.pane.Markdown("## sparksim: pay influencers, grow a network\n"
                             "Set a plan, run it against a reference on common random "
                             "numbers, and compare."),
            pn.Row(self.levers.layout(), results,
                   sizing_mode="stretch_width"),
            sizing_mode="stretch_width",
        )

    async def run(self, _event: Any = None) -> None:
        """Run the plan against its reference and show the results (or a message).

        A click while this page's comparison is running (or waiting) is ignored.
        """
        if self.running:
            self.clicks_ignored += 1
            return
        self.running = True
        try:
            await self._run()
        finally:
            self.running = False

    async def _run(self) -> None:
        levers = self.levers.levers()
        self.message.visible = False
        try:
            check_runs(levers)
            plan, reference = self.configs(levers)
            check_work(plan, levers.replicates)
        except ConfigError as err:
            self._fail(err)
            return
        runs = 2 * levers.replicates
        started, begun = time.perf_counter(), threading.Event()
        future = RUNNER.submit(
            lambda: self._compute(plan, reference, levers, time.perf_counter()), begun)
        if future is None:
            self._fail(RuntimeError(f"the server is busy with {RUNNER.pending()} comparisons; "
                                    "press Run again in a minute"), prefix="Not run")
            return
        self._busy(True)
        work = asyncio.wrap_future(future)
        try:
            while not work.done():
                waited = time.perf_counter() - started
                self.status.object = (
                    f"Running {runs} runs (plan and reference × {levers.replicates} "
                    f"replicates)… {waited:.0f} s" if begun.is_set() else
                    f"Waiting for a free worker (other visitors' comparisons are running)… "
                    f"{waited:.0f} s")
                await asyncio.wait({work}, timeout=0.5)
            results, png = work.result()
        except ConfigError as err:
            self._fail(err)
            return
        except Exception as err:  # a failed run: say so, keep the page usable
            log.exception("run failed")
            self._fail(err, prefix="The run failed")
            return
        finally:
            self._busy(False)
        self.plan = plan
        self._show(results, png)

    def configs(self, levers: Levers) -> tuple[Config, Config]:
        """The plan and its reference from the levers (a ConfigError names a bad value)."""
        plan = plan_config(scenarios.load(levers.scenario), levers)
        other = None if levers.reference == NO_PAYOUTS else scenarios.load(levers.reference)
        return plan, reference_config(plan, levers, other)

    @staticmethod
    def _compute(plan: Config, reference: Config, levers: Levers,
                 started: float) -> tuple[Results, bytes]:
        """In a worker thread: the comparison (``simulation.compare``) and its figure."""
        comparison = compare({PLAN: plan, REFERENCE: reference}, replicates=levers.replicates,
                             seed=levers.seed, reference=REFERENCE, workers=1)
        results = Results(comparison, plan.platforms[0].name, time.perf_counter() - started)
        return results, results.figure_png()

    def _show(self, results: Results, png: bytes) -> None:
        self.results, self.png = results, png
        self.figure.object = png
        self.key_numbers.object = results.key_numbers_html()
        self.table.object = results.table()
        self.runs_done += 1
        n = len(results.comparison.runs)
        self.status.object = f"Run {self.runs_done} done: {n} runs in {results.seconds:.1f} s."
        for button in self.downloads.values():
            button.disabled = False

    def _fail(self, err: Exception, prefix: str = "Check") -> None:
        """Show the error's message, naming the levers it is about; no traceback."""
        text = str(err).removeprefix("invalid config: ")
        named = fields_named(text)
        plain = re.sub(r"([\\`*_{}\[\]<>#|~$])", r"\\\1", text)  # shown as written
        self.message.object = f"**{prefix}{': ' + ', '.join(named) if named else ''}**: {plain}"
        self.message.visible = True
        what = "The run failed." if prefix == "The run failed" else "Nothing was run."
        shown = f" The results shown are run {self.runs_done}'s." if self.runs_done else ""
        self.status.object = what + shown

    def _busy(self, busy: bool) -> None:
        self.run_button.disabled = busy
        self.progress.visible = busy

    def _download(self, what: str) -> io.BytesIO:
        if what == "figure":
            return io.BytesIO(self.png)
        if what == "plan":
            return io.BytesIO(self.plan.to_toml().encode() if self.plan else b"")
        return io.BytesIO(self.results.csv(what).encode() if self.results else b"")


def _extension(what: str) -> str:
    return {"figure": "png", "plan": "toml"}.get(what, "csv")
