"""Convolutions: Conv1d/2d/3d and ConvTranspose1d/2d share one rule, parameterised by ``rank``."""

from ..params import Bool, Choice, Int, IntTuple
from ..registry import IMG, SEQ, Example, LayerSpec, ShapeError, TensorType, fmt_shape, prod, register
from ..shapes import as_tuple, conv_out, conv_transpose_out

DIM_NAMES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}
LAYOUT = {1: "C, L", 2: "C, H, W", 3: "C, D, H, W"}


def check_groups(p, in_channels):
    if in_channels % p.groups:
        raise ShapeError(
            f"groups={p.groups} does not divide in_channels={in_channels} (from the input). Expected a divisor of "
            f"{in_channels}. Received {p.groups}. Use groups=1, or groups={in_channels} for a depthwise conv.",
            "groups",
        )
    if p.out_channels % p.groups:
        raise ShapeError(
            f"groups={p.groups} does not divide out_channels={p.out_channels}. Expected out_channels to be a "
            f"multiple of groups. Set out_channels to a multiple of {p.groups}.", "out_channels",
        )  # fmt: skip


def kernel_fits(spec, sizes, kernel, padding, dilation):
    """Each dim's padded size must hold the (dilated) kernel: the classic 'kernel larger than input'."""
    for name, size, k, pad, d in zip(DIM_NAMES[spec.rank], sizes, kernel, padding, dilation):
        span = d * (k - 1) + 1
        if span > size + 2 * pad:
            what = f"kernel_size={k}" + (f" (dilated to {span})" if d > 1 else "")
            padded = f" (padded {size + 2 * pad})" if pad else ""
            raise ShapeError(
                f"{what} is larger than its input {name} {size}{padded}. Expected kernel_size <= "
                f"{(size + 2 * pad - 1) // d + 1}. Received {k}. Reduce kernel_size, add padding, or remove a "
                "pooling/stride earlier so the input stays larger.", "kernel_size",
            )  # fmt: skip


class ConvBase(LayerSpec):
    inferred = ("in_channels",)
    width = "out_channels"
    probe = "feature_maps"
    category = "Convolution"
    rank = 2
    positional = ("in_channels", "out_channels")
    inferred_doc = "in_channels"

    def input_args(self, p, ins):
        return {"in_channels": ins[0].shape[0]}

    def geometry(self, p):
        r = self.rank
        return as_tuple(p.kernel_size, r), as_tuple(p.stride, r), as_tuple(p.dilation, r)


def conv_params(rank, transpose=False):
    params = {
        "out_channels": Int(16, "number of filters (output channels)", min=1, required=True),
        "kernel_size": IntTuple(3, "filter size: an int or one int per spatial dim", length=rank, min=1, required=True),
        "stride": IntTuple(1, "step between filter positions", length=rank, min=1),
        "padding": IntTuple(0, "zeros added on each side", length=rank, min=0, words=() if transpose else ("same", "valid")),
    }  # fmt: skip
    if transpose:
        params["output_padding"] = IntTuple(0, "extra size added on one side of the output", length=rank, min=0)
    params["dilation"] = IntTuple(1, "spacing between filter taps (atrous convolution)", length=rank, min=1)
    params["groups"] = Int(1, "split channels into groups (in_channels for depthwise)", min=1)
    params["bias"] = Bool(True, "learn an additive bias per output channel (off before a BatchNorm)")
    if not transpose:
        params["padding_mode"] = Choice("zeros", ("zeros", "reflect", "replicate", "circular"), "how to pad")
    return params


class ConvNd(ConvBase):
    def infer(self, p, ins):
        shape = self.expect_rank(ins, self.rank + 1, LAYOUT[self.rank])
        c, sizes = shape[0], shape[1:]
        check_groups(p, c)
        k, s, d = self.geometry(p)
        if p.padding == "same" and any(x != 1 for x in s):
            raise ShapeError(
                f"padding='same' needs stride 1 but stride={p.stride}. Expected stride=1. Use a number for "
                "padding with a strided conv (kernel_size // 2 keeps size/stride).", "padding",
            )  # fmt: skip
        if p.padding == "same":  # torch pads d·(k−1) in all, the larger half on the right
            pad = tuple(-(-dd * (kk - 1) // 2) for kk, dd in zip(k, d))
        else:
            pad = (0,) * self.rank if p.padding == "valid" else as_tuple(p.padding, self.rank)
        if p.padding_mode != "zeros":
            for size, pd in zip(sizes, pad):
                # torch's limits: reflect needs padding < size, circular padding <= size, replicate none
                if (p.padding_mode == "reflect" and pd >= size) or (p.padding_mode == "circular" and pd > size):
                    want = "smaller than" if p.padding_mode == "reflect" else "at most"
                    raise ShapeError(
                        f"padding={p.padding!r} ({pd} on a side) with padding_mode='{p.padding_mode}' needs padding "
                        f"{want} the input size {size}. Reduce padding, or use padding_mode='zeros' or "
                        "'replicate'.", "padding",
                    )  # fmt: skip
        if p.padding == "same":
            return TensorType((p.out_channels, *sizes))
        kernel_fits(self, sizes, k, pad, d)
        out = tuple(conv_out(*a) for a in zip(sizes, k, s, pad, d))
        return TensorType((p.out_channels, *out))

    def onnx_issue(self, p, ins):
        if p.padding == "same" and any(d > 1 for d in as_tuple(p.dilation, self.rank)):
            k, d = as_tuple(p.kernel_size, self.rank), as_tuple(p.dilation, self.rank)
            pads = [dd * (kk - 1) for kk, dd in zip(k, d)]
            fix = (
                f"set padding={[x // 2 for x in pads]} (the same output size)"
                if all(x % 2 == 0 for x in pads)
                else "use an odd kernel_size and set padding to dilation·(kernel_size − 1)/2"
            )
            return f"ONNX Runtime cannot run padding='same' with dilation > 1; {fix}"
        return None

    def count_params(self, p, ins):
        k = as_tuple(p.kernel_size, self.rank)
        return p.out_channels * (ins[0].shape[0] // p.groups) * prod(k) + (p.out_channels if p.bias else 0)

    def count_macs(self, p, ins, out):
        k = as_tuple(p.kernel_size, self.rank)
        return prod(out.shape) * (ins[0].shape[0] // p.groups) * prod(k)


class ConvTransposeNd(ConvBase):
    def infer(self, p, ins):
        shape = self.expect_rank(ins, self.rank + 1, LAYOUT[self.rank])
        c, sizes = shape[0], shape[1:]
        check_groups(p, c)
        k, s, d = self.geometry(p)
        pad = as_tuple(p.padding, self.rank)
        op = as_tuple(p.output_padding, self.rank)
        for o, st, dl in zip(op, s, d):
            if o >= st and o >= dl:
                raise ShapeError(
                    f"output_padding={p.output_padding} must be smaller than stride ({p.stride}) or dilation "
                    f"({p.dilation}). Received {p.output_padding}. Lower output_padding (usually stride - 1).",
                    "output_padding",
                )
        out = tuple(conv_transpose_out(*a) for a in zip(sizes, k, s, pad, op, d))
        if min(out) < 1:
            raise ShapeError(
                f"padding={p.padding} is too large: the output would be {fmt_shape((p.out_channels, *out))}. "
                "Reduce padding.", "padding",
            )  # fmt: skip
        return TensorType((p.out_channels, *out))

    def count_params(self, p, ins):
        k = as_tuple(p.kernel_size, self.rank)
        return ins[0].shape[0] * (p.out_channels // p.groups) * prod(k) + (p.out_channels if p.bias else 0)

    def count_macs(self, p, ins, out):
        k = as_tuple(p.kernel_size, self.rank)
        return prod(ins[0].shape) * (p.out_channels // p.groups) * prod(k)


def _conv_doc(rank, what):
    return (
        f"A {rank}-D convolution over {what}: out_channels learned filters of kernel_size slide over the input "
        "(with stride, padding, dilation) and each gives one output channel. in_channels is taken from the "
        "input. Output size per dim: ⌊(size + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1."
    )


@register
class Conv1d(ConvNd):
    examples = (
        Example({"out_channels": 4, "kernel_size": 3}, [SEQ]),
        Example({"out_channels": 14, "kernel_size": 2, "stride": 2, "padding": 1, "dilation": 2, "groups": 7}, [SEQ]),
        Example({"out_channels": 4, "kernel_size": 4, "padding": "same"}, [SEQ]),
        Example({"out_channels": 4, "kernel_size": 3, "padding": 2, "padding_mode": "reflect"}, [SEQ]),
    )
    rank, torch_class, params = 1, "nn.Conv1d", conv_params(1)
    doc = _conv_doc(1, "sequences (N, C, L): TextCNN's n-gram detectors, temporal convolutions")


@register
class Conv2d(ConvNd):
    examples = (
        Example({"out_channels": 8, "kernel_size": 3}, [IMG]),
        Example({"out_channels": 6, "kernel_size": [3, 5], "stride": [2, 1], "padding": [1, 2], "bias": False}, [IMG]),
        Example({"out_channels": 3, "kernel_size": 3, "groups": 3, "padding": "same", "dilation": 2}, [IMG]),
        Example({"out_channels": 4, "kernel_size": 3, "padding": "valid", "padding_mode": "circular"}, [IMG]),
    )
    rank, torch_class, params = 2, "nn.Conv2d", conv_params(2)
    doc = _conv_doc(2, "images (N, C, H, W): the layer of LeNet, VGG, ResNet")


@register
class Conv3d(ConvNd):
    examples = (Example({"out_channels": 2, "kernel_size": 3, "padding": 1, "stride": 2}, [(2, 5, 6, 7)]),)
    rank, torch_class, params = 3, "nn.Conv3d", conv_params(3)
    doc = _conv_doc(3, "volumes or video clips (N, C, D, H, W)")


_TDOC = (
    "A transposed ('fractionally strided') convolution: it upsamples, the learned inverse of a strided "
    "conv's geometry. Used in decoders, segmentation nets and DCGAN generators. kernel 4, stride 2, padding 1 "
    "doubles the size. Output: (size − 1)·stride − 2·padding + dilation·(kernel − 1) + output_padding + 1."
)


@register
class ConvTranspose1d(ConvTransposeNd):
    examples = (Example({"out_channels": 3, "kernel_size": 4, "stride": 2, "padding": 1}, [SEQ]),)
    rank, torch_class, params, doc = 1, "nn.ConvTranspose1d", conv_params(1, True), _TDOC


@register
class ConvTranspose2d(ConvTransposeNd):
    examples = (
        Example({"out_channels": 4, "kernel_size": 4, "stride": 2, "padding": 1}, [IMG]),
        Example(
            {"out_channels": 6, "kernel_size": 3, "stride": 2, "output_padding": 1, "groups": 3, "dilation": 1}, [IMG]
        ),
        Example({"out_channels": 2, "kernel_size": [3, 2], "stride": [3, 1], "dilation": 2}, [IMG]),
    )
    rank, torch_class, params, doc = 2, "nn.ConvTranspose2d", conv_params(2, True), _TDOC
