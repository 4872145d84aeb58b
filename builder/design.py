"""The design model and its JSON file format (version 2; version 1 files load unchanged).

A design is a list of nodes (id, type, params, optional canvas position) and a list of edges (source, target,
target_port, source_port). Version 2 adds **blocks**: named sub-designs with their own Input/Output nodes and
parameters (``"$channels"`` in a node's params refers to the block's parameter ``channels``); a node whose type
is a block's name is an instance of it, and ``repeat: N`` chains N instances, output to input, with
``overrides`` for single instances (``{"0": {"type": "DownBlock", "params": {"stride": 2}}}``). A design
without blocks is written as version 1, so older readers still read it. ``Design.graph()`` gives the networkx view validation works on. A file may hold
one network (top-level ``nodes``/``edges``) or several under ``networks`` (a GAN's generator and
discriminator), plus a free-form ``training`` section owned by the training engine and a ``metadata`` object.
Loading checks structure only and names the JSON path of the first thing that is wrong; parameter values are
checked by :func:`builder.validate`, which reports every issue at once.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

FORMAT_VERSION = 2
READS = (1, 2)
MAX_REPEAT = 1024  # instances in one repeat
MAX_BYTES = 32 * 2**20  # a 1000-node design is ~150 kB
MAX_DEPTH = 32  # nesting of JSON values; a design needs 5 (params holding a list of pairs)
MAX_INT = 2**63 - 1  # integers beyond int64 are no layer's parameter
MAX_PORT = 1023  # the most inputs a merge layer may have
MAX_ID = 128  # characters in a node id
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")  # network names become file and module names


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
    repeat: int | None = None  # a block instance: chain this many instances (an nn.Sequential)
    overrides: dict[str, dict] | None = None  # instance index -> {"type": block, "params": {...}} for that one
    trainable: bool = True  # False: its weights stay as they are while training (fine-tuning: frozen)

    def to_dict(self) -> dict:
        out = {"id": self.id, "type": self.type, "params": copy.deepcopy(self.params)}
        if self.repeat is not None:
            out["repeat"] = self.repeat
        if self.overrides:
            out["overrides"] = copy.deepcopy(self.overrides)
        if not self.trainable:
            out["trainable"] = False
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
    blocks: dict[str, Block] = field(default_factory=dict)  # named sub-designs its nodes may instantiate
    # trained or imported weights: a state_dict, or the path of a file holding one (never part of the JSON; the
    # workspace keeps them beside the design as <id>.pt). build_model loads them.
    weights: Any = field(default=None, repr=False, compare=False)

    @property
    def hierarchical(self) -> bool:
        """Uses blocks (or a repeat): validated and generated through builder.blocks."""
        return bool(self.blocks) or any(n.repeat is not None or n.overrides for n in self.nodes)

    @property
    def multi(self) -> bool:
        """A file of several networks (a GAN's generator and discriminator) and no top-level graph."""
        return bool(self.networks) and not self.nodes

    def ids_of(self, node_type: str) -> list[str]:
        """The ids of every node of ``node_type``, sorted: the order of a model's inputs and outputs."""
        return sorted(n.id for n in self.nodes if n.type == node_type)

    @property
    def input_ids(self) -> list[str]:
        return self.ids_of("Input")

    @property
    def output_ids(self) -> list[str]:
        return self.ids_of("Output")

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
        v2 = self.hierarchical or any(net.hierarchical for net in self.networks.values())
        out: dict[str, Any] = {"version": FORMAT_VERSION if v2 else 1, "name": self.name}
        if self.description:
            out["description"] = self.description
        if self.blocks:
            out["blocks"] = {k: b.to_dict() for k, b in self.blocks.items()}
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


@dataclass
class Block(Design):
    """A named sub-design: its own Input nodes (the instance's input ports, in id order), Output nodes (its
    output ports) and parameters with their defaults, which its nodes' params refer to as ``"$name"``."""

    params: dict[str, Any] = field(default_factory=dict)

    def copy_block(self) -> Block:
        return _read_blocks({self.name: self.to_dict()})[self.name]

    def to_dict(self) -> dict:
        out: dict[str, Any] = {}
        if self.description:
            out["description"] = self.description
        if self.params:
            out["params"] = copy.deepcopy(self.params)
        out.update(nodes=[n.to_dict() for n in self.nodes], edges=[e.to_dict() for e in self.edges])
        return out


def _network_dict(d: Design, nested: bool = False) -> dict:
    out = {}
    if nested and d.description:
        out["description"] = d.description
    if nested and d.metadata:
        out["metadata"] = copy.deepcopy(d.metadata)
    out.update(nodes=[n.to_dict() for n in d.nodes], edges=[e.to_dict() for e in d.edges])
    return out


# -- reading ----------------------------------------------------------------------------------------------
TOP_KEYS = {"version", "name", "description", "nodes", "edges", "networks", "training", "metadata", "blocks"}
NODE_KEYS = {"id", "type", "params", "position", "repeat", "overrides", "trainable"}
BLOCK_KEYS = {"description", "params", "nodes", "edges"}
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


def id_problem(node_id: str) -> str | None:
    """Why ``node_id`` cannot be a node id, or None. (Ids are free text shown on the canvas; code names are
    derived from them in codegen, so only length and control characters are limited.)"""
    if len(node_id) > MAX_ID or any(ord(c) < 32 or ord(c) == 127 for c in node_id):
        return (f"an id is at most {MAX_ID} characters with no control characters (newlines, tabs); "
                f"found {len(node_id)} characters")  # fmt: skip
    return None


def _read_node(raw, path) -> Node:
    _expect(raw, dict, path, "a node")
    _unknown_keys(raw, NODE_KEYS, path)
    for key in ("id", "type"):
        if key not in raw:
            raise DesignFormatError(path, f"a node needs {key!r}")
        _expect(raw[key], str, f"{path}.{key}", key)
    if not raw["id"]:
        raise DesignFormatError(f"{path}.id", "the id must not be empty")
    problem = id_problem(raw["id"])
    if problem:
        raise DesignFormatError(f"{path}.id", problem)
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
    repeat = raw.get("repeat")
    if repeat is not None:
        _expect(repeat, int, f"{path}.repeat", "repeat")
        if not 1 <= repeat <= MAX_REPEAT:
            raise DesignFormatError(f"{path}.repeat", f"must be between 1 and {MAX_REPEAT}, found {repeat}")
    overrides = raw.get("overrides")
    if overrides is not None:
        _expect(overrides, dict, f"{path}.overrides", "overrides")
        for k, o in overrides.items():
            at = _key_path(f"{path}.overrides", k)
            if not (k.isascii() and k.isdigit()) or (repeat is not None and int(k) >= repeat) or repeat is None:
                limit = f"0 to {repeat - 1}" if repeat is not None else "none: the node has no repeat"
                raise DesignFormatError(at, f"an override is keyed by an instance index of the repeat ({limit}), "
                                            f"found {json.dumps(k)[:40]}")  # fmt: skip
            _expect(o, dict, at, "an override")
            _unknown_keys(o, {"type", "params"}, at)
            if "type" in o:
                _expect(o["type"], str, f"{at}.type", "type")
            _expect(o.get("params", {}), dict, f"{at}.params", "params")
    trainable = raw.get("trainable", True)
    if not isinstance(trainable, bool):
        raise DesignFormatError(f"{path}.trainable", f"must be true or false, found {json.dumps(trainable)[:40]}")
    node = Node(raw["id"], raw["type"], copy.deepcopy(params), dict(pos) if pos is not None else None)
    node.repeat, node.overrides = repeat, copy.deepcopy(overrides) if overrides else None
    node.trainable = trainable
    return node


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
        if not 0 <= v <= MAX_PORT:
            raise DesignFormatError(f"{path}.{key}", f"must be between 0 and {MAX_PORT}, found {v}")
        ports[key] = v
    return Edge(raw["source"], raw["target"], **ports)


def _read_network(raw: dict, path: str) -> tuple[list[Node], list[Edge]]:
    nodes = _expect(raw.get("nodes", []), list, f"{path}.nodes", "nodes")
    edges = _expect(raw.get("edges", []), list, f"{path}.edges", "edges")
    return (
        [_read_node(n, f"{path}.nodes[{i}]") for i, n in enumerate(nodes)],
        [_read_edge(e, f"{path}.edges[{i}]") for i, e in enumerate(edges)],
    )


def _key_path(path: str, key: str) -> str:
    return f"{path}.{key}" if NAME.fullmatch(key) else f"{path}[{json.dumps(key)[:70]}]"


def check_values(raw: Any, root: str = "$") -> None:
    """Refuse what JSON (or a caller's dict) can hold but a design must not, naming its JSON path: nesting
    deeper than MAX_DEPTH, NaN or infinite numbers, integers beyond int64, text that is not valid Unicode (a
    lone surrogate), keys that are not strings. Iterative, so no input can exhaust the stack."""
    stack = [(raw, root, 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise DesignFormatError(path, f"values are nested more than {MAX_DEPTH} deep; a design needs far fewer")
        if isinstance(value, dict):
            for k, v in value.items():
                if not isinstance(k, str):
                    raise DesignFormatError(path, f"keys must be strings, found {type(k).__name__}")
                stack.append((k, path, depth + 1))
                stack.append((v, _key_path(path, k) if encodable(k) else f"{path}[?]", depth + 1))
        elif isinstance(value, (list, tuple)):
            stack.extend((v, f"{path}[{i}]", depth + 1) for i, v in enumerate(value))
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise DesignFormatError(path, f"{value} is not a number JSON allows; use a finite number")
        elif isinstance(value, int):
            if not -MAX_INT <= value <= MAX_INT:
                raise DesignFormatError(path, f"the integer is out of range; expected at most {MAX_INT:,} in size")
        elif isinstance(value, str):
            if not encodable(value):
                raise DesignFormatError(path, "the text is not valid Unicode (it holds a lone surrogate, e.g. "
                                              "\\ud800); re-type it")  # fmt: skip
        else:
            raise DesignFormatError(path, f"a {type(value).__name__} is not a JSON value")


def encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def from_dict(raw: Any) -> Design:
    """A Design from parsed JSON; raises DesignFormatError naming the JSON path of the first problem."""
    _expect(raw, dict, "$", "a design")
    check_values(raw)
    _unknown_keys(raw, TOP_KEYS, "$")
    version = raw.get("version")
    if version not in READS or isinstance(version, bool):
        raise DesignFormatError(
            "$.version", f"unsupported format version {json.dumps(version)}; this LayerLoom reads versions 1 and 2"
        )
    name = _expect(raw.get("name", "untitled"), str, "$.name", "name")
    description = _expect(raw.get("description", ""), str, "$.description", "description")
    nodes, edges = _read_network(raw, "$")
    networks = {}
    for key, sub in _expect(raw.get("networks", {}), dict, "$.networks", "networks").items():
        if not NAME.fullmatch(key):
            raise DesignFormatError(f"$.networks[{json.dumps(key)[:70]}]", "a network name must be a plain identifier "
                                    "(letters, digits and '_', not starting with a digit, at most 64 characters), "
                                    "since it names the network's files and module")  # fmt: skip
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
    blocks = _read_blocks(raw.get("blocks", {}))
    hierarchical = blocks or any(n.repeat is not None or n.overrides for n in nodes)
    if hierarchical and version == 1:
        raise DesignFormatError("$.version", 'blocks and repeat need format version 2; set "version": 2')
    return Design(name, nodes, edges, description, copy.deepcopy(training), copy.deepcopy(metadata), networks,
                  blocks)  # fmt: skip


def _read_blocks(raw) -> dict[str, Block]:
    blocks = {}
    for key, sub in _expect(raw, dict, "$.blocks", "blocks").items():
        at = _key_path("$.blocks", key)
        if not NAME.fullmatch(key):
            raise DesignFormatError(at, "a block name must be a plain identifier (letters, digits and '_', not "
                                        "starting with a digit, at most 64 characters): it names a Python class")  # fmt: skip
        _expect(sub, dict, at, "a block")
        _unknown_keys(sub, BLOCK_KEYS, at)
        nodes, edges = _read_network(sub, at)
        params = _expect(sub.get("params", {}), dict, f"{at}.params", "params")
        for name in params:
            if not NAME.fullmatch(name):
                raise DesignFormatError(_key_path(f"{at}.params", name), "a block parameter name must be a plain "
                                        "identifier (it becomes an argument of the block's class)")  # fmt: skip
        description = _expect(sub.get("description", ""), str, f"{at}.description", "description")
        blocks[key] = Block(key, nodes, edges, description, params=copy.deepcopy(params))
    return blocks


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
    except ValueError as e:  # an integer literal over Python's 4,300-digit conversion limit
        what = "an integer has more than 4,300 digits" if "digits" in str(e) else str(e)
        raise DesignFormatError("$", f"not a value a design can hold: {what}", file) from None
    try:
        return from_dict(raw)
    except DesignFormatError as e:
        raise DesignFormatError(e.path, e.message, file) from None


def dumps(design: Design) -> str:
    """JSON text with one node or edge per line: compact, and diff-friendly in git."""
    d = design.to_dict()

    def block(items, indent):
        pad = " " * indent
        return (
            "[\n"
            + ",\n".join(pad + "  " + json.dumps(i, ensure_ascii=False, allow_nan=False) for i in items)
            + "\n"
            + pad
            + "]"
        )

    lines = []
    for key, value in d.items():
        if key in ("nodes", "edges"):
            lines.append(f'  "{key}": {block(value, 2) if value else "[]"}')
        elif key in ("blocks", "networks"):  # named graphs, each with a few fields first
            fields = ("description", "params") if key == "blocks" else ("description", "metadata")
            subs = []
            for k, v in value.items():
                head = "".join(f"{json.dumps(f)}: {json.dumps(v[f], ensure_ascii=False, allow_nan=False)},\n     "
                               for f in fields if f in v)  # fmt: skip
                graphs = {g: block(v[g], 4) if v[g] else "[]" for g in ("nodes", "edges")}
                subs.append(
                    f'    {json.dumps(k)}: {{{head}"nodes": {graphs["nodes"]},\n     "edges": {graphs["edges"]}}}'
                )
            lines.append(f"  {json.dumps(key)}: {{\n" + ",\n".join(subs) + "\n  }")
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False, allow_nan=False)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


class DiskFull(OSError):
    """No space left (or quota exceeded) on the device that holds a file LayerLoom writes."""

    def __init__(self, path: str | os.PathLike, error: OSError | None = None):
        super().__init__(error.errno if error else 28, f"no space left on the device holding the workspace: "
                         f"could not write {path}. Free some space (delete old runs or exports) and try again.")  # fmt: skip
        self.path = Path(path)

    def __str__(self) -> str:
        return self.strerror


def disk_full(error: BaseException) -> bool:
    import errno

    return isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT)


def atomic_write(path: str | os.PathLike, data: str | bytes | Callable[[Path], None]) -> Path:
    """Write text, bytes, or whatever ``data(tmp_path)`` writes, to a temp file beside ``path``, then rename it
    into place: a crash never leaves half a file, a reader never sees one, and two writers never share a temp
    file (each gets its own unique name). On any failure the temp file is removed and ``path`` keeps its old
    contents; a full disk raises :class:`DiskFull`. The one place the project writes files this way."""
    path = Path(path)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        if disk_full(e):
            raise DiskFull(path, e) from e
        raise
    tmp = Path(name)
    try:
        os.chmod(fd, 0o644)  # mkstemp's 0600 would make exports unreadable to anyone else
        if callable(data):
            os.close(fd)
            data(tmp)
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException as e:
        tmp.unlink(missing_ok=True)
        # torch.save reports a full disk as a RuntimeError: ask the file system instead of parsing messages
        if disk_full(e) or disk_full(e.__cause__) or (isinstance(e, Exception) and _nearly_full(path.parent)):
            raise DiskFull(path, e if isinstance(e, OSError) else None) from e
        raise
    return path


def _nearly_full(folder: Path) -> bool:
    try:
        return shutil.disk_usage(folder).free < 1 * 2**20
    except OSError:
        return False


def save_design(design: Design, path: str | os.PathLike) -> None:
    """Write the design as JSON, atomically."""
    atomic_write(path, dumps(design))
