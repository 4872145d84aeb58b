"""Capturing what flows into and out of a built model's nodes, with forward hooks on the node's module."""

from __future__ import annotations

import contextlib
import sys

import torch
from torch import nn

from ..design import Design


def module_of(model: nn.Module, node_id: str) -> nn.Module | None:
    """The module a design node became (its attribute is named after the node id), or None for inline nodes."""
    attr = model.layerloom.attrs.get(node_id)  # a node inside a block: its module path, "layer2.0.conv1"
    if not attr:
        return None
    try:
        return model.get_submodule(attr)
    except AttributeError:  # an inline node (its attribute is only a forward variable)
        return None


@contextlib.contextmanager
def hooks(model: nn.Module, node_ids: list[str], inputs: bool = False):
    """Record each node's module output (or its positional inputs) during forward passes in the block."""
    seen: dict[str, object] = {}
    handles = []
    for nid in node_ids:
        module = module_of(model, nid)
        if module is None:
            continue
        if inputs:
            handles.append(module.register_forward_pre_hook(lambda m, args, nid=nid: seen.__setitem__(nid, args)))
        else:
            handles.append(module.register_forward_hook(lambda m, args, out, nid=nid: seen.__setitem__(nid, out)))
    try:
        yield seen
    finally:
        for h in handles:
            h.remove()


def nodes_with_probe(design: Design, probe: str) -> list[str]:
    """The nodes whose layer spec names ``probe`` as the view of its insides (feature_maps, attention, …)."""
    from ..registry import REGISTRY

    return [n.id for n in design.nodes if n.type in REGISTRY and REGISTRY[n.type].probe == probe]


def run_eval(model: nn.Module, x) -> None:
    """One eval-mode forward without gradients, restoring the model's train/eval mode afterwards."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(*x) if isinstance(x, (list, tuple)) else model(x)
    finally:
        model.train(was_training)


def forward_locals(model: nn.Module, *inputs) -> dict:
    """Run ``model(*inputs)`` and return the local variables of its generated forward when it returns: every
    node's value, named by ``model.layerloom.attrs`` (inline nodes too, which have no module to hook). Read with
    a profile hook on this thread only; the caller chooses eval mode and no_grad."""
    code, seen = type(model).forward.__code__, {}

    def profile(frame, event, arg):
        if event == "return" and frame.f_code is code and frame.f_locals.get("self") is model:
            seen.update(frame.f_locals)

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        model(*inputs)
    finally:
        sys.setprofile(previous)
    return seen
