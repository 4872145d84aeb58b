"""The Data page's parts: a dataset's facts, class balance and sample previews; the upload form."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import streamlit as st

from builder import figures
from builder.data import DatasetSpec, load_dataset
from builder.data.registry import DatasetError
from builder.data.summary import samples, summary
from builder.data.uploads import from_csv, from_image_zip, from_npz, register_upload
from ui.text import md


def facts(spec: DatasetSpec) -> None:
    ds = load_dataset(spec.name)
    info = summary(ds)
    st.markdown(f"**{md(spec.title)}** — {md(spec.description)}")
    cols = st.columns(5)
    cols[0].metric("task", spec.task.replace("_", " "))
    cols[1].metric("one sample", str(tuple(spec.input_shape)), help=f"dtype {spec.dtype}")
    for col, split in zip(cols[2:], ("train", "val", "test")):
        col.metric(split, f"{info['sizes'][split]:,}")
    st.caption(f"Normalization: {info['normalize']}. Split 70/15/15 with the run's seed (time order for forecasting).")
    if "counts" in info:
        st.plotly_chart(figures.class_balance(info["counts"], info["classes"]), key="data-balance")
    else:
        t = info["targets"]
        st.caption(f"Targets ({md(', '.join(spec.targets)) or 'value'}): mean {t['mean']:.4g}, std {t['std']:.4g}, "
                   f"range {t['min']:.4g} … {t['max']:.4g}")  # fmt: skip
    preview(spec, ds, info)


def preview(spec: DatasetSpec, ds, info: dict) -> None:
    x, y = samples(ds, 16)
    classes = info.get("classes", [])
    name = (lambda k: classes[k] if k < len(classes) else str(k)) if classes else str
    if x.ndim == 4:
        st.plotly_chart(figures.image_grid(x, "Sample images", value_range=(float(x.min()), float(x.max())),
                                           labels=[name(int(k)) for k in y]), key="data-preview")  # fmt: skip
    elif x.ndim == 2 and x.shape[1] == 2 and classes:
        xs, ys = ds.x_train[:1000], ds.y_train[:1000]
        st.plotly_chart(figures.scatter_2d(xs, ys, classes, "The training points"), key="data-preview")
    elif x.ndim == 3:
        st.plotly_chart(figures.sequences(x, y, targets=list(spec.targets)), key="data-preview")
    elif spec.dtype == "int64" and ds.vocab:
        words = [" ".join(ds.vocab[i] for i in row if i) for row in x[:8]]
        st.dataframe(pd.DataFrame({"text": words, "label": [name(int(k)) for k in np.ravel(y[:8])]}),
                     hide_index=True, key="data-preview")  # fmt: skip
    else:
        frame = pd.DataFrame(x.reshape(len(x), -1)[:, :20]).add_prefix("x")
        frame["target"] = [name(int(v)) for v in np.ravel(y)] if classes else (y[:, 0] if y.ndim > 1 else y)
        st.dataframe(frame, hide_index=True, key="data-preview")
        st.caption("Feature values after normalization (first 20 features).")


def upload_form(workspace_root) -> None:
    """CSV (choose the target column), NPZ (arrays X and y) or a zip of images in one folder per class."""
    file = st.file_uploader("Upload a dataset: CSV, NPZ (arrays X and y) or a zip of images (a folder per class)",
                            type=["csv", "npz", "zip"], key="data-upload")  # fmt: skip
    if file is None:
        return None
    raw = file.getvalue()
    name = file.name.rsplit(".", 1)[0]
    try:
        if file.name.lower().endswith(".csv"):
            header = next(csv.reader(io.StringIO(raw[:65536].decode("utf-8-sig", errors="replace"))), [])
            cols = st.columns(2)
            target = cols[0].selectbox("target column", header, index=len(header) - 1 if header else None,
                                       key="data-target")  # fmt: skip
            task = cols[1].selectbox("task", ["auto", "classification", "regression"], key="data-task")
            parsed = from_csv(raw, target, task)
        elif file.name.lower().endswith(".npz"):
            parsed = from_npz(raw)
        else:
            cols = st.columns(3)
            imagenet = cols[2].checkbox("ImageNet normalisation", key="data-imagenet",
                                        help="RGB at 224×224, normalised as torchvision's pretrained models expect: "
                                             "for fine-tuning a torchvision template (ResNet, VGG, DenseNet…)")  # fmt: skip
            size = cols[0].number_input("image size", 8, 512, 224 if imagenet else 28, key="data-size")
            channels = cols[1].radio("channels", [1, 3], index=1 if imagenet else 0, horizontal=True,
                                     key="data-channels", disabled=imagenet)  # fmt: skip
            parsed = from_image_zip(raw, int(size), 3 if imagenet else int(channels), imagenet=imagenet)
    except (DatasetError, UnicodeDecodeError) as e:
        st.error(f"{md(file.name)} cannot be used: {md(e)}")
        return None
    st.success(f"{md(file.name)}: {len(parsed['x'])} samples of shape {tuple(parsed['x'].shape[1:])}, "
               f"task {parsed['task']}.")  # fmt: skip
    st.button("Add to the workspace", key="data-add", type="primary", on_click=_add,
              args=(name, parsed, workspace_root))  # fmt: skip
    if st.session_state.get("data-add-error"):
        st.error(md(st.session_state.pop("data-add-error")))
    return None


def _add(name: str, parsed: dict, workspace_root) -> None:
    """Register the upload (saved as plain arrays in the workspace) and show it at once."""
    try:
        spec = register_upload(name, parsed, workspace=workspace_root)
    except (DatasetError, OSError) as e:  # a name taken by another upload, a full disk
        st.session_state["data-add-error"] = str(e)
        return
    st.session_state["data-choice"] = spec.name
    st.session_state["data-added"] = spec.name
