import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _workspace(tmp_path_factory, monkeypatch):
    """Every test writes its designs and runs to a fresh folder, never to the checkout's ./workspace."""
    monkeypatch.setenv("LAYERLOOM_WORKSPACE", str(tmp_path_factory.mktemp("workspace")))


@pytest.fixture(autouse=True, scope="session")
def _no_run_outlives_the_tests():
    """Stop the runs a test left training (worker processes) and the spare worker, so none outlives the tests."""
    yield
    from builder import jobs

    if jobs._default is not None and hasattr(jobs._default, "shutdown"):
        jobs._default.shutdown()
