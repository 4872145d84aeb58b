"""Activation functions. All keep the input's shape."""

from ..params import Choice, Float, Int
from ..registry import IMG, SEQ, VEC, Example, LayerSpec, ShapeError, fmt_shape, register


class Activation(LayerSpec):
    probe = "activations"  # dead units (ReLU-like) or saturation (Sigmoid, Tanh)
    keeps_width = True
    category = "Activation"

    @property
    def torch_class(self):
        return f"nn.{self.type}"


def activation(name: str, doc: str, params: dict | None = None, positional=(), examples=(), probe="activations"):
    """Register a shape-preserving activation; its torch class is nn.<name>."""
    attrs = {"doc": doc, "params": params or {}, "positional": positional, "examples": examples, "probe": probe}
    cls = type(name, (Activation,), attrs)
    return register(cls)


activation(
    "ReLU",
    "max(0, x): the default activation of deep nets; cheap and does not saturate for x > 0.",
    examples=(Example({}, [IMG]),),
)
activation(
    "ReLU6",
    "min(max(0, x), 6): ReLU capped at 6, used by MobileNet for low-precision friendliness.",
    examples=(Example({}, [VEC]),),
)
activation(
    "LeakyReLU",
    "x for x > 0, negative_slope·x otherwise: keeps a small gradient for negative inputs (no dead units); "
    "the activation of DCGAN's discriminator.",
    {"negative_slope": Float(0.01, "slope for x < 0", min=0)},
    examples=(Example({"negative_slope": 0.2}, [IMG]),),
)
activation(
    "ELU",
    "x for x > 0, alpha·(eˣ − 1) otherwise: smooth, with negative outputs that push mean activations toward 0.",
    {"alpha": Float(1.0, "value the negative side saturates to (−alpha)", min=0)},
    examples=(Example({"alpha": 0.5}, [VEC]),),
)
activation(
    "GELU",
    "x·Φ(x), the Gaussian error linear unit: the smooth ReLU of Transformers (BERT, GPT).",
    {"approximate": Choice("none", ("none", "tanh"), "exact, or the tanh approximation")},
    examples=(
        Example({}, [SEQ]),
        Example({"approximate": "tanh"}, [SEQ]),
    ),
)
activation(
    "SiLU",
    "x·sigmoid(x) (Swish): smooth and non-monotonic; used in EfficientNet and modern CNNs.",
    examples=(Example({}, [IMG]),),
)
activation(
    "Sigmoid",
    "1 / (1 + e⁻ˣ): squashes to (0, 1). Output for binary probabilities and gates; saturates.",
    examples=(Example({}, [VEC]),),
)
activation(
    "Tanh",
    "tanh(x): squashes to (−1, 1), zero-centred. The classic RNN activation and GAN generator output.",
    examples=(Example({}, [SEQ]),),
)
activation(
    "Hardswish",
    "x·ReLU6(x + 3)/6: a cheap piecewise approximation of Swish, from MobileNetV3.",
    examples=(Example({}, [IMG]),),
    probe=None,
)


@register
class PReLU(Activation):
    probe = None
    examples = (
        Example({}, [IMG]),
        Example({"num_parameters": 3, "init": 0.1}, [IMG]),
    )
    doc = (
        "Leaky ReLU whose negative slope is learned: one slope for all (num_parameters=1) or one per channel "
        "(num_parameters = the channel count)."
    )
    params = {
        "num_parameters": Int(1, "1, or the number of channels for one slope each", min=1),
        "init": Float(0.25, "initial slope", min=0),
    }

    def infer(self, p, ins):
        shape = ins[0].shape
        if p.num_parameters != 1 and p.num_parameters != shape[0]:
            raise ShapeError(
                f"num_parameters={p.num_parameters} must be 1 or the {shape[0]} channels of {fmt_shape(shape)}. "
                f"Received {p.num_parameters}. Set it to 1 or {shape[0]}.", "num_parameters",
            )  # fmt: skip
        return ins[0]

    def count_params(self, p, ins):
        return p.num_parameters


class SoftmaxBase(Activation):
    probe = None
    params = {"dim": Int(-1, "dim that sums to 1 (counted with the batch dim; -1 = last)", required=True)}

    def infer(self, p, ins):
        rank = len(ins[0].shape) + 1
        d = p.dim + rank if p.dim < 0 else p.dim
        if not 1 <= d < rank:
            raise ShapeError(
                f"dim={p.dim} is out of range for input {fmt_shape(ins[0].shape)}. Expected 1 to {rank - 1} or -1 "
                f"to -{rank - 1} (0 is the batch dim: normalizing across samples is almost always a bug). "
                f"Received {p.dim}.", "dim",
            )  # fmt: skip
        return ins[0]


@register
class Softmax(SoftmaxBase):
    examples = (
        Example({}, [VEC]),
        Example({"dim": 1}, [IMG]),
    )
    doc = (
        "Turns scores into probabilities that sum to 1 along `dim`. Not needed before a cross-entropy loss "
        "(it applies log-softmax itself): use it for outputs you read as probabilities."
    )


@register
class LogSoftmax(SoftmaxBase):
    examples = (Example({"dim": -1}, [SEQ]),)
    doc = "log(softmax(x)) along `dim`, computed stably. Pair it with the NLL loss."
