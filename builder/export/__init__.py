"""Exports: readable PyTorch source (the model's own source) and verified ONNX."""

from .onnx import OnnxExport, export_onnx, onnx_problems
from .python import PythonExport, export_python
from .train_script import export_train_script
from .weights import ExportError, load_weights

__all__ = [
    "ExportError",
    "OnnxExport",
    "PythonExport",
    "export_onnx",
    "export_python",
    "export_train_script",
    "load_weights",
    "onnx_problems",
]
