"""Pooling and resampling: Max/AvgPool1d-3d, AdaptiveAvg/MaxPool1d-2d, Upsample."""

import math

from ..params import Bool, Choice, FloatTuple, IntTuple
from ..registry import IMG, SEQ, Example, LayerSpec, ShapeError, TensorType, fmt_shape, register
from ..shapes import as_tuple, pool_out
from .conv import DIM_NAMES, LAYOUT


class PoolNd(LayerSpec):
    probe = "feature_maps"
    category = "Pooling"
    rank = 2
    dilated = True  # max pooling has dilation; average pooling does not
    unpadded_fit = False  # torch's avg_pool3d wants the kernel to fit the input before padding

    def infer(self, p, ins):
        shape = self.expect_rank(ins, self.rank + 1, LAYOUT[self.rank])
        r = self.rank
        k = as_tuple(p.kernel_size, r)
        s = as_tuple(p.stride if p.stride is not None else p.kernel_size, r)
        pad = as_tuple(p.padding, r)
        d = as_tuple(p.dilation, r) if self.dilated else (1,) * r
        for kk, pp in zip(k, pad):
            if pp * 2 > kk:  # torch compares with the undilated kernel
                raise ShapeError(
                    f"padding={p.padding} is more than half of kernel_size={p.kernel_size}. Expected padding <= "
                    f"{kk // 2}. Received {p.padding}. Lower padding or enlarge the kernel.", "padding",
                )  # fmt: skip
        out = []
        for name, size, kk, ss, pp, dd in zip(DIM_NAMES[r], shape[1:], k, s, pad, d):
            o = pool_out(size, kk, ss, pp, dd, p.ceil_mode)
            if self.unpadded_fit and kk > size:
                pp = 0  # report it as torch checks it
                o = 0
            if o < 1:
                raise ShapeError(
                    f"kernel_size={p.kernel_size} is larger than its input {name} {size}"
                    f"{f' (padded {size + 2 * pp})' if pp else ''}. Expected kernel_size <= {size + 2 * pp}. "
                    f"Received {kk}. Use a smaller kernel, or remove this pool: the input is already small.",
                    "kernel_size",
                )
            out.append(o)
        return TensorType((shape[0], *out))


def pool_params(rank, maximum):
    params = {
        "kernel_size": IntTuple(2, "window size", length=rank, min=1, required=True),
        "stride": IntTuple(None, "step between windows (default: kernel_size)", length=rank, min=1, optional=True),
        "padding": IntTuple(0, "implicit padding on each side", length=rank, min=0),
    }
    if maximum:
        params["dilation"] = IntTuple(1, "spacing between window taps", length=rank, min=1)
    params["ceil_mode"] = Bool(False, "round the output size up instead of down")
    if not maximum:
        params["count_include_pad"] = Bool(True, "count padding zeros in the average")
    return params


_MAXDOC = (
    "Max pooling: keeps the largest value in each kernel_size window, shrinking the {what} (stride defaults to "
    "kernel_size, so 2 halves it) and making features tolerant to small shifts."
)
_AVGDOC = (
    "Average pooling: replaces each kernel_size window of the {what} by its mean (stride defaults to kernel_size)."
)


@register
class MaxPool1d(PoolNd):
    examples = (
        Example({"kernel_size": 2}, [SEQ]),
        Example({"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, [SEQ]),
    )
    rank, torch_class, params = 1, "nn.MaxPool1d", pool_params(1, True)
    doc = _MAXDOC.format(what="sequence (N, C, L)")


@register
class MaxPool2d(PoolNd):
    examples = (
        Example({"kernel_size": 2}, [IMG]),
        Example({"kernel_size": 3, "stride": 2, "ceil_mode": True}, [IMG]),
        Example({"kernel_size": [2, 3], "stride": 1, "dilation": 2, "padding": 1}, [IMG]),
    )
    rank, torch_class, params = 2, "nn.MaxPool2d", pool_params(2, True)
    doc = _MAXDOC.format(what="feature map (N, C, H, W)")


@register
class MaxPool3d(PoolNd):
    examples = (Example({"kernel_size": 2}, [(2, 4, 6, 6)]),)
    rank, torch_class, params = 3, "nn.MaxPool3d", pool_params(3, True)
    doc = _MAXDOC.format(what="volume (N, C, D, H, W)")


@register
class AvgPool1d(PoolNd):
    examples = (Example({"kernel_size": 3, "padding": 1, "count_include_pad": False}, [SEQ]),)
    rank, torch_class, params, dilated = 1, "nn.AvgPool1d", pool_params(1, False), False
    doc = _AVGDOC.format(what="sequence (N, C, L)")


@register
class AvgPool2d(PoolNd):
    examples = (
        Example({"kernel_size": 2}, [IMG]),
        Example({"kernel_size": 3, "stride": 2, "ceil_mode": True, "padding": 1}, [IMG]),
    )
    rank, torch_class, params, dilated = 2, "nn.AvgPool2d", pool_params(2, False), False
    doc = _AVGDOC.format(what="feature map (N, C, H, W)")


@register
class AvgPool3d(PoolNd):
    examples = (Example({"kernel_size": [1, 2, 2]}, [(2, 4, 6, 6)]),)
    rank, torch_class, params, dilated, unpadded_fit = 3, "nn.AvgPool3d", pool_params(3, False), False, True
    doc = _AVGDOC.format(what="volume (N, C, D, H, W)")


class AdaptivePoolNd(LayerSpec):
    probe = "feature_maps"
    category = "Pooling"
    rank = 2
    positional = ("output_size",)

    def sizes(self, p, ins) -> tuple[int, ...]:
        """The output size per spatial dim; a null entry keeps that dim's input size (as torch does)."""
        out = as_tuple(p.output_size, self.rank)
        return tuple(s if o is None else o for s, o in zip(ins[0].shape[1:], out))

    def infer(self, p, ins):
        shape = self.expect_rank(ins, self.rank + 1, LAYOUT[self.rank])
        return TensorType((shape[0], *self.sizes(p, ins)))

    def onnx_issue(self, p, ins):
        sizes, out = ins[0].shape[1:], self.sizes(p, ins)
        if any(o != 1 and s % o for s, o in zip(sizes, out)):
            return (
                f"ONNX has no adaptive pooling: output_size {list(out)} must divide the input size {list(sizes)} "
                "(or be 1). Choose a divisor, or resize the input."
            )
        return None


def _adaptive(rank):
    keep = "; null keeps that dim" if rank > 1 else ""  # torch's 1-d adaptive pools take no null
    return {"output_size": IntTuple(1, f"output size per spatial dim (1 = global pooling{keep})", length=rank, min=1,
                                    none_entries=rank > 1)}  # fmt: skip


_ADOC = (
    "Adaptive {kind} pooling to a fixed output_size whatever the input size: output_size=1 is global {kind} "
    "pooling, the bridge between the conv part and the classifier of ResNet, GoogLeNet and DenseNet."
)


@register
class AdaptiveAvgPool1d(AdaptivePoolNd):
    examples = (Example({"output_size": 4}, [SEQ]),)
    rank, torch_class, params, doc = 1, "nn.AdaptiveAvgPool1d", _adaptive(1), _ADOC.format(kind="average")


@register
class AdaptiveAvgPool2d(AdaptivePoolNd):
    examples = (
        Example({"output_size": 1}, [IMG]),
        Example({"output_size": [5, 3]}, [IMG]),
    )
    rank, torch_class, params, doc = 2, "nn.AdaptiveAvgPool2d", _adaptive(2), _ADOC.format(kind="average")


@register
class AdaptiveMaxPool1d(AdaptivePoolNd):
    examples = (Example({"output_size": 1}, [SEQ]),)
    rank, torch_class, params, doc = 1, "nn.AdaptiveMaxPool1d", _adaptive(1), _ADOC.format(kind="max")


@register
class AdaptiveMaxPool2d(AdaptivePoolNd):
    examples = (Example({"output_size": [2, 4]}, [IMG]),)
    rank, torch_class, params, doc = 2, "nn.AdaptiveMaxPool2d", _adaptive(2), _ADOC.format(kind="max")


_MODE_RANK = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


@register
class Upsample(LayerSpec):
    examples = (
        Example({}, [IMG]),
        Example({"scale_factor": 1.5, "mode": "bilinear", "align_corners": True}, [IMG]),
        Example({"scale_factor": None, "size": [9, 4], "mode": "bicubic"}, [IMG]),
        Example({"scale_factor": 3, "mode": "linear"}, [SEQ]),
        Example({"scale_factor": 2, "mode": "trilinear"}, [(1, 2, 3, 4)]),
    )
    category = "Pooling"
    doc = (
        "Resizes feature maps by interpolation: to a fixed `size` or by `scale_factor` (give one of the two). "
        "mode nearest works for 1-3 spatial dims; linear, bilinear/bicubic and trilinear need 1, 2 and 3. A "
        "parameter-free alternative to ConvTranspose in decoders."
    )
    params = {
        "size": IntTuple(None, "output size per spatial dim", min=1, optional=True),
        "scale_factor": FloatTuple(2.0, "multiplier per spatial dim", min=0.001, optional=True, torch_default=None),
        "mode": Choice("nearest", ("nearest", "linear", "bilinear", "bicubic", "trilinear"), "interpolation"),
        "align_corners": Choice(None, (None, True, False), "align corner pixels (linear modes only)"),
    }
    torch_class = "nn.Upsample"

    def infer(self, p, ins):
        shape = self.expect_rank(ins, (2, 3, 4), "C, *spatial")
        r = len(shape) - 1
        if (p.size is None) == (p.scale_factor is None):
            raise ShapeError(
                "needs exactly one of size and scale_factor. Set the other to null.",
                "size" if p.size is not None else "scale_factor",
            )
        want = _MODE_RANK.get(p.mode)
        if want is not None and want != r:
            raise ShapeError(
                f"mode='{p.mode}' needs {want} spatial dim(s) but the input {fmt_shape(shape)} has {r}. Use "
                f"mode='{[m for m, k in _MODE_RANK.items() if k == r][0]}' or 'nearest'.", "mode",
            )  # fmt: skip
        if p.align_corners is not None and p.mode == "nearest":
            raise ShapeError("align_corners works only with the linear modes. Set it to null.", "align_corners")
        for name in ("size", "scale_factor"):
            v = p[name]
            if isinstance(v, tuple) and len(v) != r:
                raise ShapeError(
                    f"{name}={list(v)} has {len(v)} entries but the input has {r} spatial dims. Give a single "
                    f"number or {r} entries.", name,
                )  # fmt: skip
        if p.size is not None:
            return TensorType((shape[0], *as_tuple(p.size, r)))
        out = tuple(math.floor(s * f) for s, f in zip(shape[1:], as_tuple(p.scale_factor, r)))
        if min(out) < 1:
            raise ShapeError(f"scale_factor={p.scale_factor} shrinks {fmt_shape(shape)} to nothing.", "scale_factor")
        return TensorType((shape[0], *out))
