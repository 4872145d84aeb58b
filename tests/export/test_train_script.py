"""The exported train.py: ruff-clean, runs alone (on an .npz, without LayerLoom) and under torchrun with DDP."""

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
from builder.templates import load_template

ROOT = Path(__file__).resolve().parents[2]


def run(cmd, cwd, env_extra=None, timeout=300):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(env_extra or {})
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


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


def test_unsupported_tasks_are_refused(tmp_path):
    with pytest.raises(ExportError, match="task is vae"):
        export_train_script(load_template("vae"), tmp_path / "t.py")
    with pytest.raises(ExportError, match="several networks"):
        export_train_script(load_template("dcgan"), tmp_path / "t.py")
