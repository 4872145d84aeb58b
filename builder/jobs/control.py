"""The control channel of a run in another process: one small JSON file in the run's folder, control.json.

The server writes what it wants (``{"state": "run" | "pause" | "stop", "threads": N}``, atomically); the worker
reads it between steps when it changed (at most every 50 ms: one ``stat``). Being a file, it outlives the
server: a restarted server pauses, resumes or stops a run it did not start, and nothing but the run's folder
is shared with the worker.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from ..design import atomic_write
from ..train.engine import Control

FILE = "control.json"
STATES = ("run", "pause", "stop")


def write(run_dir: Path, state: str, threads: int | None = None) -> None:
    """Ask the run in ``run_dir`` to run, pause or stop (and to use ``threads`` math threads)."""
    if state not in STATES:
        raise ValueError(f"a run's state is one of {', '.join(STATES)}, not {state!r}")
    atomic_write(Path(run_dir) / FILE, json.dumps({"state": state, "threads": threads}))


def read(run_dir: Path) -> dict:
    """What was last asked of the run ({} when nothing was, or the file is damaged)."""
    try:
        want = json.loads((Path(run_dir) / FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return want if isinstance(want, dict) else {}


class FileControl(Control):
    """A :class:`~builder.train.engine.Control` driven by the run folder's control.json (in a worker)."""

    def __init__(self, run_dir: Path, on_change=None, every: float = 0.05):
        super().__init__()
        self.path, self.every, self.on_change = Path(run_dir) / FILE, every, on_change
        self._seen: tuple | None = None
        self._checked = -1.0

    def poll(self, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self._checked < self.every:
            return
        self._checked = now
        try:
            st = os.stat(self.path)
        except OSError:
            return
        key = (st.st_ino, st.st_mtime_ns, st.st_size)
        if key != self._seen:
            self._seen = key
            self.apply(read(self.path.parent))

    def apply(self, want: dict) -> None:
        state, threads = want.get("state"), want.get("threads")
        if isinstance(threads, int) and threads > 0:
            import torch

            if torch.get_num_threads() != threads:
                torch.set_num_threads(threads)
        if state == "stop":
            self.stop.set()
            self.running.set()
        elif state == "pause" and self.running.is_set():
            self.running.clear()
            self._changed("paused")
        elif state == "run" and not self.running.is_set():
            self.running.set()
            self._changed("resumed")

    def _changed(self, kind: str) -> None:
        if self.on_change is not None:
            self.on_change(kind)

    def wait_if_paused(self) -> None:
        start = time.perf_counter()
        while not self.running.is_set() and not self.stop.is_set():
            time.sleep(self.every)
            self.poll(force=True)
        self.paused_seconds += time.perf_counter() - start
