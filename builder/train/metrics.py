"""Metrics from predictions, in plain torch: accuracy, macro precision/recall/F1, confusion matrix; MAE, RMSE,
R² (in the targets' original units)."""

from __future__ import annotations

import torch


def confusion(pred: torch.Tensor, target: torch.Tensor, n: int) -> torch.Tensor:
    """(n, n) counts: rows are true classes, columns predictions."""
    return torch.bincount(target.reshape(-1) * n + pred.reshape(-1), minlength=n * n).reshape(n, n)


def _scores(cm: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-class precision, recall and F1 of a (float) confusion matrix whose rows are the true classes."""
    tp = cm.diag()
    precision = tp / cm.sum(0).clamp(min=1)
    recall = tp / cm.sum(1).clamp(min=1)
    return precision, recall, 2 * precision * recall / (precision + recall).clamp(min=1e-12)


def classification(pred: torch.Tensor, target: torch.Tensor, n: int) -> dict:
    cm = confusion(pred, target, n).double()
    precision, recall, f1 = _scores(cm)
    present = cm.sum(1) > 0  # macro averages over the classes that occur
    return {
        "accuracy": float(cm.diag().sum() / cm.sum().clamp(min=1)),
        "precision": float(precision[present].mean()),
        "recall": float(recall[present].mean()),
        "f1": float(f1[present].mean()),
        "confusion": cm.long().tolist(),
    }


def segmentation(pred: torch.Tensor, target: torch.Tensor, n: int) -> dict:
    """Per-pixel accuracy and the intersection over union |pred ∩ true| / |pred ∪ true| of every class but the
    background (class 0), and their mean (mIoU; with two classes, the foreground's IoU)."""
    cm = confusion(pred, target, n).double()
    tp = cm.diag()
    union = cm.sum(0) + cm.sum(1) - tp
    iou = tp / union.clamp(min=1)
    present = union[1:] > 0
    return {"pixel_accuracy": float(tp.sum() / cm.sum().clamp(min=1)),
            "iou": float(iou[1:][present].mean()) if bool(present.any()) else 0.0}  # fmt: skip


def regression(pred: torch.Tensor, target: torch.Tensor, scale: float = 1.0) -> dict:
    err = (pred - target).double() * scale
    var = ((target.double() - target.double().mean()) ** 2).sum()
    return {
        "mae": float(err.abs().mean()),
        "rmse": float(err.pow(2).mean().sqrt()),
        "r2": float(1 - (err / scale).pow(2).sum() / var.clamp(min=1e-12)),
    }


def per_class(matrix: list[list[int]], classes: list[str] | tuple[str, ...] = ()) -> list[dict]:
    """Precision, recall, F1 and support of every class, from a confusion matrix (rows: true classes)."""
    cm = torch.tensor(matrix, dtype=torch.float64)
    precision, recall, f1 = _scores(cm)
    names = list(classes) if len(classes) == len(cm) else [str(i) for i in range(len(cm))]
    return [{"class": names[i], "precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]),
             "support": int(cm[i].sum())} for i in range(len(cm))]  # fmt: skip
