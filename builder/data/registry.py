"""The dataset registry: every bundled dataset with its task, shapes, classes, split and normalization.

Datasets come from installed packages (scikit-learn, statsmodels) or are generated; nothing is downloaded.
Each loader returns the full arrays; :func:`load_dataset` splits them with a seeded permutation (chronologically
for forecasting series, so the test set is the future), normalizes with statistics of the training split only,
and caches the result per (name, seed, options).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

TASKS = ("classification", "regression", "forecasting", "autoencoder", "sequence_labeling", "segmentation")


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    title: str
    description: str
    task: str  # one of TASKS: what the dataset's targets are (segmentation: a class per pixel, (H, W) per sample)
    input_shape: tuple[int, ...]  # one sample, without the batch dim
    dtype: str  # "float32" or "int64"
    loader: Callable[..., tuple[np.ndarray, np.ndarray]]
    classes: tuple[str, ...] = ()  # classification: class names, in label order
    targets: tuple[str, ...] = ()  # regression/forecasting: target names
    group: str = ""  # for listings: "2-D", "Tabular", "Images", "Sequences", "Text"
    chronological: bool = False  # split in time order (forecasting windows)
    normalize: str = "standard"  # "standard" (train mean/std per feature), "none" (already in [0, 1])
    options: dict = field(default_factory=dict)  # loader options with their defaults (e.g. noise)
    vocab_size: int = 0  # text/token datasets: ids are < vocab_size; 0 = padding

    def to_json(self) -> dict:
        return {
            "name": self.name, "title": self.title, "task": self.task, "group": self.group,
            "input_shape": list(self.input_shape), "dtype": self.dtype, "classes": list(self.classes),
            "targets": list(self.targets), "options": self.options, "vocab_size": self.vocab_size,
            "description": self.description,
        }  # fmt: skip


@dataclass
class Dataset:
    """A loaded, split, normalized dataset. Arrays are numpy; x keeps the spec's dtype, y is int64 labels
    (classification, sequence labeling) or float32 targets."""

    spec: DatasetSpec
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    mean: np.ndarray | None = None  # the normalization applied to x (None when none was)
    std: np.ndarray | None = None
    vocab: tuple[str, ...] = ()
    y_mean: float = 0.0  # regression/forecasting targets are standardized too: y_raw = y * y_std + y_mean
    y_std: float = 1.0

    @property
    def sizes(self) -> dict[str, int]:
        return {"train": len(self.x_train), "val": len(self.x_val), "test": len(self.x_test)}

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        return getattr(self, f"x_{name}"), getattr(self, f"y_{name}")


DATASETS: dict[str, DatasetSpec] = {}


def register(spec: DatasetSpec) -> DatasetSpec:
    assert spec.name not in DATASETS and spec.task in TASKS, spec.name
    DATASETS[spec.name] = spec
    return spec


class DatasetError(ValueError):
    """An unknown dataset or bad options; the message lists what is available."""


def get_spec(name: str) -> DatasetSpec:
    if name not in DATASETS:
        raise DatasetError(f"unknown dataset {name!r}; available: {', '.join(sorted(DATASETS))}")
    return DATASETS[name]


def list_datasets() -> list[DatasetSpec]:
    return list(DATASETS.values())


def forget_loaded() -> None:
    """Drop every cached split (a dataset was registered again under the same name)."""
    _load.cache_clear()


def load_dataset(name: str, seed: int = 0, **options) -> Dataset:
    """The named dataset, split 70/15/15 with ``seed`` and normalized on the training split."""
    spec = get_spec(name)
    unknown = set(options) - set(spec.options)
    if unknown:
        known = ", ".join(spec.options) or "none"
        raise DatasetError(f"dataset {name!r} has no option {sorted(unknown)[0]!r}; its options: {known}")
    merged = {**spec.options, **options}
    return _load(name, seed, tuple(sorted(merged.items())))


@functools.lru_cache(maxsize=32)
def _load(name: str, seed: int, options: tuple) -> Dataset:
    spec = DATASETS[name]
    out = spec.loader(seed=seed, **dict(options))
    out = out if isinstance(out, dict) else dict(zip(("x", "y", "vocab"), out))
    x, y = np.asarray(out["x"]), np.asarray(out["y"])
    if spec.task in ("regression", "forecasting") and y.ndim == 1:
        y = y[:, None]  # one target per sample: (n, 1), like the model's (N, 1) output
    vocab = tuple(out.get("vocab") or ())
    n, n_test = len(x), out.get("n_test", 0)
    if n_test:  # an official test set (the loader's last n_test samples); validation comes from the rest
        order = np.random.default_rng(seed).permutation(n - n_test)
        a = int((n - n_test) * 0.85)
        parts = [order[:a], order[a:], np.arange(n - n_test, n)]
    else:
        order = np.arange(n) if spec.chronological else np.random.default_rng(seed).permutation(n)
        a, b = int(n * 0.7), int(n * 0.85)
        parts = [order[:a], order[a:b], order[b:]]
    xs = [x[p] for p in parts]
    ys = [y[p] for p in parts]
    mean = std = None
    if spec.normalize == "standard" and spec.dtype == "float32":
        axes = tuple(range(xs[0].ndim - 1))  # per feature (the last dim)
        mean = xs[0].mean(axis=axes, keepdims=True)
        std = xs[0].std(axis=axes, keepdims=True) + 1e-8
        xs = [(v - mean) / std for v in xs]
        mean, std = mean.reshape(-1).astype(np.float32), std.reshape(-1).astype(np.float32)
    xs = [_canonical(v, np.float32 if spec.dtype == "float32" else np.int64) for v in xs]
    y_mean, y_std = 0.0, 1.0
    if spec.task in ("regression", "forecasting"):
        y_mean, y_std = float(ys[0].mean()), float(ys[0].std() + 1e-8)
        ys = [(v - y_mean) / y_std for v in ys]
    label = spec.task in ("classification", "sequence_labeling", "segmentation")
    ys = [_canonical(v, np.int64 if label else np.float32) for v in ys]
    return Dataset(spec, xs[0], ys[0], xs[1], ys[1], xs[2], ys[2], mean, std, vocab, y_mean, y_std)


def _canonical(a: np.ndarray, dtype) -> np.ndarray:
    """C-contiguous with the plain strides: numpy calls an (N, 1, H, W) array contiguous whatever its size-1 dim's
    stride, but torch then sees a channels-last tensor, and convolutions take another (not bit-equal) path than
    for the same data read back from a file."""
    a = np.ascontiguousarray(a, dtype=dtype)
    plain = tuple(int(np.prod(a.shape[k + 1 :])) * a.itemsize for k in range(a.ndim))
    return a if a.strides == plain else a.copy(order="C")
