"""The training errors, importable by every part of the engine without importing the engine."""

from __future__ import annotations

from ..validate import Issue


class TrainError(RuntimeError):
    """A run that cannot start or that failed; ``issues`` when the design or config is at fault."""

    def __init__(self, message: str, issues: list[Issue] | None = None, node: str | None = None):
        super().__init__(message)
        self.issues, self.node = issues or [], node
        self.step: int | None = None  # the step at which the loss diverged


class Stopped(Exception):
    """Raised inside a loop when the user stops the run."""


def plain(obj):
    """Lists for tuples, recursively: the shape JSON and the run log give values back in."""
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    return obj
