"""TensorBoard on a run's log folder: the command (for the CLI) and a managed background server (for the app).

The app starts at most one TensorBoard per log folder, bound to 127.0.0.1 on a free port, and reuses it.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

_servers: dict[str, tuple[subprocess.Popen, str]] = {}  # log folder -> (process, url)
_lock = threading.Lock()


def command(logdir: str | Path, host: str = "127.0.0.1", port: int = 6006) -> list[str]:
    return [sys.executable, "-m", "tensorboard.main", "--logdir", str(logdir), "--host", host, "--port", str(port)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(logdir: str | Path, timeout: float = 60.0) -> str:
    """The URL of a TensorBoard showing ``logdir``, starting one if none runs; raises RuntimeError if it cannot."""
    key = str(Path(logdir).resolve())
    with _lock:
        if key in _servers and _servers[key][0].poll() is None:
            return _servers[key][1]
        port = _free_port()
        log = tempfile.TemporaryFile()  # not a pipe: TensorBoard's chatter must never fill it and block it
        proc = subprocess.Popen(command(key, port=port), stdout=subprocess.DEVNULL, stderr=log)
        url = f"http://127.0.0.1:{port}/"
        deadline = time.time() + timeout
        while time.time() < deadline:
            if proc.poll() is not None:
                log.seek(0)
                err = log.read().decode(errors="replace").strip().splitlines()[-1:]
                raise RuntimeError(f"TensorBoard exited: {' '.join(err) or 'no message'}")
            try:
                urllib.request.urlopen(url, timeout=1).read(64)
                _servers[key] = (proc, url)
                return url
            except OSError:
                time.sleep(0.3)
        proc.kill()
        raise RuntimeError(f"TensorBoard did not answer on {url} within {timeout:.0f} s")


def stop_all() -> None:
    with _lock:
        for proc, _ in _servers.values():
            proc.terminate()
        _servers.clear()
