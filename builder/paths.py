"""Where LayerLoom keeps its files: the workspace folder (``./workspace`` unless $LAYERLOOM_WORKSPACE says)."""

from __future__ import annotations

import os
import re
from pathlib import Path

# names that become folder names under the workspace; always matched whole (fullmatch), so no separator, no
# '..' and no trailing newline gets through
DESIGN_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")  # designs/<id>.json
RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")  # runs/<run id>/


def workspace_root() -> Path:
    """Read at each call, so a changed environment variable (tests, a second app instance) is honoured."""
    return Path(os.environ.get("LAYERLOOM_WORKSPACE") or "workspace")
