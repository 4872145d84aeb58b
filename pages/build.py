"""Build: the canvas, the selected node's form, every issue, and a summary. The start page."""

import streamlit as st

from builder import validate
from ui import report as report_ui
from ui import session
from ui.canvas import canvas
from ui.design_bar import design_bar
from ui.param_form import node_form
from ui.router import through_app
from ui.text import md

through_app()  # first, before anything is drawn: see ui/router.py

editor = session.editor()

# the canvas's last action, read before rendering so the shapes drawn match the graph in this same run
action = st.session_state.get("canvas")
if action and action.get("nonce") != editor.last_nonce:
    editor.last_nonce = action["nonce"]
    st.session_state["canvas-message"] = editor.apply(action)

st.title("Build")
design_bar(editor)
design = editor.view  # the design, or the chosen network of a GAN
report = validate(design)
if st.session_state.get("canvas-message"):
    st.warning(md(st.session_state["canvas-message"]))

left, right = st.columns([3, 1])
with left:
    canvas(design, report, editor.selected, key="canvas", version=editor.version)
with right:
    st.subheader("Issues")
    if not report.issues:
        st.success("Valid: every shape fits.")
    for k, issue in enumerate(report.issues):
        (st.error if issue.severity == "error" else st.warning)(md(issue.message))
        if issue.node and st.button(f"Select {md(issue.node)}", key=f"issue-{k}"):
            editor.selected = issue.node
            st.rerun()
    st.subheader("Node")
    node_form(editor)

report_ui.totals(design, report)
st.dataframe(report_ui.node_table(report), hide_index=True, width="stretch")
session.autosave()
