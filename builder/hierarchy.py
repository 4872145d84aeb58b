"""Validating a design with blocks one block at a time: each block instance is checked once per distinct
(block, parameter values, input types) and its result placed under every path that has it.

The result is the same report as validating the unrolled design (:func:`builder.blocks.expand`), with the same
path ids, shapes, checked parameters and issues, but a design that repeats a block does not re-check each copy:
a 1,000-layer design of 10 blocks × repeat 10 checks ~100 layers. Each block is validated as a small design of
its own (its Inputs given the instance's input types) by the one validator in :mod:`builder.validate`, with an
instance inside it standing in as one node whose shape rule is this module's. Node ids inside a block are
written with the marker ``SENT`` in front, so one result serves every path: placing it replaces the marker by
the path in ids and messages.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from .design import Design, Edge, Node
from .registry import ShapeError, TensorType
from .validate import ERROR, INSIDE, Issue, NodeInfo, Validation, _design_limits, _validate

SENT = "⦃⦄/"  # a block's node ids while it is checked alone: replaced by the instance's path when placed


class _Any:
    """A block parameter's schema: any JSON value (the layers inside check what they receive)."""

    def __init__(self, default):
        self.default, self.required, self.help = default, False, "a parameter of the block"

    def check(self, value):
        return value


@dataclass
class Unit:
    """One block checked for one set of values and input types. Ids are relative to the instance's path; an
    input reference is an int (the instance's input port) or a relative id."""

    nodes: dict = field(default_factory=dict)
    resolved: dict = field(default_factory=dict)
    types: dict = field(default_factory=dict)
    inputs: dict = field(default_factory=dict)
    order: list = field(default_factory=list)
    issues: list = field(default_factory=list)
    outputs: list = field(default_factory=list)  # per Output: its reference
    out_types: list = field(default_factory=list)
    params: int = 0
    macs: int = 0
    blocks: dict = field(default_factory=dict)  # block -> [instances, params, macs] inside this one
    ok: bool = True


class InstanceSpec:
    """How the validator sees a block instance (or a repeat of them): one node with the block's input ports,
    the block's parameters, and a shape rule that checks the block (memoized) for the types it receives."""

    category, probe, helpers, inferred, fixed_kwargs, accepts_int, cacheable = "Blocks", None, (), (), {}, True, False

    def __init__(self, ctx: _Context, node: Node, stack: tuple):
        self.ctx, self.node, self.stack = ctx, node, stack
        block = ctx.design.blocks[node.type]
        self.type = node.type
        self.params = {k: _Any(v) for k, v in block.params.items()}
        self.port_names = tuple(block.input_ids)
        self.min_inputs = self.max_inputs = len(self.port_names)
        self.units: list[tuple[str, Unit]] = []

    @functools.cached_property
    def chain(self) -> list[tuple[str | None, dict | None, str | None]]:
        """(block, its values, a problem) for each instance (one, or the repeat's); a block of None ends it."""
        from .blocks import instances

        node = self.node
        return instances(node, node.params, self.ctx.design.blocks, self.stack, node.id, checked=True)

    def infer(self, p, ins):
        self.units = []
        types = list(ins)
        for kind, values, _ in self.chain:
            if kind is None:
                raise ShapeError(INSIDE)
            u = self.ctx.unit(kind, values, types, (*self.stack, kind))
            self.units.append((kind, u))
            if not u.ok:
                raise ShapeError(INSIDE)
            types = u.out_types
        return types[0]

    def count_params(self, p, ins) -> int:
        return sum(u.params for _, u in self.units)

    def count_macs(self, p, ins, out) -> int:
        return sum(u.macs for _, u in self.units)

    def warnings(self, p, ins):
        return ()

    def graph_warnings(self, nid, v, types):
        return ()


class _Context:
    def __init__(self, design: Design):
        self.design = design
        self.memo: dict = {}

    def unit(self, name: str, values: dict, in_types: list[TensorType], stack: tuple) -> Unit:
        key = (name, json.dumps(values, sort_keys=True, default=repr), tuple(in_types))
        hit = self.memo.get(key)
        if hit is None:
            hit = self.memo[key] = self._check(name, values, in_types, stack)
        return hit

    def unchecked(self, name: str, values: dict, stack: tuple) -> Unit:
        """A block no shapes reach (something before it is broken): its parameters and wiring are still checked,
        so every issue is reported at once."""
        key = (name, json.dumps(values, sort_keys=True, default=repr), None)
        hit = self.memo.get(key)
        if hit is None:
            hit = self.memo[key] = self._check(name, values, None, stack)
        return hit

    def _check(self, name: str, values: dict, in_types: list[TensorType] | None, stack: tuple) -> Unit:
        from .blocks import substitute

        block = self.design.blocks[name]
        ins = block.input_ids
        nodes, problems = [], []
        for n in block.nodes:
            nid = SENT + n.id
            if n.type == "Input":
                t = in_types[ins.index(n.id)] if in_types is not None else TensorType((1,), "float32")
                nodes.append(Node(nid, "Input", {"shape": list(t.shape), "dtype": t.dtype}))
                continue
            unknown: list = []
            params = {k: substitute(v, values, unknown) for k, v in n.params.items()}
            for u in unknown:
                have = ", ".join(block.params) or "none"
                problems.append(Issue(nid, None, ERROR, f"{nid}: {n.type} refers to ${u}, but block {name!r} has no "
                                                        f"parameter {u!r} (it has: {have}). Add it to the block's "
                                                        "parameters or use a value."))  # fmt: skip
            node = Node(nid, n.type, params)
            node.repeat, node.overrides = n.repeat, n.overrides
            nodes.append(node)
        edges = [Edge(SENT + e.source, SENT + e.target, e.target_port, e.source_port) for e in block.edges]
        sub = Design(name, nodes, edges)
        v, specs = self.level(sub, stack, shapes=in_types is not None)
        v.issues = problems + [_in_block(i, name) for i in v.issues]
        return flatten(v, sub, specs, ins)

    def level(self, net: Design, stack: tuple, shapes: bool = True):
        """Validate one graph, its instances standing in as single nodes (``shapes``: infer them too)."""
        specs = {n.id: InstanceSpec(self, n, stack) for n in net.nodes if n.type in self.design.blocks}
        v = _validate(net, specs, limits=False, shapes=shapes)
        for n in net.nodes:
            if n.id not in specs and (n.repeat is not None or n.overrides):
                v.issues.append(Issue(n.id, None, ERROR, f"{n.id}: repeat is for block instances, and {n.type} is a "
                                                         "layer. Make a block of it first, or remove repeat."))  # fmt: skip
            if not stack and any(isinstance(x, str) and x.startswith("$") and len(x) > 1 for x in n.params.values()):
                v.issues.append(Issue(n.id, None, ERROR, f"{n.id}: a \"$name\" parameter refers to a block "
                                                         f"parameter, but {n.id!r} is not inside a block. Use a value."))  # fmt: skip
        return v, specs


def _in_block(issue, block: str):
    """A whole-design message said of a block: "The design has no Output node" is the block's."""
    if issue.node is None and issue.message.startswith("The design has no "):
        what = issue.message[len("The design has no ") :].split(" node", 1)[0]
        return issue._replace(message=f"Block {block!r} has no {what} node. Add one: its {what}s are the "
                                      f"instance's {'input' if what == 'Input' else 'output'} ports.")  # fmt: skip
    return issue


def _strip(nid: str) -> str:
    return nid[len(SENT) :] if nid.startswith(SENT) else nid


def flatten(v, net: Design, specs: dict, input_ids: list[str] | None) -> Unit:
    """One graph's report, with every instance replaced by its blocks' contents under its path. ``input_ids``:
    a block's Inputs (they become references to the instance's inputs); None at the design's top level."""
    u = Unit()
    table = {n.id: n for n in net.nodes}
    alias: dict[str, Any] = {}
    if input_ids is not None:
        for k, i in enumerate(input_ids):
            alias[SENT + i] = k
    live = set(v.order)
    rest = [n.id for n in net.nodes if n.id not in live]
    for nid in [*v.order, *rest]:
        node = table[nid]
        rid = _strip(nid)
        ref = [alias.get(s, _strip(s)) for s in v.inputs.get(nid, [])]
        if input_ids is not None and node.type == "Input":
            continue
        if input_ids is not None and node.type == "Output":
            u.outputs.append(ref[0] if ref else None)
            u.out_types.append(v.types.get(nid))
            continue
        spec = specs.get(nid)
        if spec is None:
            u.nodes[rid] = v.nodes[nid]
            if nid in v.resolved:
                u.resolved[rid] = v.resolved[nid]
            if nid in v.types:
                u.types[rid] = v.types[nid]
            if nid in v.inputs:
                u.inputs[rid] = ref
            if nid in live:
                u.order.append(rid)
            continue
        u.nodes[rid] = v.nodes[nid]  # the instance: its totals, and what it reads (for the summary table)
        if nid in v.inputs:
            u.inputs[rid] = ref
        srcs, repeat = ref, node.repeat is not None
        for i, (kind, values, problem) in enumerate(spec.chain):
            at = f"{rid}/{i}" if repeat else rid
            if problem:
                u.issues.append(Issue(at, None, ERROR, problem))
            if kind is None:
                break
            checked = i < len(spec.units)
            inner = spec.units[i][1] if checked else spec.ctx.unchecked(kind, values, (*spec.stack, kind))
            if repeat and None not in srcs:
                u.inputs[at] = list(srcs)
            srcs = place(inner, at + "/", srcs, u, nid in live)
            if repeat:
                out = inner.out_types[0] if checked and inner.out_types else None
                u.nodes[at] = NodeInfo(kind, out.shape if out else None, out.dtype if out else None, inner.params,
                                       inner.macs)  # fmt: skip
            b = u.blocks.setdefault(kind, [0, 0, 0])
            b[0], b[1], b[2] = b[0] + 1, b[1] + inner.params, b[2] + inner.macs
        whole = spec.chain and spec.chain[-1][0] is not None  # every instance placed
        alias[nid] = srcs[0] if whole and srcs and srcs[0] is not None else rid
    u.issues = [i._replace(node=_strip(i.node)) if i.node else i for i in v.issues] + u.issues
    u.params = sum(u.nodes[n].params for n in u.order)
    u.macs = sum(u.nodes[n].macs for n in u.order)
    u.ok = v.valid and all(t is not None for t in u.out_types)
    return u


def place(inner: Unit, prefix: str, srcs: list, into: Unit, live: bool) -> list:
    """Put ``inner`` under ``prefix`` (its input references resolved to ``srcs``) into ``into``; returns the
    references of its outputs."""

    def ref(r):
        if isinstance(r, int):
            return srcs[r] if r < len(srcs) else None  # an instance input nothing feeds (reported on it)
        return prefix + r

    for rid, info in inner.nodes.items():
        into.nodes[prefix + rid] = info
    for rid, p in inner.resolved.items():
        into.resolved[prefix + rid] = p
    for rid, t in inner.types.items():
        into.types[prefix + rid] = t
    for rid, refs in inner.inputs.items():
        sources = [ref(r) for r in refs]
        if None not in sources:
            into.inputs[prefix + rid] = sources
    if live:
        into.order.extend(prefix + rid for rid in inner.order)
    where = prefix[:-1]
    for i in inner.issues:
        message = i.message.replace(SENT, prefix) if SENT in i.message else i.message
        into.issues.append(i._replace(node=prefix + i.node if i.node else where, message=message))
    for kind, (n, params, macs) in inner.blocks.items():
        b = into.blocks.setdefault(kind, [0, 0, 0])
        b[0], b[1], b[2] = b[0] + n, b[1] + params, b[2] + macs
    return [ref(r) if r is not None else None for r in inner.outputs]


def validate_blocks(design: Design):
    """The report of a design with blocks, each distinct block instance checked once."""
    from .blocks import MAX_EXPANDED, expanded_size
    from .registry import REGISTRY

    problems = [Issue(None, None, ERROR, f"Block {name!r} has the name of a layer type; rename the block "
                                         f"(e.g. {name}Block).") for name in design.blocks if name in REGISTRY]  # fmt: skip
    total = expanded_size(design)
    if total > MAX_EXPANDED:
        v = Validation()
        v.issues = [Issue(None, None, ERROR, f"The design unrolls to {total:,} layers; expected at most "
                                             f"{MAX_EXPANDED:,}. Lower a repeat count.")]  # fmt: skip
        return v
    if problems:
        v = Validation()
        v.issues = problems
        return v
    ctx = _Context(design)
    top, specs = ctx.level(design, ())
    u = flatten(top, design, specs, None)
    v = Validation(nodes=u.nodes, issues=u.issues, order=u.order, inputs=u.inputs, resolved=u.resolved, types=u.types)
    v.params, v.macs = u.params, u.macs
    v.blocks = {k: {"instances": n, "params": p, "macs": m} for k, (n, p, m) in u.blocks.items()}
    table = {nid: SimpleNamespace(id=nid, type=info.type) for nid, info in u.nodes.items()}
    _design_limits(v, table, lambda node, param, message, severity=ERROR: v.issues.append(
        Issue(node, param, severity, message)))  # fmt: skip
    return v
