"""Editing a design with actions (what the canvas sends), with undo/redo. No UI here.

Python holds the design; the canvas only proposes edits. Each action is applied to a copy, so undo/redo is a
stack of whole designs (small: a 400-node design is ~60 kB) and an action that fails leaves the design as it was.
"""

from __future__ import annotations

import copy
import json
import math
import re

from . import layout
from .design import Design, DesignFormatError, Edge, Node, check_values, encodable, id_problem
from .registry import REGISTRY

HISTORY = 100


def json_copy(params: dict) -> dict:
    return json.loads(json.dumps(params))


class EditError(ValueError):
    pass


def new_id(design: Design, type_name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "", type_name.lower()) or "node"
    taken = {n.id for n in design.nodes}
    k = 1
    while f"{base}{k}" in taken:
        k += 1
    return f"{base}{k}"


def _refs(params: dict) -> set[str]:
    """The block parameters a node's params refer to: "$name" as a whole value or a list item."""
    out = set()
    for v in params.values():
        for item in v if isinstance(v, list) else [v]:
            if isinstance(item, str) and item.startswith("$"):
                out.add(item[1:])
    return out


_REF = "\x00"  # a "$name" reference while it is carried through an ungrouping as text


def _mark_refs(node: Node, back: bool = False) -> Node:
    """A copy of ``node`` whose "$name" references read "\\x00name" (or, ``back``, the reverse)."""
    old, new = ("$", _REF) if not back else (_REF, "$")

    def swap(v):
        if isinstance(v, list):
            return [swap(i) for i in v]
        return new + v[1:] if isinstance(v, str) and v.startswith(old) and len(v) > 1 else v

    out = copy.deepcopy(node)
    out.params = {k: swap(v) for k, v in node.params.items()}
    return out


def check_connect(design: Design, source: str, target: str, port: int, source_port: int = 0,
                  blocks: dict | None = None) -> str | None:  # fmt: skip
    """Why an edge is structurally impossible (missing node, into an Input, out of an Output, an output port the
    source does not have, taken port, cycle), or None. ``blocks``: the whole design's blocks, when ``design`` is
    one of them (an instance's outputs are its block's Output nodes)."""
    ids = {n.id: n for n in design.nodes}
    if source not in ids or target not in ids:
        return "both ends must be nodes of the design"
    block = (blocks if blocks is not None else design.blocks).get(ids[source].type)
    outputs = len(block.output_ids) if block is not None else 1
    if not 0 <= source_port < outputs:
        names = f" ({', '.join(block.output_ids)})" if block is not None else ""
        return (f"{source!r} has {outputs} output{'s' if outputs != 1 else ''}{names}: output port {source_port} "
                f"does not exist")  # fmt: skip
    if source == target:
        return f"{source!r} cannot feed itself"
    if ids[target].type == "Input":
        return f"Input {target!r} takes no inputs: connect {source!r} to a layer instead"
    if ids[source].type == "Output":
        return f"Output {source!r} ends the model and cannot feed {target!r}"
    reach, stack = set(), [target]
    while stack:
        n = stack.pop()
        if n == source:
            return f"{source!r} → {target!r} would close a cycle ({target!r} already feeds {source!r})"
        if n not in reach:
            reach.add(n)
            stack += [e.target for e in design.edges if e.source == n]
    taken = next((e for e in design.edges if e.target == target and e.target_port == port), None)
    if taken:
        return f"port {port} of {target!r} is already connected from {taken.source!r}: delete that edge first"
    return None


class Editor:
    """A design under edit: ``apply(action)`` returns None, or a message when the action was refused."""

    def __init__(self, design: Design):
        self.design = design
        self.undo_stack: list[Design] = []
        self.redo_stack: list[Design] = []
        self.selected: str | None = None
        self.last_nonce: str | None = None
        self.version = 0  # bumped when a whole other design is loaded: the canvas then fits it in view
        self.network: str | None = self._first_network(design)
        self.view_size: tuple[float, float] | None = None  # the canvas's flow area (w, h) in px, once it said
        self.block: str | None = None  # the block being edited ("entered"); None: the design's top level
        self.expanded: set[str] = set()  # block instances drawn in place (a view, not an edit)

    @staticmethod
    def _first_network(design: Design) -> str | None:
        """A file holding several networks (a GAN) is edited one network at a time; None for a plain design."""
        return next(iter(design.networks)) if design.multi else None

    @property
    def view(self) -> Design:
        """The network being edited: the design itself, or the chosen network of a multi-network file."""
        return self._target(self.design)

    def _target(self, design: Design) -> Design:
        if self.block is not None and self.block in design.blocks:
            return design.blocks[self.block]  # editing it changes every instance
        return design.networks[self.network] if self.network in (design.networks or {}) else design

    def enter(self, block: str | None) -> None:
        """Edit ``block``'s own graph (None: back to the design's top level)."""
        if block is not None and block not in self.design.blocks:
            raise EditError(f"no block {block!r} in this design")
        if block is not None and any(n.position is None for n in self.design.blocks[block].nodes):
            layout.apply(self.design.blocks[block])  # (positions only: nothing a model depends on)
        self.block, self.selected = block, None
        self.expanded = set()
        self.version += 1

    def show_network(self, key: str) -> None:
        if key not in (self.design.networks or {}):
            raise EditError(f"no network {key!r} in this design; it has {', '.join(self.design.networks or {})}")
        self.network, self.selected = key, None
        self.version += 1

    def replace(self, design: Design) -> None:
        """Load another design (a template, an opened file); undoable."""
        self._push()
        self.design, self.selected, self.block, self.expanded = design, None, None, set()
        self.network = self._first_network(design)
        self.version += 1

    def _push(self) -> None:
        """Keep the current design for undo. Not a copy: every caller replaces ``self.design`` with another object
        right after (an action's edited copy, or a loaded design), so the kept one is never changed again."""
        self.undo_stack = [*self.undo_stack[-(HISTORY - 1) :], self.design]
        self.redo_stack = []

    def apply(self, action: dict) -> str | None:
        kind = action.get("action")
        if isinstance(action.get("view"), dict):  # the canvas's size rides along with every action
            try:
                self.view_size = _view(action["view"])
            except (EditError, TypeError, ValueError):
                pass  # a malformed size changes nothing; the action itself still applies
        if kind == "select":
            self.selected = action.get("id")
            return None
        if kind == "expand":  # draw an instance's block in place, or fold it back (a view: nothing to undo)
            node = next((n for n in self.view.nodes if n.id == action.get("id")), None)
            if node is None or node.type not in self.design.blocks or self.block is not None:
                return f"{action.get('id')!r} is not a block instance of the design's top level"
            self.expanded ^= {node.id}
            return None
        if kind == "enter":  # open a block instance's block (a double click), or leave it (id None)
            node = next((n for n in self.view.nodes if n.id == action.get("id")), None)
            if action.get("id") is None:
                self.enter(None)
            elif node is None or node.type not in self.design.blocks:
                return f"{action.get('id')!r} is not a block instance: only blocks can be entered"
            else:
                self.enter(node.type)
            return None
        if kind == "view":  # the canvas's size (sent when it appears or resizes): not an edit, nothing to undo
            try:
                self.view_size = _view(action)
            except (EditError, TypeError, ValueError) as e:
                return str(e)
            return None
        if kind in ("undo", "redo"):
            source, target = (
                (self.undo_stack, self.redo_stack) if kind == "undo" else (self.redo_stack, self.undo_stack)
            )
            if not source:
                return f"nothing to {kind}"
            target.append(self.design)
            self.design = source.pop()
            if self.network not in (self.design.networks or {}) or self.design.nodes:
                self.network = self._first_network(self.design)
            if self.block is not None and self.block not in self.design.blocks:
                self.enter(None)
            return None
        handler = getattr(self, f"_{kind}", None)
        if handler is None:
            return f"unknown action {kind!r}"
        work = self.design.copy()
        self._top = work  # the whole design, for actions that change its blocks
        try:
            handler(self._target(work), action)
        except EditError as e:
            return str(e)
        except (KeyError, TypeError, ValueError, OverflowError) as e:  # a malformed action changes nothing
            return f"ignored a malformed {kind!r} action ({type(e).__name__}: {e})"
        self._push()
        self.design = work
        return None

    # -- actions (each edits ``d``, a copy) ----------------------------------------------------------------------
    def _add(self, d: Design, a: dict) -> None:
        type_name = a.get("type")
        if type_name not in REGISTRY and type_name not in self._top.blocks:
            from .blocks import used_by
            from .templates.blocks import BUILTIN, builtin_blocks

            if type_name not in BUILTIN:
                raise EditError(f"unknown layer type or block {type_name!r}")
            library = builtin_blocks()  # a built-in block: the design gets its own copy (and the blocks it uses)
            for name in used_by(library, type_name):
                self._top.blocks.setdefault(name, library[name].copy_block())
        nid = new_id(d, type_name)
        d.nodes.append(Node(nid, type_name, {}, _position(a.get("position") or {"x": 0, "y": 0})))
        self.selected = nid

    def _connect(self, d: Design, a: dict) -> None:
        port, source_port = int(a.get("target_port", 0)), int(a.get("source_port", 0))
        reason = check_connect(d, a.get("source"), a.get("target"), port, source_port, self._top.blocks)
        if reason:
            raise EditError(f"cannot connect: {reason}")
        d.edges.append(Edge(a["source"], a["target"], port, source_port))

    def _delete(self, d: Design, a: dict) -> None:
        gone = set(a.get("nodes") or [])
        drop = {(e["source"], e["target"], int(e.get("target_port", 0))) for e in a.get("edges") or []}
        d.nodes = [n for n in d.nodes if n.id not in gone]
        d.edges = [e for e in d.edges if e.source not in gone and e.target not in gone
                   and (e.source, e.target, e.target_port) not in drop]  # fmt: skip
        if self.selected in gone:
            self.selected = None

    def _paste(self, d: Design, a: dict) -> None:
        """Copies of the given nodes (new ids, same params, shifted), with the edges among them."""
        ids = [nid for nid in a.get("nodes") or [] if any(n.id == nid for n in d.nodes)]
        if not ids:
            raise EditError("nothing to paste: select nodes and copy them first")
        shift = float(a.get("offset", 40))
        mapping = {}
        for nid in ids:
            src = d.node(nid)
            mapping[nid] = new_id(d, src.type)
            pos = src.position or {"x": 0, "y": 0}
            d.nodes.append(Node(mapping[nid], src.type, json_copy(src.params),
                                {"x": round(pos["x"] + shift), "y": round(pos["y"] + shift)}))  # fmt: skip
        d.edges += [Edge(mapping[e.source], mapping[e.target], e.target_port) for e in list(d.edges)
                    if e.source in mapping and e.target in mapping]  # fmt: skip
        self.selected = mapping[ids[0]]

    def _move(self, d: Design, a: dict) -> None:
        for n in d.nodes:
            p = (a.get("positions") or {}).get(n.id)
            if p is not None:
                n.position = _position(p)

    def _layout(self, d: Design, a: dict) -> None:
        """Every node placed by builder.layout, wrapped to fit the canvas the action came from (its flow area)."""
        self.view_size = _view(a)
        layout.apply(d, self.view_size)

    def _set_params(self, d: Design, a: dict) -> None:
        node = d.node(a["id"])
        params = dict(a.get("params") or {})
        try:
            check_values(params, "params")
        except DesignFormatError as e:
            raise EditError(f"cannot set these parameters: {e}") from None
        node.params = params

    def _set_trainable(self, d: Design, a: dict) -> None:
        """Freeze (``trainable: false``) or unfreeze a node: its weights stay as they are while training."""
        if not isinstance(a.get("trainable"), bool):
            raise EditError(f"trainable must be true or false, found {a.get('trainable')!r}")
        d.node(a["id"]).trainable = a["trainable"]

    def _new_head(self, d: Design, a: dict) -> None:
        """A head for ``classes`` classes: the Linear that sets the output's width (it then starts fresh)."""
        from .finetune import new_head

        try:
            self.selected = new_head(d, a.get("classes"))
        except ValueError as e:
            raise EditError(str(e)) from None

    def _group(self, d: Design, a: dict) -> None:
        """Make a block of the selected nodes ("Make block"): the block plus one instance in their place. Inside a
        block being edited, the new block is nested in it: it joins the design's blocks, and the parameters its
        nodes refer to ("$ch") become its own, passed on from the enclosing block's by the instance."""
        from .blocks import GroupError, group

        top = self._top
        name = a.get("name")
        if not name:
            name, k = "Block1", 1
            while name in top.blocks:
                k += 1
                name = f"Block{k}"
        try:
            made = group(Design(d.name, d.nodes, d.edges, blocks=top.blocks), list(a.get("nodes") or []), str(name),
                         a.get("id"))  # fmt: skip
        except GroupError as e:
            raise EditError(str(e)) from None
        d.nodes, d.edges = made.nodes, made.edges
        instance = next(n for n in d.nodes if n.type == name)
        new = made.blocks[name]
        if self.block is not None:  # the enclosing block's parameters the new one uses
            used = sorted({r for n in new.nodes for r in _refs(n.params)})
            new.params = {r: copy.deepcopy(d.params.get(r)) for r in used}
            instance.params = {r: f"${r}" for r in used}
        top.blocks[name] = new
        self.selected = instance.id

    def _ungroup(self, d: Design, a: dict) -> None:
        """Replace a block instance by its block's nodes (ids prefixed with the instance's path). Inside a block
        being edited, the instance's parameter values are written into the nodes; the design keeps its blocks."""
        from .blocks import GroupError, ungroup

        top = self._top
        inside = self.block is not None
        nodes = [_mark_refs(n) for n in d.nodes] if inside else d.nodes  # (refs to the enclosing block's parameters
        try:  # travel through the ungrouping as plain text, and become references again after it)
            made = ungroup(Design(d.name, nodes, d.edges, blocks=top.blocks), a.get("id"))
        except GroupError as e:
            raise EditError(str(e)) from None
        d.nodes, d.edges = [_mark_refs(n, back=True) for n in made.nodes] if inside else made.nodes, made.edges
        if not inside:
            top.blocks = made.blocks  # (the blocks nothing uses any more are dropped)
        self.selected = None

    def _set_repeat(self, d: Design, a: dict) -> None:
        """Set an instance's repeat count (1 to MAX_REPEAT; ``None`` for a single, unrepeated instance)."""
        from .design import MAX_REPEAT

        node = next((n for n in d.nodes if n.id == a.get("id")), None)
        if node is None or node.type not in d.blocks:
            raise EditError(f"{a.get('id')!r} is not a block instance; only instances repeat")
        count = a.get("repeat")
        if count is not None and (
            not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_REPEAT
        ):
            raise EditError(f"repeat must be a whole number from 1 to {MAX_REPEAT}, found {count!r}")
        node.repeat = count
        if node.overrides:
            node.overrides = {k: o for k, o in node.overrides.items() if count is not None and int(k) < count} or None

    def _set_block_params(self, d: Design, a: dict) -> None:
        """Set the parameters (and their defaults) of the block being edited: ``{"params": {"planes": 64}}``."""
        from .design import NAME

        if self.block is None:
            raise EditError("enter a block first: its parameters belong to it")
        params = a.get("params")
        if not isinstance(params, dict):
            raise EditError("block parameters are an object of name: default value")
        bad = next((k for k in params if not isinstance(k, str) or not NAME.fullmatch(k)), None)
        if bad is not None:
            raise EditError(f"{bad!r} is not a plain identifier; a block parameter becomes a Python argument")
        try:
            check_values(params, "params")
        except DesignFormatError as e:
            raise EditError(f"cannot set these parameters: {e}") from None
        d.params = json_copy(params)

    def _rename_block(self, d: Design, a: dict) -> None:
        """Rename a block: its definition and every instance and override that uses it."""
        from .design import NAME

        old, new = a.get("name"), a.get("new_name")
        design = self._top
        if old not in design.blocks:
            raise EditError(f"no block {old!r} in this design")
        if not isinstance(new, str) or not NAME.fullmatch(new):
            raise EditError("a block name is a plain identifier (letters, digits and '_', not starting with a digit)")
        if new in design.blocks or new in REGISTRY:
            raise EditError(f"{new!r} is already a block or a layer type; pick another name")
        design.blocks = {(new if k == old else k): b for k, b in design.blocks.items()}
        design.blocks[new].name = new
        for graph in (design, *design.blocks.values()):
            for n in graph.nodes:
                if n.type == old:
                    n.type = new
                for o in (n.overrides or {}).values():
                    if o.get("type") == old:
                        o["type"] = new
        if self.block == old:
            self.block = new

    def _rename(self, d: Design, a: dict) -> None:
        old, new = a["id"], str(a.get("new_id", "")).strip()
        if not new:
            raise EditError("a node id cannot be empty")
        if id_problem(new) or not encodable(new):
            raise EditError(f"cannot rename: {id_problem(new) or 'the id is not valid Unicode text'}")
        if any(n.id == new for n in d.nodes):
            raise EditError(f"the id {new!r} is taken by another node")
        d.node(old).id = new
        for e in d.edges:
            e.source = new if e.source == old else e.source
            e.target = new if e.target == old else e.target
        if self.selected == old:
            self.selected = new


def _view(a: dict) -> tuple[float, float]:
    view = float(a.get("width", layout.VIEW[0])), float(a.get("height", layout.VIEW[1]))
    if not all(math.isfinite(v) and 50 <= v <= 100_000 for v in view):
        raise EditError(f"the canvas width and height must be px from 50 to 100,000, received {view}")
    return view


def _position(p: dict) -> dict:
    """A canvas position as whole, finite numbers (NaN or Infinity would make the design unsavable)."""
    x, y = float(p["x"]), float(p["y"])
    if not (math.isfinite(x) and math.isfinite(y)):
        raise EditError(f"a position must be finite numbers, received x={x}, y={y}")
    return {"x": round(x), "y": round(y)}


def blank() -> Design:
    """A new design: an Input and an Output to build between."""
    return Design("untitled", [Node("x", "Input", {"shape": [1, 28, 28]}, {"x": 0, "y": 100}),
                               Node("out", "Output", {}, {"x": 700, "y": 100})])  # fmt: skip
