"""One parametrized harness over the whole layer registry.

For every spec and several parameter combinations: the design validates, the predicted shape equals a real
forward pass of the built model, the predicted parameter count equals the module's, and the emitted code
runs. The cases are each spec's ``examples``; every registered type must have some, so a new layer cannot skip
the harness.
"""

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from builder import REGISTRY, build_model, generate, validate
from builder.registry import IMG, SEQ, literal
from tests.util import layer_design, random_inputs, run

ENDPOINTS = {"Input", "Output"}
# type -> list of (params, input shapes, dtype): each spec's own examples
CASES = {
    t: [(e.params, e.inputs, e.dtype) for e in spec.examples] for t, spec in REGISTRY.items() if t not in ENDPOINTS
}


def all_cases():
    for type_name, cases in CASES.items():
        for i, case in enumerate(cases):
            params, inputs, *dtype = case
            yield pytest.param(type_name, params, inputs, dtype[0] if dtype else "float32", id=f"{type_name}-{i}")


def test_every_type_has_cases():
    assert all(CASES[t] for t in set(REGISTRY) - ENDPOINTS), [t for t, cases in CASES.items() if not cases]


@pytest.mark.parametrize("type_name,params,inputs,dtype", all_cases())
def test_predicted_shape_and_params_match_torch(type_name, params, inputs, dtype):
    design = layer_design(type_name, params, inputs, dtype)
    report = validate(design)
    assert report.valid, report.issues
    model = build_model(design, seed=0)
    (out,) = run(model, design)
    assert tuple(out.shape) == (2, *report.nodes["layer"].shape)
    assert str(out.dtype) == f"torch.{report.nodes['layer'].dtype}"
    module = getattr(model, "layer", None)
    real = sum(p.numel() for p in module.parameters()) if module is not None else 0
    assert report.nodes["layer"].params == real
    assert report.params == sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("type_name", sorted(set(REGISTRY) - ENDPOINTS))
def test_defaults_are_valid_and_documented(type_name):
    spec = REGISTRY[type_name]
    assert spec.category and len(spec.doc) > 40, type_name
    params, inputs, *dtype = CASES[type_name][0]
    design = layer_design(
        type_name,
        {k: v for k, v in params.items() if spec.params[k].required},
        inputs,
        dtype[0] if dtype else "float32",
    )
    assert validate(design).valid
    for name, p in spec.params.items():
        assert p.help, f"{type_name}.{name} has no help text"
        d = p.describe()
        assert d["kind"] and "default" in d


@pytest.mark.parametrize("type_name", ["Linear", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d"])
def test_macs_match_torch_flop_counter(type_name):
    for params, inputs, *_ in CASES[type_name]:
        design = layer_design(type_name, params, inputs)
        report = validate(design)
        model = build_model(design, seed=0).eval()
        with FlopCounterMode(display=False) as counter, torch.no_grad():
            model(*random_inputs(design, batch=1))
        bias_flops = 0  # FlopCounterMode counts 2 per MAC and ignores bias additions
        assert counter.get_total_flops() == 2 * report.nodes["layer"].macs + bias_flops, params


def test_emitted_constructor_reads_like_torch():
    src = generate(layer_design("Conv2d", {"out_channels": 6, "kernel_size": 5, "padding": 2})).source
    assert "self.layer = nn.Conv2d(1, 6, kernel_size=5, padding=2)" in src
    src = generate(layer_design("LSTM", {"hidden_size": 8}, [SEQ])).source
    assert "nn.LSTM(16, 8, batch_first=True)" in src
    assert literal((3,)) == "(3,)" and literal((1, 2)) == "(1, 2)" and literal("same") == '"same"'


@pytest.mark.parametrize("type_name", sorted(set(REGISTRY) - ENDPOINTS))
def test_what_a_spec_says_about_itself_holds(type_name):
    """The names it infers are what its constructor gets from the input; its width parameter exists; its probe
    view is one the probes draw."""
    spec = REGISTRY[type_name]
    params, inputs, *dtype = CASES[type_name][0]
    design = layer_design(type_name, params, inputs, *dtype)
    report = validate(design)
    inferred = set(spec.input_args(report.resolved["layer"], report.types_in("layer")))
    assert inferred <= set(spec.inferred) | set(spec.params), (inferred, spec.inferred)
    assert not set(spec.inferred) & set(spec.params)
    assert spec.width is None or spec.width in spec.params
    assert spec.probe in (None, "feature_maps", "attention", "gates", "embedding", "activations")
    assert spec.describe(params=False).keys() == {"type", "category", "doc", "inputs"}


def test_inferred_and_fixed_arguments_are_refused_with_the_reason():
    report = validate(layer_design("Conv2d", {"out_channels": 4, "kernel_size": 3, "in_channels": 3}, [IMG]))
    assert "in_channels is taken from the incoming shape" in report.errors[0].message
    report = validate(layer_design("LSTM", {"hidden_size": 4, "batch_first": False}, [SEQ]))
    assert "batch_first is always True here" in report.errors[0].message
    report = validate(layer_design("Conv2d", {"out_channels": 4, "kernel_size": 3, "in_features": 3}, [IMG]))
    assert "unknown parameter 'in_features'" in report.errors[0].message  # not Conv2d's: a plain unknown name


def test_narrow_and_sum_say_what_does_not_fit():
    from builder import validate
    from builder.templates.graph import Graph

    def report(layer, params, shape, dtype="float32"):
        g = Graph("t")
        g.add("Output", g.add(layer, g.add("Input", id="x", shape=shape, dtype=dtype), id="n", **params), id="y")
        return validate(g.design())

    assert report("Narrow", {"dim": 1, "start": 1, "length": 1}, [2], "int64").nodes["n"].shape == (1,)
    bad = report("Narrow", {"dim": 1, "start": 1, "length": 2}, [2], "int64").errors[0]
    assert bad.node == "n" and "reach entry 2 but dim 1 of (N, 2) has 2 entries" in bad.message
    assert "dim=0 is out of range" in report("Narrow", {"dim": 0}, [2], "int64").errors[0].message
    assert report("Sum", {"dim": -1}, [1, 8]).nodes["n"].shape == (1,)
    assert "would leave only the batch dim" in report("Sum", {"dim": -1}, [8]).errors[0].message
