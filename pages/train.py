"""Train: the settings form, start/pause/resume/stop, live curves, results, and the design's run history."""

import streamlit as st

from builder.data import list_datasets
from builder.train import TrainError, devices
from builder.train.sweep import compare_optimizers
from builder.workspace import ACTIVE
from ui import runs as runs_ui
from ui import session
from ui.i18n import t
from ui.router import through_app
from ui.text import code, md
from ui.train_form import settings_form

through_app()  # first, before anything is drawn: see ui/router.py

editor = session.editor()
design, design_id, ws = editor.design, st.session_state["design_id"], session.workspace()
ws.register_uploads()
st.title(t("nav.train"))
st.caption(f"Design **{md(design.name)}** ({code(design_id)}) — edit it on the Build page. Runs are kept in the workspace "
           f"folder `{ws.root}`, with their checkpoints and TensorBoard logs.")  # fmt: skip

current = {**{"dataset": design.metadata.get("dataset", "digits")}, **(design.training or {})}
devs = devices()
names = {d["id"]: f"{d['id']} — {d['name']}" + (f", {d['memory'] / 2**30:.0f} GiB" if d.get("memory") else "")
         for d in devs}  # fmt: skip
values = settings_form(
    current, [s.name for s in list_datasets() if s.group != "Files"], list(names), names, design=design
)
runs_ui.fine_tuning(editor, ws, design_id, values)
info = runs_ui.current_run(ws, design_id)
run = ws.live(info.run_id) if info else None
sequence = st.session_state.get("sequence")
busy = (run is not None and run.alive) or (sequence is not None and sequence.alive)
left, mid, right, compare, _ = st.columns([1, 1, 1, 2, 1])
start = left.button("Start", type="primary", disabled=busy, key="train-start")
sweep = compare.button("Compare optimizers", disabled=busy, key="train-compare", icon=":material/stacked_line_chart:",
                       help="trains this design with SGD, Momentum, Nesterov, AdaGrad, RMSProp and Adam, one after "
                       "another, each at its usual learning rate; the runs are then overlaid below")  # fmt: skip
if start or sweep:
    try:
        if start:
            st.session_state["run_id"] = ws.start(design, values, design_id).run_id
        else:
            st.session_state["sequence"] = compare_optimizers(ws, design, values, design_id)
            st.session_state.pop("run_id", None)  # show each newest run as the sequence goes
        design.training = {k: v for k, v in values.items() if k != "device"}  # the form comes back after a reload
        session.autosave()
        st.rerun()
    except (TrainError, ValueError, OSError) as e:
        for issue in getattr(e, "issues", None) or [e]:
            st.error(md(getattr(issue, "message", str(issue))))
paused = run is not None and run.paused
if mid.button("Resume" if paused else "Pause", disabled=not (run is not None and run.alive), key="train-pause"):
    run.resume() if paused else run.pause()
    st.rerun()  # the button's label follows
if right.button("Stop", disabled=not busy, key="train-stop"):
    (sequence if sequence is not None and sequence.alive else run).stop()
    if run is not None:
        run.join(10)  # stops within a batch; the page then shows where it stopped
    st.rerun()


# while a started run has no epoch yet the view polls 4× a second (the first point shows as soon as it exists), then
# once a second, as it does while a run waits in the queue; an idle page does not poll at all
waiting = busy and info is not None and not info.epochs and info.status != "queued"  # (queued: once a second)


@st.fragment(run_every=(0.25 if waiting else 1.0) if busy else None)
def live():
    """Polls the run log (the worker never calls Streamlit) and redraws progress, curves and results."""
    info = runs_ui.current_run(ws, design_id)
    ended = info is not None and info.status not in ACTIVE
    if busy and ended and not (sequence is not None and sequence.alive):
        st.rerun()  # the run (or the sequence) just ended: redraw the whole page once, then stop polling
    if sequence is not None and sequence.alive:
        st.caption(f"Comparing optimizers: run {len(sequence.runs)} of {len(sequence.settings)}")
    elif sequence is not None and sequence.error is not None:
        st.error(f"The comparison stopped after {len(sequence.runs)} run(s): the next could not start: "
                 f"{md(sequence.error)}")  # fmt: skip
    if info is None:
        st.info("Choose the settings and press Start. Every run of this design is listed below, kept on disk.")
        return
    at = runs_ui.where(ws, info) if info.status != "queued" else ""  # (a queued run's place is on its bar)
    st.caption(f"Run `{info.run_id}` · {info.status}" + (f" · {at}" if at else ""))
    runs_ui.progress(ws, info)
    runs_ui.curves(info, "train-live")
    runs_ui.outcome(info, "train-live")


live()

history = ws.runs(design_id)
if history:
    st.subheader("Run history")
    st.dataframe(runs_ui.history_table(history), hide_index=True, width="stretch", key="run-history")
    runs_ui.manage(ws, history, "train")
    runs_ui.overlay(history, "train")
    cut = [r for r in history if r.status in ("interrupted", "stopped") and (r.path / "last.pt").exists()]
    if cut and not busy:
        cols = st.columns([3, 1])
        pick = cols[0].selectbox("Continue a stopped or interrupted run", [r.run_id for r in cut], key="continue")
        if cols[1].button("Continue run", key="train-continue"):
            try:
                st.session_state["run_id"] = ws.start(
                    design, {}, design_id, resume=ws.runs_dir / pick / "last.pt"
                ).run_id
                st.rerun()
            except (TrainError, ValueError, OSError) as e:  # a damaged checkpoint, a full disk
                st.error(md(e))
