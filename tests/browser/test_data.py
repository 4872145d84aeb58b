"""The Data page in a real browser: a dataset's class balance and samples; a CSV upload, refused then accepted."""

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_journey import node, open_page


def test_upload_a_csv_see_the_error_then_add_it_and_train_on_it(page, tmp_path):
    node(page, "x")
    open_page(page, "Data")
    page.locator(".js-plotly-plot", has_text="Class balance per split").wait_for(timeout=60000)
    page.locator(".js-plotly-plot", has_text="Sample images").wait_for()
    bad = tmp_path / "flowers.csv"
    bad.write_text("petal,sepal,kind\n1.0,2.0,rose\n1.5,oops,tulip\n")
    page.locator("input[type=file]").set_input_files(str(bad))
    page.get_by_text("CSV line 3, column 'sepal': 'oops' is not a number").wait_for(timeout=30000)
    good = tmp_path / "flowers2.csv"
    rows = [f"{i % 7 / 7:.3f},{(i * 3) % 5 / 5:.3f},{'rose' if i % 2 else 'tulip'}" for i in range(60)]
    good.write_text("petal,sepal,kind\n" + "\n".join(rows) + "\n")
    page.locator("input[type=file]").set_input_files(str(good))
    page.get_by_text("flowers2.csv: 60 samples of shape (2,), task classification.").wait_for(timeout=30000)
    page.get_by_role("button", name="Add to the workspace").click()
    page.get_by_text("Added as dataset").wait_for(timeout=30000)
    page.locator(".js-plotly-plot", has_text="The training points").wait_for(timeout=30000)  # its 2-D scatter
    page.get_by_text("Uploaded: 60 samples of shape (2,)").wait_for()
    page.screenshot(path=str(ARTIFACTS / "data-upload.png"), full_page=True)
