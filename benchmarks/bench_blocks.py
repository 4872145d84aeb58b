"""Blocks benchmark: validating a design written with blocks vs the same design flat, and the exported source.

Run: python benchmarks/bench_blocks.py [--rounds N]
A 1,000-layer design written as 10 blocks (a 10-layer residual unit each, at its own width) × repeat 10 is
validated interleaved, round by round, with its ungrouped (flat) twin; the ratio is the median of per-round
ratios. Target (issue 14): the block design validates in at most the flat design's time. Also prints the
exported ResNet-18 model source's line count, flat vs blocks (target: at most 60% of the flat design's 226).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from builder import validate  # noqa: E402
from builder.blocks import ungroup  # noqa: E402
from builder.design import Block, Design, Edge, Node  # noqa: E402
from builder.plan import plan  # noqa: E402
from builder.templates import load_template  # noqa: E402

CACHES = [sys.modules["builder.validate"]._PARAM_CACHE, sys.modules["builder.validate"]._INFER_CACHE]


def unit(name: str, width: int) -> Block:
    """A 10-layer residual unit: conv-bn-relu, conv-bn-relu, conv-bn, add the input, relu."""
    ids = ["c1", "b1", "r1", "c2", "b2", "r2", "c3", "b3"]
    nodes = [Node("x", "Input")]
    for i in ids:
        kind = {"c": "Conv2d", "b": "BatchNorm2d", "r": "ReLU"}[i[0]]
        nodes.append(Node(i, kind, {"out_channels": width, "kernel_size": 3, "padding": 1} if kind == "Conv2d" else {}))
    nodes += [Node("add", "Add"), Node("out", "ReLU"), Node("y", "Output")]
    chain = ["x", *ids]
    edges = [Edge(a, b) for a, b in zip(chain, chain[1:])]
    edges += [Edge("b3", "add"), Edge("x", "add", target_port=1), Edge("add", "out"), Edge("out", "y")]
    return Block(name, nodes, edges)


def thousand_layers() -> Design:
    """Input → 10 stages (each a 1×1 conv to its width, then its unit × 10) → Output: 10 × 10 × 10 + 11 layers."""
    blocks = {f"Unit{k}": unit(f"Unit{k}", 8 + 2 * k) for k in range(10)}
    nodes, edges, prev = [Node("x", "Input", {"shape": [8, 16, 16]})], [], "x"
    for k in range(10):
        nodes.append(Node(f"proj{k}", "Conv2d", {"out_channels": 8 + 2 * k, "kernel_size": 1}))
        stage = Node(f"stage{k}", f"Unit{k}")
        stage.repeat = 10
        nodes.append(stage)
        edges += [Edge(prev, f"proj{k}"), Edge(f"proj{k}", f"stage{k}")]
        prev = f"stage{k}"
    nodes.append(Node("out", "Output"))
    edges.append(Edge(prev, "out"))
    return Design("thousand", nodes, edges, blocks=blocks)


def timed(fn, cold: bool) -> float:
    if cold:
        for c in CACHES:
            c.clear()
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    blocks = thousand_layers()
    flat = ungroup(blocks)
    a, b = validate(blocks), validate(flat)
    assert a.valid and b.valid and a.params == b.params, (a.issues[:2], b.issues[:2])
    layers = sum(1 for n in flat.nodes if n.type not in ("Input", "Output"))
    print(f"design: {layers} layers; blocks: {len(blocks.nodes)} top-level nodes, {len(blocks.blocks)} blocks")
    for cold in (False, True):
        ours, base, ratios = [], [], []
        for _ in range(args.rounds):
            t_flat = timed(lambda: validate(flat), cold)
            t_blocks = timed(lambda: validate(blocks), cold)
            ours.append(t_blocks)
            base.append(t_flat)
            ratios.append(t_blocks / t_flat)
        what = "cold caches" if cold else "warm caches"
        print(f"validate ({what}): blocks {statistics.median(ours) * 1000:.1f} ms, flat "
              f"{statistics.median(base) * 1000:.1f} ms, ratio {statistics.median(ratios):.2f} (target <= 1)")  # fmt: skip
    grouped = plan(load_template("resnet18")).source.splitlines()
    flat_src = plan(ungroup(load_template("resnet18"))).source.splitlines()
    print(f"exported ResNet-18: {len(grouped)} lines with blocks, {len(flat_src)} flat "
          f"({len(grouped) / 226:.0%} of the flat design's 226; target <= 60%)")  # fmt: skip


if __name__ == "__main__":
    main()
