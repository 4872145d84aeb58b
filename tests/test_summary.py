"""The torchinfo-style summary (builder.summary and `python -m builder summary`)."""

import json

from builder import build_model, validate
from builder.summary import summarize
from builder.templates import TEMPLATE_DIR, load_template
from tests.test_cli import cli


def test_summary_rows_and_totals_match_the_built_model():
    design = load_template("resnet18")
    s = summarize(validate(design))
    model = build_model(design)
    assert s.params == s.trainable == sum(p.numel() for p in model.parameters()) == 11_689_512
    assert s.macs == 1_814_073_344 and s.param_bytes == 4 * s.params
    add = next(r for r in s.rows if r.type == "Add")
    assert len(add.inputs) == 2 and add.inputs[0] == add.inputs[1] == add.output  # a residual join: both inputs
    conv = next(r for r in s.rows if r.node == "conv1")
    assert (conv.inputs, conv.output) == (("(N, 3, 224, 224)",), "(N, 64, 112, 112)")
    assert conv.activation_bytes == 64 * 112 * 112 * 4
    assert s.activation_bytes == sum(r.activation_bytes for r in s.rows)
    assert s.training_bytes(32, "sgd") == s.param_bytes * 3 + s.activation_bytes * 32 * 2


def test_the_summary_command_prints_the_table_and_json():
    r = cli("summary", TEMPLATE_DIR / "lenet5.json", "--batch-size", "32")
    assert r.returncode == 0, r.stderr
    assert "layer    type       input shape      output shape     params     MACs  activations" in r.stdout
    assert "conv1    Conv2d     (N, 1, 28, 28)   (N, 6, 28, 28)      156  117,600      18.4 kB" in r.stdout
    assert "total params: 61,706 (trainable 61,706, non-trainable 0)" in r.stdout
    assert "training at batch 32 (Adam): about" in r.stdout
    out = json.loads(cli("summary", TEMPLATE_DIR / "dcgan.json", "--json").stdout.splitlines()[0])
    assert out["network"] == "generator" and out["rows"] and out["training_bytes"] > out["param_bytes"]
