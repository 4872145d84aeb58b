"""design -> Python source of one nn.Module: the only place model source is written.

One walk over the nodes in topological order: ``__init__`` gets one line per layer module (from the spec's
emitter), ``forward`` one line per node with a shape comment. Node ids become identifiers in one place
(:func:`identifiers`); parameter values and names reach the source only through ``literal``/``py_str``
(repr-based) after validation, and the docstring only as sanitized text, so nothing from a design is spliced
into code unescaped.

The text is a complete script: the model class, ``build_model()``, and a ``__main__`` block that loads the
weights file beside it (``model.py`` -> ``model.pt``) if there is one and runs a random input. ``build_model``
executes exactly this text (the ``__main__`` block is inert there) and the Python export writes it, so the
exported code *is* the model. It is laid out as ``ruff format`` lays out code at its default width (88), so
the file passes ``ruff format --check`` untouched: long statements are exploded with magic trailing commas.
"""

from __future__ import annotations

import ast
import functools
import inspect
import io
import keyword
import re
import textwrap
import tokenize
import unicodedata
from dataclasses import dataclass, field

from .design import Design
from .registry import REGISTRY, Explicit, fmt_shape, py_str
from .validate import DesignError, Validation, validate

VERSION = "0.1.0"
WIDTH = 88  # ruff's and black's default line length
HELPER_CLASSES = ("GaussianNoise", "PositionalEncoding", "Reparameterize")  # classes in builder/helpers.py


@functools.cache
def reserved() -> frozenset[str]:
    """Names the generated module uses itself, and attributes nn.Module already has: never node identifiers.
    (torch is imported here, lazily, so that `import builder` and validation stay torch-free and fast.)"""
    from torch import nn

    # dir() of an instance too: `training` and the `_modules`-style slots are set in __init__, not on the class
    names = set(keyword.kwlist) | set(keyword.softkwlist) | set(dir(nn.Module)) | set(dir(nn.Module()))
    names |= set(HELPER_CLASSES)
    names |= {"self", "torch", "nn", "math", "super", "build_model", "print", "len", "range", "object", "type"}
    names.add("Path")  # imported at module level by the __main__ block
    return frozenset(names)


def identifier(text: str, fallback: str = "node") -> str:
    """A legal, ASCII-only Python identifier derived from text (not yet made unique)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()  # naïve -> naive
    name = re.sub(r"[^0-9A-Za-z_]+", "_", ascii_text).strip("_")[:40] or fallback
    if name[0].isdigit():
        name = f"{fallback}_{name}"
    if name in reserved() or name.startswith("_"):
        name = f"{name.strip('_')}_{fallback}" if name.strip("_") else fallback
    return name


def identifiers(ids: list[str]) -> dict[str, str]:
    """Unique identifiers for node ids, stable for a given id list (first come keeps the plain name)."""
    out, taken = {}, set()
    for nid in ids:
        base = name = identifier(nid)
        k = 2
        while name in taken:
            name = f"{base}_{k}"
            k += 1
        taken.add(name)
        out[nid] = name
    return out


def class_name(design_name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", design_name).encode("ascii", "ignore").decode()
    parts = re.findall(r"[A-Za-z0-9]+", ascii_name)
    name = "".join(p[:1].upper() + p[1:] for p in parts)[:40]
    if not name or name[0].isdigit():
        name = "Model" + name
    if name in reserved() or name in ("Model", "Module"):
        name += "Net"
    return name


def doc_text(text: str) -> str:
    """Text that is safe and stable inside a triple-quoted docstring: printable, no backslashes or quotes
    that could end it, no trailing spaces (ruff strips those)."""
    text = "".join(c if c.isprintable() or c == "\n" else " " for c in text)
    return text.replace("\\", "/").replace('"', "'")


def shape_comment(info) -> str:
    return fmt_shape(info.shape) + ("" if info.dtype == "float32" else f" {info.dtype}")


# -- layout ---------------------------------------------------------------------------------------------------
def _split_brackets(expr: str):
    """(head, "(", [args], ")", tail) for the first top-level bracket pair of a one-line expression, or None.
    Uses the tokenizer, so brackets and commas inside string literals are not mistaken for code."""
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(expr).readline) if t.type == tokenize.OP]
    depth, start, cuts = 0, None, []
    for t in tokens:
        if t.string in "([{":
            depth += 1
            if depth == 1 and start is None:
                start = t.start[1]
        elif t.string in ")]}":
            depth -= 1
            if depth == 0 and start is not None:
                end = t.start[1]
                bounds = [start + 1, *cuts, end]
                args = [expr[a:b].strip(" ,") for a, b in zip(bounds, bounds[1:])]
                return expr[:start], expr[start], [a for a in args if a], expr[end], expr[end + 1 :]
        elif t.string == "," and depth == 1 and start is not None:
            cuts.append(t.start[1])
    return None


def render(prefix: str, expr: str, indent: int, suffix: str = "") -> list[str]:
    """``prefix + expr + suffix`` at ``indent``, exploded the way ruff format explodes a line that is too
    long: the first bracket pair gets one argument per line and a magic trailing comma (recursively), and a
    chain of ``+``/``*`` gets wrapped in parentheses with one operand per line."""
    pad = " " * indent
    line = pad + prefix + expr + suffix
    if len(line) <= WIDTH:
        return [line]
    chain = re.fullmatch(r"\w+(?: [+*] \w+)+", expr)
    if chain:
        words = expr.split(" ")
        body = [pad + "    " + words[0]] + [f"{pad}    {op} {w}" for op, w in zip(words[1::2], words[2::2])]
        return [pad + prefix + "(", *body, pad + ")" + suffix]
    parts = _split_brackets(expr)
    if parts is None or not parts[2]:
        return [line]  # nothing to split: ruff leaves it long too
    head, open_, args, close, tail = parts
    if prefix and len(pad + prefix + head + open_) > WIDTH:  # ruff then wraps the right-hand side in parens
        return [pad + prefix + "(", *render("", expr, indent + 4), pad + ")" + suffix]
    out = [pad + prefix + head + open_]
    for arg in args:
        out += render("", arg, indent + 4, ",")
    return out + [pad + close + tail + suffix]


def statement(target: str, expr: str, comment: str, indent: int = 8) -> list[str]:
    """``target = expr  # comment``; the comment moves to the line above when the line would be too long."""
    pad = " " * indent
    one = f"{pad}{target} = {expr}  # {comment}" if comment else f"{pad}{target} = {expr}"
    if len(one) <= WIDTH:
        return [one]
    return ([f"{pad}# {comment}"] if comment else []) + render(f"{target} = ", expr, indent)


# -- the module -----------------------------------------------------------------------------------------------
@dataclass
class Generated:
    source: str
    class_name: str
    attrs: dict[str, str]  # node id -> identifier (module attribute and forward variable)
    inputs: list[str]  # Input node ids, in forward-argument order
    outputs: list[str]  # Output node ids, in return order
    line_nodes: dict[int, str] = field(default_factory=dict)  # source line -> node id, for tracebacks
    validation: Validation | None = field(default=None, repr=False, compare=False)  # the checked report
    body: str = ""  # the helpers, the model class and build_model(), without imports or __main__ block
    imports: tuple[str, ...] = ()  # the modules the body needs ("math", "torch"; nn comes from torch)


def generate(design: Design, validation: Validation | None = None, main: bool = True) -> Generated:
    """The model's source. Raises DesignError (with every issue) when the design is not valid. ``main=False``
    leaves out the ``__main__`` block (for scripts that embed the model, such as the exported train.py).
    A design with blocks gets one class per block (see :func:`_block_classes`)."""
    v = validation or validate(design)
    if not v.valid:
        raise DesignError(v.issues)
    flat = v.flat or design
    cls = class_name(design.name)
    if v.expansion is not None:
        classes, top, attrs = _block_classes(design, v, cls)
    else:
        classes, top = [], _unit(design, "", v, identifiers([n.id for n in design.nodes]), order=v.order)
        attrs = dict(top.attrs)
    inputs, outputs = design.input_ids, design.output_ids
    used_helpers: list[str] = []
    for nid in v.order:
        used_helpers += [h for h in REGISTRY[flat.node(nid).type].helpers if h not in used_helpers]

    lines = ['"""LayerLoom model: generated from a design. Needs only torch."""', ""]
    imports = ("math", "torch") if "PositionalEncoding" in used_helpers else ("torch",)
    if "math" in imports:
        lines += ["import math", ""]
    lines += ["import torch", "from torch import nn", "", ""]
    body_start = len(lines)
    if used_helpers:
        from . import helpers  # imports torch: only when source is written

        for h in used_helpers:
            lines += [*inspect.getsource(getattr(helpers, h)).rstrip().splitlines(), "", ""]
    line_nodes: dict[int, str] = {}
    for c in classes:
        _write_class(lines, line_nodes, c.name, _block_doc(c), c.args, c.rows, c.inputs, c.returns)
        lines += ["", ""]
    _write_class(lines, line_nodes, cls, _docstring(design, v, inputs, outputs), [], top.rows,
                 [top.attrs[i] for i in inputs], top.returns)  # fmt: skip
    lines += ["", "", "def build_model():", f'    """A fresh, randomly initialized {cls}."""', f"    return {cls}()"]
    body = "\n".join(lines[body_start:]) + "\n"
    if main:
        lines += _main_block(flat, v, inputs, outputs)
    return Generated("\n".join(lines) + "\n", cls, attrs, inputs, outputs, line_nodes, v, body, imports)


@dataclass
class _Row:
    """One node of a module: its attribute, constructor expression (None: no module), forward steps."""

    node: str  # the node id in its own graph
    path: str  # its path in the flat design (the first instance's, in a block class)
    attr: str
    ctor: str | None
    steps: list  # [(expr, comment)]; the last is the node's output (its comment is the shape, when known)


@dataclass
class _UnitCode:
    rows: list[_Row]
    attrs: dict[str, str]  # node id -> identifier
    returns: list[str]
    inputs: list[str] = field(default_factory=list)  # forward argument names (a block's Input ids)


def _unit(net: Design, prefix: str, v: Validation, attrs: dict[str, str], calls: dict | None = None,
          multi: set | None = None, order: list[str] | None = None, live: set | None = None) -> _UnitCode:  # fmt: skip
    """The rows of one graph: the design itself (``prefix`` "") or one block instance (``prefix`` its path +
    "/"), with each node's checked params and input types from the flat report. ``calls`` gives the
    constructor of each nested instance; ``multi`` the instances with several outputs (read as ``name[k]``);
    ``live`` the report's live nodes (``set(v.order)``, made once by a caller that makes many units)."""
    live = set(v.order) if live is None else live
    table = {n.id: n for n in net.nodes}
    incoming: dict[str, dict[int, tuple[str, int]]] = {}
    for e in net.edges:
        incoming.setdefault(e.target, {})[e.target_port] = (e.source, e.source_port)

    def var(src: str, port: int) -> str:
        return f"{attrs[src]}[{port}]" if multi and src in multi else attrs[src]

    rows = []
    for nid in order if order is not None else _net_order(net):
        node, path = table[nid], prefix + nid
        if node.type in ("Input", "Output"):
            continue
        args = [var(*incoming[nid][k]) for k in sorted(incoming.get(nid, {}))]
        if calls is not None and path in calls:  # a nested block instance (or a repeat of them)
            comment = shape_comment(v.nodes[path]) if v.nodes[path].shape is not None else ""
            rows.append(_Row(nid, path, attrs[nid], calls[path], [(f"self.{attrs[nid]}({', '.join(args)})", comment)]))
            continue
        if path not in live:
            continue
        spec, p, ins = REGISTRY[node.type], v.resolved[path], v.types_in(path)
        refs = [k for k, val in node.params.items() if isinstance(val, str) and val.startswith("$")]
        if refs and prefix:
            p = Explicit(p)
            p.explicit = frozenset(refs)
        code = spec.forward_code(p, attrs[nid], args, ins)
        steps = code if isinstance(code, list) else [(code, None)]
        steps = [*steps[:-1], (steps[-1][0], shape_comment(v.nodes[path]))]
        rows.append(_Row(nid, path, attrs[nid], spec.init_code(p, ins), steps))
    returns = [var(*incoming[o][0]) for o in net.output_ids if 0 in incoming.get(o, {})]
    return _UnitCode(rows, attrs, returns, [attrs[i] for i in net.input_ids])


# -- blocks -----------------------------------------------------------------------------------------------------
@dataclass
class _Class:
    """One generated class for the instances of a block that share their code (usually all of them)."""

    name: str
    block: str
    description: str
    args: list[str]  # __init__ arguments
    rows: list[_Row]
    inputs: list[str]
    returns: list[str]
    instances: list[str]  # paths


def _block_classes(design: Design, v: Validation, top_name: str):
    """One class per block (per group of its instances whose code differs only in literal values: those become
    the class's ``__init__`` arguments, named after the block parameter that gives them where one does), a block
    that is a numbered chain (node ids "0", "1", …) written as an ``nn.Sequential``, and a repeat as an
    ``nn.Sequential`` of instances. Returns the classes (dependencies first), the top-level code and each flat
    node's module path (``layer2.0.conv1``), for probes."""
    x = v.expansion
    live = set(v.order)
    calls: dict[str, str] = {}  # instance or repeat path -> its constructor expression
    units: dict[str, _UnitCode] = {}
    sequential: set[str] = set()
    multi = {p for p, outs in x.outputs.items() if len(outs) > 1}
    taken = {top_name, *HELPER_CLASSES}
    classes: list[_Class] = []
    groups: dict[tuple, _Class] = {}
    height = _heights(design)
    paths = sorted(x.instances, key=lambda p: (height[x.instances[p].block], -p.count("/")))  # children first
    local_attrs = {name: identifiers([n.id for n in b.nodes]) for name, b in design.blocks.items()}
    level = None
    pending: list[_Class] = []
    for path in paths:
        inst = x.instances[path]
        if height[inst.block] != level:  # every block below this height has its classes and calls
            for c in pending:
                _arguments(c, design, x, units, calls, classes)
            pending, level = [], height[inst.block]
        block = design.blocks[inst.block]
        inner_multi = {p.rsplit("/", 1)[-1] for p in multi if p.rpartition("/")[0] == path}
        for rpath in x.repeats:
            if rpath.rpartition("/")[0] == path:
                _repeat_calls(x, calls, rpath)
        u = _unit(block, path + "/", v, local_attrs[inst.block], calls, inner_multi, live=live)
        units[path] = u
        if _is_chain(block, u):
            calls[path] = "nn.Sequential(" + ", ".join(r.ctor for r in u.rows) + ")"
            sequential.add(path)
            continue
        key = (inst.block, tuple((r.attr, _skeleton(r.ctor)[0] if r.ctor else None,
                                  tuple(e for e, _ in r.steps)) for r in u.rows), tuple(u.returns))  # fmt: skip
        c = groups.get(key)
        if c is None:
            base = class_name(inst.block)
            name, k = base, 2
            while name in taken:
                name, k = f"{base}{k}", k + 1
            taken.add(name)
            c = groups[key] = _Class(name, inst.block, block.description, [], u.rows, u.inputs, u.returns, [])
            classes.append(c)
            pending.append(c)
        c.instances.append(path)
    for c in pending:
        _arguments(c, design, x, units, calls, classes)
    for rpath in x.repeats:
        if "/" not in rpath:
            _repeat_calls(x, calls, rpath)
    top = _unit(design, "", v, identifiers([n.id for n in design.nodes]), calls,
                {p for p in multi if "/" not in p}, live=live)  # fmt: skip
    return classes, top, _module_paths(design, x, units, top, sequential)


def _repeat_calls(x, calls: dict, rpath: str) -> None:
    """A repeat's constructor: an ``nn.Sequential`` of its instances' constructors."""
    calls[rpath] = "nn.Sequential(" + ", ".join(calls[c] for c in x.repeats[rpath]) + ")"


def _heights(design: Design) -> dict[str, int]:
    """Each block's nesting height: 0 for a block of layers only, else 1 + its highest inner block's."""
    memo: dict[str, int] = {}

    def h(name: str, stack: tuple = ()) -> int:
        if name not in memo:
            if name in stack:  # a cycle (validation refuses it)
                return 0
            inner = [o.get("type", n.type) for n in design.blocks[name].nodes
                     for o in [{}, *(n.overrides or {}).values()]]  # fmt: skip
            memo[name] = 1 + max((h(k, (*stack, name)) for k in inner if k in design.blocks), default=-1)
        return memo[name]

    return {name: h(name) for name in design.blocks}


def _is_chain(block: Design, u: _UnitCode) -> bool:
    """A block whose layers are numbered 0, 1, … in the order they run, each fed by the one before: written as
    ``nn.Sequential(...)``, so its modules are named ``0``, ``1``, … as torchvision's stages are."""
    if len(block.input_ids) != 1 or len(block.output_ids) != 1 or not u.rows:
        return False
    prev = u.inputs[0]
    for k, r in enumerate(u.rows):
        if r.node != str(k) or r.ctor is None or len(r.steps) != 1 or r.steps[0][0] != f"self.{r.attr}({prev})":
            return False
        prev = r.attr
    return u.returns == [prev] and len(block.nodes) == len(u.rows) + 2


def _skeleton(expr: str) -> tuple[str, list[tuple[int, int, str | None, int | None, str]]]:
    """``expr`` with each literal (a constant, or a tuple of them) masked, and the literals' spans: (start,
    end, keyword, positional index, callee) — what a varying literal's argument is named after."""
    tree = ast.parse(expr, mode="eval")
    spans = []

    def literal(node) -> bool:
        return not any(isinstance(n, (ast.Name, ast.Call, ast.Attribute)) for n in ast.walk(node))

    def visit(node, kw=None, pos=None, callee=None):
        if not isinstance(node, ast.expr):
            return
        if literal(node):
            spans.append((node.col_offset, node.end_col_offset, kw, pos, callee))
            return
        if isinstance(node, ast.Call):
            name = ast.get_source_segment(expr, node.func)
            visit(node.func)
            for i, a in enumerate(node.args):
                visit(a, None, i, name)
            for k in node.keywords:
                visit(k.value, k.arg, None, name)
            return
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree.body)
    masked = expr
    for a, b, *_ in sorted(spans, reverse=True):
        masked = masked[:a] + "\x00" + masked[b:]
    return masked, spans


def _arguments(c: _Class, design: Design, x, units: dict, calls: dict, classes: list[_Class]) -> None:
    """Turn the literals that differ between ``c``'s instances into ``__init__`` arguments; write each
    instance's constructor call."""
    first = units[c.instances[0]]
    per_row = []  # (row index, spans, [each instance's literal texts])
    for i, r in enumerate(first.rows):
        if r.ctor is None:
            continue
        _, spans = _skeleton(r.ctor)
        texts = []
        for path in c.instances:
            ctor = units[path].rows[i].ctor
            texts.append([ctor[a:b] for a, b, *_ in _skeleton(ctor)[1]])
        per_row.append((i, spans, texts))
    block = design.blocks[c.block]
    values = {p: [_norm(x.instances[path].values.get(p)) for path in c.instances] for p in block.params}
    args: dict[tuple, str] = {}  # a vector of literal texts -> its argument name
    names: set[str] = set()
    edits: dict[int, list[tuple[int, int, str]]] = {}
    for i, spans, texts in per_row:
        for j, (a, b, kw, pos, callee) in enumerate(spans):
            vector = tuple(t[j] for t in texts)
            if len(set(vector)) == 1:
                continue
            name = args.get(vector)
            if name is None:
                parsed = [_norm(_literal_value(t)) for t in vector]
                name = next((p for p, vals in values.items() if vals == parsed), None)
                if name is None:
                    base = kw or _positional_name(callee, pos, {k.name: k.args for k in classes}) or "value"
                    name = base if base not in names and base not in values else f"{first.rows[i].attr}_{base}"
                name = identifier(name, "arg")
                k, unique = 2, name
                while unique in names and args.get(vector) != unique:
                    unique, k = f"{name}_{k}", k + 1
                args[vector] = unique
                names.add(unique)
                name = unique
            edits.setdefault(i, []).append((a, b, name))
    order = list(dict.fromkeys(name for i in sorted(edits) for _, _, name in sorted(edits[i])))  # as they appear
    c.args = order
    rows = []
    for i, r in enumerate(first.rows):
        ctor = r.ctor
        for a, b, name in sorted(edits.get(i, []), reverse=True):
            ctor = ctor[:a] + name + ctor[b:]
        steps = list(r.steps)
        comments = {units[p].rows[i].steps[-1][1] for p in c.instances}
        if len(comments) > 1:  # the shape differs between instances: no comment
            steps[-1] = (steps[-1][0], "")
        rows.append(_Row(r.node, r.path, r.attr, ctor, steps))
    c.rows = rows
    by_name = {v: k for k, v in args.items()}
    for n, path in enumerate(c.instances):
        calls[path] = f"{c.name}({', '.join(by_name[a][n] for a in order)})"


def _positional_name(callee: str | None, pos: int | None, known: dict[str, list[str]]) -> str | None:
    """The name of a call's ``pos``-th positional argument: a generated class's (``known``: class -> its
    ``__init__`` arguments, the inner ones made first) or a torch.nn class's."""
    if callee is None or pos is None:
        return None
    if callee in known:
        names = known[callee]
        return names[pos] if pos < len(names) else None
    if callee.startswith("nn."):
        from torch import nn

        target = getattr(nn, callee[3:], None)
        if target is not None:
            try:
                params = [p for p in inspect.signature(target).parameters if p not in ("self", "args", "kwargs")]
            except (TypeError, ValueError):
                return None
            return params[pos] if pos < len(params) else None
    return None


def _literal_value(text: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _norm(value):
    if isinstance(value, (list, tuple)):
        return tuple(_norm(v) for v in value)
    return value


def _module_paths(design: Design, x, units: dict, top: _UnitCode, sequential: set) -> dict[str, str]:
    """Each flat node's (and instance's) module path in the built model: ``layer2.0.conv1``."""
    out: dict[str, str] = {}

    def walk(u: _UnitCode, prefix: str, module: str, seq: bool):
        for r in u.rows:
            path = prefix + r.node
            name = r.node if seq else r.attr
            mod = f"{module}.{name}" if module else name
            if r.ctor is None:
                out[path] = r.attr if not module else ""
                continue
            out[path] = mod
            if path in x.repeats:
                for k, child in enumerate(x.repeats[path]):
                    out[child] = f"{mod}.{k}"
                    walk(units[child], child + "/", f"{mod}.{k}", child in sequential)
            elif path in units:
                walk(units[path], path + "/", mod, path in sequential)

    walk(top, "", "", False)
    return {k: v for k, v in out.items() if v}


def _block_doc(c: _Class) -> list[str]:
    used = f"used {len(c.instances)} time{'s' if len(c.instances) != 1 else ''}"
    text = textwrap.wrap(f"{doc_text(c.description)} Block {doc_text(c.block)!r}, {used}.".strip(), WIDTH - 11)
    if len(text) == 1:
        return [f'    """{text[0]}"""']
    return ['    """' + text[0], *[f"    {line}" for line in text[1:]], '    """']


def _net_order(net: Design) -> list[str]:
    """Topological order of one graph, preferring the order its nodes are listed in (as validation does)."""
    import networkx as nx

    from .validate import _design_order

    g = nx.DiGraph()
    g.add_nodes_from(n.id for n in net.nodes)
    g.add_edges_from((e.source, e.target) for e in net.edges if e.source in g and e.target in g)
    order, _ = _design_order(g, {n.id: i for i, n in enumerate(net.nodes)})
    return order


def _write_class(lines, line_nodes, name, doc, args, rows, inputs, returns) -> None:
    """``class name(nn.Module)`` with ``__init__(self, *args)`` and ``forward(self, *inputs)``."""
    lines += [f"class {name}(nn.Module):", *doc, ""]
    lines += render("def __init__", f"({', '.join(['self', *args])}):", 4)
    lines.append("        super().__init__()")
    for r in rows:
        if r.ctor is not None:
            for text in render(f"self.{r.attr} = ", r.ctor, 8):
                lines.append(text)
                line_nodes[len(lines)] = r.path
    lines += [""] + render("def forward", f"({', '.join(['self', *inputs])}):", 4)
    for r in rows:
        block = []
        for expr, note in r.steps[:-1]:
            block += statement(r.attr, expr, note)
        block += statement(r.attr, *r.steps[-1])
        for text in block:
            lines.append(text)
            line_nodes[len(lines)] = r.path
    if len(returns) == 1 or len(f"        return {', '.join(returns)}") <= WIDTH:
        lines.append(f"        return {', '.join(returns)}")
    else:
        lines += render("return ", f"({', '.join(returns)})", 8)


def _docstring(design, v, inputs, outputs) -> list[str]:
    text = [f"Design {doc_text(design.name)!r}: {v.params:,} parameters, {v.macs:,} MACs per sample."]
    if design.description:
        text += ["", *textwrap.wrap(doc_text(design.description), WIDTH - 8)]
    text += ["", "Inputs:"] + [f"    {doc_text(i)}: {shape_comment(v.nodes[i])}" for i in inputs]
    text += ["Outputs:"] + [f"    {doc_text(o)}: {shape_comment(v.nodes[o])}" for o in outputs]
    text = [line.rstrip() for line in text]
    return ['    """' + text[0], *[f"    {line}" if line else "" for line in text[1:]], '    """']


def _example_input(design, v, nid) -> str:
    """A random batch of 2 for one Input: normal floats, or token ids every Embedding downstream accepts."""
    shape = ", ".join(map(str, (2, *v.nodes[nid].shape)))
    if v.nodes[nid].dtype != "int64":
        return f"torch.randn({shape})"
    sizes = [v.resolved[n.id]["num_embeddings"] for n in design.nodes if n.type == "Embedding" and n.id in v.resolved]
    return f"torch.randint(0, {min(sizes, default=2)}, ({shape}))"


def _main_block(design, v, inputs, outputs) -> list[str]:
    pad = "    "
    lines = ["", "", 'if __name__ == "__main__":', "    from pathlib import Path", ""]
    lines += [f"{pad}model = build_model().eval()", f'{pad}weights = Path(__file__).with_suffix(".pt")']
    lines += [f"{pad}if weights.exists():  # saved beside this file by LayerLoom's export"]
    lines += [f'{pad}    state = torch.load(weights, map_location="cpu", weights_only=True)']
    lines += [f"{pad}    model.load_state_dict(state)"]
    lines += [f'{pad}    print(f"loaded weights from {{weights.name}}")']
    lines += render("example = ", f"[{', '.join(_example_input(design, v, i) for i in inputs)}]", 4)
    lines += [f"{pad}with torch.no_grad():", f"{pad}    outputs = model(*example)"]
    if len(outputs) == 1:
        lines += [f"{pad}outputs = (outputs,)"]
    lines += render("names = ", f"[{', '.join(py_str(o) for o in outputs)}]", 4)
    lines += [f"{pad}for name, out in zip(names, outputs):", f'{pad}    print(f"{{name}}: {{tuple(out.shape)}}")']
    lines += [
        f"{pad}n_params = sum(p.numel() for p in model.parameters())",
        f'{pad}print(f"parameters: {{n_params:,}}")',
    ]
    return lines
