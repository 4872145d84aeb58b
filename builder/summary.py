"""A torchinfo-style summary of a validated design: per layer its input and output shapes, parameters, MACs and
activation memory; totals with the memory a training step needs. Everything comes from the shape pass (no
model is built), so it is instant even for designs too large to build."""

from __future__ import annotations

from dataclasses import dataclass

from .budget import Estimate, estimate
from .registry import fmt_shape
from .validate import Validation


@dataclass(frozen=True)
class Row:
    node: str
    type: str
    inputs: tuple[str, ...]  # the shapes coming in, by port
    output: str
    params: int
    macs: int
    activation_bytes: int  # this node's output for one sample (0 for an Output: it is its input's tensor)


@dataclass(frozen=True)
class Summary:
    rows: list[Row]
    params: int
    trainable: int  # every parameter LayerLoom builds is trained (buffers such as running means are not counted)
    macs: int
    memory: Estimate  # weights and one sample's activations, from builder.budget

    @property
    def param_bytes(self) -> int:
        return self.memory.weights

    @property
    def activation_bytes(self) -> int:  # all activations of one sample
        return self.memory.activations

    def training_bytes(self, batch: int, optimizer: str = "adam") -> int:
        """Weights, gradients and optimizer state, plus the activations a batch keeps for the backward pass."""
        return self.memory.training(batch, optimizer)

    def to_json(self) -> dict:
        return {"rows": [r.__dict__ for r in self.rows], "params": self.params, "trainable": self.trainable,
                "non_trainable": self.params - self.trainable, "macs": self.macs, "param_bytes": self.param_bytes,
                "activation_bytes": self.activation_bytes}  # fmt: skip


def row(report: Validation, nid: str) -> Row:
    """One node's line, from any report (a node whose shape is unknown shows '?')."""
    info = report.nodes[nid]
    ins = tuple(fmt_shape(report.nodes[s].shape) for s in report.inputs.get(nid, []))
    kept = 0 if info.type == "Output" else info.activation_bytes  # an Output is its input's tensor
    return Row(nid, info.type, ins, fmt_shape(info.shape), info.params, info.macs, kept)


def summarize(report: Validation) -> Summary:
    """The summary of a validated design's report (nodes in model order; nodes off the model are left out)."""
    rows = [row(report, nid) for nid in report.order]
    return Summary(rows, report.params, report.params, report.macs, estimate(report))
