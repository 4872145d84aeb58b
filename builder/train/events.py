"""Run events and the thread-safe run log a UI polls. Events are small frozen records, also written to the
run folder as JSON lines so a restarted app can read a run back."""

from __future__ import annotations

import errno
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..design import DiskFull, disk_full


@dataclass(frozen=True)
class Event:
    kind: str  # started | step | epoch | probe | paused | resumed | early_stop | stopped | finished | failed
    data: dict = field(default_factory=dict)
    time: float = field(default_factory=time.time)
    payload: object = field(default=None, compare=False, repr=False)  # arrays (probe snapshots): memory only

    def to_json(self) -> str:
        return json.dumps({"kind": self.kind, "data": self.data, "time": self.time})


class RunLog:
    """Append-only, thread-safe. ``since(i)`` returns the events after index i, for polling."""

    def __init__(self, path: str | Path | None = None):
        self._events: list[Event] = []
        self._lock = threading.Lock()
        self.path = Path(path) if path else None
        self._file = open(path, "ab", buffering=0) if path else None  # noqa: SIM115 (closed in close())
        self.write_error: OSError | None = None  # set when the file could not be written (a full disk)

    def emit(self, kind: str, payload=None, **data) -> Event:
        event = Event(kind, data, payload=payload)
        with self._lock:
            self._events.append(event)
            if self._file:
                self._write((event.to_json() + "\n").encode("utf-8"))
        return event

    def _write(self, line: bytes) -> None:
        """Append one whole line, or nothing: a failed write (a full disk) is cut back so the file never ends
        in half a line; the log then goes on in memory only and :class:`DiskFull` is raised once."""
        start = self._file.tell()
        try:
            written = self._file.write(line)
            if written != len(line):  # a regular file writes short only when the disk is full
                raise OSError(errno.ENOSPC, "short write")
        except OSError as e:
            try:
                self._file.truncate(start)
            except OSError:
                pass
            self._file.close()
            self._file = None
            self.write_error = DiskFull(self.path, e) if disk_full(e) else e
            raise self.write_error from e

    def since(self, index: int = 0) -> list[Event]:
        with self._lock:
            return self._events[index:]

    def __len__(self) -> int:
        with self._lock:
            return len(self._events)

    def last(self, kind: str | None = None) -> Event | None:
        with self._lock:
            for e in reversed(self._events):
                if kind is None or e.kind == kind:
                    return e
        return None

    def close(self) -> None:
        if self._file:
            self._file.close()
            self._file = None

    @staticmethod
    def read(path: str | Path, problems: list[str] | None = None) -> list[Event]:
        """Events of a finished or interrupted run, from its events.jsonl. A damaged line (cut short by a crash
        or a full disk, or edited by hand) is skipped and described in ``problems``; the rest is read."""
        out = []
        text = Path(path).read_bytes().decode("utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                event = Event(str(raw["kind"]), dict(raw["data"]), float(raw["time"]))
            except (ValueError, KeyError, TypeError, AttributeError) as e:
                if problems is not None:
                    problems.append(f"events.jsonl line {number} is damaged and was skipped ({type(e).__name__})")
                continue
            out.append(event)
        return out
