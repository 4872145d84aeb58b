"""Recurrent layers: RNN, LSTM, GRU. Always batch_first; ``return_sequences`` picks all steps or the last."""

from ..params import Bool, Choice, Float, Int
from ..registry import SEQ, Example, LayerSpec, ShapeError, TensorType, fmt_shape, register


class RecurrentBase(LayerSpec):
    inferred = ("input_size",)
    probe = "gates"
    category = "Recurrent"
    gates = 1  # weight blocks per layer: RNN 1, GRU 3, LSTM 4
    positional = ("input_size", "hidden_size")
    fixed_kwargs = {"batch_first": True}
    code_skip = ("return_sequences",)
    inferred_doc = "input_size"

    def out_size(self, p):
        return p.get("proj_size") or p.hidden_size

    def infer(self, p, ins):
        shape = self.expect_rank(ins, 2, "T, features")
        if p.get("proj_size", 0) >= p.hidden_size:
            raise ShapeError(
                f"proj_size={p.proj_size} must be smaller than hidden_size={p.hidden_size}. Lower proj_size "
                "(or 0 for no projection).", "proj_size",
            )  # fmt: skip
        width = self.out_size(p) * (2 if p.bidirectional else 1)
        return TensorType((shape[0], width) if p.return_sequences else (width,))

    def warnings(self, p, ins):
        if p.dropout > 0 and p.num_layers == 1:
            return [("dropout", "dropout acts between stacked layers only, so it does nothing with num_layers=1. "
                                "Set num_layers >= 2, or add a Dropout node after this layer.")]  # fmt: skip
        return []

    def input_args(self, p, ins):
        return {"input_size": ins[0].shape[-1]}

    def onnx_issue(self, p, ins):
        if p.get("proj_size"):
            return "ONNX has no LSTM with projections. Set proj_size=0, or add a Linear after the LSTM."
        return None

    def _layers(self, p, ins):
        """(input width, hidden, output width) for each stacked layer."""
        h, o, d = p.hidden_size, self.out_size(p), 2 if p.bidirectional else 1
        return [(ins[0].shape[-1] if i == 0 else o * d, h, o) for i in range(p.num_layers)], d

    def count_params(self, p, ins):
        layers, d = self._layers(p, ins)
        g, b = self.gates, 2 if p.bias else 0
        total = 0
        for i, h, o in layers:
            total += g * h * (i + o + b) + (h * o if o != h else 0)
        return total * d

    def count_macs(self, p, ins, out):
        layers, d = self._layers(p, ins)
        t = ins[0].shape[0]
        return t * d * sum(self.gates * h * (i + o) + (h * o if o != h else 0) for i, h, o in layers)

    def forward_code(self, p, attr, args, ins):
        call = f"self.{attr}({args[0]})"
        if p.return_sequences:
            return f"{call}[0]"
        if not p.bidirectional:
            return f"{call}[0][:, -1]"  # the last time step
        # the forward direction ends at the last step, the backward one at the first
        h, t = self.out_size(p), ins[0].shape[0]
        return [
            (f"{call}[0]", f"{fmt_shape((t, 2 * h))}: every step, both directions"),
            (f"torch.cat([{attr}[:, -1, :{h}], {attr}[:, 0, {h}:]], dim=1)", None),
        ]


def rnn_params(extra=None):
    params = {
        "hidden_size": Int(64, "units in the hidden state", min=1, required=True),
        "num_layers": Int(1, "stacked layers", min=1, max=16),
    }
    params.update(extra or {})
    params.update({
        "bias": Bool(True, "learn biases"),
        "dropout": Float(0.0, "dropout between stacked layers", min=0, max=1),
        "bidirectional": Bool(False, "also read the sequence backwards; doubles the output width"),
        "return_sequences": Bool(True, "output every time step (N, T, H), or only the last one (N, H)"),
    })  # fmt: skip
    return params


_RDOC = (
    " Input (N, T, features); output (N, T, H) for every step, or (N, H) for the last step when "
    "return_sequences is off (both directions concatenated when bidirectional)."
)


@register
class RNN(RecurrentBase):
    examples = (
        Example({"hidden_size": 5}, [SEQ]),
        Example(
            {
                "hidden_size": 4,
                "num_layers": 2,
                "nonlinearity": "relu",
                "bidirectional": True,
                "return_sequences": False,
            },
            [SEQ],
        ),
    )
    torch_class, gates = "nn.RNN", 1
    params = rnn_params({"nonlinearity": Choice("tanh", ("tanh", "relu"), "activation of the hidden state")})
    doc = (
        "The Elman RNN: h_t = tanh(W_ih·x_t + W_hh·h_(t−1) + b). Simple, but gradients vanish over long spans." + _RDOC
    )


@register
class LSTM(RecurrentBase):
    examples = (
        Example({"hidden_size": 6}, [SEQ]),
        Example({"hidden_size": 6, "return_sequences": False}, [SEQ]),
        Example({"hidden_size": 5, "num_layers": 2, "bidirectional": True, "dropout": 0.1}, [SEQ]),
        Example(
            {"hidden_size": 8, "proj_size": 3, "num_layers": 2, "bidirectional": True, "return_sequences": False}, [SEQ]
        ),
        Example({"hidden_size": 4, "bias": False, "bidirectional": True, "return_sequences": False}, [SEQ]),
    )
    torch_class, gates = "nn.LSTM", 4
    params = rnn_params({"proj_size": Int(0, "project the hidden state to this size (0: off)", min=0)})
    doc = (
        "Long short-term memory: input, forget and output gates control a cell state that carries information "
        "across long spans without vanishing gradients. Bidirectional makes a BiLSTM." + _RDOC
    )


@register
class GRU(RecurrentBase):
    examples = (
        Example({"hidden_size": 6, "bidirectional": True}, [SEQ]),
        Example({"hidden_size": 6, "num_layers": 3, "return_sequences": False}, [SEQ]),
    )
    torch_class, gates = "nn.GRU", 3
    params = rnn_params()
    doc = "Gated recurrent unit: reset and update gates, no separate cell state; a lighter LSTM." + _RDOC
