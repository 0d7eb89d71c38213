"""The web app's server and run limits, without a browser (issue 19).

The real server (``python -m simulation.app --port 0``) is asked for routes
that must not be served (Panel's ``/components/<module>/…`` imported the
module the URL names) and for requests another site could send; it must
refuse them and stay up. The pages' run limits, the ignored second click and
the worker threads are tested in-process on :class:`~simulation.app.page.Page`.
"""

from __future__ import annotations

import asyncio
import http.client
import os
import re
import subprocess
import sys
import threading
import time

import pytest

import simulation
from simulation.app import page as app_page
from simulation.app import plan, scenarios, serve
from tests.conftest import ROOT

ZEN = "Beautiful is better than ugly"
"""The first line ``import this`` prints: in the log if a URL made the server import it."""


# --- the gate, as a pure function -------------------------------------------------

HOSTS = serve.own_hosts("127.0.0.1", 5006)
OWN = {"Host": "127.0.0.1:5006"}


@pytest.mark.parametrize(("method", "path", "headers", "status"), [
    ("GET", "/", OWN, None),
    ("GET", "/ws", OWN, None),
    ("HEAD", "/static/js/bokeh.min.js", OWN, None),
    ("GET", "/static/extensions/panel/panel.min.js", OWN, None),
    ("GET", "/favicon.ico", {"Host": "localhost:5006"}, None),
    ("GET", "/components/this/a/b/c", OWN, 404),
    ("GET", "/components/os/x", OWN, 404),
    ("GET", "/metadata", OWN, 404),
    ("GET", "/autoload.js", OWN, 404),
    ("GET", "//components/this/a/b/c", OWN, 404),
    ("GET", "/static", OWN, 404),
    ("GET", "/static/../components/this/a/b/c", OWN, 404),
    ("GET", "/static/.hidden", OWN, 404),
    ("GET", "/", {"Host": "evil.example:5006"}, 403),  # DNS rebinding
    ("GET", "/", {"Host": "127.0.0.1:5007"}, 403),
    ("GET", "/", {}, 403),
    ("POST", "/", {**OWN, "Origin": "http://evil.example"}, 403),
    ("POST", "/", {**OWN, "Origin": "http://127.0.0.1:5007"}, 403),
    ("POST", "/", {**OWN, "Origin": "null"}, 403),
    ("POST", "/", OWN, 403),  # no Origin, no Referer
    ("PUT", "/ws", {**OWN, "Referer": "http://evil.example/page"}, 403),
    ("DELETE", "/static/js/bokeh.min.js", {**OWN, "Origin": "http://localhost:5006.evil"}, 403),
    ("POST", "/", {**OWN, "Origin": "http://127.0.0.1:5006"}, None),  # then the route's 405
    ("POST", "/", {**OWN, "Referer": "http://localhost:5006/"}, None),
    ("POST", "/components/this/a/b/c", {**OWN, "Origin": "http://127.0.0.1:5006"}, 404),
])
def test_the_gate_serves_the_page_and_refuses_the_rest(method, path, headers, status):
    assert serve.refusal(method, path, headers, HOSTS) == status


def test_the_server_is_not_served_unguarded_if_panel_changes():
    with pytest.raises(RuntimeError, match="cannot guard"):
        serve.guard(object(), HOSTS)


# --- the real server ----------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``python -m simulation.app --port 0``: (process, host, port, log path)."""
    log = tmp_path_factory.mktemp("app_server") / "server.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "simulation.app", "--port", "0", "--address", "127.0.0.1"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + 60
        while not (found := re.search(r"http://127\.0\.0\.1:(\d+)/", log.read_text())):
            assert process.poll() is None, f"the app exited: {log.read_text()}"
            assert time.monotonic() < deadline, f"no address printed: {log.read_text()}"
            time.sleep(0.1)
        yield process, "127.0.0.1", int(found.group(1)), log
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def ask(host: str, port: int, path: str, method: str = "GET",
        headers: dict[str, str] | None = None) -> int:
    """The status of one request, with ``path`` sent exactly as written."""
    connection = http.client.HTTPConnection(host, port, timeout=20)
    try:
        connection.request(method, path, headers=headers or {})
        return connection.getresponse().status
    finally:
        connection.close()


def test_routes_not_served_are_404_and_the_server_stays_up(server):
    process, host, port, log = server
    for path in ("/components/this/a/b/c", "/components/simulation.__main__/a/b/c",
                 "/components/simulation.app.__main__/a/b/c", "/components/os/x",
                 "/components/antigravity/x/y/z", "/metadata", "/autoload.js",
                 "/nope", "/static/../components/this/a/b/c", "/static/nothing.js",
                 "/ws/../components/this/a/b/c"):
        assert ask(host, port, path) == 404, path
        assert process.poll() is None, f"{path} stopped the server: {log.read_text()}"
    assert ask(host, port, "/") == 200
    assert ask(host, port, "/static/js/bokeh.min.js") == 200
    assert ask(host, port, "/static/extensions/panel/panel.min.js") == 200
    text = log.read_text()
    assert ZEN not in text and "Traceback" not in text


def test_requests_another_site_could_send_are_403(server):
    process, host, port, log = server
    own = f"http://{host}:{port}"
    assert ask(host, port, "/", "POST", {"Origin": "http://evil.example"}) == 403
    assert ask(host, port, "/", "POST", {"Origin": f"http://localhost:{port + 1}"}) == 403
    assert ask(host, port, "/", "POST") == 403  # no Origin, no Referer
    assert ask(host, port, "/ws", "PUT", {"Referer": "http://evil.example/x"}) == 403
    assert ask(host, port, "/", headers={"Host": f"evil.example:{port}"}) == 403
    assert ask(host, port, "/", "POST", {"Origin": own}) == 405  # own page: no POST route
    assert ask(host, port, "/", headers={"Origin": "http://evil.example"}) == 200  # a GET
    assert process.poll() is None and ask(host, port, "/") == 200
    assert "Traceback" not in log.read_text()


def test_importing_the_main_modules_does_not_exit():
    code = ("import importlib\n"
            "for name in ('simulation.__main__', 'simulation.app.__main__'):\n"
            "    importlib.import_module(name)\n"
            "print('still here')\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "still here", done.stderr


def test_ctrl_c_while_the_command_line_imports_still_exits_130():
    code = ("import runpy, sys\n"
            "class CtrlC:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name == 'simulation.cli':\n"
            "            raise KeyboardInterrupt\n"
            "sys.meta_path.insert(0, CtrlC())\n"
            "runpy.run_module('simulation', run_name='__main__', alter_sys=True)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 130, done.stderr
    assert done.stderr == "sparksim: interrupted; nothing was written\n"


def test_the_main_modules_still_run_as_main():
    done = subprocess.run([sys.executable, "-m", "simulation", "run", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "usage: sparksim run" in done.stdout
    done = subprocess.run([sys.executable, "-m", "simulation.app", "--port", "nope"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "python -m simulation.app" in done.stderr


# --- the limits of a click ----------------------------------------------------------


def levers(**values) -> plan.Levers:
    base = scenarios.load("baseline")
    return plan.Levers(**{**vars(plan.levers_from(base, plan.Levers())), **values})


@pytest.mark.parametrize(("values", "label", "words"), [
    ({"replicates": 10_000_000}, "Replicates", "whole number in 1..100"),
    ({"replicates": 101}, "Replicates", "whole number in 1..100"),
    ({"replicates": 0}, "Replicates", "whole number in 1..100"),
    ({"replicates": None}, "Replicates", "whole number in 1..100"),
    ({"replicates": True}, "Replicates", "whole number in 1..100"),
    ({"seed": -1}, "Seed", "whole number in 0.."),
    ({"seed": 2**64}, "Seed", "whole number in 0.."),
    ({"people": 1_000_001}, "People simulated", "at most 1,000,000 people"),
])
def test_a_click_past_the_apps_limits_is_refused_in_words(values, label, words):
    with pytest.raises(simulation.ConfigError) as err:
        plan.check_runs(levers(**values))
    assert words in str(err.value) and plan.fields_named(str(err.value))[:1] == [label]


def test_the_work_of_a_click_is_capped():
    ok = levers(people=1_000_000, replicates=5)  # 10 runs × 10^6 people × 365 days
    plan.check_runs(ok)
    plan.check_work(plan.plan_config(scenarios.load("baseline"), ok), ok.replicates)
    big = levers(people=1_000_000, replicates=6)
    plan.check_runs(big)  # each lever within its own limit...
    with pytest.raises(simulation.ConfigError) as err:  # ...but not together
        plan.check_work(plan.plan_config(scenarios.load("baseline"), big), big.replicates)
    assert "4,380,000,000 person-days" in str(err.value)
    assert plan.fields_named(str(err.value)) == ["Replicates", "People simulated"]
    assert plan.MAX_RUNS_PER_CLICK == (plan.MAX_PINNED + 1) * plan.MAX_REPLICATES


# --- one comparison per page, a few per server, off the event loop ------------------


@pytest.fixture
def slow_compute(monkeypatch):
    """Comparisons that take ``seconds`` on their thread and show nothing; calls counted."""
    calls = []

    class Fake:
        seconds = 0.6

    def compute(job):
        calls.append(threading.current_thread().name)
        time.sleep(Fake.seconds)
        return None, b""

    monkeypatch.setattr(app_page.Page, "_compute", staticmethod(compute))
    monkeypatch.setattr(app_page.Page, "_show", lambda self, results, charts: None)
    Fake.calls = calls
    return Fake


def small_page() -> app_page.Page:
    page = app_page.Page()
    page.levers.widgets["people"].value = 2_000
    page.levers.widgets["replicates"].value = 1
    return page


def test_clicks_while_a_comparison_runs_are_ignored(slow_compute):
    page = small_page()

    async def clicks():
        first = asyncio.ensure_future(page.run())
        await asyncio.sleep(0.05)
        assert page.run_button.disabled, "the button is disabled while it runs"
        await asyncio.gather(*(page.run() for _ in range(8)))
        await first

    asyncio.run(clicks())
    assert len(slow_compute.calls) == 1 and page.clicks_ignored == 8
    assert not page.run_button.disabled and not page.running
    asyncio.run(page.run())  # and once it is done, Run works again
    assert len(slow_compute.calls) == 2


def test_a_comparison_runs_off_the_event_loop(slow_compute):
    page, ticks = small_page(), []

    async def tick_while_running():
        run = asyncio.ensure_future(page.run())
        while not run.done():
            ticks.append(time.perf_counter())
            await asyncio.sleep(0.02)

    started = time.perf_counter()
    asyncio.run(tick_while_running())
    assert time.perf_counter() - started >= slow_compute.seconds
    assert slow_compute.calls[0].startswith("sparksim-run")
    assert len(ticks) >= 10 and max(b - a for a, b in zip(ticks, ticks[1:], strict=False)) < 0.3


def test_the_server_runs_a_few_comparisons_at_once_and_refuses_past_its_queue():
    runner, gate = app_page.Runner(running=1, waiting=1), threading.Event()
    first, second, third = threading.Event(), threading.Event(), threading.Event()
    one = runner.submit(gate.wait, first)
    two = runner.submit(gate.wait, second)
    assert runner.submit(gate.wait, third) is None and runner.pending() == 2
    assert first.wait(5) and not second.wait(0.3), "the second waits for the first"
    gate.set()
    one.result(5), two.result(5)
    assert second.is_set() and runner.pending() == 0
    assert runner.submit(lambda: 1, third).result(5) == 1


def test_a_page_says_so_when_the_server_is_full(slow_compute, monkeypatch):
    full, gate = app_page.Runner(running=1, waiting=0), threading.Event()
    full.submit(gate.wait, threading.Event())
    monkeypatch.setattr(app_page, "RUNNER", full)
    page = small_page()
    try:
        asyncio.run(page.run())
    finally:
        gate.set()
    assert slow_compute.calls == [] and page.message.visible
    assert "server is busy" in page.message.object and "Nothing was run" in page.status.object
