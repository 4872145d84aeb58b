"""Data-parallel runs through the local executor: two CPU processes (gloo) train as the exported train.py does
under torchrun, and a lost process fails the run saying which."""

import json
import os
import signal
import sys

import pytest

from builder.export import export_train_script
from builder.jobs.local import LocalExecutor
from builder.templates import load_template
from builder.workspace import Workspace
from tests.conftest import ROOT
from tests.export.test_train_script import free_port, run
from tests.util import steps, wait_for


@pytest.fixture
def ex():
    executor = LocalExecutor(spare=False)
    yield executor
    executor.shutdown()


def test_two_cpu_processes_give_the_loss_curve_of_train_py_under_torchrun(tmp_path, ex):
    design = load_template("digits_cnn")
    ws = Workspace(tmp_path / "ws", executor=ex)
    job = ws.start(design, {"epochs": 3, "processes": 2}, "d")
    assert job.width == 2 and len(job.followers) == 1 and "DDP ×2" in job.where
    assert job.join(180)
    info = ws.run(job.run_id)
    assert info.status == "finished" and len(info.epochs) == 3, info.end
    assert (job.run_dir / "worker-1.log").exists() and info.epochs[-1]["train"]["loss"] > 0
    export_train_script(design, tmp_path / "train.py")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "1", "--node_rank", "0", "--nproc_per_node", "2",
           "--master_addr", "127.0.0.1", "--master_port", str(free_port()), "train.py", "--epochs", "3"]  # fmt: skip
    r = run(cmd, tmp_path, {"PYTHONPATH": str(ROOT), "GLOO_SOCKET_IFNAME": "lo", "OMP_NUM_THREADS": "1"})
    assert r.returncode == 0, r.stderr[-3000:]
    theirs = json.loads((tmp_path / "model.json").read_text())
    ours = info.epochs
    for a, b in zip(ours, theirs, strict=True):
        assert a["val"]["loss"] == pytest.approx(b["val_loss"], rel=1e-4, abs=1e-6), (a["epoch"], a["val"], b)
        assert a["train"]["loss"] == pytest.approx(b["train_loss"], rel=1e-4, abs=1e-6)
    single = ws.start(design, {"epochs": 3}, "d")
    assert single.join(120)
    assert ws.run(single.run_id).epochs[0]["val"]["loss"] != ours[0]["val"]["loss"]  # (it really was split)


def test_a_lost_ddp_process_fails_the_run_naming_its_rank(tmp_path, ex):
    ws = Workspace(tmp_path, executor=ex)
    job = ws.start(load_template("lenet5"), {"epochs": 400, "batch_size": 16, "processes": 2}, "d")
    wait_for(lambda: steps(ws, job.run_id) > 0, 120)
    os.kill(job.followers[0].pid, signal.SIGKILL)
    assert job.join(60)
    info = ws.run(job.run_id)
    assert info.status == "failed", info.end
    assert "rank 1" in info.end["message"] or "Connection" in info.end["message"] or "gloo" in info.end["message"]


def test_a_data_parallel_run_is_refused_in_this_thread_with_the_way_to_run_it(tmp_path):
    from builder.train import TrainError, train

    with pytest.raises(TrainError, match="worker processes"):
        train(load_template("mlp_xor"), {"processes": 2}, workspace=tmp_path)


def test_the_device_picker_offers_all_gpus_as_one_ddp_run_when_there_are_several():
    from ui.train_form import device_choices, from_device_choice

    assert device_choices(["cpu"]) == ["auto", "cpu"]
    assert device_choices(["cpu", "cuda:0"]) == ["auto", "cpu", "cuda:0"]
    choices = device_choices(["cpu", "cuda:0", "cuda:1", "cuda:2"])
    assert choices[-1] == "ddp:3" and from_device_choice("ddp:3") == ("cuda:0", 3)
    assert from_device_choice("cuda:1") == ("cuda:1", None)
