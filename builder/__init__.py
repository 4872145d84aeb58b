"""LayerLoom's library: design model, layer registry, validation, code generation, model building.

Public API::

    from builder import load_design, save_design, validate, build_model, export_python, export_onnx
    design = load_design("assets/templates/lenet5.json")
    report = validate(design)          # shapes, params, MACs and every issue
    model = build_model(design, seed=0)
    export_onnx(design, "lenet5.onnx") # verified with onnx.checker and onnxruntime
    design = from_torch(my_module, torch.randn(1, 3, 224, 224))  # a PyTorch model as a design, with its weights

It never imports streamlit.
"""

from .codegen import VERSION as __version__
from .codegen import generate
from .design import Design, DesignFormatError, Edge, Node, load_design, save_design
from .registry import REGISTRY, LayerSpec, TensorType
from .validate import DesignError, Issue, Validation, validate


def __getattr__(name):
    """These import torch (and onnx), so they load on first use: `import builder` stays fast."""
    import importlib

    home = {"build_model": "plan", "plan": "plan", "node_at": "compile", "export_python": "export", "export_onnx": "export",
            "ExportError": "export", "devices": "train", "Run": "train", "TrainError": "train",
            "from_torch": "importer", "from_onnx": "importer", "load_pretrained": "importer", "ImportProblem": "importer"}  # fmt: skip
    if name in home:  # (builder.train is the training package; its train() function is builder.train.train)
        return getattr(importlib.import_module(f"{__name__}.{home[name]}"), name)
    raise AttributeError(f"module 'builder' has no attribute {name!r}")


__all__ = [
    "REGISTRY",
    "Run",
    "TrainError",
    "devices",
    "ExportError",
    "export_onnx",
    "export_python", "from_onnx", "from_torch", "ImportProblem", "load_pretrained", "Design", "DesignError", "DesignFormatError", "Edge", "Issue", "LayerSpec", "Node",
    "TensorType", "Validation", "__version__", "build_model", "generate", "load_design", "node_at",
    "save_design", "validate",
]  # fmt: skip
