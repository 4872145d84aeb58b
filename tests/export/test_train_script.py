"""The exported train.py: ruff-clean, runs alone (on its data.npz or another, without LayerLoom) and under
torchrun with DDP, and trains exactly as the engine does (the same recipe, copied as source)."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from builder import build_model
from builder.data import load_dataset
from builder.export import ExportError, export_train_script
from builder.templates import list_templates, load_template
from builder.train import RunLog, train

ROOT = Path(__file__).resolve().parents[2]


def run(cmd, cwd, env_extra=None, timeout=300):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(env_extra or {})
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


def alone(folder, *args, timeout=300):
    """python -I train.py ARGS in ``folder``: isolated, so only installed packages (torch, numpy) import."""
    assert run([sys.executable, "-I", "-c", "import builder"], folder).returncode != 0  # LayerLoom is not there
    return run([sys.executable, "-I", "train.py", *args], folder, timeout=timeout)


def parity_templates():
    """Every template train.py covers whose default dataset it fits (a GAN trains two networks: not train.py)."""
    from builder.export.train_script import resolve

    names = []
    for t in list_templates():
        try:
            if not resolve(t.load())[3]:
                names.append(t.name)
        except ExportError:
            pass
    return names


def test_script_is_ruff_clean(tmp_path):
    for name in ("digits_cnn", "textcnn", "lstm_forecaster", "denoising_autoencoder"):
        export_train_script(load_template(name), tmp_path / f"{name}.py")
    for args in (["check"], ["format", "--check"]):
        r = subprocess.run([sys.executable, "-m", "ruff", *args, "--isolated", "--no-cache", str(tmp_path)],
                           capture_output=True, text=True)  # fmt: skip
        assert r.returncode == 0, r.stdout + r.stderr


def test_runs_on_an_npz_with_torch_alone(tmp_path):
    design = load_template("digits_mlp")
    design.training = {"optimizer": "sgd", "momentum": 0.9, "nesterov": True, "lr": 0.05, "schedule": "cosine"}
    export_train_script(design, tmp_path / "train.py")
    d = load_dataset("digits")
    np.savez(tmp_path / "data.npz", X_train=d.x_train, y_train=d.y_train, X_val=d.x_val, y_val=d.y_val)
    r = run([sys.executable, "train.py", "--data", "data.npz", "--epochs", "3"], tmp_path)  # builder not importable
    assert r.returncode == 0, r.stderr
    losses = [float(line.split("val loss ")[1]) for line in r.stdout.splitlines() if "val loss" in line]
    assert len(losses) == 3 and losses[-1] < losses[0]
    model = build_model(design)
    model.load_state_dict(torch.load(tmp_path / "model.pt", weights_only=True), strict=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_runs_under_torchrun_with_two_cpu_processes(tmp_path):
    export_train_script(load_template("digits_cnn"), tmp_path / "train.py")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "1", "--node_rank", "0", "--nproc_per_node", "2",
           "--master_addr", "127.0.0.1", "--master_port", str(free_port()), "train.py", "--epochs", "2"]  # fmt: skip
    r = run(cmd, tmp_path, {"PYTHONPATH": str(ROOT), "GLOO_SOCKET_IFNAME": "lo", "OMP_NUM_THREADS": "1"})
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.count("epoch ") == 2 and "saved model.pt" in r.stdout  # printed once, by rank 0
    build_model(load_template("digits_cnn")).load_state_dict(torch.load(tmp_path / "model.pt", weights_only=True))


def test_a_gan_is_refused_saying_how_it_trains(tmp_path):
    with pytest.raises(ExportError, match="several networks"):
        export_train_script(load_template("dcgan"), tmp_path / "t.py")
    with pytest.raises(ExportError, match="generator and a discriminator together"):
        export_train_script(load_template("dcgan_generator"), tmp_path / "t.py")
    assert not (tmp_path / "t.py").exists()


def test_mlp_xor_trains_with_bce_as_the_engine_does(tmp_path):
    """The bug: train.py used cross-entropy for "auto" on a one-logit classifier (IndexError: Target 1 is out of
    bounds); the engine uses BCE with logits. Label smoothing applies to BCE too."""
    design = load_template("mlp_xor")
    design.training = {"epochs": 2, "label_smoothing": 0.2}
    script = export_train_script(design, tmp_path / "train.py")
    assert script.data_path == tmp_path / "data.npz"
    r = alone(tmp_path)  # no --data: data.npz beside it
    assert r.returncode == 0, r.stderr[-3000:]
    ours = json.loads((tmp_path / "model.json").read_text())
    engine = train(design, workspace=tmp_path / "ws")
    assert [e["val_loss"] for e in ours][-1] == engine.metrics["val"]["loss"]
    design.training["label_smoothing"] = 0.0  # smoothing changes the loss: it is really applied
    export_train_script(design, tmp_path / "train.py")
    assert alone(tmp_path).returncode == 0
    assert json.loads((tmp_path / "model.json").read_text())[-1]["val_loss"] != ours[-1]["val_loss"]


def test_without_a_data_file_it_says_what_to_do(tmp_path):
    script = export_train_script(load_template("digits_mlp"), tmp_path / "train.py", data=False)
    assert script.data_path is None
    r = alone(tmp_path)
    assert r.returncode != 0 and "no data file" in r.stderr and "--data" in r.stderr and "Traceback" not in r.stderr


def test_a_design_that_does_not_fit_its_dataset_still_gets_a_script_without_data(tmp_path):
    script = export_train_script(load_template("resnet18"), tmp_path / "train.py")
    assert script.path.exists() and script.data_path is None and not (tmp_path / "data.npz").exists()
    assert "does not fit its training dataset, digits" in script.data_problem and "--data" in script.data_problem


@pytest.mark.parametrize("name", parity_templates())
def test_one_epoch_of_train_py_matches_the_engine(name, tmp_path):
    """Same seed, same data order and initialization: the exported script's validation loss after one epoch is
    the engine's, bit for bit on the CPU (the largest difference is printed with -s)."""
    design = load_template(name)
    design.training = {**(design.training or {}), "epochs": 1, "seed": 3}
    engine = train(design, workspace=tmp_path / "ws")
    assert engine.status == "finished", engine.message
    export_train_script(design, tmp_path / "train.py")
    r = alone(tmp_path, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    ours = json.loads((tmp_path / "model.json").read_text())[-1]["val_loss"]
    print(f"{name}: engine {engine.metrics['val']['loss']!r}, train.py {ours!r}")
    assert ours == engine.metrics["val"]["loss"]


def test_every_option_of_the_recipe_trains_the_same_in_train_py(tmp_path):
    """Augmentation, input noise, L1, clipping, label smoothing, Nesterov momentum and a per-batch schedule: the
    script runs the engine's recipe, so two epochs still agree bit for bit."""
    design = load_template("digits_cnn")
    design.training = {"epochs": 2, "seed": 1, "optimizer": "sgd", "momentum": 0.9, "nesterov": True, "lr": 0.05,
                       "schedule": "onecycle", "augment_flip": True, "augment_crop": 1, "input_noise": 0.1,
                       "l1": 1e-4, "grad_clip": 1.0, "label_smoothing": 0.1, "weight_decay": 1e-4}  # fmt: skip
    engine = train(design, workspace=tmp_path / "ws")
    export_train_script(design, tmp_path / "train.py")
    assert alone(tmp_path).returncode == 0
    ours = [e["val_loss"] for e in json.loads((tmp_path / "model.json").read_text())]
    events = [e.data["val"]["loss"] for e in RunLog.read(engine.run_dir / "events.jsonl") if e.kind == "epoch"]
    assert ours == events
