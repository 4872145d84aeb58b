"""Runs as jobs: every training run of the app and the CLI is a job handed to an executor.

An executor takes a checked run (its folder written by :func:`~builder.train.engine.create_run`) and trains it
elsewhere — :class:`~builder.jobs.local.LocalExecutor` in worker processes on this machine (the default), or
:class:`~builder.jobs.ray_executor.RayExecutor` on a Ray cluster. Either way the run's folder is the contract:
run.json, job.json, events.jsonl, checkpoints, probes.pt, and control.json for pause, resume and stop. The
server only reads those files, so a run that crashes, runs out of memory or is killed takes nobody else with
it, and the UI never waits on a training step.

A :class:`Job` is what the UI holds: its ``state`` (queued, running, paused, ended), ``stop()``, ``pause()``,
``resume()``, ``join()``, where it runs, its place in the queue and its resource use.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

ENV_EXECUTOR = "LAYERLOOM_EXECUTOR"  # local (default) or ray://host:port
ENV_RAY = "LAYERLOOM_RAY_ADDRESS"
ROOT = str(Path(__file__).resolve().parents[2])  # the folder that holds the builder package (workers import it)


class Job:
    """A run handed to an executor. The base holds what every executor shares: the state the UI reads, what
    control.json is asked to say (``want``) and pause/resume/stop on top of one hook, :meth:`_ask`; subclasses
    send the ask and set ``_ended`` when the run is over."""

    run_id: str
    run_dir: Path
    state: str = "queued"  # queued | running | paused | ended
    want: str = "run"  # what control.json is asked to say: run | pause | stop
    _ended: threading.Event

    def _ask(self, state: str) -> None:
        """Ask the run's control.json for ``state`` (the executor's way)."""
        raise NotImplementedError

    @property
    def alive(self) -> bool:
        return self.state != "ended"

    @property
    def paused(self) -> bool:
        return self.alive and self.want == "pause"  # (a queued run asked to pause starts paused)

    def stop(self) -> None:
        if self.alive:
            self._ask("stop")

    def pause(self) -> None:
        if self.alive and self.want == "run":
            self._ask("pause")
            if self.state == "running":
                self.state = "paused"

    def resume(self) -> None:
        if self.alive and self.want == "pause":
            self._ask("run")
            if self.state == "paused":
                self.state = "running"

    def join(self, timeout: float | None = None) -> bool:
        """Wait until the run ended (True) or ``timeout`` seconds passed (False)."""
        return self._ended.wait(timeout)

    @property
    def where(self) -> str:
        """Where it runs, in words: "local process 1234", "Ray node 10.0.0.3"…"""
        return ""

    @property
    def queue_position(self) -> int | None:
        """How many runs wait ahead of this one (None once it started)."""
        return None

    def usage(self) -> dict:
        """{"cpu": percent, "rss": bytes, "gpu_memory": bytes}, what is known of them."""
        return {}


class Executor:
    name = "?"

    def submit(self, design, settings: dict | None = None, workspace=None, meta: dict | None = None,
               resume=None) -> Job:  # fmt: skip
        """Check the run (raise TrainError listing every issue), write its folder and queue it."""
        raise NotImplementedError

    def job(self, run_id: str, run_dir: Path) -> Job | None:
        """The job of a run that has not ended (one this process started, or found still training), or None."""
        raise NotImplementedError

    def warm(self) -> None:
        """Get ready for the next run (a spare worker) without waiting."""


_default: Executor | None = None
_lock = threading.Lock()
_warmed = False


def executor_for(spec: str | None = None) -> Executor:
    """``local`` (worker processes on this machine) or ``ray://host:port`` / ``ray`` / ``auto`` (a Ray cluster)."""
    spec = (spec or "local").strip()
    if spec == "local":
        from .local import LocalExecutor

        return LocalExecutor()
    if spec in ("ray", "auto") or spec.startswith("ray://"):
        from .ray_executor import RayExecutor

        return RayExecutor(spec)
    raise ValueError(f"executor {spec!r} is not one of: local, ray://host:port, ray (a cluster this machine is in)")


def default_executor() -> Executor:
    """The executor the app uses: $LAYERLOOM_EXECUTOR, else a Ray cluster at $LAYERLOOM_RAY_ADDRESS, else local
    worker processes. One per process."""
    global _default
    with _lock:
        if _default is None:
            spec = os.environ.get(ENV_EXECUTOR) or (
                ("ray://" + os.environ[ENV_RAY].removeprefix("ray://")) if os.environ.get(ENV_RAY) else "local"
            )
            _default = executor_for(spec)
        return _default


def warm_once() -> bool:
    """Ready the default executor for the first run (a primed spare worker) the first time this is called in
    the process (the app calls it when it serves a page); False after."""
    global _warmed
    with _lock:
        if _warmed:
            return False
        _warmed = True
    default_executor().warm()
    return True


__all__ = ["Executor", "Job", "default_executor", "executor_for", "warm_once"]
