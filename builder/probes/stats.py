"""Statistics probes: weights and gradients, activations, embeddings, decision boundaries, reconstructions."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..design import Design
from .capture import hooks, module_of, nodes_with_probe, run_eval


def weight_stats(model: nn.Module, design: Design, bins: int = 30, histograms: bool = True) -> dict[str, dict]:
    """Per node with parameters: weight and gradient norms (vanishing/exploding gradients) and histograms."""
    out = {}
    for node in design.nodes:
        module = module_of(model, node.id)
        if module is None:
            continue
        params = [p for p in module.parameters(recurse=True)]
        if not params:
            continue
        w = torch.cat([p.detach().flatten().float().cpu() for p in params])
        grads = [p.grad for p in params if p.grad is not None]
        entry = {"weight_norm": float(w.norm())}
        if histograms:
            entry["weight_hist"] = np.histogram(w.numpy(), bins=bins)
        if grads:
            g = torch.cat([q.detach().flatten().float().cpu() for q in grads])
            entry["grad_norm"] = float(g.norm())
            if histograms:
                entry["grad_hist"] = np.histogram(g.numpy(), bins=bins)
        out[node.id] = entry
    return out


def activation_stats(model: nn.Module, design: Design, x) -> dict[str, dict]:
    """Per activation node: for ReLU-like ones the fraction of dead units (zero for every probe sample); for
    Sigmoid/Tanh the fraction of saturated outputs (within 0.01 of their limits)."""
    ids = nodes_with_probe(design, "activations")
    with hooks(model, ids) as seen:
        run_eval(model, x)
    out = {}
    for nid in ids:
        if nid not in seen:
            continue
        a = seen[nid].detach().float().cpu()
        kind = design.node(nid).type
        if kind in ("Sigmoid", "Tanh"):
            lo = 0.0 if kind == "Sigmoid" else -1.0
            saturated = ((a - lo).abs() < 0.01) | ((a - 1.0).abs() < 0.01)
            out[nid] = {"kind": kind, "saturated": float(saturated.float().mean())}
        else:
            units = a.transpose(0, 1).reshape(a.shape[1], -1) if a.dim() > 2 else a.T  # unit -> all its values
            out[nid] = {"kind": kind, "dead": float((units.abs().amax(1) == 0).float().mean()),
                        "zero": float((a == 0).float().mean())}  # fmt: skip
    return out


def embedding_pca(model: nn.Module, node_id: str, words: list[str] | None = None) -> dict:
    """The Embedding's vectors projected on their first two principal components."""
    module = module_of(model, node_id)
    if not isinstance(module, nn.Embedding):
        raise ValueError(f"node {node_id!r} is not an Embedding")
    w = module.weight.detach().float().cpu().numpy()
    centred = w - w.mean(0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    coords = centred @ vt[:2].T
    explained = (s[:2] ** 2) / max(float((s**2).sum()), 1e-12)
    return {"coords": coords, "explained": explained, "words": list(words or [])}


def decision_boundary(model: nn.Module, points: np.ndarray, grid: int = 80, margin: float = 0.5) -> dict:
    """Class probabilities of a 2-D classifier over the input plane around ``points`` (as TF Playground)."""
    lo, hi = points.min(0) - margin, points.max(0) + margin
    xs, ys = np.linspace(lo[0], hi[0], grid), np.linspace(lo[1], hi[1], grid)
    mesh = torch.tensor(np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2), dtype=torch.float32)
    was = model.training
    model.eval()
    with torch.no_grad():
        logits = model(mesh.to(next(model.parameters()).device)).float().cpu()
    model.train(was)
    probs = torch.sigmoid(logits) if logits.shape[1] == 1 else torch.softmax(logits, 1)
    return {"x": xs, "y": ys, "probs": probs.reshape(grid, grid, -1).numpy()}


def reconstructions(model: nn.Module, x: torch.Tensor, index: int = 0) -> dict:
    """Inputs and the model's reconstructions (output ``index`` for models with several outputs, e.g. a VAE)."""
    was = model.training
    model.eval()
    with torch.no_grad():
        out = model(x)
    model.train(was)
    out = out[index] if isinstance(out, tuple) else out
    return {"input": x.detach().cpu().numpy(), "output": out.detach().cpu().numpy()}
