"""Where LayerLoom keeps its files: the workspace folder (``./workspace`` unless $LAYERLOOM_WORKSPACE says)."""

from __future__ import annotations

import os
from pathlib import Path


def workspace_root() -> Path:
    """Read at each call, so a changed environment variable (tests, a second app instance) is honoured."""
    return Path(os.environ.get("LAYERLOOM_WORKSPACE") or "workspace")
