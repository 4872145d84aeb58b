"""Reshaping: Flatten, Reshape, Permute, Narrow and Sum (torch semantics, batch dim counted in dims as torch counts it)."""

from ..params import Bool, Int, Shape
from ..registry import IMG, SEQ, Example, LayerSpec, ShapeError, TensorType, fmt_shape, literal, prod, register


@register
class Flatten(LayerSpec):
    examples = (
        Example({}, [IMG]),
        Example({"start_dim": 2}, [IMG]),
        Example({"start_dim": 1, "end_dim": 2}, [IMG]),
    )
    category = "Structure"
    doc = (
        "Flattens dims start_dim..end_dim into one (torch.nn.Flatten; dims counted with the batch dim). The "
        "defaults turn a (N, C, H, W) feature map into (N, C·H·W) so a Linear can follow it."
    )
    params = {
        "start_dim": Int(1, "first dim to flatten (1 = first after the batch; negative counts from the end)"),
        "end_dim": Int(-1, "last dim to flatten (-1 = the last)"),
    }
    accepts_int = True
    torch_class = "nn.Flatten"

    def infer(self, p, ins):
        shape = ins[0].shape
        rank = len(shape) + 1
        s = p.start_dim + rank if p.start_dim < 0 else p.start_dim
        e = p.end_dim + rank if p.end_dim < 0 else p.end_dim
        if not 1 <= s < rank:
            raise ShapeError(
                f"start_dim={p.start_dim} is out of range for input {fmt_shape(shape)}. Expected 1 to {rank - 1} "
                f"(or {1 - rank} to -1; dim 0 is the batch, which stays). Received {p.start_dim}.", "start_dim",
            )  # fmt: skip
        if not 1 <= e < rank or e < s:
            raise ShapeError(
                f"end_dim={p.end_dim} does not fit input {fmt_shape(shape)} with start_dim={s}. Expected a dim "
                f"from {s} to {rank - 1} (or -1). Received {p.end_dim}.", "end_dim",
            )  # fmt: skip
        return TensorType((*shape[: s - 1], prod(shape[s - 1 : e]), *shape[e:]), ins[0].dtype)


@register
class Reshape(LayerSpec):
    examples = (
        Example({"shape": [6, 20]}, [(120,)]),
        Example({"shape": [-1, 4]}, [IMG]),
        Example({"shape": [10, 12, 3]}, [IMG]),
    )
    category = "Structure"
    doc = (
        "Gives each sample a new shape with the same number of elements (x.reshape(N, *shape)). One entry may "
        "be -1 to be inferred. Turns a vector into a feature map in a generator or decoder: [128, 7, 7]."
    )
    params = {"shape": Shape((-1,), "new shape without the batch dim; one -1 is inferred", allow_minus_one=True)}
    accepts_int = True

    def infer(self, p, ins):
        n = prod(ins[0].shape)
        known = prod(d for d in p.shape if d != -1)
        if -1 in p.shape:
            if n % known:
                raise ShapeError(
                    f"cannot reshape {fmt_shape(ins[0].shape)} ({n} values per sample) to {list(p.shape)}: "
                    f"{n} is not divisible by {known}. Choose sizes whose product divides {n}.", "shape",
                )  # fmt: skip
            return TensorType(tuple(n // known if d == -1 else d for d in p.shape), ins[0].dtype)
        if known != n:
            raise ShapeError(
                f"cannot reshape {fmt_shape(ins[0].shape)} to {fmt_shape(p.shape)}: expected {n} values per "
                f"sample, the new shape holds {known}. Choose a shape whose product is {n}, or use -1 for one "
                "entry.", "shape",
            )  # fmt: skip
        return TensorType(p.shape, ins[0].dtype)

    def forward_code(self, p, attr, args, ins):
        return f"{args[0]}.reshape({args[0]}.shape[0], {', '.join(map(literal, p.shape))})"


@register
class Permute(LayerSpec):
    examples = (
        Example({"dims": [0, 2, 1]}, [SEQ]),
        Example({"dims": [0, 3, 1, 2]}, [IMG]),
    )
    category = "Structure"
    doc = (
        "Reorders dims (torch.permute, dims counted with the batch dim, which must stay first: dims[0] = 0). "
        "[0, 2, 1] turns (N, C, L) into (N, L, C), e.g. between a Conv1d and an LSTM."
    )
    params = {"dims": Shape((0, 2, 1), "new order of the dims, batch included", min_len=2, max_len=5, min_value=0)}
    accepts_int = True

    def infer(self, p, ins):
        shape = ins[0].shape
        dims = p.dims
        if len(dims) != len(shape) + 1 or dims[0] != 0 or sorted(dims) != list(range(len(dims))):
            raise ShapeError(
                f"dims={list(dims)} is not a valid order for input {fmt_shape(shape)}. Expected a permutation of "
                f"0..{len(shape)} that starts with 0 (the batch stays first). Received {list(dims)}.", "dims",
            )  # fmt: skip
        return TensorType(tuple(shape[d - 1] for d in dims[1:]), ins[0].dtype)

    def forward_code(self, p, attr, args, ins):
        return f"{args[0]}.permute({', '.join(map(str, p.dims))})"


def _dim(p_dim: int, shape: tuple[int, ...], what: str, param: str = "dim") -> int:
    """A dim counted with the batch (negative from the end) as an index into ``shape`` (without the batch)."""
    rank = len(shape) + 1
    d = p_dim + rank if p_dim < 0 else p_dim
    if not 1 <= d < rank:
        raise ShapeError(
            f"{param}={p_dim} is out of range for input {fmt_shape(shape)}: {what}. Expected 1 to {rank - 1} (or "
            f"{1 - rank} to -1; dim 0 is the batch). Received {p_dim}.", param,
        )  # fmt: skip
    return d - 1


@register
class Narrow(LayerSpec):
    examples = (
        Example({"dim": 1, "start": 0, "length": 1}, [(2,)]),
        Example({"dim": 1, "start": 2, "length": 3}, [SEQ]),
        Example({"dim": -1, "start": 1, "length": 2}, [IMG]),
    )
    category = "Structure"
    doc = (
        "Keeps `length` entries of one dim from `start` on (torch.narrow; dims counted with the batch dim). Picks "
        "one column of a table: from (N, 2) user and item ids, start 0 / length 1 gives the users', (N, 1), for an "
        "Embedding; also crops a sequence or a feature map."
    )
    params = {
        "dim": Int(1, "the dim to cut (1 = first after the batch; negative counts from the end)"),
        "start": Int(0, "first entry kept", min=0),
        "length": Int(1, "how many entries are kept", min=1),
    }
    accepts_int = True

    def infer(self, p, ins):
        shape = ins[0].shape
        d = _dim(p.dim, shape, "the dim to cut")
        if p.start + p.length > shape[d]:
            raise ShapeError(
                f"start={p.start} and length={p.length} reach entry {p.start + p.length - 1} but dim {p.dim} of "
                f"{fmt_shape(shape)} has {shape[d]} entries. Expected start + length <= {shape[d]}.", "length",
            )  # fmt: skip
        return TensorType((*shape[:d], p.length, *shape[d + 1 :]), ins[0].dtype)

    def forward_code(self, p, attr, args, ins):
        return f"{args[0]}.narrow({p.dim}, {p.start}, {p.length})"


@register
class Sum(LayerSpec):
    examples = (
        Example({"dim": -1}, [(1, 8)]),
        Example({"dim": 1, "keepdim": True}, [SEQ]),
        Example({"dim": 2}, [IMG]),
    )
    category = "Structure"
    doc = (
        "Sums over one dim (torch.sum; dims counted with the batch dim), dropping it unless keepdim. After a "
        "Multiply of two embeddings it completes their dot product — a recommender's predicted rating."
    )
    params = {
        "dim": Int(-1, "the dim summed over (negative counts from the end; not 0, the batch)"),
        "keepdim": Bool(False, "keep the summed dim with size 1"),
    }

    def infer(self, p, ins):
        shape = ins[0].shape
        d = _dim(p.dim, shape, "the dim to sum over")
        if not p.keepdim and len(shape) == 1:
            raise ShapeError(
                f"summing dim {p.dim} of {fmt_shape(shape)} would leave only the batch dim. Set keepdim to keep "
                "(N, 1), or sum another dim.", "keepdim",
            )  # fmt: skip
        return TensorType((*shape[:d], 1, *shape[d + 1 :]) if p.keepdim else (*shape[:d], *shape[d + 1 :]))

    def forward_code(self, p, attr, args, ins):
        return f"{args[0]}.sum({p.dim}{', keepdim=True' if p.keepdim else ''})"


@register
class Mean(Sum):
    examples = (
        Example({"dim": -1}, [(1, 8)]),
        Example({"dim": 1, "keepdim": True}, [SEQ]),
        Example({"dim": -1}, [IMG]),
    )
    doc = (
        "Averages over one dim (torch.mean; dims counted with the batch dim), dropping it unless keepdim. Over "
        "the time steps of (N, T, E) it pools a sequence into one vector per sample; imported models use it for "
        "`x.mean(1)`."
    )
    params = {
        "dim": Int(-1, "the dim averaged over (negative counts from the end; not 0, the batch)"),
        "keepdim": Bool(False, "keep the averaged dim with size 1"),
    }

    def forward_code(self, p, attr, args, ins):
        return f"{args[0]}.mean({p.dim}{', keepdim=True' if p.keepdim else ''})"


@register
class Select(LayerSpec):
    examples = (
        Example({"dim": 1, "index": -1}, [SEQ]),
        Example({"dim": 1, "index": 0}, [IMG]),
        Example({"dim": -1, "index": 2}, [(4, 5)]),
    )
    category = "Structure"
    doc = (
        "Takes one entry of a dim and drops that dim (torch.select, `x[:, -1]`; dims counted with the batch dim; "
        "a negative index counts from the end). Picks the last time step of an RNN's (N, T, H) outputs: (N, H)."
    )
    params = {
        "dim": Int(1, "the dim to index (1 = first after the batch; negative counts from the end)"),
        "index": Int(-1, "the entry kept (negative counts from the end: -1 is the last)"),
    }
    accepts_int = True

    def infer(self, p, ins):
        shape = ins[0].shape
        d = _dim(p.dim, shape, "the dim to index")
        if not -shape[d] <= p.index < shape[d]:
            raise ShapeError(
                f"index={p.index} is out of range for dim {p.dim} of {fmt_shape(shape)}, which has {shape[d]} "
                f"entries. Expected {-shape[d]} to {shape[d] - 1}.", "index",
            )  # fmt: skip
        if len(shape) == 1:
            raise ShapeError(
                f"selecting from dim {p.dim} of {fmt_shape(shape)} would leave only the batch dim. Use a Narrow "
                "with length 1 to keep (N, 1).", "dim",
            )  # fmt: skip
        return TensorType((*shape[:d], *shape[d + 1 :]), ins[0].dtype)

    def forward_code(self, p, attr, args, ins):
        return f"{args[0]}.select({p.dim}, {p.index})"
