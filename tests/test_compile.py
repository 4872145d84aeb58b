"""Building: generated source executed into a module; seeds, stable names, tracebacks, hostile designs."""

import subprocess
import sys
import traceback

import pytest
import torch

from builder import Design, DesignError, Edge, Node, build_model, generate, node_at
from builder.codegen import identifiers
from builder.templates import load_template
from tests.util import run, template_designs


def test_same_seed_same_weights_and_global_rng_untouched():
    d = load_template("lenet5")
    torch.manual_seed(123)
    before = torch.rand(3)
    torch.manual_seed(123)
    a, b, c = build_model(d, seed=1), build_model(d, seed=1), build_model(d, seed=2)
    assert torch.equal(torch.rand(3), before)  # building with a seed did not consume the caller's RNG
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(va, vb), k
    assert not torch.equal(a.conv1.weight, c.conv1.weight)


def test_state_dict_keys_are_node_ids_and_stable():
    d = load_template("resnet18")
    keys = list(build_model(d).state_dict())
    assert keys == list(build_model(d.copy()).state_dict())
    assert "layer2.0.downsample.0.weight" in keys and "fc.bias" in keys  # torchvision's names (blocks)


def test_model_runs_the_generated_source_and_tracebacks_point_at_the_node():
    d = load_template("lenet5")
    model = build_model(d)
    assert model.layerloom.source == generate(d).source
    with pytest.raises(RuntimeError) as info:
        model(torch.randn(2, 3, 28, 28))  # 3 channels into a 1-channel conv
    assert node_at(model, info.value.__traceback__) == "conv1"
    text = "".join(traceback.format_exception(info.value))
    assert "conv1 = self.conv1(x)  # (N, 6, 28, 28)" in text


def test_invalid_design_raises_with_every_issue():
    d = load_template("lenet5")
    d.node("conv1").params["kernel_size"] = 99
    d.node("fc3").params["out_features"] = -1
    with pytest.raises(DesignError) as e:
        build_model(d)
    assert len(e.value.issues) == 2 and "(and 1 more)" in str(e.value)


def test_identifiers_are_legal_unique_and_stable():
    ids = ["conv 1", "conv-1", "class", "1st", "", "forward", "x", "naïve", "__init__", "self", "torch"]
    names = identifiers(ids)
    assert len(set(names.values())) == len(ids)
    for n in names.values():
        assert n.isidentifier() and n.isascii()
    assert names["conv 1"] == "conv_1" and names["conv-1"] == "conv_1_2" and names["x"] == "x"
    assert names == identifiers(ids)


HOSTILE = [
    "x\"); __import__('os').system('touch PWNED'); (\"",
    "a'''\n__import__('os').system('touch PWNED')\n'''",
    "class",
    "def",
    "None",
    "\\",
    "\n",
    "ünïcödé",
    "conv 1",
    "conv_1",
    "🙂",
    "import os",
]


def test_hostile_ids_and_names_produce_a_model_and_execute_nothing_else(tmp_path):
    nodes = [Node(HOSTILE[0], "Input", {"shape": [4]})]
    edges = []
    for i, nid in enumerate(HOSTILE[1:]):
        nodes.append(Node(nid, "Linear" if i % 2 else "ReLU", {"out_features": 4} if i % 2 else {}))
        edges.append(Edge(nodes[-2].id, nid))
    nodes.append(Node('out"""', "Output"))
    edges.append(Edge(nodes[-2].id, 'out"""'))
    name = '"""\nimport os; os.system("touch PWNED")\n"""'
    design = Design(name, nodes, edges, description='"""; __import__("os").system("touch PWNED") #\\')
    source = generate(design).source
    path = tmp_path / "model.py"
    path.write_text(source + "\nm = build_model()\nprint(sum(p.numel() for p in m.parameters()))\n")
    proc = subprocess.run([sys.executable, str(path)], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "100"  # five Linear(4, 4) layers
    assert sum(p.numel() for p in build_model(design).parameters()) == 100
    assert not (tmp_path / "PWNED").exists()
    compiled = compile(source, "m", "exec")
    assert "system" not in compiled.co_names and all(
        "system" not in str(c) for c in compiled.co_consts if not isinstance(c, str)
    )


@pytest.mark.parametrize("label,design", template_designs(), ids=[label for label, _ in template_designs()])
def test_generated_source_passes_ruff(label, design, tmp_path):
    ruff = pytest.importorskip("ruff")
    del ruff
    path = tmp_path / "model.py"
    path.write_text(generate(design).source)
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", str(path)],
                          capture_output=True, text=True)  # fmt: skip
    assert proc.returncode == 0, proc.stdout


def test_eval_outputs_are_deterministic():
    d = load_template("vae")
    m = build_model(d, seed=0)
    torch.manual_seed(0)
    a = run(m, d)
    torch.manual_seed(0)
    b = run(m, d)
    assert len(a) == 3 and all(torch.equal(x, y) for x, y in zip(a, b))


@pytest.mark.parametrize("nid", ["training", "forward", "eval", "state_dict", "_modules", "_parameters", "cuda",
                                 "__init__", "self", "class", "![m](http://x/y)"])  # fmt: skip
def test_node_ids_that_are_module_attributes_still_build(nid):
    import torch

    from builder import Design, Edge, Node, validate

    for position in range(3):  # as the Input, the layer and the Output
        ids = ["x", "h", "out"]
        ids[position] = nid
        d = Design("t", [Node(ids[0], "Input", {"shape": [4]}), Node(ids[1], "Linear", {"out_features": 2}),
                         Node(ids[2], "Output")], [Edge(ids[0], ids[1]), Edge(ids[1], ids[2])])  # fmt: skip
        assert validate(d).valid
        model = build_model(d, seed=0)
        model.eval()
        assert model(torch.zeros(1, 4)).shape == (1, 2) and model.state_dict()
