"""Run events and the thread-safe run log a UI polls. Events are small frozen records, also written to the
run folder as JSON lines so a restarted app can read a run back."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path


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
        self._file = open(path, "a", encoding="utf-8") if path else None  # noqa: SIM115 (closed in close())

    def emit(self, kind: str, payload=None, **data) -> Event:
        event = Event(kind, data, payload=payload)
        with self._lock:
            self._events.append(event)
            if self._file:
                self._file.write(event.to_json() + "\n")
                self._file.flush()
        return event

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
    def read(path: str | Path) -> list[Event]:
        """Events of a finished or interrupted run, from its events.jsonl."""
        out = []
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.strip():
                raw = json.loads(line)
                out.append(Event(raw["kind"], raw["data"], raw["time"]))
        return out
