"""The user's own data: a CSV (choose the target column), an NPZ with X and y, or a zip of class-per-folder
images. Each is parsed without executing or unpickling anything, checked against size limits, and registered
as a dataset named ``upload:<name>`` (and saved as an NPZ under the workspace so it survives a restart)."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import numpy as np

from .registry import DATASETS, DatasetError, DatasetSpec, register

MAX_BYTES = 100 * 2**20
MAX_IMAGES = 50_000
MAX_UNZIPPED = 1 * 2**30
IMAGE_TYPES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")


def _bytes(data: bytes | str | Path, what: str) -> bytes:
    raw = Path(data).read_bytes() if isinstance(data, (str, Path)) else data
    if len(raw) > MAX_BYTES:
        raise DatasetError(f"the {what} is {len(raw) / 2**20:.0f} MB; uploads are limited to {MAX_BYTES // 2**20} MB")
    return raw


def from_csv(data, target: str, task: str = "auto") -> dict:
    """Features = every other column (numbers); target = ``target`` (class names or numbers)."""
    text = _bytes(data, "CSV file").decode("utf-8-sig", errors="strict")
    rows = list(csv.reader(io.StringIO(text)))
    if len(rows) < 2:
        raise DatasetError("the CSV needs a header row and at least one data row")
    header = [h.strip() for h in rows[0]]
    if target not in header:
        raise DatasetError(f"no column {target!r} in the CSV; columns: {', '.join(header)}")
    t = header.index(target)
    features, labels = [], []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise DatasetError(f"CSV line {line} has {len(row)} values but the header has {len(header)}")
        values = []
        for k, cell in enumerate(row):
            if k == t:
                continue
            try:
                values.append(float(cell))
            except ValueError:
                raise DatasetError(f"CSV line {line}, column {header[k]!r}: {cell!r} is not a number. Features must "
                                   "be numeric; encode categories as numbers or drop the column.") from None  # fmt: skip
        features.append(values)
        labels.append(row[t].strip())
    x = np.asarray(features, np.float32)
    if not np.isfinite(x).all():
        raise DatasetError("the CSV has missing or infinite feature values; fill or drop those rows")
    return _with_target(x, labels, task)


def _with_target(x, labels, task):
    numeric = all(re.fullmatch(r"[-+]?\d*\.?\d+(e[-+]?\d+)?", v, re.I) for v in labels)
    distinct = sorted(set(labels), key=lambda v: float(v) if numeric else v)
    if task == "auto":
        task = (
            "classification"
            if not numeric or (len(distinct) <= 20 and all(float(v).is_integer() for v in distinct))
            else "regression"
        )
    if task == "classification":
        index = {v: i for i, v in enumerate(distinct)}
        return {"x": x, "y": np.asarray([index[v] for v in labels], np.int64), "task": task, "classes": distinct}
    if not numeric:
        raise DatasetError("a regression target must be numeric; this one has text values")
    return {"x": x, "y": np.asarray(labels, np.float32), "task": "regression", "targets": ["target"]}


def from_npz(data) -> dict:
    """An .npz with arrays X (samples first) and y; read with allow_pickle=False."""
    raw = _bytes(data, "NPZ file")
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as z:
            keys = set(z.files)
            if not {"X", "y"} <= keys:
                raise DatasetError(f"the NPZ needs arrays 'X' and 'y'; it has: {', '.join(sorted(keys)) or 'none'}")
            x, y = z["X"], z["y"]
    except ValueError as e:  # object arrays (pickles) are refused by allow_pickle=False
        raise DatasetError(f"the NPZ cannot be read without unpickling: {e}") from None
    except (zipfile.BadZipFile, OSError) as e:
        raise DatasetError(f"not a valid NPZ file: {e}") from None
    if len(x) != len(y):
        raise DatasetError(f"X has {len(x)} samples but y has {len(y)}")
    if y.dtype.kind in "iub" or (y.dtype.kind == "f" and np.all(np.mod(y, 1) == 0) and len(np.unique(y)) <= 50):
        classes = [str(c) for c in np.unique(y)]
        index = {c: i for i, c in enumerate(np.unique(y))}
        return {"x": x.astype(np.float32), "y": np.asarray([index[v] for v in y], np.int64),
                "task": "classification", "classes": classes}  # fmt: skip
    return {"x": x.astype(np.float32), "y": y.astype(np.float32), "task": "regression",
            "targets": [f"y{i}" for i in range(y.shape[1])] if y.ndim > 1 else ["target"]}  # fmt: skip


def from_image_zip(data, size: int = 28, channels: int = 1) -> dict:
    """A zip whose top folders are the classes (cats/001.png, dogs/...); images resized to size×size."""
    from PIL import Image, UnidentifiedImageError

    raw = _bytes(data, "zip file")
    try:
        z = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile:
        raise DatasetError("not a valid zip file") from None
    members = [m for m in z.infolist() if not m.is_dir() and m.filename.lower().endswith(IMAGE_TYPES)
               and "__MACOSX" not in m.filename]  # fmt: skip
    if sum(m.file_size for m in members) > MAX_UNZIPPED or len(members) > MAX_IMAGES:
        raise DatasetError(f"the zip holds too much: at most {MAX_IMAGES} images and {MAX_UNZIPPED // 2**30} GB")
    by_class: dict[str, list] = {}
    for m in members:
        parts = [p for p in m.filename.split("/") if p]
        if len(parts) < 2:
            raise DatasetError(f"{m.filename!r} is not inside a class folder; put each class's images in a folder")
        by_class.setdefault(parts[-2], []).append(m)
    if len(by_class) < 2:
        raise DatasetError(f"found {len(by_class)} class folder(s); a classifier needs at least 2")
    classes = sorted(by_class)
    xs, ys = [], []
    for label, name in enumerate(classes):
        for m in by_class[name]:
            try:
                img = Image.open(io.BytesIO(z.read(m))).convert("L" if channels == 1 else "RGB")
            except (UnidentifiedImageError, OSError):
                raise DatasetError(f"{m.filename!r} is not a readable image") from None
            arr = np.asarray(img.resize((size, size)), np.float32) / 255.0
            xs.append(arr[None] if channels == 1 else arr.transpose(2, 0, 1))
            ys.append(label)
    return {"x": np.stack(xs), "y": np.asarray(ys, np.int64), "task": "classification", "classes": classes}


def register_upload(name: str, parsed: dict, workspace: str | Path | None = None) -> DatasetSpec:
    """Register parsed arrays as dataset ``upload:<name>`` and save them (plain NPZ) under the workspace."""
    clean = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "data"
    key = f"upload:{clean}"
    x, y = parsed["x"], parsed["y"]
    if workspace is not None:
        folder = Path(workspace) / "data" / "uploads"
        folder.mkdir(parents=True, exist_ok=True)
        meta = np.asarray([parsed["task"], *parsed.get("classes", parsed.get("targets", []))])
        np.savez(folder / f"{clean}.npz", X=x, y=y, meta=meta)
    DATASETS.pop(key, None)
    from .registry import _load

    _load.cache_clear()
    return register(DatasetSpec(key, name, f"Uploaded: {len(x)} samples of shape {tuple(x.shape[1:])}.",
                                parsed["task"], tuple(x.shape[1:]), "float32", lambda seed: (x, y),
                                classes=tuple(parsed.get("classes", ())), targets=tuple(parsed.get("targets", ())),
                                group="Uploads", normalize="none" if x.ndim > 2 else "standard"))  # fmt: skip


def load_saved_uploads(workspace: str | Path) -> list[DatasetSpec]:
    """Register every upload saved under the workspace (after a restart)."""
    out = []
    for path in sorted((Path(workspace) / "data" / "uploads").glob("*.npz")):
        with np.load(path, allow_pickle=False) as z:
            meta = [str(v) for v in z["meta"]]
            parsed = {"x": z["X"], "y": z["y"], "task": meta[0]}
        parsed["classes" if meta[0] == "classification" else "targets"] = meta[1:]
        out.append(register_upload(path.stem, parsed))
    return out
