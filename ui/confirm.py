"""A confirmation before something that cannot be undone (deleting a design or a run).

A click inside a Streamlit dialog reruns the page, so a dialog opened by a button's click would vanish before its
own Delete could be read. Instead the button calls :func:`ask` (a session flag names what is being confirmed) and
the page calls :func:`show` on every run: the dialog is drawn while the flag is set, and Delete, Cancel or a
dismissal clears it.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from ui.text import md


def ask(flag: str, target: str) -> None:
    """Open the confirmation ``flag`` for ``target`` (a button's on_click)."""
    st.session_state[flag] = target


def show(flag: str, target: str, title: str, text: str, delete: Callable[[], str], key: str,
         errors: tuple[type[Exception], ...] = (ValueError,)) -> None:  # fmt: skip
    """Draw the dialog while ``flag`` names ``target``. Delete runs ``delete`` (which returns what to say once done,
    as a toast on the next page); an error it raises in ``errors`` is shown in the dialog, which stays open."""
    if st.session_state.get(flag) != target:
        return

    def forget() -> None:
        st.session_state.pop(flag, None)

    @st.dialog(title, on_dismiss=forget)
    def dialog() -> None:
        st.markdown(text)
        left, right = st.columns(2)
        if left.button("Delete", type="primary", key=f"{key}-confirm", width="stretch"):
            try:
                done = delete()
            except errors as e:
                st.error(md(str(e)))
                return
            forget()
            st.session_state["session-message-info"] = done
            st.rerun()
        if right.button("Cancel", key=f"{key}-cancel", width="stretch"):
            forget()
            st.rerun()

    dialog()
