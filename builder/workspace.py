"""The workspace: designs and runs on disk, so a reload or a restart loses nothing.

Layout (default ``./workspace``, or ``$LAYERLOOM_WORKSPACE``)::

    designs/<design id>.json     one design file per design, saved atomically on every edit
    runs/<run id>/run.json       what the run is: its design, settings and the id of the design it belongs to
    runs/<run id>/events.jsonl   every event (epochs, metrics, the end) — curves are read back from it
    runs/<run id>/best.pt …      checkpoints, probes.pt (the last snapshot), TensorBoard event files

Runs started through :meth:`Workspace.start` are jobs of an executor (:mod:`builder.jobs`: worker processes by
default): the workspace reads their folders — incrementally, a poll parses only the new events — and asks the
executor for the job of a run that has not ended (to pause, resume or stop it, and to say where it runs), so a
page opened again, another tab or a restarted server finds it. Nothing else is shared between users: which
design a browser tab has open is its own state.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from .design import Design, DesignFormatError, atomic_write, load_design, save_design
from .paths import DESIGN_ID, RUN_ID, workspace_root
from .train.events import Event, outcome, tail

ID = DESIGN_ID  # (the name the app's session uses)
ACTIVE = ("queued", "running", "paused")  # the statuses of a run that has not ended


def slug(name: str) -> str:
    s = re.sub(r"[^a-z0-9_]+", "-", name.lower()).strip("-_")[:40].strip("-_")
    return s or "design"


def optimizer_name(config: dict) -> str:
    """How a learner names the update rule: SGD, Momentum, Nesterov, AdaGrad, RMSProp, Adam, AdamW."""
    opt = config.get("optimizer", "?")
    if opt == "sgd" and config.get("momentum"):
        return "Nesterov" if config.get("nesterov") else "Momentum"
    return {"sgd": "SGD", "adagrad": "AdaGrad", "rmsprop": "RMSProp", "adam": "Adam", "adamw": "AdamW"}.get(opt, opt)


@dataclass
class DesignEntry:
    id: str
    name: str
    modified: float
    path: Path


@dataclass
class RunInfo:
    """One run as read from its folder (and its live log while it trains in this process)."""

    run_id: str
    path: Path
    design_id: str | None
    design_name: str
    config: dict
    created: float
    status: str  # queued | running | paused | finished | stopped | failed | interrupted (ended mid-run) | damaged
    epochs: list[dict] = field(default_factory=list)  # the ``epoch`` events' data, in order
    end: dict = field(default_factory=dict)  # the data of the final event (metrics, message)
    problems: list[str] = field(default_factory=list)  # what is damaged in the run's files (skipped or unreadable)
    title: str = ""  # the name the user gave the run (Workspace.rename_run); empty: it is named by its settings

    @property
    def label(self) -> str:
        c = self.config
        when = time.strftime("%m-%d %H:%M", time.localtime(self.created))
        if self.status == "damaged":
            return f"{when} · {self.run_id} · damaged"
        return f"{when} · {self.short_label} · {c.get('dataset', '?')} · {self.status}"

    @property
    def short_label(self) -> str:
        if self.title:
            return self.title
        lr = self.config.get("lr")
        return (
            f"{optimizer_name(self.config)} lr={lr:g}" if isinstance(lr, (int, float)) else optimizer_name(self.config)
        )

    @property
    def test_metrics(self) -> dict:
        return (self.end.get("metrics") or {}).get("test", {})

    @property
    def checkpoint(self) -> Path | None:
        """The run's weights to use: best.pt (the best validation epoch) or else last.pt; None before either."""
        for name in ("best.pt", "last.pt"):
            if (self.path / name).exists():
                return self.path / name
        return None


class DamagedRun(ValueError):
    """A run whose files cannot be read (run.json, probes.pt); the message says which file and what is wrong."""


@functools.lru_cache(maxsize=512)
def _read_meta(path: Path, mtime_ns: int) -> dict | str:
    """run.json as a dict, or a description of what is wrong with it."""
    try:
        meta = json.loads(path.read_bytes().decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        return f"run.json is not valid JSON ({type(e).__name__})"
    if not isinstance(meta, dict):
        return f"run.json holds {type(meta).__name__}, not an object"
    for key, kind in (("design", dict), ("config", dict), ("meta", dict), ("created", (int, float))):
        if key in meta and not isinstance(meta[key], kind):
            return f"run.json: {key!r} has the wrong type ({type(meta[key]).__name__})"
    if "design" not in meta:
        return "run.json has no 'design'"
    return meta


def _run_meta(path: Path) -> dict | str | None:
    """run.json, parsed once (it is written once, when the run starts): the live views poll it every second.
    None while there is no such file; a string saying what is wrong when it is damaged."""
    try:
        return _read_meta(path, path.stat().st_mtime_ns)
    except OSError:
        return None


MAX_TITLE = 80


@functools.lru_cache(maxsize=4096)
def _design_name(path: str, mtime_ns: int) -> str:
    """A saved design's name, read once per version of its file (the design bar lists every design each rerun)."""
    try:
        return str(json.loads(Path(path).read_text(encoding="utf-8")).get("name", Path(path).stem))
    except (OSError, ValueError, AttributeError):
        return f"{Path(path).stem} (unreadable)"


@functools.lru_cache(maxsize=16)
def _read_snapshot(path: str, mtime_ns: int, size: int) -> dict | str:
    """probes.pt as arrays, read once per version of the file; a string naming the error when damaged."""
    import torch

    from .probes.snapshot import to_arrays

    try:
        return to_arrays(torch.load(path, map_location="cpu", weights_only=True))
    except Exception as e:  # truncated, or not a snapshot: torch raises several kinds
        return type(e).__name__


class RunBusy(ValueError):
    """A run that is still training cannot be deleted."""


def check_run_id(run_id) -> str:
    """``run_id`` when it names a folder directly under runs/ (no separators, no '..'); else KeyError."""
    if not isinstance(run_id, str) or not RUN_ID.fullmatch(run_id):
        raise KeyError(f"{str(run_id)[:80]!r} is not a run id (letters, digits, '-' and '_', at most 64)")
    return run_id


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


class Workspace:
    def __init__(self, root: str | os.PathLike | None = None, executor=None):
        self.root = Path(root) if root is not None else workspace_root()
        self.designs_dir = self.root / "designs"
        self.runs_dir = self.root / "runs"
        self._executor = executor

    @property
    def executor(self):
        """Where runs train: the one given, else the process's (:func:`builder.jobs.default_executor`)."""
        if self._executor is None:
            from .jobs import default_executor

            self._executor = default_executor()
        return self._executor

    def inside(self, *parts: str) -> Path:
        """root/parts…, refused (ValueError) unless it stays inside the workspace: every path built from data
        (design ids, run ids, network names) goes through here or through an id pattern."""
        path = self.root.joinpath(*parts)
        root = self.root.resolve()
        if not path.resolve().is_relative_to(root):
            raise ValueError(f"{'/'.join(parts)!r} would lead outside the workspace {root}")
        return path

    # -- designs -----------------------------------------------------------------------------------------------
    def new_id(self, name: str) -> str:
        return f"{slug(name)}-{uuid.uuid4().hex[:6]}"

    def _design_path(self, design_id: str) -> Path:
        if not isinstance(design_id, str) or not ID.fullmatch(design_id):
            raise KeyError(f"{design_id!r} is not a design id (lower-case letters, digits, '-' and '_')")
        return self.designs_dir / f"{design_id}.json"

    def save(self, design_id: str, design: Design) -> Path:
        """Write the design as ``<id>.json``; weights it carries (imported or pretrained) go beside it as
        ``<id>.pt``, never into the JSON, and ``design.weights`` then names that file (so later saves of the same
        design do not write them again)."""
        path = self._design_path(design_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        weights = path.with_suffix(".pt")
        if isinstance(design.weights, dict):
            import torch

            state = design.weights
            atomic_write(weights, lambda tmp: torch.save(state, tmp))
            design.weights = weights
        elif design.weights is not None and Path(design.weights).resolve() != weights.resolve():
            source = Path(design.weights)
            atomic_write(weights, lambda tmp: shutil.copyfile(source, tmp))
            design.weights = weights
        save_design(design, path)
        return path

    def load(self, design_id: str) -> Design:
        """The saved design (with ``weights`` naming its ``<id>.pt`` when it has one); KeyError when there is
        none, DesignFormatError (with the JSON path) when malformed."""
        path = self._design_path(design_id)
        if not path.is_file():
            raise KeyError(f"no design {design_id!r} in the workspace {self.root}")
        design = load_design(path)
        if path.with_suffix(".pt").is_file():
            design.weights = path.with_suffix(".pt")
        return design

    def has(self, design_id: str) -> bool:
        try:
            return self._design_path(design_id).is_file()
        except KeyError:
            return False

    def has_designs(self) -> bool:
        """Whether any design is saved (cheap: no file is read)."""
        return next(self.designs_dir.glob("*.json"), None) is not None

    def designs(self) -> list[DesignEntry]:
        """Every saved design, most recently edited first (malformed files are listed by their id)."""
        out = []
        for path in self.designs_dir.glob("*.json"):
            try:
                stat = path.stat()
            except OSError:
                continue  # deleted meanwhile
            out.append(DesignEntry(path.stem, _design_name(str(path), stat.st_mtime_ns), stat.st_mtime, path))
        return sorted(out, key=lambda e: -e.modified)

    # -- uploaded datasets --------------------------------------------------------------------------------------
    def register_uploads(self) -> list[str]:
        """Register the datasets uploaded into this workspace that this process does not know yet."""
        from .data import DATASETS
        from .data.uploads import DAMAGED, load_saved_uploads

        folder = self.root / "data" / "uploads"
        if not folder.is_dir() or all(f"upload:{p.stem}" in DATASETS or str(p) in DAMAGED
                                      for p in folder.glob("*.npz")):  # fmt: skip
            return []
        return [s.name for s in load_saved_uploads(self.root)]

    def damaged_uploads(self) -> list[str]:
        """What is wrong with each saved upload of this workspace that could not be loaded."""
        from .data.uploads import DAMAGED

        folder = str(self.root / "data" / "uploads")
        return [message for path, message in DAMAGED.items() if str(Path(path).parent) == folder]

    # -- runs --------------------------------------------------------------------------------------------------
    def start(self, design: Design, settings: dict, design_id: str | None = None, resume=None):
        """Hand a run of ``design`` to the executor (checked first: TrainError lists every issue); the Job."""
        return self.executor.submit(design, settings if resume is None else {}, self.root, {"design_id": design_id},
                                    resume)  # fmt: skip

    def live(self, run_id: str):
        """The job of a run that has not ended (queued, training or paused; this process's or one found still
        training after a restart), else None."""
        return self.executor.job(check_run_id(run_id), self.runs_dir / run_id)

    def events(self, run_id: str, problems: list[str] | None = None, final: bool = False) -> list[Event]:
        """The run's events (damaged lines of its events.jsonl skipped, and described in ``problems``); only
        what was appended since the last call is read. ``final``: nothing more will be written (a last line
        without its newline is then damaged, not still being written)."""
        t = tail(self.runs_dir / check_run_id(run_id) / "events.jsonl")
        try:
            events = t.read(final=final)
        except OSError as e:
            if problems is not None:
                problems.append(f"events.jsonl cannot be read: {e.strerror or e}")
            return []
        if problems is not None:
            problems.extend(t.problems)
        return events

    def run(self, run_id: str) -> RunInfo | None:
        """The run as read from its folder; None when it has no run.json (yet). A damaged run.json gives a
        RunInfo with status 'damaged' and ``problems`` saying what is wrong; it never raises for bad files."""
        folder = self.runs_dir / check_run_id(run_id)
        meta = _run_meta(folder / "run.json")
        if meta is None:
            return None  # not a run of this version, or one being created
        if isinstance(meta, str):
            return RunInfo(run_id, folder, None, "?", {}, _mtime(folder), "damaged", problems=[meta])
        problems: list[str] = []
        events = self.events(run_id, problems)
        ended = outcome(events)
        if ended is not None:
            status = ended.kind
        else:
            job = self.live(run_id)
            status = job.state if job is not None and job.alive else "interrupted"
            if status == "interrupted":  # nobody writes any more: a cut last line is damage
                problems = []
                events = self.events(run_id, problems, final=True)
        return RunInfo(run_id, folder, (meta.get("meta") or {}).get("design_id"), str(meta["design"].get("name", "?")),
                       meta.get("config", {}), meta.get("created", 0.0), status,
                       [e.data for e in events if e.kind == "epoch"], ended.data if ended else {}, problems,
                       str((meta.get("meta") or {}).get("title") or ""))  # fmt: skip

    def runs(self, design_id: str | None = None) -> list[RunInfo]:
        """Runs, newest first; only those of ``design_id`` when given."""
        out = []
        for path in self.runs_dir.glob("*/run.json"):
            meta = _run_meta(path)
            if meta is None or not RUN_ID.fullmatch(path.parent.name):
                continue
            if isinstance(meta, str):
                if design_id is None:  # a damaged run.json belongs to no design we can tell: listed only in all runs
                    out.append(self.run(path.parent.name))
                continue
            if design_id is not None and (meta.get("meta") or {}).get("design_id") != design_id:
                continue  # another design's run: its events are not read at all
            info = self.run(path.parent.name)
            if info is not None:
                out.append(info)
        return sorted(out, key=lambda r: -r.created)

    def _idle(self, run_id: str) -> None:
        live = self.live(run_id)
        if live is not None and live.alive:
            raise RunBusy(f"the run {run_id!r} is still training: stop it first")

    def rename_run(self, run_id: str, title: str) -> None:
        """Give the run a name of the user's (shown in its history and overlays); an empty title removes it."""
        title = " ".join(str(title).split())
        if len(title) > MAX_TITLE:
            raise ValueError(f"a run's name is at most {MAX_TITLE} characters, received {len(title)}")
        path = self.runs_dir / check_run_id(run_id) / "run.json"
        meta = _run_meta(path)
        if not isinstance(meta, dict):
            raise DamagedRun(meta or f"no run {run_id!r} in the workspace {self.root}")
        meta = {**meta, "meta": {**(meta.get("meta") or {}), "title": title}}
        atomic_write(path, json.dumps(meta, indent=1, ensure_ascii=False))

    def delete_run(self, run_id: str) -> None:
        """Delete the run's folder (checkpoints, logs, TensorBoard files). A run still training is refused."""
        self._idle(check_run_id(run_id))
        folder = self.runs_dir / run_id
        if not folder.is_dir():
            raise KeyError(f"no run {run_id!r} in the workspace {self.root}")
        shutil.rmtree(folder)

    def delete_design(self, design_id: str) -> list[str]:
        """Delete the saved design and every run of it; returns the deleted run ids. Nothing is deleted when one
        of its runs is still training (RunBusy)."""
        path = self._design_path(design_id)
        runs = [r.run_id for r in self.runs(design_id)]
        for run_id in runs:
            self._idle(run_id)
        for run_id in runs:
            shutil.rmtree(self.runs_dir / run_id, ignore_errors=True)
        path.unlink(missing_ok=True)
        path.with_suffix(".pt").unlink(missing_ok=True)
        return runs

    @staticmethod
    def run_design(info: RunInfo) -> Design:
        """The design exactly as the run trained it (its weights fit this one, even after later edits)."""
        from .design import from_dict

        meta = _run_meta(info.path / "run.json")
        if not isinstance(meta, dict):
            raise DamagedRun(meta or "run.json is missing")
        try:
            return from_dict(meta["design"])
        except DesignFormatError as e:
            raise DamagedRun(f"the design in run.json cannot be read: {e}") from None

    def snapshot(self, run_id: str) -> dict | None:
        """The latest probe snapshot, from the run's probes.pt (a worker rewrites it as it trains; read again
        only when it changed). A damaged probes.pt raises DamagedRun saying so."""
        path = self.runs_dir / check_run_id(run_id) / "probes.pt"
        try:
            st = path.stat()
        except OSError:
            return None
        snap = _read_snapshot(str(path), st.st_mtime_ns, st.st_size)
        if isinstance(snap, str):
            raise DamagedRun(f"probes.pt of run {run_id} cannot be read ({snap}); train again to get new snapshots")
        return snap


__all__ = [
    "DamagedRun",
    "DesignEntry",
    "ACTIVE",
    "DesignFormatError",
    "RunInfo",
    "Workspace",
    "optimizer_name",
    "workspace_root",
]
