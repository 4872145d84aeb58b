"""Streamlit AppTest smoke and behaviour tests for every page."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from builder import validate
from ui.text import plain

ROOT = Path(__file__).resolve().parents[1]


def app():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def templates_page():
    at = app()
    at.switch_page("pages/templates.py").run()
    assert not at.exception, at.exception
    return at


def test_templates_page_shows_a_template_with_its_report():
    at = templates_page()
    assert at.title[0].value == "LayerLoom"
    assert at.selectbox(key="template").value == "lenet5"
    assert [m.value for m in at.metric][:2] == ["14", "61.71 k"]
    table = at.dataframe[0].value
    assert list(table["node"])[:2] == ["x", "conv1"] and table.loc[1, "output shape"] == "(N, 6, 28, 28)"
    assert at.success and not at.error
    assert any("class Lenet5(nn.Module)" in c.value for c in at.code)


def test_choosing_resnet18_shows_its_exact_parameter_count():
    at = templates_page()
    at.selectbox(key="template").set_value("resnet18").run()
    assert not at.exception
    assert at.metric[1].value == "11.69 M" and "11,689,512" in at.metric[1].help


@pytest.mark.parametrize("page", sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py")))
def test_every_page_loads(page):
    at = app()
    at.switch_page(page).run()
    assert not at.exception, at.exception


def test_check_page_reports_a_bad_design_by_node_and_a_malformed_one_by_json_path():
    at = app()
    at.switch_page("pages/check.py").run()
    bad = (
        (ROOT / "assets/templates/lenet5.json")
        .read_text()
        .replace('"kernel_size": 5, "padding": 2', '"kernel_size": 50')
    )
    at.text_area(key="check-text").set_value(bad).run()
    assert not at.exception
    assert any("Conv2d 'conv1': kernel_size=50 is larger than its input height 28" in plain(e.value) for e in at.error)
    at.text_area(key="check-text").set_value('{"version": 1, "nodes": [{"id": 1}]}').run()
    assert any("$.nodes[0].id" in plain(e.value) for e in at.error)


def test_layer_catalogue_search_filters():
    at = app()
    at.switch_page("pages/layers.py").run()
    at.text_input(key="layer-search").set_value("lstm").run()
    labels = [e.label for e in at.expander]
    assert "LSTM" in labels and "Conv2d" not in labels


def test_build_page_is_the_start_page_and_applies_canvas_actions():
    at = app()
    assert at.selectbox(key="build-template").label == "Template"  # the start page is Build (its design bar)
    canvas = at.get("component_instance")[0] if at.get("component_instance") else None
    assert canvas is not None and at.session_state["editor"].design.nodes[0].id == "x"
    # fake the browser: the canvas sends an action, Python applies and validates it on the next run
    at.session_state["canvas"] = {
        "seq": 1,
        "nonce": "a",
        "action": "add",
        "type": "Flatten",
        "position": {"x": 1, "y": 2},
    }
    at.run()
    design = at.session_state["editor"].design
    assert [n.id for n in design.nodes] == ["x", "out", "flatten1"]
    at.session_state["canvas"] = {"seq": 2, "nonce": "b", "action": "connect", "source": "x", "target": "flatten1"}
    at.run()
    at.session_state["canvas"] = {"seq": 3, "nonce": "c", "action": "connect", "source": "flatten1", "target": "out"}
    at.run()
    assert not at.exception and any("Valid: every shape fits." in s.value for s in at.success)
    at.session_state["canvas"] = {"seq": 4, "nonce": "d", "action": "connect", "source": "out", "target": "x"}
    at.run()
    assert "cannot connect" in at.session_state["canvas-message"]  # shown in the canvas's toolbar


def test_node_form_handles_every_parameter_kind():
    from builder.templates import load_template

    at = app()
    ed = at.session_state["editor"]
    ed.replace(load_template("transformer_classifier"))
    for node in ("encoder1", "embed", "posenc", "fc"):
        ed.selected = node
        at.run()
        assert not at.exception, (node, at.exception)
    ed.replace(load_template("lenet5"))
    for node in ("conv1", "pool1", "act1", "fc1", "x"):
        ed.selected = node
        at.run()
        assert not at.exception, (node, at.exception)


def test_the_canvas_last_action_is_never_replayed_on_the_next_design():
    at = app()
    at.session_state["canvas"] = {"seq": 1, "nonce": "del-x", "action": "delete", "nodes": ["x"]}
    at.run()
    assert [n.id for n in at.session_state["editor"].design.nodes] == ["out"]
    at.selectbox(key="build-template").set_value("alexnet")
    at.button(key="load-template").click().run()  # the canvas still returns the delete until its next action
    design = at.session_state["editor"].design
    assert not at.exception and "x" in {n.id for n in design.nodes} and validate(design).valid
    from builder.workspace import Workspace

    saved = Workspace().load(at.session_state["design_id"])
    assert any(n.type == "Input" for n in saved.nodes)  # and it was saved whole
    at.session_state["canvas"] = {"seq": 2, "nonce": "undo-1", "action": "undo"}
    at.run()
    at.selectbox(key="build-template").set_value("perceptron_xor")
    at.button(key="load-template").click().run()
    assert (
        "canvas-message" not in at.session_state or not at.session_state["canvas-message"]
    )  # no replayed undo ("nothing to undo") on the new design


def test_the_train_page_draws_the_learning_rate_the_chosen_schedule_gives_each_epoch():
    import json

    at = app()
    at.switch_page("pages/train.py").run()
    at.selectbox(key="train-schedule").set_value("step").run()
    at.number_input(key="train-epochs").set_value(6).run()
    at.number_input(key="train-step_size").set_value(2).run()
    chart = next(json.loads(c.proto.spec) for c in at.get("plotly_chart")
                 if "learning rate by epoch" in json.loads(c.proto.spec)["layout"]["title"]["text"])  # fmt: skip
    lr = at.number_input(key="train-lr").value
    assert chart["data"][0]["y"] == pytest.approx([lr, lr, lr * 0.1, lr * 0.1, lr * 0.01, lr * 0.01])
    at.selectbox(key="train-schedule").set_value("plateau").run()
    assert not at.exception and any("known only as the run goes" in c.value for c in at.caption)


def test_an_export_file_too_big_to_serve_is_named_by_its_path(tmp_path, monkeypatch):
    """A download button holds the file in the server's memory: past MAX_DOWNLOAD the page names the path."""
    from streamlit.testing.v1 import AppTest

    from builder.export.bundle import export_bundle
    from builder.templates import load_template

    bundle = export_bundle(load_template("digits_mlp"), tmp_path, onnx=False)

    def page():
        import streamlit as st

        from ui import export_view

        export_view.MAX_DOWNLOAD = 100 * 1024  # data.npz of the digits is ~460 kB
        export_view.downloads(st.session_state["bundle"], key="t")

    at = AppTest.from_function(page)
    at.session_state["bundle"] = bundle
    at.run()
    assert not at.exception, at.exception
    labels = [d.label for d in at.get("download_button")]
    assert "train.py" in labels and "data.npz" not in labels
    assert any("too big to download here" in c.value and str(bundle.files["data.npz"]) in c.value for c in at.caption)


def lessons_page():
    at = app()
    at.switch_page("pages/lessons.py").run()
    assert not at.exception, at.exception
    return at


def test_lessons_page_shows_a_lesson_with_its_formula_designs_and_exercise():
    at = lessons_page()
    assert at.title[0].value == "Lessons" and at.header[0].value == "1. Perceptron vs MLP on XOR"
    assert any("w \\cdot x + b" in m.value for m in at.markdown)  # the formula, for the app's LaTeX
    assert {b.label for b in at.button} >= {"Open Perceptron on XOR", "Open MLP on XOR", "Check my design"}
    assert "adding one hidden layer" in at.info[0].value
    (link,) = [x.proto for x in at.get("page_link")]  # the step-through view, one click away, on this tab's design
    assert (link.label, link.page) == ("Follow one sample", "visualize")
    assert link.query_string == f"design={at.session_state['design_id']}&view=follow"
    at.selectbox(key="lesson-en").set_value("gradients").run()
    assert not at.exception and at.header[0].value == "2. Activations and vanishing gradients"
    assert at.query_params["lesson"] == ["gradients"] or at.query_params["lesson"] == "gradients"


def test_the_optimizer_lesson_redraws_the_paths_for_the_learners_sgd_rate():
    at = lessons_page()
    at.selectbox(key="lesson-en").set_value("optimizers").run()
    table = at.dataframe[0].value
    slow = float(table.set_index("optimizer").loc["SGD", "distance to ★"])
    at.number_input(key="lesson-sgd-lr").set_value(0.19).run()
    assert not at.exception
    table = at.dataframe[0].value.set_index("optimizer")
    assert float(table.loc["SGD", "distance to ★"]) < slow  # a larger rate moves plain SGD along the floor faster
    assert table.loc["SGD", "diverged"] == ""
    at.number_input(key="lesson-sgd-lr").set_value(0.5).run()  # past 2 / curvature (0.2) it diverges
    assert at.dataframe[0].value.set_index("optimizer").loc["SGD", "diverged"] == "yes"


def test_opening_a_lesson_design_makes_it_the_lessons_design(tmp_path, monkeypatch):
    from builder.lessons.progress import Progress

    monkeypatch.setenv("LAYERLOOM_WORKSPACE", str(tmp_path))
    at = lessons_page()
    next(b for b in at.button if b.label == "Open Perceptron on XOR").click().run()
    assert not at.exception
    design_id = at.session_state["design_id"]
    assert design_id.startswith("perceptron_xor") and Progress.open(tmp_path).design("xor") == design_id


def test_a_lesson_check_trains_as_a_job_while_the_page_stays_live(tmp_path, monkeypatch):
    import time

    from builder.lessons.progress import Progress

    monkeypatch.setenv("LAYERLOOM_WORKSPACE", str(tmp_path))
    at = lessons_page()
    next(b for b in at.button if b.label == "Open MLP on XOR").click().run()
    at.switch_page("pages/lessons.py").run()
    at.button(key="lesson-check").click().run()
    assert not at.exception, at.exception
    assert at.button(key="lesson-check").disabled  # one check at a time
    assert any("Training and judging your design" in i.value for i in at.info)  # the page is drawn, not blocked
    for _ in range(240):  # the fragment polls every second in a browser; here each run() is one poll
        if at.success or at.error:
            break
        time.sleep(0.5)
        at.run()
        assert not at.exception, at.exception
    assert at.success and "Passed" in at.success[0].value, [e.value for e in at.error]
    assert not at.button(key="lesson-check").disabled
    assert Progress.open(tmp_path).passed("xor")


def test_a_share_link_opens_a_copy_of_its_design_on_its_lesson(tmp_path, monkeypatch):
    from builder.share import encode
    from builder.templates import load_template

    monkeypatch.setenv("LAYERLOOM_WORKSPACE", str(tmp_path))
    design = load_template("perceptron_xor")
    design.name = "my perceptron"
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["share"] = encode(design, "xor")
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["editor"].design.name == "my perceptron"
    assert (tmp_path / "designs" / f"{at.session_state['design_id']}.json").is_file()  # a copy in this workspace
    assert "share" not in at.query_params and at.session_state["lesson-shown"] == "xor"
    broken = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    broken.query_params["share"] = "1.garbage*"
    broken.run()
    assert not broken.exception and "could not be opened" in plain(broken.error[0].value)


def test_the_lessons_page_in_chinese():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = "zh"
    at.run()
    at.switch_page("pages/lessons.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "课程" and at.header[0].value == "1. 感知机与多层感知机：XOR 问题"
    assert any("感知机" in m.value for m in at.markdown)
    assert {b.label for b in at.button} >= {"打开 Perceptron on XOR", "检查我的设计"}


def test_the_train_page_offers_fine_tuning_for_a_design_with_weights():
    import os

    import torch

    from builder.plan import plan
    from builder.templates import load_template
    from builder.workspace import Workspace

    ws = Workspace(os.environ["LAYERLOOM_WORKSPACE"])
    design = load_template("digits_mlp")
    design.node("fc3").params["out_features"] = 12  # pretrained for another dataset's 12 classes
    design.weights = {k: torch.zeros_like(v) for k, v in plan(design).initial_model(0).state_dict().items()}
    design_id = ws.new_id("pretrained")
    ws.save(design_id, design)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["design"] = design_id
    at.run()
    at.switch_page("pages/train.py").run()
    assert not at.exception, at.exception
    text = next(plain(m.value) for m in at.markdown if "Fine-tuning" in m.value)
    assert f"{design_id}.pt" in text and "0 layer(s) frozen" in text
    assert at.number_input(key="train-pretrained_lr").value == 1.0
    at.button(key="train-new-head").click().run()
    assert not at.exception, at.exception
    assert at.session_state["editor"].design.node("fc3").params["out_features"] == 10
    assert ws.load(design_id).node("fc3").params["out_features"] == 10  # saved at once


def _follow_page(template: str):
    import os

    from builder.templates import load_template
    from builder.workspace import Workspace

    ws = Workspace(os.environ["LAYERLOOM_WORKSPACE"])
    design_id = ws.new_id(template)
    ws.save(design_id, load_template(template))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["design"] = design_id
    at.run()
    at.switch_page("pages/visualize.py").run()
    at.button_group(key="view").set_value("follow").run()  # (the link ?view=follow: tests/browser/test_follow.py)
    assert not at.exception, at.exception
    return at


def test_following_one_sample_steps_through_the_real_numbers():
    import numpy as np

    from builder.data import load_dataset
    from builder.plan import plan
    from builder.probes.follow import follow
    from builder.templates import load_template

    at = _follow_page("mlp_xor")
    assert at.selectbox(key="follow-weights").value is None  # no runs: the untrained model, seed 0
    step = at.selectbox(key="follow-node")
    assert step.label == "Step 1 of 5" and step.value == "x"
    p = plan(load_template("mlp_xor"))
    data = load_dataset("xor", **p.design.training.get("dataset_options", {}))
    want = follow(p, p.new_model(0), data.x_val[0])
    at.button(key="follow-next").click().run()
    assert at.selectbox(key="follow-node").value == "hidden"
    table = at.dataframe[0].value
    assert list(table.columns) == ["unit", "w·x + b", "z"] and len(table) == 8
    np.testing.assert_allclose(table["z"], want.step("hidden").value, rtol=1e-5)
    assert "×" in table.loc[0, "w·x + b"]
    at.button(key="follow-next").click().run()  # the activation: each unit's input and output
    table = at.dataframe[0].value
    np.testing.assert_allclose(np.tanh(table["input"]), table["output"], rtol=1e-5)
    at.selectbox(key="follow-node").set_value("logit").run()
    assert at.button(key="follow-next").disabled and "Predicted class" in " ".join(c.value for c in at.caption)
    at.number_input(key="follow-sample").set_value(7).run()  # another sample: followed again
    assert not at.exception, at.exception
    assert float(at.metric[0].value) == pytest.approx(float(follow(p, p.new_model(0), data.x_val[7]).step("logit").value[0]), abs=1e-3)  # fmt: skip


def test_following_a_gan_generator_uses_seeded_noise():
    at = _follow_page("gan_2d")
    assert at.radio(key="follow-network").value == "generator"
    assert any("seeded random noise" in c.value for c in at.caption)
    assert at.selectbox(key="follow-node").label.startswith("Step 1 of")
