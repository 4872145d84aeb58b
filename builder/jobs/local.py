"""Local worker processes: the default executor, nothing to set up.

Each run trains in its own process — a fresh interpreter started with ``python -m builder.jobs.worker`` (spawned,
never forked from the server) in a session of its own, so a server restart does not stop it. A spare worker,
started ahead and primed (while a slot is free or a run waits), takes the next run (Start → first epoch stays short); at most ``max_runs`` train at
once (default: the machine's cores) and the rest wait in a visible queue; each running worker is told how many
math threads to use (the cores shared out among the runs, so concurrent runs do not oversubscribe them).

Each run has a memory limit (default: 80% of the machine's memory shared out among ``max_runs``) that the OS
enforces on the worker (RLIMIT_DATA: an allocation beyond it fails, and the run says it hit its limit), with a
watchdog on its resident memory as a second line. A monitor thread notices a worker that ended without saying
how (a crash, an OOM kill, SIGKILL): the run is marked failed with the exit code or signal and the last lines
the worker wrote; its last checkpoint stays.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from ..train.engine import NICE, create_run
from ..train.events import RunLog, outcome, tail
from . import ROOT, Executor, Job, control
from .worker import INFO, LOG

POLL = 0.1  # seconds between the monitor's looks at the workers
WATCH_EVERY = 0.5  # seconds between resource samples of a worker
SPARE_AFTER = 5.0  # seconds after a launch before the next spare is started (only while a slot is free)
WATCHDOG = 1.25  # a worker whose resident memory exceeds its limit by this factor is killed


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def parse_size(text: str) -> int:
    """ "4G", "512M", "1.5GiB" or a number of bytes."""
    t = str(text).strip().upper().removesuffix("B").removesuffix("I")
    scale = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}.get(t[-1:], 1)
    try:
        value = float(t[:-1] if scale > 1 else t) * scale
    except ValueError:
        raise ValueError(f"{text!r} is not a size: write bytes or a number with K, M, G or T (e.g. 4G)") from None
    if value < 256 * 2**20:
        raise ValueError(f"a run's memory limit of {text!r} is below 256 MiB: torch alone needs about that")
    return int(value)


def default_memory(max_runs: int) -> int:
    """80% of the machine's memory shared out among the runs that may train at once (at least 1 GiB each)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 4 * 2**30
    return max(2**30, int(0.8 * total / max(1, max_runs)))


class LocalJob(Job):
    """A run for a worker process of this machine."""

    def __init__(self, executor: LocalExecutor, run_id: str, run_dir: Path, width: int = 1):
        self.executor, self.run_id, self.run_dir = executor, run_id, run_dir
        self.width = width  # processes: more than one for a data-parallel (DDP) run
        self.followers: list[subprocess.Popen] = []  # a DDP run's processes of rank 1, 2, …
        self.state = "queued"
        self.want = "run"  # what control.json asks
        self.threads: int | None = None
        self.proc: subprocess.Popen | None = None
        self.pid: int | None = None
        self.returncode: int | None = None
        self.host = socket.gethostname()
        self._ended = threading.Event()
        self._ps = None  # psutil.Process, for the resource figures
        self._usage: dict = {}
        self._sampled = 0.0

    def _ask(self, state: str) -> None:
        self.want = state
        control.write(self.run_dir, state, self.threads)

    def stop(self) -> None:
        if not self.executor.cancel(self):  # (a queued run leaves the queue as stopped)
            super().stop()

    @property
    def where(self) -> str:
        if not self.pid:
            return "local, waiting for a worker"
        if self.followers:
            pids = ", ".join(str(p) for p in (self.pid, *(f.pid for f in self.followers)))
            return f"local processes {pids} on {self.host} (DDP ×{self.width})"
        return f"local process {self.pid} on {self.host}"

    @property
    def queue_position(self) -> int | None:
        return self.executor.position(self)

    def usage(self) -> dict:
        """CPU % (of one core) and resident memory of the worker, sampled at most twice a second."""
        now = time.monotonic()
        if self.pid is None or not self.alive or now - self._sampled < WATCH_EVERY:
            return self._usage
        self._sampled = now
        try:
            import psutil

            if self._ps is None:
                self._ps = psutil.Process(self.pid)
                self._ps.cpu_percent(None)  # (the first call only starts the measurement)
            with self._ps.oneshot():
                self._usage = {"cpu": self._ps.cpu_percent(None), "rss": self._ps.memory_info().rss}
        except Exception:  # gone meanwhile, or psutil missing: the figures are left out
            pass
        return self._usage


class AttachedJob(LocalJob):
    """A worker this process did not start (it was started before a server restart), found by its
    worker.json: watched through the OS, controlled through control.json like any other."""

    def __init__(self, executor, run_id: str, run_dir: Path, info: dict, process):
        super().__init__(executor, run_id, run_dir)
        self.pid, self.host, self._ps = info["pid"], info.get("host", self.host), process
        self.want = control.read(run_dir).get("state", "run")
        self.state = "paused" if self.want == "pause" else "running"

    @property
    def alive(self) -> bool:
        try:
            return self._ps.is_running() and self._ps.status() != "zombie"
        except Exception:
            return False

    def join(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.alive:
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(POLL)
        return True


class LocalExecutor(Executor):
    """Runs in worker processes of this machine; see the module's notes."""

    name = "local"

    def __init__(self, max_runs: int | None = None, memory: int | None = None, spare: bool = True):
        self.cores = cores()
        self.max_runs = max(1, max_runs or int(os.environ.get("LAYERLOOM_MAX_RUNS") or self.cores))
        env = os.environ.get("LAYERLOOM_RUN_MEMORY")
        self.memory = memory or (parse_size(env) if env else default_memory(self.max_runs))
        self.keep_spare = spare
        self._lock = threading.RLock()
        self._jobs: dict[str, LocalJob] = {}
        self._queue: list[LocalJob] = []
        self._running: list[LocalJob] = []
        self._spare: subprocess.Popen | None = None
        self._monitor: threading.Thread | None = None
        self._launched = -SPARE_AFTER  # when the latest run was launched

    # -- the interface ------------------------------------------------------------------------------------------
    def submit(self, design, settings=None, workspace=None, meta=None, resume=None) -> LocalJob:
        folder = create_run(design, settings, workspace, resume, meta=meta)  # raises TrainError up front
        job = LocalJob(self, folder.run_id, folder.run_dir, folder.ready.cfg.processes)
        job.cuda = str(folder.ready.cfg.device).startswith("cuda")
        control.write(job.run_dir, "run")  # (a resumed run's folder may still say "stop")
        with self._lock:
            self._jobs[job.run_id] = job
            self._queue.append(job)
            self._schedule()
            self._ensure_monitor()
        return job

    def job(self, run_id: str, run_dir: Path) -> LocalJob | None:
        with self._lock:
            job = self._jobs.get(run_id)
        return job if job is not None else self._attach(run_id, Path(run_dir))

    def warm(self) -> None:
        with self._lock:
            if self.keep_spare and (self._spare is None or self._spare.poll() is not None):
                self._spare = self._spawn()
            self._ensure_monitor()

    def _ensure_monitor(self) -> None:
        """(under the lock)"""
        if self._monitor is None:
            self._monitor = threading.Thread(target=self._watch, name="layerloom-jobs", daemon=True)
            self._monitor.start()

    def position(self, job: LocalJob) -> int | None:
        with self._lock:
            return self._queue.index(job) if job in self._queue else None

    def cancel(self, job: LocalJob) -> bool:
        """Take a job that has not started off the queue (it ends as stopped); False when it had started."""
        with self._lock:
            if job not in self._queue:
                return False
            self._queue.remove(job)
        log = RunLog(job.run_dir / "events.jsonl")
        log.emit("stopped", epoch=0, message="stopped by the user before it started (it was waiting in the queue)")
        log.close()
        self._finish(job, None)
        return True

    def shutdown(self) -> None:
        """Stop every run of this executor and its spare (tests; a server leaves its runs training)."""
        with self._lock:
            for job in list(self._queue):
                self.cancel(job)
            running = list(self._running)
            spare, self._spare, self.keep_spare = self._spare, None, False
        for job in running:
            job.stop()
        for job in running:
            if not job.join(30) and job.proc is not None:
                job.proc.kill()
                for follower in job.followers:
                    follower.kill()
        if spare is not None:
            spare.kill()
            spare.wait()

    # -- workers ------------------------------------------------------------------------------------------------
    def _spawn(self) -> subprocess.Popen:
        log = tempfile.NamedTemporaryFile(prefix="layerloom-worker-", suffix=".log", delete=False)  # noqa: SIM115
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p),
               "LAYERLOOM_WORKER_NICE": str(NICE)}  # fmt: skip
        proc = subprocess.Popen([sys.executable, "-m", "builder.jobs.worker"], stdin=subprocess.PIPE, stdout=log,
                                stderr=subprocess.STDOUT, env=env, cwd=ROOT, start_new_session=True)  # fmt: skip
        log.close()
        proc.spare_log = log.name
        return proc

    def _schedule(self) -> None:
        """(under the lock) Start waiting runs while there is room, then share the cores out again."""
        while self._queue and (self._used() + self._queue[0].width <= self.max_runs or not self._running):
            self._launch(self._queue.pop(0))
        calm = time.monotonic() - self._launched >= SPARE_AFTER  # (priming one costs a starting run CPU)
        wanted = self._used() < self.max_runs or self._queue  # the next Start, or the next in the queue
        if self.keep_spare and self._spare is None and wanted and calm:
            self._spare = self._spawn()
        threads = max(1, self.cores // max(1, self._used()))
        for job in self._running:
            if job.threads != threads:
                job.threads = threads
                control.write(job.run_dir, job.want, threads)

    def _used(self) -> int:
        """(under the lock) The processes of the running runs."""
        return sum(j.width for j in self._running)

    def _launch(self, job: LocalJob) -> None:
        proc, self._spare = self._spare, None
        if proc is None or proc.poll() is not None:
            proc = self._spawn()
        job.threads = max(1, self.cores // (self._used() + job.width))
        order = {"run_dir": str(job.run_dir), "threads": job.threads, "memory": self.memory}
        if job.width > 1:  # a data-parallel run: rank 0 (the spare) and width-1 followers, one process group
            order.update(world=job.width, master=f"127.0.0.1:{_free_port()}", cuda=getattr(job, "cuda", False))
            job.followers = [self._order(self._spawn(), {**order, "rank": r}) for r in range(1, job.width)]
        proc = self._order(proc, {**order, "rank": 0})
        job.proc, job.pid = proc, proc.pid
        job.state = "paused" if job.want == "pause" else "running"
        self._running.append(job)
        self._launched = time.monotonic()

    def _order(self, proc: subprocess.Popen, order: dict) -> subprocess.Popen:
        """Give ``proc`` its run (a fresh worker when it died meanwhile); the process that took it."""
        try:
            proc.stdin.write((json.dumps(order) + "\n").encode())
            proc.stdin.close()
        except OSError:  # the spare died meanwhile: a fresh one takes the run
            proc = self._spawn()
            proc.stdin.write((json.dumps(order) + "\n").encode())
            proc.stdin.close()
        return proc

    def _watch(self) -> None:
        """The monitor: ends runs whose worker exited, enforces the memory watchdog, starts waiting runs."""
        while True:
            with self._lock:
                running = list(self._running)
                spare_due = self.keep_spare and self._spare is None
                if not running and not self._queue and not spare_due:
                    self._monitor = None
                    return
            for job in running:
                code = job.proc.poll()
                lost = [(r, c) for r, c in enumerate((f.poll() for f in job.followers), 1) if c not in (None, 0)]
                if lost and code is None:  # a DDP process died: the group cannot go on
                    job.proc.kill()
                    job.proc.wait()
                    self._exited(job, lost[0][1], rank=lost[0][0])
                elif code is not None:
                    self._exited(job, code)
                elif job.usage().get("rss", 0) > WATCHDOG * self.memory:
                    job.killed_for_memory = True
                    job.proc.send_signal(signal.SIGKILL)
            with self._lock:
                self._schedule()
            time.sleep(POLL)

    def _exited(self, job: LocalJob, code: int, rank: int = 0) -> None:
        for follower in job.followers:  # (rank 0 ended: the others have nothing left to do)
            if follower.poll() is None:
                follower.kill()
            follower.wait()
        events = tail(job.run_dir / "events.jsonl").read()
        if outcome(events) is None:  # it ended without saying how: say it for it
            epochs = sum(e.kind == "epoch" for e in events)
            log = RunLog(job.run_dir / "events.jsonl")
            log.emit("failed", **self._reason(job, code, epochs, rank))
            log.close()
        with self._lock:
            if job in self._running:
                self._running.remove(job)
        self._finish(job, code)

    def _finish(self, job: LocalJob, code: int | None) -> None:
        job.returncode, job.state = code, "ended"
        for proc in (job.proc, *job.followers):
            spare_log = getattr(proc, "spare_log", None)
            if spare_log:
                Path(spare_log).unlink(missing_ok=True)
        job._ended.set()

    def _reason(self, job: LocalJob, code: int, epochs: int, rank: int = 0) -> dict:
        log = job.run_dir / (LOG if rank == 0 else f"worker-{rank}.log")
        lines = _last_lines([getattr(job.proc, "spare_log", None) if rank == 0 else None, log])
        if code < 0:
            name = signal.Signals(-code).name if -code in signal.valid_signals() else f"signal {-code}"
            how = f"was killed by {name}"
        else:
            name, how = None, f"exited with code {code}"
        if getattr(job, "killed_for_memory", False):
            how = f"exceeded its memory limit of {self.memory / 2**30:.1f} GiB and was stopped ({name})"
        who = f"the worker process {job.pid}" if rank == 0 else f"the DDP process of rank {rank} (of {job.width})"
        message = (f"{who} {how} after {epochs} epoch(s); the run's last checkpoint is "
                   f"kept" + (f". Its last output: {lines[-1]}" if lines else ""))  # fmt: skip
        reason = "memory" if getattr(job, "killed_for_memory", False) else ("signal" if code < 0 else "exit")
        return {"message": message, "node": None, "reason": reason, "exit_code": code, "signal": name,
                "rank": rank, "stderr": "\n".join(lines)}  # fmt: skip

    def _attach(self, run_id: str, run_dir: Path) -> AttachedJob | None:
        try:
            info = json.loads((run_dir / INFO).read_text(encoding="utf-8"))
            import psutil

            process = psutil.Process(int(info["pid"]))
            same = info.get("created") is None or abs(process.create_time() - float(info["created"])) < 1.0
            if not same or "builder.jobs.worker" not in " ".join(process.cmdline()):
                return None  # the pid was reused by another process
        except Exception:  # no worker.json, a damaged one, a process long gone
            return None
        job = AttachedJob(self, run_id, run_dir, info, process)
        return job if job.alive else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _last_lines(paths, n: int = 12, limit: int = 2000) -> list[str]:
    text = ""
    for path in paths:
        if path:
            try:
                text += Path(path).read_bytes()[-limit:].decode("utf-8", errors="replace")
            except OSError:
                pass
    return [line for line in text.splitlines() if line.strip()][-n:]
