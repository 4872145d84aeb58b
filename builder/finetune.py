"""Fine-tuning a design that carries weights (imported or pretrained): which layers are frozen, a new head.

A node with ``trainable: false`` keeps its weights while training (for a block instance: every layer in it; for
a node inside a block: that layer in every instance). The training engine leaves frozen parameters out of the
optimizer, and trains the layers that start from the design's weights at ``pretrained_lr`` × lr
(:mod:`builder.train.finetune`). Nothing here imports torch.
"""

from __future__ import annotations

from .design import Design
from .registry import width_source


def set_trainable(design: Design, node_ids, trainable: bool) -> None:
    """Freeze (``trainable=False``) or unfreeze top-level nodes; KeyError names an unknown id."""
    for nid in node_ids:
        design.node(nid).trainable = trainable


def frozen_nodes(p) -> set[str]:
    """The ids of ``p``'s flat layers (``p.report`` ids: paths inside blocks) whose weights are frozen."""
    design = p.design
    if not design.hierarchical:
        return {n.id for n in design.nodes if not n.trainable}
    from .blocks import expand

    instances = expand(design).instances  # path -> the block each instance is
    out = set()
    for n in p.flat.nodes:
        parts = n.id.split("/")
        if _frozen(design, instances, parts):
            out.add(n.id)
    return out


def _frozen(design: Design, instances: dict, parts: list[str]) -> bool:
    top = next((n for n in design.nodes if n.id == parts[0]), None)
    if top is not None and not top.trainable:
        return True
    for k in range(1, len(parts)):
        inst = instances.get("/".join(parts[:k]))
        if inst is None or inst.block not in design.blocks:
            continue
        inner = next((n for n in design.blocks[inst.block].nodes if n.id == parts[k]), None)
        if inner is not None and not inner.trainable:
            return True
    return False


def new_head(design: Design, classes: int) -> str:
    """Give the design a head for ``classes`` classes in one action: the Linear that sets the (first) output's
    width gets ``out_features = classes`` (its weights then no longer fit, so it starts fresh while the rest
    keep theirs). Returns its id; ValueError when no top-level Linear sets the output's width."""
    if not isinstance(classes, int) or isinstance(classes, bool) or not 1 <= classes <= 1_000_000:
        raise ValueError(f"classes must be an integer from 1 to 1,000,000, received {classes!r}")
    types = {n.id: n.type for n in design.nodes}
    inputs: dict[str, list[str]] = {}
    for e in sorted(design.edges, key=lambda e: e.target_port):
        inputs.setdefault(e.target, []).append(e.source)
    for out in design.output_ids:
        head = width_source(types, inputs, out)
        if head is not None and types.get(head) == "Linear":
            design.node(head).params["out_features"] = classes
            return head
    kinds = ", ".join(sorted({types[s] for o in design.output_ids for s in inputs.get(o, [])}))
    raise ValueError(f"no Linear sets the output's width (the output comes from: {kinds or 'nothing'}); change the "
                     "last layer's width by hand.")  # fmt: skip


__all__ = ["frozen_nodes", "new_head", "set_trainable"]
