"""Weights into a model of a plan: a training checkpoint or a plain state_dict, never unpickled objects."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from .errors import ExportError

if TYPE_CHECKING:
    from ..plan import Plan

CHECKPOINT_KEYS = ("model", "state_dict", "model_state_dict", "model_state")


def read_weights(weights: str | os.PathLike | dict, network: str | None = None) -> dict:
    """The state_dict in ``weights``: a state_dict, a training checkpoint (its model's state), or a file of
    either, read with ``torch.load(weights_only=True)`` (tensors and plain containers only, no code);
    ``network`` picks one network's state from a GAN checkpoint. ExportError says what is wrong."""
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
    if network and network in state and isinstance(state[network], dict):  # a GAN checkpoint holds both networks
        state = state[network]
    return state


def load_into(weights: str | os.PathLike | dict, p: Plan) -> torch.nn.Module:
    """A model of plan ``p`` holding ``weights``. Files are read with ``torch.load(weights_only=True)``: tensors
    and plain containers only, no code. The weights must fit the design exactly (strict), or the message lists
    the keys that do not."""
    state = read_weights(weights, p.design.name)
    name = p.design.name
    model = p.initial_model()
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
