"""Normalization: BatchNorm1d/2d/3d, LayerNorm, GroupNorm, InstanceNorm2d, LocalResponseNorm."""

from ..params import Bool, Float, Int, Shape
from ..registry import IMG, SEQ, VEC, Example, LayerSpec, ShapeError, fmt_shape, prod, register


def _bn_params(affine=True, track=True):
    return {
        "eps": Float(1e-5, "added to the variance for stability", positive=True),
        "momentum": Float(0.1, "running-statistics update rate (null: cumulative average)", min=0, max=1, optional=True),
        "affine": Bool(affine, "learn a scale and shift per channel"),
        "track_running_stats": Bool(track, "keep running mean/var for eval mode"),
        "bias": Bool(True, "learn the shift (with affine); false keeps only the scale"),
    }  # fmt: skip


class BatchNormBase(LayerSpec):
    keeps_width = True
    inferred = ("num_features",)
    category = "Normalization"
    positional = ("num_features",)
    ranks: tuple[int, ...] = (3,)
    dims = "C, H, W"
    inferred_doc = "num_features"

    def infer(self, p, ins):
        self.expect_rank(ins, self.ranks, self.dims)
        return ins[0]

    def input_args(self, p, ins):
        return {"num_features": ins[0].shape[0]}

    def count_params(self, p, ins):
        return (1 + p.bias) * ins[0].shape[0] if p.affine else 0

    def onnx_issue(self, p, ins):
        if not p.track_running_stats and self.type.startswith("BatchNorm"):
            return (
                "without running statistics BatchNorm normalizes with the batch's own statistics even at "
                "inference, which ONNX cannot express. Set track_running_stats=true."
            )
        return None


_BNDOC = (
    "Batch normalization over {what}: normalizes each channel with the batch's mean and variance while "
    "training (running estimates in eval), then scales and shifts it. Lets deep nets train fast and stably. "
    "num_features is taken from the input's channel dim."
)


@register
class BatchNorm1d(BatchNormBase):
    examples = (
        Example({}, [VEC]),
        Example({"momentum": None, "affine": False}, [SEQ]),
    )
    torch_class, params, ranks, dims = "nn.BatchNorm1d", _bn_params(), (1, 2), "C[, L]"
    doc = _BNDOC.format(what="features (N, C) or sequences (N, C, L)")


@register
class BatchNorm2d(BatchNormBase):
    examples = (
        Example({}, [IMG]),
        Example({"eps": 0.001, "track_running_stats": False}, [IMG]),
    )
    torch_class, params, ranks, dims = "nn.BatchNorm2d", _bn_params(), (3,), "C, H, W"
    doc = _BNDOC.format(what="feature maps (N, C, H, W)")


@register
class BatchNorm3d(BatchNormBase):
    examples = (Example({}, [(2, 3, 4, 5)]),)
    torch_class, params, ranks, dims = "nn.BatchNorm3d", _bn_params(), (4,), "C, D, H, W"
    doc = _BNDOC.format(what="volumes (N, C, D, H, W)")


@register
class InstanceNorm2d(BatchNormBase):
    examples = (
        Example({}, [IMG]),
        Example({"affine": True}, [IMG]),
    )
    torch_class, params, ranks, dims = "nn.InstanceNorm2d", _bn_params(False, False), (3,), "C, H, W"
    doc = (
        "Instance normalization: normalizes each channel of each sample over its own H×W (no batch "
        "statistics). Common in style transfer and GAN generators."
    )

    def infer(self, p, ins):
        shape = self.expect_rank(ins, 3, "C, H, W")
        if shape[1] * shape[2] == 1:
            raise ShapeError(
                f"normalizes over H×W, but the input {fmt_shape(shape)} has a single position per channel. "
                "Expected H·W > 1. Move it before the pooling that shrinks the map to 1×1, or use a LayerNorm."
            )
        return ins[0]


@register
class LayerNorm(LayerSpec):
    keeps_width = True
    examples = (
        Example({}, [SEQ]),
        Example({"normalized_shape": [12, 10], "bias": False}, [IMG]),
        Example({"elementwise_affine": False}, [VEC]),
    )
    category = "Normalization"
    doc = (
        "Layer normalization: normalizes each sample over its last dims (normalized_shape; default: the last "
        "dim), independent of the batch. The normalization of Transformers and RNNs."
    )
    params = {
        "normalized_shape": Shape(None, "trailing dims to normalize over (default: the last dim)", optional=True),
        "eps": Float(1e-5, "added to the variance for stability", positive=True),
        "elementwise_affine": Bool(True, "learn a per-element scale"),
        "bias": Bool(True, "learn a per-element shift (with elementwise_affine)"),
    }
    torch_class = "nn.LayerNorm"
    positional = ("normalized_shape",)
    inferred_doc = "normalized_shape (when omitted)"

    def normalized(self, p, ins):
        return p.normalized_shape if p.normalized_shape is not None else ins[0].shape[-1:]

    def infer(self, p, ins):
        shape, ns = ins[0].shape, self.normalized(p, ins)
        if tuple(shape[len(shape) - len(ns) :]) != tuple(ns) or len(ns) > len(shape):
            raise ShapeError(
                f"normalized_shape={list(ns)} does not match the trailing dims of the input {fmt_shape(shape)}. "
                f"Expected {list(shape[-len(ns):])}. Received {list(ns)}. Leave normalized_shape empty to use "
                "the last dim.", "normalized_shape",
            )  # fmt: skip
        return ins[0]

    def input_args(self, p, ins):
        ns = self.normalized(p, ins)
        return {"normalized_shape": ns[0] if len(ns) == 1 else ns}

    def count_params(self, p, ins):
        n = prod(self.normalized(p, ins))
        return n * (1 + p.bias) if p.elementwise_affine else 0


@register
class GroupNorm(LayerSpec):
    keeps_width = True
    inferred = ("num_channels",)
    examples = (
        Example({"num_groups": 3}, [(6, 4, 4)]),
        Example({"num_groups": 1, "affine": False}, [SEQ]),
    )
    category = "Normalization"
    doc = (
        "Group normalization: splits the channels into num_groups groups and normalizes each group per "
        "sample. Works with any batch size, unlike BatchNorm."
    )
    params = {
        "num_groups": Int(8, "number of channel groups (must divide the channels)", min=1, required=True),
        "eps": Float(1e-5, "added to the variance for stability", positive=True),
        "affine": Bool(True, "learn a per-channel scale and shift"),
        "bias": Bool(True, "learn the shift (with affine); false keeps only the scale"),
    }
    torch_class = "nn.GroupNorm"
    positional = ("num_groups", "num_channels")
    inferred_doc = "num_channels"

    def infer(self, p, ins):
        shape = self.expect_rank(ins, (1, 2, 3, 4), "C, *")
        if shape[0] % p.num_groups:
            raise ShapeError(
                f"num_groups={p.num_groups} does not divide the {shape[0]} input channels. Expected a divisor of "
                f"{shape[0]}. Received {p.num_groups}.", "num_groups",
            )  # fmt: skip
        return ins[0]

    def input_args(self, p, ins):
        return {"num_channels": ins[0].shape[0]}

    def count_params(self, p, ins):
        return (1 + p.bias) * ins[0].shape[0] if p.affine else 0


@register
class LocalResponseNorm(LayerSpec):
    keeps_width = True
    examples = (
        Example({"size": 3}, [IMG]),
        Example({"size": 5, "alpha": 0.001, "k": 2.0}, [SEQ]),
    )
    category = "Normalization"
    doc = (
        "Local response normalization across neighbouring channels, as in AlexNet (2012): each value is "
        "divided by (k + alpha/size · sum of squares over `size` channels)^beta."
    )
    params = {
        "size": Int(5, "number of neighbouring channels", min=1, required=True),
        "alpha": Float(1e-4, "scale", min=0),
        "beta": Float(0.75, "exponent", min=0),
        "k": Float(1.0, "additive constant", min=0),
    }
    torch_class = "nn.LocalResponseNorm"
    positional = ("size",)

    def infer(self, p, ins):
        self.expect_rank(ins, (2, 3, 4), "C, *spatial")
        return ins[0]
