"""`python -m builder import` for a Python file and an ONNX file; imported weights kept beside a saved design."""

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from builder import load_design
from builder.export import export_onnx, export_python
from builder.importer import from_torch
from builder.plan import build_model, plan
from builder.templates import TEMPLATE_DIR
from builder.workspace import Workspace
from tests.importer import models

ROOT = Path(__file__).resolve().parents[2]


def cli(*args):
    return subprocess.run([sys.executable, "-m", "builder", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)  # fmt: skip


def test_import_an_exported_model_py_edit_and_export_again(tmp_path):
    """code -> graph -> code: the exported LeNet-5 comes back as a design with its weights."""
    template = load_design(TEMPLATE_DIR / "lenet5.json")
    export_python(template, tmp_path / "model.py")
    r = cli("import", f"{tmp_path / 'model.py'}:build_model", "--input-shape", "1,1,28,28", "-o", tmp_path / "d.json")
    assert r.returncode == 0, r.stderr
    assert "14 layers" in r.stdout and "61,706 parameters" in r.stdout and "d.pt" in r.stdout
    design = load_design(tmp_path / "d.json")
    weights = torch.load(tmp_path / "d.pt", weights_only=True)
    model = plan(design).load(weights)  # the weights fit the design exactly
    assert list(model.state_dict()) == list(plan(template).new_model().state_dict())


def test_import_an_onnx_file(tmp_path):
    export_onnx(load_design(TEMPLATE_DIR / "digits_mlp.json"), tmp_path / "mlp.onnx")
    r = cli("import", tmp_path / "mlp.onnx", "-o", tmp_path / "mlp.json")
    assert r.returncode == 0, r.stderr
    assert load_design(tmp_path / "mlp.json").node("fc1").type == "Linear"


@pytest.mark.parametrize(
    "args, words",
    [
        (["nope.py:build", "--input-shape", "1,4"], "does not exist"),
        (["models.py", "--input-shape", "1,4"], "FILE.py:NAME"),
        (["{models}:Unsupported", "--input-shape", "2,4"], "torch.stack"),
        (["{models}:Unsupported"], "--input-shape"),
        (["{models}:Unsupported", "--input-shape", "2,x"], "comma-separated integers"),
        (["{models}:Missing", "--input-shape", "2,4"], "has no 'Missing'"),
    ],
    ids=["missing-file", "no-factory", "unsupported", "no-shape", "bad-shape", "no-such-name"],
)
def test_import_errors_are_one_clear_line(args, words, tmp_path):
    src = Path(models.__file__)
    r = cli("import", *[a.format(models=src) for a in args], "-o", tmp_path / "d.json")
    assert r.returncode in (1, 2) and words in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "d.json").exists()


def test_the_help_says_a_python_file_is_run():
    r = cli("import", "--help")
    assert "RUNS FILE.py on this machine" in r.stdout and "no code is run" in r.stdout


def test_a_saved_design_keeps_its_weights_beside_it(tmp_path):
    ws = Workspace(tmp_path)
    m = models.FunctionalLeNet().eval()
    design = from_torch(m, torch.randn(2, 1, 28, 28))
    design_id = ws.new_id(design.name)
    path = ws.save(design_id, design)
    assert path.with_suffix(".pt").is_file() and "weight" not in path.read_text()
    assert design.weights == path.with_suffix(".pt")  # later saves do not write the weights again
    again = ws.load(design_id)
    x = torch.randn(2, 1, 28, 28)
    with torch.no_grad():
        assert torch.equal(build_model(again).eval()(x), m(x))
    # an edit that changes one layer keeps the others' weights; the changed one starts fresh
    again.node("fc3").params["out_features"] = 5
    edited = build_model(again)
    assert torch.equal(edited.state_dict()["conv1.weight"], m.conv1.weight)
    assert edited.state_dict()["fc3.weight"].shape == (5, 84)
    ws.delete_design(design_id)
    assert not path.with_suffix(".pt").exists()
