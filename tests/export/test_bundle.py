"""The Export page's bundle: every file written and verified, or named with its reason."""

import subprocess
import sys

import torch

from builder.export.bundle import export_bundle
from builder.templates import load_template
from builder.train import train
from tests.util import count_checks


def test_an_untrained_bundle_has_model_onnx_and_train_script(tmp_path):
    out = export_bundle(load_template("lenet5"), tmp_path)
    assert set(out.files) == {"model.py", "model.onnx", "train.py", "data.npz"} and not out.problems
    assert out.onnx.max_abs_diff < 1e-5 and out.onnx.verified_batches
    assert subprocess.run([sys.executable, str(out.files["model.py"])], capture_output=True).returncode == 0


def test_trained_weights_go_with_the_model_and_the_onnx_file(tmp_path):
    design = load_template("digits_mlp")
    result = train(design, {"epochs": 1}, workspace=tmp_path / "ws")
    out = export_bundle(design, tmp_path / "out", weights=result.run_dir / "best.pt")
    state = torch.load(out.files["model.pt"], weights_only=True)
    best = torch.load(result.run_dir / "best.pt", weights_only=True)["model"]
    assert all(torch.equal(state[k], best[k]) for k in best)


def test_one_network_of_a_gan_with_its_weights_and_no_train_script(tmp_path):
    design = load_template("gan_2d")
    result = train(design, {"epochs": 1}, workspace=tmp_path / "ws")
    out = export_bundle(design, tmp_path / "out", weights=result.run_dir / "last.pt", network="generator")
    assert {"model.py", "model.pt", "model.onnx"} <= set(out.files)
    assert "a GAN trains with both networks" in out.problems["train.py"]


def test_an_invalid_design_writes_nothing_and_says_why(tmp_path):
    design = load_template("lenet5")
    design.node("conv1").params["kernel_size"] = 50
    out = export_bundle(design, tmp_path)
    assert not out.files and "kernel_size=50" in out.problems["model.py"]


def test_one_export_checks_the_design_once_and_writes_its_source_once(tmp_path):
    """The bug: one Export click validated 6-7 times, generated 5 times and built 3 times."""
    with count_checks() as calls:
        out = export_bundle(load_template("lenet5"), tmp_path)
    assert {"model.py", "model.onnx", "train.py", "data.npz"} <= set(out.files)
    assert calls == {"validate": 1, "generate": 1}
