"""The training engine: one loop for every task, in a background worker that never calls a UI.

Data of the bundled (in-memory) datasets is moved to the device once and sliced per batch: a DataLoader with
workers is several times slower for data that already sits in memory. The loop reads losses back only every
``log_every`` steps (a host sync on GPUs), checks them for divergence there, and names the exact step.
Checkpoints (last and best, with optimizer, scheduler, RNG states, design and config) are written atomically
every epoch, so a failure keeps the last good one and ``resume`` continues the same run.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import torch

from .. import budget
from ..compile import build_model, node_at
from ..data import check_compatibility, get_spec, load_dataset
from ..design import Design, DesignFormatError, DiskFull, atomic_write, disk_full, from_dict
from ..paths import RUN_ID, workspace_root
from ..validate import ERROR, Issue, validate
from .config import resolve_config
from .devices import resolve_device
from .events import RunLog
from .tasks import Task

DIVERGENCE = 1e3  # a loss this many times its starting value counts as diverged
NICE = 5  # background runs (the app's) run at a lower CPU priority than the server that shows them


class TrainError(RuntimeError):
    """A run that cannot start or that failed; ``issues`` when the design or config is at fault."""

    def __init__(self, message: str, issues: list[Issue] | None = None, node: str | None = None):
        super().__init__(message)
        self.issues, self.node = issues or [], node


class Stopped(Exception):
    pass


@dataclass
class Control:
    """Flags a UI sets from another thread: stop (honoured within one batch), pause/resume."""

    stop: threading.Event = field(default_factory=threading.Event)
    running: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self):
        self.running.set()

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

    def to_json(self) -> dict:
        clean = {k: {m: v for m, v in d.items() if m != "confusion"} for k, d in self.metrics.items()}
        return {"dataset": self.dataset, "task": self.task, "epochs": self.epochs, "device": self.device,
                "status": self.status, "metrics": clean, "checkpoint": str(self.checkpoint) if self.checkpoint else None,
                "logdir": str(self.run_dir), "message": self.message}  # fmt: skip


# -- setup ----------------------------------------------------------------------------------------------------
def prepare(design: Design, overrides: dict | None = None):
    """Check everything that can be checked before a run starts; raise TrainError listing every issue."""
    report = validate(design)
    if not report.valid:
        raise TrainError("the design has errors", report.errors)
    cfg, issues = resolve_config(design, overrides)
    if issues:
        raise TrainError("the training settings have errors: " + issues[0].message, issues)
    spec = get_spec(cfg.dataset)
    task_for_data = {"denoising": "autoencoder"}.get(cfg.task, cfg.task)
    problems = [i for i in check_compatibility(design, spec, task_for_data) if i.severity == ERROR]
    if problems:
        raise TrainError(f"the design does not fit {spec.name}: " + problems[0].message, problems)
    _check_memory(report, cfg)
    return cfg, spec


def _check_memory(report, cfg) -> None:
    """Refuse, before anything is built, a run whose estimated memory exceeds what the device has free."""
    try:
        device = str(resolve_device(cfg.device))
    except Exception:  # an unknown device is reported when the run starts, with the list of devices
        return
    try:  # (a GAN's report covers both networks, which train together)
        budget.check_training(report, cfg.batch_size, cfg.optimizer, device)
    except budget.MemoryBudgetError as e:
        raise TrainError(str(e)) from None


def _optimizer(cfg, params):
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.nesterov,
                               weight_decay=cfg.weight_decay)  # fmt: skip
    if cfg.optimizer == "adagrad":
        return torch.optim.Adagrad(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    cls = torch.optim.AdamW if cfg.optimizer == "adamw" else torch.optim.Adam
    return cls(params, lr=cfg.lr, betas=cfg.betas, weight_decay=cfg.weight_decay)


def _scheduler(cfg, opt, steps_per_epoch):
    if cfg.schedule == "step":
        return torch.optim.lr_scheduler.StepLR(opt, cfg.step_size, cfg.gamma)
    if cfg.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, cfg.epochs)
    if cfg.schedule == "onecycle":
        cycle = cfg.optimizer in ("adam", "adamw") or (cfg.optimizer in ("sgd", "rmsprop") and cfg.momentum > 0)
        return torch.optim.lr_scheduler.OneCycleLR(opt, cfg.lr, epochs=cfg.epochs, steps_per_epoch=steps_per_epoch,
                                                   cycle_momentum=cycle)  # fmt: skip
    if cfg.schedule == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=cfg.gamma, patience=cfg.plateau_patience)
    return None


def lr_schedule(cfg, max_epochs: int = 2000) -> list[float] | None:
    """The learning rate at the start of each epoch under ``cfg``'s schedule, from the same optimizer and scheduler
    a run builds (one step per epoch; OneCycle's per-batch curve has the same shape). None for ``plateau``: it
    follows the validation loss, so it cannot be known ahead. Epochs beyond ``max_epochs`` are not drawn."""
    if cfg.schedule == "plateau":
        return None
    opt = _optimizer(cfg, [torch.nn.Parameter(torch.zeros(1))])
    sched = _scheduler(cfg, opt, steps_per_epoch=1)
    lrs = []
    for _ in range(min(cfg.epochs, max_epochs)):
        lrs.append(opt.param_groups[0]["lr"])
        if sched is not None:
            opt.step()  # an optimizer step first, as in training (torch warns otherwise)
            sched.step()
    return lrs


def _augment(x: torch.Tensor, cfg, gen: torch.Generator) -> torch.Tensor:
    """Random horizontal flips and padded random crops, per sample, for (N, C, H, W) images."""
    if x.dim() != 4:
        return x
    n = len(x)
    if cfg.augment_flip:
        flip = torch.rand(n, generator=gen, device=x.device) < 0.5
        x = torch.where(flip[:, None, None, None], x.flip(-1), x)
    p = cfg.augment_crop
    if p:
        h, w = x.shape[-2:]
        padded = torch.nn.functional.pad(x, (p, p, p, p))
        dy = torch.randint(0, 2 * p + 1, (n,), generator=gen, device=x.device)
        dx = torch.randint(0, 2 * p + 1, (n,), generator=gen, device=x.device)
        rows = (dy[:, None] + torch.arange(h, device=x.device))[:, None, :, None]
        cols = (dx[:, None] + torch.arange(w, device=x.device))[:, None, None, :]
        batch = torch.arange(n, device=x.device)[:, None, None, None]
        chans = torch.arange(x.shape[1], device=x.device)[None, :, None, None]
        x = padded[batch, chans, rows, cols]
    return x


def _save(path: Path, payload: dict) -> None:
    atomic_write(path, lambda tmp: torch.save(payload, tmp))  # a crash never leaves half a checkpoint


def _snapshot(obj):
    """A CPU copy of every tensor in a (nested) state, so it can be written while training goes on."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().to("cpu", copy=True)
    if isinstance(obj, dict):
        return {k: _snapshot(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_snapshot(v) for v in obj)
    return obj


class CheckpointWriter:
    """Writes checkpoints on a background thread (one at a time) so serialization never stalls training:
    last.pt every epoch, copied to best.pt when validation improved."""

    def __init__(self, run_dir: Path):
        self.run_dir = run_dir
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def submit(self, payload: dict, best: bool) -> None:
        self.wait()
        snapshot = _snapshot(payload)

        def work():
            try:
                _save(self.run_dir / "last.pt", snapshot)
                if best:
                    atomic_write(self.run_dir / "best.pt", lambda tmp: shutil.copyfile(self.run_dir / "last.pt", tmp))
            except BaseException as e:  # reported by wait(), in the training thread
                self.error = e

        self._thread = threading.Thread(target=work, name="layerloom-checkpoint", daemon=True)
        self._thread.start()

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self.error is not None:
            error, self.error = self.error, None
            if isinstance(error, DiskFull):
                raise error
            raise RuntimeError(f"could not write a checkpoint in {self.run_dir}: {error}") from error


# -- the run --------------------------------------------------------------------------------------------------
class Trainer:
    def __init__(self, design: Design, overrides: dict | None = None, workspace: str | Path | None = None,
                 resume: str | Path | None = None, control: Control | None = None, run_id: str | None = None,
                 meta: dict | None = None):  # fmt: skip
        self.checkpoint = None
        self._snapshot_step: int | None = None  # the step of the latest probe snapshot (None: none yet)
        if resume is not None:
            changed = sorted(set(overrides or {}) - {"epochs", "device"})
            if changed:
                raise TrainError(f"a resumed run keeps its settings; only epochs and device can change, not "
                                 f"{', '.join(changed)}. Start a new run to change them.")  # fmt: skip
            self.checkpoint = torch.load(resume, map_location="cpu", weights_only=True)
            if self.checkpoint.get("config", {}).get("task") == "gan":
                raise TrainError("resuming a GAN run is not supported yet; start a new run from its design.")
            try:
                design = from_dict(self.checkpoint["design"])
                overrides = {**self.checkpoint["config"], **(overrides or {})}
                run_id = self.checkpoint["run_id"]
            except (KeyError, TypeError, DesignFormatError) as e:
                raise TrainError(f"{resume} is not a LayerLoom checkpoint that can be resumed ({e})") from None
        if run_id is not None and not (isinstance(run_id, str) and RUN_ID.fullmatch(run_id)):
            raise TrainError(f"{str(run_id)[:80]!r} is not a run id (letters, digits, '-' and '_', at most 64): a "
                             "checkpoint names its own run folder, inside the workspace")  # fmt: skip
        self.design = design
        self.cfg, self.spec = prepare(design, overrides)
        self.control = control or Control()
        self.run_id = run_id or time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
        self.run_dir = Path(workspace or workspace_root()) / "runs" / self.run_id
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if resume is None or not (self.run_dir / "run.json").exists():
            # what the run is (its design, settings and caller's tags): the workspace lists runs from this
            atomic_write(self.run_dir / "run.json", json.dumps({"run_id": self.run_id, "created": time.time(),
                         "design": design.to_dict(), "config": _plain(self.cfg), "meta": meta or {}}))  # fmt: skip
        self.log = RunLog(self.run_dir / "events.jsonl")

    def run(self) -> RunResult:
        cfg = self.cfg
        device = resolve_device(cfg.device)
        result = RunResult(self.run_id, self.run_dir, "failed", 0, {}, None, device=str(device), task=cfg.task,
                           dataset=cfg.dataset)  # fmt: skip
        try:
            self._run(device, result)
        except Stopped:
            result.status, result.message = "stopped", f"stopped by the user after {result.epochs} epoch(s)"
            self.log.emit("stopped", epoch=result.epochs, message=result.message)
        except TrainError as e:
            result.message = str(e)
            self.log.emit("failed", message=str(e), node=e.node, step=getattr(e, "step", None))
        except torch.cuda.OutOfMemoryError:
            result.message = (f"the GPU ran out of memory at batch size {cfg.batch_size}. Lower the batch size "
                              "(halve it), or use a smaller model.")  # fmt: skip
            self.log.emit("failed", message=result.message, node=None)
        except Exception as e:
            self._failed(e, result)
        finally:
            if getattr(self, "saver", None) is not None:
                try:
                    self.saver.wait()
                except (RuntimeError, OSError) as e:
                    result.message = result.message or str(e)
            self.log.close()
        return result

    def _failed(self, e: Exception, result: RunResult) -> None:
        """A run that ended in an unexpected error: a full disk says so plainly (the log goes on in memory, so
        the UI and the CLI still see how the run ended); anything else says what and where in the design."""
        if disk_full(e) or disk_full(e.__cause__):  # our own writes, torch.save, TensorBoard's event writer
            result.message = str(e if isinstance(e, DiskFull) else DiskFull(self.run_dir, e))
            self.log.emit("failed", message=result.message, node=None)
            return
        model = getattr(self, "model", None)
        node = node_at(model, e.__traceback__) if model is not None else None
        where = f" (in node {node!r})" if node else ""
        result.message = f"{type(e).__name__}{where}: {e}"
        self.log.emit("failed", message=result.message, node=node,
                      traceback="".join(traceback.format_exception(e))[-4000:])  # fmt: skip

    def _run(self, device, result: RunResult):
        if self.cfg.task == "gan":
            from .gan import run_gan

            self.saver = CheckpointWriter(self.run_dir)
            return run_gan(self, device, result)
        s = self._setup(device)
        self.log.emit("started", run_id=self.run_id, device=str(device), dataset=self.cfg.dataset, task=self.cfg.task,
                      epochs=self.cfg.epochs, steps_per_epoch=s.steps_per_epoch, sizes=s.data.sizes,
                      params=sum(p.numel() for p in s.model.parameters()), loss=s.task.loss_name,
                      resumed_from=s.start_epoch)  # fmt: skip
        s.t0 = time.perf_counter()
        for epoch in range(s.start_epoch + 1, self.cfg.epochs + 1):
            t_epoch = time.perf_counter()
            train_metrics = self._train_epoch(s, epoch)
            if self._end_epoch(s, epoch, train_metrics, t_epoch, result):
                break
        return self._finish(s, result)

    def _setup(self, device) -> SimpleNamespace:
        """Data on the device, the model, optimizer, scheduler, generator — restored from the checkpoint when
        resuming — and the loggers: everything a loop needs, in one namespace."""
        cfg = self.cfg
        data = load_dataset(cfg.dataset, seed=cfg.seed, **cfg.dataset_options)
        outputs = sorted(n.id for n in self.design.nodes if n.type == "Output")
        s = SimpleNamespace(device=device, data=data, task=Task(cfg.task, cfg, self.design, data, outputs))
        s.x = {k: torch.from_numpy(data.split(k)[0]).to(device) for k in ("train", "val", "test")}
        s.y = {k: torch.from_numpy(data.split(k)[1]).to(device) for k in ("train", "val", "test")}
        torch.manual_seed(cfg.seed)  # dropout and noise draw from the global generator
        s.model = self.model = build_model(self.design, seed=cfg.seed).to(device)
        # evaluation batches sized so a model with large activations does not exhaust memory
        self._eval_batch = budget.eval_batch(s.model.layerloom.validation, budget.available(str(device)))
        s.n = len(s.x["train"])
        s.steps_per_epoch = math.ceil(s.n / cfg.batch_size)
        s.opt = _optimizer(cfg, s.model.parameters())
        s.sched = _scheduler(cfg, s.opt, s.steps_per_epoch)
        s.gen = torch.Generator(device=device).manual_seed(cfg.seed)
        amp = _amp(cfg, device)
        scaler = torch.amp.GradScaler("cuda") if amp == torch.float16 else None
        s.start_epoch, s.step, s.best, s.stale, s.start_loss = 0, 0, math.inf, 0, None
        if self.checkpoint is not None:
            self._restore(s)
        s.train_step = _step_function(s.model, s.opt, s.sched, scaler, s.task, cfg, amp, device, s.gen)
        s.prober = None
        if cfg.probe_every:
            from ..probes.snapshot import Prober

            s.prober = Prober(s.model, self.design, cfg.task, s.x["val"], s.y["val"], data.vocab)
        s.writer = _writer(self.run_dir)
        if s.writer is not None and self.checkpoint is None:
            _add_graph(s.writer, s.model, s.x["train"][:2])
        s.saver = self.saver = CheckpointWriter(self.run_dir)
        s.hist = {"cost": 0.02, "last": time.perf_counter()}  # adaptive histograms: first after ~1 s of training
        return s

    def _restore(self, s: SimpleNamespace) -> None:
        ck = self.checkpoint
        s.model.load_state_dict(ck["model"])
        s.opt.load_state_dict(ck["optimizer"])
        if s.sched is not None and ck.get("scheduler"):
            s.sched.load_state_dict(ck["scheduler"])
        s.start_epoch, s.step, s.best, s.stale = ck["epoch"], ck["step"], ck["best"], ck["stale"]
        s.start_loss = ck["start_loss"]
        torch.set_rng_state(ck["rng"])
        if s.device.type == "cpu":
            s.gen.set_state(ck["gen"])

    def _train_epoch(self, s: SimpleNamespace, epoch: int) -> dict:
        """One pass over the training set; losses are read back every log_every steps and checked there."""
        cfg = self.cfg
        s.model.train()
        perm = torch.randperm(s.n, generator=s.gen, device=s.device)
        pending, rights, step_losses, seen, epoch_loss, t_epoch = [], [], [], 0, 0.0, time.perf_counter()
        for b in range(s.steps_per_epoch):
            if self.control.stop.is_set():
                raise Stopped
            if not self.control.running.is_set():
                self.control.wait_if_paused()
            idx = perm[b * cfg.batch_size : (b + 1) * cfg.batch_size]
            loss, right = s.train_step(s.x["train"][idx], s.y["train"][idx])
            s.step += 1
            seen += len(idx)
            if s.prober is not None and s.step % cfg.probe_every == 0 and s.prober.due():
                self._probe(s.prober, s.step, epoch, s.writer)
            pending.append(loss)
            if right is not None:
                rights.append(right)
            last = b == s.steps_per_epoch - 1
            if len(pending) == cfg.log_every or last:
                values = torch.stack(pending).float().tolist()
                s.start_loss = values[0] if s.start_loss is None else s.start_loss
                _check(values, s.step - len(values) + 1, s.start_loss, cfg, epoch, self.run_dir, s.saver)
                epoch_loss += sum(values[:-1]) * cfg.batch_size + values[-1] * (len(idx) if last else cfg.batch_size)
                pending = []
                self._emit_step(s, epoch, b, values[-1], seen / max(time.perf_counter() - t_epoch, 1e-9))
                step_losses.append((s.step, values[-1]))
        metrics = {"loss": epoch_loss / s.n}
        if rights:
            metrics["accuracy"] = float(torch.stack(rights).sum()) / (s.n * s.task.per_sample)
        if s.writer:  # written after the epoch: TensorBoard's writer thread would slow tiny steps down
            for step, value in step_losses:
                s.writer.add_scalar("train/loss_step", value, step)
        return metrics

    def _emit_step(self, s: SimpleNamespace, epoch: int, b: int, loss: float, rate: float) -> None:
        done = (epoch - 1 - s.start_epoch) * s.steps_per_epoch + b + 1
        total = (self.cfg.epochs - s.start_epoch) * s.steps_per_epoch
        eta = self.control.active_since(s.t0) / done * (total - done)
        self.log.emit("step", step=s.step, epoch=epoch, loss=loss, lr=s.opt.param_groups[0]["lr"], samples_per_s=rate,
                      progress=done / total, eta=eta)  # fmt: skip

    def _end_epoch(self, s: SimpleNamespace, epoch: int, train: dict, t_epoch: float, result: RunResult) -> bool:
        """Validate, step the schedule, checkpoint, log. True when early stopping ends the run."""
        cfg = self.cfg
        val = self._evaluate(s.model, s.task, s.x["val"], s.y["val"])
        if s.sched is not None and cfg.schedule == "plateau":
            s.sched.step(val["loss"])
        elif s.sched is not None and cfg.schedule != "onecycle":
            s.sched.step()
        improved = val["loss"] < s.best
        s.best, s.stale = (val["loss"], 0) if improved else (s.best, s.stale + 1)
        result.epochs, result.metrics = epoch, {"train": train, "val": val}
        payload = {"model": s.model.state_dict(), "optimizer": s.opt.state_dict(),
                   "scheduler": s.sched.state_dict() if s.sched is not None else None, "epoch": epoch, "step": s.step,
                   "best": s.best, "stale": s.stale, "start_loss": s.start_loss, "rng": torch.get_rng_state(),
                   "gen": s.gen.get_state() if s.device.type == "cpu" else None, "run_id": self.run_id,
                   "design": self.design.to_dict(), "config": _plain(cfg), "metrics": _plain(result.metrics)}  # fmt: skip
        s.saver.submit(payload, improved)
        if (
            s.prober is not None
            and self._snapshot_step != s.step
            and (epoch == cfg.epochs or self._snapshot_step is None)
        ):
            # short runs too get a first snapshot, and every run a final one (the others: every probe_every steps)
            self._probe(s.prober, s.step, epoch, s.writer)
        self._save_snapshot(force=epoch == cfg.epochs)
        result.checkpoint = self.run_dir / "best.pt"
        eta = self.control.active_since(s.t0) / (epoch - s.start_epoch) * (cfg.epochs - epoch)
        self.log.emit("epoch", epoch=epoch, step=s.step, train=train, val=_plain(val), best=improved,
                      lr=s.opt.param_groups[0]["lr"], seconds=time.perf_counter() - t_epoch, eta=eta)  # fmt: skip
        _log_epoch(s.writer, epoch, train, val, s.opt, s.model, cfg, s.hist, epoch == cfg.epochs)
        if cfg.early_stopping and s.stale >= cfg.early_stopping:
            self.log.emit("early_stop", epoch=epoch, message=f"no better validation loss for {s.stale} epochs")
            return True
        return False

    def _finish(self, s: SimpleNamespace, result: RunResult):
        """Test the best checkpoint; close the logs."""
        s.saver.wait()
        self._save_snapshot(force=True)
        best_state = torch.load(self.run_dir / "best.pt", map_location=s.device, weights_only=True)["model"]
        s.model.load_state_dict(best_state)
        result.metrics["test"] = self._evaluate(s.model, s.task, s.x["test"], s.y["test"])
        result.status = "finished"
        self.log.emit("finished", metrics=_plain(result.metrics), checkpoint=str(result.checkpoint),
                      logdir=str(self.run_dir), seconds=self.control.active_since(s.t0))  # fmt: skip
        if s.writer:
            tests = {f"hparam/test_{k}": v for k, v in result.metrics["test"].items() if isinstance(v, float)}
            s.writer.add_hparams(_hparams(self.cfg), tests, run_name="hparams")
            s.writer.close()
        return s.model

    def _save_snapshot(self, force: bool = False) -> None:
        """The latest snapshot to probes.pt: at most every 5 s (and at the end), so it stays off the clock."""
        from ..probes.snapshot import to_tensors

        last = self.__dict__.setdefault("_snapshot_saved", time.perf_counter())  # first save after 5 s, or at the end
        if getattr(self, "_snapshot", None) is not None and (force or time.perf_counter() - last >= 5):
            _save(self.run_dir / "probes.pt", to_tensors(self._snapshot))
            self._snapshot, self._snapshot_saved = None, time.perf_counter()

    def _probe(self, prober, step: int, epoch: int, writer) -> None:
        """A snapshot into the run log (arrays as the event's payload), probes.pt, and TensorBoard images."""

        snap = prober.take(step, epoch)  # times itself: due() keeps snapshots under 3% of the run
        self._snapshot_step = step
        self.log.emit("probe", payload=snap, step=step, epoch=epoch, probes=sorted(k for k in snap if k not in
                      ("step", "epoch")))  # fmt: skip
        self._snapshot = snap  # written to probes.pt at the end of the epoch
        budget = self.__dict__.setdefault("_image_budget", {"cost": 0.02, "last": time.perf_counter()})
        now = time.perf_counter()
        if writer is not None and "feature_maps" in snap and now - budget["last"] >= 100 * budget["cost"]:
            # PNG encoding is the costly part: images only as often as keeps them under 1% of the time
            for node, fmap in snap["feature_maps"].items():
                if node != "input" and fmap.ndim == 4:
                    maps = torch.from_numpy(fmap[0][:16, None])  # (channels, 1, H, W) of the first sample
                    lo, hi = maps.amin(), maps.amax()
                    writer.add_images(f"feature_maps/{node}", (maps - lo) / (hi - lo + 1e-8), step)
            budget["cost"], budget["last"] = time.perf_counter() - now, time.perf_counter()

    @torch.no_grad()
    def _evaluate(self, model, task: Task, x, y) -> dict:
        model.eval()
        batch = self._eval_batch
        outs, total = [], 0.0
        gen = torch.Generator(device=x.device).manual_seed(12345)  # the same noise every evaluation
        for i in range(0, len(x), batch):
            xb, yb = x[i : i + batch], y[i : i + batch]
            inp = task.inputs(xb, False, gen) if task.name == "denoising" else xb
            out = model(inp)
            total += float(task.loss(out, task.target(xb, yb))) * len(xb)
            outs.append(out)
        target = x if task.name in ("autoencoder", "denoising", "vae") else y
        return task.metrics(outs, target, total / max(len(x), 1))


def _step_function(model, opt, sched, scaler, task, cfg, amp, device, gen):
    """One optimizer step on a batch -> (detached loss, correct predictions or None). Every option is decided
    here, once, so the per-step path does only the work the run asked for."""
    augment = cfg.augment_flip or cfg.augment_crop
    params = [p for p in model.parameters() if p.requires_grad]
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    onecycle = sched if cfg.schedule == "onecycle" else None
    count = task.correct_function() if task.counts_correct else None

    def forward(inp, target):
        out = model(inp)
        loss = task.loss(out, target)
        if cfg.l1:
            loss = loss + cfg.l1 * sum(w.abs().sum() for w in weights)
        return out, loss

    def step(xb, yb):
        target = task.target(xb, yb)
        inp = _augment(xb, cfg, gen) if augment and xb.dim() == 4 else xb
        inp = task.inputs(inp, True) if task.noise else inp
        if amp is None:
            out, loss = forward(inp, target)
        else:
            with torch.autocast(device.type, dtype=amp):
                out, loss = forward(inp, target)
        opt.zero_grad(set_to_none=True)
        if scaler is None:
            loss.backward()
        else:
            scaler.scale(loss).backward()
            scaler.unscale_(opt)
        if cfg.grad_clip:
            torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
        if scaler is None:
            opt.step()
        else:
            scaler.step(opt)
            scaler.update()
        if onecycle is not None:
            onecycle.step()
        return loss.detach(), count(out, target) if count else None

    return step


def _check(values, first_step, start_loss, cfg, epoch, run_dir, saver):
    for k, v in enumerate(values):
        bad = not math.isfinite(v) or (start_loss > 0 and v > DIVERGENCE * start_loss)
        if bad:
            saver.wait()  # the last epoch's checkpoint is complete before we point to it
            what = (
                "became NaN/infinite" if not math.isfinite(v) else f"exploded to {v:.3g} ({DIVERGENCE:.0f}× its start)"
            )
            keep = run_dir / "last.pt"
            kept = f" The last good checkpoint is {keep}." if keep.exists() else ""
            err = TrainError(f"the loss {what} at step {first_step + k} (epoch {epoch}). Lower the learning rate "
                             f"(now {cfg.lr:g}; try {cfg.lr / 10:g}) or add gradient clipping.{kept}")  # fmt: skip
            err.step = first_step + k
            raise err


def _amp(cfg, device):
    if not cfg.amp or device.type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def _quiet_event_writer_on_a_full_disk() -> None:
    """TensorBoard's event-writer thread re-raises a write error, so Python prints its traceback, and then hands
    the error to the training thread, which reports it ("no space left on the device…"): skip the print."""
    previous = threading.excepthook

    def hook(args):
        if type(args.thread).__name__ == "_AsyncWriterThread" and disk_full(args.exc_value):
            return
        previous(args)

    threading.excepthook = hook


_quiet_event_writer_on_a_full_disk()


def _writer(run_dir: Path):
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # tensorboard not installed: the run still works, without TensorBoard logs
        return None
    return SummaryWriter(log_dir=str(run_dir), flush_secs=2)  # TensorBoard sees new points within 2 s


def _add_graph(writer, model, example) -> None:
    """The model graph for TensorBoard's Graphs tab (traced once; skipped quietly if tracing fails)."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            writer.add_graph(model.eval(), example)
    except Exception:  # a graph is a nicety: never fail a run for it
        pass
    finally:
        model.train()


def _log_epoch(writer, epoch, train, val, opt, model, cfg, hist, last):
    if writer is None:
        return
    for k, v in train.items():
        writer.add_scalar(f"train/{k}", v, epoch)
    for k, v in val.items():
        if isinstance(v, float):
            writer.add_scalar(f"val/{k}", v, epoch)
    writer.add_scalar("lr", opt.param_groups[0]["lr"], epoch)
    now = time.perf_counter()
    if cfg.histogram_every > 0:
        due = epoch % cfg.histogram_every == 0
    else:  # auto: after the last epoch, and otherwise only when it costs at most 2% of the time since the last
        due = cfg.histogram_every == 0 and (last or now - hist["last"] >= 50 * hist["cost"])
    if due:
        for name, p in model.named_parameters():
            writer.add_histogram(f"weights/{name}", p.detach().float().cpu(), epoch)
            if p.grad is not None:
                writer.add_histogram(f"grads/{name}", p.grad.detach().float().cpu(), epoch)
        hist["cost"], hist["last"] = time.perf_counter() - now, time.perf_counter()


def _hparams(cfg) -> dict:
    return {
        k: (v if isinstance(v, (int, float, str, bool)) else str(v)) for k, v in cfg.items() if k != "dataset_options"
    }


def _plain(obj):
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return obj


# -- public API -----------------------------------------------------------------------------------------------
def train(design: Design, overrides: dict | None = None, workspace=None, resume=None, control=None) -> RunResult:
    """Train in this thread; returns the result (status finished, stopped or failed, with the message)."""
    return Trainer(design, overrides, workspace, resume, control).run()


class Run:
    """A run in a background thread: ``log`` to poll, ``stop()``, ``pause()``, ``resume()``, ``join()``."""

    def __init__(self, design: Design, overrides: dict | None = None, workspace=None, resume=None,
                 meta: dict | None = None):  # fmt: skip
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


__all__ = ["Control", "Run", "RunResult", "TrainError", "Trainer", "train"]
