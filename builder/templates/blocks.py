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


# -- blocks (format version 2): torchvision's modules, with torchvision's names -----------------------------
def resnet_blocks(g: Graph, bottleneck: bool = False) -> None:
    """torchvision's ResNet blocks as design blocks: ``BasicBlock`` (two 3×3 conv-bn, the input added back) or
    ``Bottleneck`` (1×1 → 3×3 → 1×1, 4× wider out), each with a ``Down…`` variant whose shortcut is the
    ``downsample`` projection (a numbered 1×1 conv-bn chain, so its modules are ``downsample.0`` and ``.1``)."""
    down = g.block("Downsample", "The shortcut's projection when the shape changes: 1×1 conv (stride s) → BN.",
                   channels=64, stride=2)  # fmt: skip
    x = down.add("Input", id="x")
    x = down.seq(x, ("Conv2d", {"out_channels": "$channels", "kernel_size": 1, "stride": "$stride", "bias": False},
                     "0"), ("BatchNorm2d", {}, "1"))  # fmt: skip
    down.add("Output", x, id="y")
    if not bottleneck:
        for name, projected in (("BasicBlock", False), ("DownBlock", True)):
            what = "the input through `downsample`" if projected else "the input"
            params = {"planes": 64, "stride": 2} if projected else {"planes": 64}
            b = g.block(name, f"ResNet's basic block: two 3×3 conv-BN, plus {what}, then ReLU.", **params)
            x = b.add("Input", id="x")
            stride = {"stride": "$stride"} if projected else {}
            y = b.seq(x, ("Conv2d", {"out_channels": "$planes", "kernel_size": 3, **stride, "padding": 1,
                                     "bias": False}, "conv1"), ("BatchNorm2d", {}, "bn1"), ("ReLU", {}, "relu"),
                      ("Conv2d", {"out_channels": "$planes", "kernel_size": 3, "padding": 1, "bias": False}, "conv2"),
                      ("BatchNorm2d", {}, "bn2"))  # fmt: skip
            shortcut = b.use("Downsample", x, id="downsample", channels="$planes", stride="$stride") if projected else x
            b.add("Output", b.add("ReLU", b.add("Add", y, shortcut, id="add"), id="relu2"), id="y")
        return
    for name, projected in (("Bottleneck", False), ("DownBottleneck", True)):
        what = "the input through `downsample`" if projected else "the input"
        params = {"width": 64, "out": 256, "stride": 2} if projected else {"width": 64, "out": 256}
        b = g.block(name, f"ResNet's bottleneck block: 1×1, 3×3 and 1×1 conv-BN (to `width`, `width`, then `out`), "
                          f"plus {what}, then ReLU.", **params)  # fmt: skip
        x = b.add("Input", id="x")
        stride = {"stride": "$stride"} if projected else {}
        y = b.seq(x, ("Conv2d", {"out_channels": "$width", "kernel_size": 1, "bias": False}, "conv1"),
                  ("BatchNorm2d", {}, "bn1"), ("ReLU", {}, "relu"),
                  ("Conv2d", {"out_channels": "$width", "kernel_size": 3, **stride, "padding": 1,
                              "bias": False}, "conv2"), ("BatchNorm2d", {}, "bn2"), ("ReLU", {}, "relu2"),
                  ("Conv2d", {"out_channels": "$out", "kernel_size": 1, "bias": False}, "conv3"),
                  ("BatchNorm2d", {}, "bn3"))  # fmt: skip
        shortcut = b.use("Downsample", x, id="downsample", channels="$out", stride="$stride") if projected else x
        b.add("Output", b.add("ReLU", b.add("Add", y, shortcut, id="add"), id="relu3"), id="y")


def resnet(g: Graph, layers: list[int], bottleneck: bool = False) -> str:
    """torchvision's ResNet on a 3×224×224 Input: stem, four stages ``layer1``–``layer4`` (each a repeat whose
    first instance halves the size through its projected shortcut), global pooling and ``fc``."""
    resnet_blocks(g, bottleneck)
    x = g.add("Input", id="x", shape=[3, 224, 224])
    x = g.seq(x, ("Conv2d", {"out_channels": 64, "kernel_size": 7, "stride": 2, "padding": 3, "bias": False}, "conv1"),
              ("BatchNorm2d", {}, "bn1"), ("ReLU", {}, "relu"),
              ("MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1}, "maxpool"))  # fmt: skip
    for stage, (n, planes) in enumerate(zip(layers, (64, 128, 256, 512)), 1):
        stride = 1 if stage == 1 else 2
        if bottleneck:
            first = {"type": "DownBottleneck", "params": {"stride": stride}}
            x = g.use("Bottleneck", x, id=f"layer{stage}", repeat=n, overrides={"0": first}, width=planes,
                      out=planes * 4)  # fmt: skip
        elif stride == 1:
            x = g.use("BasicBlock", x, id=f"layer{stage}", repeat=n, planes=planes)
        else:
            x = g.use("BasicBlock", x, id=f"layer{stage}", repeat=n, overrides={"0": {"type": "DownBlock"}},
                      planes=planes)  # fmt: skip
    x = classifier_head(g, x, 1000)
    return g.add("Output", x, id="logits")


def inception_blocks(g: Graph) -> None:
    """torchvision's GoogLeNet modules: ``BasicConv2d`` (conv → BN, eps 0.001 → ReLU) and ``Inception`` (four
    branches side by side, concatenated: 1×1; 1×1 → 3×3; 1×1 → 3×3; 3×3 max-pool → 1×1)."""
    b = g.block("BasicConv2d", "Conv2d (no bias) → BatchNorm2d (eps 0.001) → ReLU.", out=64, k=1, stride=1,
                padding=0)  # fmt: skip
    x = b.add("Input", id="x")
    x = b.seq(x, ("Conv2d", {"out_channels": "$out", "kernel_size": "$k", "stride": "$stride", "padding": "$padding",
                             "bias": False}, "conv"), ("BatchNorm2d", {"eps": 0.001}, "bn"), ("ReLU", {}, "relu"))  # fmt: skip
    b.add("Output", x, id="y")
    g.sequence("Reduce3x3", ("BasicConv2d", {"out": "$reduce", "k": 1}),
               ("BasicConv2d", {"out": "$out", "k": 3, "padding": 1}), reduce=16, out=32,
               description="A 1×1 BasicConv2d to `reduce` channels, then a 3×3 one to `out`.")  # fmt: skip
    g.sequence("PoolProject", ("MaxPool2d", {"kernel_size": 3, "stride": 1, "padding": 1, "ceil_mode": True}),
               ("BasicConv2d", {"out": "$out", "k": 1}), out=32,
               description="3×3 max pooling (stride 1), then a 1×1 BasicConv2d to `out` channels.")  # fmt: skip
    inc = g.block("Inception", "GoogLeNet's Inception module: 1×1, 1×1→3×3, 1×1→3×3 and pool→1×1 branches, "
                               "concatenated along channels.", c1=64, c3r=96, c3=128, c5r=16, c5=32, pool_proj=32)  # fmt: skip
    x = inc.add("Input", id="x")
    b1 = inc.use("BasicConv2d", x, id="branch1", out="$c1", k=1)
    b2 = inc.use("Reduce3x3", x, id="branch2", reduce="$c3r", out="$c3")
    b3 = inc.use("Reduce3x3", x, id="branch3", reduce="$c5r", out="$c5")
    b4 = inc.use("PoolProject", x, id="branch4", out="$pool_proj")
    inc.add("Output", inc.add("Concat", b1, b2, b3, b4, id="cat", dim=1), id="y")


def densenet_blocks(g: Graph, blocks=(6, 12, 24, 16)) -> None:
    """torchvision's DenseNet modules: ``DenseLayer`` (BN → ReLU → 1×1 conv to 128 → BN → ReLU → 3×3 conv to 32,
    its output concatenated to its input), ``DenseBlock<k>`` (layers ``denselayer1``…, each reading everything
    before it) and ``Transition`` (BN → ReLU → 1×1 conv to ``channels`` → 2×2 average pooling)."""
    b = g.block("DenseLayer", "DenseNet's layer: BN → ReLU → 1×1 conv (128) → BN → ReLU → 3×3 conv (32); its 32 new "
                              "channels are concatenated to its input.")  # fmt: skip
    x = b.add("Input", id="x")
    y = b.seq(x, ("BatchNorm2d", {}, "norm1"), ("ReLU", {}, "relu1"),
              ("Conv2d", {"out_channels": 128, "kernel_size": 1, "bias": False}, "conv1"), ("BatchNorm2d", {}, "norm2"),
              ("ReLU", {}, "relu2"), ("Conv2d", {"out_channels": 32, "kernel_size": 3, "padding": 1, "bias": False},
                                     "conv2"))  # fmt: skip
    b.add("Output", b.add("Concat", x, y, id="cat", dim=1), id="y")
    for k, n in enumerate(blocks, 1):
        d = g.block(f"DenseBlock{k}", f"{n} dense layers; each adds 32 channels to everything before it.")
        x = d.add("Input", id="x")
        for i in range(1, n + 1):
            x = d.use("DenseLayer", x, id=f"denselayer{i}")
        d.add("Output", x, id="y")
    t = g.block("Transition", "DenseNet's transition: BN → ReLU → 1×1 conv to `channels` → 2×2 average pooling.",
                channels=128)  # fmt: skip
    x = t.add("Input", id="x")
    x = t.seq(x, ("BatchNorm2d", {}, "norm"), ("ReLU", {}, "relu"),
              ("Conv2d", {"out_channels": "$channels", "kernel_size": 1, "bias": False}, "conv"),
              ("AvgPool2d", {"kernel_size": 2, "stride": 2}, "pool"))  # fmt: skip
    t.add("Output", x, id="y")


def mobilenet_blocks(g: Graph) -> None:
    """torchvision's MobileNetV2 modules: ``ConvBNReLU`` (a numbered conv → BN → ReLU6 chain, as
    Conv2dNormActivation) and the inverted residuals: ``conv`` a numbered chain of (1×1 expansion,) 3×3 depthwise
    and linear 1×1 projection, with the input added back in ``InvertedResidual`` (stride 1, same width)."""
    conv_bn_act(g, "ConvBNReLU6", "ReLU6")
    dw = ("ConvBNReLU6", {"out": "$hidden", "k": 3, "stride": "$stride", "padding": 1, "groups": "$hidden"})
    project = [("Conv2d", {"out_channels": "$out", "kernel_size": 1, "bias": False}), ("BatchNorm2d", {})]
    g.sequence("Depthwise", dw, *project, hidden=32, out=16, stride=1,
               description="3×3 depthwise ConvBNReLU, then a linear 1×1 projection.")  # fmt: skip
    g.sequence("ExpandDepthwise", ("ConvBNReLU6", {"out": "$hidden", "k": 1, "padding": 0}), dw, *project, hidden=96,
               out=24, stride=1, description="1×1 expansion, 3×3 depthwise, linear 1×1 projection.")  # fmt: skip
    for name, skip in (("InvertedResidual", True), ("InvertedResidualNoSkip", False)):
        what = "with the input added back" if skip else "(stride 2 or a new width: no skip)"
        b = g.block(name, f"MobileNetV2's inverted residual {what}.", hidden=96, out=24, stride=1)
        x = b.add("Input", id="x")
        y = b.use("ExpandDepthwise", x, id="conv", hidden="$hidden", out="$out", stride="$stride")
        b.add("Output", b.add("Add", x, y, id="add") if skip else y, id="y")


def conv_bn_act(g: Graph, name: str = "ConvBNReLU", act: str = "ReLU") -> None:
    """A numbered Conv2d (no bias) → BatchNorm2d → activation chain (torchvision's Conv2dNormActivation)."""
    g.sequence(name, ("Conv2d", {"out_channels": "$out", "kernel_size": "$k", "stride": "$stride",
                                 "padding": "$padding", "groups": "$groups", "bias": False}),
               ("BatchNorm2d", {}), (act, {}), out=32, k=3, stride=1, padding=1, groups=1,
               description=f"Conv2d (no bias) → BatchNorm2d → {act}.")  # fmt: skip


BUILTIN = ("ConvBNReLU", "BasicBlock", "DownBlock", "Bottleneck", "DownBottleneck", "Inception", "DenseLayer",
           "Transition", "InvertedResidual", "InvertedResidualNoSkip")  # fmt: skip


def builtin_blocks() -> dict:
    """The palette's built-in blocks (the template library's, by name) and the blocks they use: a design that adds
    one gets a copy of its definition, to edit as its own."""
    from ..design import Design

    made: dict = {}
    for define in (conv_bn_act, resnet_blocks, lambda g: resnet_blocks(g, bottleneck=True), inception_blocks,
                   lambda g: densenet_blocks(g, blocks=()), mobilenet_blocks):  # fmt: skip
        g = Graph("builtins")
        define(g)
        d: Design = g.design()
        made.update({k: v for k, v in d.blocks.items() if k not in made})
    return made
