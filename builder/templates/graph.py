"""A small typed builder for writing designs as code: the templates are written with it, and so can anyone's own.

Every layer type of the registry is a method (``g.Conv2d(x, out_channels=6, kernel_size=5, id="conv1")``, the
same as ``g.add("Conv2d", x, …)``), and every call is checked against the type's spec at once: an unknown type
or a misspelt parameter fails where the template is written, naming what it takes, not later when the design
is validated. Values are checked with the parameter's own schema too.
"""

from __future__ import annotations

import difflib
from collections import Counter
from functools import partial

from ..design import Block, Design, Edge, Node
from ..params import ParamError
from ..registry import REGISTRY


class TemplateError(ValueError):
    """A template that asks for something the registry does not have."""


class Graph:
    """Nodes and edges of one network, added in order: ``add(type, *inputs, id=..., **params) -> node id``."""

    def __init__(self, name: str, blocks: dict | None = None, params: dict | None = None, description: str = ""):
        self.name = name
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self.counts: Counter = Counter()
        self.blocks: dict[str, Graph] = blocks if blocks is not None else {}  # shared by a design's graphs
        self.params, self.description = dict(params or {}), description

    def block(self, name: str, description: str = "", **params) -> Graph:
        """Define the block ``name`` (its parameters and their defaults as keywords); returns its graph, to be
        filled with an Input per input port, its layers (``"$name"`` refers to a parameter) and an Output."""
        if name in self.blocks or name in REGISTRY:
            raise TemplateError(f"block {name!r} is already defined, or is a layer type")
        self.blocks[name] = sub = Graph(name, self.blocks, params, description)
        return sub

    def sequence(self, name: str, *layers, description: str = "", **params) -> Graph:
        """Define a block that is a numbered chain (node ids "0", "1", …: generated as an ``nn.Sequential``, so its
        modules are named as torchvision's stages are); each layer is (type or block, params)."""
        b = self.block(name, description, **params)
        x = b.add("Input", id="x")
        for i, (kind, p) in enumerate(layers):
            x = b.add(kind, x, id=str(i), **p)
        b.add("Output", x, id="y")
        return b

    def use(self, block: str, *inputs: str, id: str, repeat: int | None = None, overrides: dict | None = None,
            **params) -> str:  # fmt: skip
        """An instance of ``block`` (``repeat``: that many, chained) fed by ``inputs``; returns its id."""
        if block not in self.blocks:
            raise TemplateError(f"no block {block!r}; define it with g.block({block!r}, ...) first")
        unknown = sorted(set(params) - set(self.blocks[block].params))
        if unknown:
            raise TemplateError(
                f"block {block} has no parameter {unknown[0]!r}; it takes: {', '.join(self.blocks[block].params)}"
            )
        node = Node(id, block, params)
        node.repeat, node.overrides = repeat, overrides
        self.nodes.append(node)
        self.edges += [Edge(src, id, target_port=i) for i, src in enumerate(inputs)]
        return id

    def add(self, type_name: str, *inputs: str, id: str | None = None, **params) -> str:
        """Add a node of ``type_name`` (a layer type, or a block: an instance) fed by ``inputs`` (port 0, 1, …);
        its id (default: type + count)."""
        if type_name in self.blocks:
            return self.use(type_name, *inputs, id=id or f"{type_name.lower()}{len(self.nodes)}", **params)
        spec = REGISTRY.get(type_name)
        if spec is None:
            close = difflib.get_close_matches(type_name, list(REGISTRY), n=1)
            raise TemplateError(f"no layer type {type_name!r}" + (f"; did you mean {close[0]!r}?" if close else ""))
        for name, value in params.items():
            if isinstance(value, str) and value.startswith("$"):
                if value[1:] not in self.params:
                    raise TemplateError(f"{type_name} {id or ''}: {value} is not a parameter of block {self.name!r}")
                continue
            if name not in spec.params:
                close = difflib.get_close_matches(name, list(spec.params), n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise TemplateError(f"{type_name} has no parameter {name!r}.{hint} It takes: {', '.join(spec.params)}")
            try:
                spec.params[name].check(value)
            except ParamError as e:
                raise TemplateError(f"{type_name} {id or ''}: {name} {e}") from None
        if id is None:
            self.counts[type_name] += 1
            id = f"{type_name.lower()}{self.counts[type_name]}"
        self.nodes.append(Node(id, type_name, params))
        self.edges += [Edge(src, id, target_port=i) for i, src in enumerate(inputs)]
        return id

    def __getattr__(self, type_name: str):
        if type_name in REGISTRY:
            return partial(self.add, type_name)
        raise AttributeError(type_name)

    def seq(self, x: str, *layers, prefix: str = "") -> str:
        """Chain layers after ``x``: each is a type name, (type, params) or (type, params, id). The last id."""
        for layer in layers:
            if isinstance(layer, str):
                layer = (layer, {})
            type_name, params, *nid = layer
            x = self.add(type_name, x, id=(prefix + nid[0]) if nid else None, **params)
        return x

    def design(self, description: str = "", metadata: dict | None = None) -> Design:
        """The network as a design, laid out to fit the canvas of a 1440×900 window."""
        from .. import layout

        blocks = {k: layout.apply(Block(k, b.nodes, b.edges, b.description, params=b.params))
                  for k, b in self.blocks.items()}  # fmt: skip
        d = Design(self.name, self.nodes, self.edges, description, metadata=dict(metadata or {}), blocks=blocks)
        return layout.apply(d)
