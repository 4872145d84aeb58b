"""Helpers shared by the tests: tiny designs around one layer, running a built model, counting the library's
validations and source generations, waiting on runs."""

import contextlib
import sys
import time
from unittest import mock

import torch

from builder import Design, Edge, Node


def layer_design(type_name, params=None, inputs=((1, 8, 8),), dtype="float32", name="case"):
    """Input(s) -> one layer -> Output."""
    nodes, edges = [], []
    for i, shape in enumerate(inputs):
        nodes.append(Node(f"in{i}", "Input", {"shape": list(shape), "dtype": dtype}))
        edges.append(Edge(f"in{i}", "layer", target_port=i))
    nodes += [Node("layer", type_name, dict(params or {})), Node("out", "Output")]
    edges.append(Edge("layer", "out"))
    return Design(name, nodes, edges)


def random_inputs(design, batch=2, vocab=10):
    xs = []
    for n in sorted((n for n in design.nodes if n.type == "Input"), key=lambda n: n.id):
        shape = (batch, *n.params["shape"])
        if n.params.get("dtype") == "int64":
            xs.append(torch.randint(0, vocab, shape))
        else:
            xs.append(torch.randn(shape))
    return xs


def run(model, design, batch=2, vocab=10):
    """Eval-mode forward on random inputs; always returns a tuple of outputs."""
    model.eval()
    with torch.no_grad():
        out = model(*random_inputs(design, batch, vocab))
    return out if isinstance(out, tuple) else (out,)


def template_designs():
    """(label, single-network design) for every template; a GAN file contributes each of its networks."""
    from builder.templates import list_templates

    return [pair for t in list_templates() for pair in t.designs()]


@contextlib.contextmanager
def count_checks():
    """{"validate": n, "generate": n}: how often a design was validated and its source generated inside."""
    from builder import codegen

    validation = sys.modules["builder.validate"]  # (builder.validate is also the name of the function)
    calls = {"validate": 0, "generate": 0}

    def counted(name, fn):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)

        return wrapper

    with mock.patch.object(validation, "_structure", counted("validate", validation._structure)):
        with mock.patch.object(codegen, "generate", counted("generate", codegen.generate)):
            yield calls


def wait_for(predicate, timeout=60.0, every=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


def steps(ws, run_id):
    return sum(e.kind == "step" for e in ws.events(run_id))
