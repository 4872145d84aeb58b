"""AppTest behaviour tests of the app as a whole: the workspace, reloads, training, visualizing and exporting."""

import json
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui.text import plain

ROOT = Path(__file__).resolve().parents[1]


def app(design_id: str | None = None) -> AppTest:
    """A fresh browser session; with ``design_id`` it is a reload of a page whose URL names that design."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    if design_id:
        at.query_params["design"] = design_id
    at.run()
    assert not at.exception, at.exception
    return at


def go(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def load_template(at: AppTest, name: str) -> str:
    at.selectbox(key="build-template").set_value(name)
    at.button(key="load-template").click().run()
    assert not at.exception, at.exception
    return at.session_state["design_id"]


def train(at: AppTest, epochs: int = 1, **settings) -> str:
    go(at, "train")
    at.number_input(key="train-epochs").set_value(epochs)
    for key, value in settings.items():
        at.selectbox(key=f"train-{key}").set_value(value)
    at.button(key="train-start").click().run()
    assert not at.exception, at.exception
    run_id = at.session_state["run_id"]
    from builder.workspace import Workspace

    assert Workspace().live(run_id).join(120)
    info = Workspace().run(run_id)
    assert info.status == "finished", info.end
    at.run()
    return run_id


def chart_points(at: AppTest) -> list[int]:
    """Points per trace of the per-epoch curves on the page."""
    out = []
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        if "per epoch" in spec["layout"]["title"]["text"]:
            out += [len(trace["x"]) for trace in spec["data"]]
    return out


def table(at: AppTest, column: str):
    """The page's dataframe that has ``column``."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_a_template_becomes_a_workspace_design_and_a_reload_brings_it_back(tmp_path):
    at = app()
    first = at.session_state["design_id"]
    design_id = load_template(at, "resnet_mini")
    assert design_id != first and design_id.startswith("resnet_mini-") and at.query_params["design"] == design_id
    assert at.session_state["editor"].design.name == "resnet_mini"
    # an edit through the canvas is autosaved at once
    at.session_state["canvas"] = {
        "seq": 1,
        "nonce": "n1",
        "action": "add",
        "type": "Dropout",
        "position": {"x": 0, "y": 0},
    }
    at.run()
    again = app(design_id)  # the reload: a new session, the same URL
    nodes = [n.id for n in again.session_state["editor"].design.nodes]
    assert (
        "dropout1" in nodes and again.session_state["design_id"] == design_id and again.selectbox(key="build-template")
    )


def test_new_duplicate_and_my_designs(tmp_path):
    at = app()
    a = load_template(at, "lenet5")
    at.button(key="duplicate-design").click().run()
    b = at.session_state["design_id"]
    assert b != a and at.session_state["editor"].design.name == "lenet5-copy"
    at.button(key="new-design").click().run()
    assert len(at.session_state["editor"].design.nodes) == 2
    at.selectbox(key="my-designs").set_value(a).run()
    assert (
        not at.exception and at.session_state["design_id"] == a and at.session_state["editor"].design.name == "lenet5"
    )


def test_unknown_or_malformed_design_ids_in_the_url_start_a_new_design_and_say_so(tmp_path):
    from builder.workspace import Workspace

    at = app("../../etc/passwd")
    assert at.session_state["design_id"] != "../../etc/passwd" and not at.exception
    ws = Workspace()
    ws.designs_dir.mkdir(parents=True, exist_ok=True)
    (ws.designs_dir / "broken-1.json").write_text('{"version": 1, "nodes": [{"id": 1}]}')
    at = app("broken-1")
    assert at.session_state["design_id"] != "broken-1"
    assert any("$.nodes[0].id" in plain(e.value) for e in at.error)


def test_training_from_the_train_page_grows_the_curves_and_survives_a_reload():
    at = app()
    design_id = load_template(at, "digits_mlp")
    go(at, "train")
    assert any("press Start" in i.value for i in at.info)
    run_id = train(at, epochs=3)
    points = chart_points(at)
    assert points and max(points) == 3  # train and val curves, one point per epoch
    assert any("test accuracy" in m.label for m in at.metric)
    per_class = table(at, "recall")
    assert list(per_class.columns) == ["class", "precision", "recall", "f1", "support"] and len(per_class) == 10
    # a reload (a fresh session on the same URL) finds the run and its curves on disk
    again = go(app(design_id), "train")
    history = table(again, "optimizer")
    assert list(history["run"]) == [run_id] and history.loc[0, "status"] == "finished"
    assert max(chart_points(again)) == 3 and any(
        "Run finished" in s.value or "finished" in s.value for s in again.success
    )
    assert again.session_state["editor"].design.training["epochs"] == 3  # the form's settings came back too


def test_optimizer_overlay_and_two_sessions_see_only_their_own_runs():
    a, b = app(), app()
    da, db = load_template(a, "mlp_xor"), load_template(b, "digits_mlp")
    for opt in ("sgd", "adam"):
        train(a, epochs=2, optimizer=opt)
    train(b, epochs=1)
    history_a = table(go(a, "train"), "optimizer")
    assert sorted(history_a["optimizer"]) == ["Adam", "SGD"]
    overlay = a.multiselect(key="train-overlay-2")
    assert len(overlay.value) == 2
    spec = json.loads(a.get("plotly_chart")[-1].proto.spec)
    assert sorted(t["name"].split(" ")[0] for t in spec["data"]) == ["Adam", "SGD"]
    assert all(" · finished · " in t["name"] for t in spec["data"])  # the runs' real status, not "running"
    history_b = table(go(b, "train"), "optimizer")
    assert len(history_b) == 1 and history_b.loc[0, "dataset"] == "digits"
    assert a.session_state["design_id"] == da and b.session_state["design_id"] == db


def test_visualize_shows_feature_maps_of_a_finished_cnn_run_and_export_writes_verified_files():
    at = app()
    load_template(at, "digits_cnn")
    go(at, "visualize")
    assert any("No runs of this design yet" in i.value for i in at.info)
    run_id = train(at, epochs=1)
    go(at, "visualize")
    assert at.selectbox(key="viz-run").value == run_id
    assert [t.label for t in at.tabs][:1] == ["Feature maps"]
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert "Feature maps of" in spec["layout"]["title"]["text"]
    assert any("filter" in c.value for c in at.caption)  # the explanation for learners
    go(at, "export")
    assert at.selectbox(key="export-weights").value.run_id == run_id
    at.button(key="export-go").click().run()
    assert not at.exception, at.exception
    labels = [d.label for d in at.get("download_button")]
    assert {"model.py", "model.pt", "model.onnx", "train.py", "data.npz"} <= set(labels)  # train.py's data beside it
    names = {d.proto.label: d.proto.url for d in at.get("download_button")}
    assert all(names.values())  # the files are served; their names are the labels (checked in the browser)
    from ui.export_view import best_metric

    assert best_metric(at.selectbox(key="export-weights").value).startswith("best val loss ")
    assert any("ONNX verified with onnxruntime" in s.value for s in at.success)
    assert any("class DigitsCnn(nn.Module)" in c.value for c in at.code)
    from builder import tensorboard

    try:
        at.button(key="export-tensorboard").click().run()
        assert not at.exception and not at.error
        (link,) = at.get("link_button")
        url = link.proto.url
        assert url.startswith("http://127.0.0.1:")
        import urllib.request

        assert urllib.request.urlopen(url, timeout=10).status == 200  # TensorBoard answers on the run's logs
    finally:
        tensorboard.stop_all()


def test_a_gan_design_is_edited_network_by_network_trained_and_visualized():
    at = app()
    load_template(at, "gan_2d")
    assert at.radio(key="network").options == ["generator", "discriminator"]
    at.radio(key="network").set_value("discriminator").run()
    assert not at.exception and at.session_state["editor"].view.name.endswith("discriminator")
    train(at, epochs=2)
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    gan = next(c for c in charts if "g_loss and d_loss" in c["layout"]["title"]["text"])  # its own overlay
    assert [t["name"].rsplit(" · ", 1)[1] for t in gan["data"]] == ["g_loss", "d_loss"]
    go(at, "visualize")
    assert [t.label for t in at.tabs] == ["GAN samples"]
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert [t["name"] for t in spec["data"] if "name" in t] == ["real", "generated"]


def test_the_data_page_describes_a_dataset_and_sends_it_to_the_train_form():
    at = go(app(), "data")
    at.selectbox(key="data-choice").set_value("wine").run()
    assert not at.exception
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["title"]["text"] == "Class balance per split" and len(spec["data"]) == 3
    assert any("does not fit" in w.value for w in at.warning)  # the blank 28x28 design vs 13 features
    at.button(key="data-use").click().run()
    assert at.session_state["editor"].design.training["dataset"] == "wine"
    go(at, "train")
    assert at.selectbox(key="train-dataset").value == "wine"
    for name in ("digits", "moons", "sine", "sentiment", "diabetes"):
        go(at, "data").selectbox(key="data-choice").set_value(name).run()
        assert not at.exception, (name, at.exception)
        assert at.get("plotly_chart") or at.dataframe, name


def test_the_gallery_opens_a_template_on_the_canvas_as_a_new_design():
    at = go(app(), "templates")
    at.selectbox(key="template").set_value("googlenet").run()
    at.button(key="template-open").click().run()
    assert not at.exception, at.exception
    assert at.selectbox(key="build-template") and at.session_state["editor"].design.name == "googlenet"
    assert at.session_state["design_id"].startswith("googlenet-")


def test_stop_then_continue_a_run_from_the_train_page():
    at = app()
    design_id = load_template(at, "digits_mlp")
    go(at, "train")
    at.number_input(key="train-epochs").set_value(400)
    at.button(key="train-start").click().run()
    from builder.workspace import Workspace

    ws = Workspace()
    run = ws.live(at.session_state["run_id"])
    deadline = time.time() + 60
    while not (run.run_dir / "last.pt").exists() and time.time() < deadline:
        time.sleep(0.05)
    at.button(key="train-stop").click().run()
    assert not at.exception, at.exception
    info = ws.runs(design_id)[0]
    assert info.status == "stopped" and 1 <= len(info.epochs) < 400
    assert any("stopped by the user after" in s.value for s in at.success)
    at.selectbox(key="continue").set_value(info.run_id)
    at.button(key="train-continue").click().run()
    resumed = ws.live(info.run_id)
    assert resumed is not run and resumed.join(120) and ws.run(info.run_id).status == "finished"
    after = ws.run(info.run_id)
    assert [e["epoch"] for e in after.epochs][-1] == 400 and after.status == "finished"


@pytest.mark.parametrize(
    ("template", "tab", "title"),
    [
        ("mlp_xor", "Decision boundary", "Decision boundary"),
        ("lstm_classifier", "Gates", "LSTM gates"),
        ("transformer_classifier", "Attention", "Attention of"),
        ("vae", "Reconstructions", "Reconstructions"),
        ("textcnn", "Embeddings", "Embedding vectors"),
    ],
)
def test_visualize_shows_the_view_each_kind_of_network_has(template, tab, title):
    at = app()
    load_template(at, template)
    train(at, epochs=1)
    go(at, "visualize")
    labels = [t.label for t in at.tabs]
    assert tab in labels and "Weights & gradients" in labels, labels
    charts = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert any(title in t for t in charts), charts


def test_compare_optimizers_trains_the_six_and_overlays_them():
    at = app()
    design_id = load_template(at, "mlp_xor")
    go(at, "train")
    at.number_input(key="train-epochs").set_value(3)
    at.button(key="train-compare").click().run()
    assert not at.exception, at.exception
    sequence = at.session_state["sequence"]
    sequence.join(240)
    from builder.workspace import Workspace

    assert not sequence.alive and all(Workspace().run(r.run_id).status == "finished" for r in sequence.runs)
    at.run()

    runs = Workspace().runs(design_id)
    assert len(runs) == 6 and all(len(r.epochs) == 3 for r in runs)
    assert sorted(table(at, "optimizer")["optimizer"]) == sorted(["SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp",
                                                                  "Adam"])  # fmt: skip
    spec = json.loads(at.get("plotly_chart")[-1].proto.spec)
    names = {t["name"].split(" ")[0] for t in spec["data"]}
    assert names == {"SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam"}
    assert {r.config["lr"] for r in runs} == {0.01, 0.001} and {r.config["momentum"] for r in runs} == {0.0, 0.9}


def test_damaged_run_files_and_uploads_are_shown_as_damaged_and_every_page_still_works():
    import numpy as np

    from builder.data.uploads import register_upload
    from builder.workspace import Workspace

    at = app()
    design_id = load_template(at, "digits_mlp")
    cut, broken = train(at, epochs=1), train(at, epochs=1)
    ws = Workspace()
    events = ws.runs_dir / cut / "events.jsonl"
    events.write_text(events.read_text()[:-30])  # the last line cut short
    (ws.runs_dir / cut / "probes.pt").write_bytes(b"PK\x03\x04 truncated")
    (ws.runs_dir / broken / "run.json").write_text("[]")
    parsed = {"x": np.random.rand(6, 2).astype(np.float32), "y": np.arange(6) % 2, "task": "classification",
              "classes": ["a", "b"]}  # fmt: skip
    register_upload("cut-upload", parsed, workspace=ws.root)
    path = ws.root / "data" / "uploads" / "cut-upload.npz"
    path.write_bytes(path.read_bytes()[:100])
    from builder.data import DATASETS

    DATASETS.pop("upload:cut-upload", None)
    again = app(design_id)  # the runs are read back from disk
    for page in ("train", "visualize", "export", "data", "build"):
        go(again, page)
    go(again, "train")
    assert any("events.jsonl line" in plain(w.value) and "damaged" in plain(w.value) for w in again.warning)
    go(again, "visualize")
    again.selectbox(key="viz-run").set_value(cut).run()
    assert not again.exception and any("probes.pt of run" in plain(w.value) for w in again.warning)
    go(again, "data")
    assert any("cut-upload.npz is damaged" in plain(w.value) for w in again.warning)


def test_markup_in_a_design_name_reaches_the_page_escaped():
    from builder.templates import load_template as template
    from builder.workspace import Workspace

    design = template("lenet5")
    design.name = "![m](http://127.0.0.1:9/x) **bold**"
    Workspace().save("markup-2", design)
    at = app("markup-2")
    go(at, "train")
    caption = next(c.value for c in at.caption if "Design" in c.value)
    assert "\\!\\[m\\]\\(http\\:\u200b//127\\.0\\.0\\.1\\:9/x\\) \\*\\*bold\\*\\*" in caption


def test_a_first_visit_explains_the_pages_until_dismissed_and_the_help_stays_one_click_away():
    at = app()
    text = " ".join(m.value for m in at.sidebar.markdown)
    assert "Welcome to LayerLoom" in text and all(p in text for p in ("**Build**", "**Data**", "**Train**",
                                                                      "**Visualize**", "**Export**"))  # fmt: skip
    assert not [m for m in at.main.markdown if "Welcome" in m.value]  # in the sidebar: the page does not move
    at.button(key="help-dismiss").click().run()
    assert not at.exception and at.session_state["help-dismissed"]
    again = app()
    load_template(again, "lenet5")  # once a design is saved, a new tab goes straight to work
    later = app()
    assert "How LayerLoom works" in [h.value for h in later.sidebar.subheader]  # one click away: open the sidebar
    assert "**Build**" in " ".join(m.value for m in later.sidebar.markdown)
    assert "Welcome to LayerLoom" not in " ".join(m.value for m in later.sidebar.markdown)


def test_runs_are_renamed_and_deleted_and_a_design_goes_with_its_runs_after_a_confirmation():
    from builder.workspace import Workspace

    at = app()
    design_id = load_template(at, "mlp_xor")
    first, second = train(at, epochs=1), train(at, epochs=1)
    go(at, "train")
    at.selectbox(key="train-manage-run").set_value(first).run()
    at.text_input(key=f"train-title-{first}").set_value("my first try").run()
    at.button(key="train-rename-run").click().run()
    assert not at.exception
    history = table(at, "optimizer")
    assert history.set_index("run").loc[first, "name"] == "my first try"
    # deleting asks first; Cancel keeps the run
    at.selectbox(key="train-manage-run").set_value(second).run()
    at.button(key="train-delete-run").click().run()
    assert any("cannot be undone" in m.value for m in at.markdown)
    at.button(key="delete-run-cancel").click().run()
    assert {r.run_id for r in Workspace().runs(design_id)} == {first, second}
    at.selectbox(key="train-manage-run").set_value(second).run()
    at.button(key="train-delete-run").click().run()
    at.button(key="delete-run-confirm").click().run()
    assert not at.exception and [r.run_id for r in Workspace().runs(design_id)] == [first]
    # the design: its delete names how many runs go with it, and a new design opens
    go(at, "build")
    at.button(key="delete-design").click().run()
    assert any("its 1 run" in m.value for m in at.markdown)
    at.button(key="delete-design-confirm").click().run()
    assert not at.exception
    assert not Workspace().has(design_id) and Workspace().runs(design_id) == []
    assert at.session_state["design_id"] != design_id and at.query_params["design"] == at.session_state["design_id"]
