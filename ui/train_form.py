"""The training settings form, built from the engine's own schema (builder.train.SCHEMA)."""

from __future__ import annotations

import streamlit as st

from builder.train.config import SCHEMA

BASIC = ("dataset", "task", "optimizer", "lr", "epochs", "batch_size")
ADVANCED = ("loss", "momentum", "nesterov", "weight_decay", "l1", "label_smoothing", "grad_clip", "schedule",
            "step_size", "gamma", "augment_flip", "augment_crop", "input_noise", "early_stopping", "seed")  # fmt: skip


def _widget(name: str, value, key: str):
    p = SCHEMA[name]
    kind = p.describe()["kind"]
    if kind == "bool":
        return st.checkbox(name, value=bool(value), help=p.help, key=key)
    if kind == "choice":
        options = list(p.choices)
        return st.selectbox(name, options, index=options.index(value) if value in options else 0, help=p.help, key=key)
    if kind == "int":
        return int(st.number_input(name, value=int(value), min_value=p.min, max_value=p.max, step=1, help=p.help,
                                   key=key))  # fmt: skip
    lo, hi = (None if v is None else float(v) for v in (p.min, p.max))
    return float(st.number_input(name, value=float(value), min_value=lo, max_value=hi, format="%g", help=p.help,
                                 key=key))  # fmt: skip


def settings_form(current: dict, datasets: list[str], devices: list[str], key: str = "train") -> dict:
    """Widgets for the settings; returns the chosen values (the engine checks them again before starting)."""
    SCHEMA["dataset"].choices = tuple(datasets)
    SCHEMA["device"].choices = ("auto", *devices)
    values = {}
    cols = st.columns(3)
    for i, name in enumerate(BASIC):
        with cols[i % 3]:
            values[name] = _widget(name, current.get(name, SCHEMA[name].default), f"{key}-{name}")
    with st.expander("Optimizer details, schedule, regularization, augmentation"):
        cols = st.columns(3)
        for i, name in enumerate(ADVANCED):
            with cols[i % 3]:
                values[name] = _widget(name, current.get(name, SCHEMA[name].default), f"{key}-{name}")
    values["device"] = st.selectbox("device", SCHEMA["device"].choices, key=f"{key}-device",
                                    help="auto picks the first GPU, else the CPU")  # fmt: skip
    return values
