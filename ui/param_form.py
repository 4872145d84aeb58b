"""The selected node's form, built from its layer spec: numbers with ranges, choices, checkboxes, tuples."""

from __future__ import annotations

import json

import streamlit as st

from builder import REGISTRY
from builder.edit import Editor
from ui.text import code, md


def _widget(name: str, schema, value, key: str):
    d = schema.describe()
    kind, label, help_ = d["kind"], name, schema.help
    if kind == "bool":
        return st.checkbox(label, value=bool(value), help=help_, key=key)
    if kind == "choice":
        options = list(schema.choices)
        return st.selectbox(label, options, index=options.index(value) if value in options else 0, help=help_, key=key,
                            format_func=lambda v: "default (null)" if v is None else str(v))  # fmt: skip
    if kind in ("int", "float") and value is not None:
        cast = int if kind == "int" else float
        lo, hi = (None if d.get(b) is None else cast(d[b]) for b in ("min", "max"))
        return st.number_input(label, value=cast(value), min_value=lo, max_value=hi, step=1 if kind == "int" else None,
                               format=None if kind == "int" else "%g", help=help_, key=key)  # fmt: skip
    # tuples, shapes, optional numbers: JSON text ("3", "[3, 5]", "same", "null")
    text = st.text_input(label, value=json.dumps(value), help=f"{help_} (JSON: a number, a list, or null)", key=key)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text.strip().strip('"')  # a bare word such as same


def node_form(editor: Editor, key: str = "form") -> None:
    """Edit the selected node's id and params; applying revalidates at once."""
    nid = editor.selected
    node = next((n for n in editor.view.nodes if n.id == nid), None)
    if node is None or node.type not in REGISTRY:
        st.caption("Select a node on the canvas to edit it.")
        return
    spec = REGISTRY[node.type]
    st.markdown(f"**{md(node.type)}** {code(node.id)}")
    st.caption(spec.doc)
    with st.form(f"{key}-{nid}"):
        new_id = st.text_input("id", value=node.id, key=f"{key}-{nid}-id")
        values = {}
        for name, schema in spec.params.items():
            current = node.params.get(name, schema.default)
            values[name] = _widget(name, schema, current, f"{key}-{nid}-{name}")
        if st.form_submit_button("Apply", type="primary"):
            params = {k: v for k, v in values.items() if k in node.params or v != spec.params[k].default}
            message = editor.apply({"action": "set_params", "id": nid, "params": params})
            if not message and new_id != nid:
                message = editor.apply({"action": "rename", "id": nid, "new_id": new_id})
            if message:
                st.error(md(message))
            else:
                st.rerun()
