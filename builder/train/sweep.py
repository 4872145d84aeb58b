"""Sweeps: runs of one design started one after another (the learner's optimizer comparison).

A sweep checks every variant before the first starts (one plan for all of them), then trains them in order in
a background thread through the workspace, so each run lands in the design's history, ready to overlay."""

from __future__ import annotations

import threading

from ..plan import Plan, plan
from .engine import prepare

# The learner's classic: one network, the six update rules, each at its customary learning rate.
OPTIMIZER_COMPARISON: dict[str, dict] = {
    "SGD": {"optimizer": "sgd", "lr": 0.01, "momentum": 0.0, "nesterov": False},
    "Momentum": {"optimizer": "sgd", "lr": 0.01, "momentum": 0.9, "nesterov": False},
    "Nesterov": {"optimizer": "sgd", "lr": 0.01, "momentum": 0.9, "nesterov": True},
    "AdaGrad": {"optimizer": "adagrad", "lr": 0.01, "momentum": 0.0, "nesterov": False},
    "RMSProp": {"optimizer": "rmsprop", "lr": 0.001, "momentum": 0.0, "nesterov": False},
    "Adam": {"optimizer": "adam", "lr": 0.001, "momentum": 0.0, "nesterov": False},
}


class Sequence:
    """Runs started one after another in a background thread. ``stop()`` stops the current run and cancels the
    rest; ``runs`` lists the Run objects started so far; ``error`` is why a run could not start (if one could
    not: the sequence then ends)."""

    def __init__(self, workspace, design, settings: list[dict], design_id: str | None):
        self.plan: Plan = plan(design)
        for variant in settings:  # every variant is checked before the first starts
            prepare(self.plan, variant)
        self.workspace, self.settings, self.design_id = workspace, settings, design_id
        self.runs: list = []
        self.error: Exception | None = None
        self.cancelled = threading.Event()
        self._thread = threading.Thread(target=self._work, name="layerloom-sequence", daemon=True)

    @property
    def design(self):
        return self.plan.design

    def start(self) -> Sequence:
        self._thread.start()
        return self

    def _work(self) -> None:
        for variant in self.settings:
            if self.cancelled.is_set():
                return
            try:
                run = self.workspace.start(self.plan, variant, self.design_id)
            except Exception as e:  # (a full disk, say): said on the page, not swallowed by the thread
                self.error = e
                return
            self.runs.append(run)
            run.join()

    def stop(self) -> None:
        self.cancelled.set()
        if self.runs:
            self.runs[-1].stop()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)


def compare_optimizers(workspace, design, settings: dict, design_id: str | None = None) -> Sequence:
    """Train ``design`` with SGD, Momentum, Nesterov, AdaGrad, RMSProp and Adam, one after another, with
    ``settings`` otherwise unchanged; the runs land in the design's history, ready to overlay."""
    variants = [{**settings, **v} for v in OPTIMIZER_COMPARISON.values()]
    return Sequence(workspace, design, variants, design_id).start()
