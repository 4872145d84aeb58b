"""The task registry: outputs found by their role in the graph, losses resolved from the design, every fit
problem with its fix — and the engine, the probes and the export reading all of it from one place."""

import pytest

from builder.data import check_compatibility, get_spec
from builder.plan import plan
from builder.tasks import TASKS, TaskMismatch, get_task
from builder.templates import load_template
from builder.train import train


def renamed(design, old: str, new: str):
    """The design with node ``old`` called ``new`` (edges follow)."""
    design.node(old).id = new
    for e in design.edges:
        e.source = new if e.source == old else e.source
        e.target = new if e.target == old else e.target
    return design


def test_every_task_is_registered_once_and_unknown_names_list_the_known():
    assert set(TASKS) == {
        "classification",
        "sequence_labeling",
        "segmentation",
        "regression",
        "forecasting",
        "autoencoder",
        "denoising",
        "vae",
        "gan",
    }
    with pytest.raises(KeyError, match="known: classification"):
        get_task("detection")


def test_a_vae_is_found_by_its_graph_not_by_its_output_names(tmp_path):
    """The bug: renaming the VAE's output 'recon' made Train refuse it ("Output 'logvar' gives (N, 16) but a
    reconstruction … must be …"): the reconstruction was found by the substring 'recon'."""
    design = renamed(load_template("vae"), "recon", "x_hat")
    p = plan(design)
    roles = get_task("vae").outputs(p)
    assert p.outputs[roles["reconstruction"]] == "x_hat"
    assert {p.outputs[roles["mu"]], p.outputs[roles["logvar"]]} == {"mu", "logvar"}
    assert check_compatibility(design, get_spec("digits28"), "vae") == []
    r = train(design, {"epochs": 1, "probe_every": 1}, workspace=tmp_path)
    assert r.status == "finished", r.message
    from builder.probes.snapshot import to_arrays
    from builder.train.checkpoints import read

    shown = to_arrays(read(r.run_dir / "probes.pt"))["reconstructions"]
    assert shown["output"].shape[1:] == (1, 28, 28)  # the probe shows the reconstruction, not mu or logvar


def test_a_vae_without_its_three_outputs_says_what_to_add():
    design = load_template("vae")
    design.nodes = [n for n in design.nodes if n.id != "logvar"]
    design.edges = [e for e in design.edges if e.target != "logvar"]
    with pytest.raises(TaskMismatch, match="needs three Outputs"):
        get_task("vae").outputs(plan(design))
    issues = check_compatibility(design, get_spec("digits28"), "vae")
    assert issues and "Add Output nodes" in issues[-1].message


@pytest.mark.parametrize(
    ("name", "loss"),
    [
        ("mlp_xor", "bce_with_logits"),
        ("digits_mlp", "cross_entropy"),
        ("lstm_forecaster", "mse"),
        ("vae", "vae"),
        ("autoencoder", "mse"),
    ],
)
def test_auto_loss_is_the_tasks_usual_one_for_the_design(name, loss):
    from builder.train.config import resolve_config

    design = load_template(name)
    cfg, _ = resolve_config(design)
    assert get_task(cfg.task).loss(plan(design), cfg) == loss


def test_a_log_softmax_head_trains_with_nll():
    from builder.design import Node
    from builder.train.config import resolve_config

    design = load_template("digits_mlp")
    out = design.node(design.output_ids[0])
    head = next(e for e in design.edges if e.target == out.id)
    design.nodes.append(Node("logp", "LogSoftmax", {"dim": -1}))
    design.edges.append(type(head)("logp", out.id))
    head.target = "logp"
    cfg, _ = resolve_config(design)
    assert plan(design).valid and get_task("classification").loss(plan(design), cfg) == "nll"


def test_a_task_on_a_dataset_of_another_kind_names_both_and_the_fix():
    issues = check_compatibility(load_template("digits_mlp"), get_spec("sine"), "classification")
    assert len(issues) == 1 and "sine is a forecasting dataset" in issues[0].message
    assert "set training.task to forecasting" in issues[0].message


def test_the_gan_checks_both_networks():
    design = load_template("gan_2d")
    assert check_compatibility(design, get_spec("ring"), "gan") == []
    assert (
        "missing: generator, discriminator"
        in check_compatibility(load_template("mlp_xor"), get_spec("ring"), "gan")[0].message
    )
    issues = check_compatibility(design, get_spec("moons"), "gan")
    assert issues == [] or all("samples are" in i.message for i in issues)


def test_segmentation_needs_a_score_map_at_the_inputs_size_and_reports_iou():
    import torch

    from builder.data import get_spec, load_dataset
    from builder.plan import plan

    task, spec = get_task("segmentation"), get_spec("shape_masks")
    assert not [i for i in task.fits(plan(load_template("encoder_decoder")), spec) if i.severity == "error"]
    flat = load_template("cnn28")  # a classifier: one score per image, not per pixel
    issues = task.fits(plan(flat), spec)
    assert any("needs a score map per class at the input's size, (N, 2, 28, 28)" in i.message for i in issues)
    data = load_dataset("shape_masks")
    y = torch.from_numpy(data.y_test[:4])
    perfect = task.metrics((y[:, None].float() * 2 - 1) * 5, y, 0.0, data)  # logits that agree with the masks
    assert perfect["iou"] == 1.0 and perfect["pixel_accuracy"] == 1.0
    nothing = task.metrics(torch.full((4, 1, 28, 28), -5.0), y, 0.0, data)  # "background" everywhere
    assert nothing["iou"] == 0.0 and 0.5 < nothing["pixel_accuracy"] < 1.0  # accuracy flatters it, IoU does not
