"""Checkpoints: the last epoch's and the best one, written atomically on a background thread.

A checkpoint holds the model, optimizer, scheduler, random states, the design and the settings, so ``resume``
continues the same run; serialization happens off the training thread, one write at a time, and a crash never
leaves half a file (the previous checkpoint stays)."""

from __future__ import annotations

import shutil
import threading
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
    """Writes last.pt on a background thread (one at a time) and copies it to best.pt when asked."""

    def __init__(self, run_dir: Path):
        self.run_dir = run_dir
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    @property
    def last(self) -> Path:
        return self.run_dir / "last.pt"

    @property
    def best(self) -> Path:
        return self.run_dir / "best.pt"

    def submit(self, payload: dict, best: bool) -> None:
        self.wait()
        snapshot = cpu_copy(payload)

        def work():
            try:
                save(self.last, snapshot)
                if best:
                    atomic_write(self.best, lambda tmp: shutil.copyfile(self.last, tmp))
            except BaseException as e:  # reported by wait(), in the training thread
                self.error = e

        self._thread = threading.Thread(target=work, name="layerloom-checkpoint", daemon=True)
        self._thread.start()

    def wait(self) -> None:
        """Block until the pending write is done; raise its error (a full disk as DiskFull)."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self.error is not None:
            error, self.error = self.error, None
            if isinstance(error, DiskFull):
                raise error
            raise RuntimeError(f"could not write a checkpoint in {self.run_dir}: {error}") from error
