"""Layer catalogue: every layer type with its doc and parameters, grouped as in the palette."""

import pandas as pd
import streamlit as st

from builder import REGISTRY
from builder.registry import CATEGORIES
from ui.i18n import t
from ui.router import through_app

through_app()  # first, before anything is drawn: see ui/router.py

st.title(t("nav.layers"))
query = st.text_input("Search layers", key="layer-search", placeholder="conv, attention, norm…").strip().lower()

for category in CATEGORIES:
    specs = [s for s in REGISTRY.values() if s.category == category]
    specs = [s for s in specs if not query or query in s.type.lower() or query in s.doc.lower()]
    if not specs:
        continue
    st.subheader(category)
    for spec in sorted(specs, key=lambda s: s.type):
        with st.expander(spec.type):
            st.write(spec.doc)
            if spec.inferred_doc:
                st.caption(f"Taken from the incoming shape: {spec.inferred_doc}.")
            if spec.params:
                rows = [{"parameter": k, "default": str(p.to_json(p.default)), "help": p.help,
                         "range / choices": str(p.describe().get("choices", "")) or
                         f"{p.describe().get('min', '')}…{p.describe().get('max', '')}".strip("…")}
                        for k, p in spec.params.items()]  # fmt: skip
                st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
