"""The template gallery's definitions: each function builds one design with the typed :class:`Graph` and the
block helpers, and its :func:`template` decorator carries the rest — the title, the lesson text (the
docstring), the default dataset and task, training settings, and the published parameter count (checked by
tests/test_templates.py). ``python -m builder.templates`` writes them to assets/templates/, where they are
committed (a test checks the files are what this module builds).

The big networks mirror torchvision's definitions, so their parameter counts match torchvision's exactly.
"""

from __future__ import annotations

from .blocks import (
    classifier_head,
    conv_bn,
    densenet_blocks,
    inception_blocks,
    mobilenet_blocks,
    residual,
    resnet,
    transformer_layer,
)
from .graph import Graph
from .library import (
    ADAM_TRAINING,
    DEEP_MLP_TRAINING,
    GAN_TRAINING,
    IMAGENET_SGD,
    MOBILENET_SGD,
    RESNET_SGD,
    TEMPLATES,
    XOR_TRAINING,
    adam,
    pair,
    template,
)


# -- perceptron vs MLP ----------------------------------------------------------------------------------
@template(title="Perceptron on XOR", dataset="xor", task="classification", training=XOR_TRAINING)
def perceptron_xor():
    """A single linear unit (the perceptron) on the XOR points. Train it and watch it fail: XOR is not linearly
    separable, so one line cannot split the classes — the observation (Minsky & Papert, 1969) that motivated hidden
    layers. Compare with the MLP template.
    """
    g = Graph("perceptron_xor")
    x = g.add("Input", id="x", shape=[2])
    g.add("Output", g.add("Linear", x, id="unit", out_features=1), id="logit")
    return g


@template(title="MLP on XOR", dataset="xor", task="classification", training=XOR_TRAINING)
def mlp_xor():
    """A multilayer perceptron: one hidden layer of 8 tanh units lets the network bend its decision boundary and solve
    XOR, which a single perceptron cannot. The smallest demonstration of why depth matters.
    """
    g = Graph("mlp_xor")
    x = g.add("Input", id="x", shape=[2])
    h = g.seq(x, ("Linear", {"out_features": 8}, "hidden"), ("Tanh", {}, "tanh"), ("Linear", {"out_features": 1}, "fc"))
    g.add("Output", h, id="logit")
    return g


# -- metrics --------------------------------------------------------------------------------------------------
RARE_TRAINING = adam(0.03, 30)


@template(title="Linear classifier on a rare class", dataset="rare", task="classification", training=RARE_TRAINING)
def logistic_rare():
    """One linear unit (logistic regression) on the rare-class set: the rare class sits in a small disc no straight
    line can cut out, so it learns to answer "common" every time — 95% accuracy, and not one rare point found. Look
    at the confusion matrix and the F1 score, not the accuracy.
    """
    g = Graph("logistic_rare")
    x = g.add("Input", id="x", shape=[2])
    g.add("Output", g.add("Linear", x, id="unit", out_features=1), id="logit")
    return g


@template(title="MLP on a rare class", dataset="rare", task="classification", training=RARE_TRAINING)
def mlp_rare():
    """A hidden layer of 16 tanh units draws a closed boundary around the rare disc: the accuracy barely moves
    (95% → ~100%), while recall on the rare class goes from 0 to ~1 — the difference the F1 score shows.
    """
    g = Graph("mlp_rare")
    x = g.add("Input", id="x", shape=[2])
    h = g.seq(
        x, ("Linear", {"out_features": 16}, "hidden"), ("Tanh", {}, "tanh"), ("Linear", {"out_features": 1}, "fc")
    )
    g.add("Output", h, id="logit")
    return g


# -- recommendation -------------------------------------------------------------------------------------------
RATINGS_TRAINING = adam(1e-2, 20)


def _ids(g: Graph):
    x = g.add("Input", id="pair", shape=[2], dtype="int64")
    return g.add("Narrow", x, id="user", dim=1, start=0, length=1), g.add(
        "Narrow", x, id="item", dim=1, start=1, length=1
    )


@template(title="Item popularity (no users)", dataset="ratings", task="regression", training=RATINGS_TRAINING)
def item_popularity():
    """A recommender that ignores who is asking: each item gets one learned number (its average appeal) and that is
    the prediction for everyone. It learns which items are liked in general, never whose taste they suit.
    """
    g = Graph("item_popularity")
    x = g.add("Input", id="pair", shape=[2], dtype="int64")
    item = g.add("Narrow", x, id="item", dim=1, start=1, length=1)
    y = g.seq(item, ("Embedding", {"num_embeddings": 500, "embedding_dim": 1}, "appeal"), ("Sum", {"dim": -1}, "score"))
    g.add("Output", y, id="rating")
    return g


@template(title="Matrix factorization recommender", dataset="ratings", task="regression", training=RATINGS_TRAINING)
def matrix_factorization():
    """The classic recommender (the Netflix Prize's matrix factorization): every user and every item gets an
    embedding of 8 numbers — its tastes, learned from the ratings alone — and the predicted rating is their dot
    product, a Multiply then a Sum. Users who like the same items end up with similar vectors.
    """
    g = Graph("matrix_factorization")
    user, item = _ids(g)
    emb = {"num_embeddings": 500, "embedding_dim": 8}
    u = g.add("Embedding", user, id="user_vec", **emb)
    v = g.add("Embedding", item, id="item_vec", **emb)
    y = g.seq(g.add("Multiply", u, v, id="agree"), ("Sum", {"dim": -1}, "dot"))
    g.add("Output", y, id="rating")
    return g


# -- overfitting ----------------------------------------------------------------------------------------------
OVERFIT_TRAINING = adam(1e-2, 200, 32, {"n": 150, "noise": 0.35})


def _wide_mlp(name: str, dropout: float = 0.0):
    g = Graph(name)
    h = g.add("Input", id="x", shape=[2])
    for k in (1, 2):
        h = g.seq(h, ("Linear", {"out_features": 128}, f"fc{k}"), ("ReLU", {}, f"relu{k}"))
        if dropout:
            h = g.add("Dropout", h, id=f"drop{k}", p=dropout)
    g.add("Output", g.add("Linear", h, id="fc3", out_features=1), id="logit")
    return g


@template(title="An MLP that overfits", dataset="moons", task="classification", training=OVERFIT_TRAINING)
def overfit_mlp():
    """Two hidden layers of 128 ReLU units — 17,000 weights — for 105 noisy training points of the two moons,
    trained 200 epochs: it learns the noise too. The training loss goes to almost zero while the validation loss
    climbs, and the decision boundary curls around single points. Overfitting, to be cured.
    """
    return _wide_mlp("overfit_mlp")


@template(title="The same MLP with dropout", dataset="moons", task="classification", training=OVERFIT_TRAINING)
def overfit_mlp_dropout():
    """The overfitting MLP with Dropout(0.5) after each hidden layer: in training every unit is dropped half the
    time, so no unit can rely on a particular other one to memorise a point. The validation loss stays close to the
    training loss and the boundary stays smooth.
    """
    return _wide_mlp("overfit_mlp_dropout", dropout=0.5)


# -- vanishing gradients ----------------------------------------------------------------------------------
def _deep_mlp(name: str, act: str, skips: bool = False, depth: int = 10, width: int = 32):
    """``depth`` Linear layers on the 8×8 digits: depth - 1 hidden ones of ``width`` units with ``act``, then the
    10 class scores; with ``skips`` every hidden layer after the first adds its input back (h + act(W h + b))."""
    g = Graph(name)
    h = g.seq(g.add("Input", id="x", shape=[1, 8, 8]), ("Flatten", {}, "flatten"),
              ("Linear", {"out_features": width}, "fc1"), (act, {}, "act1"))  # fmt: skip
    for k in range(2, depth):
        y = g.seq(h, ("Linear", {"out_features": width}, f"fc{k}"), (act, {}, f"act{k}"))
        h = g.add("Add", h, y, id=f"skip{k}") if skips else y
    g.add("Output", g.add("Linear", h, id=f"fc{depth}", out_features=10), id="logits")
    return g


@template(title="10-layer sigmoid MLP", dataset="digits", task="classification", training=DEEP_MLP_TRAINING)
def deep_sigmoid_mlp():
    """Ten Linear layers with sigmoid activations on the 8×8 digits. The sigmoid's derivative is at most 0.25, so the
    gradient shrinks at every layer on its way back: the first layer's is millions of times smaller than the last's
    (Visualize → Weights & gradients) and, with plain SGD, the network does not learn. The vanishing-gradient problem.
    """
    return _deep_mlp("deep_sigmoid_mlp", "Sigmoid")


@template(title="10-layer ReLU MLP", dataset="digits", task="classification", training=DEEP_MLP_TRAINING)
def deep_relu_mlp():
    """The same ten layers with ReLU: its derivative is 1 where a unit is active, so the activation no longer shrinks
    the gradient — but PyTorch's default initialisation still shrinks the signal a little at every layer, and at this
    depth plain SGD barely moves the first layers. Compare its gradient norms with the sigmoid and residual versions.
    """
    return _deep_mlp("deep_relu_mlp", "ReLU")


@template(title="10-layer residual MLP", dataset="digits", task="classification", training=DEEP_MLP_TRAINING)
def deep_residual_mlp():
    """The ReLU MLP with a skip around every hidden layer: h ← h + relu(W h + b). The identity path carries the
    gradient back unchanged, so the first layer's gradient is as large as the last's and the network trains in a few
    epochs of SGD — ResNet's idea, on the smallest network that shows it.
    """
    return _deep_mlp("deep_residual_mlp", "ReLU", skips=True)


# -- classic CNNs -----------------------------------------------------------------------------------------
def _lenet(name: str, act: str, pool: str):
    """LeNet-5's layers for 28×28 digits with the activation and the pooling given."""
    g = Graph(name)
    x = g.add("Input", id="x", shape=[1, 28, 28])
    y = g.seq(x,
              ("Conv2d", {"out_channels": 6, "kernel_size": 5, "padding": 2}, "conv1"), (act, {}, "act1"),
              (pool, {"kernel_size": 2}, "pool1"),
              ("Conv2d", {"out_channels": 16, "kernel_size": 5}, "conv2"), (act, {}, "act2"),
              (pool, {"kernel_size": 2}, "pool2"), ("Flatten", {}, "flatten"),
              ("Linear", {"out_features": 120}, "fc1"), (act, {}, "act3"),
              ("Linear", {"out_features": 84}, "fc2"), (act, {}, "act4"),
              ("Linear", {"out_features": 10}, "fc3"))  # fmt: skip
    g.add("Output", y, id="logits")
    return g


@template(
    title="LeNet-5",
    dataset="digits28",
    task="classification",
    training=adam(2e-3, 8),
)
def lenet5():
    """LeCun et al.'s 1998 digit recognizer for 28×28 images: two convolution + average-pooling stages extract strokes
    and shapes, three fully connected layers classify. The first CNN to show that learned filters beat hand-made
    features.
    """
    return _lenet("lenet5", "Tanh", "AvgPool2d")


@template(title="LeNet-5, modernised", dataset="digits28", task="classification",
          training=adam(2e-3, 8))  # fmt: skip
def lenet5_modern():
    """LeNet-5 as it would be written today: the same two convolution stages and three fully connected layers, with
    ReLU instead of tanh (no saturation, so faster training) and max pooling instead of average pooling (keeps the
    strongest response in each window). Compare its feature maps with the original's.
    """
    return _lenet("lenet5_modern", "ReLU", "MaxPool2d")


# -- plain vs residual depth ----------------------------------------------------------------------------------
DEEP_CNN_TRAINING = {"optimizer": "sgd", "lr": 0.01, "momentum": 0.9, "epochs": 6, "batch_size": 64}


def _deep_cnn(name: str, skips: bool, depth: int = 16, width: int = 16):
    """``depth`` 3×3 convolutions with ReLU on the 8×8 digits (a stem, then pairs: with ``skips`` each pair adds its
    input back), then a Linear classifier."""
    g = Graph(name)
    conv = lambda c, i: ("Conv2d", {"out_channels": c, "kernel_size": 3, "padding": 1}, f"conv{i}")  # noqa: E731
    h = g.seq(g.add("Input", id="x", shape=[1, 8, 8]), conv(width, 1), ("ReLU", {}, "relu1"))
    for k in range(2, depth, 2):
        y = g.seq(h, conv(width, k), ("ReLU", {}, f"relu{k}"), conv(width, k + 1))
        y = g.add("Add", h, y, id=f"skip{k}") if skips else y
        h = g.add("ReLU", y, id=f"relu{k + 1}")
    y = g.seq(h, ("Flatten", {}, "flatten"), ("Linear", {"out_features": 10}, "fc"))
    g.add("Output", y, id="logits")
    return g


@template(title="Plain 15-layer CNN", dataset="digits", task="classification", training=DEEP_CNN_TRAINING)
def plain_cnn():
    """Fifteen 3×3 convolutions with ReLU, stacked with nothing else, on the 8×8 digits. Deeper should be better,
    but without normalization or shortcuts the signal and its gradient shrink through so many layers and SGD makes
    little progress: the degradation problem that ResNet was invented to solve. Compare with the residual CNN.
    """
    return _deep_cnn("plain_cnn", skips=False)


@template(title="Residual 15-layer CNN", dataset="digits", task="classification", training=DEEP_CNN_TRAINING)
def residual_cnn():
    """The plain CNN with a shortcut around every pair of convolutions (out = relu(x + F(x)), ResNet's basic block
    without BatchNorm): the same depth and parameters, but the identity paths carry the signal and the gradient
    through, and it trains in a few epochs.
    """
    return _deep_cnn("residual_cnn", skips=True)


@template(title="AlexNet", task="classification", params=61_100_840, training=IMAGENET_SGD)
def alexnet():
    """Krizhevsky, Sutskever & Hinton's 2012 ImageNet winner (torchvision's version, 61.1 M parameters): large early
    kernels, ReLU instead of tanh, overlapping max pooling and dropout in a big classifier. It started the
    deep-learning era of computer vision.
    """
    g = Graph("alexnet")
    conv = lambda c, k, s=1, p=0: ("Conv2d", {"out_channels": c, "kernel_size": k, "stride": s, "padding": p})  # noqa: E731
    relu, pool = ("ReLU", {}), ("MaxPool2d", {"kernel_size": 3, "stride": 2})
    g.sequence("Features", conv(64, 11, 4, 2), relu, pool, conv(192, 5, p=2), relu, pool, conv(384, 3, p=1), relu,
               conv(256, 3, p=1), relu, conv(256, 3, p=1), relu, pool,
               description="Five convolutions with ReLU, three overlapping max-poolings.")  # fmt: skip
    drop, fc = ("Dropout", {"p": 0.5}), lambda n: ("Linear", {"out_features": n})  # noqa: E731
    g.sequence("Classifier", drop, fc(4096), relu, drop, fc(4096), relu, fc(1000),
               description="Three fully connected layers with dropout.")  # fmt: skip
    x = g.add("Input", id="x", shape=[3, 224, 224])
    x = g.use("Features", x, id="features")
    x = g.seq(x, ("AdaptiveAvgPool2d", {"output_size": 6}, "avgpool"), ("Flatten", {}, "flatten"))
    g.add("Output", g.use("Classifier", x, id="classifier"), id="logits")
    return g


def _vgg(name, cfg):
    g = Graph(name)
    layers = []
    for v in cfg:
        if v == "M":
            layers.append(("MaxPool2d", {"kernel_size": 2, "stride": 2}))
        else:
            layers += [("Conv2d", {"out_channels": v, "kernel_size": 3, "padding": 1}), ("ReLU", {})]
    g.sequence("Features", *layers, description="3×3 convolutions with ReLU; max pooling halves the size.")
    fc, relu, drop = (lambda n: ("Linear", {"out_features": n})), ("ReLU", {}), ("Dropout", {"p": 0.5})
    g.sequence("Classifier", fc(4096), relu, drop, fc(4096), relu, drop, fc(1000),
               description="Three fully connected layers with dropout.")  # fmt: skip
    x = g.add("Input", id="x", shape=[3, 224, 224])
    x = g.use("Features", x, id="features")
    x = g.seq(x, ("AdaptiveAvgPool2d", {"output_size": 7}, "avgpool"), ("Flatten", {}, "flatten"))
    g.add("Output", g.use("Classifier", x, id="classifier"), id="logits")
    return g


VGG_LESSON = (
    "Simonyan & Zisserman's VGG (2014), configuration with {} weight layers: only 3×3 convolutions stacked in "
    "blocks, max pooling between blocks, channels doubling 64 → 512. Shows that depth with tiny kernels beats a few "
    "large ones; exactly torchvision's parameter count."
)


@template(
    title="VGG-11", task="classification", params=132_863_336, lesson=VGG_LESSON.format(11), training=IMAGENET_SGD
)
def vgg11():
    return _vgg("vgg11", [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"])


@template(
    title="VGG-16", task="classification", params=138_357_544, lesson=VGG_LESSON.format(16), training=IMAGENET_SGD
)
def vgg16():
    return _vgg("vgg16", [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"])


@template(title="GoogLeNet (Inception v1)", task="classification", params=6_624_904, training=IMAGENET_SGD)
def googlenet():
    """Szegedy et al.'s 2014 ImageNet winner, as torchvision builds it without the auxiliary heads (6.6 M parameters).
    Each Inception block runs 1×1, 3×3, 'double 3×3' and pooling branches in parallel and concatenates them; 1×1
    convolutions shrink channels first to keep it cheap.
    """
    g = Graph("googlenet")
    inception_blocks(g)
    x = g.add("Input", id="x", shape=[3, 224, 224])
    x = g.use("BasicConv2d", x, id="conv1", out=64, k=7, stride=2, padding=3)
    pool = lambda x, name, k=3: g.add("MaxPool2d", x, id=name, kernel_size=k, stride=2, ceil_mode=True)  # noqa: E731
    x = pool(x, "maxpool1")
    x = g.use("BasicConv2d", g.use("BasicConv2d", x, id="conv2", out=64, k=1), id="conv3", out=192, k=3, padding=1)
    x = pool(x, "maxpool2")
    names = ["c1", "c3r", "c3", "c5r", "c5", "pool_proj"]
    stages = {"3": [(64, 96, 128, 16, 32, 32), (128, 128, 192, 32, 96, 64)],
              "4": [(192, 96, 208, 16, 48, 64), (160, 112, 224, 24, 64, 64), (128, 128, 256, 24, 64, 64),
                    (112, 144, 288, 32, 64, 64), (256, 160, 320, 32, 128, 128)],
              "5": [(256, 160, 320, 32, 128, 128), (384, 192, 384, 48, 128, 128)]}  # fmt: skip
    for stage, cfgs in stages.items():
        for letter, cfg in zip("abcde", cfgs):
            x = g.use("Inception", x, id=f"inception{stage}{letter}", **dict(zip(names, cfg)))
        if stage != "5":
            x = pool(x, f"maxpool{stage}", 3 if stage == "3" else 2)
    x = classifier_head(g, x, 1000, dropout=0.2)
    g.add("Output", x, id="logits")
    return g


@template(title="ResNet-18", task="classification", params=11_689_512, training=RESNET_SGD)
def resnet18():
    """He et al.'s residual network (2015), 18 layers, exactly torchvision's 11.7 M parameters. Each block adds its
    input back to its output (out = F(x) + x), so gradients flow through the skip connections and very deep nets
    train; when a stage halves the size, a 1×1 stride-2 convolution projects the shortcut.
    """
    g = Graph("resnet18")
    resnet(g, [2, 2, 2, 2])
    return g


@template(title="ResNet-34", task="classification", params=21_797_672, training=RESNET_SGD)
def resnet34():
    """ResNet with 34 layers (stages of 3, 4, 6 and 3 basic blocks), torchvision's 21.8 M parameters: the same
    blocks as ResNet-18, repeated more — the design's stages are one node each with ×N.
    """
    g = Graph("resnet34")
    resnet(g, [3, 4, 6, 3])
    return g


@template(title="ResNet-50", task="classification", params=25_557_032, training=RESNET_SGD)
def resnet50():
    """ResNet with 50 layers, torchvision's 25.6 M parameters: bottleneck blocks (1×1 down to a narrow width, 3×3,
    1×1 back up 4× wider) make a deeper net cheaper per layer than stacking 3×3 convolutions.
    """
    g = Graph("resnet50")
    resnet(g, [3, 4, 6, 3], bottleneck=True)
    return g


@template(title="DenseNet-121", task="classification", params=7_978_856, training=RESNET_SGD)
def densenet121():
    """Huang et al.'s densely connected network (2017), exactly torchvision's 8.0 M parameters: inside a dense block
    every layer receives the concatenation of all earlier feature maps and adds 32 new channels (the growth rate);
    transitions halve channels and size. Feature reuse makes it compact.
    """
    g = Graph("densenet121")
    densenet_blocks(g)
    f = g.block("Features", "DenseNet-121's feature extractor: stem, four dense blocks with transitions, final BN.")
    x = f.add("Input", id="x")
    x = f.seq(x, ("Conv2d", {"out_channels": 64, "kernel_size": 7, "stride": 2, "padding": 3, "bias": False}, "conv0"),
              ("BatchNorm2d", {}, "norm0"), ("ReLU", {}, "relu0"),
              ("MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1}, "pool0"))  # fmt: skip
    channels = 64
    for k, n in enumerate((6, 12, 24, 16), 1):
        x = f.use(f"DenseBlock{k}", x, id=f"denseblock{k}")
        channels = (channels + 32 * n) // 2
        if k < 4:
            x = f.use("Transition", x, id=f"transition{k}", channels=channels)
    f.add("Output", f.add("BatchNorm2d", x, id="norm5"), id="y")
    x = g.use("Features", g.add("Input", id="x", shape=[3, 224, 224]), id="features")
    x = classifier_head(g, g.add("ReLU", x, id="relu"), 1000, fc="classifier")
    g.add("Output", x, id="logits")
    return g


@template(title="MobileNetV2", task="classification", params=3_504_872, training=MOBILENET_SGD)
def mobilenet_v2():
    """Sandler et al.'s 2018 mobile network, exactly torchvision's 3.5 M parameters: inverted residual blocks expand
    channels 6× with a 1×1 conv, filter each channel alone with a 3×3 depthwise conv (groups = channels), then
    project back down linearly, with a skip when shapes allow. Few MACs for its accuracy.
    """
    g = Graph("mobilenet_v2")
    mobilenet_blocks(g)
    layers, inp = [("ConvBNReLU6", {"out": 32, "stride": 2})], 32
    for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                       (6, 320, 1, 1)]:  # fmt: skip
        for i in range(n):
            stride = s if i == 0 else 1
            kind = "InvertedResidual" if stride == 1 and inp == c else "InvertedResidualNoSkip"
            if t == 1:
                layers.append(("Depthwise1", {"hidden": inp, "out": c, "stride": stride}))
            else:
                layers.append((kind, {"hidden": inp * t, "out": c, "stride": stride}))
            inp = c
    layers.append(("ConvBNReLU6", {"out": 1280, "k": 1, "padding": 0}))
    b = g.block("Depthwise1", "MobileNetV2's first inverted residual (expansion 1: no 1×1 expansion, no skip).",
                hidden=32, out=16, stride=1)  # fmt: skip
    b.add("Output", b.use("Depthwise", b.add("Input", id="x"), id="conv", hidden="$hidden", out="$out",
                          stride="$stride"), id="y")  # fmt: skip
    g.sequence("Features", *layers, description="MobileNetV2's 19 feature stages.")
    g.sequence("Classifier", ("Dropout", {"p": 0.2}), ("Linear", {"out_features": 1000}),
               description="Dropout, then the Linear classifier.")  # fmt: skip
    x = g.use("Features", g.add("Input", id="x", shape=[3, 224, 224]), id="features")
    x = g.seq(x, ("AdaptiveAvgPool2d", {"output_size": 1}, "avgpool"), ("Flatten", {}, "flatten"))
    g.add("Output", g.use("Classifier", x, id="classifier"), id="logits")
    return g


# -- small models for the bundled datasets -----------------------------------------------------------------
@template(
    title="MLP for 8×8 digits",
    dataset="digits",
    task="classification",
    training=adam(3e-3, 20),
)
def digits_mlp():
    """A two-hidden-layer perceptron on scikit-learn's 8×8 handwritten digits: flatten the 64 pixels, two ReLU layers
    with dropout, 10 class scores. Trains to ~97% in about a second on a CPU.
    """
    g = Graph("digits_mlp")
    x = g.add("Input", id="x", shape=[1, 8, 8])
    y = g.seq(x, ("Flatten", {}, "flatten"), ("Linear", {"out_features": 128}, "fc1"), ("ReLU", {}, "relu1"),
              ("Dropout", {"p": 0.2}, "drop1"), ("Linear", {"out_features": 64}, "fc2"), ("ReLU", {}, "relu2"),
              ("Linear", {"out_features": 10}, "fc3"))  # fmt: skip
    g.add("Output", y, id="logits")
    return g


@template(
    title="Small CNN for 8×8 digits",
    dataset="digits",
    task="classification",
    training=ADAM_TRAINING,
)
def digits_cnn():
    """A compact CNN sized for scikit-learn's 8×8 digits: two 3×3 conv + BatchNorm + ReLU stages with max pooling (8 →
    4 → 2), then a small classifier. Its feature maps are readable in the Visualize page.
    """
    g = Graph("digits_cnn")
    x = g.add("Input", id="x", shape=[1, 8, 8])
    y = g.seq(x, ("Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1}, "conv1"), ("BatchNorm2d", {}, "bn1"),
              ("ReLU", {}, "relu1"), ("MaxPool2d", {"kernel_size": 2}, "pool1"),
              ("Conv2d", {"out_channels": 32, "kernel_size": 3, "padding": 1}, "conv2"), ("BatchNorm2d", {}, "bn2"),
              ("ReLU", {}, "relu2"), ("MaxPool2d", {"kernel_size": 2}, "pool2"), ("Flatten", {}, "flatten"),
              ("Linear", {"out_features": 64}, "fc1"), ("ReLU", {}, "relu3"), ("Dropout", {"p": 0.3}, "drop"),
              ("Linear", {"out_features": 10}, "fc2"))  # fmt: skip
    g.add("Output", y, id="logits")
    return g


@template(
    title="Small CNN for 28×28 images",
    dataset="digits28",
    task="classification",
    training=adam(2e-3, 8),
)
def cnn28():
    """A small CNN for 28×28 grayscale images (resized digits, generated shapes, MNIST): conv–ReLU–pool twice (28 → 14
    → 7), then a linear classifier. Change the Input to [3, 28, 28] for RGB shapes.
    """
    g = Graph("cnn28")
    x = g.add("Input", id="x", shape=[1, 28, 28])
    y = g.seq(x, ("Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1}, "conv1"), ("ReLU", {}, "relu1"),
              ("MaxPool2d", {"kernel_size": 2}, "pool1"),
              ("Conv2d", {"out_channels": 32, "kernel_size": 3, "padding": 1}, "conv2"), ("ReLU", {}, "relu2"),
              ("MaxPool2d", {"kernel_size": 2}, "pool2"), ("Flatten", {}, "flatten"),
              ("Linear", {"out_features": 10}, "fc"))  # fmt: skip
    g.add("Output", y, id="logits")
    return g


@template(
    title="Mini ResNet for 28×28 images",
    dataset="digits28",
    task="classification",
    training={
        "optimizer": "sgd",
        "lr": 0.05,
        "momentum": 0.9,
        "weight_decay": 5e-4,
        "schedule": "cosine",
        "epochs": 8,
        "batch_size": 64,
    },
)
def resnet_mini():
    """Two residual blocks on 28×28 images, small enough to train on a CPU: the first keeps the shape and adds the
    input back; the second halves the size and doubles the channels, so its shortcut needs a 1×1 stride-2
    convolution. Delete that projection to see the shape error it prevents.
    """
    g = Graph("resnet_mini")
    x = g.add("Input", id="x", shape=[1, 28, 28])
    x = conv_bn(g, x, "stem", 16, 3, padding=1)
    x = residual(g, x, "b1", 16, 16)
    x = residual(g, x, "b2", 16, 32, stride=2)
    x = classifier_head(g, x, 10)
    g.add("Output", x, id="logits")
    return g


SEGMENTATION_TRAINING = adam(2e-3, 8, 32)


@template(title="Per-pixel classifier (no context)", dataset="shape_masks", task="segmentation",
          training=SEGMENTATION_TRAINING)  # fmt: skip
def pixel_classifier():
    """Segmentation one pixel at a time: two 1×1 convolutions look at each pixel's brightness alone and decide
    "shape" or "background". With noise and uneven lighting a pixel's own value is not enough — the neighbours are
    what tell an edge from a speck. Compare with the encoder–decoder.
    """
    g = Graph("pixel_classifier")
    x = g.add("Input", id="x", shape=[1, 28, 28])
    y = g.seq(x, ("Conv2d", {"out_channels": 16, "kernel_size": 1}, "pixel1"), ("ReLU", {}, "relu1"),
              ("Conv2d", {"out_channels": 1, "kernel_size": 1}, "head"))  # fmt: skip
    g.add("Output", y, id="mask_logits")
    return g


@template(title="Conv encoder–decoder (segmentation)", dataset="shape_masks", task="segmentation",
          training=SEGMENTATION_TRAINING)  # fmt: skip
def encoder_decoder():
    """An FCN/U-Net-style encoder–decoder for 28×28 images: the encoder halves the size twice while adding channels,
    the decoder restores it with ConvTranspose2d (kernel 2, stride 2), and skip connections concatenate encoder
    features into the decoder to keep fine detail. Outputs one logit per pixel: is it part of a shape?
    """
    g = Graph("encoder_decoder")
    x = g.add("Input", id="x", shape=[1, 28, 28])
    e1 = g.seq(
        x, ("Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1}, "enc1_conv"), ("ReLU", {}, "enc1_relu")
    )
    e2 = g.seq(
        e1,
        ("MaxPool2d", {"kernel_size": 2}, "pool1"),
        ("Conv2d", {"out_channels": 32, "kernel_size": 3, "padding": 1}, "enc2_conv"),
        ("ReLU", {}, "enc2_relu"),
    )
    b = g.seq(
        e2,
        ("MaxPool2d", {"kernel_size": 2}, "pool2"),
        ("Conv2d", {"out_channels": 64, "kernel_size": 3, "padding": 1}, "bottleneck_conv"),
        ("ReLU", {}, "bottleneck_relu"),
    )
    d2 = g.seq(b, ("ConvTranspose2d", {"out_channels": 32, "kernel_size": 2, "stride": 2}, "up2"))
    d2 = g.add("Concat", d2, e2, id="skip2", dim=1)
    d2 = g.seq(
        d2, ("Conv2d", {"out_channels": 32, "kernel_size": 3, "padding": 1}, "dec2_conv"), ("ReLU", {}, "dec2_relu")
    )
    d1 = g.seq(d2, ("ConvTranspose2d", {"out_channels": 16, "kernel_size": 2, "stride": 2}, "up1"))
    d1 = g.add("Concat", d1, e1, id="skip1", dim=1)
    d1 = g.seq(d1, ("Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1}, "dec1_conv"), ("ReLU", {}, "dec1_relu"),
               ("Conv2d", {"out_channels": 1, "kernel_size": 1}, "head"))  # fmt: skip
    g.add("Output", d1, id="mask_logits")
    return g


@template(title="Bag of word vectors", dataset="sentiment", task="classification",
          training=ADAM_TRAINING)  # fmt: skip
def embedding_bag():
    """The simplest text model with embeddings: each token becomes a learned vector, the vectors are averaged over
    the sentence and a linear layer reads the average. Word polarities are learned, but the average forgets word
    order, so "not good" and "good" look almost the same. Compare with TextCNN, whose filters read word pairs.
    """
    g = Graph("embedding_bag")
    x = g.add("Input", id="tokens", shape=[40], dtype="int64")
    y = g.seq(x, ("Embedding", {"num_embeddings": 2000, "embedding_dim": 64, "padding_idx": 0}, "embed"),
              ("Permute", {"dims": [0, 2, 1]}, "to_channels"), ("AdaptiveAvgPool1d", {"output_size": 1}, "mean"),
              ("Flatten", {}, "flatten"), ("Linear", {"out_features": 2}, "fc"))  # fmt: skip
    g.add("Output", y, id="logits")
    return g


@template(
    title="TextCNN",
    dataset="sentiment",
    task="classification",
    training=ADAM_TRAINING,
)
def textcnn():
    """Kim's 2014 CNN for sentence classification: token ids → Embedding vectors, then parallel Conv1d filters of
    widths 3, 4 and 5 act as n-gram detectors; max-over-time pooling keeps each filter's strongest match, and the
    concatenation feeds a classifier.
    """
    g = Graph("textcnn")
    x = g.add("Input", id="tokens", shape=[40], dtype="int64")
    e = g.seq(x, ("Embedding", {"num_embeddings": 2000, "embedding_dim": 64, "padding_idx": 0}, "embed"),
              ("Permute", {"dims": [0, 2, 1]}, "to_channels"))  # fmt: skip
    branches = []
    for k in (3, 4, 5):
        branches.append(
            g.seq(
                e,
                ("Conv1d", {"out_channels": 32, "kernel_size": k}, f"conv{k}"),
                ("ReLU", {}, f"relu{k}"),
                ("AdaptiveMaxPool1d", {"output_size": 1}, f"maxpool{k}"),
                ("Flatten", {}, f"flat{k}"),
            )
        )
    y = g.seq(g.add("Concat", *branches, id="concat", dim=1), ("Dropout", {"p": 0.5}, "dropout"),
              ("Linear", {"out_features": 2}, "fc"))  # fmt: skip
    g.add("Output", y, id="logits")
    return g


# -- recurrent ------------------------------------------------------------------------------------------------
def _rnn_classifier(name, cell, extra=None):
    g = Graph(name)
    x = g.add("Input", id="x", shape=[30, 1])
    y = g.seq(x, (cell, {"hidden_size": 32, "return_sequences": False, **(extra or {})}, "rnn"),
              ("Linear", {"out_features": 2}, "fc"))  # fmt: skip
    g.add("Output", y, id="logits")
    return g


@template(title="RNN sequence classifier", dataset="seq_classes", task="classification", training=ADAM_TRAINING)
def rnn_classifier():
    """A plain (Elman) RNN reads a 30-step sequence and its last hidden state is classified. Simple, but its
    gradients vanish over long spans — compare it with the LSTM and GRU templates on the same task.
    """
    return _rnn_classifier("rnn_classifier", "RNN")


@template(title="LSTM sequence classifier", dataset="seq_classes", task="classification", training=ADAM_TRAINING)
def lstm_classifier():
    """An LSTM reads the sequence; its gates (input, forget, output) decide what the cell state keeps, so
    information survives long spans. The last hidden state is classified. Watch the gates live in Visualize.
    """
    return _rnn_classifier("lstm_classifier", "LSTM")


@template(title="BiLSTM sequence classifier", dataset="seq_classes", task="classification", training=ADAM_TRAINING)
def bilstm_classifier():
    """A bidirectional LSTM reads the sequence forwards and backwards; the final states of both directions are
    concatenated (64 values) and classified. Useful when the whole sequence is known in advance.
    """
    return _rnn_classifier("bilstm_classifier", "LSTM", {"bidirectional": True})


@template(title="GRU sequence classifier", dataset="seq_classes", task="classification", training=ADAM_TRAINING)
def gru_classifier():
    """A GRU — the LSTM's lighter cousin with reset and update gates and no separate cell state — reads the
    sequence and its last hidden state is classified.
    """
    return _rnn_classifier("gru_classifier", "GRU")


def _forecaster(name, cell):
    g = Graph(name)
    x = g.add("Input", id="window", shape=[24, 1])
    y = g.seq(x, (cell, {"hidden_size": 32, "num_layers": 2, "return_sequences": False}, "rnn"),
              ("Linear", {"out_features": 1}, "head"))  # fmt: skip
    g.add("Output", y, id="next_value")
    return g


ADDING_TRAINING = adam(1e-2, 12)


def _adder(name, cell):
    g = Graph(name)
    x = g.add("Input", id="x", shape=[30, 2])
    y = g.seq(x, (cell, {"hidden_size": 32, "return_sequences": False}, "rnn"), ("Linear", {"out_features": 1}, "fc"))
    g.add("Output", y, id="sum")
    return g


@template(title="RNN on the adding problem", dataset="adding", task="regression", training=ADDING_TRAINING)
def rnn_adding():
    """Hochreiter & Schmidhuber's adding problem: 30 steps of (value, marker), and the answer is the sum of the two
    marked values — one of them in the first half. A plain RNN must carry that value across up to 30 steps of
    tanh(W h + U x), and its gradient vanishes on the way back: it learns to predict the average (R² ≈ 0).
    """
    return _adder("rnn_adding", "RNN")


@template(title="LSTM on the adding problem", dataset="adding", task="regression", training=ADDING_TRAINING)
def lstm_adding():
    """The adding problem solved: the LSTM's cell state is updated additively (c ← f·c + i·g), so a value written
    when its marker comes stays until it is needed, and the gradient flows back through the forget gate instead of
    being squashed at every step. Watch the input gate open at the marked steps (Visualize → Gates).
    """
    return _adder("lstm_adding", "LSTM")


@template(title="LSTM forecaster", dataset="sine", task="forecasting", training=ADAM_TRAINING)
def lstm_forecaster():
    """A two-layer LSTM reads a window of 24 past values and predicts the next one: the classic setup for sine
    waves, sunspots or CO₂ series.
    """
    return _forecaster("lstm_forecaster", "LSTM")


@template(title="GRU forecaster", dataset="sine", task="forecasting", training=ADAM_TRAINING)
def gru_forecaster():
    """A two-layer GRU reads a window of 24 past values and predicts the next one — the same forecaster as the
    LSTM template with fewer parameters; compare their curves on the same series.
    """
    return _forecaster("gru_forecaster", "GRU")


# -- attention ------------------------------------------------------------------------------------------------
@template(title="Self-attention block", dataset="seq_classes", task="classification", training=ADAM_TRAINING)
def self_attention():
    """Self-attention spelled out: the sequence is projected to 32 features, multi-head attention lets every step look
    at every other step (4 heads), a residual Add and LayerNorm follow, then pooling over time and a classifier. The
    attention weights per head appear in Visualize.
    """
    g = Graph("self_attention")
    x = g.add("Input", id="x", shape=[30, 1])
    h = g.add("Linear", x, id="proj", out_features=32)
    a = g.add("MultiheadAttention", h, id="attn", num_heads=4)
    y = g.seq(g.add("Add", a, h, id="residual"), ("LayerNorm", {}, "norm"), ("Permute", {"dims": [0, 2, 1]}, "to_channels"),
              ("AdaptiveAvgPool1d", {"output_size": 1}, "pool"), ("Flatten", {}, "flatten"),
              ("Linear", {"out_features": 2}, "fc"))  # fmt: skip
    g.add("Output", y, id="logits")
    return g


REVERSE_TRAINING = adam(3e-3, 10)


def _reverser(name: str, positions: bool):
    g = Graph(name)
    x = g.add("Input", id="tokens", shape=[10], dtype="int64")
    h = g.add("Embedding", x, id="embed", num_embeddings=10, embedding_dim=32)
    if positions:
        h = g.add("PositionalEncoding", h, id="positions")
    a = g.add("MultiheadAttention", h, id="attn", num_heads=4)
    y = g.seq(g.add("Add", a, h, id="residual"), ("LayerNorm", {}, "norm"), ("Linear", {"out_features": 10}, "fc"))
    g.add("Output", y, id="tokens_out")
    return g


@template(title="Attention without positions", dataset="reverse", task="sequence_labeling", training=REVERSE_TRAINING)
def attention_nopos():
    """Self-attention asked to output a token sequence reversed — but given no positions. Attention compares tokens by
    content only, so without positional information every copy of a token looks the same wherever it stands and
    the network cannot tell which one is the mirror of a position: it guesses.
    """
    return _reverser("attention_nopos", positions=False)


@template(title="Attention that reverses a sequence", dataset="reverse", task="sequence_labeling",
          training=REVERSE_TRAINING)  # fmt: skip
def attention_reverse():
    """The same self-attention with sinusoidal position encodings added to the token vectors. Each output position
    can now ask for the token at its mirror position: one head learns an anti-diagonal attention pattern (Visualize
    → Attention), and the sequence comes out reversed.
    """
    return _reverser("attention_reverse", positions=True)


@template(
    title="Transformer encoder classifier",
    dataset="sentiment",
    task="classification",
    training=adam(3e-3, 10),
)
def transformer_classifier():
    """A small Transformer encoder for text: token embeddings plus sinusoidal positional encodings, two encoder layers
    (self-attention + feed-forward, each with residual and LayerNorm), mean pooling over the sequence and a linear
    classifier.
    """
    g = Graph("transformer_classifier")
    x = g.add("Input", id="tokens", shape=[40], dtype="int64")
    y = g.seq(x, ("Embedding", {"num_embeddings": 2000, "embedding_dim": 64, "padding_idx": 0}, "embed"),
              ("PositionalEncoding", {}, "posenc"))  # fmt: skip
    for i in (1, 2):
        y = transformer_layer(g, y, f"encoder{i}", heads=4, feedforward=128)
    y = g.seq(y, ("Permute", {"dims": [0, 2, 1]}, "to_channels"), ("AdaptiveAvgPool1d", {"output_size": 1}, "pool"),
              ("Flatten", {}, "flatten"), ("Linear", {"out_features": 2}, "fc"))  # fmt: skip
    g.add("Output", y, id="logits")
    return g


# -- generative ------------------------------------------------------------------------------------------------
def _dense_autoencoder(g, x, noise=None, code=16):
    h = g.add("Flatten", x, id="flatten")
    if noise:
        h = g.add("GaussianNoise", h, id="noise", std=noise)
    z = g.seq(
        h,
        ("Linear", {"out_features": 128}, "enc1"),
        ("ReLU", {}, "enc1_relu"),
        ("Linear", {"out_features": code}, "code"),
    )
    if code > 2:  # (a ReLU on a 2-number code would zero three quarters of its plane)
        z = g.add("ReLU", z, id="code_relu")
    y = g.seq(z, ("Linear", {"out_features": 128}, "dec1"), ("ReLU", {}, "dec1_relu"),
              ("Linear", {"out_features": 784}, "dec2"), ("Sigmoid", {}, "dec2_sigmoid"),
              ("Reshape", {"shape": [1, 28, 28]}, "to_image"))  # fmt: skip
    g.add("Output", y, id="reconstruction")
    return g


@template(title="Autoencoder", dataset="digits28", task="autoencoder", training=ADAM_TRAINING)
def autoencoder():
    """Compresses a 28×28 image into 16 numbers (the code) and reconstructs it. Trained to reproduce its input, the
    bottleneck forces it to learn the data's main factors of variation.
    """
    g = Graph("autoencoder")
    return _dense_autoencoder(g, g.add("Input", id="x", shape=[1, 28, 28]))


@template(title="Autoencoder with a 2-number code", dataset="digits28", task="autoencoder", training=ADAM_TRAINING)
def autoencoder_2d():
    """The autoencoder squeezed to a code of 2 numbers, with no ReLU on it (a ReLU would zero every negative
    coordinate and waste most of the plane). Reconstructions get blurry, but every image is now a point in a plane
    you can draw: the digits gather by class although the network never saw a label.
    """
    g = Graph("autoencoder_2d")
    return _dense_autoencoder(g, g.add("Input", id="x", shape=[1, 28, 28]), code=2)


@template(title="Denoising autoencoder", dataset="digits28", task="denoising", training=ADAM_TRAINING)
def denoising_autoencoder():
    """An autoencoder that sees its input with Gaussian noise added (GaussianNoise, active only in training) but must
    reconstruct the clean image, so it learns robust features instead of copying pixels.
    """
    g = Graph("denoising_autoencoder")
    return _dense_autoencoder(g, g.add("Input", id="x", shape=[1, 28, 28]), noise=0.3)


@template(title="Variational autoencoder", dataset="digits28", task="vae", training=ADAM_TRAINING)
def vae():
    """Kingma & Welling's VAE: the encoder outputs a mean and a log-variance for a 16-D latent Gaussian, Reparameterize
    samples z = mu + σ·ε (so gradients flow), and the decoder reconstructs the image. The loss adds a KL term that
    keeps the latent space smooth, so decoding random z generates new digits.
    """
    g = Graph("vae")
    x = g.add("Input", id="x", shape=[1, 28, 28])
    h = g.seq(x, ("Flatten", {}, "flatten"), ("Linear", {"out_features": 256}, "enc"), ("ReLU", {}, "enc_relu"))
    mu = g.add("Linear", h, id="mu_head", out_features=16)
    logvar = g.add("Linear", h, id="logvar_head", out_features=16)
    z = g.add("Reparameterize", mu, logvar, id="z")
    y = g.seq(z, ("Linear", {"out_features": 256}, "dec"), ("ReLU", {}, "dec_relu"),
              ("Linear", {"out_features": 784}, "dec_out"), ("Sigmoid", {}, "dec_sigmoid"),
              ("Reshape", {"shape": [1, 28, 28]}, "to_image"))  # fmt: skip
    g.add("Output", y, id="recon")
    g.add("Output", mu, id="mu")
    g.add("Output", logvar, id="logvar")
    return g


@template(
    title="DCGAN generator (28×28)",
    dataset="digits28",
    task="gan",
    role="generator",
)
def dcgan_generator():
    """Radford et al.'s DCGAN generator, sized for 28×28 images: a 100-D noise vector is projected to 128×7×7, then two
    ConvTranspose2d layers with BatchNorm and ReLU upsample to 14×14 and 28×28; tanh gives pixels in (−1, 1). Pair
    it with the DCGAN discriminator.
    """
    g = Graph("dcgan_generator")
    z = g.add("Input", id="z", shape=[100])
    y = g.seq(z, ("Linear", {"out_features": 128 * 7 * 7, "bias": False}, "project"), ("BatchNorm1d", {}, "bn0"),
              ("ReLU", {}, "relu0"), ("Reshape", {"shape": [128, 7, 7]}, "to_map"),
              ("ConvTranspose2d", {"out_channels": 64, "kernel_size": 4, "stride": 2, "padding": 1, "bias": False}, "up1"),
              ("BatchNorm2d", {}, "bn1"), ("ReLU", {}, "relu1"),
              ("ConvTranspose2d", {"out_channels": 1, "kernel_size": 4, "stride": 2, "padding": 1}, "up2"),
              ("Tanh", {}, "tanh"))  # fmt: skip
    g.add("Output", y, id="image")
    return g


@template(
    title="DCGAN discriminator (28×28)",
    dataset="digits28",
    task="gan",
    role="discriminator",
)
def dcgan_discriminator():
    """The DCGAN discriminator for 28×28 images: strided convolutions (no pooling) with LeakyReLU(0.2) and BatchNorm
    halve the size twice, and a linear layer gives one real-vs-fake logit. Pair it with the DCGAN generator.
    """
    g = Graph("dcgan_discriminator")
    x = g.add("Input", id="image", shape=[1, 28, 28])
    y = g.seq(x, ("Conv2d", {"out_channels": 64, "kernel_size": 4, "stride": 2, "padding": 1}, "conv1"),
              ("LeakyReLU", {"negative_slope": 0.2}, "lrelu1"),
              ("Conv2d", {"out_channels": 128, "kernel_size": 4, "stride": 2, "padding": 1, "bias": False}, "conv2"),
              ("BatchNorm2d", {}, "bn2"), ("LeakyReLU", {"negative_slope": 0.2}, "lrelu2"), ("Flatten", {}, "flatten"),
              ("Linear", {"out_features": 1}, "fc"))  # fmt: skip
    g.add("Output", y, id="logit")
    return g


RING_TRAINING = {**GAN_TRAINING, "dataset": "ring", "epochs": 30, "lr": 1e-3}


def _ring_gan(name: str, width: int):
    g = Graph("generator")
    z = g.add("Input", id="z", shape=[2])
    y = g.seq(z, ("Linear", {"out_features": width}, "fc1"), ("ReLU", {}, "relu1"),
              ("Linear", {"out_features": width}, "fc2"), ("ReLU", {}, "relu2"), ("Linear", {"out_features": 2}, "out_xy"))  # fmt: skip
    g.add("Output", y, id="point")
    d = Graph("discriminator")
    x = d.add("Input", id="point", shape=[2])
    y = d.seq(x, ("Linear", {"out_features": 64}, "fc1"), ("LeakyReLU", {"negative_slope": 0.2}, "lrelu1"),
              ("Linear", {"out_features": 64}, "fc2"), ("LeakyReLU", {"negative_slope": 0.2}, "lrelu2"),
              ("Linear", {"out_features": 1}, "fc3"))  # fmt: skip
    d.add("Output", y, id="logit")
    return pair(g.design(), d.design())


@template(title="GAN on a 2-D ring", dataset="ring", task="gan", training=RING_TRAINING)
def gan_2d():
    """A generator turns 2-D noise into points and a discriminator learns to tell them from real ones, on eight
    clusters arranged in a ring (as in GAN Lab). Watch whether the generator covers every cluster or collapses onto
    a few (mode collapse).
    """
    return _ring_gan("gan_2d", 64)


@template(title="GAN on a 2-D ring, small generator", dataset="ring", task="gan", training=RING_TRAINING)
def gan_2d_small():
    """The ring GAN with a generator of 8 units per layer: a ReLU network bends the plane into few linear pieces, too
    few to fold a Gaussian cloud onto eight tight clusters, so its points smear along the ring and some clusters get
    none. Give the generator more units and compare.
    """
    return _ring_gan("gan_2d_small", 8)


@template(
    title="DCGAN on digits (28×28)",
    dataset="digits28",
    task="gan",
    training={**GAN_TRAINING, "dataset": "digits28", "epochs": 20},
)
def dcgan():
    """Radford et al.'s DCGAN in one file: the generator (noise → 28×28 image, transposed convolutions) and the
    discriminator (image → real/fake logit, strided convolutions) trained against each other on the digits with
    Adam (lr 2e-4, beta1 0.5), the settings the paper recommends.
    """
    return pair(TEMPLATES["dcgan_generator"].design(), TEMPLATES["dcgan_discriminator"].design())
