"""Importing an ``nn.Module``: trace with torch.fx, map each call to a catalogue layer, rebuild the module tree.

Three passes, each over what the one before produced:

1. **Trace** with a tracer that stops at the modules the catalogue has (``nn.Conv2d``, ``nn.LSTM``, …) and
   records, for every other module call, a :class:`Scope`: the module, its tensor arguments and what it returns.
2. **Map** every graph node to a layer (``Layer``) or to a value that is not a layer: an alias (``contiguous``),
   the batch size, a constant (``x.shape[1]``), an RNN's output tuple. Patterns fuse back into one layer here: an
   LSTM's ``[0][:, -1]`` or ``h_n[-1]`` is the layer with ``return_sequences=False``. Everything without an
   equivalent becomes a :class:`~builder.importer.Finding`.
3. **Rebuild** the hierarchy bottom-up: each scope becomes a unit of nodes; units of one class with one structure
   become one block, the values that differ between its instances becoming the block's parameters; an
   ``nn.Sequential`` (or a ``ModuleList`` used as a chain) of block instances becomes one node with ``repeat``.
   Node ids are the original attribute names, so the generated model has the original's module paths.

The caller (:func:`import_module`) then builds the design, loads the weights and checks the outputs.
"""

from __future__ import annotations

import copy
import json
import operator
import re
import traceback
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.fx as fx
import torch.nn.functional as F
from torch import nn

from ..design import NAME, Design, Edge, Node
from ..registry import REGISTRY
from . import Finding, ImportProblem

MAX_NODES = 20_000  # graph nodes a traced model may have (a ResNet-152 has ~1,000)
HELPERS = ("PositionalEncoding", "GaussianNoise", "Reparameterize")  # builder/helpers.py, copied into exports
CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict)
RECURRENT = ("RNN", "LSTM", "GRU")


def _leaf_types() -> dict[type, str]:
    out = {}
    for name, spec in REGISTRY.items():
        if spec.torch_class and spec.torch_class.startswith("nn."):
            out[getattr(nn, spec.torch_class[3:])] = name
    return out


LEAVES = _leaf_types()


def leaf_type(m: nn.Module) -> str | None:
    """The catalogue type of module ``m``, or None when it is traced through (or has no equivalent)."""
    if type(m) in LEAVES:
        return LEAVES[type(m)]
    if type(m).__name__ in HELPERS and type(m).__module__ != "torch.nn":
        return type(m).__name__
    return None


def _foreign(m: nn.Module) -> bool:
    """A torch.nn module the catalogue lacks (nn.Bilinear, nn.TransformerDecoderLayer): not traced through."""
    traced = (*CONTAINERS, nn.TransformerEncoder)  # (the encoder is traced as its layers, see Tracer)
    return type(m).__module__.startswith("torch.nn.") and leaf_type(m) is None and not isinstance(m, traced)


# -- pass 1: trace ---------------------------------------------------------------------------------------------
@dataclass(eq=False)
class Scope:
    """One call of a module that is not a catalogue layer: the model itself, a user's block, a Sequential, or
    (``kind == "group"``) a ModuleList/ModuleDict whose items are called one after the other."""

    path: str  # module path, "" for the model
    module: nn.Module
    parent: Scope | None
    kind: str  # "root" | "custom" | "sequential" | "group"
    args: list[fx.Node] = field(default_factory=list)  # its tensor inputs (graph nodes of the caller)
    ret: list[fx.Node] = field(default_factory=list)  # what it returns, in order
    children: list[Scope] = field(default_factory=list)
    final: dict | None = None  # the node its caller shows for it (set in pass 3)
    height: int = 0
    start: int = 0  # how many graph nodes existed when it was called: its place among its caller's steps

    @property
    def name(self) -> str:
        """Its attribute name in its parent's module (``layer1``; ``0`` inside a Sequential)."""
        if self.parent is None:
            return ""
        prefix = self.parent.path + "." if self.parent.path else ""
        return self.path[len(prefix) :]


class Tracer(fx.Tracer):
    def __init__(self, root: nn.Module):
        super().__init__()
        self.record_stack_traces = True
        self.top = Scope("", root, None, "root")
        self.stack = [self.top]
        self.calls: Counter = Counter()
        self.problems: list[Finding] = []

    def is_leaf_module(self, m, qualname):
        return leaf_type(m) is not None or _foreign(m)

    def call_module(self, m, forward, args, kwargs):
        path = self.path_of_module(m)
        self.calls[path] += 1
        stateful = any(True for _ in m.parameters()) or any(True for _ in m.buffers())
        if self.calls[path] == 2 and stateful:  # (a ReLU used twice is two layers; a Linear's weights would be shared)
            self.problems.append(Finding(
                type(m).__name__, path, "this module is called more than once (its weights are shared); a design "
                "node has weights of its own. Give each use its own module.", _user_line(),
            ))  # fmt: skip
        if self.is_leaf_module(m, path):
            return super().call_module(m, forward, args, kwargs)
        plain_seq = isinstance(m, nn.Sequential) and type(m).forward is nn.Sequential.forward
        scope = Scope(path, m, self.stack[-1], "sequential" if plain_seq else "custom", start=len(self.graph.nodes))
        self.stack[-1].children.append(scope)
        scope.args = _tensor_args(args, kwargs, scope, self.problems)
        if isinstance(m, nn.TransformerEncoder):
            forward = self._encoder_forward(m, path)
        self.stack.append(scope)
        try:
            ret = super().call_module(m, forward, args, kwargs)
        finally:
            self.stack.pop()
        scope.ret = _returns(ret, scope, self.problems)
        return ret

    def _encoder_forward(self, m: nn.TransformerEncoder, path: str):
        """nn.TransformerEncoder's forward checks tensor properties to pick a fast path, which fx cannot follow;
        without masks it is its layers in turn, then its norm: trace that."""

        def forward(src, mask=None, src_key_padding_mask=None, is_causal=None):
            if mask is not None or src_key_padding_mask is not None:
                self.problems.append(Finding("TransformerEncoder", path, "it is called with a mask; LayerLoom's "
                                             "encoder layers attend to every position.", _user_line()))  # fmt: skip
            x = src
            for layer in m.layers:
                x = layer(x)
            return m.norm(x) if m.norm is not None else x

        return forward

    def create_node(self, *args, **kwargs):
        node = super().create_node(*args, **kwargs)
        node.meta["ll_scope"] = self.stack[-1]
        return node


def _tensor_args(args, kwargs, scope: Scope, problems: list) -> list[fx.Node]:
    out = []
    for value in [*args, *kwargs.values()]:
        if isinstance(value, fx.Proxy):
            out.append(value.node)
        elif value is not None and not isinstance(value, (bool, int, float, str)):
            problems.append(Finding(type(scope.module).__name__, scope.path,
                                    f"it is called with a {type(value).__name__} argument; a block's inputs are "
                                    "tensors.", _user_line()))  # fmt: skip
    return out


def _returns(ret, scope: Scope, problems: list) -> list[fx.Node]:
    if isinstance(ret, fx.Proxy):
        return [ret.node]
    if isinstance(ret, (tuple, list)) and ret and all(isinstance(r, fx.Proxy) for r in ret):
        return [r.node for r in ret]
    problems.append(Finding(type(scope.module).__name__, scope.path,
                            f"its forward returns {type(ret).__name__}; a block returns a tensor or a tuple of "
                            "tensors.", _user_line()))  # fmt: skip
    return []


def _user_line(tb=None) -> str | None:
    """``file.py:42: code`` for the innermost frame outside torch and LayerLoom (the user's own code)."""
    frames = traceback.extract_tb(tb) if tb is not None else traceback.extract_stack()
    for f in reversed(frames):
        where = f.filename.replace("\\", "/")
        if "/torch/" in where or "/builder/importer/" in where or where.startswith("<frozen"):
            continue
        text = f": {f.line.strip()}" if f.line else ""
        return f"{where.rsplit('/', 1)[-1]}:{f.lineno}{text}"
    return None


def _node_line(node: fx.Node) -> str | None:
    trace = node.stack_trace or ""
    found = re.findall(r'File "([^"]+)", line (\d+), in \S+\n\s*(.*)', trace)
    for file, line, code in reversed(found):
        where = file.replace("\\", "/")
        if "/torch/" in where or "/builder/importer/" in where:
            continue
        return f"{where.rsplit('/', 1)[-1]}:{line}: {code.strip()}"
    return None


class _Shapes(fx.Interpreter):
    """Runs the traced graph on the example inputs (in the original module, whose attribute names a GraphModule's
    own could shadow: a submodule called ``code``) and records each tensor's shape, like fx's ShapeProp."""

    def __init__(self, module: nn.Module, graph: fx.Graph):
        super().__init__(module, graph=graph)

    def get_submodule(self, target: str) -> nn.Module:
        return self.module.get_submodule(target)

    def run_node(self, n):
        from torch.fx.passes.shape_prop import _extract_tensor_metadata

        result = super().run_node(n)
        if isinstance(result, torch.Tensor):
            n.meta["tensor_meta"] = _extract_tensor_metadata(result)
        return result


# -- pass 2: map nodes to layers ----------------------------------------------------------------------------------
@dataclass(eq=False)
class Layer:
    key: fx.Node  # the graph node whose value is this layer's output
    type: str
    params: dict[str, Any]
    inputs: list[fx.Node]
    module: str | None = None  # the module path of a call_module layer (its weights' key prefix)


class Mapper:
    """Pass 2. ``layers``: graph node -> Layer; ``value``: graph node -> what it stands for."""

    def __init__(self, gm: fx.GraphModule, root: Scope):
        self.gm, self.root = gm, root
        self.layers: dict[fx.Node, Layer] = {}
        self.value: dict[fx.Node, tuple] = {}  # ("layer", node) | ("batch",) | ("const", v) | ("shape", node)
        #                                         | ("rnn", L, part) | ("mha", M) | ("last", L)
        self.scope: dict[fx.Node, Scope] = {}  # layer key -> the scope that holds it
        self.problems: list[Finding] = []
        self.failed: set[fx.Node] = set()
        self._sequence_used: dict[fx.Node, bool] = {}  # RNN -> its every-step outputs used (not only the last)
        self._seq_nodes: dict[fx.Node, fx.Node] = {}  # an RNN's outputs[0] node -> the RNN

    # the value a node stands for, with aliases followed
    def key(self, node) -> fx.Node | None:
        v = self.value.get(node) if isinstance(node, fx.Node) else None
        return v[1] if v and v[0] == "layer" else None

    def problem(self, node: fx.Node, op: str, message: str) -> None:
        scope = node.meta.get("ll_scope") or self.root
        self.problems.append(Finding(op, scope.path, message, _node_line(node)))

    def run(self) -> None:
        for node in self.gm.graph.nodes:
            if node.op != "output" and not node.users and node.op != "placeholder":
                continue  # computed and never used (an unpacked cell state): nothing to map
            if any(i in self.failed for i in node.all_input_nodes):
                self.failed.add(node)  # follows from a problem already listed, unless it is one of its own
                unknown = (node.op == "call_function" and node.target not in FUNCTIONS) or (
                    node.op == "call_method" and node.target not in METHODS)  # fmt: skip
                if unknown:
                    self.problem(node, _op_name(node), "has no equivalent in the layer catalogue.")
                continue
            try:
                self.visit(node)
            except _Unsupported as e:
                self.failed.add(node)
                self.problem(node, e.op, e.message)
        self._settle_recurrent()

    def add(self, node: fx.Node, type_: str, params: dict, inputs: list, module: str | None = None) -> None:
        keys = []
        for i in inputs:
            k = self.key(i)
            if k is None and isinstance(i, fx.Node) and self.value.get(i, ("",))[0] == "last":
                k = i  # a last step, settled once every use of its RNN is known
            if k is None:
                raise _Unsupported(_op_name(node), f"input {i} is not a tensor LayerLoom can follow.")
            keys.append(k)
        spec = REGISTRY[type_]
        kept = {k: v for k, v in params.items() if k not in spec.params or v != spec.params[k].default}
        self.layers[node] = Layer(node, type_, kept, keys, module)
        self.scope[node] = node.meta.get("ll_scope") or self.root
        self.value[node] = ("layer", node)

    def visit(self, node: fx.Node) -> None:
        if node.op == "placeholder":
            meta = node.meta.get("tensor_meta")
            if meta is None:
                raise _Unsupported("input", f"argument {node.target!r} is not a tensor in the example inputs.")
            dtype = "int64" if meta.dtype in (torch.int64, torch.int32) else "float32"
            if meta.dtype not in (torch.float32, torch.int64, torch.int32):
                raise _Unsupported("input", f"argument {node.target!r} is {meta.dtype}; expected float32 or int64.")
            self.add(node, "Input", {"shape": list(meta.shape[1:]), "dtype": dtype}, [])
        elif node.op == "call_module":
            self.module_call(node)
        elif node.op == "get_attr":
            raise _Unsupported("parameter", f"the forward uses the tensor {node.target!r} directly (not through a "
                                            "layer); a design's weights live in its layers.")  # fmt: skip
        elif node.op in ("call_function", "call_method"):
            handler = FUNCTIONS.get(node.target) if node.op == "call_function" else METHODS.get(node.target)
            if handler is None:
                raise _Unsupported(_op_name(node), "has no equivalent in the layer catalogue.")
            handler(self, node)
        elif node.op == "output":
            pass

    def module_call(self, node: fx.Node) -> None:
        m = self.gm.get_submodule(node.target)
        type_ = leaf_type(m)
        if type_ is None:
            raise _Unsupported(type(m).__name__, "has no equivalent in the layer catalogue.")
        params, issues = module_params(type_, m)
        if node.kwargs and any(v is not None for k, v in node.kwargs.items() if k != "need_weights"):
            names = ", ".join(k for k, v in node.kwargs.items() if v is not None and k != "need_weights")
            issues.append(f"it is called with {names}; LayerLoom's {type_} takes only its inputs.")
        if issues:
            raise _Unsupported(type(m).__name__, " ".join(issues))
        inputs = list(node.args)
        shape = self.shape(inputs[0]) if inputs else None
        if type_ == "LayerNorm" and shape and [shape[-1]] == params.get("normalized_shape"):
            params.pop("normalized_shape")  # the last dim, which the layer infers
        if type_ == "MultiheadAttention":
            if len(inputs) == 3 and inputs[0] is inputs[1] is inputs[2]:
                inputs = inputs[:1]
        self.add(node, type_, params, inputs, module=node.target)
        if type_ in RECURRENT:
            self.value[node] = ("rnn", node, "tuple")
        elif type_ == "MultiheadAttention":
            self.value[node] = ("mha", node)

    def _settle_recurrent(self) -> None:
        """An RNN whose outputs are only ever used at the last step returns that step (return_sequences=False);
        one used both ways returns every step and each last-step use becomes a Select."""
        lasts: dict[fx.Node, list[fx.Node]] = {}
        for node, v in list(self.value.items()):
            if v[0] == "last":
                lasts.setdefault(v[1], []).append(node)
        for rnn, nodes in lasts.items():
            layer = self.layers[rnn]
            if not self._sequence_used.get(rnn):
                layer.params["return_sequences"] = False
                for n in nodes:
                    self.value[n] = ("layer", rnn)
            else:
                for n in nodes:
                    self.layers[n] = Layer(n, "Select", {"dim": 1, "index": -1}, [rnn])
                    self.scope[n] = n.meta.get("ll_scope") or self.root
                    self.value[n] = ("layer", n)
        # layers that used a pending last step before it settled
        for layer in self.layers.values():
            layer.inputs = [self.key(i) or i for i in layer.inputs]

    def shape(self, node) -> tuple[int, ...] | None:
        meta = node.meta.get("tensor_meta") if isinstance(node, fx.Node) else None
        return tuple(meta.shape) if meta is not None and hasattr(meta, "shape") else None


class _Unsupported(Exception):
    def __init__(self, op: str, message: str):
        super().__init__(message)
        self.op, self.message = op, message


def _op_name(node: fx.Node) -> str:
    if node.op == "call_method":
        return f"Tensor.{node.target}"
    target = node.target
    if target is F.max_pool2d or target is F.max_pool1d:
        return "F.max_pool"
    module = getattr(target, "__module__", None) or ""
    name = getattr(target, "__name__", str(target))
    if module == "_operator":
        return {"add": "+", "mul": "*", "sub": "-", "truediv": "/", "matmul": "@", "getitem": "[]"}.get(name, name)
    if module.startswith("torch.nn.functional"):
        return f"F.{name}"
    if module.startswith("torch"):
        return f"torch.{name}"
    return name


# -- module parameters -------------------------------------------------------------------------------------------
def _norm(value):
    if isinstance(value, (list, tuple)):
        value = tuple(_norm(v) for v in value)
        return value[0] if value and all(v == value[0] for v in value) and isinstance(value[0], int) else value
    return value


def module_params(type_: str, m: nn.Module) -> tuple[dict, list[str]]:
    """The design params of catalogue module ``m`` and what about it the catalogue cannot say (messages)."""
    spec = REGISTRY[type_]
    out: dict[str, Any] = {}
    issues: list[str] = []
    for name in spec.params:
        if name == "bias":
            attr = "in_proj_bias" if type_ == "MultiheadAttention" else "bias"
            if type_ == "TransformerEncoderLayer":
                out[name] = m.linear1.bias is not None
            elif hasattr(m, attr) or type_.startswith(("Conv", "Linear", "BatchNorm", "LayerNorm", "Group")):
                out[name] = getattr(m, attr, None) is not None
            continue
        if hasattr(m, name) and not callable(getattr(m, name)):
            out[name] = _norm(getattr(m, name))
    if type_ in ("Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d"):
        for name in ("kernel_size", "stride", "padding", "dilation", "output_padding"):
            if name in out and isinstance(out[name], tuple) and len(out[name]) == 1:
                out[name] = out[name][0]
    if type_.startswith("MaxPool"):
        if m.return_indices:
            issues.append("return_indices=True has no equivalent; construct it without.")
        if out.get("stride") == out.get("kernel_size"):
            out["stride"] = None
    if type_.startswith("AvgPool"):
        if getattr(m, "divisor_override", None) is not None:
            issues.append("divisor_override has no equivalent; construct it without.")
        if out.get("stride") == out.get("kernel_size"):
            out["stride"] = None
    if type_ == "Upsample" and m.recompute_scale_factor is not None:
        issues.append("recompute_scale_factor has no equivalent; construct it without.")
    if type_ == "Embedding" and (m.max_norm is not None or m.sparse):
        issues.append("max_norm and sparse have no equivalent; construct it without.")
    if type_ in RECURRENT or type_ == "MultiheadAttention":
        if not m.batch_first:
            issues.append("batch_first=False: LayerLoom's layers take (N, T, F) batches; construct it with "
                          "batch_first=True (and feed it batch-first tensors).")  # fmt: skip
        out.pop("batch_first", None)
    if type_ == "MultiheadAttention":
        out["add_bias_kv"] = m.bias_k is not None
        for name in ("embed_dim", "kdim", "vdim"):
            out.pop(name, None)
    if type_ == "TransformerEncoderLayer":
        if not m.self_attn.batch_first:
            issues.append("batch_first=False: construct it with batch_first=True (and feed it (N, T, E) tensors).")
        kinds = {1: "relu", 2: "gelu"}
        if m.activation_relu_or_gelu not in kinds:
            issues.append("its activation is neither relu nor gelu; LayerLoom's layer offers those two.")
        out.update(nhead=m.self_attn.num_heads, dim_feedforward=m.linear1.out_features, dropout=m.dropout.p,
                   activation=kinds.get(m.activation_relu_or_gelu, "relu"), layer_norm_eps=m.norm1.eps,
                   norm_first=m.norm_first)  # fmt: skip
    if type_ == "PositionalEncoding":
        out = {"max_len": int(m.pe.shape[0])}
    if type_ == "LayerNorm":
        out["normalized_shape"] = list(m.normalized_shape)
    if type_ in ("Softmax", "LogSoftmax") and m.dim is None:
        issues.append("dim=None is deprecated and has no equivalent; give the dim.")
    for name in list(out):
        if name not in spec.params or name in spec.inferred:
            out.pop(name)
        elif isinstance(out[name], tuple):
            out[name] = list(out[name])
    return out, issues


# -- functions and methods -----------------------------------------------------------------------------------
def _bind(node: fx.Node, names: list[str], defaults: dict | None = None) -> dict:
    """The arguments after the input tensor, by name (positional ones in ``names`` order, then keywords)."""
    out = dict(defaults or {})
    for name, value in zip(names, node.args[1:]):
        out[name] = value
    out.update(node.kwargs)
    return out


def _activation(type_, names=(), rename=None):
    def handle(m: Mapper, node):
        given = _bind(node, list(names))
        given.pop("inplace", None)
        params = {(rename or {}).get(k, k): v for k, v in given.items() if k not in ("_stacklevel", "dtype")}
        if given.get("dtype") is not None:
            raise _Unsupported(_op_name(node), "dtype= has no equivalent.")
        if type_ in ("Softmax", "LogSoftmax") and params.get("dim") is None:
            raise _Unsupported(_op_name(node), "dim=None is deprecated and has no equivalent; give the dim.")
        m.add(node, type_, params, [node.args[0]])

    return handle


def _dropout(type_):
    def handle(m: Mapper, node):
        given = _bind(node, ["p", "training", "inplace"], {"p": 0.5, "training": True})
        if given["training"] is False:
            m.value[node] = m.value[node.args[0]]
            return
        m.add(node, type_, {"p": given["p"]}, [node.args[0]])

    return handle


def _pool(type_, names):
    def handle(m: Mapper, node):
        given = _bind(node, names)
        if given.pop("return_indices", False):
            raise _Unsupported(_op_name(node), "return_indices=True has no equivalent.")
        if given.pop("divisor_override", None) is not None:
            raise _Unsupported(_op_name(node), "divisor_override has no equivalent.")
        params = {k: _norm(v) for k, v in given.items()}
        if "stride" in params and params["stride"] in ((), []):
            params["stride"] = None
        m.add(node, type_, params, [node.args[0]])

    return handle


def _merge(type_):
    def handle(m: Mapper, node):
        if node.kwargs.get("alpha", 1) != 1:
            raise _Unsupported(_op_name(node), "alpha= has no equivalent.")
        args = list(node.args)
        if len(args) != 2 or not all(m.key(a) is not None for a in args):
            raise _Unsupported(_op_name(node), f"{type_} joins two layers' outputs; a constant operand (x + 1, "
                                               "2 * x) has no equivalent.")  # fmt: skip
        m.add(node, type_, {}, args)

    return handle


def _cat(m: Mapper, node):
    given = _bind(node, ["dim"], {"dim": 0})
    tensors = node.args[0]
    if not isinstance(tensors, (list, tuple)):
        raise _Unsupported(_op_name(node), "expects a list of tensors.")
    last = _bidirectional_last(m, tensors, given["dim"])
    if last is not None:
        m.value[node] = ("last", last)
        return
    if given["dim"] == 0:
        raise _Unsupported(_op_name(node), "concatenates along dim 0, the batch; LayerLoom joins samples' dims.")
    if len(tensors) == 1:
        m.value[node] = m.value[tensors[0]]
        return
    m.add(node, "Concat", {"dim": given["dim"]}, list(tensors))


def _bidirectional_last(m: Mapper, tensors, dim):
    """``torch.cat([out[:, -1, :h], out[:, 0, h:]], dim=1)``: a bidirectional RNN's last step, both directions."""
    if len(tensors) != 2 or dim not in (1, -1):
        return None
    pend = [m.value.get(t) for t in tensors]
    if not all(p and p[0] == "slice" for p in pend) or pend[0][1] is not pend[1][1]:
        return None
    rnn = pend[0][1]
    layer = m.layers[rnn]
    h = layer.params.get("hidden_size", REGISTRY[layer.type].params["hidden_size"].default)
    h = layer.params.get("proj_size") or h
    want = [(slice(None), -1, slice(None, h)), (slice(None), 0, slice(h, None))]
    if [p[2] for p in pend] != want or not layer.params.get("bidirectional"):
        return None
    return rnn


def _getitem(m: Mapper, node):
    src, index = node.args
    v = m.value.get(src)
    if v is None:
        raise _Unsupported("[]", "indexes a value LayerLoom cannot follow.")
    if v[0] == "rnn":
        rnn, part = v[1], v[2]
        layer = m.layers[rnn]
        if part == "tuple" and index == 0:
            m.value[node] = ("layer", rnn)
            m._seq_nodes[node] = rnn
            return
        if part == "tuple" and index == 1:
            m.value[node] = ("rnn", rnn, "hidden")
            return
        if part == "hidden" and layer.type == "LSTM" and index == 0:
            m.value[node] = ("rnn", rnn, "h")
            return
        if (part == "h" or (part == "hidden" and layer.type != "LSTM")) and index == -1:
            if layer.params.get("bidirectional"):
                raise _Unsupported("[]", "h_n[-1] of a bidirectional RNN is the backward direction only; use the "
                                         "outputs' last step (out[:, -1]) instead.")  # fmt: skip
            m.value[node] = ("last", rnn)
            return
        raise _Unsupported("[]", f"uses the {layer.type}'s hidden or cell state other than h_n[-1]; LayerLoom's "
                                 f"{layer.type} gives its outputs (every step, or the last).")  # fmt: skip
    if v[0] == "mha":
        if index == 0:
            m.value[node] = ("layer", v[1])
            return
        raise _Unsupported("[]", "uses the attention weights (output 1) of MultiheadAttention; LayerLoom's layer "
                                 "gives the attended values (output 0).")  # fmt: skip
    if v[0] == "shape":
        if index == 0:
            m.value[node] = ("batch",)
        elif isinstance(index, int):
            m.value[node] = ("const", v[1][index])
        else:
            raise _Unsupported("[]", "slices a shape; index its dims one by one.")
        return
    if v[0] == "const" and isinstance(v[1], (tuple, list)):
        m.value[node] = ("const", v[1][index])
        return
    if v[0] != "layer":
        raise _Unsupported("[]", "indexes a value LayerLoom cannot follow.")
    _index_tensor(m, node, src, index)


def _index_tensor(m: Mapper, node, src, index):
    shape = m.shape(src)
    idx = index if isinstance(index, tuple) else (index,)
    rnn = m._seq_nodes.get(src)
    if rnn is not None and idx in ((slice(None), -1), (slice(None), -1, slice(None))):
        m.value[node] = ("last", rnn)
        return
    if rnn is not None and len(node.users) == 1 and next(iter(node.users)).target in (torch.cat, torch.concat):
        m.value[node] = ("slice", rnn, idx)  # settled by _cat (a bidirectional last step)
        return
    if shape is None or not idx or idx[0] != slice(None) or any(i is Ellipsis or i is None for i in idx):
        raise _Unsupported("[]", "indexes the batch dim, or with ... / None; LayerLoom indexes a sample's dims.")
    active = [(d, i) for d, i in enumerate(idx) if i != slice(None)]
    if len(active) != 1:
        raise _Unsupported("[]", "indexes several dims at once; index one dim per step.")
    d, i = active[0]
    if isinstance(i, int):
        m.add(node, "Select", {"dim": d, "index": i}, [src])
    elif isinstance(i, slice) and i.step in (None, 1) and not any(isinstance(x, fx.Node) for x in (i.start, i.stop)):
        start, stop, _ = i.indices(shape[d])
        if stop <= start:
            raise _Unsupported("[]", "takes an empty slice.")
        m.add(node, "Narrow", {"dim": d, "start": start, "length": stop - start}, [src])
    else:
        raise _Unsupported("[]", "indexes with a step, a tensor or a computed bound; LayerLoom takes a constant "
                                 "range or one entry.")  # fmt: skip


def _size(m: Mapper, node):
    src = node.args[0]
    shape = m.shape(src)
    dim = _bind(node, ["dim"]).get("dim")
    if shape is None:
        raise _Unsupported("Tensor.size", "of a value that is not a tensor.")
    if dim is None:
        m.value[node] = ("shape", shape)
    elif dim == 0:
        m.value[node] = ("batch",)
    else:
        m.value[node] = ("const", shape[dim])


def _getattr(m: Mapper, node):
    src, attr = node.args
    if attr == "shape" and m.shape(src) is not None:
        m.value[node] = ("shape", m.shape(src))
        return
    raise _Unsupported(f"Tensor.{attr}", "has no equivalent.")


def _reshape(m: Mapper, node):
    src = node.args[0]
    dims = list(node.args[1:]) if node.op == "call_method" else list(node.args[1:2])
    if "shape" in node.kwargs:
        dims = [node.kwargs["shape"]]
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = list(dims[0])
    values = []
    for d in dims:
        v = m.value.get(d) if isinstance(d, fx.Node) else ("const", d)
        if v is None or v[0] not in ("batch", "const"):
            raise _Unsupported(_op_name(node), "with a size LayerLoom cannot follow.")
        values.append("N" if v[0] == "batch" else v[1])
    out = m.shape(node)
    if not values or values[0] not in ("N", -1) or "N" in values[1:] or out is None or out[0] != m.shape(src)[0]:
        raise _Unsupported(_op_name(node), "changes the batch dim; LayerLoom reshapes each sample (keep the "
                                           "first dim: x.view(x.size(0), ...)).")  # fmt: skip
    rest = values[1:]
    if values[0] == -1 and -1 in rest:
        raise _Unsupported(_op_name(node), "has two -1 sizes.")
    m.add(node, "Reshape", {"shape": rest or [-1]}, [src])


def _to_shape(m: Mapper, node):
    """squeeze/unsqueeze: a Reshape to the shape it gives (a sample's shape is fixed in a design)."""
    src, out = node.args[0], m.shape(node)
    if out is None or m.shape(src) is None or out[0] != m.shape(src)[0]:
        raise _Unsupported(_op_name(node), "changes the batch dim.")
    m.add(node, "Reshape", {"shape": list(out[1:]) or [-1]}, [src])


def _flatten(m: Mapper, node):
    given = _bind(node, ["start_dim", "end_dim"], {"start_dim": 0 if node.op == "call_function" else 0,
                                                   "end_dim": -1})  # fmt: skip
    if given["start_dim"] == 0:
        raise _Unsupported(_op_name(node), "flattens the batch dim; use flatten(x, 1).")
    m.add(node, "Flatten", {"start_dim": given["start_dim"], "end_dim": given["end_dim"]}, [node.args[0]])


def _permute(m: Mapper, node):
    dims = list(node.args[1:]) if node.op == "call_method" else list(node.args[1])
    if "dims" in node.kwargs:
        dims = list(node.kwargs["dims"])
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = list(dims[0])
    rank = len(m.shape(node.args[0]) or ())
    dims = [d + rank if d < 0 else d for d in dims]
    if not dims or dims[0] != 0:
        raise _Unsupported(_op_name(node), "moves the batch dim; LayerLoom keeps it first.")
    m.add(node, "Permute", {"dims": dims}, [node.args[0]])


def _transpose(m: Mapper, node):
    given = _bind(node, ["dim0", "dim1"])
    rank = len(m.shape(node.args[0]) or ())
    a, b = (d + rank if d < 0 else d for d in (given["dim0"], given["dim1"]))
    if 0 in (a, b):
        raise _Unsupported(_op_name(node), "moves the batch dim; LayerLoom keeps it first.")
    dims = list(range(rank))
    dims[a], dims[b] = dims[b], dims[a]
    m.add(node, "Permute", {"dims": dims}, [node.args[0]])


def _alias(m: Mapper, node):
    m.value[node] = m.value[node.args[0]]


def _reduce(type_):
    def handle(m: Mapper, node):
        given = _bind(node, ["dim", "keepdim"], {"keepdim": False})
        dim = given.get("dim")
        if isinstance(dim, (tuple, list)) and len(dim) == 1:
            dim = dim[0]
        if not isinstance(dim, int) or given.get("dtype") is not None:
            raise _Unsupported(_op_name(node), "over all dims or several at once; reduce one dim per step.")
        m.add(node, type_, {"dim": dim, "keepdim": bool(given["keepdim"])}, [node.args[0]])

    return handle


def _narrow(m: Mapper, node):
    given = _bind(node, ["dim", "start", "length"])
    m.add(node, "Narrow", {k: given[k] for k in ("dim", "start", "length")}, [node.args[0]])


def _select(m: Mapper, node):
    given = _bind(node, ["dim", "index"])
    m.add(node, "Select", {"dim": given["dim"], "index": given["index"]}, [node.args[0]])


def _interpolate(m: Mapper, node):
    given = _bind(node, ["size", "scale_factor", "mode", "align_corners", "recompute_scale_factor", "antialias"])
    if given.pop("recompute_scale_factor", None) is not None or given.pop("antialias", False):
        raise _Unsupported("F.interpolate", "recompute_scale_factor and antialias have no equivalent.")
    params = {k: _norm(v) for k, v in given.items() if k in ("size", "scale_factor", "mode", "align_corners")}
    if isinstance(params.get("scale_factor"), (int, float)):
        params["scale_factor"] = float(params["scale_factor"])
    m.add(node, "Upsample", params, [node.args[0]])


def _arith_const(m: Mapper, node):
    """Integer arithmetic on sizes (``h * w`` from x.shape): a constant."""
    vals = [m.value.get(a) if isinstance(a, fx.Node) else ("const", a) for a in node.args]
    if all(v and v[0] == "const" for v in vals):
        m.value[node] = ("const", node.target(*(v[1] for v in vals)))
        return True
    return False


def _add(m: Mapper, node):
    if not _arith_const(m, node):
        _merge("Add")(m, node)


def _mul(m: Mapper, node):
    if not _arith_const(m, node):
        _merge("Multiply")(m, node)


def _int_only(op):
    def handle(m: Mapper, node):
        if not _arith_const(m, node):
            raise _Unsupported(op, "on tensors has no equivalent layer.")

    return handle


_POOLS = {
    "MaxPool1d": (F.max_pool1d, ["kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"]),
    "MaxPool2d": (F.max_pool2d, ["kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"]),
    "AvgPool1d": (F.avg_pool1d, ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"]),
    "AvgPool2d": (F.avg_pool2d, ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
                                 "divisor_override"]),
    "AdaptiveAvgPool1d": (F.adaptive_avg_pool1d, ["output_size"]),
    "AdaptiveAvgPool2d": (F.adaptive_avg_pool2d, ["output_size"]),
    "AdaptiveMaxPool1d": (F.adaptive_max_pool1d, ["output_size", "return_indices"]),
    "AdaptiveMaxPool2d": (F.adaptive_max_pool2d, ["output_size", "return_indices"]),
}  # fmt: skip

FUNCTIONS: dict = {
    operator.add: _add, operator.iadd: _add, torch.add: _add, operator.mul: _mul, operator.imul: _mul, torch.mul: _mul,
    operator.floordiv: _int_only("//"), operator.sub: _int_only("-"),
    operator.getitem: _getitem, getattr: _getattr,
    torch.cat: _cat, torch.concat: _cat, torch.flatten: _flatten, torch.reshape: _reshape,
    torch.permute: _permute, torch.transpose: _transpose, torch.squeeze: _to_shape, torch.unsqueeze: _to_shape,
    torch.narrow: _narrow, torch.select: _select, torch.sum: _reduce("Sum"), torch.mean: _reduce("Mean"),
    F.relu: _activation("ReLU"), torch.relu: _activation("ReLU"), F.relu6: _activation("ReLU6"),
    F.gelu: _activation("GELU"), F.silu: _activation("SiLU"), torch.sigmoid: _activation("Sigmoid"),
    F.sigmoid: _activation("Sigmoid"), torch.tanh: _activation("Tanh"), F.tanh: _activation("Tanh"),
    F.leaky_relu: _activation("LeakyReLU", ["negative_slope"]), F.elu: _activation("ELU", ["alpha"]),
    F.hardswish: _activation("Hardswish"),
    F.softmax: _activation("Softmax", ["dim"]), torch.softmax: _activation("Softmax", ["dim"]),
    F.log_softmax: _activation("LogSoftmax", ["dim"]), torch.log_softmax: _activation("LogSoftmax", ["dim"]),
    F.dropout: _dropout("Dropout"), F.dropout2d: _dropout("Dropout2d"), F.interpolate: _interpolate,
    **{fn: _pool(t, names) for t, (fn, names) in _POOLS.items()},
}  # fmt: skip

METHODS: dict = {
    "add": _add, "mul": _mul, "view": _reshape, "reshape": _reshape, "flatten": _flatten, "permute": _permute,
    "transpose": _transpose, "squeeze": _to_shape, "unsqueeze": _to_shape, "contiguous": _alias,
    "size": _size, "narrow": _narrow, "select": _select, "sum": _reduce("Sum"), "mean": _reduce("Mean"),
    "relu": _activation("ReLU"), "sigmoid": _activation("Sigmoid"), "tanh": _activation("Tanh"),
    "softmax": _activation("Softmax", ["dim"]), "log_softmax": _activation("LogSoftmax", ["dim"]),
}  # fmt: skip


# -- pass 3: rebuild the hierarchy --------------------------------------------------------------------------------
_BASE = re.compile(r"_\d+$")


class Rebuilder:
    """Units bottom-up; blocks for repeated structures; the top-level design last."""

    def __init__(self, mapper: Mapper, root: Scope, arg_names: dict[Scope, list[str]]):
        self.m, self.root = mapper, root
        self.arg_names = arg_names
        self.blocks: dict[str, dict] = {}  # name -> block dict (design format)
        self.block_params: dict[str, dict] = {}  # name -> {param: default}
        self.problems: list[Finding] = []
        self.ids: dict[tuple[Scope, fx.Node], str] = {}  # (scope, layer key) -> node id there
        self.items: dict[Scope, list] = {}  # scope -> its layers and child scopes, in graph order
        self.used_names: set[str] = set()

    # which scope holds what
    def collect(self) -> None:
        order = {n: i for i, n in enumerate(self.m.gm.graph.nodes)}
        all_scopes = list(_walk(self.root))
        for s in all_scopes:
            self.items[s] = []
        for key, layer in self.m.layers.items():
            self.items[self.m.scope[key]].append((order[key], layer))
        for s in all_scopes:
            if s.parent is not None:
                self.items[s.parent].append((s.start - 0.5, s))
        for s in all_scopes:
            self.items[s] = [x for _, x in sorted(self.items[s], key=lambda t: t[0])]
        for s in all_scopes:
            self._group(s)

        def height(s: Scope) -> int:
            s.height = 1 + max((height(c) for c in s.children), default=0)
            return s.height

        height(self.root)

    def _group(self, s: Scope) -> None:
        """Items named ``layers.0`` (a ModuleList's modules called in turn) become one group scope ``layers``."""
        groups: dict[str, list] = {}
        for item in self.items[s]:
            rel = self._rel(s, item)
            if rel is not None and "." in rel:
                groups.setdefault(rel.split(".", 1)[0], []).append(item)
        for prefix, members in groups.items():
            container = s.module.get_submodule(prefix)
            path = f"{s.path}.{prefix}" if s.path else prefix
            deep = [self._rel(s, it) for it in members if self._rel(s, it).count(".") > 1]
            if deep or not isinstance(container, (nn.ModuleList, nn.ModuleDict)):
                what = deep[0] if deep else prefix
                self.problems.append(Finding(type(container).__name__, s.path,
                                             f"module {what!r} is called from outside its own module's forward; "
                                             "LayerLoom keeps module names when each module is called by its "
                                             "parent."))  # fmt: skip
                continue
            g = Scope(path, container, s, "group", start=self._start(members[0]))
            outs_prev = None
            for item in members:
                ins, outs = self._io(item)
                if outs_prev is not None and ins != outs_prev:
                    self.problems.append(Finding(type(container).__name__, path,
                                                 "its modules are not called one after the other (x = m(x) for m "
                                                 "in the list); LayerLoom keeps a ModuleList as a chain."))  # fmt: skip
                    break
                outs_prev = outs
            g.args, g.ret = self._io(members[0])[0], outs_prev or []
            self.items[g] = members
            for item in members:
                if isinstance(item, Scope):
                    s.children.remove(item)
                    item.parent = g
                    g.children.append(item)
                else:
                    self.m.scope[item.key] = g
            s.children.append(g)
            at = self.items[s].index(members[0])
            self.items[s] = [x for x in self.items[s] if x not in members]
            self.items[s].insert(at, g)

    def _start(self, item) -> float:
        if isinstance(item, Scope):
            return item.start - 0.5
        return list(self.m.gm.graph.nodes).index(item.key)

    def _rel(self, s: Scope, item) -> str | None:
        path = item.path if isinstance(item, Scope) else item.module
        if path is None:
            return None
        return path[len(s.path) + 1 :] if s.path else path

    def _io(self, item) -> tuple[list, list]:
        if isinstance(item, Scope):
            return [self.m.key(a) for a in item.args], [self.m.key(r) for r in item.ret]
        return list(item.inputs), [item.key]

    # one unit
    def unit(self, s: Scope) -> tuple[list[dict], list[dict]]:
        nodes: list[dict] = []
        edges: list[dict] = []
        taken: set[str] = set()
        arg_keys = [self.m.key(a) for a in s.args]
        names = self.arg_names.get(s) or []
        in_ids = _port_ids([n for n in names] if len(names) == len(arg_keys) else [], len(arg_keys), "x")
        local: dict[fx.Node, tuple[str, int]] = {}
        if s.kind != "root":
            for k, nid in zip(arg_keys, in_ids):
                nodes.append({"id": nid, "type": "Input", "params": {}})
                local[k] = (nid, 0)
                taken.add(nid)
        # ids first (attribute names, then the functional nodes' names)
        item_ids: dict[int, str] = {}
        for i, item in enumerate(self.items[s]):
            rel = self._rel(s, item)
            if rel is not None and rel not in taken:  # (a module without weights may be called twice)
                item_ids[i] = rel
                taken.add(rel)
        for i, item in enumerate(self.items[s]):
            if i not in item_ids:
                item_ids[i] = _fresh(self._base(item), taken)
        for i, item in enumerate(self.items[s]):
            nid = item_ids[i]
            if isinstance(item, Scope):
                nodes.append({"id": nid, **copy.deepcopy(item.final)})
                for k, r in enumerate(item.ret):
                    local[self.m.key(r)] = (nid, k)
                for port, a in enumerate(item.args):
                    edges.append(self._edge(s, local, self.m.key(a), nid, port))
            else:
                nodes.append({"id": nid, "type": item.type, "params": copy.deepcopy(item.params)})
                local[item.key] = (nid, 0)
                for port, k in enumerate(item.inputs):
                    edges.append(self._edge(s, local, k, nid, port))
        outs = s.ret if s.kind != "group" else [None]
        out_keys = [self.m.key(r) for r in s.ret] if s.kind != "group" else list(s.ret)
        out_ids = _port_ids([], len(outs), "output" if s.kind == "root" else "y")
        for k, oid in zip(out_keys, out_ids):
            nodes.append({"id": oid, "type": "Output", "params": {}})
            edges.append(self._edge(s, local, k, oid, 0))
        return nodes, edges

    def _base(self, item) -> str:
        if isinstance(item, Scope):
            return item.name.replace(".", "_") or "block"
        if item.module:
            return item.module.rsplit(".", 1)[-1]
        if item.type == "Input":
            return item.key.target
        return _BASE.sub("", item.key.name) or "node"

    def _edge(self, s, local, key, target, port) -> dict:
        if key not in local:
            self.problems.append(Finding("value", s.path, f"a value reaches {target!r} from outside this module "
                                                          "without being passed to it as an argument."))  # fmt: skip
            return {"source": target, "target": target, "target_port": port}
        src, sport = local[key]
        e = {"source": src, "target": target}
        if port:
            e["target_port"] = port
        if sport:
            e["source_port"] = sport
        return e

    # the hierarchy
    def run(self) -> dict:
        scopes = [s for s in _walk(self.root) if s is not self.root]
        for h in range(1, self.root.height):
            level = [s for s in scopes if s.height == h]
            pending: dict[tuple, list] = {}
            for s in level:
                if s.kind in ("sequential", "group") and self._as_repeat(s):
                    continue
                nodes, edges = self.unit(s)
                # a user's class keeps its name; Sequentials of one structure are one block whatever they are called
                key = (type(s.module).__name__ if s.kind == "custom" else "", _structure(nodes, edges))
                pending.setdefault(key, []).append((s, nodes, edges))
            for members in pending.values():
                self._make_block(self._block_base(members[0][0]), members)
        nodes, edges = self.unit(self.root)
        return {"nodes": nodes, "edges": edges}

    def _as_repeat(self, s: Scope) -> bool:
        """An nn.Sequential / chained ModuleList of block instances: one node with ``repeat``."""
        items = self.items[s]
        if len(items) < 2 or not all(isinstance(i, Scope) and i.final and "repeat" not in i.final for i in items):
            return False
        if [str(i) for i in range(len(items))] != [self._rel(s, it) for it in items]:
            return False
        kinds = Counter(i.final["type"] for i in items)
        top = max(kinds.values())
        main = [i for i in reversed(items) if kinds[i.final["type"]] == top][0].final
        params = main["params"]
        overrides = {}
        for i, it in enumerate(items):
            f = it.final
            if any(k not in self.block_params[f["type"]] for k in params):
                return False
            diff = {k: v for k, v in f["params"].items() if params.get(k, self.block_params[f["type"]][k]) != v}
            o = {}
            if f["type"] != main["type"]:
                o["type"] = f["type"]
            if diff:
                o["params"] = diff
            if o:
                overrides[str(i)] = o
        if s.parent is not self.root and any("params" in o for o in overrides.values()):
            return False  # inside a block, a chain block's parameters can differ between its instances; overrides' not
        s.final = {"type": main["type"], "params": copy.deepcopy(params), "repeat": len(items)}
        if overrides:
            s.final["overrides"] = overrides
        return True

    def _block_base(self, s: Scope) -> str:
        if s.kind == "custom":
            name = type(s.module).__name__
        else:
            parts = [p for p in re.split(r"[._]", s.path) if p]
            tail = [*parts[-2:-1], "item"] if parts and parts[-1].isdigit() else parts[-1:]
            name = "".join(p[:1].upper() + p[1:] for p in tail) or "Stage"
        name = re.sub(r"\W", "", name)
        if not name or not (name[0].isalpha() or name[0] == "_"):
            name = "B" + name
        name = name[:56]
        if name in REGISTRY or name in ("Model", "Module", "Sequential"):
            name += "Block"
        return name

    def _make_block(self, base: str, members: list) -> None:
        """One block for units of one structure; the values that differ between them become its parameters (one
        per distinct column of values, named after the first place it is used: ``out_channels``, then
        ``conv3_out_channels``), each instance keeping its own values."""
        name = base
        n = 2
        while name in self.used_names:
            name, n = f"{base}{n}", n + 1
        self.used_names.add(name)
        first_nodes, first_edges = members[0][1], members[0][2]
        columns: dict[tuple, list] = {}
        for i, nd in enumerate(first_nodes):
            if nd["type"] == "Input":
                continue
            keys = sorted({k for mb in members for k in mb[1][i]["params"]})
            for k in keys:
                col = [json.dumps(self._value(mb[1][i], k), sort_keys=True) for mb in members]
                if len(set(col)) > 1:
                    columns[(nd["id"], k, i)] = col
        names: dict[tuple, str] = {}
        by_column: dict[tuple, str] = {}
        for nid, k, i in sorted(columns):
            col = tuple(columns[(nid, k, i)])
            if col not in by_column:
                taken = set(by_column.values())
                cand = k if k not in taken else f"{nid}_{k}" if nid.isidentifier() else f"n{nid}_{k}"
                by_column[col] = cand
            names[(nid, k, i)] = by_column[col]
        block_nodes = copy.deepcopy(first_nodes)
        defaults: dict[str, Any] = {}
        for (_nid, k, i), pname in names.items():
            defaults.setdefault(pname, self._value(block_nodes[i], k))
            block_nodes[i]["params"][k] = "$" + pname
        block = {"params": defaults} if defaults else {}
        self.blocks[name] = {**block, "nodes": block_nodes, "edges": first_edges}
        self.block_params[name] = defaults
        for s, nodes, _ in members:
            values = {pname: self._value(nodes[i], k) for (nid, k, i), pname in names.items()}
            s.final = {"type": name, "params": values}

    def _value(self, node: dict, key: str):
        """A node's parameter value, its default when it is not given."""
        if key in node["params"]:
            return node["params"][key]
        if node["type"] in self.block_params:
            return self.block_params[node["type"]].get(key)
        spec = REGISTRY.get(node["type"])
        return spec.params[key].default if spec and key in spec.params else None


def _walk(s: Scope):
    yield s
    for c in list(s.children):
        yield from _walk(c)


def _structure(nodes, edges) -> str:
    shape = [(n["id"], n["type"], n.get("repeat"), n.get("overrides")) for n in nodes]
    return json.dumps([shape, edges], sort_keys=True, default=str)


def _port_ids(names: list[str], n: int, stem: str) -> list[str]:
    """Ids whose sorted order is the port order (validation orders a block's Inputs and Outputs by id)."""
    if names and sorted(names) == names and len(set(names)) == n:
        return names
    if n == 1:
        return [names[0] if names else stem]
    width = len(str(n - 1))
    return [f"{stem}{i:0{width}d}" for i in range(n)]


def _fresh(base: str, taken: set[str]) -> str:
    base = re.sub(r"\W", "_", base) or "node"
    name, i = base, 1
    while name in taken:
        name, i = f"{base}_{i}", i + 1
    taken.add(name)
    return name


def _arg_names(scope: Scope) -> list[str]:
    import inspect

    try:
        sig = inspect.signature(type(scope.module).forward)
    except (TypeError, ValueError):
        return []
    return [p.name for p in list(sig.parameters.values())[1:] if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


# -- the whole import ---------------------------------------------------------------------------------------------
def import_module(module: nn.Module, example_inputs, *, name: str | None = None, partial: bool = False) -> Design:
    if not isinstance(module, nn.Module):
        raise TypeError(f"from_torch expects an nn.Module, received {type(module).__name__}")
    examples = tuple(example_inputs) if isinstance(example_inputs, (tuple, list)) else (example_inputs,)
    if not examples or not all(isinstance(x, torch.Tensor) for x in examples):
        raise TypeError("example_inputs must be a tensor or a tuple of tensors, batch first")
    what = f"{type(module).__name__}"
    modes = {m: m.training for m in module.modules()}
    try:
        module.train()  # trace what training runs (dropout with training=self.training)
        tracer = Tracer(module)
        try:
            graph = tracer.trace(module)
        except Exception as e:  # noqa: BLE001 - the user's code meeting proxies: control flow, unsupported calls
            scope = tracer.stack[-1]
            first = (str(e).strip().splitlines() or [type(e).__name__])[0]
            raise ImportProblem([Finding("tracing", scope.path, f"torch.fx cannot trace this forward: {first}. "
                                         "Python control flow that depends on tensor values (an if on a tensor, a "
                                         "loop over its size) cannot become a fixed graph; write it without.",
                                         _user_line(e.__traceback__))], what) from None  # fmt: skip
        if len(graph.nodes) > MAX_NODES:
            raise ImportProblem([Finding("graph", "", f"the traced graph has {len(graph.nodes):,} operations; "
                                                      f"expected at most {MAX_NODES:,}.")], what)  # fmt: skip
        gm = _Shapes(module, graph)
        module.eval()
        with torch.no_grad():
            gm.run(*examples)
    finally:
        for m, mode in modes.items():
            m.training = mode
    root = tracer.top
    root.args = [n for n in graph.nodes if n.op == "placeholder"]
    out_node = next(n for n in graph.nodes if n.op == "output")
    ret = out_node.args[0]
    root.ret = list(ret) if isinstance(ret, (tuple, list)) else [ret]
    problems = list(tracer.problems)
    if not all(isinstance(r, fx.Node) for r in root.ret):
        problems.append(Finding("output", "", "the forward returns something other than a tensor or a tuple of "
                                              "tensors (a dict, None, a number)."))  # fmt: skip
    mapper = Mapper(gm, root)
    _mark_sequence_uses(mapper)
    mapper.run()
    problems += mapper.problems
    design_name = name or _design_name(type(module).__name__)
    if problems and not partial:
        raise ImportProblem(problems, what)
    if problems:
        design = _flat_design(mapper, root, design_name, problems)
    else:
        names = {s: _arg_names(s) for s in _walk(root) if s is not root}
        rb = Rebuilder(mapper, root, names)
        rb.collect()
        if rb.problems:
            raise ImportProblem(rb.problems, what)
        top = rb.run()
        if rb.problems:
            raise ImportProblem(rb.problems, what)
        from ..design import from_dict

        data = {"version": 2 if rb.blocks else 1, "name": design_name, **top}
        if rb.blocks:
            data["blocks"] = rb.blocks
        design = from_dict(data)
    design.metadata["import"] = {"from": f"torch:{what}", "problems": [str(p) for p in problems]}
    from .check import attach_weights

    attach_weights(design, module, examples, partial=bool(problems), mapper=mapper)
    return design


def _mark_sequence_uses(m: Mapper) -> None:
    """For each RNN, whether its every-step outputs are used other than at the last step (decided up front so a
    last-step use can fuse into the layer)."""
    last_idx = ((slice(None), -1), (slice(None), -1, slice(None)))
    for node in m.gm.graph.nodes:
        if node.op != "call_module":
            continue
        sub = m.gm.get_submodule(node.target)
        if leaf_type(sub) not in RECURRENT:
            continue
        used = False
        for g in node.users:
            if g.target is operator.getitem and g.args[1] == 0:
                for u in g.users:
                    is_last = u.target is operator.getitem and u.args[1] in last_idx
                    bidir_cat = (u.target is operator.getitem and len(u.users) == 1
                                 and next(iter(u.users)).target in (torch.cat, torch.concat))  # fmt: skip
                    if not (is_last or bidir_cat):
                        used = True
        m._sequence_used[node] = used


def _design_name(cls: str) -> str:
    name = re.sub(r"\W", "_", cls) or "imported"
    if not name[0].isalpha():
        name = "m_" + name
    return name[:64] if NAME.fullmatch(name[:64]) else "imported"


def _flat_design(m: Mapper, root: Scope, name: str, problems) -> Design:
    """``partial``: every layer that could be mapped and does not depend on one that could not, in one flat graph
    (module paths become ids: ``layer1.0.conv1`` -> ``layer1_0_conv1``); what fed a dropped layer is an output."""
    keep: dict[fx.Node, str] = {}
    taken: set[str] = set()
    for node in m.gm.graph.nodes:
        layer = m.layers.get(node)
        if layer is None or not all(i in keep for i in layer.inputs):
            continue
        base = layer.module.replace(".", "_") if layer.module else (node.target if layer.type == "Input" else
                                                                    _BASE.sub("", node.name))  # fmt: skip
        keep[node] = _fresh(base, taken)
    nodes = [Node(keep[k], m.layers[k].type, copy.deepcopy(m.layers[k].params)) for k in keep]
    edges = [Edge(keep[i], keep[k], port) for k in keep for port, i in enumerate(m.layers[k].inputs)]
    used = {i for k in keep for i in m.layers[k].inputs}
    wanted = [m.key(r) for r in root.ret]
    ends = [k for k in keep if k in wanted] + [k for k in keep if k not in used and k not in wanted
                                               and m.layers[k].type != "Input"]  # fmt: skip
    frontier = [k for k in keep if any(u not in keep and u in m.layers for u in _users_layers(m, k))]
    outs = list(dict.fromkeys([*ends, *frontier]))
    ids = _port_ids([], len(outs), "output")
    for k, oid in zip(outs, ids):
        nodes.append(Node(oid, "Output"))
        edges.append(Edge(keep[k], oid))
    d = Design(name, nodes, edges)
    d.metadata["import_ids"] = {keep[k]: m.layers[k].module for k in keep if m.layers[k].module}
    return d


def _users_layers(m: Mapper, key: fx.Node) -> list[fx.Node]:
    return [k for k, layer in m.layers.items() if key in layer.inputs]
