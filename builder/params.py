"""Parameter schemas for layer specs.

A parameter knows its default, its range or choices and a one-line help text. ``check`` turns a JSON value
into the Python value the layer uses (lists become tuples) or raises :class:`ParamError` with a message that
says what was expected and what was received. The same schema drives the canvas' forms (``describe``).
"""

from __future__ import annotations

import math
from typing import Any


class ParamError(ValueError):
    """A parameter value that does not fit its schema; the message says expected and received."""


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return (isinstance(v, (int, float)) and not isinstance(v, bool)) and math.isfinite(v)


class Param:
    """Base schema. ``torch_default`` is torch's own default when it differs from the one we offer first."""

    kind = "any"

    def __init__(self, default: Any, help: str = "", *, required: bool = False, torch_default: Any = ...):
        self.default = default
        self.help = help
        self.required = required  # torch has no default: always written out in code
        self.torch_default = default if torch_default is ... else torch_default
        self.name = ""  # set by the spec

    def check(self, value: Any) -> Any:
        raise NotImplementedError

    def describe(self) -> dict:
        """JSON-ready description for forms and docs."""
        out = {"kind": self.kind, "default": self.to_json(self.default), "help": self.help}
        for key in ("min", "max", "choices", "length"):
            val = getattr(self, key, None)
            if val is not None:
                out[key] = list(val) if isinstance(val, tuple) else val
        return out

    def to_json(self, value: Any) -> Any:
        return list(value) if isinstance(value, tuple) else value

    def _bounds(self, v: float) -> None:
        lo, hi = getattr(self, "min", None), getattr(self, "max", None)
        if lo is not None and v < lo:
            raise ParamError(f"must be >= {lo}, received {v!r}")
        if hi is not None and v > hi:
            raise ParamError(f"must be <= {hi}, received {v!r}")


class Int(Param):
    kind = "int"

    def __init__(self, default, help="", *, min=None, max=None, optional=False, **kw):
        super().__init__(default, help, **kw)
        self.min, self.max, self.optional = min, max, optional
        if optional:
            self.kind = "int?"

    def check(self, v):
        if v is None and self.optional:
            return None
        if not _is_int(v):
            want = "an integer or null" if self.optional else "an integer"
            raise ParamError(f"must be {want}, received {v!r}")
        self._bounds(v)
        return v


class Float(Param):
    kind = "float"

    def __init__(self, default, help="", *, min=None, max=None, optional=False, positive=False, **kw):
        super().__init__(default, help, **kw)
        self.min, self.max, self.optional, self.positive = min, max, optional, positive

    def check(self, v):
        if v is None and self.optional:
            return None
        if not _is_number(v):
            raise ParamError(f"must be a finite number, received {v!r}")
        if self.positive and v <= 0:
            raise ParamError(f"must be > 0, received {v!r}")
        self._bounds(v)
        return float(v)


class Bool(Param):
    kind = "bool"

    def check(self, v):
        if not isinstance(v, bool):
            raise ParamError(f"must be true or false, received {v!r}")
        return v


class Choice(Param):
    kind = "choice"

    def __init__(self, default, choices, help="", **kw):
        super().__init__(default, help, **kw)
        self.choices = tuple(choices)

    def check(self, v):
        if not any(c == v and type(c) is type(v) for c in self.choices):
            raise ParamError(f"must be one of {', '.join(map(repr, self.choices))}, received {v!r}")
        return v


class IntTuple(Param):
    """An int or a list of ``length`` ints (torch's ``_size_2_t`` and friends). An int stays an int."""

    kind = "int|tuple"

    def __init__(self, default, help="", *, length=None, min=None, max=None, optional=False, words=(),
                 none_entries=False, **kw):  # fmt: skip
        super().__init__(default, help, **kw)
        self.length, self.min, self.max, self.optional = length, min, max, optional
        self.none_entries = none_entries  # list entries may be null (torch's Optional[int], e.g. adaptive pools)
        self.words = tuple(words)  # strings allowed besides numbers, e.g. padding="same"
        if words:
            self.choices = self.words

    def check(self, v):
        if v is None and self.optional:
            return None
        if isinstance(v, str) and v in self.words:
            return v
        if _is_int(v):
            self._bounds(v)
            return v
        if isinstance(v, (list, tuple)) and all(_is_int(i) or (i is None and self.none_entries) for i in v):
            if self.length is not None and len(v) != self.length:
                raise ParamError(f"must be an integer or a list of {self.length} integers, received {list(v)!r}")
            for i in v:
                if i is not None:
                    self._bounds(i)
            return tuple(v)
        extra = "".join(f" or {w!r}" for w in self.words)
        n = f"{self.length} " if self.length else ""
        raise ParamError(f"must be an integer or a list of {n}integers{extra}, received {v!r}")


class Shape(Param):
    """A list of ints: a tensor shape without the batch dim (``allow_minus_one`` for Reshape)."""

    kind = "shape"

    def __init__(self, default, help="", *, min_len=1, max_len=4, allow_minus_one=False, min_value=1,
                 optional=False, **kw):  # fmt: skip
        super().__init__(default, help, **kw)
        self.optional = optional
        self.min_len, self.max_len, self.allow_minus_one = min_len, max_len, allow_minus_one
        self.min_value = min_value

    def check(self, v):
        if v is None and self.optional:
            return None
        if not isinstance(v, (list, tuple)) or not all(_is_int(i) for i in v):
            raise ParamError(f"must be a list of integers, received {v!r}")
        if not self.min_len <= len(v) <= self.max_len:
            raise ParamError(f"must have {self.min_len} to {self.max_len} entries, received {len(v)}: {list(v)!r}")
        for i in v:
            if i < self.min_value and not (self.allow_minus_one and i == -1):
                extra = " (or one -1)" if self.allow_minus_one else ""
                raise ParamError(f"entries must be >= {self.min_value}{extra}, received {list(v)!r}")
        if list(v).count(-1) > 1:
            raise ParamError(f"may hold at most one -1, received {list(v)!r}")
        return tuple(v)


class FloatTuple(Param):
    """A float or a list of floats (Upsample's scale_factor)."""

    kind = "float|tuple"

    def __init__(self, default, help="", *, min=None, optional=False, **kw):
        super().__init__(default, help, **kw)
        self.min, self.optional = min, optional

    def check(self, v):
        if v is None and self.optional:
            return None
        if _is_number(v):
            self._bounds(v)
            return float(v)
        if isinstance(v, (list, tuple)) and v and all(_is_number(i) for i in v):
            for i in v:
                self._bounds(i)
            return tuple(float(i) for i in v)
        raise ParamError(f"must be a number or a list of numbers, received {v!r}")
