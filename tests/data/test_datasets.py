"""Bundled datasets: shapes and dtypes as declared, seeded splits, train-only normalization, compatibility."""

import numpy as np
import pytest

from builder.data import DatasetError, check_compatibility, get_spec, list_datasets, load_dataset
from builder.data.images import sample_photos
from builder.data.text import VOCAB
from builder.templates import list_templates, load_template

SPECS = [s for s in list_datasets() if s.group not in ("Files", "Uploads")]  # those are tested with their files


def test_the_catalogue_covers_the_issue():
    names = {s.name for s in SPECS}
    assert {"xor", "circle", "gaussians", "spiral", "moons", "iris", "wine", "breast_cancer", "diabetes", "digits",
            "digits28", "shapes", "shapes_rgb", "sine", "sunspots", "co2", "adding", "seq_classes", "reverse",
            "sentiment"} <= names  # fmt: skip
    for s in SPECS:
        assert s.description and s.title and s.group


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_dataset_matches_its_spec(spec):
    d = load_dataset(spec.name)
    for split in ("train", "val", "test"):
        x, y = d.split(split)
        assert x.shape[1:] == spec.input_shape and len(x) == len(y) > 0
        assert x.dtype == (np.float32 if spec.dtype == "float32" else np.int64)
        assert np.isfinite(x).all() if spec.dtype == "float32" else (x >= 0).all()
    n = sum(d.sizes.values())
    assert d.sizes["train"] == int(n * 0.7)
    if spec.task == "classification":
        assert d.y_train.dtype == np.int64 and set(np.unique(d.y_train)) <= set(range(len(spec.classes)))
        assert len(np.unique(d.y_train)) == len(spec.classes)  # every class present in training
    if spec.task in ("regression", "forecasting"):
        assert d.y_train.shape[1:] == (len(spec.targets),) and abs(float(d.y_train.mean())) < 1e-3
    if spec.normalize == "standard":
        flat = d.x_train.reshape(-1, d.x_train.shape[-1])
        np.testing.assert_allclose(flat.mean(0), 0, atol=1e-4)
        np.testing.assert_allclose(flat.std(0), 1, atol=1e-2)
    if spec.vocab_size:
        assert d.x_train.max() < spec.vocab_size


def test_splits_are_seeded_and_the_future_stays_in_test():
    a, b, c = load_dataset("moons", seed=1), load_dataset("moons", seed=1), load_dataset("moons", seed=2)
    assert np.array_equal(a.x_train, b.x_train) and not np.array_equal(a.x_train, c.x_train)
    sun = load_dataset("sunspots")
    raw_last_train = sun.y_train[-1, 0] * sun.y_std + sun.y_mean
    raw_first_test_input = sun.x_test[0, -1, 0] * sun.std[0] + sun.mean[0]
    assert sun.x_test.shape[0] > 0 and np.isfinite(raw_last_train) and np.isfinite(raw_first_test_input)
    # chronological: the first test window starts after the last training window
    assert np.array_equal(load_dataset("sunspots", seed=5).x_test, sun.x_test)


def test_options_and_unknown_names():
    noisy = load_dataset("spiral", noise=0.5)
    assert not np.array_equal(noisy.x_train, load_dataset("spiral").x_train)
    with pytest.raises(DatasetError, match="unknown dataset 'mnist2'; available: "):
        load_dataset("mnist2")
    with pytest.raises(DatasetError, match="has no option 'noize'"):
        load_dataset("xor", noize=0.2)


def test_reverse_task_targets_are_the_mirrored_tokens():
    d = load_dataset("reverse")
    assert np.array_equal(d.y_train, d.x_train[:, ::-1])
    assert np.array_equal(load_dataset("reverse", mode="copy").y_train, load_dataset("reverse", mode="copy").x_train)


def test_sentiment_sentences_are_readable_and_balanced():
    d = load_dataset("sentiment")
    words = [VOCAB[i] for i in d.x_train[0] if i]
    assert "the" in words and "was" in words
    assert 0.4 < d.y_train.mean() < 0.6


def test_sample_photos():
    photos = sample_photos(size=64)
    assert set(photos) == {"china", "flower"} and photos["china"].shape[0] == 3 and min(photos["china"].shape[1:]) == 64
    assert 0 <= photos["flower"].min() and photos["flower"].max() <= 1


def test_every_template_fits_the_dataset_its_metadata_names():
    checked = 0
    for t in list_templates():
        d = t.load()
        name, task = d.metadata.get("dataset"), d.metadata.get("task")
        if name is None or task == "segmentation" or (task == "gan" and not d.networks):  # halves of the dcgan file
            continue
        task = {"denoising": "autoencoder"}.get(task, task)
        errors = [i for i in check_compatibility(d, get_spec(name), task) if i.severity == "error"]
        assert errors == [], t.name
        checked += 1
    assert checked >= 18


def test_compatibility_messages_say_how_to_fix():
    issues = check_compatibility(load_template("lenet5"), get_spec("iris"))
    msgs = [i.message for i in issues]
    assert "Input 'x' is (N, 1, 28, 28) but iris gives (N, 4) samples: set its shape to [4]." in msgs
    assert "Output 'logits' gives (N, 10) but iris has 3 classes: set the out_features of Linear 'fc3' to 3." in msgs
    small = load_template("textcnn")
    small.node("embed").params["num_embeddings"] = 20
    assert "set num_embeddings to at least" in check_compatibility(small, get_spec("sentiment"))[0].message
    assert "dtype float32" in check_compatibility(load_template("lstm_classifier"), get_spec("reverse"))[1].message
