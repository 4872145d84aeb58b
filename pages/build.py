"""Build: the canvas, the selected node's form, every issue, and a summary. The start page."""

import streamlit as st

from builder import validate
from builder.design import DesignFormatError, dumps, load_design, loads
from builder.edit import Editor, blank
from builder.templates import list_templates
from ui import report as report_ui
from ui.canvas import canvas
from ui.param_form import node_form

editor: Editor = st.session_state.setdefault("editor", Editor(blank()))


@st.cache_data
def single_network_templates() -> dict[str, tuple[str, str]]:
    """name -> (title, path) of the templates with one network; read-only, shared by every session."""
    return {t.name: (t.title, str(t.path)) for t in list_templates() if len(t.designs()) == 1}


# the canvas's last action, read before rendering so the shapes drawn match the graph in this same run
action = st.session_state.get("canvas")
if action and action.get("nonce") != editor.last_nonce:
    editor.last_nonce = action["nonce"]
    st.session_state["canvas-message"] = editor.apply(action)

st.title("Build")
bar = st.columns([3, 1, 1, 2])
templates = single_network_templates()
names = list(templates)
choice = bar[0].selectbox("Template", names, index=names.index("lenet5"), format_func=lambda n: templates[n][0],
                          key="build-template")  # fmt: skip
if bar[1].button("Load template", key="load-template"):
    editor.replace(load_design(templates[choice][1]))
if bar[2].button("New design", key="new-design"):
    editor.replace(blank())
upload = bar[3].file_uploader("Open a design", type=["json"], key="open-design", label_visibility="collapsed")
if upload is not None and st.session_state.get("opened") != upload.file_id:
    st.session_state["opened"] = upload.file_id
    try:
        editor.replace(loads(upload.getvalue(), upload.name))
    except DesignFormatError as e:
        st.error(f"This file cannot be opened: {e}")

design = editor.design
report = validate(design)
if st.session_state.get("canvas-message"):
    st.warning(st.session_state["canvas-message"])

left, right = st.columns([3, 1])
with left:
    canvas(design, report, editor.selected, key="canvas", version=editor.version)
with right:
    st.subheader("Issues")
    if not report.issues:
        st.success("Valid: every shape fits.")
    for k, issue in enumerate(report.issues):
        (st.error if issue.severity == "error" else st.warning)(issue.message)
        if issue.node and st.button(f"Select {issue.node}", key=f"issue-{k}"):
            editor.selected = issue.node
            st.rerun()
    st.subheader("Node")
    node_form(editor)

st.download_button("Save design (.json)", dumps(design), file_name=f"{design.name}.json", mime="application/json",
                   key="save-design")  # fmt: skip
report_ui.totals(design, report)
st.dataframe(report_ui.node_table(report), hide_index=True, width="stretch")
