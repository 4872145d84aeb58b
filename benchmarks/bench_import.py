"""Import benchmark: from_torch / from_onnx of ResNet-50-sized models, against a hand-written baseline.

Run: python benchmarks/bench_import.py [--json]
Target (issue 15): importing a ResNet-50-sized module ≤ 2 s on 2 cores. The baseline is the least any importer
does: for PyTorch, torch.fx.symbolic_trace, one forward pass and a copy of the state_dict; for ONNX, onnx.load and
one onnxruntime run. Rounds alternate import and baseline in one process; the median of each is reported, and
the ratio baseline / import (1.0 would mean the mapping, the blocks and the checks cost nothing).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from builder.importer import from_onnx, from_torch  # noqa: E402
from tests.importer import models  # noqa: E402

ROUNDS = 3


def torch_baseline(module, x):
    gm = torch.fx.symbolic_trace(module)
    with torch.no_grad():
        gm.eval()(x)
    return {k: v.clone() for k, v in module.state_dict().items()}


def onnx_baseline(path, x):
    import onnx
    import onnxruntime as ort

    model = onnx.load(path)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(2)
    cases = [("resnet50 (torchvision-style source)", models.resnet50(), torch.randn(1, 3, 224, 224)),
             ("resnet18 (torchvision-style source)", models.ResNet(), torch.randn(1, 3, 224, 224)),
             ("transformer encoder", models.Encoder(), torch.randint(0, 100, (1, 32)))]  # fmt: skip
    rows = []
    for label, module, x in cases:
        imports, bases = [], []
        design = None
        for _ in range(ROUNDS):
            s, design = timed(lambda: from_torch(module, x))  # noqa: B023
            imports.append(s)
            bases.append(timed(lambda: torch_baseline(module, x))[0])  # noqa: B023
        rows.append(_row(f"from_torch {label}", imports, bases, design))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "resnet50.onnx"
        m = models.resnet50().eval()
        torch.onnx.export(m, (torch.randn(1, 3, 224, 224),), path, input_names=["x"], opset_version=17,
                          dynamic_axes={"x": {0: "batch"}}, dynamo=False)  # fmt: skip
        x = np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(np.float32)
        imports, bases = [], []
        for _ in range(ROUNDS):
            s, design = timed(lambda: from_onnx(path))
            imports.append(s)
            bases.append(timed(lambda: onnx_baseline(path, x))[0])
        rows.append(_row("from_onnx resnet50 (torch.onnx, opset 17)", imports, bases, design))
    if args.json:
        print(json.dumps(rows))
        return 0
    width = max(len(r["case"]) for r in rows)
    print(f"{'case':{width}s}  import s  baseline s  ratio  layers  blocks")
    for r in rows:
        print(f"{r['case']:{width}s}  {r['import_s']:8.2f}  {r['baseline_s']:10.2f}  {r['ratio']:5.2f}  "
              f"{r['layers']:6d}  {r['blocks']:6d}")  # fmt: skip
    worst = max(r["import_s"] for r in rows if "resnet50" in r["case"])
    print(f"\nResNet-50-sized import: {worst:.2f} s (target ≤ 2 s)")
    return 0


def _row(case, imports, bases, design):
    from builder.plan import plan

    imp, base = statistics.median(imports), statistics.median(bases)
    return {"case": case, "import_s": round(imp, 3), "baseline_s": round(base, 3), "ratio": round(base / imp, 2),
            "layers": len(plan(design).flat.nodes), "blocks": len(design.blocks)}  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
