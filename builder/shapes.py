"""Pure shape arithmetic shared by the layer specs (torch's own formulas, batch dim excluded)."""

from __future__ import annotations

import math


def as_tuple(value, n: int) -> tuple:
    """An int (or a str such as "same") repeated n times, or the tuple itself."""
    return tuple(value) if isinstance(value, tuple) else (value,) * n


def conv_out(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """Output length of a convolution along one dim (torch.nn.Conv*d docs)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def conv_transpose_out(size, kernel, stride, padding, output_padding, dilation) -> int:
    """Output length of a transposed convolution along one dim (torch.nn.ConvTranspose*d docs)."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def pool_out(size: int, kernel: int, stride: int, padding: int, dilation: int, ceil_mode: bool) -> int:
    """Output length of max/avg pooling, including ceil_mode's rule that the last window starts inside."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def same_padding_total(kernel: int, dilation: int) -> int:
    return dilation * (kernel - 1)


def numel(shape) -> int:
    return math.prod(shape)


def broadcast(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    """torch broadcasting of two shapes (batch excluded), or None when they do not broadcast."""
    out = []
    for x, y in zip(reversed((1,) * (len(b) - len(a)) + a), reversed((1,) * (len(a) - len(b)) + b)):
        if x != y and 1 not in (x, y):
            return None
        out.append(max(x, y))
    return tuple(reversed(out))


def differing_dims(a: tuple[int, ...], b: tuple[int, ...]) -> str:
    """'dims 1–3' (counted with the batch dim, as torch counts them) where two same-rank shapes differ."""
    dims = [i + 1 for i, (x, y) in enumerate(zip(a, b)) if x != y]
    if not dims:
        return ""
    if len(dims) == 1:
        return f"dim {dims[0]}"
    if dims == list(range(dims[0], dims[-1] + 1)):
        return f"dims {dims[0]}–{dims[-1]}"
    return "dims " + ", ".join(map(str, dims))
