"""The supervised loop: every task but the GAN (classification, regression, forecasting, sequence labeling,
(denoising) autoencoders, VAEs) — the recipe's step over the data, with the engine's per-epoch work around it.

Data of the bundled (in-memory) datasets is moved to the device once and sliced per batch: a DataLoader with
workers is several times slower for data that already sits in memory. Losses are read back only every
``log_every`` steps (a host sync on GPUs) and checked for divergence there, naming the exact step. A loop talks
to the run only through the trainer's public hooks (``emit``, ``tick``, ``save``, ``publish``, ``elapsed``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import torch

from .. import budget
from ..data import Dataset, load_dataset
from . import finetune, recipe, tboard
from .errors import TrainError, plain

DIVERGENCE = 1e3  # a loss this many times its starting value counts as diverged


@dataclass
class RunState:
    """Everything one supervised run holds while it trains."""

    device: torch.device
    data: Dataset
    x: dict[str, torch.Tensor]  # split -> inputs on the device
    y: dict[str, torch.Tensor]
    model: torch.nn.Module
    opt: torch.optim.Optimizer
    sched: object | None
    gen: torch.Generator  # data order, augmentation
    loss_fn: object
    eval_batch: int
    steps_per_epoch: int
    train_step: object = None
    prober: object | None = None
    writer: object | None = None
    histograms: tboard.Histograms | None = None
    feature_maps: tboard.FeatureMaps = field(default_factory=tboard.FeatureMaps)
    start_epoch: int = 0
    step: int = 0
    best: float = math.inf
    stale: int = 0
    start_loss: float | None = None
    t0: float = 0.0
    snapshot_step: int | None = None  # the step of the latest probe snapshot
    last_loss: float = 0.0  # the latest loss read back

    @property
    def n(self) -> int:
        return len(self.x["train"])


def predictor(c, class_dim: int = -1):
    """predict(out) -> the predicted classes, as a tensor (no host sync; one op per step, compared with the
    targets once per epoch: counting per step cost ~5% of a small model's step). ``class_dim``: where the task's
    outputs hold the class scores."""
    if c["loss"] == "bce_with_logits":
        return lambda out: out.detach().reshape(-1) > 0
    return lambda out: out.detach().argmax(class_dim)


def amp_dtype(cfg, device):
    if not cfg.amp or device.type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


class Supervised:
    """One pass per epoch, validation, the schedule, a checkpoint and the logs; then the best on the test set."""

    def run(self, trainer, device, result):
        s = self.setup(trainer, device)
        trainer.emit(
            "started",
            run_id=trainer.run_id,
            device=str(device),
            dataset=trainer.cfg.dataset,
            task=trainer.cfg.task,
            epochs=trainer.cfg.epochs,
            steps_per_epoch=s.steps_per_epoch,
            sizes=s.data.sizes,
            params=sum(p.numel() for p in s.model.parameters()),
            loss=trainer.c["loss"],
            resumed_from=s.start_epoch,
        )
        s.t0 = time.perf_counter()
        for epoch in range(s.start_epoch + 1, trainer.cfg.epochs + 1):
            t_epoch = time.perf_counter()
            train = self.train_epoch(trainer, s, epoch)
            if self.end_epoch(trainer, s, epoch, train, t_epoch, result):
                break
        if trainer.rank:  # a follower's part ends with the last step: rank 0 tests the model and says so
            result.status = "finished"
            return s.model
        return self.finish(trainer, s, result)

    # -- setup ----------------------------------------------------------------------------------------------
    def setup(self, trainer, device) -> RunState:
        cfg, c = trainer.cfg, trainer.c
        data = load_dataset(cfg.dataset, seed=cfg.seed, **cfg.dataset_options)
        splits = ("train", "val", "test")
        x = {k: torch.from_numpy(data.split(k)[0]).to(device) for k in splits}
        y = {k: torch.from_numpy(data.split(k)[1]).to(device) for k in splits}
        model = trainer.model = recipe.new_model(trainer.plan.model_class, cfg.seed).to(device)
        net = model
        if trainer.world > 1:  # data-parallel: gradients averaged over the processes in backward
            from torch.nn.parallel import DistributedDataParallel

            net = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
        steps = math.ceil(len(x["train"]) // trainer.world / cfg.batch_size)
        opt = recipe.make_optimizer(c, finetune.prepare(model, trainer.plan, c, trainer.run_dir))
        # evaluation batches sized so a model with large activations does not exhaust memory
        eval_batch = budget.eval_batch(trainer.plan.report, budget.available(str(device)))
        s = RunState(
            device,
            data,
            x,
            y,
            model,
            opt,
            recipe.make_schedule(c, opt, steps),
            torch.Generator(device=device).manual_seed(cfg.seed),
            recipe.make_loss(c),
            eval_batch,
            steps,
        )
        if trainer.checkpoint is not None:
            self.restore(trainer.checkpoint, s)
        amp = amp_dtype(cfg, device)
        scaler = torch.amp.GradScaler("cuda") if amp == torch.float16 else None
        predict = predictor(c, trainer.task.class_dim) if trainer.task.counts_correct else None
        s.train_step = recipe.make_step(net, opt, s.sched, c, s.loss_fn, s.gen, amp, scaler, predict)
        self.loggers(trainer, s)
        return s

    def loggers(self, trainer, s: RunState) -> None:
        cfg = trainer.cfg
        s.histograms = tboard.Histograms(cfg.histogram_every)
        if trainer.rank:  # followers write nothing
            return
        if cfg.probe_every:
            from ..probes.snapshot import Prober

            roles = trainer.task.outputs(trainer.plan)
            s.prober = Prober(
                s.model,
                trainer.plan.flat,
                cfg.task,
                s.x["val"],
                s.y["val"],
                s.data.vocab,
                reconstruction=roles.get("reconstruction"),
            )
        s.writer = tboard.open_writer(trainer.run_dir)
        if s.writer is not None and trainer.checkpoint is None:
            tboard.add_graph(s.writer, s.model, s.x["train"][:2])

    @staticmethod
    def restore(ck: dict, s: RunState) -> None:
        s.model.load_state_dict(ck["model"])
        s.opt.load_state_dict(ck["optimizer"])
        if s.sched is not None and ck.get("scheduler"):
            s.sched.load_state_dict(ck["scheduler"])
        s.start_epoch, s.step, s.best, s.stale = ck["epoch"], ck["step"], ck["best"], ck["stale"]
        s.start_loss = ck["start_loss"]
        torch.set_rng_state(ck["rng"])
        if s.device.type == "cpu":
            s.gen.set_state(ck["gen"])

    # -- an epoch -------------------------------------------------------------------------------------------
    def train_epoch(self, trainer, s: RunState, epoch: int) -> dict:
        """One pass over the training set; losses are read back every log_every steps and checked there."""
        cfg = trainer.cfg
        s.model.train()
        order = recipe.batches(s.n, trainer.c, s.gen, s.device, trainer.rank, trainer.world)
        pending, predictions, losses = [], [], []
        total, t_epoch = 0.0, time.perf_counter()
        for b, idx in enumerate(order):
            trainer.tick()
            loss, predicted = s.train_step(s.x["train"][idx], s.y["train"][idx])
            s.step += 1
            if s.prober is not None and s.step % cfg.probe_every == 0 and s.prober.due():
                self.probe(trainer, s, epoch)
            pending.append(loss)
            if predicted is not None:
                predictions.append(predicted)
            last = b == len(order) - 1
            if len(pending) == cfg.log_every or last:
                total += self.flush(trainer, s, epoch, b, pending, len(idx) if last else cfg.batch_size, t_epoch)
                losses.append((s.step, s.last_loss))
                pending = []
        seen, right = s.n, None
        if predictions:
            predicted, targets = torch.cat(predictions), s.y["train"][torch.cat(order)]
            right = float((predicted == targets.reshape(predicted.shape).to(predicted.dtype)).sum())
        if trainer.world > 1:  # every process's share, summed: the epoch's figures over the whole training set
            sums = torch.tensor([total, float(sum(len(i) for i in order)), right or 0.0], dtype=torch.float64)
            torch.distributed.all_reduce(sums)
            total, seen, right = float(sums[0]), float(sums[1]), (float(sums[2]) if right is not None else None)
        metrics = {"loss": total / seen}
        if right is not None:
            metrics["accuracy"] = right / (seen * trainer.task.per_sample(trainer.spec))
        if s.writer:  # written after the epoch: TensorBoard's writer thread would slow tiny steps down
            for step, value in losses:
                tboard.scalars(s.writer, {"train/loss_step": value}, step)
        return metrics

    def flush(self, trainer, s: RunState, epoch: int, b: int, pending: list, last_size: int, t_epoch: float):
        """Read the pending losses back (one sync), check them, emit a step event; their sum over samples."""
        cfg = trainer.cfg
        values = torch.stack(pending).float().tolist()
        s.start_loss = values[0] if s.start_loss is None else s.start_loss
        check_divergence(values, s.step - len(values) + 1, s.start_loss, cfg, epoch, trainer)
        s.last_loss = values[-1]
        done = (epoch - 1 - s.start_epoch) * s.steps_per_epoch + b + 1
        total = (cfg.epochs - s.start_epoch) * s.steps_per_epoch
        seen = b * cfg.batch_size + last_size
        trainer.emit(
            "step",
            step=s.step,
            epoch=epoch,
            loss=values[-1],
            lr=s.opt.param_groups[0]["lr"],
            samples_per_s=seen * trainer.world / max(time.perf_counter() - t_epoch, 1e-9),
            progress=done / total,
            eta=trainer.elapsed(s.t0) / done * (total - done),
        )
        return sum(values[:-1]) * cfg.batch_size + values[-1] * last_size

    def evaluate(self, trainer, s: RunState, split: str) -> dict:
        c = trainer.c
        x, y = s.x[split], s.y[split]
        loss, outs = recipe.evaluate(s.model, c, s.loss_fn, x, y, s.eval_batch)
        out = torch.cat([recipe.main_output(c, o) for o in outs])
        return trainer.task.metrics(out, x if c["target"] == "x" else y, loss, s.data)

    def end_epoch(self, trainer, s: RunState, epoch: int, train: dict, t_epoch: float, result) -> bool:
        """Validate, step the schedule, checkpoint, log. True when early stopping ends the run."""
        cfg = trainer.cfg
        val = self.evaluate(trainer, s, "val")
        recipe.end_epoch(trainer.c, s.sched, val["loss"])
        improved = val["loss"] < s.best
        s.best, s.stale = (val["loss"], 0) if improved else (s.best, s.stale + 1)
        result.epochs, result.metrics = epoch, {"train": train, "val": val}
        trainer.save(self.payload(s, epoch, result), improved)
        final = epoch == cfg.epochs
        if s.prober is not None and s.snapshot_step is None:
            self.probe(trainer, s, epoch)  # short runs too get a first snapshot (and every run a final one)
        trainer.flush_snapshot()
        result.checkpoint = trainer.run_dir / "best.pt"
        lr = s.opt.param_groups[0]["lr"]
        trainer.emit(
            "epoch",
            epoch=epoch,
            step=s.step,
            train=train,
            val=plain(val),
            best=improved,
            lr=lr,
            seconds=time.perf_counter() - t_epoch,
            eta=trainer.elapsed(s.t0) / (epoch - s.start_epoch) * (cfg.epochs - epoch),
        )
        if s.writer is not None:
            tboard.log_epoch(s.writer, epoch, train, val, lr)
            if not final and s.histograms.due(epoch):  # the last epoch's: after it, in finish()
                s.histograms.write(s.writer, s.model, epoch)
        if cfg.early_stopping and s.stale >= cfg.early_stopping:
            trainer.emit("early_stop", epoch=epoch, message=f"no better validation loss for {s.stale} epochs")
            return True
        return False

    @staticmethod
    def payload(s: RunState, epoch: int, result) -> dict:
        return {
            "model": s.model.state_dict(),
            "optimizer": s.opt.state_dict(),
            "scheduler": s.sched.state_dict() if s.sched is not None else None,
            "epoch": epoch,
            "step": s.step,
            "best": s.best,
            "stale": s.stale,
            "start_loss": s.start_loss,
            "rng": torch.get_rng_state(),
            "gen": s.gen.get_state() if s.device.type == "cpu" else None,
            "metrics": plain(result.metrics),
        }

    def probe(self, trainer, s: RunState, epoch: int) -> None:
        snapshot = s.prober.take(s.step, epoch)  # times itself: due() keeps snapshots under 3% of the run
        s.snapshot_step = s.step
        trainer.publish(snapshot, s.step, epoch)
        if s.writer is not None:
            s.feature_maps.write(s.writer, snapshot, s.step)

    def finish(self, trainer, s: RunState, result):
        """The last epoch's snapshot and histograms, then the best checkpoint on the test set; close the logs."""
        epoch = result.epochs
        if s.prober is not None and s.snapshot_step != s.step:
            self.probe(trainer, s, epoch)
        if s.writer is not None and s.histograms.due_at_end(epoch):
            s.histograms.write(s.writer, s.model, epoch)
        trainer.saver.flush()
        trainer.flush_snapshot(force=True)
        s.model.load_state_dict(trainer.saver.best_payload["model"])
        result.metrics["test"] = self.evaluate(trainer, s, "test")
        trainer.finished(result, s.t0)
        if s.writer:
            tboard.finish(s.writer, trainer.cfg, result.metrics["test"])
        return s.model


def check_divergence(values, first_step, start_loss, cfg, epoch, trainer) -> None:
    """A NaN/infinite loss, or one DIVERGENCE times its start, fails the run naming the step."""
    for k, v in enumerate(values):
        if math.isfinite(v) and not (start_loss > 0 and v > DIVERGENCE * start_loss):
            continue
        trainer.saver.flush()  # the last good epoch's checkpoint is written before we point to it
        what = "became NaN/infinite" if not math.isfinite(v) else f"exploded to {v:.3g} ({DIVERGENCE:.0f}× its start)"
        keep = trainer.saver.last
        kept = f" The last good checkpoint is {keep}." if keep.exists() else ""
        err = TrainError(
            f"the loss {what} at step {first_step + k} (epoch {epoch}). Lower the learning rate "
            f"(now {cfg.lr:g}; try {cfg.lr / 10:g}) or add gradient clipping.{kept}"
        )
        err.step = first_step + k
        raise err
