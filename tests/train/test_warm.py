"""The warm-up: one throwaway epoch in a temporary folder, started once per process."""

import tempfile
from pathlib import Path

from builder.train import warm


def test_warm_up_trains_in_a_temporary_folder_it_removes(monkeypatch):
    made = []
    real = tempfile.mkdtemp
    monkeypatch.setattr(tempfile, "mkdtemp", lambda **kw: made.append(real(**kw)) or made[-1])
    assert warm.warm_up() > 0
    assert len(made) == 1 and not Path(made[0]).exists()  # nothing is left behind, nothing went to a workspace


def test_the_background_warm_up_starts_once_per_process(monkeypatch):
    calls = []
    monkeypatch.setattr(warm, "_started", False)
    monkeypatch.setattr(warm, "warm_up", lambda: calls.append(1))
    assert warm.warm_up_once_in_background() is True
    assert warm.warm_up_once_in_background() is False
    import threading

    for t in threading.enumerate():
        if t.name == "layerloom-warm-up":
            t.join(10)
    assert calls == [1]
