"""A real Streamlit server on 127.0.0.1 and Debian's chromium driven by Playwright (skipped when absent)."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]  # fmt: skip
ARTIFACTS = ROOT / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(workspace) -> tuple[str, subprocess.Popen, float]:
    """``streamlit run app.py`` on 127.0.0.1 and a free port with ``workspace``; (url, process, start time)."""
    port = _free_port()
    env = {**os.environ, "LAYERLOOM_WORKSPACE": str(workspace)}
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.address", "127.0.0.1", "--server.port", str(port),
                             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                return url, proc, started
        except OSError:
            time.sleep(0.25)
    proc.kill()
    pytest.fail("streamlit did not start")


def stop_runs(workspace, timeout: float = 15.0) -> None:
    """Stop every run of ``workspace`` still training: runs are worker processes that outlive their server (a
    restart must not stop them), so a test server's runs are stopped when the test is done with it."""
    import signal

    from builder.workspace import ACTIVE, Workspace

    ws = Workspace(workspace)
    jobs = [job for r in ws.runs() if r.status in ACTIVE and (job := ws.live(r.run_id)) is not None]
    for job in jobs:
        job.stop()
    for job in jobs:
        if not job.join(timeout) and job.pid:
            try:
                os.kill(job.pid, signal.SIGKILL)
            except OSError:
                pass


def need_chromium():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs it with apt-get")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="session")
def workspace(tmp_path_factory):
    return tmp_path_factory.mktemp("app-workspace")


@pytest.fixture(scope="session")
def server(workspace):
    need_chromium()
    url, proc, _ = start_server(workspace)
    yield url
    proc.terminate()
    proc.wait(10)
    stop_runs(workspace)


@pytest.fixture(scope="session")
def browser():
    """One chromium for the session; each test gets fresh contexts (separate users) from it."""
    need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(server, browser, request):
    """A fresh context (a new user) on the session's chromium, at the app's URL; a screenshot when the test fails."""
    ctx = browser.new_context(viewport={"width": 1500, "height": 1200}, accept_downloads=True)
    pg = ctx.new_page()
    pg.goto(server)
    yield pg
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        ARTIFACTS.mkdir(exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    ctx.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
