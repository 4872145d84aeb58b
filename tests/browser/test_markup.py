"""A stored design (and an upload) full of markup: every page shows it as text, and the browser fetches nothing."""

import http.server
import threading

import numpy as np
import pytest

from builder import Design, Edge, Node
from builder.data.uploads import register_upload
from builder.workspace import Workspace
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_journey import open_page

PAGES = ["Data", "Train", "Visualize", "Export", "Check a design", "Build"]  # every page that shows user text


@pytest.fixture
def listener():
    """A local HTTP server that counts every request it gets: a fetched image or link would land here."""
    hits = []

    class Count(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the stdlib's name)
            hits.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Count)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", hits
    server.shutdown()


def markup(base: str, where: str) -> str:
    return f"![m]({base}/{where}) <img src='{base}/{where}-html'> [link]({base}/{where}-link) :red[x] $x$ **b**"


def test_markup_in_names_ids_and_uploads_renders_as_text_and_fetches_nothing(browser, server, workspace, listener):
    base, hits = listener
    bad = f"![m]({base}/node) <img src='{base}/node-html'>"  # ids are at most 128 characters
    design = Design(markup(base, "name"), [Node("x", "Input", {"shape": [1, 8, 8]}),
                                           Node(bad, "Conv2d", {"kernel_size": 50}),  # an issue quoting the id
                                           Node("out", "Output")],
                    [Edge("x", bad), Edge(bad, "out")], description=markup(base, "description"))  # fmt: skip
    parsed = {"x": np.random.rand(6, 2).astype(np.float32), "y": np.arange(6) % 2, "task": "classification",
              "classes": ["a", "b"]}  # fmt: skip
    spec = register_upload(markup(base, "upload"), parsed, workspace=workspace)
    design.training = {"dataset": spec.name}  # the Data page opens on the upload
    Workspace(workspace).save("markup-1", design)
    ctx = browser.new_context(viewport={"width": 1440, "height": 900})
    page = ctx.new_page()
    page.goto(f"{server}/?design=markup-1")
    page.get_by_text("kernel_size=50 is larger than its input height 8").first.wait_for(timeout=60000)
    page.get_by_text(f"![m]({base}/node)").first.wait_for()  # the id, shown literally in the issue
    for name in PAGES:
        open_page(page, name)
        page.wait_for_timeout(1500)  # let every element render (and fetch, if it would)
        if name == "Data":  # the upload's name heads the page and is the selectbox's value
            page.get_by_text(f"![m]({base}/upload)", exact=False).first.wait_for(timeout=30000)
            page.wait_for_timeout(1000)
            page.screenshot(path=str(ARTIFACTS / "markup-data.png"), full_page=True)
        if name == "Train":
            page.get_by_text(f"![m]({base}/name)", exact=False).first.wait_for(timeout=30000)
            page.screenshot(path=str(ARTIFACTS / "markup-train.png"), full_page=True)
        assert page.locator(f"img[src^='{base}']").count() == 0, name  # no image, no link from user text
        assert page.locator(f"a[href*='127.0.0.1:{base.rsplit(':', 1)[1]}']").count() == 0, name
    ctx.close()
    assert hits == [], hits
