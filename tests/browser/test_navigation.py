"""LayerLoom's own navigation on the first paint of every page, even for a deep link right after a server start.

Streamlit keeps a pages/ folder's first multipage mode until app.py has run once (ui/router.py): a deep link then
ran pages/<name>.py alone, under a list of file names ("app, build, check, …") in a narrow layout.
"""

import pytest

from tests.browser.conftest import ARTIFACTS, start_server

# every navigation the page ever showed, recorded from before the first paint
RECORD = """
window.__navs = [];
new MutationObserver(() => {
  const side = document.querySelector('[data-testid=stSidebarNav]');
  const top = document.querySelector('[data-testid=stTopNav]');
  for (const [where, el] of [['sidebar', side], ['top', top]]) {
    if (!el) continue;
    const text = where + ': ' + [...el.querySelectorAll('a')].map((a) => a.innerText.trim()).join(', ');
    if (window.__navs[window.__navs.length - 1] !== text) window.__navs.push(text);
  }
}).observe(document, {subtree: true, childList: true, characterData: true});
"""
PAGES = {"build": "Build", "data": "Data", "train": "Train", "visualize": "Visualize", "export": "Export",
         "templates": "Templates", "check": "Check a design", "layers": "Layer catalogue"}  # fmt: skip


@pytest.mark.parametrize("path", list(PAGES))
def test_a_deep_link_after_a_restart_shows_layerloom_navigation_from_the_first_paint(browser, tmp_path, path):
    url, proc, _ = start_server(tmp_path)  # a fresh server: no script has run in it yet
    try:
        ctx = browser.new_context(viewport={"width": 1440, "height": 900})
        page = ctx.new_page()
        page.add_init_script(RECORD)
        page.goto(f"{url}/{path}?design=deep-link")
        page.get_by_test_id("stTopNav").get_by_role("link", name=PAGES[path]).wait_for(timeout=60000)
        # the page itself is drawn: its title, or on Build (the canvas is the page) the canvas
        page.locator("iframe[title='ui.canvas.layerloom_canvas']" if path == "build" else "h1").first.wait_for(
            timeout=60000
        )
        page.wait_for_timeout(500)
        navs = page.evaluate("window.__navs")
        assert navs, "no navigation was ever drawn"
        assert not [n for n in navs if n.startswith("sidebar")], f"Streamlit's file list was shown: {navs}"
        assert "app" not in {s.strip() for n in navs for s in n.split(":", 1)[1].split(",")}, navs
        current = page.get_by_test_id("stTopNav").get_by_role("link", name=PAGES[path])
        assert current.get_attribute("aria-current") == "page"
        main = page.locator("[data-testid=stMainBlockContainer]").bounding_box()
        assert main["width"] > 1000, f"narrow layout ({main['width']:.0f} px): app.py's page config did not apply"
        assert "design=deep-link" in page.url  # the address still names the design
        if path == "train":
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "deep-link-after-restart.png"))
        ctx.close()
    finally:
        proc.terminate()
        proc.wait(10)
