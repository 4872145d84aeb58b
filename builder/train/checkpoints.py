"""Checkpoints: the last epoch's and the best one, written atomically on a background thread.

A checkpoint holds the model, optimizer, scheduler, random states, the design and the settings, so ``resume``
continues the same run; serialization happens off the training thread, one write at a time, and a crash never
leaves half a file (the previous checkpoint stays)."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import torch

from ..design import DiskFull, atomic_write


def save(path: Path, payload: dict) -> None:
    """``payload`` to ``path`` with torch.save, atomically."""
    atomic_write(path, lambda tmp: torch.save(payload, tmp))


def read(path: str | Path, device="cpu") -> dict:
    """A checkpoint read back with weights_only=True: tensors and plain containers, never code."""
    return torch.load(path, map_location=device, weights_only=True)


def cpu_copy(obj):
    """A CPU copy of every tensor in a (nested) state, so it can be written while training goes on."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().to("cpu", copy=True)
    if isinstance(obj, dict):
        return {k: cpu_copy(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(cpu_copy(v) for v in obj)
    return obj


class CheckpointWriter:
    """Keeps every epoch's checkpoint and writes it on a background thread (one write at a time): last.pt, and
    best.pt when validation improved. Writes happen after the first epoch and then at most every ``every``
    seconds — serializing a small model every epoch cost more than its epoch — and :meth:`flush` writes what is
    pending (the loops call it at the end, on a stop and on a failure), so only a killed process can lose the
    epochs of its last ``every`` seconds."""

    def __init__(self, run_dir: Path, every: float = 2.0):
        self.run_dir, self.every = run_dir, every
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self._last: dict | None = None  # the newest epoch's checkpoint, not yet written
        self._best: dict | None = None  # the best epoch's checkpoint, not yet written
        self.best_payload: dict | None = None  # the best epoch's checkpoint (CPU tensors), written or not
        self._written_at: float | None = None

    @property
    def last(self) -> Path:
        return self.run_dir / "last.pt"

    @property
    def best(self) -> Path:
        return self.run_dir / "best.pt"

    def submit(self, payload: dict, best: bool) -> None:
        """The checkpoint of the epoch that just ended (copied now: training goes on changing the tensors)."""
        snapshot = cpu_copy(payload)
        self._last = snapshot
        if best:
            self._best = self.best_payload = snapshot
        if self._written_at is None or time.perf_counter() - self._written_at >= self.every:
            self._write()

    def flush(self) -> None:
        """Write what is pending and wait for it; raise a write's error."""
        if self._last is not None or self._best is not None:
            self._write()
        self.wait()

    def _write(self) -> None:
        self.wait()
        last, best = self._last, self._best
        self._last = self._best = None
        self._written_at = time.perf_counter()

        def work():
            try:
                if last is not None:
                    save(self.last, last)
                if best is last and best is not None:
                    atomic_write(self.best, lambda tmp: shutil.copyfile(self.last, tmp))
                elif best is not None:
                    save(self.best, best)
            except BaseException as e:  # reported by wait(), in the training thread
                self.error = e

        self._thread = threading.Thread(target=work, name="layerloom-checkpoint", daemon=True)
        self._thread.start()

    def wait(self) -> None:
        """Block until the write in progress is done; raise its error (a full disk as DiskFull)."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self.error is not None:
            error, self.error = self.error, None
            if isinstance(error, DiskFull):
                raise error
            raise RuntimeError(f"could not write a checkpoint in {self.run_dir}: {error}") from error
