"""Snapshots of a model's insides during training, on a fixed probe batch (what the engine publishes)."""

from __future__ import annotations

import time

import numpy as np
import torch

from ..design import Design
from . import stats, views
from .capture import nodes_with_probe

SAMPLES = 8  # the probe batch: the first validation samples, the same every time


class Prober:
    """Decides once which probes apply to a design, then takes snapshots: {probe name: arrays}."""

    def __init__(self, model, design: Design, task: str, x_probe: torch.Tensor, y_probe: torch.Tensor,
                 vocab: tuple[str, ...] = (), reconstruction: int | None = None):  # fmt: skip
        """``reconstruction``: the index of the model's reconstruction output (an autoencoder's or VAE's, as
        the task found it in the graph); None when the model reconstructs nothing."""
        self.model, self.design, self.task = model, design, task
        self.reconstruction = reconstruction
        self.x, self.y = x_probe[:SAMPLES], y_probe[:SAMPLES]
        self.has_maps = bool(nodes_with_probe(design, "feature_maps"))
        self.has_attention = bool(nodes_with_probe(design, "attention"))
        self.recurrent = nodes_with_probe(design, "gates")[:2]
        self.embeddings = nodes_with_probe(design, "embedding")[:1]
        self.is_2d = self.x.dim() == 2 and self.x.shape[1] == 2 and task == "classification"
        if self.is_2d:  # the plane is drawn around (and with) a few hundred validation points, not just 8
            self.points, self.labels = x_probe[:300].cpu().numpy(), y_probe[:300].cpu().numpy()
        self.vocab = vocab
        self.cost, self.last = 0.0, time.perf_counter()

    def due(self, budget: float = 0.03) -> bool:
        """Whether a snapshot now keeps snapshots under ``budget`` of the time since the last one."""
        return time.perf_counter() - self.last >= self.cost / budget

    def take(self, step: int, epoch: int) -> dict:
        start = time.perf_counter()
        try:
            return self._take(step, epoch)
        finally:
            self.last = time.perf_counter()
            self.cost = self.last - start

    def _take(self, step: int, epoch: int) -> dict:
        m, d, x = self.model, self.design, self.x
        snap: dict = {"step": step, "epoch": epoch, "activations": stats.activation_stats(m, d, x)}
        snap["norms"] = stats.weight_stats(m, d, bins=30)  # norms and histograms of weights and gradients
        if self.has_maps:
            snap["feature_maps"] = views.feature_maps(m, d, x[:4])
        if self.has_attention:
            snap["attention"] = views.attention_weights(m, d, x[:2])
            if self.vocab and not x.is_floating_point():  # token labels for the heatmaps' axes
                v = self.vocab
                snap["tokens"] = [[v[i] if i < len(v) else str(i) for i in row] for row in x[:2].tolist()]
        for nid in self.recurrent:
            snap.setdefault("gates", {})[nid] = views.recurrent_gates(m, d, nid, x[:1])
        if self.reconstruction is not None:
            snap["reconstructions"] = stats.reconstructions(m, x, self.reconstruction)
        if self.is_2d:
            snap["decision_boundary"] = {**stats.decision_boundary(m, self.points, grid=50), "points": self.points,
                                         "labels": self.labels}  # fmt: skip
        for nid in self.embeddings:
            snap["embedding"] = stats.embedding_pca(m, nid, list(self.vocab))
        return snap


def to_tensors(obj):
    """The snapshot with numpy arrays as tensors, so torch.load(weights_only=True) can read it back."""
    if isinstance(obj, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(obj))
    if isinstance(obj, dict):
        return {k: to_tensors(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_tensors(v) for v in obj]
    return obj


def to_arrays(obj):
    """The inverse of :func:`to_tensors`: a snapshot read back from probes.pt, with numpy arrays."""
    if isinstance(obj, torch.Tensor):
        return obj.numpy()
    if isinstance(obj, dict):
        return {k: to_arrays(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_arrays(v) for v in obj]
    return obj
