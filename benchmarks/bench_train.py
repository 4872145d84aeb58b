"""Training benchmark: engine throughput against a plain hand-written PyTorch loop on the same model and data
(interleaved, in one process), and time-to-accuracy on the digits.

Engine time is measured from its "started" event to its last "epoch" event, so it includes everything the
engine does per epoch (validation, checkpoints, TensorBoard scalars and histograms, run-log events) but not
the one-time setup (dataset load, TensorBoard import). The plain loop does training steps only.
Targets (issue 4): ratio >= 0.9; digits MLP >= 50k samples/s and 97% test accuracy in <= 1 s; small digits CNN
97% in <= 2 s.

Run: python benchmarks/bench_train.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from builder import build_model  # noqa: E402
from builder.data import load_dataset  # noqa: E402
from builder.templates import load_template  # noqa: E402
from builder.train import RunLog, train  # noqa: E402


def plain_loop(design, dataset, epochs, batch, lr, seed=0) -> float:
    """What a person writes by hand: tensors in memory, randperm, slice, Adam, cross-entropy."""
    d = load_dataset(dataset, seed=seed)
    x, y = torch.from_numpy(d.x_train), torch.from_numpy(d.y_train)
    torch.manual_seed(seed)
    model = build_model(design, seed=seed).train()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    t = time.perf_counter()
    for _ in range(epochs):
        perm = torch.randperm(len(x))
        for i in range(0, len(x), batch):
            idx = perm[i : i + batch]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return time.perf_counter() - t


def engine_run(design, dataset, epochs, batch, lr, workspace, **extra):
    """(seconds from start to the last epoch, result, training samples/s): the rate is each epoch's samples over
    its training steps' time (from the last step event of each epoch), the median over epochs."""
    r = train(
        design, {"dataset": dataset, "epochs": epochs, "batch_size": batch, "lr": lr, **extra}, workspace=workspace
    )
    events = RunLog.read(r.run_dir / "events.jsonl")
    start = next(e.time for e in events if e.kind == "started")
    end = [e.time for e in events if e.kind == "epoch"][-1]
    last_steps = {}
    for e in events:
        if e.kind == "step":
            last_steps[e.data["epoch"]] = e.data["samples_per_s"]
    return end - start, r, statistics.median(last_steps.values())


def bench_ratio(rounds, workspace):
    print("Engine vs plain loop (same model, data, batch, optimizer; interleaved; median of rounds)")
    print("  step ratio: training samples/s of the engine's steps / the plain loop's (target >= 0.9)")
    print("  run ratio:  plain time / engine time from start to last epoch, which also validates, checkpoints")
    print("              and logs every epoch (informational: tiny epochs make per-epoch work loom large)")
    print(f"{'model':18s} {'dataset':12s} {'epochs':>6s} {'engine/s':>9s} {'plain/s':>9s} {'step':>6s} {'run':>6s}")
    for name, dataset, epochs, batch in [("digits_mlp", "digits", 10, 64), ("lenet5", "digits28", 4, 64),
                                         ("lstm_classifier", "seq_classes", 5, 64)]:  # fmt: skip
        design = load_template(name)
        engine_run(design, dataset, 1, batch, 1e-3, workspace)  # warm-up
        n = len(load_dataset(dataset).x_train) * epochs
        e_times, e_rates, p_times = [], [], []
        for r in range(rounds):
            for which in [0, 1] if r % 2 == 0 else [1, 0]:
                if which == 0:
                    seconds, _, rate = engine_run(design, dataset, epochs, batch, 1e-3, workspace)
                    e_times.append(seconds), e_rates.append(rate)
                else:
                    p_times.append(plain_loop(design, dataset, epochs, batch, 1e-3))
        e, p, rate = statistics.median(e_times), statistics.median(p_times), statistics.median(e_rates)
        plain_rate = n / p
        print(
            f"{name:18s} {dataset:12s} {epochs:6d} {rate:9,.0f} {plain_rate:9,.0f} {rate / plain_rate:6.2f} {p / e:6.2f}"
        )


def bench_accuracy(workspace):
    print("\nTime to accuracy (engine time; test accuracy of the best checkpoint)")
    cases = [("digits_mlp", {"epochs": 10, "lr": 3e-3}, 1.0), ("digits_cnn", {"epochs": 12, "lr": 3e-3}, 2.0)]
    for name, cfg, target in cases:
        seconds, r, rate = engine_run(load_template(name), "digits", cfg["epochs"], 64, cfg["lr"], workspace)
        acc = r.metrics["test"]["accuracy"]
        print(f"{name:12s} {cfg['epochs']:3d} epochs: {seconds:5.2f} s, test accuracy {acc:.4f}, "
              f"{rate:,.0f} samples/s  (target: 97% in <= {target:.0f} s)")  # fmt: skip


def bench_probes(rounds, workspace):
    """Two views of the cost: runs with and without snapshots (interleaved; ~1 s runs, so a few % of noise), and
    the snapshots' own time (every call into the loop's probe and probes.pt writes, timed) over the run's."""
    from builder.train import engine, loop

    spent = [0.0]

    def timed(fn):
        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - t

        return wrapper

    print("\nProbe overhead at the default interval (snapshot every 50 steps), engine time, interleaved")
    print("  (with/without: whole runs; direct: the snapshots' own time over the run's)")
    for name, dataset, epochs in [("lenet5", "digits28", 10), ("lstm_classifier", "seq_classes", 20),
                                  ("self_attention", "seq_classes", 10)]:  # fmt: skip
        design = load_template(name)
        on, off, direct = [], [], []
        for r in range(rounds):
            for probe in (50, 0) if r % 2 == 0 else (0, 50):
                spent[0] = 0.0
                patched = (loop.Supervised.probe, engine.Trainer.flush_snapshot)
                loop.Supervised.probe, engine.Trainer.flush_snapshot = map(timed, patched)
                try:
                    seconds = engine_run(design, dataset, epochs, 64, 1e-3, workspace, probe_every=probe)[0]
                finally:
                    loop.Supervised.probe, engine.Trainer.flush_snapshot = patched
                (on if probe else off).append(seconds)
                if probe:
                    direct.append(spent[0] / seconds)
        a, b = statistics.median(on), statistics.median(off)
        print(f"  {name:18s} with probes {a:6.3f} s, without {b:6.3f} s: {100 * (a / b - 1):+.1f}%; direct "
              f"{100 * statistics.median(direct):.1f}%  (<= 3%)")  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads\n")
    with tempfile.TemporaryDirectory() as ws:
        bench_ratio(2 if args.quick else 5, ws)
        bench_accuracy(ws)
        bench_probes(2 if args.quick else 7, ws)


if __name__ == "__main__":
    main()
