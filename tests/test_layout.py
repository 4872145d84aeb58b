"""The canvas layout: wrapped layers that fit the view, no overlapping boxes, data flowing in reading order."""

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builder import layout as L
from builder.design import Design, Edge, Node
from builder.edit import Editor
from builder.templates import list_templates, load_template

TEMPLATES = [t.name for t in list_templates()]


def overlaps(pos: dict) -> list[tuple[str, str]]:
    boxes = sorted(pos.items(), key=lambda kv: (kv[1]["x"], kv[1]["y"]))
    return [(a, b) for (a, p), (b, q) in itertools.combinations(boxes, 2)
            if abs(p["x"] - q["x"]) < L.NODE_W and abs(p["y"] - q["y"]) < L.NODE_H]  # fmt: skip


def reading_order(pos: dict, nid: str) -> tuple[int, int]:
    """(band top, x): a wrapped drawing reads band by band, left to right."""
    return pos[nid]["y"] // 1, pos[nid]["x"]


def chain(n: int) -> Design:
    nodes = [Node(f"n{i}", "ReLU", {}) for i in range(n)]
    return Design("chain", nodes, [Edge(f"n{i}", f"n{i + 1}") for i in range(n - 1)])


@pytest.mark.parametrize("name", TEMPLATES)
def test_no_template_has_overlapping_nodes_and_every_node_is_placed(name):
    template = next(t for t in list_templates() if t.name == name)
    for _, design in template.designs():
        pos = L.layout(design)
        assert set(pos) == {n.id for n in design.nodes}
        assert not overlaps(pos)
        # and the stored template positions are this layout's (python -m builder.templates writes them)
        assert {n.id: n.position for n in design.nodes} == pos


def test_a_fitted_lenet5_is_drawn_near_full_size_not_as_one_long_row():
    design = load_template("lenet5")
    pos = L.layout(design)
    w, h = L.drawing_size(pos)
    assert L.fitted_scale(w, h) >= 0.95  # 12 px node text stays ≥ 11 px on a 1440×900 window
    one_row = L.fitted_scale(len(design.nodes) * (L.NODE_W + L.GAP_X), L.NODE_H)
    assert one_row < 0.3  # what an unwrapped layered drawing gives
    assert len({p["y"] for p in pos.values()}) >= 3  # wrapped into rows


def test_a_chain_wraps_like_text_and_each_edge_reads_forward():
    design = chain(20)
    pos = L.layout(design, view=(900, 700))
    assert not overlaps(pos)
    for e in design.edges:
        assert reading_order(pos, e.source) < reading_order(pos, e.target)


def test_a_wide_view_keeps_a_short_chain_on_one_row():
    pos = L.layout(chain(4), view=(1600, 400))
    assert len({p["y"] for p in pos.values()}) == 1


def test_branches_share_a_layer_and_are_ordered_to_avoid_crossings():
    nodes = [Node(i, "ReLU", {}) for i in ("x", "b1", "b2", "c1", "c2", "cat")]
    # b1 feeds c2 and b2 feeds c1: the barycentre sweep must put c1 and c2 in b2's and b1's order
    edges = [
        Edge("x", "b1"),
        Edge("x", "b2"),
        Edge("b1", "c2"),
        Edge("b2", "c1"),
        Edge("c1", "cat"),
        Edge("c2", "cat", 1),
    ]
    ranks = L.layers(Design("branches", nodes, edges))
    assert ranks[0] == ["x"] and sorted(ranks[1]) == ["b1", "b2"] and ranks[-1] == ["cat"]
    assert ranks[2] == ["c2", "c1"] if ranks[1] == ["b1", "b2"] else ranks[2] == ["c1", "c2"]


def test_a_cycle_or_an_unconnected_node_is_still_placed():
    nodes = [Node(i, "ReLU", {}) for i in ("a", "b", "c", "lonely")]
    design = Design("cyclic", nodes, [Edge("a", "b"), Edge("b", "c"), Edge("c", "a")])
    pos = L.layout(design)
    assert set(pos) == {"a", "b", "c", "lonely"} and not overlaps(pos)
    assert L.layout(Design("empty", [], [])) == {}


def test_auto_layout_is_one_undoable_edit_that_fits_the_canvas_it_came_from():
    design = chain(12)
    ed = Editor(design)
    assert ed.apply({"action": "layout", "width": 1800, "height": 300}) is None
    wide = {n.id: n.position for n in ed.design.nodes}
    assert len({p["y"] for p in wide.values()}) <= 2
    assert ed.apply({"action": "layout", "width": 500, "height": 900}) is None
    tall = {n.id: n.position for n in ed.design.nodes}
    assert len({p["y"] for p in tall.values()}) > len({p["y"] for p in wide.values()})
    ed.apply({"action": "undo"})
    assert {n.id: n.position for n in ed.design.nodes} == wide
    assert "width and height" in ed.apply({"action": "layout", "width": -5, "height": 100})
    # the canvas's size alone is remembered (templates are laid out for it) and is not an edit
    before = len(ed.undo_stack)
    assert ed.apply({"action": "view", "width": 640, "height": 600}) is None
    assert ed.view_size == (640, 600) and len(ed.undo_stack) == before
    assert "width and height" in ed.apply({"action": "view", "width": float("nan"), "height": 600})
    # and every other action carries it too (a standalone size report may be dropped by Streamlit)
    assert ed.apply({"action": "select", "id": "n1", "view": {"width": 900, "height": 500}}) is None
    assert ed.view_size == (900, 500) and ed.selected == "n1"
    assert ed.apply({"action": "select", "id": "n2", "view": {"width": "x"}}) is None and ed.view_size == (900, 500)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 30), st.lists(st.tuples(st.integers(0, 29), st.integers(0, 29)), max_size=60),
       st.integers(200, 3000), st.integers(200, 3000))  # fmt: skip
def test_any_graph_in_any_view_gets_a_box_per_node_and_no_overlaps(n, pairs, w, h):
    nodes = [Node(f"n{i}", "ReLU", {}) for i in range(n)]
    edges = [Edge(f"n{a}", f"n{b}", k) for k, (a, b) in enumerate(pairs) if a < n and b < n and a != b]
    pos = L.layout(Design("random", nodes, edges), view=(w, h))
    assert set(pos) == {f"n{i}" for i in range(n)} and not overlaps(pos)
