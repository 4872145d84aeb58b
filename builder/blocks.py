"""Blocks: expanding a hierarchical design (format version 2) into the flat graph validation checks, and
grouping nodes into a block or ungrouping an instance again.

Expansion is the one place a block's meaning is written down. Every instance becomes its block's nodes with
path ids (``layer2/0/conv1``: node ``conv1`` of instance 0 of the repeat ``layer2``), ``"$name"`` parameters
replaced by the instance's values, and the block's Input and Output nodes dissolved into the edges that cross
the instance (an edge into input port k of an instance goes to what the block's k-th Input feeds). The flat
design is an ordinary version-1 design, so shapes, counts and issues come from the same validation as any
other design, each issue naming its path; what only exists in the hierarchy (an unknown block parameter, a
cycle between blocks, an unconnected instance port) is reported here, all at once.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from .design import Block, Design, Edge, Node

MAX_EXPANDED = 200_000  # nodes of the unrolled graph (checked before anything is unrolled)
_PASS = "\x00pass"  # a block's Input/Output while expanding; never left in the flat design


@dataclass
class Instance:
    """One instance of a block in the unrolled design."""

    path: str  # "layer2/0"
    block: str
    values: dict[str, Any]  # the block's parameter values for this instance
    members: dict[str, str] = field(default_factory=dict)  # the block's node id -> its path in the flat design


@dataclass
class Expansion:
    flat: Design  # the unrolled design (version 1, path ids)
    instances: dict[str, Instance] = field(default_factory=dict)  # path -> instance, parents before children
    repeats: dict[str, list[str]] = field(default_factory=dict)  # a repeat node's path -> its instances' paths
    problems: list[tuple[str | None, str]] = field(default_factory=list)  # (node path, message)
    outputs: dict[str, list[str]] = field(default_factory=dict)  # instance/repeat path -> flat source per output
    inputs: dict[str, list[str | None]] = field(default_factory=dict)  # instance path -> flat source per input
    block_ports: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)  # block -> (inputs, outputs)


def ports(block: Design) -> tuple[list[str], list[str]]:
    """A block's Input ids and Output ids, sorted: its instances' input and output ports, in order."""
    return block.input_ids, block.output_ids


def sizes(design: Design) -> dict[str, int]:
    """How many flat nodes one instance of each block unrolls to (a block on a cycle counts 0)."""
    memo: dict[str, int] = {}

    def size(name: str, stack: tuple) -> int:
        if name in memo:
            return memo[name]
        if name in stack or name not in design.blocks:
            return 0
        total = 0
        for n in design.blocks[name].nodes:
            total += _node_size(n, lambda b: size(b, (*stack, name)), design)
        memo[name] = total
        return total

    for name in design.blocks:
        size(name, ())
    return memo


def _node_size(node: Node, size, design: Design) -> int:
    if node.type not in design.blocks:
        return 1
    count = node.repeat or 1
    kinds = [(node.overrides or {}).get(str(i), {}).get("type", node.type) for i in range(count)]
    return sum(size(k) for k in kinds)


def expanded_size(design: Design) -> int:
    s = sizes(design)
    return sum(_node_size(n, lambda b: s.get(b, 0), design) for n in design.nodes)


def instances(node: Node, params: dict, blocks: dict, stack: tuple, where: str,
              checked: bool = False) -> list[tuple[str | None, dict | None, str | None]]:  # fmt: skip
    """(block, its parameter values, a problem or None) for each instance ``node`` stands for (one, or its
    repeat's, each with its override), ``params`` being the node's own; a block of None ends the list (an
    override that is not a block, a cycle between blocks, ports that do not chain). ``where`` names the node in
    messages; ``checked``: the node's own parameters are checked elsewhere (only overrides' are, here)."""
    out: list = []
    ports = None
    for i in range(node.repeat or 1):
        o = (node.overrides or {}).get(str(i), {}) if node.repeat is not None else {}
        kind = o.get("type", node.type)
        at = f"{where}/{i}" if node.repeat is not None else where
        if kind not in blocks:
            out.append((None, None, f"{at}: the override's type {kind!r} is not a block of this design (it has: "
                                    f"{', '.join(blocks)})."))  # fmt: skip
            break
        if kind in stack:
            chain = " → ".join((*stack[stack.index(kind) :], kind))
            out.append((None, None, f"{at}: blocks contain each other in a cycle: {chain}. A block cannot contain "
                                    "itself; remove one of these instances."))  # fmt: skip
            break
        block = blocks[kind]
        if ports is not None and len(block.input_ids) != ports:
            out.append((None, None, f"{at}: a repeat chains each instance's outputs to the next one's inputs, but "
                                    f"instance {i - 1} has {ports} output(s) and instance {i} ({kind}) "
                                    f"{len(block.input_ids)} input(s). Give the blocks matching ports."))  # fmt: skip
            break
        ports = len(block.output_ids)
        given = {**params, **o.get("params", {})}
        unknown = [k for k in given if k not in block.params and not (checked and kind == node.type and k in params)]
        problem = None
        if unknown:
            have = ", ".join(block.params) or "none"
            problem = (f"{at}: block {kind!r} has no parameter {unknown[0]!r} (it has: {have}). Remove it, or add it "
                       "to the block's parameters.")  # fmt: skip
        out.append((kind, {**block.params, **{k: v for k, v in given.items() if k in block.params}}, problem))
    return out


def substitute(value, values: dict, unknown: list) -> Any:
    """``value`` with every ``"$name"`` (whole value, or an item of a list) replaced by ``values[name]``;
    names that are not there are appended to ``unknown``."""
    if isinstance(value, str) and value.startswith("$") and len(value) > 1:
        name = value[1:]
        if name in values:
            return copy.deepcopy(values[name])
        unknown.append(name)
        return value
    if isinstance(value, list):
        return [substitute(v, values, unknown) for v in value]
    return value


def expand(design: Design, only: set[str] | None = None, levels: int | None = None) -> Expansion:
    """Unroll ``design``'s block instances (the top-level ones in ``only``, default all; ``levels`` deep,
    default all the way). Never raises for a bad design: ``problems`` lists what is wrong."""
    out = Expansion(Design(design.name, description=design.description, training=copy.deepcopy(design.training),
                           metadata=copy.deepcopy(design.metadata)))  # fmt: skip
    nodes, edges = out.flat.nodes, out.flat.edges
    blocks = design.blocks
    total = expanded_size(design)
    if total > MAX_EXPANDED:
        out.problems.append((None, f"The design unrolls to {total:,} layers; expected at most {MAX_EXPANDED:,}. "
                                   "Lower a repeat count."))  # fmt: skip
        return out
    from .registry import REGISTRY

    for name in blocks:
        if name in REGISTRY:
            out.problems.append((None, f"Block {name!r} has the name of a layer type; rename the block "
                                       f"(e.g. {name}Block)."))  # fmt: skip

    def graph(net: Design, prefix: str, values: dict | None, stack: tuple, depth: int, top: bool) -> dict[str, str]:
        """Emit ``net``'s nodes under ``prefix``; returns node id -> the flat id edges use for it."""
        where: dict[str, tuple] = {}  # node id -> ("node", flat id) | ("inst", first inputs, last outputs)
        for n in net.nodes:
            path = prefix + n.id
            params = n.params
            if values is not None:
                unknown: list = []
                params = {k: substitute(v, values, unknown) for k, v in n.params.items()}
                block_name = stack[-1]
                for u in unknown:
                    have = ", ".join(blocks[block_name].params) or "none"
                    out.problems.append((path, f"{path}: {n.type} refers to ${u}, but block {block_name!r} has no "
                                               f"parameter {u!r} (it has: {have}). Add it to the block's "
                                               "parameters or use a value."))  # fmt: skip
            elif any(isinstance(v, str) and v.startswith("$") and len(v) > 1 for v in n.params.values()):
                out.problems.append((path, f"{path}: a \"$name\" parameter refers to a block parameter, but "
                                           f"{n.id!r} is not inside a block. Use a value."))  # fmt: skip
            expand_here = n.type in blocks and (levels is None or depth < levels) and (not top or only is None
                                                                                      or n.id in only)  # fmt: skip
            if expand_here:
                where[n.id] = instance(n, path, params, stack, depth)
            elif values is not None and n.type in ("Input", "Output"):
                nodes.append(Node(path, _PASS))
                where[n.id] = ("node", path)
            else:
                if n.type not in blocks and (n.repeat is not None or n.overrides):
                    out.problems.append((path, f"{path}: repeat is for block instances, and {n.type} is a layer. "
                                               "Make a block of it first, or remove repeat."))  # fmt: skip
                node = Node(path, n.type, copy.deepcopy(params) if values is None else params,
                            dict(n.position) if n.position is not None and top else None)  # fmt: skip
                node.repeat, node.overrides = n.repeat, copy.deepcopy(n.overrides)
                node.trainable = n.trainable
                nodes.append(node)
                where[n.id] = ("node", path)
        for e in net.edges:
            if e.source not in where or e.target not in where:
                edges.append(Edge(prefix + e.source, prefix + e.target, e.target_port, e.source_port))
                continue  # validation names the missing node
            src, dst = where[e.source], where[e.target]
            source_port = e.source_port
            if src[0] == "inst":
                outs = src[2]
                if not 0 <= e.source_port < len(outs):
                    out.problems.append((prefix + e.source, f"{prefix + e.source}: the edge to {e.target!r} uses "
                                         f"output port {e.source_port}, but the block has {len(outs)} output"
                                         f"{'s' if len(outs) != 1 else ''}. Use a port from 0 to {len(outs) - 1}."))  # fmt: skip
                    continue
                source, source_port = outs[e.source_port], 0
            else:
                source = src[1]
            if dst[0] == "inst":
                ins = dst[1]
                if not 0 <= e.target_port < len(ins):
                    out.problems.append((prefix + e.target, f"{prefix + e.target}: the edge from {e.source!r} goes "
                                         f"to input port {e.target_port}, but the block has {len(ins)} input"
                                         f"{'s' if len(ins) != 1 else ''}. Connect it to a port from 0 to "
                                         f"{max(len(ins) - 1, 0)}."))  # fmt: skip
                    continue
                edges.append(Edge(source, ins[e.target_port], 0, source_port))
            else:
                edges.append(Edge(source, dst[1], e.target_port, source_port))
        return {k: v[1] for k, v in where.items() if v[0] == "node"} | {k: prefix + k for k, v in where.items()
                                                                       if v[0] == "inst"}  # fmt: skip

    def one(block_name: str, path: str, values: dict, stack: tuple, depth: int):
        """One instance of ``block_name`` at ``path``: (its input flat ids, its output flat ids)."""
        block = blocks[block_name]
        inst = Instance(path, block_name, values)
        out.instances[path] = inst
        inst.members = graph(block, path + "/", values, (*stack, block_name), depth + 1, False)
        ins, outs = out.block_ports.setdefault(block_name, ports(block))
        flat_outs = [f"{path}/{o}" for o in outs]
        out.outputs[path] = flat_outs
        out.inputs[path] = [f"{path}/{i}" for i in ins]
        return [f"{path}/{i}" for i in ins], flat_outs

    def instance(n: Node, path: str, params: dict, stack: tuple, depth: int) -> tuple:
        repeat, first, last = [], None, []
        for i, (kind, values, problem) in enumerate(instances(n, params, blocks, stack, path)):
            at = f"{path}/{i}" if n.repeat is not None else path
            if problem:
                out.problems.append((at, problem))
            if kind is None:
                return ("inst", [], [])
            ins, outs = one(kind, at, values, stack, depth)
            if first is None:
                first = ins
            else:
                edges.extend(Edge(a, b) for a, b in zip(last, ins))
            repeat.append(at)
            last = outs
        if n.repeat is not None:
            out.repeats[path] = repeat
            out.outputs[path] = last
        return ("inst", first or [], last)

    graph(design, "", None, (), 0, True)
    _dissolve(out)
    return out


def _dissolve(out: Expansion) -> None:
    """Remove the block Input/Output stand-ins: each edge from one starts at what feeds it instead."""
    flat = out.flat
    stand_ins = {n.id for n in flat.nodes if n.type == _PASS}
    if not stand_ins:
        return
    feeds = {e.target: (e.source, e.source_port) for e in flat.edges if e.target in stand_ins}
    resolved: dict[str, tuple[str, int] | None] = {}

    def source(nid: str) -> tuple[str, int] | None:
        chain, port, hit = [], 0, None
        while True:
            if nid not in stand_ins:
                hit = (nid, port)
                break
            if nid in resolved:
                hit = resolved[nid]
                break
            chain.append(nid)
            if nid not in feeds:
                _unfed(out, nid)
                break
            nid, port = feeds[nid]
        for c in chain:
            resolved[c] = hit
        return hit

    kept = []
    for e in flat.edges:
        if e.target in stand_ins:
            continue
        if e.source in stand_ins:
            src = source(e.source)
            if src is None:
                continue
            e = Edge(src[0], e.target, e.target_port, src[1])
        kept.append(e)
    flat.edges = kept
    flat.nodes = [n for n in flat.nodes if n.type != _PASS]
    for path, outs in out.outputs.items():
        out.outputs[path] = [(resolved.get(o) or (o, 0))[0] if o in stand_ins else o for o in outs]
    for path, ins in out.inputs.items():
        out.inputs[path] = [(resolved.get(i) or (None, 0))[0] if i in stand_ins else i for i in ins]


def _unfed(out: Expansion, stand_in: str) -> None:
    """Report a block port that nothing feeds: an instance input left unconnected, or a block Output with
    nothing inside the block connected to it."""
    path, _, port = stand_in.rpartition("/")
    inst = out.instances.get(path)
    if inst is None:
        return
    ins, _outs = out.block_ports[inst.block]
    if port in ins:
        msg = (
            f"{path}: input {port!r} of block {inst.block!r} is not connected. Connect a node to input port "
            f"{ins.index(port)} of the instance."
        )
    else:
        msg = (
            f"{path}: output {port!r} of block {inst.block!r} is not connected inside the block. Connect the "
            "block's last layer to it."
        )
    out.problems.append((path, msg))


# -- grouping and ungrouping -------------------------------------------------------------------------------
class GroupError(ValueError):
    """Nodes that cannot become a block (or an instance that cannot be ungrouped), with the reason."""


def group(design: Design, node_ids: list[str], name: str, instance_id: str | None = None) -> Design:
    """A copy of ``design`` where ``node_ids`` are a new block ``name`` and one instance of it (id
    ``instance_id``, default the block's name in lower case). The block's inputs are the edges that enter the
    selection (one Input per outside source, ``in0``, ``in1``, … in the order they are met), its outputs the
    nodes with edges leaving it (``out0``, …); the model is unchanged."""
    from .design import NAME

    d = design.copy()
    chosen = [n for n in d.nodes if n.id in set(node_ids)]
    missing = sorted(set(node_ids) - {n.id for n in chosen})
    if missing:
        raise GroupError(f"no node {missing[0]!r} in this design")
    if not chosen:
        raise GroupError("select the nodes to make a block of")
    io = [n.id for n in chosen if n.type in ("Input", "Output")]
    if io:
        raise GroupError(f"{io[0]!r} is the model's own Input or Output; a block's inputs and outputs come from the "
                         "edges that cross the selection. Leave it out of the selection.")  # fmt: skip
    if not NAME.fullmatch(name):
        raise GroupError("a block name is a plain identifier (letters, digits and '_', not starting with a digit)")
    from .registry import REGISTRY

    if name in d.blocks or name in REGISTRY:
        raise GroupError(f"{name!r} is already a block or a layer type; pick another name")
    inside = {n.id for n in chosen}
    sources: dict[tuple[str, int], str] = {}  # outside (source, port) -> block Input id
    results: dict[tuple[str, int], str] = {}  # inside (source, port) -> block Output id
    crossing_in = [e for e in d.edges if e.target in inside and e.source not in inside]
    crossing_out = [e for e in d.edges if e.source in inside and e.target not in inside]
    for e in crossing_in:
        sources.setdefault((e.source, e.source_port), "")
    for e in crossing_out:
        results.setdefault((e.source, e.source_port), "")
    if not results:
        raise GroupError("nothing outside the selection uses it; a block needs an edge leaving the selection")
    width_in, width_out = len(str(max(len(sources) - 1, 0))), len(str(len(results) - 1))
    for k, key in enumerate(sources):
        sources[key] = f"in{k:0{width_in}d}"
    for k, key in enumerate(results):
        results[key] = f"out{k:0{width_out}d}"
    iid = instance_id or name.lower()
    taken = {n.id for n in d.nodes} - inside
    base, k = iid, 2
    while iid in taken:
        iid, k = f"{base}{k}", k + 1
    block_nodes = [Node(i, "Input") for i in sources.values()]
    block_nodes += [Node(n.id, n.type, copy.deepcopy(n.params), None) for n in chosen]
    for n, orig in zip(block_nodes[len(sources) :], chosen):
        n.repeat, n.overrides = orig.repeat, copy.deepcopy(orig.overrides)
    block_nodes += [Node(o, "Output") for o in results.values()]
    block_edges = [Edge(sources[(e.source, e.source_port)], e.target, e.target_port) for e in crossing_in]
    block_edges += [Edge(e.source, e.target, e.target_port, e.source_port) for e in d.edges
                    if e.source in inside and e.target in inside]  # fmt: skip
    block_edges += [Edge(src, out, 0, port) for (src, port), out in results.items()]
    from . import layout

    d.blocks[name] = layout.apply(Block(name, block_nodes, block_edges))
    xs = [n.position["x"] for n in chosen if n.position]
    ys = [n.position["y"] for n in chosen if n.position]
    position = {"x": sum(xs) / len(xs), "y": sum(ys) / len(ys)} if xs else None
    at = min(i for i, n in enumerate(d.nodes) if n.id in inside)
    rest = [n for n in d.nodes if n.id not in inside]
    rest.insert(min(at, len(rest)), Node(iid, name, {}, position))
    d.nodes = rest
    in_ports = {key: k for k, key in enumerate(sources)}
    out_ports = {key: k for k, key in enumerate(results)}
    edges = [e for e in d.edges if e.source not in inside and e.target not in inside]
    seen = set()
    for e in crossing_in:
        port = in_ports[(e.source, e.source_port)]
        if port not in seen:
            seen.add(port)
            edges.append(Edge(e.source, iid, port, e.source_port))
    for e in crossing_out:
        edges.append(Edge(iid, e.target, e.target_port, out_ports[(e.source, e.source_port)]))
    d.edges = edges
    return d


def ungroup(design: Design, node_id: str | None = None) -> Design:
    """A copy of ``design`` with the instance ``node_id`` (default: every instance, all the way down: a
    version-1 design) replaced by its block's nodes, ids prefixed with its path (``layer2/0/conv1``). The model
    is unchanged. Blocks no node uses any more are dropped."""
    if node_id is not None:
        node = next((n for n in design.nodes if n.id == node_id), None)
        if node is None or node.type not in design.blocks:
            raise GroupError(f"{node_id!r} is not an instance of a block in this design")
    x = expand(design, only={node_id} if node_id is not None else None, levels=1 if node_id is not None else None)
    if x.problems:
        raise GroupError(x.problems[0][1])
    flat = x.flat
    if node_id is not None:
        from . import layout

        flat.blocks = copy.deepcopy(design.blocks)
        used = _used_blocks(flat)
        flat.blocks = {k: b for k, b in flat.blocks.items() if k in used}
        return layout.apply(flat) if any(n.position is None for n in flat.nodes) else flat
    from . import layout

    return layout.apply(flat)


def used_by(blocks: dict[str, Block], name: str) -> list[str]:
    """``name`` and every block it uses, inner ones first."""
    out: list[str] = []

    def visit(k: str, stack: tuple) -> None:
        if k in out or k in stack or k not in blocks:
            return
        for n in blocks[k].nodes:
            for kind in {n.type, *(o.get("type") for o in (n.overrides or {}).values())}:
                visit(kind, (*stack, k))
        out.append(k)

    visit(name, ())
    return out


def _used_blocks(design: Design) -> set[str]:
    used, stack = set(), [n for n in design.nodes]
    while stack:
        n = stack.pop()
        kinds = {n.type, *(o.get("type") for o in (n.overrides or {}).values())} & set(design.blocks)
        for k in kinds - used:
            used.add(k)
            stack.extend(design.blocks[k].nodes)
    return used


# -- views for the canvas ------------------------------------------------------------------------------------------
def owner(design: Design, path: str) -> str | None:
    """The top-level node a path belongs to (``layer2/0/conv1`` -> ``layer2``), or None."""
    ids = {n.id for n in design.nodes}
    parts = path.split("/")
    return next(("/".join(parts[:k]) for k in range(len(parts), 0, -1) if "/".join(parts[:k]) in ids), None)


def block_view(report, block: str):
    """The report as seen inside ``block``: each of the block's nodes with the shapes of its first instance, and
    the issues of every instance on the block's node they concern (an issue in two instances is listed twice,
    each naming its path). None when the design has no instance of it."""
    from .validate import Validation

    x = report.expansion
    paths = [p for p, inst in (x.instances.items() if x is not None else ()) if inst.block == block]
    if not paths:
        return None
    first = paths[0]
    view = Validation()
    ins, outs = x.block_ports[block]
    ends = dict(zip(ins, x.inputs.get(first, []))) | dict(zip(outs, x.outputs.get(first, [])))
    for local in x.instances[first].members:
        info = report.nodes.get(ends.get(local) or f"{first}/{local}")  # an Input/Output: the tensor through it
        if info is not None:
            view.nodes[local] = info
    for issue in report.issues:
        for p in paths:
            if issue.node and issue.node.startswith(p + "/"):
                view.issues.append(issue._replace(node=issue.node[len(p) + 1 :].split("/", 1)[0]))
                break
    return view
