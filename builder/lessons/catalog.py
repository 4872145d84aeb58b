"""The lessons' checks: each trains or measures the learner's design with the lesson's settings and returns the
criteria it is judged by (the texts are in :mod:`.texts`). The thresholds are chosen so the reference solution
passes with a margin on every seed tried and the starting design fails (tests/lessons)."""

from __future__ import annotations

import math
from collections import Counter

from ..plan import plan
from ..templates import template_training
from ..train.metrics import per_class
from ..train.sweep import OPTIMIZER_COMPARISON
from . import Criterion, lesson, measure


def metric(result, split: str, name: str):
    """A run's figure, or a clear error when the run does not report it (a design of another kind of task)."""
    value = (result.metrics.get(split) or {}).get(name)
    if value is None:
        task = f" (it trained as {result.task})" if result.task else ""
        raise ValueError(
            f"the run reports no {split} {name}{task}: this lesson needs a design for its own data and task"
        )
    return value


# the templates' own settings (XOR with little jitter: the dataset's default noise, 0.1, moves ~8% of the points
# across an axis, so no model could reach 95% on it; at 0.02 the best possible is ~98%)
XOR = template_training("mlp_xor")


@lesson("xor", 1, ("perceptron_xor", "mlp_xor"), "mlp_xor",
        views=("Visualize → Decision boundary", "Visualize → Follow one sample"), settings=XOR)  # fmt: skip
def xor(design, run, extra):
    r = run(design, XOR)
    return [Criterion("test accuracy", metric(r, "test", "accuracy"), ">=", 0.95)]


# plain SGD with momentum: unlike Adam it does not rescale a small gradient, so a vanishing one shows
GRADIENTS = template_training("deep_residual_mlp")


@lesson("gradients", 2, ("deep_sigmoid_mlp", "deep_relu_mlp", "deep_residual_mlp"), "deep_residual_mlp",
        views=("Visualize → Weights & gradients", "Visualize → Dead units"), settings=GRADIENTS)  # fmt: skip
def gradients(design, run, extra):
    norms = measure.gradient_norms(design, GRADIENTS)
    if len(norms) < 2:
        raise ValueError("the design needs at least two layers with weights to compare their gradients")
    extra["gradients"] = norms
    (first, g0), (last, g1) = norms[0], norms[-1]
    r = run(design, GRADIENTS)
    return [
        Criterion(f"first layer's gradient ÷ last layer's ({first} ÷ {last})", g0 / max(g1, 1e-30), ">=", 0.1),
        Criterion("validation accuracy after 5 epochs", metric(r, "val", "accuracy"), ">=", 0.8),
    ]


LENET = template_training("lenet5_modern")


@lesson("lenet", 3, ("lenet5", "lenet5_modern"), "lenet5_modern",
        views=("Visualize → Feature maps", "Visualize → Follow one sample"), settings=LENET)  # fmt: skip
def lenet(design, run, extra):
    kinds = Counter(n.type for n in plan(design).flat.nodes)
    r = run(design, LENET)
    return [Criterion("convolution layers", kinds["Conv2d"], ">=", 2, digits=0),
            Criterion("max-pooling layers", kinds["MaxPool2d"], ">=", 2, digits=0),
            Criterion("tanh activations left", kinds["Tanh"], "<=", 0, digits=0),
            Criterion("test accuracy", metric(r, "test", "accuracy"), ">=", 0.97)]  # fmt: skip


OVERFIT = template_training("overfit_mlp")
# each regularizer as a training setting, tried on the overfitting MLP (input noise is the 2-D points' augmentation)
REGULARIZERS = {"L2 (weight_decay 0.01)": {"weight_decay": 0.01}, "L1 (l1 0.001)": {"l1": 1e-3},
                "label smoothing 0.2": {"label_smoothing": 0.2}, "input noise 0.3": {"input_noise": 0.3}}  # fmt: skip


@lesson("overfitting", 6, ("overfit_mlp", "overfit_mlp_dropout"), "overfit_mlp_dropout",
        views=("Visualize → Decision boundary", "Train → curves (train vs val loss)"), settings=OVERFIT)  # fmt: skip
def overfitting(design, run, extra):
    from ..templates import load_template

    def gap(d, settings):
        r = run(d, settings)  # judged as trained to the end (the last epoch), not at its best validation epoch
        return measure.generalization(plan(d), r.run_dir / "last.pt", settings)

    yours = gap(design, OVERFIT)
    start = load_template("overfit_mlp")
    base = gap(start, OVERFIT)["gap"]
    gaps = extra["gaps"] = {"the overfitting MLP": base, "your design": yours["gap"]}
    criteria = [Criterion("your design's gap: validation loss − training loss", yours["gap"], "<=", 1.0),
                Criterion("your design's validation accuracy", yours["val"]["accuracy"], ">=", 0.8)]  # fmt: skip
    for label, setting in REGULARIZERS.items():
        gaps[f"overfitting MLP + {label}"] = g = gap(start, {**OVERFIT, **setting})["gap"]
        criteria.append(Criterion(f"{label}: the overfitting MLP's gap ÷ without it", g / max(base, 1e-9), "<=", 0.5))
    return criteria


RARE = template_training("mlp_rare")


@lesson(
    "metrics",
    7,
    ("logistic_rare", "mlp_rare"),
    "mlp_rare",
    views=("Train → the run's confusion matrix",),
    settings=RARE,
)
def metrics(design, run, extra):
    r = run(design, RARE)
    table = extra["per_class"] = per_class(metric(r, "test", "confusion"), ("common", "rare"))
    return [Criterion("test accuracy", metric(r, "test", "accuracy"), ">=", 0.95),
            Criterion("recall on the rare class", table[1]["recall"], ">=", 0.8),
            Criterion("macro F1", metric(r, "test", "f1"), ">=", 0.8)]  # fmt: skip


DEEP_CNN = template_training("residual_cnn")
FAMILY = ("alexnet", "vgg16", "googlenet", "resnet18", "resnet50", "densenet121", "mobilenet_v2")


@lesson("cnn_family", 4, ("plain_cnn", "residual_cnn", *FAMILY), "residual_cnn",
        views=("Visualize → Weights & gradients",), settings=DEEP_CNN)  # fmt: skip
def cnn_family(design, run, extra):
    r = run(design, DEEP_CNN)
    return [Criterion("validation accuracy after 6 epochs of SGD", metric(r, "val", "accuracy"), ">=", 0.9)]


TEXT = template_training("textcnn")
PROBE_WORDS = ("great", "awful", "boring", "not", "very", "movie")


@lesson("embeddings", 8, ("embedding_bag", "textcnn", "transformer_classifier"), "textcnn",
        views=("Visualize → Embeddings",), settings=TEXT)  # fmt: skip
def embeddings(design, run, extra):
    from ..data import load_dataset

    p = plan(design)
    has = sum(n.type == "Embedding" for n in p.flat.nodes)
    r = run(design, TEXT)
    if has:
        vocab = list(load_dataset(TEXT["dataset"]).vocab)
        extra["neighbours"] = measure.word_neighbours(p, r.checkpoint, vocab, list(PROBE_WORDS))
    return [Criterion("Embedding layers", has, ">=", 1, digits=0),
            Criterion("test accuracy", metric(r, "test", "accuracy"), ">=", 0.9)]  # fmt: skip


REVERSE = template_training("attention_reverse")


@lesson("attention", 10, ("attention_nopos", "attention_reverse", "self_attention", "transformer_classifier"),
        "attention_reverse", views=("Visualize → Attention",), settings=REVERSE)  # fmt: skip
def attention(design, run, extra):
    r = run(design, REVERSE)
    seen = extra["attention"] = measure.mirror_attention(plan(design), r.checkpoint, REVERSE["dataset"])
    return [Criterion("test accuracy per token", metric(r, "test", "accuracy"), ">=", 0.95),
            Criterion(f"attention on the mirror position (best head: {seen['node']} #{seen['head']})", seen["share"],
                      ">=", 0.5)]  # fmt: skip


RACE = {"dataset": "digits", "epochs": 5, "batch_size": 64}
SURFACE_STEPS = 100


@lesson("optimizers", 5, ("digits_mlp",), "digits_mlp", views=("Train → Compare optimizers",), settings=RACE)
def optimizers(design, run, extra):
    losses = {}
    for label, rule in OPTIMIZER_COMPARISON.items():
        losses[label] = run(design, {**RACE, **rule}).metrics["val"]["loss"]
    extra["losses"] = losses
    extra["paths"] = {label: measure.optimizer_path("ravine", rule, SURFACE_STEPS)
                      for label, rule in surface_rules().items()}  # fmt: skip
    return [Criterion(f"{label}'s validation loss ÷ SGD's", losses[label] / losses["SGD"], "<=", 0.95)
            for label in ("Momentum", "Nesterov", "Adam")]  # fmt: skip


def surface_rules(sgd_lr: float | None = None) -> dict[str, dict]:
    """The six rules at learning rates suited to the 2-D surfaces (a network's usual rates are far too small
    for a function with gradients near 1)."""
    lr = {"SGD": 0.1, "Momentum": 0.1, "Nesterov": 0.1, "AdaGrad": 1.0, "RMSProp": 0.1, "Adam": 0.3}
    rules = {label: {**rule, "lr": lr[label]} for label, rule in OPTIMIZER_COMPARISON.items()}
    if sgd_lr is not None:
        rules["SGD"]["lr"] = sgd_lr
    return rules


ADDING = template_training("lstm_adding")


@lesson("recurrent", 9, ("rnn_adding", "lstm_adding"), "lstm_adding",
        views=("Visualize → Gates",), settings=ADDING)  # fmt: skip
def recurrent(design, run, extra):
    r = run(design, ADDING)
    return [Criterion("test R² (1 = exact sums, 0 = always the average)", metric(r, "test", "r2"), ">=", 0.9)]


AUTOENCODER = template_training("autoencoder_2d")


@lesson("autoencoders", 11, ("autoencoder", "autoencoder_2d", "denoising_autoencoder", "vae"), "autoencoder_2d",
        views=("Visualize → Reconstructions",), settings=AUTOENCODER)  # fmt: skip
def autoencoders(design, run, extra):
    p = plan(design)
    code = measure.bottleneck(p)
    task = design.metadata.get("task")  # a denoising AE or a VAE is trained as one
    r = run(design, {**AUTOENCODER, "task": task if task in ("denoising", "vae") else "autoencoder"})
    if code is not None and p.shape(code) is not None and math.prod(p.shape(code)) == 2:
        extra["codes"] = measure.codes(p, r.checkpoint, code, AUTOENCODER["dataset"])
    width = math.prod(p.shape(code)) if code is not None else 0
    return [Criterion(f"numbers in the code ({code})", width, "<=", 2, digits=0),
            Criterion("test reconstruction error (MSE; the mean image's is 0.047)", metric(r, "test", "mse"), "<=",
                      0.038, digits=4)]  # fmt: skip


RING = template_training("gan_2d")


@lesson("gans", 12, ("gan_2d_small", "gan_2d", "dcgan"), "gan_2d", views=("Visualize → GAN samples",), settings=RING)
def gans(design, run, extra):
    if not design.multi or set(design.networks) != {"generator", "discriminator"}:
        raise ValueError("the design must hold two networks, 'generator' and 'discriminator' (open a GAN template)")
    r = run(design, RING)
    modes = extra["modes"] = measure.gan_modes(plan(design), r.checkpoint, RING["dataset"])
    return [Criterion(f"modes covered (of {modes['modes']})", modes["covered"], ">=", 7, digits=0),
            Criterion("share of samples close to a mode", modes["close"], ">=", 0.3)]  # fmt: skip


SEGMENTATION = template_training("encoder_decoder")


@lesson("segmentation", 13, ("pixel_classifier", "encoder_decoder"), "encoder_decoder",
        views=("Visualize → Feature maps",), settings=SEGMENTATION)  # fmt: skip
def segmentation(design, run, extra):
    r = run(design, SEGMENTATION)
    extra["masks"] = measure.segment(plan(design), r.checkpoint, SEGMENTATION["dataset"])
    return [Criterion("test IoU of the shapes' pixels", metric(r, "test", "iou"), ">=", 0.8)]


RATINGS = template_training("matrix_factorization")


@lesson("recommendation", 14, ("item_popularity", "matrix_factorization"), "matrix_factorization",
        views=("Visualize → Embeddings",), settings=RATINGS)  # fmt: skip
def recommendation(design, run, extra):
    r = run(design, RATINGS)
    return [Criterion("test RMSE in stars (predicting the average: 1.02)", metric(r, "test", "rmse"), "<=", 0.6)]
