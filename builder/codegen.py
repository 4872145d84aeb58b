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
from .registry import REGISTRY, fmt_shape, py_str
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
    leaves out the ``__main__`` block (for scripts that embed the model, such as the exported train.py)."""
    v = validation or validate(design)
    if not v.valid:
        raise DesignError(v.issues)
    table = {n.id: n for n in design.nodes}
    attrs = identifiers([n.id for n in design.nodes])
    inputs = design.input_ids
    outputs = design.output_ids
    cls = class_name(design.name)

    init: list[tuple[list[str], str]] = []  # (lines, node id)
    fwd: list[tuple[list[str], str]] = []
    used_helpers: list[str] = []
    for nid in v.order:
        node, spec, info = table[nid], REGISTRY[table[nid].type], v.nodes[nid]
        if node.type in ("Input", "Output"):
            continue
        p, ins, name = v.resolved[nid], v.types_in(nid), attrs[nid]
        used_helpers += [h for h in spec.helpers if h not in used_helpers]
        ctor = spec.init_code(p, ins)
        if ctor is not None:
            init.append((render(f"self.{name} = ", ctor, 8), nid))
        code = spec.forward_code(p, name, [attrs[s] for s in v.inputs[nid]], ins)
        steps = code if isinstance(code, list) else [(code, None)]
        lines = []
        for expr, note in steps[:-1]:
            lines += statement(name, expr, note)
        lines += statement(name, steps[-1][0], shape_comment(info))
        fwd.append((lines, nid))

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
    lines += [f"class {cls}(nn.Module):", *_docstring(design, v, inputs, outputs), "", "    def __init__(self):"]
    lines.append("        super().__init__()")
    line_nodes = {}
    for block, nid in init:
        for text in block:
            lines.append(text)
            line_nodes[len(lines)] = nid
    lines += [""] + render("def forward", f"({', '.join(['self'] + [attrs[i] for i in inputs])}):", 4)
    for block, nid in fwd:
        for text in block:
            lines.append(text)
            line_nodes[len(lines)] = nid
    returns = [attrs[v.inputs[o][0]] for o in outputs]
    if len(returns) == 1 or len(f"        return {', '.join(returns)}") <= WIDTH:
        lines.append(f"        return {', '.join(returns)}")
    else:
        lines += render("return ", f"({', '.join(returns)})", 8)
    lines += ["", "", "def build_model():", f'    """A fresh, randomly initialized {cls}."""', f"    return {cls}()"]
    body = "\n".join(lines[body_start:]) + "\n"
    if main:
        lines += _main_block(design, v, inputs, outputs)
    return Generated("\n".join(lines) + "\n", cls, attrs, inputs, outputs, line_nodes, v, body, imports)


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
