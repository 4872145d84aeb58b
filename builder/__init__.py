"""LayerLoom's library: design model, layer registry, validation, code generation, model building.

Public API::

    from builder import load_design, save_design, validate, build_model
    design = load_design("assets/templates/lenet5.json")
    report = validate(design)          # shapes, params, MACs and every issue
    model = build_model(design, seed=0)

It never imports streamlit.
"""

from .codegen import VERSION as __version__
from .codegen import generate
from .design import Design, DesignFormatError, Edge, Node, load_design, save_design
from .registry import REGISTRY, LayerSpec, TensorType
from .validate import DesignError, Issue, Validation, validate


def __getattr__(name):
    """build_model and node_at import torch, so they load on first use: `import builder` stays fast."""
    if name in ("build_model", "node_at"):
        from . import compile

        return getattr(compile, name)
    raise AttributeError(f"module 'builder' has no attribute {name!r}")


__all__ = [
    "REGISTRY", "Design", "DesignError", "DesignFormatError", "Edge", "Issue", "LayerSpec", "Node",
    "TensorType", "Validation", "__version__", "build_model", "generate", "load_design", "node_at",
    "save_design", "validate",
]  # fmt: skip
