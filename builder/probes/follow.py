"""Following one sample through a network, node by node, with its real values.

:func:`follow` runs one eval-mode forward pass of one sample and keeps what every node of the design computed, in
the validated forward order, with what a learner can read at that node: each ``w·x + b`` of a small Linear, the
weights of attention per head, the gates of an LSTM/GRU at each time step (convolutions and activations need no
more than their input and output, which every step has)::

    trace = follow(p, model, x)          # x: one sample, without the batch dim (a tuple for several Inputs)
    for step in trace.steps:
        step.node, step.type, step.value, trace.inputs(step)

The values are read from the generated model's own forward pass — every node is a variable of it — so they are
exactly what the model computes. A design with blocks is followed through its unrolled form (node ids are paths,
``layer2/0/conv1``), whose layers get the model's own weights. Every size is checked before the forward pass.
"""

from __future__ import annotations

import functools
import math
import weakref
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ..plan import Plan, plan
from ..registry import REGISTRY
from .capture import forward_locals, module_of
from .views import attention_weights, recurrent_gates

MAX_NUMBERS = 50_000_000  # every node's output for the sample, kept together: 200 MB of float32
SMALL_LINEAR = 16  # a Linear with at most this many inputs and outputs shows each unit's w·x + b


class FollowError(ValueError):
    """A sample that cannot be followed through this design (the message says why and what would work)."""


@dataclass(frozen=True)
class Step:
    """One node of the forward pass: what it read (its sources, by port) and what it computed for the sample."""

    index: int
    node: str
    type: str
    sources: tuple[tuple[str, int], ...]  # (node, output port) per input port
    shape: tuple[int, ...] | None  # one sample's output shape, as validation predicted it
    value: np.ndarray | tuple[np.ndarray, ...]  # the output for the sample, without the batch dim
    detail: dict = field(default_factory=dict)  # "linear": x, weight, bias, z; "attention": (heads, Tq, Tk);
    # "gates": recurrent_gates() of the sample

    @property
    def category(self) -> str:
        spec = REGISTRY.get(self.type)
        return spec.category if spec is not None else "Structure"


@dataclass(frozen=True)
class Trace:
    steps: list[Step]
    numbers: int  # how many output numbers the steps hold

    @functools.cached_property
    def _by_node(self) -> dict[str, Step]:
        return {s.node: s for s in self.steps}

    def step(self, node: str) -> Step:
        try:
            return self._by_node[node]
        except KeyError:
            raise KeyError(f"no node {node!r} in this trace") from None

    def inputs(self, step: Step) -> list[np.ndarray]:
        """The values ``step`` read, by input port (a multi-output source gives the port it is wired from)."""
        out = []
        for node, port in step.sources:
            value = self.step(node).value
            out.append(value[port] if isinstance(value, tuple) else value)
        return out


def numbers_kept(p: Plan) -> int:
    """How many numbers following one sample through ``p`` keeps (every node's output), from the report."""
    nodes = p.report.nodes
    return sum(math.prod(nodes[n].shape) for n in p.report.order if nodes[n].shape is not None)


def follow(design, model: nn.Module, sample) -> Trace:
    """Every node's output for ``sample`` (one sample without the batch dim, or a tuple of them, one per Input in
    order), in forward order. ``model`` is a model of ``design`` (trained or not); it is left as it was."""
    p = plan(design).require()
    if p.multi:
        raise FollowError(f"this file holds several networks ({', '.join(p.networks)}): follow one of them")
    numbers = numbers_kept(p)
    if numbers > MAX_NUMBERS:
        raise FollowError(f"following one sample keeps every node's output: {numbers:,} numbers for this design, "
                          f"over the limit of {MAX_NUMBERS:,}. Follow a smaller input size or a part of the "
                          "design.")  # fmt: skip
    xs = _batch(p, sample)
    flat = p.unrolled
    fmodel = _flat_copy(flat, model) if flat is not p else model
    was = fmodel.training
    fmodel.eval()
    try:
        with torch.no_grad():
            seen = forward_locals(fmodel, *xs)
    finally:
        fmodel.train(was)
    attrs = fmodel.layerloom.attrs
    report, fd = flat.report, flat.design
    incoming = {e.target: {} for e in fd.edges}
    for e in fd.edges:
        incoming[e.target][e.target_port] = (e.source, e.source_port)
    steps, values = [], {}
    attention = None
    for nid in report.order:
        node = fd.node(nid)
        sources = tuple(incoming.get(nid, {})[k] for k in sorted(incoming.get(nid, {})))
        if node.type == "Output":
            src, port = sources[0]
            value = values[src][port] if isinstance(values[src], tuple) else values[src]
        else:
            value = _numpy(seen[attrs[nid]])
        values[nid] = value
        detail = {}
        spec = REGISTRY.get(node.type)
        module = module_of(fmodel, nid)
        if isinstance(module, nn.Linear) and max(module.in_features, module.out_features) <= SMALL_LINEAR:
            x = _one(values, sources[0])
            if x.ndim == 1:  # (not a Linear over the last dim of a sequence)
                detail = {"kind": "linear", "x": x, "weight": module.weight.detach().cpu().numpy().copy(),
                          "bias": None if module.bias is None else module.bias.detach().cpu().numpy().copy(),
                          "z": value}  # fmt: skip
        elif spec is not None and spec.probe == "attention":
            attention = attention_weights(fmodel, fd, xs) if attention is None else attention
            if nid in attention:
                detail = {"kind": "attention", "weights": attention[nid][0]}
        elif spec is not None and spec.probe == "gates":
            gates = recurrent_gates(fmodel, fd, nid, xs)
            detail = {"kind": "gates", "gates": gates}
        steps.append(Step(len(steps), nid, node.type, sources, report.nodes[nid].shape, value, detail))
    return Trace(steps, numbers)


def _one(values: dict, source: tuple[str, int]) -> np.ndarray:
    value = values[source[0]]
    return value[source[1]] if isinstance(value, tuple) else value


def _numpy(value):
    if isinstance(value, (tuple, list)):
        return tuple(_numpy(v) for v in value)
    if isinstance(value, torch.Tensor):
        return value.detach().float().cpu().numpy()[0] if value.is_floating_point() else value.cpu().numpy()[0]
    return np.asarray(value)


def _batch(p: Plan, sample) -> tuple[torch.Tensor, ...]:
    """The sample as a batch of one per Input, checked against the Inputs' shapes and dtypes."""
    samples = sample if isinstance(sample, (tuple, list)) else (sample,)
    if len(samples) != len(p.inputs):
        raise FollowError(f"the design has {len(p.inputs)} Input(s) ({', '.join(p.inputs)}), the sample gives "
                          f"{len(samples)} value(s)")  # fmt: skip
    out = []
    for nid, s in zip(p.inputs, samples):
        t = torch.as_tensor(np.asarray(s))
        want, dtype = p.shape(nid), p.report.nodes[nid].dtype or "float32"
        if tuple(t.shape) != tuple(want):
            raise FollowError(f"Input {nid!r} takes one sample of shape {list(want)}, received {list(t.shape)}")
        if dtype == "int64":
            if t.is_floating_point():
                raise FollowError(f"Input {nid!r} takes token ids (int64), received {t.dtype}")
            t = t.long()
        else:
            t = t.float()
        out.append(t[None])
    return tuple(out)


_FLAT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> its unrolled twin, built once


def _flat_copy(flat: Plan, model: nn.Module) -> nn.Module:
    """The unrolled design's model holding ``model``'s weights, layer by layer (the same node, another path). The
    twin is built once per model (its random initialisation is the slow part) and given the weights each time."""
    fmodel = _FLAT.get(model)
    if fmodel is None or type(fmodel).layerloom is not flat.generated:
        fmodel = _FLAT[model] = flat.initial_model(0)
    paths = model.layerloom.attrs
    for nid in fmodel.layerloom.attrs:
        dst, src = module_of(fmodel, nid), module_of(model, nid) if nid in paths else None
        if dst is not None and src is not None:
            dst.load_state_dict(src.state_dict())
    return fmodel


def dataset_sample(dataset, index: int, split: str = "val"):
    """(sample, target) number ``index`` of a loaded dataset's ``split``, for :func:`follow`."""
    x, y = dataset.split(split)
    if not 0 <= index < len(x):
        raise FollowError(f"sample {index} does not exist: the {split} split holds {len(x)} samples (0–{len(x) - 1})")
    return x[index], y[index]


def random_sample(p: Plan, seed: int = 0):
    """A seeded random sample for every Input: normal noise for float inputs (a generator's noise), token ids
    below the smallest Embedding's vocabulary for int64 ones."""
    p = plan(p)
    vocab = [p.report.resolved[n.id]["num_embeddings"] for n in p.flat.nodes if n.type == "Embedding"
             and n.id in p.report.resolved]  # fmt: skip
    g = torch.Generator().manual_seed(seed)
    out = []
    for nid in p.inputs:
        shape, dtype = p.shape(nid), p.report.nodes[nid].dtype
        if dtype == "int64":
            out.append(torch.randint(0, min(vocab) if vocab else 2, shape, generator=g).numpy())
        else:
            out.append(torch.randn(shape, generator=g).numpy())
    return out[0] if len(out) == 1 else tuple(out)
