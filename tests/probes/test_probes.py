"""Probes: equal to what the model computes (hooks, its own attention weights, nn.LSTM/GRU/RNN outputs)."""

import numpy as np
import pytest
import torch

from builder import build_model, validate
from builder.probes import (
    activation_stats,
    attention_weights,
    decision_boundary,
    embedding_pca,
    feature_maps,
    gan_samples,  # fmt: skip
    reconstructions,
    recurrent_gates,
    weight_stats,
)
from builder.probes.capture import forward_locals
from builder.templates import load_template
from tests.util import layer_design, template_designs


def test_feature_maps_equal_the_forward_pass():
    design = load_template("resnet_mini")
    model = build_model(design, seed=0).eval()
    x = torch.randn(3, 1, 28, 28)
    maps = feature_maps(model, design, x)
    with torch.no_grad():
        values = forward_locals(model, x)
    report = validate(design)
    convs = [n.id for n in design.nodes if n.type in ("Conv2d", "AdaptiveAvgPool2d")]
    assert set(maps) == {"input", *convs}
    for nid in convs:
        assert maps[nid].shape == (3, *report.nodes[nid].shape)
        np.testing.assert_array_equal(maps[nid], values[model.layerloom.attrs[nid]].numpy())
    np.testing.assert_array_equal(maps["input"], x.numpy())


@pytest.mark.parametrize("name", ["self_attention", "transformer_classifier"])
def test_attention_weights_are_the_modules_own_per_head_weights(name):
    design = load_template(name)
    model = build_model(design, seed=0).eval()
    x = torch.randint(0, 50, (2, 40)) if name == "transformer_classifier" else torch.randn(2, 30, 1)
    weights = attention_weights(model, design, x)
    ids = [n.id for n in design.nodes if n.type in ("MultiheadAttention", "TransformerEncoderLayer")]
    assert list(weights) == ids
    for w in weights.values():
        t = x.shape[1]
        assert w.shape == (2, 4, t, t)
        np.testing.assert_allclose(w.sum(-1), 1, atol=1e-5)
    if name == "self_attention":  # recompute by hand: softmax(QKᵀ/√d) per head from the module's projections
        attn = model.attn
        with torch.no_grad():
            h = model.proj(x)
            q, k, _ = torch.nn.functional.linear(h, attn.in_proj_weight, attn.in_proj_bias).chunk(3, -1)
            q, k = (t_.reshape(2, 30, 4, 8).transpose(1, 2) for t_ in (q, k))
            manual = torch.softmax(q @ k.transpose(-1, -2) / 8**0.5, -1)
        np.testing.assert_allclose(weights["attn"], manual.numpy(), atol=1e-5)


@pytest.mark.parametrize("type_name,params", [
    ("LSTM", {"hidden_size": 6, "num_layers": 2, "bidirectional": True}),
    ("LSTM", {"hidden_size": 5}),
    ("LSTM", {"hidden_size": 8, "proj_size": 3, "num_layers": 2}),
    ("GRU", {"hidden_size": 7, "num_layers": 2, "bidirectional": True}),
    ("RNN", {"hidden_size": 4, "num_layers": 2, "nonlinearity": "relu", "bidirectional": True}),
    ("RNN", {"hidden_size": 4}),
])  # fmt: skip
def test_recomputed_gates_reproduce_the_layer(type_name, params):
    design = layer_design(type_name, params, [(9, 3)])
    model = build_model(design, seed=0).eval()
    x = torch.randn(4, 9, 3)
    result = recurrent_gates(model, design, "layer", x)
    with torch.no_grad():
        out, state = model.layer(x)
    layers = params.get("num_layers", 1)
    dirs = 2 if params.get("bidirectional") else 1
    assert result["type"] == type_name and len(result["layers"]) == layers * dirs
    last = result["layers"][-dirs:]
    h = np.concatenate([entry["h"] for entry in last], axis=2)
    np.testing.assert_allclose(h, out.numpy(), atol=1e-5)
    h_n = state[0] if type_name == "LSTM" else state
    for i, entry in enumerate(result["layers"]):  # every layer's final state
        final = entry["h"][:, -1] if entry["direction"] == "forward" else entry["h"][:, 0]
        np.testing.assert_allclose(final, h_n[i].numpy(), atol=1e-5)
        if type_name == "LSTM":
            c_final = entry["c"][:, -1] if entry["direction"] == "forward" else entry["c"][:, 0]
            np.testing.assert_allclose(c_final, state[1][i].numpy(), atol=1e-5)
            for gate in ("input", "forget", "output"):
                assert entry[gate].min() >= 0 and entry[gate].max() <= 1
    names = {"LSTM": {"input", "forget", "cell", "output", "c", "h"}, "GRU": {"reset", "update", "new", "h"},
             "RNN": {"pre", "h"}}[type_name]  # fmt: skip
    assert names <= set(result["layers"][0])


def test_gan_samples_and_the_2d_view():
    design = load_template("gan_2d")
    g, d = build_model(design.networks["generator"], seed=0), build_model(design.networks["discriminator"], seed=1)
    out = gan_samples(g, torch.randn(64, 2), d, real=torch.randn(100, 2), grid=20)
    assert out["samples"].shape == (64, 2) and out["d_prob"].shape == (20, 20) and out["real"].shape == (100, 2)
    assert 0 <= out["d_prob"].min() and out["d_prob"].max() <= 1


def test_stats_probes():
    design = load_template("digits_mlp")
    model = build_model(design, seed=0)
    x = torch.randn(16, 1, 8, 8)
    model(x).sum().backward()
    ws = weight_stats(model, design)
    assert set(ws) == {"fc1", "fc2", "fc3"} and ws["fc1"]["grad_norm"] > 0
    counts, edges = ws["fc1"]["weight_hist"]
    assert counts.sum() == 64 * 128 + 128 and len(edges) == 31
    acts = activation_stats(model, design, x)
    assert set(acts) == {"relu1", "relu2"} and 0 <= acts["relu1"]["dead"] <= 1
    with torch.no_grad():
        model.fc1.bias.fill_(-1e6)  # kill every unit of relu1
    assert activation_stats(model, design, x)["relu1"]["dead"] == 1.0
    pca = embedding_pca(build_model(load_template("textcnn")), "embed")
    assert pca["coords"].shape == (2000, 2) and 0 < pca["explained"].sum() <= 1
    xor = build_model(load_template("mlp_xor"))
    db = decision_boundary(xor, np.random.randn(50, 2), grid=30)
    assert db["probs"].shape == (30, 30, 1)
    ae = build_model(load_template("vae"))
    rec = reconstructions(ae, torch.rand(4, 1, 28, 28), index=2)
    assert rec["output"].shape == (4, 1, 28, 28)


def test_training_publishes_snapshots_in_the_run_log_and_on_disk(tmp_path):
    from builder.train import Run

    run = Run(load_template("lstm_classifier"), {"epochs": 1, "probe_every": 10}, workspace=tmp_path).start()
    assert run.join(120).status == "finished"
    probes = [e for e in run.log.since() if e.kind == "probe"]
    steps = [e.data["step"] for e in probes]
    # every probe_every steps while within the 3% budget, and always one at the end of the last epoch (step 33)
    assert steps and all(s % 10 == 0 for s in steps[:-1]) and steps[0] == 10 and steps[-1] == 33
    gates = probes[-1].payload["gates"]["rnn"]
    assert gates["type"] == "LSTM" and gates["layers"][0]["forget"].shape == (1, 30, 32)
    saved = torch.load(run.run_dir / "probes.pt", weights_only=True)
    assert saved["step"] == steps[-1] and tuple(saved["gates"]["rnn"]["layers"][0]["h"].shape) == (1, 30, 32)
    assert '"kind": "probe"' in (run.run_dir / "events.jsonl").read_text()  # the marker, without the arrays


def test_gan_runs_publish_samples_and_the_discriminator_surface(tmp_path):
    from builder.train import Run

    run = Run(load_template("gan_2d"), {"epochs": 2}, workspace=tmp_path).start()
    assert run.join(120).status == "finished"
    snap = [e for e in run.log.since() if e.kind == "probe"][-1].payload["gan"]
    assert snap["samples"].shape == (64, 2) and snap["d_prob"].shape == (60, 60) and len(snap["real"]) == 500


@pytest.mark.parametrize("label,design", template_designs(), ids=[label for label, _ in template_designs()])
def test_every_template_can_be_probed(label, design):
    from builder.probes.snapshot import Prober
    from tests.util import random_inputs

    model = build_model(design, seed=0)
    (x,) = random_inputs(design, batch=2, vocab=2)
    task = design.metadata.get("task", "classification")
    snap = Prober(model, design, task if task != "gan" else "classification", x, torch.zeros(2)).take(1, 1)
    types = {n.type for n in design.nodes}
    assert "activations" in snap and "norms" in snap
    if types & {"Conv2d", "Conv1d", "MaxPool2d", "AvgPool2d"}:
        assert snap["feature_maps"]
    if types & {"LSTM", "GRU", "RNN"}:
        assert snap["gates"]
    if types & {"MultiheadAttention", "TransformerEncoderLayer"}:
        assert snap["attention"]
