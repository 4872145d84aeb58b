"""LayerLoom — a visual neural-network builder. Router only: the pages live in pages/.

Run: streamlit run app.py
"""

import streamlit as st

from ui import guide, session
from ui.text import md

st.set_page_config(page_title="LayerLoom", page_icon="🧶", layout="wide")

pages = [
    st.Page("pages/build.py", title="Build", icon=":material/account_tree:", default=True),
    st.Page("pages/data.py", title="Data", icon=":material/dataset:"),
    st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
    st.Page("pages/visualize.py", title="Visualize", icon=":material/insights:"),
    st.Page("pages/export.py", title="Export", icon=":material/download:"),
    st.Page("pages/templates.py", title="Templates", icon=":material/grid_view:"),
    st.Page("pages/check.py", title="Check a design", icon=":material/rule:"),
    st.Page("pages/layers.py", title="Layer catalogue", icon=":material/menu_book:"),
]
page = st.navigation(pages)
session.editor()  # the tab's design (from ?design=… after a reload or a restart), before any page runs
if st.session_state.get("session-message"):  # a design that could not be opened or saved, on any page
    st.error(md(st.session_state.pop("session-message")))
guide.first_visit(has_designs=session.workspace().has_designs())
page.run()
session.autosave()  # every edit lands in the workspace
