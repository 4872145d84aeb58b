"""Memory budgets from the shape pass: refused before anything is built or trained, with the figures."""

import pytest

from builder import budget, validate
from builder.templates import load_template
from tests.test_validate import chain


def test_estimate_counts_weights_and_activations():
    r = validate(load_template("lenet5"))
    e = budget.estimate(r)
    assert e.weights == 61_706 * 4 and e.activations == r.activation_bytes > 0
    assert e.training(64, "adam") == e.weights * 4 + e.activations * 64 * 2
    assert e.training(64, "sgd") == e.weights * 3 + e.activations * 64 * 2


def test_training_that_does_not_fit_is_refused_naming_the_biggest_node():
    r = validate(chain(("Upsample", {"scale_factor": 20.0}), ("Conv2d", {"out_channels": 8, "padding": 1})))
    assert r.valid  # (N, 8, 560, 560): 10 MB per sample
    with pytest.raises(budget.MemoryBudgetError) as e:
        budget.check_training(r, 64, "adam", free=200 * 2**20)
    text = str(e.value)
    assert "training this design at batch size 64 needs about" in text and "only 200.0 MB is available" in text
    assert "The largest activation is Conv2d 'n2': (N, 8, 560, 560), 9.6 MB per sample" in text
    assert "Lower the batch size to 9 or less" in text
    budget.check_training(r, 4, "adam", free=200 * 2**20)  # a smaller batch fits


def test_building_weights_that_do_not_fit_is_refused():
    r = validate(chain("Flatten", ("Linear", {"out_features": 4096})))
    with pytest.raises(budget.MemoryBudgetError, match=r"3,215,360 parameters need 12.3 MB, but only 1.0 MB"):
        budget.check_build(r, free=2**20)


def test_the_engine_refuses_a_run_before_it_starts(monkeypatch):
    from builder.train import TrainError, train

    monkeypatch.setattr(budget, "available", lambda device="cpu": 2**20)
    with pytest.raises(TrainError, match="needs about .* but only 1.0 MB is available on cpu"):
        train(load_template("lenet5"), {"epochs": 1})


def test_build_model_refuses_what_the_machine_cannot_hold(monkeypatch):
    from builder import build_model

    monkeypatch.setattr(budget, "available", lambda device="cpu": 2**10)
    with pytest.raises(budget.MemoryBudgetError, match="61,706 parameters need"):
        build_model(load_template("lenet5"))


def test_evaluation_batches_shrink_for_large_activations():
    r = validate(chain(("Upsample", {"scale_factor": 20.0}), ("Conv2d", {"out_channels": 8, "padding": 1})))
    assert budget.eval_batch(r, free=2**40) == 1024
    assert 1 <= budget.eval_batch(r, free=400 * 2**20) < 20


def test_available_memory_is_a_positive_number():
    assert budget.available("cpu") > 2**20
