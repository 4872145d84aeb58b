"""The app's router: the page config, LayerLoom's navigation, the tab's design, then the page.

Every page runs through :func:`main`, even the first deep link after a server start. Streamlit keeps its first
multipage mode for an app with a ``pages/`` folder until some script has called ``st.navigation``: in that mode a
link such as ``/train?design=…`` runs ``pages/train.py`` by itself, without app.py, under a navigation made from
the file names ("app, build, check, …", hidden by ``client.showSidebarNavigation = false`` in
.streamlit/config.toml) and in a narrow layout. Each page calls :func:`through_app` first: in that mode it runs
the router in place (which runs the same page, now routed) and stops the unrouted run, in the same script run,
so nothing is drawn twice and no widget event is lost.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from builder.jobs import warm_once
from ui import guide, i18n, session
from ui.i18n import t
from ui.text import md

# less empty space above each page's content: the navigation bar is at the top already
STYLE = "[data-testid=stMainBlockContainer] { padding-top: 3.6rem; padding-bottom: 2rem; }"
PAGES = (  # (file, title's label key in ui/i18n, icon); the first is the start page
    ("pages/build.py", "nav.build", ":material/account_tree:"),
    ("pages/data.py", "nav.data", ":material/dataset:"),
    ("pages/train.py", "nav.train", ":material/model_training:"),
    ("pages/visualize.py", "nav.visualize", ":material/insights:"),
    ("pages/export.py", "nav.export", ":material/download:"),
    ("pages/templates.py", "nav.templates", ":material/grid_view:"),
    ("pages/lessons.py", "nav.lessons", ":material/school:"),
    ("pages/check.py", "nav.check", ":material/rule:"),
    ("pages/layers.py", "nav.layers", ":material/menu_book:"),
)


def main() -> None:
    warm_once()  # a primed spare worker: the server's first run starts as fast as later ones
    has_designs = session.workspace().has_designs()
    st.set_page_config(page_title="LayerLoom", page_icon="🧶", layout="wide",
                       initial_sidebar_state="expanded" if guide.showing(has_designs) else "collapsed")  # fmt: skip
    st.html(f"<style>{STYLE}</style>")  # the app's own constant CSS (no data in it)
    pages = [st.Page(path, title=t(key), icon=icon, default=k == 0, url_path=path[6:-3] if k else None)
             for k, (path, key, icon) in enumerate(PAGES)]  # fmt: skip
    page = st.navigation(pages, position="top")  # the sidebar is left to the help (and the language)
    i18n.switch()
    i18n.remember()
    session.editor()  # the tab's design (from ?design=… after a reload or a restart), before any page runs
    if st.session_state.get("session-message"):  # a design that could not be opened or saved, on any page
        st.error(md(st.session_state.pop("session-message")))
    if st.session_state.get("session-message-info"):  # done, and worth a word (a deletion): it does not move the page
        st.toast(md(st.session_state.pop("session-message-info")), icon=":material/check:")
    guide.first_visit(has_designs)
    page.run()
    session.autosave()  # every edit lands in the workspace


def through_app() -> None:
    """Called first by every page: in Streamlit's unrouted mode, route this run and end the unrouted one."""
    if PagesManager.uses_pages_directory:  # a private flag; tests/browser/test_navigation.py pins what it means
        main()  # st.navigation clears the flag, so the page it runs passes straight through here
        st.stop()
