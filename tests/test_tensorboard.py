"""The app's TensorBoard: started on 127.0.0.1 for a log folder, answered, reused, stopped."""

import urllib.request

from builder import tensorboard


def test_serve_starts_once_per_folder_and_answers(tmp_path):
    try:
        url = tensorboard.serve(tmp_path)
        assert url.startswith("http://127.0.0.1:")
        assert urllib.request.urlopen(url, timeout=10).status == 200
        assert tensorboard.serve(tmp_path) == url  # the same server, not a second one
    finally:
        tensorboard.stop_all()


def test_the_cli_command_binds_where_asked(tmp_path):
    cmd = tensorboard.command(tmp_path, "127.0.0.1", 6123)
    assert cmd[1:3] == ["-m", "tensorboard.main"] and cmd[-4:] == ["--host", "127.0.0.1", "--port", "6123"]
