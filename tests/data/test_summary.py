"""Dataset summaries for the Data page: class counts per split add up, targets are in their own units."""

import numpy as np

from builder.data import load_dataset
from builder.data.summary import samples, summary


def test_class_counts_per_split_add_up_to_the_split_sizes():
    ds = load_dataset("wine")
    info = summary(ds)
    assert info["classes"] == list(ds.spec.classes) and len(info["counts"]["train"]) == 3
    for split in ("train", "val", "test"):
        assert sum(info["counts"][split]) == info["sizes"][split]
    assert info["counts"]["train"] == np.bincount(ds.y_train, minlength=3).tolist()
    assert info["normalize"].startswith("per-feature")


def test_regression_targets_are_reported_in_their_units_and_samples_are_stable():
    ds = load_dataset("diabetes")
    info = summary(ds)
    y = ds.y_train * ds.y_std + ds.y_mean
    assert "counts" not in info and info["targets"]["max"] == float(y.max()) and info["targets"]["min"] > 0
    x1, y1 = samples(ds, 5, seed=3)
    x2, y2 = samples(ds, 5, seed=3)
    assert x1.shape == (5, 10) and np.array_equal(x1, x2) and np.array_equal(y1, y2)
