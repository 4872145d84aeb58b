"""Blocks in a real browser: group LeNet's first conv stage into a block, repeat it, enter it, edit it (every
instance changes) and ungroup it again."""

from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_canvas import load, wait_node


def node(c, nid):
    return c.locator(f'[data-testid="node-{nid}"]')


def test_group_repeat_enter_edit_and_ungroup_a_block(page):
    c = load(page, "LeNet-5", "conv1")
    node(c, "conv1").click()
    page.locator("code", has_text="conv1").first.wait_for(timeout=30000)  # Python selected it
    node(c, "act1").click(modifiers=["Shift"])
    node(c, "pool1").click(modifiers=["Shift"])
    expect(c.locator(".react-flow__node.selected")).to_have_count(3)
    page.keyboard.press("Control+g")  # Make block
    wait_node(c, "block1")
    assert node(c, "conv1").count() == 0 and node(c, "block1").get_attribute("data-block") == "instance"
    expect(node(c, "block1")).to_contain_text("(N, 6, 14, 14)")
    page.get_by_text("block instance").wait_for(timeout=30000)  # its form: the block's own

    # repeat it: the unrolled chain is checked at once; the instance's shape is the last one's
    page.get_by_role("spinbutton", name="repeat").fill("2")
    page.get_by_role("button", name="Apply").click()
    c.locator('[data-testid="repeat-block1"]').wait_for(timeout=30000)
    expect(node(c, "block1")).to_contain_text("(N, 6, 7, 7)")
    page.get_by_text("Valid: every shape fits.").wait_for(timeout=30000)
    page.screenshot(path=str(ARTIFACTS / "block-repeated.png"))

    # expand it in place: its block's graph inside a frame, the nodes after it moved out of its way
    before = node(c, "conv2").bounding_box()
    c.locator('[data-testid="expand-block1"]').click()
    wait_node(c, "block1/conv1")
    frame = node(c, "block1")
    assert frame.get_attribute("data-block") == "expanded"
    expect(node(c, "block1/pool1")).to_contain_text("(N, 6, 14, 14)")  # the first instance's shapes
    inner, outer = node(c, "block1/pool1").bounding_box(), frame.bounding_box()
    assert outer["x"] <= inner["x"] and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 1
    after = node(c, "conv2").bounding_box()
    assert after["y"] > before["y"] or after["x"] > before["x"]  # pushed out of the frame's way
    page.screenshot(path=str(ARTIFACTS / "block-expanded.png"))
    c.locator('[data-testid="expand-block1"]').click()  # fold it back
    c.locator('[data-testid="node-block1/conv1"]').wait_for(state="detached", timeout=30000)

    # enter it (double-click) and edit its convolution: every instance changes
    node(c, "block1").dblclick()
    wait_node(c, "conv1")
    page.get_by_text("used 2 times: editing it changes every instance").wait_for(timeout=30000)
    expect(node(c, "in0")).to_contain_text("(N, 1, 28, 28)")  # the first instance's input
    page.screenshot(path=str(ARTIFACTS / "block-entered.png"))
    node(c, "conv1").click()
    page.locator("code", has_text="conv1").first.wait_for(timeout=30000)
    page.get_by_role("spinbutton", name="out_channels").fill("8")
    page.get_by_role("button", name="Apply").click()
    expect(node(c, "conv1")).to_contain_text("(N, 8, 28, 28)", timeout=30000)
    page.get_by_role("button", name="Back to the design").click()
    wait_node(c, "block1")
    expect(node(c, "block1")).to_contain_text("(N, 8, 7, 7)", timeout=30000)

    # ungroup: the block's layers come back with their paths, the model unchanged
    node(c, "block1").click()
    page.get_by_text("block instance").wait_for(timeout=30000)
    page.get_by_role("button", name="Ungroup").click()
    wait_node(c, "block1/0/conv1")
    wait_node(c, "block1/1/pool1")
    assert node(c, "block1").count() == 0
    page.get_by_text("Valid: every shape fits.").wait_for(timeout=30000)
    expect(node(c, "block1/1/pool1")).to_contain_text("(N, 8, 7, 7)")
    page.screenshot(path=str(ARTIFACTS / "block-ungrouped.png"))


def test_a_block_with_two_outputs_connects_from_its_second_port(page, server, workspace):
    from builder.workspace import Workspace
    from tests.browser.test_canvas import canvas, drag
    from tests.test_edit import two_output_design

    Workspace(workspace).save("two-outputs", two_output_design())
    page.goto(server.rstrip("/") + "/?design=two-outputs")
    c = canvas(page)
    wait_node(c, "s", timeout=60000)
    second = c.locator('[data-testid="handle-out-s-1"]')  # one handle per Output of the block
    expect(second).to_have_attribute("title", "output 1 (b)")
    expect(c.locator('[data-testid="edge-label-s-r1"]')).to_have_text("(N, 4)")  # from output 0 (a)
    drag(page, second, c.locator('[data-testid="handle-in-r2-0"]'))
    label = c.locator('[data-testid="edge-label-s-r2"]')
    label.wait_for(timeout=30000)
    expect(label).to_have_text("(N, 6)")  # from output 1 (b): its own shape
    page.get_by_text("Valid: every shape fits.").wait_for(timeout=30000)
    page.screenshot(path=str(ARTIFACTS / "block-two-outputs.png"))


def test_make_block_inside_an_entered_block_nests_it(page):
    c = load(page, "LeNet-5", "conv1")
    node(c, "conv1").click()
    page.locator("code", has_text="conv1").first.wait_for(timeout=30000)
    for nid in ("act1", "pool1"):
        node(c, nid).click(modifiers=["Shift"])
    expect(c.locator(".react-flow__node.selected")).to_have_count(3)
    page.keyboard.press("Control+g")
    wait_node(c, "block1")
    node(c, "block1").dblclick()  # enter it, and make a block of its conv and activation there
    wait_node(c, "conv1")
    node(c, "conv1").click()
    page.locator("code", has_text="conv1").first.wait_for(timeout=30000)
    node(c, "act1").click(modifiers=["Shift"])
    expect(c.locator(".react-flow__node.selected")).to_have_count(2)
    page.keyboard.press("Control+g")
    wait_node(c, "block2")  # the nested instance, inside Block1
    assert node(c, "conv1").count() == 0 and node(c, "block2").get_attribute("data-block") == "instance"
    expect(node(c, "block2")).to_contain_text("(N, 6, 28, 28)")
    page.screenshot(path=str(ARTIFACTS / "block-nested.png"))
    page.get_by_role("button", name="Back to the design").click()
    wait_node(c, "block1")
    expect(node(c, "block1")).to_contain_text("(N, 6, 14, 14)")  # the model is unchanged
    page.get_by_text("Valid: every shape fits.").wait_for(timeout=30000)


def test_a_frozen_layer_is_marked_on_the_canvas(page, server, workspace):
    from builder.finetune import set_trainable
    from builder.templates import load_template
    from builder.workspace import Workspace
    from tests.browser.test_canvas import canvas

    design = load_template("lenet5")
    set_trainable(design, ["conv1"], False)
    Workspace(workspace).save("frozen-lenet", design)
    page.goto(server.rstrip("/") + "/?design=frozen-lenet")
    c = canvas(page)
    wait_node(c, "conv1", timeout=60000)
    badge = c.locator('[data-testid="frozen-conv1"]')
    expect(badge).to_have_text("❄ frozen")
    assert c.locator('[data-testid="frozen-conv2"]').count() == 0
    page.screenshot(path=str(ARTIFACTS / "frozen-node.png"))
    node(c, "conv1").click()  # train it again from its form: the mark goes
    page.get_by_text("trainable").first.wait_for(timeout=30000)
    box = page.get_by_role("checkbox", name="trainable")
    assert not box.is_checked()  # the form says so too
    box.check(force=True)
    page.get_by_role("button", name="Apply").click()
    badge.wait_for(state="detached", timeout=30000)
