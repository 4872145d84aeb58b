"""Reading weights for an export: a training checkpoint or a plain state_dict, never unpickled objects."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from ..design import Design
from ..plan import Plan, plan

CHECKPOINT_KEYS = ("model", "state_dict", "model_state_dict", "model_state")


class ExportError(RuntimeError):
    """An export that cannot be done or did not verify; the message says why and what to do."""


def load_weights(weights: str | os.PathLike | dict, design: Design | Plan) -> dict[str, torch.Tensor]:
    """The design's state_dict from a checkpoint file, a state_dict file, or a dict of either.

    Files are read with ``torch.load(weights_only=True)``: tensors and plain containers only, no code. The
    weights must fit the design exactly (strict), or the message lists the keys that do not.
    """
    return load_into(weights, plan(design)).state_dict()


def load_into(weights: str | os.PathLike | dict, p: Plan) -> torch.nn.Module:
    """A model of plan ``p`` holding ``weights`` (read and checked as :func:`load_weights` says)."""
    state = weights
    if not isinstance(weights, dict):
        path = Path(weights)
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except FileNotFoundError:
            raise ExportError(f"weights file {str(path)!r} does not exist") from None
        except Exception as e:  # unpickling refused, truncated file, not a torch file at all
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise ExportError(f"cannot read weights from {str(path)!r}: {first}") from None
    if not isinstance(state, dict):
        raise ExportError(f"weights must be a state_dict or a checkpoint dict, found {type(state).__name__}")
    for key in CHECKPOINT_KEYS:
        if isinstance(state.get(key), dict):
            state = state[key]
            break
    name = p.design.name
    if name in state and isinstance(state[name], dict):  # a GAN checkpoint holds both networks
        state = state[name]
    model = p.new_model()
    try:
        model.load_state_dict(state, strict=True)
    except (RuntimeError, TypeError) as e:
        expected = set(model.state_dict())
        given = {k for k in state if isinstance(k, str)}
        missing, extra = sorted(expected - given), sorted(given - expected)
        detail = []
        for what, keys in (("missing", missing), ("unexpected", extra)):
            if keys:
                more = f" and {len(keys) - 5} more" if len(keys) > 5 else ""
                detail.append(f"{len(keys)} {what} key(s): {', '.join(keys[:5])}{more}")
        if not detail:
            detail.append(str(e).strip().splitlines()[-1])
        raise ExportError(
            f"the weights do not fit design {name!r}: {'; '.join(detail)}. Were they saved from another "
            "design (or before its layers changed)?"
        ) from None
    return model


def single_network(design: Design | Plan) -> Design | Plan:
    """The design (or plan) itself, or an error naming the networks when a file holds several (a GAN)."""
    if design.multi:
        names = ", ".join(design.networks)
        first = next(iter(design.networks))
        raise ExportError(f"this file holds several networks ({names}); export one at a time, e.g. with "
                          f"--network {first} (API: design.networks[{first!r}])")  # fmt: skip
    return design
