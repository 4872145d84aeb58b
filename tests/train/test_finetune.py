"""Fine-tuning: a design's weights are where a run starts, frozen layers keep theirs bit for bit, the pretrained
layers train at pretrained_lr × lr, and a new head for other classes starts fresh. Weights are made up here."""

import json

import pytest
import torch

from builder import load_design
from builder.design import DesignFormatError, dumps, loads
from builder.finetune import frozen_nodes, new_head, set_trainable
from builder.plan import build_model, plan
from builder.templates import load_template
from builder.train import train
from builder.train.engine import create_run
from builder.train.finetune import INIT, prepare
from builder.workspace import Workspace
from tests.test_blocks import cbr_design


def made_up(design, seed=1):
    g = torch.Generator().manual_seed(seed)
    return {k: torch.randn(v.shape, generator=g) if v.is_floating_point() else v
            for k, v in plan(design).initial_model(0).state_dict().items()}  # fmt: skip


def trained_state(result):
    ck = torch.load(result.checkpoint, map_location="cpu", weights_only=True)
    return ck["model"]


def test_frozen_layers_stay_bit_identical_and_the_rest_learn(tmp_path):
    design = load_template("digits_mlp")
    start = made_up(design)
    design.weights = start
    set_trainable(design, ["fc1"], False)
    result = train(design, {"epochs": 1, "dataset": "digits"}, workspace=tmp_path)
    assert result.status == "finished", result.message
    assert (result.run_dir / INIT).is_file()  # the run keeps what it started from
    after = trained_state(result)
    assert torch.equal(after["fc1.weight"], start["fc1.weight"]) and torch.equal(after["fc1.bias"], start["fc1.bias"])
    assert not torch.equal(after["fc2.weight"], start["fc2.weight"])
    assert not torch.equal(after["fc3.weight"], start["fc3.weight"])


def test_pretrained_layers_train_at_their_own_rate_and_a_new_head_starts_fresh(tmp_path):
    pretrained = load_template("digits_mlp")
    pretrained.node("fc3").params["out_features"] = 12  # weights from a model with another head
    start = made_up(pretrained)
    design = pretrained.copy()
    assert new_head(design, 10) == "fc3" and design.node("fc3").params["out_features"] == 10  # one action
    design.weights = start
    model = build_model(design)
    assert torch.equal(model.state_dict()["fc1.weight"], start["fc1.weight"])  # fits: loaded
    assert model.state_dict()["fc3.weight"].shape == (10, start["fc3.weight"].shape[1])  # the new head, fresh
    result = train(design, {"epochs": 1, "dataset": "digits", "pretrained_lr": 0.0}, workspace=tmp_path)
    assert result.status == "finished", result.message
    after = trained_state(result)
    for k in ("fc1.weight", "fc2.weight", "fc2.bias"):  # pretrained, at lr × 0: unchanged
        assert torch.equal(after[k], start[k]), k
    fresh = build_model(load_template("digits_mlp"), seed=0).state_dict()["fc3.weight"]
    assert not torch.equal(after["fc3.weight"], fresh)  # the head trained


def test_param_groups_split_pretrained_from_new_layers():
    design = load_template("digits_mlp")
    start = made_up(design)
    start.pop("fc3.weight"), start.pop("fc3.bias")  # a head the weights do not have
    p = plan(design)
    model = p.initial_model(0)
    c = {"lr": 0.01, "pretrained_lr": 0.1}
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        torch.save(start, Path(d) / INIT)
        groups = prepare(model, p, c, Path(d))
    assert len(groups) == 2 and groups[1]["lr"] == pytest.approx(0.001)
    assert {id(t) for t in groups[0]["params"]} == {id(model.fc3.weight), id(model.fc3.bias)}


def test_freezing_a_block_instance_freezes_every_layer_in_it():
    d = cbr_design(repeat=3)
    set_trainable(d, ["stage"], False)
    p = plan(d)
    frozen = frozen_nodes(p)
    assert frozen == {n.id for n in p.flat.nodes if n.id.startswith("stage/") and n.type in ("Conv2d", "BatchNorm2d",
                                                                                               "ReLU")}  # fmt: skip
    model = p.initial_model(0)
    groups = prepare(model, p, {"lr": 0.1, "pretrained_lr": 1.0}, None)
    assert {id(t) for t in groups} == {id(model.fc.weight), id(model.fc.bias)}
    # inside a block definition: that layer in every instance
    d = cbr_design(repeat=3)
    d.blocks["CBR"].node("bn").trainable = False
    assert frozen_nodes(plan(d)) == {f"stage/{i}/bn" for i in range(3)}


def test_every_layer_frozen_is_refused_with_the_reason():
    from builder.train import TrainError

    design = load_template("digits_mlp")
    set_trainable(design, [n.id for n in design.nodes], False)
    p = plan(design)
    with pytest.raises(TrainError, match="every layer with weights is frozen"):
        prepare(p.initial_model(0), p, {"lr": 0.1, "pretrained_lr": 1.0}, None)


def test_trainable_is_part_of_the_design_format():
    design = load_template("lenet5")
    set_trainable(design, ["conv1"], False)
    text = dumps(design)
    assert json.loads(text)["nodes"][1]["trainable"] is False and text.count('"trainable"') == 1
    assert not loads(text).node("conv1").trainable and loads(text).node("conv2").trainable
    raw = json.loads(text)
    raw["nodes"][1]["trainable"] = "no"
    with pytest.raises(DesignFormatError, match=r"nodes\[1\]\.trainable"):
        loads(json.dumps(raw))


def test_a_run_of_a_design_saved_with_weights_starts_from_them(tmp_path):
    ws = Workspace(tmp_path)
    design = load_template("digits_mlp")
    design.weights = made_up(design)
    design_id = ws.new_id(design.name)
    ws.save(design_id, design)
    bare = load_design(ws._design_path(design_id))  # the design as the page holds it, without its weights
    folder = create_run(bare, {"epochs": 1}, tmp_path, meta={"design_id": design_id})
    state = torch.load(folder.run_dir / INIT, weights_only=True)
    assert torch.equal(state["fc1.weight"], design.weights["fc1.weight"] if isinstance(design.weights, dict) else
                       torch.load(design.weights, weights_only=True)["fc1.weight"])  # fmt: skip


def test_new_head_without_a_linear_says_so():
    with pytest.raises(ValueError, match="no Linear sets the output"):
        new_head(load_template("encoder_decoder"), 3)
    with pytest.raises(ValueError, match="classes must be"):
        new_head(load_template("lenet5"), 0)


def test_a_frozen_batchnorm_keeps_its_running_statistics(tmp_path):
    design = load_template("digits_cnn")
    start = made_up(design)
    start = {k: v.abs() + 0.5 if k.endswith("running_var") else v for k, v in start.items()}  # variances > 0
    design.weights = start
    set_trainable(design, ["conv1", "bn1"], False)
    result = train(design, {"epochs": 1, "dataset": "digits"}, workspace=tmp_path)
    assert result.status == "finished", result.message
    after = trained_state(result)
    for k in ("bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked", "bn1.weight", "conv1.weight"):
        assert torch.equal(after[k], start[k]), k  # frozen: normalised with the pretrained statistics
    assert not torch.equal(after["bn2.running_mean"], start["bn2.running_mean"])  # a trainable one still learns
