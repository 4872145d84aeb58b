"""Attention: MultiheadAttention, TransformerEncoderLayer, PositionalEncoding. Batch first: (N, T, E)."""

from ..params import Bool, Choice, Float, Int
from ..registry import SEQ, Example, LayerSpec, ShapeError, fmt_shape, register, src


def check_heads(embed_dim, heads, param):
    if embed_dim % heads:
        raise ShapeError(
            f"{param}={heads} does not divide the embedding size {embed_dim} (the input's last dim). Expected a "
            f"divisor of {embed_dim}. Received {heads}. Pick a divisor, or resize the embedding.", param,
        )  # fmt: skip


def attention_macs(tq, s, e, kdim, vdim):
    """Q/K/V projections, scores, weighted sum and the output projection."""
    return tq * e * e + s * kdim * e + s * vdim * e + 2 * tq * s * e + tq * e * e


@register
class MultiheadAttention(LayerSpec):
    inferred = ("embed_dim", "kdim", "vdim")
    probe = "attention"
    examples = (
        Example({"num_heads": 4}, [SEQ]),
        Example({"num_heads": 2, "bias": False}, [SEQ, (9, 16), (9, 16)]),
        Example({"num_heads": 2, "add_bias_kv": True, "add_zero_attn": True}, [SEQ, (5, 6), (5, 3)]),
    )
    category = "Attention"
    doc = (
        "Scaled dot-product attention with num_heads heads: softmax(QKᵀ/√d)·V per head, then an output "
        "projection. Connect one input for self-attention, or three for query, key and value (e.g. a decoder "
        "attending to an encoder). Inputs (N, T, E); the output has the query's shape."
    )
    params = {
        "num_heads": Int(4, "parallel attention heads (must divide the embedding size)", min=1, required=True),
        "dropout": Float(0.0, "dropout on the attention weights", min=0, max=1),
        "bias": Bool(True, "learn projection biases"),
        "add_bias_kv": Bool(False, "append a learned bias step to key and value"),
        "add_zero_attn": Bool(False, "append a zero step to key and value"),
    }
    min_inputs, max_inputs = 1, 3
    port_names = ("query", "key", "value")
    torch_class = "nn.MultiheadAttention"
    onnx_exporter = "dynamo"  # tracing bakes batch and length into the head-splitting reshapes
    positional = ("embed_dim", "num_heads")
    fixed_kwargs = {"batch_first": True}
    inferred_doc = "embed_dim, kdim, vdim"

    def qkv(self, ins):
        return (ins[0], ins[0], ins[0]) if len(ins) == 1 else ins

    def infer(self, p, ins):
        if len(ins) == 2:
            raise ShapeError(
                "has 2 inputs. Expected 1 (self-attention) or 3 (query, key, value). Connect a third input to "
                "port 2 (value), or keep only the query."
            )
        q, k, v = self.qkv(ins)
        for i, t in enumerate((q, k, v)[: len(ins)]):
            if len(t.shape) != 2:
                raise ShapeError(
                    f"expects (N, T, E) inputs but input {i} from {src(i)} is {fmt_shape(t.shape)}. Add a Reshape "
                    "or Permute to make it (N, T, E), or an Embedding for token ids."
                )
        check_heads(q.shape[1], p.num_heads, "num_heads")
        if k.shape[0] != v.shape[0]:
            raise ShapeError(
                f"key from {src(1)} has {k.shape[0]} steps but value from {src(2)} has {v.shape[0]}. Expected "
                "equal sequence lengths for key and value."
            )
        return q

    def input_args(self, p, ins):
        q, k, v = self.qkv(ins)
        args = {"embed_dim": q.shape[1]}
        if k.shape[1] != q.shape[1] or v.shape[1] != q.shape[1]:
            args.update(kdim=k.shape[1], vdim=v.shape[1])
        return args

    def init_code(self, p, ins):
        code = super().init_code(p, ins)
        extra = {k: v for k, v in self.input_args(p, ins).items() if k != "embed_dim"}
        if extra:
            code = code[:-1] + "".join(f", {k}={v}" for k, v in extra.items()) + ")"
        return code

    def count_params(self, p, ins):
        q, k, v = self.qkv(ins)
        e, kd, vd = q.shape[1], k.shape[1], v.shape[1]
        n = e * (e + kd + vd) + e * e  # q/k/v projections + output projection
        if p.bias:
            n += 3 * e + e
        if p.add_bias_kv:
            n += 2 * e
        return n

    def count_macs(self, p, ins, out):
        q, k, v = self.qkv(ins)
        extra = int(p.add_bias_kv) + int(p.add_zero_attn)  # key/value steps appended after the projections
        return (
            attention_macs(q.shape[0], k.shape[0], q.shape[1], k.shape[1], v.shape[1])
            + 2 * q.shape[0] * q.shape[1] * extra
        )

    def forward_code(self, p, attr, args, ins):
        q, k, v = (args[0],) * 3 if len(args) == 1 else args
        return f"self.{attr}({q}, {k}, {v}, need_weights=False)[0]"


@register
class TransformerEncoderLayer(LayerSpec):
    inferred = ("d_model",)
    probe = "attention"
    examples = (
        Example({"nhead": 4, "dim_feedforward": 32}, [SEQ]),
        Example({"nhead": 2, "dim_feedforward": 8, "activation": "gelu", "norm_first": True, "bias": False}, [SEQ]),
    )
    category = "Attention"
    doc = (
        "One Transformer encoder block: multi-head self-attention and a feed-forward net (dim_feedforward "
        "wide), each with a residual connection and LayerNorm. Stack several for a Transformer encoder. Input "
        "and output (N, T, d_model); d_model is taken from the input."
    )
    params = {
        "nhead": Int(4, "attention heads (must divide d_model)", min=1, required=True),
        "dim_feedforward": Int(2048, "width of the feed-forward net", min=1),
        "dropout": Float(0.1, "dropout rate", min=0, max=1),
        "activation": Choice("relu", ("relu", "gelu"), "feed-forward activation"),
        "layer_norm_eps": Float(1e-5, "LayerNorm eps", positive=True),
        "norm_first": Bool(False, "LayerNorm before attention/feed-forward (pre-LN) instead of after"),
        "bias": Bool(True, "learn biases in linear and norm layers"),
    }
    torch_class = "nn.TransformerEncoderLayer"
    onnx_exporter = "dynamo"  # it contains a MultiheadAttention
    positional = ("d_model", "nhead")
    fixed_kwargs = {"batch_first": True}
    inferred_doc = "d_model"

    def infer(self, p, ins):
        shape = self.expect_rank(ins, 2, "T, d_model")
        check_heads(shape[1], p.nhead, "nhead")
        return ins[0]

    def input_args(self, p, ins):
        return {"d_model": ins[0].shape[1]}

    def count_params(self, p, ins):
        e, f, b = ins[0].shape[1], p.dim_feedforward, 1 if p.bias else 0
        attention = 4 * e * e + 4 * e * b
        feedforward = 2 * e * f + (f + e) * b
        norms = 2 * e * (1 + b)
        return attention + feedforward + norms

    def count_macs(self, p, ins, out):
        t, e = ins[0].shape
        return attention_macs(t, t, e, e, e) + 2 * t * e * p.dim_feedforward


@register
class PositionalEncoding(LayerSpec):
    inferred = ("d_model",)
    examples = (
        Example({}, [SEQ]),
        Example({"max_len": 7}, [(7, 5)]),
    )
    category = "Attention"
    doc = (
        "Adds fixed sinusoidal position signals to (N, T, E) embeddings so attention, which ignores order, can "
        'tell positions apart ("Attention Is All You Need"). No learned parameters; T must be <= max_len.'
    )
    params = {"max_len": Int(512, "longest sequence supported", min=1, max=100_000)}
    torch_class = "PositionalEncoding"
    positional = ("d_model",)
    helpers = ("PositionalEncoding",)
    inferred_doc = "d_model"

    def infer(self, p, ins):
        shape = self.expect_rank(ins, 2, "T, E")
        if shape[0] > p.max_len:
            raise ShapeError(
                f"the input has {shape[0]} steps but max_len={p.max_len}. Expected max_len >= {shape[0]}. "
                f"Received {p.max_len}. Raise max_len.", "max_len",
            )  # fmt: skip
        return ins[0]

    def input_args(self, p, ins):
        return {"d_model": ins[0].shape[1]}
