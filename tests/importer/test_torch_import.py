"""Importing PyTorch modules: every template's exported model.py comes back as the same design, hand-written
models import with their module names and weights, and what has no equivalent is listed, not approximated."""

import json
from collections import Counter
from pathlib import Path

import networkx as nx
import pytest
import torch

from builder import load_design
from builder.importer import Finding, ImportProblem, from_torch
from builder.plan import build_model, plan
from builder.templates import list_templates
from tests.importer import models

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "torchvision"
pytestmark = pytest.mark.filterwarnings("ignore:The hashes produced for directed graphs")
SINGLE = [t for t in list_templates() if not load_design(t.path).multi]


def examples(p, batch=2):
    out = []
    for nid in p.inputs:
        info = p.report.nodes[nid]
        out.append(
            torch.randint(0, 5, (batch, *info.shape)) if info.dtype == "int64" else torch.randn(batch, *info.shape)
        )
    return tuple(out)


def exported_module(p):
    """The template's exported model.py, executed the way a user's file is: a module with build_model()."""
    namespace = {"__name__": "model"}
    exec(compile(p.source, "model.py", "exec"), namespace)
    return namespace["build_model"]()


def graph_hash(p) -> str:
    """The flat graph up to node ids: layer types with their checked params (a pool's stride None is its kernel
    size), edges with their ports."""
    g = nx.DiGraph()
    for nid in p.report.order:
        info = p.report.nodes[nid]
        params = dict(p.report.resolved.get(nid, {}))
        if "Pool" in info.type and params.get("stride") is None and "kernel_size" in params:
            params["stride"] = params["kernel_size"]
        label = f"Input{info.shape}{info.dtype}" if info.type == "Input" else f"{info.type}{sorted(params.items())}"
        g.add_node(nid, label=label)
    for nid in p.report.order:
        for port, src in enumerate(p.report.inputs.get(nid, [])):
            g.add_edge(src, nid, label=str(port))
    return nx.weisfeiler_lehman_graph_hash(g, node_attr="label", edge_attr="label", iterations=5)


@pytest.mark.parametrize("template", SINGLE, ids=lambda t: t.name)
def test_every_template_comes_back_from_its_exported_code(template):
    p = plan(load_design(template.path))
    original = exported_module(p)
    x = examples(p)
    design = from_torch(original, x)
    q = plan(design)
    assert q.valid, q.report.issues
    # the same model: same flat graph, same module names, same outputs with the same weights
    assert graph_hash(q) == graph_hash(p)
    model = build_model(design).eval()
    assert [(k, tuple(v.shape)) for k, v in model.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in original.state_dict().items()
    ]
    with torch.no_grad():
        want, got = original.eval()(*x), model(*x)
    for w, g in zip(want if isinstance(want, tuple) else (want,), got if isinstance(got, tuple) else (got,)):
        assert torch.allclose(w, g, atol=1e-5, rtol=1e-5)
    # the same hierarchy: the template's instances are instances again, with their repeats and overrides
    template = load_design(template.path)
    for node in template.nodes:
        if node.type in template.blocks:
            back = design.node(node.id)
            assert back.type in design.blocks, node.id
            assert back.repeat == node.repeat and sorted(back.overrides or {}) == sorted(node.overrides or {})
    assert len(design.blocks) <= max(len(template.blocks), 1) + 4  # no block per instance


def test_resnet_written_like_torchvision_imports_with_torchvisions_keys_and_blocks():
    m = models.ResNet()
    design = from_torch(m, torch.randn(1, 3, 224, 224))
    ref = json.loads((REFERENCE / "resnet18.json").read_text())
    keys = [(k, list(v.shape)) for k, v in build_model(design).state_dict().items()]
    assert keys == [(k, s) for k, s in ref["state_dict"]]
    # BasicBlock with and without downsample: two blocks; each stage one node with repeat 2
    stages = [design.node(f"layer{i}") for i in range(1, 5)]
    assert [s.repeat for s in stages] == [2, 2, 2, 2]
    assert stages[0].overrides is None and all(s.overrides == {"0": {"type": "BasicBlock2"}} for s in stages[1:])
    assert set(design.blocks) == {"BasicBlock", "BasicBlock2", "Downsample"}
    assert design.blocks["BasicBlock"].params == {"out_channels": 64}
    # a checkpoint of the original loads into the design's model as it is
    build_model(design).load_state_dict(m.state_dict(), strict=True)
    src = plan(design).source
    assert src.count("class BasicBlock(") == 1 and "nn.Sequential(BasicBlock(" in src


def test_resnet50_bottlenecks_keep_torchvisions_keys():
    m = models.resnet50()
    design = from_torch(m, torch.randn(1, 3, 64, 64))
    ref = json.loads((REFERENCE / "resnet50.json").read_text())
    assert [k for k in build_model(design).state_dict()] == [k for k, _ in ref["state_dict"]]
    assert [design.node(f"layer{i}").repeat for i in range(1, 5)] == [3, 4, 6, 3]


def test_the_design_carries_the_weights_and_build_model_uses_them():
    m = models.FunctionalLeNet()
    x = torch.randn(3, 1, 28, 28)
    design = from_torch(m, x)
    assert set(design.weights) == set(m.state_dict())
    assert all(torch.equal(design.weights[k], v) for k, v in m.state_dict().items())
    with torch.no_grad():
        assert torch.equal(build_model(design).eval()(x), m.eval()(x))
    assert "weights" not in json.dumps(design.to_dict())  # never inside the JSON
    # without weights (a design loaded from JSON alone) the same seed gives the same fresh model
    bare = load_design(json.dumps(design.to_dict()))
    assert bare.weights is None
    a, b = build_model(bare, seed=3), build_model(bare, seed=3)
    assert all(torch.equal(a.state_dict()[k], b.state_dict()[k]) for k in a.state_dict())


def test_functional_calls_map_to_layers():
    design = from_torch(models.FunctionalLeNet(), torch.randn(2, 1, 28, 28))
    types = Counter(n.type for n in design.nodes)
    assert types["MaxPool2d"] == 2 and types["ReLU"] == 4 and types["Dropout"] == 1 and types["LogSoftmax"] == 1
    assert design.node("view").type == "Reshape" and design.node("view").params == {"shape": [-1]}
    assert design.node("conv1").params == {"out_channels": 6, "kernel_size": 5, "padding": 2}


@pytest.mark.parametrize(
    "make, shape, dtype",
    [
        (models.UNet, (2, 1, 16, 16), None),
        (models.LSTMClassifier, (2, 7), torch.int64),
        (models.BiGRUTagger, (2, 5, 6), None),
        (models.Encoder, (2, 10), torch.int64),
        (models.Stack, (2, 6, 8), None),
    ],
    ids=["unet", "lstm", "bigru", "transformer", "modulelist"],
)
def test_hand_written_models_import_with_their_names_and_outputs(make, shape, dtype):
    m = make()
    x = torch.randint(0, 40, shape) if dtype is torch.int64 else torch.randn(shape)
    design = from_torch(m, x)  # (from_torch itself refuses a model whose outputs differ)
    model = build_model(design)
    assert list(model.state_dict()) == list(m.state_dict())
    assert sum(p.numel() for p in model.parameters()) == sum(p.numel() for p in m.parameters())
    with torch.no_grad():
        want, got = m.eval()(x), model.eval()(x)
    for w, g in zip(want if isinstance(want, tuple) else (want,), got if isinstance(got, tuple) else (got,)):
        assert torch.allclose(w, g, atol=1e-5)


def test_recurrent_patterns_fuse_into_the_layer():
    lstm = from_torch(models.LSTMClassifier(), torch.randint(0, 50, (2, 7)))
    assert lstm.node("lstm").params["return_sequences"] is False  # h[-1] is the last step
    gru = from_torch(models.BiGRUTagger(), torch.randn(2, 5, 6))
    assert "return_sequences" not in gru.node("gru").params  # used at every step too: a Select takes the last
    assert [n.params for n in gru.nodes if n.type == "Select"] == [{"dim": 1, "index": -1}]


def test_the_transformer_encoder_becomes_a_block_of_its_layers():
    design = from_torch(models.Encoder(), torch.randint(0, 100, (2, 10)))
    assert design.node("encoder").type == "TransformerEncoder"
    inner = design.blocks["TransformerEncoder"]
    layers = design.blocks[inner.node("layers").type]
    assert [(n.id, n.type) for n in layers.nodes if n.type != "Input" and n.type != "Output"] == [
        ("0", "TransformerEncoderLayer"), ("1", "TransformerEncoderLayer")]  # fmt: skip
    assert layers.node("0").params == {"dim_feedforward": 64}  # (nhead 4 is the default)
    assert design.node("mean").type == "Mean"


def test_what_has_no_equivalent_is_listed_with_its_module_and_line():
    with pytest.raises(ImportProblem) as e:
        from_torch(models.Unsupported(), torch.randn(2, 4))
    problems = e.value.problems
    assert [p.op for p in problems] == ["torch.stack", "torch.sin"]  # each finding once, no follow-on noise
    assert all(isinstance(p, Finding) and p.module == "" for p in problems)
    assert problems[0].line.startswith("models.py:") and "torch.stack([h, x], dim=1)" in problems[0].line
    assert "2 problems" in str(e.value) and "torch.sin" in str(e.value)
    assert isinstance(e.value, ValueError)


@pytest.mark.parametrize(
    "make, x, words",
    [
        (models.DataDependent, torch.randn(2, 4), ["tracing", "control flow", "models.py:", "if x.sum() > 0"]),
        (models.Shared, torch.randn(2, 4), ["called more than once", "fc"]),
        (models.TimeFirst, torch.randn(3, 2, 4), ["batch_first=False", "LSTM"]),
    ],
    ids=["control-flow", "shared-weights", "time-first"],
)
def test_models_that_cannot_be_a_design_say_why(make, x, words):
    with pytest.raises(ImportProblem) as e:
        from_torch(make(), x)
    for w in words:
        assert w in str(e.value)


def test_a_partial_import_keeps_the_graph_up_to_the_problem():
    m = models.Unsupported()
    design = from_torch(m, torch.randn(2, 4), partial=True)
    assert [n.type for n in design.nodes] == ["Input", "Linear", "Output"]
    assert len(design.metadata["import"]["problems"]) == 2
    assert torch.equal(design.weights["fc.weight"], m.fc.weight)
    build_model(design)(torch.randn(2, 4))


def test_a_module_with_a_name_like_a_graph_attribute_imports():
    """A submodule called ``code`` (a GraphModule attribute) is traced in the original module."""
    from tests.importer.models import nn

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.code = nn.Linear(3, 2)

        def forward(self, x):
            return self.code(x)

    assert from_torch(M(), torch.randn(2, 3)).node("code").type == "Linear"


def test_tracing_leaves_the_module_as_it_was():
    m = models.UNet().eval()
    before = {k: v.clone() for k, v in m.state_dict().items()}
    from_torch(m, torch.randn(2, 1, 16, 16))
    assert not m.training and all(not sub.training for sub in m.modules())
    assert all(torch.equal(before[k], v) for k, v in m.state_dict().items())  # BatchNorm statistics untouched


def test_bad_arguments_are_type_errors():
    with pytest.raises(TypeError, match="nn.Module"):
        from_torch(lambda x: x, torch.randn(1))
    with pytest.raises(TypeError, match="tensor"):
        from_torch(models.Shared(), [1, 2])
