"""Bring your own model: a PyTorch module (or, later, an ONNX file) as a design, with its weights.

``from_torch(module, example_inputs)`` traces the module with torch.fx, maps every call to the layer catalogue,
turns its submodules into blocks named after their classes (an ``nn.Sequential`` of blocks becomes one block
with ``repeat``) and keeps the weights: the design's generated model has the original's module names, so its
state_dict keys are the original's and a user's checkpoint loads. The result is checked before it is returned:
the built model must give the original's outputs (eval mode) and hold the same parameters. Anything with no
equivalent is listed in one :class:`ImportProblem` — never a traceback from the internals, never a silent
approximation.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_UPLOAD_BYTES = 100 * 2**20  # an ONNX file uploaded in the app (the CLI reads up to onnx_graph.MAX_BYTES)


@dataclass(frozen=True)
class Finding:
    """One thing that could not be imported: what (an op or module type), where (the module path, "" for the
    top level), the source line when known, and why / what to do."""

    op: str
    module: str
    message: str
    line: str | None = None

    def __str__(self) -> str:
        where = f"in {self.module!r}" if self.module else "at the top level"
        text = f"{self.op} {where}: {self.message}"
        return f"{text} ({self.line})" if self.line else text


class ImportProblem(ValueError):
    """A model that cannot be imported as it is. ``problems``: every finding (a :class:`Finding`)."""

    def __init__(self, problems: list[Finding], what: str = "the model"):
        self.problems = list(problems)
        n = len(self.problems)
        head = f"cannot import {what}: {n} problem{'s' if n != 1 else ''}"
        super().__init__(head + "".join(f"\n  - {p}" for p in self.problems))


def from_torch(module, example_inputs, *, name: str | None = None, partial: bool = False):
    """The design of ``module`` (an ``nn.Module``) for inputs like ``example_inputs`` (a tensor or a tuple of
    tensors, batch first), with ``design.weights`` holding its state_dict. Raises :class:`ImportProblem` listing
    everything that has no equivalent; with ``partial=True`` the graph up to the first unsupported operation is
    kept instead (its outputs become the design's outputs; the problems are in ``design.metadata["import"]``)."""
    from .torch_fx import import_module

    return import_module(module, example_inputs, name=name, partial=partial)


def from_onnx(path, *, name: str | None = None, partial: bool = False, input_shapes: dict | None = None):
    """The design of the ONNX model at ``path`` (a file, or its bytes; parsed with onnx, no code is run), its
    initializers kept as ``design.weights``; its outputs checked against onnxruntime's. ``input_shapes`` gives one
    sample's shape for inputs whose dims (besides the batch) are dynamic: ``{"x": [20, 8]}``. Raises
    :class:`ImportProblem` listing every operator without an equivalent (``partial=True``: keeps the graph up to
    them)."""
    from .onnx_graph import import_onnx

    return import_onnx(path, name=name, partial=partial, input_shapes=input_shapes)


def load_pretrained(template: str, weights=None):
    """A torchvision template carrying torchvision's ImageNet weights, from ``weights`` (a file or state_dict) or
    torch's hub cache; never downloaded. See :mod:`builder.importer.pretrained`."""
    from .pretrained import load_pretrained as load

    return load(template, weights)


__all__ = ["MAX_UPLOAD_BYTES", "load_pretrained", "Finding", "ImportProblem", "from_onnx", "from_torch"]
