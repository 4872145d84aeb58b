"""Hardening benchmark: what a hostile request costs now, against what the naive work it replaces costs.

Run: python benchmarks/bench_hardening.py [--quick]
Each refusal is timed interleaved with a hand-written baseline doing the work the request asks for (a normal
validation, np.load of the bomb, csv parsing of the big file, PIL decoding the huge image, a plain file write),
in one process; the figure is the median of per-round times and their ratio. Targets (issue 12): a far port is
as cheap as a normal validation (was 36 s); every upload refusal is well under 1 s and reads nothing it refuses.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
import warnings
import zipfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from builder import Design, Edge, Node, validate  # noqa: E402
from builder.data import DatasetError  # noqa: E402
from builder.data.uploads import from_csv, from_image_zip, from_npz  # noqa: E402
from builder.design import dumps, save_design  # noqa: E402
from builder.templates import load_template  # noqa: E402


def timed(fn) -> float:
    t = time.perf_counter()
    try:
        fn()
    except DatasetError:
        pass
    return time.perf_counter() - t


def far_port():
    d = Design("p", [Node("x", "Input", {"shape": [4]}), Node("l", "Linear", {"out_features": 2}),
                     Node("out", "Output")], [Edge("x", "l"), Edge("l", "out", 100_000_000)])  # fmt: skip
    normal = Design("p", d.nodes, [Edge("x", "l"), Edge("l", "out")])
    return lambda: validate(d), lambda: validate(normal)


def npz_bomb(rows: int):
    buf = io.BytesIO()
    np.savez_compressed(buf, X=np.zeros((rows, 8_000), np.float32), y=np.zeros(rows, np.int64))  # 32 kB a row
    raw = buf.getvalue()

    def baseline():  # what the old reader did: decompress everything
        with np.load(io.BytesIO(raw)) as z:
            z["X"].sum()

    return lambda: from_npz(raw), baseline, f"{len(raw) / 1024:.0f} kB → {rows * 32_000 / 1e9:.1f} GB"


def big_csv(rows: int):
    text = "a,b,c,d,e,f,g,h,i,label\n" + "".join(f"{i},{i},{i},{i},{i},{i},{i},{i},{i},{i % 3}\n" for i in range(rows))
    raw = text.encode()

    def baseline():
        import csv

        rows = csv.reader(io.StringIO(text))
        next(rows)
        [[float(c) for c in r] for r in rows]

    return lambda: from_csv(raw, "label"), baseline, f"{len(raw) / 2**20:.0f} MB"


def huge_png():
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (12_000, 12_000)).save(out, format="PNG")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for c in ("a", "b", "c"):
            z.writestr(f"{c}/big.png", out.getvalue())
    raw = buf.getvalue()

    def baseline():
        Image.MAX_IMAGE_PIXELS = None  # the baseline decodes it, as the old reader did
        Image.open(io.BytesIO(out.getvalue())).convert("L").resize((28, 28))

    return lambda: from_image_zip(raw), baseline, f"{len(raw) / 1024:.0f} kB zip of three 12000² PNGs"


def saves(folder: Path):
    design = load_template("resnet18")
    return (lambda: save_design(design, folder / "a.json")), (lambda: (folder / "b.json").write_text(dumps(design)))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    warnings.simplefilter("ignore")  # PIL's DecompressionBombWarning for the baseline's decode
    rounds = 3 if args.quick else 7
    folder = Path(tempfile.mkdtemp())
    cases = [("validate, target_port 1e8 vs a normal port", *far_port(), "")]
    cases.append(("refuse an NPZ bomb vs np.load it", *npz_bomb(10_000 if args.quick else 40_000)))
    cases.append(("refuse a CSV over 5M values vs parse it", *big_csv(300_000 if args.quick else 1_000_000)))
    cases.append(("refuse 12000² PNGs vs decode one", *huge_png()))
    cases.append(("save a design (unique temp + rename) vs write_text", *saves(folder), "ResNet-18"))
    print(f"{'case':58} {'ours':>10} {'baseline':>10} {'ratio':>7}")
    for name, ours, base, note in cases:
        a, b = [], []
        for _ in range(rounds):
            a.append(timed(ours))
            b.append(timed(base))
        ma, mb = statistics.median(a), statistics.median(b)
        print(f"{name:58} {ma * 1e3:8.2f}ms {mb * 1e3:8.2f}ms {ma / mb:7.3f}  {note}")


if __name__ == "__main__":
    main()
