"""LayerLoom — a visual neural-network builder. Router only: the pages live in pages/.

Run: streamlit run app.py
"""

import streamlit as st

st.set_page_config(page_title="LayerLoom", page_icon="🧶", layout="wide")

pages = [
    st.Page("pages/build.py", title="Build", icon=":material/account_tree:", default=True),
    st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
    st.Page("pages/templates.py", title="Templates", icon=":material/grid_view:"),
    st.Page("pages/check.py", title="Check a design", icon=":material/rule:"),
    st.Page("pages/layers.py", title="Layer catalogue", icon=":material/menu_book:"),
]
st.navigation(pages).run()
