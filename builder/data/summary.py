"""What a dataset holds, for the Data page: sizes, class balance per split, target ranges, and a few samples."""

from __future__ import annotations

import numpy as np

from .registry import Dataset


def summary(ds: Dataset) -> dict:
    """Sizes per split; for classification the count of every class per split, else the targets' ranges."""
    spec = ds.spec
    out: dict = {"sizes": ds.sizes, "input_shape": list(spec.input_shape), "dtype": spec.dtype, "task": spec.task,
                 "normalize": "per-feature mean/std of the training split" if ds.mean is not None else "none"}  # fmt: skip
    if spec.task in ("classification", "sequence_labeling", "segmentation"):  # (segmentation: pixels per class)
        n = max(len(spec.classes), int(max(ds.y_train.max(), ds.y_val.max(), ds.y_test.max())) + 1)
        out["classes"] = list(spec.classes) if len(spec.classes) == n else [str(i) for i in range(n)]
        out["counts"] = {split: np.bincount(ds.split(split)[1].reshape(-1), minlength=n).tolist()
                         for split in ("train", "val", "test")}  # fmt: skip
    else:
        y = ds.y_train * ds.y_std + ds.y_mean  # in the targets' own units
        out["targets"] = {"mean": float(y.mean()), "std": float(y.std()), "min": float(y.min()), "max": float(y.max())}
    return out


def samples(ds: Dataset, n: int = 16, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` training samples chosen at random (the same ones for the same seed), with their targets."""
    pick = np.random.default_rng(seed).choice(len(ds.x_train), size=min(n, len(ds.x_train)), replace=False)
    return ds.x_train[np.sort(pick)], ds.y_train[np.sort(pick)]
