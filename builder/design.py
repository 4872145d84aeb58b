"""The design model and its JSON file format (version 1).

A design is a list of nodes (id, type, params, optional canvas position) and a list of edges (source, target,
target_port, source_port). ``Design.graph()`` gives the networkx view validation works on. A file may hold
one network (top-level ``nodes``/``edges``) or several under ``networks`` (a GAN's generator and
discriminator), plus a free-form ``training`` section owned by the training engine and a ``metadata`` object.
Loading checks structure only and names the JSON path of the first thing that is wrong; parameter values are
checked by :func:`builder.validate`, which reports every issue at once.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

FORMAT_VERSION = 1
MAX_BYTES = 32 * 2**20  # a 1000-node design is ~150 kB


class DesignFormatError(ValueError):
    """A design file that cannot be read. ``path`` is the JSON path of the offending value, e.g. $.nodes[2].id."""

    def __init__(self, path: str, message: str, file: str | None = None):
        where = f"{file}: " if file else ""
        super().__init__(f"{where}{path}: {message}")
        self.path, self.message, self.file = path, message, file


@dataclass
class Node:
    id: str
    type: str
    params: dict[str, Any] = field(default_factory=dict)
    position: dict[str, float] | None = None

    def to_dict(self) -> dict:
        out = {"id": self.id, "type": self.type, "params": copy.deepcopy(self.params)}
        if self.position is not None:
            out["position"] = dict(self.position)
        return out


@dataclass
class Edge:
    source: str
    target: str
    target_port: int = 0
    source_port: int = 0

    def to_dict(self) -> dict:
        out = {"source": self.source, "target": self.target}
        if self.target_port:
            out["target_port"] = self.target_port
        if self.source_port:
            out["source_port"] = self.source_port
        return out


@dataclass
class Design:
    name: str = "untitled"
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    description: str = ""
    training: dict | None = None
    metadata: dict = field(default_factory=dict)
    networks: dict[str, Design] = field(default_factory=dict)  # several networks in one file (GAN)

    def node(self, node_id: str) -> Node:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    def source_of(self, node_id: str, port: int = 0) -> Node | None:
        """The node connected to ``node_id``'s input ``port``, if any."""
        edge = next((e for e in self.edges if e.target == node_id and e.target_port == port), None)
        return self.node(edge.source) if edge else None

    def graph(self) -> nx.MultiDiGraph:
        """The design as a networkx multigraph: node attrs type/params, edge attrs target_port/source_port."""
        g = nx.MultiDiGraph(name=self.name)
        g.add_nodes_from((n.id, {"type": n.type, "params": n.params}) for n in self.nodes)
        g.add_edges_from(
            (e.source, e.target, {"target_port": e.target_port, "source_port": e.source_port}) for e in self.edges
        )
        return g

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"version": FORMAT_VERSION, "name": self.name}
        if self.description:
            out["description"] = self.description
        if self.networks:
            out["networks"] = {k: _network_dict(v, nested=True) for k, v in self.networks.items()}
        if self.nodes or not self.networks:
            out.update(_network_dict(self))
        if self.training is not None:
            out["training"] = copy.deepcopy(self.training)
        if self.metadata:
            out["metadata"] = copy.deepcopy(self.metadata)
        return out

    def copy(self) -> Design:
        return from_dict(self.to_dict())


def _network_dict(d: Design, nested: bool = False) -> dict:
    out = {}
    if nested and d.description:
        out["description"] = d.description
    if nested and d.metadata:
        out["metadata"] = copy.deepcopy(d.metadata)
    out.update(nodes=[n.to_dict() for n in d.nodes], edges=[e.to_dict() for e in d.edges])
    return out


# -- reading ----------------------------------------------------------------------------------------------
TOP_KEYS = {"version", "name", "description", "nodes", "edges", "networks", "training", "metadata"}
NODE_KEYS = {"id", "type", "params", "position"}
EDGE_KEYS = {"source", "target", "target_port", "source_port"}


def _expect(value, kind, path, what):
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = {dict: "an object", list: "a list", str: "a string", int: "an integer"}
        raise DesignFormatError(
            path, f"{what} must be {names.get(kind, kind.__name__)}, found {json.dumps(value)[:60]}"
        )
    return value


def _unknown_keys(obj: dict, allowed: set, path: str):
    extra = sorted(set(obj) - allowed)
    if extra:
        raise DesignFormatError(
            f"{path}.{extra[0]}", f"unknown key {extra[0]!r}; expected only {', '.join(sorted(allowed))}"
        )


def _read_node(raw, path) -> Node:
    _expect(raw, dict, path, "a node")
    _unknown_keys(raw, NODE_KEYS, path)
    for key in ("id", "type"):
        if key not in raw:
            raise DesignFormatError(path, f"a node needs {key!r}")
        _expect(raw[key], str, f"{path}.{key}", key)
    if not raw["id"]:
        raise DesignFormatError(f"{path}.id", "the id must not be empty")
    params = _expect(raw.get("params", {}), dict, f"{path}.params", "params")
    for k in params:
        _expect(k, str, f"{path}.params", "a parameter name")
    pos = raw.get("position")
    if pos is not None:
        _expect(pos, dict, f"{path}.position", "position")
        for axis in ("x", "y"):
            v = pos.get(axis)
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                raise DesignFormatError(f"{path}.position.{axis}", f"must be a number, found {json.dumps(v)}")
        _unknown_keys(pos, {"x", "y"}, f"{path}.position")
    return Node(raw["id"], raw["type"], copy.deepcopy(params), dict(pos) if pos is not None else None)


def _read_edge(raw, path) -> Edge:
    _expect(raw, dict, path, "an edge")
    _unknown_keys(raw, EDGE_KEYS, path)
    for key in ("source", "target"):
        if key not in raw:
            raise DesignFormatError(path, f"an edge needs {key!r}")
        _expect(raw[key], str, f"{path}.{key}", key)
    ports = {}
    for key in ("target_port", "source_port"):
        v = _expect(raw.get(key, 0), int, f"{path}.{key}", key)
        if v < 0:
            raise DesignFormatError(f"{path}.{key}", f"must be >= 0, found {v}")
        ports[key] = v
    return Edge(raw["source"], raw["target"], **ports)


def _read_network(raw: dict, path: str) -> tuple[list[Node], list[Edge]]:
    nodes = _expect(raw.get("nodes", []), list, f"{path}.nodes", "nodes")
    edges = _expect(raw.get("edges", []), list, f"{path}.edges", "edges")
    return (
        [_read_node(n, f"{path}.nodes[{i}]") for i, n in enumerate(nodes)],
        [_read_edge(e, f"{path}.edges[{i}]") for i, e in enumerate(edges)],
    )


def from_dict(raw: Any) -> Design:
    """A Design from parsed JSON; raises DesignFormatError naming the JSON path of the first problem."""
    _expect(raw, dict, "$", "a design")
    _unknown_keys(raw, TOP_KEYS, "$")
    version = raw.get("version")
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise DesignFormatError(
            "$.version", f"unsupported format version {json.dumps(version)}; this LayerLoom reads version 1"
        )
    name = _expect(raw.get("name", "untitled"), str, "$.name", "name")
    description = _expect(raw.get("description", ""), str, "$.description", "description")
    nodes, edges = _read_network(raw, "$")
    networks = {}
    for key, sub in _expect(raw.get("networks", {}), dict, "$.networks", "networks").items():
        _expect(sub, dict, f"$.networks.{key}", "a network")
        at = f"$.networks.{key}"
        _unknown_keys(sub, {"nodes", "edges", "description", "metadata"}, at)
        sub_nodes, sub_edges = _read_network(sub, at)
        sub_description = _expect(sub.get("description", ""), str, f"{at}.description", "description")
        sub_metadata = _expect(sub.get("metadata", {}), dict, f"{at}.metadata", "metadata")
        networks[key] = Design(key, sub_nodes, sub_edges, sub_description, metadata=copy.deepcopy(sub_metadata))
    if not nodes and not networks and ("nodes" not in raw):
        raise DesignFormatError("$", "a design needs 'nodes' (or 'networks')")
    training = raw.get("training")
    if training is not None:
        _expect(training, dict, "$.training", "training")
    metadata = _expect(raw.get("metadata", {}), dict, "$.metadata", "metadata")
    return Design(name, nodes, edges, description, copy.deepcopy(training), copy.deepcopy(metadata), networks)


def load_design(source: str | os.PathLike | dict | Design) -> Design:
    """Load a design from a path, a JSON string (starting with "{"), a parsed dict or a Design (copied)."""
    if isinstance(source, Design):
        return source.copy()
    if isinstance(source, dict):
        return from_dict(source)
    if isinstance(source, str) and source.lstrip().startswith("{"):
        return loads(source)
    file = str(source)
    try:
        text = Path(source).read_text(encoding="utf-8")
    except OSError as e:
        raise DesignFormatError("$", f"cannot read the file: {e.strerror or e}", file) from None
    except UnicodeDecodeError:
        raise DesignFormatError("$", "the file is not UTF-8 text", file) from None
    return loads(text, file)


def loads(text: str | bytes, file: str | None = None) -> Design:
    """Parse design JSON text (never a path: use this for uploads). ``file`` only labels error messages."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise DesignFormatError("$", "the file is not UTF-8 text", file) from None
    if len(text) > MAX_BYTES:
        raise DesignFormatError("$", f"the file is {len(text) / 2**20:.1f} MB; designs are limited to "
                                     f"{MAX_BYTES // 2**20} MB", file)  # fmt: skip
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as e:
        raise DesignFormatError("$", f"not valid JSON: {e.msg} at line {e.lineno} column {e.colno}", file) from None
    except RecursionError:
        raise DesignFormatError("$", "the JSON is nested too deeply to be a design", file) from None
    try:
        return from_dict(raw)
    except DesignFormatError as e:
        raise DesignFormatError(e.path, e.message, file) from None


def dumps(design: Design) -> str:
    """JSON text with one node or edge per line: compact, and diff-friendly in git."""
    d = design.to_dict()

    def block(items, indent):
        pad = " " * indent
        return "[\n" + ",\n".join(pad + "  " + json.dumps(i, ensure_ascii=False) for i in items) + "\n" + pad + "]"

    lines = []
    for key, value in d.items():
        if key in ("nodes", "edges"):
            lines.append(f'  "{key}": {block(value, 2) if value else "[]"}')
        elif key == "networks":
            subs = []
            for k, v in value.items():
                head = "".join(f"{json.dumps(f)}: {json.dumps(v[f], ensure_ascii=False)},\n     "
                               for f in ("description", "metadata") if f in v)  # fmt: skip
                subs.append(f'    {json.dumps(k)}: {{{head}"nodes": {block(v["nodes"], 4)},\n'
                            f'     "edges": {block(v["edges"], 4)}}}')  # fmt: skip
            lines.append('  "networks": {\n' + ",\n".join(subs) + "\n  }")
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def atomic_write(path: str | os.PathLike, data: str | bytes | Callable[[Path], None]) -> Path:
    """Write text, bytes, or whatever ``data(tmp_path)`` writes, to a temp file beside ``path``, then rename it
    into place: a crash never leaves half a file. The one place the project writes files this way."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    if callable(data):
        data(tmp)
    else:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    os.replace(tmp, path)
    return path


def save_design(design: Design, path: str | os.PathLike) -> None:
    """Write the design as JSON, atomically."""
    atomic_write(path, dumps(design))
