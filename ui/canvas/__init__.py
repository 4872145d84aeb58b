"""The canvas component (React Flow in an iframe; the built bundle lives in frontend/dist)."""

from __future__ import annotations

import functools
from pathlib import Path

import streamlit.components.v1 as components

from builder import REGISTRY, layout
from builder.design import Node
from builder.registry import CATEGORIES
from builder.validate import Validation

FACE_ALWAYS = ("kernel_size", "stride", "padding")  # shown on a node even at their defaults: they set its shape
FACE_MAX = 4
SHORT = {"out_channels": "out", "out_features": "out", "kernel_size": "k", "stride": "s", "padding": "p",
         "hidden_size": "hidden", "num_heads": "heads", "num_layers": "layers", "embedding_dim": "dim",
         "num_embeddings": "vocab", "return_sequences": "seq", "bidirectional": "bi"}  # fmt: skip

DIST = Path(__file__).parent / "frontend" / "dist"
_component = components.declare_component("layerloom_canvas", path=str(DIST))


@functools.cache
def _layers() -> tuple[dict, ...]:
    specs = sorted(REGISTRY.values(), key=lambda s: (CATEGORIES.index(s.category), s.type))
    return tuple(s.describe(params=False) for s in specs)


@functools.cache
def _builtins() -> dict:
    from builder.templates.blocks import BUILTIN, builtin_blocks

    library = builtin_blocks()
    return {name: library[name] for name in BUILTIN}


def palette(blocks: dict | None = None) -> list[dict]:
    """The layer types by category, then the design's own blocks ("Blocks": the canvas draws their instances as
    blocks) and the built-in ones it has not used yet ("Built-in blocks": adding one copies it into the design)."""
    items = list(_layers())
    blocks = blocks or {}
    for category, group in (("Blocks", blocks), ("Built-in blocks", {k: b for k, b in _builtins().items()
                                                                       if k not in blocks})):  # fmt: skip
        for name, block in group.items():
            ins, outs = block.input_ids, block.output_ids
            doc = block.description or f"Block {name}: {len(block.nodes) - len(ins) - len(outs)} layers."
            how = (
                "Editing the block changes every instance."
                if category == "Blocks"
                else "Adding it copies the block into this design."
            )
            items.append({"type": name, "category": category, "doc": f"{doc} {how}",
                          "inputs": {"min": len(ins), "max": len(ins), "names": ins}, "outputs": outs})  # fmt: skip
    return items


def instance_face(node: Node, info=None, short: bool = True) -> str:
    """An instance's face: ×N, the parameters it sets, and its totals: "×2 · planes=128 · 0.5M" (``short``) or
    "×2 · planes=128 · 525,568 params · 115,605,504 MACs" (its tooltip)."""
    items = [f"×{node.repeat}"] if node.repeat and not short else []  # (the node's title shows ×N)
    items += [f"{k}={_short(v)}" for k, v in node.params.items()]
    if info is not None and short and info.params:
        items.append(f"{info.params / 1e6:.1f}M" if info.params >= 1e5 else f"{info.params:,}p")
    elif info is not None and not short:
        items += [f"{info.params:,} params", f"{info.macs:,} MACs"]
    return " · ".join(items)


def _short(value) -> str:
    if isinstance(value, (list, tuple)):
        return "×".join(str(v) for v in value) if len(set(map(str, value))) > 1 else str(value[0]) if value else "[]"
    return str(value).lower() if isinstance(value, bool) else str(value)


def face(node: Node, short: bool = True) -> str:
    """The parameters that matter on a node's face: the required ones and kernel/stride/padding (set or default),
    then any other set away from its default: "out=6 · k=5 · s=1 · p=2" (``short``, as drawn on the node) or
    "out_channels=6 · kernel_size=5 · stride=1 · padding=2" (its tooltip)."""
    spec = REGISTRY.get(node.type)
    if spec is None or node.type in ("Input", "Output"):
        return "shape=" + _short(node.params["shape"]) if node.type == "Input" and "shape" in node.params else ""
    shown = [k for k, p in spec.params.items() if p.required or k in FACE_ALWAYS]
    shown += [
        k
        for k, v in node.params.items()
        if k in spec.params and k not in shown and v != spec.params[k].to_json(spec.params[k].default)
    ]
    items = []
    for k in shown[:FACE_MAX]:
        value = node.params.get(k, spec.params[k].to_json(spec.params[k].default))
        if k == "stride" and value is None:  # pooling: stride defaults to the kernel size
            value = (
                node.params.get("kernel_size", spec.params["kernel_size"].default)
                if "kernel_size" in spec.params
                else value
            )
        items.append(f"{SHORT.get(k, k) if short else k}={_short(value)}")
    return " · ".join(items)


def node_report(report: Validation, design=None, blocks: dict | None = None) -> dict:
    issues: dict[str, list[str]] = {}
    warnings: dict[str, list[str]] = {}
    nodes = {n.id: n for n in design.nodes} if design is not None else {}

    def shown(nid: str) -> str:  # an issue inside a block instance ("layer2/0/conv1") shows on the instance
        parts = nid.split("/")
        return next(("/".join(parts[:k]) for k in range(len(parts), 0, -1) if "/".join(parts[:k]) in nodes), nid)

    for i in report.issues:
        if i.node:
            top = shown(i.node) if "/" in i.node else i.node
            (issues if i.severity == "error" else warnings).setdefault(top, []).append(i.message)
    blocks = blocks if blocks is not None else design.blocks if design is not None else {}

    def faces(nid, info):
        node = nodes.get(nid)
        if node is None:
            return "", ""
        if node.type in blocks:
            return instance_face(node, info), instance_face(node, info, short=False)
        return face(node), face(node, short=False)

    def shape(info) -> list[int] | None:
        return list(info.shape) if info is not None and info.shape is not None else None

    outputs = report.expansion.outputs if report.hierarchical and report.expansion is not None else {}
    out = {}
    for nid, info in report.nodes.items():
        if design is not None and report.hierarchical and nid not in nodes:
            continue  # the canvas shows the top level
        short, detail = faces(nid, info)
        out[nid] = {
            "shape": shape(info),
            "params": info.params,
            "issues": issues.get(nid, []),
            "warnings": warnings.get(nid, []),
            "face": short,
            "detail": detail,
        }
        if len(outputs.get(nid, ())) > 1:  # an instance with several outputs: each port's shape, for its edges
            out[nid]["shapes"] = [shape(report.nodes.get(src)) for src in outputs[nid]]
    return out


FRAME_PAD, FRAME_HEAD = 24, 44  # an expanded instance's frame: padding around its block's graph, its title band


def _frames(design, expanded) -> dict[str, dict]:
    """Each expanded instance's frame: its size and its block's nodes' positions inside it."""
    out = {}
    for n in design.nodes:
        if n.id not in expanded or n.type not in design.blocks:
            continue
        kind = shown_block(n, design)
        block = design.blocks[kind]
        pos = {b.id: b.position for b in block.nodes}
        if any(p is None for p in pos.values()):
            pos = layout.layout(block)
        x0, y0 = min(p["x"] for p in pos.values()), min(p["y"] for p in pos.values())
        inside = {k: {"x": p["x"] - x0 + FRAME_PAD, "y": p["y"] - y0 + FRAME_HEAD} for k, p in pos.items()}
        w = max(p["x"] for p in inside.values()) + layout.NODE_W + FRAME_PAD
        h = max(p["y"] for p in inside.values()) + layout.NODE_H + FRAME_PAD
        out[n.id] = {"w": w, "h": h, "inside": inside, "block": kind}
    return out


def shown_block(node, design) -> str:
    """The block an expanded instance shows: its own, or a repeat's first instance's (an override may differ)."""
    kind = (node.overrides or {}).get("0", {}).get("type", node.type) if node.repeat is not None else node.type
    return kind if kind in design.blocks else node.type


def display_shifts(design, expanded) -> dict[str, dict[str, float]]:
    """How far each node is drawn from its saved position while instances are expanded in place (each frame
    pushes the nodes right of it in its row, and the rows below it, out of its way)."""
    frames = _frames(design, expanded)
    shifts = {n.id: {"x": 0.0, "y": 0.0} for n in design.nodes}
    at = {n.id: n.position or {"x": 0, "y": 0} for n in design.nodes}
    for fid, f in sorted(frames.items(), key=lambda kv: (at[kv[0]]["y"], at[kv[0]]["x"])):
        fx, fy = at[fid]["x"] + shifts[fid]["x"], at[fid]["y"] + shifts[fid]["y"]
        dw, dh = f["w"] - layout.NODE_W, f["h"] - layout.NODE_H
        for n in design.nodes:
            if n.id == fid:
                continue
            x, y = at[n.id]["x"] + shifts[n.id]["x"], at[n.id]["y"] + shifts[n.id]["y"]
            if y > fy + layout.NODE_H / 2:
                shifts[n.id]["y"] += dh
            elif abs(y - fy) <= layout.NODE_H / 2 and x > fx:
                shifts[n.id]["x"] += dw
    return shifts


def saved_positions(design, expanded, positions) -> dict:
    """A move action's positions (as drawn) back as saved positions; anything malformed is left for the editor
    to refuse."""
    shifts = display_shifts(design, expanded) if expanded else {}
    if not isinstance(positions, dict):
        return positions
    out = {}
    for k, p in positions.items():
        d = shifts.get(k) if isinstance(k, str) else None
        ok = isinstance(p, dict) and all(isinstance(p.get(a), (int, float)) for a in ("x", "y"))
        out[k] = {"x": p["x"] - d["x"], "y": p["y"] - d["y"]} if d is not None and ok else p
    return out


def _expanded_view(design, report, d: dict, reports: dict, expanded) -> None:
    """Draw each expanded instance as a frame holding its block's graph (read-only: enter the block to edit it),
    with this instance's shapes (a repeat's first), in place: ``d`` and ``reports`` are changed."""
    frames = _frames(design, expanded)
    if not frames:
        return
    shifts = display_shifts(design, expanded)
    nodes = []
    for raw in d["nodes"]:
        nid = raw["id"]
        if raw.get("position") is not None:
            raw["position"] = {
                "x": raw["position"]["x"] + shifts[nid]["x"],
                "y": raw["position"]["y"] + shifts[nid]["y"],
            }
        nodes.append(raw)
        if nid not in frames:
            continue
        f = frames[nid]
        node = design.node(nid)
        block = design.blocks[f["block"]]
        shown = f"instance 0 shown ({f['block']})" if node.repeat is not None else ""
        raw["frame"] = {"w": f["w"], "h": f["h"], "shown": shown}
        base = f"{nid}/0/" if node.repeat is not None else f"{nid}/"
        sources = [e.source for e in sorted((e for e in design.edges if e.target == nid), key=lambda e: e.target_port)]
        for b in block.nodes:
            child = f"{nid}/{b.id}"
            nodes.append({"id": child, "type": b.type, "params": b.params, "position": f["inside"][b.id],
                          "parent": nid, "readonly": True})  # fmt: skip
            if b.type == "Input":
                k = block.input_ids.index(b.id)
                info = report.nodes.get(sources[k]) if k < len(sources) else None
            elif b.type == "Output":
                info = report.nodes.get(base[:-1])
            else:
                info = report.nodes.get(base + b.id)
            mine = [
                i for i in report.issues if i.node and (i.node == base + b.id or i.node.startswith(base + b.id + "/"))
            ]
            reports[child] = {"shape": list(info.shape) if info is not None and info.shape is not None else None,
                              "params": info.params if info is not None else 0,
                              "issues": [i.message for i in mine if i.severity == "error"],
                              "warnings": [i.message for i in mine if i.severity != "error"],
                              "face": face(b) if b.type in REGISTRY else "", "detail": face(b, short=False)
                              if b.type in REGISTRY else ""}  # fmt: skip
        d["edges"] += [{"source": f"{nid}/{e.source}", "target": f"{nid}/{e.target}", "target_port": e.target_port}
                       for e in block.edges]  # fmt: skip
    d["nodes"] = nodes


def canvas(
    design,
    report: Validation,
    selected: str | None,
    key: str,
    version: str = "0",
    height: int = 480,
    notice: str | None = None,
    blocks: dict | None = None,
    expanded: frozenset = frozenset(),
):
    """Render the canvas; returns the last action it sent (also in st.session_state[key]). A new ``version``
    (another design or network opened) starts it afresh, fitted to the whole design. ``height`` is the least: the
    canvas reaches down to the bottom of the window. ``notice`` is shown in its toolbar until the next action.
    ``expanded``: block instances drawn in place, each as a frame holding its block's graph."""
    d = design.to_dict()
    d = {"nodes": d.get("nodes", []), "edges": d.get("edges", [])}
    blocks = design.blocks if blocks is None else blocks
    reports = node_report(report, design, blocks)
    if expanded:
        _expanded_view(design, report, d, reports, expanded)
    return _component(design=d, report=reports, palette=palette(blocks), selected=selected, version=str(version),
                      height=height, node_size={"w": layout.NODE_W, "h": layout.NODE_H}, notice=notice,
                      name=design.name, key=key, default=None)  # fmt: skip
