"""The template library: the :func:`template` decorator, the registry it fills, and the files it writes."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..design import Design
from .graph import Graph

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "assets" / "templates"
GAN_TRAINING = {"task": "gan", "optimizer": "adam", "lr": 2e-4, "betas": [0.5, 0.999], "batch_size": 64}
# the training settings that show what each template is for (tests/test_templates.py trains the small ones with
# them and checks the outcome); the ImageNet-size networks carry their published recipe, for one's own data


def adam(lr: float, epochs: int, batch_size: int = 64, dataset_options: dict | None = None) -> dict:
    """A template's training settings with Adam (most of the small ones train with it)."""
    options = {"dataset_options": dataset_options} if dataset_options else {}
    return {**options, "optimizer": "adam", "lr": lr, "epochs": epochs, "batch_size": batch_size}


XOR_TRAINING = adam(0.05, 30, 32, {"noise": 0.02})
ADAM_TRAINING = adam(1e-3, 10)  # the engine's defaults, written out: sequences, text, autoencoders
DEEP_MLP_TRAINING = {"optimizer": "sgd", "lr": 0.1, "momentum": 0.9, "epochs": 5, "batch_size": 64}
IMAGENET_SGD = {"optimizer": "sgd", "lr": 0.01, "momentum": 0.9, "weight_decay": 1e-4, "schedule": "step",
                "step_size": 30, "gamma": 0.1, "epochs": 90, "batch_size": 256}  # fmt: skip
RESNET_SGD = {**IMAGENET_SGD, "lr": 0.1}  # torchvision's reference recipe for ResNet and DenseNet
MOBILENET_SGD = {"optimizer": "sgd", "lr": 0.036, "momentum": 0.9, "weight_decay": 4e-5, "schedule": "step",
                 "step_size": 1, "gamma": 0.98, "epochs": 300, "batch_size": 128}  # fmt: skip


@dataclass(frozen=True)
class TemplateDef:
    """One template: how to build it and what it is for."""

    name: str
    title: str
    lesson: str  # what it shows: the gallery's description, and the design's
    build: Callable[[], Graph | Design]
    dataset: str | None = None  # the dataset it trains on by default
    task: str | None = None
    training: dict | None = None  # training settings that show what it is for
    params: int | None = None  # the published parameter count (torchvision's), checked by a test
    extra: dict = field(default_factory=dict)  # more metadata (a GAN network's role)

    @property
    def metadata(self) -> dict:
        meta = {"title": self.title}
        meta.update({k: v for k, v in (("dataset", self.dataset), ("task", self.task)) if v is not None})
        return {**meta, **self.extra}

    def design(self) -> Design:
        made = self.build()
        d = made if isinstance(made, Design) else made.design()
        d.name, d.description, d.metadata = self.name, self.lesson, self.metadata
        if self.training is not None:
            d.training = dict(self.training)
        return d


TEMPLATES: dict[str, TemplateDef] = {}


def template(
    title: str,
    dataset: str | None = None,
    task: str | None = None,
    training: dict | None = None,
    params: int | None = None,
    lesson: str | None = None,
    **extra,
):
    """Register the decorated function (returning a Graph, or a Design for a GAN pair) as a template named
    after it; the lesson text is its docstring unless given."""

    def register(fn):
        text = lesson or " ".join(inspect.cleandoc(fn.__doc__ or "").split())
        assert fn.__name__ not in TEMPLATES and text, fn.__name__
        TEMPLATES[fn.__name__] = TemplateDef(fn.__name__, title, text, fn, dataset, task, training, params, extra)
        return fn

    return register


def pair(generator: Design, discriminator: Design) -> Design:
    """One file holding a GAN's two networks (the decorator adds the title, lesson and training settings)."""
    nets = {"generator": generator, "discriminator": discriminator}
    for role, net in nets.items():
        net.name, net.metadata = role, {}
    return Design("gan", networks=nets)
