"""Standard files (IDX, CIFAR-10 batches) from a folder, and uploads (CSV, NPZ, image zips)."""

import gzip
import io
import pickle
import struct
import zipfile

import numpy as np
import pytest

from builder.data import DatasetError, load_dataset
from builder.data.files import read_idx
from builder.data.uploads import from_csv, from_image_zip, from_npz, load_saved_uploads, register_upload
from builder.templates import load_template
from builder.train import train


def idx(array: np.ndarray) -> bytes:
    return (
        bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.astype(np.uint8).tobytes()
    )


def write_mnist(folder, n_train=60, n_test=20, gz=True):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    files = {"train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28)),
             "train-labels-idx1-ubyte": np.arange(n_train) % 10,
             "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28)),
             "t10k-labels-idx1-ubyte": np.arange(n_test) % 10}  # fmt: skip
    for name, arr in files.items():
        data = idx(arr)
        (folder / (name + ".gz" if gz else name)).write_bytes(gzip.compress(data) if gz else data)
    return files


@pytest.mark.parametrize("gz", [True, False])
def test_mnist_from_idx_files_keeps_the_official_test_split(tmp_path, gz):
    files = write_mnist(tmp_path / "mnist", gz=gz)
    d = load_dataset("mnist", folder=str(tmp_path / "mnist"))
    assert d.x_train.shape[1:] == (1, 28, 28) and d.sizes == {"train": 51, "val": 9, "test": 20}
    expected = files["t10k-images-idx3-ubyte"][:, None] / 255.0
    np.testing.assert_allclose(d.x_test, expected.astype(np.float32))
    assert list(d.y_test) == list(range(10)) * 2


def test_missing_files_say_where_to_put_them(tmp_path):
    with pytest.raises(DatasetError, match="train-images-idx3-ubyte.gz.*--download fashion_mnist"):
        load_dataset("fashion_mnist", folder=str(tmp_path))
    with pytest.raises(DatasetError, match="not an IDX file"):
        read_idx(b"PK\x03\x04 not idx")


def write_cifar(folder):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {b"data": rng.integers(0, 256, (10, 3072), dtype=np.uint8), b"labels": list(range(10))}
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))


def test_cifar10_batches_load_through_a_numpy_only_unpickler(tmp_path):
    write_cifar(tmp_path / "c")
    d = load_dataset("cifar10", folder=str(tmp_path / "c"))
    assert d.x_test.shape == (10, 3, 32, 32) and d.sizes["train"] + d.sizes["val"] == 50

    class Evil:
        def __reduce__(self):
            return (print, ("PWNED",))

    (tmp_path / "c" / "test_batch").write_bytes(pickle.dumps({b"data": Evil(), b"labels": []}))
    with pytest.raises(DatasetError, match="refusing to load builtins.print"):
        load_dataset("cifar10", folder=str(tmp_path / "c"), seed=1)


def test_csv_upload_classification_and_regression(tmp_path):
    rows = ["a,b,label"] + [f"{i},{i % 3},{'cat' if i % 2 else 'dog'}" for i in range(40)]
    parsed = from_csv("\n".join(rows).encode(), target="label")
    assert parsed["task"] == "classification" and parsed["classes"] == ["cat", "dog"] and parsed["x"].shape == (40, 2)
    reg = from_csv("\n".join(["x,y"] + [f"{i},{i * 0.5 + 0.25}" for i in range(30)]).encode(), target="y")
    assert reg["task"] == "regression"
    with pytest.raises(DatasetError, match="no column 'z' in the CSV; columns: x, y"):
        from_csv(b"x,y\n1,2\n", target="z")
    with pytest.raises(DatasetError, match="CSV line 3, column 'x': 'oops' is not a number"):
        from_csv(b"x,y\n1,2\noops,3\n", target="y")


def test_npz_upload_refuses_pickles():
    buf = io.BytesIO()
    np.savez(buf, X=np.zeros((4, 3)), y=np.array([0, 1, 0, 1]))
    assert from_npz(buf.getvalue())["classes"] == ["0", "1"]
    evil = io.BytesIO()
    np.savez(evil, X=np.array([object()], dtype=object), y=np.array([1]))
    with pytest.raises(DatasetError, match="without unpickling"):
        from_npz(evil.getvalue())
    with pytest.raises(DatasetError, match="needs arrays 'X' and 'y'"):
        np.savez(buf := io.BytesIO(), data=np.zeros(3))
        from_npz(buf.getvalue())


def image_zip(classes=("circles", "squares"), per_class=6, size=12):
    from PIL import Image

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for k, name in enumerate(classes):
            for i in range(per_class):
                img = Image.fromarray(np.full((size, size), 60 * (k + 1) + i, np.uint8))
                out = io.BytesIO()
                img.save(out, format="PNG")
                z.writestr(f"shapes/{name}/{i}.png", out.getvalue())
    return buf.getvalue()


def test_image_zip_upload_trains_end_to_end(tmp_path):
    parsed = from_image_zip(image_zip(), size=8)
    assert parsed["x"].shape == (12, 1, 8, 8) and parsed["classes"] == ["circles", "squares"]
    spec = register_upload("my shapes", parsed, workspace=tmp_path)
    assert spec.name == "upload:my_shapes" and spec.input_shape == (1, 8, 8)
    design = load_template("digits_mlp")
    design.node("fc3").params["out_features"] = 2
    r = train(design, {"dataset": spec.name, "epochs": 2}, workspace=tmp_path)
    assert r.status == "finished", r.message
    assert [s.name for s in load_saved_uploads(tmp_path)] == ["upload:my_shapes"]  # survives a restart
    with pytest.raises(DatasetError, match="not inside a class folder"):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("loose.png", b"x")
        from_image_zip(buf.getvalue())


def test_download_checks_the_md5_and_keeps_nothing_that_fails(tmp_path):
    import functools
    import http.server
    import threading

    from builder.data.files import download

    served = tmp_path / "mirror"
    served.mkdir()
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        (served / name).write_bytes(b"not the real file")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(DatasetError, match="has MD5 .*expected f68b3c2dcbeaaa9fbdd348bbdeb94873: not saved"):
            download("mnist", tmp_path / "out", base_url=f"http://127.0.0.1:{server.server_port}/", timeout=10)
    finally:
        server.shutdown()
    assert not list((tmp_path / "out").iterdir())


def test_an_image_folder_at_224_rgb_with_imagenet_normalisation_fits_the_torchvision_templates():
    from builder.data.uploads import IMAGENET_MEAN, IMAGENET_STD, MAX_DECODED

    parsed = from_image_zip(image_zip(per_class=2, size=40), 224, 3, imagenet=True)
    x = parsed["x"]
    assert x.shape == (4, 3, 224, 224) and parsed["classes"] == ["circles", "squares"]
    gray = 60 / 255.0  # the first circle's pixel value, the same in R, G and B
    want = [(gray - m) / s for m, s in zip(IMAGENET_MEAN, IMAGENET_STD)]
    assert np.allclose(x[0, :, 0, 0], want, atol=1e-6)
    with pytest.raises(DatasetError, match="RGB images"):
        from_image_zip(image_zip(), 224, 1, imagenet=True)
    # the decoded size is checked from the member count, before anything is decoded
    from PIL import Image

    png = io.BytesIO()
    Image.fromarray(np.zeros((2, 2), np.uint8)).save(png, format="PNG")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for i in range(MAX_DECODED // (3 * 224 * 224 * 4) + 1):  # tiny files, too many for their arrays
            z.writestr(f"{'ab'[i % 2]}/{i}.png", png.getvalue())
    with pytest.raises(DatasetError, match=r"limited to 1 GB \(1,783 images at this size\)"):
        from_image_zip(buf.getvalue(), 224, 3, imagenet=True)
