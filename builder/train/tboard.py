"""TensorBoard logs of a run: scalars, the graph, feature maps, histograms and hyperparameters.

Everything here is optional and cheap: without the tensorboard package a run still works (no writer), images
and histograms are written only as often as keeps them under ~1–2% of the run's time, and a graph that cannot
be traced is skipped."""

from __future__ import annotations

import threading
import time
import warnings
from pathlib import Path

from ..design import disk_full


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


def open_writer(run_dir: Path):
    """A SummaryWriter into the run's folder, or None when tensorboard is not installed."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return None
    return SummaryWriter(log_dir=str(run_dir), flush_secs=2)  # TensorBoard sees new points within 2 s


def add_graph(writer, model, example) -> None:
    """The model graph for TensorBoard's Graphs tab (traced once; skipped quietly if tracing fails)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            writer.add_graph(model.eval(), example)
    except Exception:  # a graph is a nicety: never fail a run for it
        pass
    finally:
        model.train()


class Histograms:
    """Weight and gradient histograms: every ``every`` epochs, or (``every`` = 0) after the last epoch and
    otherwise only when they cost at most 2% of the time since the last ones; -1: never."""

    def __init__(self, every: int):
        self.every, self.cost, self.last = every, 0.02, time.perf_counter()  # first after ~1 s of training
        self.written: int | None = None  # the epoch of the latest histograms

    def due(self, epoch: int) -> bool:
        """After an epoch that is not the run's last."""
        if self.every > 0:
            return epoch % self.every == 0
        return self.every == 0 and time.perf_counter() - self.last >= 50 * self.cost

    def due_at_end(self, epoch: int) -> bool:
        """After the run's last epoch (auto: always)."""
        if self.every < 0 or self.written == epoch:
            return False
        return self.every == 0 or epoch % self.every == 0

    def write(self, writer, model, epoch: int) -> None:
        start, self.written = time.perf_counter(), epoch
        for name, p in model.named_parameters():
            writer.add_histogram(f"weights/{name}", p.detach().float().cpu(), epoch)
            if p.grad is not None:
                writer.add_histogram(f"grads/{name}", p.grad.detach().float().cpu(), epoch)
        self.cost, self.last = time.perf_counter() - start, time.perf_counter()


def scalars(writer, values: dict[str, float], step: int) -> None:
    """Scalars as one event (what add_scalar writes one by one): ~80 µs for eight where add_scalar takes ~110 µs
    each, which was 8% of a small model's epoch."""
    from tensorboard.compat.proto.summary_pb2 import Summary

    summary = Summary(value=[Summary.Value(tag=tag, simple_value=float(v)) for tag, v in values.items()])
    writer._get_file_writer().add_summary(summary, step)


def log_epoch(writer, epoch: int, train: dict, val: dict, lr: float) -> None:
    values = {f"train/{k}": v for k, v in train.items()}
    values.update({f"val/{k}": v for k, v in val.items() if isinstance(v, float)})
    scalars(writer, {**values, "lr": lr}, epoch)


class FeatureMaps:
    """Feature-map images of a probe snapshot; PNG encoding is the costly part, so at most ~1% of the time."""

    def __init__(self):
        self.cost, self.last = 0.02, time.perf_counter()

    def write(self, writer, snapshot: dict, step: int) -> None:
        import torch

        now = time.perf_counter()
        if "feature_maps" not in snapshot or now - self.last < 100 * self.cost:
            return
        for node, fmap in snapshot["feature_maps"].items():
            if node != "input" and fmap.ndim == 4:
                maps = torch.from_numpy(fmap[0][:16, None])  # (channels, 1, H, W) of the first sample
                lo, hi = maps.amin(), maps.amax()
                writer.add_images(f"feature_maps/{node}", (maps - lo) / (hi - lo + 1e-8), step)
        self.cost, self.last = time.perf_counter() - now, time.perf_counter()


def hparams(cfg) -> dict:
    """The run's settings as TensorBoard hyperparameters (plain scalars)."""
    plain = (int, float, str, bool)
    return {k: (v if isinstance(v, plain) else str(v)) for k, v in cfg.items() if k != "dataset_options"}


def finish(writer, cfg, test: dict) -> None:
    tests = {f"hparam/test_{k}": v for k, v in test.items() if isinstance(v, float)}
    writer.add_hparams(hparams(cfg), tests, run_name="hparams")
    writer.close()
