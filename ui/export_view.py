"""The Export page's parts: what to export (network, weights), the files with their downloads, TensorBoard."""

from __future__ import annotations

import streamlit as st

from builder.export.bundle import Bundle
from builder.workspace import RunInfo
from ui.text import md

MIME = {"model.py": "text/x-python", "train.py": "text/x-python", "model.onnx": "application/octet-stream",
        "model.pt": "application/octet-stream", "data.npz": "application/octet-stream"}  # fmt: skip
WHAT = {"model.py": "the model as readable PyTorch (the exact source LayerLoom runs); `python model.py` runs it",
        "model.pt": "the trained weights: `model.load_state_dict(torch.load('model.pt'))`",
        "model.onnx": "the model for onnxruntime, TensorRT, OpenVINO… verified against PyTorch below",
        "train.py": "a standalone training script (plain PyTorch, the same recipe as here; `torchrun` for several "
                    "GPUs): `python train.py` trains on data.npz beside it",
        "data.npz": "the dataset exactly as it trains here (split and normalized): X_train, y_train, X_val, y_val, "
                    "X_test, y_test"}  # fmt: skip


MAX_DOWNLOAD = 64 * 2**20  # bigger files are named by their path in the workspace instead


def weights_choice(runs: list[RunInfo], key: str) -> RunInfo | None:
    """None (fresh initialization) or a run whose best checkpoint to export."""
    usable = [r for r in runs if r.checkpoint is not None]
    options = [None, *usable]
    return st.selectbox("Weights", options, key=key, index=1 if usable else 0,
                        format_func=lambda r: "untrained (fresh initialization, seed 0)" if r is None else
                        f"trained: {r.label} · {best_metric(r)}")  # fmt: skip


def best_metric(run: RunInfo) -> str:
    """What the exported checkpoint scored: the best epoch's validation loss (and accuracy when there is one);
    best.pt is written at that epoch, last.pt every epoch."""
    scored = [e for e in run.epochs if isinstance(e.get("val", {}).get("loss"), (int, float))]
    if not scored:
        return "no validation yet" if not (run.path / "best.pt").exists() else "best checkpoint"
    best = min(scored, key=lambda e: e["val"]["loss"])
    acc = best["val"].get("accuracy")
    extra = f", accuracy {acc:.3f}" if isinstance(acc, (int, float)) else ""
    return f"best val loss {best['val']['loss']:.4f}{extra} (epoch {best.get('epoch', '?')})"


def downloads(bundle: Bundle, key: str) -> None:
    for file in ("model.py", "model.pt", "model.onnx", "train.py", "data.npz"):
        if file not in bundle.files and file not in bundle.problems:
            continue  # (model.pt of an untrained export): no empty row
        cols = st.columns([1, 3])
        if file in bundle.files and bundle.files[file].stat().st_size > MAX_DOWNLOAD:
            path = bundle.files[file]  # a download button holds the file in the server's memory: not for this size
            cols[0].button(file, disabled=True, key=f"{key}-{file}-big", width="stretch")
            cols[1].caption(f"{WHAT[file]} · {path.stat().st_size / 2**20:,.0f} MB, too big to download here (over "
                            f"{MAX_DOWNLOAD // 2**20} MB): copy it from `{path}`")  # fmt: skip
        elif file in bundle.files:
            path = bundle.files[file]
            cols[0].download_button(
                file,
                path.read_bytes(),
                file_name=file,
                mime=MIME[file],
                key=f"{key}-{file}",
                icon=":material/download:",
                width="stretch",
            )  # the name the page shows
            cols[1].caption(f"{WHAT[file]} · {path.stat().st_size / 1024:,.1f} kB")
        elif file in bundle.problems:
            cols[0].button(file, disabled=True, key=f"{key}-{file}-off", width="stretch")
            cols[1].warning(md(bundle.problems[file]))
    if bundle.onnx is not None:
        o = bundle.onnx
        st.success(f"ONNX verified with onnxruntime: outputs match PyTorch within {o.max_abs_diff:.2e} (largest "
                   f"absolute difference) at batch sizes {o.verified_batches}"
                   f"{f' and sequence lengths {o.verified_lengths}' if o.verified_lengths else ''}; opset {o.opset}, "
                   f"{o.exporter} exporter, {o.seconds:.2f} s.")  # fmt: skip
        st.caption(f"inputs {o.inputs} · outputs {o.outputs} · dynamic axes {o.dynamic_axes}")
