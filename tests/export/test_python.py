"""Python export: the file is the model's own source, ruff-clean, exact, and safe for hostile designs."""

import importlib.util
import subprocess
import sys

import pytest
import torch

from builder import build_model, export_python, generate, validate
from builder.export import ExportError
from builder.templates import load_template
from tests.export.stress import hostile_design, wide_design
from tests.util import random_inputs, template_designs

DESIGNS = template_designs()


def import_file(path):
    spec = importlib.util.spec_from_file_location(f"exported_{abs(hash(str(path)))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ruff(*args):
    return subprocess.run([sys.executable, "-m", "ruff", *args], capture_output=True, text=True, timeout=120)


def test_every_export_passes_ruff_check_and_format_check(tmp_path):
    designs = [d for _, d in DESIGNS] + [wide_design(), hostile_design()]
    for i, d in enumerate(designs):
        export_python(d, tmp_path / f"m{i}.py")
    # --isolated: ruff's defaults (line length 88), as in a user's project without configuration
    check = ruff("check", "--isolated", "--no-cache", str(tmp_path))
    assert check.returncode == 0, check.stdout
    fmt = ruff("format", "--isolated", "--no-cache", "--check", "--diff", str(tmp_path))
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


@pytest.mark.parametrize("label,design", DESIGNS, ids=[label for label, _ in DESIGNS])
def test_exported_file_is_the_model_and_bit_identical(label, design, tmp_path):
    report = export_python(design, tmp_path / "model.py")
    source = (tmp_path / "model.py").read_text()
    assert source == generate(design).source  # the exported code is the model
    assert "import builder" not in source and "from builder" not in source
    module = import_file(tmp_path / "model.py")
    exported = module.build_model()
    app_model = build_model(design, seed=0)
    exported.load_state_dict(app_model.state_dict(), strict=True)
    exported.eval(), app_model.eval()
    xs = random_inputs(design, batch=1 if validate(design).params > 1_000_000 else 4)
    with torch.no_grad():
        a, b = exported(*xs), app_model(*xs)
    for x, y in zip(a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,)):
        assert torch.equal(x, y)
    assert report.params == sum(p.numel() for p in exported.parameters())


def test_docstring_names_the_design_and_its_inputs(tmp_path):
    export_python(load_template("textcnn"), tmp_path / "m.py")
    doc = import_file(tmp_path / "m.py").Textcnn.__doc__
    assert "Design 'textcnn'" in doc and "tokens: (N, 40) int64" in doc and "logits: (N, 2)" in doc


@pytest.mark.parametrize("name", ["lenet5", "vae", "textcnn"])
def test_main_block_loads_the_weights_beside_it_and_runs(name, tmp_path):
    design = load_template(name)
    trained = build_model(design, seed=3)
    for p in trained.parameters():
        p.data.add_(0.5)  # weights that differ from any fresh init
    torch.save({"model": trained.state_dict(), "epoch": 3}, tmp_path / "checkpoint.pt")  # a training checkpoint
    r = export_python(design, tmp_path / "model.py", weights=tmp_path / "checkpoint.pt")
    assert r.weights_path == tmp_path / "model.pt"
    run = subprocess.run([sys.executable, "model.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "loaded weights from model.pt" in run.stdout and f"parameters: {r.params:,}" in run.stdout
    for o in sorted(n.id for n in design.nodes if n.type == "Output"):
        assert f"{o}: (2, " in run.stdout
    module = import_file(tmp_path / "model.py")
    m = module.build_model()
    m.load_state_dict(torch.load(tmp_path / "model.pt", weights_only=True))
    assert all(torch.equal(a, b) for a, b in zip(m.state_dict().values(), trained.state_dict().values()))


def test_hostile_design_exports_a_file_that_executes_nothing_else(tmp_path):
    design = hostile_design()
    export_python(design, tmp_path / "model.py")
    run = subprocess.run([sys.executable, "-c", "import model; m = model.build_model(); print(type(m).__name__)"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert not (tmp_path / "PWNED").exists()
    main = subprocess.run([sys.executable, "model.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert main.returncode == 0, main.stderr
    assert 'out"""' in main.stdout and not (tmp_path / "PWNED").exists()


def test_weights_that_do_not_fit_are_refused_with_the_keys(tmp_path):
    torch.save({"conv1.weight": torch.zeros(1)}, tmp_path / "w.pt")
    with pytest.raises(
        ExportError, match="9 missing key.s.: conv1.bias, conv2.bias, conv2.weight, fc1.bias, fc1.weight and 4 more"
    ):
        export_python(load_template("lenet5"), tmp_path / "m.py", weights=tmp_path / "w.pt")
    (tmp_path / "evil.pt").write_bytes(b"not a torch file")
    with pytest.raises(ExportError, match="cannot read weights"):
        export_python(load_template("lenet5"), tmp_path / "m.py", weights=tmp_path / "evil.pt")
    assert not (tmp_path / "m.py").exists()  # nothing half-written


def test_pickled_objects_in_weights_are_never_unpickled(tmp_path):
    class Sneaky:
        def __reduce__(self):
            return (print, ("PWNED",))

    torch.save({"model": Sneaky()}, tmp_path / "w.pt")
    with pytest.raises(ExportError, match="cannot read weights"):
        export_python(load_template("lenet5"), tmp_path / "m.py", weights=tmp_path / "w.pt")
