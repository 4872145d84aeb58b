"""Lessons: the learner's curriculum — read, open the designs, do the exercise, check it (progress is kept)."""

import streamlit as st

from builder.lessons.progress import Progress
from ui import lessons, session
from ui.i18n import language, switch, t
from ui.router import through_app
from ui.text import md

through_app()  # first, before anything is drawn: see ui/router.py

ws = session.workspace()
progress = Progress.open(ws.root)
if progress.problem:
    st.warning(md(progress.problem))
lang = language()
head, pick_language = st.columns([5, 1], vertical_alignment="bottom")
head.title(t("lessons.title"))
with pick_language:
    switch(st, key="lang-switch-lessons")  # the learners' page has its own: the sidebar starts folded
done = sum(progress.passed(x.name) for x in lessons.list_lessons())
st.caption(t("lessons.caption", done=done, total=len(lessons.list_lessons())))
x = lessons.pick(progress)
st.header(f"{x.number}. {x.text('title', lang)}")
st.markdown(x.text("text", lang))  # the lesson's own text (with $…$ formulas), not user data
lessons.designs(x, progress)
lessons.extras(x)
st.subheader(t("lessons.exercise"))
st.info(x.text("exercise", lang), icon=":material/edit_note:")
if x.views:
    st.caption(t("lessons.where", views="; ".join(f"*{v}*" for v in x.views)))
if any(v.endswith("Follow one sample") for v in x.views):  # the step-through view, one click away
    st.page_link("pages/visualize.py", label=t("viz.follow"), icon=":material/footprint:",
                 query_params={"design": st.session_state["design_id"], "view": "follow"})  # fmt: skip
lessons.run_check(x, ws, progress)
lessons.share(x)
