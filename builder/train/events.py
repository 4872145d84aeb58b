"""Run events and the thread-safe run log a UI polls. Events are small frozen records, also written to the
run folder as JSON lines so a restarted app can read a run back."""

from __future__ import annotations

import errno
import json
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from ..design import DiskFull, disk_full

ENDED = ("finished", "stopped", "failed")  # the events that end a run
QUEUED = "queued"  # the first event of each attempt (a run continued from its checkpoint has several)


def outcome(events: list[Event]) -> Event | None:
    """The event that ended the run's latest attempt; None while it has not ended."""
    for e in reversed(events):
        if e.kind in ENDED:
            return e
        if e.kind == QUEUED:
            return None
    return None


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
        t = Tail(path)
        events = t.read(final=True)
        if problems is not None:
            problems.extend(t.problems)
        return events


class Tail:
    """A run's events.jsonl, read incrementally: each :meth:`read` parses only the lines appended since the
    last one (a live view polls every second; re-reading the whole log made a poll's cost grow with the run)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._reset(None)

    def _reset(self, inode) -> None:
        self.events: list[Event] = []
        self.problems: list[str] = []
        self._inode, self._offset, self._rest, self._line = inode, 0, b"", 0

    def read(self, final: bool = False) -> list[Event]:
        """Every event so far (a new list). ``final``: a last line without its newline counts too."""
        with self._lock:
            try:
                st = os.stat(self.path)
            except OSError:
                self._reset(None)
                return []
            if st.st_ino != self._inode or st.st_size < self._offset:  # replaced or cut back: read it anew
                self._reset(st.st_ino)
            if st.st_size > self._offset:
                with open(self.path, "rb") as f:
                    f.seek(self._offset)
                    data = f.read(st.st_size - self._offset)
                self._offset += len(data)
                lines = (self._rest + data).split(b"\n")
                self._rest = lines.pop()
                self._parse(lines)
            if final and self._rest.strip():
                self._parse([self._rest])
                self._rest = b""
            return list(self.events)

    def _parse(self, lines: list[bytes]) -> None:
        for raw_line in lines:
            self._line += 1
            line = raw_line.decode("utf-8", errors="replace")
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                event = Event(str(raw["kind"]), dict(raw["data"]), float(raw["time"]))
            except (ValueError, KeyError, TypeError, AttributeError) as e:
                self.problems.append(f"events.jsonl line {self._line} is damaged and was skipped ({type(e).__name__})")
                continue
            self.events.append(event)


_tails: OrderedDict[str, Tail] = OrderedDict()
_tails_lock = threading.Lock()
MAX_TAILS = 1024


def tail(path: str | Path) -> Tail:
    """The process's reader of one events.jsonl (kept for the most recently read MAX_TAILS runs)."""
    key = str(path)
    with _tails_lock:
        t = _tails.pop(key, None) or Tail(path)
        _tails[key] = t
        while len(_tails) > MAX_TAILS:
            _tails.popitem(last=False)
        return t
