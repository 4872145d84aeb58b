"""Does a design fit a dataset (and a task)? Every mismatch as an Issue that says how to fix it.

The rules live with each task in :mod:`builder.tasks`; this is the dataset-side name for them."""

from __future__ import annotations

from ..validate import Issue
from .registry import DatasetSpec


def check_compatibility(design, spec: DatasetSpec, task: str | None = None) -> list[Issue]:
    """Issues that stop ``design`` (or its plan) from training on ``spec`` for ``task`` (default: the
    dataset's task)."""
    from ..tasks import check_fit  # (builder.tasks reads dataset specs: imported when used, not at load)

    return check_fit(design, spec, task)
