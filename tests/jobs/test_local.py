"""Runs as jobs in local worker processes: isolation, failures with their reason, the OS memory limit, control
across the process boundary, the queue, a server restart, and the server staying responsive."""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import torch

from builder.jobs import control, executor_for
from builder.jobs.local import LocalExecutor, parse_size
from builder.templates import load_template
from builder.workspace import Workspace
from tests.conftest import ROOT
from tests.util import steps, wait_for


@pytest.fixture
def ex():
    executor = LocalExecutor(spare=False)
    yield executor
    executor.shutdown()


def long_run(ws, epochs=400, **settings):
    return ws.start(load_template("lenet5"), {"epochs": epochs, "batch_size": 16, "log_every": 1, **settings}, "d")


def test_a_run_trains_in_its_own_process_and_its_folder_is_the_whole_contract(tmp_path, ex):
    ws = Workspace(tmp_path, executor=ex)
    job = ws.start(load_template("digits_mlp"), {"epochs": 2}, "mine-1")
    assert job.join(120)
    info = ws.run(job.run_id)
    assert info.status == "finished" and [e["epoch"] for e in info.epochs] == [1, 2], info.end
    worker = json.loads((job.run_dir / "worker.json").read_text())
    assert worker["pid"] == job.pid != os.getpid() and job.returncode == 0
    assert job.where.startswith(f"local process {job.pid}")
    best = torch.load(job.run_dir / "best.pt", weights_only=True)
    assert best["run_id"] == job.run_id and "model" in best
    assert ws.snapshot(job.run_id)["epoch"] == 2  # probes.pt: how a server sees a worker's snapshots


def test_a_bad_run_is_refused_before_any_process_starts(tmp_path, ex):
    from builder.train import TrainError

    with pytest.raises(TrainError, match="set its shape to"):
        Workspace(tmp_path, executor=ex).start(load_template("lenet5"), {"dataset": "wine"}, "d")
    assert ex._running == [] and ex._queue == []


def test_sigkill_mid_epoch_fails_the_run_with_the_signal_and_keeps_its_checkpoint(tmp_path, ex):
    ws = Workspace(tmp_path, executor=ex)
    victim, other = long_run(ws), ws.start(load_template("digits_mlp"), {"epochs": 3}, "d")
    assert wait_for(lambda: (victim.run_dir / "last.pt").exists() and steps(ws, victim.run_id) > 3)
    os.kill(victim.pid, signal.SIGKILL)
    assert victim.join(30)
    info = ws.run(victim.run_id)
    assert info.status == "failed" and "killed by SIGKILL" in info.end["message"], info.end
    assert info.end["reason"] == "signal" and info.end["signal"] == "SIGKILL"
    last = torch.load(victim.run_dir / "last.pt", weights_only=True)
    assert last["epoch"] >= 1 and last["run_id"] == victim.run_id
    assert other.join(120) and ws.run(other.run_id).status == "finished"  # the other run never noticed


def test_a_worker_over_its_memory_limit_is_stopped_by_the_os_and_says_so(tmp_path):
    ex = LocalExecutor(memory=parse_size("600M"), spare=False)
    try:
        ws = Workspace(tmp_path, executor=ex)
        design = load_template("mlp_xor")
        hidden = next(n for n in design.nodes if n.type == "Linear")
        hidden.params["out_features"] = 40000  # ~0.5 GB of activations at batch 4096: over 600 MiB
        job = ws.start(design, {"epochs": 1, "batch_size": 4096}, "d")
        assert job.join(120)
        info = ws.run(job.run_id)
        assert info.status == "failed" and info.end.get("reason") == "memory", info.end
        assert "memory limit of 0.6 GiB" in info.end["message"] and "batch size" in info.end["message"]
    finally:
        ex.shutdown()


def test_pause_resume_and_stop_cross_the_process_boundary(tmp_path, ex):
    ws = Workspace(tmp_path, executor=ex)
    job = long_run(ws)
    assert wait_for(lambda: steps(ws, job.run_id) > 2)
    job.pause()
    assert wait_for(lambda: ws.events(job.run_id)[-1].kind == "paused", 10)
    assert ws.run(job.run_id).status == "paused" and job.paused
    held = steps(ws, job.run_id)
    time.sleep(1.0)
    assert steps(ws, job.run_id) == held  # paused: nothing moves
    job.resume()
    assert wait_for(lambda: steps(ws, job.run_id) > held + 2, 20)
    assert ws.run(job.run_id).status == "running"
    t0 = time.monotonic()
    job.stop()
    assert job.join(30)
    info = ws.run(job.run_id)
    assert info.status == "stopped" and "stopped by the user" in info.end["message"]
    print(f"\nstop → ended: {time.monotonic() - t0:.2f} s")


def test_runs_beyond_the_cap_wait_in_a_visible_queue_and_threads_are_shared_out(tmp_path):
    ex = LocalExecutor(max_runs=2, spare=False)
    try:
        ws = Workspace(tmp_path, executor=ex)
        first, second = long_run(ws), long_run(ws)
        third, fourth = ws.start(load_template("mlp_xor"), {"epochs": 1}, "d"), long_run(ws)
        assert (first.queue_position, second.queue_position) == (None, None)
        assert (third.queue_position, fourth.queue_position) == (0, 1)
        assert ws.run(third.run_id).status == "queued"
        assert first.threads == second.threads == max(1, ex.cores // 2)
        assert control.read(first.run_dir)["threads"] == first.threads
        fourth.stop()  # leaves the queue without ever starting
        info = ws.run(fourth.run_id)
        assert info.status == "stopped" and "before it started" in info.end["message"] and fourth.pid is None
        first.stop()
        assert third.join(120) and ws.run(third.run_id).status == "finished"  # it took the freed slot
        second.stop()
        assert second.join(30)
    finally:
        ex.shutdown()


SERVER = """
import sys
from builder.jobs.local import LocalExecutor
from builder.templates import load_template
from builder.workspace import Workspace
ws = Workspace(sys.argv[1], executor=LocalExecutor(spare=False))
job = ws.start(load_template("lenet5"), {"epochs": int(sys.argv[2]), "batch_size": 16}, "d")
print(job.run_id, job.pid, flush=True)
"""  # a server that starts a run, then goes away (as a restart does)


@pytest.fixture
def start_and_leave(tmp_path):
    """start(epochs) -> (run id, pid) of a run a server process started before it exited; killed at the end."""
    pids = []

    def start(epochs):
        out = subprocess.run([sys.executable, "-c", SERVER, str(tmp_path), str(epochs)], cwd=ROOT,
                             capture_output=True, text=True, timeout=120, check=True).stdout.split()  # fmt: skip
        pids.append(int(out[1]))
        return out[0], int(out[1])

    yield start
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def test_after_a_server_restart_the_run_keeps_training_and_is_controlled_by_the_new_server(
    tmp_path, ex, start_and_leave
):
    run_id, pid = start_and_leave(400)
    ws = Workspace(tmp_path, executor=ex)  # the restarted server
    assert wait_for(lambda: steps(ws, run_id) > 2)
    job = ws.live(run_id)
    assert job is not None and job.pid == pid and ws.run(run_id).status == "running"
    job.pause()
    assert wait_for(lambda: ws.events(run_id)[-1].kind == "paused", 10) and ws.run(run_id).status == "paused"
    ws.live(run_id).resume()
    assert wait_for(lambda: ws.events(run_id)[-1].kind == "step", 10)
    ws.live(run_id).stop()
    assert job.join(30) and ws.run(run_id).status == "stopped"


def test_a_worker_killed_while_no_server_watched_reads_as_interrupted_and_can_be_continued(
    tmp_path, ex, start_and_leave
):
    run_id, pid = start_and_leave(400)
    ws = Workspace(tmp_path, executor=ex)
    assert wait_for(lambda: (ws.runs_dir / run_id / "last.pt").exists())
    os.kill(pid, signal.SIGKILL)
    assert wait_for(lambda: ws.live(run_id) is None, 10)
    info = ws.run(run_id)
    assert info.status == "interrupted"
    done = torch.load(ws.runs_dir / run_id / "last.pt", weights_only=True)["epoch"]
    again = ex.submit(None, {"epochs": done + 1}, tmp_path, resume=ws.runs_dir / run_id / "last.pt")
    assert again.join(120) and ws.run(run_id).status == "finished"
    assert ws.run(run_id).epochs[-1]["epoch"] == done + 1


def test_five_runs_at_once_leave_this_process_responsive(tmp_path, ex):
    """The server's own work (here: a 100 ms timer) is not held up by five runs starting and training."""
    ws = Workspace(tmp_path, executor=ex)
    late, stop = [], threading.Event()

    def tick():
        due = time.perf_counter()
        while not stop.is_set():
            due += 0.1
            time.sleep(max(0.0, due - time.perf_counter()))
            late.append(time.perf_counter() - due)

    ticker = threading.Thread(target=tick)
    ticker.start()
    jobs = [ws.start(load_template("lenet5"), {"epochs": 2, "batch_size": 32}, f"user-{k}") for k in range(5)]
    while not all(j.join(0.2) for j in jobs):
        for j in jobs:  # what five dashboards ask every poll
            ws.run(j.run_id)
    stop.set()
    ticker.join()
    late.sort()
    p95, worst = late[int(0.95 * len(late))], late[-1]
    print(f"\nfive runs: timer lateness p95 {p95 * 1000:.1f} ms, max {worst * 1000:.1f} ms over {len(late)} ticks")
    assert all(ws.run(j.run_id).status == "finished" for j in jobs)
    assert {r.design_id for r in ws.runs()} == {f"user-{k}" for k in range(5)}
    assert [r.run_id for r in ws.runs("user-3")] == [jobs[3].run_id]  # each sees only its own
    assert p95 <= 0.1 and worst <= 0.5


def test_an_unknown_executor_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="local, ray://host:port"):
        executor_for("slurm://x")


@pytest.mark.parametrize("text,value", [("4G", 4 * 2**30), ("512M", 512 * 2**20), ("1.5GiB", int(1.5 * 2**30))])
def test_memory_sizes(text, value):
    assert parse_size(text) == value


@pytest.mark.parametrize("text", ["lots", "100M"])
def test_memory_sizes_that_make_no_sense_are_refused(text):
    with pytest.raises(ValueError):
        parse_size(text)
