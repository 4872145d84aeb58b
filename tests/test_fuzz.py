"""Hypothesis over random designs: each is rejected with issues, or its reported shapes are exactly the real
ones. Validation never raises. LAYERLOOM_FUZZ=N raises the number of examples for a long hunt."""

import os

import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from builder import REGISTRY, Design, Edge, Node, build_model, validate
from builder.params import Bool, Choice, Float, FloatTuple, Int, IntTuple, Shape
from builder.probes.capture import forward_locals

TYPES = sorted(set(REGISTRY) - {"Input", "Output"})


def param_value(p):
    if isinstance(p, Bool):
        return st.booleans()
    if isinstance(p, Choice):
        return st.sampled_from(p.choices)
    if isinstance(p, Int):
        lo = p.min if p.min is not None else -2
        vals = st.integers(lo, lo + 6) if p.max is None else st.integers(lo, min(p.max, lo + 6))
        return st.one_of(st.none(), vals) if p.optional else vals
    if isinstance(p, Float):
        return st.sampled_from([0.0, 0.1, 0.5, 1.0, 1.5] + ([None] if p.optional else []))
    if isinstance(p, IntTuple):
        one = st.integers(p.min if p.min is not None else 0, 4)
        n = p.length or 2
        opts = [one, st.lists(one, min_size=n, max_size=n)] + ([st.sampled_from(p.words)] if p.words else [])
        return st.one_of(st.none(), *opts) if p.optional else st.one_of(*opts)
    if isinstance(p, FloatTuple):
        return st.sampled_from([None, 0.5, 1.0, 2.0, 3.0, [2.0, 1.0]])
    if isinstance(p, Shape):
        if p.name == "dims":
            return st.permutations([1, 2]).map(lambda d: [0, *d])
        return st.lists(st.sampled_from([-1, 1, 2, 3, 4, 6]), min_size=1, max_size=3)
    raise AssertionError(p)


@st.composite
def layer_params(draw, type_name):
    spec = REGISTRY[type_name]
    out = {}
    for name, p in spec.params.items():
        if draw(st.booleans()):
            out[name] = draw(param_value(p))
    if type_name == "Embedding":
        out["num_embeddings"] = draw(st.integers(1, 5))
    return out


@st.composite
def designs(draw):
    n_inputs = draw(st.integers(1, 2))
    nodes, edges = [], []
    for i in range(n_inputs):
        shape = draw(st.lists(st.integers(1, 9), min_size=1, max_size=3))
        nodes.append(
            Node(f"in{i}", "Input", {"shape": shape, "dtype": draw(st.sampled_from(["float32"] * 4 + ["int64"]))})
        )
    for k in range(draw(st.integers(1, 5))):
        t = draw(st.sampled_from(TYPES))
        spec = REGISTRY[t]
        lo, hi = spec.min_inputs, spec.max_inputs if spec.max_inputs is not None else 3
        count = draw(st.sampled_from([1, 3])) if t == "MultiheadAttention" else draw(st.integers(lo, hi))
        nid = f"n{k}"
        for port in range(count):
            src = draw(st.sampled_from([n.id for n in nodes]))
            edges.append(Edge(src, nid, port))
        nodes.append(Node(nid, t, draw(layer_params(t))))
    nodes.append(Node("out", "Output"))
    edges.append(Edge(nodes[-2].id, "out"))
    return Design("fuzz", nodes, edges)


@settings(
    max_examples=int(os.environ.get("LAYERLOOM_FUZZ", 400)), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(designs())
def test_random_designs_are_rejected_or_exactly_right(design):
    report = validate(design)  # must never raise
    event("valid" if report.valid else "rejected")
    if not report.valid:
        assert report.errors and all(i.message for i in report.errors)
        return
    model = build_model(design, seed=0).eval()
    inputs = []
    for n in sorted((n for n in design.nodes if n.type == "Input"), key=lambda n: n.id):
        shape = (2, *n.params["shape"])
        inputs.append(torch.zeros(shape, dtype=torch.int64) if n.params["dtype"] == "int64" else torch.randn(shape))
    with torch.no_grad():
        values = forward_locals(model, *inputs)
    for nid in report.order:
        if design.node(nid).type == "Output":
            continue
        value = values[model.layerloom.attrs[nid]]
        assert tuple(value.shape) == (2, *report.nodes[nid].shape), (nid, design.node(nid))
        assert str(value.dtype) == f"torch.{report.nodes[nid].dtype}"
    assert report.params == sum(p.numel() for p in model.parameters())


@st.composite
def single_layer_designs(draw):
    """One layer with random params on inputs of a rank it may accept: explores each shape rule's space."""
    from tests.test_registry import CASES

    t = draw(st.sampled_from(TYPES))
    _, example_inputs, *dtype = draw(st.sampled_from(CASES[t]))
    shared = [draw(st.integers(1, 12)) for _ in example_inputs[0]]
    nodes, edges = [], []
    for i, example in enumerate(example_inputs):
        shape = (
            shared
            if draw(st.booleans()) or len(example) != len(shared)
            else [draw(st.integers(1, 12)) for _ in example]
        )
        nodes.append(Node(f"in{i}", "Input", {"shape": shape, "dtype": dtype[0] if dtype else "float32"}))
        edges.append(Edge(f"in{i}", "layer", i))
    nodes += [Node("layer", t, draw(layer_params(t))), Node("out", "Output")]
    edges.append(Edge("layer", "out"))
    return Design("fuzz1", nodes, edges)


@settings(
    max_examples=4 * int(os.environ.get("LAYERLOOM_FUZZ", 400)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(single_layer_designs())
def test_random_single_layers_are_rejected_or_exactly_right(design):
    test_random_designs_are_rejected_or_exactly_right.hypothesis.inner_test(design)


# -- hostile input: any JSON a user or an attacker can send --------------------------------------------------------
HOSTILE_IDS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["training", "forward", "eval", "state_dict", "_modules", "__init__", "self", "torch", "x",
                     "![m](http://127.0.0.1:9/x)", "<img src=x>", "../../etc/passwd", "a\nb", "\ud800", "1abc",
                     "class", "None", "ĉonv", "x" * 200]),
)  # fmt: skip
EXTREME = st.sampled_from([0, -1, 1, 3, 2**31, 2**63, -(2**63), 10**30, 1e308, -1e308, 1e-308, 5e-324,
                           float("nan"), float("inf"), -float("inf"), 0.5, True, False, None, "x", "same", [],
                           {}, [1e308, 2], [None, 2], [2**40] * 3, [[[]]]])  # fmt: skip


@st.composite
def hostile_designs(draw):
    """Raw JSON-like dicts: real layer types with hostile ids, extreme numbers and any port."""
    ids = draw(st.lists(HOSTILE_IDS, min_size=1, max_size=4, unique=True))
    nodes = [{"id": "in", "type": "Input", "params": {"shape": draw(st.lists(st.integers(1, 6), min_size=1,
                                                                              max_size=3))}}]  # fmt: skip
    for nid in ids:
        t = draw(st.sampled_from(TYPES + ["Output", "Nope"]))
        spec = REGISTRY.get(t)
        params = {k: draw(st.one_of(EXTREME, param_value(v), param_value(v), param_value(v)))
                  for k, v in spec.params.items() if draw(st.booleans())} if spec else {}  # fmt: skip
        node = {"id": nid, "type": t, "params": params}
        if draw(st.integers(0, 3)) == 0:
            node["position"] = {"x": draw(EXTREME), "y": 0}
        nodes.append(node)
    nodes.append({"id": "out", "type": "Output"})
    names = [n["id"] for n in nodes]
    edges = [{"source": a, "target": b} for a, b in zip(names, names[1:])]  # a chain, then anything
    edges += [{"source": draw(st.sampled_from(names)), "target": draw(st.sampled_from(names)),
               "target_port": draw(st.one_of(st.integers(0, 3), st.integers(0, 10**9), st.just(-1)))}
              for _ in range(draw(st.integers(0, 3)))]  # fmt: skip
    raw = {"version": 1, "name": draw(st.one_of(HOSTILE_IDS, st.just("ok"))), "nodes": nodes, "edges": edges}
    if draw(st.integers(0, 3)) == 0:
        raw = {"version": 1, "name": "gan", "networks": {draw(HOSTILE_IDS): {"nodes": nodes, "edges": edges}}}
    return raw


@settings(
    max_examples=int(os.environ.get("LAYERLOOM_FUZZ", 400)), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(hostile_designs())
def test_hostile_designs_are_refused_at_load_or_validate_without_raising(raw):
    from builder.design import DesignFormatError, dumps, from_dict, loads
    from builder.workspace import Workspace

    try:
        design = from_dict(raw)
    except DesignFormatError as e:
        event("refused at load")
        assert e.path.startswith("$") and e.message
        return
    for name in design.networks:  # a network name that got through is a plain identifier: safe as a path part
        Workspace().inside("exports", name)
    again = loads(dumps(design))  # whatever loads can be saved as standard JSON and loaded back
    assert dumps(again) == dumps(design)
    report = validate(design)  # never raises
    event("valid" if report.valid else "rejected")
    if report.valid and not design.networks:
        build_model(design, seed=0)  # hostile ids become safe attribute names
