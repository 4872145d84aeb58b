"""Blocks (design format version 2): the format, expansion and validation with paths, one class per block in
the generated code, torchvision's module names, grouping and ungrouping."""

import json
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder import REGISTRY, Design, DesignFormatError, Edge, Node, validate
from builder.blocks import GroupError, group, ungroup
from builder.design import Block, dumps, from_dict, loads
from builder.plan import plan
from builder.probes.capture import module_of
from builder.templates import load_template
from tests.test_registry import ENDPOINTS, all_cases
from tests.util import layer_design, run

REFERENCE = Path(__file__).resolve().parent / "reference" / "torchvision"  # torchvision's keys and shapes, no weights


def cbr_design(repeat=3, overrides=None, ch=16, shape=(3, 32, 32)) -> Design:
    """Input → a repeat of conv-BN-ReLU blocks (``$ch`` channels, ``$stride``) → Flatten → Linear → Output."""
    raw = {"version": 2, "name": "cbr", "blocks": {
        "CBR": {"params": {"ch": 8, "stride": 1}, "nodes": [
            {"id": "x", "type": "Input"},
            {"id": "conv", "type": "Conv2d", "params": {"out_channels": "$ch", "kernel_size": 3, "padding": 1,
                                                         "stride": "$stride"}},
            {"id": "bn", "type": "BatchNorm2d"}, {"id": "relu", "type": "ReLU"}, {"id": "y", "type": "Output"}],
            "edges": [{"source": "x", "target": "conv"}, {"source": "conv", "target": "bn"},
                      {"source": "bn", "target": "relu"}, {"source": "relu", "target": "y"}]}},
        "nodes": [{"id": "x", "type": "Input", "params": {"shape": list(shape)}},
                  {"id": "stage", "type": "CBR", "params": {"ch": ch}, "repeat": repeat,
                   **({"overrides": overrides} if overrides else {})},
                  {"id": "flat", "type": "Flatten"}, {"id": "fc", "type": "Linear", "params": {"out_features": 10}},
                  {"id": "out", "type": "Output"}],
        "edges": [{"source": "x", "target": "stage"}, {"source": "stage", "target": "flat"},
                  {"source": "flat", "target": "fc"}, {"source": "fc", "target": "out"}]}  # fmt: skip
    return from_dict(raw)


# -- the format ----------------------------------------------------------------------------------------------
def test_a_v2_design_round_trips_losslessly():
    d = cbr_design(overrides={"0": {"params": {"stride": 2}}})
    text = dumps(d)
    assert json.loads(text)["version"] == 2
    again = loads(text)
    assert dumps(again) == text and again.to_dict() == d.to_dict()
    assert again.nodes[1].repeat == 3 and again.nodes[1].overrides == {"0": {"params": {"stride": 2}}}
    assert again.blocks["CBR"].params == {"ch": 8, "stride": 1}


def test_a_design_without_blocks_is_still_written_as_version_1():
    text = dumps(load_template("lenet5"))
    assert json.loads(text)["version"] == 1
    assert loads(text).to_dict() == load_template("lenet5").to_dict()


@pytest.mark.parametrize("change,path,words", [
    (lambda r: r.update(version=1), "$.version", "need format version 2"),
    (lambda r: r["nodes"][1].update(repeat=0), "$.nodes[1].repeat", "between 1 and 1024"),
    (lambda r: r["nodes"][1].update(overrides={"5": {}}), "$.nodes[1].overrides", "0 to 2"),
    (lambda r: r["nodes"][1].update(overrides={"0": {"kind": "x"}}), "$.nodes[1].overrides", "unknown key 'kind'"),
    (lambda r: r["blocks"].update({"9bad": {"nodes": []}}), "$.blocks", "plain identifier"),
    (lambda r: r["blocks"]["CBR"].update(extra=1), "$.blocks.CBR.extra", "unknown key"),
])  # fmt: skip
def test_malformed_blocks_are_refused_with_their_json_path(change, path, words):
    raw = cbr_design().to_dict()
    change(raw)
    with pytest.raises(DesignFormatError) as e:
        from_dict(raw)
    assert e.value.path.startswith(path) and words in e.value.message, e.value


# -- validation -----------------------------------------------------------------------------------------------
def test_a_repeat_with_a_strided_first_instance_has_its_shapes_and_totals():
    d = cbr_design(overrides={"0": {"params": {"stride": 2}}})
    v = validate(d)
    assert v.valid, v.issues
    assert v.nodes["stage/0/conv"].shape == (16, 16, 16) and v.nodes["stage/2/relu"].shape == (16, 16, 16)
    assert v.nodes["stage"].shape == (16, 16, 16) and v.nodes["stage"].type == "CBR"
    per = [v.nodes[f"stage/{i}"].params for i in range(3)]
    assert per == [3 * 16 * 9 + 16 + 32, 16 * 16 * 9 + 16 + 32, 16 * 16 * 9 + 16 + 32]
    assert v.nodes["stage"].params == sum(per) == v.blocks["CBR"]["params"] and v.blocks["CBR"]["instances"] == 3
    assert v.params == sum(per) + v.nodes["fc"].params
    model = plan(d).new_model(seed=0)
    assert sum(p.numel() for p in model.parameters()) == v.params
    assert tuple(run(model, d)[0].shape) == (2, 10)


def test_every_issue_is_reported_at_once_with_its_path():
    d = cbr_design(overrides={"1": {"params": {"ch": -4}}, "2": {"params": {"chh": 3}}})
    d.blocks["CBR"].nodes[2].params["eps"] = "$epsilon"
    v = validate(d)
    messages = [i.message for i in v.errors]
    assert any(m.startswith("stage/2: block 'CBR' has no parameter 'chh'") for m in messages), messages
    assert sum("refers to $epsilon" in m for m in messages) == 3, messages  # once per instance, with its path
    assert any("stage/1/conv" in m and "out_channels" in m for m in messages), messages
    assert {i.node for i in v.errors} >= {"stage/2", "stage/0/bn", "stage/1/bn", "stage/2/bn", "stage/1/conv"}


def test_blocks_that_contain_each_other_are_an_error_naming_the_chain():
    d = cbr_design(repeat=1)
    for a, b in (("A", "B"), ("B", "A")):
        d.blocks[a] = Block(a, [Node("x", "Input"), Node("inner", b), Node("y", "Output")],
                            [Edge("x", "inner"), Edge("inner", "y")])  # fmt: skip
    d.nodes[1].type, d.nodes[1].params = "A", {}
    v = validate(d)
    assert any("A → B → A" in i.message for i in v.errors), v.issues


def test_an_unconnected_instance_input_and_a_too_long_unroll_are_named():
    d = cbr_design()
    d.edges = [e for e in d.edges if e.target != "stage"]
    v = validate(d)
    assert any(i.node == "stage" and "its input is not connected" in i.message for i in v.errors), v.issues
    big = cbr_design(repeat=1000)
    for k in range(3):  # nest: 1000 × 1000 × … instances
        big.blocks[f"N{k}"] = Block(f"N{k}", [Node("x", "Input"), Node("r", "CBR" if k == 0 else f"N{k - 1}"),
                                              Node("y", "Output")], [Edge("x", "r"), Edge("r", "y")])  # fmt: skip
        big.blocks[f"N{k}"].nodes[1].repeat = 1000
    big.nodes[1].type = "N2"
    v = validate(big)
    assert any("unrolls to" in i.message and "expected at most 200,000" in i.message for i in v.errors)


# -- nested blocks, generated code, torchvision names ------------------------------------------------------------
TORCHVISION = ["alexnet", "vgg11", "vgg16", "googlenet", "resnet18", "resnet34", "resnet50", "densenet121",
               "mobilenet_v2"]  # fmt: skip


@pytest.mark.parametrize("name", TORCHVISION)
def test_torchvision_templates_have_torchvisions_state_dict_keys_and_shapes(name):
    ref = json.loads((REFERENCE / f"{name}.json").read_text())
    model = plan(load_template(name)).new_model(seed=0)
    got = [[k, list(t.shape)] for k, t in model.state_dict().items()]
    assert got == ref["state_dict"]
    assert sum(p.numel() for p in model.parameters()) == ref["num_params"]
    torchvision_like = {k: torch.zeros(s) for k, s in ref["state_dict"]}
    model.load_state_dict(torchvision_like, strict=True)


def test_the_exported_resnet18_reads_like_torchvision():
    p = plan(load_template("resnet18"))
    src = p.source
    assert len(src.splitlines()) <= 0.6 * 226  # the flat design's source was 226 lines
    assert "class BasicBlock(nn.Module):" in src and "class DownBlock(nn.Module):" in src
    assert "self.layer2 = nn.Sequential(DownBlock(64, 128), BasicBlock(128))" in src
    assert "self.downsample = nn.Sequential(" in src
    assert src.count("class ") == 3
    model = p.new_model(seed=0)
    assert module_of(model, "layer2/0/conv1") is model.layer2[0].conv1
    assert module_of(model, "layer2/0/downsample/0") is model.layer2[0].downsample[0]
    assert module_of(model, "layer3") is model.layer3
    d = load_template("resnet18")
    assert len(d.nodes) <= 15  # the canvas's top level


def test_nested_blocks_three_deep_build_and_match_their_report():
    d = cbr_design(repeat=2)
    d.blocks["Pair"] = Block("Pair", [Node("a", "Input"), Node("one", "CBR", {"ch": "$width"}),
                                      Node("two", "CBR", {"ch": "$width", "stride": 2}), Node("b", "Output")],
                             [Edge("a", "one"), Edge("one", "two"), Edge("two", "b")], params={"width": 4})  # fmt: skip
    d.nodes[1].type, d.nodes[1].params = "Pair", {"width": 6}
    v = validate(d)
    assert v.valid, v.issues
    assert v.nodes["stage/1/two/conv"].shape == (6, 8, 8)
    model = plan(d).new_model(seed=0)
    assert sum(p.numel() for p in model.parameters()) == v.params
    assert tuple(run(model, d)[0].shape) == (2, 10)
    assert module_of(model, "stage/1/two/bn") is model.stage[1].two.bn


# -- grouping and ungrouping -------------------------------------------------------------------------------------
def _transfer(src_model, src_plan, dst_model, dst_plan, mapping):
    """Copy each layer's weights from one model to the other, by node (``mapping``: src node -> dst node)."""
    for a, b in mapping.items():
        ma, mb = module_of(src_model, a), module_of(dst_model, b)
        if ma is not None:
            mb.load_state_dict(ma.state_dict())


def test_grouping_lenets_conv_stages_then_ungrouping_keeps_the_model():
    flat = load_template("lenet5")
    stage = [n.id for n in flat.nodes if n.id in ("conv1", "act1", "pool1")]
    assert len(stage) == 3
    grouped = group(flat, stage, "ConvStage", "stage1")
    assert "ConvStage" in grouped.blocks and any(n.id == "stage1" and n.type == "ConvStage" for n in grouped.nodes)
    assert from_dict(json.loads(dumps(grouped))).to_dict() == grouped.to_dict()
    p0, p1 = plan(flat), plan(grouped)
    assert p1.valid, p1.report.issues
    assert p1.report.params == p0.report.params
    m0, m1 = p0.new_model(seed=0), p1.new_model(seed=1)
    _transfer(m0, p0, m1, p1, {n: (f"stage1/{n}" if n in stage else n) for n in p0.report.order})
    x = torch.randn(3, *flat.node("x").params["shape"])
    m0.eval(), m1.eval()
    assert torch.allclose(m0(x), m1(x), atol=1e-6)
    back = ungroup(grouped)
    assert not back.hierarchical and json.loads(dumps(back))["version"] == 1
    p2 = plan(back)
    assert p2.valid and p2.report.params == p0.report.params
    m2 = p2.new_model(seed=2)
    _transfer(m1, p1, m2, p2, {n: n for n in p2.report.order})
    m2.eval()
    assert torch.allclose(m2(x), m1(x), atol=1e-6)


def test_group_refuses_the_models_own_input_and_names_a_bad_selection():
    d = load_template("lenet5")
    with pytest.raises(GroupError, match="model's own Input"):
        group(d, ["x", "conv1"], "Stem")
    with pytest.raises(GroupError, match="no node 'nope'"):
        group(d, ["nope"], "Stem")
    with pytest.raises(GroupError, match="layer type"):
        group(d, ["conv1"], "Conv2d")


def test_ungrouping_one_instance_keeps_the_others():
    d = load_template("resnet18")
    one = ungroup(d, "layer1")
    assert any(n.id == "layer1/0/conv1" for n in one.nodes) and any(n.id == "layer2" for n in one.nodes)
    assert validate(one).params == validate(d).params
    assert "BasicBlock" in one.blocks


# -- the registry and hypothesis, through blocks -------------------------------------------------------------------
@pytest.mark.parametrize("type_name,params,inputs,dtype", list(all_cases()))
def test_every_layer_inside_a_block_gives_the_shape_torch_gives(type_name, params, inputs, dtype):
    design = group(layer_design(type_name, params, inputs, dtype), ["layer"], "Wrapped", "wrapped")
    report = validate(design)
    assert report.valid, report.issues
    model = plan(design).new_model(seed=0)
    outs = run(model, design)
    assert tuple(outs[0].shape) == (2, *report.nodes["wrapped/layer"].shape)
    assert report.params == sum(p.numel() for p in model.parameters())


LAYERS = st.sampled_from([
    ("Conv2d", {"out_channels": "$ch", "kernel_size": 3, "padding": 1}),
    ("Conv2d", {"out_channels": "$ch", "kernel_size": 1}),
    ("BatchNorm2d", {}), ("ReLU", {}), ("Tanh", {}), ("Dropout", {"p": 0.1}),
])  # fmt: skip


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.lists(LAYERS, min_size=1, max_size=4), repeat=st.integers(1, 4), ch=st.integers(1, 6),
       first=st.integers(1, 6), size=st.integers(4, 9))  # fmt: skip
def test_random_block_designs_predict_the_shapes_torch_gives(body, repeat, ch, first, size):  # noqa: PLR0913
    nodes = [Node("x", "Input")] + [Node(f"l{i}", t, dict(p)) for i, (t, p) in enumerate(body)] + [Node("y", "Output")]
    ids = [n.id for n in nodes]
    block = Block("Body", nodes, [Edge(a, b) for a, b in zip(ids, ids[1:])], params={"ch": 2})
    d = Design("fuzz", [Node("x", "Input", {"shape": [3, size, size]}),
                        Node("body", "Body", {"ch": ch}), Node("flat", "Flatten"), Node("out", "Output")],
               [Edge("x", "body"), Edge("body", "flat"), Edge("flat", "out")], blocks={"Body": block})  # fmt: skip
    d.nodes[1].repeat, d.nodes[1].overrides = repeat, {"0": {"params": {"ch": first}}}
    v = assert_same_report(d)
    if not v.valid:  # e.g. BatchNorm first on 3 channels is fine; a shape rule may refuse: then no build
        assert all(i.node for i in v.errors)
        return
    p = plan(d)
    model = p.new_model(seed=0)
    assert sum(q.numel() for q in model.parameters()) == v.params
    seen = {}
    hooks = []
    for nid in v.order:
        m = module_of(model, nid)
        if m is not None and "/" in nid and nid.count("/") == 2:
            hooks.append(m.register_forward_hook(lambda mod, a, out, nid=nid: seen.__setitem__(nid, out.shape)))
    (out,) = run(model, d)
    for h in hooks:
        h.remove()
    assert tuple(out.shape) == (2, *v.nodes["out"].shape)
    for nid, shape in seen.items():
        assert tuple(shape) == (2, *v.nodes[nid].shape), nid


def test_a_block_design_exports_to_a_verified_onnx_file(tmp_path):
    from builder.export import export_onnx

    d = cbr_design(overrides={"0": {"params": {"stride": 2}}}, shape=(3, 16, 16))
    out = export_onnx(d, tmp_path / "cbr.onnx")
    assert out.max_abs_diff < 1e-4


def test_a_block_name_that_is_a_layer_type_is_refused():
    d = cbr_design()
    d.blocks["ReLU"] = Block("ReLU", [Node("x", "Input"), Node("y", "Output")], [Edge("x", "y")])
    assert any("has the name of a layer type" in i.message for i in validate(d).errors)
    assert "Conv2d" in REGISTRY and ENDPOINTS


# -- editing blocks ---------------------------------------------------------------------------------------------------
def test_editor_makes_a_block_repeats_enters_edits_and_ungroups_it():
    from builder.blocks import block_view
    from builder.edit import Editor

    ed = Editor(load_template("lenet5"))
    assert ed.apply({"action": "group", "nodes": ["conv1", "act1", "pool1"]}) is None
    assert ed.selected == "block1" and "Block1" in ed.design.blocks
    assert ed.apply({"action": "set_repeat", "id": "block1", "repeat": 0}).startswith("repeat must be")
    assert ed.apply({"action": "set_repeat", "id": "conv2", "repeat": 2}).endswith("only instances repeat")
    assert ed.apply({"action": "set_repeat", "id": "block1", "repeat": 2}) is None
    v = validate(ed.design)
    assert v.valid and v.nodes["block1"].shape == (6, 7, 7) and v.blocks["Block1"]["instances"] == 2
    assert ed.apply({"action": "enter", "id": "conv2"}).endswith("only blocks can be entered")
    assert ed.apply({"action": "enter", "id": "block1"}) is None and ed.block == "Block1"
    assert {n.id for n in ed.view.nodes} == {"in0", "conv1", "act1", "pool1", "out0"}
    assert all(n.position is not None for n in ed.view.nodes)  # laid out to be drawn
    view = block_view(validate(ed.design), "Block1")
    assert view.nodes["in0"].shape == (1, 28, 28) and view.nodes["conv1"].shape == (6, 28, 28)  # the first instance
    assert ed.apply({"action": "set_params", "id": "conv1", "params": {"out_channels": 8, "kernel_size": 5,
                                                                        "padding": 2}}) is None  # fmt: skip
    v = validate(ed.design)
    assert v.nodes["block1/0/conv1"].shape == (8, 28, 28) and v.nodes["block1/1/conv1"].shape == (8, 14, 14)
    ed.enter(None)
    assert ed.apply({"action": "rename_block", "name": "Block1", "new_name": "Conv2d"}).endswith("pick another name")
    assert ed.apply({"action": "rename_block", "name": "Block1", "new_name": "Stage"}) is None
    assert ed.design.node("block1").type == "Stage" and "Stage" in ed.design.blocks
    assert ed.apply({"action": "ungroup", "id": "block1"}) is None
    assert not ed.design.blocks and validate(ed.design).params == v.params
    assert ed.apply({"action": "undo"}) is None and ed.design.node("block1").type == "Stage"


def test_make_block_and_ungroup_inside_a_block_nest_it_with_its_parameters():
    from builder.edit import Editor

    design = cbr_design(repeat=2, ch=16)
    params = validate(design).params
    ed = Editor(design)
    assert ed.apply({"action": "enter", "id": "stage"}) is None and ed.block == "CBR"
    assert ed.apply({"action": "group", "nodes": ["conv", "bn"]}) is None  # inside CBR: a nested block
    nested = ed.design.blocks["Block1"]
    assert nested.params == {"ch": 8, "stride": 1}  # the parameters its nodes use, with CBR's defaults
    inner = ed.design.blocks["CBR"].node("block1")
    assert inner.type == "Block1" and inner.params == {"ch": "$ch", "stride": "$stride"}  # passed on from CBR
    v = validate(ed.design)
    assert v.valid, v.issues
    assert v.params == params and v.nodes["stage/1/block1/conv"].shape == (16, 32, 32)
    ed.enter(None)
    loaded = loads(dumps(ed.design))  # a lossless round trip of the nested blocks
    assert validate(loaded).params == params and "Block1" in loaded.blocks
    ed.enter("CBR")
    assert ed.apply({"action": "ungroup", "id": "block1"}) is None  # back inside CBR, with CBR's references
    assert {n.type for n in ed.design.blocks["CBR"].nodes} >= {"Conv2d", "BatchNorm2d"}
    conv = next(n for n in ed.design.blocks["CBR"].nodes if n.type == "Conv2d")
    assert conv.params["out_channels"] == "$ch" and conv.params["stride"] == "$stride"
    assert validate(ed.design).params == params


def test_a_built_in_block_added_from_the_palette_brings_its_definition():
    from builder.edit import Editor
    from ui.canvas import palette

    items = {i["type"]: i for i in palette({})}
    assert items["Inception"]["category"] == "Built-in blocks" and items["BasicBlock"]["inputs"]["max"] == 1
    ed = Editor(load_template("lenet5"))
    assert ed.apply({"action": "add", "type": "DownBottleneck", "position": {"x": 0, "y": 0}}) is None
    assert set(ed.design.blocks) == {"DownBottleneck", "Downsample"}  # and the block it uses
    assert ed.design.node("downbottleneck1").type == "DownBottleneck"
    assert {i["type"]: i for i in palette(ed.design.blocks)}["DownBottleneck"]["category"] == "Blocks"
    assert ed.apply({"action": "add", "type": "NoSuchBlock"}).startswith("unknown layer type or block")


def test_every_built_in_block_builds_and_gives_the_shape_torch_gives():
    from builder.templates.blocks import BUILTIN, builtin_blocks

    library = builtin_blocks()
    for name in BUILTIN:
        from builder.blocks import used_by

        d = Design(name, [Node("x", "Input", {"shape": [16, 8, 8]}), Node("b", name), Node("out", "Output")],
                   [Edge("x", "b"), Edge("b", "out")], blocks={k: library[k] for k in used_by(library, name)})  # fmt: skip
        same = {
            "BasicBlock": {"planes": 16},
            "Bottleneck": {"width": 4, "out": 16},
            "InvertedResidual": {"hidden": 96, "out": 16},
        }  # a skip needs as many channels out as in
        d.nodes[1].params = same.get(name, {})
        v = validate(d)
        assert v.valid, (name, v.issues)
        out = run(plan(d).new_model(seed=0), d)[0]
        assert tuple(out.shape) == (2, *v.nodes["out"].shape), name


# -- training, probes and the exports of a block design ------------------------------------------------------------
def test_a_block_design_trains_with_probes_and_exports_a_runnable_bundle(tmp_path):
    import subprocess
    import sys

    from builder.export.bundle import export_bundle
    from builder.probes.capture import nodes_with_probe
    from builder.train import train

    d = group(load_template("digits_cnn"), [n.id for n in load_template("digits_cnn").nodes
                                           if n.type in ("Conv2d", "ReLU", "BatchNorm2d")][:2], "Stem", "stem")  # fmt: skip
    p = plan(d)
    assert p.valid, p.report.issues
    assert nodes_with_probe(p.flat, "feature_maps")  # the probes see the layers inside the block, by path
    result = train(d, {"epochs": 2, "probe_every": 1}, workspace=tmp_path / "ws")
    assert result.status == "finished", result.message
    assert result.metrics["test"]["accuracy"] > 0.5
    out = export_bundle(d, tmp_path / "out", weights=result.run_dir / "best.pt")
    assert {"model.py", "model.pt", "model.onnx", "train.py"} <= set(out.files) and not out.problems
    assert "class Stem(nn.Module):" in out.files["model.py"].read_text()
    run = subprocess.run([sys.executable, str(out.files["model.py"])], capture_output=True, text=True)
    assert run.returncode == 0 and "loaded weights" in run.stdout, run.stderr
    script = subprocess.run([sys.executable, str(out.files["train.py"]), "--epochs", "1"], capture_output=True,
                            text=True, cwd=tmp_path / "out", timeout=300)  # fmt: skip
    assert script.returncode == 0, script.stderr[-2000:]


def test_a_blocks_parameters_are_set_inside_it():
    from builder.edit import Editor

    ed = Editor(cbr_design())
    assert ed.apply({"action": "set_block_params", "params": {"ch": 4}}).startswith("enter a block first")
    ed.enter("CBR")
    assert "plain identifier" in ed.apply({"action": "set_block_params", "params": {"9x": 1}})
    assert ed.apply({"action": "set_block_params", "params": {"ch": 4, "stride": 1, "k": 3}}) is None
    assert ed.design.blocks["CBR"].params == {"ch": 4, "stride": 1, "k": 3}
    conv = ed.design.blocks["CBR"].node("conv")
    conv.params["kernel_size"] = "$k"
    assert validate(ed.design).valid


# -- checking each distinct instance once == checking the unrolled design ----------------------------------------------
def assert_same_report(design):
    """The report (each distinct instance checked once) equals validating the unrolled design."""
    from builder.blocks import expand

    fast = validate(design)
    flat = expand(design).flat
    ref = validate(flat)
    assert fast.valid == ref.valid, (fast.issues, ref.issues)
    for n in flat.nodes:
        a, b = fast.nodes[n.id], ref.nodes[n.id]
        assert (a.type, a.shape, a.dtype, a.params, a.macs) == (b.type, b.shape, b.dtype, b.params, b.macs), n.id
        assert fast.resolved.get(n.id) == ref.resolved.get(n.id), n.id
        assert fast.types.get(n.id) == ref.types.get(n.id), n.id
        assert fast.inputs.get(n.id) == ref.inputs.get(n.id), n.id
    assert set(fast.order) == set(ref.order) and len(fast.order) == len(ref.order)
    assert (fast.params, fast.macs) == (ref.params, ref.macs)
    assert {i.node for i in fast.errors} <= {i.node for i in ref.errors} | set(fast.nodes)
    return fast


@pytest.mark.parametrize("name", ["alexnet", "vgg11", "googlenet", "resnet18", "resnet50", "densenet121",
                                  "mobilenet_v2"])  # fmt: skip
def test_each_distinct_instance_is_checked_once_and_the_report_is_the_unrolled_ones(name):
    v = assert_same_report(load_template(name))
    assert v.valid and v.hierarchical and v.flat is not None


def test_the_report_of_nested_repeated_and_broken_block_designs_is_the_unrolled_ones():
    assert_same_report(cbr_design(overrides={"0": {"params": {"stride": 2}}}))
    bad = cbr_design(overrides={"1": {"params": {"ch": -4}}})
    v = assert_same_report(bad)
    assert any(i.node == "stage/1/conv" and "out_channels" in i.message for i in v.errors), v.issues


def test_an_instance_expanded_in_place_is_a_frame_of_its_block_and_moves_stay_where_they_were_saved():
    from builder.edit import Editor
    from ui.canvas import _expanded_view, display_shifts, node_report, saved_positions

    d = load_template("resnet18")
    ed = Editor(d)
    assert ed.apply({"action": "expand", "id": "conv1"}).endswith("not a block instance of the design's top level")
    assert ed.apply({"action": "expand", "id": "layer2"}) is None and ed.expanded == {"layer2"}
    report = validate(d)
    raw = {"nodes": [n.to_dict() for n in d.nodes], "edges": [e.to_dict() for e in d.edges]}
    reports = node_report(report, d)
    _expanded_view(d, report, raw, reports, ed.expanded)
    frame = next(n for n in raw["nodes"] if n["id"] == "layer2")
    children = [n for n in raw["nodes"] if n.get("parent") == "layer2"]
    assert frame["frame"]["w"] > 300 and {c["id"] for c in children} >= {
        "layer2/conv1",
        "layer2/downsample",
        "layer2/y",
    }
    assert frame["frame"]["shown"] == "instance 0 shown (DownBlock)"
    assert reports["layer2/conv1"]["shape"] == [128, 28, 28]  # the repeat's first instance (a DownBlock)
    assert reports["layer2/x"]["shape"] == [64, 56, 56] and reports["layer2/y"]["shape"] == [128, 28, 28]
    assert {"source": "layer2/conv1", "target": "layer2/bn1", "target_port": 0} in raw["edges"]
    shifts = display_shifts(d, ed.expanded)
    assert any(s["x"] > 0 or s["y"] > 0 for s in shifts.values()) and shifts["layer2"] == {"x": 0.0, "y": 0.0}
    drawn = {k: {"x": n.position["x"] + shifts[k]["x"], "y": n.position["y"] + shifts[k]["y"]}
             for k, n in ((n.id, n) for n in d.nodes)}  # fmt: skip
    assert saved_positions(d, ed.expanded, drawn) == {n.id: n.position for n in d.nodes}
    ed.enter("BasicBlock")
    assert ed.expanded == set()  # a view of the top level


def test_a_linear_right_after_a_block_instance_is_checked():
    """The Linear's feature-map warning looked up the type of the node feeding it in the layer registry, and a
    block instance is not there: validation crashed with KeyError (seen importing a ModuleList model)."""
    d = cbr_design(repeat=2)
    d.nodes = [n for n in d.nodes if n.id != "flat"]
    d.edges = [e for e in d.edges if "flat" not in (e.source, e.target)] + [Edge("stage", "fc")]
    report = validate(d)
    assert report.valid
    assert any("acts on the last dim" in i.message for i in report.issues if i.node == "fc")
