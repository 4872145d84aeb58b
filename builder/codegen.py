"""design -> Python source of one nn.Module: the only place model source is written.

One walk over the nodes in topological order: ``__init__`` gets one line per layer module (from the spec's
emitter), ``forward`` one line per node with a shape comment. Node ids become identifiers in one place
(:func:`identifiers`); parameter values reach the source only through ``literal`` after validation, so
nothing from a design is spliced into code unescaped. ``build_model`` executes exactly this text, and the
Python export writes it.
"""

from __future__ import annotations

import functools
import inspect
import keyword
import re
import textwrap
import unicodedata
from dataclasses import dataclass, field

from .design import Design
from .registry import REGISTRY, fmt_shape
from .validate import DesignError, Validation, validate

VERSION = "0.1.0"

HELPER_CLASSES = ("GaussianNoise", "PositionalEncoding", "Reparameterize")  # classes in builder/helpers.py


@functools.cache
def reserved() -> frozenset[str]:
    """Names the generated module uses itself, and attributes nn.Module already has: never node identifiers.
    (torch is imported here, lazily, so that `import builder` and validation stay torch-free and fast.)"""
    from torch import nn

    names = set(keyword.kwlist) | set(keyword.softkwlist) | set(dir(nn.Module)) | set(HELPER_CLASSES)
    names |= {"self", "torch", "nn", "math", "super", "build_model", "print", "len", "range", "object", "type"}
    return frozenset(names)


def identifier(text: str, fallback: str = "node") -> str:
    """A legal, ASCII-only Python identifier derived from text (not yet made unique)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()  # naïve -> naive
    name = re.sub(r"[^0-9A-Za-z_]+", "_", ascii_text).strip("_")[:48] or fallback
    if name[0].isdigit():
        name = f"{fallback}_{name}"
    if name in reserved() or name.startswith("__"):
        name = f"{name.strip('_')}_{fallback}" if name.strip("_") else fallback
    return name


def identifiers(ids: list[str]) -> dict[str, str]:
    """Unique identifiers for node ids, stable for a given id list (first come keeps the plain name)."""
    out, taken = {}, set()
    for nid in ids:
        base = name = identifier(nid)
        k = 2
        while name in taken:
            name = f"{base}_{k}"
            k += 1
        taken.add(name)
        out[nid] = name
    return out


def class_name(design_name: str) -> str:
    parts = re.findall(r"[A-Za-z0-9]+", design_name)
    name = "".join(p[:1].upper() + p[1:] for p in parts)[:60]
    if not name or name[0].isdigit():
        name = "Model" + name
    if name in reserved() or name in ("Model", "Module"):
        name += "Net"
    return name


def string_literal(text: str) -> str:
    """A docstring literal: triple-quoted when that is safe to read, repr() otherwise."""
    printable = all(c == "\n" or (c.isprintable() and ord(c) < 0x2500) for c in text)
    if printable and '"""' not in text and "\\" not in text and not text.endswith('"'):
        return f'"""{text}"""'
    return repr(text)


def shape_comment(info) -> str:
    return fmt_shape(info.shape) + ("" if info.dtype == "float32" else f" {info.dtype}")


@dataclass
class Generated:
    source: str
    class_name: str
    attrs: dict[str, str]  # node id -> identifier (module attribute and forward variable)
    inputs: list[str]  # Input node ids, in forward-argument order
    outputs: list[str]  # Output node ids, in return order
    line_nodes: dict[int, str] = field(default_factory=dict)  # source line -> node id, for tracebacks


def generate(design: Design, validation: Validation | None = None) -> Generated:
    """The model's source. Raises DesignError (with every issue) when the design is not valid."""
    v = validation or validate(design)
    if not v.valid:
        raise DesignError(v.issues)
    table = {n.id: n for n in design.nodes}
    attrs = identifiers([n.id for n in design.nodes])
    inputs = sorted(n.id for n in design.nodes if n.type == "Input")
    outputs = sorted(n.id for n in design.nodes if n.type == "Output")
    cls = class_name(design.name)

    init, fwd, used_helpers = [], [], []
    init_nodes, fwd_nodes = [], []
    for nid in v.order:
        node, spec, info = table[nid], REGISTRY[table[nid].type], v.nodes[nid]
        if node.type in ("Input", "Output"):
            continue
        p, ins = v.resolved[nid], v.types_in(nid)
        for h in spec.helpers:
            if h not in used_helpers:
                used_helpers.append(h)
        ctor = spec.init_code(p, ins)
        if ctor is not None:
            init.append(f"self.{attrs[nid]} = {ctor}")
            init_nodes.append(nid)
        args = [attrs[s] for s in v.inputs[nid]]
        fwd.append(f"{attrs[nid]} = {spec.forward_code(p, attrs[nid], args, ins)}  # {shape_comment(info)}")
        fwd_nodes.append(nid)
    returns = [attrs[v.inputs[o][0]] for o in outputs]

    doc = _docstring(design, v, inputs, outputs, table)
    lines = ['"""LayerLoom model: generated from a design. Needs only torch."""', ""]
    if "PositionalEncoding" in used_helpers:
        lines += ["import math", ""]
    from . import helpers  # imports torch: only when source is written

    helper_lines = []
    for h in used_helpers:
        helper_lines += [*inspect.getsource(getattr(helpers, h)).rstrip().splitlines(), "", ""]
    uses_torch = any("torch." in text for text in helper_lines + fwd)
    lines += ["import torch", "from torch import nn"] if uses_torch else ["from torch import nn"]
    lines += ["", "", *helper_lines]
    lines += [f"class {cls}(nn.Module):", *_indent(doc.splitlines(), 4), "", "    def __init__(self):",
              "        super().__init__()"]  # fmt: skip
    line_nodes = {}
    for text, nid in zip(init, init_nodes):
        lines.append("        " + text)
        line_nodes[len(lines)] = nid
    lines += ["", f"    def forward(self, {', '.join(attrs[i] for i in inputs)}):"]
    for text, nid in zip(fwd, fwd_nodes):
        lines.append("        " + text)
        line_nodes[len(lines)] = nid
    lines.append(f"        return {', '.join(returns)}")
    lines += [
        "",
        "",
        "def build_model():",
        f'    """A fresh, randomly initialized {cls}."""',
        f"    return {cls}()",
        "",
    ]
    return Generated("\n".join(lines), cls, attrs, inputs, outputs, line_nodes)


def _indent(lines, n):
    return [(" " * n + line) if line else "" for line in lines]


def _docstring(design, v, inputs, outputs, table) -> str:
    text = [f"Design {design.name!r} ({v.params:,} parameters, {v.macs:,} MACs per sample)."]
    if design.description:
        text += ["", *_wrap(design.description, 100)]
    text += ["", "Inputs:"]
    text += [f"    {i}: {shape_comment(v.nodes[i])}" for i in inputs]
    text += ["Outputs:"]
    text += [f"    {o}: {shape_comment(v.nodes[o])}" for o in outputs]
    return string_literal("\n".join(text) + "\n")


def _wrap(text, width):
    return textwrap.wrap(text, width) or [""]
