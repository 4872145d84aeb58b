"""The Ray executor end to end on a local single-node cluster this test starts (ray.init on 127.0.0.1): the run
trains in a Ray actor, its files come back into the workspace, and pause/stop work as locally."""

import time

import pytest
import torch

ray = pytest.importorskip("ray", reason="ray is not installed: pip install -r requirements-ray.txt (CI installs it)")

from builder.jobs.ray_executor import RayExecutor  # noqa: E402
from builder.templates import load_template  # noqa: E402
from builder.workspace import Workspace  # noqa: E402
from tests.util import steps, wait_for  # noqa: E402


@pytest.fixture(scope="module")
def ex():
    executor = RayExecutor("local", num_cpus=2)
    yield executor
    executor.shutdown()


def test_a_design_trains_on_a_local_ray_cluster_and_its_folder_comes_back(tmp_path, ex):
    ws = Workspace(tmp_path, executor=ex)
    t0 = time.time()
    job = ws.start(load_template("digits_mlp"), {"epochs": 2}, "mine-1")
    assert ws.live(job.run_id) is job and ws.run(job.run_id).status in ("queued", "running")
    assert job.join(180)
    info = ws.run(job.run_id)
    assert info.status == "finished" and [e["epoch"] for e in info.epochs] == [1, 2], info.end
    assert info.test_metrics["accuracy"] > 0.5 and job.where.startswith("Ray node ")
    kinds = [e.kind for e in ws.events(job.run_id)]
    assert kinds[0] == "queued" and kinds[1] == "started" and kinds[-1] == "finished"  # every line, once
    best = torch.load(job.run_dir / "best.pt", weights_only=True)
    assert best["run_id"] == job.run_id
    assert ws.snapshot(job.run_id)["epoch"] == 2 and list(job.run_dir.glob("events.out.tfevents.*"))
    first = next(e.time for e in ws.events(job.run_id) if e.kind == "epoch")
    print(f"\nRay: submission → first epoch {first - t0:.2f} s")


def test_pause_and_stop_reach_the_ray_actor(tmp_path, ex):
    ws = Workspace(tmp_path, executor=ex)
    job = ws.start(load_template("lenet5"), {"epochs": 400, "batch_size": 16, "log_every": 1}, "d")
    wait_for(lambda: steps(ws, job.run_id) > 0, 120)
    job.pause()
    wait_for(lambda: ws.events(job.run_id)[-1].kind == "paused", 20)
    assert ws.run(job.run_id).status == "paused"
    job.resume()
    job.stop()
    assert job.join(60)
    info = ws.run(job.run_id)
    assert info.status == "stopped" and "stopped by the user" in info.end["message"]
