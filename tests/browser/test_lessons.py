"""Lesson 1 walked from the Lessons page: open the perceptron, see the check fail with its figure and hint, add a
hidden layer on the canvas, see the check pass; progress is kept in the workspace."""

import re

from playwright.sync_api import expect

from builder.lessons import list_lessons
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_canvas import canvas, drag, wait_node


def nav(page, title):
    page.get_by_role("link", name=title).first.click()


def check(page, expect_text):
    page.get_by_role("button", name="Check my design").click()
    verdict = page.get_by_text(re.compile(r"^(Passed|Not yet|Not checked)"))
    verdict.first.wait_for(timeout=120000)
    # (the previous check's verdict stays on the page until this one is done: wait for the new one, not 5 s)
    expect(verdict.first).to_contain_text(expect_text, timeout=120000)
    verdict.first.scroll_into_view_if_needed()
    return page.locator("[data-testid=stAlertContainer]").filter(has_text=expect_text).first


def drop(page, c, layer, fx, fy):
    """Find a layer in the palette's search and drag it onto the canvas at (fx, fy) of its pane."""
    c.locator("[data-testid=palette-search]").fill(layer)
    box = c.locator(".react-flow__pane").bounding_box()
    a = c.locator(f"[data-testid=palette-{layer}]").bounding_box()
    page.mouse.move(a["x"] + 20, a["y"] + 8)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy, steps=12)
    page.mouse.up()


def test_lesson_one_from_failing_perceptron_to_passing_mlp(page, server, workspace):
    page.goto(server.rstrip("/") + "/lessons")  # (not page.url: the app may already have added ?design=… to it)
    page.get_by_role("heading", name="1. Perceptron vs MLP on XOR").wait_for(timeout=60000)
    page.get_by_role("button", name="Open Perceptron on XOR").click()
    c = canvas(page)
    wait_node(c, "unit", timeout=60000)

    nav(page, "Lessons")
    failed = check(page, "Not yet")
    expect(failed).to_contain_text("test accuracy")
    expect(failed).to_contain_text("needs ≥ 0.950")
    expect(failed).to_contain_text("Hint:")
    page.get_by_text("Decision boundary: how the model splits the input plane").first.wait_for(timeout=30000)
    page.screenshot(path=str(ARTIFACTS / "lesson-xor-failed.png"))

    # the exercise, on the canvas: x → Linear(8) → Tanh → unit instead of x → unit
    nav(page, "Build")
    wait_node(c, "unit", timeout=60000)
    edge = c.locator('[data-testid="rf__edge-x->unit:0"]')  # click the edge x → unit (beside its label), delete it
    edge.wait_for(state="attached", timeout=30000)
    box = edge.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.15, box["y"] + box["height"] / 2)
    expect(c.locator("[data-testid=edge-label-x-unit]")).to_have_attribute("data-selected", "true")
    page.keyboard.press("Delete")
    c.locator("[data-testid=edge-label-x-unit]").wait_for(state="detached", timeout=30000)
    drop(page, c, "Linear", 0.25, 0.8)
    wait_node(c, "linear1")
    drop(page, c, "Tanh", 0.7, 0.8)
    wait_node(c, "tanh1")
    field = page.get_by_role("spinbutton", name="out_features")
    for _ in range(3):  # a click that lands while the drop's rerun redraws the canvas is not a selection
        c.locator("[data-testid=node-linear1]").click()
        try:
            field.wait_for(timeout=10000)
            break
        except Exception:
            continue
    field.fill("8")
    page.get_by_role("button", name="Apply").click()
    for src, dst in [("x", "linear1"), ("linear1", "tanh1"), ("tanh1", "unit")]:
        drag(page, c.locator(f"[data-testid=handle-out-{src}]"), c.locator(f"[data-testid=handle-in-{dst}-0]"))
        c.locator(f"[data-testid=edge-label-{src}-{dst}]").wait_for(timeout=30000)
    assert c.locator("[data-testid=edge-label-linear1-tanh1]").inner_text() == "(N, 8)"
    page.get_by_text("Valid: every shape fits.").wait_for(timeout=30000)

    nav(page, "Lessons")
    passed = check(page, "Passed")
    expect(passed).to_contain_text("test accuracy")
    page.screenshot(path=str(ARTIFACTS / "lesson-xor-passed.png"))
    expect(page.get_by_text(f"1 of {len(list_lessons())} passed", exact=False)).to_be_visible()
    assert '"passed": true' in (workspace / "lessons.json").read_text()


def test_the_language_switch_is_remembered_by_the_browser(page, browser, server):
    page.goto(server.rstrip("/") + "/lessons")
    page.get_by_role("heading", name="Lessons").first.wait_for(timeout=60000)
    page.get_by_text("简体中文", exact=True).locator("visible=true").first.click()
    page.get_by_role("heading", name="课程").first.wait_for(timeout=30000)
    expect(page.get_by_role("link", name="训练")).to_be_visible()  # the navigation too
    page.screenshot(path=str(ARTIFACTS / "lessons-zh.png"))
    assert {c["name"]: c["value"] for c in page.context.cookies()}.get("layerloom_lang") == "zh"
    other = page.context.new_page()  # a new tab of the same browser: a new session that reads the cookie
    other.goto(server.rstrip("/") + "/train")
    other.get_by_role("heading", name="训练").first.wait_for(timeout=60000)
    other.close()
    page.get_by_text("English", exact=True).locator("visible=true").first.click()
    page.get_by_role("heading", name="Lessons").first.wait_for(timeout=30000)
