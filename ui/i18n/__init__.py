"""The app's navigation and main labels in each language: one module per language (``en`` is the reference; a
translation has the same keys, a test checks it). The lessons' own texts are in builder/lessons/texts/.

The language is chosen in the sidebar and remembered per browser in a cookie (``layerloom_lang``); a session
reads it once, and the address's ``?lang=zh`` wins (a teacher's link)."""

from __future__ import annotations

import streamlit as st

from builder.lessons.texts import LANGUAGES  # one list of the languages, for the lessons and the labels

from . import en, zh

STRINGS = {"en": en.STRINGS, "zh": zh.STRINGS}
COOKIE = "layerloom_lang"


def language() -> str:
    ss = st.session_state
    asked = st.query_params.get("lang")
    if asked in LANGUAGES:
        ss["lang"] = asked
    if "lang" not in ss:
        saved = (st.context.cookies or {}).get(COOKIE)
        ss["lang"] = saved if saved in LANGUAGES else "en"
    return ss["lang"]


def t(key: str, **values) -> str:
    """The label ``key`` in the session's language (English when a translation lacks it), formatted."""
    text = STRINGS[language()].get(key) or STRINGS["en"][key]
    return text.format(**values) if values else text


SWITCHES = ("lang-switch", "lang-switch-lessons")  # every picker's key: a change in one moves the others


def _changed(key: str) -> None:
    """A picker's callback (it runs before the rerun, when other widgets' values may still be set)."""
    ss = st.session_state
    chosen = ss.get(key)
    if chosen not in LANGUAGES:  # the selected option clicked again: a segmented control then holds nothing
        chosen = ss.get("lang", "en")
    ss["lang"] = ss["lang-cookie"] = chosen
    for other in SWITCHES:
        ss[other] = chosen


def switch(where=None, key: str = "lang-switch") -> None:
    """The language picker (the sidebar's, or one on a page: ``where``); a change is remembered in the browser's
    cookie and the app is drawn again in the new language."""
    assert key in SWITCHES, key
    current = language()
    if st.session_state.get(key) != current:
        st.session_state[key] = current  # a picker drawn for the first time, or after another one changed
    place = where if where is not None else st.sidebar
    place.segmented_control("Language / 语言", list(LANGUAGES), format_func=LANGUAGES.get, key=key,
                            on_change=_changed, args=(key,),
                            label_visibility="visible" if where is None else "collapsed")  # fmt: skip


def remember() -> None:
    """After a change (once, on the rerun that draws the new language): the cookie, so a new tab opens in it."""
    chosen = st.session_state.pop("lang-cookie", None)
    if chosen in LANGUAGES:
        import streamlit.components.v1 as components

        components.html(f"<script>document.cookie = '{COOKIE}={chosen}; path=/; max-age=31536000; SameSite=Lax';"
                        "</script>", height=0)  # fmt: skip
