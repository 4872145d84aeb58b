"""Standard dataset files the user has: MNIST and Fashion-MNIST (IDX) and CIFAR-10 (python batches).

They are read from a local folder (``$LAYERLOOM_DATA/<name>/``, default ``workspace/data/<name>/``, or the
``folder`` option); nothing is downloaded unless :func:`download` is called (``python -m builder datasets
--download NAME``), which checks every file's MD5 against the published checksum and caches it. CIFAR-10's
"python" batches are pickles: they are read with an unpickler that only admits the numpy array types they
contain, so a doctored file cannot run code.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import tarfile
import urllib.request
from pathlib import Path

import numpy as np

from ..design import atomic_write
from ..paths import workspace_root
from .registry import DatasetError, DatasetSpec, register

MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
FASHION_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
CIFAR_URL = "https://www.cs.toronto.edu/~kriz/"
SOURCES = {
    "mnist": (MNIST_URL, {"train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
                          "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
                          "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
                          "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"}),
    "fashion_mnist": (FASHION_URL, {"train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                                    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
                                    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
                                    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310"}),
    "cifar10": (CIFAR_URL, {"cifar-10-python.tar.gz": "c58f30108f718f92721af3b95e74349a"}),
}  # fmt: skip
FASHION = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
CIFAR = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def data_dir() -> Path:
    workspace = workspace_root()
    return Path(os.environ.get("LAYERLOOM_DATA", workspace / "data"))


def read_idx(raw: bytes) -> np.ndarray:
    """An IDX array (the MNIST format): magic 0 0 <type> <ndim>, big-endian dims, then the data."""
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DatasetError("not an IDX file of unsigned bytes (expected magic 0x0000 08 ..)")
    ndim = raw[3]
    dims = np.frombuffer(raw, ">u4", ndim, 4).astype(int)
    body = np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise DatasetError(f"IDX file holds {body.size} bytes but its header promises {tuple(dims)}")
    return body.reshape(tuple(dims))


def _find(folder: Path, name: str) -> bytes:
    for candidate in (folder / name, folder / name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate.read_bytes()
    raise FileNotFoundError(name)


def _missing(name: str, folder: Path) -> DatasetError:
    files = ", ".join(SOURCES[name][1])
    return DatasetError(
        f"{name} files not found in {folder}: put {files} there (gzipped or not), set LAYERLOOM_DATA, or run "
        f"`python -m builder datasets --download {name}` on a machine that is online."
    )


def _idx_loader(name: str):
    def load(seed, folder=""):
        where = Path(folder) if folder else data_dir() / name
        try:
            parts = [read_idx(_find(where, f)) for f in SOURCES[name][1]]
        except FileNotFoundError:
            raise _missing(name, where) from None
        x_train, y_train, x_test, y_test = parts
        x = np.concatenate([x_train, x_test])[:, None].astype(np.float32) / 255.0
        return {"x": x, "y": np.concatenate([y_train, y_test]).astype(np.int64), "n_test": len(x_test)}

    return load


class _NumpyOnly(pickle.Unpickler):
    """Unpickles plain containers and numpy arrays, nothing else (CIFAR-10's python batches need no more)."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),
    }  # fmt: skip  (bytes, protocol 2)

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a dataset file")


def _batch(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    d = _NumpyOnly(io.BytesIO(raw), encoding="bytes").load()
    data, labels = d[b"data"], d[b"labels"]
    return np.asarray(data, np.uint8).reshape(-1, 3, 32, 32), np.asarray(labels, np.int64)


def _cifar(seed, folder=""):
    where = Path(folder) if folder else data_dir() / "cifar10"
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    raws = {}
    tar = where / "cifar-10-python.tar.gz"
    if tar.is_file():
        with tarfile.open(tar) as t:
            for member in t.getmembers():
                base = member.name.rsplit("/", 1)[-1]
                if base in names and member.isfile():
                    raws[base] = t.extractfile(member).read()
    for n in names:
        for candidate in (where / n, where / "cifar-10-batches-py" / n):
            if n not in raws and candidate.is_file():
                raws[n] = candidate.read_bytes()
    if set(raws) != set(names):
        raise _missing("cifar10", where)
    try:
        batches = [_batch(raws[n]) for n in names]
    except (pickle.UnpicklingError, KeyError, ValueError, EOFError) as e:
        raise DatasetError(f"a CIFAR-10 batch in {where} cannot be read: {e}") from None
    x = np.concatenate([b[0] for b in batches]).astype(np.float32) / 255.0
    y = np.concatenate([b[1] for b in batches])
    return {"x": x, "y": y, "n_test": len(batches[-1][0])}


def download(name: str, folder: str | Path | None = None, timeout: float = 60, base_url: str | None = None) -> Path:
    """Fetch a standard dataset's files (only when asked), verify their MD5, and cache them in ``folder``.
    ``base_url`` replaces the official mirror (a local copy, or a test server)."""
    if name not in SOURCES:
        raise DatasetError(f"{name!r} is not downloadable; downloadable: {', '.join(SOURCES)}")
    url, files = SOURCES[name]
    url = base_url or url
    where = Path(folder) if folder else data_dir() / name
    where.mkdir(parents=True, exist_ok=True)
    for file, md5 in files.items():
        path = where / file
        if path.is_file() and hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest() == md5:
            continue  # cached
        with urllib.request.urlopen(url + file, timeout=timeout) as response:  # noqa: S310 (fixed https/http URLs)
            raw = response.read()
        got = hashlib.md5(raw, usedforsecurity=False).hexdigest()
        if got != md5:
            raise DatasetError(f"{file} from {url} has MD5 {got}, expected {md5}: not saved")
        atomic_write(path, raw)
    return where


register(DatasetSpec("mnist", "MNIST (your files)", "70,000 handwritten digits, 28×28, official train/test split; "
                     "read from local IDX files.", "classification", (1, 28, 28), "float32", _idx_loader("mnist"),
                     classes=tuple(map(str, range(10))), group="Files", normalize="none", options={"folder": ""}))  # fmt: skip
register(DatasetSpec("fashion_mnist", "Fashion-MNIST (your files)", "70,000 clothing images, 28×28, 10 classes; "
                     "read from local IDX files.", "classification", (1, 28, 28), "float32",
                     _idx_loader("fashion_mnist"), classes=FASHION, group="Files", normalize="none",
                     options={"folder": ""}))  # fmt: skip
register(DatasetSpec("cifar10", "CIFAR-10 (your files)", "60,000 colour images, 32×32, 10 classes; read from the "
                     "python batches (or their tar.gz).", "classification", (3, 32, 32), "float32", _cifar,
                     classes=CIFAR, group="Files", normalize="none", options={"folder": ""}))  # fmt: skip
