"""python -m builder: validate (exit 0/1/2, table or JSON), templates, layers."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from builder.templates import TEMPLATE_DIR, list_templates

ROOT = Path(__file__).resolve().parents[1]


def cli(*args):
    return subprocess.run([sys.executable, "-m", "builder", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)  # fmt: skip


def test_validate_prints_the_node_table_and_totals():
    r = cli("validate", TEMPLATE_DIR / "lenet5.json")
    assert r.returncode == 0, r.stderr
    assert "conv1" in r.stdout and "(N, 6, 28, 28)" in r.stdout and "61,706" in r.stdout
    assert r.stdout.strip().endswith("valid: 0 error(s), 0 warning(s)")


def test_validate_json_matches_the_documented_shape():
    out = json.loads(cli("validate", TEMPLATE_DIR / "resnet18.json", "--json").stdout)
    assert set(out) == {"valid", "nodes", "params", "macs", "activation_bytes", "issues"}
    assert out["valid"] and out["params"] == 11_689_512
    assert out["nodes"]["conv1"] == {"shape": [64, 112, 112], "params": 9408, "macs": 118_013_952}


def test_invalid_design_exits_1_with_every_issue(tmp_path):
    d = json.loads((TEMPLATE_DIR / "lenet5.json").read_text())
    d["nodes"][1]["params"]["kernel_size"] = 40
    d["nodes"][-2]["params"]["out_features"] = 0
    f = tmp_path / "bad.json"
    f.write_text(json.dumps(d))
    r = cli("validate", f)
    assert r.returncode == 1
    assert "kernel_size=40 is larger than its input height 28" in r.stderr and "out_features must be >= 1" in r.stderr
    out = json.loads(cli("validate", f, "--json").stdout)
    assert not out["valid"] and {i["node"] for i in out["issues"]} == {"conv1", "fc3"}


@pytest.mark.parametrize("text,path", [('{"version": 1, "nodes": [{"id": "a", "type": 5}]}', "$.nodes[0].type"),
                                       ("not json", "$")])  # fmt: skip
def test_unreadable_file_exits_2_naming_the_json_path(tmp_path, text, path):
    f = tmp_path / "broken.json"
    f.write_text(text)
    r = cli("validate", f)
    assert r.returncode == 2 and f"{path}:" in r.stderr
    assert json.loads(cli("validate", f, "--json").stdout)["path"] == path


def test_every_template_validates_from_the_cli():
    for t in list_templates():
        assert cli("validate", t.path, "--json").returncode == 0, t.name


def test_templates_list_and_write(tmp_path):
    r = cli("templates")
    assert r.returncode == 0 and "resnet18" in r.stdout and "11,689,512" in r.stdout
    r = cli("templates", "--write", tmp_path / "out")
    assert r.returncode == 0
    assert sorted(p.name for p in (tmp_path / "out").glob("*.json")) == sorted(
        p.name for p in TEMPLATE_DIR.glob("*.json")
    )


def test_layers_json_describes_every_spec():
    specs = json.loads(cli("layers", "--json").stdout)
    conv = next(s for s in specs if s["type"] == "Conv2d")
    assert conv["category"] == "Convolution" and conv["params"]["padding"]["choices"] == ["same", "valid"]
    assert len(specs) == 60


def test_export_writes_python_and_verified_onnx(tmp_path):
    import torch

    from builder import build_model
    from builder.templates import load_template

    torch.save(build_model(load_template("lenet5"), seed=1).state_dict(), tmp_path / "w.pt")
    r = cli("export", TEMPLATE_DIR / "lenet5.json", "--python", tmp_path / "m.py", "--onnx", tmp_path / "m.onnx",
            "--weights", tmp_path / "w.pt", "--json")  # fmt: skip
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["python"]["weights"] == str(tmp_path / "m.pt") and out["python"]["params"] == 61706
    assert out["onnx"]["verified_batches"] == [3] and out["onnx"]["max_abs_diff"] < 1e-5
    r = cli("export", TEMPLATE_DIR / "lenet5.json", "--onnx", tmp_path / "m2.onnx")
    assert r.returncode == 0 and "onnxruntime matches torch within" in r.stdout and "at batch [3]" in r.stdout


def test_export_failures_exit_1_with_the_reason(tmp_path):
    d = json.loads((TEMPLATE_DIR / "lstm_classifier.json").read_text())
    d["nodes"][1]["params"]["proj_size"] = 4
    (tmp_path / "d.json").write_text(json.dumps(d))
    r = cli("export", tmp_path / "d.json", "--onnx", tmp_path / "m.onnx")
    assert r.returncode == 1 and "ONNX has no LSTM with projections" in r.stderr
    assert cli("export", tmp_path / "d.json").returncode == 2  # nothing asked for


def test_datasets_lists_every_bundled_dataset():
    out = json.loads(cli("datasets", "--json").stdout)
    digits = next(d for d in out if d["name"] == "digits")
    assert digits["task"] == "classification" and digits["input_shape"] == [1, 8, 8] and len(digits["classes"]) == 10
    assert digits["sizes"] == {"train": 1257, "val": 270, "test": 270}
    assert "sentiment" in cli("datasets").stdout


def test_train_prints_a_final_json_line_and_fails_clearly(tmp_path):
    r = cli("train", TEMPLATE_DIR / "digits_mlp.json", "--epochs", "2", "--out", tmp_path, "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert set(out) >= {"dataset", "task", "epochs", "device", "metrics", "checkpoint", "logdir"}
    assert out["dataset"] == "digits" and out["epochs"] == 2 and out["device"] == "cpu"
    assert set(out["metrics"]) == {"train", "val", "test"} and Path(out["checkpoint"]).exists()
    r = cli("train", TEMPLATE_DIR / "lenet5.json", "--dataset", "wine", "--out", tmp_path)
    assert r.returncode == 1 and "set its shape to [13]" in r.stderr
    r = cli("train", TEMPLATE_DIR / "digits_mlp.json", "--epochs", "2", "--lr", "1000", "--out", tmp_path)
    assert r.returncode == 1 and "Lower the learning rate" in r.stderr


def test_tensorboard_command_needs_runs(tmp_path):
    r = cli("tensorboard", tmp_path / "nothing-here")
    assert r.returncode == 2 and "train a model first" in r.stderr


def test_gan_files_export_one_network_with_its_trained_weights(tmp_path):
    from builder.templates import load_template
    from builder.train import train

    r = train(load_template("gan_2d"), {"epochs": 1}, workspace=tmp_path)
    out = cli("export", TEMPLATE_DIR / "gan_2d.json", "--network", "generator", "--weights", r.checkpoint,
              "--python", tmp_path / "g.py", "--onnx", tmp_path / "g.onnx")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert cli("export", TEMPLATE_DIR / "gan_2d.json", "--onnx", tmp_path / "x.onnx").returncode == 1
    assert (
        cli("export", TEMPLATE_DIR / "gan_2d.json", "--network", "critic", "--onnx", tmp_path / "x.onnx").returncode
        == 2
    )


@pytest.fixture(params=[40, 150, 300], ids=["40kB-free", "150kB-free", "300kB-free"])
def small_disk(tmp_path, request):
    """A 5 MB tmpfs, nearly filled (needs root, as in CI's container; skipped where mounting is not allowed).
    With 40 kB free the first checkpoint fails; with 300 kB, whichever file comes later (TensorBoard's events,
    a checkpoint, probes.pt)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=5m", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        filler = mount / "filler"
        with open(filler, "wb") as f:
            try:
                f.write(b"\0" * (5 * 2**20 - request.param * 2**10))
            except OSError:
                pass
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_a_full_disk_ends_in_a_clear_message_no_temp_file_and_whole_files(small_disk):
    from builder import load_design
    from builder.design import DiskFull
    from builder.workspace import Workspace

    r = cli("train", TEMPLATE_DIR / "lenet5.json", "--epochs", "2", "--out", small_disk)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert "error: no space left on the device holding the workspace" in r.stderr
    assert not list(small_disk.rglob("*.tmp"))
    for events in small_disk.rglob("events.jsonl"):
        assert all(json.loads(line) for line in events.read_text().splitlines())
    ws, big = Workspace(small_disk), load_design(TEMPLATE_DIR / "densenet121.json")
    with pytest.raises(DiskFull, match="no space left on the device holding the workspace"):
        for i in range(20):  # ~100 kB each: the disk fills within a few
            ws.save(f"d{i}", big)
    assert not list(small_disk.rglob("*.tmp"))
    for path in ws.designs_dir.glob("*.json"):  # every earlier save is whole
        load_design(path)
