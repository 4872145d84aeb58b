"""Export: model.py, a verified model.onnx, the weights and train.py to download; the code; TensorBoard."""

import streamlit as st

from builder.export import onnx_problems
from builder.export.bundle import export_bundle
from builder.plan import plan
from builder.workspace import DamagedRun, Workspace
from ui import export_view, session
from ui.i18n import t
from ui.router import through_app
from ui.text import md

through_app()  # first, before anything is drawn: see ui/router.py

editor = session.editor()
design, design_id, ws = editor.design, st.session_state["design_id"], session.workspace()
st.title(t("nav.export"))
network = None
if design.multi:
    network = st.radio("Network", list(design.networks), horizontal=True, key="export-network")
runs = [r for r in ws.runs(design_id) if r.status not in ("failed", "damaged")]
run = export_view.weights_choice(runs, key="export-weights")
try:
    source = Workspace.run_design(run) if run else design  # trained weights fit the design as it was trained
except DamagedRun as e:
    st.error(f"Run {md(run.run_id)} cannot be exported: {md(e)}")
    st.stop()
whole = plan(source)  # checked once: the page, the code shown and every export take this plan
target = whole.network(network) if network else whole
report = target.report
if not report.valid:
    st.error("The design has errors, so there is nothing to export yet: fix them on the Build page.")
    for issue in report.errors:
        st.markdown(f"- {md(issue.message)}")
    st.stop()
for _node, why in onnx_problems(target, report):
    st.warning(f"ONNX cannot export {md(why)}")

choice = (design_id, run.run_id if run else None, network)
if st.button("Export", type="primary", key="export-go", icon=":material/package_2:"):
    folder = ws.inside("exports", design_id, run.run_id if run else "untrained", network or "model")
    weights = run.checkpoint if run else None
    with st.spinner("Writing model.py, exporting and verifying ONNX, writing train.py…"):
        try:
            st.session_state["export"] = (choice, export_bundle(whole, folder, weights, network))
        except (OSError, MemoryError) as e:  # a full disk, a model too big for this machine: earlier files stay
            st.error(md(e))
if st.session_state.get("export", (None,))[0] == choice:  # the files of what is chosen now, not a former choice
    _, bundle = st.session_state["export"]
    export_view.downloads(bundle, key="export")
    st.caption(f"Written to `{bundle.folder}`.")

st.subheader("The code")
st.code(target.source, language="python", line_numbers=True)

st.subheader("TensorBoard")
logdir = run.path if run else ws.runs_dir
st.caption(f"Scalars, histograms, images and the graph LayerLoom logged for {'this run' if run else 'every run'}.")
if st.button("Start TensorBoard", key="export-tensorboard", disabled=not logdir.exists()):
    from builder import tensorboard

    try:
        st.session_state["tensorboard"] = tensorboard.serve(logdir)
    except RuntimeError as e:
        st.error(md(e))
if st.session_state.get("tensorboard"):
    st.link_button("Open TensorBoard", st.session_state["tensorboard"], icon=":material/open_in_new:")
