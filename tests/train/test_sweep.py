"""Sweeps: every variant checked before the first run starts, stopped as a whole, start errors kept."""

import time

import pytest

from builder.templates import load_template
from builder.train import TrainError
from builder.train.sweep import compare_optimizers
from builder.workspace import Workspace, optimizer_name


def test_an_optimizer_comparison_checks_every_variant_first_and_stops_as_a_whole(tmp_path):
    ws = Workspace(tmp_path)
    with pytest.raises(TrainError, match="batch_size"):
        compare_optimizers(ws, load_template("mlp_xor"), {"batch_size": 0}, "d")
    assert not ws.runs("d")  # nothing started
    seq = compare_optimizers(ws, load_template("mlp_xor"), {"epochs": 5000}, "d")
    while not seq.runs:
        time.sleep(0.05)
    seq.stop()
    seq.join(60)
    assert not seq.alive and len(seq.runs) == 1 and seq.runs[0].join(60)
    assert ws.run(seq.runs[0].run_id).status == "stopped"
    assert [optimizer_name(r.config) for r in ws.runs("d")] == ["SGD"]
    assert [optimizer_name({"optimizer": "sgd", "momentum": 0.9, "nesterov": n}) for n in (False, True)] == [
        "Momentum",
        "Nesterov",
    ]


def test_a_run_that_cannot_start_ends_the_sweep_and_says_why(tmp_path):
    ws = Workspace(tmp_path)
    started = []

    def start(design, settings, design_id=None, resume=None):
        if started:
            raise OSError(28, "No space left on device")
        started.append(Workspace.start(ws, design, {**settings, "epochs": 1}, design_id))
        return started[-1]

    ws.start = start
    seq = compare_optimizers(ws, load_template("mlp_xor"), {"epochs": 1}, "d")
    seq.join(120)
    assert not seq.alive and len(seq.runs) == 1
    assert isinstance(seq.error, OSError) and "No space left" in str(seq.error)
