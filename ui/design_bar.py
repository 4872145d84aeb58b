"""The Build page's design bar: templates (with descriptions), new, duplicate, my designs, open a file, name."""

from __future__ import annotations

import time

import streamlit as st

from builder.design import DesignFormatError, dumps, loads
from builder.edit import Editor, blank
from builder.templates import list_templates, load_template
from ui import session


@st.cache_data
def gallery() -> dict[str, tuple[str, str]]:
    """name -> (title, description) of every template; read-only, the same for every session."""
    return {t.name: (t.title, t.description) for t in list_templates()}


def _load_template() -> None:
    session.open_design(load_template(st.session_state["build-template"]))


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
    upload = st.session_state["open-design"]
    if upload is not None:
        try:
            session.open_design(loads(upload.getvalue(), upload.name))
        except DesignFormatError as e:
            st.session_state["session-message"] = f"This file cannot be opened: {e}"


def design_bar(editor: Editor) -> None:
    templates = gallery()
    names = list(templates)
    cols = st.columns([3, 1, 1, 1], vertical_alignment="bottom")
    choice = cols[0].selectbox("Template", names, index=names.index("lenet5"), key="build-template",
                               format_func=lambda n: templates[n][0])  # fmt: skip
    cols[1].button("Load template", key="load-template", type="primary", width="stretch", on_click=_load_template,
                   help="opens a copy of the template as a new design; this one stays in the workspace")  # fmt: skip
    cols[2].button("New design", key="new-design", width="stretch", on_click=session.open_design, args=(blank(),))
    cols[3].button("Duplicate", key="duplicate-design", width="stretch", on_click=_duplicate,
                   help="a copy under a new id; this design stays as it is")  # fmt: skip
    st.caption(templates[choice][1])
    cols = st.columns([2, 2, 1, 1], vertical_alignment="bottom")
    name = cols[0].text_input(
        "Design name", value=editor.design.name, key=f"design-name-{st.session_state['design_id']}"
    )
    if name.strip() and name.strip() != editor.design.name:
        editor.design.name = name.strip()
    saved = [e for e in session.workspace().designs() if e.id != st.session_state["design_id"]]
    labels = {e.id: f"{e.name} · {time.strftime('%m-%d %H:%M', time.localtime(e.modified))} · {e.id}" for e in saved}
    cols[1].selectbox("My designs (workspace)", list(labels), index=None, format_func=labels.get, key="my-designs",
                      placeholder=f"Open one of {len(labels)} saved designs…", on_change=_open_saved)  # fmt: skip
    with cols[2].popover("Open file", icon=":material/upload_file:", width="stretch"):
        st.file_uploader("A design file (.json)", type=["json"], key="open-design", on_change=_open_file)
    cols[3].download_button("Save file", dumps(editor.design), file_name=f"{editor.design.name}.json",
                            mime="application/json", key="save-design", width="stretch", icon=":material/download:")  # fmt: skip
    if editor.design.networks and not editor.design.nodes:
        keys = list(editor.design.networks)
        net = st.radio("Network", keys, index=keys.index(editor.network), horizontal=True, key="network",
                       help="this design holds several networks trained together; edit one at a time")  # fmt: skip
        if net != editor.network:
            editor.show_network(net)
    st.caption(f"Every edit is saved to the workspace as `{st.session_state['design_id']}`; the page's address "
               "brings you back to it.")  # fmt: skip
