"""Importing an ONNX file: parse it with onnx (no code runs), map each operator to a catalogue layer, keep the
initializers as the design's weights, and check the design's model against onnxruntime.

The file is run once by onnxruntime on a random batch, every intermediate tensor returned, to learn each tensor's
shape (a design's sample shapes are fixed) and the values of the small shape computations exporters emit
(``Shape → Gather → Concat → Reshape``): those are settled to constants, and only the operators on the data's
path become layers. Patterns fuse back where they are recognisable: ``MatMul`` + ``Add`` of initializers is a
Linear, ``Gather`` of an initializer is an Embedding, ``Transpose → LSTM → Squeeze → Transpose`` is one batch-first
LSTM (gates reordered to torch's), a Gather of the last step after it is ``return_sequences=False``. An ONNX
export folds each BatchNorm into the convolution before it, so those come back as one Conv with a bias.
"""

from __future__ import annotations

import copy
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..design import NAME, Design, Edge, Node
from . import Finding, ImportProblem

MAX_BYTES = 1 << 30  # an ONNX file read from disk (a VGG-16 is 528 MB)
MAX_NODES = 20_000
OPSETS = range(13, 22)  # the default domain's versions that load
TOLERANCE = 1e-4  # largest difference from onnxruntime allowed, relative to the outputs' magnitude (at least 1)
BATCH = 2  # the batch onnxruntime runs to learn the shapes
RECURRENT = {"LSTM": ("LSTM", 4, [0, 2, 3, 1]), "GRU": ("GRU", 3, [1, 0, 2]), "RNN": ("RNN", 1, [0])}
# ONNX gate order -> torch's: LSTM i,o,f,c -> i,f,c(g),o; GRU z,r,h -> r,z,n


@dataclass
class Layer:
    id: str
    type: str
    params: dict[str, Any]
    inputs: list[str]  # design node ids
    weights: dict[str, np.ndarray]  # state_dict suffix ("weight") -> array


class _Unsupported(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def import_onnx(path, *, name: str | None = None, partial: bool = False, input_shapes=None) -> Design:
    model = _read(path)
    what = Path(path).name if isinstance(path, (str, os.PathLike)) else "the ONNX model"
    problems = _check_model(model)
    if problems:
        raise ImportProblem(problems, what)
    values, inputs = _run_all(model, input_shapes, what)
    m = _Mapper(model, values)
    for i in inputs:
        m.add_input(i)
    for node in model.graph.node:
        if any(x in m.failed for x in node.input if x):
            m.failed.update(node.output)
            continue
        try:
            m.visit(node)
        except _Unsupported as e:
            m.failed.update(node.output)
            m.problems.append(Finding(node.op_type, _module_of(node), e.message))
    if m.problems and not partial:
        raise ImportProblem(m.problems, what)
    m.fuse_last_steps()
    outputs = [o.name for o in model.graph.output]
    kept = [o for o in outputs if o in m.value and m.value[o][0] == "layer"]
    if m.problems:  # partial: what fed a dropped operator becomes an output
        used = {i for layer in m.layers.values() for i in layer.inputs}
        ends = [lid for lid in m.layers if lid not in used and m.layers[lid].type != "Input"]
        out_ids = list(dict.fromkeys([m.value[o][1] for o in kept] + ends))
        out_names = [None] * len(out_ids)
    else:
        lost = [o for o in outputs if m.value.get(o, ("",))[0] != "layer"]
        if lost:  # (an RNN's final state Y_h, say: nothing in the design computes it)
            raise ImportProblem([Finding("output", o, "the model returns it, but no layer of the design computes it "
                                         "(an RNN's final hidden state Y_h is not read; return the RNN's outputs Y).")
                                 for o in lost], what)  # fmt: skip
        out_ids = [m.value[o][1] for o in outputs]
        out_names = outputs
    design = _design(m, name or _name(model, what), out_ids, out_names)
    design.metadata["import"] = {"from": f"onnx:{what}", "opset": _opset(model)}
    if m.problems:
        design.metadata["import"]["problems"] = [str(p) for p in m.problems]
    _attach(design, m, model, values, inputs, check=not m.problems, what=what)
    return design


def _read(path):
    import onnx

    if isinstance(path, (bytes, bytearray)):
        data = bytes(path)
        if len(data) > MAX_BYTES:
            raise ImportProblem([Finding("file", "", f"{len(data) / 2**20:.0f} MiB; expected at most "
                                                     f"{MAX_BYTES / 2**20:.0f} MiB.")], "the file")  # fmt: skip
    else:
        p = Path(path)
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise ImportProblem([Finding("file", "", f"{p.name} is {size / 2**20:.0f} MiB; expected at most "
                                                     f"{MAX_BYTES / 2**20:.0f} MiB.")], p.name)  # fmt: skip
        data = p.read_bytes()
    try:
        model = onnx.load_model_from_string(data)
    except Exception as e:  # noqa: BLE001 - not protobuf, truncated
        raise ImportProblem([Finding("file", "", f"not an ONNX model ({type(e).__name__}: {str(e)[:200]}).")],
                            "the file") from None  # fmt: skip
    return model


def _opset(model) -> int | None:
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)


def _check_model(model) -> list[Finding]:
    import onnx

    out = []
    opset = _opset(model)
    if opset not in OPSETS:
        out.append(Finding("opset", "", f"the file uses opset {opset}; LayerLoom reads opsets {OPSETS.start} to "
                                        f"{OPSETS.stop - 1}. Export with one of those."))  # fmt: skip
    if model.graph.node and len(model.graph.node) > MAX_NODES:
        out.append(Finding("graph", "", f"{len(model.graph.node):,} operators; expected at most {MAX_NODES:,}."))
    for node in model.graph.node:
        if node.domain not in ("", "ai.onnx"):
            out.append(Finding(node.op_type, _module_of(node), f"an operator of domain {node.domain!r}; LayerLoom "
                                                               "reads the standard operators only."))  # fmt: skip
    if model.functions:
        out.append(Finding("functions", "", "the file defines ONNX functions; export without them (inlined)."))
    if any(init.data_location == onnx.TensorProto.EXTERNAL for init in model.graph.initializer):
        out.append(Finding("weights", "", "its weights are in an external file; export them inside the .onnx."))
    return out


def _run_all(model, input_shapes, what):
    """Every tensor's value for a random batch of BATCH, from onnxruntime; and the inputs as (name, shape, dtype)."""
    import onnx
    import onnxruntime as ort

    inits = {i.name for i in model.graph.initializer}
    inputs, feed, problems = [], {}, []
    rng = np.random.default_rng(0)
    given = dict(input_shapes or {})
    for i in model.graph.input:
        if i.name in inits:
            continue
        t = i.type.tensor_type
        dims = [d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim]
        sample = given.get(i.name, dims[1:])
        if not dims or any(d is None or d < 1 for d in sample):
            problems.append(Finding("input", "", f"input {i.name!r} has dynamic dims besides the batch "
                                                 f"({[d.dim_param or d.dim_value for d in t.shape.dim]}): give one "
                                                 "sample's shape (input_shapes / --input-shape)."))  # fmt: skip
            continue
        if t.elem_type == onnx.TensorProto.FLOAT:
            dtype, arr = "float32", rng.standard_normal((BATCH, *sample)).astype(np.float32)
        elif t.elem_type == onnx.TensorProto.INT64:
            dtype, arr = "int64", rng.integers(0, 2, (BATCH, *sample)).astype(np.int64)
        else:
            problems.append(Finding("input", "", f"input {i.name!r} is not float32 or int64."))
            continue
        inputs.append((i.name, list(sample), dtype))
        feed[i.name] = arr
    if problems:
        raise ImportProblem(problems, what)
    probe = copy.deepcopy(model)
    have = {o.name for o in probe.graph.output}
    names = [o for n in probe.graph.node for o in n.output if o and o not in have]
    probe.graph.output.extend([onnx.ValueInfoProto(name=n) for n in names])
    try:
        session = ort.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
        outs = session.run(None, feed)
    except Exception as e:  # noqa: BLE001 - onnxruntime's own message says which node
        raise ImportProblem([Finding("onnxruntime", "", f"cannot run the model: {str(e).strip()[:300]}")],
                            what) from None  # fmt: skip
    values = {o.name: v for o, v in zip(session.get_outputs(), outs)}
    values.update(feed)
    for init in model.graph.initializer:
        values[init.name] = onnx.numpy_helper.to_array(init)
    return values, inputs


def _module_of(node) -> str:
    """``/layer1/layer1.0/conv1/Conv`` -> ``layer1.0.conv1`` (the exporter's module path)."""
    parts = [p for p in (node.name or "").split("/") if p]
    return parts[-2] if len(parts) >= 2 and "." in parts[-2] else ".".join(p.split(".")[-1] for p in parts[:-1])


def _attrs(node) -> dict:
    import onnx

    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


class _Mapper:
    def __init__(self, model, values):
        self.model, self.values = model, values
        self.inits = {i.name for i in model.graph.initializer}
        self.layers: dict[str, Layer] = {}
        self.value: dict[str, tuple] = {}  # tensor name -> ("layer", id) | ("tm", id) | ("rnnY", id) | ...
        self.problems: list[Finding] = []
        self.failed: set[str] = set()
        self.taken: set[str] = set()
        consumers: dict[str, list] = {}
        for n in model.graph.node:
            for i in n.input:
                consumers.setdefault(i, []).append(n)
        self.consumers = consumers

    # helpers
    def const(self, name: str):
        if not name:
            return None
        v = self.value.get(name)
        if name in self.inits or (v and v[0] == "const"):
            return self.values[name]
        return None

    def data(self, name: str) -> str:
        v = self.value.get(name)
        if v is None or v[0] != "layer":
            raise _Unsupported(f"its input {name!r} is not a tensor LayerLoom can follow here.")
        return v[1]

    def shape(self, name: str) -> tuple[int, ...]:
        return tuple(self.values[name].shape)

    def fresh(self, base: str) -> str:
        base = re.sub(r"\W", "_", base).strip("_") or "node"
        if not (base[0].isalpha() or base[0] == "_"):
            base = "n_" + base
        base = base[:100]
        name, i = base, 1
        while name in self.taken:
            name, i = f"{base}_{i}", i + 1
        self.taken.add(name)
        return name

    def layer(self, node, type_: str, params: dict, inputs: list[str], weights=None, base=None) -> str:
        from ..registry import REGISTRY

        spec = REGISTRY[type_]
        kept = {k: v for k, v in params.items() if k not in spec.params or v != spec.params[k].default}
        weight_name = next((i for i in node.input[1:] if i in self.inits and not i.startswith("onnx::")), None)
        if base is None:
            if weight_name and weight_name.rsplit(".", 1)[-1] in ("weight", "bias"):
                base = weight_name.rsplit(".", 1)[0]
            else:
                base = _module_of(node) or node.op_type.lower()
        lid = self.fresh(base.replace(".", "_"))
        self.layers[lid] = Layer(lid, type_, kept, [self.data(i) for i in inputs], weights or {})
        self.value[node.output[0]] = ("layer", lid)
        return lid

    def add_input(self, i) -> None:
        name, shape, dtype = i
        lid = self.fresh(name)
        self.layers[lid] = Layer(lid, "Input", {"shape": shape, **({"dtype": dtype} if dtype != "float32" else {})},
                                 [], {})  # fmt: skip
        self.value[name] = ("layer", lid)

    def visit(self, node) -> None:
        op = node.op_type
        ins = [i for i in node.input]
        data_ins = [i for i in ins if i and i not in self.inits and self.value.get(i, ("const",))[0] != "const"]
        if op in ("Constant", "Shape", "Size", "ConstantOfShape", "Range") or not data_ins:
            for o in node.output:
                self.value[o] = ("const",)  # settled by onnxruntime's run
            return
        handler = getattr(self, f"op_{op}", None)
        if handler is None:
            raise _Unsupported("has no equivalent in the layer catalogue.")
        handler(node, _attrs(node))

    # operators
    def _conv(self, node, a, transpose=False):
        w = self.const(node.input[1])
        if w is None:
            raise _Unsupported("its weight is computed, not an initializer.")
        rank = w.ndim - 2
        if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
            raise _Unsupported("auto_pad has no equivalent; export with explicit pads.")
        pads = list(a.get("pads", [0] * 2 * rank))
        if pads[:rank] != pads[rank:]:
            raise _Unsupported(f"pads {pads} are not the same on both sides.")
        group = a.get("group", 1)
        out = w.shape[1] * group if transpose else w.shape[0]
        t = f"{'ConvTranspose' if transpose else 'Conv'}{rank}d"
        from ..registry import REGISTRY

        if t not in REGISTRY:
            raise _Unsupported(f"a {rank}-D {'transposed ' if transpose else ''}convolution has no equivalent.")
        params = {"out_channels": int(out), "kernel_size": _one(list(w.shape[2:])), "stride": _one(a.get("strides")),
                  "padding": _one(pads[:rank]), "dilation": _one(a.get("dilations")), "groups": group,
                  "bias": len(node.input) > 2 and bool(node.input[2])}  # fmt: skip
        if transpose:
            params["output_padding"] = _one(a.get("output_padding"))
        params = {k: v for k, v in params.items() if v is not None}
        weights = {"weight": w}
        if params["bias"]:
            weights["bias"] = self.const(node.input[2])
        self.layer(node, t, params, [node.input[0]], weights)

    def op_Conv(self, node, a):
        self._conv(node, a)

    def op_ConvTranspose(self, node, a):
        if a.get("output_shape"):
            raise _Unsupported("output_shape has no equivalent; export with output_padding.")
        self._conv(node, a, transpose=True)

    def op_Gemm(self, node, a):
        w = self.const(node.input[1])
        if w is None or a.get("transA", 0) or a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0:
            raise _Unsupported("only x @ W.T + b with an initializer W maps to a Linear.")
        w = w if a.get("transB", 0) else w.T
        bias = self.const(node.input[2]) if len(node.input) > 2 and node.input[2] else None
        weights = {"weight": w, **({"bias": np.broadcast_to(bias, (w.shape[0],)).copy()} if bias is not None else {})}
        self.layer(node, "Linear", {"out_features": int(w.shape[0]), "bias": bias is not None}, [node.input[0]],
                   weights)  # fmt: skip

    def op_MatMul(self, node, a):
        w = self.const(node.input[1])
        if w is None or w.ndim != 2:
            raise _Unsupported("of two computed tensors has no equivalent layer (only x @ W with an initializer W).")
        users = self.consumers.get(node.output[0], [])
        bias = None
        if len(users) == 1 and users[0].op_type == "Add":
            other = [i for i in users[0].input if i != node.output[0]]
            b = self.const(other[0]) if other else None
            if b is not None and b.shape == (w.shape[1],):
                bias = b
        lid = self.layer(node, "Linear", {"out_features": int(w.shape[1]), "bias": bias is not None},
                         [node.input[0]], {"weight": w.T.copy(), **({"bias": bias} if bias is not None else {})})  # fmt: skip
        if bias is not None:
            self.value[users[0].output[0]] = ("layer", lid)  # the Add is the Linear's bias

    def _binary(self, node, type_):
        if node.output[0] in self.value:  # a bias fused into its MatMul
            return
        if len(node.input) != 2 or any(self.const(i) is not None for i in node.input):
            raise _Unsupported("with a constant operand has no equivalent layer.")
        self.layer(node, type_, {}, list(node.input))

    def op_Add(self, node, a):
        self._binary(node, "Add")

    def op_Mul(self, node, a):
        self._binary(node, "Multiply")

    def _unary(self, node, type_, params=None):
        self.layer(node, type_, params or {}, [node.input[0]])

    def op_Relu(self, node, a):
        self._unary(node, "ReLU")

    def op_Sigmoid(self, node, a):
        self._unary(node, "Sigmoid")

    def op_Tanh(self, node, a):
        self._unary(node, "Tanh")

    def op_HardSwish(self, node, a):
        self._unary(node, "Hardswish")

    def op_LeakyRelu(self, node, a):
        self._unary(node, "LeakyReLU", {"negative_slope": round(float(a.get("alpha", 0.01)), 7)})

    def op_Elu(self, node, a):
        self._unary(node, "ELU", {"alpha": round(float(a.get("alpha", 1.0)), 7)})

    def op_Gelu(self, node, a):
        approx = a.get("approximate", b"none")
        self._unary(node, "GELU", {"approximate": approx.decode() if isinstance(approx, bytes) else approx})

    def op_Softmax(self, node, a):
        self._unary(node, "Softmax", {"dim": int(a.get("axis", -1))})

    def op_LogSoftmax(self, node, a):
        self._unary(node, "LogSoftmax", {"dim": int(a.get("axis", -1))})

    def op_Clip(self, node, a):
        lo, hi = (self.const(node.input[k]) if len(node.input) > k else None for k in (1, 2))
        if lo is not None and hi is not None and float(lo) == 0.0 and float(hi) == 6.0:
            self._unary(node, "ReLU6")
        else:
            raise _Unsupported("only Clip(0, 6), a ReLU6, has an equivalent.")

    def op_PRelu(self, node, a):
        slope = self.const(node.input[1])
        if slope is None:
            raise _Unsupported("its slope is computed, not an initializer.")
        flat = slope.reshape(-1)
        self.layer(node, "PReLU", {"num_parameters": int(flat.size)}, [node.input[0]], {"weight": flat.copy()})

    def op_Identity(self, node, a):
        self.value[node.output[0]] = self.value[node.input[0]]

    op_Dropout = op_Identity

    def _pool(self, node, a, kind):
        rank = len(self.shape(node.input[0])) - 2
        k = list(a.get("kernel_shape"))
        pads = list(a.get("pads", [0] * 2 * rank))
        if pads[:rank] != pads[rank:]:
            raise _Unsupported(f"pads {pads} are not the same on both sides.")
        params = {"kernel_size": _one(k), "stride": _one(a.get("strides")) or 1, "padding": _one(pads[:rank]),
                  "ceil_mode": bool(a.get("ceil_mode", 0))}  # fmt: skip
        if params["stride"] == params["kernel_size"]:
            params["stride"] = None
        if kind == "Max":
            params["dilation"] = _one(a.get("dilations")) or 1
            if len(node.output) > 1 and node.output[1]:
                raise _Unsupported("its indices output has no equivalent.")
        else:
            params["count_include_pad"] = bool(a.get("count_include_pad", 0))
        self.layer(node, f"{kind}Pool{rank}d", params, [node.input[0]])

    def op_MaxPool(self, node, a):
        self._pool(node, a, "Max")

    def op_AveragePool(self, node, a):
        self._pool(node, a, "Avg")

    def op_GlobalAveragePool(self, node, a):
        rank = len(self.shape(node.input[0])) - 2
        self.layer(node, f"AdaptiveAvgPool{rank}d", {"output_size": 1}, [node.input[0]])

    def op_GlobalMaxPool(self, node, a):
        rank = len(self.shape(node.input[0])) - 2
        self.layer(node, f"AdaptiveMaxPool{rank}d", {"output_size": 1}, [node.input[0]])

    def op_BatchNormalization(self, node, a):
        scale, bias, mean, var = (self.const(i) for i in node.input[1:5])
        if any(v is None for v in (scale, bias, mean, var)):
            raise _Unsupported("its statistics are computed, not initializers.")
        rank = len(self.shape(node.input[0])) - 1
        t = {1: "BatchNorm1d", 2: "BatchNorm1d", 3: "BatchNorm2d", 4: "BatchNorm3d"}[min(rank, 4)]
        self.layer(node, t, {"eps": round(float(a.get("epsilon", 1e-5)), 9),
                             "momentum": round(1 - float(a.get("momentum", 0.9)), 7)}, [node.input[0]],
                   {"weight": scale, "bias": bias, "running_mean": mean, "running_var": var,
                    "num_batches_tracked": np.array(0, dtype=np.int64)})  # fmt: skip

    def op_LayerNormalization(self, node, a):
        scale = self.const(node.input[1])
        bias = self.const(node.input[2]) if len(node.input) > 2 and node.input[2] else None
        shape = self.shape(node.input[0])
        axis = int(a.get("axis", -1))
        axis = axis + len(shape) if axis < 0 else axis
        if scale is None or axis == 0:
            raise _Unsupported("its scale is computed, or it normalizes over the batch.")
        params = {"normalized_shape": list(shape[axis:]), "eps": round(float(a.get("epsilon", 1e-5)), 9),
                  "bias": bias is not None}  # fmt: skip
        if len(shape) - axis == 1:
            params.pop("normalized_shape")
        self.layer(node, "LayerNorm", params, [node.input[0]],
                   {"weight": scale, **({"bias": bias} if bias is not None else {})})  # fmt: skip

    def op_Flatten(self, node, a):
        if int(a.get("axis", 1)) != 1:
            raise _Unsupported("only Flatten(axis=1) keeps the batch dim.")
        self.layer(node, "Flatten", {}, [node.input[0]])

    def _reshape(self, node, a=None):
        src, out = self.shape(node.input[0]), self.shape(node.output[0])
        v = self.value.get(node.input[0])
        if v and v[0] == "rnnTN2H" and len(out) == 3 and out[2] == src[2] * src[3]:
            self.value[node.output[0]] = ("rnnTNH", v[1])  # both directions side by side, as torch returns them
            return
        if out[:1] != src[:1]:
            raise _Unsupported("changes the batch dim; LayerLoom reshapes each sample.")
        if out[1:] == src[1:]:
            self.value[node.output[0]] = self.value[node.input[0]]
            return
        self.layer(node, "Reshape", {"shape": list(out[1:])}, [node.input[0]])

    op_Reshape = op_Squeeze = op_Unsqueeze = _reshape

    def op_Transpose(self, node, a):
        perm = list(a.get("perm", []))
        users = self.consumers.get(node.output[0], [])
        v = self.value.get(node.input[0])
        rnn_users = [u for u in users if u.op_type != "Shape"]  # (the exporter reads the batch size off it)
        if perm == [1, 0, 2] and rnn_users and all(u.op_type in RECURRENT and u.input[0] == node.output[0]
                                                   for u in rnn_users):  # fmt: skip
            self.value[node.output[0]] = ("tm", self.data(node.input[0]))  # time-major view for an RNN
            return
        if perm == [1, 0, 2] and v and v[0] == "rnnTNH":
            self.value[node.output[0]] = ("layer", v[1])  # back to batch first: the RNN's every-step outputs
            return
        if perm == [0, 2, 1, 3] and v and v[0] == "rnnY2":
            self.value[node.output[0]] = ("rnnTN2H", v[1])  # (T, N, directions, H): next, the two joined
            return
        if not perm or perm[0] != 0:
            raise _Unsupported(f"perm {perm} moves the batch dim; LayerLoom keeps it first.")
        self.layer(node, "Permute", {"dims": perm}, [node.input[0]])

    def op_Concat(self, node, a):
        axis = int(a.get("axis", 0))
        if axis == 0:
            raise _Unsupported("joins along the batch dim.")
        self.layer(node, "Concat", {"dim": axis}, list(node.input))

    def op_Gather(self, node, a):
        table, idx = self.const(node.input[0]), node.input[1]
        axis = int(a.get("axis", 0))
        if table is not None and table.ndim == 2 and axis == 0:
            lid = self.layer(node, "Embedding", {"num_embeddings": int(table.shape[0]),
                                                 "embedding_dim": int(table.shape[1])}, [idx], {"weight": table},
                             base=node.input[0].rsplit(".", 1)[0] if "." in node.input[0] else None)  # fmt: skip
            return lid
        index = self.const(idx)
        if index is None or index.ndim != 0 or axis == 0:
            raise _Unsupported("of computed indices (or along the batch) has no equivalent layer.")
        self.layer(node, "Select", {"dim": axis, "index": int(index)}, [node.input[0]])

    def op_Slice(self, node, a):
        starts, ends = self.const(node.input[1]), self.const(node.input[2])
        axes = self.const(node.input[3]) if len(node.input) > 3 and node.input[3] else None
        steps = self.const(node.input[4]) if len(node.input) > 4 and node.input[4] else None
        if starts is None or ends is None or len(starts) != 1 or (steps is not None and int(steps[0]) != 1):
            raise _Unsupported("only a constant range of one dim, step 1, has an equivalent (Narrow).")
        shape = self.shape(node.input[0])
        axis = int(axes[0]) if axes is not None else 0
        axis = axis + len(shape) if axis < 0 else axis
        if axis == 0:
            raise _Unsupported("slices the batch dim.")
        start, stop, _ = slice(int(starts[0]), int(ends[0])).indices(shape[axis])
        self.layer(node, "Narrow", {"dim": axis, "start": start, "length": stop - start}, [node.input[0]])

    def _reduce(self, node, a, type_):
        axes = a.get("axes")
        if axes is None and len(node.input) > 1 and node.input[1]:
            axes = self.const(node.input[1])
        axes = [int(x) for x in np.array(axes).reshape(-1)] if axes is not None else []
        if len(axes) != 1 or axes[0] == 0:
            raise _Unsupported("over several dims (or the batch) at once; LayerLoom reduces one dim per layer.")
        self.layer(node, type_, {"dim": axes[0], "keepdim": bool(a.get("keepdims", 1))}, [node.input[0]])

    def op_ReduceMean(self, node, a):
        self._reduce(node, a, "Mean")

    def op_ReduceSum(self, node, a):
        self._reduce(node, a, "Sum")

    def _recurrent(self, node, a):
        type_, gates, order = RECURRENT[node.op_type]
        v = self.value.get(node.input[0])
        if not v or v[0] not in ("tm", "rnnTNH"):
            raise _Unsupported("its input is not a batch-first tensor made time-major (Transpose 1, 0, 2).")
        direction = a.get("direction", b"forward")
        direction = direction.decode() if isinstance(direction, bytes) else direction
        if direction not in ("forward", "bidirectional"):
            raise _Unsupported("a reverse-only ONNX RNN has no equivalent; export it forward or bidirectional.")
        both = direction == "bidirectional"
        if a.get("layout", 0) or (len(node.input) > 4 and node.input[4]):
            raise _Unsupported("layout=1 and sequence_lens have no equivalent.")
        for k in (5, 6):
            if len(node.input) > k and node.input[k] and np.any(self.values[node.input[k]]):
                raise _Unsupported("a non-zero initial state has no equivalent.")
        if len(node.output) > 1 and any(self.consumers.get(o) for o in node.output[1:] if o):
            raise _Unsupported("its final hidden state (Y_h) is used; LayerLoom's RNN gives its outputs (Y).")
        w, r = self.const(node.input[1]), self.const(node.input[2])
        b = self.const(node.input[3]) if len(node.input) > 3 and node.input[3] else None
        h = int(a["hidden_size"])
        params = {"hidden_size": h, "bias": b is not None, "bidirectional": both}
        if node.op_type == "GRU" and not a.get("linear_before_reset", 0):
            raise _Unsupported("linear_before_reset=0 differs from torch's GRU.")
        if node.op_type == "RNN":
            acts = [x.decode() if isinstance(x, bytes) else x for x in a.get("activations", [b"Tanh"])]
            params["nonlinearity"] = acts[0].lower()

        def torch_order(m):
            blocks = m.reshape(gates, h, *m.shape[1:])
            return blocks[order].reshape(gates * h, *m.shape[1:]).copy()

        below = self.layers.get(v[1]) if v[0] == "rnnTNH" else None
        stack = (below is not None and below.type == type_ and below.params.get("hidden_size", 64) == h
                 and below.params.get("bias", True) == (b is not None)
                 and below.params.get("nonlinearity", "tanh") == params.get("nonlinearity", "tanh")
                 and below.params.get("bidirectional", False) == both
                 and len(self.consumers.get(node.input[0], [])) == 1)  # fmt: skip
        k = below.params.get("num_layers", 1) if stack else 0
        weights = {}
        for d in range(2 if both else 1):  # ONNX holds the directions in dim 0; torch names the second _reverse
            tail = f"_l{k}" + ("_reverse" if d else "")
            weights[f"weight_ih{tail}"], weights[f"weight_hh{tail}"] = torch_order(w[d]), torch_order(r[d])
            if b is not None:
                weights[f"bias_ih{tail}"] = torch_order(b[d][: gates * h])
                weights[f"bias_hh{tail}"] = torch_order(b[d][gates * h :])
        y = "rnnY2" if both else "rnnY"  # Y is (T, directions, N, H)
        if stack:  # the next layer of a stacked RNN (num_layers > 1 exports one ONNX node per layer)
            below.params["num_layers"] = k + 1
            below.weights.update(weights)
            self.value[node.output[0]] = (y, below.id)
            return
        from ..registry import REGISTRY

        lid = self.fresh((_module_of(node) or type_.lower()).replace(".", "_"))
        spec = REGISTRY[type_]
        kept = {k: val for k, val in params.items() if val != spec.params[k].default}
        self.layers[lid] = Layer(lid, type_, kept, [v[1]], weights)
        self.value[node.output[0]] = (y, lid)

    op_LSTM = op_GRU = op_RNN = _recurrent

    def fuse_last_steps(self) -> None:
        """An RNN whose every-step outputs only feed a Select of the last step returns that step itself."""
        users: dict[str, list[str]] = {}
        for lid, layer in self.layers.items():
            for i in layer.inputs:
                users.setdefault(i, []).append(lid)
        for lid, layer in list(self.layers.items()):
            if layer.type not in ("LSTM", "GRU", "RNN"):
                continue
            if layer.params.get("bidirectional"):
                self._fuse_bidirectional_last(lid, layer, users)
                continue
            after = users.get(lid, [])
            sel = self.layers.get(after[0]) if len(after) == 1 else None
            last = sel is not None and sel.params.get("dim", 1) == 1 and sel.params.get("index", -1) == -1
            if sel and sel.type == "Select" and last:
                self._last_step(lid, sel.id, [sel.id])

    def _last_step(self, lid: str, read: str, gone: list[str]) -> None:
        """RNN ``lid`` returns its last step itself: what read it (``read``) is now ``lid``; ``gone`` go."""
        self.layers[lid].params["return_sequences"] = False
        for other in self.layers.values():
            other.inputs = [lid if i == read else i for i in other.inputs]
        for name, v in self.value.items():
            if v == ("layer", read):
                self.value[name] = ("layer", lid)
        for x in gone:
            del self.layers[x]

    def _fuse_bidirectional_last(self, lid: str, layer, users: dict) -> None:
        """A bidirectional RNN read as [forward half of the last step, backward half of the first step],
        concatenated — what LayerLoom's own bidirectional last step is — returns that itself."""
        from ..registry import REGISTRY

        def full(x) -> dict:  # (a layer's params leave its defaults out)
            return {k: x.params.get(k, q.default) for k, q in REGISTRY[x.type].params.items()}

        h = layer.params.get("hidden_size", 64)
        after = [self.layers[u] for u in users.get(lid, [])]
        sel = {full(s)["index"]: s for s in after if s.type == "Select" and full(s)["dim"] == 1}
        if len(after) != 2 or set(sel) != {-1, 0}:
            return

        def narrowed(s, start):
            u = [self.layers[x] for x in users.get(s.id, [])]
            ok = len(u) == 1 and u[0].type == "Narrow" and full(u[0]) == {"dim": 1, "start": start, "length": h}
            return u[0] if ok else None

        fwd, bwd = narrowed(sel[-1], 0), narrowed(sel[0], h)
        cats = {x for n in (fwd, bwd) if n is not None for x in users.get(n.id, [])}
        cat = self.layers.get(next(iter(cats))) if fwd and bwd and len(cats) == 1 else None
        if cat is None or cat.type != "Concat" or full(cat)["dim"] != 1 or cat.inputs != [fwd.id, bwd.id]:
            return
        self._last_step(lid, cat.id, [sel[-1].id, sel[0].id, fwd.id, bwd.id, cat.id])


def _squeeze_rnn(self, node, a):
    v = self.value.get(node.input[0])
    if v and v[0] == "rnnY":
        axes = a.get("axes")
        if axes is None and len(node.input) > 1:
            axes = self.const(node.input[1])
        if [int(x) for x in np.array(axes).reshape(-1)] == [1]:
            self.value[node.output[0]] = ("rnnTNH", v[1])
            return
    self._reshape(node)


_Mapper.op_Squeeze = _squeeze_rnn


def _one(values):
    if values is None:
        return None
    values = [int(v) for v in values]
    return values[0] if values and all(v == values[0] for v in values) else values


def _name(model, what) -> str:
    base = Path(what).stem if what else (model.graph.name or "imported")
    name = re.sub(r"\W", "_", base) or "imported"
    if not name[0].isalpha():
        name = "m_" + name
    return name[:64] if NAME.fullmatch(name[:64]) else "imported"


def _design(m: _Mapper, name: str, out_ids: list[str], out_names: list) -> Design:
    from .torch_fx import _port_ids

    nodes = [Node(layer.id, layer.type, copy.deepcopy(layer.params)) for layer in m.layers.values()]
    edges = [Edge(src, layer.id, port) for layer in m.layers.values() for port, src in enumerate(layer.inputs)]
    wanted = [re.sub(r"\W", "_", n) if n else "" for n in out_names]
    ids = _port_ids([w for w in wanted] if all(wanted) else [], len(out_ids), "output")
    ids = [i if i not in m.taken else f"{i}_out" for i in ids]
    ids = ids if sorted(ids) == ids else _port_ids([], len(out_ids), "output")
    for src, oid in zip(out_ids, ids):
        nodes.append(Node(oid, "Output"))
        edges.append(Edge(src, oid))
    return Design(name, nodes, edges)


def _attach(design, m: _Mapper, model, values, inputs, check: bool, what: str) -> None:
    import torch

    from .check import checked_model

    model_t = checked_model(design, what)
    own = model_t.state_dict()
    state = {}
    for layer in m.layers.values():
        for suffix, arr in layer.weights.items():
            key = f"{layer.id}.{suffix}"
            if key not in own or tuple(own[key].shape) != tuple(np.shape(arr)):
                raise ImportProblem([Finding("weights", layer.id, f"{key!r} does not fit the design's model "
                                                                  f"({tuple(np.shape(arr))}).")], what)  # fmt: skip
            state[key] = torch.from_numpy(np.array(arr)).to(own[key].dtype)
    missing = [k for k in own if k not in state]
    if missing:
        raise ImportProblem([Finding("weights", "", f"no initializer for {missing[0]!r}.")], what)
    model_t.load_state_dict(state, strict=True)
    if check:
        model_t.eval()
        feed = [torch.from_numpy(values[n]) for n, _, _ in inputs]
        with torch.no_grad():
            got = model_t(*feed)
        got = got if isinstance(got, (tuple, list)) else (got,)
        worst = 0.0
        for o, g in zip(model.graph.output, got):
            want = values[o.name]
            scale = max(1.0, float(np.abs(want).max()) if want.size else 1.0)
            worst = max(worst, float(np.abs(want.astype(np.float64) - g.double().numpy()).max()) / scale)
        if worst > TOLERANCE:
            raise ImportProblem([Finding("outputs", "", f"the design's model differs from onnxruntime by {worst:.2e} "
                                                        f"(relative; allowed {TOLERANCE:.0e}). Please report this "
                                                        "file: an operator was mapped wrongly.")], what)  # fmt: skip
    design.weights = state
