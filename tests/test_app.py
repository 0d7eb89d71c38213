"""The web app (issue 16): its plan logic, and the real app driven by a real headless browser.

The browser tests start ``python -m simulation.app`` on a free port and drive
Debian's Chromium with Playwright (never ``playwright install``: its download
cannot be reached here). Without Chromium they skip, saying how to install
it; in CI (``CI=true``) they fail instead, since ``.ci/run`` installs it.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simulation
from simulation.app import plan, scenarios
from simulation.app.serve import free_port
from tests.conftest import CONFIGS, ROOT

CHROMIUM = os.environ.get("SPARKSIM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
INSTALL = ("install Debian's Chromium: sudo apt-get install --no-install-recommends chromium "
           "(or set SPARKSIM_CHROMIUM to a Chromium binary); never `playwright install`")
RUN_TIMEOUT_MS = 90_000


# --- the plan, without a browser ---------------------------------------------------


@pytest.mark.parametrize("name", list(scenarios.shipped()))
def test_a_shipped_scenario_read_into_levers_gives_itself_back(name):
    base = scenarios.load(name)
    config = plan.plan_config(base, plan.levers_from(base, plan.Levers()))
    expected = simulation.load_config(base, {"population.followers": 10_000})
    got, want = config.model_dump(), expected.model_dump()
    for phase in got["platforms"][0]["phases"] + want["platforms"][0]["phases"]:
        phase.pop("name")  # the app names phases by their schemes
    assert got == want


def test_the_fee_scales_the_tier_fees_and_the_reference_pays_nothing():
    base = scenarios.load("baseline")
    levers = plan.levers_from(base, plan.Levers())
    levers.fee = 80.0
    config = plan.plan_config(base, levers)
    fee = config.platforms[0].phases[0].flat_fee
    assert fee.fee == 80 and fee.tier_fees == {"micro": 120, "mid": 400, "macro": 1200,
                                               "mega": 3000}
    reference = plan.reference_config(config, levers)
    assert reference.platforms[0].phases == []
    assert reference.population == config.population


@pytest.mark.parametrize(("lever", "value", "label"), [
    ("fee", -5.0, "Flat fee ($/day)"),
    ("quota", 9, "Posts/day quota"),
    ("commission", 2.0, "Commission rate (share of sales)"),
    ("market_size", 5_000.0, "Market size (people)"),
    ("people", None, "People simulated"),
    ("switch_at", 120.5, "Switch at"),
])
def test_a_bad_lever_is_named(lever, value, label):
    base = scenarios.load("baseline")
    levers = plan.levers_from(base, plan.Levers())
    setattr(levers, lever, value)
    if lever == "switch_at":
        levers.switch = "day"
    with pytest.raises(simulation.ConfigError) as err:
        plan.plan_config(base, levers)
    assert label in plan.fields_named(str(err.value))


def test_whole_number_levers_read_back_as_typed():
    from simulation.app.levers import LeverWidgets

    widgets = LeverWidgets(scenarios.names())
    for typed, read in ((3.0, 3), (1e23, int(1e23)), (2.5, 2.5), (None, None)):
        widgets.widgets["replicates"].value = typed
        got = widgets.levers().replicates
        assert got == read and type(got) is type(read)
    assert type(widgets.levers().people) is int and widgets.levers().people == 10_000


# --- the real app in a real browser ----------------------------------------------


def missing(what: str) -> None:
    """Skip on a developer's machine; fail in CI, where .ci/run installs Chromium."""
    message = f"{what}: {INSTALL}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """The app served by its own process on a free port; stopped at the end."""
    port = free_port()
    log = tmp_path_factory.mktemp("app") / "server.log"
    with open(log, "w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "simulation.app", "--port", str(port),
             "--address", "127.0.0.1"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, f"the app exited: {log.read_text()}"
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"the app did not answer: {log.read_text()}"
            time.sleep(0.2)
        assert url in log.read_text(), "the app prints its address"
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, driven by Playwright (a fresh profile per launch)."""
    if not Path(CHROMIUM).exists():
        missing(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright for Python is not installed (it is in the dev extra)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class App:
    """One browser session on the app, with what a person does on the page."""

    def __init__(self, browser, url: str):
        self.context = browser.new_context(viewport={"width": 1500, "height": 1100},
                                           accept_downloads=True)
        self.page = self.context.new_page()
        self.url = url
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.runs = 0
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.errors.append(f"failed: {r.url}"))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(url)
        self.page.locator(".run button").wait_for()

    def set(self, lever: str, value: object) -> None:
        """Type a value into a number lever, as a person does (then Tab)."""
        field = self.page.locator(f".lever-{lever} input")
        field.fill(str(value))
        field.press("Tab")

    def value(self, lever: str) -> str:
        return self.page.locator(f".lever-{lever} input, .lever-{lever} select").input_value()

    def choose(self, lever: str, label: str) -> None:
        self.page.locator(f".lever-{lever} select").select_option(label=label)

    def click_run(self) -> None:
        self.page.locator(".run button").click()

    def wait_done(self) -> str:
        """Wait for this session's next run to finish; its status line."""
        self.runs += 1
        done = self.page.get_by_text(f"Run {self.runs} done")
        done.wait_for(timeout=RUN_TIMEOUT_MS)
        return done.inner_text()

    def run(self) -> str:
        self.click_run()
        return self.wait_done()

    def number(self, metric: str, column: str = "plan") -> float:
        """A key number as shown, read from its cell's data-value."""
        cell = self.page.locator(f'[data-metric="{metric}"][data-column="{column}"]')
        return float(cell.get_attribute("data-value"))

    def download(self, what: str) -> bytes:
        with self.page.expect_download() as download:
            self.page.locator(f".download-{what} a").click()
        return Path(download.value.path()).read_bytes()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def app(browser, app_url):
    session = App(browser, app_url)
    yield session
    session.close()


def test_the_page_loads_with_no_console_error_and_nothing_from_outside(app):
    app.page.get_by_text("Set the levers and press").wait_for()  # visible, once rendered
    assert app.value("scenario") == "baseline" and app.value("fee") == "40"
    assert app.errors == []
    outside = [u for u in app.requests if not u.startswith((app.url, "blob:", "data:"))]
    assert outside == [], "everything comes from the app's own server (works offline)"


def test_a_higher_fee_recruits_more_and_the_numbers_are_compares(app):
    assert "6 runs" in app.run()  # the defaults: baseline, 10 000 people, 3 replicates
    joined_40 = app.number("influencers_joined")
    app.set("fee", 80)
    app.run()
    joined_80 = app.number("influencers_joined")
    assert joined_80 >= joined_40 > 0

    tiers = {"micro": 120.0, "mid": 400.0, "macro": 1200.0, "mega": 3000.0}
    config = simulation.load_config(CONFIGS / "baseline.toml", {
        "population.followers": 10_000, "platforms.0.phases.0.flat_fee.fee": 80.0,
        "platforms.0.phases.0.flat_fee.tier_fees": tiers})
    reference = simulation.load_config(config, {"platforms.0.phases": []})
    result = simulation.compare({"plan": config, "reference": reference}, replicates=3,
                                seed=0, reference="reference", workers=1)
    for metric in ("influencers_joined", "adopters_end", "total_spend", "net_total"):
        assert app.number(metric) == result.value("plan", metric)
        assert app.number(metric, "reference") == result.value("reference", metric)
        assert app.number(metric, "diff") == result.value("plan", metric, "diff")
    runs = pd.read_csv(io.BytesIO(app.download("runs")))
    assert len(runs) == 6
    pd.testing.assert_series_equal(runs["spark.adopters_end"],
                                   result.runs["spark.adopters_end"], check_dtype=False)


def test_a_bad_value_is_named_and_the_page_still_works(app):
    app.set("fee", -5)
    app.click_run()
    message = app.page.get_by_text(re.compile(r"flat_fee\.fee = -5"))
    message.wait_for()
    assert app.page.get_by_text("Check: Flat fee ($/day)").is_visible()
    assert "Traceback" not in app.page.content()
    app.set("fee", 40)
    app.set("replicates", 2)
    assert "4 runs" in app.run()
    assert not message.is_visible()
    assert app.number("influencers_joined") > 0
    assert app.errors == []


def test_two_sessions_keep_their_own_settings_and_results(browser, app_url):
    first, second = App(browser, app_url), App(browser, app_url)
    try:
        first.set("replicates", 2)
        first.set("fee", 60)
        second.choose("scenario", "commission")
        first.click_run()
        second.click_run()
        assert "4 runs" in first.wait_done()
        assert "6 runs" in second.wait_done()
        assert first.value("scenario") == "baseline" and first.value("fee") == "60"
        assert second.value("scenario") == "commission" and second.value("replicates") == "3"
        assert first.number("influencers_joined") != second.number("influencers_joined")
        assert second.page.get_by_text("Run 2 done").count() == 0
    finally:
        first.close()
        second.close()


def test_a_screenshot_after_a_run_is_not_blank(app, tmp_path):
    from PIL import Image

    app.set("replicates", 2)
    app.run()
    shot = tmp_path / "page.png"
    app.page.screenshot(path=shot, full_page=True)
    for image in (Image.open(shot), Image.open(io.BytesIO(app.download("figure")))):
        pixels = np.asarray(image.convert("L"), dtype=float)
        assert pixels.std() > 10 and len(np.unique(pixels)) > 50


# --- limits: one comparison per click, a capped size, and other visitors served (issue 19)


def test_rapid_clicks_start_one_comparison(app):
    app.set("people", 5_000)
    app.set("replicates", 1)
    button = app.page.locator(".run button")
    button.evaluate("b => { for (let i = 0; i < 9; i++) b.click(); }")  # before it disables
    app.page.get_by_text(re.compile(r"Running \d+ runs")).wait_for()
    assert button.is_disabled(), "Run is disabled while a comparison runs"
    assert "2 runs" in app.wait_done()
    app.page.wait_for_timeout(1500)  # time for any second comparison to show itself
    done = app.page.get_by_text(re.compile(r"Run \d+ done"))
    assert done.inner_text().startswith("Run 1 done"), done.inner_text()
    assert button.is_enabled()


def test_ten_million_replicates_are_refused_in_words(app):
    app.set("replicates", 10_000_000)
    app.click_run()
    app.page.get_by_text(re.compile(r"replicates = 10000000: must be a whole number in "
                                    r"1\.\.100")).wait_for()
    assert app.page.get_by_text("Check: Replicates").is_visible()
    assert app.page.get_by_text("Nothing was run.").is_visible()
    assert app.page.get_by_text("Running").count() == 0
    for typed in ("100000000000000000000000", "2.5"):  # the browser sends 1e+23 and 2.5
        app.set("replicates", typed)
        app.click_run()
        app.page.get_by_text(re.compile(r"replicates = [\d.]+: must be a whole")).wait_for()
        assert app.page.get_by_text("Running").count() == 0, f"{typed} was run as another"
    app.set("replicates", 1)
    app.set("people", 1_000_000)
    app.set("replicates", 6)
    app.click_run()
    app.page.get_by_text(re.compile(r"4,380,000,000 person-days")).wait_for()
    assert app.page.get_by_text("Check: Replicates, People simulated").is_visible()
    assert app.errors == []


@pytest.mark.slow
def test_another_visitor_is_served_while_a_long_comparison_runs(browser, app_url):
    first = App(browser, app_url)
    second = None
    try:
        first.set("people", 300_000)
        first.set("replicates", 2)
        first.click_run()
        running = first.page.get_by_text(re.compile(r"Running 4 runs"))
        running.wait_for()
        started = time.monotonic()
        with urllib.request.urlopen(app_url, timeout=10) as response:
            assert response.status == 200
        second = App(browser, app_url)  # its page loads and renders its Run button
        loaded = time.monotonic() - started
        assert running.is_visible(), "the first comparison was still running"
        assert loaded < 10, f"a second visitor's page took {loaded:.1f} s during a run"
        second.set("fee", -5)  # and it answers: a bad value is named at once
        second.click_run()
        second.page.get_by_text("Check: Flat fee ($/day)").wait_for(timeout=10_000)
        assert running.is_visible()
        assert "4 runs" in first.wait_done()
    finally:
        first.close()
        if second is not None:
            second.close()
