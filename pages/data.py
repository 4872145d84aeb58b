"""Data: every bundled dataset with its description, shapes, class balance and samples; uploads of your own."""

import streamlit as st

from builder.data import check_compatibility, list_datasets
from ui import data_view, session
from ui.i18n import t
from ui.router import through_app
from ui.text import code, md

through_app()  # first, before anything is drawn: see ui/router.py

editor = session.editor()
ws = session.workspace()
ws.register_uploads()  # uploads saved in the workspace come back after a restart
st.title(t("nav.data"))
for problem in ws.damaged_uploads():  # a damaged upload affects only itself
    st.warning(md(problem), icon=":material/broken_image:")
specs = {s.name: s for s in list_datasets()}
current = (editor.design.training or {}).get("dataset") or editor.design.metadata.get("dataset") or "digits"
names = sorted(specs, key=lambda n: (specs[n].group, n))
choice = st.selectbox("Dataset", names, index=names.index(current) if current in names else 0, key="data-choice",
                      format_func=lambda n: f"{specs[n].group} · {specs[n].title}")  # fmt: skip
spec = specs[choice]

if spec.group == "Files":
    st.markdown(f"**{md(spec.title)}** — {md(spec.description)}")
    st.info("This dataset is read from files you place on disk (nothing is downloaded by default); see "
            "`python -m builder datasets` for where and how.")  # fmt: skip
else:
    data_view.facts(spec)

design = editor.view
issues = [] if editor.design.networks else check_compatibility(design, spec)
if not editor.design.networks:
    if issues:
        st.warning(f"The design **{md(design.name)}** does not fit {md(spec.title)} yet:")
        for issue in issues:
            st.markdown(f"- {md(issue.message)}")
    else:
        st.success(f"The design **{md(design.name)}** fits {md(spec.title)}: its input and output match the data.")
if st.button(
    f"Train this design on {md(spec.title)}", key="data-use", disabled=choice == current or spec.group == "Files"
):
    editor.design.training = {**(editor.design.training or {}), "dataset": choice}
    st.session_state["train-dataset"] = choice  # the Train page's form shows it at once
    session.autosave()
    st.rerun()

st.divider()
st.subheader("Your own data")
if st.session_state.get("data-added"):
    st.success(f"Added as dataset {code(st.session_state.pop('data-added'))} (shown above; on the Train page too).")
data_view.upload_form(ws.root)
