"""Validation: structural checks on the networkx graph, parameter checks, shape propagation.

``validate(design)`` never raises for a bad design: it returns every issue at once, each saying what is wrong,
what was expected, what was received and how to fix it, naming every node involved. Nodes downstream of a
broken node get no shape and no further (cascading) messages.
"""

from __future__ import annotations

import difflib
import heapq
import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import networkx as nx

from . import layers  # noqa: F401  (registers every spec)
from .budget import MAX_PARAMS, MAX_SAMPLE_BYTES, gb
from .design import Design
from .params import ParamError
from .registry import REGISTRY, Params, ShapeError, TensorType, fmt_shape

INSIDE = "\x00inside"  # a shape rule's message for "the issues are inside this block instance, by path"

ERROR, WARNING = "error", "warning"


class Issue(NamedTuple):
    node: str | None
    param: str | None
    severity: str
    message: str

    def to_dict(self) -> dict:
        return self._asdict()


class DesignError(ValueError):
    """A design that cannot be built; ``issues`` lists every problem."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        errors = [i for i in issues if i.severity == ERROR] or issues
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(errors[0].message + more if errors else "invalid design")


@dataclass
class NodeInfo:
    type: str
    shape: tuple[int, ...] | None = None  # output shape without the batch dim; None when unknown
    dtype: str | None = None
    params: int = 0
    macs: int = 0

    @property
    def activation_bytes(self) -> int:
        """Bytes of this node's output for one sample."""
        if self.shape is None:
            return 0
        return math.prod(self.shape) * (8 if self.dtype == "int64" else 4)


@dataclass
class Validation:
    nodes: dict[str, NodeInfo] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    order: list[str] = field(default_factory=list)  # topological order of the nodes that feed an Output
    inputs: dict[str, list[str]] = field(default_factory=dict)  # node -> its sources, by port
    resolved: dict[str, Params] = field(default_factory=dict)  # node -> checked params, defaults filled in
    types: dict[str, TensorType] = field(default_factory=dict)  # node -> output type, for nodes that have one
    params: int = 0
    macs: int = 0
    blocks: dict[str, dict] = field(default_factory=dict)  # block name -> {"instances", "params", "macs"}
    source: Design | None = field(default=None, repr=False)  # a design with blocks: the design it checked
    _expansion: Any = field(default=None, repr=False)

    @property
    def hierarchical(self) -> bool:
        """The report of a design with blocks: node ids inside instances are paths (``layer2/0/conv1``)."""
        return self.source is not None

    @property
    def expansion(self):
        """A design with blocks: its unrolled form (builder.blocks.Expansion: the flat design and where every
        instance is), made on first use; None for a design without blocks."""
        if self._expansion is None and self.source is not None:
            from .blocks import expand

            self._expansion = expand(self.source)
        return self._expansion

    @property
    def flat(self) -> Design | None:
        """A design with blocks: the unrolled design these shapes are of (node ids are paths)."""
        return self.expansion.flat if self.source is not None else None

    @property
    def valid(self) -> bool:
        return not any(i.severity == ERROR for i in self.issues)

    @property
    def activations(self) -> dict[str, int]:
        """Bytes of each model node's output for one sample, in model order; an Output is its input's tensor,
        so it is not counted again."""
        return {n: self.nodes[n].activation_bytes for n in self.order if self.nodes[n].type != "Output"}

    @property
    def activation_bytes(self) -> int:
        """Bytes of every activation of one sample (what training keeps per sample for the backward pass)."""
        return sum(self.activations.values())

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == ERROR]

    def types_in(self, node_id: str) -> list[TensorType]:
        return [self.types[s] for s in self.inputs[node_id]]

    def to_json(self) -> dict:
        return {
            "valid": self.valid,
            "nodes": {
                k: {"type": v.type, "shape": list(v.shape) if v.shape is not None else None, "dtype": v.dtype,
                    "params": v.params, "macs": v.macs}
                for k, v in self.nodes.items()
            },
            "params": self.params,
            "macs": self.macs,
            "activation_bytes": self.activation_bytes,
            "issues": [i.to_dict() for i in self.issues],
        }  # fmt: skip


def label(node) -> str:
    return f"{node.type} {node.id!r}"


# -- parameters -------------------------------------------------------------------------------------------
# Designs repeat layers (VGG's convs, ResNet's blocks), so checked params and shape-rule results are memoized
# by the node's type and params (and input types). Values are node-independent: messages get the node's
# label when they are reported.
_PARAM_CACHE: dict = {}
_INFER_CACHE: dict = {}
_CACHE_LIMIT = 50_000
MAX_NODE_PARAMS = 2**31 - 1  # a bigger layer cannot be built on ordinary machines (8 GB of float32 weights)
MAX_DIM = 2**31 - 1  # torch indexes a dim with int64, but kernels and ONNX assume int32 sizes
MAX_SAMPLE_ELEMENTS = MAX_SAMPLE_BYTES // 4  # one activation of one sample: 1 GiB of float32


def check_params(node, spec=None) -> tuple[Params, list[tuple[str, str]], tuple]:
    """Checked params with defaults filled in; (param, message) for every bad or unknown one; a cache key (None:
    not cached — a block instance, whose spec is its design's)."""
    cacheable = spec is None
    spec = spec or REGISTRY[node.type]
    try:
        key = (node.type, repr(node.params)) if cacheable else None
    except ValueError:  # an int too long to print (only a Design built in Python can hold one)
        return Params(), [(None, "a parameter holds an integer with more than 4,300 digits. Use a normal value.")], None
    hit = _PARAM_CACHE.get(key) if cacheable else None
    if hit is not None:
        return hit
    p, problems = Params(), []
    for name, schema in spec.params.items():
        raw = node.params.get(name, schema.default)
        try:
            p[name] = schema.check(raw)
        except ParamError as e:
            problems.append((name, f"{name} {e}. {schema.help[:1].upper()}{schema.help[1:]}."))
            p[name] = schema.default
        except (ArithmeticError, ValueError, TypeError) as e:  # a value no schema foresaw
            problems.append((name, f"{name} cannot be read ({type(e).__name__}: {e}). {schema.help}."))
            p[name] = schema.default
    for name in node.params:
        if name not in spec.params:
            close = difflib.get_close_matches(name, list(spec.params), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            known = ", ".join(spec.params) or "none"
            msg = f"unknown parameter {name!r}.{hint} {node.type} takes: {known}."
            if name in spec.inferred:
                msg = f"{name} is taken from the incoming shape; remove it from params."
            elif name in spec.fixed_kwargs:
                msg = f"{name} is always {spec.fixed_kwargs[name]!r} here (LayerLoom's tensors are batch-first); remove it from params."
            problems.append((name, msg))
    result = (p, problems, key)
    if cacheable:
        if len(_PARAM_CACHE) > _CACHE_LIMIT:
            _PARAM_CACHE.clear()
        _PARAM_CACHE[key] = result
    return result


# -- structure --------------------------------------------------------------------------------------------
def _structure(design: Design, v: Validation, add, specs: dict) -> tuple[dict, nx.DiGraph, dict]:
    """Ids, types and edges. Returns the node table, the graph of the well-formed edges, and each node's
    sources by port."""
    table = {}
    for n in design.nodes:
        if n.id in table:
            add(n.id, None, f"{label(n)}: the id {n.id!r} is used by more than one node. Give each node its own id.")
            continue
        table[n.id] = n
        if n.type not in REGISTRY and n.id not in specs:
            close = difflib.get_close_matches(n.type, list(REGISTRY), n=1)
            hint = f"Did you mean {close[0]!r}?" if close else "See `python -m builder layers` for the list."
            add(n.id, None, f"Node {n.id!r}: unknown layer type {n.type!r}. {hint}")
        v.nodes[n.id] = NodeInfo(n.type)
    g = nx.DiGraph()  # connectivity only: ports live in `incoming`, so a node feeding two ports is one edge
    g.add_nodes_from(table)
    incoming: dict[str, dict[int, str]] = {k: {} for k in table}
    for e in design.edges:
        missing = [x for x in (e.source, e.target) if x not in table]
        if missing:
            known = e.target if e.source in missing else e.source
            add(known if known in table else None, None,
                f"The edge {e.source!r} → {e.target!r} refers to {' and '.join(map(repr, missing))}, which is not "
                "a node of this design. Remove the edge or add the node.")  # fmt: skip
            continue
        src, dst = table[e.source], table[e.target]
        if e.source_port:
            add(src.id, None, f"{label(src)}: has one output but the edge to {dst.id!r} uses source_port "
                              f"{e.source_port}. Use source_port 0.")  # fmt: skip
            continue
        if dst.type == "Input":
            add(dst.id, None, f"{label(dst)}: an Input takes no inputs, but {src.id!r} is connected to it. "
                              "Remove the edge, or connect to the layer after the Input.")  # fmt: skip
            continue
        if src.type == "Output":
            add(src.id, None, f"{label(src)}: an Output ends the model and cannot feed {dst.id!r}. Connect "
                              f"{dst.id!r} to the node before the Output instead.")  # fmt: skip
            continue
        if e.target_port in incoming[dst.id]:
            other = incoming[dst.id][e.target_port]
            add(
                dst.id,
                None,
                f"{label(dst)}: input port {e.target_port} is connected twice, from {other!r} "
                f"and {src.id!r}. Expected one source per port. Move one edge to a free port.",
            )
            continue  # fmt: skip
        incoming[dst.id][e.target_port] = src.id
        g.add_edge(src.id, dst.id)
    return table, g, incoming


def _ports(node, ports: dict[int, str], v: Validation, add, spec) -> bool:
    if spec is None:
        return False
    n, lo, hi = len(ports), spec.min_inputs, spec.max_inputs
    if n == 1 and lo <= 1 and 0 in ports:  # the common case: one input on port 0
        v.inputs[node.id] = [ports[0]]
        return True
    names = spec.port_names
    if hi is not None and n > hi:
        extra = [ports[k] for k in sorted(ports)[hi:]]
        want = "no inputs" if hi == 0 else f"at most {hi} input{'s' if hi > 1 else ''}"
        add(node.id, None, f"{label(node)}: too many inputs: expected {want}, received {n} (extra: "
                           f"{', '.join(map(repr, extra))}). Remove the extra edges.")  # fmt: skip
        return False
    top = max(ports, default=-1)
    if hi is not None and top >= hi:  # a port the layer does not have: one issue, whatever its number
        have = "port 0" if hi == 1 else f"ports 0 to {hi - 1}"
        add(node.id, None, f"{label(node)}: the edge from {ports[top]!r} goes to input port {top}, but "
                           f"{node.type} has {have}. Connect it to {'port 0' if hi == 1 else 'a free port'}.")  # fmt: skip
        return False
    # the first missing ports (at most 5): ports are distinct, so they lie in 0..n+5 whatever numbers are used
    gaps = [i for i in range(max(lo, min(top + 1, n + 5))) if i not in ports][:5]
    if gaps:
        what = ", ".join(f"{i} ({names[i]})" if i < len(names) else str(i) for i in gaps)
        if top + 1 - n > len(gaps):
            what += f" and {top + 1 - n - len(gaps):,} more"
        if hi == 1:  # a single-input layer with nothing connected
            add(node.id, None, f"{label(node)}: its input is not connected. Expected 1 input (port 0), received "
                               "none. Connect the layer before it.")  # fmt: skip
            return False
        need = f"{lo} input{'s' if lo != 1 else ''}" + ("" if hi == lo else " or more" if hi is None else f" to {hi}")
        add(node.id, None, f"{label(node)}: input port {what} is not connected. Expected {need} on ports 0, 1, … "
                           f"Received {n}. Connect a node to port {gaps[0]}.")  # fmt: skip
        return False
    v.inputs[node.id] = [ports[i] for i in range(n)]
    return True


def _design_order(g: nx.DiGraph, index: dict[str, int]) -> tuple[list[str], set[str]]:
    """Kahn's topological sort that prefers the design's own node order (so generated code reads in the order
    the user laid out branches). Returns the order and the nodes left over: on, or behind, a cycle."""
    indegree = {n: len(p) for n, p in g.pred.items()}
    ready = [index[n] for n, d in indegree.items() if d == 0]
    heapq.heapify(ready)
    ids = list(index)
    order = []
    while ready:
        n = ids[heapq.heappop(ready)]
        order.append(n)
        for m in g.succ[n]:
            indegree[m] -= 1
            if indegree[m] == 0:
                heapq.heappush(ready, index[m])
    return order, set(g) - set(order) if len(order) < len(g) else set()


def _cycles(g: nx.DiGraph, table, add) -> set[str]:
    """Report one cycle per strongly connected component; return every node on a cycle."""
    on_cycle: set[str] = set()
    for comp in nx.strongly_connected_components(g):
        if len(comp) == 1 and not g.has_edge(next(iter(comp)), next(iter(comp))):
            continue
        on_cycle |= comp
        cycle = [a for a, _, *_ in nx.find_cycle(g.subgraph(comp))]
        path = " → ".join(map(repr, cycle + cycle[:1]))
        add(cycle[0], None, f"{label(table[cycle[0]])}: is on a cycle {path}. A model must flow one way. "
                            "Remove one of these edges.")  # fmt: skip
    return on_cycle


# -- shapes -----------------------------------------------------------------------------------------------
def _infer(node, key, v: Validation, add, spec) -> None:
    sources = v.inputs[node.id]
    ins = [v.types[s] for s in sources]
    if not spec.accepts_int:
        for i, t in enumerate(ins):
            if t.dtype == "int64":
                add(node.id, None, f"{label(node)}: expects float32 input but input {i} from {sources[i]!r} is "
                                   f"int64 {fmt_shape(t.shape)} (token ids). Add an Embedding before it, or set "
                                   "the Input's dtype to float32.")  # fmt: skip
                return
    ikey = (key, *ins)
    result = _INFER_CACHE.get(ikey) if key is not None else None
    if result is None:
        result = _run_rule(spec, v.resolved[node.id], ins)
        if key is not None:
            if len(_INFER_CACHE) > _CACHE_LIMIT:
                _INFER_CACHE.clear()
            _INFER_CACHE[ikey] = result
    out, n_params, macs, notes = result
    if out is None:
        param, msg = notes
        if msg == INSIDE:  # a block instance whose issues are reported inside it, each by its path
            return
        for i, s in enumerate(sources):
            msg = msg.replace(f"\x00{i}\x00", repr(s))
        add(node.id, param, f"{label(node)}: {msg}")
        return
    if n_params > MAX_NODE_PARAMS:
        add(node.id, None, f"{label(node)}: has {n_params:,} parameters ({n_params * 4 / 2**30:.1f} GB as float32). "
                           f"Expected at most {MAX_NODE_PARAMS:,} per layer. Make the layer smaller.")  # fmt: skip
        return
    v.types[node.id] = out
    info = v.nodes[node.id]
    info.shape, info.dtype, info.params, info.macs = out.shape, out.dtype, n_params, macs
    for param, msg in notes:
        add(node.id, param, f"{label(node)}: {msg}", WARNING)


def _run_rule(spec, p, ins):
    """(output type, params, MACs, warnings), or (None, 0, 0, (param, message)) when the rule rejects."""
    try:
        out = spec.infer(p, ins)
        out = TensorType(tuple(out.shape), out.dtype)
        n_params = spec.count_params(p, ins)
        if n_params > MAX_NODE_PARAMS:
            return out, n_params, 0, ()  # reported by _infer, which names the parameter count
        big = next((d for d in out.shape if d > MAX_DIM), None)
        if big is not None or math.prod(out.shape) > MAX_SAMPLE_ELEMENTS:
            return None, 0, 0, (None, f"its output {fmt_shape(out.shape)} is too large: expected at most "
                                      f"{MAX_SAMPLE_ELEMENTS:,} values per sample and {MAX_DIM:,} per dim, received "
                                      f"{math.prod(out.shape):,}. Make the layer's output smaller.")  # fmt: skip
        return out, n_params, spec.count_macs(p, ins, out), tuple(spec.warnings(p, ins))
    except ShapeError as e:
        return None, 0, 0, (e.param, e.message)
    except (ArithmeticError, ValueError, TypeError, MemoryError) as e:  # e.g. scale_factor 1e308: int(inf)
        return None, 0, 0, (None, f"its output shape cannot be computed from these parameters ({type(e).__name__}: "
                                  f"{e}). Use smaller, finite values.")  # fmt: skip


def validate(design: Design) -> Validation:
    """Check a design; return shapes, counts and every issue. Never raises for a bad design."""
    if design.multi:
        return _validate_networks(design)
    if design.hierarchical:
        return _validate_blocks(design)
    return _validate(design)


def _validate(design: Design, specs: dict | None = None, limits: bool = True, shapes: bool = True) -> Validation:
    """Check one graph. ``specs``: node id -> the spec of a node that is not a layer type (a block instance,
    from builder.hierarchy); ``limits``: apply the whole-design size limits (not to one block alone); ``shapes``:
    infer shapes (a block that no shapes reach is checked without)."""
    specs = specs or {}
    v = Validation()

    def add(node, param, message, severity=ERROR):
        v.issues.append(Issue(node, param, severity, message))

    table, g, incoming = _structure(design, v, add, specs)
    spec_of = {nid: specs.get(nid) or REGISTRY.get(n.type) for nid, n in table.items()}
    kinds = [n.type for n in table.values()]
    if "Input" not in kinds:
        add(None, None, "The design has no Input node. Add an Input and set its shape to one sample's shape.")
    if "Output" not in kinds:
        add(None, None, "The design has no Output node. Add an Output after the layer that gives the prediction.")

    ok, keys = set(), {}
    for nid, node in table.items():
        if spec_of[nid] is None:
            continue
        p, problems, keys[nid] = check_params(node, specs.get(nid))
        v.resolved[nid] = p
        for param, msg in problems:
            add(nid, param, f"{label(node)}: {msg}")
        if _ports(node, incoming[nid], v, add, spec_of[nid]) and not problems:
            ok.add(nid)

    order, blocked = _design_order(g, {nid: i for i, nid in enumerate(table)})
    if blocked:
        _cycles(g.subgraph(blocked), table, add)
    types = {k: n.type for k, n in table.items()}
    for nid in order:
        node = table[nid]
        if shapes and nid in ok and all(s in v.types for s in v.inputs[nid]):
            _infer(node, keys[nid], v, add, spec_of[nid])
            if v.nodes[nid].shape is not None:
                for msg in spec_of[nid].graph_warnings(nid, v, types):
                    add(nid, None, f"{label(node)}: {msg}", WARNING)

    outputs = [nid for nid, n in table.items() if n.type == "Output"]
    live, stack = set(outputs), list(outputs)
    while stack:  # everything upstream of an Output
        for src in g.pred[stack.pop()]:
            if src not in live and src not in blocked:
                live.add(src)
                stack.append(src)
    for nid, node in table.items():
        if nid not in live and nid not in blocked:
            what = "is not used by any Output" if node.type == "Input" else "is on no path to an Output"
            add(nid, None, f"{label(node)}: {what}, so it is not part of the model. Connect it, or delete it.", WARNING)
    v.order = [nid for nid in order if nid in live]
    v.params = sum(v.nodes[n].params for n in v.order)
    v.macs = sum(v.nodes[n].macs for n in v.order)
    if limits:
        _design_limits(v, table, add)
    return v


def _design_limits(v: Validation, table, add) -> None:
    """Whole-design size limits from the shape pass: total parameters and one sample's activations."""
    if not v.order:
        return
    if v.params > MAX_PARAMS:
        top = max(v.order, key=lambda n: v.nodes[n].params)
        add(top, None, f"The design has {v.params:,} parameters ({gb(v.params * 4)} as float32); expected at most "
                       f"{MAX_PARAMS:,}. The largest layer is {label(table[top])} with {v.nodes[top].params:,}. "
                       "Make the largest layers smaller.")  # fmt: skip
    if v.activation_bytes > MAX_SAMPLE_BYTES:
        top = max(v.order, key=lambda n: v.nodes[n].activation_bytes)
        add(top, None, f"One sample's activations take {gb(v.activation_bytes)}; expected at most "
                       f"{gb(MAX_SAMPLE_BYTES)}. The largest is {label(table[top])}: {fmt_shape(v.nodes[top].shape)}, "
                       f"{gb(v.nodes[top].activation_bytes)}. Make its output smaller (fewer channels, more "
                       "stride or pooling).")  # fmt: skip


def _validate_blocks(design: Design) -> Validation:
    """A design with blocks: the unrolled design's report (issues name paths such as ``layer2/0/conv1``), the
    hierarchy's own problems first, and totals for every instance, repeat and block."""
    from .blocks import expand
    from .hierarchy import validate_blocks

    if all(len(b.output_ids) == 1 for b in design.blocks.values()) and design.blocks:
        v = validate_blocks(design)  # each distinct instance checked once
        v.source = design
        v.issues = _fold_unused(design, v.issues)
        return v
    x = expand(design)  # blocks with several outputs: check the unrolled design
    v = validate(x.flat)
    v.issues = [Issue(path, None, ERROR, msg) for path, msg in x.problems] + _fold_unused(design, v.issues)
    v.source, v._expansion = design, x
    totals: dict[str, list[int]] = {path: [0, 0] for path in (*x.instances, *x.repeats)}
    for nid in v.order:
        info = v.nodes[nid]
        parts = nid.split("/")
        for k in range(1, len(parts)):
            t = totals.get("/".join(parts[:k]))
            if t is not None:
                t[0] += info.params
                t[1] += info.macs
    for path, (n_params, macs) in totals.items():
        out = x.outputs.get(path) or []
        src = v.nodes.get(out[0]) if out else None
        kind = x.instances[path].block if path in x.instances else x.instances[x.repeats[path][0]].block
        v.nodes[path] = NodeInfo(kind, src.shape if src else None, src.dtype if src else None, n_params, macs)
    for path, inst in x.instances.items():
        b = v.blocks.setdefault(inst.block, {"instances": 0, "params": 0, "macs": 0})
        b["instances"] += 1
        b["params"] += totals[path][0]
        b["macs"] += totals[path][1]
    return v


def _fold_unused(design: Design, issues: list[Issue]) -> list[Issue]:
    """One "not part of the model" warning per top-level instance, not one per layer inside it (an unconnected
    DenseNet would otherwise list 424)."""
    top = {n.id for n in design.nodes if n.type in design.blocks}
    unused: dict[str, int] = {}
    out = []
    for i in issues:
        owner = i.node.split("/", 1)[0] if i.node and "/" in i.node else None
        if owner in top and i.severity == WARNING and "is on no path to an Output" in i.message:
            if owner not in unused:
                out.append(owner)  # its place in the list
            unused[owner] = unused.get(owner, 0) + 1
            continue
        out.append(i)
    return [Issue(i, None, WARNING, f"{design.node(i).type} {i!r}: its {unused[i]} layer{'s' * (unused[i] != 1)} "
                  "are on no path to an Output, so they are not part of the model. Connect it, or delete it.")
            if isinstance(i, str) else i for i in out]  # fmt: skip


def _validate_networks(design: Design) -> Validation:
    """A multi-network file: validate each network; node ids are reported as 'network/node'."""
    return combine({name: validate(sub) for name, sub in design.networks.items()})


def combine(reports: dict[str, Validation]) -> Validation:
    """One report of several networks' (a GAN's): node ids become 'network/node', messages start '[network]',
    sizes add up (so budgets cover every network)."""
    out = Validation()
    for name, r in reports.items():
        out.nodes.update({f"{name}/{k}": n for k, n in r.nodes.items()})
        out.issues += [i._replace(node=f"{name}/{i.node}" if i.node else None, message=f"[{name}] {i.message}")
                       for i in r.issues]  # fmt: skip
        out.order += [f"{name}/{k}" for k in r.order]  # so sizes and budgets cover every network
        out.params += r.params
        out.macs += r.macs
    return out
