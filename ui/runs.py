"""Run widgets shared by the Train and Visualize pages: which run to show, its progress, results and history."""

from __future__ import annotations

import time
from collections import OrderedDict

import pandas as pd
import streamlit as st

from builder import figures
from builder.data import get_spec
from builder.data.registry import DatasetError
from builder.train.metrics import per_class
from builder.workspace import ACTIVE, MAX_TITLE, DamagedRun, RunBusy, RunInfo, Workspace, optimizer_name
from ui import confirm
from ui.text import code, md


def current_run(ws: Workspace, design_id: str) -> RunInfo | None:
    """The run this tab shows: the one it started or chose, else the design's newest (after a reload)."""
    run_id = st.session_state.get("run_id")
    info = ws.run(run_id) if run_id else None
    if info is None or info.design_id != design_id:
        runs = ws.runs(design_id)
        info = runs[0] if runs else None
    return info


def choose_run(ws: Workspace, design_id: str, key: str) -> RunInfo | None:
    """A picker over the design's runs (newest first), defaulting to the current one."""
    runs = ws.runs(design_id)
    if not runs:
        return None
    current = current_run(ws, design_id)
    ids = [r.run_id for r in runs]
    by_id = {r.run_id: r for r in runs}
    chosen = st.selectbox("Run", ids, index=ids.index(current.run_id) if current else 0, key=key,
                          format_func=lambda i: by_id[i].label)  # fmt: skip
    st.session_state["run_id"] = chosen
    return by_id[chosen]


def where(ws: Workspace, info: RunInfo) -> str:
    """Where an active run executes, its place in the queue and its resource use, in one line."""
    job = ws.live(info.run_id) if info.status in ACTIVE else None
    if job is None:
        return ""
    ahead = job.queue_position
    if ahead is not None:
        return f"waiting: {ahead} run{'s' if ahead != 1 else ''} ahead" if ahead else "waiting: next to start"
    use = job.usage()
    parts = [job.where]
    if "cpu" in use:
        parts.append(f"CPU {use['cpu']:.0f}%")
    if "rss" in use:
        parts.append(f"{use['rss'] / 2**20:,.0f} MiB")
    gpu = info.epochs[-1].get("gpu_memory") if info.epochs else None
    if gpu:
        parts.append(f"GPU {gpu / 2**20:,.0f} MiB")
    return " · ".join(parts)


def progress(ws: Workspace, info: RunInfo) -> None:
    step = next((e for e in reversed(ws.events(info.run_id)) if e.kind == "step"), None)
    if info.status == "queued":
        st.progress(0.0, text=where(ws, info) or "waiting for a worker…")
    elif info.status in ("running", "paused") and step is not None:
        d = step.data
        label = "paused · " if info.status == "paused" else ""
        st.progress(min(d["progress"], 1.0), text=f"{label}epoch {d['epoch']}/{info.config.get('epochs')} · loss "
                    f"{d['loss']:.4f} · {d['samples_per_s']:,.0f} samples/s · ETA {d['eta']:.0f} s")  # fmt: skip
    elif info.status in ("running", "paused"):
        st.progress(0.0, text="preparing the data and the model…")


def curves(info: RunInfo, key: str) -> None:
    if not info.epochs:
        return
    last = info.epochs[-1]
    first = "loss" if "loss" in last.get("train", {}) else "d_loss"  # a GAN has two losses, no validation
    metrics = [m for m in ("accuracy", "f1", "precision", "recall", "mae", "rmse", "r2", "g_loss", "d_real", "d_fake")
               if m in last.get("val", {}) or m in last.get("train", {})]  # fmt: skip
    cols = st.columns(2)
    cols[0].plotly_chart(_curves(info, first), key=f"{key}-loss")
    if metrics:
        metric = cols[1].selectbox("metric", metrics, key=f"{key}-metric", label_visibility="collapsed")
        cols[1].plotly_chart(_curves(info, metric), key=f"{key}-{metric}")


_drawn: OrderedDict = OrderedDict()  # (run, epochs so far, metric) -> figure: a live view's poll redraws nothing new


def _curves(info: RunInfo, metric: str):
    """The curve figure of a run's epochs so far, built once per new epoch (shared by the sessions that show it;
    Streamlit only reads a figure)."""
    key = (str(info.path), len(info.epochs), metric)
    figure = _drawn.pop(key, None) or figures.curves(info.epochs, metric)
    _drawn[key] = figure
    while len(_drawn) > 64:
        _drawn.popitem(last=False)
    return figure


def outcome(info: RunInfo, key: str) -> None:
    """The end of a run: its message, test metrics, confusion matrix and per-class precision/recall/F1."""
    for problem in info.problems:
        st.warning(f"Damaged: {md(problem)}. The rest of this run is shown.")
    if info.status in (*ACTIVE, "damaged"):
        return
    if info.status == "interrupted":
        st.warning("This run was cut off (the app stopped while it trained). Its curves and last checkpoint are "
                   "kept; continue it from the run history below.")  # fmt: skip
        return
    message = info.end.get("message") or f"Run {info.status}."
    (st.error if info.status == "failed" else st.success)(md(message))
    test = info.test_metrics
    scores = {k: v for k, v in test.items() if isinstance(v, float)}
    if scores:
        cols = st.columns(len(scores))
        for col, (name, value) in zip(cols, scores.items()):
            col.metric(f"test {name}", f"{value:.4f}")
    if "confusion" in test:
        try:
            classes = list(get_spec(info.config.get("dataset", "")).classes)
        except DatasetError:
            classes = []
        names = classes if len(classes) == len(test["confusion"]) else [str(i) for i in range(len(test["confusion"]))]
        cols = st.columns([3, 2])
        cols[0].plotly_chart(figures.confusion(test["confusion"], names), key=f"{key}-confusion")
        cols[1].dataframe(pd.DataFrame(per_class(test["confusion"], names)), hide_index=True, key=f"{key}-per-class",
                          column_config={k: st.column_config.NumberColumn(format="%.3f")
                                         for k in ("precision", "recall", "f1")})  # fmt: skip


def history_table(runs: list[RunInfo]) -> pd.DataFrame:
    rows = []
    for r in runs:
        c, best = r.config, r.epochs[-1] if r.epochs else {}
        row = {"run": r.run_id, "name": r.title, "started": time.strftime("%m-%d %H:%M:%S", time.localtime(r.created)),
               "status": r.status, "dataset": c.get("dataset"), "optimizer": optimizer_name(c), "lr": c.get("lr"),
               "epochs": f"{len(r.epochs)}/{c.get('epochs')}", "val loss": best.get("val", {}).get("loss")}  # fmt: skip
        row.update({f"test {k}": v for k, v in r.test_metrics.items() if isinstance(v, float)})
        rows.append(row)
    return pd.DataFrame(rows)


def overlay(runs: list[RunInfo], key: str) -> None:
    """Runs chosen from the history on one chart (the optimizer comparison); GAN runs as G and D losses."""
    by_id = {r.run_id: r for r in runs}
    chosen = st.multiselect("Overlay runs", list(by_id), default=list(by_id)[:6], key=f"{key}-overlay-{len(runs)}",
                            format_func=lambda i: by_id[i].label)  # fmt: skip
    drawn = [i for i in chosen if by_id[i].epochs]
    if not drawn:
        if chosen:
            st.caption("The chosen runs have no finished epoch yet: their curves appear after the first.")
        return
    labels = [(f"{by_id[i].short_label} · {by_id[i].status} · {i[-6:]}", by_id[i].epochs) for i in drawn]
    if all(by_id[i].config.get("task") == "gan" for i in drawn):  # no validation split: both losses per run
        st.plotly_chart(figures.overlay(labels, split="train", metrics=["g_loss", "d_loss"]), key=f"{key}-overlay-gan")
        return
    last = [by_id[i].epochs[-1] for i in drawn]
    splits = [s for s in ("val", "train") if any(e.get(s) for e in last)]
    split_metrics = {s: sorted({m for e in last for m in e.get(s, {}) if m != "confusion"}) for s in splits}
    cols = st.columns([1, 1, 4])
    split = cols[1].radio("split", splits, horizontal=True, key=f"{key}-overlay-split")
    metric = cols[0].selectbox("metric", split_metrics[split], key=f"{key}-overlay-metric")
    st.plotly_chart(figures.overlay(labels, metric, split), key=f"{key}-overlay-chart")


CONFIRM = "confirm-delete-run"  # the run whose deletion is being confirmed (ui/confirm.py)


def _delete_run(ws: Workspace, run_id: str) -> str:
    ws.delete_run(run_id)
    if st.session_state.get("run_id") == run_id:
        st.session_state.pop("run_id")
    return f"Deleted the run {run_id}."


def manage(ws: Workspace, runs: list[RunInfo], key: str) -> None:
    """Name a run (shown in the history and the overlays) or delete it (with a confirmation)."""
    by_id = {r.run_id: r for r in runs}
    with st.popover("Rename or delete a run", icon=":material/edit:"):
        run_id = st.selectbox("Run", list(by_id), format_func=lambda i: by_id[i].label, key=f"{key}-manage-run")
        info = by_id[run_id]
        title = st.text_input("Name", value=info.title, max_chars=MAX_TITLE, key=f"{key}-title-{run_id}",
                              placeholder=info.short_label, help="empty: the run is named by its settings")  # fmt: skip
        cols = st.columns(2)
        if cols[0].button("Rename", key=f"{key}-rename-run", width="stretch", disabled=title == info.title):
            try:
                ws.rename_run(run_id, title)
            except (ValueError, KeyError, DamagedRun) as e:
                st.error(md(str(e)))
            else:
                st.rerun()
        busy = info.status in ACTIVE
        cols[1].button("Delete…", key=f"{key}-delete-run", width="stretch", icon=":material/delete:", disabled=busy,
                       help="stop the run first" if busy else "deletes the run's folder, after a confirmation",
                       on_click=confirm.ask, args=(CONFIRM, run_id))  # fmt: skip
    asked = by_id.get(st.session_state.get(CONFIRM))
    if asked is not None:
        confirm.show(CONFIRM, asked.run_id, "Delete this run?",
                     f"The run **{md(asked.short_label)}** ({code(asked.run_id)}) is deleted with its checkpoints, "
                     "logs and TensorBoard files. This cannot be undone.", lambda: _delete_run(ws, asked.run_id),
                     key="delete-run", errors=(RunBusy, KeyError))  # fmt: skip


def fine_tuning(editor, ws, design_id: str, values: dict) -> None:
    """For a design that carries weights (imported or pretrained, kept as designs/<id>.pt): say what a run starts
    from, the pretrained layers' learning rate, and a new head for the chosen dataset's classes in one click."""
    from builder.finetune import frozen_nodes
    from builder.plan import plan
    from builder.train.config import SCHEMA

    weights = ws.designs_dir / f"{design_id}.pt"
    if not weights.is_file() or editor.design.multi:
        return
    p = plan(editor.design)
    frozen = len(frozen_nodes(p)) if p.valid else 0
    with st.container(border=True):
        st.markdown("**Fine-tuning** — runs of this design start from its own weights "
                    f"({code(weights.name)}), for every layer they still fit; {frozen} layer(s) frozen (untick "
                    "*trainable* on the Build page to freeze one).")  # fmt: skip
        cols = st.columns([1, 1])
        values["pretrained_lr"] = cols[0].number_input(
            "pretrained_lr", min_value=0.0, max_value=1.0, step=0.05, key="train-pretrained_lr",
            value=float((editor.design.training or {}).get("pretrained_lr", SCHEMA["pretrained_lr"].default)),
            help=SCHEMA["pretrained_lr"].help)  # fmt: skip
        spec = get_spec(values.get("dataset", "digits"))
        classes = len(spec.classes)
        if classes >= 2 and cols[1].button(f"New head for {spec.name}'s {classes} classes", key="train-new-head",
                                           help="the Linear that sets the output's width gets one output per class "
                                                "and starts fresh; the other layers keep their weights"):  # fmt: skip
            message = editor.apply({"action": "new_head", "classes": classes})
            if message:
                st.error(md(message))
            else:
                from ui import session

                session.autosave()
                st.rerun()
