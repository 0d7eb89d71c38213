"""The web app (issue 16): its plan logic, and the real app driven by a real headless browser.

The browser tests start ``python -m simulation.app`` on a free port and drive
Debian's Chromium with Playwright (never ``playwright install``: its download
cannot be reached here). Without Chromium they skip, saying how to install
it; in CI (``CI=true``) they fail instead, since ``.ci/run`` installs it.
"""

from __future__ import annotations

import html
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
SCREENSHOTS = ROOT / "results" / "app"
"""Where the browser tests save the page as a strategist sees it (results/ is not in git)."""


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
    ("fee", -5.0, "Flat fee"),
    ("quota", 9, "Quota for the fee"),
    ("commission", 2.0, "Commission"),
    ("market_size", 5_000.0, "Market"),
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
        self.context = browser.new_context(viewport={"width": 1440, "height": 1000},
                                           accept_downloads=True)
        self.page = self.context.new_page()
        self.url = url
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.comparisons = 0
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
        if lever == "scenario":  # its levers have arrived once its description has
            self.page.get_by_text(scenarios.description(label)[:60]).wait_for()

    def toggle(self, lever: str, label: str) -> None:
        """Click one button of a button group (a scheme to pay, a plan to pin)."""
        self.page.locator(f".{lever} button", has_text=re.compile(f"^{re.escape(label)}$")).click()

    def chosen(self, lever: str) -> list[str]:
        """The labels of a button group's pressed buttons."""
        buttons = self.page.locator(f".{lever} button.bk-active")
        return [buttons.nth(i).inner_text() for i in range(buttons.count())]

    def levers(self) -> dict[str, object]:
        """Every lever as the page shows it."""
        found = {name: self.value(name) for name in NUMBER_LEVERS + SELECT_LEVERS}
        found.update({name: self.chosen(f"lever-{name}") for name in ("launch", "after")})
        return found

    def click_run(self) -> None:
        self.page.locator(".run button").click()

    def wait_done(self) -> str:
        """Wait for this session's next comparison to be shown; its status line."""
        self.comparisons += 1
        self.page.locator(f'[data-comparison="{self.comparisons}"]').wait_for(
            state="attached", timeout=RUN_TIMEOUT_MS)
        return self.page.get_by_text(f"Comparison {self.comparisons} done").inner_text()

    def run(self) -> str:
        self.click_run()
        return self.wait_done()

    def number(self, metric: str, scenario: str, column: str = "mean") -> float:
        """A key number as shown, read from its cell's data-value."""
        cell = self.page.locator(f'[data-scenario="{scenario}"][data-metric="{metric}"]'
                                 f'[data-column="{column}"]')
        return float(cell.get_attribute("data-value"))

    def table_column(self, css: str, field: str) -> list[str]:
        cells = self.page.locator(f'.{css} .tabulator-cell[tabulator-field="{field}"]')
        return [cells.nth(i).inner_text() for i in range(cells.count())]

    def legend(self) -> list[str]:
        """The legend entries of the charts shown, read from the page's Bokeh views."""
        return self.page.evaluate("""() => {
            const out = [];
            for (const view of Object.values(Bokeh.index))
                for (const m of view.model.references())
                    if (m.type === "LegendItem" && m.visible)
                        out.push(m.label.value ?? String(m.label));
            return out; }""")

    def download(self, what: str) -> bytes:
        with self.page.expect_download() as download:
            self.page.locator(f".download-{what} a").click()
        return Path(download.value.path()).read_bytes()

    def tooltip(self, lever: str) -> str:
        """The text of a lever's tooltip, as hovering its (?) shows it."""
        self.page.mouse.move(0, 0)
        icon = self.page.locator(f".lever-{lever} .bk-description, .tip-{lever} .bk-icon")
        icon.first.hover()
        tip = self.page.locator(".bk-tooltip-content").last
        tip.wait_for()
        return tip.inner_text()

    def close(self) -> None:
        self.context.close()


NUMBER_LEVERS = ["fee", "quota", "commission", "per_view", "bounty", "invited", "switch_at",
                 "notice_days", "budget", "market_size", "people", "replicates", "seed"]
SELECT_LEVERS = ["scenario", "reference", "policy", "switch"]
CONFIG_KEY = re.compile(r"\b[a-z]+_?[a-z]*\.[a-z_]+\b|\bNone\b|\b[a-z]+_[a-z_]+\b")
"""A config key (``population.followers``, ``flat_fee``) or a Python value in a message."""


@pytest.fixture
def app(browser, app_url):
    session = App(browser, app_url)
    yield session
    session.close()


def baseline(**overrides) -> simulation.Config:
    """The page's default plan (baseline, 10 000 people) with config overrides."""
    return simulation.load_config(CONFIGS / "baseline.toml",
                                  {"population.followers": 10_000, **overrides})


def test_the_page_loads_with_no_console_error_and_nothing_from_outside(app):
    app.page.get_by_text("Set the levers and press").wait_for()  # visible, once rendered
    assert app.value("scenario") == "baseline" and app.value("fee") == "40"
    assert app.value("commission") == "4" and app.value("budget") == "10"
    assert app.value("market_size") == "85" and app.value("switch_at") == "5"
    assert app.page.get_by_text("The story: in July 2017 a retailer").is_visible()
    assert app.page.get_by_text("Larger tiers get the scenario's multiples of the fee: micro "
                                "$60, mid $200, macro $600, mega $1,500 a day").is_visible()
    assert app.errors == []
    outside = [u for u in app.requests if not u.startswith((app.url, "blob:", "data:"))]
    assert outside == [], "everything comes from the app's own server (works offline)"


def test_two_pinned_plans_are_in_the_table_and_charts_with_compares_numbers(app):
    assert "1 plan and the reference, 6 runs" in app.run()
    app.set("fee", 80)
    status = app.run()
    assert "2 plans and the reference, 9 runs (3 run now, 6 kept from before)" in status
    assert app.chosen("pinned") == ["Plan 1", "Plan 2"]
    assert app.number("influencers_joined", "Plan 2") >= app.number("influencers_joined",
                                                                    "Plan 1") > 0

    tiers = {"micro": 120.0, "mid": 400.0, "macro": 1200.0, "mega": 3000.0}
    plan_40 = baseline()
    plan_80 = baseline(**{"platforms.0.phases.0.flat_fee.fee": 80.0,
                          "platforms.0.phases.0.flat_fee.tier_fees": tiers})
    reference = simulation.load_config(plan_80, {"platforms.0.phases": []})
    result = simulation.compare({"Plan 1": plan_40, "Plan 2": plan_80, "reference": reference},
                                replicates=3, seed=0, reference="reference", workers=1)
    for metric in ("influencers_joined", "adopters_end", "active_users_end", "total_spend",
                   "net_total"):
        for name in ("Plan 1", "Plan 2", "reference"):
            assert app.number(metric, name) == result.value(name, metric)
        for name in ("Plan 1", "Plan 2"):
            assert app.number(metric, name, "diff") == result.value(name, metric, "diff")
    for name in ("Plan 1", "Plan 2"):
        assert app.number("cost_per_incremental_adopter", name) == result.value(
            name, "cost_per_incremental_adopter")

    assert set(app.table_column("summary-table", "Plan")) == {"Plan 1", "Plan 2", "reference"}
    assert app.table_column("costs", "Plan") == ["reference", "Plan 1", "Plan 2"]
    legend = app.legend()
    for name, charts in (("Plan 1", 5), ("Plan 2", 5), ("reference", 4)):  # no net gap
        assert legend.count(name) == charts, f"{name} in every chart: {legend}"
    assert any(re.fullmatch(r"Plan \d: switch, day \d+.*", item) for item in legend)
    assert any(re.fullmatch(r"Plan 2: budget spent, day \d+.*", item) for item in legend)

    runs = pd.read_csv(io.BytesIO(app.download("runs")))
    assert len(runs) == 9
    pd.testing.assert_series_equal(runs["spark.adopters_end"],
                                   result.runs["spark.adopters_end"], check_dtype=False)
    assert app.errors == []


def test_unpinning_a_plan_compares_again_without_running(app):
    app.set("replicates", 2)
    app.set("people", 3_000)
    app.run()
    app.set("fee", 60)
    app.run()
    app.toggle("pinned", "Plan 1")
    status = app.wait_done()
    assert "1 plan and the reference, 4 runs (0 run now, 4 kept from before)" in status
    assert set(app.table_column("summary-table", "Plan")) == {"Plan 2", "reference"}
    assert "Plan 1" not in app.legend()


def test_a_bad_field_is_outlined_with_a_message_in_words(app):
    app.set("fee", -5)
    app.set("people", "")
    app.click_run()
    app.page.get_by_text("Check: Flat fee, People simulated").wait_for()
    for lever, words in (("fee", "−$5 a day is too low; enter a number from $0 to "
                                 "$10,000,000 a day"),
                         ("people", "Empty; enter a whole number from 1 to 1,000,000")):
        assert "bad" in app.page.locator(f".lever-{lever}").get_attribute("class").split()
        note = app.page.locator(f".note-{lever} span")
        assert note.inner_text() == words
    message = app.page.locator(".message").first.text_content()
    for text in (message, app.page.locator(".note-fee span").inner_text(),
                 app.page.locator(".note-people span").inner_text()):
        assert not CONFIG_KEY.search(text), text
    assert "Traceback" not in app.page.content()
    assert app.page.get_by_text("Nothing was run.").is_visible()
    app.set("fee", 40)  # a corrected field loses its outline at once
    from playwright.sync_api import expect

    expect(app.page.locator(".lever-fee")).not_to_have_class(re.compile(r"\bbad\b"))
    expect(app.page.locator(".lever-people")).to_have_class(re.compile(r"\bbad\b"))
    app.set("people", 3_000)
    app.set("replicates", 2)
    assert "4 runs" in app.run()
    assert not app.page.locator(".message").first.is_visible()
    assert app.number("influencers_joined", "Plan 1") > 0
    assert app.errors == []


def test_every_lever_has_its_tooltip_from_the_config_schema(app):
    from simulation.app import explain

    for scheme in ("commission", "per view", "per adopter"):  # every scheme's lever shown
        app.toggle("lever-launch", scheme)
    for lever in ["launch", "after", *SELECT_LEVERS, *NUMBER_LEVERS]:
        trigger = "adoption_share" if lever == "switch_at" else "day"
        shown = " ".join(app.tooltip(lever).split())
        expected = " ".join(html.unescape(re.sub(r"<[^>]+>", " ",
                                                  explain.tooltip(lever, trigger))).split())
        assert shown.replace(" ", "") == expected.replace(" ", ""), lever
        field = explain.config_field(lever, trigger)
        if field is not None and lever != "switch":
            assert " ".join(field.description.split())[1:60] in shown, lever
    assert app.errors == []


def test_a_plan_saved_as_toml_loads_back_with_the_same_levers(app, tmp_path):
    app.toggle("lever-launch", "commission")
    app.set("fee", 55)
    app.set("commission", 6.5)
    app.choose("switch", "on a day")
    app.set("switch_at", 100)
    app.set("budget", 12.5)
    app.set("people", 3_000)
    app.set("replicates", 2)
    app.page.locator(".plan-name input").fill("Fee 55 + 6.5%")
    app.page.locator(".plan-name input").press("Tab")
    app.run()
    saved = app.levers()
    toml = app.download("plan")
    config = simulation.load_config(__import__("tomllib").loads(toml.decode()))
    phase = config.platforms[0].phases[0]
    assert phase.flat_fee.fee == 55 and phase.commission.rate == 0.065
    assert config.platforms[0].budget == 12_500_000
    assert config.platforms[0].phases[1].start.day == 100

    app.choose("scenario", "per_view")  # other levers altogether
    app.set("per_view", 2)
    assert app.levers() != saved
    path = tmp_path / "my plan.toml"
    path.write_bytes(toml)
    app.page.locator(".upload input[type=file]").set_input_files(path)
    app.page.get_by_text("Loaded Fee 55 + 6.5% from my plan.toml").wait_for()
    assert app.levers() == saved
    assert app.page.locator(".plan-name input").input_value() == "Fee 55 + 6.5%"

    path.write_text("this is [not toml")
    app.page.locator(".upload input[type=file]").set_input_files(path)
    app.page.get_by_text("my plan.toml is not a TOML file the page can read").wait_for()
    assert app.levers() == saved
    assert app.errors == []


def test_a_link_reopens_the_same_plan_in_a_new_browser_context(browser, app_url):
    first = App(browser, app_url)
    second = None
    try:
        first.choose("scenario", "flat_then_commission")
        first.toggle("lever-after", "per adopter")
        first.set("fee", 35)
        first.set("commission", 3)
        first.set("budget", 7.5)
        first.choose("policy", "the k smallest audiences (fringe)")
        first.set("invited", 150)
        first.set("replicates", 5)
        first.page.wait_for_function("() => location.search.includes('invited=150')")
        levers = first.levers()
        link = first.page.url
        assert "fee=35" in link and "budget=7.5" in link and "commission=3" in link
        second = App(browser, link)  # a new context: its own cookies and session
        assert second.levers() == levers
        assert second.value("scenario") == "flat_then_commission"
        assert second.errors == []
    finally:
        first.close()
        if second is not None:
            second.close()


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
        assert (first.number("influencers_joined", "Plan 1")
                != second.number("influencers_joined", "Plan 1"))
        assert second.page.get_by_text("Comparison 2 done").count() == 0
    finally:
        first.close()
        second.close()


def test_three_plans_compared_and_a_screenshot_saved(app):
    """Three plans against no payouts, the page saved as results/app/three_plans.png."""
    from PIL import Image

    app.set("people", 5_000)
    app.run()  # Plan 1: the baseline ($40 a day, then commission at 5% adopted)
    app.set("fee", 80)
    app.run()  # Plan 2: twice the fee
    app.choose("switch", "no switch")
    app.toggle("lever-launch", "flat fee")
    app.toggle("lever-launch", "commission")
    app.run()  # Plan 3: commission only
    assert app.chosen("pinned") == ["Plan 1", "Plan 2", "Plan 3"]
    notes = app.table_column("costs", "Why a number is missing")
    assert len(notes) == 4 and notes[0].startswith("the reference")
    app.page.wait_for_timeout(500)  # the charts drawn
    shot = SCREENSHOTS / "three_plans.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    app.page.screenshot(path=shot, full_page=True)
    for image in (Image.open(shot), Image.open(io.BytesIO(app.download("figure")))):
        pixels = np.asarray(image.convert("L"), dtype=float)
        assert pixels.std() > 10 and len(np.unique(pixels)) > 50
    assert app.errors == []


# --- limits: one comparison per click, a capped size, and other visitors served (issue 19)


def test_rapid_clicks_start_one_comparison(app):
    app.set("people", 5_000)
    app.set("replicates", 1)
    button = app.page.locator(".run button")
    button.evaluate("b => { for (let i = 0; i < 9; i++) b.click(); }")  # before it disables
    app.page.get_by_text(re.compile(r"Running \d+ new runs?")).wait_for()
    assert button.is_disabled(), "Run is disabled while a comparison runs"
    assert "2 runs" in app.wait_done()
    app.page.wait_for_timeout(1500)  # time for any second comparison to show itself
    assert app.page.locator("[data-comparison]").get_attribute("data-comparison") == "1"
    assert app.chosen("pinned") == ["Plan 1"]
    assert button.is_enabled()


def test_ten_million_replicates_are_refused_in_words(app):
    app.set("replicates", 10_000_000)
    app.click_run()
    app.page.get_by_text("10,000,000 runs of each is too high; enter a whole number from 1 "
                         "to 100 runs of each").first.wait_for()
    assert app.page.get_by_text("Check: Replicates").is_visible()
    assert app.page.get_by_text("Nothing was run.").is_visible()
    assert app.page.get_by_text("Running").count() == 0
    for typed, words in (("100000000000000000000000", "is too high"),
                         ("2.5", "is not a whole number")):  # the browser sends 1e+23, 2.5
        app.set("replicates", typed)
        app.click_run()
        app.page.locator(".note-replicates span", has_text=words).wait_for()
        assert app.page.get_by_text("Running").count() == 0, f"{typed} was run as another"
    app.set("replicates", 1)
    app.set("people", 1_000_000)
    app.set("replicates", 6)
    app.click_run()
    app.page.get_by_text(re.compile(r"4,380,000,000 person-days")).first.wait_for()
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
        running = first.page.get_by_text(re.compile(r"Running 4 new runs"))
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
        second.page.get_by_text("Check: Flat fee").wait_for(timeout=10_000)
        assert running.is_visible()
        assert "4 runs" in first.wait_done()
    finally:
        first.close()
        if second is not None:
            second.close()
