"""The layer registry: one spec per layer type, the single place a layer's truth lives.

A spec holds the type's parameter schema, its shape rule (``infer``), its parameter and MAC counts, its code
emitters (``init_code`` for the ``__init__`` line, ``forward_code`` for the ``forward`` line), its palette
category and a short doc. Shapes exclude the batch dim throughout.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

from .params import Param


class TensorType(NamedTuple):
    """What flows on an edge: the shape without the batch dim, and the dtype."""

    shape: tuple[int, ...]
    dtype: str = "float32"


class ShapeError(Exception):
    """Raised by a shape rule. ``message`` completes "<Type> '<id>': ..."; ``param`` names the culprit."""

    def __init__(self, message: str, param: str | None = None):
        super().__init__(message)
        self.message = message
        self.param = param


class Params(dict):
    """Resolved parameters (defaults filled in, lists turned into tuples), readable as attributes."""

    __slots__ = ()

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class Explicit(Params):
    """Params whose ``explicit`` names are written into the constructor even at their default: a block's node
    whose parameter comes from the block's (``"$stride"``), so every instance's code has the same shape."""

    __slots__ = ("explicit",)


def fmt_shape(shape: tuple[int, ...] | None) -> str:
    """``(N, 64, 56, 56)``: how shapes are shown to people, batch first."""
    if shape is None:
        return "?"
    return "(" + ", ".join(["N", *map(str, shape)]) + ")"


def py_str(text: str) -> str:
    """A Python string literal for any text, quoted the way ruff/black format it (double quotes unless that
    needs more escapes). Built from repr(), so any text is safe to put in source this way."""
    r = repr(text)
    if r.startswith('"') or text.count('"') > text.count("'"):
        return r
    body = r[1:-1].replace("\\'", "'").replace('"', '\\"')
    return f'"{body}"'


def literal(value) -> str:
    """Python source for a validated parameter value (numbers, bools, None, strings, tuples of them)."""
    if isinstance(value, tuple):
        return "(" + ", ".join(literal(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, str):
        return py_str(value)
    return repr(value)


IMG, SEQ, VEC = (3, 12, 10), (7, 16), (20,)  # example input samples: an image, a sequence, a vector


@dataclass(frozen=True)
class Example:
    """One case the registry-wide test builds and runs against torch: params, the input samples' shapes."""

    params: dict
    inputs: list[tuple[int, ...]]
    dtype: str = "float32"


class LayerSpec:
    """Base class of every layer type. Subclasses set the class attributes and override what differs."""

    type: ClassVar[str] = ""  # the design's "type": the torch.nn class name where one exists
    category: ClassVar[str] = ""
    doc: ClassVar[str] = ""
    params: ClassVar[dict[str, Param]] = {}
    min_inputs: ClassVar[int] = 1
    max_inputs: ClassVar[int | None] = 1  # None: any number
    port_names: ClassVar[tuple[str, ...]] = ()
    accepts_int: ClassVar[bool] = False  # int64 (token id) inputs are fine
    torch_class: ClassVar[str | None] = None  # "nn.Conv2d"; None when the node is an inline expression
    positional: ClassVar[tuple[str, ...]] = ()  # constructor arguments written positionally
    fixed_kwargs: ClassVar[dict] = {}  # constructor arguments the builder always sets (batch_first=True)
    code_skip: ClassVar[tuple[str, ...]] = ()  # params that are not constructor arguments
    helpers: ClassVar[tuple[str, ...]] = ()  # helper classes (builder/helpers.py) the emitted code needs
    inferred_doc: ClassVar[str] = ""  # which constructor argument is inferred from the input, for the docs
    onnx_exporter: ClassVar[str] = "legacy"  # "dynamo" when torch's tracing exporter cannot keep shapes dynamic
    examples: ClassVar[tuple[Example, ...]] = ()  # cases tests/test_registry.py checks against real forward passes
    inferred: ClassVar[tuple[str, ...]] = ()  # constructor arguments taken from the input (never in params)
    width: ClassVar[str | None] = None  # the parameter that sets the output's last (or channel) width
    keeps_width: ClassVar[bool] = False  # the output has the input's width (activations, norms, dropout)
    probe: ClassVar[str | None] = None  # the training view of its insides: feature_maps, attention, gates, embedding

    def __init__(self):
        for name, p in self.params.items():
            p.name = name

    # -- shape rule -----------------------------------------------------------------------------------
    def infer(self, p: Params, ins: list[TensorType]) -> TensorType:
        """Output type from the inputs' types. Raise ShapeError when the inputs do not fit."""
        return ins[0]

    def expect_rank(self, ins: list[TensorType], rank: int | tuple[int, ...], dims: str) -> tuple[int, ...]:
        """The input shape, after checking its rank; ``dims`` names the expected dims, e.g. "C, H, W"."""
        shape = ins[0].shape
        ranks = (rank,) if isinstance(rank, int) else rank
        if len(shape) not in ranks:
            if len(shape) > max(ranks):
                hint = "Add a Flatten or Reshape before it, or use the variant of this layer for that rank."
            else:
                hint = "Add a Reshape before it to give the input those dims, or use the variant for that rank."
            want = " or ".join(f"{r + 1}-D" for r in ranks)
            raise ShapeError(f"expects a {want} input (N, {dims}) but receives {fmt_shape(shape)}. {hint}")
        return shape

    def warnings(self, p: Params, ins: list[TensorType]) -> list[tuple[str | None, str]]:
        """Legal but suspicious configurations: (param or None, message) pairs."""
        return []

    def graph_warnings(self, node_id: str, report, types: dict[str, str]) -> list[str]:
        """Suspicious uses that only the graph around the node shows (``report``: the validation so far, with
        this node's inputs and shape; ``types``: node id -> type). Messages, without the node's label."""
        return []

    def onnx_issue(self, p: Params, ins: list[TensorType]) -> str | None:
        """Why this configuration cannot be exported to ONNX (and what to change), or None when it can."""
        return None

    # -- counts ---------------------------------------------------------------------------------------
    def input_args(self, p: Params, ins: list[TensorType]) -> dict:
        """Constructor arguments inferred from the input (in_channels, in_features, ...)."""
        return {}

    def count_params(self, p: Params, ins: list[TensorType]) -> int:
        return 0

    def count_macs(self, p: Params, ins: list[TensorType], out: TensorType) -> int:
        return 0

    # -- code -----------------------------------------------------------------------------------------
    def init_code(self, p: Params, ins: list[TensorType]) -> str | None:
        """The constructor expression for ``self.<attr> = ...``, or None when the node has no module."""
        if self.torch_class is None:
            return None
        args = {**p, **self.input_args(p, ins)}  # inferred input sizes win
        parts = [literal(args[name]) for name in self.positional]
        for name, schema in self.params.items():
            if name in self.positional or name in self.code_skip:
                continue
            value = p[name]
            if (schema.required or value != schema.torch_default or type(value) is not type(schema.torch_default)
                    or name in getattr(p, "explicit", ())):  # fmt: skip
                if value is None and schema.torch_default is None:
                    continue
                parts.append(f"{name}={literal(value)}")
        parts += [f"{k}={literal(v)}" for k, v in self.fixed_kwargs.items()]
        return f"{self.torch_class}({', '.join(parts)})"

    def forward_code(self, p: Params, attr: str, args: list[str], ins: list[TensorType]) -> str | list:
        """The expression computing this node's output from its input variables (named ``args``). A list of
        (expression, comment) steps assigns ``attr`` several times; the last step is the node's output."""
        return f"self.{attr}({', '.join(args)})"

    def describe(self, params: bool = True) -> dict:
        """JSON-ready description of the type for the palette (``params=False``: without the parameters) and
        forms."""
        out = {
            "type": self.type,
            "category": self.category,
            "doc": self.doc,
            "inputs": {"min": self.min_inputs, "max": self.max_inputs, "names": list(self.port_names)},
        }
        if params:
            out["params"] = {name: p.describe() for name, p in self.params.items()}
        return out


REGISTRY: dict[str, LayerSpec] = {}

CATEGORIES = (
    "Structure", "Dense", "Convolution", "Pooling", "Normalization", "Activation",
    "Regularization", "Recurrent", "Attention", "Embedding", "Generative",
)  # fmt: skip


def register(cls: type[LayerSpec]) -> type[LayerSpec]:
    """Class decorator: instantiate the spec and add it to the registry under its class name."""
    cls.type = cls.__dict__.get("type") or cls.__name__
    assert cls.category in CATEGORIES, cls
    assert cls.type not in REGISTRY, f"duplicate layer type {cls.type}"
    REGISTRY[cls.type] = cls()
    return cls


def get_spec(type_name: str) -> LayerSpec | None:
    return REGISTRY.get(type_name)


def width_source(types: dict[str, str], inputs: dict[str, list[str]], node_id: str) -> str | None:
    """The node that sets ``node_id``'s width: walk back through the layers that keep it (``keeps_width``:
    Outputs, Identities, activations, norms, dropout). None when the walk runs out of inputs."""
    while types[node_id] in REGISTRY and REGISTRY[types[node_id]].keeps_width:
        sources = inputs.get(node_id) or []
        if not sources:
            return None
        node_id = sources[0]
    return node_id


def prod(values) -> int:
    return math.prod(values)


def src(i: int) -> str:
    """A placeholder for "input i from '<node>'" in a shape message; validation fills in the source node."""
    return f"\x00{i}\x00"
