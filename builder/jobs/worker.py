"""A worker process: ``python -m builder.jobs.worker`` trains one run, given its folder, then exits.

A worker starts as a *spare*: it imports torch and the engine and primes them (one tiny forward and backward
pass, the common datasets) while nobody waits, then reads one order from stdin — a JSON line
``{"run_dir": …, "threads": N, "memory": bytes}``. From then on it talks to the server only through
the run's folder: it writes worker.json (its pid, host and start time), sends its output to worker.log, reads
control.json between steps, and trains with the same :class:`~builder.train.engine.Trainer` as everything else.
An empty stdin (the server went away before giving it work) ends it quietly.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path

LOG = "worker.log"
INFO = "worker.json"
DATASETS = ("digits28", "digits")  # what the CNN templates and the first-visit designs train on


def prime() -> None:
    """The work only a process's first training does (imports, oneDNN's kernels, optimizer set-up, the
    datasets the templates train on), done before an order arrives."""
    import torch

    from ..data import load_dataset
    from ..train import engine, loop, recipe, tboard  # noqa: F401

    torch.set_num_threads(1)
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                                torch.nn.Flatten(), torch.nn.Linear(4 * 14 * 14, 10))  # fmt: skip
    opt = torch.optim.Adam(model.parameters())
    loss = torch.nn.functional.cross_entropy(model(torch.randn(4, 1, 28, 28)), torch.tensor([0, 1, 2, 3]))
    loss.backward()
    opt.step()
    for name in DATASETS:
        try:
            load_dataset(name)
        except Exception:  # a missing optional dataset: the run that needs it says so
            pass


def limit_memory(limit: int | None) -> None:
    """The OS refuses this process's allocations beyond ``limit`` bytes of data (heap and anonymous maps)."""
    if not limit:
        return
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    except (ImportError, ValueError, OSError):  # not on this OS: the server's watchdog still enforces it
        pass


def redirect(path: Path) -> None:
    """stdout and stderr into the run's worker.log (a crash's last lines are shown with the failed run)."""
    sys.stdout.flush()
    sys.stderr.flush()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def describe(run_dir: Path, order: dict) -> None:
    from ..design import atomic_write

    try:
        import psutil

        created = psutil.Process().create_time()
    except Exception:
        created = None
    info = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time(), "created": created,
            "threads": order.get("threads"), "memory": order.get("memory")}  # fmt: skip
    atomic_write(run_dir / INFO, json.dumps(info))


def work(order: dict) -> int:
    """The order a spare got: the run's folder, its threads and memory limit (and, for one process of a
    data-parallel run, its rank, the number of processes and where rank 0 listens)."""
    run_dir, rank = Path(order["run_dir"]), int(order.get("rank", 0))
    redirect(run_dir / (LOG if rank == 0 else f"worker-{rank}.log"))
    limit_memory(order.get("memory"))
    if rank == 0:
        describe(run_dir, order)
    world = int(order.get("world", 1))
    if world > 1:
        join_group(rank, world, order["master"], order.get("cuda", False))
    return train_folder(run_dir, order.get("threads"), order.get("memory"), rank, world)


def join_group(rank: int, world: int, master: str, cuda: bool) -> None:
    """torch.distributed's process group of a data-parallel run (gloo on the CPU, nccl on CUDA)."""
    from datetime import timedelta

    import torch.distributed as dist

    host, port = master.rsplit(":", 1)
    os.environ.update({"MASTER_ADDR": host, "MASTER_PORT": port, "RANK": str(rank), "WORLD_SIZE": str(world),
                       "LOCAL_RANK": str(rank)})  # fmt: skip
    if sys.platform.startswith("linux"):
        os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")  # (the group is on this machine)
    # a paused run holds the others in their next gradient exchange: wait for it as long as a pause may last
    dist.init_process_group("nccl" if cuda else "gloo", rank=rank, world_size=world, timeout=timedelta(days=7))


def train_folder(run_dir: Path, threads: int | None, memory: int | None, rank: int = 0, world: int = 1) -> int:
    """Train the run in ``run_dir`` (created by :func:`~builder.train.engine.create_run`), controlled by its
    control.json; 0 when it finished or was stopped. Every executor's worker trains through here. A
    data-parallel follower (rank > 0) writes nothing: rank 0 reads control.json, and a pause of rank 0 holds
    the others in their next gradient exchange."""
    import torch

    from ..train.engine import Control, Trainer
    from ..train.errors import TrainError
    from ..train.events import RunLog
    from .control import FileControl

    torch.set_num_threads(max(1, int(threads or 1)))
    if rank:
        trainer = Trainer.from_folder(run_dir, Control(), rank, world)
        return 0 if trainer.run().status in ("finished", "stopped") else 1
    trainer = None
    control = FileControl(run_dir, on_change=lambda kind: trainer is not None and trainer.emit(kind))
    control.poll(force=True)  # (asked to pause or stop while it was queued)
    try:
        trainer = Trainer.from_folder(run_dir, control, rank, world)
    except (TrainError, ValueError, OSError) as e:  # the folder changed since the server checked it
        log = RunLog(run_dir / "events.jsonl")
        log.emit("failed", message=f"the run could not start: {e}", node=None)
        log.close()
        return 1
    trainer.snapshot_every = 1.0  # probes.pt is how the server sees the live snapshot
    trainer.memory_limit = memory
    if not control.running.is_set():
        trainer.emit("paused")
    result = trainer.run()
    return 0 if result.status in ("finished", "stopped") else 1


def main() -> int:
    nice = int(os.environ.get("LAYERLOOM_WORKER_NICE") or 0)
    if nice and hasattr(os, "nice"):  # the server that shows the runs stays responsive
        try:
            os.nice(nice)
        except OSError:
            pass
    prime()
    line = sys.stdin.readline()
    if not line.strip():
        return 0  # no work came: the server is gone
    return work(json.loads(line))


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # the run's files are closed: skip the interpreter's teardown (~1 s with torch loaded)
