"""The devices that are really there, and choosing one (with a clear error when it is not)."""

from __future__ import annotations

import os
import platform


def devices() -> list[dict]:
    """cpu, each cuda:N (name, memory) and mps, as this machine has them."""
    import torch

    out = [{"id": "cpu", "name": platform.processor() or platform.machine() or "CPU", "memory": _ram(),
            "cores": os.cpu_count()}]  # fmt: skip
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            p = torch.cuda.get_device_properties(i)
            out.append({"id": f"cuda:{i}", "name": p.name, "memory": p.total_memory,
                        "bf16": torch.cuda.is_bf16_supported()})  # fmt: skip
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        out.append({"id": "mps", "name": "Apple GPU (Metal)", "memory": None})
    return out


def device_ids() -> list[str]:
    return [d["id"] for d in devices()]


def _ram() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


class DeviceError(RuntimeError):
    pass


def resolve_device(choice: str = "auto"):
    """A torch.device for "auto" (first CUDA GPU, else MPS, else CPU), "cpu", "cuda:N" or "mps"."""
    import torch

    ids = device_ids()
    if choice == "auto":
        choice = next((d for d in ids if d.startswith("cuda")), "mps" if "mps" in ids else "cpu")
    if choice not in ids:
        raise DeviceError(f"device {choice!r} is not available on this machine; available: {', '.join(ids)}")
    return torch.device(choice)
