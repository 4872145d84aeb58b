"""Reading weights for an export: a training checkpoint or a plain state_dict, never unpickled objects."""

from __future__ import annotations

import os

import torch

from ..design import Design
from ..plan import Plan, plan
from .errors import ExportError
from .state import CHECKPOINT_KEYS, load_into

__all__ = ["CHECKPOINT_KEYS", "ExportError", "load_into", "load_weights", "single_network"]


def load_weights(weights: str | os.PathLike | dict, design: Design | Plan) -> dict[str, torch.Tensor]:
    """The design's state_dict from a checkpoint file, a state_dict file, or a dict of either.

    Files are read with ``torch.load(weights_only=True)``: tensors and plain containers only, no code. The
    weights must fit the design exactly (strict), or the message lists the keys that do not.
    """
    return load_into(weights, plan(design)).state_dict()


def single_network(design: Design | Plan) -> Design | Plan:
    """The design (or plan) itself, or an error naming the networks when a file holds several (a GAN)."""
    if design.multi:
        names = ", ".join(design.networks)
        first = next(iter(design.networks))
        raise ExportError(f"this file holds several networks ({names}); export one at a time, e.g. with "
                          f"--network {first} (API: design.networks[{first!r}])")  # fmt: skip
    return design
