"""The web app's speed from a click to the figures, measured by driving the page in Chromium.

Starts ``python -m simulation.app`` afresh (``--rounds`` times, default 3),
opens the page in Debian's headless Chromium through Playwright at 1440 ×
1000 px and, at the page's default size (the baseline, 10 000 people, 365
days, 3 replicates against no payouts), times:

- **first**: the first comparison after start-up (Run pressed as soon as the
  page is ready; the server has been warming the default reference's runs
  and its worker processes since it started);
- **after**: ``--plans`` more plans, each a new flat fee (3 new runs; the
  reference's and the pinned plans' runs are kept);
- **pin**: unpinning a plan (no run: the comparison and the figures only).

Each time runs from the click until the charts of that comparison are in
the page and painted: the comparison's marker (checked on every animation
frame), then two animation frames.
The server's own share (the comparison and the charts built) is the status
line's "in N s". Prints a table, also written to ``results/app_bench.txt``.

Usage: ``python benchmarks/app_bench.py [--rounds 3] [--plans 4] [--workers 2]``.
Needs Debian's Chromium (``apt-get install chromium``; never ``playwright install``).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("SPARKSIM_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PAINTED = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
SHOWN = """n => {
    if (!window.__done)  // the page's marker (an HTML pane), found once among Bokeh's models
        for (const doc of Bokeh.documents)
            for (const m of doc.all_models)
                if ((m.css_classes || []).includes("done-marker")) window.__done = m;
    const text = window.__done === undefined ? "" : window.__done.text;  // HTML-escaped
    return text.includes(`&quot;${n}&quot;`) || text.includes(`"${n}"`);
}"""
"""Whether comparison n has reached the page: checked on every animation frame (a selector
wait polls at up to half-second intervals, which would be timed too)."""
TIMEOUT_MS = 180_000


def serve(workers: int | None) -> tuple[subprocess.Popen, str, float]:
    """A fresh app server on a free port: (process, address, seconds until it answered)."""
    command = [sys.executable, "-m", "simulation.app", "--port", "0", "--address", "127.0.0.1"]
    if workers is not None:
        command += ["--workers", str(workers)]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1",
                                    "PYTHONPATH": str(ROOT)})
    for line in process.stdout:
        found = re.search(r"http://127\.0\.0\.1:\d+/", line)
        if found:
            return process, found.group(), time.perf_counter() - started
    raise RuntimeError(f"the app did not start (exit {process.wait()})")


def compared(page, n: int, clicked: float) -> tuple[float, float]:
    """Wait for comparison ``n`` to be painted; (seconds since the click, the server's own)."""
    page.wait_for_function(SHOWN, arg=n, polling="raf", timeout=TIMEOUT_MS)
    page.evaluate(PAINTED)
    seconds = time.perf_counter() - clicked
    status = page.get_by_text(f"Comparison {n} done").inner_text()
    server = float(re.search(r"in ([\d.]+) s", status).group(1))
    return seconds, server


def one_round(browser, url: str, plans: int) -> dict[str, list[tuple[float, float]]]:
    """First comparison, then ``plans`` more, then an unpin: (click to figures, server) each."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.goto(url)
    page.locator(".run button").wait_for()
    times: dict[str, list[tuple[float, float]]] = {"first": [], "after": [], "pin": []}
    clicked = time.perf_counter()
    page.locator(".run button").click()
    times["first"].append(compared(page, 1, clicked))
    for n in range(plans):
        field = page.locator(".lever-fee input")
        field.fill(str(50 + 10 * n))
        field.press("Tab")
        page.wait_for_timeout(300)  # the value reaches the server, as a person's would
        clicked = time.perf_counter()
        page.locator(".run button").click()
        times["after"].append(compared(page, n + 2, clicked))
    clicked = time.perf_counter()
    page.locator(".pinned button", has_text=re.compile(r"^Plan 1$")).click()
    times["pin"].append(compared(page, plans + 2, clicked))
    context.close()
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="fresh servers (default 3)")
    parser.add_argument("--plans", type=int, default=4,
                        help="plans after the first, per round (default 4)")
    parser.add_argument("--workers", type=int, default=None,
                        help="the server's worker processes (default: its own, 2)")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"app_bench: no Chromium at {CHROMIUM} (apt-get install chromium); skipped")
        return 0
    from playwright.sync_api import sync_playwright

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    found: dict[str, list[tuple[float, float]]] = {"first": [], "after": [], "pin": []}
    starts = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for _ in range(args.rounds):
            process, url, start = serve(args.workers)
            starts.append(start)
            try:
                for key, values in one_round(browser, url, args.plans).items():
                    found[key] += values
            finally:
                process.terminate()
                process.wait(timeout=30)
        browser.close()
    lines = [f"sparksim app bench — python {platform.python_version()}, "
             f"{datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} cores, load {load:.1f} at start",
             "click → figures painted, page default size (baseline, 10 000 people, 3 replicates)",
             f"{'':28}{'n':>3}{'median s':>10}{'max s':>8}{'server median s':>17}",
             f"{'server start → address':28}{len(starts):>3}{statistics.median(starts):>10.2f}"
             f"{max(starts):>8.2f}"]
    names = {"first": "first comparison", "after": "a new plan (3 new runs)",
             "pin": "unpin (no run)"}
    for key, label in names.items():
        clicks = [c for c, _ in found[key]]
        server = [s for _, s in found[key]]
        lines.append(f"{label:28}{len(clicks):>3}{statistics.median(clicks):>10.2f}"
                     f"{max(clicks):>8.2f}{statistics.median(server):>17.2f}")
    text = "\n".join(lines)
    print(text)
    out = ROOT / "results" / "app_bench.txt"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
