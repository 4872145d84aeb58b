"""Uploads under attack or damaged: every size is bounded before the work, every bad file is a DatasetError
that says what is wrong, and a damaged saved upload affects only itself."""

import io
import os
import struct
import zipfile

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from builder.data import DATASETS, DatasetError, uploads
from builder.data.uploads import from_csv, from_image_zip, from_npz, load_saved_uploads, register_upload
from tests.data.test_files_and_uploads import image_zip


def npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def test_a_compressed_npz_bomb_is_refused_from_its_header(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_ARRAY_BYTES", 2**20)
    bomb = npz(X=np.zeros((2000, 1000), np.float32), y=np.zeros(2000, np.int64))  # 8 MB of zeros in ~10 kB
    assert len(bomb) < 50_000
    with pytest.raises(
        DatasetError, match=r"array 'X' \(2000, 1000\) is 8 MB decompressed; uploads are limited to 1 MB"
    ):
        from_npz(bomb)


def test_an_npz_header_that_promises_more_than_it_holds_is_refused():
    header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000), }"
    header += b" " * (63 - len(header) % 64) + b"\n"
    lie = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + b"\0" * 64
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("X.npy", lie)
        z.writestr("y.npy", lie)
    with pytest.raises(DatasetError, match="decompressed; uploads are limited"):
        from_npz(buf.getvalue())


@pytest.mark.parametrize(
    "arrays, words",
    [
        ({"X": np.array(["a", "b"]), "y": np.array([0, 1])}, "holds text"),
        ({"X": np.zeros(2, [("a", "f4"), ("b", "i4")]), "y": np.array([0, 1])}, "holds records"),
        ({"X": np.array(3.0), "y": np.array([0])}, "single value (0-d)"),
        ({"X": np.zeros((2, 3), np.complex64), "y": np.array([0, 1])}, "complex numbers"),
        ({"X": np.zeros((2, 3)), "y": np.array([[0, 1], [1, 0]])}, "integer labels"),
        ({"X": np.zeros((2, 3)), "y": np.zeros((2, 1, 1))}, "one label per sample"),
        ({"X": np.zeros((0, 3)), "y": np.zeros(0, np.int64)}, "no rows"),
        ({"X": np.array([[1.0, np.nan], [0, 0]]), "y": np.array([0, 1])}, "NaN or infinite values (first in sample 0)"),
        ({"X": np.array([[1.0, np.inf], [0, 0]]), "y": np.array([0, 1])}, "NaN or infinite"),
        ({"X": np.zeros((3, 2)), "y": np.array([1, 1, 1])}, "1 class(es); a classifier needs at least 2"),
        ({"X": np.zeros((3, 2)), "y": np.zeros(2, np.int64)}, "X has 3 samples but y has 2"),
    ],
)  # fmt: skip
def test_degenerate_npz_uploads_are_refused_saying_why(arrays, words):
    with pytest.raises(DatasetError, match=words.replace("(", r"\(").replace(")", r"\)")):
        from_npz(npz(**arrays))


def test_a_truncated_npz_is_a_dataset_error():
    good = npz(X=np.random.rand(50, 4), y=np.arange(50) % 2)
    with pytest.raises(DatasetError):
        from_npz(good[: len(good) // 2])


def test_csv_limits_are_checked_before_parsing(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_CELLS", 1000)
    rows = "\n".join(f"{i},{i % 2}" for i in range(600))
    with pytest.raises(DatasetError, match=r"about 601 rows × 2 columns; uploads are limited to 1,000 values"):
        from_csv(("x,label\n" + rows).encode(), target="label")
    with pytest.raises(DatasetError, match=r"CSV line \d+: field larger than field limit \(131072\)"):
        from_csv(b"x,label\n" + b'"' + b"1" * 140_000 + b'",1\n', target="label")
    with pytest.raises(DatasetError, match="not UTF-8"):
        from_csv(b"x,label\n\xff\xfe,1\n", target="label")
    with pytest.raises(DatasetError, match="1 class"):
        from_csv(b"x,label\n1,a\n2,a\n", target="label")


def _patch_zip(raw: bytes, offset_local: int, offset_central: int, value: bytes) -> bytes:
    """Overwrite a field of the first member's local header and its central directory entry."""
    data = bytearray(raw)
    local, central = data.find(b"PK\x03\x04"), data.find(b"PK\x01\x02")
    data[local + offset_local : local + offset_local + len(value)] = value
    data[central + offset_central : central + offset_central + len(value)] = value
    return bytes(data)


def test_image_zips_with_forged_sizes_encryption_or_huge_images_are_refused(monkeypatch):
    raw = image_zip()
    forged = _patch_zip(raw, 22, 24, struct.pack("<I", 10))  # uncompressed size: 10 bytes (a lie)
    with pytest.raises(DatasetError):
        from_image_zip(forged)
    encrypted = _patch_zip(raw, 6, 8, struct.pack("<H", 1))  # general purpose flag bit 0: encrypted
    with pytest.raises(DatasetError, match="encrypted"):
        from_image_zip(encrypted)
    monkeypatch.setattr(uploads, "MAX_IMAGE_PIXELS", 100)  # the 12×12 images are 144 pixels
    with pytest.raises(DatasetError, match=r"is 12×12 pixels; images are limited to 100 pixels"):
        from_image_zip(raw)


def test_a_decompression_bomb_png_is_refused_before_decoding():
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (12000, 12000)).save(out, format="PNG")  # 144 M pixels in ~140 kB
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a/big.png", out.getvalue())
        z.writestr("b/big.png", out.getvalue())
    with pytest.raises(DatasetError, match="12000×12000 pixels; images are limited to 16,777,216"):
        from_image_zip(buf.getvalue())


def test_names_that_collide_after_normalising_are_refused(tmp_path):
    parsed = {"x": np.random.rand(6, 2).astype(np.float32), "y": np.arange(6) % 2, "task": "classification",
              "classes": ["a", "b"]}  # fmt: skip
    try:
        register_upload("my data", parsed, workspace=tmp_path)
        with pytest.raises(DatasetError, match="an upload named 'my data' is already saved as upload:my_data"):
            register_upload("my_data", parsed, workspace=tmp_path)
        register_upload("my data", parsed, workspace=tmp_path)  # the same name again replaces it
        assert [p.name for p in (tmp_path / "data" / "uploads").iterdir()] == ["my_data.npz"]
    finally:
        DATASETS.pop("upload:my_data", None)


def test_a_damaged_saved_upload_affects_only_itself(tmp_path):
    parsed = {"x": np.random.rand(6, 2).astype(np.float32), "y": np.arange(6) % 2, "task": "classification",
              "classes": ["a", "b"]}  # fmt: skip
    folder = tmp_path / "data" / "uploads"
    try:
        register_upload("good", parsed, workspace=tmp_path)
        register_upload("cut", parsed, workspace=tmp_path)
        (folder / "cut.npz").write_bytes((folder / "cut.npz").read_bytes()[:200])
        np.savez(folder / "nometa.npz", X=parsed["x"], y=parsed["y"])
        for key in ("upload:good", "upload:cut", "upload:nometa"):
            DATASETS.pop(key, None)
        assert [s.name for s in load_saved_uploads(tmp_path)] == ["upload:good"]
        damaged = {k.rsplit("/", 1)[-1]: v for k, v in uploads.DAMAGED.items() if k.startswith(str(folder))}
        assert set(damaged) == {"cut.npz", "nometa.npz"} and "lacks meta" in damaged["nometa.npz"]
        from builder.workspace import Workspace

        assert len(Workspace(tmp_path).damaged_uploads()) == 2
    finally:
        for key in ("upload:good", "upload:cut"):
            DATASETS.pop(key, None)


# -- fuzz: damaged and doctored upload bytes only ever give a DatasetError -----------------------------------------
def _seeds() -> dict:
    csv = ("a,b,label\n" + "".join(f"{i},{i * 2},{i % 2}\n" for i in range(20))).encode()
    return {"npz": npz(X=np.random.rand(20, 3), y=np.arange(20) % 2), "csv": csv, "zip": image_zip(per_class=2)}


SEEDS = _seeds()


@st.composite
def damaged(draw):
    kind = draw(st.sampled_from(sorted(SEEDS)))
    data = bytearray(SEEDS[kind])
    for _ in range(draw(st.integers(0, 6))):
        op, at = draw(st.sampled_from(["flip", "cut", "insert"])), draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[at] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[at:]
            if not data:
                break
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
    return kind, bytes(data)


@settings(max_examples=int(os.environ.get("LAYERLOOM_FUZZ", 300)), deadline=None)
@given(damaged())
def test_damaged_uploads_are_refused_with_a_dataset_error_or_read(case):
    kind, data = case
    parse = {"npz": from_npz, "csv": lambda d: from_csv(d, "label"), "zip": from_image_zip}[kind]
    try:
        parsed = parse(data)
    except DatasetError as e:
        event(f"{kind}: refused")
        assert str(e)
        return
    event(f"{kind}: read")
    assert len(parsed["x"]) == len(parsed["y"]) > 0 and np.isfinite(parsed["x"]).all()
