"""Every export of one design into one folder: model.py (+ model.pt), a verified model.onnx and train.py.

What the app's Export page offers for download. Each file is tried on its own: one that cannot be written
(an ONNX-incompatible layer, a GAN's train.py) is reported with its reason and the others are still written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..design import Design
from ..plan import Plan, plan
from ..validate import DesignError
from .onnx import OnnxExport, export_onnx
from .python import export_python
from .train_script import export_train_script
from .weights import ExportError


@dataclass
class Bundle:
    folder: Path
    files: dict[str, Path] = field(default_factory=dict)  # file name -> path: model.py, model.pt, model.onnx,
    # train.py and data.npz
    onnx: OnnxExport | None = None
    problems: dict[str, str] = field(default_factory=dict)  # file name -> why it was not written


def network_weights(checkpoint: str | os.PathLike, network: str | None) -> dict | str | os.PathLike:
    """A GAN checkpoint holds both networks' weights: the state_dict of ``network``; else the file as is."""
    if network is None:
        return checkpoint
    state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    model = state.get("model", state)
    if network not in model:
        raise ExportError(f"the checkpoint {str(checkpoint)!r} has no weights for network {network!r}")
    return model[network]


def export_bundle(design: Design | Plan, folder: str | os.PathLike, weights=None, network: str | None = None,
                  onnx: bool = True) -> Bundle:  # fmt: skip
    """Write the exports of ``design`` (or of its ``network``) into ``folder``; see :class:`Bundle`. The design
    is checked once: every export takes the same plan."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = Bundle(folder)
    whole = plan(design)
    target = whole.network(network) if network else whole
    state = network_weights(weights, network) if weights is not None else None
    try:
        py = export_python(target, folder / "model.py", weights=state)
        out.files["model.py"] = py.path
        if py.weights_path is not None:
            out.files["model.pt"] = py.weights_path
    except (DesignError, ExportError) as e:
        out.problems["model.py"] = str(e)
        return out  # the other exports need a model that builds
    if onnx:
        try:
            out.onnx = export_onnx(target, folder / "model.onnx", weights=state)
            out.files["model.onnx"] = out.onnx.path
        except (DesignError, ExportError) as e:
            out.problems["model.onnx"] = str(e)
    if network is not None:
        out.problems["train.py"] = ("train.py covers single-network designs; a GAN trains with both networks "
                                    "together: python -m builder train design.json")  # fmt: skip
        return out
    try:
        script = export_train_script(whole, folder / "train.py")
    except (DesignError, ExportError) as e:
        out.problems["train.py"] = str(e)
        return out
    out.files["train.py"] = script.path
    if script.data_path is not None:
        out.files["data.npz"] = script.data_path
    else:
        out.problems["data.npz"] = script.data_problem
    return out
