"""Follow one sample through LeNet-5 in the browser: pick the view, step to the first convolution and its feature
maps, then through its activation, reading the numbers the page shows."""

from playwright.sync_api import expect

from builder.templates import load_template
from builder.workspace import Workspace
from tests.browser.conftest import ARTIFACTS


def test_stepping_one_sample_through_lenet(page, server, workspace):
    Workspace(workspace).save("follow-lenet", load_template("lenet5"))
    page.goto(server.rstrip("/") + "/visualize?design=follow-lenet&view=follow")  # a link straight to the view
    page.get_by_text("Step 1 of 14").wait_for(timeout=60000)
    page.get_by_text("Training snapshots", exact=True).click()
    page.get_by_text("snapshots of the model's insides").wait_for(timeout=30000)
    page.get_by_text("Follow one sample", exact=True).click()
    page.get_by_text("Step 1 of 14").wait_for(timeout=60000)
    expect(page.get_by_text("This sample's label:")).to_be_visible()
    page.get_by_role("button", name="Next").click()
    page.get_by_text("Step 2 of 14").wait_for(timeout=30000)
    expect(page.get_by_role("heading", name="conv1 · Conv2d")).to_be_visible()
    expect(page.get_by_text("gives (6, 28, 28)")).to_be_visible()
    page.get_by_text("Feature maps of 'conv1'").wait_for(timeout=30000)  # the plotly figure's title
    page.wait_for_timeout(800)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "follow-lenet-conv1.png"))
    page.get_by_role("button", name="Next").click()
    page.get_by_text("Step 3 of 14").wait_for(timeout=30000)
    expect(page.get_by_role("heading", name="act1 · Tanh")).to_be_visible()
    page.get_by_text("Tanh on this sample's 4,704 values: input → output").wait_for(timeout=30000)
    page.get_by_role("button", name="Previous").click()
    page.get_by_text("Step 2 of 14").wait_for(timeout=30000)
    assert "design=follow-lenet" in page.url
