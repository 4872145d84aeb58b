"""The training engine: a run of one design, in a background worker that never calls a UI.

:class:`Trainer` checks everything before a run starts (one :class:`~builder.plan.Plan`, the settings, the
dataset fit, the memory), writes the run's folder (run.json, events.jsonl, checkpoints, probes.pt) and hands
the training to a loop strategy — :class:`~builder.train.loop.Supervised`, or the GAN's
:class:`~builder.train.gan.GanLoop` — that talks to the run through the trainer's public hooks only:
``emit`` (the run log), ``tick`` (stop and pause), ``save`` (a checkpoint), ``publish`` (a probe snapshot)
and ``elapsed``. How a model is trained (optimizer, schedule, loss, step) is the recipe's, shared with the
exported train.py (:mod:`builder.train.recipe`).
"""

from __future__ import annotations

import json
import os
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .. import budget
from ..compile import node_at
from ..data import get_spec
from ..design import Design, DesignFormatError, DiskFull, atomic_write, disk_full, from_dict
from ..paths import DESIGN_ID, RUN_ID, workspace_root
from ..plan import Plan, plan
from ..registry import Params
from ..tasks import Task, get_task
from ..validate import ERROR
from . import checkpoints, recipe
from .config import resolve_config
from .devices import resolve_device
from .errors import Stopped, TrainError, plain
from .events import QUEUED, RunLog, outcome

NICE = 5  # background runs (the app's) run at a lower CPU priority than the server that shows them
SNAPSHOT_EVERY = 5.0  # seconds between writes of the latest probe snapshot to probes.pt


@dataclass
class Control:
    """Flags a UI sets from another thread: stop (honoured within one batch), pause/resume."""

    stop: threading.Event = field(default_factory=threading.Event)
    running: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self):
        self.running.set()

    def poll(self) -> None:
        """Read what the controller asked since the last call (a worker's control file); here: nothing to read."""

    paused_seconds: float = 0.0  # time spent paused, left out of the run's elapsed time (and so its ETA)

    def wait_if_paused(self) -> None:
        if self.running.is_set():
            return
        start = time.perf_counter()
        while not self.running.wait(0.05):
            if self.stop.is_set():
                break
        self.paused_seconds += time.perf_counter() - start

    def active_since(self, t0: float) -> float:
        """Seconds since ``t0`` spent training (pauses excluded)."""
        return time.perf_counter() - t0 - self.paused_seconds


@dataclass
class RunResult:
    run_id: str
    run_dir: Path
    status: str  # finished | stopped | failed
    epochs: int
    metrics: dict  # {"train": {...}, "val": {...}, "test": {...}}
    checkpoint: Path | None  # the best checkpoint
    message: str = ""
    device: str = "cpu"
    task: str = ""
    dataset: str = ""

    @classmethod
    def from_events(cls, run_id: str, run_dir: Path, events: list) -> RunResult:
        """The result of a run as its events.jsonl tells it (a run trained in another process)."""
        started = next((e.data for e in events if e.kind == "started"), {})
        end = outcome(events)
        data = end.data if end is not None else {}
        epochs = [e.data.get("epoch", 0) for e in events if e.kind == "epoch"]
        checkpoint = data.get("checkpoint")
        return cls(run_id, Path(run_dir), end.kind if end is not None else "failed", max(epochs, default=0),
                   data.get("metrics") or {}, Path(checkpoint) if checkpoint else None,
                   data.get("message", "" if end is not None else "the run left no end in its log"),
                   started.get("device", "cpu"), started.get("task", ""), started.get("dataset", ""))  # fmt: skip

    def to_json(self) -> dict:
        clean = {k: {m: v for m, v in d.items() if m != "confusion"} for k, d in self.metrics.items()}
        return {
            "dataset": self.dataset,
            "task": self.task,
            "epochs": self.epochs,
            "device": self.device,
            "status": self.status,
            "metrics": clean,
            "checkpoint": str(self.checkpoint) if self.checkpoint else None,
            "logdir": str(self.run_dir),
            "message": self.message,
        }


# -- setup ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Prepared:
    """A run that can start: the checked plan, settings, dataset and task, and the recipe's settings."""

    plan: Plan
    cfg: Params  # the checked training settings, as the design states them (loss may be "auto")
    spec: object  # the dataset's DatasetSpec
    task: Task
    c: Params  # cfg plus the task's part, resolved (the recipe reads these; train.py is written from them)


def prepare(design: Design | Plan, overrides: dict | None = None) -> Prepared:
    """Check everything that can be checked before a run starts; raise TrainError listing every issue."""
    p = plan(design)
    if not p.valid:
        raise TrainError("the design has errors", p.report.errors if p.report else [])
    cfg, issues = resolve_config(p.design, overrides)
    if issues:
        raise TrainError("the training settings have errors: " + issues[0].message, issues)
    spec, task = get_spec(cfg.dataset), get_task(cfg.task)
    problems = [i for i in task.fits(p, spec) if i.severity == ERROR]
    if problems:
        raise TrainError(f"the design does not fit {spec.name}: " + problems[0].message, problems)
    _check_memory(p, cfg)
    return Prepared(p, cfg, spec, task, task.recipe(p, cfg))


def _check_memory(p: Plan, cfg) -> None:
    """Refuse, before anything is built, a run whose estimated memory exceeds what the device has free."""
    try:
        device = str(resolve_device(cfg.device))
    except Exception:  # an unknown device is reported when the run starts, with the list of devices
        return
    try:  # (a GAN's report covers both networks, which train together)
        budget.check_training(p.report, cfg.batch_size, cfg.optimizer, device)
    except budget.MemoryBudgetError as e:
        raise TrainError(str(e)) from None


def lr_schedule(cfg, max_epochs: int = 2000) -> list[float] | None:
    """The learning rate at the start of each epoch under ``cfg``'s schedule, from the same optimizer and scheduler
    a run builds (one step per epoch; OneCycle's per-batch curve has the same shape). None for ``plateau``: it
    follows the validation loss, so it cannot be known ahead. Epochs beyond ``max_epochs`` are not drawn."""
    if cfg.schedule == "plateau":
        return None
    opt = recipe.make_optimizer(cfg, [torch.nn.Parameter(torch.zeros(1))])
    sched = recipe.make_schedule(cfg, opt, steps_per_epoch=1)
    lrs = []
    for _ in range(min(cfg.epochs, max_epochs)):
        lrs.append(opt.param_groups[0]["lr"])
        if sched is not None:
            opt.step()  # an optimizer step first, as in training (torch warns otherwise)
            sched.step()
    return lrs


# -- a run's folder -------------------------------------------------------------------------------------------
@dataclass
class RunFolder:
    """A checked run with its folder: run.json (what it is) and job.json (how to start it), so that any
    process can train it (:meth:`Trainer.from_folder`)."""

    run_id: str
    run_dir: Path
    ready: Prepared
    checkpoint: dict | None = None  # the checkpoint a resumed run continues

    @classmethod
    def open(cls, run_dir: str | Path) -> RunFolder:
        run_dir = Path(run_dir)
        try:
            job = json.loads((run_dir / "job.json").read_text(encoding="utf-8"))
            about = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
            design = None if job.get("resume") else from_dict(about["design"])
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise TrainError(f"the run folder {run_dir} cannot be read ({type(e).__name__}: {e})") from None
        return _checked(design, job.get("overrides"), run_dir.parent.parent, job.get("resume"), about["run_id"],
                        None, write=False)  # fmt: skip


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]


def create_run(design, overrides=None, workspace=None, resume=None, run_id=None, meta=None) -> RunFolder:
    """Check a run (raise TrainError listing every issue) and write its folder; nothing trains yet."""
    return _checked(design, overrides, workspace, resume, run_id, meta, write=True)


def _checked(design, overrides, workspace, resume, run_id, meta, write: bool) -> RunFolder:
    checkpoint = None
    asked = dict(overrides or {})
    if resume is not None:
        checkpoint, design, overrides, run_id = resumed(resume, asked)
    if run_id is not None and not (isinstance(run_id, str) and RUN_ID.fullmatch(run_id)):
        raise TrainError(
            f"{str(run_id)[:80]!r} is not a run id (letters, digits, '-' and '_', at most 64): a "
            "checkpoint names its own run folder, inside the workspace"
        )
    ready = prepare(design, overrides)
    run_id = run_id or new_run_id()
    run_dir = Path(workspace or workspace_root()) / "runs" / run_id
    if write:
        run_dir.mkdir(parents=True, exist_ok=True)
        if not (run_dir / "run.json").exists():  # (a resumed run keeps its own)
            about = {"run_id": run_id, "created": time.time(), "design": ready.plan.design.to_dict(),
                     "config": plain(ready.cfg), "meta": meta or {}}  # fmt: skip
            atomic_write(run_dir / "run.json", json.dumps(about))
            start = _start_weights(ready.plan, workspace, meta)
            if start is not None:  # fine-tuning: the run starts from the design's weights, copied into its folder
                from .finetune import write_init

                write_init(run_dir, ready.plan, start)
        job = {"overrides": plain(asked), "resume": str(resume) if resume is not None else None,
               "submitted": time.time()}  # fmt: skip
        atomic_write(run_dir / "job.json", json.dumps(job))
        log = RunLog(run_dir / "events.jsonl")  # (the attempt starts here: an earlier attempt's end is over)
        log.emit(QUEUED, resume=job["resume"])
        log.close()
    return RunFolder(run_id, run_dir, ready, checkpoint)


def _start_weights(p: Plan, workspace, meta):
    """The weights a new run of ``p`` starts from: the design's own, else those saved beside it in the workspace
    (``designs/<id>.pt``: an imported or pretrained design opened in the app); None for a fresh start."""
    if p.design.weights is not None:
        return p.design.weights
    design_id = (meta or {}).get("design_id")
    if isinstance(design_id, str) and DESIGN_ID.fullmatch(design_id):
        path = Path(workspace or workspace_root()) / "designs" / f"{design_id}.pt"
        return path if path.is_file() else None
    return None


def resumed(resume, overrides):
    """(checkpoint, design, overrides, run id) of the run a checkpoint continues; only epochs and device may
    change."""
    changed = sorted(set(overrides or {}) - {"epochs", "device"})
    if changed:
        raise TrainError(
            f"a resumed run keeps its settings; only epochs and device can change, not "
            f"{', '.join(changed)}. Start a new run to change them."
        )
    ck = checkpoints.read(resume)
    if ck.get("config", {}).get("task") == "gan":
        raise TrainError("resuming a GAN run is not supported yet; start a new run from its design.")
    try:
        return ck, from_dict(ck["design"]), {**ck["config"], **(overrides or {})}, ck["run_id"]
    except (KeyError, TypeError, DesignFormatError) as e:
        raise TrainError(f"{resume} is not a LayerLoom checkpoint that can be resumed ({e})") from None


# -- the run --------------------------------------------------------------------------------------------------
class Trainer:
    """One run. Loops call its hooks: emit, tick, save, publish, flush_snapshot, elapsed, finished."""

    def __init__(
        self,
        design: Design | Plan | None,
        overrides: dict | None = None,
        workspace: str | Path | None = None,
        resume: str | Path | None = None,
        control: Control | None = None,
        run_id: str | None = None,
        meta: dict | None = None,
        folder: RunFolder | None = None,
        rank: int = 0,
        world: int = 1,
    ):
        folder = folder or create_run(design, overrides, workspace, resume, run_id, meta)
        ready = folder.ready
        if ready.cfg.processes != world:
            raise TrainError(
                f"training.processes is {ready.cfg.processes}: a data-parallel run trains in worker processes, one "
                "per share. Start it from the app or `python -m builder train` (they start the processes), or set "
                "processes to 1."
            )
        self.rank, self.world = rank, world  # (rank > 0: a follower; rank 0 alone writes the run's files)
        self.checkpoint = folder.checkpoint
        self.plan, self.cfg, self.spec, self.task, self.c = ready.plan, ready.cfg, ready.spec, ready.task, ready.c
        self.design, self._design_dict = self.plan.design, self.plan.design.to_dict()
        self.control = control or Control()
        self.run_id, self.run_dir = folder.run_id, folder.run_dir
        self.log = RunLog(self.run_dir / "events.jsonl" if rank == 0 else None)
        self.saver = checkpoints.CheckpointWriter(self.run_dir)
        self.model = None  # the model being trained (a traceback into it names the node)
        self._snapshot, self._snapshot_saved = None, time.perf_counter()
        self.snapshot_every = SNAPSHOT_EVERY  # a worker process writes more often: probes.pt is its live view
        self.device: torch.device | None = None
        self.memory_limit: int | None = None  # bytes, when the OS limits this process (a worker's limit)

    @classmethod
    def from_folder(cls, run_dir: str | Path, control: Control | None = None, rank: int = 0, world: int = 1) -> Trainer:
        """The run a server created (:func:`create_run`), opened where it trains (a worker process; with
        ``world`` > 1, one of its data-parallel processes)."""
        return cls(None, control=control, folder=RunFolder.open(run_dir), rank=rank, world=world)

    # -- hooks for the loops ------------------------------------------------------------------------------------
    def emit(self, kind: str, payload=None, **data):
        if kind == "epoch" and self.device is not None and self.device.type == "cuda":
            data["gpu_memory"] = torch.cuda.max_memory_allocated(self.device)  # (shown beside the run)
        return self.log.emit(kind, payload=payload, **data)

    def tick(self) -> None:
        """Between steps: raise Stopped when the user stopped the run; wait while it is paused."""
        self.control.poll()
        if self.control.stop.is_set():
            raise Stopped
        if not self.control.running.is_set():
            self.control.wait_if_paused()

    def elapsed(self, t0: float) -> float:
        return self.control.active_since(t0)

    def save(self, payload: dict, best: bool) -> None:
        """A checkpoint (written in the background), with what a resume needs to know about the run."""
        if self.rank:
            return
        identity = {"run_id": self.run_id, "design": self._design_dict, "config": plain(self.cfg)}
        self.saver.submit({**payload, **identity}, best)

    def publish(self, snapshot: dict, step: int, epoch: int) -> None:
        """A probe snapshot into the run log (arrays as the event's payload); kept for probes.pt."""
        if self.rank:
            return
        probes = sorted(k for k in snapshot if k not in ("step", "epoch"))
        self.emit("probe", payload=snapshot, step=step, epoch=epoch, probes=probes)
        self._snapshot = snapshot
        self.flush_snapshot()

    def finished(self, result: RunResult, t0: float) -> None:
        """The run ended well: its status, and the ``finished`` event with the metrics and where things are."""
        result.status = "finished"
        self.emit(
            "finished",
            metrics=plain(result.metrics),
            checkpoint=str(result.checkpoint),
            logdir=str(self.run_dir),
            seconds=self.elapsed(t0),
        )

    def flush_snapshot(self, force: bool = False) -> None:
        """The latest snapshot to probes.pt: at most every ``snapshot_every`` s (and at the end), off the clock."""
        from ..probes.snapshot import to_tensors

        due = force or time.perf_counter() - self._snapshot_saved >= self.snapshot_every
        if self._snapshot is not None and due:
            checkpoints.save(self.run_dir / "probes.pt", to_tensors(self._snapshot))
            self._snapshot, self._snapshot_saved = None, time.perf_counter()

    # -- running ------------------------------------------------------------------------------------------------
    def run(self) -> RunResult:
        device = resolve_device(self.cfg.device)
        if self.world > 1 and device.type == "cuda":  # one GPU per process
            device = torch.device("cuda", self.rank)
            torch.cuda.set_device(device)
        self.device = device
        result = RunResult(
            self.run_id,
            self.run_dir,
            "failed",
            0,
            {},
            None,
            device=str(device),
            task=self.cfg.task,
            dataset=self.cfg.dataset,
        )
        try:
            self._loop().run(self, device, result)
        except Stopped:
            result.status, result.message = "stopped", f"stopped by the user after {result.epochs} epoch(s)"
            self.emit("stopped", epoch=result.epochs, message=result.message)
        except TrainError as e:
            result.message = str(e)
            self.emit("failed", message=str(e), node=e.node, step=e.step)
        except torch.cuda.OutOfMemoryError:
            result.message = (
                f"the GPU ran out of memory at batch size {self.cfg.batch_size}. Lower the batch size "
                "(halve it), or use a smaller model."
            )
            self.emit("failed", message=result.message, node=None)
        except Exception as e:
            self._failed(e, result)
        finally:
            try:
                self.saver.flush()  # a stopped or failed run keeps its last epoch's checkpoint
            except (RuntimeError, OSError) as e:
                result.message = result.message or str(e)
            self.log.close()
        return result

    def _loop(self):
        if self.task.networks:  # trains several networks together
            from .gan import GanLoop

            return GanLoop()
        from .loop import Supervised

        return Supervised()

    def _failed(self, e: Exception, result: RunResult) -> None:
        """A run that ended in an unexpected error: a full disk says so plainly (the log goes on in memory, so
        the UI and the CLI still see how the run ended); anything else says what and where in the design."""
        if disk_full(e) or disk_full(e.__cause__):  # our own writes, torch.save, TensorBoard's event writer
            result.message = str(e if isinstance(e, DiskFull) else DiskFull(self.run_dir, e))
            self.emit("failed", message=result.message, node=None)
            return
        node = node_at(self.model, e.__traceback__) if self.model is not None else None
        where = f" (in node {node!r})" if node else ""
        if isinstance(e, MemoryError) or "can't allocate memory" in str(e):
            limit = f"its memory limit of {self.memory_limit / 2**30:.1f} GiB" if self.memory_limit else "memory"
            result.message = (f"the run was stopped by {limit}{where}: {str(e)[:200]}. Lower the batch size or use "
                              "a smaller model" + (" (or raise the limit: LAYERLOOM_RUN_MEMORY)" if self.memory_limit
                                                   else ""))  # fmt: skip
            self.emit("failed", message=result.message, node=node, reason="memory")
            return
        result.message = f"{type(e).__name__}{where}: {e}"
        self.emit("failed", message=result.message, node=node, traceback="".join(traceback.format_exception(e))[-4000:])


# -- public API -----------------------------------------------------------------------------------------------
def train(design: Design, overrides: dict | None = None, workspace=None, resume=None, control=None) -> RunResult:
    """Train in this thread; returns the result (status finished, stopped or failed, with the message)."""
    return Trainer(design, overrides, workspace, resume, control).run()


class Run:
    """A run in a background thread: ``log`` to poll, ``stop()``, ``pause()``, ``resume()``, ``join()``."""

    def __init__(
        self, design: Design, overrides: dict | None = None, workspace=None, resume=None, meta: dict | None = None
    ):
        self.control = Control()
        # raises TrainError up front
        self.trainer = Trainer(design, overrides, workspace, resume, self.control, meta=meta)
        self.log, self.run_id, self.run_dir = self.trainer.log, self.trainer.run_id, self.trainer.run_dir
        self.result: RunResult | None = None
        self._thread = threading.Thread(target=self._work, name=f"layerloom-run-{self.run_id}", daemon=True)

    def _work(self):
        if hasattr(os, "setpriority"):  # Linux: this thread (and the math threads it starts) yields to the UI's
            try:
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)
            except OSError:
                pass
        self.result = self.trainer.run()

    def start(self) -> Run:
        self._thread.start()
        return self

    def stop(self):
        self.control.stop.set()
        self.control.running.set()

    def pause(self):
        self.control.running.clear()
        self.log.emit("paused")

    def resume(self):
        self.control.running.set()
        self.log.emit("resumed")

    def join(self, timeout: float | None = None) -> RunResult | None:
        self._thread.join(timeout)
        return self.result

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()


__all__ = [
    "Control",
    "Prepared",
    "Run",
    "RunResult",
    "Stopped",
    "TrainError",
    "Trainer",
    "lr_schedule",
    "prepare",
    "train",
]
