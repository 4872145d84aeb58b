"""Runs as jobs: concurrent throughput, start latency, and the Ray executor's overhead (issue 17).

* Aggregate throughput of 4 concurrent LeNet-5 runs ÷ one run alone: the training samples of all runs per
  second of the span from the first run's ``started`` event to the last run's last epoch (so a queued run that
  waits for a worker counts against it; each process's one-off start-up is the next figure) — for local
  worker processes (the executor caps concurrent runs at the cores and shares the threads out) and, as the
  baseline, the threads inside one process that runs used to be (each with torch's default threads). Target
  >= 0.9 for the workers. The end-to-end figure (submission to the last end) is printed beside it.
* Start → first epoch of a local worker with a primed spare (a warm server): submission to the first epoch
  event. Target <= 1.5 s.
* Ray (when installed): submission → first epoch on a local single-node cluster, against the local worker.

Rounds are interleaved (alone, then concurrent, for each kind in turn) in one process.

Run: python benchmarks/bench_jobs.py [--rounds N] [--epochs N] [--no-ray]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from builder.jobs.local import LocalExecutor  # noqa: E402
from builder.templates import load_template  # noqa: E402
from builder.train import Run  # noqa: E402
from builder.train.events import RunLog  # noqa: E402
from builder.workspace import Workspace  # noqa: E402

SETTINGS = {"dataset": "digits28", "batch_size": 64}


def training(run_dirs: list[Path]) -> tuple[int, float, float]:
    """(training samples of all runs, the first ``started`` time, the last epoch's time)."""
    total, starts, ends = 0, [], []
    for run_dir in run_dirs:
        events = RunLog.read(run_dir / "events.jsonl")
        started = next(e for e in events if e.kind == "started")
        epochs = [e for e in events if e.kind == "epoch"]
        total += started.data["sizes"]["train"] * len(epochs)
        starts.append(started.time)
        ends.append(epochs[-1].time)
    return total, min(starts), max(ends)


def rates(run_dirs: list[Path], wall: float) -> tuple[float, float]:
    """(training samples/s over the training span, samples/s end to end)."""
    total, start, end = training(run_dirs)
    return total / (end - start), total / wall


def workers(ex: LocalExecutor, n: int, epochs: int) -> tuple[float, float]:
    """Samples per second for ``n`` runs submitted at once to worker processes (see :func:`rates`)."""
    ws = Workspace(tempfile.mkdtemp(prefix="bench-jobs-"), executor=ex)
    ex.warm()
    time.sleep(7)  # the spare is primed, as on a server where a user reads the form first
    t0 = time.perf_counter()
    jobs = [ws.start(load_template("lenet5"), {**SETTINGS, "epochs": epochs}, f"d{k}") for k in range(n)]
    for j in jobs:
        j.join()
    wall = time.perf_counter() - t0
    assert all(ws.run(j.run_id).status == "finished" for j in jobs)
    return rates([j.run_dir for j in jobs], wall)


def threads(n: int, epochs: int) -> tuple[float, float]:
    """The same with runs as threads of this process (how the app trained before)."""
    folder = tempfile.mkdtemp(prefix="bench-threads-")
    t0 = time.perf_counter()
    runs = [Run(load_template("lenet5"), {**SETTINGS, "epochs": epochs}, workspace=folder).start() for _ in range(n)]
    for r in runs:
        r.join()
    wall = time.perf_counter() - t0
    return rates([r.run_dir for r in runs], wall)


def first_epoch(ws: Workspace, wait: float) -> float:
    """Seconds from submission to the first epoch event (after ``wait`` s for the executor to get ready)."""
    ws.executor.warm()
    time.sleep(wait)
    t0 = time.time()
    job = ws.start(load_template("lenet5"), {**SETTINGS, "epochs": 2}, "d")
    job.join()
    events = RunLog.read(job.run_dir / "events.jsonl")
    return next(e.time for e in events if e.kind == "epoch") - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--no-ray", action="store_true")
    args = ap.parse_args()
    ex = LocalExecutor()
    threads(1, 1)  # (this process's one-off imports, out of the figures)
    ratios: dict[str, list[float]] = {"workers": [], "threads": [], "workers end to end": [], "threads end to end": []}
    for k in range(args.rounds):
        line = []
        for kind, measure in (
            ("workers", lambda n: workers(ex, n, args.epochs)),
            ("threads", lambda n: threads(n, args.epochs)),
        ):
            (alone, alone_e2e), (four, four_e2e) = measure(1), measure(4)
            ratios[kind].append(four / alone)
            ratios[f"{kind} end to end"].append(four_e2e / alone_e2e)
            line.append(f"{kind}: alone {alone:,.0f} samples/s, 4 at once {four:,.0f} ({four / alone:.2f}; end to end "
                        f"{four_e2e / alone_e2e:.2f})")  # fmt: skip
        print(f"round {k + 1}: " + "; ".join(line), flush=True)
    for kind, values in ratios.items():
        target = "  target >= 0.9" if kind == "workers" else ""
        print(f"4 concurrent ÷ alone, {kind}: median {statistics.median(values):.2f} "
              f"(min {min(values):.2f}, max {max(values):.2f}){target}")  # fmt: skip
    local = Workspace(tempfile.mkdtemp(prefix="bench-first-"), executor=ex)
    starts = [first_epoch(local, 7) for _ in range(args.rounds)]
    print(f"start → first epoch, local worker (primed spare): median {statistics.median(starts):.2f} s "
          f"(min {min(starts):.2f}, max {max(starts):.2f})  target <= 1.5 s")  # fmt: skip
    ex.shutdown()
    if args.no_ray:
        return
    try:
        from builder.jobs.ray_executor import RayExecutor

        ray_ex = RayExecutor("local", num_cpus=2)
    except ImportError as e:
        print(f"ray: skipped ({e})")
        return
    remote = Workspace(tempfile.mkdtemp(prefix="bench-ray-"), executor=ray_ex)
    first_epoch(remote, 0)  # (the cluster's first worker and its imports)
    rays = [first_epoch(remote, 1) for _ in range(args.rounds)]
    print(f"start → first epoch, Ray local cluster: median {statistics.median(rays):.2f} s (min {min(rays):.2f}, "
          f"max {max(rays):.2f}); overhead over the local worker {statistics.median(rays) - statistics.median(starts):+.2f} s")  # fmt: skip
    ray_ex.shutdown()


if __name__ == "__main__":
    main()
