"""Python export: the model's own generated source, plus its weights as a plain state_dict beside it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..design import Design, atomic_write
from ..plan import Plan, plan
from .weights import load_weights, single_network


@dataclass(frozen=True)
class PythonExport:
    path: Path
    weights_path: Path | None
    class_name: str
    params: int


def export_python(design: Design | Plan | str | os.PathLike | dict, path, weights=None) -> PythonExport:
    """Write ``path`` (model.py) and, with ``weights``, ``path`` with suffix .pt (model.pt) beside it.

    The file is exactly the source ``build_model`` executes; its ``__main__`` block loads the .pt file next to
    it when there is one. Needs only torch to run.
    """
    import torch

    p = single_network(plan(design))
    generated = p.generated  # raises DesignError with every issue when invalid
    path = Path(path)
    weights_path = None
    if weights is not None:
        state = load_weights(weights, p)
        weights_path = atomic_write(path.with_suffix(".pt"), lambda tmp: torch.save(state, tmp))
    atomic_write(path, generated.source)
    return PythonExport(path, weights_path, generated.class_name, p.report.params)
