"""The training configuration: the design's ``training`` section, checked with the same parameter schemas
as layers (so forms are built from it, and a bad value gets a message that says what was expected)."""

from __future__ import annotations

from ..design import Design
from ..params import Bool, Choice, Float, Int, Param, ParamError
from ..registry import Params
from ..validate import ERROR, Issue

TASKS = ("auto", "classification", "regression", "forecasting", "sequence_labeling", "segmentation", "autoencoder",
         "denoising", "vae", "gan")  # fmt: skip
LOSSES = ("auto", "cross_entropy", "bce_with_logits", "nll", "mse", "l1", "huber")
OPTIMIZERS = ("sgd", "adagrad", "rmsprop", "adam", "adamw")
SCHEDULES = ("none", "step", "cosine", "onecycle", "plateau")

SCHEMA: dict[str, Param] = {
    "dataset": Choice("digits", ("digits",), "bundled dataset to train on"),  # choices filled in lazily
    "task": Choice("auto", TASKS, "what to learn; auto: the dataset's task (or the template's)"),
    "loss": Choice("auto", LOSSES, "loss function; auto picks the usual one for the task"),
    "optimizer": Choice("adam", OPTIMIZERS, "update rule: SGD (with momentum/Nesterov), AdaGrad, RMSProp, Adam, AdamW"),
    "lr": Float(1e-3, "learning rate", positive=True, max=1e4),
    "momentum": Float(0.0, "SGD/RMSProp momentum (0.9 is classic Momentum)", min=0, max=0.999),
    "nesterov": Bool(False, "Nesterov momentum (SGD, needs momentum > 0)"),
    "betas": None,  # set below: a float pair
    "weight_decay": Float(0.0, "L2 penalty (decoupled for AdamW)", min=0, max=1),
    "l1": Float(0.0, "L1 penalty on the weights, added to the loss", min=0, max=1),
    "label_smoothing": Float(0.0, "spread this much target probability over all classes", min=0, max=0.5),
    "grad_clip": Float(0.0, "clip the gradient norm to this (0: off)", min=0),
    "schedule": Choice("none", SCHEDULES, "learning-rate schedule"),
    "step_size": Int(10, "step schedule: epochs between decays", min=1),
    "gamma": Float(0.1, "step schedule: decay factor; plateau: reduction factor", positive=True, max=1),
    "plateau_patience": Int(3, "plateau schedule: epochs without improvement before reducing", min=0),
    "pretrained_lr": Float(
        1.0,
        "fine-tuning: the learning rate of the layers that start from the design's own "
        "weights, as a fraction of lr (0.1 is usual; new layers train at lr)",
        min=0,
        max=1,
    ),
    "batch_size": Int(64, "samples per step", min=1, max=65536),
    "epochs": Int(10, "passes over the training set", min=1, max=100_000),
    "augment_flip": Bool(False, "images: random horizontal flips"),
    "augment_crop": Int(0, "images: random crops after padding by this many pixels (0: off)", min=0, max=16),
    "input_noise": Float(0.0, "Gaussian noise std added to inputs while training (denoising: default 0.3)", min=0),
    "early_stopping": Int(0, "stop after this many epochs without a better validation loss (0: off)", min=0),
    "seed": Int(0, "random seed: same seed on the CPU, same run", min=0, max=2**31 - 1),
    "device": Choice("auto", ("auto",), "auto, cpu, cuda:N or mps"),  # checked against builder.devices()
    "amp": Bool(False, "mixed precision on CUDA (bf16 where supported, else fp16)"),
    "processes": Int(
        1,
        "data-parallel processes (DDP): each trains on its share of every epoch, gradients averaged; "
        "on CUDA one GPU each (cuda:0, cuda:1, …); a batch is per process",
        min=1,
        max=64,
    ),  # fmt: skip
    "log_every": Int(10, "steps between step events (and the divergence check)", min=1),
    "probe_every": Int(50, "steps between snapshots of the model's insides (feature maps, gates…; 0: off)", min=0),
    "histogram_every": Int(
        0, "epochs between weight/gradient histograms in TensorBoard (0: auto, at most 2% of the time; -1: off)", min=-1
    ),
}


class _FloatPair(Param):
    kind = "float[2]"

    def check(self, v):
        if not (isinstance(v, (list, tuple)) and len(v) == 2 and all(isinstance(x, (int, float)) for x in v)):
            raise ParamError(f"must be a list of two numbers, received {v!r}")
        if not all(0 <= x < 1 for x in v):
            raise ParamError(f"must be two numbers in [0, 1), received {list(v)!r}")
        return tuple(float(x) for x in v)


SCHEMA["betas"] = _FloatPair((0.9, 0.999), "Adam's beta1 (momentum) and beta2 (squared-gradient average)")
for _name, _p in SCHEMA.items():
    _p.name = _name


def resolve_config(design: Design, overrides: dict | None = None) -> tuple[Params, list[Issue]]:
    """Checked config from the design's training section plus overrides; defaults filled in. Issues name the
    key (as ``param``) with what was expected."""
    from ..data import list_datasets
    from .devices import device_ids

    raw = {**(design.training or {}), **(overrides or {})}
    raw.pop("dataset_options", None)
    if "dataset" not in raw and design.metadata.get("dataset"):
        raw["dataset"] = design.metadata["dataset"]
    SCHEMA["dataset"].choices = tuple(s.name for s in list_datasets())
    SCHEMA["device"].choices = ("auto", *device_ids())
    cfg, issues = Params(), []
    for name, schema in SCHEMA.items():
        try:
            cfg[name] = schema.check(raw.get(name, schema.default))
        except ParamError as e:
            msg = f"training.{name} {e}. {schema.help[:1].upper()}{schema.help[1:]}."
            if name == "device":
                msg = (f"training.device {raw[name]!r} is not available on this machine; available: "
                       f"{', '.join(schema.choices)}.")  # fmt: skip
            issues.append(Issue(None, name, ERROR, msg))
            cfg[name] = schema.default
    for name in raw:
        if name not in SCHEMA:
            issues.append(Issue(None, name, ERROR, f"training.{name} is not a training setting; known: "
                                                   f"{', '.join(SCHEMA)}."))  # fmt: skip
    if cfg.nesterov and (cfg.optimizer != "sgd" or cfg.momentum <= 0):
        issues.append(Issue(None, "nesterov", ERROR, "training.nesterov needs optimizer 'sgd' with momentum > 0 "
                                                     "(0.9 is usual). Set momentum, or turn Nesterov off."))  # fmt: skip
    if cfg.processes > 1 and cfg.task == "gan":
        issues.append(Issue(None, "processes", ERROR, "training.processes > 1 (DDP) is not supported for a GAN yet: "
                                                      "set processes to 1."))  # fmt: skip
    # the design's dataset options are for the design's dataset: training it on another drops them (XOR's noise
    # means nothing to diabetes), the overrides' own options stay
    own = (design.training or {}).get("dataset") or design.metadata.get("dataset")
    kept = cfg.dataset == own or own is None
    cfg["dataset_options"] = dict((design.training or {}).get("dataset_options", {})) if kept else {}
    cfg["dataset_options"].update((overrides or {}).get("dataset_options", {}))
    if cfg.task == "auto":
        meta = design.metadata.get("task")
        from ..data import get_spec

        cfg["task"] = meta if meta in TASKS[1:] else get_spec(cfg.dataset).task
    return cfg, issues
