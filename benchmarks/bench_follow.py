"""Follow-one-sample benchmark: builder.probes.follow against a hand-written baseline, interleaved in one process.

Run: python benchmarks/bench_follow.py [--json]
The baseline is what a person would write to see every layer's output for one sample: a forward hook on every
leaf module, one eval forward of the batch of one, each output copied to numpy (it misses inline nodes — adds,
concatenations — which follow() also keeps). follow() reads every node's variable from the generated forward
(a profile hook), unrolls a block design into a flat model with the same weights, and computes the details
(w·x + b, attention, gates). Rounds alternate the two; the median of each and the ratio baseline / follow
(1.0: following costs no more than hooking) are reported. The view is interactive, so the figure that matters
is follow()'s own time for the biggest templates (≤ 1 s on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from builder.plan import plan  # noqa: E402
from builder.probes.follow import follow, random_sample  # noqa: E402
from builder.templates import load_template  # noqa: E402

ROUNDS = 5
DESIGNS = ("lenet5", "transformer_classifier", "resnet18", "mobilenet_v2", "densenet121")


def baseline(model, x):
    seen, handles = {}, []
    for name, m in model.named_modules():
        if not list(m.children()):
            handles.append(m.register_forward_hook(lambda m, a, out, name=name: seen.__setitem__(name, out)))
    try:
        with torch.no_grad():
            model.eval()(x)
    finally:
        for h in handles:
            h.remove()
    return {k: v.detach().numpy()[0] for k, v in seen.items() if isinstance(v, torch.Tensor)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = []
    for name in DESIGNS:
        p = plan(load_template(name))
        model = p.new_model(0)
        sample = random_sample(p, seed=0)
        x = torch.as_tensor(sample)[None]
        if not torch.is_floating_point(x):
            x = x.long()
        follow(p, model, sample)  # warm up both (first-time generation of the flat model is counted below)
        baseline(model, x)
        ours, base = [], []
        for _ in range(ROUNDS):
            t = time.perf_counter()
            trace = follow(p, model, sample)
            ours.append(time.perf_counter() - t)
            t = time.perf_counter()
            baseline(model, x)
            base.append(time.perf_counter() - t)
        o, b = statistics.median(ours), statistics.median(base)
        rows.append({"design": name, "nodes": len(trace.steps), "numbers": trace.numbers, "follow_s": o,
                     "baseline_s": b, "ratio": b / o})  # fmt: skip
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        for r in rows:
            print(f"{r['design']:24s} {r['nodes']:4d} nodes {r['numbers']:>12,} numbers  follow {r['follow_s']:.3f} s  "
                  f"hooks {r['baseline_s']:.3f} s  ratio {r['ratio']:.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
