"""Figures: the data they plot and the labels a learner reads, not just that a figure exists."""

import numpy as np
import torch

from builder import build_model, figures
from builder.probes import attention_weights, decision_boundary, feature_maps, recurrent_gates, weight_stats
from builder.templates import load_template
from tests.util import layer_design


def test_feature_map_grid_shows_the_input_and_each_channel():
    design = load_template("lenet5")
    model = build_model(design, seed=0)
    maps = feature_maps(model, design, torch.rand(2, 1, 28, 28))
    fig = figures.feature_map_grid(maps, "conv1", sample=1)
    assert len(fig.data) == 7  # the input + 6 channels
    np.testing.assert_allclose(np.asarray(fig.data[0].z), maps["input"][1, 0][::-1])
    np.testing.assert_allclose(np.asarray(fig.data[3].z), maps["conv1"][1, 2][::-1])
    titles = [a.text for a in fig.layout.annotations]
    assert titles[:3] == ["input", "channel 0", "channel 1"] and "conv1" in fig.layout.title.text


def test_attention_heatmaps_one_per_head_with_axis_labels():
    design = load_template("transformer_classifier")
    w = attention_weights(build_model(design, seed=0), design, torch.randint(1, 50, (1, 40)))
    tokens = [f"t{i}" for i in range(40)]
    fig = figures.attention_heatmaps(w["encoder1"], "encoder1", tokens=tokens)
    assert len(fig.data) == 4 and list(fig.data[0].x) == tokens
    np.testing.assert_allclose(np.asarray(fig.data[2].z), w["encoder1"][0, 2])
    assert fig.layout.xaxis.title.text == "key" and fig.layout.yaxis.title.text == "query"
    assert fig.layout.yaxis2.title.text is None  # only the first column says "query": no overlap with the next head
    for h in range(4):  # each head on 0 to its own max, said in its title beside the uniform level
        assert fig.data[h].zmin == 0 and fig.data[h].zmax == float(w["encoder1"][0, h].max())
        assert fig.layout.annotations[h].text == f"head {h} · max {w['encoder1'][0, h].max():.2f}"
    assert "uniform attention would be 1/40 = 0.03 everywhere" in fig.layout.title.text


def test_near_uniform_attention_still_shows_its_structure():
    w = np.full((1, 1, 4, 4), 0.25)
    w[0, 0, :, 0] = 0.28
    w[0, 0, :, 1:] = 0.24
    fig = figures.attention_heatmaps(w, "attn")
    assert fig.data[0].zmax == 0.28  # the strongest key is the darkest colour, not a pale 0.28 of 1


def test_gate_heatmaps_and_unit_lines():
    design = layer_design("LSTM", {"hidden_size": 5}, [(7, 2)])
    gates = recurrent_gates(build_model(design, seed=0), design, "layer", torch.randn(1, 7, 2))
    fig = figures.gate_heatmaps(gates)
    titles = [a.text for a in fig.layout.annotations]
    assert (
        titles[:2] == ["input gate i  (0 to 1)", "forget gate f  (0 to 1)"] and titles[3] == "output gate o  (0 to 1)"
    )
    entry = gates["layers"][0]
    for k, g in [(2, "cell"), (4, "c"), (5, "h")]:  # the states: symmetric, on their own largest magnitude
        top = float(np.abs(entry[g][0]).max())
        assert fig.data[k].zmax == top and fig.data[k].zmin == -top and titles[k].endswith(f"(±{top:.2g})")
    assert (fig.data[0].zmin, fig.data[0].zmax) == (0, 1)
    assert np.asarray(fig.data[1].z).shape == (5, 7)  # units × time
    np.testing.assert_allclose(np.asarray(fig.data[1].z), gates["layers"][0]["forget"][0].T)
    lines = figures.unit_gates(gates, unit=3)
    assert len(lines.data) == 6 and lines.layout.xaxis.title.text == "time step"


def test_decision_boundary_histograms_confusion_and_curves():
    model = build_model(load_template("mlp_xor"), seed=0)
    pts = np.random.default_rng(0).normal(size=(20, 2))
    view = decision_boundary(model, pts, grid=15)
    fig = figures.decision_boundary(view, pts, np.arange(20) % 2)
    assert np.asarray(fig.data[0].z).shape == (15, 15) and len(fig.data[1].x) == 20
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.yaxis.scaleratio == 1  # a square plane stays square
    design = load_template("digits_mlp")
    stats = weight_stats(build_model(design), design)
    hist = figures.histograms(stats)
    assert [t.name for t in hist.data] == ["fc1", "fc2", "fc3"] and hist.layout.xaxis.title.text == "value"
    for trace, node in zip(hist.data, ["fc1", "fc2", "fc3"]):  # densities: every layer's area is 1, whatever its size
        counts, edges = stats[node]["weight_hist"]
        assert np.isclose(np.sum(np.asarray(trace.y) * np.diff(edges)), 1.0)
    cm = figures.confusion([[5, 1], [0, 4]], ["cat", "dog"])
    assert list(cm.data[0].x) == ["cat", "dog"] and cm.layout.xaxis.title.text == "predicted"
    digits = figures.confusion([[5, 1], [0, 4]], ["0", "1"])  # numeric names are still category labels
    assert digits.layout.xaxis.type == "category" and digits.layout.yaxis.type == "category"
    epochs = [
        {"epoch": 1, "train": {"loss": 1.0}, "val": {"loss": 1.2}},
        {"epoch": 2, "train": {"loss": 0.5}, "val": {"loss": 0.7}},
    ]
    curves = figures.curves(epochs)
    assert [t.name for t in curves.data] == ["train", "val"] and list(curves.data[1].y) == [1.2, 0.7]
    assert (curves.layout.xaxis.tick0, curves.layout.xaxis.dtick) == (1, 1)  # whole epochs, no "1.5"
    long = figures.curves([{"epoch": e, "train": {"loss": 1.0 / e}} for e in range(1, 101)])
    assert long.layout.xaxis.dtick == 10


def test_gan_and_reconstruction_views():
    view = {"samples": np.zeros((10, 2)), "real": np.ones((5, 2)), "grid_x": np.arange(3), "grid_y": np.arange(3),
            "d_prob": np.full((3, 3), 0.5)}  # fmt: skip
    fig = figures.gan_2d(view)
    assert [t.name for t in fig.data[1:]] == ["real", "generated"]
    rec = {"input": np.random.rand(4, 1, 6, 6), "output": np.random.rand(4, 1, 6, 6)}
    grid = figures.reconstructions(rec, n=4)
    assert len(grid.data) == 8 and "Reconstructions" in grid.layout.title.text


def test_overlay_class_balance_scatter_and_sequences():
    runs = [("sgd", [{"epoch": 1, "val": {"loss": 2.0}}, {"epoch": 2, "val": {"loss": 1.5}}]),
            ("adam", [{"epoch": 1, "val": {"loss": 1.0}}, {"epoch": 2, "val": {"loss": 0.5}}])]  # fmt: skip
    fig = figures.overlay(runs, "loss", "val")
    assert [t.name for t in fig.data] == ["sgd", "adam"] and list(fig.data[1].y) == [1.0, 0.5]
    assert fig.layout.title.text == "val loss per epoch, run by run"
    fig = figures.class_balance({"train": [5, 3], "val": [1, 1]}, ["cat", "dog"])
    assert [t.name for t in fig.data] == ["train", "val"] and list(fig.data[0].y) == [5, 3]
    x, y = np.array([[0, 0], [1, 1], [2, 2.0]]), np.array([0, 1, 1])
    fig = figures.scatter_2d(x, y, ["a", "b"])
    assert [len(t.x) for t in fig.data] == [1, 2] and fig.data[1].name == "b"
    seqs = np.zeros((3, 5, 2))
    fig = figures.sequences(seqs, np.array([[1.0], [2.0], [3.0]]), n=2, targets=["next"])
    assert len(fig.data) == 4 and len(fig.data[0].y) == 5 and "target: next" in fig.layout.title.text
    grid = figures.image_grid(np.zeros((3, 1, 4, 4)), "t", labels=["0", "1", "2"])
    assert [a.text for a in grid.layout.annotations] == ["0", "1", "2"]


def test_overlays_skip_runs_without_points_and_draw_a_gans_two_losses():
    runs = [("a", []), ("b", [{"epoch": 1, "val": {"loss": 1.0}}])]
    assert [t.name for t in figures.overlay(runs, "loss", "val").data] == ["b"]
    gan = [("g1", [{"epoch": 1, "train": {"g_loss": 2.0, "d_loss": 0.7}, "val": {}},
                   {"epoch": 2, "train": {"g_loss": 1.5, "d_loss": 0.6}, "val": {}}])]  # fmt: skip
    fig = figures.overlay(gan, split="train", metrics=["g_loss", "d_loss"])
    assert [t.name for t in fig.data] == ["g1 · g_loss", "g1 · d_loss"] and list(fig.data[1].y) == [0.7, 0.6]
    assert fig.data[0].line.dash == "solid" and fig.data[1].line.dash == "dot"
    assert fig.data[0].line.color == fig.data[1].line.color  # one colour per run


def test_step_values_bars_named_by_class_a_signed_heatmap_and_an_activation_curve():
    fig = figures.step_values(np.array([0.5, -1.0, 2.0]), "scores", labels=["cat", "dog", "bird"])
    assert list(fig.data[0].x) == ["cat", "dog", "bird"] and fig.layout.xaxis.title.text == "class"
    fig = figures.step_values(np.arange(300.0), "long")  # past max_bars: a line
    assert fig.data[0].type == "scatter" and len(fig.data[0].y) == 300
    z = np.array([[-2.0, 1.0, 0.0], [0.5, 0.0, 1.5]])
    fig = figures.step_values(z, "matrix")
    assert (fig.data[0].zmin, fig.data[0].zmax) == (-2.0, 2.0)  # symmetric: 0 is white
    assert fig.layout.yaxis.title.text == "dim 0 (2)" and fig.layout.xaxis.title.text == "dim 1 (3)"
    fig = figures.step_values(np.ones((4, 5, 6)), "maps")
    assert np.asarray(fig.data[0].z).shape == (4, 30) and "flattened" in fig.layout.xaxis.title.text
    before = np.linspace(-3, 3, 10_000)
    fig = figures.activation_curve(before, np.tanh(before), "tanh")
    x, y = np.asarray(fig.data[0].x), np.asarray(fig.data[0].y)
    assert len(x) == 4000 and x[0] == -3 and x[-1] == 3  # an even subsample keeps both ends
    np.testing.assert_allclose(np.tanh(x), y)
