"""Following one sample: every node's value is what the model computes, with readable details, and every size is
checked first."""

import sys

import numpy as np
import pytest
import torch

from builder import build_model
from builder.plan import plan
from builder.probes import follow as fl
from builder.probes.follow import FollowError, dataset_sample, follow, numbers_kept, random_sample
from builder.templates import load_template
from tests.util import template_designs

SMALL = [(label, d) for label, d in template_designs() if numbers_kept(plan(d)) <= 2_000_000]


def _outputs(model, sample):
    xs = sample if isinstance(sample, tuple) else (sample,)
    with torch.no_grad():
        out = model.eval()(*[torch.as_tensor(x)[None] for x in xs])
    return [o[0].float().numpy() for o in (out if isinstance(out, (tuple, list)) else (out,))]


@pytest.mark.parametrize("label,design", SMALL, ids=[label for label, _ in SMALL])
def test_every_step_has_its_predicted_shape_and_the_last_ones_are_the_outputs(label, design):
    p = plan(design)
    model = p.new_model(0)
    sample = random_sample(p, seed=1)
    trace = follow(p, model, sample)
    assert [s.node for s in trace.steps] == p.report.order
    for s in trace.steps:
        if s.shape is not None and not isinstance(s.value, tuple):
            assert s.value.shape == tuple(s.shape), s.node
    for out, want in zip(p.outputs, _outputs(model, sample)):
        np.testing.assert_allclose(trace.step(out).value, want, rtol=1e-5, atol=1e-6)


def test_a_small_linear_shows_each_w_x_plus_b_and_an_activation_its_input():
    p = plan(load_template("mlp_xor"))
    trace = follow(p, p.new_model(0), np.array([1.0, -1.0], dtype="float32"))
    hidden = trace.step("hidden")
    d = hidden.detail
    assert d["kind"] == "linear" and d["weight"].shape == (8, 2) and d["x"].tolist() == [1.0, -1.0]
    np.testing.assert_allclose(d["weight"] @ d["x"] + d["bias"], hidden.value, rtol=1e-6)
    tanh = trace.step("tanh")
    assert tanh.sources == (("hidden", 0),) and tanh.category == "Activation"
    np.testing.assert_allclose(np.tanh(trace.inputs(tanh)[0]), tanh.value, rtol=1e-6)


def test_a_trained_block_design_is_followed_with_its_own_weights():
    p = plan(load_template("resnet18"))
    model = p.new_model(0)
    with torch.no_grad():  # weights and BatchNorm statistics a fresh flat copy could not have by chance
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
    model.train()
    sample = random_sample(p, seed=2)
    trace = follow(p, model, sample)
    assert model.training  # left as it was
    assert trace.step("layer2/0/downsample/0").value.shape == (128, 28, 28)  # inside a Sequential inside a block
    np.testing.assert_allclose(trace.step(p.outputs[0]).value, _outputs(model, sample)[0], rtol=1e-4, atol=1e-4)


def test_lstm_gates_and_attention_weights_for_the_one_sample():
    p = plan(load_template("lstm_classifier"))
    model = p.new_model(0)
    sample = random_sample(p, seed=3)
    trace = follow(p, model, sample)
    (lstm,) = [s for s in trace.steps if s.type == "LSTM"]
    gates = lstm.detail["gates"]["layers"][-1]
    assert {"input", "forget", "cell", "output", "c", "h"} <= set(gates)
    out = lstm.value[0] if isinstance(lstm.value, tuple) else lstm.value
    last = out[-1] if out.ndim == 2 else out  # (the node returns the whole sequence or its last step)
    np.testing.assert_allclose(gates["h"][0][-1], last, rtol=1e-4, atol=1e-5)  # the gates' h is the layer's output

    p = plan(load_template("self_attention"))
    trace = follow(p, p.new_model(0), random_sample(p, seed=4))
    (att,) = [s for s in trace.steps if s.detail.get("kind") == "attention"]
    w = att.detail["weights"]
    assert w.ndim == 3 and w.shape[1] == w.shape[2]
    np.testing.assert_allclose(w.sum(-1), 1.0, rtol=1e-5)


def test_a_dataset_sample_and_token_ids():
    from builder.data import load_dataset

    p = plan(load_template("textcnn"))
    data = load_dataset("sentiment")
    x, y = dataset_sample(data, 3)
    trace = follow(p, p.new_model(0), x)
    assert trace.steps[0].value.dtype == np.int64 and trace.steps[0].value.tolist() == x.tolist()
    with pytest.raises(FollowError, match=r"sample 99999 does not exist: the val split holds \d+ samples"):
        dataset_sample(data, 99999)


def test_bad_samples_and_big_designs_are_refused_before_the_forward_pass(monkeypatch):
    p = plan(load_template("lenet5"))
    model = p.new_model(0)
    with pytest.raises(FollowError, match=r"Input 'x' takes one sample of shape \[1, 28, 28\], received \[1, 8, 8\]"):
        follow(p, model, np.zeros((1, 8, 8), "float32"))
    with pytest.raises(FollowError, match="the design has 1 Input"):
        follow(p, model, (np.zeros((1, 28, 28)), np.zeros((1, 28, 28))))
    text = plan(load_template("textcnn"))
    with pytest.raises(FollowError, match="takes token ids"):
        follow(text, text.new_model(0), np.zeros(text.shape(text.inputs[0]), "float32"))
    calls = []
    monkeypatch.setattr(fl, "forward_locals", lambda *a: calls.append(a))
    monkeypatch.setattr(fl, "MAX_NUMBERS", 1000)
    with pytest.raises(FollowError, match=r"[\d,]+ numbers for this design, over the limit of 1,000"):
        follow(p, model, random_sample(p))
    assert not calls  # refused before any forward pass
    with pytest.raises(FollowError, match="several networks"):
        follow(load_template("gan_2d"), None, None)


def test_the_profile_hook_is_removed_even_when_the_forward_fails():
    p = plan(load_template("mlp_xor"))
    model = build_model(p.design, seed=0)

    def boom(*a):
        raise RuntimeError("boom")

    model.fc.register_forward_hook(boom)
    with pytest.raises(RuntimeError, match="boom"):
        follow(p, model, np.zeros(2, "float32"))
    assert sys.getprofile() is None and model.training
