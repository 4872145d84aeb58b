"""Lessons: the learner's curriculum — read, open the designs, do the exercise, check it (progress is kept)."""

import streamlit as st

from builder.lessons.progress import Progress
from ui import lessons, session
from ui.router import through_app
from ui.text import md

through_app()  # first, before anything is drawn: see ui/router.py

ws = session.workspace()
progress = Progress.open(ws.root)
if progress.problem:
    st.warning(md(progress.problem))
st.title("Lessons")
done = sum(progress.passed(x.name) for x in lessons.list_lessons())
st.caption(f"Each lesson: what to look at and why, its designs, an exercise, and a check that trains your design and "
           f"judges it. {done} of {len(lessons.list_lessons())} passed in this workspace.")  # fmt: skip
x = lessons.pick(progress)
st.header(f"{x.number}. {x.title}")
st.markdown(x.text("text"))  # the lesson's own text (with $…$ formulas), not user data
lessons.designs(x, progress)
lessons.extras(x)
st.subheader("Exercise")
st.info(x.text("exercise"), icon=":material/edit_note:")
if x.views:
    st.caption("Where to look, after a run of your design: " + "; ".join(f"*{v}*" for v in x.views) + ".")
lessons.run_check(x, ws, progress)
