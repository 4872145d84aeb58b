"""Where each node sits on the canvas: a layered left-to-right drawing that wraps into rows to fit the view.

A plain layered drawing of a chain is one long row: a fitted LeNet-5 (14 nodes) would be drawn at a fifth of its
size. So the layers (columns, in data-flow order) are cut into bands of consecutive layers, stacked top to bottom
like lines of text, and the band length is the one that lets the whole drawing fit the canvas at the largest
scale. Within a layer, nodes are ordered by the barycentre of their neighbours (a few sweeps) to keep edges from
crossing. Every node gets a ``NODE_W`` × ``NODE_H`` box (the canvas draws nodes at that size), and boxes never
overlap.
"""

from __future__ import annotations

import networkx as nx

from .design import Design

NODE_W, NODE_H = 160, 96  # the canvas draws each node in this box (px at zoom 1)
GAP_X, GAP_Y, BAND_GAP = 100, 30, 50  # room for the shape label on each edge
VIEW = (854, 665)  # the flow area at a 1440×900 window (sidebar closed), used until the canvas says its size
MAX_SCALE = 1.0  # a drawing is never blown up past its natural size: beyond 1 wide rows are worth more
SWEEPS = 4


def layers(design: Design) -> list[list[str]]:
    """Node ids by layer (longest path from an input), each layer ordered to reduce edge crossings. A cycle (an
    invalid design) does not stop it: its edges that point back up the node list are left out of the ranking."""
    g = nx.DiGraph()
    g.add_nodes_from(n.id for n in design.nodes)
    g.add_edges_from((e.source, e.target) for e in design.edges if e.source in g and e.target in g)
    given = {n.id: k for k, n in enumerate(design.nodes)}
    if not nx.is_directed_acyclic_graph(g):  # an invalid design with a cycle: edges back up the list are not ranked
        g = nx.DiGraph([(a, b) for a, b in g.edges if given[a] < given[b]])
        g.add_nodes_from(given)
    ranks = [list(r) for r in nx.topological_generations(g)]
    ranks = [sorted(r, key=given.__getitem__) for r in ranks if r]
    index = {nid: i for r in ranks for i, nid in enumerate(r)}
    for sweep in range(SWEEPS):  # barycentre ordering, down then up
        down = sweep % 2 == 0
        seq = ranks[1:] if down else ranks[-2::-1]
        for r in seq:

            def centre(nid: str, down: bool = down) -> float:
                near = list(g.predecessors(nid) if down else g.successors(nid))
                return sum(index[m] for m in near) / len(near) if near else index[nid]

            r.sort(key=lambda nid: (centre(nid), index[nid]))
            index.update({nid: i for i, nid in enumerate(r)})
    return ranks


def _bands(ranks: list[list[str]], per_band: int) -> list[list[list[str]]]:
    return [ranks[i : i + per_band] for i in range(0, len(ranks), per_band)]


def _size(bands: list[list[list[str]]]) -> tuple[float, float]:
    width = max(len(b) for b in bands) * (NODE_W + GAP_X) - GAP_X
    heights = [max(len(r) for r in b) * (NODE_H + GAP_Y) - GAP_Y for b in bands]
    return width, sum(heights) + BAND_GAP * (len(bands) - 1)


def fitted_scale(width: float, height: float, view: tuple[float, float] = VIEW) -> float:
    """The zoom at which a ``width`` × ``height`` drawing fills ``view`` (capped at ``MAX_SCALE``)."""
    return min(view[0] / max(width, 1), view[1] / max(height, 1), MAX_SCALE)


def layout(design: Design, view: tuple[float, float] = VIEW) -> dict[str, dict[str, int]]:
    """Positions (top-left corners, whole px) for every node of ``design``, wrapped to fit ``view`` (w, h)."""
    ranks = layers(design)
    if not ranks:
        return {}
    # the band length with the largest fitted scale; among equals, the fewest bands (rows read more easily)
    best = max(range(1, len(ranks) + 1), key=lambda k: (round(fitted_scale(*_size(_bands(ranks, k)), view), 3), k))
    pos, top = {}, 0
    for band in _bands(ranks, best):
        band_h = max(len(r) for r in band) * (NODE_H + GAP_Y) - GAP_Y
        for col, rank in enumerate(band):
            rank_h = len(rank) * (NODE_H + GAP_Y) - GAP_Y
            for row, nid in enumerate(rank):
                pos[nid] = {
                    "x": col * (NODE_W + GAP_X),
                    "y": round(top + (band_h - rank_h) / 2 + row * (NODE_H + GAP_Y)),
                }
        top += band_h + BAND_GAP
    return pos


def drawing_size(positions: dict[str, dict[str, int]]) -> tuple[float, float]:
    """The width and height of the boxes at ``positions``."""
    xs, ys = [p["x"] for p in positions.values()], [p["y"] for p in positions.values()]
    return max(xs) - min(xs) + NODE_W, max(ys) - min(ys) + NODE_H


def apply(design: Design, view: tuple[float, float] = VIEW) -> Design:
    """``design`` with every node placed by :func:`layout` (in place; returned for chaining)."""
    positions = layout(design, view)
    for n in design.nodes:
        n.position = positions[n.id]
    return design
