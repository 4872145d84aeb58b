"""Build: the canvas (most of the page), beside it every issue and the selected node's form; then a summary."""

import streamlit as st

from builder import Validation, validate
from builder.blocks import block_view, owner
from ui import report as report_ui
from ui import session
from ui.canvas import canvas, saved_positions
from ui.design_bar import design_bar
from ui.param_form import block_params_form, node_form
from ui.router import through_app
from ui.text import md

through_app()  # first, before anything is drawn: see ui/router.py

editor = session.editor()

# the canvas's last action, read before rendering so the shapes drawn match the graph in this same run
action = st.session_state.get("canvas")
if action and action.get("nonce") != editor.last_nonce:
    editor.last_nonce = action["nonce"]
    if action.get("action") == "move" and editor.expanded:  # drawn shifted around expanded instances
        action = {**action, "positions": saved_positions(editor.view, editor.expanded, action.get("positions") or {})}
    st.session_state["canvas-message"] = editor.apply(action)

design_bar(editor)
design = editor.view  # the design, the chosen network of a GAN, or the block being edited
report = validate(editor.design if editor.block else design)
shown = block_view(report, editor.block) if editor.block else report
bar = st.container(key="block-bar")  # always there, so the canvas below keeps its place (and its iframe)
if editor.block:
    crumb, back = bar.columns([5, 1], vertical_alignment="center")
    uses = report.blocks.get(editor.block, {}).get("instances", 0)
    crumb.markdown(f"{md(editor.design.name)} › block **{md(editor.block)}** · used {uses} time{'s' * (uses != 1)}: "
                   "editing it changes every instance. Shapes are its first instance's.")  # fmt: skip
    if back.button("Back to the design", key="leave-block", width="stretch"):
        editor.enter(None)
        st.rerun()
    with bar.expander("Block parameters", expanded=False):
        block_params_form(editor)

left, right = st.columns([4.4, 1.1])
with left:  # a new design or network gets a fresh, fitted canvas
    canvas(design, shown or Validation(), editor.selected, key="canvas", notice=st.session_state.get("canvas-message"),
           version=f"{st.session_state['design_id']}:{editor.version}:{editor.network}", blocks=editor.design.blocks,
           expanded=frozenset(editor.expanded & {n.id for n in design.nodes}))  # fmt: skip
with right, st.container(height=640, border=False, key="build-side"):  # scrolls by itself: the canvas stays put
    errors = sum(i.severity == "error" for i in report.issues)
    st.markdown(f"**Issues** · {errors} error{'s' * (errors != 1)}, {len(report.issues) - errors} warning"
                f"{'s' * (len(report.issues) - errors != 1)}" if report.issues else "**Issues**")  # fmt: skip
    if not report.issues:
        st.success("Valid: every shape fits.")
    for k, issue in enumerate(report.issues):
        (st.error if issue.severity == "error" else st.warning)(md(issue.message))
        target = owner(design, issue.node) if report.hierarchical and not editor.block else issue.node
        if target and st.button(f"Select {md(target)}", key=f"issue-{k}"):
            editor.selected = target
            st.rerun()
    st.markdown("**Node**")
    node_form(editor)

report_ui.totals(design, report)
st.dataframe(report_ui.node_table(report), hide_index=True, width="stretch")
session.autosave()
