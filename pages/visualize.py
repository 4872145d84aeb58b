"""Visualize: inside the running (or a finished) run — the latest probe snapshot, live while it trains — or one
sample followed through the network node by node."""

import streamlit as st

from builder.workspace import ACTIVE, DamagedRun
from ui import follow as follow_ui
from ui import runs as runs_ui
from ui import session
from ui import visualize as viz
from ui.i18n import t
from ui.router import through_app
from ui.text import md

through_app()  # first, before anything is drawn: see ui/router.py

editor = session.editor()
design_id, ws = st.session_state["design_id"], session.workspace()
st.title(t("nav.visualize"))
modes = {"snapshots": t("viz.snapshots"), "follow": t("viz.follow")}
linked = "follow" if st.query_params.get("view") == "follow" else "snapshots"  # ?view=follow opens that view
mode = st.segmented_control("View", list(modes), format_func=modes.get, default=linked, required=True, key="view",
                            label_visibility="collapsed")  # fmt: skip
if mode == "follow":
    follow_ui.show(ws, editor.design, design_id)
    st.stop()
st.caption(f"Design **{md(editor.design.name)}** — snapshots of the model's insides on a fixed batch of validation "
           "samples, taken while it trains (kept under 3% of the training time) and at the end of the run.")  # fmt: skip
info = runs_ui.choose_run(ws, design_id, key="viz-run")
if info is None:
    st.info(
        "No runs of this design yet: train it on the Train page, then watch it learn here — or follow one "
        "sample through the untrained network (above)."
    )
    st.stop()


@st.fragment(run_every=1.0 if info.status in ACTIVE else None)
def live():
    status = ws.run(info.run_id).status
    try:
        snap = ws.snapshot(info.run_id)
    except DamagedRun as e:
        st.warning(md(e))
        return
    if info.status in ACTIVE and status not in ACTIVE:
        st.rerun()  # the run just ended: one full redraw, after which the page stops polling
    if snap is None:
        st.info("Waiting for the first snapshot…" if status in ACTIVE else
                "This run left no snapshot (probes were off, or it stopped before the first one).")  # fmt: skip
        return
    st.caption(f"Snapshot at epoch {snap.get('epoch')}, step {snap.get('step')} · run {status}")
    viz.show(snap, key="viz")


live()
