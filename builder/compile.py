"""Execute generated source into an nn.Module class: the only place source is executed (a plan builds models
from the class, :func:`builder.plan.build_model`).

The source is registered in ``linecache`` under a name that identifies it, so a traceback from a model's
forward shows the generated line of the node that failed (and :func:`node_at` maps it back to the node id).
"""

from __future__ import annotations

import functools
import hashlib
import linecache
import sys
import traceback

from torch import nn

from .codegen import Generated


@functools.lru_cache(maxsize=256)
def _compile(source: str, filename: str):
    return compile(source, filename, "exec")


def load_source(generated: Generated) -> type[nn.Module]:
    """Execute generated source; return the model class (with ``.layerloom`` = the Generated record)."""
    digest = hashlib.sha1(generated.source.encode()).hexdigest()[:12]
    filename = f"<layerloom {generated.class_name} {digest}>"
    linecache.cache[filename] = (len(generated.source), None, generated.source.splitlines(True), filename)
    namespace = {"__name__": f"layerloom_generated_{digest}"}
    exec(_compile(generated.source, filename), namespace)  # our own generated text, never design text
    cls = namespace[generated.class_name]
    cls.layerloom = generated
    return cls


def node_at(model_or_cls, tb=None) -> str | None:
    """The design node whose generated line a traceback (default: the current exception's) points to."""
    generated = getattr(model_or_cls, "layerloom", None)
    tb = tb if tb is not None else sys.exc_info()[2]
    if generated is None or tb is None:
        return None
    for frame in reversed(traceback.extract_tb(tb)):
        if frame.filename.startswith("<layerloom ") and frame.lineno in generated.line_nodes:
            return generated.line_nodes[frame.lineno]
    return None
