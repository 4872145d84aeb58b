"""The training engine: learning, determinism, stop/pause/resume, checkpoints, faults, TensorBoard, config."""

import time
from unittest import mock

import pytest
import torch

from builder.templates import load_template
from builder.train import Run, RunLog, TrainError, devices, resolve_device, train
from tests.util import count_checks


def quick(name, workspace, **overrides):
    return train(load_template(name), {"epochs": 2, **overrides}, workspace=workspace)


def test_digits_mlp_learns_and_reports_every_metric(tmp_path):
    r = quick("digits_mlp", tmp_path, epochs=8, lr=3e-3)
    assert r.status == "finished", r.message
    test = r.metrics["test"]
    assert test["accuracy"] > 0.93 and {"precision", "recall", "f1", "confusion"} <= set(test)
    assert sum(map(sum, test["confusion"])) == 270 and r.metrics["train"]["accuracy"] > 0.9
    assert r.checkpoint.exists() and (r.run_dir / "last.pt").exists() and (r.run_dir / "events.jsonl").exists()


def test_same_seed_on_cpu_gives_identical_metrics(tmp_path):
    a = quick("digits_cnn", tmp_path / "a", seed=3, augment_flip=True, augment_crop=1, input_noise=0.05)
    b = quick("digits_cnn", tmp_path / "b", seed=3, augment_flip=True, augment_crop=1, input_noise=0.05)
    c = quick("digits_cnn", tmp_path / "c", seed=4)
    assert a.metrics == b.metrics and a.metrics != c.metrics


@pytest.mark.parametrize("name,metric", [("lstm_forecaster", "rmse"), ("autoencoder", "mse"), ("vae", "mse"),
                                         ("denoising_autoencoder", "mse"), ("textcnn", "f1"), ("mlp_xor", "accuracy")])  # fmt: skip
def test_every_task_trains(name, metric, tmp_path):
    r = quick(name, tmp_path, epochs=1)
    assert r.status == "finished", r.message
    assert metric in r.metrics["test"] and r.metrics["val"]["loss"] < 1e6


def test_regression_metrics_are_in_the_targets_units(tmp_path):
    r = quick("digits_mlp", tmp_path)  # warm
    design = load_template("mlp_xor")
    design.nodes[0].params["shape"] = [10]
    r = train(design, {"dataset": "diabetes", "task": "regression", "epochs": 30, "lr": 0.01}, workspace=tmp_path)
    assert r.status == "finished", r.message
    assert 30 < r.metrics["test"]["mae"] < 100  # disease progression units (target std is ~77)


def test_optimizers_and_schedules(tmp_path):
    for opt, extra in [("sgd", {"momentum": 0.9, "nesterov": True}), ("adagrad", {}), ("rmsprop", {}), ("adamw", {})]:
        for schedule in ("step", "cosine", "onecycle", "plateau"):
            r = quick("mlp_xor", tmp_path, optimizer=opt, schedule=schedule, lr=0.05, grad_clip=1.0, l1=1e-4,
                      weight_decay=1e-4, label_smoothing=0.1, **extra)  # fmt: skip
            assert r.status == "finished", (opt, schedule, r.message)


def test_stop_within_one_batch_and_pause_resume(tmp_path):
    run = Run(load_template("lenet5"), {"epochs": 50, "batch_size": 16, "log_every": 1}, workspace=tmp_path).start()
    deadline = time.time() + 60
    while not run.log.last("step") and time.time() < deadline:
        time.sleep(0.01)
    run.pause()
    time.sleep(0.3)
    steps = len([e for e in run.log.since() if e.kind == "step"])
    time.sleep(0.3)
    assert len([e for e in run.log.since() if e.kind == "step"]) <= steps + 1  # paused: at most the batch in flight
    run.resume()
    time.sleep(0.2)
    t = time.time()
    run.stop()
    result = run.join(30)
    assert time.time() - t < 5 and result.status == "stopped" and "stopped by the user" in result.message
    kinds = [e.kind for e in run.log.since()]
    assert kinds[0] == "started" and "paused" in kinds and "resumed" in kinds and kinds[-1] == "stopped"
    assert [e.kind for e in RunLog.read(run.run_dir / "events.jsonl")] == ["queued", *kinds]  # (queued: on disk)


def test_resume_continues_the_same_run_exactly(tmp_path):
    whole = quick("digits_mlp", tmp_path / "whole", epochs=4)
    first = quick("digits_mlp", tmp_path / "part", epochs=2)
    resumed = train(None, {"epochs": 4}, workspace=tmp_path / "part", resume=first.run_dir / "last.pt")
    assert resumed.run_id == first.run_id and resumed.epochs == 4
    assert resumed.metrics["test"] == whole.metrics["test"]
    epochs = [e.data["epoch"] for e in RunLog.read(first.run_dir / "events.jsonl") if e.kind == "epoch"]
    assert epochs == [1, 2, 3, 4]


def test_divergence_stops_naming_the_step_and_keeps_the_last_good_checkpoint(tmp_path):
    from builder.train import recipe

    original, calls = recipe.make_loss, {"n": 0}

    def exploding(c):  # fine for epoch 1 (20 steps + validation), then the loss blows up
        loss = original(c)

        def wrapped(out, target):
            calls["n"] += 1
            value = loss(out, target)
            return value * 1e9 if calls["n"] > 30 else value

        return wrapped

    with mock.patch.object(recipe, "make_loss", exploding):
        r = quick("digits_mlp", tmp_path, epochs=3, log_every=1)
    assert r.status == "failed" and "at step 30 (epoch 2)" in r.message and "Lower the learning rate" in r.message
    assert f"The last good checkpoint is {r.run_dir / 'last.pt'}" in r.message
    assert torch.load(r.run_dir / "last.pt", weights_only=True)["epoch"] == 1
    r = quick("digits_mlp", tmp_path, lr=1000.0)  # cross-entropy explodes rather than going NaN
    assert r.status == "failed" and "exploded" in r.message and "at step" in r.message


def test_resume_may_only_extend_the_run(tmp_path):
    first = quick("mlp_xor", tmp_path, epochs=1)
    with pytest.raises(TrainError, match="a resumed run keeps its settings"):
        train(None, {"epochs": 3, "lr": 0.5}, workspace=tmp_path, resume=first.run_dir / "last.pt")


def test_an_exception_in_the_worker_names_the_node(tmp_path):
    with mock.patch.object(torch.nn.Linear, "forward", side_effect=RuntimeError("boom")):
        r = quick("digits_mlp", tmp_path)
    assert r.status == "failed" and "in node 'fc1'" in r.message and "boom" in r.message
    failed = [e for e in RunLog.read(r.run_dir / "events.jsonl") if e.kind == "failed"][0]
    assert failed.data["node"] == "fc1"


def test_bad_settings_and_misfits_are_refused_before_starting(tmp_path):
    with pytest.raises(TrainError) as e:
        quick("lenet5", tmp_path, optimizer="adamm", epochs=0, speed=3)
    params = {i.param for i in e.value.issues}
    assert params == {"optimizer", "epochs", "speed"}
    with pytest.raises(TrainError, match="does not fit iris"):
        quick("lenet5", tmp_path, dataset="iris")
    with pytest.raises(TrainError, match="nesterov needs optimizer 'sgd' with momentum > 0"):
        quick("lenet5", tmp_path, nesterov=True)
    with pytest.raises(TrainError, match="not available on this machine"):
        quick("lenet5", tmp_path, device="cuda:3")


def test_devices_lists_the_cpu():
    ids = [d["id"] for d in devices()]
    assert ids[0] == "cpu" and resolve_device("auto").type in ("cpu", "cuda", "mps")


def test_tensorboard_scalars_can_be_read_back(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    r = quick("digits_mlp", tmp_path, epochs=3)
    acc = EventAccumulator(str(r.run_dir), size_guidance={"histograms": 0})
    acc.Reload()
    tags = acc.Tags()
    val_loss = [s.value for s in acc.Scalars("val/loss")]
    assert len(val_loss) == 3 and abs(val_loss[-1] - r.metrics["val"]["loss"]) < 1e-5
    assert {"train/loss", "val/accuracy", "lr", "train/loss_step"} <= set(tags["scalars"])
    assert any(t.startswith("weights/fc1") for t in tags["histograms"]) and any(
        t.startswith("grads/") for t in tags["histograms"]
    )


def test_gan_on_the_ring_learns_to_cover_its_modes(tmp_path):
    from builder import build_model

    design = load_template("gan_2d")
    r = train(design, {"epochs": 30}, workspace=tmp_path)
    assert r.status == "finished", r.message
    assert {"d_loss", "g_loss", "d_real", "d_fake"} <= set(r.metrics["train"])
    state = torch.load(r.checkpoint, weights_only=True)["model"]
    gen = build_model(design.networks["generator"])
    gen.load_state_dict(state["generator"])
    with torch.no_grad():
        points = gen.eval()(torch.randn(2000, 2, generator=torch.Generator().manual_seed(0)))
    from builder.data import load_dataset

    d = load_dataset("ring")
    modes = torch.tensor([[d.x_train[d.y_train == k].mean(0)] for k in range(8)]).squeeze(1)
    nearest = torch.cdist(points, modes).min(1)
    covered = nearest.indices[nearest.values < 0.5].unique()
    assert len(covered) >= 6 and float((nearest.values < 0.5).float().mean()) > 0.7


def test_dcgan_trains_from_one_file(tmp_path):
    r = train(load_template("dcgan"), {"epochs": 1}, workspace=tmp_path)
    assert r.status == "finished", r.message
    assert 0 < r.metrics["train"]["d_real"] < 1 and (tmp_path / "runs" / r.run_id / "last.pt").exists()


def test_gan_files_need_both_networks(tmp_path):
    design = load_template("gan_2d")
    del design.networks["discriminator"]
    with pytest.raises(TrainError, match="missing: discriminator"):
        train(design, {"epochs": 1}, workspace=tmp_path)


def test_early_stopping_and_the_model_graph(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    r = quick("digits_mlp", tmp_path, epochs=10, optimizer="sgd", lr=1e-12, early_stopping=2)
    kinds = [e.kind for e in RunLog.read(r.run_dir / "events.jsonl")]
    assert r.status == "finished" and "early_stop" in kinds and kinds.count("epoch") == 3
    acc = EventAccumulator(str(r.run_dir))
    acc.Reload()
    assert acc.Graph() is not None


# -- hardening: forged checkpoints, a full disk -------------------------------------------------------------------
@pytest.mark.parametrize("run_id", ["../../../../tmp/escape", "/tmp/escape", "a/b", "", 7])
def test_a_checkpoint_whose_run_id_is_a_path_is_refused(tmp_path, run_id):
    first = quick("digits_mlp", tmp_path, epochs=1)
    state = torch.load(first.run_dir / "last.pt", weights_only=True)
    state["run_id"] = run_id
    forged = tmp_path / "forged.pt"
    torch.save(state, forged)
    before = sorted(p.name for p in (tmp_path / "runs").iterdir())
    with pytest.raises(TrainError, match="is not a run id"):
        train(None, {"epochs": 2}, workspace=tmp_path, resume=forged)
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == before and not (tmp_path / "tmp").exists()


def test_a_full_disk_ends_the_run_with_a_clear_message_and_whole_files(tmp_path):
    """Simulated: every write of the run's events fails with ENOSPC after the first epoch."""
    import errno
    import json

    original = RunLog._write

    class Full:  # the run's events file on a disk that fills up: part of a line lands, then ENOSPC
        def __init__(self, f):
            self.f = f

        def write(self, data):
            self.f.write(data[:17])
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name):
            return getattr(self.f, name)

    def failing(self, line):
        if b'"kind": "epoch"' in line:
            self._file = Full(self._file)
        return original(self, line)

    with mock.patch.object(RunLog, "_write", failing):
        r = quick("digits_mlp", tmp_path, epochs=2)
    assert r.status == "failed" and "no space left on the device holding the workspace" in r.message
    lines = (r.run_dir / "events.jsonl").read_text().splitlines()
    assert all(json.loads(line) for line in lines)  # cut back to the last whole line
    assert not [p for p in r.run_dir.iterdir() if p.name.endswith(".tmp")]


def test_paused_time_is_left_out_of_the_elapsed_time_and_the_eta(tmp_path):
    import threading

    from builder.train.engine import Control

    control = Control()
    t0 = time.perf_counter()
    control.running.clear()
    threading.Timer(0.5, control.running.set).start()
    control.wait_if_paused()
    assert 0.45 <= control.paused_seconds < 1.5 and control.active_since(t0) < 0.2
    run = Run(load_template("lenet5"), {"epochs": 50, "batch_size": 16, "log_every": 1}, workspace=tmp_path).start()
    deadline = time.time() + 60
    while len([e for e in run.log.since() if e.kind == "step"]) < 5 and time.time() < deadline:
        time.sleep(0.01)
    before = run.log.last("step").data["eta"]
    run.pause()
    time.sleep(2.0)
    run.resume()
    seen = len(run.log.since())
    while not [e for e in run.log.since(seen) if e.kind == "step"] and time.time() < deadline:
        time.sleep(0.01)
    after = next(e for e in run.log.since(seen) if e.kind == "step").data["eta"]
    run.stop()
    run.join(30)
    assert run.control.paused_seconds >= 1.9
    # counting the 2 s pause as training time would add 2 s × (steps left / steps done) ≈ 1,300 s to the ETA here
    assert after < 2 * before + 10


@pytest.mark.parametrize("schedule", ["none", "step", "cosine", "onecycle"])
def test_the_schedule_drawn_before_a_run_is_the_one_the_run_follows(tmp_path, schedule):
    from builder.train.config import resolve_config
    from builder.train.engine import lr_schedule

    design = load_template("mlp_xor")
    settings = {"epochs": 5, "schedule": schedule, "step_size": 2, "gamma": 0.5, "lr": 0.1, "batch_size": 1000}
    cfg, issues = resolve_config(design, settings)
    assert not issues
    drawn = lr_schedule(cfg)
    result = train(design, settings, workspace=tmp_path)
    assert result.status == "finished", result.message
    from builder.train.events import RunLog

    steps = [e.data for e in RunLog.read(tmp_path / "runs" / result.run_id / "events.jsonl") if e.kind == "step"]
    first_lr = {}
    for s in steps:
        first_lr.setdefault(s["epoch"], s["lr"])
    if schedule == "onecycle":  # per batch in a run, per epoch in the drawing: the same curve, sampled differently
        assert drawn[0] < max(drawn) and drawn[-1] < drawn[0] and max(drawn) == pytest.approx(0.1, rel=0.05)
    else:
        assert drawn == pytest.approx([first_lr[e] for e in sorted(first_lr)], rel=1e-6)
    if schedule == "step":
        assert drawn == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])


def test_a_plateau_schedule_cannot_be_drawn_ahead():
    from builder.train.config import resolve_config
    from builder.train.engine import lr_schedule

    cfg, _ = resolve_config(load_template("mlp_xor"), {"schedule": "plateau"})
    assert lr_schedule(cfg) is None


def test_one_run_checks_the_design_once_and_builds_from_one_source(tmp_path):
    """The bug: one training start validated the design 4 times (and re-derived the rest each time)."""
    with count_checks() as calls:
        r = quick("lenet5", tmp_path, dataset="digits28", epochs=1, probe_every=1)
    assert r.status == "finished", r.message
    assert calls == {"validate": 1, "generate": 1}


def test_a_designs_dataset_options_stay_with_its_dataset(tmp_path):
    """The XOR templates carry noise 0.02 for XOR: trained on another dataset, those options are not passed to it
    (diabetes has no noise option), while XOR keeps them and an override's own options still apply."""
    from builder.train.config import resolve_config

    design = load_template("mlp_xor")
    assert resolve_config(design)[0].dataset_options == {"noise": 0.02}
    assert resolve_config(design, {"dataset": "diabetes"})[0].dataset_options == {}
    assert resolve_config(design, {"dataset": "circle", "dataset_options": {"noise": 0.3}})[0].dataset_options == {
        "noise": 0.3
    }
