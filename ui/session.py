"""One browser tab's state: the design it edits (its id is in the URL as ?design=…) and autosave to the workspace.

Everything per user lives in st.session_state; the workspace on disk is what survives a reload or a restart.
"""

from __future__ import annotations

import streamlit as st

from builder import layout
from builder.design import Design, DesignFormatError, dumps
from builder.edit import Editor, blank
from builder.workspace import ID, Workspace


def workspace() -> Workspace:
    return Workspace()  # the root is read from $LAYERLOOM_WORKSPACE at each call


def editor() -> Editor:
    """The tab's editor. A fresh session (a reload, a restart, a shared link) opens the design the URL names."""
    ss = st.session_state
    if st.query_params.get("share"):  # a shared link: its design becomes a copy in this workspace, once
        _open_shared(st.query_params.get("share"))
    wanted = st.query_params.get("design")
    if "editor" not in ss or (wanted and wanted != ss.get("design_id")):
        ws, design = workspace(), None
        if wanted and ws.has(wanted):
            try:
                design = ws.load(wanted)
            except DesignFormatError as e:
                ss["session-message"] = f"The saved design {wanted!r} cannot be read ({e}); a new one was started."
        if design is not None:
            _open(design, wanted, saved=True)
        else:  # a design that was never edited (so never saved) keeps its id; a malformed id gets a new one
            keep = wanted if wanted and ID.fullmatch(wanted) and not ws.has(wanted) else None
            _open(blank(), keep)
    if st.query_params.get("design") != ss["design_id"]:
        st.query_params["design"] = ss["design_id"]
    return ss["editor"]


def _open_shared(text: str) -> None:
    from builder.lessons import list_lessons
    from builder.share import ShareError, decode

    del st.query_params["share"]
    try:
        design, lesson = decode(text)
    except ShareError as e:
        st.session_state["session-message"] = f"The shared link could not be opened: {e}."
        return
    open_design(design)  # a new design of this workspace: the sender's file is never touched
    if lesson in {x.name for x in list_lessons()}:
        st.session_state["lesson-shown"] = lesson
        st.query_params["lesson"] = lesson
    st.session_state["session-message-info"] = f"Opened a copy of the shared design {design.name!r}."


def _open(design: Design, design_id: str | None, saved: bool = False) -> None:
    ss = st.session_state
    view = ss["editor"].view_size if "editor" in ss else None
    ss["editor"] = Editor(design)
    ss["editor"].view_size = view  # the same canvas shows the next design
    # the canvas keeps returning its last action until it sends a new one: that action was made on the design
    # being left, so the new editor marks it as seen (else a deleted node or an undo replays on this design)
    ss["editor"].last_nonce = (ss.get("canvas") or {}).get("nonce")
    ss.pop("canvas-message", None)
    ss["design_id"] = design_id or workspace().new_id(design.name)
    ss["saved"] = dumps(design) if saved else dumps(blank())  # a blank, untouched design is not worth a file
    ss.pop("run_id", None)


def open_design(design: Design, new_id: bool = True, design_id: str | None = None) -> None:
    """Make ``design`` this tab's design: a template, an opened file or a duplicate becomes a new workspace design
    (so the one left behind keeps its file); ``design_id`` reopens a saved one."""
    _open(design, design_id, saved=design_id is not None)
    if new_id:
        autosave()
    st.query_params["design"] = st.session_state["design_id"]


def canvas_view() -> tuple[float, float]:
    """The canvas's flow area in px as it last reported it (a template is laid out to fit it), else a default."""
    ed = st.session_state.get("editor")
    return (ed.view_size if ed is not None else None) or layout.VIEW


def autosave() -> None:
    """Write the design to the workspace when it changed since the last save (atomically; cheap when it didn't)."""
    ss = st.session_state
    if "editor" not in ss:
        return
    text = dumps(ss["editor"].design)
    if text != ss.get("saved"):
        try:
            workspace().save(ss["design_id"], ss["editor"].design)
        except OSError as e:  # a full disk: the edit stays in this tab and is saved by the next edit that fits
            ss["session-message"] = f"Not saved: {e}"
            return
        ss["saved"] = text
