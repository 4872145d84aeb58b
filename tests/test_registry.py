"""One parametrized harness over the whole layer registry.

For every spec and several parameter combinations: the design validates, the predicted shape equals a real
forward pass of the built model, the predicted parameter count equals the module's, and the emitted code
runs. Every registered type must appear in CASES, so a new layer cannot skip the harness.
"""

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from builder import REGISTRY, build_model, generate, validate
from builder.registry import literal
from tests.util import layer_design, random_inputs, run

IMG, SEQ, VEC = (3, 12, 10), (7, 16), (20,)
# type -> list of (params, input shapes, dtype)
CASES = {
    "Identity": [({}, [IMG]), ({}, [(5,)], "int64")],
    "Linear": [({"out_features": 5}, [VEC]), ({"out_features": 3, "bias": False}, [SEQ])],
    "Embedding": [
        ({"num_embeddings": 10, "embedding_dim": 4}, [(6,)], "int64"),
        ({"num_embeddings": 10, "embedding_dim": 3, "padding_idx": 0}, [(2, 5)], "int64"),
    ],
    "Add": [({}, [IMG, IMG]), ({}, [VEC, VEC, VEC])],
    "Multiply": [({}, [IMG, (3, 1, 1)]), ({}, [VEC, VEC])],
    "Concat": [({"dim": 1}, [IMG, (5, 12, 10)]), ({"dim": -1}, [SEQ, (7, 4)]), ({"dim": 1}, [SEQ, (2, 16)])],
    "Flatten": [({}, [IMG]), ({"start_dim": 2}, [IMG]), ({"start_dim": 1, "end_dim": 2}, [IMG])],
    "Reshape": [({"shape": [6, 20]}, [(120,)]), ({"shape": [-1, 4]}, [IMG]), ({"shape": [10, 12, 3]}, [IMG])],
    "Permute": [({"dims": [0, 2, 1]}, [SEQ]), ({"dims": [0, 3, 1, 2]}, [IMG])],
    "Conv1d": [
        ({"out_channels": 4, "kernel_size": 3}, [SEQ]),
        ({"out_channels": 14, "kernel_size": 2, "stride": 2, "padding": 1, "dilation": 2, "groups": 7}, [(7, 16)]),
        ({"out_channels": 4, "kernel_size": 4, "padding": "same"}, [SEQ]),
        ({"out_channels": 4, "kernel_size": 3, "padding": 2, "padding_mode": "reflect"}, [SEQ]),
    ],
    "Conv2d": [
        ({"out_channels": 8, "kernel_size": 3}, [IMG]),
        ({"out_channels": 6, "kernel_size": [3, 5], "stride": [2, 1], "padding": [1, 2], "bias": False}, [IMG]),
        ({"out_channels": 3, "kernel_size": 3, "groups": 3, "padding": "same", "dilation": 2}, [IMG]),
        ({"out_channels": 4, "kernel_size": 3, "padding": "valid", "padding_mode": "circular"}, [IMG]),
    ],
    "Conv3d": [({"out_channels": 2, "kernel_size": 3, "padding": 1, "stride": 2}, [(2, 5, 6, 7)])],
    "ConvTranspose1d": [({"out_channels": 3, "kernel_size": 4, "stride": 2, "padding": 1}, [SEQ])],
    "ConvTranspose2d": [
        ({"out_channels": 4, "kernel_size": 4, "stride": 2, "padding": 1}, [IMG]),
        ({"out_channels": 6, "kernel_size": 3, "stride": 2, "output_padding": 1, "groups": 3, "dilation": 1}, [IMG]),
        ({"out_channels": 2, "kernel_size": [3, 2], "stride": [3, 1], "dilation": 2}, [IMG]),
    ],
    "MaxPool1d": [
        ({"kernel_size": 2}, [SEQ]),
        ({"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, [SEQ]),
    ],
    "MaxPool2d": [
        ({"kernel_size": 2}, [IMG]),
        ({"kernel_size": 3, "stride": 2, "ceil_mode": True}, [IMG]),
        ({"kernel_size": [2, 3], "stride": 1, "dilation": 2, "padding": 1}, [IMG]),
    ],
    "MaxPool3d": [({"kernel_size": 2}, [(2, 4, 6, 6)])],
    "AvgPool1d": [({"kernel_size": 3, "padding": 1, "count_include_pad": False}, [SEQ])],
    "AvgPool2d": [
        ({"kernel_size": 2}, [IMG]),
        ({"kernel_size": 3, "stride": 2, "ceil_mode": True, "padding": 1}, [IMG]),
    ],
    "AvgPool3d": [({"kernel_size": [1, 2, 2]}, [(2, 4, 6, 6)])],
    "AdaptiveAvgPool1d": [({"output_size": 4}, [SEQ])],
    "AdaptiveAvgPool2d": [({"output_size": 1}, [IMG]), ({"output_size": [5, 3]}, [IMG])],
    "AdaptiveMaxPool1d": [({"output_size": 1}, [SEQ])],
    "AdaptiveMaxPool2d": [({"output_size": [2, 4]}, [IMG])],
    "Upsample": [
        ({}, [IMG]),
        ({"scale_factor": 1.5, "mode": "bilinear", "align_corners": True}, [IMG]),
        ({"scale_factor": None, "size": [9, 4], "mode": "bicubic"}, [IMG]),
        ({"scale_factor": 3, "mode": "linear"}, [SEQ]),
        ({"scale_factor": 2, "mode": "trilinear"}, [(1, 2, 3, 4)]),
    ],
    "BatchNorm1d": [({}, [VEC]), ({"momentum": None, "affine": False}, [SEQ])],
    "BatchNorm2d": [({}, [IMG]), ({"eps": 1e-3, "track_running_stats": False}, [IMG])],
    "BatchNorm3d": [({}, [(2, 3, 4, 5)])],
    "InstanceNorm2d": [({}, [IMG]), ({"affine": True}, [IMG])],
    "LayerNorm": [
        ({}, [SEQ]),
        ({"normalized_shape": [12, 10], "bias": False}, [IMG]),
        ({"elementwise_affine": False}, [VEC]),
    ],
    "GroupNorm": [({"num_groups": 3}, [(6, 4, 4)]), ({"num_groups": 1, "affine": False}, [SEQ])],
    "LocalResponseNorm": [({"size": 3}, [IMG]), ({"size": 5, "alpha": 1e-3, "k": 2.0}, [SEQ])],
    "ReLU": [({}, [IMG])],
    "ReLU6": [({}, [VEC])],
    "LeakyReLU": [({"negative_slope": 0.2}, [IMG])],
    "PReLU": [({}, [IMG]), ({"num_parameters": 3, "init": 0.1}, [IMG])],
    "ELU": [({"alpha": 0.5}, [VEC])],
    "GELU": [({}, [SEQ]), ({"approximate": "tanh"}, [SEQ])],
    "SiLU": [({}, [IMG])],
    "Sigmoid": [({}, [VEC])],
    "Tanh": [({}, [SEQ])],
    "Hardswish": [({}, [IMG])],
    "Softmax": [({}, [VEC]), ({"dim": 1}, [IMG])],
    "LogSoftmax": [({"dim": -1}, [SEQ])],
    "Dropout": [({}, [VEC]), ({"p": 0.1}, [IMG])],
    "Dropout2d": [({"p": 0.2}, [IMG])],
    "GaussianNoise": [({"std": 0.3}, [IMG])],
    "RNN": [
        ({"hidden_size": 5}, [SEQ]),
        (
            {
                "hidden_size": 4,
                "num_layers": 2,
                "nonlinearity": "relu",
                "bidirectional": True,
                "return_sequences": False,
            },
            [SEQ],
        ),
    ],
    "LSTM": [
        ({"hidden_size": 6}, [SEQ]),
        ({"hidden_size": 6, "return_sequences": False}, [SEQ]),
        ({"hidden_size": 5, "num_layers": 2, "bidirectional": True, "dropout": 0.1}, [SEQ]),
        ({"hidden_size": 8, "proj_size": 3, "num_layers": 2, "bidirectional": True, "return_sequences": False}, [SEQ]),
        ({"hidden_size": 4, "bias": False, "bidirectional": True, "return_sequences": False}, [SEQ]),
    ],
    "GRU": [
        ({"hidden_size": 6, "bidirectional": True}, [SEQ]),
        ({"hidden_size": 6, "num_layers": 3, "return_sequences": False}, [SEQ]),
    ],
    "MultiheadAttention": [
        ({"num_heads": 4}, [SEQ]),
        ({"num_heads": 2, "bias": False}, [SEQ, (9, 16), (9, 16)]),
        ({"num_heads": 2, "add_bias_kv": True, "add_zero_attn": True}, [SEQ, (5, 6), (5, 3)]),
    ],
    "TransformerEncoderLayer": [
        ({"nhead": 4, "dim_feedforward": 32}, [SEQ]),
        ({"nhead": 2, "dim_feedforward": 8, "activation": "gelu", "norm_first": True, "bias": False}, [SEQ]),
    ],
    "PositionalEncoding": [({}, [SEQ]), ({"max_len": 7}, [(7, 5)])],
    "Reparameterize": [({}, [VEC, VEC])],
}
ENDPOINTS = {"Input", "Output"}


def all_cases():
    for type_name, cases in CASES.items():
        for i, case in enumerate(cases):
            params, inputs, *dtype = case
            yield pytest.param(type_name, params, inputs, dtype[0] if dtype else "float32", id=f"{type_name}-{i}")


def test_every_type_has_cases():
    assert set(REGISTRY) - ENDPOINTS == set(CASES)


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
