"""The whole journey in a real browser: load LeNet-5, train it, watch the curves move and a feature map appear,
export a verified ONNX file and download it, reload the page, restart the server — and find everything again."""

import time

import numpy as np
import pytest

from tests.browser.conftest import ARTIFACTS, start_server

FRAME = "iframe[title='ui.canvas.layerloom_canvas']"
CURVES = """() => [...document.querySelectorAll('.js-plotly-plot')]
    .filter((e) => (e.layout?.title?.text || '').includes('per epoch'))
    .map((e) => e.data.map((t) => (t.x || []).length))"""


def node(page, nid, timeout=60000):
    page.frame_locator(FRAME).locator(f"[data-testid=node-{nid}]").wait_for(timeout=timeout)


def open_page(page, name):
    page.get_by_test_id("stTopNav").get_by_role("link", name=name).click()
    if name == "Build":  # the canvas is the page (no heading takes its room)
        page.frame_locator(FRAME).locator(".react-flow__pane").wait_for(timeout=60000)
    else:
        page.get_by_role("heading", name=name, exact=True).wait_for(timeout=60000)


def stop(proc):
    proc.terminate()
    proc.wait(15)


@pytest.fixture
def own_server(tmp_path):
    """A server of this test's own, on its own workspace (the test restarts it)."""
    url, proc, _ = start_server(tmp_path)
    state = {"url": url, "proc": proc, "workspace": tmp_path}
    yield state
    stop(state["proc"])


def test_the_full_journey_survives_a_reload_and_a_restart(browser, own_server, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    ctx = browser.new_context(viewport={"width": 1500, "height": 1100}, accept_downloads=True)
    page = ctx.new_page()
    page.goto(own_server["url"])
    node(page, "x")
    page.get_by_role("combobox", name="Template").click()
    page.keyboard.type("LeNet-5")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Load template").click()
    node(page, "conv1")
    page.wait_for_url("**design=lenet5-*", timeout=30000)
    design_id = page.url.split("design=")[1].split("&")[0]

    # train 3 epochs on CPU; the curves grow while it runs
    open_page(page, "Train")
    epochs = page.get_by_role("spinbutton", name="epochs")
    epochs.fill("10")
    epochs.press("Enter")
    batch = page.get_by_role("spinbutton", name="batch_size")
    batch.fill("16")  # smaller batches: slower epochs, so the test sees the curves between them
    batch.press("Enter")
    page.wait_for_timeout(500)
    page.get_by_role("button", name="Start").click()
    seen, deadline = [], time.time() + 120
    while time.time() < deadline:
        counts = [n for chart in page.evaluate(CURVES) for n in chart]
        if counts:
            points = max(counts)
            if not seen or seen[-1] != points:
                seen.append(points)
                page.screenshot(path=str(ARTIFACTS / f"journey-train-epoch{points}.png"), full_page=True)
        if page.get_by_text("Run finished.").count():
            break
        page.wait_for_timeout(150)
    page.wait_for_function(f"() => ({CURVES})().flat().includes(10)", timeout=30000)  # the page as it ended
    if not seen or seen[-1] != 10:
        seen.append(10)
    page.screenshot(path=str(ARTIFACTS / "journey-train-end.png"), full_page=True)
    assert seen and seen[-1] == 10 and len(seen) >= 2, f"the curves never moved: {seen}"  # drawn as epochs came in
    assert page.get_by_text("test accuracy").count()

    # a feature map of the trained network
    open_page(page, "Visualize")
    page.locator(".js-plotly-plot", has_text="Feature maps of").first.wait_for(timeout=60000)
    page.get_by_text("bright where the filter").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "journey-feature-maps.png"), full_page=True)

    # export: ONNX verified in the app, then downloaded and run with onnxruntime
    open_page(page, "Export")
    page.get_by_role("button", name="Export", exact=True).click()
    page.get_by_text("ONNX verified with onnxruntime").wait_for(timeout=120000)
    with page.expect_download() as download:
        page.get_by_role("button", name="model.onnx").click()
    assert download.value.suggested_filename == "model.onnx"  # the name the button shows
    onnx_file = tmp_path / "downloaded.onnx"
    download.value.save_as(onnx_file)
    page.screenshot(path=str(ARTIFACTS / "journey-export.png"), full_page=True)
    import onnxruntime as ort
    import torch

    from builder import build_model
    from builder.workspace import Workspace

    ws = Workspace(own_server["workspace"])
    (run,) = ws.runs(design_id)
    model = build_model(ws.run_design(run))
    model.load_state_dict(torch.load(run.path / "best.pt", weights_only=True)["model"])
    x = np.random.default_rng(0).random((5, 1, 28, 28), dtype=np.float32)
    session = ort.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x})[0]
    want = model.eval()(torch.from_numpy(x)).detach().numpy()
    assert got.shape == (5, 10) and np.abs(got - want).max() < 1e-4  # the trained weights, not a fresh model

    # a reload keeps the design and its run
    page.reload()
    page.get_by_role("heading", name="Export", exact=True).wait_for(timeout=60000)
    assert f"design={design_id}" in page.url
    weights = page.get_by_test_id("stSelectbox").filter(has_text="Weights").locator("input")
    page.wait_for_function(
        "(el) => el.value.startsWith('trained:')", arg=weights.element_handle(), timeout=30000
    )  # the run's best weights, found again
    ctx.close()

    # a server restart too: a new browser session on the same address finds the design, the run and its curves
    stop(own_server["proc"])
    url, proc, started = start_server(own_server["workspace"])
    own_server["proc"] = proc
    ctx = browser.new_context(viewport={"width": 1500, "height": 1100})
    page = ctx.new_page()
    page.goto(f"{url}/?design={design_id}")
    node(page, "conv1")
    first_paint = time.perf_counter() - started
    print(f"\nstart-to-first-paint (server launch to the design's canvas drawn): {first_paint:.1f} s")
    open_page(page, "Train")
    page.get_by_test_id("stCaptionContainer").filter(has_text=run.run_id).filter(has_text="finished").wait_for(
        timeout=60000
    )
    page.get_by_text("Run finished.").wait_for()
    page.wait_for_function(f"() => ({CURVES})().flat().includes(10)", timeout=30000)
    page.screenshot(path=str(ARTIFACTS / "journey-after-restart.png"), full_page=True)
    ctx.close()
