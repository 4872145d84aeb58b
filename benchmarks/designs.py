"""Synthetic designs of a given size for the validation benchmark: stacked residual conv blocks."""

from builder import Design, Edge, Node


def residual_stack(n_nodes: int) -> Design:
    """Input -> [conv, bn, relu, conv, bn, add(skip), relu]* -> pool -> flatten -> linear -> Output."""
    nodes = [Node("x", "Input", {"shape": [16, 32, 32]})]
    edges = []
    prev, k = "x", 0
    while len(nodes) < n_nodes - 4:
        k += 1
        block = [(f"c{k}a", "Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1, "bias": False}),
                 (f"b{k}a", "BatchNorm2d", {}), (f"r{k}a", "ReLU", {}),
                 (f"c{k}b", "Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1, "bias": False}),
                 (f"b{k}b", "BatchNorm2d", {})]  # fmt: skip
        src = prev
        for nid, t, p in block:
            nodes.append(Node(nid, t, p))
            edges.append(Edge(src, nid))
            src = nid
        nodes += [Node(f"add{k}", "Add"), Node(f"r{k}b", "ReLU")]
        edges += [Edge(src, f"add{k}"), Edge(prev, f"add{k}", 1), Edge(f"add{k}", f"r{k}b")]
        prev = f"r{k}b"
    tail = [("pool", "AdaptiveAvgPool2d", {"output_size": 1}), ("flat", "Flatten", {}),
            ("fc", "Linear", {"out_features": 10}), ("out", "Output", {})]  # fmt: skip
    for nid, t, p in tail:
        nodes.append(Node(nid, t, p))
        edges.append(Edge(prev, nid))
        prev = nid
    return Design(f"stack{n_nodes}", nodes, edges)
