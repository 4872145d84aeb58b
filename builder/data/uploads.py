"""The user's own data: a CSV (choose the target column), an NPZ with X and y, or a zip of class-per-folder
images. Each is parsed without executing or unpickling anything, checked against size limits *before* the
work (rows × columns from the line count, array sizes from the .npy headers, pixels from the image headers,
bytes read through a bounded reader so a forged zip size cannot lie), checked for degenerate content (no rows,
one class, NaN/Inf, complex numbers), and registered as a dataset named ``upload:<name>`` (and saved as a plain
NPZ under the workspace so it survives a restart). Every problem is a DatasetError saying what and where."""

from __future__ import annotations

import csv
import io
import re
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ..design import atomic_write
from .registry import DATASETS, DatasetError, DatasetSpec, forget_loaded, register

MAX_BYTES = 100 * 2**20  # an uploaded file
MAX_CELLS = 5_000_000  # CSV rows × columns
MAX_COLUMNS = 10_000
MAX_ARRAY_BYTES = 1 * 2**30  # an NPZ's X and y, decompressed
MAX_IMAGES = 50_000
MAX_UNZIPPED = 1 * 2**30  # bytes read out of an image zip
MAX_IMAGE_BYTES = 32 * 2**20  # one compressed image file
MAX_IMAGE_PIXELS = 4096 * 4096  # one image, from its header, before it is decoded
MAX_DECODED = 1 * 2**30  # an image zip's images as float32 arrays (checked before any is decoded)
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)  # torchvision's normalisation
IMAGE_TYPES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
NUMERIC_KINDS = "biuf"  # bool, signed, unsigned, float: no complex, strings, objects or records
# what a damaged or doctored zip (NPZs are zips) can raise from zipfile and zlib
ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, struct.error, OSError, EOFError, ValueError,
              RuntimeError, NotImplementedError, KeyError)  # fmt: skip
DAMAGED: dict[str, str] = {}  # saved upload file -> what is wrong with it (shown on the Data page)


def _bytes(data: bytes | str | Path, what: str) -> bytes:
    raw = Path(data).read_bytes() if isinstance(data, (str, Path)) else data
    if len(raw) > MAX_BYTES:
        raise DatasetError(f"the {what} is {len(raw) / 2**20:.0f} MB; uploads are limited to {MAX_BYTES // 2**20} MB")
    return raw


def _check(parsed: dict) -> dict:
    """Refuse data a model cannot learn from, saying what is wrong."""
    x, y = parsed["x"], parsed["y"]
    if len(x) == 0:
        raise DatasetError("the data has no rows (samples)")
    if len(x) != len(y):
        raise DatasetError(f"X has {len(x)} samples but y has {len(y)}")
    if not np.isfinite(x).all():
        bad = int(np.flatnonzero(~np.isfinite(x.reshape(len(x), -1)).all(axis=1))[0])
        raise DatasetError(f"X holds NaN or infinite values (first in sample {bad}); fill or drop those samples")
    if parsed["task"] == "classification":
        if len(parsed.get("classes", ())) < 2:
            raise DatasetError(f"the target has {len(parsed.get('classes', ()))} class(es); a classifier needs at "
                               "least 2 (or choose task regression)")  # fmt: skip
    elif not np.isfinite(y).all():
        raise DatasetError("y holds NaN or infinite values; fill or drop those samples")
    return parsed


def from_csv(data, target: str, task: str = "auto") -> dict:
    """Features = every other column (numbers); target = ``target`` (class names or numbers)."""
    try:
        text = _bytes(data, "CSV file").decode("utf-8-sig", errors="strict")
    except UnicodeDecodeError as e:
        raise DatasetError(f"the CSV is not UTF-8 text (byte {e.start})") from None
    lines = text.count("\n") + 1
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader, [])]
        if len(header) > MAX_COLUMNS or lines * len(header) > MAX_CELLS:
            raise DatasetError(f"the CSV has about {lines:,} rows × {len(header):,} columns; uploads are limited to "
                               f"{MAX_CELLS:,} values and {MAX_COLUMNS:,} columns")  # fmt: skip
        rows = list(reader)
    except csv.Error as e:  # e.g. a field over 131,072 characters, a NUL byte
        raise DatasetError(f"CSV line {reader.line_num}: {e}") from None
    if not rows:
        raise DatasetError("the CSV needs a header row and at least one data row")
    if target not in header:
        raise DatasetError(f"no column {target!r} in the CSV; columns: {', '.join(header)[:500]}")
    t = header.index(target)
    features, labels = [], []
    for line, row in enumerate(rows, start=2):
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
                raise DatasetError(f"CSV line {line}, column {header[k]!r}: {cell[:40]!r} is not a number. Features "
                                   "must be numeric; encode categories as numbers or drop the column.") from None  # fmt: skip
        features.append(values)
        labels.append(row[t].strip())
    x = np.asarray(features, np.float32)
    if not np.isfinite(x).all():
        raise DatasetError("the CSV has missing or infinite feature values; fill or drop those rows")
    return _check(_with_target(x, labels, task))


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


def _read_npy(z: zipfile.ZipFile, name: str, budget: int, kinds: str = NUMERIC_KINDS) -> np.ndarray:
    """One array of an NPZ, checked from its .npy header before its data is read (dtype, shape, size); the
    data is read through a bounded stream, so a forged or compressed size cannot make it larger."""
    try:
        info = z.getinfo(f"{name}.npy")
    except KeyError:
        raise DatasetError(f"the NPZ has no array {name!r}") from None
    if info.flag_bits & 0x1:
        raise DatasetError("the NPZ is encrypted; upload it without a password")
    with z.open(info) as f:
        try:
            version = np.lib.format.read_magic(f)
            read = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
            if version not in read:
                raise ValueError(f".npy format version {version} is not supported (1.0 or 2.0)")
            shape, fortran, dtype = read[version](f, max_header_size=10_000)
        except (ValueError, SyntaxError) as e:
            raise DatasetError(f"array {name!r} is not a valid .npy array: {e}") from None
        if dtype.hasobject or dtype.fields is not None or dtype.kind not in kinds:
            what = {"c": "complex numbers (their imaginary part would be lost)", "U": "text", "S": "bytes",
                    "O": "Python objects, which cannot be read without unpickling", "V": "records"}.get(dtype.kind, f"dtype {dtype}")  # fmt: skip
            raise DatasetError(f"array {name!r} holds {what}; expected numbers")
        if len(shape) == 0:
            raise DatasetError(f"array {name!r} is a single value (0-d); expected one entry per sample")
        size = int(np.prod(shape, dtype=object)) * dtype.itemsize
        if size > budget:
            raise DatasetError(f"array {name!r} {tuple(shape)} is {size / 2**20:,.0f} MB decompressed; uploads are "
                               f"limited to {MAX_ARRAY_BYTES // 2**20:,} MB")  # fmt: skip
        raw = f.read(size + 1)
    if len(raw) != size:
        raise DatasetError(f"array {name!r} is cut short: its header promises {size:,} bytes, the file holds "
                           f"{len(raw):,}")  # fmt: skip
    return np.frombuffer(raw, dtype).reshape(shape, order="F" if fortran else "C")


def _npz(raw: bytes, names: tuple[str, ...], kinds: dict | None = None) -> list[np.ndarray]:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            budget, out = MAX_ARRAY_BYTES, []
            for name in names:
                out.append(_read_npy(z, name, budget, (kinds or {}).get(name, NUMERIC_KINDS)))
                budget -= out[-1].nbytes
            return out
    except DatasetError:
        raise
    except ZIP_ERRORS as e:
        raise DatasetError(f"not a valid NPZ file: {e}") from None


def from_npz(data) -> dict:
    """An .npz with arrays X (samples first) and y; read without unpickling, sizes checked first."""
    raw = _bytes(data, "NPZ file")
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            keys = {n.removesuffix(".npy") for n in z.namelist()}
    except ZIP_ERRORS as e:
        raise DatasetError(f"not a valid NPZ file: {e}") from None
    if not {"X", "y"} <= keys:
        raise DatasetError(f"the NPZ needs arrays 'X' and 'y'; it has: {', '.join(sorted(keys))[:300] or 'none'}")
    x, y = _npz(raw, ("X", "y"))
    if len(x) != len(y):
        raise DatasetError(f"X has {len(x)} samples but y has {len(y)}")
    if y.ndim > 2:
        raise DatasetError(f"y has shape {y.shape}; expected one label per sample (N,) or targets (N, k)")
    if y.ndim == 1 and (y.dtype.kind in "iub" or (y.dtype.kind == "f" and np.isfinite(y).all()
                                                  and np.all(np.mod(y, 1) == 0) and len(np.unique(y)) <= 50)):  # fmt: skip
        values, index = np.unique(y, return_inverse=True)
        return _check({"x": x.astype(np.float32), "y": index.astype(np.int64), "task": "classification",
                       "classes": [str(c) for c in values]})  # fmt: skip
    if y.ndim == 2 and y.dtype.kind in "iub":
        raise DatasetError(f"y has shape {y.shape} with integer labels; classes need one label per sample (N,), "
                           "or give float targets for regression")  # fmt: skip
    return _check({"x": x.astype(np.float32), "y": y.astype(np.float32), "task": "regression",
                   "targets": [f"y{i}" for i in range(y.shape[1])] if y.ndim > 1 else ["target"]})  # fmt: skip


def from_image_zip(data, size: int = 28, channels: int = 1, imagenet: bool = False) -> dict:
    """A zip whose top folders are the classes (cats/001.png, dogs/...); images resized to size×size. With
    ``imagenet``: RGB, normalised with ImageNet's mean and std as torchvision's pretrained models expect (224
    for the torchvision templates)."""
    if imagenet and channels != 3:
        raise DatasetError("ImageNet normalisation is for RGB images: choose 3 channels")
    if not 8 <= size <= 512:
        raise DatasetError(f"the image size must be 8 to 512 pixels, received {size}")
    raw = _bytes(data, "zip file")
    try:
        z = zipfile.ZipFile(io.BytesIO(raw))
        infos = z.infolist()
    except ZIP_ERRORS:
        raise DatasetError("not a valid zip file") from None
    members = [m for m in infos if not m.is_dir() and m.filename.lower().endswith(IMAGE_TYPES)
               and "__MACOSX" not in m.filename]  # fmt: skip
    if len(members) > MAX_IMAGES:
        raise DatasetError(f"the zip holds {len(members):,} images; uploads are limited to {MAX_IMAGES:,}")
    if any(m.flag_bits & 0x1 for m in members):
        raise DatasetError("the zip is encrypted; upload it without a password")
    by_class: dict[str, list] = {}
    for m in members:
        parts = [p for p in m.filename.split("/") if p]
        if len(parts) < 2:
            raise DatasetError(f"{m.filename!r} is not inside a class folder; put each class's images in a folder")
        by_class.setdefault(parts[-2], []).append(m)
    if len(by_class) < 2:
        raise DatasetError(f"found {len(by_class)} class folder(s); a classifier needs at least 2")
    decoded = len(members) * size * size * channels * 4
    if decoded > MAX_DECODED:
        fits = MAX_DECODED // (size * size * channels * 4)
        raise DatasetError(f"{len(members):,} images of {channels}×{size}×{size} are {decoded / 2**30:.1f} GB as "
                           f"arrays; uploads are limited to {MAX_DECODED / 2**30:.0f} GB ({fits:,} images at this "
                           "size). Upload fewer images or choose a smaller size.")  # fmt: skip
    classes = sorted(by_class)
    xs, ys, budget = [], [], MAX_UNZIPPED
    for label, name in enumerate(classes):
        for m in by_class[name]:
            body = _member(z, m, budget)
            budget -= len(body)
            xs.append(_image(body, m.filename, size, channels))
            ys.append(label)
    x = np.stack(xs)
    if imagenet:
        x = (x - np.asarray(IMAGENET_MEAN, np.float32)[:, None, None]) / np.asarray(IMAGENET_STD, np.float32)[
            :, None, None
        ]
    return _check({"x": x, "y": np.asarray(ys, np.int64), "task": "classification", "classes": classes})


def _member(z: zipfile.ZipFile, m: zipfile.ZipInfo, budget: int) -> bytes:
    """A zip member's bytes, read through a bounded stream (the size in the zip's directory may be forged)."""
    limit = min(MAX_IMAGE_BYTES, budget)
    try:
        with z.open(m) as f:
            body = f.read(limit + 1)
    except ZIP_ERRORS as e:
        raise DatasetError(f"{m.filename!r} cannot be read from the zip: {e}") from None
    if len(body) > limit:
        which = f"{MAX_IMAGE_BYTES // 2**20} MB per image" if limit == MAX_IMAGE_BYTES else \
            f"{MAX_UNZIPPED // 2**30} GB in all"  # fmt: skip
        raise DatasetError(f"{m.filename!r} unpacks to more than the limit of {which}")
    return body


def _image(body: bytes, filename: str, size: int, channels: int) -> np.ndarray:
    """One image: its header is read first and its pixel count checked, then it is decoded and resized."""
    from PIL import Image

    try:
        img = Image.open(io.BytesIO(body))
        w, h = img.size
        if w * h > MAX_IMAGE_PIXELS:
            raise DatasetError(f"{filename!r} is {w}×{h} pixels; images are limited to {MAX_IMAGE_PIXELS:,} pixels "
                               "(4096×4096); scale it down first")  # fmt: skip
        img.draft("L" if channels == 1 else "RGB", (size, size))  # JPEG: decode at a reduced size
        img = img.convert("L" if channels == 1 else "RGB").resize((size, size))
    except DatasetError:
        raise
    except Exception as e:  # PIL raises many kinds (OSError, DecompressionBombError, SyntaxError, ValueError)
        raise DatasetError(f"{filename!r} is not a readable image ({type(e).__name__})") from None
    arr = np.asarray(img, np.float32) / 255.0
    return arr[None] if channels == 1 else arr.transpose(2, 0, 1)


def clean_name(name: str) -> str:
    """The dataset key and file name of an upload: letters, digits, '_' and '-' (at most 64)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_-")[:64].strip("_-") or "data"


def register_upload(name: str, parsed: dict, workspace: str | Path | None = None, replace: bool = False) -> DatasetSpec:
    """Register parsed arrays as dataset ``upload:<name>`` and save them (plain NPZ) under the workspace.
    A different name that normalises to an existing upload's key ("my data" vs "my_data") is refused unless
    ``replace``; uploading the same name again replaces it."""
    _check(parsed)
    clean = clean_name(name)
    key = f"upload:{clean}"
    existing = DATASETS.get(key)
    if existing is not None and existing.title != name and not replace:
        raise DatasetError(f"an upload named {existing.title!r} is already saved as {key}; {name!r} would overwrite "
                           "it. Rename the file, or delete the other upload.")  # fmt: skip
    x, y = parsed["x"], parsed["y"]
    if workspace is not None:
        folder = Path(workspace) / "data" / "uploads"
        folder.mkdir(parents=True, exist_ok=True)
        meta = np.asarray([parsed["task"], *parsed.get("classes", parsed.get("targets", []))])
        buf = io.BytesIO()
        np.savez(buf, X=x, y=y, meta=meta, name=np.asarray([name]))
        atomic_write(folder / f"{clean}.npz", buf.getvalue())
    DATASETS.pop(key, None)
    forget_loaded()
    return register(DatasetSpec(key, name, f"Uploaded: {len(x)} samples of shape {tuple(x.shape[1:])}.",
                                parsed["task"], tuple(x.shape[1:]), "float32", lambda seed: (x, y),
                                classes=tuple(parsed.get("classes", ())), targets=tuple(parsed.get("targets", ())),
                                group="Uploads", normalize="none" if x.ndim > 2 else "standard"))  # fmt: skip


def load_saved_uploads(workspace: str | Path) -> list[DatasetSpec]:
    """Register every upload saved under the workspace (after a restart). A damaged file (truncated, without
    its metadata, doctored) is skipped and described in DAMAGED; every other upload loads."""
    out = []
    for path in sorted((Path(workspace) / "data" / "uploads").glob("*.npz")):
        try:
            out.append(_load_saved(path))
            DAMAGED.pop(str(path), None)
        except (DatasetError, *ZIP_ERRORS) as e:
            DAMAGED[str(path)] = f"the saved upload {path.name} is damaged and was not loaded: {e}"
    return out


def _load_saved(path: Path) -> DatasetSpec:
    raw = path.read_bytes()
    if not zipfile.is_zipfile(io.BytesIO(raw)):
        raise DatasetError("it is not an NPZ (zip) file; it may be cut short")
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        names = {n.removesuffix(".npy") for n in z.namelist()}
    if not {"X", "y", "meta"} <= names:
        raise DatasetError(f"it lacks {', '.join(sorted({'X', 'y', 'meta'} - names))}")
    text = {"meta": "U", "name": "U"}
    x, y, meta = _npz(raw, ("X", "y", "meta"), text)
    title = str(_npz(raw, ("name",), text)[0][0]) if "name" in names else path.stem
    meta = [str(v) for v in meta]
    if not meta or meta[0] not in ("classification", "regression"):
        raise DatasetError(f"its metadata names no task ({meta[:1]})")
    parsed = {"x": x, "y": y, "task": meta[0], "classes" if meta[0] == "classification" else "targets": meta[1:]}
    return register_upload(title, parsed, replace=True)
