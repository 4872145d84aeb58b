"""Structure and dense layers: Input, Output, Identity, Linear, Embedding."""

from ..params import Bool, Choice, Int, Shape
from ..registry import (
    IMG,
    REGISTRY,
    SEQ,
    VEC,
    Example,
    LayerSpec,
    ShapeError,
    TensorType,
    fmt_shape,
    prod,
    register,
    width_source,
)


@register
class Input(LayerSpec):
    category = "Structure"
    doc = (
        "Where data enters the model. `shape` is one sample's shape without the batch dim: [1, 28, 28] for a "
        "grayscale 28×28 image, [20, 8] for 20 time steps of 8 features, [2] for a point in the plane. Use "
        "dtype int64 for token ids that feed an Embedding."
    )
    params = {
        "shape": Shape((1, 28, 28), "one sample's shape, without the batch dim", max_len=4),
        "dtype": Choice("float32", ("float32", "int64"), "float32 for features, int64 for token ids"),
    }
    min_inputs = max_inputs = 0

    def infer(self, p, ins):
        return TensorType(p.shape, p.dtype)


@register
class Output(LayerSpec):
    keeps_width = True
    category = "Structure"
    doc = (
        "Marks a model output. The model returns its Output nodes' inputs, in id order when there are several "
        "(a VAE's reconstruction, mu and logvar, say)."
    )
    accepts_int = True


@register
class Identity(LayerSpec):
    keeps_width = True
    examples = (
        Example({}, [IMG]),
        Example({}, [(5,)], "int64"),
    )
    category = "Structure"
    doc = "Passes its input through unchanged. Handy as a named junction or a placeholder while sketching."
    torch_class = "nn.Identity"
    accepts_int = True


@register
class Linear(LayerSpec):
    inferred = ("in_features",)
    width = "out_features"

    def graph_warnings(self, node_id, report, types):
        """On a feature map a Linear acts on the last dim only: likely a missing Flatten. Per-step Linear layers
        on (N, T, E) sequences are normal, so a 2-D sample is flagged only when it comes from a conv or pool."""
        source = report.inputs[node_id][0]
        shape = report.nodes[source].shape
        origin = width_source(types, report.inputs, source)
        spec = REGISTRY.get(types.get(origin)) if origin is not None else None  # (a block instance has none)
        from_maps = spec is not None and spec.category in ("Convolution", "Pooling")
        if len(shape) < 3 and not (len(shape) == 2 and from_maps):
            return []
        out = report.nodes[node_id].shape
        return [
            f"receives {fmt_shape(shape)} and acts on the last dim ({shape[-1]}) only, giving {fmt_shape(out)}. "
            "If you meant to connect all values, add a Flatten before it (fine as is for per-step layers on "
            "(N, T, E) sequences)."
        ]

    examples = (
        Example({"out_features": 5}, [VEC]),
        Example({"out_features": 3, "bias": False}, [SEQ]),
    )
    category = "Dense"
    doc = (
        "A fully connected layer: y = xWᵀ + b, mixing all features of the last dim. The building block of "
        "perceptrons and MLPs. in_features is taken from the input. On an input with more than one dim "
        "besides the batch it acts on the last dim only — add a Flatten first to connect everything."
    )
    params = {
        "out_features": Int(10, "number of output units", min=1, required=True),
        "bias": Bool(True, "learn an additive bias"),
    }
    torch_class = "nn.Linear"
    positional = ("in_features", "out_features")
    inferred_doc = "in_features"

    def infer(self, p, ins):
        shape = ins[0].shape
        return TensorType((*shape[:-1], p.out_features))

    def input_args(self, p, ins):
        return {"in_features": ins[0].shape[-1]}

    def count_params(self, p, ins):
        return ins[0].shape[-1] * p.out_features + (p.out_features if p.bias else 0)

    def count_macs(self, p, ins, out):
        return prod(ins[0].shape) * p.out_features


@register
class Embedding(LayerSpec):
    probe = "embedding"
    examples = (
        Example({"num_embeddings": 10, "embedding_dim": 4}, [(6,)], "int64"),
        Example({"num_embeddings": 10, "embedding_dim": 3, "padding_idx": 0}, [(2, 5)], "int64"),
    )
    category = "Embedding"
    doc = (
        "A lookup table that turns integer token ids into learned vectors: (N, T) ids become (N, T, "
        "embedding_dim). Feed it an int64 Input. The first layer of TextCNN and of most text models."
    )
    params = {
        "num_embeddings": Int(1000, "vocabulary size: ids must be < this", min=1, required=True),
        "embedding_dim": Int(64, "length of each vector", min=1, required=True),
        "padding_idx": Int(None, "id whose vector stays zero and gets no gradient (padding)", optional=True),
        "scale_grad_by_freq": Bool(False, "scale gradients by the inverse frequency of the ids in the batch"),
    }
    accepts_int = True
    torch_class = "nn.Embedding"
    positional = ("num_embeddings", "embedding_dim")

    def infer(self, p, ins):
        if ins[0].dtype != "int64":
            raise ShapeError(
                f"expects int64 token ids but receives {ins[0].dtype} {fmt_shape(ins[0].shape)}. "
                "Set the Input's dtype to int64, or remove the Embedding if the data is already numeric."
            )
        if p.padding_idx is not None and not -p.num_embeddings <= p.padding_idx < p.num_embeddings:
            raise ShapeError(
                f"padding_idx={p.padding_idx} is outside the vocabulary. Expected "
                f"-{p.num_embeddings} <= padding_idx < {p.num_embeddings}. Received {p.padding_idx}.",
                "padding_idx",
            )
        return TensorType((*ins[0].shape, p.embedding_dim))

    def count_params(self, p, ins):
        return p.num_embeddings * p.embedding_dim
