"""Core library benchmark: validation latency, and train-step time of built models vs hand-written PyTorch.

Run: python benchmarks/bench_core.py [--quick]
Everything runs in one process; built and hand-written steps are interleaved round by round, and the ratio
is the median of per-round ratios, so machine noise hits both sides alike. Targets (issue 2): validation of a
100-node design <= 1 ms median, 1000 nodes <= 10 ms; train step ratio <= 1.03.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.designs import residual_stack  # noqa: E402
from builder import build_model, validate  # noqa: E402
from builder.templates import load_template  # noqa: E402

VALIDATE_CACHES = [sys.modules["builder.validate"]._PARAM_CACHE, sys.modules["builder.validate"]._INFER_CACHE]


def distinct(design):
    """Same graph, but every conv a different width, so no two nodes share params (no memo hits)."""
    d = design.copy()
    for i, n in enumerate(d.nodes):
        if n.type == "Conv2d":
            n.params["out_channels"] = 16  # keep Add shapes valid; vary something shape-neutral instead
            n.params["dilation"] = 1 + i % 2
            n.params["padding"] = n.params["dilation"]
            n.params["kernel_size"] = 3
            n.params["stride"] = 1
            n.params["padding_mode"] = ["zeros", "reflect", "replicate", "circular"][i % 4]
            n.params["bias"] = bool(i % 3)
            n.params["groups"] = [1, 2, 4, 8, 16][i % 5]
    return d


def time_validate(design, repeats, cold):
    times = []
    for _ in range(repeats):
        if cold:
            for c in VALIDATE_CACHES:
                c.clear()
        t = time.perf_counter()
        report = validate(design)
        times.append(time.perf_counter() - t)
    assert report.valid, report.issues[:3]
    return statistics.median(times) * 1000


def bench_validation(quick):
    print("Validation latency (median, ms)")
    print(f"{'design':34s} {'nodes':>6s} {'warm':>8s} {'cold':>8s} {'target':>7s}")
    for n, target in ((100, 1.0), (1000, 10.0)):
        for label, design in (
            ("residual stack", residual_stack(n)),
            ("residual stack, distinct params", distinct(residual_stack(n))),
        ):
            reps = (50 if n == 1000 else 300) // (5 if quick else 1)
            warm = time_validate(design, reps, cold=False)
            cold = time_validate(design, max(reps // 5, 5), cold=True)
            print(f"{label:34s} {len(design.nodes):6d} {warm:8.3f} {cold:8.3f} {target:7.1f}")
    for name in ("resnet18", "densenet121"):
        d = load_template(name)
        print(f"{'template ' + name:34s} {len(d.nodes):6d} {time_validate(d, 30, False):8.3f} "
              f"{time_validate(d, 10, True):8.3f} {'':>7s}")  # fmt: skip


# -- hand-written baselines -------------------------------------------------------------------------------
class HandMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 64),
                                 nn.ReLU(), nn.Linear(64, 10))  # fmt: skip

    def forward(self, x):
        return self.net(x)


class HandLeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5),
                                      nn.Tanh(), nn.AvgPool2d(2))  # fmt: skip
        self.classifier = nn.Sequential(
            nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10)
        )

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


class HandLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(1, 32, batch_first=True)
        self.fc = nn.Linear(32, 2)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.fc(out[:, -1])


def make_step(model, x, y):
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    return step


def time_steps(step, n):
    t = time.perf_counter()
    for _ in range(n):
        step()
    return (time.perf_counter() - t) / n


def bench_train_step(quick):
    print("\nTrain step: built model / hand-written (interleaved, median of rounds)")
    print(f"{'model':10s} {'batch':>5s} {'built ms':>9s} {'hand ms':>9s} {'ratio':>7s}")
    cases = [("MLP", "digits_mlp", HandMLP, (64, 1, 8, 8), 10, 200),
             ("LeNet-5", "lenet5", HandLeNet, (64, 1, 28, 28), 10, 30),
             ("LSTM", "lstm_classifier", HandLSTM, (64, 30, 1), 2, 30)]  # fmt: skip
    rounds = 5 if quick else 15
    for label, template, hand_cls, shape, classes, n in cases:
        torch.manual_seed(0)
        x, y = torch.randn(shape), torch.randint(0, classes, (shape[0],))
        built, hand = build_model(load_template(template), seed=0).train(), hand_cls().train()
        assert sum(p.numel() for p in built.parameters()) == sum(p.numel() for p in hand.parameters())
        sb, sh = make_step(built, x, y), make_step(hand, x, y)
        for _ in range(5):  # warm-up
            sb(), sh()
        ratios, tb, th = [], [], []
        for r in range(rounds):
            first, second = (sb, sh) if r % 2 == 0 else (sh, sb)
            a, b = time_steps(first, n), time_steps(second, n)
            b_time, h_time = (a, b) if r % 2 == 0 else (b, a)
            tb.append(b_time), th.append(h_time), ratios.append(b_time / h_time)
        print(f"{label:10s} {shape[0]:5d} {statistics.median(tb) * 1e3:9.3f} {statistics.median(th) * 1e3:9.3f} "
              f"{statistics.median(ratios):7.3f}")  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads\n")
    bench_validation(args.quick)
    bench_train_step(args.quick)


if __name__ == "__main__":
    main()
