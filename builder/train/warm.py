"""Warm-up: the work only a process's first training does, done once ahead of time.

The first run in a process pays for imports the later ones do not: torch's optimizers import ``torch._dynamo``
lazily (~1 s here), TensorBoard's writer and the probes load their modules, the bundled dataset is read. On an
idle server that made the first LeNet-5 run take ~2.9 s from Start to its first epoch against ~0.25 s for the
next. :func:`warm_up` trains a throwaway LeNet-5 for one epoch in a temporary folder, which goes through the
same code, and reads the datasets the templates train on; the app calls it once per server, in the background.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time

_lock = threading.Lock()
_started = False
DATASETS = ("digits28", "digits")  # what the CNN templates and the first-visit designs train on


def warm_up() -> float:
    """One throwaway epoch and the common datasets, in this thread; returns the seconds it took."""
    from ..data import load_dataset
    from ..templates import load_template
    from .engine import train

    t0 = time.perf_counter()
    folder = tempfile.mkdtemp(prefix="layerloom-warm-")
    try:
        # a small CNN, so convolution and pooling kernels are set up too (oneDNN prepares them on first use)
        train(load_template("lenet5"), {"epochs": 1, "dataset": "digits28", "batch_size": 256}, workspace=folder)
        for name in DATASETS:
            load_dataset(name)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return time.perf_counter() - t0


def warm_up_once_in_background() -> bool:
    """Start :func:`warm_up` in a daemon thread the first time this is called in the process; False after."""
    global _started
    with _lock:
        if _started:
            return False
        _started = True
    threading.Thread(target=_quietly, name="layerloom-warm-up", daemon=True).start()
    return True


def _quietly() -> None:
    try:
        warm_up()
    except Exception:  # a warm-up is an optimisation: the real run reports any real problem itself
        pass
