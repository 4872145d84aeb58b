"""The canvas as a user sees it at 1440×900: fitted and readable, findable and zoomable on big designs, a themed
toolbar with shortcuts, parameters on the nodes, messages that clear, pictures to download, and edit latency."""

import struct

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS

FRAME = "iframe[title='ui.canvas.layerloom_canvas']"

# measured inside the canvas: the zoom, which nodes lie wholly inside the pane, overlapping pairs, the smallest
# on-screen text of any node (px), and the pane's size
MEASURE = """() => {
  const pane = document.querySelector('.react-flow__pane').getBoundingClientRect();
  const m = /scale\\(([\\d.]+)\\)/.exec(document.querySelector('.react-flow__viewport').style.transform);
  const zoom = m ? +m[1] : 1;
  const boxes = [...document.querySelectorAll('.react-flow__node')].map((n) => [n.dataset.id, n.getBoundingClientRect()]);
  const inside = boxes.filter(([, r]) => r.left >= pane.left - 1 && r.right <= pane.right + 1 && r.top >= pane.top - 1
                                         && r.bottom <= pane.bottom + 1).map(([id]) => id);
  const overlaps = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const [a, p] = boxes[i], [b, q] = boxes[j];
    if (p.left < q.right - 1 && q.left < p.right - 1 && p.top < q.bottom - 1 && q.top < p.bottom - 1) overlaps.push([a, b]);
  }
  let smallest = 99;
  for (const el of document.querySelectorAll('.react-flow__node [data-testid^=node-] > div')) {
    if (el.textContent.trim()) smallest = Math.min(smallest, parseFloat(getComputedStyle(el).fontSize) * zoom);
  }
  return { zoom, inside, overlaps, smallest, nodes: boxes.length, pane: [pane.width, pane.height] };
}"""


@pytest.fixture
def screen(browser, server):
    """A new user at 1440×900 on the app."""
    ctx = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    page = ctx.new_page()
    page.goto(server)
    page.frame_locator(FRAME).locator("[data-testid=node-x]").wait_for(timeout=60000)
    yield page
    ctx.close()


def frame(page):
    return page.frame(url=lambda u: "layerloom_canvas" in u)


def load(page, title, node):
    c = page.frame_locator(FRAME)
    page.get_by_role("combobox", name="Template").click()
    page.keyboard.type(title)
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Load template").click()
    c.locator(f"[data-testid=node-{node}]").wait_for(timeout=60000)
    page.wait_for_timeout(800)  # the fitted view settles (the canvas reports its size, the fit runs once)
    return c


def test_a_loaded_lenet5_is_fitted_whole_readable_and_without_overlaps(screen):
    load(screen, "LeNet-5", "conv1")
    seen = frame(screen).evaluate(MEASURE)
    screen.mouse.move(5, 895)
    screen.screenshot(path=str(ARTIFACTS / "lenet5-fitted-1440x900.png"))
    print(f"\nfitted LeNet-5 at 1440×900: zoom {seen['zoom']:.2f}, smallest node text {seen['smallest']:.1f} px, "
          f"pane {seen['pane'][0]:.0f}×{seen['pane'][1]:.0f}")  # fmt: skip
    assert seen["nodes"] == 14 and len(seen["inside"]) == 14, seen  # every node in view
    assert seen["smallest"] >= 10, seen
    assert not seen["overlaps"], seen
    assert seen["pane"][0] >= 600 and seen["pane"][1] >= 560  # the canvas has most of the page


def test_find_a_node_by_id_and_zoom_to_a_region_of_resnet18(screen, workspace, server):
    from builder.blocks import ungroup
    from builder.templates import load_template
    from builder.workspace import Workspace

    Workspace(workspace).save("resnet18-flat", ungroup(load_template("resnet18")))  # 70 layers, ids are paths
    screen.goto(f"{server}/?design=resnet18-flat")
    c = screen.frame_locator(FRAME)
    c.locator('[data-testid="node-layer1/0/add"]').wait_for(timeout=60000)
    screen.wait_for_timeout(800)
    fitted = frame(screen).evaluate(MEASURE)
    assert fitted["nodes"] == len(fitted["inside"]) == 71  # the whole design fitted first
    assert frame(screen).evaluate("document.querySelectorAll('.react-flow__minimap-node').length") == 71  # and mapped
    search = c.locator("[data-testid=node-search]")
    search.fill("layer3/1/c")  # a prefix: the first node it names
    search.press("Enter")
    screen.wait_for_timeout(600)
    found = frame(screen).evaluate(MEASURE)
    assert "layer3/1/conv1" in found["inside"] and found["zoom"] >= 1.0 > fitted["zoom"], (found, fitted)
    screen.locator("code", has_text="layer3/1/conv1").wait_for(timeout=30000)  # Python selected it: its form shows
    search.fill("no_such_node")
    search.press("Enter")
    expect(c.locator("[data-testid=canvas-message]")).to_contain_text("No node matches")
    # a region: select two nodes and zoom to them
    c.locator("[data-testid=fit]").click()
    screen.wait_for_timeout(400)
    c.locator('[data-testid="node-layer4/0/conv2"]').click()
    c.locator('[data-testid="node-layer4/0/bn2"]').click(modifiers=["Shift"])
    c.locator("[data-testid=zoom-selection]").click()
    screen.wait_for_timeout(600)
    region = frame(screen).evaluate(MEASURE)
    assert {"layer4/0/conv2", "layer4/0/bn2"} <= set(region["inside"]) and region["zoom"] > 3 * fitted["zoom"]
    assert len(region["inside"]) < 20  # a region, not the whole design
    screen.screenshot(path=str(ARTIFACTS / "resnet18-region.png"))


def test_the_toolbar_is_themed_with_tooltips_and_a_shortcut_list(screen):
    c = screen.frame_locator(FRAME)
    style = frame(screen).evaluate("""() => {
        const b = getComputedStyle(document.querySelector('[data-testid=undo]'));
        const p = getComputedStyle(document.querySelector('[data-testid=palette-Conv2d]'));
        return { bg: b.backgroundColor, border: b.borderTopStyle, font: p.fontFamily, radius: p.borderTopLeftRadius,
                 fontLoaded: document.fonts.check('14px "Source Sans"') };
    }""")
    assert style["bg"] == "rgba(0, 0, 0, 0)" and "Source Sans" in style["font"] and style["radius"] == "8px", style
    assert style["fontLoaded"], "the app's font is not available inside the canvas"
    for testid in ("undo", "redo", "delete", "layout", "fit", "zoom-selection", "download-svg", "download-png"):
        assert c.locator(f"[data-testid={testid}]").get_attribute("title"), testid  # every icon says what it does
    c.locator("[data-testid=shortcuts-button]").click()
    shortcuts = c.locator("[data-testid=shortcuts]")
    expect(shortcuts).to_contain_text("Ctrl+Z")
    expect(shortcuts).to_contain_text("zoom to the selected nodes")
    screen.screenshot(path=str(ARTIFACTS / "canvas-shortcuts.png"))
    c.locator(".react-flow__pane").click()
    screen.keyboard.press("?")  # and the key toggles it
    expect(shortcuts).to_have_count(0)
    screen.keyboard.press("?")
    expect(shortcuts).to_have_count(1)


def test_node_faces_show_kernel_and_stride_and_a_refusal_clears_on_the_next_action(screen):
    c = screen.frame_locator(FRAME)
    c.locator("[data-testid=palette-Conv2d]").click()
    face = c.locator("[data-testid=face-conv2d1]")
    expect(face).to_have_text("out=16 · k=3 · s=1 · p=0")  # the defaults that set the shape are on the node
    c.locator("[data-testid=palette-MaxPool2d]").click()
    expect(c.locator("[data-testid=face-maxpool2d1]")).to_have_text("k=2 · s=2 · p=0")  # stride defaults to kernel

    def drag(src, dst):
        a, b = c.locator(src).bounding_box(), c.locator(dst).bounding_box()
        screen.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
        screen.mouse.down()
        screen.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, steps=12)
        screen.mouse.up()

    drag("[data-testid=handle-out-x]", "[data-testid=handle-in-conv2d1-0]")
    c.locator("[data-testid=edge-label-x-conv2d1]").wait_for(timeout=30000)
    # a second edge into the same port: refused on the spot, with the reason
    drag("[data-testid=handle-out-maxpool2d1]", "[data-testid=handle-in-conv2d1-0]")
    message = c.locator("[data-testid=canvas-message]")
    expect(message).to_contain_text("port 0 of 'conv2d1' is already connected from 'x'")
    c.locator("[data-testid=palette-ReLU]").click()  # the next action
    expect(message).to_have_count(0)
    c.locator("[data-testid=node-relu1]").wait_for()


def test_the_network_downloads_as_svg_and_png(screen, tmp_path):
    c = load(screen, "LeNet-5", "conv1")
    with screen.expect_download() as svg:
        c.locator("[data-testid=download-svg]").click()
    assert svg.value.suggested_filename == "lenet5.svg"
    path = tmp_path / "net.svg"
    svg.value.save_as(path)
    text = path.read_text()
    assert text.lstrip().startswith("<svg") and "conv1" in text and "(N, 16, 5, 5)" in text
    with screen.expect_download() as png:
        c.locator("[data-testid=download-png]").click()
    assert png.value.suggested_filename == "lenet5.png"
    png.value.save_as(tmp_path / "net.png")
    data = (tmp_path / "net.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 600 and height >= 400, (width, height)  # the whole network at 2×, not the visible part


EDITS = {  # template: (a node to delete, a node whose issue badge proves the redraw arrived)
    "LeNet-5": ("act1", "pool1"),
    "ResNet-18": ("maxpool", "layer1"),  # blocks: a stage's issue shows on its node
    "DenseNet-121": ("relu", "avgpool"),
}


@pytest.mark.parametrize("title", list(EDITS))
def test_edit_to_screen_latency(screen, title):
    """From the click to the moment Python's answer is drawn (the node gone, the downstream issue shown), timed
    inside the page; the figure is printed (the bound only catches a hang)."""
    gone, flagged = EDITS[title]
    c = load(screen, title, gone)
    c.locator(f"[data-testid=node-{gone}]").click()
    screen.locator("code", has_text=gone).first.wait_for(timeout=60000)  # selected (Python knows)
    elapsed = frame(screen).evaluate(
        """([gone, flagged]) => new Promise((resolve) => {
        const t0 = performance.now();
        const done = () => !document.querySelector(`[data-testid=node-${gone}]`)
                           && document.querySelector(`[data-testid=issue-${flagged}]`);
        new MutationObserver((_, obs) => { if (done()) { obs.disconnect(); resolve(performance.now() - t0); } })
            .observe(document.body, { childList: true, subtree: true });
        document.querySelector('[data-testid=delete]').click();
    })""",
        [gone, flagged],
    )
    nodes = frame(screen).evaluate("document.querySelectorAll('.react-flow__node').length")
    print(f"\nedit-to-screen latency on {title} ({nodes} nodes): {elapsed:.0f} ms")
    assert nodes <= {"ResNet-18": 15, "DenseNet-121": 20}.get(title, 99)  # blocks keep the top level small
    assert elapsed < 10000
