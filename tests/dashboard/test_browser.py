"""End-to-end journeys in a real browser: Debian's chromium driven by Playwright against
``streamlit run`` on a free localhost port.

`make test` installs chromium with apt-get when it is missing. Screenshots and the measured
page times (first page ready, rerun after changing one lever of zhumadian-flood) go to
``out/test-artifacts/browser/`` (or $DRSIM_ARTIFACTS); the times are reported, not asserted.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from stored_experiment import store_tiny_experiment

from dashboard import server_command

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("DRSIM_ARTIFACTS", Path(__file__).resolve().parents[2] / "out"
                                / "test-artifacts")) / "browser"
TIMEOUT_MS = 60_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def timings() -> dict:
    measured: dict = {}
    yield measured
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "timings.json").write_text(json.dumps(measured, indent=2), encoding="utf-8")
    print("\ndashboard timings (s):", json.dumps(measured))


@pytest.fixture(scope="session")
def server(tmp_path_factory, timings):
    """``streamlit run dashboard/app.py`` on a free port; yields its URL once healthy."""
    port = _free_port()
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    command = [*server_command(port, "127.0.0.1", headless=True),
               "--server.fileWatcherType", "none"]
    started = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                   cwd=tmp_path_factory.mktemp("cwd"))
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        timings["server_up_s"] = round(time.perf_counter() - started, 2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def _open(page, url: str, path: str = "") -> float:
    """Open the app; seconds until the page is ready (its title and first form drawn)."""
    started = time.perf_counter()
    page.goto(f"{url}/{path}")
    page.get_by_test_id("stSidebar").wait_for()
    page.locator("[data-testid='stMain'] h1").first.wait_for()
    page.locator("[data-testid='stMain'] input:visible").first.wait_for()
    return time.perf_counter() - started


def _choose(page, label: str, option: str) -> None:
    box = page.get_by_test_id("stSelectbox").filter(has_text=label)
    box.click()
    page.get_by_role("option", name=option, exact=True).click()


def _press_run(page, run: int) -> float:
    started = time.perf_counter()
    page.get_by_role("button", name="Run", exact=True).click()
    page.get_by_text(f"Run {run}:").wait_for()
    return time.perf_counter() - started


def test_run_the_tiny_scenario_and_see_kpi_cards_and_the_map(server, page, timings):
    timings["first_page_ready_s"] = round(_open(page, server), 2)
    timings["page_ready_again_s"] = round(_open(page, server), 2)
    _choose(page, "Bundled scenario", "tiny-flood")
    _press_run(page, 1)
    metrics = page.get_by_test_id("stMetric")
    metrics.first.wait_for()
    assert metrics.count() == 10  # the flood spec's 8 headline indicators, 2 more targets
    assert page.get_by_text("Warning public coverage").first.is_visible()
    page.locator(".js-plotly-plot").nth(1).wait_for()   # the map and a timeline drawn
    assert page.get_by_text("Map", exact=True).is_visible()


def test_changing_one_lever_of_zhumadian_reruns_quickly(server, page, timings):
    _open(page, server)
    timings["zhumadian_first_run_s"] = round(_press_run(page, 1), 2)
    units = page.get_by_label("Fire-rescue units: units")
    units.fill(str(int(units.input_value()) + 5))
    timings["zhumadian_rerun_after_one_lever_s"] = round(_press_run(page, 2), 2)
    assert page.get_by_test_id("stMetric").count() >= 5


def test_language_switch(server, page):
    _open(page, server)
    page.get_by_text("中文", exact=True).click()
    page.get_by_role("heading", name="情景推演").wait_for()
    assert page.get_by_role("button", name="运行").is_visible()


def test_a_broken_scenario_upload_shows_a_readable_error(server, page, tmp_path):
    _open(page, server)
    broken = tmp_path / "broken-flood.toml"
    broken.write_text('schema_version = 1\nname = "x"\nmodel = "flood"\nhorizon = "soon"\n',
                      encoding="utf-8")
    page.locator("input[type='file']").set_input_files(str(broken))
    page.get_by_text("This scenario file cannot be used").wait_for()
    text = page.get_by_test_id("stAlert").inner_text()
    assert "This scenario file cannot be used" in text and "broken-flood.toml" in text
    assert "Traceback" not in page.content()


def test_compare_options_from_a_stored_tiny_experiment(server, page, tmp_path):
    folder = store_tiny_experiment(tmp_path / "tiny-options")
    _open(page, server, "compare")
    page.get_by_role("textbox", name="Experiment results folder").fill(str(folder))
    page.get_by_role("button", name="Load").click()
    page.get_by_text("Options ranked").wait_for()
    page.locator(".js-plotly-plot").nth(1).wait_for()   # ranking and target charts drawn
    assert page.get_by_role("button", name="Download one-page briefing (HTML)").is_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download one-page briefing (HTML)").click()
    saved = tmp_path / "briefing.html"
    download.value.save_as(saved)
    assert "Briefing: capability options" in saved.read_text(encoding="utf-8")


def _submit(page, button: str, shows, tries: int = 3) -> None:
    """Press a form's submit ``button`` until ``shows`` (a locator) appears: a press that lands
    while Streamlit is still redrawing the form can be lost (seen under load on 2 cores)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(tries):
        page.get_by_role("button", name=button, exact=True).click()
        try:
            shows.wait_for(timeout=45_000)
            return
        except PlaywrightTimeout:
            if attempt == tries - 1:
                raise


def _pick(page, label: str, option: str) -> None:
    """Choose ``option`` in the selectbox or multiselect labelled ``label``."""
    widget = page.get_by_test_id("stSelectbox").filter(has_text=label)
    if not widget.count():
        widget = page.get_by_test_id("stMultiSelect").filter(has_text=label)
    field = widget.first.locator("input")
    if field.get_attribute("role") == "combobox" and field.input_value() == option:
        return                                   # a selectbox already showing it
    field.click()
    field.fill(option)                           # filter the list (long lists are virtual)
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")


def test_tabletop_drill_seal_serve_decide_score(server, page, tmp_path, timings):
    """Seal on the page (the key is shown once), run the clock accelerated, record two
    decisions as the city EOC, score the drill."""
    from drills import Drill

    _open(page, server, "drill")
    page.get_by_text("Seal a new drill (exercise director)").click()
    assert page.get_by_label("Drill spec").input_value() == "tiny-drill"   # the first spec
    page.get_by_role("textbox", name="New drill folder").fill(str(tmp_path / "drill"))
    started = time.perf_counter()
    code = page.get_by_test_id("stCode")
    _submit(page, "Seal", code)
    timings["drill_seal_s"] = round(time.perf_counter() - started, 2)
    key = code.inner_text().strip()
    drill = Drill.open(tmp_path / "drill", key)          # the key shown opens the packet
    zones = [z["id"] for z in drill.packet.scenario.content["zones"]]

    page.get_by_role("spinbutton", name="Speed (simulated minutes per minute)").fill("60")
    page.get_by_role("button", name="Start the drill clock").click()
    page.get_by_role("button", name="Advance 30 min").click()   # waits for the started clock
    page.get_by_text("Drill clock", exact=True).wait_for()
    page.get_by_role("button", name="Pause", exact=True).click()   # a tabletop pause to decide
    page.get_by_role("button", name="Resume", exact=True).wait_for()
    for action, targets in (("Issue a warning", zones[:1]), ("Order evacuation", zones[:2])):
        _pick(page, "Decision", action)
        for zone in targets:
            _pick(page, "Applies to", zone)
        page.get_by_role("button", name="Record", exact=True).click()
        page.get_by_text("Recorded at drill minute").wait_for()
    assert [d.action for d in Drill.open(tmp_path / "drill").decisions()] == ["warn",
                                                                              "evacuate"]
    page.get_by_role("button", name="End the drill").click()
    page.get_by_role("button", name="Score the drill").and_(
        page.locator(":enabled")).wait_for()
    started = time.perf_counter()
    page.get_by_role("button", name="Score the drill").click()
    page.get_by_text("Overall rating").wait_for(timeout=180_000)
    timings["drill_score_s"] = round(time.perf_counter() - started, 2)
    assert (tmp_path / "drill" / "score" / "report.html").exists()


def test_drsim_dashboard_command_serves_the_app(tmp_path):
    """`drsim dashboard` (what the README tells users to run) starts a healthy server."""
    port = _free_port()
    drsim = Path(sys.executable).with_name("drsim")
    process = subprocess.Popen([str(drsim), "dashboard", "--port", str(port), "--no-browser"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               cwd=tmp_path)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                            timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert process.poll() is None, "drsim dashboard exited"
                assert time.monotonic() < deadline, "no healthy server within 90 s"
                time.sleep(0.3)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert b"<html" in response.read().lower()
    finally:
        process.terminate()
        process.wait(timeout=15)
    # Stopping `drsim dashboard` stops the server (no orphaned child left serving the port).
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
