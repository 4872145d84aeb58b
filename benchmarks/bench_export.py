"""Export benchmark: LeNet export + verification in a fresh process (target <= 3 s), against a hand-written
torch.onnx.export + onnxruntime check of the same network, interleaved; then every template's export time and
parity (max abs diff between onnxruntime and torch at a batch size other than the traced one).

Run: python benchmarks/bench_export.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HAND = """
import torch, onnx, onnxruntime as ort, numpy as np
from torch import nn
m = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5), nn.Tanh(),
                  nn.AvgPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(),
                  nn.Linear(84, 10)).eval()
torch.onnx.export(m, (torch.randn(2, 1, 28, 28),), "{path}", input_names=["x"], output_names=["logits"],
                  dynamic_axes={{"x": {{0: "batch"}}, "logits": {{0: "batch"}}}}, opset_version=17, dynamo=False)
onnx.checker.check_model("{path}", full_check=True)
x = torch.randn(3, 1, 28, 28)
got = ort.InferenceSession("{path}", providers=["CPUExecutionProvider"]).run(None, {{"x": x.numpy()}})[0]
with torch.no_grad():
    assert np.abs(got - m(x).numpy()).max() < 1e-5
"""


def fresh_process(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - t


def bench_fresh(rounds: int, tmp: Path) -> None:
    ours = [sys.executable, "-m", "builder", "export", "assets/templates/lenet5.json", "--onnx", str(tmp / "a.onnx")]
    hand = [sys.executable, "-c", HAND.format(path=tmp / "b.onnx")]
    a, b = [], []
    for r in range(rounds):
        if r % 2:
            b.append(fresh_process(hand)), a.append(fresh_process(ours))
        else:
            a.append(fresh_process(ours)), b.append(fresh_process(hand))
    ma, mb = statistics.median(a), statistics.median(b)
    print(f"LeNet-5 export + verification, fresh process (median of {rounds})")
    print(f"  python -m builder export --onnx : {ma:.2f} s  (target <= 3 s)")
    print(f"  hand-written export + check     : {mb:.2f} s")
    print(f"  ratio                           : {ma / mb:.2f}")


def bench_templates(tmp: Path, quick: bool) -> None:
    from builder import export_onnx, export_python
    from builder.templates import list_templates

    print("\nEvery template (in one process): export time, exporter, parity at batch 3")
    print(f"{'template':28s} {'python s':>8s} {'onnx s':>8s} {'exporter':>8s} {'max abs diff':>13s}")
    worst = (0.0, "")
    skip = {"vgg11", "vgg16", "alexnet"} if quick else set()
    for label, d in (pair for t in list_templates() if t.name not in skip for pair in t.designs()):
        file = label.replace("/", "_")
        s = time.perf_counter()
        export_python(d, tmp / f"{file}.py")
        py = time.perf_counter() - s
        r = export_onnx(d, tmp / f"{file}.onnx")
        worst = max(worst, (r.max_abs_diff, label))
        print(f"{label:28s} {py:8.3f} {r.seconds:8.2f} {r.exporter:>8s} {r.max_abs_diff:13.2e}")
    print(f"largest parity diff: {worst[0]:.2e} ({worst[1]})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, skip the three largest templates")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench_fresh(3 if args.quick else 7, Path(tmp))
        bench_templates(Path(tmp), args.quick)


if __name__ == "__main__":
    main()
