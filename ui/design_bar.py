"""The Build page's design bar: templates (with descriptions), new, duplicate, my designs, open a file, name."""

from __future__ import annotations

import time

import streamlit as st

from builder import layout
from builder.design import DesignFormatError, dumps, loads
from builder.edit import Editor, blank
from builder.templates import list_templates, load_template
from builder.workspace import RunBusy
from ui import confirm, session
from ui.text import code, md


@st.cache_data
def gallery() -> dict[str, tuple[str, str]]:
    """name -> (title, description) of every template; read-only, the same for every session."""
    return {t.name: (t.title, t.description) for t in list_templates()}


def _load_template() -> None:
    """A copy of the template, laid out to fit this tab's canvas (the file's positions suit a 1440×900 window)."""
    session.open_design(layout.apply(load_template(st.session_state["build-template"]), session.canvas_view()))


def _duplicate() -> None:
    copy = st.session_state["editor"].design.copy()
    copy.name = f"{copy.name}-copy"
    session.open_design(copy)


def _open_saved() -> None:
    chosen, st.session_state["my-designs"] = st.session_state["my-designs"], None
    try:
        session.open_design(session.workspace().load(chosen), new_id=False, design_id=chosen)
    except (KeyError, DesignFormatError) as e:
        st.session_state["session-message"] = f"This design cannot be opened: {e}"


def _open_file() -> None:
    """A design file, or an ONNX model imported as a design with its weights (parsed with onnx, no code run;
    size-limited). Python files are never accepted here: importing one runs it (the CLI does that, locally)."""
    upload = st.session_state["open-design"]
    if upload is None:
        return
    if upload.name.lower().endswith(".onnx"):
        from builder.importer import MAX_UPLOAD_BYTES, ImportProblem, from_onnx

        if upload.size > MAX_UPLOAD_BYTES:
            st.session_state["session-message"] = (
                f"{upload.name} is {upload.size / 2**20:.0f} MiB; an ONNX upload may be at most "
                f"{MAX_UPLOAD_BYTES / 2**20:.0f} MiB. Import bigger files with `python -m builder import`.")  # fmt: skip
            return
        try:
            design = from_onnx(upload.getvalue(), name=upload.name.rsplit(".", 1)[0])
        except ImportProblem as e:
            st.session_state["session-message"] = f"This ONNX file cannot be imported: {e}"
            return
        session.open_design(layout.apply(design, session.canvas_view()))
        st.session_state["session-message-info"] = (
            f"Imported {upload.name}: {len(design.nodes)} layers, with its weights (kept beside the design). Its "
            "outputs match onnxruntime's.")  # fmt: skip
        return
    try:
        session.open_design(loads(upload.getvalue(), upload.name))
    except DesignFormatError as e:
        st.session_state["session-message"] = f"This file cannot be opened: {e}"


CONFIRM = "confirm-delete-design"  # the design id whose deletion is being confirmed (ui/confirm.py)


def _delete(design_id: str, name: str) -> str:
    gone = session.workspace().delete_design(design_id)
    session.open_design(blank())
    return f"Deleted the design {name!r} and {len(gone)} run{'s' * (len(gone) != 1)}."


def _confirm_delete(design_id: str, name: str) -> None:
    runs = session.workspace().runs(design_id)
    confirm.show(CONFIRM, design_id, "Delete this design?",
                 f"**{md(name)}** ({code(design_id)}) and its {len(runs)} run{'s' * (len(runs) != 1)} (checkpoints, "
                 "logs, TensorBoard files) are deleted from the workspace. This cannot be undone; save the design as "
                 "a file first to keep a copy.", lambda: _delete(design_id, name), key="delete-design",
                 errors=(RunBusy,))  # fmt: skip


def design_bar(editor: Editor) -> None:
    """One row: the design's name, a template to load, new, duplicate, my designs (open, delete), open and save a
    file; then one line saying where the design is kept."""
    templates = gallery()
    names = list(templates)
    design_id = st.session_state["design_id"]
    cols = st.columns([1.6, 2.2, 1.25, 1.1, 1, 1.25], vertical_alignment="bottom")
    name = cols[0].text_input("Design name", value=editor.design.name, key=f"design-name-{design_id}",
                              help="renaming keeps the design's id (its file and its runs stay the same)")  # fmt: skip
    if name.strip() and name.strip() != editor.design.name:
        editor.design.name = name.strip()
    shown = st.session_state.get("build-template", "lenet5")
    cols[1].selectbox("Template", names, index=names.index("lenet5"), key="build-template",
                      format_func=lambda n: templates[n][0], help=templates.get(shown, ("", ""))[1])  # fmt: skip
    cols[2].button("Load template", key="load-template", type="primary", width="stretch", on_click=_load_template,
                   help="opens a copy of the template as a new design; this one stays in the workspace")  # fmt: skip
    cols[3].button("New design", key="new-design", width="stretch", on_click=session.open_design, args=(blank(),))
    cols[4].button("Duplicate", key="duplicate-design", width="stretch", on_click=_duplicate,
                   help="a copy under a new id; this design stays as it is")  # fmt: skip
    saved = [e for e in session.workspace().designs() if e.id != design_id]
    labels = {e.id: f"{e.name} · {time.strftime('%m-%d %H:%M', time.localtime(e.modified))} · {e.id}" for e in saved}
    with cols[5].popover("My designs", icon=":material/folder_open:", width="stretch"):
        st.selectbox("Open a saved design", list(labels), index=None, format_func=labels.get, key="my-designs",
                     placeholder=f"one of {len(labels)} saved designs…", on_change=_open_saved)  # fmt: skip
        st.file_uploader("Open a design file (.json) or import an ONNX model (.onnx)", type=["json", "onnx"],
                         key="open-design", on_change=_open_file,
                         help="an .onnx file becomes a design with its weights (read with onnx; nothing in it is "
                              "run as code). To import a PyTorch model, run `python -m builder import` on your "
                              "machine.")  # fmt: skip
        st.download_button("Save file", dumps(editor.design), file_name=f"{editor.design.name}.json",
                           mime="application/json", key="save-design", width="stretch", icon=":material/download:",
                           help="this design as a JSON file (the LayerLoom design format)")  # fmt: skip
        st.caption(f"This design: **{md(editor.design.name)}** · id {code(design_id)}")
        st.button("Delete this design…", key="delete-design", icon=":material/delete:", width="stretch",
                  disabled=not session.workspace().has(design_id), on_click=confirm.ask,
                  args=(CONFIRM, design_id))  # fmt: skip
    if st.session_state.get(CONFIRM) == design_id:
        _confirm_delete(design_id, editor.design.name)
    if editor.design.multi:
        keys = list(editor.design.networks)
        net = st.radio("Network", keys, index=keys.index(editor.network), horizontal=True, key="network",
                       help="this design holds several networks trained together; edit one at a time")  # fmt: skip
        if net != editor.network:
            editor.show_network(net)
    st.caption(f"Every edit is saved to the workspace as `{design_id}`; the page's address brings you back to it. "
               "A template's story is in the ? beside its name.")  # fmt: skip
