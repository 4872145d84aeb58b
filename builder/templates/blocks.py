"""Block helpers for templates: the building blocks of the curriculum's architectures, each one call.

Each takes the graph, the input node id and a name prefix for the block's node ids, adds the block's nodes,
and returns the id of its output. They write exactly the layers torchvision's definitions use, so templates
built from them have torchvision's parameter counts.
"""

from __future__ import annotations

from .graph import Graph


def conv_bn(g: Graph, x: str, prefix: str, out: int, k, stride=1, padding=0, groups=1, act="ReLU", eps=1e-5) -> str:
    """Conv2d (no bias) → BatchNorm2d → activation (None: none), ids ``<prefix>_conv/_bn/_relu``; only
    non-default parameters are written."""
    params = {"out_channels": out, "kernel_size": k, "stride": stride, "padding": padding, "groups": groups}
    defaults = {"stride": 1, "padding": 0, "groups": 1}
    params = {key: val for key, val in params.items() if defaults.get(key) != val}
    x = g.add("Conv2d", x, id=f"{prefix}_conv", **params, bias=False)
    x = g.add("BatchNorm2d", x, id=f"{prefix}_bn", **({"eps": eps} if eps != 1e-5 else {}))
    return g.add(act, x, id=f"{prefix}_relu") if act else x


def residual(g: Graph, x: str, name: str, channels: int, out: int, stride: int = 1) -> str:
    """ResNet's basic block: two 3×3 conv-bn (the second without ReLU), plus the input — through a 1×1
    stride-s conv-bn projection when the shape changes — then ReLU: out = relu(F(x) + x)."""
    y = conv_bn(g, x, f"{name}_1", out, 3, stride, 1)
    y = conv_bn(g, y, f"{name}_2", out, 3, 1, 1, act=None)
    shortcut = x
    if stride != 1 or channels != out:
        shortcut = conv_bn(g, x, f"{name}_down", out, 1, stride, act=None)
    return g.add("ReLU", g.add("Add", y, shortcut, id=f"{name}_add"), id=f"{name}_out")


def inception(g: Graph, x: str, name: str, c1, c3r, c3, c5r, c5, pool_proj, eps=1e-3) -> str:
    """GoogLeNet's Inception module: 1×1, 1×1→3×3, 1×1→3×3 (torchvision's "5×5" branch) and 3×3 max-pool→1×1
    branches side by side, concatenated along channels."""

    def basic(x, prefix, out, k, padding=0):
        return conv_bn(g, x, prefix, out, k, 1, padding, eps=eps)

    b1 = basic(x, f"{name}_b1", c1, 1)
    b2 = basic(basic(x, f"{name}_b2a", c3r, 1), f"{name}_b2b", c3, 3, padding=1)
    b3 = basic(basic(x, f"{name}_b3a", c5r, 1), f"{name}_b3b", c5, 3, padding=1)
    p = g.add("MaxPool2d", x, id=f"{name}_b4_pool", kernel_size=3, stride=1, padding=1, ceil_mode=True)
    b4 = basic(p, f"{name}_b4", pool_proj, 1)
    return g.add("Concat", b1, b2, b3, b4, id=f"{name}_cat", dim=1)


def dense_layer(g: Graph, x: str, name: str, growth: int = 32, bn_size: int = 4) -> str:
    """DenseNet's layer: BN → ReLU → 1×1 conv (bn_size·growth channels) → BN → ReLU → 3×3 conv (growth)."""
    return g.seq(
        x,
        ("BatchNorm2d", {}, f"{name}_bn1"),
        ("ReLU", {}, f"{name}_relu1"),
        ("Conv2d", {"out_channels": bn_size * growth, "kernel_size": 1, "bias": False}, f"{name}_conv1"),
        ("BatchNorm2d", {}, f"{name}_bn2"),
        ("ReLU", {}, f"{name}_relu2"),
        ("Conv2d", {"out_channels": growth, "kernel_size": 3, "padding": 1, "bias": False}, f"{name}_conv2"),
    )


def dense_block(g: Graph, x: str, name: str, layers: int, growth: int = 32) -> str:
    """DenseNet's dense block: every layer reads the concatenation of the block's input and all earlier layers'
    outputs and adds ``growth`` channels; the block's output concatenates them all."""
    features = [x]
    for i in range(1, layers + 1):
        layer = f"{name}_layer{i}"
        inp = features[0] if len(features) == 1 else g.add("Concat", *features, id=f"{layer}_in", dim=1)
        features.append(dense_layer(g, inp, layer, growth))
    return g.add("Concat", *features, id=f"{name}_out", dim=1)


def transition(g: Graph, x: str, name: str, channels: int) -> str:
    """DenseNet's transition: BN → ReLU → 1×1 conv to ``channels`` → 2×2 average pooling (halves the size)."""
    return g.seq(
        x,
        ("BatchNorm2d", {}, f"{name}_bn"),
        ("ReLU", {}, f"{name}_relu"),
        ("Conv2d", {"out_channels": channels, "kernel_size": 1, "bias": False}, f"{name}_conv"),
        ("AvgPool2d", {"kernel_size": 2, "stride": 2}, f"{name}_pool"),
    )


def inverted_residual(g: Graph, x: str, name: str, inp: int, out: int, expand: int, stride: int) -> str:
    """MobileNetV2's block: 1×1 expansion (×``expand``, skipped for 1) → 3×3 depthwise conv (stride) → linear
    1×1 projection, with the input added back when the shape allows."""
    hidden = inp * expand
    y = x if expand == 1 else conv_bn(g, x, f"{name}_expand", hidden, 1, act="ReLU6")
    y = conv_bn(g, y, f"{name}_dw", hidden, 3, stride, 1, groups=hidden, act="ReLU6")
    y = conv_bn(g, y, f"{name}_project", out, 1, act=None)
    return g.add("Add", y, x, id=f"{name}_add") if stride == 1 and inp == out else y


def transformer_layer(g: Graph, x: str, name: str, heads: int, feedforward: int, dropout: float = 0.1) -> str:
    """One Transformer encoder layer (self-attention and feed-forward, each with a residual and LayerNorm)."""
    return g.add("TransformerEncoderLayer", x, id=name, nhead=heads, dim_feedforward=feedforward, dropout=dropout)


def classifier_head(g: Graph, x: str, classes: int, dropout: float = 0.0, fc: str = "fc") -> str:
    """Global average pooling → Flatten → (Dropout) → Linear to ``classes`` scores: the end of most CNNs."""
    layers = [("AdaptiveAvgPool2d", {"output_size": 1}, "avgpool"), ("Flatten", {}, "flatten")]
    if dropout:
        layers.append(("Dropout", {"p": dropout}, "dropout"))
    return g.seq(x, *layers, ("Linear", {"out_features": classes}, fc))
