"""Memory budgets, from the shape pass, checked before anything is built or trained.

Validation already knows every node's output shape and parameter count, so the bytes a model needs are known
before a single tensor exists. Two limits apply:

* design limits (in :func:`builder.validate`, machine-independent): at most ``MAX_PARAMS`` parameters in all
  and at most ``MAX_SAMPLE_BYTES`` of activations per sample — beyond these no ordinary machine builds it;
* machine limits (here, before :func:`builder.build_model` and before a run starts): the estimate below must
  fit the memory available now on the chosen device.

The estimate (float32): building = weights; training = weights × (2 + optimizer states: 2 for Adam/AdamW, 1 for
momentum SGD, AdaGrad and RMSProp) + every activation × batch × 2 (kept for the backward pass, plus its
gradient); evaluating = weights + the two largest activations × evaluation batch. It is a lower bound (the
allocator and temporaries add more), so the check errs on the side of letting a run start.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

MAX_PARAMS = 2**31 - 1  # 8 GiB of float32 weights
MAX_SAMPLE_BYTES = 2**30  # 1 GiB of activations for one sample
OPTIMIZER_STATES = {"adam": 2, "adamw": 2, "sgd": 1, "adagrad": 1, "rmsprop": 1}


class MemoryBudgetError(MemoryError):
    """A model or run that would need more memory than is available; the message says how much and why."""


def gb(n: float) -> str:
    """Bytes as a person reads them: 1.3 GB, 44.6 MB, 18.4 kB, 40 B."""
    for unit, size in (("GB", 2**30), ("MB", 2**20), ("kB", 2**10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n:.0f} B"


@dataclass(frozen=True)
class Estimate:
    weights: int  # bytes of parameters
    activations: int  # bytes of all activations of one sample
    biggest: str | None  # the node with the largest activation
    biggest_bytes: int

    def training(self, batch: int, optimizer: str = "adam") -> int:
        return self.weights * (2 + OPTIMIZER_STATES.get(optimizer, 2)) + self.activations * batch * 2


def estimate(report) -> Estimate:
    """Bytes of a validated design (a :class:`builder.Validation`), from its shape pass."""
    per_node = report.activations
    biggest = max(per_node, key=per_node.get, default=None)
    return Estimate(report.params * 4, report.activation_bytes, biggest, per_node.get(biggest, 0))


def available(device: str = "cpu") -> int:
    """Bytes that can be allocated now: free GPU memory for cuda devices, else the OS's MemAvailable (which
    counts reclaimable cache), capped by a cgroup memory limit when one is set."""
    if str(device).startswith("cuda"):
        import torch

        free, _ = torch.cuda.mem_get_info(torch.device(device))
        return int(free)
    free = None
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    free = int(line.split()[1]) * 1024
    except OSError:
        pass
    if free is None:
        try:
            free = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            return 2**62  # unknown: do not refuse
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"),
    ):  # fmt: skip  (cgroup v2, v1)
        try:
            limit, used = Path(limit_file).read_text().strip(), Path(usage_file).read_text().strip()
            if limit.isdigit() and int(limit) < 2**60:
                free = min(free, int(limit) - int(used))
        except (OSError, ValueError):
            continue
    return free


def _biggest(report, e: Estimate) -> str:
    if e.biggest is None:
        return ""
    from .registry import fmt_shape

    info = report.nodes[e.biggest]
    return f" The largest activation is {info.type} {e.biggest!r}: {fmt_shape(info.shape)}, {gb(e.biggest_bytes)} per sample."


def check_build(report, device: str = "cpu", free: int | None = None) -> None:
    """Refuse to build a model whose weights do not fit the memory available now."""
    e = estimate(report)
    free = available(device) if free is None else free
    if e.weights > free:
        raise MemoryBudgetError(f"the model's {report.params:,} parameters need {gb(e.weights)}, but only "
                                f"{gb(free)} is available on {device}. Make the largest layers smaller.")  # fmt: skip


def check_training(report, batch: int, optimizer: str, device: str = "cpu", free: int | None = None) -> None:
    """Refuse a run whose estimated memory (see the module doc) exceeds what is available on the device."""
    e = estimate(report)
    need = e.training(batch, optimizer)
    free = available(device) if free is None else free
    if need > free:
        fit = max(0, (free - e.training(0, optimizer)) // max(1, 2 * e.activations))
        hint = f"Lower the batch size to {fit} or less, or" if fit >= 1 else "Even one sample does not fit:"
        raise MemoryBudgetError(
            f"training this design at batch size {batch} needs about {gb(need)} (weights, gradients and optimizer "
            f"state {gb(e.training(0, optimizer))}; activations {gb(e.activations)} per sample, kept for the "
            f"backward pass), but only {gb(free)} is available on {device}.{_biggest(report, e)} {hint} make "
            "that layer's output smaller."
        )


def eval_batch(report, free: int, limit: int = 1024) -> int:
    """The largest evaluation batch (at most ``limit``) whose two largest activations fit in a quarter of
    ``free``: evaluation keeps only a few activations alive at once."""
    sizes = sorted(report.activations.values(), reverse=True)[:2]
    per_sample = max(1, sum(sizes))
    return int(max(1, min(limit, free // 4 // per_sample)))
