"""The Ray executor: runs as Ray actors on a cluster (``ray://host:port``, $LAYERLOOM_RAY_ADDRESS), or on a
single-node cluster this process starts (``local``, for tests and one machine).

Each run is one actor holding the requested resources (1 CPU; 1 GPU when the run's device is CUDA). It trains
in a folder of its own node (:func:`~builder.jobs.worker.train_folder`, the same code as a local worker) and
the server's sync thread copies what changed back into the workspace's run folder every half second —
events.jsonl by its new bytes, checkpoints, probes.pt and TensorBoard files whole — so the pages read a Ray
run exactly as a local one. Pause, resume and stop are actor calls that write the actor's control.json. A node
lost or an actor killed marks the run failed with Ray's reason.

Ray is optional: ``pip install -r requirements-ray.txt``.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from ..train.engine import create_run
from ..train.errors import TrainError
from ..train.events import RunLog, outcome, tail
from . import ROOT, Executor, Job

SYNC_EVERY = 0.5  # seconds between copies of an actor's files into the workspace


def _ray():
    try:
        import ray
    except ImportError:
        raise ImportError("the Ray executor needs ray: pip install -r requirements-ray.txt") from None
    return ray


class RunActor:
    """(a Ray actor, one per run) Trains the run in a folder of its node and hands out what changed."""

    def __init__(self):
        import tempfile

        self.root = Path(tempfile.mkdtemp(prefix="layerloom-ray-"))
        self.thread: threading.Thread | None = None
        self.code: int | None = None
        self.error: str | None = None

    def start(self, run_id: str, files: dict[str, bytes], threads: int) -> dict:
        import socket

        import ray

        run_dir = self.root / "runs" / run_id
        run_dir.mkdir(parents=True)
        for name, data in files.items():
            (run_dir / name).write_bytes(data)
        job = json.loads((run_dir / "job.json").read_text())
        if job.get("resume"):  # the checkpoint came along as resume.pt
            job["resume"] = str(run_dir / "resume.pt")
            (run_dir / "job.json").write_text(json.dumps(job))
        self.run_dir = run_dir
        self.thread = threading.Thread(target=self._train, args=(threads,), daemon=True)
        self.thread.start()
        ctx = ray.get_runtime_context()
        return {"node": ray.util.get_node_ip_address(), "node_id": ctx.get_node_id(), "host": socket.gethostname(),
                "pid": os.getpid()}  # fmt: skip

    def _train(self, threads: int) -> None:
        from .worker import train_folder

        try:
            self.code = train_folder(self.run_dir, threads, None)
        except BaseException as e:  # reported with the run, never lost in the actor's log
            self.error = f"{type(e).__name__}: {e}"
            self.code = 1

    def control(self, state: str) -> None:
        from . import control

        control.write(self.run_dir, state)

    def sync(self, seen: dict[str, list]) -> tuple[dict[str, tuple], bool, str | None]:
        """Files changed since ``seen`` ({name: [size, mtime_ns]}): {name: (offset, bytes, size, mtime_ns)}
        (events.jsonl from its old size; any other file whole), whether training is over, and its error."""
        done = self.thread is not None and not self.thread.is_alive()
        out = {}
        for path in sorted(self.run_dir.rglob("*")):
            if not path.is_file() or path.name.endswith(".tmp") or path.name == "resume.pt":
                continue
            name = path.relative_to(self.run_dir).as_posix()
            st = path.stat()
            old = seen.get(name)
            if old is not None and old[0] == st.st_size and old[1] == st.st_mtime_ns:
                continue
            data = path.read_bytes()
            offset = old[0] if name == "events.jsonl" and old is not None and old[0] <= len(data) else 0
            if name == "events.jsonl":  # whole lines only (the rest comes with the next sync)
                cut = data.rfind(b"\n") + 1
                if cut <= offset:
                    continue
                data = data[:cut]
                st_size = cut
            else:
                st_size = st.st_size
            out[name] = (offset, data[offset:], st_size, st.st_mtime_ns)
        return out, done, self.error


class RayJob(Job):
    def __init__(self, executor: RayExecutor, run_id: str, run_dir: Path, actor, info_ref):
        self.executor, self.run_id, self.run_dir = executor, run_id, run_dir
        self.actor, self._info_ref, self.info = actor, info_ref, {}
        self.state, self.want = "queued", "run"
        self._seen: dict[str, list] = {}
        self._ended = threading.Event()
        self._thread = threading.Thread(target=self._follow, name=f"layerloom-ray-{run_id}", daemon=True)
        self._thread.start()

    def _ask(self, state: str) -> None:
        """What control.json should say; sent now when the actor trains (and waited for: the actor serves calls
        on several threads, so unawaited calls could land out of order), else when it starts."""
        self.want = state
        if self.info:
            _ray().get(self.actor.control.remote(state), timeout=30)

    @property
    def where(self) -> str:
        if not self.info:
            return "Ray, waiting for the cluster's resources"
        return f"Ray node {self.info['node']} ({self.info['host']}, pid {self.info['pid']})"

    def _follow(self) -> None:
        """Wait for the actor to start, then copy its files back until training is over."""
        ray = _ray()
        try:
            self.info = ray.get(self._info_ref)
            if self.want != "run":  # asked to pause or stop while it waited for resources
                ray.get(self.actor.control.remote(self.want), timeout=30)
            self.state = "paused" if self.want == "pause" else "running"
            done = False
            while not done:
                time.sleep(SYNC_EVERY)
                changed, done, error = ray.get(self.actor.sync.remote(self._seen))
                self._write(changed)
            if error:
                self._fail(f"the Ray actor's training failed: {error}", "exit")
        except Exception as e:  # the actor died (its node lost, killed, out of memory): Ray says why
            self._fail(f"the run's Ray actor died: {type(e).__name__}: {str(e)[:500]}", "ray")
        finally:
            try:
                ray.kill(self.actor)
            except Exception:
                pass
            self.state = "ended"
            self._ended.set()

    def _write(self, changed: dict) -> None:
        from ..design import atomic_write

        for name, (_offset, data, size, mtime) in changed.items():
            path = self.run_dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if name == "events.jsonl":  # appended to: the workspace's copy holds earlier lines ("queued", …)
                with open(path, "ab") as f:
                    f.write(data)
            else:
                atomic_write(path, data)
            self._seen[name] = [size, mtime]

    def _fail(self, message: str, reason: str) -> None:
        if outcome(tail(self.run_dir / "events.jsonl").read()) is None:
            log = RunLog(self.run_dir / "events.jsonl")
            log.emit("failed", message=message, node=None, reason=reason)
            log.close()


class RayExecutor(Executor):
    name = "ray"

    def __init__(self, address: str = "auto", num_cpus: int | None = None):
        ray = _ray()
        self.address = address
        if not ray.is_initialized():
            if address == "local":  # a single-node cluster of this process (tests, one machine)
                ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1",
                         runtime_env={"env_vars": {"PYTHONPATH": ROOT}})  # fmt: skip
            else:  # the cluster needs LayerLoom's code: it travels with the job
                ray.init(address=address, log_to_driver=False,
                         runtime_env={"py_modules": [str(Path(ROOT) / "builder")]})  # fmt: skip
        self._actor = ray.remote(max_concurrency=4)(RunActor)
        self._jobs: dict[str, RayJob] = {}
        self._lock = threading.Lock()

    def submit(self, design, settings=None, workspace=None, meta=None, resume=None) -> RayJob:
        if int((settings or {}).get("processes", (getattr(design, "training", None) or {}).get("processes", 1))) > 1:
            raise TrainError(
                "data-parallel runs (processes > 1) do not run on the Ray executor yet: train them with the local "
                "executor, or torchrun the exported train.py on the cluster"
            )
        folder = create_run(design, settings, workspace, resume, meta=meta)
        cuda = str(folder.ready.cfg.device).startswith("cuda")
        files = {name: (folder.run_dir / name).read_bytes() for name in ("run.json", "job.json")}
        if resume is not None:
            files["resume.pt"] = Path(resume).read_bytes()
        actor = self._actor.options(num_cpus=1, num_gpus=1 if cuda else 0).remote()
        job = RayJob(self, folder.run_id, folder.run_dir, actor, actor.start.remote(folder.run_id, files, 1))
        job._seen["events.jsonl"] = [0, 0]
        with self._lock:
            self._jobs[job.run_id] = job
        return job

    def job(self, run_id: str, run_dir: Path) -> RayJob | None:
        with self._lock:
            return self._jobs.get(run_id)

    def shutdown(self) -> None:
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            job.stop()
        for job in jobs:
            job.join(30)
        if self.address == "local":
            _ray().shutdown()
