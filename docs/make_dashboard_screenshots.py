"""Regenerate the dashboard screenshots of README.md and docs/dashboard.md.

    .venv/bin/python docs/make_dashboard_screenshots.py

Starts the dashboard on a free port, drives Debian's chromium with Playwright (as the browser
tests do), runs zhumadian-flood once and the tiny experiment comparison, and writes
docs/figures/dashboard-*.png.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

from dashboard import server_command

HERE = Path(__file__).resolve().parent
OUT = HERE / "figures"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    sys.path.insert(0, str(HERE.parent / "tests" / "dashboard"))
    from stored_experiment import store_tiny_experiment

    OUT.mkdir(exist_ok=True)
    port = _free_port()
    server = subprocess.Popen(server_command(port, headless=True), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                        args=["--no-sandbox", "--disable-gpu",
                                              "--disable-background-networking"])
            page = browser.new_page(viewport={"width": 1400, "height": 3000})
            page.set_default_timeout(120_000)
            page.goto(url)
            page.get_by_role("button", name="Run", exact=True).click()
            page.get_by_text("Run 1:").wait_for()
            page.locator(".js-plotly-plot").nth(2).wait_for()
            time.sleep(1.5)
            page.screenshot(path=str(OUT / "dashboard-explorer.png"))
            folder = store_tiny_experiment(Path(tmp) / "tiny-options", replications=8)
            page.set_viewport_size({"width": 1400, "height": 1900})
            page.goto(f"{url}/compare")
            page.get_by_role("textbox", name="Experiment results folder").fill(str(folder))
            page.get_by_role("button", name="Load").click()
            page.locator(".js-plotly-plot").nth(1).wait_for()
            time.sleep(1.5)
            page.screenshot(path=str(OUT / "dashboard-compare.png"))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"written: {', '.join(p.name for p in sorted(OUT.glob('dashboard-*.png')))}")


if __name__ == "__main__":
    main()
