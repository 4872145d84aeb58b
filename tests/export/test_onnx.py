"""ONNX export: every template exports and verifies at another batch size; problems are named up front."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from builder import Edge, Node, build_model, export_onnx
from builder.export import ExportError, onnx_problems
from builder.templates import load_template
from tests.export.stress import hostile_design, wide_design
from tests.test_registry import all_cases
from tests.util import layer_design, template_designs

DESIGNS = template_designs()
SEQUENCE_TEMPLATES = {"rnn_classifier", "lstm_classifier", "bilstm_classifier", "gru_classifier", "lstm_forecaster",
                      "gru_forecaster", "textcnn", "self_attention", "transformer_classifier"}  # fmt: skip


@pytest.mark.parametrize("label,design", DESIGNS, ids=[label for label, _ in DESIGNS])
def test_every_template_exports_verified(label, design, tmp_path):
    r = export_onnx(design, tmp_path / "m.onnx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]  # one file, no external .data
    assert r.max_abs_diff <= 1e-4 and r.verified_batches == [3] and r.traced_batch == 2
    proto = onnx.load(str(tmp_path / "m.onnx"))
    onnx.checker.check_model(proto, full_check=True)
    meta = {p.key: p.value for p in proto.metadata_props}
    assert meta["layerloom.design_name"] == design.name and meta["layerloom.version"]
    inputs = sorted(n.id for n in design.nodes if n.type == "Input")
    assert [i.name for i in proto.graph.input] == inputs
    assert [o.name for o in proto.graph.output] == sorted(n.id for n in design.nodes if n.type == "Output")
    assert all(r.dynamic_axes[name][0] == "batch" for name in r.dynamic_axes)
    if label in SEQUENCE_TEMPLATES:
        assert r.dynamic_axes[inputs[0]][1] == "length" and r.verified_lengths


def test_exported_file_runs_at_any_batch_and_length_in_onnxruntime(tmp_path):
    design = load_template("bilstm_classifier")
    export_onnx(design, tmp_path / "m.onnx")
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    model = build_model(design, seed=0).eval()
    for batch, length in ((1, 30), (7, 12), (5, 45)):
        x = torch.randn(batch, length, 1)
        (got,) = session.run(None, {"x": x.numpy()})
        with torch.no_grad():
            np.testing.assert_allclose(got, model(x).numpy(), rtol=1e-4, atol=1e-5)


def test_weights_are_exported(tmp_path):
    design = load_template("digits_cnn")
    trained = build_model(design, seed=5)
    for p in trained.parameters():
        p.data.mul_(1.5)
    torch.save(trained.state_dict(), tmp_path / "w.pt")
    export_onnx(design, tmp_path / "m.onnx", weights=tmp_path / "w.pt")
    x = torch.randn(4, 1, 8, 8)
    (got,) = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"]).run(
        None, {"x": x.numpy()}
    )
    with torch.no_grad():
        np.testing.assert_allclose(got, trained.eval()(x).numpy(), rtol=1e-4, atol=1e-5)


def test_layers_that_cannot_export_are_named_before_any_work(tmp_path):
    design = layer_design("LSTM", {"hidden_size": 8, "proj_size": 3}, [(5, 4)])
    design.nodes.append(Node("pool", "AdaptiveAvgPool1d", {"output_size": 3}))
    design.edges.append(Edge("in0", "pool"))
    problems = onnx_problems(design)
    assert [p[0] for p in problems] == ["layer"]  # the pool is on no path to the Output
    with pytest.raises(ExportError) as e:
        export_onnx(design, tmp_path / "m.onnx")
    assert "LSTM 'layer': ONNX has no LSTM with projections. Set proj_size=0" in str(e.value)
    assert not list(tmp_path.iterdir())
    conv = layer_design("Conv2d", {"kernel_size": 3, "padding": "same", "dilation": 2})
    assert "set padding=[2, 2]" in onnx_problems(conv)[0][1]
    bn = layer_design("BatchNorm2d", {"track_running_stats": False})
    assert "track_running_stats=true" in onnx_problems(bn)[0][1]


def test_inputs_unused_in_eval_mode_are_reported(tmp_path):
    design = layer_design("Reparameterize", {}, [(4,), (4,)])
    r = export_onnx(design, tmp_path / "m.onnx")
    assert r.dropped_inputs == ["in1"] and r.max_abs_diff == 0.0


@pytest.mark.parametrize("make", [wide_design, hostile_design], ids=["wide", "hostile"])
def test_odd_designs_export_with_their_node_ids_as_names(make, tmp_path):
    design = make()
    r = export_onnx(design, tmp_path / "m.onnx")
    proto = onnx.load(str(tmp_path / "m.onnx"))
    assert [o.name for o in proto.graph.output] == r.outputs == sorted(n.id for n in design.nodes if n.type == "Output")


def test_invalid_design_is_refused(tmp_path):
    design = load_template("lenet5")
    design.node("conv1").params["kernel_size"] = 99
    with pytest.raises(Exception, match="kernel_size=99"):
        export_onnx(design, tmp_path / "m.onnx")


@pytest.mark.parametrize("type_name,params,inputs,dtype", all_cases())
def test_every_layer_case_exports_verified_or_is_named_up_front(type_name, params, inputs, dtype, tmp_path):
    design = layer_design(type_name, params, inputs, dtype)
    problems = onnx_problems(design)
    if problems:
        with pytest.raises(ExportError, match=type_name):
            export_onnx(design, tmp_path / "m.onnx")
        return
    r = export_onnx(design, tmp_path / "m.onnx")
    assert r.max_abs_diff <= 1e-4
