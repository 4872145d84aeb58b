"""Check a design file: upload or paste JSON, see exactly which node is wrong and how to fix it."""

import streamlit as st

from builder import DesignFormatError, validate
from builder.design import loads
from ui import report
from ui.i18n import t
from ui.router import through_app
from ui.text import md

through_app()  # first, before anything is drawn: see ui/router.py

st.title(t("nav.check"))
st.caption("Upload a LayerLoom design file (JSON, format version 1) or paste its text. Nothing in it is executed.")

upload = st.file_uploader("Design file", type=["json"], key="check-upload")
text = st.text_area("…or paste the JSON here", key="check-text", height=160)
raw = upload.getvalue() if upload is not None else text.encode()

if raw.strip():
    try:
        design = loads(raw, upload.name if upload is not None else "pasted text")
    except DesignFormatError as e:
        st.error(f"This file cannot be read: {md(e)}", icon=":material/error:")
    else:
        st.subheader(md(design.name))
        if design.multi:
            for net_name, net in design.networks.items():
                st.markdown(f"#### Network `{net_name}`")
                report.show(net, validate(net), key=f"check-{net_name}")
        else:
            report.show(design, validate(design), key="check")
else:
    st.info("Tip: `python -m builder templates --write DIR` writes every template as a file to start from.")
