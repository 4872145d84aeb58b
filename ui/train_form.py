"""The training settings form, built from the engine's own schema (builder.train.SCHEMA)."""

from __future__ import annotations

import streamlit as st

from builder import figures
from builder.train.config import SCHEMA, resolve_config
from builder.train.engine import lr_schedule

BASIC = ("dataset", "task", "optimizer", "lr", "epochs", "batch_size")
ADVANCED = ("loss", "momentum", "nesterov", "weight_decay", "l1", "label_smoothing", "grad_clip", "schedule",
            "step_size", "gamma", "augment_flip", "augment_crop", "input_noise", "early_stopping", "seed",
            "processes")  # fmt: skip
DDP = "ddp:"  # the device choice "N GPUs (DDP)": cuda:0 … cuda:N-1, one process each


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


def settings_form(current: dict, datasets: list[str], devices: list[str], names: dict[str, str] | None = None,
                  key: str = "train", design=None) -> dict:  # fmt: skip
    """Widgets for the settings; returns the chosen values (the engine checks them again before starting). With
    ``design``, the learning rate the chosen schedule gives each epoch is drawn under the schedule settings."""
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
        if design is not None:
            _schedule(design, values, key)
    names = {"auto": "auto (the first GPU, else the CPU)", **(names or {})}
    choices = device_choices(devices)
    names.update({c: f"{c.removeprefix(DDP)} GPUs (DDP)" for c in choices if c.startswith(DDP)})
    cols = st.columns([2, 1])
    chosen = cols[0].selectbox("device", choices, key=f"{key}-device", format_func=lambda d: names.get(d, d),
                               help="the real devices of this machine, with their memory; with several GPUs, "
                               "all of them as one data-parallel run")  # fmt: skip
    values["device"], processes = from_device_choice(chosen)
    if processes:
        values["processes"] = processes
    cuda = values["device"].startswith("cuda") or (values["device"] == "auto" and "cuda:0" in devices)
    values["amp"] = cols[1].checkbox("AMP (mixed precision)", value=bool(current.get("amp", False)) and cuda,
                                     disabled=not cuda, key=f"{key}-amp", help=SCHEMA["amp"].help)  # fmt: skip
    return values


def device_choices(devices: list[str]) -> list[str]:
    """auto, each device, and "N GPUs (DDP)" when more than one GPU is visible."""
    gpus = [d for d in devices if d.startswith("cuda:")]
    return ["auto", *devices, *([f"{DDP}{len(gpus)}"] if len(gpus) > 1 else [])]


def from_device_choice(choice: str) -> tuple[str, int | None]:
    """(device, processes) of a device choice; processes None when the choice does not set them."""
    if choice.startswith(DDP):
        return "cuda:0", int(choice.removeprefix(DDP))
    return choice, None


def _schedule(design, values: dict, key: str) -> None:
    cfg, issues = resolve_config(design, {k: v for k, v in values.items() if k != "dataset"})
    if issues:
        return  # the engine names them when Start is pressed
    lrs = lr_schedule(cfg)
    if lrs is None:
        st.caption("plateau: the learning rate drops by `gamma` when the validation loss stops improving for "
                   "`plateau_patience` epochs, so it is known only as the run goes (it is logged per epoch).")  # fmt: skip
        return
    st.plotly_chart(figures.lr_schedule(lrs, cfg.schedule), key=f"{key}-lr-schedule")
