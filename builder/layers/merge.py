"""Merges: Add (ResNet skips), Multiply (gates, squeeze-and-excitation), Concat (Inception, DenseNet)."""

from ..params import Int
from ..registry import IMG, SEQ, VEC, Example, LayerSpec, ShapeError, TensorType, fmt_shape, register, src
from ..shapes import broadcast, differing_dims


def _same_dtype(spec, ins):
    dtypes = {t.dtype for t in ins}
    if len(dtypes) > 1:
        raise ShapeError(f"mixes dtypes {' and '.join(sorted(dtypes))}. Expected one dtype on every input.")


def _shortcut_hint(a, b, i, j):
    """How to make input i (shape a) match input j (shape b): the ResNet projection shortcut."""
    if len(a) == 3 and len(b) == 3 and a[1] >= b[1] and a[1] % b[1] == 0 and a[2] % b[2] == 0:
        stride = a[1] // b[1]
        how = f" with stride {stride}" if stride > 1 else ""
        return f"Give the path of {src(i)} a 1×1 Conv2d{how} and {b[0]} out_channels so it matches {src(j)}."
    if len(a) == len(b) == 1:
        return f"Add a Linear with out_features={b[0]} on the path of {src(i)}."
    return "Make both paths end in the same shape, or use Concat to stack them instead."


@register
class Add(LayerSpec):
    examples = (
        Example({}, [IMG, IMG]),
        Example({}, [VEC, VEC, VEC]),
    )
    category = "Structure"
    doc = (
        "Adds its inputs element-wise. All inputs must have the same shape. This is the residual (skip) "
        "connection of ResNet: out = F(x) + x. Connect two or more inputs."
    )
    min_inputs, max_inputs = 2, None
    op = "+"

    def infer(self, p, ins):
        _same_dtype(self, ins)
        first = ins[0].shape
        for i, t in enumerate(ins[1:], 1):
            if t.shape != first:
                a, b = (i, 0) if _numel_bigger(t.shape, first) else (0, i)
                where = differing_dims(first, t.shape) if len(first) == len(t.shape) else "rank"
                raise ShapeError(
                    f"input 0 from {src(0)} is {fmt_shape(first)} but input {i} from {src(i)} is "
                    f"{fmt_shape(t.shape)}; they differ in {where}. " + _shortcut_hint(ins[a].shape, ins[b].shape, a, b)
                )
        return ins[0]

    def forward_code(self, p, attr, args, ins):
        return f" {self.op} ".join(args)


def _numel_bigger(a, b):
    return len(a) == len(b) == 3 and a[1] > b[1]


@register
class Multiply(Add):
    examples = (
        Example({}, [IMG, (3, 1, 1)]),
        Example({}, [VEC, VEC]),
    )
    category = "Structure"
    doc = (
        "Multiplies its inputs element-wise, with torch broadcasting: a (C, 1, 1) gate can scale a (C, H, W) "
        "map (squeeze-and-excitation), a sigmoid gate can scale a signal (GLU-style gating)."
    )
    op = "*"

    def infer(self, p, ins):
        _same_dtype(self, ins)
        shape = ins[0].shape
        for i, t in enumerate(ins[1:], 1):
            if len(t.shape) != len(shape):  # torch would align the batch dim with a feature dim
                raise ShapeError(
                    f"input {i} from {src(i)} is {fmt_shape(t.shape)} but input 0 from {src(0)} is "
                    f"{fmt_shape(ins[0].shape)}. Expected the same number of dims (sizes may be 1 to broadcast). "
                    "Add a Reshape, e.g. to (C, 1, 1) for a per-channel gate."
                )
            out = broadcast(shape, t.shape)
            if out is None:
                raise ShapeError(
                    f"input {i} from {src(i)} is {fmt_shape(t.shape)}, which does not broadcast with "
                    f"{fmt_shape(shape)} from the inputs before it. Expected equal sizes or 1 in each dim. "
                    "Reshape one input so that each dim is equal or 1."
                )
            shape = out
        return TensorType(shape, ins[0].dtype)


@register
class Concat(LayerSpec):
    examples = (
        Example({"dim": 1}, [IMG, (5, 12, 10)]),
        Example({"dim": -1}, [SEQ, (7, 4)]),
        Example({"dim": 1}, [SEQ, (2, 16)]),
    )
    category = "Structure"
    doc = (
        "Joins its inputs along `dim` (counted with the batch dim, as in torch.cat: 1 is the channel dim of "
        "images, -1 the feature dim). All other dims must match. Inception stacks its branches this way; "
        "DenseNet concatenates every earlier feature map."
    )
    params = {"dim": Int(1, "dim to join along, batch dim = 0; negative counts from the end")}
    min_inputs, max_inputs = 2, None

    def infer(self, p, ins):
        _same_dtype(self, ins)
        first = ins[0].shape
        rank = len(first)
        d = p.dim + rank + 1 if p.dim < 0 else p.dim
        if not 1 <= d <= rank:
            raise ShapeError(
                f"dim={p.dim} is out of range for inputs {fmt_shape(first)}. Expected 1 to {rank} (or -1 to "
                f"-{rank}); 0 is the batch dim. Received {p.dim}.",
                "dim",
            )
        total = 0
        for i, t in enumerate(ins):
            s = t.shape
            if len(s) != rank or any(x != y for k, (x, y) in enumerate(zip(s, first)) if k != d - 1):
                raise ShapeError(
                    f"input {i} from {src(i)} is {fmt_shape(s)} but input 0 from {src(0)} is {fmt_shape(first)}; "
                    f"only dim {d} may differ when concatenating along dim {d}. "
                    "Resize one path (pooling, stride or Upsample) so the other dims match, or change dim."
                )
            total += s[d - 1]
        return TensorType((*first[: d - 1], total, *first[d:]), ins[0].dtype)

    def forward_code(self, p, attr, args, ins):
        return f"torch.cat([{', '.join(args)}], dim={p.dim})"
