"""Template gallery: pick a classic architecture, read what it shows, see every layer's shape and cost."""

import streamlit as st

from builder import validate
from builder.templates import list_templates
from ui import report, session
from ui.router import through_app

through_app()  # first, before anything is drawn: see ui/router.py


@st.cache_data
def gallery():
    """Read-only and the same for every user, so it is cached across sessions."""
    return [(t.name, t.title, t.description) for t in list_templates()]


st.title("LayerLoom")
st.caption("Build, check, train and export neural networks visually. Start from a classic design.")

items = gallery()
titles = {name: title for name, title, _ in items}
name = st.selectbox("Template", list(titles), format_func=titles.get, key="template",
                    index=list(titles).index(st.session_state.get("template", "lenet5")))  # fmt: skip
template = next(t for t in list_templates() if t.name == name)
st.markdown(f"**{template.title}** — {template.description}")
if st.button("Open on the canvas", type="primary", key="template-open", icon=":material/account_tree:",
             help="a copy of the template becomes a new design in your workspace"):  # fmt: skip
    session.open_design(template.load())
    st.switch_page("pages/build.py")
for label, design in template.designs():
    if label != template.name:  # a file with several networks (a GAN): one report each
        st.subheader(f"Network `{design.name}`")
    report.show(design, validate(design), key=f"template-{label}")
